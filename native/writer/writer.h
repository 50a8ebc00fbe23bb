/*
 * The native audit writer (issue 7): the shared types of the .c files here. The writer thread's
 * batch loop (ChainWriter.insertLines, src/audit/chain-writer.ts) runs in C on better-sqlite3's OWN
 * SQLite: db.loadExtension(addon, 'sqlite3_wardenwriter_init') hands over the connection and the host
 * library's sqlite3_api_routines (ext.c), so there is never a second SQLite copy in the process (a
 * second copy's close() would drop the first one's POSIX locks). Everything but the two entry points
 * (napi_register_module_v1, sqlite3_wardenwriter_init) is hidden: SQLite loads the addon RTLD_GLOBAL.
 *   span.c   json-span.ts on bytes, Redactor.rawSafe, the unescaping of a JSON string
 *   row.c    a fast-form raw entry's row and canonical line (raw-fast.ts), SHA-256/HMAC, binding
 *   batch.c  writerBatch: the transaction, the head and journal mark, the loop over the lines
 *   napi.c   writerOpen/writerClose, the cache of heads (headOf), module init
 *   ext.c    the SQLite extension entry point
 */
#ifndef WARDEN_WRITER_H
#define WARDEN_WRITER_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NAPI_VERSION 8
#include <node_api.h>

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

/* ---- growable byte buffer ---- */
struct sb {
  char *p;
  size_t n, cap;
};
static inline bool sb_room(struct sb *b, size_t more) {
  if (more <= b->cap - b->n) return true;
  if (more > (SIZE_MAX >> 2) - b->n) return false; /* no size_t wrap below */
  size_t cap = b->cap ? b->cap : 1024;
  while (cap < b->n + more) cap *= 2;
  char *p = realloc(b->p, cap);
  if (p == NULL) return false;
  b->p = p;
  b->cap = cap;
  return true;
}
static inline void sb_put(struct sb *b, const void *s, size_t n) {
  memcpy(b->p + b->n, s, n);
  b->n += n;
}
#define SB_LIT(b, s) sb_put(b, s, sizeof(s) - 1)
static inline void sb_int(struct sb *b, int64_t v) {
  char t[24];
  int n = 0;
  bool neg = v < 0;
  uint64_t u = neg ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
  do {
    t[n++] = '0' + u % 10;
    u /= 10;
  } while (u);
  if (neg) t[n++] = '-';
  while (n) b->p[b->n++] = t[--n];
}

static inline napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* ---- SHA-256: OpenSSL's, found in the process at init (as native/chain_hash.c) ---- */
typedef struct {
  _Alignas(16) unsigned char bytes[256];
} sha_ctx;
extern int (*sha_init)(void *);
extern int (*sha_update)(void *, const void *, size_t);
extern int (*sha_final)(unsigned char *, void *);
void sha256_hex(const void *p, size_t n, char out[64]);

/* ---- the writer ---- */
#define HEADS 16
#define MAX_FIELDS 64

/* A head line's values (RawEntryReader's head), cached by its JSON bytes. */
struct head {
  uint8_t *key;
  size_t key_len;
  bool slow; /* a value not a string/null, or a decisionMicros not a safe integer: rows through JS */
  struct sb who_json, decided_json, roles_json;
  char *vals[10]; /* who0..5, d0..2, roles; NULL: SQL NULL */
  size_t lens[10];
  int64_t decision_micros;
};

struct writer {
  sqlite3 *db;
  bool busy; /* a writerBatch runs (its headOf or runJs may call back into the addon) */
  sqlite3_stmt *begin, *commit, *rollback, *get_meta, *set_meta, *get_journal, *set_journal, *insert;
  size_t cap;
  int nfields;
  char *fields[MAX_FIELDS];
  size_t field_len[MAX_FIELDS];
  bool raw_safe_ok;   /* false: a field not printable ASCII (rawSafe is always false: no row is fast) */
  uint8_t first[256]; /* bytes at which a field or trigger may start */
  bool keyed;
  sha_ctx inner0, outer0;
  struct head heads[HEADS];
  int nheads, next_head;
  struct sb line, method, tool, rid_json, scratch;
};

/* A fast row's values (row.c makes it, batch.c inserts it). */
struct row {
  int64_t seq, time, backend_micros, request_bytes, response_bytes;
  const uint8_t *args, *result; /* NULL: null (absent, or over the cap) */
  long args_len, result_len;
  int64_t args_bytes, result_bytes; /* -1: null */
  char args_sha[64], result_sha[64];
  bool args_capped, result_capped;
  const uint8_t *rid;
  long rid_len;
  const char *outcome;
  int is_error; /* -1: null */
  struct head *head;
};

/* ---- span.c ---- */
#define MAX_DEPTH 64
#define MAX_KEYS 512
struct span {
  const uint8_t *s;
  long end;
  int keys;
  long key_at[MAX_KEYS];
  int key_len[MAX_KEYS];
};
long object_members(struct span *x, long i, int depth, const char *const *names, int nnames, long *out, int oat, int nest, const char *const *nest_names, int nnest, int nest_at);
bool unescape(struct sb *b, const uint8_t *s, long from, long to);
bool raw_safe(const struct writer *w, const uint8_t *s, long n);

/* ---- row.c ---- */
bool fast_row(struct writer *w, struct row *r, const uint8_t *body, long req, long ans, long end);
void chain_hash(struct writer *w, const char *prev, size_t prev_len, const char *line, size_t len, char out[64]);
void bind_fast(struct writer *w, const struct row *r, const char *prev, size_t prev_len, const char *hash);

/* ---- napi.c ---- */
bool str_of(napi_env env, napi_value v, struct sb *b);
struct head *head_of(napi_env env, struct writer *w, napi_value head_of_fn, const uint8_t *p, size_t n, bool *bad, bool *failed);
struct writer *writer_arg(napi_env env, napi_value v);

/* ---- batch.c ---- */
napi_value js_writer_batch(napi_env env, napi_callback_info info);

/* ---- ext.c ---- */
bool take_extension(sqlite3 **db, char *why, size_t why_len);
#endif
