// `harvey fuzz`: generate schedules from a campaign seed and run them until
// the budget ends or the first mismatch, which is saved as a schedule file,
// then shrunk (harness/shrinker.h) and saved again beside it.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "harness/cli.h"
#include "harness/interrupt.h"
#include "harness/launcher.h"
#include "harness/progress.h"
#include "harness/report.h"
#include "harness/runner.h"
#include "harness/scratch.h"
#include "harness/shrinker.h"
#include "model/crash_gen.h"
#include "model/format.h"
#include "model/generator.h"

namespace harvey::harness {
namespace {

uint64_t RandomSeed() {
  uint64_t s = 0;
  std::ifstream u("/dev/urandom", std::ios::binary);
  u.read(reinterpret_cast<char*>(&s), sizeof s);
  return s ? s : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

struct Tally {
  uint64_t schedules = 0;
  uint64_t steps = 0;
  uint64_t findings = 0;
  uint64_t crashes = 0;  // kills that fired and power losses: crash states explored
  double elapsed_s = 0;
};

// Crash states a run explored: kills between ops, kills that fired inside
// an op, and power losses.
uint64_t CountCrashes(const model::Schedule& s, const RunResult& r) {
  uint64_t n = 0;
  for (size_t i = 0; i < r.observations.size(); ++i) {
    const model::OpKind k = s.steps[i].op.kind;
    n += k == model::OpKind::kKill || k == model::OpKind::kPowerLoss ||
         r.observations[i].rc == model::rc::kKilled;
  }
  return n;
}

std::string Rates(const Tally& t) {
  char buf[256];
  const double e = t.elapsed_s > 0 ? t.elapsed_s : 1e-9;
  std::snprintf(buf, sizeof buf, "%llu schedules, %llu steps, %llu crashes, %llu findings in %.1f s (%.1f schedules/s, %.0f steps/s, %.0f crashes/s)",
                static_cast<unsigned long long>(t.schedules), static_cast<unsigned long long>(t.steps),
                static_cast<unsigned long long>(t.crashes), static_cast<unsigned long long>(t.findings),
                t.elapsed_s, t.schedules / e, t.steps / e, t.crashes / e);
  return buf;
}

// Shrinks a finding (within a.shrink_time_s) and saves it to `path`; prints
// what it did. Returns the figures for --json, or null when nothing was saved.
nlohmann::json ShrinkFinding(const model::Schedule& s, const model::Mismatch& m, Backend& backend,
                             const std::string& db_dir, const FuzzArgs& a, const std::string& found_by,
                             const std::string& path) {
  std::fprintf(stderr, "shrinking for at most %g s ...\n", a.shrink_time_s);
  const ShrinkResult r = Shrink(s, m, backend, db_dir, ShrinkOptions{.time_s = a.shrink_time_s});
  const std::string text = FindingText(AsFinding(r.schedule, a.boundary), r.mismatch,
                                       found_by + ", shrunk: " + ShrinkSummary(r), a.boundary);
  if (std::string e = WriteFileAtomic(path, text); !e.empty()) {
    std::fprintf(stderr, "harvey fuzz: %s\n", e.c_str());
    return nullptr;
  }
  std::fputs((MismatchReport(r.mismatch) + ContextNotes(r.schedule)).c_str(), stderr);
  std::fprintf(stderr, "shrunk: %s; replayed the same failure %d/%d\nsaved: %s (replay: harvey run %s --boundary %s)\n",
               ShrinkSummary(r).c_str(), r.confirmed, ShrinkOptions{}.confirm_runs, path.c_str(), path.c_str(),
               a.boundary.c_str());
  return nlohmann::json{{"file", path},          {"class", r.mismatch.failure_class},
                        {"steps", r.schedule.steps.size()}, {"original_steps", r.original_steps},
                        {"elapsed_s", r.elapsed_s}, {"replays", r.replays}, {"confirmed", r.confirmed}};
}

}  // namespace

int CmdFuzz(const FuzzArgs& a) {
  const uint64_t seed = a.seed.value_or(RandomSeed());
  std::fprintf(stderr, "harvey fuzz: seed %llu, boundary %s%s%s\n", static_cast<unsigned long long>(seed),
               a.boundary.c_str(), a.defect == "none" ? "" : ", defect ", a.defect == "none" ? "" : a.defect.c_str());
  auto scratch = ScratchDir::Create(a.scratch_parent);
  if (!scratch.ok()) {
    std::fprintf(stderr, "harvey fuzz: %s\n", scratch.error().c_str());
    return kExitEnvironment;
  }
  std::string error;
  auto backend = MakeBackend(a.boundary, &error);
  if (!backend) {
    std::fprintf(stderr, "harvey fuzz: %s\n", error.c_str());
    return kExitUsage;
  }
  if (int code = 0; !(error = CheckPlacement(a.boundary, nullptr, &code)).empty()) {
    std::fprintf(stderr, "harvey fuzz: %s\n", error.c_str());  // a missing tool: exit 3
    return code;
  }
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  model::GenOptions gen{.workers = a.workers, .steps = a.steps};
  const model::CrashOptions crashes{.kill_percent = a.kill_percent,
                                    .power_loss_percent = a.power_loss_percent,
                                    .kill_inside_ops = backend->KillsInsideOps()};
  model::Defect defect = model::Defect::kNone;
  model::ParseDefect(a.defect, &defect);  // CLI11 checked the name
  Tally t;
  Progress progress;
  std::string finding_path;
  std::string shrunk_path;  // the shrunk finding, when there is one
  nlohmann::json shrunk;    // its figures for --json
  int exit_code = kExitPass;
  for (uint64_t i = 0;; ++i) {
    if (a.count && i >= *a.count) break;
    if (a.time_s && elapsed() >= *a.time_s) break;
    if (Interrupted()) break;
    const uint64_t sseed = model::ScheduleSeed(seed, i);
    model::Schedule s = model::AddCrashes(sseed, crashes, model::Generate(sseed, gen));
    s.config.defect = defect;
    if (a.synchronous == "off") s.config.synchronous = model::Synchronous::kOff;
    if (a.synchronous == "normal") s.config.synchronous = model::Synchronous::kNormal;
    if (a.synchronous == "full") s.config.synchronous = model::Synchronous::kFull;
    const RunResult r = RunSchedule(s, *backend, scratch.value()->path());
    t.steps += static_cast<uint64_t>(r.steps_run);
    t.crashes += CountCrashes(s, r);
    if (r.verdict == Verdict::kError) {
      if (Interrupted()) break;
      progress.Finish();
      std::fprintf(stderr, "harvey fuzz: schedule %llu (seed %llu): %s\n",
                   static_cast<unsigned long long>(i), static_cast<unsigned long long>(sseed), r.error.c_str());
      // Keep the schedule: a harness limit is ours to fix, and needs a replay.
      ::mkdir(a.out_dir.c_str(), 0755);
      const std::string path = a.out_dir + "/harness-error-" + std::to_string(sseed) + ".sched";
      if (WriteFileAtomic(path, model::PrintSchedule(s)).empty()) {
        std::fprintf(stderr, "saved: %s\n", path.c_str());
      }
      exit_code = kExitHarness;
      break;
    }
    t.schedules++;
    if (r.verdict == Verdict::kMismatch) {
      t.findings++;
      progress.Finish();
      std::fputs((MismatchReport(*r.mismatch) + ContextNotes(s)).c_str(), stderr);
      ::mkdir(a.out_dir.c_str(), 0755);
      finding_path = a.out_dir + "/finding-" + std::to_string(sseed) + ".sched";
      const std::string found_by = "harvey fuzz --boundary " + a.boundary + " --seed " +
                                   std::to_string(seed) + " (schedule " + std::to_string(i) + ")";
      if (std::string e = WriteFileAtomic(finding_path, FindingText(AsFinding(s, a.boundary), *r.mismatch,
                                                                    found_by, a.boundary));
          !e.empty()) {
        std::fprintf(stderr, "harvey fuzz: %s\n", e.c_str());
        finding_path.clear();
      } else {
        std::fprintf(stderr, "saved: %s (replay: harvey run %s --boundary %s)\n", finding_path.c_str(),
                     finding_path.c_str(), a.boundary.c_str());
      }
      if (a.shrink_time_s > 0 && !finding_path.empty()) {
        shrunk_path = a.out_dir + "/finding-" + std::to_string(sseed) + ".shrunk.sched";
        shrunk = ShrinkFinding(s, *r.mismatch, *backend, scratch.value()->path(), a, found_by, shrunk_path);
        if (shrunk.is_null()) shrunk_path.clear();
      }
      exit_code = kExitMismatch;
      break;
    }
    t.elapsed_s = elapsed();
    progress.Update([&] { return "fuzz " + a.boundary + ": " + Rates(t); });
  }
  progress.Finish();
  backend.reset();
  t.elapsed_s = elapsed();
  const bool interrupted = Interrupted();
  std::string verdict = t.findings ? "FOUND A MISMATCH"
                                   : "no failure found (this is not a proof of safety)";
  if (interrupted) verdict += "; interrupted";
  std::fprintf(stderr, "fuzz %s seed %llu: %s: %s\n", a.boundary.c_str(), static_cast<unsigned long long>(seed),
               Rates(t).c_str(), verdict.c_str());
  if (a.json) {
    nlohmann::json j{{"boundary", a.boundary},
                     {"seed", seed},
                     {"schedules", t.schedules},
                     {"steps", t.steps},
                     {"findings", t.findings},
                     {"elapsed_s", t.elapsed_s},
                     {"schedules_per_s", t.elapsed_s > 0 ? t.schedules / t.elapsed_s : 0.0},
                     {"steps_per_s", t.elapsed_s > 0 ? t.steps / t.elapsed_s : 0.0},
                     {"crashes", t.crashes},
                     {"interrupted", interrupted}};
    if (!finding_path.empty()) j["finding"] = finding_path;
    if (!shrunk_path.empty()) j["shrunk"] = shrunk;
    std::cout << j.dump() << "\n";
  }
  if (interrupted) return 128 + InterruptSignal();
  return exit_code;
}

}  // namespace harvey::harness
