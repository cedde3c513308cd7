// `harvey fuzz --jobs N` (N >= 2): the parent. It starts N job processes
// (harness/cli/jobs.h), job j on JobSpec(spec, j, N) (a disjoint share of the
// campaign; with --count C they run exactly the C schedules --jobs 1 runs),
// sums their progress into one line, and prints one summary (and --json)
// with the totals.
//
// Findings are deterministic: a job that finds a mismatch at campaign index
// i asks before saving it; the parent lets every other job run on until it
// has passed index i or found its own, stops it (SIGINT: its ordinary
// teardown), and tells the job with the lowest index to save and shrink its
// finding (its output appears as with --jobs 1) and every other finder to
// drop its own (nothing written). So `--jobs N --count C` reports the same
// schedule index and writes the same finding file as `--jobs 1 --count C`.
// A harness error at schedule index e is judged the same way (JudgeError):
// every other job runs on until it has passed e (then it is stopped) or
// found a mismatch; a finding below e makes the error moot (the finding is
// reported, as --jobs 1 would, which never runs schedule e), else the error
// stops every job (its message is the job's own; exit 3 or 4). An error
// without an index (a job that could not start its campaign, or ended
// without a report) stops every job at once. A ^C (or SIGTERM) is
// forwarded to every job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/cli/cli.h"
#include "harness/coordinator/campaign.h"
#include "harness/os/memory.h"
#include "harness/report/junit.h"
#include "harness/worker/sqlite_build.h"

namespace harvey::harness {

// --junit: one testcase per batch of kJunitBatch schedules (counted, not
// indices), and the last one fails with the finding or the harness error.
constexpr uint64_t kJunitBatch = 100;

struct JunitBatches {
  JunitSuite suite;
  uint64_t first = 0;     // first schedule of the open batch
  double started_s = 0;   // campaign time at its start

  JunitCase Batch(const std::string& boundary, uint64_t end, double now_s) {
    JunitCase c;
    c.name = "schedules " + std::to_string(first) + "-" + std::to_string(end - 1);
    c.classname = "harvey.fuzz." + boundary;
    c.time_s = now_s - started_s;
    first = end;
    started_s = now_s;
    return c;
  }
};

// `spec`: the whole campaign as --jobs 1 would run it. `where`: where the
// jobs' scratch directories go, as printed. `reach_dir` (--reach; else ""):
// every job's worker processes count into it (one file each, by pid), and
// the parent prints one reach table of them all after the jobs end.
// --junit: `junit` (named, stamped) gets a testcase per kJunitBatch
// schedules of the jobs' total, the last one carrying the failure or error
// testcase of the job that stands for the campaign. Returns the exit code.
int RunFuzzJobs(const FuzzArgs& a, uint64_t seed, const CampaignSpec& spec, const std::string& label,
                JunitBatches junit, const std::string& where, const std::string& reach_dir);

// What the parent knows of a job other than the one whose harness error is
// judged.
struct OtherJob {
  bool running = false;           // still running schedules (not ended, not stopped)
  std::optional<uint64_t> found;  // the index of the mismatch it reported
  std::optional<uint64_t> last;   // the index of its last passed schedule
};

// A job's harness error at campaign index `error_index`, against the other
// jobs. --jobs 1 runs the indices in order and stops at the first finding
// or error, so:
//   kMoot: some job found a mismatch at a lower index; --jobs 1 reports it
//     and never runs the schedule that failed (the erring job counts as
//     having passed the finding, as if it had been stopped there);
//   kWait: a running job without a finding has not passed `error_index`
//     yet, and may still find one below it;
//   kStands: every other job has passed `error_index`, ended, or found a
//     mismatch above it: the error is the campaign's result.
enum class ErrorVerdict { kMoot, kWait, kStands };
ErrorVerdict JudgeError(uint64_t error_index, const std::vector<OtherJob>& others);

// The figures of a summary or progress line (cli_fuzz.cc).
std::string FuzzRates(const CampaignResult& t);

// The --json summary of a campaign, as --jobs 1 and the --jobs parent print
// it (cli_fuzz.cc): totals and rates of `t`, the settings of `a`, `builds`
// and the resident sizes in `memory`; each caller adds what is its own
// (finding, harness_error, per_job, ...).
nlohmann::json CampaignJson(const FuzzArgs& a, uint64_t seed, const CampaignResult& t, bool interrupted,
                            const std::vector<SqliteBuild>& builds, const TreeMemory& memory);

}  // namespace harvey::harness
