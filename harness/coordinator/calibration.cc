#include "harness/coordinator/calibration.h"

#include <algorithm>
#include <cstdio>

#include "harness/coordinator/campaign.h"
#include "harness/os/scratch.h"
#include "harness/coordinator/shrinker.h"
#include "model/format.h"

namespace harvey::harness {

std::vector<CalibrationClass> CalibrationClasses() {
  using model::Defect;
  std::vector<CalibrationClass> c = {
      {"no-locking", "every process on SQLite's unix-none VFS: no file or shm locks at all",
       "use the default unix VFS; never unix-none with more than one process", Defect::kNoLocking},
      {"mixed-locking", "one process locks with POSIX locks (unix), another with dot-files (unix-dotfile)",
       "every process must use the same VFS and locking protocol", Defect::kMixedLocking},
      {"fsync-lies", "the storage acknowledges fsync without making data durable, then power fails",
       "use storage that honours fsync (no lying write caches, no nobarrier mounts)", Defect::kFsyncLies,
       "fork", std::nullopt, 0, 15},
      {"sync-off", "PRAGMA synchronous=OFF, then power fails",
       "PRAGMA synchronous=FULL (or NORMAL, accepting the loss of the last commits)", Defect::kNone,
       "fork", model::Synchronous::kOff, 0, 15},
      {"private-wal-index", "each process sees its own copy of the -shm wal-index (VM shared folders, incoherent mounts)",
       "keep the database on a local filesystem where the -shm mapping is shared", Defect::kPrivateShm},
      {"network-share", "two hosts reach the database over a network filesystem (sshfs)",
       "keep the database on local storage; SQLite WAL does not work over a network filesystem",
       Defect::kNone, "sshfs"},
      {"single-file-mount", "only the database file is bind-mounted into each container, so each has its own -wal/-shm",
       "mount the directory that holds the database, not the file", Defect::kNone, "oci-file"},
      {"canary", "a deliberately broken model rule (readers forget their snapshot)",
       "(none: it proves the harness can fail)", Defect::kCanary},
  };
  for (const char* b : {"fork", "ns", "oci"}) {
    CalibrationClass n;
    n.name = std::string("control-") + b;
    n.explanation = std::string("safe setup on ") + b + ", crashes and power losses included";
    n.fix = "(none needed)";
    n.boundary = b;
    n.kill_percent = 3;
    n.power_loss_percent = 2;
    n.negative = true;
    c.push_back(n);
  }
  return c;
}

bool CalibrationRow::Passed() const {
  if (!skipped.empty() || !harness_error.empty()) return false;
  if (cls.negative) return seeds_detected == 0;
  return seeds_detected == seeds_run && replays_same == replays_run && replays_run > 0;
}

namespace {

// Shrinks the first finding and replays the shrunk schedule.
void ShrinkAndReplay(const CampaignResult& found, Backend& backend, const std::string& dir,
                     const CalibrationOptions& o, CalibrationRow& row) {
  ShrinkOptions so;
  so.time_s = o.shrink_s;
  so.confirm_runs = 0;
  const ShrinkResult sr = Shrink(*found.schedule, *found.mismatch, backend, dir, so);
  row.failure_class = found.mismatch->failure_class;
  row.original_steps = found.schedule->steps.size();
  row.shrunk_steps = sr.schedule.steps.size();
  row.finding = model::PrintSchedule(sr.schedule);
  if (!sr.harness_error.empty()) {
    row.harness_error = "shrinking: " + sr.harness_error;
    return;
  }
  for (int i = 0; i < o.replays; ++i) {
    const RunResult r = RunSchedule(sr.schedule, backend, dir);
    if (r.harness_failure) {
      row.harness_error = "replaying the shrunk finding: " + r.error;
      return;
    }
    row.replays_run++;
    row.replays_same += r.mismatch && SameFailure(sr.schedule, sr.mismatch, sr.schedule, *r.mismatch);
  }
}

}  // namespace

CalibrationRow RunCalibration(const CalibrationClass& cls, const CalibrationOptions& o) {
  CalibrationRow row;
  row.cls = cls;
  auto scratch = ScratchDir::Create(o.scratch_parent);
  if (!scratch.ok()) {
    row.skipped = scratch.error();
    return row;
  }
  std::string error;
  auto backend = MakeBackend(cls.boundary, &error);
  if (!backend) {
    row.skipped = error;
    return row;
  }
  std::vector<double> detect;
  std::optional<CampaignResult> first;
  for (int seed = 1; seed <= o.seeds; ++seed) {
    CampaignSpec spec;
    spec.seed = static_cast<uint64_t>(seed);
    spec.time_s = o.budget_s;
    spec.crashes = {cls.kill_percent, cls.power_loss_percent, backend->KillsInsideOps()};
    spec.defect = cls.defect;
    spec.synchronous = cls.synchronous;
    spec.policy = o.policy;
    CampaignResult r = RunCampaign(spec, *backend, (*scratch)->path());
    if (r.interrupted) break;
    if (!r.error.empty()) {  // harvey's problem: neither a skip nor a finding
      row.harness_error = cls.boundary + ": " + r.error;
      return row;
    }
    row.seeds_run++;
    row.schedules += r.schedules;
    std::fprintf(stderr, "selftest %-18s seed %d: %s after %.1f s (%llu schedules)\n", cls.name.c_str(), seed,
                 r.mismatch ? r.mismatch->failure_class.c_str() : "nothing found", r.elapsed_s,
                 static_cast<unsigned long long>(r.schedules));
    if (r.mismatch) {
      row.seeds_detected++;
      detect.push_back(r.elapsed_s);
      if (!first) first = std::move(r);
    }
  }
  // The median over all seeds, counting an undetected seed as "never".
  std::sort(detect.begin(), detect.end());
  if (row.seeds_run > 0 && static_cast<int>(detect.size()) * 2 > row.seeds_run) {
    row.median_detect_s = detect[static_cast<size_t>(row.seeds_run / 2)];
  }
  if (first) ShrinkAndReplay(*first, *backend, (*scratch)->path(), o, row);
  return row;
}

nlohmann::json ToJson(const CalibrationRow& r) {
  nlohmann::json j{{"name", r.cls.name},
                   {"boundary", r.cls.boundary},
                   {"negative_control", r.cls.negative},
                   {"detected", !r.cls.negative && r.seeds_detected > 0},
                   {"seeds", r.seeds_run},
                   {"seeds_detected", r.seeds_detected},
                   {"median_detect_s", r.median_detect_s ? nlohmann::json(*r.median_detect_s) : nullptr},
                   {"failure_class", r.failure_class},
                   {"original_steps", r.original_steps},
                   {"shrunk_steps", r.shrunk_steps},
                   {"replays", std::to_string(r.replays_same) + "/" + std::to_string(r.replays_run)},
                   {"passed", r.Passed()},
                   {"explanation", r.cls.explanation},
                   {"fix", r.cls.fix}};
  if (r.cls.negative) j["schedules_clean"] = r.schedules;
  if (!r.skipped.empty()) j["skipped"] = r.skipped;
  if (!r.harness_error.empty()) j["harness_error"] = r.harness_error;
  return j;
}

}  // namespace harvey::harness
