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
//
// Deletions are directory changes, durable only once the directory is
// synced. SQLite deletes the `-wal` at the last close with
// xDelete(..., syncDir=0); the unix VFS syncs a directory only at the first
// xSync of a file it opened with SQLITE_OPEN_CREATE as a WAL or a main or
// super journal (UNIXFILE_DIRSYNC in os_unix.c), which every WAL open is.
// So a deleted F that had a durable image keeps it as F.unlinked (and its
// unsynced writes as F.unlinked-pending) until such a sync in its directory
// (NoteDirSynced); a power loss may undo the deletion (ApplyPowerLoss). A new
// F made after the deletion has no durable image then (its first sync would
// have synced the directory), so the revived F replaces it whole.
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
void NoteDeleted(const char* path, bool sync_dir);
// The directory holding `path` was synced: every deletion in it is durable.
void NoteDirSynced(const char* path);

// Turns the database at db_path, its -wal and -shm into what a power loss
// leaves: each file its durable image plus a subset of its pending writes
// chosen by `seed` (seed 0: none), each kept whole, dropped, or torn at
// `sector_size` granularity; a -wal deleted since the last directory sync
// comes back (seed 0: always; else with chance 1/2) as its durable image
// plus its own subset; the -shm removed. The result becomes the new
// durable image. Returns "" or one line saying what failed.
std::string ApplyPowerLoss(const std::string& db_path, uint64_t seed, uint32_t sector_size);

}  // namespace harvey::harness
