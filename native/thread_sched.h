/* The writer thread's scheduling calls (thread_sched.c), registered on the addon's exports by journal_map.c's init. */
#ifndef WARDEN_THREAD_SCHED_H
#define WARDEN_THREAD_SCHED_H
#include <stdbool.h>
#include <node_api.h>

bool thread_sched_init(napi_env env, napi_value exports);

#endif
