// Power-loss bookkeeping across processes. When tracking is on (a schedule
// with a power-loss step), the VFS shim of every process that writes the
// database or its log records, beside each file F:
//   F.durable  — F's content as of the last successful xSync by anyone
//                (fsync makes every earlier write durable, whoever made it);
//   F.pending  — the writes and truncates made since, in order.
// A file with no F.durable was never synced: a power loss may drop it.
// With the fsync-lies defect the shim skips the sync and this bookkeeping,
// so the writes stay pending, as they would on a lying disk.
//
// The `-shm` file is never durable (SQLite rebuilds it by recovery).
// REQUIRES (ApplyPowerLoss): no process has the database open.
#pragma once

#include <cstdint>
#include <string>

namespace harvey::harness {

// Per process; off by default.
void SetDurabilityTracking(bool on);
bool DurabilityTracking();

// Shim hooks for the database and its -wal; no-ops unless tracking.
void NoteWrite(const char* path, const void* data, int n, int64_t offset);
void NoteTruncate(const char* path, int64_t size);
void NoteSynced(const char* path);
void NoteDeleted(const char* path);

// Turns the database at db_path, its -wal and -shm into what a power loss
// leaves: each file its durable image plus a subset of its pending writes
// chosen by `seed` (seed 0: none), each kept whole, dropped, or torn at
// `sector_size` granularity; the -shm removed. The result becomes the new
// durable image. Returns "" or one line saying what failed.
std::string ApplyPowerLoss(const std::string& db_path, uint64_t seed, uint32_t sector_size);

}  // namespace harvey::harness
