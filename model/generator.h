// Deterministic schedule generation from a seed (the portable Rng; no
// std::*_distribution). Swarm testing: each schedule enables a random subset
// of op kinds with random weights, mixes a hot key set with a cold one, and
// draws its config, so that campaigns cover corners a fixed mix would not.
#pragma once

#include <cstdint>

#include "model/schedule.h"

namespace harvey::model {

struct GenOptions {
  int workers = 3;   // 1..kMaxWorkers
  int steps = 40;    // >= 1
};

// The same (seed, options) gives the same schedule on every platform.
Schedule Generate(uint64_t seed, const GenOptions& options);

// The per-schedule seed a campaign with `campaign_seed` uses for its i-th
// schedule.
uint64_t ScheduleSeed(uint64_t campaign_seed, uint64_t index);

}  // namespace harvey::model
