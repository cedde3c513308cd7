// `fork`: one worker process per schedule worker, each forked from the
// coordinator and talking over a socketpair (harness/worker/wire.h). Workers are
// persistent: they are forked on first need and reused by later schedules
// (only the database is reset); a worker that was killed is forked anew by
// its next `open` (or the next Begin). Workers get SIGKILL if the
// coordinator dies (PR_SET_PDEATHSIG), and the destructor stops and reaps
// them all.
//
// Where a worker process runs is a launcher's business (harness/boundary/launcher.h):
// forked here (`fork`), or in a namespace set, an OCI container or an sshfs
// machine, per schedule worker (`worker w2 oci`) or by default.
#pragma once

#include <sys/types.h>

#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "harness/backend/backend.h"
#include "harness/boundary/placements.h"
#include "harness/worker/wire.h"

namespace harvey::harness {

class ForkBackend : public Backend {
 public:
  // `boundary` places every worker whose schedule line names none: one
  // launcher name (harness/boundary/launcher.h), or a mix such as "fork+oci" (worker
  // i gets part i mod n). Launchers start on first use, not here.
  explicit ForkBackend(std::string boundary = "fork");
  // Every worker on `launcher` (made by the caller, e.g. harness/boundary/agent_launcher.h),
  // named `boundary`.
  ForkBackend(std::string boundary, std::unique_ptr<Launcher> launcher);
  ForkBackend(const ForkBackend&) = delete;
  ForkBackend& operator=(const ForkBackend&) = delete;
  ~ForkBackend() override;

  std::string_view name() const override { return boundary_; }
  std::string Begin(const model::Schedule& s, const std::string& db_path) override;
  model::Observation Execute(int worker, const model::Op& op, int64_t step_index,
                             const PausePolicy* pause) override;
  bool KillsInsideOps() const override { return true; }
  bool Interleaves() const override { return true; }
  Slice StartOp(int worker, const model::Op& op, int64_t step_index) override;
  Slice ResumeOp(int worker) override;
  model::Observation PowerLoss(const model::Op& op) override;
  VerifyResult Finish() override;
  std::vector<SqliteBuild> Sqlite() const override;
  Failure TakeFailure() override { return std::exchange(failure_, Failure{}); }
  void CheckWorkers(int grace_ms) override;

  // The worker's pid (for tests and crash injection), or -1. For a worker in
  // a sandbox (ns, oci, sshfs) it is the pid inside the sandbox.
  pid_t pid(int worker) const;

 private:
  struct Arm {
    model::EventKind event;
    uint32_t ordinal;
  };
  struct Proc {
    pid_t pid = -1;
    int fd = -1;
    bool killed = false;      // died because the schedule said so
    std::optional<Arm> arm;   // `kill at` waiting for the next op
    std::optional<Arm> in_flight_arm;  // fine-grained: the arm of the paused op
    Launcher* launcher = nullptr;  // where this slot's worker runs
    std::string db_path;           // the database as the worker sees it
    std::string sqlite;            // the SQLite build it must run (sqlite_build.h)
    SqliteBuild build;             // what its process reported at Reset
    // Resets of this slot in the schedule (Begin's is 0). A process started
    // again after a kill or a power loss draws fresh randomness, as a real
    // one would (SQLite's WAL salts must not repeat a dead process's).
    uint64_t incarnation = 0;
  };
  std::string Spawn(Proc& p);
  // Lets each launcher in use do its background work (Launcher::Idle);
  // called right after a request is sent to a worker, before its reply is
  // awaited.
  void Idle();
  // SIGKILL (if alive), wait, close. Returns the worker's wait status as
  // the launcher reaped it (Launcher::Kill), or Launcher::kWorkerLost.
  int Reap(Proc& p);
  // A worker that died unasked (its socket closed, or it broke the
  // protocol): reaps it and decides whose problem it is. A death by a
  // signal of its own (SIGSEGV, SIGABRT, ...: a fault in the process that
  // runs SQLite) is a finding: returns rc::kWorkerDied. Anything else — its
  // sandbox host gone, an exit code (an exec that failed, a worker that
  // gave up), a SIGKILL from outside — is harvey's: sets failure_.
  model::Observation Died(Proc& p, const std::string& what);
  // Sets failure_: "worker N (launcher) <what>: <how it ended>" (`status`
  // as Reap returned it).
  void FailEnded(const Proc& p, const std::string& what, int status);
  // Waits up to the worker limit for a message from `p`; on silence sets
  // failure_ and SIGKILLs it (*silent = true).
  std::optional<Decoder> RecvWithin(Proc& p, int timeout_ms, bool* silent);
  // Records a harness failure (the first one of a step wins).
  void Fail(std::string error, bool missing = false);
  // Spawns the worker if needed and sends Reset (which opens its
  // connection). Returns "" or what failed. With `open_rc` (a schedule's
  // `open` after a kill), a failed SQLite open is no failure: its result
  // code goes to *open_rc (0 when it opened). `closed`: the worker starts
  // with no connection (a fine-grained `open` step follows).
  // How a Reset failed: harvey's failure (also recorded in failure_), or
  // SQLite's own answer — the worker replied Failed (its open failed) or
  // crashed inside it (a signal of its own).
  enum class ResetFailure { kNone, kHarness, kSqliteFailed, kCrashed };
  std::string ResetWorker(int i, int* open_rc = nullptr, bool closed = false,
                          ResetFailure* how = nullptr);
  model::Observation Step(Proc& p, const model::Op& op, int64_t step_index,
                          const PausePolicy* pause, std::optional<Arm> arm);
  VerifyResult VerifyInAWorker();
  // Fine-grained: waits (bounded) for the paused-or-finished reply of `p`.
  Slice AwaitSlice(Proc& p);

  // Chooses each worker's launcher, stages the database and translates its
  // path per worker. Returns "" or what failed.
  std::string Place(const model::Schedule& s, const std::string& db_path);

  std::string boundary_;
  std::vector<std::string> default_placement_;  // per slot, cycled
  Placements placements_;                       // outlives procs_ teardown
  std::vector<Proc> procs_;
  int active_ = 0;  // workers in the current schedule
  std::string db_path_;
  model::Config config_;
  bool track_durability_ = false;
  Failure failure_;
};

}  // namespace harvey::harness
