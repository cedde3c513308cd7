// The callbacks of clang's SanitizerCoverage and -finstrument-functions for
// the shm-instrumented SQLite (harvey-sqlite-V-shm; cmake/HarveySqlite.cmake
// compiles only sqlite3.c with -fsanitize-coverage=trace-pc-guard,
// trace-loads,trace-stores -finstrument-functions).
// Linked only into those executables: the other builds have no
// instrumented code, and the libFuzzer build defines these symbols itself.
//
// Loads and stores: clang calls __sanitizer_cov_loadN(addr) / storeN(addr)
// before every memory access of SQLite's code. An access inside a wal-index
// region that xShmMap returned (shm_regions.h) is a preemption point, shm-read or
// shm-write with the wal-index offset as argument (vfs_shim.h); every other
// address returns after one compare. The report goes to the thread's
// VfsListener, which is harness code (not instrumented), so it cannot come
// back here (ReportShmAccess guards against it anyway).
//
// Function entries: clang calls __cyg_profile_func_enter(fn, site) at the
// entry of every SQLite function, and where a function was inlined, at the
// start of its inlined body (the calls are placed before inlining). The
// entry of a wal.c function (wal_functions.h: a lookup of fn among ~80
// addresses, after one range compare) is a preemption point, `call` with
// the function's index as argument; every other function returns there.
//
// Code entered: trace-pc-guard gives every edge of SQLite's code a guard;
// the first hit of each with reach counting on (reach.h) records its pc
// ("entered"; the report maps it to the functions, inlined ones included,
// with the line tables), then clears the guard so later hits cost one load
// and a compare.
#include <cstdint>

#include "harness/worker/reach.h"
#include "harness/worker/shm_copy.h"
#include "harness/worker/shm_regions.h"
#include "harness/worker/vfs_shim.h"
#include "harness/worker/wal_functions.h"

namespace {

[[gnu::always_inline]] inline void Access(bool write, const volatile void* addr, const void* pc) {
  const int64_t off = harvey::harness::ShmOffset(reinterpret_cast<uintptr_t>(addr));
  if (off < 0) [[likely]] return;
  harvey::harness::ReportShmAccess(write, off, pc);
}

}  // namespace

extern "C" {

void __sanitizer_cov_trace_pc_guard_init(uint32_t* start, uint32_t* stop) {
  for (uint32_t* g = start; g < stop; ++g) *g = 1;
}

void __sanitizer_cov_trace_pc_guard(uint32_t* guard) {
  if (*guard == 0 || !harvey::harness::ReachOn()) return;
  *guard = 0;
  harvey::harness::NoteEntered(__builtin_return_address(0));
}

#define HARVEY_SHM_HOOK(bits, type)                                           \
  void __sanitizer_cov_load##bits(type* addr) {                               \
    Access(false, addr, __builtin_return_address(0));                         \
  }                                                                           \
  void __sanitizer_cov_store##bits(type* addr) {                              \
    Access(true, addr, __builtin_return_address(0));                          \
  }
HARVEY_SHM_HOOK(1, uint8_t)
HARVEY_SHM_HOOK(2, uint16_t)
HARVEY_SHM_HOOK(4, uint32_t)
HARVEY_SHM_HOOK(8, uint64_t)
HARVEY_SHM_HOOK(16, __int128)
#undef HARVEY_SHM_HOOK

void __cyg_profile_func_enter(void* fn, void*) {
  const int index = harvey::harness::WalFunctionIndex(fn);
  if (index < 0) [[likely]] return;
  harvey::harness::ReportCall(index, __builtin_return_address(0));
}
void __cyg_profile_func_exit(void*, void*) {}

}  // extern "C"

// SQLite's memcpy/memset/memcmp in this build (shm_mem.h): the wal-index
// copies and compares as preemption points (shm_copy.h).
extern "C" {

void* harvey_shm_memcpy(void* dst, const void* src, size_t n) {
  return harvey::harness::ShmCopy(dst, src, n, __builtin_return_address(0));
}
void* harvey_shm_memset(void* dst, int c, size_t n) {
  return harvey::harness::ShmFill(dst, c, n, __builtin_return_address(0));
}
int harvey_shm_memcmp(const void* a, const void* b, size_t n) {
  return harvey::harness::ShmCompare(a, b, n, __builtin_return_address(0));
}

}  // extern "C"
