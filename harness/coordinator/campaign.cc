#include "harness/coordinator/campaign.h"

#include <algorithm>
#include <chrono>

#include "harness/os/interrupt.h"
#include "harness/worker/sqlite_build.h"

namespace harvey::harness {

model::Schedule CampaignSchedule(const CampaignSpec& spec, uint64_t index) {
  const uint64_t sseed = model::ScheduleSeed(spec.seed, index);
  model::GenOptions gen = spec.gen;
  gen.draw_busy_timeout = spec.policy.kind != model::PolicyKind::kOp;
  gen.draw_call_points = spec.policy.kind != model::PolicyKind::kOp;
  model::Schedule s = model::AddCrashes(
      sseed, spec.crashes, model::AddEpisodes(sseed, spec.episodes, model::Generate(sseed, gen)));
  s.config.defect = spec.defect;
  if (spec.synchronous) s.config.synchronous = *spec.synchronous;
  if (spec.journal_size_limit) s.config.journal_size_limit = *spec.journal_size_limit;
  if (spec.mmap_size) s.config.mmap_size = *spec.mmap_size;
  if (spec.checkpoint_on_close) s.config.checkpoint_on_close = *spec.checkpoint_on_close;
  if (spec.busy_timeout) s.config.busy_timeout = *spec.busy_timeout;
  if (spec.secure_delete) s.config.secure_delete = *spec.secure_delete;
  ApplySqlite(&s, spec.sqlite);  // explicit lines, so a saved finding replays on the same SQLite
  // Drawn only where a call can pause: fine-grained, on an shm build.
  if (!gen.draw_call_points || !RunsShmBuild(s)) s.config.call_points = false;
  if (spec.call_points) s.config.call_points = *spec.call_points;
  return s;
}

CampaignSpec JobSpec(const CampaignSpec& spec, uint64_t job, uint64_t jobs) {
  CampaignSpec out = spec;
  if (jobs <= 1) return out;
  const uint64_t m = spec.shard_count == 0 ? 1 : spec.shard_count;
  out.shard_index = spec.shard_index + m * job;
  out.shard_count = m * jobs;
  if (spec.count) out.count = *spec.count > job ? (*spec.count - job + jobs - 1) / jobs : 0;
  return out;
}

uint64_t CountCrashes(const model::Schedule& s, const RunResult& r) {
  uint64_t n = 0;
  for (size_t i = 0; i < r.observations.size(); ++i) {
    const model::OpKind k = s.steps[i].op.kind;
    n += k == model::OpKind::kKill || k == model::OpKind::kPowerLoss ||
         r.observations[i].rc == model::rc::kKilled;
  }
  return n;
}

CampaignResult RunCampaign(const CampaignSpec& spec, Backend& backend, const std::string& db_dir,
                           const std::function<void(const CampaignResult&)>& on_progress) {
  CampaignResult out;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (uint64_t i = 0;; ++i) {
    if (spec.count && i >= *spec.count) break;
    if (spec.time_s && elapsed() >= *spec.time_s) break;
    if ((out.interrupted = Interrupted())) break;
    const uint64_t index = CampaignIndex(spec, i);
    model::Schedule s = CampaignSchedule(spec, index);
    const RunResult r = RunSchedule(s, backend, db_dir, {}, spec.policy);
    if (r.interleaved) s.interleave = r.decisions;  // a finding replays exactly
    out.steps += static_cast<uint64_t>(r.steps_run);
    out.yields += static_cast<uint64_t>(r.yields);
    out.overlapped += static_cast<uint64_t>(r.overlapped);
    out.crashes += CountCrashes(s, r);
    for (const SqliteBuild& b : r.sqlite) {
      if (std::find(out.sqlite.begin(), out.sqlite.end(), b) == out.sqlite.end()) out.sqlite.push_back(b);
    }
    out.elapsed_s = elapsed();
    if (r.verdict == Verdict::kError) {
      if ((out.interrupted = Interrupted())) break;
      out.error = r.error;
      out.missing = r.missing;
    } else {
      out.schedules++;
    }
    if (r.verdict != Verdict::kPass) {
      out.schedule = std::move(s);
      out.schedule_index = index;
      out.schedule_seed = model::ScheduleSeed(spec.seed, index);
      out.mismatch = r.mismatch;
      break;
    }
    if (on_progress) on_progress(out);
  }
  out.elapsed_s = elapsed();
  return out;
}

}  // namespace harvey::harness
