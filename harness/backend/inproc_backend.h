// `inproc`: every worker's connection in this process, on this thread. The
// fastest backend (for libFuzzer); SQLite's PRNG is per process here, so it
// is seeded once per schedule rather than per worker. A `kill` closes the
// connection (what a dead process leaves behind is the same: its locks and
// its uncommitted transaction are gone); `kill at EVENT` needs a process per
// worker and is refused (KillsInsideOps() is false).
//
// Fine-grained runs (Interleaves()): each worker's ops run on its own thread
// (harness/backend/op_thread.h) with a strict hand-off, so exactly one thread runs
// SQLite at a time and the run is as deterministic as op-level stepping.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "harness/backend/backend.h"
#include "harness/backend/op_thread.h"

namespace harvey::harness {

class InprocBackend : public Backend {
 public:
  ~InprocBackend() override;
  std::string_view name() const override { return "inproc"; }
  std::string Begin(const model::Schedule& s, const std::string& db_path) override;
  model::Observation Execute(int worker, const model::Op& op, int64_t step_index,
                             const PausePolicy* pause) override;
  bool KillsInsideOps() const override { return false; }
  bool Interleaves() const override { return true; }
  Slice StartOp(int worker, const model::Op& op, int64_t step_index) override;
  Slice ResumeOp(int worker) override;
  model::Observation PowerLoss(const model::Op& op) override;
  VerifyResult Finish() override;
  std::vector<SqliteBuild> Sqlite() const override;
  Failure TakeFailure() override { return std::exchange(failure_, Failure{}); }

 private:
  std::vector<std::unique_ptr<Connection>> conns_;
  std::vector<std::unique_ptr<OpThread>> threads_;  // fine-grained: per worker, on first need
  std::string db_path_;
  model::Config config_;
  Failure failure_;  // a power loss harvey could not apply
};

}  // namespace harvey::harness
