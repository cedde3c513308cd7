// `harvey fuzz --jobs N` / `harvey bench --jobs N` (JobSpec in
// harness/coordinator/campaign.h): N jobs run exactly the campaign indices
// one process runs with the same --shard and --count, each once.
#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "harness/cli/fuzz_jobs.h"
#include "harness/coordinator/bench.h"
#include "harness/coordinator/campaign.h"
#include "harness/os/scratch.h"

namespace harvey::harness {
namespace {

std::vector<uint64_t> Indices(const CampaignSpec& spec) {
  std::vector<uint64_t> out;
  for (uint64_t i = 0; i < spec.count.value_or(0); ++i) out.push_back(CampaignIndex(spec, i));
  return out;
}

TEST(CampaignJobs, JobsTogetherRunTheSameIndicesAsOneProcess) {
  for (uint64_t m : {1u, 2u, 3u}) {          // --shard K/m
    for (uint64_t k = 0; k < m; ++k) {
      for (uint64_t c : {1u, 2u, 5u, 40u, 41u}) {  // --count
        for (uint64_t n : {1u, 2u, 3u, 7u}) {      // --jobs
          CampaignSpec spec;
          spec.shard_index = k;
          spec.shard_count = m;
          spec.count = c;
          std::vector<uint64_t> jobs;
          uint64_t total = 0;
          for (uint64_t j = 0; j < n; ++j) {
            const CampaignSpec js = JobSpec(spec, j, n);
            total += js.count.value_or(0);
            for (uint64_t i : Indices(js)) jobs.push_back(i);
          }
          std::sort(jobs.begin(), jobs.end());
          EXPECT_EQ(total, c) << "shard " << k << "/" << m << " count " << c << " jobs " << n;
          EXPECT_EQ(jobs, Indices(spec)) << "shard " << k << "/" << m << " count " << c << " jobs " << n;
        }
      }
    }
  }
}

TEST(CampaignJobs, ATimeBudgetGoesToEveryJobAndShardsStayDisjoint) {
  CampaignSpec spec;
  spec.time_s = 5;
  const CampaignSpec a = JobSpec(spec, 0, 2), b = JobSpec(spec, 1, 2);
  EXPECT_EQ(a.time_s, 5);
  EXPECT_EQ(b.time_s, 5);
  EXPECT_FALSE(a.count);
  for (uint64_t i = 0; i < 50; ++i) {
    for (uint64_t j = 0; j < 50; ++j) EXPECT_NE(CampaignIndex(a, i), CampaignIndex(b, j));
  }
  EXPECT_EQ(CampaignIndex(a, 0), 0u);
  EXPECT_EQ(CampaignIndex(b, 0), 1u);
  EXPECT_EQ(CampaignIndex(a, 1), 2u);
}

// `harvey bench --jobs`: the limit's jobs run their shares' schedules (not
// each the first ones), so their steps add up to the whole run's.
TEST(CampaignJobs, TheLimitRunsItsShareOfTheSchedules) {
  auto scratch = ScratchDir::Create("");
  ASSERT_TRUE(scratch.ok()) << scratch.error();
  CampaignSpec spec;
  spec.seed = 3;
  spec.count = 7;
  spec.gen = model::GenOptions{.workers = 3, .steps = 30};
  uint64_t whole = 0, first_ones = 0;
  for (uint64_t i = 0; i < 7; ++i) whole += CampaignSchedule(spec, i).steps.size();
  BenchFigures sum;
  for (uint64_t j = 0; j < 3; ++j) {
    const CampaignSpec js = JobSpec(spec, j, 3);
    for (uint64_t i = 0; i < js.count.value_or(0); ++i) first_ones += CampaignSchedule(spec, i).steps.size();
    BenchFigures f;
    ASSERT_EQ(RunLimit(js, scratch.value()->path(), &f), "");
    sum.schedules += f.schedules;
    sum.steps += f.steps;
  }
  EXPECT_EQ(sum.schedules, 7u);
  EXPECT_EQ(sum.steps, whole);
  ASSERT_NE(first_ones, whole);  // the check above can tell shares from each job's first schedules
}

// A harness error is judged as --jobs 1 would meet it, in index order:
// moot above a finding another job reported, waiting while a job that may
// still find one below it has not passed its index, standing otherwise.
TEST(CampaignJobs, AHarnessErrorIsJudgedInIndexOrder) {
  using V = ErrorVerdict;
  const auto running = [](std::optional<uint64_t> last) { return OtherJob{.running = true, .last = last}; };
  const auto finder = [](uint64_t at) { return OtherJob{.found = at, .last = at ? std::optional<uint64_t>(at - 1) : std::nullopt}; };
  EXPECT_EQ(JudgeError(9, {finder(5)}), V::kMoot);            // job 1 found 5, job 0 failed at 9: the finding stands
  EXPECT_EQ(JudgeError(4, {finder(5)}), V::kStands);          // failed below the finding: --jobs 1 stops at 4
  EXPECT_EQ(JudgeError(9, {finder(12), finder(3), running(2)}), V::kMoot);  // any lower finding will do
  // The error came first; job 1 is at 6 and may still find one below 9.
  EXPECT_EQ(JudgeError(9, {running(6)}), V::kWait);
  EXPECT_EQ(JudgeError(9, {running(std::nullopt)}), V::kWait);  // (it has passed nothing yet)
  EXPECT_EQ(JudgeError(9, {running(9)}), V::kStands);           // ... it passed 9 with no finding
  EXPECT_EQ(JudgeError(9, {running(11), OtherJob{}}), V::kStands);  // the other ended (its count, its time)
  // A job waiting with a finding above the error has passed it.
  EXPECT_EQ(JudgeError(9, {finder(14)}), V::kStands);
  EXPECT_EQ(JudgeError(9, {finder(14), running(8)}), V::kWait);
  // No other job at all (--jobs 2 --count 1 runs one).
  EXPECT_EQ(JudgeError(9, {}), V::kStands);
}

}  // namespace
}  // namespace harvey::harness
