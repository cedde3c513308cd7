#include "harness/worker/shm_regions.h"

#include <algorithm>
#include <mutex>

namespace harvey::harness {

ShmRegionTable g_shm_regions;

namespace {

// The bookkeeping behind the published table: who noted which region.
struct Noted {
  const void* owner;
  uintptr_t base;
  uintptr_t size;
  int64_t first_offset;
};
std::mutex g_mu;
Noted g_noted[kMaxShmRegions * 2];  // guarded by g_mu
int g_n_noted = 0;                  // guarded by g_mu

// Republishes the distinct regions of g_noted. Entries are only appended or
// rewritten in place while SQLite is not using the ones that go away.
void Publish() {
  int n = 0;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  for (int i = 0; i < g_n_noted && n < kMaxShmRegions; ++i) {
    bool seen = false;
    for (int j = 0; j < n && !seen; ++j) seen = g_shm_regions.base[j].load(std::memory_order_relaxed) == g_noted[i].base;
    if (seen) continue;
    g_shm_regions.base[n].store(g_noted[i].base, std::memory_order_relaxed);
    g_shm_regions.size[n].store(g_noted[i].size, std::memory_order_relaxed);
    g_shm_regions.first_offset[n].store(g_noted[i].first_offset, std::memory_order_relaxed);
    lo = std::min(lo, g_noted[i].base);
    hi = std::max(hi, g_noted[i].base + g_noted[i].size);
    ++n;
  }
  g_shm_regions.n.store(n, std::memory_order_release);
  // Empty span when nothing is mapped: hi - lo wraps to 0 only if lo == hi.
  if (n == 0) lo = hi = 0;
  g_shm_regions.lo.store(lo, std::memory_order_relaxed);
  g_shm_regions.hi.store(hi, std::memory_order_relaxed);
}

}  // namespace

void NoteShmRegion(const void* owner, int index, int size, const volatile void* base) {
  if (base == nullptr || size <= 0) return;
  std::lock_guard lock(g_mu);
  const auto b = reinterpret_cast<uintptr_t>(const_cast<const void*>(base));
  for (int i = 0; i < g_n_noted; ++i) {
    if (g_noted[i].owner == owner && g_noted[i].base == b) return;
  }
  if (g_n_noted == static_cast<int>(sizeof g_noted / sizeof g_noted[0])) return;  // beyond: not a point
  g_noted[g_n_noted++] = Noted{owner, b, static_cast<uintptr_t>(size), static_cast<int64_t>(index) * size};
  Publish();
}

void ForgetShmRegions(const void* owner) {
  std::lock_guard lock(g_mu);
  int k = 0;
  for (int i = 0; i < g_n_noted; ++i) {
    if (g_noted[i].owner != owner) g_noted[k++] = g_noted[i];
  }
  if (k == g_n_noted) return;
  g_n_noted = k;
  Publish();
}

// Layout of the wal-index (SQLite's wal.c): two copies of WalIndexHdr
// (48 bytes each), WalCkptInfo (nBackfill, aReadMark[5], aLock[8],
// nBackfillAttempted, notUsed0), then per 32 KiB region the page-number
// array and the hash table.
const char* ShmFieldName(int64_t off, int64_t* field_offset) {
  struct Field {
    int64_t start, end;
    const char* name;
  };
  static constexpr Field kHdr[] = {
      {0, 4, "iVersion"},        {4, 8, "unused"},         {8, 12, "iChange"},
      {12, 13, "isInit"},        {13, 14, "bigEndCksum"},  {14, 16, "szPage"},
      {16, 20, "mxFrame"},       {20, 24, "nPage"},        {24, 32, "aFrameCksum"},
      {32, 40, "aSalt"},         {40, 48, "aCksum"},
  };
  static constexpr Field kCkpt[] = {
      {96, 100, "nBackfill"},   {100, 120, "aReadMark"},         {120, 128, "aLock"},
      {128, 132, "nBackfillAttempted"}, {132, 136, "notUsed0"},
  };
  static const char* const kHdrNames[2][11] = {
      {"hdr[0].iVersion", "hdr[0].unused", "hdr[0].iChange", "hdr[0].isInit", "hdr[0].bigEndCksum",
       "hdr[0].szPage", "hdr[0].mxFrame", "hdr[0].nPage", "hdr[0].aFrameCksum", "hdr[0].aSalt", "hdr[0].aCksum"},
      {"hdr[1].iVersion", "hdr[1].unused", "hdr[1].iChange", "hdr[1].isInit", "hdr[1].bigEndCksum",
       "hdr[1].szPage", "hdr[1].mxFrame", "hdr[1].nPage", "hdr[1].aFrameCksum", "hdr[1].aSalt", "hdr[1].aCksum"}};
  *field_offset = 0;
  if (off < 0) return "?";
  if (off < 96) {
    const int copy = off >= 48 ? 1 : 0;
    const int64_t o = off - 48 * copy;
    for (size_t i = 0; i < sizeof kHdr / sizeof kHdr[0]; ++i) {
      if (o >= kHdr[i].start && o < kHdr[i].end) {
        *field_offset = o - kHdr[i].start;
        return kHdrNames[copy][i];
      }
    }
  }
  for (const Field& f : kCkpt) {
    if (off >= f.start && off < f.end) {
      *field_offset = off - f.start;
      return f.name;
    }
  }
  constexpr int64_t kRegion = 32768, kPgnoBytesRegion0 = (4096 - 136 / 4) * 4;
  const int64_t in_region = off % kRegion;
  const int64_t first_pgno = off < kRegion ? 136 : 0;
  const int64_t hash_start = off < kRegion ? 136 + kPgnoBytesRegion0 : 4096 * 4;
  *field_offset = in_region < hash_start ? in_region - first_pgno : in_region - hash_start;
  return in_region < hash_start ? "aPgno" : "aHash";
}

}  // namespace harvey::harness
