#include "harness/cli/bench_jobs.h"

#include <algorithm>
#include <csignal>
#include <vector>

#include "harness/cli/jobs.h"
#include "harness/coordinator/campaign.h"
#include "harness/os/interrupt.h"

namespace harvey::harness {
namespace {

int Rank(const std::string& status) {  // which job's status stands for the row
  return status == "mismatch" ? 3 : status == "error" ? 2 : status == "skipped" ? 1 : 0;
}

}  // namespace

JobsRow RunBenchRowJobs(const BenchArgs& a, bool crashes, const std::string& run, const std::string& policy) {
  JobsRow row;
  const uint64_t n = static_cast<uint64_t>(a.jobs);
  CampaignSpec whole;
  whole.count = a.count;
  struct Job {
    JobProcess p;
    nlohmann::json result;
    bool stopped = false;
  };
  std::vector<Job> jobs;
  for (uint64_t j = 0; j < n; ++j) {
    if (JobSpec(whole, j, n).count.value_or(0) == 0) continue;  // --count below --jobs
    std::vector<std::string> args = {"bench",        "--json",
                                     "--count",      std::to_string(a.count),
                                     "--seed",       std::to_string(a.seed),
                                     "--steps",      std::to_string(a.steps),
                                     "--workers",    std::to_string(a.workers),
                                     "--boundaries", run == "limit" ? "fork" : run,
                                     "--policies",   policy.empty() ? "op" : policy,
                                     "--crashes",    crashes ? "default" : "none",
                                     "--job",        std::to_string(j) + "/" + std::to_string(n),
                                     "--job-channel", "3",
                                     "--job-row",    run == "limit" ? "limit" : "harvey"};
    if (!a.scratch_parent.empty()) {
      args.push_back("--scratch");
      args.push_back(a.scratch_parent);
    }
    Result<JobProcess> p = StartJob(static_cast<int>(j), args);
    if (!p.ok()) {
      row.status = "error";
      row.reason = "cannot start job " + std::to_string(j) + ": " + p.error();
      break;
    }
    jobs.push_back(Job{.p = p.value()});
  }
  std::vector<JobProcess*> channels;
  for (Job& j : jobs) channels.push_back(&j.p);
  bool forwarded = false;
  while (std::any_of(jobs.begin(), jobs.end(), [](const Job& j) { return !j.p.exited; })) {
    if ((Interrupted() || row.status != "ok") && !forwarded) {
      forwarded = true;
      for (Job& j : jobs) {
        if (!j.p.exited) ::kill(j.p.pid, SIGINT);
        j.stopped = true;
      }
    }
    for (const auto& [i, line] : PollJobs(channels, 200)) {
      if (line.value("t", "") == "result" && line.contains("json")) jobs[i].result = line["json"];
    }
    for (Job& j : jobs) {
      if (j.p.fd < 0 && !j.p.exited) ReapJob(&j.p, 30000);
    }
  }
  double first_start = 0, last_end = 0;
  bool any = false;
  for (const Job& j : jobs) {
    if (j.result.is_null()) {
      if (row.status == "ok" && !Interrupted()) {
        row.status = "error";
        row.reason = "job " + std::to_string(j.p.job) + " ended without a report (" + DescribeStatus(j.p.status) + ")";
      }
      continue;
    }
    const nlohmann::json& r = j.result;
    const std::string status = r.value("status", "error");
    if (Rank(status) > Rank(row.status)) {
      row.status = status;
      row.reason = r.value("reason", "");
    }
    row.f.schedules += r.value("schedules", uint64_t{0});
    row.f.steps += r.value("steps", uint64_t{0});
    row.f.yields += r.value("yields", uint64_t{0});
    row.f.cpu_s += r.value("cpu_s", 0.0);
    const double end = r.value("end_mono_s", 0.0);
    const double start = end - r.value("elapsed_s", 0.0);
    if (!any || start < first_start) first_start = start;
    if (!any || end > last_end) last_end = end;
    any = true;
  }
  if (Interrupted() && row.status == "ok") {
    row.status = "error";
    row.reason = "interrupted";
  }
  row.f.elapsed_s = any ? last_end - first_start : 0;
  return row;
}

}  // namespace harvey::harness
