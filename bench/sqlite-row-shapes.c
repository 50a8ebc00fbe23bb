/*
 * What SQLite alone costs per audit row, by the shape the row is stored in (issue 7's c=16 line;
 * docs/benchmarks-and-conformance.md, "Session 20"). Compiled by bench/sqlite-row-shapes.mjs against
 * better-sqlite3's own sqlite3.c with its compile options. Each shape gets the same rows (a
 * tools/call of one of four tools from one of 16 sessions, arguments and results of a few dozen
 * bytes, a 64-hex hash), written into a fresh file in batches, every batch a transaction that also
 * stores the chain head (two audit_meta updates) and the journal mark (an audit_journal upsert), as
 * the writer's does. No parsing, redaction or hashing: only the binding, the inserts and the commits
 * (WAL, synchronous=NORMAL, 16 KiB pages, 4 MiB cache, as src/audit/schema.ts configures).
 *   wide         the shipped layout (schema 4): 34 columns, indexes on time and tool, the partial
 *                index on decision
 *   wide-noindex the same table without its three indexes (the floor of a row this wide)
 *   wide-time    the same table with only its time index; wide-tool with only its tool index
 *   narrow       the ten values a session's rows repeat in a head table of their own, the row
 *                pointing at it; the hash as 32 bytes, no prev_hash; the same three indexes
 *   line         the row as its canonical line (one text) beside the columns the indexes need
 *   batch        one row per transaction holding its rows' lines, plus one (tool, batch) entry per
 *                distinct tool: no per-row b-tree entry at all
 * Usage: sqlite-row-shapes SHAPE BATCH ROWS DIR ; prints "SHAPE BATCH us_per_row" (process CPU).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sqlite3.h"

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void run(sqlite3 *db, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "sqlite-row-shapes: %s: %s\n", sql, err);
    exit(1);
  }
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
    fprintf(stderr, "sqlite-row-shapes: prepare %s: %s\n", sql, sqlite3_errmsg(db));
    exit(1);
  }
  return s;
}

static void step(sqlite3 *db, sqlite3_stmt *s) {
  if (sqlite3_step(s) != SQLITE_DONE) {
    fprintf(stderr, "sqlite-row-shapes: step: %s\n", sqlite3_errmsg(db));
    exit(1);
  }
  sqlite3_reset(s);
}

#define TEXT(s, i, v) sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC)

static const char *WIDE =
    "CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, client_id TEXT NOT NULL,"
    " client_name TEXT NOT NULL, auth_method TEXT NOT NULL, session_id TEXT NOT NULL, transport TEXT NOT NULL,"
    " backend TEXT, method TEXT NOT NULL, request_id TEXT, tool TEXT, resource TEXT, prompt TEXT, arguments TEXT,"
    " arguments_bytes INTEGER, arguments_sha256 TEXT, decision TEXT NOT NULL, reasons TEXT NOT NULL,"
    " policy_version TEXT, outcome TEXT NOT NULL, error_code INTEGER, error_message TEXT, is_error INTEGER,"
    " result TEXT, result_bytes INTEGER, result_sha256 TEXT, decision_micros INTEGER NOT NULL,"
    " backend_micros INTEGER, request_bytes INTEGER, response_bytes INTEGER, prev_hash TEXT NOT NULL,"
    " hash TEXT NOT NULL, roles TEXT);";
static const char *WIDE_INDEXES =
    "CREATE INDEX audit_log_time ON audit_log(time); CREATE INDEX audit_log_tool ON audit_log(tool);"
    " CREATE INDEX audit_log_not_allowed ON audit_log(decision) WHERE decision <> 'allow';";
static const char *NARROW =
    "CREATE TABLE audit_head (id INTEGER PRIMARY KEY, client_id TEXT NOT NULL, client_name TEXT NOT NULL,"
    " auth_method TEXT NOT NULL, session_id TEXT NOT NULL, transport TEXT NOT NULL, backend TEXT,"
    " decision TEXT NOT NULL, reasons TEXT NOT NULL, policy_version TEXT, roles TEXT);"
    " CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, head INTEGER NOT NULL,"
    " decision TEXT NOT NULL, method TEXT NOT NULL, request_id TEXT, tool TEXT, resource TEXT, prompt TEXT,"
    " arguments TEXT, arguments_bytes INTEGER, arguments_sha256 TEXT, outcome TEXT NOT NULL, error_code INTEGER,"
    " error_message TEXT, is_error INTEGER, result TEXT, result_bytes INTEGER, result_sha256 TEXT,"
    " decision_micros INTEGER NOT NULL, backend_micros INTEGER, request_bytes INTEGER, response_bytes INTEGER,"
    " hash BLOB NOT NULL);"
    " CREATE INDEX audit_log_time ON audit_log(time); CREATE INDEX audit_log_tool ON audit_log(tool);"
    " CREATE INDEX audit_log_not_allowed ON audit_log(decision) WHERE decision <> 'allow';";
static const char *LINE =
    "CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, tool TEXT, decision TEXT NOT NULL,"
    " line TEXT NOT NULL, hash BLOB NOT NULL);"
    " CREATE INDEX audit_log_time ON audit_log(time); CREATE INDEX audit_log_tool ON audit_log(tool);"
    " CREATE INDEX audit_log_not_allowed ON audit_log(decision) WHERE decision <> 'allow';";
static const char *BATCH =
    "CREATE TABLE audit_batch (first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, time_min INTEGER NOT NULL,"
    " time_max INTEGER NOT NULL, lines BLOB NOT NULL, hashes BLOB NOT NULL);"
    " CREATE TABLE audit_batch_tool (tool TEXT NOT NULL, first_seq INTEGER NOT NULL, PRIMARY KEY (tool, first_seq)) WITHOUT ROWID;";
static const char *META =
    "CREATE TABLE audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    " CREATE TABLE audit_journal (id TEXT PRIMARY KEY, committed INTEGER NOT NULL);"
    " INSERT INTO audit_meta VALUES ('head_seq', '0'), ('head_hash', '');";

static const char *TOOLS[] = {"list_pods", "get_pod", "describe_node", "pod_logs"};
static const char *HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/* One row's texts: a tools/call of one of four tools from one of 16 sessions. */
#define POOL 4096
struct made {
  int tool, an, rn, ln;
  char args[128], result[192], rid[24], session[40], line[1024];
};

static void make(struct made *m, long long seq) {
  m->tool = (int)((seq * 2654435761u) >> 7) & 3;
  m->an = snprintf(m->args, sizeof m->args, "{\"namespace\":\"team-a\",\"name\":\"web-%lld\"}", seq % 997);
  m->rn = snprintf(m->result, sizeof m->result, "{\"content\":[{\"type\":\"text\",\"text\":\"pod web-%lld Running 1/1 %lld\"}]}", seq % 997, seq);
  snprintf(m->rid, sizeof m->rid, "%lld", seq);
  snprintf(m->session, sizeof m->session, "0b6c5a52-2f0e-4f0f-9d4a-6a3f2d8c1e%02d", (int)(seq % 16) + 1);
  m->ln = snprintf(m->line, sizeof m->line,
                   "[%lld,%lld,\"ci-bot\",\"CI bot\",\"api_key\",\"%s\",\"streamable-http\",\"k8s\",\"tools/call\",\"%s\",\"%s\",null,null,%d,null,"
                   "\"allow\",\"[]\",\"a41b9c0d2e7f1358\",\"ok\",null,null,0,%d,null,41,318,%d,%d,\"[\\\"reader\\\"]\"]\t%s\t%s",
                   seq, 1795000000000LL + seq / 3, m->session, m->rid, TOOLS[m->tool], m->an, m->rn, m->an + 90, m->rn + 40, m->args, m->result);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: sqlite-row-shapes SHAPE BATCH ROWS DIR\n");
    return 2;
  }
  const char *shape = argv[1];
  const int batch = atoi(argv[2]);
  const int rows = atoi(argv[3]);
  char file[4096];
  snprintf(file, sizeof file, "%s/%s-%d.db", argv[4], shape, (int)getpid());
  sqlite3 *db;
  if (sqlite3_open(file, &db) != SQLITE_OK) return 1;
  run(db, "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -4096;");
  run(db, META);
  int kind;
  const char *insert;
  if (strncmp(shape, "wide", 4) == 0) {
    run(db, WIDE);
    if (strcmp(shape, "wide") == 0) run(db, WIDE_INDEXES);
    else if (strcmp(shape, "wide-time") == 0) run(db, "CREATE INDEX audit_log_time ON audit_log(time);");
    else if (strcmp(shape, "wide-tool") == 0) run(db, "CREATE INDEX audit_log_tool ON audit_log(tool);");
    else if (strcmp(shape, "wide-noindex") != 0) {
      fprintf(stderr, "sqlite-row-shapes: unknown shape %s\n", shape);
      return 2;
    }
    kind = 0;
    insert = "INSERT INTO audit_log (seq, time, client_id, client_name, auth_method, session_id, transport, backend,"
             " method, request_id, tool, resource, prompt, arguments_bytes, arguments_sha256, decision, reasons,"
             " policy_version, outcome, error_code, error_message, is_error, result_bytes, result_sha256,"
             " decision_micros, backend_micros, request_bytes, response_bytes, roles, arguments, result, prev_hash, hash)"
             " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  } else if (strcmp(shape, "narrow") == 0) {
    run(db, NARROW);
    kind = 1;
    insert = "INSERT INTO audit_log (seq, time, head, decision, method, request_id, tool, resource, prompt, arguments,"
             " arguments_bytes, arguments_sha256, outcome, error_code, error_message, is_error, result, result_bytes,"
             " result_sha256, decision_micros, backend_micros, request_bytes, response_bytes, hash)"
             " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    for (int h = 1; h <= 16; h++) {
      char sql[512];
      snprintf(sql, sizeof sql,
               "INSERT INTO audit_head VALUES (%d, 'ci-bot', 'CI bot', 'api_key', '0b6c5a52-2f0e-4f0f-9d4a-6a3f2d8c1e%02d',"
               " 'streamable-http', 'k8s', 'allow', '[]', 'a41b9c0d2e7f1358', '[\"reader\"]')",
               h, h);
      run(db, sql);
    }
  } else if (strcmp(shape, "line") == 0) {
    run(db, LINE);
    kind = 2;
    insert = "INSERT INTO audit_log (seq, time, tool, decision, line, hash) VALUES (?,?,?,?,?,?)";
  } else if (strcmp(shape, "batch") == 0) {
    run(db, BATCH);
    kind = 3;
    insert = "INSERT INTO audit_batch VALUES (?,?,?,?,?,?)";
  } else {
    fprintf(stderr, "sqlite-row-shapes: unknown shape %s\n", shape);
    return 2;
  }
  sqlite3_stmt *ins = prepare(db, insert);
  sqlite3_stmt *tool_entry = kind == 3 ? prepare(db, "INSERT OR IGNORE INTO audit_batch_tool VALUES (?, ?)") : NULL;
  sqlite3_stmt *begin = prepare(db, "BEGIN IMMEDIATE");
  sqlite3_stmt *commit = prepare(db, "COMMIT");
  sqlite3_stmt *set_meta = prepare(db, "UPDATE audit_meta SET value = ? WHERE key = ?");
  sqlite3_stmt *set_journal = prepare(db, "INSERT INTO audit_journal (id, committed) VALUES ('bench', ?) ON CONFLICT(id) DO UPDATE SET committed = excluded.committed");

  /* The rows' texts are made before the clock starts: only SQLite's part is timed. */
  struct made *pool = malloc(POOL * sizeof *pool);
  for (int p = 0; p < POOL; p++) make(&pool[p], p + 1);
  char *lines = malloc((size_t)batch * sizeof pool[0].line);
  char *hashes = malloc((size_t)batch * 32);
  long long seq = 0, time_ms = 1795000000000LL;
  const double t0 = cpu_seconds();
  for (int b = 0; b < rows / batch; b++) {
    step(db, begin);
    size_t at = 0;
    long long first = seq + 1, tmin = time_ms + 1;
    int seen = 0; /* bit per tool in this batch */
    for (int i = 0; i < batch; i++) {
      seq++;
      time_ms += (seq % 3) == 0;
      const struct made *m = &pool[(seq - 1) % POOL];
      const char *tool = TOOLS[m->tool];
      seen |= 1 << m->tool;
      const char *args = m->args, *result = m->result, *rid = m->rid, *session = m->session, *line = m->line;
      const int an = m->an, rn = m->rn, ln = m->ln;
      if (kind == 0) {
        int k = 1;
        sqlite3_bind_int64(ins, k++, seq);
        sqlite3_bind_int64(ins, k++, time_ms);
        TEXT(ins, k++, "ci-bot");
        TEXT(ins, k++, "CI bot");
        TEXT(ins, k++, "api_key");
        TEXT(ins, k++, session);
        TEXT(ins, k++, "streamable-http");
        TEXT(ins, k++, "k8s");
        TEXT(ins, k++, "tools/call");
        TEXT(ins, k++, rid);
        TEXT(ins, k++, tool);
        sqlite3_bind_null(ins, k++);
        sqlite3_bind_null(ins, k++);
        sqlite3_bind_int(ins, k++, an);
        sqlite3_bind_null(ins, k++);
        TEXT(ins, k++, "allow");
        TEXT(ins, k++, "[]");
        TEXT(ins, k++, "a41b9c0d2e7f1358");
        TEXT(ins, k++, "ok");
        sqlite3_bind_null(ins, k++);
        sqlite3_bind_null(ins, k++);
        sqlite3_bind_int(ins, k++, 0);
        sqlite3_bind_int(ins, k++, rn);
        sqlite3_bind_null(ins, k++);
        sqlite3_bind_int(ins, k++, 41);
        sqlite3_bind_int(ins, k++, 318);
        sqlite3_bind_int(ins, k++, an + 90);
        sqlite3_bind_int(ins, k++, rn + 40);
        TEXT(ins, k++, "[\"reader\"]");
        sqlite3_bind_text(ins, k++, args, an, SQLITE_STATIC);
        sqlite3_bind_text(ins, k++, result, rn, SQLITE_STATIC);
        sqlite3_bind_text(ins, k++, HASH, 64, SQLITE_STATIC);
        sqlite3_bind_text(ins, k++, HASH, 64, SQLITE_STATIC);
        step(db, ins);
      } else if (kind == 1) {
        int k = 1;
        sqlite3_bind_int64(ins, k++, seq);
        sqlite3_bind_int64(ins, k++, time_ms);
        sqlite3_bind_int(ins, k++, (int)(seq % 16) + 1);
        TEXT(ins, k++, "allow");
        TEXT(ins, k++, "tools/call");
        TEXT(ins, k++, rid);
        TEXT(ins, k++, tool);
        sqlite3_bind_null(ins, k++);
        sqlite3_bind_null(ins, k++);
        sqlite3_bind_text(ins, k++, args, an, SQLITE_STATIC);
        sqlite3_bind_int(ins, k++, an);
        sqlite3_bind_null(ins, k++);
        TEXT(ins, k++, "ok");
        sqlite3_bind_null(ins, k++);
        sqlite3_bind_null(ins, k++);
        sqlite3_bind_int(ins, k++, 0);
        sqlite3_bind_text(ins, k++, result, rn, SQLITE_STATIC);
        sqlite3_bind_int(ins, k++, rn);
        sqlite3_bind_null(ins, k++);
        sqlite3_bind_int(ins, k++, 41);
        sqlite3_bind_int(ins, k++, 318);
        sqlite3_bind_int(ins, k++, an + 90);
        sqlite3_bind_int(ins, k++, rn + 40);
        sqlite3_bind_blob(ins, k++, HASH, 32, SQLITE_STATIC);
        step(db, ins);
      } else if (kind == 2) {
        sqlite3_bind_int64(ins, 1, seq);
        sqlite3_bind_int64(ins, 2, time_ms);
        TEXT(ins, 3, tool);
        TEXT(ins, 4, "allow");
        sqlite3_bind_text(ins, 5, line, ln, SQLITE_STATIC);
        sqlite3_bind_blob(ins, 6, HASH, 32, SQLITE_STATIC);
        step(db, ins);
      } else {
        memcpy(lines + at, line, (size_t)ln);
        at += (size_t)ln;
        lines[at++] = '\n';
        memcpy(hashes + (size_t)i * 32, HASH, 32);
      }
    }
    if (kind == 3) {
      sqlite3_bind_int64(ins, 1, first);
      sqlite3_bind_int64(ins, 2, seq);
      sqlite3_bind_int64(ins, 3, tmin);
      sqlite3_bind_int64(ins, 4, time_ms);
      sqlite3_bind_blob(ins, 5, lines, (int)at, SQLITE_STATIC);
      sqlite3_bind_blob(ins, 6, hashes, batch * 32, SQLITE_STATIC);
      step(db, ins);
      for (int t = 0; t < 4; t++) {
        if (!(seen & (1 << t))) continue;
        TEXT(tool_entry, 1, TOOLS[t]);
        sqlite3_bind_int64(tool_entry, 2, first);
        step(db, tool_entry);
      }
    }
    char head[24];
    snprintf(head, sizeof head, "%lld", seq);
    TEXT(set_meta, 1, head);
    TEXT(set_meta, 2, "head_seq");
    step(db, set_meta);
    TEXT(set_meta, 1, HASH);
    TEXT(set_meta, 2, "head_hash");
    step(db, set_meta);
    sqlite3_bind_int64(set_journal, 1, seq);
    step(db, set_journal);
    step(db, commit);
  }
  const double used = cpu_seconds() - t0;
  printf("%s %d %.3f\n", shape, batch, used / (double)seq * 1e6);
  sqlite3_stmt *all[] = {ins, tool_entry, begin, commit, set_meta, set_journal};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) sqlite3_finalize(all[i]);
  sqlite3_close(db);
  char side[4200];
  unlink(file);
  snprintf(side, sizeof side, "%s-wal", file);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", file);
  unlink(side);
  free(lines);
  free(hashes);
  free(pool);
  return 0;
}
