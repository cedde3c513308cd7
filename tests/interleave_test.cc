// Fine-grained runs on real SQLite (harness/coordinator/interleave.h): replay is exact
// (same decisions => same trace, 10/10, fork and inproc alike), overlapping
// ops are judged by the linearizability checker, and detection still works.
#include <gtest/gtest.h>

#include "harness/backend/backend.h"
#include "harness/coordinator/campaign.h"
#include "harness/coordinator/runner.h"
#include "harness/coordinator/shrinker.h"
#include "model/generator.h"
#include "model/policy.h"
#include "test_util.h"

namespace harvey {
namespace {

using harness::RunResult;
using harness::RunSchedule;
using harness::Verdict;
using testing::MakeScratch;
using testing::MustParse;

std::unique_ptr<harness::Backend> Backend(const std::string& name) {
  std::string error;
  auto b = harness::MakeBackend(name, &error);
  EXPECT_TRUE(b) << error;
  return b;
}

model::Policy Pct(int d) { return model::Policy{model::PolicyKind::kPct, d}; }

// A policy's decisions, recorded into the schedule, replay the run exactly:
// 10/10 on fork and on inproc, with one trace for both.
TEST(Interleave, RecordedDecisionsReplayExactly) {
  auto scratch = MakeScratch();
  auto fork = Backend("fork");
  auto inproc = Backend("inproc");
  for (model::Policy policy : {Pct(3), model::Policy{model::PolicyKind::kRandom, 0}}) {
    model::Schedule s = model::Generate(21, model::GenOptions{.workers = 3, .steps = 30});
    const RunResult first = RunSchedule(s, *fork, scratch->path(), {}, policy);
    ASSERT_EQ(first.verdict, Verdict::kPass) << first.error << (first.mismatch ? first.mismatch->Summary() : "");
    ASSERT_TRUE(first.interleaved);
    ASSERT_FALSE(first.decisions.empty());
    EXPECT_GT(first.yields, static_cast<int64_t>(s.steps.size()));
    s.interleave = first.decisions;
    for (int i = 0; i < 10; ++i) {
      for (harness::Backend* b : {fork.get(), inproc.get()}) {
        const RunResult again = RunSchedule(s, *b, scratch->path());
        EXPECT_EQ(again.verdict, Verdict::kPass) << b->name() << " run " << i;
        EXPECT_EQ(again.trace, first.trace) << b->name() << " run " << i;
        EXPECT_EQ(again.decisions, first.decisions) << b->name() << " run " << i;
      }
    }
  }
}

// Without decisions and under `op`, nothing changes: the op-level path.
TEST(Interleave, OpPolicyIsOpLevel) {
  auto scratch = MakeScratch();
  auto fork = Backend("fork");
  const model::Schedule s = model::Generate(22, model::GenOptions{.workers = 2, .steps = 20});
  const RunResult r = RunSchedule(s, *fork, scratch->path());
  EXPECT_FALSE(r.interleaved);
  EXPECT_EQ(r.yields, 0);
}

// Two autocommit writers: w1 runs N slices of its write, then w2 writes.
// For some N w1 holds the WAL write lock mid-op and w2 gets BUSY; the
// checker must accept that (and whatever else the overlaps give).
TEST(Interleave, BusyFromAWriterPausedMidOpIsAccepted) {
  auto scratch = MakeScratch();
  auto fork = Backend("fork");
  model::Schedule s = MustParse("harvey-schedule 1\nworker w1\nworker w2\n"
                                "w1 write 1 5000\nw2 write 2 16\nw1 read 2\nw2 read 1\n");
  int busy = 0;
  for (int n = 1; n <= 40; ++n) {
    s.interleave.assign(static_cast<size_t>(n), 0);
    s.interleave.insert(s.interleave.end(), 200, 1);
    const RunResult r = RunSchedule(s, *fork, scratch->path());
    ASSERT_EQ(r.verdict, Verdict::kPass) << "n=" << n << ": " << (r.mismatch ? r.mismatch->Summary() : r.error);
    busy += (r.observations.at(1).rc & 0xff) == model::rc::kBusy;
  }
  EXPECT_GT(busy, 0) << "no N put w2's write inside w1's";
}

// A schedule without decisions on a backend that cannot interleave is an
// error, not a silent op-level run; a decision naming an idle worker is skipped.
TEST(Interleave, SkipsDecisionsForIdleWorkers) {
  auto scratch = MakeScratch();
  auto fork = Backend("fork");
  model::Schedule s = MustParse("harvey-schedule 1\nworker w1\nworker w2\nw1 write 1 16\nw1 read 1\n"
                                "interleave w2*5 w1 w2*5\n");
  const RunResult r = RunSchedule(s, *fork, scratch->path());
  EXPECT_EQ(r.verdict, Verdict::kPass);
  EXPECT_EQ(r.decisions, std::vector<int>{0});
}

harness::CampaignResult Campaign(model::Defect defect, uint64_t count) {
  auto scratch = MakeScratch();
  auto fork = Backend("fork");
  harness::CampaignSpec spec;
  spec.seed = 3;
  spec.count = count;
  spec.defect = defect;
  spec.policy = Pct(3);
  spec.crashes = model::CrashOptions{.kill_percent = 0, .power_loss_percent = 0, .kill_inside_ops = true};
  return harness::RunCampaign(spec, *fork, scratch->path());
}

// Detection survives fine-grained scheduling: the private wal-index and the
// broken-model canary are both caught under pct, and the finding keeps its
// decisions.
TEST(Interleave, PctCatchesPrivateWalIndexAndTheCanary) {
  for (model::Defect d : {model::Defect::kPrivateShm, model::Defect::kCanary}) {
    const harness::CampaignResult r = Campaign(d, 50);
    ASSERT_TRUE(r.mismatch) << model::ToString(d) << ": " << r.schedules << " schedules, none failed " << r.error;
    ASSERT_TRUE(r.schedule);
    EXPECT_FALSE(r.schedule->interleave.empty()) << model::ToString(d);
  }
}

// The shrinker keeps a fine-grained finding's failure class and replays it;
// it never ends with more decisions than it started with.
TEST(Interleave, ShrinksAFineGrainedFinding) {
  const harness::CampaignResult found = Campaign(model::Defect::kCanary, 50);
  ASSERT_TRUE(found.mismatch && found.schedule);
  auto scratch = MakeScratch();
  auto fork = Backend("fork");
  const harness::ShrinkResult r =
      harness::Shrink(*found.schedule, *found.mismatch, *fork, scratch->path(), harness::ShrinkOptions{.time_s = 20});
  EXPECT_EQ(r.mismatch.failure_class, found.mismatch->failure_class);
  EXPECT_LE(r.schedule.steps.size(), found.schedule->steps.size());
  EXPECT_LE(r.schedule.interleave.size(), found.schedule->interleave.size());
  EXPECT_EQ(r.confirmed, harness::ShrinkOptions{}.confirm_runs);
}

}  // namespace
}  // namespace harvey
