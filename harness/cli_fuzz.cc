// `harvey fuzz`: generate schedules from a campaign seed and run them until
// the budget ends or the first mismatch, which is saved as a schedule file.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "harness/cli.h"
#include "harness/interrupt.h"
#include "harness/progress.h"
#include "harness/report.h"
#include "harness/runner.h"
#include "harness/scratch.h"
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
  double elapsed_s = 0;
};

std::string Rates(const Tally& t) {
  char buf[160];
  const double e = t.elapsed_s > 0 ? t.elapsed_s : 1e-9;
  std::snprintf(buf, sizeof buf, "%llu schedules, %llu steps, %llu findings in %.1f s (%.1f schedules/s, %.0f steps/s)",
                static_cast<unsigned long long>(t.schedules), static_cast<unsigned long long>(t.steps),
                static_cast<unsigned long long>(t.findings), t.elapsed_s, t.schedules / e, t.steps / e);
  return buf;
}

}  // namespace

int CmdFuzz(const FuzzArgs& a) {
  const uint64_t seed = a.seed.value_or(RandomSeed());
  std::fprintf(stderr, "harvey fuzz: seed %llu, boundary %s\n", static_cast<unsigned long long>(seed),
               a.boundary.c_str());
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
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  model::GenOptions gen{.workers = a.workers, .steps = a.steps};
  Tally t;
  Progress progress;
  std::string finding_path;
  int exit_code = kExitPass;
  for (uint64_t i = 0;; ++i) {
    if (a.count && i >= *a.count) break;
    if (a.time_s && elapsed() >= *a.time_s) break;
    if (Interrupted()) break;
    const uint64_t sseed = model::ScheduleSeed(seed, i);
    const model::Schedule s = model::Generate(sseed, gen);
    const RunResult r = RunSchedule(s, *backend, scratch.value()->path());
    t.steps += static_cast<uint64_t>(r.steps_run);
    if (r.verdict == Verdict::kError) {
      if (Interrupted()) break;
      progress.Finish();
      std::fprintf(stderr, "harvey fuzz: schedule %llu (seed %llu): %s\n",
                   static_cast<unsigned long long>(i), static_cast<unsigned long long>(sseed), r.error.c_str());
      exit_code = kExitHarness;
      break;
    }
    t.schedules++;
    if (r.verdict == Verdict::kMismatch) {
      t.findings++;
      progress.Finish();
      std::fputs(MismatchReport(*r.mismatch).c_str(), stderr);
      ::mkdir(a.out_dir.c_str(), 0755);
      finding_path = a.out_dir + "/finding-" + std::to_string(sseed) + ".sched";
      const std::string found_by = "harvey fuzz --boundary " + a.boundary + " --seed " +
                                   std::to_string(seed) + " (schedule " + std::to_string(i) + ")";
      if (std::string e = WriteFileAtomic(finding_path, FindingText(s, *r.mismatch, found_by, a.boundary));
          !e.empty()) {
        std::fprintf(stderr, "harvey fuzz: %s\n", e.c_str());
        finding_path.clear();
      } else {
        std::fprintf(stderr, "saved: %s (replay: harvey run %s --boundary %s)\n", finding_path.c_str(),
                     finding_path.c_str(), a.boundary.c_str());
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
                     {"interrupted", interrupted}};
    if (!finding_path.empty()) j["finding"] = finding_path;
    std::cout << j.dump() << "\n";
  }
  if (interrupted) return 128 + InterruptSignal();
  return exit_code;
}

}  // namespace harvey::harness
