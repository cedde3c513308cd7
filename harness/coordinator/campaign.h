// A fuzz campaign: the i-th schedule of a campaign seed (generated, WAL
// episodes and crashes added, defect and synchronous pinned), run one after another on a backend
// until a mismatch, a harness error, the budget, or an interrupt.
// Used by `harvey fuzz` and `harvey selftest`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/backend/backend.h"
#include "harness/coordinator/runner.h"
#include "model/crash_gen.h"
#include "model/episodes.h"
#include "model/generator.h"
#include "model/policy.h"
#include "model/schedule.h"

namespace harvey::harness {

struct CampaignSpec {
  uint64_t seed = 1;
  std::optional<uint64_t> count;  // schedules; at least one of count/time_s
  std::optional<double> time_s;
  model::GenOptions gen;
  model::EpisodeOptions episodes;  // WAL-internals bursts (model/episodes.h)
  model::CrashOptions crashes;
  model::Defect defect = model::Defect::kNone;
  std::optional<model::Synchronous> synchronous;  // unset: drawn per schedule
  std::optional<int64_t> journal_size_limit;      // config journal_size_limit; unset: drawn
  // Connection settings (model::Config): unset = drawn per schedule by the
  // generator; busy_timeout is drawn only under a fine-grained policy (op: 0).
  std::optional<int64_t> mmap_size;
  std::optional<bool> checkpoint_on_close;
  std::optional<int32_t> busy_timeout;
  std::optional<model::SecureDelete> secure_delete;
  // config call_points; unset: drawn per schedule under a fine-grained
  // policy when a worker runs an shm-instrumented build, else off.
  std::optional<bool> call_points;
  std::string sqlite;  // every worker's SQLite build ("" = system; a mix a+b: harness/worker/sqlite_build.h)
  model::Policy policy;  // fine-grained: a failing schedule keeps its decisions
  // Shard `shard_index` of `shard_count` (0-based): runs the campaign's
  // schedules shard_index, shard_index + shard_count, ... so N shards with
  // count C each run exactly the schedules 0 .. N*C-1 of the unsharded
  // campaign, each once (CampaignIndex).
  uint64_t shard_index = 0;
  uint64_t shard_count = 1;
};

// The campaign index of the `i`-th schedule this spec's shard runs.
inline uint64_t CampaignIndex(const CampaignSpec& spec, uint64_t i) {
  return spec.shard_index + i * (spec.shard_count == 0 ? 1 : spec.shard_count);
}

// Job `job` (0-based) of `jobs` processes that run `spec` together (`harvey
// fuzz --jobs`, `harvey bench --jobs`): the composite shard shard_index +
// shard_count * job of shard_count * jobs, and its share of spec.count, so
// the jobs together run exactly the schedules `spec` runs alone, each once.
// With count C, `spec` runs its shard's positions 0 .. C-1; position p is job
// p mod jobs's position p / jobs, so job j runs ceil((C - j) / jobs) of them
// (0 when j >= C: that job has nothing to run). time_s is kept (each job
// gets the whole budget).
CampaignSpec JobSpec(const CampaignSpec& spec, uint64_t job, uint64_t jobs);

struct CampaignResult {
  uint64_t schedules = 0;  // run to a verdict
  uint64_t steps = 0;
  uint64_t crashes = 0;    // kills between ops, kills that fired, power losses
  uint64_t yields = 0;     // fine-grained preemption points
  uint64_t overlapped = 0; // fine-grained: steps that overlapped another op
  double elapsed_s = 0;
  bool interrupted = false;
  // The first mismatch, or the schedule a harness error stopped at.
  std::optional<model::Schedule> schedule;
  uint64_t schedule_index = 0;
  uint64_t schedule_seed = 0;
  std::optional<model::Mismatch> mismatch;
  std::string error;  // non-empty: a harness error stopped the campaign
  bool missing = false;  // that error is a missing piece (RunResult::missing: exit 3)
  std::vector<SqliteBuild> sqlite;  // every SQLite build the runs used (distinct)
};

// The `index`-th schedule of the campaign (deterministic).
model::Schedule CampaignSchedule(const CampaignSpec& spec, uint64_t index);

// Crash states a run explored (see CampaignResult::crashes).
uint64_t CountCrashes(const model::Schedule& s, const RunResult& r);

// Runs the campaign; `on_progress` (may be empty) is called after each schedule.
CampaignResult RunCampaign(const CampaignSpec& spec, Backend& backend, const std::string& db_dir,
                           const std::function<void(const CampaignResult&)>& on_progress = {});

}  // namespace harvey::harness
