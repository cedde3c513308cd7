// The harvey VFS shim: a forwarding wrapper around SQLite's "unix" VFS (the
// leveldb EnvWrapper pattern: wrap, override little).
//
// What it adds:
//  * determinism: xRandomness draws from a harvey PRNG seeded by SeedVfs()
//    (so WAL salts replay), xCurrentTime/xCurrentTimeInt64 return virtual
//    time that advances 1 ms per call, xSleep returns at once (a yield: it is
//    reported as an event, never a real sleep);
//  * an event trace: every VFS call that matters for WAL is reported, before
//    it is forwarded, to the calling thread's VfsListener (if any);
//  * fidelity: the shim never changes which SQLite code runs. Each file gets
//    io_methods of the same version as the base VFS gave it, with a method
//    of ours exactly where the base has one (so SQLite takes the same
//    branches: version 3 enables xFetch/xUnfetch and mmap when mmap_size>0,
//    a missing xShmMap keeps WAL off, ...). Every method SQLite calls that
//    can block, do I/O or change a lock is an event; see VfsEvent.
//
// Thread-safety: RegisterHarveyVfs is idempotent and thread-safe. The
// listener is thread-local: set it before calling into SQLite on that thread.
#pragma once

#include <cstdint>

namespace harvey::harness {

inline constexpr const char* kHarveyVfsName = "harvey";

// Variants of the shim for calibration defects (model::Defect): the same
// wrapper over another base VFS, or with a private wal-index. Each is
// registered on first use by RegisterHarveyVfs(flavor).
enum class VfsFlavor : uint8_t {
  kUnix,        // "harvey" over "unix" (the default VFS)
  kNoLock,      // "harvey-none" over "unix-none" (needs locking_mode=EXCLUSIVE for WAL)
  kDotfile,     // "harvey-dotfile" over "unix-dotfile" (likewise)
  kPrivateShm,  // "harvey-private-shm": over "unix", but every connection
                // sees its own zero-filled copy of the wal-index (locks stay real)
};
const char* VfsName(VfsFlavor f);
// Registers the flavor's VFS (and "harvey" as the default). SQLite rc.
int RegisterHarveyVfs(VfsFlavor f);

// Append only: the numbering is the wire's and model::EventKind's, and a
// fine-grained run pauses at every kind below kCount (backend.h kAllEvents).
// xSectorSize, xDeviceCharacteristics and the file controls not listed at
// kFileControl are not events (no lock, no I/O on the data); neither are the
// VFS-level calls xOpen, xClose, xDelete, xAccess (see harness/README.md).
enum class VfsEvent : uint8_t {
  kWrite,        // xWrite
  kSync,         // xSync
  kTruncate,     // xTruncate
  kLock,         // xLock (arg: the lock level asked for)
  kUnlock,       // xUnlock (arg: the lock level asked for)
  kShmLock,      // xShmLock (arg: offset<<16 | n<<8 | flags)
  kShmBarrier,   // xShmBarrier
  kShmMap,       // xShmMap (arg: region index)
  kFileControl,  // xFileControl (arg: the op), only for WAL/checkpoint ops
  kSleep,        // xSleep (arg: microseconds asked for)
  kRead,         // xRead (arg: offset)
  kFileSize,     // xFileSize (arg: 0)
  kCheckReservedLock,  // xCheckReservedLock (arg: 0)
  kFetch,        // xFetch (arg: offset; the mapping is the base VFS's, or none)
  kUnfetch,      // xUnfetch (arg: offset; SQLite also calls it with 0, NULL)
  // Shared-memory accesses (only in an shm-instrumented build, e.g.
  // harvey-sqlite-3.54.1-shm; see shm_hooks.h): a load or store SQLite makes
  // inside a wal-index region that xShmMap returned. arg: the byte offset in
  // the wal-index (region * region size + offset in the region).
  kShmRead,
  kShmWrite,
  kShmUnmap,     // xShmUnmap (arg: the delete flag; 1 = the last close unlinks the -shm)
  // The methods that name or end a file: xOpen (arg: the SQLITE_OPEN_* flags;
  // role from the name), xClose (arg: 0), xDelete (arg: the sync-directory
  // flag), xAccess (arg: the SQLITE_ACCESS_* question). Not events: xSectorSize and
  // xDeviceCharacteristics (constants of the VFS), xFullPathname, xRandomness,
  // xCurrentTime, xGetLastError (no file state).
  kFileOpen,
  kFileClose,
  kFileDelete,
  kFileAccess,
  // The entry of a wal.c function (only in an shm-instrumented build:
  // -finstrument-functions; wal_functions.h). arg: the function's index in
  // the build's sorted list of wal.c functions (WalFunctionName).
  kCall,
  kCount,
};
const char* ToString(VfsEvent e);  // "write", "sync", "shm-lock", ...

// Which file an event concerns, by the suffix of its name.
enum class FileRole : uint8_t { kDb, kWal, kJournal, kOther };
const char* ToString(FileRole r);  // "db", "wal", "journal", "other"

class VfsListener {
 public:
  virtual ~VfsListener() = default;
  // Called on the thread that made the call, before the call is forwarded.
  // May block (e.g. to wait for a coordinator's go-ahead) or kill the process.
  virtual void OnEvent(VfsEvent event, FileRole role, int64_t arg) = 0;
};

// Registers the "harvey" VFS over the VFS named `base` (default "unix") and
// makes it SQLite's default VFS, so SQLite's PRNG seeds from it. Returns an
// SQLite result code. Idempotent.
int RegisterHarveyVfs(const char* base = "unix");

// Registers the shim over any registered VFS `base` (e.g. "unix-excl") as
// "harvey+BASE", not as the default; stores that name in *name. For tests
// that prove the shim presents each base's io_methods unchanged in shape.
// SQLite rc (SQLITE_NOTFOUND: no such base). Idempotent per base.
int RegisterHarveyVfsOver(const char* base, const char** name);

// Resets the PRNG behind xRandomness to `seed` and virtual time to its epoch,
// and makes SQLite re-seed its own PRNG from the VFS at its next use.
// Call before a worker opens its first connection of a schedule.
void SeedVfs(uint64_t seed);

// The VFS seed of worker `index` under schedule seed `seed`.
// `incarnation`: the worker's start in the schedule (0 first; a process
// restarted after a kill or a power loss gets a stream of its own).
uint64_t WorkerSeed(uint64_t seed, int index, uint64_t incarnation = 0);

// The listener for calls made on this thread (nullptr: none).
void SetVfsListener(VfsListener* listener);
VfsListener* GetVfsListener();

// A load (write = false) or store SQLite made at `offset` in the wal-index,
// from code at `pc` (shm_hooks.cc and shm_copy.h, shm-instrumented builds
// only): reported like any VFS event (kShmRead/kShmWrite, role kDb). A call
// made while one is being reported on this thread is dropped.
void ReportShmAccess(bool write, int64_t offset, const void* pc);
// The entry of wal.c function `index` (wal_functions.h), from its code at
// `pc` (shm_hooks.cc): reported as kCall, role kDb, the same way, except
// that reach (reach.h) counts it only while SetCallPoints(true): a call is a
// preemption point only in a run with `config call_points on` (the
// listener still gets every call, for `kill at call K`).
void ReportCall(int64_t index, const void* pc);
// Per process (default false): the current run's config call_points. Set
// by a worker at each Reset, and by the inproc backend per schedule.
void SetCallPoints(bool on);

// Fault-injection hook (per process, default false). When true, xSync reports
// success without syncing — a calibration defect: a checker that cannot tell
// this apart from an honest VFS is not testing durability. The kSync event is
// still reported.
void SetVfsFsyncLies(bool lies);

}  // namespace harvey::harness
