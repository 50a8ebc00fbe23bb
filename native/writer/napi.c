/*
 * Native audit writer: the N-API side. writerOpen (prepares the loop's statements on the
 * connection that db.loadExtension handed over), writerClose (finalizes them: call it before
 * db.close(), or better-sqlite3's close fails on our open statements), the cache of heads (a head
 * line's values come from JS, RawEntryReader's head(), once per distinct head), module init.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

#include "writer.h"

bool str_of(napi_env env, napi_value v, struct sb *b) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return false;
  b->n = 0;
  if (!sb_room(b, len + 1)) return false;
  if (napi_get_value_string_utf8(env, v, b->p, len + 1, &len) != napi_ok) return false;
  b->n = len;
  return true;
}
static char *dup_str(napi_env env, napi_value v, size_t *len) {
  struct sb b = {0};
  if (!str_of(env, v, &b)) {
    free(b.p);
    return NULL;
  }
  *len = b.n;
  return b.p ? b.p : calloc(1, 1);
}

static void head_free(struct head *h) {
  free(h->key);
  free(h->who_json.p);
  free(h->decided_json.p);
  free(h->roles_json.p);
  for (int k = 0; k < 10; k++) free(h->vals[k]);
  memset(h, 0, sizeof *h);
}

/* The head of head JSON bytes [p, p + n): cached, else headOf(json) (NULL with *bad: unreadable). */
struct head *head_of(napi_env env, struct writer *w, napi_value head_of_fn, const uint8_t *p, size_t n, bool *bad, bool *failed) {
  for (int i = 0; i < w->nheads; i++) {
    struct head *h = &w->heads[i];
    if (h->key != NULL && h->key_len == n && memcmp(h->key, p, n) == 0) return h;
  }
  napi_value arg, res, global;
  if (napi_create_string_utf8(env, (const char *)p, n, &arg) != napi_ok || napi_get_global(env, &global) != napi_ok ||
      napi_call_function(env, global, head_of_fn, 1, &arg, &res) != napi_ok) {
    *failed = true;
    return NULL;
  }
  bool is_array = false;
  napi_is_array(env, res, &is_array);
  if (!is_array) {
    *bad = true;
    return NULL;
  }
  struct head *h = &w->heads[w->next_head];
  head_free(h);
  h->key = malloc(n ? n : 1);
  if (h->key == NULL) {
    *bad = true; /* no memory: the line goes to JS */
    return NULL;
  }
  w->next_head = (w->next_head + 1) % HEADS;
  if (w->nheads < HEADS) w->nheads++;
  memcpy(h->key, p, n);
  h->key_len = n;
  /* Anything not as headOfFor gives it (a string not read, no memory): rows of this head through JS. */
  napi_value e;
  static const int json_at[3] = {0, 1, 13};
  struct sb *json[3] = {&h->who_json, &h->decided_json, &h->roles_json};
  for (int k = 0; k < 3; k++)
    if (napi_get_element(env, res, json_at[k], &e) != napi_ok || !str_of(env, e, json[k]) || !sb_room(json[k], 1)) h->slow = true;
  /* who0..5 at 2..7, d0..2 at 8..10, roles at 12 */
  static const int from[10] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 12};
  for (int k = 0; k < 10; k++) {
    napi_valuetype t;
    if (napi_get_element(env, res, from[k], &e) != napi_ok || napi_typeof(env, e, &t) != napi_ok) {
      h->slow = true;
      continue;
    }
    if (t == napi_null) continue;
    if (t != napi_string) {
      h->slow = true;
      continue;
    }
    h->vals[k] = dup_str(env, e, &h->lens[k]);
    if (h->vals[k] == NULL || h->lens[k] > INT_MAX) h->slow = true; /* never bound as NULL by mistake */
  }
  double dm;
  /* A safe integer (range first: converting NaN or a double out of int64's range is undefined). */
  if (napi_get_element(env, res, 11, &e) != napi_ok || napi_get_value_double(env, e, &dm) != napi_ok || !(dm >= -9007199254740991.0 && dm <= 9007199254740991.0) ||
      dm != (double)(int64_t)dm)
    h->slow = true;
  else h->decision_micros = (int64_t)dm;
  return h;
}

static void finalize_all(struct writer *w) {
  sqlite3_stmt **all[] = {&w->begin, &w->commit, &w->rollback, &w->get_meta, &w->set_meta, &w->get_journal, &w->set_journal, &w->insert};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    if (*all[i]) sqlite3_finalize(*all[i]);
    *all[i] = NULL;
  }
}

/* Frees what w holds (its statements too when `finalize`); w itself stays, closed (db NULL). */
static void writer_release(struct writer *w, bool finalize) {
  if (finalize) finalize_all(w);
  for (int i = 0; i < HEADS; i++) head_free(&w->heads[i]);
  for (int f = 0; f < w->nfields; f++) free(w->fields[f]);
  free(w->line.p);
  free(w->method.p);
  free(w->tool.p);
  free(w->rid_json.p);
  free(w->scratch.p);
  explicit_bzero(w, sizeof *w); /* the HMAC key's pads (inner0, outer0) too: not a store the compiler may drop */
}

static void writer_free(struct writer *w) {
  writer_release(w, true);
  free(w);
}

/* GC of a writer never closed: its statements are left alone (the connection may be closed by now). */
static void writer_finalize(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  struct writer *w = data;
  if (w->db != NULL) writer_release(w, false);
  free(w);
}

static const napi_type_tag WRITER_TAG = {0x77617264656e7772ULL, 0x6974657270726f74ULL};

/* writerOpen(null, cap, fields[], key: Buffer | null): on the connection handed over by db.loadExtension on this thread. */
static napi_value js_writer_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) return throw_error(env, "writerOpen(null, cap, fields, key)");
  if (sha_init == NULL) return throw_error(env, "writerOpen: no OpenSSL SHA-256 in this process");
  double cap;
  /* The payload cap (maxPayloadBytes, a positive integer): anything else would make an undefined conversion. */
  if (napi_get_value_double(env, argv[1], &cap) != napi_ok || !(cap >= 0 && cap <= 9007199254740991.0) || cap != (double)(int64_t)cap)
    return throw_error(env, "writerOpen: cap must be a non-negative safe integer");
  struct writer *w = calloc(1, sizeof *w);
  if (w == NULL) return throw_error(env, "writerOpen: out of memory");
  char why[512] = "";
  if (!take_extension(&w->db, why, sizeof why)) {
    free(w);
    return throw_error(env, why);
  }
  napi_valuetype t;
  w->cap = (size_t)cap;
  uint32_t nf = 0;
  if (napi_get_array_length(env, argv[2], &nf) != napi_ok) {
    writer_free(w);
    return throw_error(env, "writerOpen: fields must be an array of strings");
  }
  w->raw_safe_ok = true;
  w->first['%'] = w->first['@'] = w->first['\\'] = 1;
  for (uint32_t i = 0; i < nf && w->nfields < MAX_FIELDS; i++) {
    napi_value e;
    napi_get_element(env, argv[2], i, &e);
    size_t len = 0;
    char *f = dup_str(env, e, &len);
    if (f == NULL) {
      writer_free(w);
      return throw_error(env, "writerOpen: fields must be strings");
    }
    /* As Redactor: lower case, `-` as `_`, empty ones dropped; a field not printable ASCII: no raw row is fast. */
    bool ascii = true;
    for (size_t k = 0; k < len; k++) {
      unsigned char c = f[k];
      if (c < 0x20 || c > 0x7e) ascii = false;
      if (c >= 'A' && c <= 'Z') f[k] = c + 32;
      if (f[k] == '-') f[k] = '_';
    }
    if (!ascii) w->raw_safe_ok = false;
    if (len == 0 || !ascii) {
      free(f);
      continue;
    }
    unsigned char c0 = f[0];
    if (c0 == '_') w->first['-'] = w->first['_'] = 1;
    else {
      w->first[c0] = 1;
      if (c0 >= 'a' && c0 <= 'z') w->first[c0 - 32] = 1;
    }
    w->fields[w->nfields] = f;
    w->field_len[w->nfields++] = len;
  }
  if (nf > MAX_FIELDS) w->raw_safe_ok = false;
  napi_typeof(env, argv[3], &t);
  if (t != napi_null && t != napi_undefined) {
    void *kdata;
    size_t klen;
    if (napi_get_buffer_info(env, argv[3], &kdata, &klen) != napi_ok) {
      writer_free(w);
      return throw_error(env, "writerOpen: key must be a Buffer");
    }
    unsigned char block[64] = {0}, pad[64];
    if (klen > 64) {
      sha_ctx c;
      sha_init(&c);
      sha_update(&c, kdata, klen);
      sha_final(block, &c);
      explicit_bzero(&c, sizeof c);
    } else if (klen > 0)
      memcpy(block, kdata, klen);
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x36;
    sha_init(&w->inner0);
    sha_update(&w->inner0, pad, 64);
    for (int i = 0; i < 64; i++) pad[i] = block[i] ^ 0x5c;
    sha_init(&w->outer0);
    sha_update(&w->outer0, pad, 64);
    w->keyed = true;
    /* No copy of the key, or of what gives it, left on the stack. */
    explicit_bzero(block, sizeof block);
    explicit_bzero(pad, sizeof pad);
  }
  const char *cols = "seq, time, client_id, client_name, auth_method, session_id, transport, backend, method, request_id, tool, resource, prompt, "
                     "arguments_bytes, arguments_sha256, decision, reasons, policy_version, outcome, error_code, error_message, is_error, result_bytes, "
                     "result_sha256, decision_micros, backend_micros, request_bytes, response_bytes, roles, arguments, result, prev_hash, hash";
  char insert[1024];
  snprintf(insert, sizeof insert, "INSERT INTO audit_log (%s) VALUES (?%s)", cols,
           ",?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?");
  struct {
    sqlite3_stmt **s;
    const char *sql;
  } prep[] = {
      {&w->begin, "BEGIN IMMEDIATE"},
      {&w->commit, "COMMIT"},
      {&w->rollback, "ROLLBACK"},
      {&w->get_meta, "SELECT value FROM audit_meta WHERE key = ?"},
      {&w->set_meta, "UPDATE audit_meta SET value = ? WHERE key = ?"},
      {&w->get_journal, "SELECT committed FROM audit_journal WHERE id = ?"},
      {&w->set_journal, "INSERT INTO audit_journal (id, committed) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET committed = excluded.committed"},
      {&w->insert, insert},
  };
  for (size_t i = 0; i < sizeof prep / sizeof prep[0]; i++) {
    if (sqlite3_prepare_v2(w->db, prep[i].sql, -1, prep[i].s, NULL) != SQLITE_OK) {
      snprintf(why, sizeof why, "writerOpen: prepare %s: %s", prep[i].sql, sqlite3_errmsg(w->db));
      writer_free(w);
      return throw_error(env, why);
    }
  }
  napi_value ext;
  napi_create_external(env, w, writer_finalize, NULL, &ext);
  napi_type_tag_object(env, ext, &WRITER_TAG);
  return ext;
}

struct writer *writer_arg(napi_env env, napi_value v) {
  bool ours = false;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t != napi_external || napi_check_object_type_tag(env, v, &WRITER_TAG, &ours) != napi_ok || !ours) return NULL;
  struct writer *w = NULL;
  napi_get_value_external(env, v, (void **)&w);
  return w != NULL && w->db != NULL ? w : NULL; /* NULL: closed */
}

static napi_value js_writer_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct writer *w = argc ? writer_arg(env, argv[0]) : NULL;
  if (w == NULL) return throw_error(env, "writerClose(w): not an open writer");
  if (w->busy) return throw_error(env, "writerClose: a batch of this writer runs (from its headOf or runJs)");
  writer_release(w, true); /* the external's finalizer frees w */
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  sha_init = (int (*)(void *))dlsym(RTLD_DEFAULT, "SHA256_Init");
  sha_update = (int (*)(void *, const void *, size_t))dlsym(RTLD_DEFAULT, "SHA256_Update");
  sha_final = (int (*)(unsigned char *, void *))dlsym(RTLD_DEFAULT, "SHA256_Final");
  napi_property_descriptor props[] = {
      {"writerOpen", NULL, js_writer_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writerBatch", NULL, js_writer_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writerClose", NULL, js_writer_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
