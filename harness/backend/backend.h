// A backend runs a schedule's workers somewhere: all in this process
// (`inproc`) or one process each (`fork`; later namespaces, containers, a
// network share). The coordinator (harness/coordinator/runner.h) drives it one op at a
// time; every backend yields the same observations for a safe setup.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/worker/connection.h"
#include "harness/worker/sqlite_build.h"
#include "harness/worker/vfs_shim.h"
#include "model/observation.h"
#include "model/schedule.h"

namespace harvey::harness {

// A worker paused inside an op at a VFS event.
struct EventInfo {
  VfsEvent event = VfsEvent::kWrite;
  FileRole role = FileRole::kOther;
  int64_t arg = 0;
  uint64_t ordinal = 0;  // 1-based count of this event kind within the op
};

// Which events pause the running op (bit i = VfsEvent i) and what the
// coordinator does there; on_event returns the mask for the rest of the op.
struct PausePolicy {
  uint32_t mask = 0;
  std::function<uint32_t(const EventInfo&)> on_event;
};

// Fine-grained stepping: how far one slice of an op got. Either it paused
// at `event` (the worker waits inside SQLite until ResumeOp) or it finished
// with `result`; `error` is a harness failure (a worker that went silent).
struct Slice {
  bool finished = false;
  EventInfo event;
  model::Observation result;
  std::string error;
};

// Every VFS event pauses a fine-grained op.
inline constexpr uint32_t kAllEvents = (1u << static_cast<int>(VfsEvent::kCount)) - 1;
// ... except a wal.c function entry (`call`), unless the schedule says
// `config call_points on`. A call that does not pause is still counted.
inline uint32_t PauseMask(const model::Config& c) {
  return c.call_points ? kAllEvents : kAllEvents & ~(1u << static_cast<int>(VfsEvent::kCall));
}

// How long CheckWorkers waits for a worker that died outside any op to show
// it (its socket closes as the process exits), before a mismatch stands.
inline constexpr int kWorkerDeathGraceMs = 20;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;

  // Starts a schedule on the (fresh) database at db_path: one worker per
  // schedule worker, each with an open connection. Returns "" or one line
  // saying what is missing.
  virtual std::string Begin(const model::Schedule& s, const std::string& db_path) = 0;

  // Runs one op on `worker`, including `kill` (the worker's process dies;
  // `open` starts a new one) and `kill at` (arms a kill at an event of the
  // worker's next killable op, which then yields rc::kKilled if it fires).
  // A worker that dies unasked yields rc::kWorkerDied.
  virtual model::Observation Execute(int worker, const model::Op& op, int64_t step_index,
                                     const PausePolicy* pause = nullptr) = 0;

  // Why the last Execute, StartOp/ResumeOp, PowerLoss or Finish could not
  // be run or observed because harvey or its environment failed — an exec
  // that failed, a build that is not here (`missing`), a sandbox host that
  // died, a worker that exited on its own or was SIGKILLed from outside, a
  // worker silent past harvey's limit — or an empty error if nothing did.
  // Such a step's observation means nothing: the coordinator ends the run
  // with a harness error (exit 4, 3 when `missing`), never a finding.
  // Reading clears it.
  struct Failure {
    std::string error;
    bool missing = false;
  };
  virtual Failure TakeFailure() { return {}; }

  // Before a mismatch is reported: whether a worker ended outside any op
  // (its sandbox host or agent gone, or killed from outside the schedule).
  // Such a death frees its locks unseen, so another worker's op may have
  // seen what no model predicts. Waits up to `grace_ms` for a dying
  // worker's socket to close; records a Failure (TakeFailure) if one ended.
  virtual void CheckWorkers(int /*grace_ms*/) {}

  // Whether `kill at EVENT K` can be honoured (it needs a process per worker).
  virtual bool KillsInsideOps() const = 0;

  // Whether StartOp/ResumeOp work: several workers each with one op in
  // flight, paused at VFS events (harness/coordinator/interleave.h drives them).
  virtual bool Interleaves() const { return false; }

  // Starts `op` (step `step_index`) on `worker`, pausing at its first VFS
  // event (every event pauses). Ops that need no SQLite call (kill, kill at,
  // open of a killed worker, anything on a dead worker) finish at once, as
  // in Execute. An armed `kill at` fires at its event (result rc::kKilled).
  // REQUIRES: Interleaves(); no op in flight on `worker`; op is not a power loss.
  virtual Slice StartOp(int /*worker*/, const model::Op& /*op*/, int64_t /*step_index*/) {
    return Slice{.finished = true, .event = {}, .result = {}, .error = "this backend cannot interleave ops"};
  }
  // Lets `worker`'s paused op run to its next event or its end.
  // REQUIRES: Interleaves(); StartOp/ResumeOp on `worker` last returned a pause.
  virtual Slice ResumeOp(int /*worker*/) {
    return Slice{.finished = true, .event = {}, .result = {}, .error = "this backend cannot interleave ops"};
  }

  // A power loss (op.kind == kPowerLoss): every worker dies, the files become
  // what the durability tracker says survives (harness/worker/durability.h), every
  // worker reopens, and a fresh connection runs the recovery oracle. The
  // observation carries the recovered table and any recovery problem.
  virtual model::Observation PowerLoss(const model::Op& op) = 0;

  // Closes every worker's connection, then checks the database from a fresh
  // connection (run where the workers run: on fork and the sandboxes, in the
  // first live worker in schedule order, so under that worker's SQLite).
  virtual VerifyResult Finish() = 0;

  // The SQLite build each worker of the current schedule runs (as its
  // process reported it at its last start), in worker order. Valid after a
  // successful Begin.
  virtual std::vector<SqliteBuild> Sqlite() const = 0;
};

// "inproc", "fork", "ns", "oci", "oci-file", "sshfs" or a mix of the
// process boundaries ("fork+oci": worker i gets part i mod n). Cheap: no
// sandbox starts before the first Begin. Returns nullptr and sets *error for
// an unknown name.
std::unique_ptr<Backend> MakeBackend(std::string_view name, std::string* error);

// The recovery oracle's verdict as an observation (rows + problem).
model::Observation RecoveryObservation(const VerifyResult& v);

}  // namespace harvey::harness
