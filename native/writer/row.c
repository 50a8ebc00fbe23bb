/*
 * Native audit writer: a raw entry in the fast form made into its row and canonical line here
 * (src/audit/raw-fast.ts RawFastReader.row, row.ts's canonical line), the chain hash of a line
 * (SHA-256, or HMAC-SHA-256 with the chain key: chain-key.ts), and the binding of a fast row's
 * values to the INSERT statement (ROW_COLUMNS order).
 */
#include "writer.h"

int (*sha_init)(void *);
int (*sha_update)(void *, const void *, size_t);
int (*sha_final)(unsigned char *, void *);
static void hex(const unsigned char *d, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    out[2 * i] = digits[d[i] >> 4];
    out[2 * i + 1] = digits[d[i] & 15];
  }
}
void sha256_hex(const void *p, size_t n, char out[64]) {
  sha_ctx c;
  unsigned char d[32];
  sha_init(&c);
  sha_update(&c, p, n);
  sha_final(d, &c);
  hex(d, out);
}

static const char *const REQUEST_KEYS[] = {"method", "id", "params"};
static const char *const PARAMS_KEYS[] = {"name", "arguments"};
static const char *const ANSWER_KEYS[] = {"result", "error"};
static const char *const RESULT_KEYS[] = {"isError"};

static void put_json_string_of(struct sb *b, const uint8_t *s, long n) {
  b->p[b->n++] = '"';
  for (long i = 0; i < n; i++) {
    if (s[i] == '"' || s[i] == '\\') b->p[b->n++] = '\\';
    b->p[b->n++] = s[i];
  }
  b->p[b->n++] = '"';
}
static void put_num_or_null(struct sb *b, int64_t v) {
  if (v < 0) SB_LIT(b, "null");
  else sb_int(b, v);
}

/*
 * raw-fast.ts RawFastReader.row for body[req, end) (ASCII after the tab, plainText checked):
 * true with r and w->line (canonical line) made, false: not in the fast form.
 */
bool fast_row(struct writer *w, struct row *r, const uint8_t *body, long req, long ans, long end) {
  static __thread struct span x;
  long rq[10], an[6];
  for (int i = 0; i < 10; i++) rq[i] = -1;
  for (int i = 0; i < 6; i++) an[i] = -1;
  x.s = body;
  x.end = ans;
  if (req >= ans || body[req] != '{' || object_members(&x, req, 0, REQUEST_KEYS, 3, rq, 0, 2, PARAMS_KEYS, 2, 6) != ans) return false;
  if (rq[0] < 0 || body[rq[0]] != '"' || rq[4] < 0 || body[rq[4]] != '{' || rq[6] < 0 || body[rq[6]] != '"') return false;
  x.end = end;
  if (ans >= end || body[ans] != '{' || object_members(&x, ans, 0, ANSWER_KEYS, 2, an, 0, 0, RESULT_KEYS, 1, 4) != end) return false;
  if (an[2] >= 0 || an[0] < 0 || body[an[0]] != '{') return false;
  const uint8_t *args = rq[8] < 0 ? NULL : body + rq[8];
  long args_len = rq[8] < 0 ? 0 : rq[9] - rq[8];
  const uint8_t *res = body + an[0];
  long res_len = an[1] - an[0];
  if ((args != NULL && !raw_safe(w, args, args_len)) || !raw_safe(w, res, res_len)) return false;
  if (!unescape(&w->method, body, rq[0], rq[1]) || !unescape(&w->tool, body, rq[6], rq[7])) return false;
  r->rid = rq[2] < 0 ? NULL : body + rq[2];
  r->rid_len = rq[2] < 0 ? 0 : rq[3] - rq[2];
  r->is_error = -1;
  r->outcome = "ok";
  if (w->method.n == 10 && memcmp(w->method.p, "tools/call", 10) == 0) {
    r->is_error = an[4] >= 0 && an[5] - an[4] == 4 && memcmp(body + an[4], "true", 4) == 0 ? 1 : 0;
    if (r->is_error == 1) r->outcome = "tool_error";
  }
  /* payload(): ASCII, so bytes = length; over the cap: null text, the size and the SHA-256. */
  r->args = args;
  r->args_len = args_len;
  r->args_bytes = args == NULL ? -1 : args_len;
  r->args_capped = args != NULL && (size_t)args_len > w->cap;
  if (r->args_capped) {
    sha256_hex(args, args_len, r->args_sha);
    r->args = NULL;
  }
  r->result = res;
  r->result_len = res_len;
  r->result_bytes = res_len;
  r->result_capped = (size_t)res_len > w->cap;
  if (r->result_capped) {
    sha256_hex(res, res_len, r->result_sha);
    r->result = NULL;
  }
  struct head *h = r->head;
  struct sb *b = &w->line;
  b->n = 0;
  size_t need = 1024 + h->who_json.n + h->decided_json.n + h->roles_json.n + 2 * (rq[1] - rq[0]) + 2 * r->rid_len + (rq[7] - rq[6]) + args_len + res_len;
  if (!sb_room(b, need)) return false;
  SB_LIT(b, "[");
  sb_int(b, r->seq);
  SB_LIT(b, ",");
  sb_int(b, r->time);
  SB_LIT(b, ",");
  sb_put(b, h->who_json.p, h->who_json.n);
  SB_LIT(b, ",");
  sb_put(b, body + rq[0], rq[1] - rq[0]);
  SB_LIT(b, ",");
  if (r->rid == NULL) SB_LIT(b, "null");
  else put_json_string_of(b, r->rid, r->rid_len);
  SB_LIT(b, ",");
  sb_put(b, body + rq[6], rq[7] - rq[6]);
  SB_LIT(b, ",null,null,");
  put_num_or_null(b, r->args_bytes);
  SB_LIT(b, ",");
  if (r->args_capped) {
    SB_LIT(b, "\"");
    sb_put(b, r->args_sha, 64);
    SB_LIT(b, "\"");
  } else
    SB_LIT(b, "null");
  SB_LIT(b, ",");
  sb_put(b, h->decided_json.p, h->decided_json.n);
  SB_LIT(b, ",\"");
  sb_put(b, r->outcome, strlen(r->outcome));
  SB_LIT(b, "\",null,null,");
  if (r->is_error < 0) SB_LIT(b, "null");
  else sb_int(b, r->is_error);
  SB_LIT(b, ",");
  put_num_or_null(b, r->result_bytes);
  SB_LIT(b, ",");
  if (r->result_capped) {
    SB_LIT(b, "\"");
    sb_put(b, r->result_sha, 64);
    SB_LIT(b, "\"");
  } else
    SB_LIT(b, "null");
  SB_LIT(b, ",");
  sb_int(b, h->decision_micros);
  SB_LIT(b, ",");
  sb_int(b, r->backend_micros);
  SB_LIT(b, ",");
  sb_int(b, r->request_bytes);
  SB_LIT(b, ",");
  sb_int(b, r->response_bytes);
  sb_put(b, h->roles_json.p, h->roles_json.n);
  SB_LIT(b, "]\t");
  if (r->args) sb_put(b, r->args, r->args_len);
  SB_LIT(b, "\t");
  if (r->result) sb_put(b, r->result, r->result_len);
  return true;
}

void chain_hash(struct writer *w, const char *prev, size_t prev_len, const char *line, size_t len, char out[64]) {
  sha_ctx c;
  unsigned char d[32];
  if (w->keyed) memcpy(&c, &w->inner0, sizeof c);
  else sha_init(&c);
  sha_update(&c, prev, prev_len);
  sha_update(&c, "\n", 1);
  sha_update(&c, line, len);
  sha_final(d, &c);
  if (w->keyed) {
    memcpy(&c, &w->outer0, sizeof c);
    sha_update(&c, d, 32);
    sha_final(d, &c);
  }
  hex(d, out);
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const void *p, long n) {
  if (p == NULL) sqlite3_bind_null(s, i);
  else sqlite3_bind_text(s, i, p, (int)n, SQLITE_STATIC);
}
static void bind_int_or_null(sqlite3_stmt *s, int i, int64_t v) {
  if (v < 0) sqlite3_bind_null(s, i);
  else sqlite3_bind_int64(s, i, v);
}

/* Binds a fast row's 31 values (ROW_COLUMNS order), prev_hash and hash. */
void bind_fast(struct writer *w, const struct row *r, const char *prev, size_t prev_len, const char *hash) {
  sqlite3_stmt *s = w->insert;
  const struct head *h = r->head;
  sqlite3_bind_int64(s, 1, r->seq);
  sqlite3_bind_int64(s, 2, r->time);
  for (int k = 0; k < 6; k++) bind_text_or_null(s, 3 + k, h->vals[k], h->lens[k]);
  sqlite3_bind_text(s, 9, w->method.p, (int)w->method.n, SQLITE_STATIC);
  bind_text_or_null(s, 10, r->rid, r->rid_len);
  sqlite3_bind_text(s, 11, w->tool.p, (int)w->tool.n, SQLITE_STATIC);
  sqlite3_bind_null(s, 12);
  sqlite3_bind_null(s, 13);
  bind_int_or_null(s, 14, r->args_bytes);
  bind_text_or_null(s, 15, r->args_capped ? r->args_sha : NULL, 64);
  for (int k = 0; k < 3; k++) bind_text_or_null(s, 16 + k, h->vals[6 + k], h->lens[6 + k]);
  sqlite3_bind_text(s, 19, r->outcome, -1, SQLITE_STATIC);
  sqlite3_bind_null(s, 20);
  sqlite3_bind_null(s, 21);
  bind_int_or_null(s, 22, r->is_error);
  bind_int_or_null(s, 23, r->result_bytes);
  bind_text_or_null(s, 24, r->result_capped ? r->result_sha : NULL, 64);
  sqlite3_bind_int64(s, 25, h->decision_micros);
  sqlite3_bind_int64(s, 26, r->backend_micros);
  sqlite3_bind_int64(s, 27, r->request_bytes);
  sqlite3_bind_int64(s, 28, r->response_bytes);
  bind_text_or_null(s, 29, h->vals[9], h->lens[9]);
  bind_text_or_null(s, 30, r->args, r->args_len);
  bind_text_or_null(s, 31, r->result, r->result_len);
  sqlite3_bind_text(s, 32, prev, (int)prev_len, SQLITE_STATIC);
  sqlite3_bind_text(s, 33, hash, 64, SQLITE_STATIC);
}
