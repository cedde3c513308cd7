#include "harness/cli/fuzz_jobs.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/cli/jobs.h"
#include "harness/coordinator/reach_report.h"
#include "harness/os/interrupt.h"
#include "harness/os/memory.h"
#include "harness/report/progress.h"
#include "harness/report/report.h"
#include "harness/worker/sqlite_build.h"

namespace harvey::harness {
namespace {

struct Job {
  JobProcess p;
  CampaignResult figures;          // its latest progress (schedules, steps, ...)
  std::optional<uint64_t> last;    // campaign index of its last passed schedule
  std::optional<uint64_t> found;   // it found a mismatch here and waits for an answer
  bool answered = false;           // ... and was answered
  bool saved = false;              // ... "save"
  bool stopped = false;            // we sent it SIGINT
  std::optional<uint64_t> error_at;  // it reported a harness error at this index, not judged yet
  nlohmann::json result;           // its final report (null: none came)
};

bool Running(const Job& j) { return j.p.fd >= 0; }

void Stop(Job& j) {
  if (j.stopped || j.p.exited || !j.result.is_null()) return;  // (a job that reported is ending)
  j.stopped = true;
  ::kill(j.p.pid, SIGINT);
}

void Answer(Job& j, bool save) {
  if (!j.found || j.answered) return;
  j.answered = true;
  j.saved = save;
  ReplyToJob(j.p, save ? "save" : "drop");
}

// Every job but `except` runs on past a finding's or an error's `index`:
// stops each running one that has passed it without a finding of its own.
// Returns whether none is still below it (a finder waits for its answer).
bool StopThosePast(std::vector<Job>& jobs, uint64_t index, const Job* except) {
  bool all_past = true;
  for (Job& j : jobs) {
    if (&j == except || !Running(j) || j.found || j.stopped) continue;
    if (j.last && *j.last >= index) {
      Stop(j);
    } else {
      all_past = false;
    }
  }
  return all_past;
}

uint64_t U(const nlohmann::json& j, const char* key) { return j.value(key, uint64_t{0}); }

// A job's figures from its progress line ("p") or its final report (which
// names the overlapped steps as --json does).
void ReadFigures(const nlohmann::json& j, const char* overlapped_key, CampaignResult* f) {
  f->schedules = U(j, "schedules");
  f->steps = U(j, "steps");
  f->crashes = U(j, "crashes");
  f->yields = U(j, "yields");
  f->overlapped = U(j, overlapped_key);
}

}  // namespace

ErrorVerdict JudgeError(uint64_t error_index, const std::vector<OtherJob>& others) {
  bool waiting = false;
  for (const OtherJob& o : others) {
    if (o.found && *o.found < error_index) return ErrorVerdict::kMoot;
    if (o.running && !o.found && !(o.last && *o.last >= error_index)) waiting = true;
  }
  return waiting ? ErrorVerdict::kWait : ErrorVerdict::kStands;
}

int RunFuzzJobs(const FuzzArgs& a, uint64_t seed, const CampaignSpec& spec, const std::string& label,
                JunitBatches junit, const std::string& where, const std::string& reach_dir) {
  const uint64_t n = static_cast<uint64_t>(a.jobs);
  std::fprintf(stderr,
               "harvey fuzz: %llu jobs, each its own process, workers and scratch directory (in %s); together "
               "they run this campaign's schedules, each once\n",
               static_cast<unsigned long long>(n), where.c_str());
  std::vector<Job> jobs;
  for (uint64_t j = 0; j < n; ++j) {
    const CampaignSpec js = JobSpec(spec, j, n);
    if (js.count && *js.count == 0) continue;  // --count below --jobs: nothing for this one
    std::vector<std::string> extra = {"--seed", std::to_string(seed), "--job",
                                      std::to_string(j) + "/" + std::to_string(n), "--job-channel", "3"};
    if (!reach_dir.empty()) {
      extra.push_back("--job-reach-dir");
      extra.push_back(reach_dir);
    }
    const std::vector<std::string> args =
        JobArgs(a.command_line, {"--seed", "--job", "--job-channel", "--job-reach-dir"}, extra);
    Result<JobProcess> p = StartJob(static_cast<int>(j), args);
    if (!p.ok()) {
      std::fprintf(stderr, "harvey fuzz: cannot start job %llu: %s\n", static_cast<unsigned long long>(j),
                   p.error().c_str());
      for (Job& started : jobs) Stop(started);
      for (Job& started : jobs) ReapJob(&started.p, 30000);
      return kExitHarness;
    }
    jobs.push_back(Job{.p = p.value()});
  }

  const auto start = std::chrono::steady_clock::now();
  // The campaign's time ends when the lowest finding is told to save (its
  // saving and shrinking are not campaign time, as with --jobs 1).
  std::optional<double> ended;
  auto elapsed = [&] {
    return ended ? *ended : std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  auto totals = [&] {
    CampaignResult t;
    for (const Job& j : jobs) {
      t.schedules += j.figures.schedules;
      t.steps += j.figures.steps;
      t.crashes += j.figures.crashes;
      t.yields += j.figures.yields;
      t.overlapped += j.figures.overlapped;
    }
    t.elapsed_s = elapsed();
    return t;
  };
  Progress progress;
  TreeMemory memory = SelfAndDescendantsMemory();
  auto memory_due = start;
  bool forwarded = false;   // an interrupt reached us and every job
  bool error_seen = false;  // a job reported a harness error
  const Job* failed = nullptr;  // the first such job (or one that ended without a report)
  bool decided = false;     // the lowest finding was told to save
  // Tells `best` to save its finding; the campaign's time ends here.
  auto decide = [&](Job& best) {
    progress.Finish();
    ended = elapsed();
    Answer(best, true);
    decided = true;
  };
  auto lowest_error = [&]() -> Job* {
    Job* low = nullptr;
    for (Job& j : jobs) {
      if (j.error_at && (!low || *j.error_at < *low->error_at)) low = &j;
    }
    return low;
  };
  auto lowest_finder = [&]() -> Job* {
    Job* best = nullptr;
    for (Job& j : jobs) {
      if (j.found && !j.answered && (!best || *j.found < *best->found)) best = &j;
    }
    return best;
  };
  std::vector<JobProcess*> channels;
  for (Job& j : jobs) channels.push_back(&j.p);
  while (std::any_of(jobs.begin(), jobs.end(), [](const Job& j) { return !j.p.exited; })) {
    for (const auto& [i, line] : PollJobs(channels, 200)) {
      Job& j = jobs[i];
      const std::string type = line.value("t", "");
      if (type == "p") {
        ReadFigures(line, "overlapped", &j.figures);
        j.last = U(line, "last");
      } else if (type == "found") {
        j.found = U(line, "index");
        if (decided || error_seen) Answer(j, false);  // a later one than the saved one, or moot
      } else if (type == "result" && line.contains("json")) {
        j.result = line["json"];
        ReadFigures(j.result, "overlapped_steps", &j.figures);
        if (j.result.contains("harness_error") && !j.stopped && !forwarded) {
          if (j.result.contains("schedule_index")) {
            j.error_at = U(j.result, "schedule_index");  // judged below, once the others have passed it
          } else {
            error_seen = true;
            if (!failed) failed = &j;
          }
        }
      }
    }
    for (Job& j : jobs) {
      if (!Running(j) && !j.p.exited) {
        ReapJob(&j.p, 30000);
        // A job that ended without its report (crashed, or a usage error
        // it printed itself) ends the campaign.
        if (j.result.is_null() && !j.stopped && !forwarded) {
          error_seen = true;
          if (!failed) failed = &j;
        }
      }
    }
    if (Interrupted() && !forwarded) {
      forwarded = true;
      for (Job& j : jobs) Stop(j);
    }
    // The lowest harness error not judged yet (JudgeError): the others run
    // on past its index, as they do past a finding's.
    if (Job* e = lowest_error(); e && !error_seen) {
      std::vector<OtherJob> others;
      for (const Job& j : jobs) {
        if (&j != e) others.push_back({Running(j) && !j.stopped && j.result.is_null(), j.found, j.last});
      }
      const ErrorVerdict v = JudgeError(*e->error_at, others);
      if (v == ErrorVerdict::kMoot) {
        for (Job& j : jobs) {
          if (!j.error_at) continue;
          j.stopped = true;  // it ran past a finding: as if we had stopped it there (--jobs 1 never gets here)
          progress.Finish();
          std::fprintf(stderr,
                       "harvey fuzz: job %d's harness error at schedule %llu comes after a finding at a lower "
                       "index, which --jobs 1 stops at first; the finding stands (the error's schedule is kept "
                       "as above)\n",
                       j.p.job, static_cast<unsigned long long>(*j.error_at));
          j.error_at.reset();
        }
      } else if (v == ErrorVerdict::kStands || forwarded) {  // (^C: what is known now)
        error_seen = true;
        if (!failed) failed = e;
      } else {
        StopThosePast(jobs, *e->error_at, e);
      }
    }
    if (error_seen || forwarded) {
      for (Job& j : jobs) {
        if (error_seen) Stop(j);
      }
      // An interrupt still saves the lowest finding already made (as --jobs 1
      // saves the one it stopped at); a harness error saves none.
      if (!decided) {
        if (Job* best = error_seen ? nullptr : lowest_finder()) decide(*best);
      }
      for (Job& j : jobs) Answer(j, false);
    } else if (!decided) {
      Job* best = lowest_finder();
      const Job* error = lowest_error();  // a finding above it waits for its verdict
      if (best && !(error && *error->error_at < *best->found)) {
        if (StopThosePast(jobs, *best->found, best)) {
          decide(*best);
          for (Job& j : jobs) Answer(j, false);
        }
      }
    }
    if (std::chrono::steady_clock::now() >= memory_due && !decided) {
      memory = SelfAndDescendantsMemory();  // the last sample while the jobs ran
      memory_due = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }
    if (!a.junit.empty() && !decided) {
      const CampaignResult now = totals();
      while (now.schedules - junit.first >= kJunitBatch) {  // batches of exactly 100, as --jobs 1 cuts them
        junit.suite.cases.push_back(junit.Batch(a.boundary, junit.first + kJunitBatch, now.elapsed_s));
      }
    }
    if (!decided) {
      progress.Update([&] {
        return "fuzz " + label + ", " + std::to_string(jobs.size()) + " jobs: " + FuzzRates(totals()) + "; " +
               MemoryPhrase(memory);
      });
    }
  }
  progress.Finish();

  // The campaign's result: totals, and the job whose report stands for it.
  CampaignResult t = totals();
  const Job* winner = nullptr;  // saved the finding
  for (const Job& j : jobs) {
    if (j.saved) winner = &j;
  }
  std::vector<SqliteBuild> builds;
  for (const Job& j : jobs) {
    if (j.result.is_null()) continue;
    for (const nlohmann::json& b : j.result.value("sqlite_builds", nlohmann::json::array())) {
      const SqliteBuild s = SqliteBuildFromJson(b);
      if (std::find(builds.begin(), builds.end(), s) == builds.end()) builds.push_back(s);
    }
  }
  if (winner) t.mismatch = model::Mismatch{};  // (FuzzRates counts it)
  int exit_code = kExitPass;
  int harness_failed = 0;
  std::string error;
  if (failed) {
    if (!failed->result.is_null()) {
      error = failed->result.value("harness_error", "");
      exit_code = failed->result.value("missing", false) ? kExitEnvironment : kExitHarness;
    } else {
      const int code = ExitCodeOf(failed->p.status);
      exit_code = code == kExitUsage || code == kExitEnvironment ? code : kExitHarness;
      error = "job " + std::to_string(failed->p.job) + " ended without a report (" +
              DescribeStatus(failed->p.status) + ")";
      if (exit_code == kExitHarness) std::fprintf(stderr, "harvey fuzz: %s\n", error.c_str());
    }
  } else if (winner) {
    exit_code = kExitMismatch;
    const int code = ExitCodeOf(winner->p.status);
    if (code == kExitHarness || code == kExitEnvironment) harness_failed = code;  // shrinking stopped
  }
  if (!reach_dir.empty()) std::fputs(FormatReach(CollectReach(reach_dir)).c_str(), stderr);  // every job's
  const bool interrupted = Interrupted();
  std::string verdict = failed && exit_code != kExitUsage
                            ? "STOPPED BY A HARNESS ERROR (harvey's problem, not a finding)"
                        : winner ? "FOUND A MISMATCH"
                                 : "no failure found (this is not a proof of safety)";
  if (harness_failed) verdict += "; shrinking stopped by a harness error (harvey's problem)";
  if (interrupted) verdict += "; interrupted";
  std::fputs(DescribeBuilds(builds, "").c_str(), stderr);
  std::fprintf(stderr, "fuzz %s seed %llu, %zu jobs: %s: %s\n", label.c_str(), static_cast<unsigned long long>(seed),
               jobs.size(), FuzzRates(t).c_str(), verdict.c_str());
  std::fprintf(stderr, "memory (last sample while the jobs ran, every job and worker process): %s\n",
               MemoryPhrase(memory).c_str());
  if (!a.junit.empty()) {
    const Job* stands = winner ? winner : failed;  // its testcase is the campaign's verdict
    const nlohmann::json verdict_case =
        stands && !stands->result.is_null() ? stands->result.value("junit", nlohmann::json()) : nlohmann::json();
    const uint64_t end = t.schedules + (failed && !winner ? 1 : 0);  // an errored schedule did not count
    if (end > junit.first || stands) {
      JunitCase c = junit.Batch(a.boundary, std::max(end, junit.first + 1), t.elapsed_s);
      if (verdict_case.is_object()) {
        c.kind = verdict_case.value("kind", "") == "failure" ? JunitCase::Kind::kFailure : JunitCase::Kind::kError;
        c.message = verdict_case.value("message", "");
        c.type = verdict_case.value("type", "");
        c.text = verdict_case.value("text", "");
      } else if (stands && !winner) {  // a job that ended without a report
        c.kind = JunitCase::Kind::kError;
        c.message = "harness error (harvey's problem, not a finding): " + error;
        c.type = "harness-error";
        c.text = c.message + "\n";
      }
      junit.suite.cases.push_back(c);
    }
    if (std::string e = WriteJunit(a.junit, {junit.suite}); !e.empty()) {
      std::fprintf(stderr, "harvey fuzz: %s\n", e.c_str());
      if (exit_code == kExitPass) exit_code = kExitEnvironment;
    }
  }
  if (a.json) {
    nlohmann::json per_job = nlohmann::json::array();
    for (const Job& j : jobs) {
      nlohmann::json r = j.result.is_null() ? nlohmann::json::object() : j.result;
      per_job.push_back({{"job", j.p.job},
                         {"schedules", j.figures.schedules},
                         {"elapsed_s", r.value("elapsed_s", 0.0)},
                         {"exit", ExitCodeOf(j.p.status)},
                         {"stopped_early", j.stopped}});
    }
    nlohmann::json j = CampaignJson(a, seed, t, interrupted, builds, memory);  // memory: jobs included
    j["jobs"] = jobs.size();
    j["per_job"] = per_job;
    if (!error.empty()) j["harness_error"] = error;
    if (winner) {
      if (winner->result.contains("finding")) j["finding"] = winner->result["finding"];
      if (winner->result.contains("shrunk")) j["shrunk"] = winner->result["shrunk"];
      if (winner->result.contains("schedule_index")) j["schedule_index"] = winner->result["schedule_index"];
    }
    std::cout << j.dump() << "\n";
  }
  if (interrupted) return 128 + InterruptSignal();
  return harness_failed ? harness_failed : exit_code;
}

}  // namespace harvey::harness
