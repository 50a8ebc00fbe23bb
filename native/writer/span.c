/*
 * Native audit writer: reading JSON spans (src/audit/json-span.ts on bytes: ASCII text that passed
 * plainText), the unescaping of a JSON string of the fast form, and Redactor.rawSafe on ASCII text.
 * The limits (depth 64, 512 names, 15 digits) are json-span.ts's: C and JS must agree on which
 * entries are in the fast form (test/audit-native-writer*.test.ts).
 */
#include "writer.h"

static inline int at(const struct span *x, long i) { return i < x->end ? x->s[i] : -1; }

static long skip_string(struct span *x, long i, bool key) {
  if (key) {
    int c = at(x, i + 1);
    if (c >= '0' && c <= '9') return -1;
  }
  for (long j = i + 1; j < x->end; j++) {
    uint8_t c = x->s[j];
    if (c == '"') return j + 1;
    if (c == '\\') {
      int e = at(x, j + 1);
      if (e != '"' && e != '\\' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') return -1;
      j++;
    }
  }
  return -1;
}
static long skip_number(struct span *x, long i) {
  long from = i;
  if (at(x, i) == '-') i++;
  int first = at(x, i);
  if (first == '0') {
    if (i != from) return -1;
    i++;
  } else if (first >= '1' && first <= '9') {
    long digits = i;
    while (i < x->end && x->s[i] >= '0' && x->s[i] <= '9') i++;
    if (i - digits > 15) return -1;
  } else
    return -1;
  return i;
}
static bool starts(const struct span *x, long i, const char *w, long n) { return i + n <= x->end && memcmp(x->s + i, w, n) == 0; }
static long skip_value(struct span *x, long i, int depth) {
  int c = at(x, i);
  if (c == '"') return skip_string(x, i, false);
  if (c == '{') return object_members(x, i, depth, NULL, 0, NULL, 0, -1, NULL, 0, 0);
  if (c == '[') {
    if (depth >= MAX_DEPTH) return -1;
    i++;
    if (at(x, i) == ']') return i + 1;
    while (i < x->end) {
      i = skip_value(x, i, depth + 1);
      if (i < 0) return -1;
      int d = at(x, i);
      if (d == ']') return i + 1;
      if (d != ',') return -1;
      i++;
    }
    return -1;
  }
  if (c == 't') return starts(x, i, "true", 4) ? i + 4 : -1;
  if (c == 'f') return starts(x, i, "false", 5) ? i + 5 : -1;
  if (c == 'n') return starts(x, i, "null", 4) ? i + 4 : -1;
  return skip_number(x, i);
}
static bool seen(struct span *x, int base, long from, int len) {
  for (int k = base; k < x->keys; k++)
    if (x->key_len[k] == len && memcmp(x->s + x->key_at[k], x->s + from, len) == 0) return true;
  return false;
}
static long members(struct span *x, long i, int depth, const char *const *names, int nnames, long *out, int oat, int nest, const char *const *nest_names, int nnest, int nest_at) {
  if (depth >= MAX_DEPTH) return -1;
  int base = x->keys;
  i++;
  if (at(x, i) == '}') return i + 1;
  while (i < x->end) {
    if (x->s[i] != '"') return -1;
    long name_at = i + 1;
    i = skip_string(x, i, true);
    if (i < 0 || at(x, i) != ':') return -1;
    int len = (int)(i - 1 - name_at);
    if (x->keys >= MAX_KEYS || seen(x, base, name_at, len)) return -1;
    x->key_at[x->keys] = name_at;
    x->key_len[x->keys] = len;
    x->keys++;
    long value_start = ++i;
    int k = -1;
    for (int j = 0; j < nnames; j++)
      if ((int)strlen(names[j]) == len && memcmp(x->s + name_at, names[j], len) == 0) {
        k = j;
        break;
      }
    i = k >= 0 && k == nest && at(x, i) == '{' ? object_members(x, i, depth + 1, nest_names, nnest, out, nest_at, -1, NULL, 0, 0) : skip_value(x, i, depth + 1);
    if (i < 0) return -1;
    if (k >= 0) {
      out[oat + 2 * k] = value_start;
      out[oat + 2 * k + 1] = i;
    }
    int d = at(x, i);
    if (d == '}') return i + 1;
    if (d != ',') return -1;
    i++;
  }
  return -1;
}
long object_members(struct span *x, long i, int depth, const char *const *names, int nnames, long *out, int oat, int nest, const char *const *nest_names, int nnest, int nest_at) {
  if (depth == 0) x->keys = 0;
  int base = x->keys;
  long after = members(x, i, depth, names, nnames, out, oat, nest, nest_names, nnest, nest_at);
  x->keys = base;
  return after;
}

/* The string value of the JSON string s[from, to) (escapes of the form only) into b. */
bool unescape(struct sb *b, const uint8_t *s, long from, long to) {
  b->n = 0;
  if (!sb_room(b, to - from)) return false;
  for (long i = from + 1; i < to - 1; i++) {
    char c = s[i];
    if (c == '\\') {
      char e = s[++i];
      c = e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
    }
    b->p[b->n++] = c;
  }
  return true;
}

/* Redactor.rawSafe on ASCII text: no field (any case, `_` as `-` too), no `%`, `@`, `\u`/`\U`, `\/`. */
bool raw_safe(const struct writer *w, const uint8_t *s, long n) {
  if (!w->raw_safe_ok) return false;
  for (long i = 0; i < n; i++) {
    uint8_t c = s[i];
    if (!w->first[c]) continue;
    if (c == '%' || c == '@') return false;
    if (c == '\\' && i + 1 < n && (s[i + 1] == 'u' || s[i + 1] == 'U' || s[i + 1] == '/')) return false;
    for (int f = 0; f < w->nfields; f++) {
      size_t len = w->field_len[f];
      if ((size_t)(n - i) < len) continue;
      const char *p = w->fields[f];
      size_t k = 0;
      for (; k < len; k++) {
        uint8_t t = s[i + k];
        if (t >= 'A' && t <= 'Z') t += 32;
        if (p[k] == '_' ? (t != '_' && t != '-') : t != (uint8_t)p[k]) break;
      }
      if (k == len) return false;
    }
  }
  return true;
}
