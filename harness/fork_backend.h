// `fork`: one worker process per schedule worker, each forked from the
// coordinator and talking over a socketpair (harness/wire.h). Workers are
// persistent: they are forked on first need and reused by later schedules
// (only the database is reset); a worker that died is replaced at the next
// Begin. Workers get SIGKILL if the coordinator dies (PR_SET_PDEATHSIG), and
// the destructor stops and reaps them all.
#pragma once

#include <sys/types.h>

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
  VerifyResult Finish() override;

  // The worker's pid (for tests and crash injection), or -1.
  pid_t pid(int worker) const;

 private:
  struct Proc {
    pid_t pid = -1;
    int fd = -1;
  };
  std::string Spawn(Proc& p);
  void Reap(Proc& p);  // SIGKILL (if alive), wait, close
  std::vector<Proc> procs_;
  int active_ = 0;     // workers in the current schedule
};

}  // namespace harvey::harness
