/*
 * The few system calls chunkwise needs that Node.js does not expose (see src/system/native.ts):
 *
 * - adviseHugePages(buffer): madvise(MADV_HUGEPAGE) over the 2 MiB-aligned interior of a buffer
 *   not yet touched. Where transparent huge pages are "madvise" (the default of many
 *   distributions), a worker's block arena is otherwise faulted in 4 KiB at a time, and on a
 *   virtual machine each fault can cost 10-20 us.
 * - writeBehind(paths, flushEveryBytes): write just-written files back to the disk and drop their
 *   pages from the page cache (sync_file_range, which does not flush the device's cache, then
 *   posix_fadvise DONTNEED), on libuv's thread pool so the calling thread never blocks; and flush
 *   the device (fdatasync) once per flushEveryBytes handed over, process-wide. A rechunk's output
 *   then reaches the disk while the rechunk runs, instead of sitting dirty in the page cache, and
 *   the pages it used are freed at once for the next files: recently freed pages are the cheap
 *   ones to take on a virtual machine whose host reclaims what the guest leaves free.
 * - writeBehindStats(): counters of the above, process-wide.
 *
 * Elsewhere than Linux these do nothing and say so (0, false).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
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

static napi_value throw_out_of_memory(napi_env env) {
  napi_throw_error(env, "ENOMEM", "writeBehind: out of memory");
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
  size_t count;
  char** paths;
} write_behind_t;

static void free_job(write_behind_t* job) {
  for (size_t i = 0; i < job->count; i++) free(job->paths[i]);
  free(job->paths);
  free(job);
}

static void write_behind_execute(napi_env env, void* data) {
  write_behind_t* job = data;
#ifdef __linux__
  int* fds = malloc(job->count * sizeof(int));
  if (fds == NULL) {
    atomic_fetch_add(&failures, job->count);
    return;
  }
  // Start every file's write-back first, so the block layer sees them together, then wait.
  for (size_t i = 0; i < job->count; i++) {
    fds[i] = open(job->paths[i], O_RDONLY | O_CLOEXEC);
    if (fds[i] >= 0) sync_file_range(fds[i], 0, 0, SYNC_FILE_RANGE_WRITE);
    else atomic_fetch_add(&failures, 1);
  }
  uint64_t bytes = 0;
  int last = -1;
  for (size_t i = 0; i < job->count; i++) {
    if (fds[i] < 0) continue;
    struct stat info;
    if (sync_file_range(fds[i], 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0 || fstat(fds[i], &info) != 0) {
      atomic_fetch_add(&failures, 1);
      close(fds[i]);
      fds[i] = -1;
      continue;
    }
    bytes += (uint64_t)info.st_size;
    last = (int)i;
  }
  uint64_t total = atomic_fetch_add(&bytes_started, bytes) + bytes;
  if (last >= 0 && job->flush_every > 0 && total - atomic_load(&flushed_at) >= job->flush_every && !atomic_flag_test_and_set(&flushing)) {
    atomic_store(&flushed_at, total);
    if (fdatasync(fds[last]) == 0) atomic_fetch_add(&flushes, 1);
    else atomic_fetch_add(&failures, 1);
    atomic_flag_clear(&flushing);
  }
  for (size_t i = 0; i < job->count; i++) {
    if (fds[i] < 0) continue;
    posix_fadvise(fds[i], 0, 0, POSIX_FADV_DONTNEED);
    close(fds[i]);
    atomic_fetch_add(&files_started, 1);
  }
  free(fds);
#endif
}

static void write_behind_complete(napi_env env, napi_status status, void* data) {
  write_behind_t* job = data;
  napi_delete_async_work(env, job->work);
  free_job(job);
}

static napi_value write_behind(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool is_array = false;
  uint32_t count = 0;
  double flush_every = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return throw_type(env, "writeBehind(paths, flushEveryBytes)");
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) return throw_type(env, "writeBehind: paths must be an array of strings");
  if (napi_get_value_double(env, argv[1], &flush_every) != napi_ok || !(flush_every >= 0)) return throw_type(env, "writeBehind: flushEveryBytes must be a number >= 0");
  napi_get_array_length(env, argv[0], &count);
  write_behind_t* job = calloc(1, sizeof(write_behind_t));
  if (job == NULL || (count > 0 && (job->paths = calloc(count, sizeof(char*))) == NULL)) {
    free(job);
    return throw_out_of_memory(env);
  }
  job->flush_every = (uint64_t)flush_every;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    size_t length = 0;
    napi_get_element(env, argv[0], i, &element);
    if (napi_get_value_string_utf8(env, element, NULL, 0, &length) != napi_ok) {
      free_job(job);
      return throw_type(env, "writeBehind: paths must be an array of strings");
    }
    job->paths[i] = malloc(length + 1);
    job->count = i + 1;
    if (job->paths[i] == NULL) {
      free_job(job);
      return throw_out_of_memory(env);
    }
    napi_get_value_string_utf8(env, element, job->paths[i], length + 1, &length);
  }
  napi_value result;
#ifdef __linux__
  napi_value name;
  napi_create_string_utf8(env, "chunkwise.writeBehind", NAPI_AUTO_LENGTH, &name);
  if (count == 0 || napi_create_async_work(env, NULL, name, write_behind_execute, write_behind_complete, job, &job->work) != napi_ok) {
    free_job(job);
    napi_get_boolean(env, count == 0, &result);
    return result;
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_async_work(env, job->work);
    free_job(job);
    napi_get_boolean(env, false, &result);
    return result;
  }
  napi_get_boolean(env, true, &result);
#else
  free_job(job);
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
