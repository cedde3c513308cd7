// The shrinker's pure transforms (model/shrink.h): examples, and properties
// over arbitrary valid schedules (every transform keeps a schedule valid and
// never touches the defect or the expect lines).
#include "model/shrink.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "model/format.h"
#include "tests/schedule_gen.h"
#include "tests/test_util.h"

namespace harvey::model {
namespace {

using testing::MustParse;

const char* kThree = R"(harvey-schedule 1
expect fork fail
config page_size 1024
config wal_autocheckpoint 3
config seed 9
config defect canary
worker a
worker b
worker c
a write 500 4000
b read 500
c kill
a begin immediate
c open
b write 7 100
a checkpoint truncate
b read 7
)";

TEST(Shrink, DropWorkerRenumbersLaterWorkers) {
  const Schedule s = MustParse(kThree);
  const auto out = DropWorker(s, 0);
  ASSERT_TRUE(out);
  EXPECT_EQ(Validate(*out), "");
  EXPECT_EQ(out->workers.size(), 2u);
  EXPECT_EQ(out->workers[0].name, "b");
  EXPECT_EQ(out->steps.size(), 5u);
  EXPECT_EQ(PrintStep(*out, out->steps[1]), "c kill");
  EXPECT_EQ(PrintStep(*out, out->steps[3]), "b write 7 100");
  EXPECT_EQ(out->expects, s.expects);
  EXPECT_FALSE(DropWorker(MustParse("harvey-schedule 1\nworker w1\nw1 scan\n"), 0));
}

TEST(Shrink, RenameAndKeys) {
  const Schedule s = MustParse(kThree);
  const auto renamed = RenameWorkers(s);
  ASSERT_TRUE(renamed);
  EXPECT_EQ(PrintStep(*renamed, renamed->steps[0]), "w1 write 500 4000");
  EXPECT_FALSE(RenameWorkers(*renamed));
  const auto keys = CanonicalKeys(s);
  ASSERT_TRUE(keys);
  EXPECT_EQ(KeysUsed(*keys), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(PrintStep(*keys, keys->steps[1]), "b read 0");
  EXPECT_EQ(PrintStep(*keys, keys->steps[5]), "b write 1 100");
  EXPECT_FALSE(CanonicalKeys(*keys));
  const auto merged = ReplaceKey(*keys, 1, 0);
  ASSERT_TRUE(merged);
  EXPECT_EQ(KeysUsed(*merged), (std::vector<int64_t>{0}));
}

TEST(Shrink, FaultsAndRuns) {
  const Schedule s = MustParse(kThree);
  const auto no_faults = DropFaultSteps(s);
  ASSERT_TRUE(no_faults);
  EXPECT_EQ(no_faults->steps.size(), 7u);
  EXPECT_FALSE(DropFaultSteps(*no_faults));
  // Step 3 (a begin immediate) joins a's earlier run after step 0.
  const auto joined = JoinPreviousRun(s, 3);
  ASSERT_TRUE(joined);
  EXPECT_EQ(PrintStep(*joined, joined->steps[1]), "a begin immediate");
  EXPECT_LT(ContextSwitches(*joined), ContextSwitches(s));
  EXPECT_FALSE(JoinPreviousRun(s, 0));
  EXPECT_FALSE(JoinPreviousRun(s, 1));  // b's first step
}

TEST(Shrink, SimplerStepsAndConfig) {
  const Schedule s = MustParse(kThree);
  const auto sizes = SimplerStep(s, 0);
  ASSERT_EQ(sizes.size(), 3u);
  EXPECT_EQ(sizes[0].steps[0].op.size, kMinValueSize);
  EXPECT_EQ(sizes[1].steps[0].op.size, 992u);   // a quarter, a multiple of 16
  EXPECT_EQ(sizes[2].steps[0].op.size, 2000u);
  const auto ckpt = SimplerStep(s, 6);
  ASSERT_EQ(ckpt.size(), 3u);
  EXPECT_EQ(ckpt[0].steps[6].op.checkpoint, CheckpointMode::kPassive);
  const auto configs = SimplerConfigs(s);
  EXPECT_EQ(configs.size(), 3u);  // wal_autocheckpoint, page_size, seed
  for (const Schedule& c : configs) EXPECT_EQ(c.config.defect, Defect::kCanary);
}

// Every candidate a transform offers is either nothing or a valid schedule
// with the same defect and expect lines.
RC_GTEST_PROP(ShrinkProperty, TransformsKeepSchedulesValid, (const Schedule& s)) {
  std::vector<Schedule> out;
  auto add = [&](const std::optional<Schedule>& c) {
    if (c) out.push_back(*c);
  };
  const size_t n = s.steps.size();
  const size_t i = n ? *rc::gen::inRange<size_t>(0, n) : 0;
  out.push_back(DropSteps(s, i, *rc::gen::inRange<size_t>(0, n + 2)));
  out.push_back(KeepPrefix(s, i));
  add(DropWorker(s, *rc::gen::inRange(0, static_cast<int>(s.workers.size()))));
  add(RenameWorkers(s));
  add(DropFaultSteps(s));
  add(JoinPreviousRun(s, i));
  add(CanonicalKeys(s));
  add(MinimalSizes(s));
  const auto keys = KeysUsed(s);
  if (keys.size() >= 2) add(ReplaceKey(s, keys.back(), keys.front()));
  for (const Schedule& c : SimplerStep(s, i)) out.push_back(c);
  for (const Schedule& c : SimplerConfigs(s)) out.push_back(c);
  for (const Schedule& c : out) {
    RC_ASSERT(Validate(c) == "");
    RC_ASSERT(c.config.defect == s.config.defect);
    RC_ASSERT(c.expects == s.expects);
    RC_ASSERT(c.steps.size() <= s.steps.size());
  }
}

}  // namespace
}  // namespace harvey::model
