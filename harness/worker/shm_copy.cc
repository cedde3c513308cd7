#include "harness/worker/shm_copy.h"

#include <algorithm>
#include <cstring>

#include "harness/worker/shm_regions.h"
#include "harness/worker/vfs_shim.h"

namespace harvey::harness {
namespace {

// Where [p, p+n) is in the wal-index: its offset, or -1 (outside, or empty).
int64_t Offset(const void* p, size_t n) {
  if (n == 0) return -1;
  return ShmOffset(reinterpret_cast<uintptr_t>(p));
}

// The wal-index offset where the chunk that holds `off` ends.
int64_t ChunkEnd(int64_t off) {
  if (off < kShmHeaderEnd) return std::min(kShmHeaderEnd, (off / kShmHeaderChunk + 1) * kShmHeaderChunk);
  return (off / kShmBulkChunk + 1) * kShmBulkChunk;
}

// One side of a copy or compare: its wal-index offset (-1: not in it) and
// whether it is written.
struct Side {
  int64_t off;
  bool write;
};

// Calls step(i, len) for consecutive chunks [i, i+len) of [0, n), reporting
// each side in the wal-index first; stops early if step returns false.
template <typename Step>
void Chunked(Side x, Side y, size_t n, const void* pc, Step step) {
  size_t i = 0;
  while (i < n) {
    size_t end = n;
    for (const Side& s : {x, y}) {
      if (s.off >= 0) end = std::min(end, static_cast<size_t>(ChunkEnd(s.off + i) - s.off));
    }
    for (const Side& s : {x, y}) {
      if (s.off >= 0) ReportShmAccess(s.write, s.off + static_cast<int64_t>(i), pc);
    }
    if (!step(i, end - i)) return;
    i = end;
  }
}

}  // namespace

void* ShmCopy(void* dst, const void* src, size_t n, const void* pc) {
  const int64_t r = Offset(src, n), w = Offset(dst, n);
  if (r < 0 && w < 0) [[likely]] return std::memcpy(dst, src, n);
  Chunked({r, false}, {w, true}, n, pc, [&](size_t i, size_t len) {
    std::memcpy(static_cast<char*>(dst) + i, static_cast<const char*>(src) + i, len);
    return true;
  });
  return dst;
}

void* ShmFill(void* dst, int c, size_t n, const void* pc) {
  const int64_t w = Offset(dst, n);
  if (w < 0) [[likely]] return std::memset(dst, c, n);
  Chunked({-1, false}, {w, true}, n, pc, [&](size_t i, size_t len) {
    std::memset(static_cast<char*>(dst) + i, c, len);
    return true;
  });
  return dst;
}

int ShmCompare(const void* a, const void* b, size_t n, const void* pc) {
  const int64_t ra = Offset(a, n), rb = Offset(b, n);
  if (ra < 0 && rb < 0) [[likely]] return std::memcmp(a, b, n);
  int result = 0;
  Chunked({ra, false}, {rb, false}, n, pc, [&](size_t i, size_t len) {
    result = std::memcmp(static_cast<const char*>(a) + i, static_cast<const char*>(b) + i, len);
    return result == 0;
  });
  return result;
}

}  // namespace harvey::harness
