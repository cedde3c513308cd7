// The coordinator against real SQLite on both backends: determinism, the
// same trace across backends, and a checker that is not vacuous.
#include <gtest/gtest.h>

#include "harness/backend/backend.h"
#include "harness/coordinator/runner.h"
#include "model/generator.h"
#include "tests/test_util.h"

namespace harvey::harness {
namespace {

using testing::MakeScratch;
using testing::MustParse;

// A reader pins a snapshot while another worker commits; checkpoints of
// every mode, a stale upgrade, and a reopen.
const char* kSnapshotSchedule = R"(harvey-schedule 1
config seed 7
worker w1
worker w2
w1 write 1 100
w2 begin deferred
w2 read 1
w1 write 1 3000
w2 read 1
w2 write 2 20
w1 checkpoint full
w2 commit
w1 checkpoint truncate
w2 read 1
w2 close
w2 open
w2 scan
)";

class RunnerTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RunnerTest, SnapshotSchedulePasses) {
  auto scratch = MakeScratch();
  std::string error;
  auto backend = MakeBackend(GetParam(), &error);
  ASSERT_TRUE(backend) << error;
  const RunResult r = RunSchedule(MustParse(kSnapshotSchedule), *backend, scratch->path());
  ASSERT_EQ(r.verdict, Verdict::kPass) << (r.mismatch ? r.mismatch->Summary() : r.error);
  EXPECT_EQ(r.observations[4].value, 0);  // w2's snapshot still sees step 0's value
  EXPECT_EQ(r.observations[5].rc, model::rc::kBusySnapshot);
  EXPECT_EQ(r.observations[9].value, 3);
}

TEST_P(RunnerTest, SameScheduleSameTraceThreeTimes) {
  auto scratch = MakeScratch();
  std::string error;
  auto backend = MakeBackend(GetParam(), &error);
  ASSERT_TRUE(backend) << error;
  for (uint64_t seed : {11u, 12u, 13u}) {
    const model::Schedule s = model::Generate(seed, model::GenOptions{.workers = 3, .steps = 60});
    uint64_t first = 0;
    for (int i = 0; i < 3; ++i) {
      const RunResult r = RunSchedule(s, *backend, scratch->path());
      ASSERT_EQ(r.verdict, Verdict::kPass) << (r.mismatch ? r.mismatch->Summary() : r.error);
      if (i == 0) first = r.trace;
      EXPECT_EQ(r.trace, first) << "seed " << seed << " run " << i;
    }
  }
}

// The checker is not vacuous: with one model rule flipped (readers see the
// latest commit instead of their snapshot) a real run must be reported as a
// mismatch, at the step where the rule matters.
TEST_P(RunnerTest, FlippedModelRuleIsCaughtAtTheRightStep) {
  auto scratch = MakeScratch();
  std::string error;
  auto backend = MakeBackend(GetParam(), &error);
  ASSERT_TRUE(backend) << error;
  model::Rules broken{.canary_reads_see_latest = true};
  const RunResult r = RunSchedule(MustParse(kSnapshotSchedule), *backend, scratch->path(), broken);
  ASSERT_EQ(r.verdict, Verdict::kMismatch);
  EXPECT_EQ(r.mismatch->step, 4);
  EXPECT_EQ(r.mismatch->failure_class, "step:read:value");
  EXPECT_EQ(r.mismatch->observed, "ok value @0");
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerTest, ::testing::Values("inproc", "fork"));

TEST(RunnerCrossTest, ForkAndInprocGiveTheSameTrace) {
  auto scratch = MakeScratch();
  std::string error;
  auto fork = MakeBackend("fork", &error);
  auto inproc = MakeBackend("inproc", &error);
  for (uint64_t seed = 100; seed < 110; ++seed) {
    const model::Schedule s = model::Generate(seed, model::GenOptions{.workers = 3, .steps = 50});
    const RunResult a = RunSchedule(s, *fork, scratch->path());
    const RunResult b = RunSchedule(s, *inproc, scratch->path());
    ASSERT_EQ(a.verdict, Verdict::kPass) << seed << ": " << (a.mismatch ? a.mismatch->Summary() : a.error);
    ASSERT_EQ(b.verdict, Verdict::kPass) << seed << ": " << (b.mismatch ? b.mismatch->Summary() : b.error);
    EXPECT_EQ(a.trace, b.trace) << "seed " << seed;
  }
}

}  // namespace
}  // namespace harvey::harness
