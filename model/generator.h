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
  // Connection settings as applications use them, drawn per schedule from
  // a stream of their own (so turning them on or off keeps a seed's ops):
  // mmap_size (0 half the time, else a few pages, below the database, or
  // 64 MiB, above it), checkpoint_on_close (on 3 times in 4) and
  // journal_size_limit (-1 half the time, else 0, a few frames, or 1 MiB:
  // the WAL is cut back to it when a writer restarts it, walLimitSize) and
  // secure_delete (the build's default 1 time in 3, else off 2 times in 4,
  // on or fast: it changes which pages spill to the WAL).
  // false: SQLite's defaults (mmap_size 0, checkpoint-on-close on, no limit,
  // the build's secure_delete).
  bool draw_settings = true;
  // Also draw busy_timeout (0 half the time, else 1..2000 ms): for
  // fine-grained campaigns, where a busy worker yields at xSleep; op-level
  // campaigns keep 0 (one worker runs at a time, so waiting only burns sleeps).
  bool draw_busy_timeout = false;
  // Also draw call_points (on 1 time in 8): for fine-grained campaigns on
  // shm-instrumented builds. Rarely, because a pause at a wal.c function
  // entry equals one at the next shared access: it shows reach (every
  // entered wal.c function holds a point) and costs points (about twice as
  // many per step, so PCT's change points are spread thinner).
  bool draw_call_points = false;
};

// The same (seed, options) gives the same schedule on every platform.
Schedule Generate(uint64_t seed, const GenOptions& options);

// The per-schedule seed a campaign with `campaign_seed` uses for its i-th
// schedule.
uint64_t ScheduleSeed(uint64_t campaign_seed, uint64_t index);

}  // namespace harvey::model
