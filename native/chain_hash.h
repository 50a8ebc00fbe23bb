/* The audit chain's hashes of a batch in one call (chain_hash.c), registered on the addon's exports by journal_map.c's init. */
#ifndef WARDEN_CHAIN_HASH_H
#define WARDEN_CHAIN_HASH_H
#include <stdbool.h>
#include <node_api.h>

bool chain_hash_init(napi_env env, napi_value exports);

#endif
