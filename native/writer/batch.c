/*
 * Native audit writer: writerBatch, ChainWriter.insertLines (src/audit/chain-writer.ts) on a batch
 * of journal bytes in one IMMEDIATE transaction: the chain head and the journal's mark read, every
 * line after the mark made into a row (fast-form raw entries here, row.c; anything else through
 * the JS callback, in order, in the same transaction), hashed, inserted; head and mark stored.
 */
#include <stddef.h>
#include <stdio.h>

#include "writer.h"

static int64_t meta_int(struct writer *w, const char *key, int64_t dflt) {
  sqlite3_bind_text(w->get_meta, 1, key, -1, SQLITE_STATIC);
  int64_t v = dflt;
  if (sqlite3_step(w->get_meta) == SQLITE_ROW && sqlite3_column_type(w->get_meta, 0) != SQLITE_NULL) v = sqlite3_column_int64(w->get_meta, 0);
  sqlite3_reset(w->get_meta);
  return v;
}

/* The chain head and counts of a batch in progress (ceiling, resumed: ChainWriter's BatchBounds). */
struct state {
  int64_t seq, committed, inserted, unreadable, fast, slow, before, ceiling;
  bool resumed;
  char prev[4096];
  size_t prev_len;
};

/*
 * A raw entry's row made here (r, w->line) for row number seq: 1, or 0 when the line is not in the
 * fast form (a JS run then makes it).
 */
static int try_fast(napi_env env, struct writer *w, napi_value head_of_fn, const uint8_t *body, long blen, int64_t seq, struct row *r) {
  /* Over INT_MAX bytes: SQLite's bind lengths are ints (JS cannot make such a line either). */
  if (blen <= 0 || blen > INT_MAX || body[0] != 'R') return 0;
  /* Six numbers (at most 15 digits each: exact, printed back as JS prints them; more goes to JS
   * before a 16th digit is multiplied in, so v never overflows). */
  int64_t n[6];
  long q = 1;
  for (int k = 0; k < 6; k++) {
    long f = q;
    int64_t v = 0;
    while (q < blen && body[q] >= '0' && body[q] <= '9') {
      if (q - f >= 15) return 0;
      v = v * 10 + (body[q++] - '0');
    }
    if (q == f || q >= blen || body[q] != ',') return 0;
    n[k] = v;
    q++;
  }
  const uint8_t *tab = memchr(body + q, '\t', blen - q);
  if (tab == NULL) return 0;
  long t = tab - body;
  for (long j = t + 1; j < blen; j++)
    if (body[j] >= 0x80 || body[j] < 0x20) return 0; /* not ASCII, or not plainText */
  /* An empty request is not in the form (and its first byte would be the one after the line). */
  if (n[4] == 0 || blen != t + 1 + n[4] + n[5]) return 0;
  bool bad = false, failed = false;
  struct head *h = head_of(env, w, head_of_fn, body + q, t - q, &bad, &failed);
  if (failed) {
    /* headOf threw (a head RawEntryReader cannot read): the line goes to a JS run, which reads its
     * head again and throws there, if the JS writer would reach the line at all (C asks before a
     * pending run has moved the mark: ChainWriter may skip the line and never read its head). */
    napi_value e;
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) napi_get_and_clear_last_exception(env, &e);
    return 0;
  }
  if (bad || h->slow) return 0;
  r->seq = seq;
  r->time = n[0];
  r->backend_micros = n[1];
  r->request_bytes = n[2];
  r->response_bytes = n[3];
  r->head = h;
  return fast_row(w, r, body, t + 1, t + 1 + n[4], blen) ? 1 : 0;
}

/* The mark has moved in this batch (or an earlier batch moved it: resumed); it only grows. */
static bool moved(const struct state *st) {
  return st->resumed || st->committed > st->before;
}

/*
 * Lines buf[from, to) that C does not make, handed to JS as one run (runJs decodes them as the JS
 * writer decodes a batch, buf.toString('utf8', from, to), and gives them to ChainWriter.appendRun:
 * the JS writer's own code, on this connection, in this transaction) after the head in st; st follows.
 */
static bool run_js(napi_env env, napi_value run_fn, size_t from, size_t to, struct state *st, char *err, size_t err_len) {
  napi_value args[7], res, global, e;
  if (napi_create_int64(env, (int64_t)from, &args[0]) != napi_ok || napi_create_int64(env, (int64_t)to, &args[1]) != napi_ok ||
      napi_create_int64(env, st->seq, &args[2]) != napi_ok || napi_create_string_utf8(env, st->prev, st->prev_len, &args[3]) != napi_ok ||
      napi_create_int64(env, st->committed, &args[4]) != napi_ok || napi_create_int64(env, st->ceiling, &args[5]) != napi_ok ||
      napi_get_boolean(env, moved(st), &args[6]) != napi_ok || napi_get_global(env, &global) != napi_ok ||
      napi_call_function(env, global, run_fn, 7, args, &res) != napi_ok)
    return false;
  /* [seq, hash, committed, inserted, unreadable] */
  int64_t v[5] = {0};
  struct sb hash = {0};
  bool ok = true;
  for (uint32_t k = 0; k < 5 && ok; k++) {
    ok = napi_get_element(env, res, k, &e) == napi_ok;
    if (ok && k == 1) ok = str_of(env, e, &hash) && hash.n < sizeof st->prev;
    else if (ok) ok = napi_get_value_int64(env, e, &v[k]) == napi_ok;
  }
  if (!ok) {
    snprintf(err, err_len, "writerBatch: the JS run gave no [seq, hash, committed, inserted, unreadable]");
    free(hash.p);
    return false;
  }
  st->seq = v[0];
  memcpy(st->prev, hash.p, hash.n);
  st->prev_len = hash.n;
  st->committed = v[2];
  st->inserted += v[3];
  st->slow += v[3];
  st->unreadable += v[4];
  free(hash.p);
  return true;
}

/* The non-empty lines of buf, as ChainWriter's countLines counts them. */
static int64_t count_lines(const uint8_t *buf, size_t len) {
  int64_t n = 0;
  for (size_t p = 0; p < len;) {
    const uint8_t *nl = memchr(buf + p, '\n', len - p);
    size_t e = nl ? (size_t)(nl - buf) : len;
    if (e > p) n++;
    p = e + 1;
  }
  return n;
}

/*
 * writerBatch(w, journalId, buf, headOf, runJs, last, resumed) -> [committed, headSeq, inserted, unreadable, fast, slow, headHash]
 * ChainWriter.writeBatch(journalId, buf, {last (-1: none), resumed}) on the journal lines in buf
 * (UTF-8 bytes), in one IMMEDIATE transaction: fast-form raw entries made here; each run of other
 * lines (parsed rows, raw entries out of the form, lines without a journal number, unreadable or
 * damaged ones, numbers beyond the ceiling or at or below the mark once it moved: JS skips and
 * names them) handed whole to runJs(from, to, seq, prevHash, committed, ceiling, moved): bytes
 * [from, to) of buf, in order.
 */
static napi_value batch(napi_env env, struct writer *w, napi_value *argv) {
  struct sb jid = {0};
  if (!str_of(env, argv[1], &jid)) return throw_error(env, "writerBatch: journalId must be a string");
  uint8_t *buf;
  size_t len;
  if (napi_get_buffer_info(env, argv[2], (void **)&buf, &len) != napi_ok) {
    free(jid.p);
    return throw_error(env, "writerBatch: buf must be a Buffer");
  }
  int64_t last = -1;
  bool resumed = false;
  if (napi_get_value_int64(env, argv[5], &last) != napi_ok || napi_get_value_bool(env, argv[6], &resumed) != napi_ok) {
    free(jid.p);
    return throw_error(env, "writerBatch: last must be a number and resumed a boolean");
  }
  char err[512] = "";
  if (sqlite3_step(w->begin) != SQLITE_DONE) {
    snprintf(err, sizeof err, "writerBatch: BEGIN: %s", sqlite3_errmsg(w->db));
    sqlite3_reset(w->begin);
    free(jid.p);
    return throw_error(env, err);
  }
  sqlite3_reset(w->begin);
  static __thread struct state st;
  memset(&st, 0, offsetof(struct state, prev));
  st.seq = meta_int(w, "head_seq", 0);
  st.prev_len = 64;
  memset(st.prev, '0', 64);
  sqlite3_bind_text(w->get_meta, 1, "head_hash", -1, SQLITE_STATIC);
  bool head_ok = true;
  if (sqlite3_step(w->get_meta) == SQLITE_ROW && sqlite3_column_type(w->get_meta, 0) != SQLITE_NULL) {
    const unsigned char *t = sqlite3_column_text(w->get_meta, 0);
    int n = sqlite3_column_bytes(w->get_meta, 0);
    /* A head that does not fit is never chained onto as the genesis hash: the batch fails. */
    if (t == NULL || n < 0 || n >= (int)sizeof st.prev) head_ok = false;
    else {
      memcpy(st.prev, t, n);
      st.prev_len = n;
    }
  }
  sqlite3_reset(w->get_meta);
  if (!head_ok) {
    snprintf(err, sizeof err, "writerBatch: the stored head_hash is not a hash");
    sqlite3_step(w->rollback);
    sqlite3_reset(w->rollback);
    free(jid.p);
    return throw_error(env, err);
  }
  sqlite3_bind_text(w->get_journal, 1, jid.p, (int)jid.n, SQLITE_STATIC);
  int64_t before = 0;
  if (sqlite3_step(w->get_journal) == SQLITE_ROW) before = sqlite3_column_int64(w->get_journal, 0);
  sqlite3_reset(w->get_journal);
  st.committed = before;
  st.before = before;
  st.resumed = resumed;
  /* ChainWriter.insertLines's ceiling: the proxy's last number, else the mark plus the lines. */
  st.ceiling = last >= 0 ? last : before + count_lines(buf, len);
  char hash[64];
  struct row r;
  bool failed = false;
  const size_t NONE = (size_t)-1;
  size_t run_from = NONE; /* start of the open run of lines for JS */
  for (size_t p = 0; p < len && !failed;) {
    const uint8_t *nl = memchr(buf + p, '\n', len - p);
    size_t e = nl ? (size_t)(nl - buf) : len;
    size_t from = p;
    p = e + 1;
    if (e == from) continue;
    /* "<journal seq> <body>": at most 16 digits, a safe integer. A line without one goes to JS,
     * which counts it and names it in its skipped lines (the same list from both writers). */
    int64_t local = 0;
    size_t i = from;
    while (i < e && buf[i] >= '0' && buf[i] <= '9' && i - from < 16) local = local * 10 + (buf[i++] - '0');
    if (i == from || i >= e || buf[i] != ' ' || local > 9007199254740991LL) {
      if (run_from == NONE) run_from = from;
      continue;
    }
    if (local <= st.committed) {
      /* Inside an open run JS judges it (with the run's mark). Else: before the mark moved, a
       * committed prefix, skipped as JS skips it; after, a damaged number, which JS names. */
      if (run_from == NONE && moved(&st)) run_from = from;
      continue;
    }
    if (local > st.ceiling) {
      /* Beyond what the batch can hold: JS names it (and moves the mark as ChainWriter does). */
      if (run_from == NONE) run_from = from;
      continue;
    }
    const uint8_t *body = buf + i + 1;
    long blen = (long)(e - i - 1);
    int made = try_fast(env, w, argv[3], body, blen, st.seq + 1, &r);
    if (made == 0) {
      if (run_from == NONE) run_from = from;
      continue;
    }
    if (run_from != NONE) {
      failed = !run_js(env, argv[4], run_from, from, &st, err, sizeof err);
      run_from = NONE;
      if (failed) break;
      if (local <= st.committed) {
        /* The run moved the mark past it: JS names it, in a run of its own. */
        run_from = from;
        continue;
      }
      /* Again for the row number after the run's rows (the line holds it). */
      made = try_fast(env, w, argv[3], body, blen, st.seq + 1, &r);
      if (made == 0) {
        run_from = from;
        continue;
      }
    }
    chain_hash(w, st.prev, st.prev_len, w->line.p, w->line.n, hash);
    bind_fast(w, &r, st.prev, st.prev_len, hash);
    if (sqlite3_step(w->insert) != SQLITE_DONE) {
      snprintf(err, sizeof err, "writerBatch: INSERT: %s", sqlite3_errmsg(w->db));
      sqlite3_reset(w->insert);
      failed = true;
      break;
    }
    sqlite3_reset(w->insert);
    st.seq = r.seq;
    memcpy(st.prev, hash, 64);
    st.prev_len = 64;
    st.committed = local;
    st.inserted++;
    st.fast++;
  }
  if (!failed && run_from != NONE) failed = !run_js(env, argv[4], run_from, len, &st, err, sizeof err);
  /* Every line up to the proxy's last number was in this batch or an earlier one: written or named. */
  if (!failed && last > st.committed) st.committed = last;
  if (!failed && st.inserted > 0) {
    char t[24];
    int n = snprintf(t, sizeof t, "%lld", (long long)st.seq);
    sqlite3_bind_text(w->set_meta, 1, t, n, SQLITE_TRANSIENT);
    sqlite3_bind_text(w->set_meta, 2, "head_seq", -1, SQLITE_STATIC);
    failed = sqlite3_step(w->set_meta) != SQLITE_DONE;
    sqlite3_reset(w->set_meta);
    sqlite3_bind_text(w->set_meta, 1, st.prev, (int)st.prev_len, SQLITE_TRANSIENT);
    sqlite3_bind_text(w->set_meta, 2, "head_hash", -1, SQLITE_STATIC);
    failed = failed || sqlite3_step(w->set_meta) != SQLITE_DONE;
    sqlite3_reset(w->set_meta);
  }
  if (!failed && st.committed != before) {
    sqlite3_bind_text(w->set_journal, 1, jid.p, (int)jid.n, SQLITE_STATIC);
    sqlite3_bind_int64(w->set_journal, 2, st.committed);
    failed = sqlite3_step(w->set_journal) != SQLITE_DONE;
    sqlite3_reset(w->set_journal);
  }
  if (!failed && sqlite3_step(w->commit) != SQLITE_DONE) failed = true;
  sqlite3_reset(w->commit);
  sqlite3_clear_bindings(w->insert);
  free(jid.p);
  if (failed) {
    if (err[0] == 0) snprintf(err, sizeof err, "writerBatch: %s", sqlite3_errmsg(w->db));
    if (!sqlite3_get_autocommit(w->db)) {
      sqlite3_step(w->rollback);
      sqlite3_reset(w->rollback);
    }
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_error(env, NULL, err);
    return NULL;
  }
  napi_value out, v;
  napi_create_array_with_length(env, 7, &out);
  int64_t res[6] = {st.committed, st.seq, st.inserted, st.unreadable, st.fast, st.slow};
  for (int k = 0; k < 6; k++) {
    napi_create_int64(env, res[k], &v);
    napi_set_element(env, out, k, v);
  }
  napi_create_string_utf8(env, st.prev, st.prev_len, &v); /* the head's hash */
  napi_set_element(env, out, 6, v);
  return out;
}

napi_value js_writer_batch(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct writer *w = argc == 7 ? writer_arg(env, argv[0]) : NULL;
  if (w == NULL) return throw_error(env, "writerBatch(w, journalId, buf, headOf, runJs, last, resumed)");
  /* Not from inside its own headOf or runJs: the batch's state, buffers and transaction are in use
   * (writerClose refuses then too: it would free them under the loop). */
  if (w->busy) return throw_error(env, "writerBatch: called again while a batch of this writer runs");
  w->busy = true;
  napi_value out = batch(env, w, argv);
  w->busy = false;
  return out;
}
