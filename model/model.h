// The reference model of SQLite WAL mode under op-level stepping with
// busy_timeout=0: exactly one worker runs at a time, so lock outcomes follow
// from WAL's documented rules. The model is a *set* of candidate states:
// where SQLite's internals decide (auto-checkpoint timing, whether a
// cache spill restarted the log) every possibility is kept, and each
// observation filters the set. Every such looseness is listed in
// model/README.md. Pure: standard library only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/observation.h"
#include "model/schedule.h"

namespace harvey::model {

using Table = std::map<int64_t, int64_t>;  // key -> written_at (step index)

enum class TxnState : uint8_t {
  kNone,      // autocommit
  kBegun,     // BEGIN DEFERRED ran; no snapshot yet (no b-tree transaction)
  kRead,      // holds a read snapshot
  kWrite,     // holds the WAL write lock (and a current snapshot)
};

// A read mark in commit units: the reader's snapshot end, or kSlot0 when the
// WAL was fully checkpointed at snapshot time (the reader then reads the db
// file only and holds read-lock 0, which blocks every backfill).
inline constexpr int64_t kSlot0 = -1;

// One open savepoint (SAVEPOINT name): what ROLLBACK TO restores. `view` is
// the connection's view (snapshot + own writes) when it was opened, or
// nothing when no snapshot existed yet; then the snapshot taken later is
// the view (no own write can precede a snapshot).
struct Savepoint {
  std::string name;
  std::optional<Table> view;
  auto operator<=>(const Savepoint&) const = default;
};

struct Conn {
  bool open = true;
  TxnState txn = TxnState::kNone;
  bool explicit_txn = false;   // BEGIN ran (autocommit off)
  Table view;                  // kRead/kWrite: the snapshot (+ own writes)
  int64_t snap_hdr = 0;        // wal-index header generation at snapshot
  int64_t mark = 0;            // read mark (commit units) or kSlot0
  bool dirty = false;          // kWrite: some page changed
  bool may_restart = false;    // kWrite: a spill may have restarted the log
  bool armed = false;          // `kill at`: its next op may die at an event
  std::vector<Savepoint> savepoints;  // open savepoints, oldest first
  bool savepoint_txn = false;  // the oldest savepoint began the transaction
  auto operator<=>(const Conn&) const = default;
};

// The WAL in commit units, counted monotonically across restarts (only the
// order of marks matters, so a restart need not reset the counters).
struct Wal {
  int64_t mx = 0;          // commits in the log (wal-index mxFrame)
  int64_t backfilled = 0;  // commits copied into the db file (nBackfill)
  int64_t base = 0;        // mx at the last log restart/truncate
  auto operator<=>(const Wal&) const = default;
};

struct State {
  Table committed;
  int64_t hdr = 0;      // wal-index header generation: changes on every
                        // commit that wrote frames, truncate, log restart
  Wal wal;
  int writer = -1;      // conn holding the WAL write lock, or -1
  std::vector<Conn> conns;
  // Durability: what a power loss may leave is `durable`, `committed`, or
  // any table in `lossable` (the tables after later commits, and an orphan's
  // whose frames were overwritten or cut since the last sync of the log:
  // DropOrphan in model.cc; as a set).
  // Under synchronous=FULL every acknowledged commit is durable; under
  // NORMAL a checkpoint that backfills syncs the log first.
  Table durable;
  std::vector<Table> lossable;  // sorted, unique after Dedupe
  // A commit killed after its frames reached the log but before the
  // wal-index saw them: invisible now, brought back by the next recovery
  // unless a later writer overwrote the frames.
  std::optional<Table> orphan;
  // A kill at a shm-barrier may have left the two copies of the wal-index
  // header different (torn) until a connection rewrites it (a commit, a
  // log restart, a recovery). Looseness L11 in model/README.md.
  bool maybe_torn = false;
  auto operator<=>(const State&) const = default;
};

// What the model allows for one step: a result code and, where the op
// returns data, the exact data. Checkpoint frame counts are not predicted.
struct Prediction {
  int rc = rc::kOk;
  std::optional<int64_t> value;          // kRead
  std::optional<std::vector<Row>> rows;  // kScan
  auto operator<=>(const Prediction&) const = default;
};

bool Matches(const Prediction& p, const Observation& o);
std::string Describe(OpKind kind, const Prediction& p);

struct Outcome {
  Prediction prediction;
  State next;
};

// Deliberate model defects, for proving the checker is not vacuous (tests and
// the calibration canary). Default: the real rules.
struct Rules {
  // Canary: a reader inside a transaction sees the latest commit instead of
  // its snapshot (snapshot isolation "forgotten").
  bool canary_reads_see_latest = false;
};

State InitialState(const Schedule& s);

// Ops that an armed `kill at` can interrupt (they call into SQLite); any
// other op of that worker just disarms it.
bool IsKillable(OpKind k);

// Whether any step of `s` is of kind `k`.
bool HasOp(const Schedule& s, OpKind k);

// Every (prediction, next state) the model allows for `step` (at index
// `step_index` of `s`) from `state`. Never empty.
std::vector<Outcome> Apply(const Schedule& s, const State& state,
                           int64_t step_index, const Step& step, const Rules& rules = {});

// A `close` of connection `c` whose checkpoint-on-close did not happen
// although the model's order makes it the last connection: its
// sqlite3OsLock(EXCLUSIVE) in sqlite3WalClose met a SHARED lock that another
// connection, closing, dying or failing to open at the same moment, still
// held (looseness L10, for the overlap checker only). Never empty.
std::vector<Outcome> CloseWithoutCheckpoint(const State& state, int c);

// Renumbers the counters whose absolute values carry no meaning, so equal
// situations compare equal: the header generation (only "is a snapshot's
// header the current one" matters, and a stale one never becomes current
// again) and the log positions (only their order matters).
void Canonicalize(State& st);

// Recovery (walIndexRecover) by the first connection after all closed:
// nBackfill restarts from the log start, and a killed commit whose frames
// are intact in the log (an orphan) becomes visible.
void Recover(State& st);

// The states after every worker's connection is closed (the last one
// checkpointing and deleting the log unless `checkpoint_on_close off`) and
// a fresh connection recovered the wal-index (end of schedule).
std::vector<State> CloseAll(const Schedule& s, const State& state);

}  // namespace harvey::model
