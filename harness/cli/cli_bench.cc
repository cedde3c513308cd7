// `harvey bench`: the limit and harvey's boundaries and policies on the
// same generated schedules (harness/coordinator/bench.h), with and without
// the default crash mix; a table (or --json) of schedules/s, steps/s,
// yields/s and each one's ratio to the limit of the same crash mix.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness/backend/backend.h"
#include "harness/boundary/placements.h"
#include "harness/cli/bench_jobs.h"
#include "harness/cli/cli.h"
#include "harness/cli/jobs.h"
#include "harness/coordinator/bench.h"
#include "harness/coordinator/campaign.h"
#include "harness/os/interrupt.h"
#include "harness/os/scratch.h"
#include "harness/worker/sqlite_build.h"
#include "model/policy.h"

namespace harvey::harness {
namespace {

struct Row {
  std::string crashes;   // "none" | "default"
  std::string run;       // "limit" or the boundary
  std::string policy;    // "" for the limit
  std::string status = "ok";  // ok | skipped | error | mismatch
  std::string reason;
  BenchFigures f;
  double ratio_schedules = 0;  // to the limit of the same crash mix
  double ratio_steps = 0;
  double ratio_cpu = 0;  // schedules per CPU second, to the limit's
};

double PerS(uint64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0.0; }

std::string LoadAverage() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

CampaignSpec Spec(const BenchArgs& a, bool crashes, bool kill_inside_ops, bool power_losses) {
  CampaignSpec spec;
  spec.seed = a.seed;
  spec.count = a.count;
  spec.gen = model::GenOptions{.workers = a.workers, .steps = a.steps};
  const FuzzArgs d;  // `harvey fuzz`'s default crash mix
  spec.crashes = model::CrashOptions{.kill_percent = crashes ? d.kill_percent : 0,
                                     .power_loss_percent = crashes && power_losses ? d.power_loss_percent : 0,
                                     .kill_inside_ops = kill_inside_ops};
  uint64_t job = 0, jobs = 1;
  if (!a.job.empty() && ParseJob(a.job, &job, &jobs).empty()) spec = JobSpec(spec, job, jobs);  // a --jobs child
  return spec;
}

// One harvey campaign on `boundary` under `policy_name`, as `harvey fuzz`
// runs it.
Row RunHarvey(const BenchArgs& a, bool crashes, const std::string& boundary, const std::string& policy_name,
              const std::string& db_dir) {
  Row row{.crashes = crashes ? "default" : "none", .run = boundary, .policy = policy_name};
  int code = 0;
  if (std::string e = CheckPlacement(boundary, nullptr, &code); !e.empty()) {
    row.status = code == kExitEnvironment ? "skipped" : "error";
    row.reason = e;
    return row;
  }
  std::string error;
  std::unique_ptr<Backend> backend = MakeBackend(boundary, &error);
  if (!backend) {
    row.status = "error";
    row.reason = error;
    return row;
  }
  model::Policy policy;
  model::ParsePolicy(policy_name, &policy);  // checked by the caller
  if (policy.kind != model::PolicyKind::kOp && !backend->Interleaves()) {
    row.status = "skipped";
    row.reason = "boundary " + boundary + " cannot interleave ops inside a statement";
    return row;
  }
  CampaignSpec spec = Spec(a, crashes, backend->KillsInsideOps(), PowerLossModelled(boundary));
  spec.policy = policy;
  const double cpu_start = CpuSeconds();
  const CampaignResult t = RunCampaign(spec, *backend, db_dir);
  backend.reset();  // workers and sandboxes go now (reaped: their CPU counts here)
  row.f = BenchFigures{.schedules = t.schedules, .steps = t.steps, .yields = t.yields, .elapsed_s = t.elapsed_s,
                       .cpu_s = CpuSeconds() - cpu_start};
  if (t.interrupted) {
    row.status = "error";
    row.reason = "interrupted";
  } else if (!t.error.empty()) {
    // Could not even start one schedule: this boundary cannot run here.
    row.status = t.schedules == 0 ? "skipped" : "error";
    row.reason = t.error;
  } else if (t.mismatch) {
    row.status = "mismatch";
    row.reason = "schedule " + std::to_string(t.schedule_index) +
                 " mismatched (replay: harvey fuzz --boundary " + boundary + " --seed " + std::to_string(a.seed) +
                 (crashes ? "" : " --kills 0 --power-losses 0") + " --policy " + policy_name + ")";
  }
  return row;
}

void PrintTable(const BenchArgs& a, const std::vector<Row>& rows, const std::string& load_before,
                const std::string& load_after, const std::string& scratch) {
  std::printf("harvey bench: seed %llu, %llu schedules of %d steps x %d workers per run, %d round%s, SQLite %s\n",
              static_cast<unsigned long long>(a.seed), static_cast<unsigned long long>(a.count), a.steps,
              a.workers, a.rounds, a.rounds == 1 ? "" : "s", ThisSqlite().version.c_str());
  if (a.jobs > 1) {
    std::printf("jobs: %d per row, at once, each on a disjoint share of the row's schedules; schedules/s = the "
                "jobs' total / the row's wall time (earliest job's start to latest job's end); CPU summed\n",
                a.jobs);
  }
  std::printf("scratch %s\nload average (1/5/15 min) before %s, after %s; %ld cores\n", scratch.c_str(),
              load_before.c_str(), load_after.c_str(), ::sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("%-8s %-14s %12s %10s %10s %8s %8s %11s %8s\n", "crashes", "run", "schedules/s", "steps/s",
              "yields/s", "x limit", "(steps)", "sched/cpu-s", "x limit");
  for (const Row& r : rows) {
    const std::string name = r.policy.empty() ? r.run : r.run + " " + r.policy;
    if (r.status == "skipped" || (r.status == "error" && r.f.schedules == 0)) {
      std::printf("%-8s %-14s %s: %s\n", r.crashes.c_str(), name.c_str(), r.status.c_str(), r.reason.c_str());
      continue;
    }
    char yields[32] = "-";
    if (r.f.yields > 0) std::snprintf(yields, sizeof yields, "%.0f", PerS(r.f.yields, r.f.elapsed_s));
    std::printf("%-8s %-14s %12.1f %10.0f %10s %8.2f %8.2f %11.1f %8.2f%s%s\n", r.crashes.c_str(), name.c_str(),
                PerS(r.f.schedules, r.f.elapsed_s), PerS(r.f.steps, r.f.elapsed_s), yields, r.ratio_schedules,
                r.ratio_steps, PerS(r.f.schedules, r.f.cpu_s), r.ratio_cpu, r.status == "ok" ? "" : ("  " + r.status + ": ").c_str(),
                r.status == "ok" ? "" : r.reason.c_str());
  }
}

nlohmann::json RowJson(const Row& r) {
  return {{"crashes", r.crashes},
          {"run", r.run},
          {"policy", r.policy},
          {"status", r.status},
          {"reason", r.reason},
          {"schedules", r.f.schedules},
          {"steps", r.f.steps},
          {"yields", r.f.yields},
          {"elapsed_s", r.f.elapsed_s},
          {"schedules_per_s", PerS(r.f.schedules, r.f.elapsed_s)},
          {"steps_per_s", PerS(r.f.steps, r.f.elapsed_s)},
          {"yields_per_s", PerS(r.f.yields, r.f.elapsed_s)},
          {"ratio_schedules", r.ratio_schedules},
          {"ratio_steps", r.ratio_steps},
          {"cpu_s", r.f.cpu_s},
          {"schedules_per_cpu_s", PerS(r.f.schedules, r.f.cpu_s)},
          {"ratio_cpu", r.ratio_cpu}};
}

nlohmann::json Json(const BenchArgs& a, const std::vector<Row>& rows, const std::string& load_before,
                    const std::string& load_after, const std::string& scratch) {
  nlohmann::json out{{"seed", a.seed},
                     {"count", a.count},
                     {"steps", a.steps},
                     {"workers", a.workers},
                     {"rounds", a.rounds},
                     {"sqlite", ThisSqlite().version},
                     {"scratch", scratch},
                     {"load_before", load_before},
                     {"load_after", load_after},
                     {"cores", ::sysconf(_SC_NPROCESSORS_ONLN)}};
  if (a.jobs > 1) {
    out["jobs"] = a.jobs;
    out["rates"] = "each row as jobs processes at once on disjoint shares of its schedules; schedules, steps, "
                   "yields and cpu_s summed over them; elapsed_s is the row's wall time, from the earliest "
                   "job's start to the latest job's end";
  }
  nlohmann::json list = nlohmann::json::array();
  for (const Row& r : rows) list.push_back(RowJson(r));
  out["rows"] = list;
  return out;
}

// --jobs: one row as N jobs (harness/cli/bench_jobs.h).
Row JobsRowOf(const BenchArgs& a, bool crashes, const std::string& run, const std::string& policy) {
  JobsRow j = RunBenchRowJobs(a, crashes, run, policy);
  return Row{.crashes = crashes ? "default" : "none", .run = run, .policy = policy, .status = j.status,
             .reason = j.reason, .f = j.f};
}

}  // namespace

int CmdBench(const BenchArgs& a) {
  // A --jobs child runs one row (--job-row) and reports it to its parent.
  const JobChannel channel(a.job_channel);
  if (channel.active()) {
    uint64_t job = 0, jobs = 1;
    if (std::string e = ParseJob(a.job, &job, &jobs); !e.empty() || (a.job_row != "limit" && a.job_row != "harvey")) {
      std::fprintf(stderr, "harvey bench: %s\n", e.empty() ? "--job-row: limit or harvey" : e.c_str());
      return kExitUsage;
    }
    JobChildSetup(job);
  }
  const std::vector<std::string> boundaries = Split(a.boundaries);
  const std::vector<std::string> policies = Split(a.policies);
  for (const std::string& p : policies) {
    model::Policy policy;
    if (std::string e = model::ParsePolicy(p, &policy); !e.empty()) {
      std::fprintf(stderr, "harvey bench: %s\n", e.c_str());
      return kExitUsage;
    }
  }
  std::vector<bool> mixes;  // false: no crashes, true: the default mix
  for (const std::string& c : Split(a.crashes)) {
    if (c != "none" && c != "default") {
      std::fprintf(stderr, "harvey bench: --crashes: '%s' is not a crash mix (none, default)\n", c.c_str());
      return kExitUsage;
    }
    const bool with = c == "default";
    if (std::find(mixes.begin(), mixes.end(), with) == mixes.end()) mixes.push_back(with);
  }
  if (mixes.empty()) {
    std::fprintf(stderr, "harvey bench: --crashes names no crash mix (none, default)\n");
    return kExitUsage;
  }
  for (const std::string& b : boundaries) {
    int code = 0;
    if (std::string e = CheckPlacement(b, nullptr, &code); code == kExitUsage) {
      std::fprintf(stderr, "harvey bench: %s\n", e.c_str());
      return kExitUsage;
    }
  }
  auto scratch = ScratchDir::Create(a.scratch_parent);
  if (!scratch.ok()) {
    std::fprintf(stderr, "harvey bench: %s\n", scratch.error().c_str());
    return kExitEnvironment;
  }
  const std::string db_dir = scratch.value()->path();
  if (channel.active()) {
    const bool crashes = mixes.front();
    Row row{.crashes = crashes ? "default" : "none", .run = "limit", .policy = ""};
    if (a.job_row == "limit") {
      if (std::string e = RunLimit(Spec(a, crashes, true, true), db_dir, &row.f); !e.empty()) {
        row.status = "error";
        row.reason = e;
      }
    } else {
      row = RunHarvey(a, crashes, boundaries.front(), policies.front(), db_dir);
    }
    nlohmann::json j = RowJson(row);
    // The end of its work on the clock every job shares (CLOCK_MONOTONIC).
    j["end_mono_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    channel.Send({{"t", "result"}, {"json", j}});
    if (Interrupted()) return 128 + InterruptSignal();
    return row.status == "mismatch" ? kExitMismatch : row.status == "error" ? kExitHarness : kExitPass;
  }
  const std::string load_before = LoadAverage();
  // Rows in the order run; each round runs them all again on the same
  // schedules and adds to the same rows, so a burst of load from the
  // neighbours spreads over every row instead of landing on one.
  std::vector<Row> rows;
  for (int round = 0; round < a.rounds && !Interrupted(); ++round) {
    size_t at = 0;
    auto add = [&](Row r) {
      if (round == 0) {
        rows.push_back(std::move(r));
      } else if (rows[at].status == "ok") {  // a row that stopped stays as it stopped
        BenchFigures& f = rows[at].f;
        if (r.status != "ok") {
          rows[at].status = r.status;
          rows[at].reason = r.reason;
        }
        f.schedules += r.f.schedules;
        f.steps += r.f.steps;
        f.yields += r.f.yields;
        f.elapsed_s += r.f.elapsed_s;
        f.cpu_s += r.f.cpu_s;
      }
      at++;
    };
    for (bool crashes : mixes) {
      Row limit{.crashes = crashes ? "default" : "none", .run = "limit", .policy = ""};
      std::fprintf(stderr, "harvey bench: round %d/%d, %s crashes: limit ...\n", round + 1, a.rounds,
                   limit.crashes.c_str());
      // With crashes: the process boundaries' schedules (kills inside ops and power
      // losses included; the limit skips the first and reopens at the second).
      if (a.jobs > 1) {
        limit = JobsRowOf(a, crashes, "limit", "");
      } else if (std::string e = RunLimit(Spec(a, crashes, true, true), db_dir, &limit.f); !e.empty()) {
        limit.status = "error";
        limit.reason = e;
      }
      add(limit);
      for (const std::string& b : boundaries) {
        for (const std::string& p : policies) {
          if (Interrupted()) break;
          if (round > 0 && rows[at].status != "ok") {  // skipped or stopped: once is enough
            at++;
            continue;
          }
          std::fprintf(stderr, "harvey bench: round %d/%d, %s crashes: %s %s ...\n", round + 1, a.rounds,
                       limit.crashes.c_str(), b.c_str(), p.c_str());
          add(a.jobs > 1 ? JobsRowOf(a, crashes, b, p) : RunHarvey(a, crashes, b, p, db_dir));
        }
      }
    }
  }
  // Ratios to the limit of the same crash mix.
  const Row* limit = nullptr;
  for (Row& r : rows) {
    if (r.run == "limit") limit = &r;
    auto ratio = [](uint64_t n, double s, uint64_t ln, double ls) {
      const double l = PerS(ln, ls);
      return l > 0 ? PerS(n, s) / l : 0.0;
    };
    r.ratio_schedules = ratio(r.f.schedules, r.f.elapsed_s, limit->f.schedules, limit->f.elapsed_s);
    r.ratio_steps = ratio(r.f.steps, r.f.elapsed_s, limit->f.steps, limit->f.elapsed_s);
    r.ratio_cpu = ratio(r.f.schedules, r.f.cpu_s, limit->f.schedules, limit->f.cpu_s);
  }
  const std::string load_after = LoadAverage();
  if (a.json) {
    std::cout << Json(a, rows, load_before, load_after, scratch.value()->where()).dump() << "\n";
  } else {
    PrintTable(a, rows, load_before, load_after, scratch.value()->where());
  }
  if (Interrupted()) return 128 + InterruptSignal();
  int exit_code = kExitPass;
  for (const Row& r : rows) {
    if (r.status == "mismatch") exit_code = kExitMismatch;
  }
  for (const Row& r : rows) {
    if (r.status == "error" && exit_code == kExitPass) exit_code = kExitHarness;
  }
  return exit_code;
}

}  // namespace harvey::harness
