/* The raw path's checks (raw_check.c), registered on the addon's exports by journal_map.c's init. */
#ifndef WARDEN_RAW_CHECK_H
#define WARDEN_RAW_CHECK_H
#include <stdbool.h>
#include <node_api.h>

bool raw_check_init(napi_env env, napi_value exports);

#endif
