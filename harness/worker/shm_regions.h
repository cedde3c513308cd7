// The wal-index regions xShmMap handed to SQLite in this process, for the
// shared-memory preemption points of shm-instrumented builds
// (shm_hooks.cc, linked only into harvey-sqlite-V-shm).
//
// The shim notes every region it returns from xShmMap (per file, i.e. per
// connection) and forgets a file's regions at xShmUnmap. Connections of one
// process to one database share the unix VFS's mapping, so one address may
// be noted by several files; it stays known until the last of them unmaps.
//
// ShmOffset is the hot path: the instrumented SQLite calls it before every
// load and store it makes. An address outside every region costs one
// unsigned compare against the span of all regions; inside the span, a
// scan of at most kMaxShmRegions entries.
//
// Thread-safety: Note/Forget take a mutex; ShmOffset reads atomics only (a
// region is published before SQLite gets its address, and SQLite stops
// using it before xShmUnmap returns).
#pragma once

#include <atomic>
#include <cstdint>

namespace harvey::harness {

inline constexpr int kMaxShmRegions = 64;

struct ShmRegionTable {
  std::atomic<uintptr_t> lo{0};  // span of every live region (lo == hi: none)
  std::atomic<uintptr_t> hi{0};
  std::atomic<int> n{0};
  std::atomic<uintptr_t> base[kMaxShmRegions];
  std::atomic<uintptr_t> size[kMaxShmRegions];
  std::atomic<int64_t> first_offset[kMaxShmRegions];  // region index * region size
};
extern ShmRegionTable g_shm_regions;

// `owner` (the sqlite3_file) got region `index` of `size` bytes at `base`.
void NoteShmRegion(const void* owner, int index, int size, const volatile void* base);
// `owner` unmapped its wal-index.
void ForgetShmRegions(const void* owner);

// The offset of `addr` in the wal-index, or -1 if it is in no noted region.
inline int64_t ShmOffset(uintptr_t addr) {
  const uintptr_t lo = g_shm_regions.lo.load(std::memory_order_relaxed);
  if (addr - lo >= g_shm_regions.hi.load(std::memory_order_relaxed) - lo) return -1;
  const int n = g_shm_regions.n.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i) {
    const uintptr_t b = g_shm_regions.base[i].load(std::memory_order_relaxed);
    if (addr - b < g_shm_regions.size[i].load(std::memory_order_relaxed)) {
      return g_shm_regions.first_offset[i].load(std::memory_order_relaxed) + static_cast<int64_t>(addr - b);
    }
  }
  return -1;
}

// A name for a wal-index offset ("nBackfill", "read-mark[2]", "hash table
// of region 0", ...): what `--show` prints for shm-read/shm-write. See
// walIndexHdr and WalCkptInfo in SQLite's wal.c.
const char* ShmFieldName(int64_t offset, int64_t* field_offset);

}  // namespace harvey::harness
