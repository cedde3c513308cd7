// The Schedule value: what one harvey test case is. A pure value type (no
// SQLite, no OS calls): configuration, the workers, and the ordered steps.
//
// A Schedule is printed and parsed by model/format.h; two schedules compare
// equal iff they print identically. Everything a run observes is a function of
// the schedule (and the SQLite build), so a schedule replays bit-for-bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace harvey::model {

enum class Synchronous { kOff, kNormal, kFull };
enum class BeginMode { kDeferred, kImmediate, kExclusive };
enum class CheckpointMode { kPassive, kFull, kRestart, kTruncate };
// PRAGMA secure_delete: kDefault issues none (the build's compiled default:
// Debian's, like many distributions', is on; the amalgamation's is off).
enum class SecureDelete { kDefault, kOff, kOn, kFast };

// Deliberate defects for calibration, recorded in the schedule so a finding
// replays under the same defect. kCanary breaks a model rule (readers forget
// their snapshot); kFsyncLies makes the VFS report success on xSync without
// syncing (power loss must then show lost commits); kNoLocking puts every
// worker on SQLite's `unix-none` VFS; kMixedLocking puts the second worker on
// `unix-dotfile`, the others on `unix`; kPrivateShm gives each connection a
// private copy of the wal-index (an incoherent shared-memory mapping).
enum class Defect { kNone, kCanary, kFsyncLies, kNoLocking, kMixedLocking, kPrivateShm };

// The VFS events a kill can be aimed at (same order as harness::VfsEvent;
// append only).
enum class EventKind {
  kWrite, kSync, kTruncate, kLock, kUnlock, kShmLock, kShmBarrier, kShmMap,
  kFileControl, kSleep, kRead, kFileSize, kCheckReservedLock, kFetch, kUnfetch,
  kShmRead, kShmWrite,  // loads/stores in the wal-index (shm-instrumented builds only)
  kShmUnmap,            // xShmUnmap: only a close calls it in harvey's workload (not killable)
  // The VFS's file-name methods: xOpen, xClose (io_methods), xDelete, xAccess.
  kFileOpen, kFileClose, kFileDelete, kFileAccess,
  kCall,  // the entry of a wal.c function (shm-instrumented builds only)
};

struct Config {
  uint32_t page_size = 4096;         // 512..65536, power of two
  Synchronous synchronous = Synchronous::kFull;
  uint32_t wal_autocheckpoint = 0;   // frames; 0 = off
  int32_t cache_size = 100;          // pages (positive) as in PRAGMA cache_size
  uint64_t seed = 1;                 // values, WAL salts, virtual time
  Defect defect = Defect::kNone;     // printed only when not kNone
  uint32_t sector_size = 4096;       // 512 or 4096: power-loss tearing unit
  // PRAGMA journal_size_limit in bytes; -1 = SQLite's default (no limit).
  // With a limit, the first commit after a WAL reset truncates the -wal
  // past itself, so stale frames of an older generation cannot follow it.
  int64_t journal_size_limit = -1;   // printed only when not -1
  // Connection settings as applications use them; each default is SQLite's.
  // PRAGMA mmap_size in bytes: 0 reads every page with xRead; N > 0 reads
  // the first N bytes of the database through the VFS's memory mapping.
  int64_t mmap_size = 0;             // printed only when not 0
  // The last connection to close checkpoints and deletes the -wal (SQLite's
  // default); false = SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE. A kill never does.
  bool checkpoint_on_close = true;   // printed only when false
  // PRAGMA busy_timeout in ms: 0 = no busy handler. With N > 0 a blocked
  // lock retries, sleeping through the VFS's xSleep (a preemption point in
  // fine-grained runs); op-level campaigns keep 0.
  int32_t busy_timeout = 0;          // printed only when not 0
  // PRAGMA secure_delete: freed content is overwritten with zeros (on), or
  // only where it costs no extra I/O (fast). It changes which pages a
  // transaction dirties, and so what spills to the WAL.
  SecureDelete secure_delete = SecureDelete::kDefault;  // printed only when not kDefault
  // Fine-grained runs also pause at the entry of every wal.c function
  // (`call` events, shm-instrumented builds only; harness/worker/
  // wal_functions.h). A harness setting, not SQLite's: such a pause equals
  // a pause at the next shared access, so it adds reach, not interleavings,
  // and about doubles the points per step. Off: calls are still counted
  // (`kill at call K`) but never pause.
  bool call_points = false;          // printed only when true
  bool operator==(const Config&) const = default;
};

enum class OpKind {
  kBegin,       // arg: BeginMode
  kRead,        // key
  kWrite,       // key, size (bytes, >= kMinValueSize)
  kDelete,      // key
  kScan,        // digest of the whole table
  kCommit,
  kRollback,
  kCheckpoint,  // arg: CheckpointMode
  kClose,
  kOpen,
  kKill,        // SIGKILL the worker now (between ops); `open` restarts it
  kKillAt,      // arm: kill the worker at the ordinal-th `event` of its next op
  kPowerLoss,   // every worker dies, files revert to their durable image plus
                // a subset (chosen by `seed`) of later writes, torn at
                // sector_size; then every worker reopens (recovery)
  // Savepoints and VACUUM (appended: the kinds above keep their numbers,
  // which the wire and the fuzz codec carry).
  kSavepoint,   // name: SAVEPOINT name (outside BEGIN: starts a deferred txn)
  kRelease,     // name: RELEASE name (the outermost outside BEGIN commits)
  kRollbackTo,  // name: ROLLBACK TO name (the txn and the savepoint stay)
  kVacuum,      // VACUUM (ERROR inside a transaction)
};

inline constexpr uint32_t kMinValueSize = 16;
inline constexpr uint32_t kMaxValueSize = 1u << 20;
inline constexpr int64_t kMaxKey = 1'000'000;
// A savepoint name: [a-z][a-z0-9_]{0,15} (SQLite compares names
// case-insensitively; the format admits lower case only).
inline constexpr size_t kMaxSavepointName = 16;

struct Op {
  OpKind kind = OpKind::kScan;
  int64_t key = 0;        // kRead, kWrite, kDelete
  uint32_t size = 0;      // kWrite
  BeginMode begin = BeginMode::kDeferred;            // kBegin
  CheckpointMode checkpoint = CheckpointMode::kPassive;  // kCheckpoint
  EventKind event = EventKind::kWrite;  // kKillAt
  uint32_t ordinal = 0;                 // kKillAt: 1-based
  uint64_t seed = 0;                    // kPowerLoss: which unsynced writes survive
  std::string name;                     // kSavepoint, kRelease, kRollbackTo
  bool operator==(const Op&) const = default;
};

struct Step {
  int worker = 0;  // index into Schedule::workers
  Op op;
  bool operator==(const Step&) const = default;
};

struct Worker {
  std::string name;  // e.g. "w1"; [a-z][a-z0-9_]*
  // Where this worker runs ("fork", "oci", ...; [a-z][a-z0-9_-]{0,15}), or
  // "" for the run's --boundary. Lets one schedule mix placements.
  std::string boundary;
  // Which SQLite this worker's process links: "system" (the distribution's
  // library) or a fetched version such as "3.54.1" (harness/worker/sqlite_build.h);
  // "" = the run's default (--sqlite, else "system"). Written as a
  // `sqlite w1 3.54.1` line.
  std::string sqlite;
  bool operator==(const Worker&) const = default;
};

inline constexpr int kMaxWorkers = 8;

// Metadata for corpus files: what a run on `boundary` ("fork", "inproc",
// ...) is expected to give. It does not change how the schedule runs.
enum class Expectation { kPass, kFail };
struct Expect {
  std::string boundary;  // [a-z][a-z0-9_-]{0,15}; each at most once
  Expectation verdict = Expectation::kPass;
  bool operator==(const Expect&) const = default;
};

// Interleaving decisions (fine-grained scheduling, harness/coordinator/interleave.h):
// at each decision point -- every op start and every VFS event at which a
// running op pauses -- the next decision names the worker that runs until
// its next such point: it continues its op in flight, or starts the next
// step if that is its own (steps start in file order). A decision naming a
// worker that can do neither is skipped; when they run out, running ops
// finish (oldest first) and the remaining steps run one at a time in file
// order. Power-loss steps are barriers. Empty: op-level stepping.
inline constexpr size_t kMaxDecisions = 1'000'000;

struct Schedule {
  Config config;
  std::vector<Worker> workers;
  std::vector<Step> steps;
  std::vector<Expect> expects;  // in file order
  std::vector<int> interleave;  // worker indices; see above
  bool operator==(const Schedule&) const = default;
};

const char* ToString(Synchronous s);
const char* ToString(BeginMode m);
const char* ToString(CheckpointMode m);
const char* ToString(OpKind k);
const char* ToString(SecureDelete d);  // "default", "off", "on", "fast"
const char* ToString(Defect d);     // "none", "canary", "fsync-lies"
const char* ToString(Expectation e);  // "pass", "fail"
bool ParseDefect(const std::string& name, Defect* out);  // false if unknown
const char* ToString(EventKind e);  // "write", "sync", ..., "shm-lock", ...

}  // namespace harvey::model
