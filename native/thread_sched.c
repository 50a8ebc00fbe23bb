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
 *                               and leave it again: tried by the caller, by id, on a thread made for
 *                               it that sleeps meanwhile and then ends.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

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

/*
 * The trial thread only waits: it publishes its id and sleeps until told to end. The caller moves it
 * into SCHED_IDLE and back by that id. A thread that moved itself would have to run again, under
 * SCHED_IDLE, to make its second call: on a host kept busy by other processes it waited seconds for
 * a slice (measured: up to 14 s with 8 busy processes on its core), and with it the writer's start.
 * Here the trial thread is asleep while it is idle and wakes in normal scheduling only to end.
 */
struct trial {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  pid_t tid;
  bool ready;
  bool done;
  /* Set (with done) when the caller does not join: the thread then frees this itself. */
  bool detached;
};

static void *trial(void *arg) {
  struct trial *t = arg;
  pthread_mutex_lock(&t->lock);
  t->tid = (pid_t)syscall(SYS_gettid);
  t->ready = true;
  pthread_cond_broadcast(&t->changed);
  while (!t->done) pthread_cond_wait(&t->changed, &t->lock);
  bool free_it = t->detached;
  pthread_mutex_unlock(&t->lock);
  if (free_it) {
    pthread_cond_destroy(&t->changed);
    pthread_mutex_destroy(&t->lock);
    free(t);
  }
  return NULL;
}

static napi_value js_can_leave_idle(napi_env env, napi_callback_info info) {
  (void)info;
  struct trial *t = calloc(1, sizeof *t);
  if (t == NULL) return boolean(env, false);
  pthread_mutex_init(&t->lock, NULL);
  pthread_cond_init(&t->changed, NULL);
  pthread_t thread;
  if (pthread_create(&thread, NULL, trial, t) != 0) {
    pthread_cond_destroy(&t->changed);
    pthread_mutex_destroy(&t->lock);
    free(t);
    return boolean(env, false);
  }
  pthread_mutex_lock(&t->lock);
  while (!t->ready) pthread_cond_wait(&t->changed, &t->lock);
  pid_t tid = t->tid;
  pthread_mutex_unlock(&t->lock);
  bool entered = set_policy(tid, true);
  bool ok = entered && set_policy(tid, false);
  pthread_mutex_lock(&t->lock);
  t->done = true;
  /* Left in SCHED_IDLE (not permitted to leave it): do not wait for it to get a slice to end. */
  t->detached = entered && !ok;
  bool detached = t->detached;
  pthread_cond_broadcast(&t->changed);
  pthread_mutex_unlock(&t->lock);
  if (detached) {
    pthread_detach(thread);
  } else {
    pthread_join(thread, NULL);
    pthread_cond_destroy(&t->changed);
    pthread_mutex_destroy(&t->lock);
    free(t);
  }
  return boolean(env, ok);
}

bool thread_sched_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"setThreadPolicy", NULL, js_set_thread_policy, NULL, NULL, NULL, napi_enumerable, NULL},
    {"canLeaveIdle", NULL, js_can_leave_idle, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok;
}
