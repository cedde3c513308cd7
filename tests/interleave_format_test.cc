// The `interleave` lines of the schedule format: run-length decisions,
// parsing errors with file:line, printing, validation.
#include <gtest/gtest.h>

#include "model/format.h"
#include "model/shrink.h"
#include "test_util.h"

namespace harvey {
namespace {

using testing::MustParse;

constexpr const char* kHead =
    "harvey-schedule 1\nworker w1\nworker w2\nw1 write 1 16\nw2 read 1\n";

TEST(InterleaveFormat, RunLengthParsesAndPrintsBack) {
  model::Schedule s = MustParse(std::string(kHead) + "interleave w1*3 w2 w1\ninterleave w1*2\n");
  EXPECT_EQ(s.interleave, (std::vector<int>{0, 0, 0, 1, 0, 0, 0}));
  const std::string text = model::PrintSchedule(s);
  EXPECT_NE(text.find("interleave w1*3 w2 w1*3\n"), std::string::npos) << text;
  auto again = model::ParseSchedule(text, "again");
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again.value(), s);
}

TEST(InterleaveFormat, NoDecisionsPrintsNoLine) {
  const std::string text = model::PrintSchedule(MustParse(kHead));
  EXPECT_EQ(text.find("interleave"), std::string::npos);
}

TEST(InterleaveFormat, LongSequencesWrapLines) {
  model::Schedule s = MustParse(kHead);
  for (int i = 0; i < 100; ++i) s.interleave.push_back(i % 2);
  const std::string text = model::PrintInterleave(s);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 5) << text;  // 24 runs per line
  auto again = model::ParseSchedule(model::PrintSchedule(s), "again");
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again.value().interleave, s.interleave);
}

TEST(InterleaveFormat, ErrorsNameFileAndLine) {
  auto bad = model::ParseSchedule(std::string(kHead) + "interleave w3\n", "f.sched");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "f.sched:6: interleave names undeclared worker 'w3'");
  bad = model::ParseSchedule(std::string(kHead) + "interleave w1*0\n", "f.sched");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("f.sched:6: bad decision count"), std::string::npos) << bad.error();
  bad = model::ParseSchedule(std::string(kHead) + "interleave\n", "f.sched");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("f.sched:6:"), std::string::npos) << bad.error();
}

TEST(InterleaveFormat, ValidateRejectsOutOfRangeWorkers) {
  model::Schedule s = MustParse(kHead);
  s.interleave = {0, 2};
  EXPECT_NE(model::Validate(s).find("interleave decision 1"), std::string::npos);
}

TEST(InterleaveShrink, DropWorkerRenumbersDecisions) {
  model::Schedule s = MustParse("harvey-schedule 1\nworker a\nworker b\nworker c\na scan\nb scan\nc scan\n"
                                "interleave a b c*2 b a\n");
  auto out = model::DropWorker(s, 1);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->interleave, (std::vector<int>{0, 1, 1, 0}));
  EXPECT_EQ(model::Validate(*out), "");
}

TEST(InterleaveShrink, DropDecisionsMergesRuns) {
  model::Schedule s = MustParse(std::string(kHead) + "interleave w1*2 w2 w1*3\n");
  const auto runs = model::DecisionRuns(s);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[1], (std::pair<size_t, size_t>{2, 1}));
  auto out = model::DropDecisions(s, runs[1].first, runs[1].second);
  ASSERT_TRUE(out);
  EXPECT_EQ(model::DecisionRuns(*out).size(), 1u);
  EXPECT_FALSE(model::DropDecisions(s, 6, 1));
}

}  // namespace
}  // namespace harvey
