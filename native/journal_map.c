/*
 * warden_journal: maps audit journal segments shared into memory (Linux).
 *
 * A store into a MAP_SHARED mapping of a file lands in the kernel's page cache at once, so it
 * survives SIGKILL of the process exactly as a completed write() does, without a system call per
 * record. JavaScript gets the mapping as an ArrayBuffer: every access from JS is bounds-checked by
 * the engine, and unmap() detaches the buffer (every view becomes empty) before the memory is
 * unmapped, so a JS bug raises or writes nothing; it can never reach outside the mapping.
 *
 *   map(path, bytes)              creates `path` (exclusive, mode 0600), allocates `bytes` of disk
 *                                 for it (zero-filled: a full disk fails here, not with SIGBUS on a
 *                                 later store) and returns it mapped read-write, shared.
 *   prefault(buffer, off, len)    faults pages of a mapping in for writing (MADV_POPULATE_WRITE) on
 *                                 a thread of Node's pool, off the JS thread (a page costs the
 *                                 kernel microseconds: allocation, zeroing, the filesystem's
 *                                 page_mkwrite); false when the kernel cannot (then nothing runs).
 *   remap(buffer, path)           creates and allocates `path` as map() does, the size of the
 *                                 buffer's mapping, and moves a shared mapping of it onto the
 *                                 buffer's memory in place of the previous file (mremap: atomic;
 *                                 on a failure the previous file stays mapped). The buffer is not
 *                                 detached: the first detach of a process makes V8 recompile every
 *                                 optimized function that reads typed arrays, and its code keeps
 *                                 a detach check on every typed array access from then on.
 *   unmap(buffer)                 detaches the buffer and unmaps it (once no prefault is running on
 *                                 it); a mapping never unmapped is unmapped when its memory is
 *                                 released: when the last buffer using it (the buffer, or one it was
 *                                 moved to by transfer()) is garbage-collected.
 *   lock(path, create = true)     opens `path` (created 0600 if missing, unless `create` is false:
 *                                 then a missing file throws ENOENT) and takes an exclusive flock(2)
 *                                 on it without waiting: a handle, or null when another process
 *                                 holds it, or when `path` is not a regular file (a FIFO opens
 *                                 without blocking, and is never held). The kernel releases the
 *                                 lock when the holder dies, whatever its pid namespace.
 *   probe(path)                   whether `path`'s flock is held, without holding it past the call
 *                                 and without creating the file: "missing", "held" (exclusively: a
 *                                 writer or an importer), or "free" (not held, or only by other
 *                                 probes: it takes a shared lock for a moment, which an exclusive
 *                                 lock excludes, and which lock() can tell from a writer's); "held"
 *                                 for what is not a regular file.
 *   unlock(handle)                releases it (closes the file); a handle never unlocked is
 *                                 released when it is garbage-collected or the process exits.
 *   rawRequest, rawAnswer         the audit's raw path checks in one native pass: raw_check.c.
 *   setThreadPolicy, canLeaveIdle the writer thread's SCHED_IDLE without forking chrt: thread_sched.c.
 *   chainHashes                   the audit chain's hashes of a batch in one call: chain_hash.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAPI_VERSION 8
#include <node_api.h>

/* The raw path's checks (raw_check.c), when built beside it (binding.gyp); a copy of this file
 * compiled alone (test/audit-old-addon.test.ts builds one) has none: the JavaScript scans run.
 * The same for the writer thread's scheduling calls (thread_sched.c; without them: chrt) and the
 * chain's hashes (chain_hash.c; without them: node:crypto). */
#if defined(__has_include)
#if __has_include("raw_check.h")
#include "raw_check.h"
#define WITH_RAW_CHECK 1
#endif
#if __has_include("thread_sched.h")
#include "thread_sched.h"
#define WITH_THREAD_SCHED 1
#endif
#if __has_include("chain_hash.h")
#include "chain_hash.h"
#define WITH_CHAIN_HASH 1
#endif
#endif

/* Marks the ArrayBuffers this addon mapped (random; any value unique to this addon). */
static const napi_type_tag MAPPING_TAG = {0x7a3c5e91d2b84f06ULL, 0xc41e9b2f6a0d8357ULL};
/* Marks the lock handles lock() returns. */
static const napi_type_tag LOCK_TAG = {0x1d6f0b93a47e2c58ULL, 0x95c2e07b3f18ad64ULL};

/* Largest segment we map: far above any journal line (payloads are capped), far below address space. */
#define MAX_MAP_BYTES ((size_t)1 << 30)

struct mapping {
  void *addr;
  size_t bytes;
  /* Prefaults queued or running on it (JS thread only). */
  int prefaults;
  /* To be unmapped once no prefault runs (unmap() or the memory released while prefaults ran). */
  bool unmap_wanted;
  bool unmapped;
  /* V8 released the memory (no buffer uses it any more): freed once no prefault runs. */
  bool released;
};

/* Unmaps when wanted and no prefault runs; frees once released too. Returns true when freed. */
static bool mapping_settle(struct mapping *m) {
  if (m->prefaults > 0) return false;
  if (m->unmap_wanted && !m->unmapped) {
    munmap(m->addr, m->bytes);
    m->unmapped = true;
  }
  if (!m->released) return false;
  free(m);
  return true;
}

/* Set (by a pool thread) once the kernel refused MADV_POPULATE_WRITE. */
static int populate_unsupported;

static const char *errno_code(int err) {
  switch (err) {
    case ENOSPC: return "ENOSPC";
    case EDQUOT: return "EDQUOT";
    case EEXIST: return "EEXIST";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case ENODEV: return "ENODEV";
    case EROFS: return "EROFS";
    case EMFILE: return "EMFILE";
    case EFBIG: return "EFBIG";
    case EIO: return "EIO";
    case ENOLCK: return "ENOLCK";
    case ELOOP: return "ELOOP";
    default: return "EIO";
  }
}

/* Throws an Error with `code` set to the errno's name; returns NULL for the caller to return. */
static napi_value throw_errno(napi_env env, const char *what, const char *path, int err) {
  char message[512];
  snprintf(message, sizeof message, "audit journal: %s %s: %s", what, path, strerror(err));
  napi_throw_error(env, errno_code(err), message);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* Reads a path argument into `path` (sizeof 4096); false (with a TypeError thrown) when it is not a usable path. */
static bool path_arg(napi_env env, napi_value value, char path[4096], const char *who) {
  char message[128];
  size_t path_len = 0;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  if (type != napi_string) {
    snprintf(message, sizeof message, "%s: path must be a string", who);
    throw_type(env, message);
    return false;
  }
  if (napi_get_value_string_utf8(env, value, path, 4096, &path_len) != napi_ok) return false;
  if (path_len == 0 || path_len >= 4096 - 1 || strlen(path) != path_len) {
    snprintf(message, sizeof message, "%s: path is empty, too long or holds a NUL", who);
    throw_type(env, message);
    return false;
  }
  return true;
}

/*
 * The external memory's finalizer: V8 released it, no buffer uses it any more. That is when the
 * last buffer holding it is collected: the mapped one, or another it was moved to by transfer()
 * (the detached original may be collected first: its memory lives on in the new buffer).
 */
static void mapping_released(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  struct mapping *m = hint;
  m->released = true;
  m->unmap_wanted = true;
  mapping_settle(m);
}

static size_t page_bytes(void) {
  long page = sysconf(_SC_PAGESIZE);
  return page > 0 ? (size_t)page : 4096;
}

static napi_value js_map(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_type(env, "map(path, bytes): two arguments expected");

  char path[4096];
  if (!path_arg(env, argv[0], path, "map")) return NULL;
  napi_valuetype type;

  double requested;
  if (napi_typeof(env, argv[1], &type) != napi_ok || type != napi_number) return throw_type(env, "map: bytes must be a number");
  if (napi_get_value_double(env, argv[1], &requested) != napi_ok) return NULL;
  size_t page = page_bytes();
  if (!(requested >= (double)page && requested <= (double)MAX_MAP_BYTES) || requested != (double)(size_t)requested || (size_t)requested % page != 0)
    return throw_type(env, "map: bytes must be a whole number of pages between one page and 1 GiB");
  size_t bytes = (size_t)requested;

  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return throw_errno(env, "open", path, errno);
  /* Allocated, not sparse: a store into a hole of a full disk would kill the process with SIGBUS. */
  int err = posix_fallocate(fd, 0, (off_t)bytes);
  if (err != 0) {
    close(fd);
    unlink(path);
    return throw_errno(env, "allocate", path, err);
  }
  void *addr = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  err = errno;
  close(fd); /* the mapping keeps the file */
  if (addr == MAP_FAILED) {
    unlink(path);
    return throw_errno(env, "mmap", path, err);
  }

  struct mapping *m = calloc(1, sizeof *m);
  if (m == NULL) {
    munmap(addr, bytes);
    unlink(path);
    return throw_errno(env, "map", path, ENOMEM);
  }
  m->addr = addr;
  m->bytes = bytes;
  napi_value buffer;
  /* Unmapped by mapping_released when V8 releases the memory, whichever buffer holds it last. */
  if (napi_create_external_arraybuffer(env, addr, bytes, mapping_released, m, &buffer) != napi_ok) {
    munmap(addr, bytes);
    free(m);
    unlink(path);
    return NULL;
  }
  /* Tagged as ours: napi_wrap's slot is shared by every addon, so mapping_of checks the tag first.
   * The wrap only finds m: the memory's finalizer, not the buffer's, owns it. */
  if (napi_type_tag_object(env, buffer, &MAPPING_TAG) != napi_ok || napi_wrap(env, buffer, m, NULL, NULL, NULL) != napi_ok) {
    napi_detach_arraybuffer(env, buffer); /* mapping_released unmaps and frees */
    unlink(path);
    return NULL;
  }
  return buffer;
}

/*
 * The mapping behind `value`, or NULL after throwing (not a live mapping of ours). A detached
 * buffer is refused before its mapping is used: its memory was moved to another buffer by
 * transfer() (and may be released, its mapping freed, once that one is collected).
 */
static struct mapping *mapping_of(napi_env env, napi_value value, const char *fn) {
  bool is_buffer = false;
  struct mapping *m = NULL;
  bool ours = false;
  bool detached = false;
  char message[160];
  if (napi_is_arraybuffer(env, value, &is_buffer) != napi_ok || !is_buffer ||
      napi_check_object_type_tag(env, value, &MAPPING_TAG, &ours) != napi_ok || !ours ||
      napi_unwrap(env, value, (void **)&m) != napi_ok || m == NULL) {
    snprintf(message, sizeof message, "%s: not a mapped journal segment (or already unmapped)", fn);
    throw_type(env, message);
    return NULL;
  }
  if (napi_is_detached_arraybuffer(env, value, &detached) != napi_ok) return NULL;
  if (detached) {
    snprintf(message, sizeof message, "%s: the buffer is already detached (its memory was transferred); the segment stays mapped while that buffer lives", fn);
    napi_throw_error(env, NULL, message);
    return NULL;
  }
  return m;
}

struct prefault_work {
  napi_async_work work;
  /* Keeps the buffer (and so the mapping) alive until the work completes. */
  napi_ref buffer;
  struct mapping *m;
  size_t start;
  size_t length;
};

/* On a pool thread: touches only the mapping, which stays mapped until prefault_done. */
static void prefault_run(napi_env env, void *data) {
  (void)env;
  struct prefault_work *w = data;
#ifdef MADV_POPULATE_WRITE
  char *from = (char *)w->m->addr + w->start;
  if (madvise(from, w->length, MADV_POPULATE_WRITE) != 0) {
    if (errno == EINVAL) __atomic_store_n(&populate_unsupported, 1, __ATOMIC_RELAXED);
    return;
  }
  /* Populated pages can still make the first store to each one slow: measured on a KVM guest, a
     page populated this way took its first store 7-18 µs later (no fault counted: the hardware's
     dirty-bit update trapping to the hypervisor), once per page on the proxy's thread, ~1 µs a call.
     A store here takes that cost on this pool thread instead. An atomic OR of zero: it changes no
     byte, so a line the JS thread writes into the same page meanwhile is never overwritten. */
  size_t page = page_bytes();
  for (size_t at = 0; at < w->length; at += page) __atomic_fetch_or((unsigned char *)from + at, 0, __ATOMIC_RELAXED);
#else
  __atomic_store_n(&populate_unsupported, 1, __ATOMIC_RELAXED);
#endif
}

/* Back on the JS thread. */
static void prefault_done(napi_env env, napi_status status, void *data) {
  (void)status;
  struct prefault_work *w = data;
  w->m->prefaults--;
  mapping_settle(w->m);
  napi_delete_reference(env, w->buffer);
  napi_delete_async_work(env, w->work);
  free(w);
}

static napi_value js_prefault(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) return throw_type(env, "prefault(buffer, offset, length): three arguments expected");
  struct mapping *m = mapping_of(env, argv[0], "prefault");
  if (m == NULL) return NULL;
  double offset, length;
  if (napi_get_value_double(env, argv[1], &offset) != napi_ok || napi_get_value_double(env, argv[2], &length) != napi_ok)
    return throw_type(env, "prefault: offset and length must be numbers");
  if (!(offset >= 0 && length >= 0 && offset <= (double)m->bytes && length <= (double)m->bytes - offset))
    return throw_type(env, "prefault: range outside the mapping");
  size_t page = page_bytes();
  size_t start = (size_t)offset / page * page;
  size_t end = (size_t)(offset + length);
  bool queued = false;
  if (end > start && !__atomic_load_n(&populate_unsupported, __ATOMIC_RELAXED)) {
    struct prefault_work *w = calloc(1, sizeof *w);
    napi_value name;
    if (w == NULL) return throw_errno(env, "prefault", "", ENOMEM);
    w->m = m;
    w->start = start;
    w->length = end - start;
    if (napi_create_reference(env, argv[0], 1, &w->buffer) != napi_ok) {
      free(w);
      return NULL;
    }
    if (napi_create_string_utf8(env, "warden_journal.prefault", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_create_async_work(env, NULL, name, prefault_run, prefault_done, w, &w->work) != napi_ok) {
      napi_delete_reference(env, w->buffer);
      free(w);
      return NULL;
    }
    if (napi_queue_async_work(env, w->work) != napi_ok) {
      napi_delete_async_work(env, w->work);
      napi_delete_reference(env, w->buffer);
      free(w);
      return NULL;
    }
    m->prefaults++;
    queued = true;
  }
  napi_value result;
  napi_get_boolean(env, queued || end <= start, &result);
  return result;
}

static napi_value js_remap(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) return throw_type(env, "remap(buffer, path): two arguments expected");
  struct mapping *m = mapping_of(env, argv[0], "remap");
  if (m == NULL) return NULL;
  char path[4096];
  if (!path_arg(env, argv[1], path, "remap")) return NULL;

  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return throw_errno(env, "open", path, errno);
  int err = posix_fallocate(fd, 0, (off_t)m->bytes);
  if (err != 0) {
    close(fd);
    unlink(path);
    return throw_errno(env, "allocate", path, err);
  }
  void *fresh = mmap(NULL, m->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  err = errno;
  close(fd);
  if (fresh == MAP_FAILED) {
    unlink(path);
    return throw_errno(env, "mmap", path, err);
  }
  /* Replaces the previous file's mapping at m->addr in one step; a failure leaves both as they were. */
  void *moved = mremap(fresh, m->bytes, m->bytes, MREMAP_MAYMOVE | MREMAP_FIXED, m->addr);
  if (moved == MAP_FAILED) {
    err = errno;
    munmap(fresh, m->bytes);
    unlink(path);
    return throw_errno(env, "mremap", path, err);
  }
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

static napi_value js_unmap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return throw_type(env, "unmap(buffer): one argument expected");
  /* Detached already, yet ours (refused by mapping_of): its memory was moved to another buffer
   * (ArrayBuffer.prototype.transfer), which still uses it. Unmapping would leave that buffer on
   * unmapped pages: it stays mapped until that buffer is collected. */
  if (mapping_of(env, argv[0], "unmap") == NULL) return NULL;
  struct mapping *m = NULL;
  if (napi_remove_wrap(env, argv[0], (void **)&m) != napi_ok || m == NULL) return NULL;
  /* Every view of the buffer becomes empty before the memory goes away. The memory's finalizer may
   * run once it is detached: m is held meanwhile (as by a prefault) so that it is freed only below. */
  m->prefaults++;
  napi_status detach = napi_detach_arraybuffer(env, argv[0]);
  m->prefaults--;
  if (detach != napi_ok) {
    /* Not detachable: keep the memory mapped (leaked) rather than leave views onto unmapped pages. */
    napi_throw_error(env, NULL, "unmap: the buffer could not be detached; the segment stays mapped");
    return NULL;
  }
  /* Unmapped now, or by the last prefault to complete; freed once V8 releases the memory. */
  m->unmap_wanted = true;
  mapping_settle(m);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

/* Whether fd is a regular file (a lock file is; anything else under its name is left alone). */
static bool regular_file(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

struct lock_handle {
  int fd; /* -1 once unlocked */
};

static void lock_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  struct lock_handle *h = data;
  if (h->fd >= 0) close(h->fd);
  free(h);
}

static napi_value js_lock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return throw_type(env, "lock(path, create): a path expected");
  char path[4096];
  if (!path_arg(env, argv[0], path, "lock")) return NULL;
  bool create = true;
  if (argc >= 2) {
    napi_valuetype type;
    if (napi_typeof(env, argv[1], &type) != napi_ok) return NULL;
    if (type == napi_boolean) {
      if (napi_get_value_bool(env, argv[1], &create) != napi_ok) return NULL;
    } else if (type != napi_undefined) {
      return throw_type(env, "lock: create must be a boolean");
    }
  }
  /* O_NONBLOCK: a FIFO planted under the name must not block the open. */
  int fd = open(path, O_RDWR | (create ? O_CREAT : 0) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  if (fd < 0) return throw_errno(env, "open lock", path, errno);
  if (!regular_file(fd)) {
    /* Not a lock file of ours (a FIFO, a device, a directory): never held, so never claimed. */
    close(fd);
    napi_value null_value;
    napi_get_null(env, &null_value);
    return null_value;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) {
      napi_value null_value;
      napi_get_null(env, &null_value);
      return null_value;
    }
    return throw_errno(env, "flock", path, err);
  }
  struct lock_handle *h = malloc(sizeof *h);
  if (h == NULL) {
    close(fd);
    return throw_errno(env, "lock", path, ENOMEM);
  }
  h->fd = fd;
  napi_value handle;
  if (napi_create_external(env, h, lock_finalize, NULL, &handle) != napi_ok) {
    close(fd);
    free(h);
    return NULL;
  }
  if (napi_type_tag_object(env, handle, &LOCK_TAG) != napi_ok) return NULL;
  return handle;
}

static napi_value js_probe(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return throw_type(env, "probe(path): one argument expected");
  char path[4096];
  if (!path_arg(env, argv[0], path, "probe")) return NULL;
  const char *state;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) return throw_errno(env, "open lock", path, errno);
    state = "missing";
  } else if (!regular_file(fd)) {
    close(fd);
    state = "held"; /* not a lock file of ours: left alone, as a live writer's */
  } else if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    if (err != EWOULDBLOCK) return throw_errno(env, "flock", path, err);
    state = "held";
  } else {
    close(fd); /* closing releases the shared lock */
    state = "free";
  }
  napi_value result;
  if (napi_create_string_utf8(env, state, NAPI_AUTO_LENGTH, &result) != napi_ok) return NULL;
  return result;
}

static napi_value js_unlock(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return throw_type(env, "unlock(handle): one argument expected");
  napi_valuetype type;
  bool ours = false;
  if (napi_typeof(env, argv[0], &type) != napi_ok) return NULL;
  if (type == napi_external && napi_check_object_type_tag(env, argv[0], &LOCK_TAG, &ours) != napi_ok) return NULL;
  if (!ours) return throw_type(env, "unlock: not a handle returned by lock()");
  struct lock_handle *h = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&h) != napi_ok || h == NULL) return NULL;
  if (h->fd >= 0) {
    close(h->fd);
    h->fd = -1;
  }
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"map", NULL, js_map, NULL, NULL, NULL, napi_enumerable, NULL},
    {"prefault", NULL, js_prefault, NULL, NULL, NULL, napi_enumerable, NULL},
    {"remap", NULL, js_remap, NULL, NULL, NULL, napi_enumerable, NULL},
    {"unmap", NULL, js_unmap, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lock", NULL, js_lock, NULL, NULL, NULL, napi_enumerable, NULL},
    {"unlock", NULL, js_unlock, NULL, NULL, NULL, napi_enumerable, NULL},
    {"probe", NULL, js_probe, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
#ifdef WITH_RAW_CHECK
  if (!raw_check_init(env, exports)) return NULL;
#endif
#ifdef WITH_THREAD_SCHED
  if (!thread_sched_init(env, exports)) return NULL;
#endif
#ifdef WITH_CHAIN_HASH
  if (!chain_hash_init(env, exports)) return NULL;
#endif
  napi_value page;
  if (napi_create_uint32(env, (uint32_t)page_bytes(), &page) != napi_ok || napi_set_named_property(env, exports, "pageBytes", page) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
