// Copies, fills and compares that touch the wal-index, as preemption
// points: what SQLite's memcpy/memset/memcmp calls do in the
// shm-instrumented build (shm_mem.h renames them to harvey_shm_*, which
// shm_hooks.cc forwards here with SQLite's call site as `pc`).
//
// A range outside every region xShmMap returned (shm_regions.h) is handed to
// libc at once. A range inside one is done in chunks, and before each chunk
// every side of it that is in the wal-index is reported, as if it were one
// load or store of the instrumented code (shm-read at the source's offset,
// shm-write at the destination's; ReportShmAccess). Chunks end at:
//   - every 16 bytes of wal-index offset below kShmHeaderEnd (the two
//     WalIndexHdr copies and WalCkptInfo: what readers copy and compare
//     without a lock). These are where glibc's copy and compare on x86-64
//     can be split by a preemption or a kill: they move 16 bytes (SSE2) or
//     32 (AVX2, where 48 bytes go as two overlapping moves, [0,32) and
//     [16,48), so a split lands at 16 or 32). A copy split there is what an
//     OS can produce on this machine; a finer split (per field) is not.
//   - every 4096 bytes above it (the page-number and hash arrays, which
//     SQLite clears or fills in bulk only while holding the write lock or
//     during recovery: one point per 4 KiB keeps a recovery's 32 KiB copy
//     from costing 4096 points).
// memcmp stops at the first chunk that differs, as libc's does at the
// first byte: later chunks are not read and not reported.
//
// Results are libc's whatever the chunks: ShmCopy returns dst, ShmCompare
// has memcmp's sign. Overlapping source and destination are not supported
// (SQLite calls memmove for those; it is not renamed).
#pragma once

#include <cstddef>
#include <cstdint>

namespace harvey::harness {

inline constexpr int64_t kShmHeaderEnd = 136;  // 2 * sizeof(WalIndexHdr) + sizeof(WalCkptInfo)
inline constexpr int64_t kShmHeaderChunk = 16;
inline constexpr int64_t kShmBulkChunk = 4096;

void* ShmCopy(void* dst, const void* src, size_t n, const void* pc);
void* ShmFill(void* dst, int c, size_t n, const void* pc);
int ShmCompare(const void* a, const void* b, size_t n, const void* pc);

}  // namespace harvey::harness
