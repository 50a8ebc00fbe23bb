/*
 * Standalone fuzzer of native/writer's parsers (span.c, row.c: fast_row, object_members, raw_safe,
 * unescape) under AddressSanitizer and UBSan (fuzz/build-asan.sh builds it as fuzz/out/fuzz_row).
 * A generated-input loop (gcc has no libFuzzer): requests and answers in and near the fast form
 * (nesting at the depth limit, many names, long numbers, escapes, redacted names and their
 * spellings, payloads around the cap), then byte mutations (truncation, NUL and control bytes,
 * bytes >= 0x80, deletions, repeats). Each input is copied into a buffer of exactly its size, so a
 * read one byte past the line is reported.
 *   fuzz/out/fuzz_row [seconds] [seed]
 * Prints the iterations run; a sanitizer report aborts (exit != 0).
 */
#include <openssl/sha.h>
#include <stdio.h>
#include <time.h>

#include "../writer.h"

const sqlite3_api_routines *sqlite3_api; /* bind_fast is not called here */

static uint64_t s = 88172645463325252ULL;
static uint64_t rnd(void) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}
static int nint(int n) { return (int)(rnd() % (uint64_t)n); }
#define PICK(a) (a)[nint(sizeof(a) / sizeof((a)[0]))]

static struct sb g;
static void put(const char *t) {
  size_t n = strlen(t);
  sb_room(&g, n);
  sb_put(&g, t, n);
}

static const char *NAMES[] = {"a", "text", "n", "isError", "content", "password", "PASSWORD", "pass_word", "pass-word", "api-key", "API_KEY", "token", "tok", "secre", "1a", "_x", "-", "name", "arguments", "id", "", "method", "params", "result", "error"};
static const char *STRS[] = {"hello", "x\\ty", "\\\"q\\\"", "\\\\", "a\\/b", "\\u0041", "100%", "a@b", "toke", "secret", "n\\n", "\\b\\f\\r", "\\"};
static const char *NUMS[] = {"0", "-0", "1", "-12", "1.5", "1e5", "123456789012345", "1234567890123456", "99999999999999999999999", "01", "-", "00"};

static void value(int depth);
static void string(void) {
  put("\"");
  int k = nint(4);
  for (int i = 0; i < k; i++) put(PICK(STRS));
  if (nint(30) == 0)
    for (int i = nint(300); i > 0; i--) put("x");
  put("\"");
}
static void object(int depth) {
  put("{");
  int k = nint(5);
  if (nint(40) == 0) k = 500 + nint(14); /* around 512 names */
  for (int i = 0; i < k; i++) {
    if (i) put(",");
    char t[32];
    if (k > 10) snprintf(t, sizeof t, "\"k%d\":", nint(20) == 0 ? 0 : i);
    else snprintf(t, sizeof t, "\"%s\":", PICK(NAMES));
    put(t);
    if (k > 10) put(PICK(NUMS));
    else value(depth + 1);
  }
  put("}");
}
static void value(int depth) {
  if (depth > 70 || g.n > 20000) { /* a budget: no input grows without bound */
    put("1");
    return;
  }
  int r = nint(12);
  if (r == 0) {
    int d = 58 + nint(10); /* around the depth limit 64 */
    for (int i = 0; i < d; i++) put(nint(2) ? "[" : "[");
    for (int i = 0; i < d; i++) put("]");
  } else if (r < 3) string();
  else if (r < 5) put(PICK(NUMS));
  else if (r < 6) put(nint(2) ? "true" : nint(2) ? "false" : nint(2) ? "null" : "tru");
  else if (r < 8) {
    put("[");
    int k = nint(4);
    for (int i = 0; i < k; i++) {
      if (i) put(",");
      value(depth + 1);
    }
    put("]");
  } else object(depth + 1);
}

static void mutate(void) {
  int n = 1 + nint(4);
  for (int k = 0; k < n; k++) {
    size_t at = g.n ? (size_t)nint((int)g.n) : 0;
    int r = nint(7);
    if (r == 0 && g.n) g.n = at; /* truncated */
    else if (r == 1 && g.n) g.p[at] = (char)nint(256);
    else if (r == 2 && g.n) {
      memmove(g.p + at, g.p + at + 1, g.n - at - 1);
      g.n--;
    } else if (r == 3) {
      static const char ins[] = {0, '"', '\\', '{', '}', '[', ']', ',', ':', (char)0x80, (char)0xff, 0x1f};
      sb_room(&g, 1);
      memmove(g.p + at + 1, g.p + at, g.n - at);
      g.p[at] = PICK(ins);
      g.n++;
    } else if (r == 4 && g.n > 2) {
      /* a span repeated */
      char t[40];
      size_t from = (size_t)nint((int)g.n), len = (size_t)nint(40);
      if (from + len > g.n) len = g.n - from;
      memcpy(t, g.p + from, len);
      sb_room(&g, len);
      memmove(g.p + at + len, g.p + at, g.n - at);
      memcpy(g.p + at, t, len);
      g.n += len;
    }
  }
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 10;
  if (argc > 2) s = strtoull(argv[2], NULL, 10) * 2654435761ULL + 1;
  sha_init = (int (*)(void *))SHA256_Init;
  sha_update = (int (*)(void *, const void *, size_t))SHA256_Update;
  sha_final = (int (*)(unsigned char *, void *))SHA256_Final;
  static struct writer w;
  static const char *fields[] = {"password", "token", "api_key", "apikey", "authorization", "secret"};
  w.raw_safe_ok = true;
  w.first['%'] = w.first['@'] = w.first['\\'] = 1;
  for (int f = 0; f < 6; f++) {
    w.fields[f] = (char *)fields[f];
    w.field_len[f] = strlen(fields[f]);
    w.first[(unsigned char)fields[f][0]] = 1;
    w.first[(unsigned char)fields[f][0] - 32] = 1;
  }
  w.first['-'] = w.first['_'] = 1;
  w.nfields = 6;
  static struct head h;
  const char *who = "\"local:root\",\"root\",\"local\",\"stdio-1\",\"stdio\",\"bench\"";
  sb_room(&h.who_json, strlen(who));
  sb_put(&h.who_json, who, strlen(who));
  sb_room(&h.decided_json, 32);
  SB_LIT(&h.decided_json, "\"allow\",\"[]\",null");
  sb_room(&h.roles_json, 1);
  static const size_t caps[] = {0, 1, 5, 16, 64, 4096};
  clock_t until = clock() + (clock_t)(seconds * CLOCKS_PER_SEC);
  uint64_t iters = 0, fast = 0;
  struct sb req = {0};
  while (clock() < until) {
    for (int batch = 0; batch < 256; batch++, iters++) {
      w.cap = PICK(caps);
      /* request */
      g.n = 0;
      put("{\"jsonrpc\":\"2.0\",");
      if (nint(4)) {
        put("\"id\":");
        value(1);
        put(",");
      }
      put("\"method\":");
      if (nint(6)) put(nint(3) ? "\"tools/call\"" : "\"tools\\/call\"");
      else value(1);
      put(",\"params\":{\"name\":");
      if (nint(8)) string();
      else value(2);
      if (nint(5)) {
        put(",\"arguments\":");
        if (nint(4) == 0) {
          /* at the cap +-1: {"t":"..."} */
          size_t n = w.cap > 8 ? w.cap - 8 + (size_t)nint(3) - 1 : (size_t)nint(3);
          put("{\"t\":\"");
          for (size_t i = 0; i < n; i++) put("x");
          put("\"}");
        } else if (nint(2)) object(2);
        else value(2);
      }
      put("}}");
      if (nint(5) == 0) mutate();
      req.n = 0;
      sb_room(&req, g.n);
      sb_put(&req, g.p, g.n);
      /* answer */
      g.n = 0;
      put("{\"jsonrpc\":\"2.0\",\"id\":1,");
      int a = nint(10);
      if (a == 0) put("\"error\":{\"code\":1},");
      put("\"result\":");
      if (a == 1) put("{\"content\":[],\"isError\":true}");
      else if (a == 2) value(1);
      else object(1);
      put("}");
      if (nint(5) == 0) mutate();
      if (nint(20) == 0) g.n = 0; /* no answer */
      /* the line's bytes after the tab, exactly sized */
      size_t total = req.n + g.n;
      uint8_t *body = malloc(total ? total : 1);
      memcpy(body, req.p, req.n);
      memcpy(body + req.n, g.p, g.n);
      long reqlen = (long)req.n;
      if (nint(30) == 0) reqlen = nint((int)total + 1); /* lengths that do not match the JSON */
      struct row r = {0};
      r.head = &h;
      r.seq = 1 + nint(1000);
      r.time = 1795000000000LL;
      if (reqlen > 0 && fast_row(&w, &r, body, 0, reqlen, (long)total)) fast++;
      /* the spans on random bytes directly, from any start */
      struct span x = {0};
      x.s = body;
      x.end = (long)total;
      long out[10];
      if (total) object_members(&x, nint((int)total), 0, NULL, 0, out, 0, -1, NULL, 0, 0);
      raw_safe(&w, body, (long)total);
      free(body);
    }
  }
  printf("fuzz_row: %llu inputs, %llu rows in the fast form, %.1f s CPU, no sanitizer report\n", (unsigned long long)iters, (unsigned long long)fast, (double)clock() / CLOCKS_PER_SEC);
  free(g.p);
  free(req.p);
  return 0;
}
