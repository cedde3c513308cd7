// Scheduling policies for fine-grained runs: who runs at each decision point
// (an op start or a VFS event where a running op pauses; see
// Schedule::interleave). A policy is a run option; the decisions it makes are
// recorded into the schedule, so a replay needs no policy. Pure: standard
// library only, deterministic in its seed (model/rng.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace harvey::model {

enum class PolicyKind { kOp, kRandom, kPct };

struct Policy {
  PolicyKind kind = PolicyKind::kOp;
  int depth = 0;  // kPct: the bug depth D (1..64)
  bool operator==(const Policy&) const = default;
};

// "op", "random" or "pct:D". Returns "" or what is wrong with `text`.
std::string ParsePolicy(std::string_view text, Policy* out);
std::string ToString(const Policy& p);  // as ParsePolicy reads it

// Chooses the worker at each decision point of one run.
class Chooser {
 public:
  virtual ~Chooser() = default;
  // REQUIRES: `eligible` is non-empty (worker indices, ascending).
  // Returns one of them.
  virtual int Choose(const std::vector<int>& eligible) = 0;
  // The worker that ran last paused at an xSleep (it waits for another
  // worker's progress, e.g. a lock or the wal-index header).
  virtual void Slept(int /*worker*/) {}
};

// `random`: uniform over the eligible workers at every point.
// `pct:D` (Burckhardt et al., ASPLOS 2010): distinct random priorities
// D..D+n-1 per worker, D-1 change points drawn uniformly over
// [1, expected_points]; the highest-priority eligible worker runs; at each
// change point the running worker's priority drops below every initial one
// (to a distinct value in 1..D-1). A worker
// that sleeps drops below every other (PCT's usual treatment of yields).
// REQUIRES: p.kind != kOp, workers >= 1, expected_points >= 1.
std::unique_ptr<Chooser> MakeChooser(const Policy& p, uint64_t seed, int workers,
                                     int64_t expected_points);

}  // namespace harvey::model
