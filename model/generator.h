// Deterministic schedule generation from a seed (the portable Rng; no
// std::*_distribution). Swarm testing: each schedule enables a random subset
// of op kinds with random weights, mixes a hot key set with a cold one,
// skews value sizes (one small row .. multi-page values), draws its config
// (wal_autocheckpoint from off to 1 frame), draws savepoint nests around
// multi-page writes (with a small cache_size: spilled before rolled back) and
// VACUUM, and casts workers in roles (an
// ordinary worker, a long-lived reader pinning a snapshot, a backup or
// replication sidecar), so that campaigns cover corners a fixed mix would not.
#pragma once

#include <cstdint>

#include "model/schedule.h"

namespace harvey::model {

struct GenOptions {
  int workers = 3;   // 1..kMaxWorkers
  int steps = 40;    // >= 1
  // With two or more workers, the chance (percent, per schedule) that one
  // worker is a backup/replication sidecar (holds a read transaction, then
  // checkpoints, on an interval), and that one is a long-lived reader that
  // pins a snapshot for many steps. At least one worker stays ordinary.
  uint32_t sidecar_percent = 30;
  uint32_t pinning_reader_percent = 30;
};

// The same (seed, options) gives the same schedule on every platform.
Schedule Generate(uint64_t seed, const GenOptions& options);

// The per-schedule seed a campaign with `campaign_seed` uses for its i-th
// schedule.
uint64_t ScheduleSeed(uint64_t campaign_seed, uint64_t index);

}  // namespace harvey::model
