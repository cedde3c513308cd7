// `harvey bench`: harvey's speed measured against the physical limit, on
// the same generated schedules (CampaignSchedule, as `harvey fuzz` makes
// them).
//
// The limit: each schedule's ops executed straight through SQLite in this
// process, one Connection (harness/worker/connection.h, so the same SQL,
// pragmas and VFS as a worker's) per schedule worker, all on this thread,
// in schedule order, on a fresh database each (CreateDatabase, as a run
// makes it); no model, no checking, no IPC, no end-of-run verify. Crash
// steps: `kill` closes that connection (its `open` reopens it), `kill at`
// is skipped, `power-loss` closes and reopens every connection (the files
// are not rewritten).
//
// Harvey: RunCampaign on each boundary and policy, exactly as `harvey fuzz`
// would run the same seed, count, workers and steps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/coordinator/campaign.h"

namespace harvey::harness {

struct BenchFigures {
  uint64_t schedules = 0;
  uint64_t steps = 0;
  uint64_t yields = 0;
  double elapsed_s = 0;
  // CPU seconds (user + system) of this process and of the children reaped
  // meanwhile (worker processes, sandbox tools): on a shared, loaded machine
  // wall-clock rates measure the neighbours; CPU per schedule does not.
  double cpu_s = 0;
};

// User + system CPU seconds of this process plus its reaped children so far.
double CpuSeconds();

// Runs `spec`'s schedules (spec.count of them, its shard's: CampaignIndex;
// spec.time_s is ignored) as
// the limit above, in `db_dir`. Returns "" or what failed (*out then holds
// the schedules done so far).
std::string RunLimit(const CampaignSpec& spec, const std::string& db_dir, BenchFigures* out);

}  // namespace harvey::harness
