// `harvey fuzz`: generate schedules from a campaign seed and run them until
// the budget ends or the first mismatch, which is saved as a schedule file,
// then shrunk (harness/coordinator/shrinker.h) and saved again beside it.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "harness/coordinator/campaign.h"
#include "harness/cli/cli.h"
#include "harness/cli/fuzz_site.h"
#include "harness/os/files.h"
#include "harness/os/interrupt.h"
#include "harness/boundary/placements.h"
#include "harness/cli/progress.h"
#include "harness/cli/report.h"
#include "harness/coordinator/runner.h"
#include "harness/os/scratch.h"
#include "harness/coordinator/shrinker.h"
#include "model/crash_gen.h"
#include "model/format.h"
#include "model/generator.h"
#include "model/policy.h"

namespace harvey::harness {
namespace {

uint64_t RandomSeed() {
  uint64_t s = 0;
  std::ifstream u("/dev/urandom", std::ios::binary);
  u.read(reinterpret_cast<char*>(&s), sizeof s);
  return s ? s : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

std::string Rates(const CampaignResult& t) {
  char buf[256];
  const double e = t.elapsed_s > 0 ? t.elapsed_s : 1e-9;
  std::snprintf(buf, sizeof buf, "%llu schedules, %llu steps, %llu crashes, %llu findings in %.1f s (%.1f schedules/s, %.0f steps/s, %.0f crashes/s)",
                static_cast<unsigned long long>(t.schedules), static_cast<unsigned long long>(t.steps),
                static_cast<unsigned long long>(t.crashes), static_cast<unsigned long long>(t.mismatch ? 1 : 0),
                t.elapsed_s, t.schedules / e, t.steps / e, t.crashes / e);
  std::string out = buf;
  if (t.yields > 0) {
    std::snprintf(buf, sizeof buf, ", %llu yields (%.0f yields/s), %llu steps overlapped another op",
                  static_cast<unsigned long long>(t.yields), t.yields / e,
                  static_cast<unsigned long long>(t.overlapped));
    out += buf;
  }
  return out;
}

// A finding's replay line names `where` (--agent ... for a probe).
std::string ReplayHint(std::string text, const std::string& boundary, const std::string& where) {
  const std::string from = "# replay: harvey run THIS_FILE --boundary " + boundary + "\n";
  if (const size_t at = text.find(from); at != std::string::npos && where != "--boundary " + boundary) {
    text.replace(at, from.size(), "# replay: harvey run THIS_FILE " + where + "\n");
  }
  return text;
}

// Shrinks a finding (within a.shrink_time_s) and saves it to `path`; prints
// what it did. Returns the figures for --json, or null when nothing was saved.
nlohmann::json ShrinkFinding(const model::Schedule& s, const model::Mismatch& m, Backend& backend,
                             const std::string& db_dir, const FuzzArgs& a, const std::string& found_by,
                             const std::string& path, const std::string& where) {
  std::fprintf(stderr, "shrinking for at most %g s ...\n", a.shrink_time_s);
  const ShrinkResult r = Shrink(s, m, backend, db_dir, ShrinkOptions{.time_s = a.shrink_time_s});
  const std::string text = ReplayHint(FindingText(AsFinding(r.schedule, a.boundary), r.mismatch,
                                                  found_by + ", shrunk: " + ShrinkSummary(r), a.boundary, backend.Sqlite()),
                                      a.boundary, where);
  if (std::string e = WriteFileAtomic(path, text); !e.empty()) {
    std::fprintf(stderr, "harvey fuzz: %s\n", e.c_str());
    return nullptr;
  }
  std::fputs((MismatchReport(r.mismatch) + ContextNotes(r.schedule) + DescribeSqlite(r.schedule, backend.Sqlite(), "  "))
                 .c_str(),
             stderr);
  std::fprintf(stderr, "shrunk: %s; replayed the same failure %d/%d\nsaved: %s (replay: harvey run %s %s)\n",
               ShrinkSummary(r).c_str(), r.confirmed, ShrinkOptions{}.confirm_runs, path.c_str(), path.c_str(),
               where.c_str());
  return nlohmann::json{{"file", path},          {"class", r.mismatch.failure_class},
                        {"steps", r.schedule.steps.size()}, {"original_steps", r.original_steps},
                        {"elapsed_s", r.elapsed_s}, {"replays", r.replays}, {"confirmed", r.confirmed}};
}

// The `harvey fuzz` command that generates this campaign's schedules again:
// the seed and every option that shapes them, when not the default.
std::string CampaignCommand(const FuzzArgs& a, uint64_t seed, const FuzzSite* site) {
  const FuzzArgs d;
  std::string cmd = (site ? site->command : "harvey fuzz --boundary " + a.boundary) + " --seed " + std::to_string(seed);
  auto add = [&](bool differs, const std::string& flag, const std::string& value) {
    if (differs) cmd += " " + flag + " " + value;
  };
  add(!a.sqlite.empty(), "--sqlite", a.sqlite);
  add(a.policy != d.policy, "--policy", a.policy);
  add(a.defect != d.defect, "--defect", a.defect);
  add(!a.synchronous.empty(), "--synchronous", a.synchronous);
  add(a.journal_size_limit != d.journal_size_limit, "--journal-size-limit", std::to_string(a.journal_size_limit));
  add(a.episode_percent != d.episode_percent, "--episodes", std::to_string(a.episode_percent));
  add(a.kill_percent != d.kill_percent, "--kills", std::to_string(a.kill_percent));
  add(a.power_loss_percent != d.power_loss_percent, "--power-losses", std::to_string(a.power_loss_percent));
  add(a.workers != d.workers, "--workers", std::to_string(a.workers));
  add(a.steps != d.steps, "--steps", std::to_string(a.steps));
  add(!a.shard.empty(), "--shard", a.shard);
  return cmd;
}

// "K/N" -> 0-based index and count. "" or one line.
std::string ParseShard(const std::string& text, CampaignSpec* spec) {
  if (text.empty()) return "";
  unsigned long long k = 0, n = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%llu/%llu%c", &k, &n, &tail) != 2 || n == 0 || k == 0 || k > n || n > 1000000) {
    return "--shard " + text + ": want K/N with 1 <= K <= N (shard K of N)";
  }
  spec->shard_index = k - 1;
  spec->shard_count = n;
  return "";
}

}  // namespace

int CmdFuzz(const FuzzArgs& a, FuzzSite* site) {
  model::Policy policy;
  if (std::string e = model::ParsePolicy(a.policy, &policy); !e.empty()) {
    std::fprintf(stderr, "harvey fuzz: %s\n", e.c_str());
    return kExitUsage;
  }
  // First: this may re-exec another build (inproc), which must not draw a seed twice.
  if (int code = site ? -1 : SelectSqlite("fuzz", a.sqlite, a.boundary, nullptr); code >= 0) return code;
  const std::string where = site ? site->replay_flags : "--boundary " + a.boundary;
  const std::string label = site ? site->label : a.boundary;
  const uint64_t seed = a.seed.value_or(RandomSeed());
  std::fprintf(stderr, "harvey %s: seed %llu, %s %s%s%s%s%s%s%s\n", site ? "probe" : "fuzz", static_cast<unsigned long long>(seed),
               site ? "workers on" : "boundary",
               label.c_str(), a.defect == "none" ? "" : ", defect ", a.defect == "none" ? "" : a.defect.c_str(),
               a.sqlite.empty() ? "" : ", sqlite ", a.sqlite.c_str(),
               policy.kind == model::PolicyKind::kOp ? "" : ", policy ",
               policy.kind == model::PolicyKind::kOp ? "" : a.policy.c_str());
  auto scratch = ScratchDir::Create(a.scratch_parent);
  if (!scratch.ok()) {
    std::fprintf(stderr, "harvey fuzz: %s\n", scratch.error().c_str());
    return kExitEnvironment;
  }
  std::string error;
  auto backend = site ? std::move(site->backend) : MakeBackend(a.boundary, &error);
  if (!backend) {
    std::fprintf(stderr, "harvey fuzz: %s\n", error.c_str());
    return kExitUsage;
  }
  if (int code = 0; !site && !(error = CheckPlacement(a.boundary, nullptr, &code)).empty()) {
    std::fprintf(stderr, "harvey fuzz: %s\n", error.c_str());  // a missing tool: exit 3
    return code;
  }
  CampaignSpec spec;
  if (std::string e = ParseShard(a.shard, &spec); !e.empty()) {
    std::fprintf(stderr, "harvey fuzz: %s\n", e.c_str());
    return kExitUsage;
  }
  spec.seed = seed;
  spec.sqlite = a.sqlite;
  spec.count = a.count;
  spec.time_s = a.time_s;
  spec.gen = model::GenOptions{.workers = a.workers, .steps = a.steps};
  const bool power_loss_here = !site && PowerLossModelled(a.boundary);
  if (a.power_loss_percent > 0 && !site && !power_loss_here) {
    std::fprintf(stderr, "harvey fuzz: no power losses on %s (not modelled there; see harness/boundary/BOUNDARIES.md)\n",
                 a.boundary.c_str());
  }
  spec.crashes = model::CrashOptions{.kill_percent = a.kill_percent,
                                     .power_loss_percent = power_loss_here ? a.power_loss_percent : 0,
                                     .kill_inside_ops = backend->KillsInsideOps()};
  model::ParseDefect(a.defect, &spec.defect);  // CLI11 checked the name
  spec.policy = policy;
  if (policy.kind != model::PolicyKind::kOp && !backend->Interleaves()) {
    std::fprintf(stderr, "harvey fuzz: boundary %s cannot interleave ops inside a statement; use --policy op or --boundary fork\n",
                 a.boundary.c_str());
    return kExitUsage;
  }
  if (a.synchronous == "off") spec.synchronous = model::Synchronous::kOff;
  if (a.synchronous == "normal") spec.synchronous = model::Synchronous::kNormal;
  if (a.synchronous == "full") spec.synchronous = model::Synchronous::kFull;
  spec.journal_size_limit = a.journal_size_limit;
  spec.episodes.episode_percent = a.episode_percent;
  Progress progress;
  CampaignResult campaign = RunCampaign(spec, *backend, scratch.value()->path(), [&](const CampaignResult& now) {
    progress.Update([&] { return "fuzz " + label + ": " + Rates(now); });
  });
  progress.Finish();
  CampaignResult t = std::move(campaign);
  // A worker that died with its agent is harvey's problem, not a finding.
  if (site && site->health && t.mismatch && t.error.empty()) {
    if (std::string e = site->health(); !e.empty()) {
      t.error = e + " (so the last schedule's result is not a finding)";
      t.mismatch.reset();
    }
  }
  std::string finding_path;
  std::string shrunk_path;  // the shrunk finding, when there is one
  nlohmann::json shrunk;    // its figures for --json
  int exit_code = kExitPass;
  const std::string sseed = std::to_string(t.schedule_seed);
  if (!t.error.empty()) {
    std::fprintf(stderr, "harvey fuzz: schedule %llu (seed %s): %s\n",
                 static_cast<unsigned long long>(t.schedule_index), sseed.c_str(), t.error.c_str());
    // Keep the schedule: a harness limit is ours to fix, and needs a replay.
    ::mkdir(a.out_dir.c_str(), 0755);
    const std::string path = a.out_dir + "/harness-error-" + sseed + ".sched";
    if (WriteFileAtomic(path, model::PrintSchedule(*t.schedule)).empty()) {
      std::fprintf(stderr, "saved: %s\n", path.c_str());
    }
    exit_code = kExitHarness;
  } else if (t.mismatch) {
    const model::Schedule& s = *t.schedule;
    std::fputs((MismatchReport(*t.mismatch) + ContextNotes(s) + DescribeSqlite(s, t.sqlite, "  ")).c_str(),
               stderr);
    ::mkdir(a.out_dir.c_str(), 0755);
    finding_path = a.out_dir + "/finding-" + sseed + ".sched";
    const std::string found_by = CampaignCommand(a, seed, site) + " (schedule " + std::to_string(t.schedule_index) + ")";
    if (std::string e = WriteFileAtomic(finding_path, ReplayHint(FindingText(AsFinding(s, a.boundary), *t.mismatch,
                                                                             found_by, a.boundary, t.sqlite),
                                                                 a.boundary, where));
        !e.empty()) {
      std::fprintf(stderr, "harvey fuzz: %s\n", e.c_str());
      finding_path.clear();
    } else {
      std::fprintf(stderr, "saved: %s (replay: harvey run %s %s)\n", finding_path.c_str(),
                   finding_path.c_str(), where.c_str());
    }
    if (a.shrink_time_s > 0 && !finding_path.empty()) {
      shrunk_path = a.out_dir + "/finding-" + sseed + ".shrunk.sched";
      shrunk = ShrinkFinding(s, *t.mismatch, *backend, scratch.value()->path(), a, found_by, shrunk_path, where);
      if (shrunk.is_null()) shrunk_path.clear();
    }
    exit_code = kExitMismatch;
  }
  backend.reset();
  const bool interrupted = t.interrupted || Interrupted();
  std::string verdict = t.mismatch ? "FOUND A MISMATCH"
                                   : "no failure found (this is not a proof of safety)";
  if (interrupted) verdict += "; interrupted";
  std::fputs(DescribeBuilds(t.sqlite, "").c_str(), stderr);
  if (site) std::fputs(site->describe.c_str(), stderr);
  std::fprintf(stderr, "%s %s seed %llu: %s: %s\n", site ? "probe" : "fuzz", label.c_str(), static_cast<unsigned long long>(seed),
               Rates(t).c_str(), verdict.c_str());
  if (a.json) {
    nlohmann::json j{{"boundary", a.boundary},
                     {"seed", seed},
                     {"schedules", t.schedules},
                     {"steps", t.steps},
                     {"findings", t.mismatch ? 1 : 0},
                     {"elapsed_s", t.elapsed_s},
                     {"schedules_per_s", t.elapsed_s > 0 ? t.schedules / t.elapsed_s : 0.0},
                     {"steps_per_s", t.elapsed_s > 0 ? t.steps / t.elapsed_s : 0.0},
                     {"crashes", t.crashes},
                     {"policy", a.policy},
                     {"yields", t.yields},
                     {"overlapped_steps", t.overlapped},
                     {"yields_per_s", t.elapsed_s > 0 ? t.yields / t.elapsed_s : 0.0},
                     {"interrupted", interrupted},
                     {"sqlite", a.sqlite.empty() ? std::string(kSystemSqlite) : a.sqlite}};
    nlohmann::json builds = nlohmann::json::array();
    for (const SqliteBuild& b : t.sqlite) builds.push_back(ToJson(b));
    j["sqlite_builds"] = builds;
    if (!finding_path.empty()) j["finding"] = finding_path;
    if (site) j.update(site->json);
    if (!a.shard.empty()) j["shard"] = a.shard;
    if (!t.error.empty()) j["harness_error"] = t.error;
    if (!shrunk_path.empty()) j["shrunk"] = shrunk;
    std::cout << j.dump() << "\n";
  }
  if (interrupted) return 128 + InterruptSignal();
  return exit_code;
}

}  // namespace harvey::harness
