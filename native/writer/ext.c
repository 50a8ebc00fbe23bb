/*
 * Native audit writer: the SQLite extension entry point. db.loadExtension(addon,
 * 'sqlite3_wardenwriter_init') on the writer thread's better-sqlite3 connection calls it with that
 * connection and the host library's own sqlite3_api_routines: the documented way to call the SQLite
 * copy inside better_sqlite3.node (never a second copy). writerOpen, next on the same thread, takes
 * both. SQLite dlopens the addon (already loaded by require(): the same image) RTLD_GLOBAL, hence
 * -fvisibility=hidden for everything but this function and napi_register_module_v1.
 */
#include <stdio.h>

#include "writer.h"

SQLITE_EXTENSION_INIT1

/* Set by the entry point on the thread that called db.loadExtension, taken by writerOpen. */
static __thread sqlite3 *ext_db;
static __thread const sqlite3_api_routines *ext_api;

__attribute__((visibility("default"))) int sqlite3_wardenwriter_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  (void)err;
  ext_db = db;
  ext_api = api;
  return SQLITE_OK;
}

bool take_extension(sqlite3 **db, char *why, size_t why_len) {
  if (ext_db == NULL || ext_api == NULL) {
    snprintf(why, why_len, "writerOpen: no connection handed over by db.loadExtension on this thread");
    return false;
  }
  /* The host's SQLite must be the one whose sqlite3.h we were compiled against. */
  if (ext_api->libversion_number() != SQLITE_VERSION_NUMBER || strcmp(ext_api->sourceid(), SQLITE_SOURCE_ID) != 0) {
    snprintf(why, why_len, "writerOpen: better-sqlite3's SQLite is %s, the addon was built against %s (rebuild it)", ext_api->libversion(), SQLITE_VERSION);
    ext_db = NULL;
    return false;
  }
  sqlite3_api = ext_api;
  *db = ext_db;
  ext_db = NULL;
  return true;
}
