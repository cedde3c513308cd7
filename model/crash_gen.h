// Adds crashes to a generated schedule: process kills between ops, kills
// armed at a VFS event of a worker's next op (each followed by an `open`
// that restarts the worker), and power losses. Deterministic in `seed`.
#pragma once

#include <cstdint>

#include "model/schedule.h"

namespace harvey::model {

struct CrashOptions {
  uint32_t kill_percent = 3;        // chance per step of a kill before it
  uint32_t power_loss_percent = 2;  // chance per step of a power loss before it
  bool kill_inside_ops = true;      // `kill at EVENT K` (needs a process boundary)
};

// Returns `s` with crash steps inserted. REQUIRES: Validate(s) == "".
Schedule AddCrashes(uint64_t seed, const CrashOptions& options, const Schedule& s);

}  // namespace harvey::model
