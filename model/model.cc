// The WAL rules behind model.h. Each rule cites the SQLite behaviour it
// encodes; the looser ones (branching) are listed in model/README.md.
#include "model/model.h"

#include <algorithm>

namespace harvey::model {
namespace {

bool HoldsSnapshot(const Conn& c) {
  return c.open && (c.txn == TxnState::kRead || c.txn == TxnState::kWrite);
}

// Another connection holds read-lock 0 (reads the db file only).
bool OthersHoldSlot0(const State& st, int self) {
  for (int i = 0; i < static_cast<int>(st.conns.size()); ++i) {
    if (i != self && HoldsSnapshot(st.conns[i]) && st.conns[i].mark == kSlot0) return true;
  }
  return false;
}

// Another connection holds one of read-locks 1..4.
bool OthersHoldSlotN(const State& st, int self) {
  for (int i = 0; i < static_cast<int>(st.conns.size()); ++i) {
    if (i != self && HoldsSnapshot(st.conns[i]) && st.conns[i].mark != kSlot0) return true;
  }
  return false;
}

// walTryBeginRead: a reader of a fully checkpointed (or empty) log takes
// read-lock 0; otherwise a read mark at the current end of the log.
void BeginSnapshot(State& st, int c) {
  Conn& conn = st.conns[c];
  conn.view = st.committed;
  conn.snap_hdr = st.hdr;
  conn.mark = st.wal.backfilled == st.wal.mx ? kSlot0 : st.wal.mx;
  conn.txn = TxnState::kRead;
  for (Savepoint& sp : conn.savepoints) {  // opened before any snapshot
    if (!sp.view) sp.view = conn.view;
  }
}

void EndTxn(State& st, int c) {
  Conn& conn = st.conns[c];
  if (st.writer == c) st.writer = -1;
  conn.txn = TxnState::kNone;
  conn.explicit_txn = false;
  conn.view.clear();
  conn.dirty = false;
  conn.may_restart = false;
  conn.savepoints.clear();  // COMMIT, ROLLBACK and close end every savepoint
  conn.savepoint_txn = false;
}

// walRestartLog: a writer whose snapshot read the db file only (read-lock 0)
// rewinds a fully backfilled, non-empty log when no reader holds 1..4.
bool RestartPossible(const State& st, int c) {
  return st.conns[c].mark == kSlot0 && st.wal.backfilled > st.wal.base &&
         !OthersHoldSlotN(st, c);
}

// A connection writes a new wal-index header (walIndexWriteHdr: both
// copies), which also ends any tear a kill left in it (L11).
void NewHeader(State& st) {
  st.hdr++;
  st.maybe_torn = false;
}

// The orphan's frames are overwritten or cut from the log by writes that
// are not synced yet (a later commit's frames under NORMAL, a cache spill,
// a TRUNCATE checkpoint's cut: walCheckpoint calls sqlite3OsTruncate and
// returns without a sync). A power loss may undo those writes and bring the
// frames back, whole, for the next recovery; so the orphan's table stays
// among what a power loss may leave (`lossable`) until the log is next
// synced, which clears that list.
void DropOrphan(State& st) {
  if (st.orphan) st.lossable.push_back(*st.orphan);
  st.orphan.reset();
}

// walCheckpoint with no busy handler. Returns the result code. A checkpoint
// that backfills syncs the log first (unless synchronous=OFF), which makes
// every commit so far durable.
int Checkpoint(const Schedule& s, State& st, int c, CheckpointMode mode) {
  bool downgraded = false;
  if (mode != CheckpointMode::kPassive && st.writer != -1) downgraded = true;
  int64_t safe = st.wal.mx;
  for (int i = 0; i < static_cast<int>(st.conns.size()); ++i) {
    const Conn& o = st.conns[i];
    if (i != c && HoldsSnapshot(o) && o.mark != kSlot0) safe = std::min(safe, o.mark);
  }
  if (st.wal.backfilled < safe && !OthersHoldSlot0(st, c)) {
    st.wal.backfilled = safe;
    // Under OFF nothing is synced, but the model holds OFF to what a user
    // expects of NORMAL: a loss found there is what OFF costs (reports say so).
    st.durable = st.committed;
    st.lossable.clear();
  }
  if (downgraded) return rc::kBusy;
  if (mode == CheckpointMode::kPassive) return rc::kOk;
  if (st.wal.backfilled < st.wal.mx) return rc::kBusy;
  if (mode == CheckpointMode::kFull) return rc::kOk;
  if (OthersHoldSlotN(st, c)) return rc::kBusy;
  if (mode == CheckpointMode::kTruncate) {  // walRestartHdr + truncate
    NewHeader(st);
    st.wal.base = st.wal.mx;
    DropOrphan(st);
  }
  return rc::kOk;
}

using Outcomes = std::vector<Outcome>;

Outcome Plain(int code, State st) { return Outcome{Prediction{code, {}, {}}, std::move(st)}; }

// A dirty commit appends one commit to the log (after a restart where one
// is due), changes the header, and may run the auto-checkpoint. `killed`:
// the op dies somewhere inside, so its auto-checkpoint (which runs after the
// commit, from the WAL hook) may not have published its backfill even when
// it is certain to run (looseness L4a in model/README.md).
Outcomes Commit(const Schedule& s, State st, int c, bool killed = false) {
  Conn& conn = st.conns[c];
  const bool dirty = conn.dirty;
  if (dirty) {
    if (RestartPossible(st, c)) st.wal.base = st.wal.mx;
    st.committed = conn.view;
    st.wal.mx++;
    NewHeader(st);
    DropOrphan(st);  // its frames are overwritten by this commit's (durably only under FULL)
    if (s.config.synchronous == Synchronous::kFull) {
      st.durable = st.committed;
      st.lossable.clear();
    } else {
      st.lossable.push_back(st.committed);
    }
  }
  EndTxn(st, c);
  const uint32_t autockpt = s.config.wal_autocheckpoint;
  if (!dirty || autockpt == 0) return {Plain(rc::kOk, std::move(st))};
  State ckpt = st;
  Checkpoint(s, ckpt, c, CheckpointMode::kPassive);
  // Whether the log holds >= autockpt frames depends on page counts the
  // model does not know, except that a dirty commit writes >= 1 frame.
  if (autockpt == 1 && !killed) return {Plain(rc::kOk, std::move(ckpt))};
  return {Plain(rc::kOk, std::move(st)), Plain(rc::kOk, std::move(ckpt))};
}

// Rolling back a write transaction: if a cache spill may have restarted the
// log, the header may have changed (looseness L2).
// A dirty rollback may also have spilled frames over an orphan (L4).
std::vector<State> Rollback(State st, int c) {
  const bool dirty = st.conns[c].txn == TxnState::kWrite && st.conns[c].dirty;
  const bool maybe_restarted = dirty && st.conns[c].may_restart;
  EndTxn(st, c);
  std::vector<State> out{st};
  if (maybe_restarted) {
    State restarted = st;
    NewHeader(restarted);
    restarted.wal.base = restarted.wal.mx;
    DropOrphan(restarted);
    out.push_back(std::move(restarted));
  }
  if (dirty && st.orphan) {
    State spilled = std::move(st);
    DropOrphan(spilled);
    out.push_back(std::move(spilled));
  }
  return out;
}

Outcomes FromStates(int code, std::vector<State> states) {
  Outcomes out;
  for (auto& st : states) out.push_back(Plain(code, std::move(st)));
  return out;
}

// Takes the write lock for `c` (walBeginWriteTransaction), starting a
// snapshot first where there is none. Returns the result code; on failure
// `st` is as SQLite leaves it (a failed first statement keeps no snapshot).
int AcquireWrite(State& st, int c) {
  Conn& conn = st.conns[c];
  if (conn.txn == TxnState::kWrite) return rc::kOk;
  if (st.writer != -1) return rc::kBusy;
  if (conn.txn == TxnState::kRead && conn.snap_hdr != st.hdr) return rc::kBusySnapshot;
  if (conn.txn != TxnState::kRead) BeginSnapshot(st, c);
  conn.txn = TxnState::kWrite;
  st.writer = c;
  return rc::kOk;
}

// write/delete: a statement in a write transaction (autocommit wraps it).
Outcomes Modify(const Schedule& s, State st, int c, int64_t step_index, const Op& op,
                bool killed) {
  const bool autocommit = !st.conns[c].explicit_txn;
  const int code = AcquireWrite(st, c);
  if (code != rc::kOk) return {Plain(code, std::move(st))};
  Conn& conn = st.conns[c];
  bool changed = true;
  if (op.kind == OpKind::kWrite) {
    conn.view[op.key] = step_index;
  } else {
    changed = conn.view.erase(op.key) > 0;
  }
  if (changed) {
    conn.dirty = true;
    if (RestartPossible(st, c)) conn.may_restart = true;
  }
  if (autocommit) return Commit(s, std::move(st), c, killed);
  return {Plain(rc::kOk, std::move(st))};
}

// read/scan: from the snapshot (starting one in an explicit transaction),
// or from the latest commit in autocommit mode.
Outcomes Query(State st, int c, const Op& op, const Rules& rules) {
  Conn& conn = st.conns[c];
  if (conn.explicit_txn && conn.txn == TxnState::kBegun) BeginSnapshot(st, c);
  const bool own_view = conn.explicit_txn && !(rules.canary_reads_see_latest && conn.txn == TxnState::kRead);
  const Table& t = own_view ? conn.view : st.committed;
  Prediction p;
  if (op.kind == OpKind::kRead) {
    auto it = t.find(op.key);
    p.value = it == t.end() ? kAbsent : it->second;
  } else {
    std::vector<Row> rows;
    for (const auto& [k, v] : t) rows.push_back(Row{k, v});
    p.rows = std::move(rows);
  }
  return {Outcome{std::move(p), std::move(st)}};
}

Outcomes Begin(State st, int c, BeginMode mode) {
  Conn& conn = st.conns[c];
  if (conn.explicit_txn) {
    // BEGIN IMMEDIATE/EXCLUSIVE runs OP_Transaction (taking the write lock)
    // before OP_AutoCommit refuses the nested BEGIN: the lock is kept.
    if (mode == BeginMode::kDeferred) return {Plain(rc::kError, std::move(st))};
    const int code = AcquireWrite(st, c);
    return {Plain(code == rc::kOk ? rc::kError : code, std::move(st))};
  }
  if (mode == BeginMode::kDeferred) {
    conn.explicit_txn = true;
    conn.txn = TxnState::kBegun;
    return {Plain(rc::kOk, std::move(st))};
  }
  // In WAL mode (normal locking) EXCLUSIVE behaves as IMMEDIATE.
  const int code = AcquireWrite(st, c);
  if (code == rc::kOk) st.conns[c].explicit_txn = true;
  return {Plain(code, std::move(st))};
}

// ---- Savepoints and VACUUM (vdbe.c OP_Savepoint, vacuum.c sqlite3RunVacuum;
// the rules are listed in model/README.md) ----

// The newest open savepoint called `name` (OP_Savepoint searches newest
// first), or -1.
int FindSavepoint(const Conn& conn, const std::string& name) {
  for (int i = static_cast<int>(conn.savepoints.size()) - 1; i >= 0; --i) {
    if (conn.savepoints[static_cast<size_t>(i)].name == name) return i;
  }
  return -1;
}

// SAVEPOINT: outside a transaction it turns autocommit off as BEGIN DEFERRED
// does (no lock, no snapshot: the statement has no OP_Transaction) and is
// the "transaction savepoint". Never fails here.
Outcomes OpenSavepoint(State st, int c, const std::string& name) {
  Conn& conn = st.conns[c];
  if (!conn.explicit_txn) {
    conn.explicit_txn = true;
    conn.txn = TxnState::kBegun;
    conn.savepoint_txn = true;
  }
  Savepoint sp{name, std::nullopt};
  if (HoldsSnapshot(conn)) sp.view = conn.view;
  conn.savepoints.push_back(std::move(sp));
  return {Plain(rc::kOk, std::move(st))};
}

// RELEASE: drops the savepoint and every newer one; releasing the
// transaction savepoint commits (as COMMIT). Unknown name: ERROR, no effect.
Outcomes ReleaseSavepoint(const Schedule& s, State st, int c, const std::string& name, bool killed) {
  Conn& conn = st.conns[c];
  const int i = FindSavepoint(conn, name);
  if (i < 0) return {Plain(rc::kError, std::move(st))};
  if (i == 0 && conn.savepoint_txn) {
    if (conn.txn == TxnState::kWrite) return Commit(s, std::move(st), c, killed);
    EndTxn(st, c);
    return {Plain(rc::kOk, std::move(st))};
  }
  conn.savepoints.resize(static_cast<size_t>(i));
  return {Plain(rc::kOk, std::move(st))};
}

// ROLLBACK TO: undoes the connection's writes back to the savepoint, drops
// the newer savepoints and keeps this one, the transaction, its locks and
// its snapshot. The pager stays in its writer state, so a transaction that
// changed a page still commits frames (sqlite3PagerCommitPhaseOne writes
// page 1 when nothing is dirty): `dirty` and `may_restart` stay.
Outcomes RollbackToSavepoint(State st, int c, const std::string& name) {
  Conn& conn = st.conns[c];
  const int i = FindSavepoint(conn, name);
  if (i < 0) return {Plain(rc::kError, std::move(st))};
  conn.savepoints.resize(static_cast<size_t>(i) + 1);
  const Savepoint& sp = conn.savepoints.back();
  if (HoldsSnapshot(conn) && sp.view) conn.view = *sp.view;
  return {Plain(rc::kOk, std::move(st))};
}

// VACUUM: ERROR inside a transaction (autocommit off); else a write
// transaction on main (sqlite3BtreeBeginTrans(pMain, 2): in WAL mode the
// WAL write lock, BUSY if another connection holds it; other readers do not
// block it) that rewrites every page and commits: the table is unchanged,
// the log grows by a commit, the header changes, the auto-checkpoint may run.
Outcomes Vacuum(const Schedule& s, State st, int c, bool killed) {
  if (st.conns[c].explicit_txn) return {Plain(rc::kError, std::move(st))};
  const int code = AcquireWrite(st, c);
  if (code != rc::kOk) return {Plain(code, std::move(st))};
  st.conns[c].dirty = true;
  if (RestartPossible(st, c)) st.conns[c].may_restart = true;
  return Commit(s, std::move(st), c, killed);
}

// ---- end of savepoints and VACUUM ----

// A connection going away without closing (a kill): its transaction rolls
// back (a process's locks and its open transaction vanish).
Outcomes Close(State st, int c) {
  std::vector<State> states = Rollback(std::move(st), c);
  for (auto& s : states) s.conns[c].open = false;
  return FromStates(rc::kOk, std::move(states));
}

// Checkpoint-on-close (sqlite3PagerClose -> sqlite3WalClose): unless the
// connection runs with SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, a closing
// connection tries an EXCLUSIVE lock on the database file. Every open
// WAL-mode connection holds SHARED from its first read on (pager_unlock
// keeps it in WAL mode), and a connection is opened with pragmas that read,
// so it gets the lock exactly when no other connection is open. Then, in
// WAL exclusive mode (no other reader can hold a mark), it runs a PASSIVE
// checkpoint, which backfills the whole log as the wal-index knows it and
// syncs, and deletes the -wal and the wal-index (no PERSIST_WAL here): a
// killed commit's frames past mxFrame (an orphan) go with the -wal. The
// next connection starts a new log. With another connection open it does
// nothing. The deletion is xDelete(..., syncDir=0), durable only when a
// later sync of a new -wal syncs the directory (os_unix.c, UNIXFILE_DIRSYNC);
// a power loss before that may bring the -wal back with the orphan's frames
// (synced by this checkpoint, or surviving unsynced), so the orphan goes as
// DropOrphan drops it: among what a power loss may leave until the log is
// next synced (looseness L6 in model/README.md).
void LastCloseCheckpoint(const Schedule& s, State& st, int c) {
  if (!s.config.checkpoint_on_close) return;
  for (int i = 0; i < static_cast<int>(st.conns.size()); ++i) {
    if (i != c && st.conns[i].open) return;
  }
  Checkpoint(s, st, c, CheckpointMode::kPassive);
  st.wal.backfilled = st.wal.mx;
  st.wal.base = st.wal.mx;
  NewHeader(st);  // (then the wal-index goes with the -shm)
  DropOrphan(st);
}

// The `close` op: a close (rollback, as a kill) then, as the last
// connection, the checkpoint-on-close.
Outcomes CloseOp(const Schedule& s, State st, int c) {
  Outcomes out = Close(std::move(st), c);
  for (Outcome& o : out) LastCloseCheckpoint(s, o.next, c);
  return out;
}

}  // namespace

std::vector<Outcome> CloseWithoutCheckpoint(const State& state, int c) { return Close(state, c); }

void Canonicalize(State& st) {
  for (Conn& c : st.conns) {
    if (HoldsSnapshot(c)) c.snap_hdr = c.snap_hdr == st.hdr ? 0 : -1;
    else c.snap_hdr = 0;
  }
  st.hdr = 0;
  std::vector<int64_t> pos{st.wal.mx, st.wal.backfilled, st.wal.base};
  for (const Conn& c : st.conns) {
    if (HoldsSnapshot(c) && c.mark != kSlot0) pos.push_back(c.mark);
  }
  std::sort(pos.begin(), pos.end());
  pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
  auto rank = [&](int64_t v) {
    return static_cast<int64_t>(std::lower_bound(pos.begin(), pos.end(), v) - pos.begin());
  };
  st.wal.mx = rank(st.wal.mx);
  st.wal.backfilled = rank(st.wal.backfilled);
  st.wal.base = rank(st.wal.base);
  for (Conn& c : st.conns) {
    if (HoldsSnapshot(c) && c.mark != kSlot0) c.mark = rank(c.mark);
    else if (!HoldsSnapshot(c)) c.mark = 0;
  }
}

void Recover(State& st) {
  st.wal.backfilled = st.wal.base;
  st.maybe_torn = false;
  if (st.orphan) {  // recovery finds the killed commit's frames intact
    st.committed = *st.orphan;
    st.orphan.reset();
    st.lossable.push_back(st.committed);
    st.wal.mx++;
    st.hdr++;
  }
}

namespace {

// The first connection to map the wal-index after all have closed rebuilds
// it from the log (walIndexRecover): nBackfill restarts from the log start.
Outcomes Open(State st, int c) {
  bool any_open = false;
  for (const Conn& o : st.conns) any_open |= o.open;
  if (!any_open) Recover(st);
  st.conns[c] = Conn{};
  return {Plain(rc::kOk, std::move(st))};
}

}  // namespace

bool Matches(const Prediction& p, const Observation& o) {
  if (p.rc != o.rc) return false;
  if (!o.recovery_problem.empty()) return false;
  if (p.value && *p.value != o.value) return false;
  if (p.rows && *p.rows != o.rows) return false;
  return true;
}

std::string Describe(OpKind kind, const Prediction& p) {
  Observation o;
  o.rc = p.rc;
  if (p.value) o.value = *p.value;
  if (p.rows) o.rows = *p.rows;
  return Describe(kind, o);
}

State InitialState(const Schedule& s) {
  State st;
  st.conns.resize(s.workers.size());
  return st;
}

namespace {

// The outcomes of an op that runs to its end (no kill), the wal-index
// header being whole (ApplyOp below adds what a torn one allows). `killed`:
// the effects an op killed inside may have reached (Killed below): a
// commit's auto-checkpoint may then have stopped before publishing its
// backfill.
Outcomes ApplyOpHeaderWhole(const Schedule& s, const State& state, int64_t step_index, const Step& step,
                            const Rules& rules, bool killed) {
  const int c = step.worker;
  const Op& op = step.op;
  const Conn& conn = state.conns[c];
  if (op.kind == OpKind::kOpen) {
    if (conn.open) return {Plain(rc::kAlreadyOpen, state)};
    return Open(state, c);
  }
  if (op.kind == OpKind::kKillAt) {
    State st = state;
    st.conns[c].armed = true;
    return {Plain(rc::kOk, std::move(st))};
  }
  if (op.kind == OpKind::kKill && !conn.open) return {Plain(rc::kOk, state)};
  if (!conn.open) return {Plain(rc::kNotOpen, state)};
  switch (op.kind) {
    case OpKind::kBegin:
      return Begin(state, c, op.begin);
    case OpKind::kRead:
    case OpKind::kScan:
      return Query(state, c, op, rules);
    case OpKind::kWrite:
    case OpKind::kDelete:
      return Modify(s, state, c, step_index, op, killed);
    case OpKind::kCommit:
      if (!conn.explicit_txn) return {Plain(rc::kError, state)};
      if (conn.txn == TxnState::kWrite) return Commit(s, state, c, killed);
      {
        State st = state;
        EndTxn(st, c);
        return {Plain(rc::kOk, std::move(st))};
      }
    case OpKind::kRollback:
      if (!conn.explicit_txn) return {Plain(rc::kError, state)};
      return FromStates(rc::kOk, Rollback(state, c));
    case OpKind::kCheckpoint: {
      // sqlite3BtreeCheckpoint: SQLITE_LOCKED inside a b-tree transaction.
      if (HoldsSnapshot(conn)) return {Plain(rc::kLocked, state)};
      State st = state;
      const int code = Checkpoint(s, st, c, op.checkpoint);
      return {Plain(code, std::move(st))};
    }
    case OpKind::kClose:
      return CloseOp(s, state, c);
    case OpKind::kKill:  // a dead process's locks go; its transaction is lost
      return Close(state, c);
    case OpKind::kSavepoint:
      return OpenSavepoint(state, c, op.name);
    case OpKind::kRelease:
      return ReleaseSavepoint(s, state, c, op.name, killed);
    case OpKind::kRollbackTo:
      return RollbackToSavepoint(state, c, op.name);
    case OpKind::kVacuum:
      return Vacuum(s, state, c, killed);
    case OpKind::kKillAt:
    case OpKind::kOpen:
    case OpKind::kPowerLoss:
      break;
  }
  return {Plain(rc::kError, state)};
}

// Whether `op` makes connection `c` read the wal-index header first: it
// holds no snapshot and begins a read transaction (walTryBeginRead), or it
// is a checkpoint (sqlite3WalCheckpoint reads the header, after taking the
// write lock unless PASSIVE).
bool ReadsHeader(const Conn& conn, const Op& op) {
  if (HoldsSnapshot(conn)) return false;
  switch (op.kind) {
    case OpKind::kRead: case OpKind::kScan: case OpKind::kWrite: case OpKind::kDelete:
    case OpKind::kVacuum: case OpKind::kCheckpoint:
      return true;
    case OpKind::kBegin:
      return op.begin != BeginMode::kDeferred;
    default:
      return false;
  }
}

// ApplyOpHeaderWhole, plus looseness L11: with the header maybe torn and the
// write lock held by another connection, a connection that reads the header
// cannot recover it (walIndexReadHdr needs the write lock for that). A read
// transaction then retries (walTryBeginRead: WAL_RETRY) and gives up with
// SQLITE_PROTOCOL after 100 tries; a checkpoint returns SQLITE_BUSY before
// it backfills anything. Nothing changes either way.
Outcomes ApplyOp(const Schedule& s, const State& state, int64_t step_index, const Step& step,
                 const Rules& rules, bool killed = false) {
  Outcomes out = ApplyOpHeaderWhole(s, state, step_index, step, rules, killed);
  const int c = step.worker;
  const Conn& conn = state.conns[c];
  // (harvey's `open` runs pragmas that read: PRAGMA journal_mode=WAL begins
  // a read transaction; the failed open leaves the worker closed.)
  const bool reads = conn.open ? ReadsHeader(conn, step.op) : step.op.kind == OpKind::kOpen;
  if (state.maybe_torn && state.writer != -1 && state.writer != c && reads) {
    out.push_back(Plain(step.op.kind == OpKind::kCheckpoint ? rc::kBusy : rc::kProtocol, state));
  }
  return out;
}

}  // namespace

bool IsKillable(OpKind k) {
  switch (k) {
    case OpKind::kBegin: case OpKind::kRead: case OpKind::kWrite: case OpKind::kDelete:
    case OpKind::kScan: case OpKind::kCommit: case OpKind::kRollback: case OpKind::kCheckpoint:
    case OpKind::kSavepoint: case OpKind::kRelease: case OpKind::kRollbackTo: case OpKind::kVacuum:
      return true;
    default:
      return false;
  }
}

bool HasOp(const Schedule& s, OpKind k) {
  for (const Step& st : s.steps) {
    if (st.op.kind == k) return true;
  }
  return false;
}

namespace {

// The event the kill armed for worker `c`'s op at `step_index` is aimed at:
// the latest `kill at` of that worker before it.
EventKind KillEvent(const Schedule& s, int64_t step_index, int c) {
  for (int64_t i = step_index - 1; i >= 0; --i) {
    const Step& st = s.steps[static_cast<size_t>(i)];
    if (st.worker == c && st.op.kind == OpKind::kKillAt) return st.op.event;
  }
  return EventKind::kWrite;
}

// The op of an armed worker died at some event: any prefix of its effects
// may have happened (nothing; all of it; a checkpoint's backfill without its
// restart; a commit's frames without the wal-index update, i.e. an orphan;
// a commit without the publication of its auto-checkpoint's backfill), then
// the process is gone. A commit that may have landed unacknowledged is
// not known durable.
Outcomes Killed(const Schedule& s, const State& state, int64_t step_index, const Step& step,
                const Rules& rules) {
  const int c = step.worker;
  std::vector<State> effects{state};
  for (Outcome& o : ApplyOp(s, state, step_index, step, rules, /*killed=*/true)) {
    State& done = o.next;
    // A commit: the table changed, or the log grew by a commit whose table
    // equals the old one (VACUUM; a write undone in the same transaction).
    if (done.committed != state.committed || done.wal.mx != state.wal.mx) {
      State orphaned = state;
      DropOrphan(orphaned);  // an older orphan's frames lie under this one's, maybe unsynced
      orphaned.orphan = done.committed;
      if (done.wal.base != state.wal.base) {
        // The commit restarted the log first (walRestartLog: a new header)
        // and died before its frames, or before the wal-index saw them.
        State restarted = state;
        restarted.hdr++;
        restarted.wal.base = done.wal.base;
        DropOrphan(restarted);
        State restarted_orphan = restarted;
        restarted_orphan.orphan = done.committed;
        effects.push_back(std::move(restarted));
        effects.push_back(std::move(restarted_orphan));
      }
      effects.push_back(std::move(orphaned));
      done.durable = state.durable;
      done.lossable = state.lossable;
      if (state.orphan) done.lossable.push_back(*state.orphan);  // (as DropOrphan: maybe not synced over)
      done.lossable.push_back(done.committed);
    }
    effects.push_back(std::move(done));
  }
  if (step.op.kind == OpKind::kCheckpoint && step.op.checkpoint != CheckpointMode::kPassive &&
      !HoldsSnapshot(state.conns[c])) {
    State partial = state;
    Checkpoint(s, partial, c, CheckpointMode::kPassive);
    effects.push_back(std::move(partial));
  }
  // A kill at a shm-barrier may fall between the two copies of the
  // wal-index header (walIndexWriteHdr: a commit's or a log restart's): the
  // next connection to read it finds them torn and recovers the wal-index
  // (walIndexRecover), as the first open after all closed does.
  if (KillEvent(s, step_index, c) == EventKind::kShmBarrier) {
    const size_t n = effects.size();
    for (size_t i = 0; i < n; ++i) {
      State torn = effects[i];
      const bool restart_only = torn.wal.base != state.wal.base && torn.wal.mx == state.wal.mx;
      const int64_t hdr = torn.hdr;
      Recover(torn);
      effects.push_back(std::move(torn));
      // The torn header was a log restart's (walRestartHdr ->
      // walIndexWriteHdr), with no frame written since: the restart is only
      // in the wal-index, and the -wal file keeps the old log until the next
      // frame write rewrites its header. Recovery then finds the old log
      // whole, un-backfilled from its start (an older orphan included), and
      // writes a header of its own (walIndexRecover zeroes iChange).
      if (restart_only) {
        State old_log = state;
        old_log.hdr = hdr;
        Recover(old_log);
        effects.push_back(std::move(old_log));
      }
      effects[i].maybe_torn = true;  // ... or nobody has recovered it yet (L11)
    }
  }
  Outcomes out;
  for (State& e : effects) {
    for (Outcome& o : Close(std::move(e), c)) {
      o.prediction = Prediction{rc::kKilled, {}, {}};
      out.push_back(std::move(o));
    }
  }
  return out;
}

// Every worker dies; the files keep their durable image plus any subset of
// later writes, so recovery finds some durable prefix of the commits (and
// maybe a killed commit's frames). Then every worker reopens; the recovery
// oracle's table must be one of those prefixes. Whether the recovered log is
// empty decides later checkpoint and reader-slot outcomes, so both are kept.
Outcomes PowerLoss(const State& state) {
  std::vector<Table> tables{state.durable, state.committed};
  for (const Table& t : state.lossable) tables.push_back(t);
  if (state.orphan) tables.push_back(*state.orphan);
  std::sort(tables.begin(), tables.end());
  tables.erase(std::unique(tables.begin(), tables.end()), tables.end());
  Outcomes out;
  for (const Table& t : tables) {
    for (int64_t log_commits : {0, 1}) {
      State n;
      n.committed = t;
      n.durable = t;
      n.conns.resize(state.conns.size());
      n.wal.mx = log_commits;
      n.hdr = state.hdr + 1;
      Prediction p;
      p.rows.emplace();
      for (const auto& [k, v] : t) p.rows->push_back(Row{k, v});
      out.push_back(Outcome{std::move(p), std::move(n)});
    }
  }
  return out;
}

}  // namespace

std::vector<Outcome> Apply(const Schedule& s, const State& state, int64_t step_index,
                           const Step& step, const Rules& rules) {
  if (step.op.kind == OpKind::kPowerLoss) return PowerLoss(state);
  const Conn& conn = state.conns[step.worker];
  if (!conn.armed || step.op.kind == OpKind::kKillAt) {
    return ApplyOp(s, state, step_index, step, rules);
  }
  State disarmed = state;
  disarmed.conns[step.worker].armed = false;
  Outcomes out = ApplyOp(s, disarmed, step_index, step, rules);
  if (conn.open && IsKillable(step.op.kind)) {
    for (Outcome& o : Killed(s, disarmed, step_index, step, rules)) out.push_back(std::move(o));
  }
  return out;
}

std::vector<State> CloseAll(const Schedule& s, const State& state) {
  std::vector<State> states{state};
  for (int c = 0; c < static_cast<int>(state.conns.size()); ++c) {
    std::vector<State> next;
    for (const State& st : states) {
      if (!st.conns[c].open) {
        next.push_back(st);
        continue;
      }
      for (Outcome& o : CloseOp(s, st, c)) next.push_back(std::move(o.next));
    }
    states = std::move(next);
  }
  for (State& st : states) Recover(st);  // the next connection rebuilds the wal-index
  return states;
}

}  // namespace harvey::model
