// `fork`: one worker process per schedule worker, each forked from the
// coordinator and talking over a socketpair (harness/wire.h). Workers are
// persistent: they are forked on first need and reused by later schedules
// (only the database is reset); a worker that was killed is forked anew by
// its next `open` (or the next Begin). Workers get SIGKILL if the
// coordinator dies (PR_SET_PDEATHSIG), and the destructor stops and reaps
// them all.
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

#include "harness/backend.h"

namespace harvey::harness {

class ForkBackend : public Backend {
 public:
  ForkBackend() = default;
  ForkBackend(const ForkBackend&) = delete;
  ForkBackend& operator=(const ForkBackend&) = delete;
  ~ForkBackend() override;

  std::string_view name() const override { return "fork"; }
  std::string Begin(const model::Schedule& s, const std::string& db_path) override;
  model::Observation Execute(int worker, const model::Op& op, int64_t step_index,
                             const PausePolicy* pause) override;
  bool KillsInsideOps() const override { return true; }
  model::Observation PowerLoss(const model::Op& op) override;
  VerifyResult Finish() override;

  // The worker's pid (for tests and crash injection), or -1.
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
  };
  std::string Spawn(Proc& p);
  void Reap(Proc& p);  // SIGKILL (if alive), wait, close
  // Spawns the worker if needed and sends Reset (which opens its
  // connection). Returns "" or what failed.
  std::string ResetWorker(int i);
  model::Observation Step(Proc& p, const model::Op& op, int64_t step_index,
                          const PausePolicy* pause, std::optional<Arm> arm);
  VerifyResult VerifyInAWorker();

  std::vector<Proc> procs_;
  int active_ = 0;  // workers in the current schedule
  std::string db_path_;
  model::Config config_;
  bool track_durability_ = false;
};

}  // namespace harvey::harness
