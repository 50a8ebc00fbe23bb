/*
 * warden_journal, the audit writer thread's scheduling policy (src/audit/writer-sched.ts) without
 * forking util-linux chrt from the proxy (a fork copies the process's page tables and makes its
 * next writes copy-on-write faults):
 *
 *   setThreadPolicy(tid, idle)  sched_setscheduler(tid, SCHED_IDLE or SCHED_OTHER, priority 0), as
 *                               `chrt --idle|--other --pid 0 tid` does: true on success, false when
 *                               the kernel refuses (EPERM: leaving SCHED_IDLE needs CAP_SYS_NICE or
 *                               an RLIMIT_NICE that allows the thread's nice value; ESRCH: no such
 *                               thread). `tid` is a thread id in this process's pid namespace.
 *   canLeaveIdle()              whether a thread of this one's (same user, capabilities, limits
 *                               and nice value: a new thread inherits them) may enter SCHED_IDLE
 *                               and leave it again: tried on a thread made for it, which then ends.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define NAPI_VERSION 8
#include <node_api.h>

#include "thread_sched.h"

static bool set_policy(pid_t tid, bool idle) {
  struct sched_param param = {0};
  return sched_setscheduler(tid, idle ? SCHED_IDLE : SCHED_OTHER, &param) == 0;
}

static napi_value boolean(napi_env env, bool v) {
  napi_value out;
  if (napi_get_boolean(env, v, &out) != napi_ok) return NULL;
  return out;
}

static napi_value js_set_thread_policy(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  double tid;
  bool idle;
  if (argc < 2 || napi_get_value_double(env, argv[0], &tid) != napi_ok || napi_get_value_bool(env, argv[1], &idle) != napi_ok ||
      !(tid >= 1 && tid <= 2147483647.0) || tid != (double)(int32_t)tid) {
    napi_throw_type_error(env, NULL, "setThreadPolicy(tid, idle): a thread id (a positive integer) and a boolean expected");
    return NULL;
  }
  return boolean(env, set_policy((pid_t)tid, idle));
}

/* On the thread made for the trial: into SCHED_IDLE (0: the calling thread) and out again. */
static void *trial(void *arg) {
  bool *ok = arg;
  *ok = set_policy(0, true) && set_policy(0, false);
  return NULL;
}

static napi_value js_can_leave_idle(napi_env env, napi_callback_info info) {
  (void)info;
  pthread_t thread;
  bool ok = false;
  if (pthread_create(&thread, NULL, trial, &ok) != 0) return boolean(env, false);
  pthread_join(thread, NULL);
  return boolean(env, ok);
}

bool thread_sched_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"setThreadPolicy", NULL, js_set_thread_policy, NULL, NULL, NULL, napi_enumerable, NULL},
    {"canLeaveIdle", NULL, js_can_leave_idle, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok;
}
