/*
 * warden_journal, the audit's raw path in one native call per line (src/proxy/raw-audit.ts,
 * src/audit/spool.ts appendRawChecked): the same verdicts as the JavaScript scans it stands in for,
 * made in one pass over a line's bytes, and for an answer the journal entry copied into the mapped
 * segment in the same call. The JavaScript stays the reference and the fallback (addon not built,
 * or built before this file): test/audit-raw-native.test.ts holds the two to identical verdicts
 * and identical journal bytes.
 *
 *   rawRequest(names, buf, start, end, from, seen)
 *       distinctKeysToolCallRawSafe (src/proxy/distinct-keys.ts) of a compactly written tools/call
 *       line: its head buf[start, from) (compactToolCallIdAt's: the top-level members in the
 *       MEMBER bits `seen`, then `"params":{`) looked at for names, the rest scanned from inside
 *       params. Returns the line's length (proven: one JSON object in valid UTF-8, no member name
 *       twice in an object at any depth and none escaped, strictly: no two names of an object
 *       that may fold alike in Go, no capital nor byte over 0x7f in a name at depth 1 or 2;
 *       ASCII; no redacted name nor a \u or \/ escape anywhere), or NAMES_FOUND (-1),
 *       NAMES_DECLINED (-2), NAMES_UNDECIDED (-3: proven, nothing found, not ASCII: the caller
 *       decodes it and asks the regular expression).
 *   rawAnswer(names, answer, aStart, aEnd, segment, at, request, rStart, rEnd, head, seq, time, backendMicros)
 *       hasDistinctKeysRawSafe of the answer line answer[aStart, aEnd), and when that gives its
 *       length, the journal line putRawJournalLine (src/audit/raw-entry.ts) writes, copied into
 *       `segment` at `at`: returns the line's end (the caller counts it: MappedSegment.commit), or
 *       one of the codes above, or NO_ROOM (-4: proven and raw-safe, but the line does not fit in
 *       the segment, or a number is not a non-negative safe integer: the caller's JavaScript path
 *       records it). The request must be a line rawRequest gave its length for (ASCII).
 *
 * `names` is Recorder.rawNames compiled by RawNameScan.nativeTable (src/audit/raw-safe-bytes.ts):
 * [0, 256) what each byte value is inside a string (as json-lexemes.ts's tables: PLAIN 0, QUOTE 1,
 * CONTROL 2, BACKSLASH 3, HIGH 4, ANCHOR 5: a field's anchor, either case); [256, 768) per lower-case
 * byte value a uint16 (LE) offset of its field list (0: none); a list is a count, then per field
 * its length, the index of its anchor and its lower-case bytes (`_` matching `-` too). Slot 0 of
 * the offsets (no anchor's) is where the next-byte filter is (RawNameScan.nextByteFilter; 0: none):
 * an anchor whose next byte follows it in no field anchored there is not looked at further
 * (found_around), and a line found is not looked at for names again. Every read
 * of it is bounds-checked; every write stays inside the typed arrays given. Nothing is allocated.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define NAPI_VERSION 8
#include <node_api.h>

#include "raw_check.h"

#define NAMES_FOUND (-1)
#define NAMES_DECLINED (-2)
#define NAMES_UNDECIDED (-3)
#define NO_ROOM (-4)

/* As distinct-keys.ts: deepest nesting, member names open at once. */
#define MAX_DEPTH 64
#define MAX_KEYS 512

/* MEMBER bits (src/transport/json-bytes.ts). */
#define MEMBER_ID 1
#define MEMBER_METHOD 2
#define MEMBER_PARAMS 4
#define MEMBER_JSONRPC 8

enum { OBJECT = 1, ARRAY = 2 };
enum { VALUE = 0, FIRST_KEY = 1, KEY = 2, AFTER_VALUE = 3, FIRST_ITEM = 4 };

#define NAMES_HEAD 768

/* What a byte is inside a string (the table's first 256 bytes). */
enum { PLAIN = 0, QUOTE = 1, CONTROL = 2, BACKSLASH = 3, HIGH = 4, ANCHOR = 5 };

struct names {
  const uint8_t *t;
  size_t len;
  /* The next-byte filter (RawNameScan.nextByteFilter), or NULL: per byte its bit set (1..slots), then the sets. */
  const uint8_t *filter;
  unsigned slots;
};

struct scan {
  const uint8_t *b;
  size_t start;
  size_t end;
  struct names names;
  bool non_ascii;
  bool found;
  /* distinct-keys.ts strictNames: a request's names that differ only in case are declined. */
  bool strict;
  uint8_t kinds[MAX_DEPTH + 1];
  int32_t key_base[MAX_DEPTH + 1];
  uint32_t key_start[MAX_KEYS];
  uint32_t key_end[MAX_KEYS];
  /* strict: whether each open name holds a byte over 0x7f */
  bool key_wide[MAX_KEYS];
};

static inline bool is_space(uint8_t c) { return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09; }
static inline bool is_digit(uint8_t c) { return c >= 0x30 && c <= 0x39; }
static inline bool is_hex(uint8_t c) { return is_digit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66); }
static inline uint8_t lower(uint8_t c) { return c >= 0x41 && c <= 0x5a ? (uint8_t)(c | 0x20) : c; }

/* RawNameScan.matchesAround: whether a field anchored at b[i]'s lower case is written around it, within [start, end). */
static bool matches_around(const struct scan *s, size_t i) {
  const uint8_t *t = s->names.t;
  size_t tl = s->names.len;
  uint8_t v = lower(s->b[i]);
  size_t off = (size_t)t[256 + 2 * v] | ((size_t)t[256 + 2 * v + 1] << 8);
  if (off == 0 || off >= tl) return false;
  unsigned count = t[off++];
  for (unsigned c = 0; c < count; c++) {
    if (off + 2 > tl) return false;
    size_t n = t[off];
    size_t anchor = t[off + 1];
    const uint8_t *codes = t + off + 2;
    off += 2 + n;
    if (off > tl) return false;
    if (i < s->start + anchor) continue; /* from < start */
    size_t from = i - anchor;
    if (from + n > s->end) continue;
    size_t j = 0;
    for (; j < n; j++) {
      uint8_t x = s->b[from + j];
      uint8_t p = codes[j];
      if (p == 0x5f ? x != 0x5f && x != 0x2d : lower(x) != p) break;
    }
    if (j == n) return true;
  }
  return false;
}

static inline bool is_anchor(const struct scan *s, uint8_t c) { return s->names.t[c] == ANCHOR; }

/*
 * Whether a field may be written around the anchor b[i]: false only when the byte after it can
 * follow it in no field anchored there (the filter's bit set; a necessary condition of
 * matches_around, so only a cheaper no), else matches_around. A line already found is not looked at again.
 */
static inline bool found_around(const struct scan *s, size_t i) {
  if (s->found) return true;
  const uint8_t *f = s->names.filter;
  if (f != NULL && i + 1 < s->end) {
    unsigned slot = f[s->b[i]];
    if (slot != 0 && slot <= s->names.slots) {
      uint8_t x = s->b[i + 1];
      if ((f[256 + 32 * (slot - 1) + (x >> 3)] & (1u << (x & 7))) == 0) return false;
    }
  }
  return matches_around(s, i);
}

/*
 * skipStringLooking (json-lexemes.ts): index just past the string at i (a quote), or -1 when it is
 * not a valid JSON string, -2 - index when valid but escaped; sets found for a name written in it
 * or an escape that could spell one, non_ascii for a byte over 0x7f.
 */
static int64_t skip_string(struct scan *s, size_t i) {
  const uint8_t *b = s->b;
  const uint8_t *cls = s->names.t;
  size_t n = s->end;
  bool escaped = false;
  i++;
  while (i < n) {
    uint8_t k = cls[b[i]];
    if (k == PLAIN) {
      i++;
      continue;
    }
    if (k == QUOTE) return escaped ? -2 - (int64_t)(i + 1) : (int64_t)(i + 1);
    if (k == CONTROL) return -1;
    if (k == BACKSLASH) {
      escaped = true;
      uint8_t e = i + 1 < n ? b[i + 1] : 0;
      if (e == 0x75) {
        if (i + 5 >= n || !is_hex(b[i + 2]) || !is_hex(b[i + 3]) || !is_hex(b[i + 4]) || !is_hex(b[i + 5])) return -1;
        s->found = true;
        i += 6;
        continue;
      }
      if (e != 0x22 && e != 0x5c && e != 0x2f && e != 0x62 && e != 0x66 && e != 0x6e && e != 0x72 && e != 0x74) return -1;
      /* \/ as \u; the letter of \b \f \n \r \t may be an anchor. */
      if (e == 0x2f || (cls[e] == ANCHOR && found_around(s, i + 1))) s->found = true;
      i += 2;
      continue;
    }
    if (k == HIGH) s->non_ascii = true;
    else if (found_around(s, i)) s->found = true; /* ANCHOR */
    i++;
  }
  return -1;
}

static int64_t skip_number(const uint8_t *b, size_t i, size_t n) {
  if (b[i] == 0x2d) i++;
  uint8_t c = i < n ? b[i] : 0;
  if (c == 0x30) i++;
  else if (c >= 0x31 && c <= 0x39) {
    i++;
    while (i < n && is_digit(b[i])) i++;
  } else return -1;
  if (i < n && b[i] == 0x2e) {
    i++;
    if (i >= n || !is_digit(b[i])) return -1;
    while (i < n && is_digit(b[i])) i++;
  }
  c = i < n ? b[i] : 0;
  if (c == 0x65 || c == 0x45) {
    i++;
    c = i < n ? b[i] : 0;
    if (c == 0x2b || c == 0x2d) i++;
    if (i >= n || !is_digit(b[i])) return -1;
    while (i < n && is_digit(b[i])) i++;
  }
  return (int64_t)i;
}

static inline bool starts_with(const uint8_t *b, size_t i, size_t n, const char *word, size_t len) {
  return n - i >= len && memcmp(b + i, word, len) == 0;
}

static int member_bit(const uint8_t *b, size_t s, size_t e) {
  switch (e - s) {
    case 2: return memcmp(b + s, "id", 2) == 0 ? MEMBER_ID : 0;
    case 6: return memcmp(b + s, "method", 6) == 0 ? MEMBER_METHOD : memcmp(b + s, "params", 6) == 0 ? MEMBER_PARAMS : 0;
    case 7: return memcmp(b + s, "jsonrpc", 7) == 0 ? MEMBER_JSONRPC : 0;
    default: return 0;
  }
}

static bool seen_name(const struct scan *s, size_t a, size_t e, int32_t from, int32_t to) {
  size_t len = e - a;
  for (int32_t k = from; k < to; k++) {
    if (s->key_end[k] - s->key_start[k] == len && memcmp(s->b + s->key_start[k], s->b + a, len) == 0) return true;
  }
  return false;
}

static inline size_t rune_length(uint8_t c) { return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4; }

/*
 * foldsLikeAscii (distinct-keys.ts): whether the non-ASCII character at b[i] folds in Go like the
 * ASCII letter y (U+017F s, U+212A k, U+0131 and U+0130 i). i is inside a name, whose closing quote
 * is in the line: the reads stop at a byte that is no continuation, at most there.
 */
static bool folds_like_ascii(const uint8_t *b, size_t i, uint8_t y) {
  uint8_t l = (uint8_t)(y | 0x20);
  uint8_t c = b[i];
  if (c == 0xc5) return l == 0x73 && b[i + 1] == 0xbf;
  if (c == 0xc4) return l == 0x69 && (b[i + 1] == 0xb0 || b[i + 1] == 0xb1);
  if (c == 0xe2) return l == 0x6b && b[i + 1] == 0x84 && b[i + 2] == 0xaa;
  return false;
}

/* mayFoldAlike (distinct-keys.ts): names b[s1, e1) and b[s2, e2), one not ASCII, may fold alike in Go. */
static bool may_fold_alike(const uint8_t *b, size_t s1, size_t e1, size_t s2, size_t e2) {
  size_t i = s1, j = s2;
  while (i < e1 && j < e2) {
    uint8_t x = b[i], y = b[j];
    if (x < 0x80 && y < 0x80) {
      if (x != y) {
        uint8_t lx = (uint8_t)(x | 0x20);
        if (lx != (uint8_t)(y | 0x20) || lx < 0x61 || lx > 0x7a) return false;
      }
      i++;
      j++;
    } else if (x < 0x80) {
      if (!folds_like_ascii(b, j, x)) return false;
      i++;
      j += rune_length(y);
    } else if (y < 0x80) {
      if (!folds_like_ascii(b, i, y)) return false;
      i += rune_length(x);
      j++;
    } else {
      i += rune_length(x);
      j += rune_length(y);
    }
  }
  return i == e1 && j == e2;
}

/* seenFolded (distinct-keys.ts): seen_name with names compared as they may fold in Go. */
static bool seen_folded(const struct scan *s, size_t a, size_t e, bool wide, int32_t from, int32_t to) {
  size_t len = e - a;
  const uint8_t *y = s->b + a;
  for (int32_t k = from; k < to; k++) {
    if (wide || s->key_wide[k]) {
      if (may_fold_alike(s->b, s->key_start[k], s->key_end[k], a, e)) return true;
      continue;
    }
    if (s->key_end[k] - s->key_start[k] != len) continue;
    const uint8_t *x = s->b + s->key_start[k];
    size_t j = 0;
    for (; j < len; j++) {
      if (x[j] == y[j]) continue;
      uint8_t lx = (uint8_t)(x[j] | 0x20);
      if (lx != (uint8_t)(y[j] | 0x20) || lx < 0x61 || lx > 0x7a) break;
    }
    if (j == len) return true;
  }
  return false;
}

static bool has_capital(const uint8_t *b, size_t a, size_t e) {
  for (size_t k = a; k < e; k++)
    if (b[k] >= 0x41 && b[k] <= 0x5a) return true;
  return false;
}

/* Strict UTF-8 (what node:buffer isUtf8 accepts): no overlong form, no surrogate, nothing past U+10FFFF. */
static bool is_utf8(const uint8_t *b, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf) {
      if (i + 1 >= n || (b[i + 1] & 0xc0) != 0x80) return false;
      i += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      if (i + 2 >= n) return false;
      uint8_t c1 = b[i + 1];
      if ((c1 & 0xc0) != 0x80 || (b[i + 2] & 0xc0) != 0x80) return false;
      if (c == 0xe0 && c1 < 0xa0) return false; /* overlong */
      if (c == 0xed && c1 >= 0xa0) return false; /* surrogate */
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      if (i + 3 >= n) return false;
      uint8_t c1 = b[i + 1];
      if ((c1 & 0xc0) != 0x80 || (b[i + 2] & 0xc0) != 0x80 || (b[i + 3] & 0xc0) != 0x80) return false;
      if (c == 0xf0 && c1 < 0x90) return false; /* overlong */
      if (c == 0xf4 && c1 >= 0x90) return false; /* past U+10FFFF */
      i += 4;
    } else return false;
  }
  return true;
}

/*
 * scan (distinct-keys.ts) from index i in the state given, `keys` names open: -1 when declined,
 * else the index just past the depth-2 object closed first, or 0.
 */
static int64_t scan(struct scan *s, size_t i, int depth, int seen, int expect, int32_t keys) {
  const uint8_t *b = s->b;
  size_t n = s->end;
  size_t first_closed = 0;
  s->non_ascii = false;
  if (keys < 0) keys = 0;
  for (;;) {
    while (i < n && is_space(b[i])) i++;
    if (i >= n) return -1;
    uint8_t c = b[i];
    if (expect == VALUE || expect == FIRST_ITEM) {
      if (expect == FIRST_ITEM && c == 0x5d) {
        i++;
        if (--depth == 0) break;
        expect = AFTER_VALUE;
        continue;
      }
      if (c == 0x7b || c == 0x5b) {
        if (depth == MAX_DEPTH) return -1;
        depth++;
        s->kinds[depth] = c == 0x7b ? OBJECT : ARRAY;
        s->key_base[depth] = keys;
        i++;
        expect = c == 0x7b ? FIRST_KEY : FIRST_ITEM;
        continue;
      }
      int64_t next;
      if (c == 0x22) {
        next = skip_string(s, i);
        if (next < -1) next = -2 - next; /* escapes in values are fine */
      } else if (c == 0x2d || is_digit(c)) next = skip_number(b, i, n);
      else if (c == 0x74 && starts_with(b, i, n, "true", 4)) next = (int64_t)i + 4;
      else if (c == 0x66 && starts_with(b, i, n, "false", 5)) next = (int64_t)i + 5;
      else if (c == 0x6e && starts_with(b, i, n, "null", 4)) next = (int64_t)i + 4;
      else return -1;
      if (next < 0) return -1;
      i = (size_t)next;
      expect = AFTER_VALUE;
    } else if (expect == FIRST_KEY || expect == KEY) {
      if (expect == FIRST_KEY && c == 0x7d) {
        i++;
        if (depth == 2 && first_closed == 0) first_closed = i;
        keys = s->key_base[depth];
        if (--depth == 0) break;
        expect = AFTER_VALUE;
        continue;
      }
      if (c != 0x22) return -1;
      size_t a = i + 1;
      bool was_non_ascii = s->non_ascii;
      if (s->strict) s->non_ascii = false;
      int64_t next = skip_string(s, i);
      if (next < 0) return -1; /* invalid, or an escaped name */
      i = (size_t)next;
      size_t e = i - 1;
      bool wide = false;
      if (s->strict) {
        /* As strictNames: a name at depth 1 or 2 not ASCII or with a capital. */
        wide = s->non_ascii;
        if (depth <= 2 && (wide || has_capital(b, a, e))) return -1;
        s->non_ascii = was_non_ascii || wide;
      }
      if (depth == 1) {
        int bit = member_bit(b, a, e);
        if ((seen & bit) != 0) return -1;
        seen |= bit;
      }
      if ((s->strict ? seen_folded(s, a, e, wide, s->key_base[depth], keys) : seen_name(s, a, e, s->key_base[depth], keys)) || keys == MAX_KEYS) return -1;
      if (s->strict) s->key_wide[keys] = wide;
      s->key_start[keys] = (uint32_t)a;
      s->key_end[keys] = (uint32_t)e;
      keys++;
      while (i < n && is_space(b[i])) i++;
      if (i >= n || b[i] != 0x3a) return -1;
      i++;
      expect = VALUE;
    } else {
      uint8_t kind = s->kinds[depth];
      i++;
      if (c == 0x2c) expect = kind == OBJECT ? KEY : VALUE;
      else if ((c == 0x7d && kind == OBJECT) || (c == 0x5d && kind == ARRAY)) {
        if (c == 0x7d) {
          if (depth == 2 && first_closed == 0) first_closed = i;
          keys = s->key_base[depth];
        }
        if (--depth == 0) break;
      } else return -1;
    }
  }
  while (i < n && is_space(b[i])) i++;
  if (i != n) return -1;
  if (s->non_ascii && !is_utf8(b + s->start, s->end - s->start)) return -1;
  return (int64_t)first_closed;
}

/* The verdict once scanned: the length, or a code. */
static int64_t verdict(const struct scan *s, int64_t r) {
  if (r < 0) return NAMES_DECLINED;
  return s->found ? NAMES_FOUND : s->non_ascii ? NAMES_UNDECIDED : (int64_t)(s->end - s->start);
}

/* hasDistinctKeysRawSafe of b[start, end). */
static int64_t check_answer(struct scan *s) {
  size_t i = s->start;
  s->found = false;
  s->strict = false;
  while (i < s->end && is_space(s->b[i])) i++;
  if (i >= s->end || s->b[i] != 0x7b) return NAMES_DECLINED;
  return verdict(s, scan(s, i, 0, 0, VALUE, -1));
}

/* distinctKeysToolCallRawSafe of b[start, end) whose head ends at `from`. */
static int64_t check_request(struct scan *s, size_t from, int seen) {
  s->found = false;
  s->strict = true;
  for (size_t i = s->start; i < from; i++) {
    uint8_t c = s->b[i];
    if (c >= 0x80 || c == 0x5c) return NAMES_DECLINED;
    if (is_anchor(s, c) && found_around(s, i)) return NAMES_FOUND;
  }
  s->kinds[1] = OBJECT;
  s->kinds[2] = OBJECT;
  s->key_base[1] = 0;
  s->key_base[2] = 0;
  return verdict(s, scan(s, from, 2, seen | MEMBER_PARAMS, FIRST_KEY, 0));
}

/* ---- arguments ---- */

static bool bytes_arg(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  napi_typedarray_type type;
  size_t length;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, &length, &p, NULL, NULL) != napi_ok || type != napi_uint8_array) return false;
  *data = p;
  *len = length;
  return true;
}

/* A non-negative integer index argument no greater than `max`. */
static bool index_arg(napi_env env, napi_value v, size_t max, size_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0 && d <= (double)max) || d != (double)(size_t)d) return false;
  *out = (size_t)d;
  return true;
}

static bool names_arg(napi_env env, napi_value v, struct names *names) {
  uint8_t *t;
  size_t len;
  if (!bytes_arg(env, v, &t, &len) || len < NAMES_HEAD || len > 0x10000) return false;
  names->t = t;
  names->len = len;
  /* Slot 0 of the offsets (no anchor's): where the filter is, 0 for none (a table made before it). */
  size_t at = (size_t)t[256] | ((size_t)t[257] << 8);
  names->filter = NULL;
  names->slots = 0;
  if (at >= NAMES_HEAD && at + 256 <= len) {
    unsigned slots = t[at];
    if (at + 256 + 32 * (size_t)slots <= len) {
      names->filter = t + at;
      names->slots = slots;
    }
  }
  return true;
}

static napi_value number(napi_env env, int64_t v) {
  napi_value out;
  if (napi_create_int64(env, v, &out) != napi_ok) return NULL;
  return out;
}

static napi_value type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static napi_value js_raw_request(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 6) return type_error(env, "rawRequest(names, buf, start, end, from, seen): six arguments expected");
  struct scan s;
  uint8_t *b;
  size_t len, start, end, from;
  int32_t seen;
  if (!names_arg(env, argv[0], &s.names)) return type_error(env, "rawRequest: names must be a RawNameScan table");
  if (!bytes_arg(env, argv[1], &b, &len) || !index_arg(env, argv[3], len, &end) || !index_arg(env, argv[2], end, &start) ||
      !index_arg(env, argv[4], end, &from) || from < start || end > UINT32_MAX || napi_get_value_int32(env, argv[5], &seen) != napi_ok)
    return type_error(env, "rawRequest: a Uint8Array and start <= from <= end within it expected");
  s.b = b;
  s.start = start;
  s.end = end;
  return number(env, check_request(&s, from, seen));
}

/* putDigits (raw-entry.ts): v as decimal digits at p; returns the end. */
static uint8_t *put_digits(uint8_t *p, uint64_t v) {
  uint8_t tmp[20];
  int k = 0;
  do {
    tmp[k++] = (uint8_t)(0x30 + v % 10);
    v /= 10;
  } while (v != 0);
  while (k > 0) *p++ = tmp[--k];
  return p;
}

/* A non-negative safe integer (the journal's numbers), or false. */
static bool safe_int(napi_env env, napi_value v, uint64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0 && d <= 9007199254740991.0) || d != (double)(uint64_t)d) return false;
  *out = (uint64_t)d;
  return true;
}

/* rawJournalLineMaxBytes's allowance for the numbers and separators (7 numbers of 20 digits at most). */
#define LINE_NUMBER_BYTES (7 * 20 + 10)

static napi_value js_raw_answer(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 13) return type_error(env, "rawAnswer(names, answer, aStart, aEnd, segment, at, request, rStart, rEnd, head, seq, time, backendMicros): 13 arguments expected");
  struct scan s;
  uint8_t *answer, *segment, *request, *head;
  size_t answer_len, segment_len, request_len, head_len, a_start, a_end, at, r_start, r_end;
  if (!names_arg(env, argv[0], &s.names)) return type_error(env, "rawAnswer: names must be a RawNameScan table");
  if (!bytes_arg(env, argv[1], &answer, &answer_len) || !index_arg(env, argv[3], answer_len, &a_end) || !index_arg(env, argv[2], a_end, &a_start) || a_end > UINT32_MAX)
    return type_error(env, "rawAnswer: an answer Uint8Array and aStart <= aEnd within it expected");
  if (!bytes_arg(env, argv[4], &segment, &segment_len) || !index_arg(env, argv[5], segment_len, &at))
    return type_error(env, "rawAnswer: a segment Uint8Array and an offset within it expected");
  if (!bytes_arg(env, argv[6], &request, &request_len) || !index_arg(env, argv[8], request_len, &r_end) || !index_arg(env, argv[7], r_end, &r_start))
    return type_error(env, "rawAnswer: a request Uint8Array and rStart <= rEnd within it expected");
  if (!bytes_arg(env, argv[9], &head, &head_len)) return type_error(env, "rawAnswer: head must be a Uint8Array");
  s.b = answer;
  s.start = a_start;
  s.end = a_end;
  int64_t r = check_answer(&s);
  if (r < 0) return number(env, r);
  uint64_t seq, time, backend_micros;
  size_t request_bytes = r_end - r_start;
  size_t answer_bytes = a_end - a_start;
  size_t need = LINE_NUMBER_BYTES + head_len + request_bytes + answer_bytes;
  if (!safe_int(env, argv[10], &seq) || !safe_int(env, argv[11], &time) || !safe_int(env, argv[12], &backend_micros) || segment_len - at < need)
    return number(env, NO_ROOM);
  /* The request and the answer may lie in the segment's own memory only by a caller's bug: copied with memmove all the same. */
  uint8_t *p = segment + at;
  p = put_digits(p, seq);
  *p++ = 0x20;
  *p++ = 0x52; /* R */
  p = put_digits(p, time);
  *p++ = 0x2c;
  p = put_digits(p, backend_micros);
  *p++ = 0x2c;
  p = put_digits(p, request_bytes);
  *p++ = 0x2c;
  p = put_digits(p, answer_bytes);
  *p++ = 0x2c;
  p = put_digits(p, request_bytes);
  *p++ = 0x2c;
  p = put_digits(p, answer_bytes);
  *p++ = 0x2c;
  memmove(p, head, head_len);
  p += head_len;
  memmove(p, request + r_start, request_bytes);
  p += request_bytes;
  memmove(p, answer + a_start, answer_bytes);
  p += answer_bytes;
  *p++ = 0x0a;
  return number(env, (int64_t)(p - segment));
}

bool raw_check_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"rawRequest", NULL, js_raw_request, NULL, NULL, NULL, napi_enumerable, NULL},
    {"rawAnswer", NULL, js_raw_answer, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok;
}
