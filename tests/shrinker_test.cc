// The shrinker against real SQLite: a finding under the canary defect (a
// deliberately broken model rule) shrinks to a handful of steps that fail
// the same way, within the time budget; the result replays.
#include "harness/coordinator/shrinker.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "harness/backend/backend.h"
#include "harness/coordinator/runner.h"
#include "harness/os/scratch.h"
#include "model/format.h"
#include "model/generator.h"
#include "tests/test_util.h"

namespace harvey::harness {
namespace {

using testing::MustParse;

// In memory when /dev/shm is there (no power loss here; fsync on a busy
// disk only slows the replays down).
std::unique_ptr<ScratchDir> MakeScratch() {
  auto s = ScratchDir::Create(::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "");
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error());
  return s.ok() ? std::move(s.value()) : nullptr;
}

// The first generated schedule (seeds from 1) that fails under the canary.
struct Finding {
  model::Schedule schedule;
  model::Mismatch mismatch;
};
Finding FirstCanaryFinding(Backend& backend, const std::string& dir) {
  for (uint64_t seed = 1; seed < 500; ++seed) {
    model::Schedule s = model::Generate(seed, model::GenOptions{.workers = 3, .steps = 40});
    s.config.defect = model::Defect::kCanary;
    RunResult r = RunSchedule(s, backend, dir);
    if (r.verdict == Verdict::kMismatch) return {s, *r.mismatch};
  }
  ADD_FAILURE() << "no canary finding in 500 schedules";
  return {};
}

class ShrinkerTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ShrinkerTest, CanaryFindingShrinksToAFewStepsThatFailTheSameWay) {
  auto scratch = MakeScratch();
  std::string error;
  auto backend = MakeBackend(GetParam(), &error);
  ASSERT_TRUE(backend) << error;
  const Finding f = FirstCanaryFinding(*backend, scratch->path());
  ASSERT_FALSE(f.schedule.steps.empty());
  const ShrinkResult r = Shrink(f.schedule, f.mismatch, *backend, scratch->path(), ShrinkOptions{.time_s = 30});
  EXPECT_LE(r.schedule.steps.size(), 10u) << model::PrintSchedule(r.schedule);
  EXPECT_LT(r.elapsed_s, 30.0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.confirmed, 2);
  EXPECT_EQ(r.mismatch.failure_class, f.mismatch.failure_class);
  EXPECT_TRUE(SameFailure(f.schedule, f.mismatch, r.schedule, r.mismatch));
  EXPECT_EQ(r.schedule.config.defect, model::Defect::kCanary);
  // The saved form parses back to the same schedule and still fails.
  const model::Schedule saved = AsFinding(r.schedule, GetParam());
  auto parsed = model::ParseSchedule(model::PrintSchedule(saved), "shrunk");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value(), saved);
  const RunResult again = RunSchedule(parsed.value(), *backend, scratch->path());
  ASSERT_EQ(again.verdict, Verdict::kMismatch);
  EXPECT_EQ(again.mismatch->failure_class, f.mismatch.failure_class);
  std::printf("%s: %s [%s]\n", GetParam(), ShrinkSummary(r).c_str(), r.mismatch.failure_class.c_str());
}

// A schedule that passes gives nothing to keep: the shrinker returns its
// input unchanged, whatever it tries.
TEST_P(ShrinkerTest, NeverKeepsAPassingCandidate) {
  auto scratch = MakeScratch();
  std::string error;
  auto backend = MakeBackend(GetParam(), &error);
  ASSERT_TRUE(backend) << error;
  const model::Schedule s = MustParse(R"(harvey-schedule 1
worker w1
worker w2
w1 write 1 100
w2 begin deferred
w2 read 1
w1 write 1 200
w2 read 1
)");
  model::Mismatch fake;
  fake.step = 4;
  fake.oracle = "step";
  fake.failure_class = "step:read:value";
  const ShrinkResult r = Shrink(s, fake, *backend, scratch->path(), ShrinkOptions{.time_s = 10});
  EXPECT_EQ(r.schedule, s);
  EXPECT_EQ(r.accepted, 0u);
  EXPECT_GT(r.replays, 0u);
  EXPECT_EQ(r.confirmed, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ShrinkerTest, ::testing::Values("inproc", "fork"));

TEST(SameFailure, NeedsTheSameClassAndOpKind) {
  const model::Schedule s = MustParse("harvey-schedule 1\nworker w1\nw1 read 1\nw1 scan\nw1 read 2\n");
  model::Mismatch a{.step = 0, .oracle = "step", .failure_class = "step:read:value"};
  model::Mismatch b = a;
  b.step = 2;
  EXPECT_TRUE(SameFailure(s, a, s, b));
  b.step = 1;  // a scan
  EXPECT_FALSE(SameFailure(s, a, s, b));
  b = a;
  b.failure_class = "step:read:rc";
  EXPECT_FALSE(SameFailure(s, a, s, b));
  model::Mismatch end{.step = -1, .oracle = "final-scan", .failure_class = "final-scan:rows"};
  EXPECT_TRUE(SameFailure(s, end, s, end));
  EXPECT_FALSE(SameFailure(s, a, s, end));
}

}  // namespace
}  // namespace harvey::harness
