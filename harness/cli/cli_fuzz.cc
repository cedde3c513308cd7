// `harvey fuzz`: generate schedules from a campaign seed and run them until
// the budget ends or the first mismatch, which is saved as a schedule file,
// then shrunk (harness/coordinator/shrinker.h) and saved again beside it.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "harness/coordinator/campaign.h"
#include "harness/coordinator/reach_report.h"
#include "harness/worker/reach.h"
#include "harness/cli/cli.h"
#include "harness/report/finding_story.h"
#include "harness/report/junit.h"
#include "harness/cli/fuzz_jobs.h"
#include "harness/cli/fuzz_site.h"
#include "harness/cli/jobs.h"
#include "harness/os/files.h"
#include "harness/os/interrupt.h"
#include "harness/boundary/placements.h"
#include "harness/report/progress.h"
#include "harness/report/report.h"
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

}  // namespace

std::string FuzzRates(const CampaignResult& t) {
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

nlohmann::json CampaignJson(const FuzzArgs& a, uint64_t seed, const CampaignResult& t, bool interrupted,
                            const std::vector<SqliteBuild>& builds, const TreeMemory& memory) {
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
  nlohmann::json sqlite_builds = nlohmann::json::array();
  for (const SqliteBuild& b : builds) sqlite_builds.push_back(ToJson(b));
  j["sqlite_builds"] = sqlite_builds;
  // Resident sizes (KiB, /proc VmRSS and VmHWM): this process and every
  // process under it (workers, sandbox helpers; --jobs: the jobs too).
  j["memory"] = nlohmann::json{{"coordinator_rss_kb", memory.self.rss_kb},
                               {"coordinator_hwm_kb", memory.self.hwm_kb},
                               {"worker_processes", memory.children},
                               {"workers_rss_kb", memory.children_total.rss_kb},
                               {"workers_hwm_kb", memory.children_total.hwm_kb},
                               {"largest_worker_rss_kb", memory.children_max_rss_kb}};
  if (!a.shard.empty()) j["shard"] = a.shard;
  return j;
}

namespace {

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
// A harness failure while shrinking sets *harness_error (nothing saved).
nlohmann::json ShrinkFinding(const model::Schedule& s, const model::Mismatch& m, Backend& backend,
                             const std::string& db_dir, const FuzzArgs& a, const std::string& found_by,
                             const std::string& path, const std::string& where, ShrinkResult* failed) {
  std::fprintf(stderr, "shrinking for at most %g s ...\n", a.shrink_time_s);
  const ShrinkResult r = Shrink(s, m, backend, db_dir, ShrinkOptions{.time_s = a.shrink_time_s});
  if (!r.harness_error.empty()) {
    std::fprintf(stderr, "harvey fuzz: shrinking stopped (harvey's problem, not a finding): %s\n",
                 r.harness_error.c_str());
    *failed = r;
    return nullptr;
  }
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
  add(a.journal_size_limit.has_value(), "--journal-size-limit", std::to_string(a.journal_size_limit.value_or(-1)));
  add(a.mmap_size.has_value(), "--mmap-size", std::to_string(a.mmap_size.value_or(0)));
  add(!a.checkpoint_on_close.empty(), "--checkpoint-on-close", a.checkpoint_on_close);
  add(a.busy_timeout.has_value(), "--busy-timeout", std::to_string(a.busy_timeout.value_or(0)));
  add(!a.secure_delete.empty(), "--secure-delete", a.secure_delete);
  add(!a.call_points.empty(), "--call-points", a.call_points);
  add(a.episode_percent != d.episode_percent, "--episodes", std::to_string(a.episode_percent));
  add(a.kill_percent != d.kill_percent, "--kills", std::to_string(a.kill_percent));
  add(a.power_loss_percent != d.power_loss_percent, "--power-losses", std::to_string(a.power_loss_percent));
  add(a.workers != d.workers, "--workers", std::to_string(a.workers));
  add(a.steps != d.steps, "--steps", std::to_string(a.steps));
  add(!a.shard.empty(), "--shard", a.shard);
  return cmd;
}

// Writes the story page of the finding saved at `sched_path` beside it
// (finding-N.html), replaying it once more on `backend` (a probe's: its
// agents); prints where. `where`: the replay flags ("--boundary B", or a
// probe's "--agent A --agent B").
void WriteFindingHtml(const std::string& sched_path, Backend& backend, const std::string& db_dir,
                      const std::string& boundary, const std::string& where) {
  std::string text;
  if (!ReadWholeFile(sched_path, &text)) return;
  Result<model::Schedule> s = model::ParseSchedule(text, sched_path);
  if (!s.ok()) return;
  FindingStory story = ReplayStory(sched_path, text, s.value(), boundary, backend, db_dir);
  story.replay = "harvey run " + sched_path + " " + where;
  if (story.run.verdict == Verdict::kError) {
    std::fprintf(stderr, "harvey fuzz: no page for %s: its replay hit a harness error: %s\n", sched_path.c_str(),
                 story.run.error.c_str());
    return;
  }
  const std::string html = sched_path.substr(0, sched_path.size() - 6) + ".html";  // minus ".sched"
  if (std::string e = WriteFileAtomic(html, StoryHtml(story)); !e.empty()) {
    std::fprintf(stderr, "harvey fuzz: %s\n", e.c_str());
    return;
  }
  std::fprintf(stderr, "page: %s%s\n", html.c_str(),
               story.run.verdict == Verdict::kPass ? " (its replay passed: the page says it did not reproduce)" : "");
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
  // A --jobs child: job `job` of `jobs`, reporting over `channel`.
  const JobChannel channel(site ? -1 : a.job_channel);
  uint64_t job = 0, jobs = 1;
  if (channel.active()) {
    if (std::string e = ParseJob(a.job, &job, &jobs); !e.empty()) {
      std::fprintf(stderr, "harvey fuzz: %s\n", e.c_str());
      return kExitUsage;
    }
    JobChildSetup(job);
  }
  const bool parent_of_jobs = !site && !channel.active() && a.jobs > 1;
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
  if (!channel.active()) {  // (a job's parent printed it)
    std::fprintf(stderr, "harvey %s: seed %llu, %s %s%s%s%s%s%s%s\n", site ? "probe" : "fuzz",
                 static_cast<unsigned long long>(seed), site ? "workers on" : "boundary", label.c_str(),
                 a.defect == "none" ? "" : ", defect ", a.defect == "none" ? "" : a.defect.c_str(),
                 a.sqlite.empty() ? "" : ", sqlite ", a.sqlite.c_str(),
                 policy.kind == model::PolicyKind::kOp ? "" : ", policy ",
                 policy.kind == model::PolicyKind::kOp ? "" : a.policy.c_str());
  }
  auto scratch = ScratchDir::Create(a.scratch_parent);
  if (!scratch.ok()) {
    std::fprintf(stderr, "harvey fuzz: %s\n", scratch.error().c_str());
    return kExitEnvironment;
  }
  if (!channel.active() && !parent_of_jobs) {  // (a job's parent says where the jobs' go)
    std::fprintf(stderr, "harvey fuzz: scratch %s\n", scratch.value()->where().c_str());
  }
  std::string reach_dir;  // --reach: every worker process's counters (harness/worker/reach.h)
  if (a.reach && channel.active() && !a.job_reach_dir.empty()) {
    reach_dir = a.job_reach_dir;  // the parent's: it reports every job's counters
    EnableReach(reach_dir, /*here=*/a.boundary == "inproc");
  } else if (a.reach) {
    reach_dir = scratch.value()->path() + "/reach";
    if (::mkdir(reach_dir.c_str(), 0755) != 0) {
      std::fprintf(stderr, "harvey fuzz: cannot create %s\n", reach_dir.c_str());
      return kExitHarness;
    }
    if (a.boundary != "fork" && a.boundary != "inproc") {
      std::fprintf(stderr, "harvey fuzz: --reach counts only workers that see %s (fork, inproc)\n",
                   reach_dir.c_str());
    }
    // --jobs: the jobs record (into this directory), not this process.
    if (!parent_of_jobs) EnableReach(reach_dir, /*here=*/a.boundary == "inproc");
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
  if (a.power_loss_percent > 0 && !site && !power_loss_here && !channel.active()) {
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
  if (model::Synchronous s; model::ParseSynchronous(a.synchronous, &s)) spec.synchronous = s;
  spec.journal_size_limit = a.journal_size_limit;
  spec.mmap_size = a.mmap_size;
  if (!a.checkpoint_on_close.empty()) spec.checkpoint_on_close = a.checkpoint_on_close == "on";
  spec.busy_timeout = a.busy_timeout;
  if (!a.call_points.empty()) spec.call_points = a.call_points == "on";
  if (model::SecureDelete d; model::ParseSecureDelete(a.secure_delete, &d)) spec.secure_delete = d;
  spec.episodes.episode_percent = a.episode_percent;
  if (parent_of_jobs) {
    backend.reset();
    // Each job makes its own scratch directory beside this one (same parent).
    const std::string& w = scratch.value()->where();
    const std::string& path = scratch.value()->path();
    const std::string parent = path.substr(0, path.rfind('/'));
    JunitBatches junit;
    junit.suite.name = CampaignCommand(a, seed, site);
    junit.suite.timestamp = JunitTimestamp();
    const std::string tag = w.rfind(" (") != std::string::npos ? w.substr(w.rfind(" (")) : "";  // " (tmpfs)"
    return RunFuzzJobs(a, seed, spec, label, junit, parent + tag, reach_dir);
  }
  if (channel.active()) spec = JobSpec(spec, job, jobs);
  Progress progress;
  JunitBatches junit;
  junit.suite.name = CampaignCommand(a, seed, site);
  junit.suite.timestamp = JunitTimestamp();
  CampaignResult campaign = RunCampaign(spec, *backend, scratch.value()->path(), [&](const CampaignResult& now) {
    if (channel.active()) {  // the parent sums the jobs' figures into one progress line
      channel.Send({{"t", "p"},
                    {"schedules", now.schedules},
                    {"steps", now.steps},
                    {"crashes", now.crashes},
                    {"yields", now.yields},
                    {"overlapped", now.overlapped},
                    {"last", CampaignIndex(spec, now.schedules - 1)}});
      return;
    }
    progress.Update([&] { return "fuzz " + label + ": " + FuzzRates(now) + "; " + MemoryPhrase(SelfAndDescendantsMemory()); });
    if (!a.junit.empty() && now.schedules - junit.first >= kJunitBatch) {
      junit.suite.cases.push_back(junit.Batch(a.boundary, now.schedules, now.elapsed_s));
    }
  });
  progress.Finish();
  const TreeMemory memory = SelfAndDescendantsMemory();  // workers still up (they persist across schedules)
  CampaignResult t = std::move(campaign);
  // A worker that died with its agent is harvey's problem, not a finding.
  if (site && site->health && t.mismatch && t.error.empty()) {
    if (std::string e = site->health(); !e.empty()) {
      t.error = e + " (so the last schedule's result is not a finding)";
      t.mismatch.reset();
    }
  }
  // A job's finding is saved only when it is the campaign's lowest-index one
  // (the parent waits for the other jobs to pass its index: fuzz_jobs.h).
  if (channel.active() && t.mismatch && t.error.empty() &&
      channel.Ask({{"t", "found"}, {"index", t.schedule_index}}) != "save") {
    t.mismatch.reset();
    t.schedule.reset();
  }
  std::string finding_path;
  std::string shrunk_path;  // the shrunk finding, when there is one
  nlohmann::json shrunk;    // its figures for --json
  int exit_code = kExitPass;
  int harness_failed = 0;  // after a finding: shrinking hit a harness failure (exit 3 or 4)
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
    exit_code = t.missing ? kExitEnvironment : kExitHarness;
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
      WriteFindingHtml(finding_path, *backend, scratch.value()->path(), a.boundary, where);
    }
    if (a.shrink_time_s > 0 && !finding_path.empty()) {
      shrunk_path = a.out_dir + "/finding-" + sseed + ".shrunk.sched";
      ShrinkResult failed;
      shrunk = ShrinkFinding(s, *t.mismatch, *backend, scratch.value()->path(), a, found_by, shrunk_path, where,
                             &failed);
      if (shrunk.is_null()) shrunk_path.clear();
      else WriteFindingHtml(shrunk_path, *backend, scratch.value()->path(), a.boundary, where);
      if (!failed.harness_error.empty()) harness_failed = failed.missing ? kExitEnvironment : kExitHarness;
    }
    exit_code = kExitMismatch;
  }
  backend.reset();
  if (a.reach && !channel.active()) std::fputs(FormatReach(CollectReach(reach_dir)).c_str(), stderr);
  const bool interrupted = t.interrupted || Interrupted();
  std::string verdict = !t.error.empty() ? "STOPPED BY A HARNESS ERROR (harvey's problem, not a finding)"
                       : t.mismatch     ? "FOUND A MISMATCH"
                                        : "no failure found (this is not a proof of safety)";
  if (harness_failed) verdict += "; shrinking stopped by a harness error (harvey's problem)";
  if (interrupted) verdict += "; interrupted";
  if (!channel.active()) {  // a job's parent prints the campaign's summary
    std::fputs(DescribeBuilds(t.sqlite, "").c_str(), stderr);
    if (site) std::fputs(site->describe.c_str(), stderr);
    std::fprintf(stderr, "%s %s seed %llu: %s: %s\n", site ? "probe" : "fuzz", label.c_str(),
                 static_cast<unsigned long long>(seed), FuzzRates(t).c_str(), verdict.c_str());
    std::fprintf(stderr, "memory at the end: %s\n", MemoryPhrase(memory).c_str());
  }
  nlohmann::json junit_final;  // a job's failure/error testcase, for its parent
  if (!a.junit.empty()) {
    const uint64_t end = t.schedules + (t.error.empty() ? 0 : 1);  // the errored schedule did not count
    if (end > junit.first || t.mismatch || !t.error.empty()) {
      JunitCase c = junit.Batch(a.boundary, std::max(end, junit.first + 1), t.elapsed_s);
      if (t.mismatch) {
        c.kind = JunitCase::Kind::kFailure;
        c.message = t.mismatch->Summary();
        c.type = t.mismatch->failure_class;
        c.text = MismatchReport(*t.mismatch) + ContextNotes(*t.schedule) + "schedule " +
                 std::to_string(t.schedule_index) + " (seed " + sseed + ")\n";
        for (const std::string& file : {finding_path, shrunk_path}) {
          if (file.empty()) continue;
          c.text += std::string(file == shrunk_path ? "shrunk reproducer: " : "") + "replay: harvey run " + file + " " +
                    where + "\n  story: harvey explain " + file + " (page: " +
                    file.substr(0, file.size() - 6) + ".html)\n";
        }
      } else if (!t.error.empty()) {
        c.kind = JunitCase::Kind::kError;
        c.message = "harness error (harvey's problem, not a finding): " + t.error;
        c.type = "harness-error";
        c.text = c.message + "\nschedule saved: " + a.out_dir + "/harness-error-" + sseed + ".sched\n";
      }
      junit.suite.cases.push_back(c);
      // A job: its parent writes the file; this case's verdict goes with its report.
      if (c.kind != JunitCase::Kind::kPass) {
        junit_final = {{"kind", c.kind == JunitCase::Kind::kFailure ? "failure" : "error"},
                       {"message", c.message}, {"type", c.type}, {"text", c.text}};
      }
    }
    if (channel.active()) {
      // (written by the parent)
    } else if (std::string e = WriteJunit(a.junit, {junit.suite}); !e.empty()) {
      std::fprintf(stderr, "harvey fuzz: %s\n", e.c_str());
      if (exit_code == kExitPass) exit_code = kExitEnvironment;
    }
  }
  if (a.json || channel.active()) {
    nlohmann::json j = CampaignJson(a, seed, t, interrupted, t.sqlite, memory);
    if (!t.error.empty()) j["harness_error"] = t.error;  // harvey's problem, not a finding
    if (!finding_path.empty()) j["finding"] = finding_path;
    if (site) j.update(site->json);
    if (!shrunk_path.empty()) j["shrunk"] = shrunk;
    if (channel.active()) {
      if (t.schedule) j["schedule_index"] = t.schedule_index;
      j["missing"] = t.missing;
      if (!junit_final.is_null()) j["junit"] = junit_final;
      channel.Send({{"t", "result"}, {"json", j}});
    } else {
      std::cout << j.dump() << "\n";
    }
  }
  if (interrupted) return 128 + InterruptSignal();
  return harness_failed ? harness_failed : exit_code;
}

}  // namespace harvey::harness
