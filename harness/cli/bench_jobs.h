// `harvey bench --jobs N` (N >= 2): one row of the table run as N job
// processes (harness/cli/jobs.h) at once, job j on JobSpec(row's spec, j, N)
// (a disjoint share of the row's schedules: together the --count schedules
// --jobs 1 runs), each `harvey bench --json` restricted to that one row.
//
// How the row is measured: schedules, steps, yields and CPU seconds are
// summed over the jobs; the row's time is its wall time, from the earliest
// job's start of work (the first schedule of its campaign, or of the limit's
// loop) to the latest job's end (each job reports both on the same
// CLOCK_MONOTONIC), so schedules/s = total schedules / that wall time.
#pragma once

#include <string>

#include "harness/cli/cli.h"
#include "harness/coordinator/bench.h"

namespace harvey::harness {

struct JobsRow {
  std::string status = "ok";  // ok | skipped | error | mismatch (the worst of the jobs')
  std::string reason;
  BenchFigures f;
};

// `run`: "limit" or a boundary; `policy`: "" for the limit.
JobsRow RunBenchRowJobs(const BenchArgs& a, bool crashes, const std::string& run, const std::string& policy);

}  // namespace harvey::harness
