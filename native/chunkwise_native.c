/*
 * The few system calls chunkwise needs that Node.js does not expose (see src/system/native.ts):
 *
 * - adviseHugePages(buffer): madvise(MADV_HUGEPAGE) over the 2 MiB-aligned interior of a buffer
 *   not yet touched. Where transparent huge pages are "madvise" (the default of many
 *   distributions), a worker's block arena is otherwise faulted in 4 KiB at a time, and on a
 *   virtual machine each fault can cost 10-20 us.
 * - writeBehind(path, flushEveryBytes): start writing a just-written file back to the disk
 *   (sync_file_range SYNC_FILE_RANGE_WRITE, which does not wait for the data nor flush the
 *   device's cache), on libuv's thread pool so the calling thread never blocks; and flush the
 *   device (fdatasync) once per flushEveryBytes handed over, process-wide. A rechunk's output then
 *   reaches the disk while the rechunk runs, instead of sitting dirty in the page cache.
 * - writeBehindStats(): counters of the above, process-wide.
 *
 * Elsewhere than Linux these do nothing and say so (0, false).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)

static _Atomic uint64_t files_started, bytes_started, flushes, failures;
/* bytes_started at the last flush: the next comes flushEveryBytes later. */
static _Atomic uint64_t flushed_at;
static atomic_flag flushing = ATOMIC_FLAG_INIT;

static napi_value throw_type(napi_env env, const char* message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static napi_value advise_huge_pages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* data = NULL;
  size_t length = 0;
  bool is_buffer = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return throw_type(env, "adviseHugePages(buffer)");
  if (napi_is_arraybuffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer) return throw_type(env, "adviseHugePages: an ArrayBuffer");
  napi_get_arraybuffer_info(env, argv[0], &data, &length);
  double advised = 0;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  uintptr_t lo = ((uintptr_t)data + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  uintptr_t hi = ((uintptr_t)data + length) & ~(HUGE_PAGE - 1);
  if (hi > lo && madvise((void*)lo, hi - lo, MADV_HUGEPAGE) == 0) advised = (double)(hi - lo);
#endif
  napi_value result;
  napi_create_double(env, advised, &result);
  return result;
}

typedef struct {
  napi_async_work work;
  uint64_t flush_every;
  char path[];
} write_behind_t;

static void write_behind_execute(napi_env env, void* data) {
  write_behind_t* job = data;
#ifdef __linux__
  int fd = open(job->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    atomic_fetch_add(&failures, 1);
    return;
  }
  struct stat info;
  if (sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) != 0 || fstat(fd, &info) != 0) {
    atomic_fetch_add(&failures, 1);
    close(fd);
    return;
  }
  atomic_fetch_add(&files_started, 1);
  uint64_t total = atomic_fetch_add(&bytes_started, (uint64_t)info.st_size) + (uint64_t)info.st_size;
  if (job->flush_every > 0 && total - atomic_load(&flushed_at) >= job->flush_every && !atomic_flag_test_and_set(&flushing)) {
    atomic_store(&flushed_at, total);
    if (fdatasync(fd) == 0) atomic_fetch_add(&flushes, 1);
    else atomic_fetch_add(&failures, 1);
    atomic_flag_clear(&flushing);
  }
  close(fd);
#endif
}

static void write_behind_complete(napi_env env, napi_status status, void* data) {
  write_behind_t* job = data;
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value write_behind(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  size_t length = 0;
  double flush_every = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return throw_type(env, "writeBehind(path, flushEveryBytes)");
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &length) != napi_ok) return throw_type(env, "writeBehind: path must be a string");
  if (napi_get_value_double(env, argv[1], &flush_every) != napi_ok || !(flush_every >= 0)) return throw_type(env, "writeBehind: flushEveryBytes must be a number >= 0");
  napi_value result;
#ifdef __linux__
  write_behind_t* job = malloc(sizeof(write_behind_t) + length + 1);
  if (job == NULL) {
    napi_get_boolean(env, false, &result);
    return result;
  }
  napi_get_value_string_utf8(env, argv[0], job->path, length + 1, &length);
  job->flush_every = (uint64_t)flush_every;
  napi_value name;
  napi_create_string_utf8(env, "chunkwise.writeBehind", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, write_behind_execute, write_behind_complete, job, &job->work) != napi_ok) {
    free(job);
    napi_get_boolean(env, false, &result);
    return result;
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_async_work(env, job->work);
    free(job);
    napi_get_boolean(env, false, &result);
    return result;
  }
  napi_get_boolean(env, true, &result);
#else
  napi_get_boolean(env, false, &result);
#endif
  return result;
}

static void set_number(napi_env env, napi_value object, const char* key, uint64_t value) {
  napi_value number;
  napi_create_double(env, (double)value, &number);
  napi_set_named_property(env, object, key, number);
}

static napi_value write_behind_stats(napi_env env, napi_callback_info info) {
  napi_value result;
  napi_create_object(env, &result);
  set_number(env, result, "files", atomic_load(&files_started));
  set_number(env, result, "bytes", atomic_load(&bytes_started));
  set_number(env, result, "flushes", atomic_load(&flushes));
  set_number(env, result, "failures", atomic_load(&failures));
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"adviseHugePages", NULL, advise_huge_pages, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeBehind", NULL, write_behind, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeBehindStats", NULL, write_behind_stats, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}
