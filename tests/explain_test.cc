// `harvey explain` and `--junit`, without running SQLite: the model walk and
// its state descriptions (model/story.h), the finding header, the calibration
// match, the application meaning of a planted observation, and the JUnit
// writer's escaping and counts (harness/report/finding_story.h, junit.h).
#include <gtest/gtest.h>

#include "harness/report/finding_story.h"
#include "harness/report/junit.h"
#include "model/story.h"
#include "test_util.h"

namespace harvey {
namespace {

using model::Observation;
namespace rc = model::rc;

const char* kTwoWriters = R"(harvey-schedule 1
# harvey finding: step 1 (w1 begin immediate): expected BUSY, observed ok
# class: step:begin:rc
# found by: harvey fuzz --boundary sshfs --seed 1 (schedule 3)
# replay: harvey run THIS_FILE --boundary sshfs
worker w1
worker w2
w2 begin immediate
w1 begin immediate
)";

TEST(ExplainTest, HeaderNamesBoundaryAndSummary) {
  const harness::FindingHeader h = harness::ParseFindingHeader(kTwoWriters);
  EXPECT_EQ(h.boundary, "sshfs");
  EXPECT_EQ(h.summary, "step 1 (w1 begin immediate): expected BUSY, observed ok");
  EXPECT_EQ(h.found_by, "harvey fuzz --boundary sshfs --seed 1 (schedule 3)");
  EXPECT_EQ(harness::ParseFindingHeader("harvey-schedule 1\nworker w1\n").boundary, "");
}

TEST(ExplainTest, WalkDescribesWhoHoldsTheWriteLock) {
  const model::Schedule s = testing::MustParse(kTwoWriters);
  const auto walk = model::WalkStory(s, {Observation{}, Observation{}});
  ASSERT_EQ(walk.size(), 2u);
  EXPECT_TRUE(walk[0].matched);
  EXPECT_NE(model::DescribeConn(walk[0].after, 1).find("write lock"), std::string::npos);
  EXPECT_EQ(model::DescribeConn(walk[0].after, 0), "no transaction (autocommit)");
  // The model wanted BUSY for w1; ok left it.
  EXPECT_FALSE(walk[1].matched);
  ASSERT_EQ(walk[1].allowed.size(), 1u);
  EXPECT_EQ(walk[1].allowed[0].rc, rc::kBusy);
  EXPECT_NE(model::DescribeWal(s, walk[1].before.front()).find("w2 holds the write lock"), std::string::npos);
}

TEST(ExplainTest, TwoWritersMeanNoSharedLocksAndNetworkShareFix) {
  harness::FindingStory st;
  st.file = "f.sched";
  st.boundary = "sshfs";
  st.schedule = testing::MustParse(kTwoWriters);
  st.run.verdict = harness::Verdict::kMismatch;
  st.run.observations = {Observation{}, Observation{}};
  st.run.mismatch = model::Mismatch{.step = 1, .oracle = "step", .failure_class = "step:begin:rc"};
  st.walk = model::WalkStory(st.schedule, st.run.observations);
  harness::ConcludeStory(st);
  EXPECT_NE(st.meaning.find("w1 got the write lock while w2 held it"), std::string::npos) << st.meaning;
  EXPECT_NE(st.meaning.find("do not share locks"), std::string::npos) << st.meaning;
  ASSERT_TRUE(st.calibration);
  EXPECT_EQ(st.calibration->name, "network-share");
  EXPECT_EQ(st.replay, "harvey run f.sched --boundary sshfs");
  const std::string text = harness::StoryText(st);
  EXPECT_NE(text.find("Fix: keep the database on local storage"), std::string::npos) << text;
  const std::string html = harness::StoryHtml(st);
  EXPECT_NE(html.find("class=\"step mismatch\""), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // the SVG namespace only
  // On fork no class matches: the story says so instead of inventing a fix.
  st.boundary = "fork";
  harness::ConcludeStory(st);
  EXPECT_FALSE(st.calibration);
}

TEST(ExplainTest, CalibrationMatchByDefectAndSynchronous) {
  model::Schedule s = testing::MustParse("harvey-schedule 1\nconfig defect fsync-lies\nworker w1\nw1 write 1 20\n");
  ASSERT_TRUE(harness::MatchCalibration(s, "fork"));
  EXPECT_EQ(harness::MatchCalibration(s, "fork")->name, "fsync-lies");
  s = testing::MustParse("harvey-schedule 1\nconfig synchronous off\nworker w1\nw1 write 1 20\nw1 power-loss 3\n");
  EXPECT_EQ(harness::MatchCalibration(s, "fork")->name, "sync-off");
  s = testing::MustParse("harvey-schedule 1\nworker w1\nworker w2 oci-file\nw1 write 1 20\n");
  EXPECT_EQ(harness::MatchCalibration(s, "fork")->name, "single-file-mount");
}

TEST(JunitTest, EscapesEverythingAndCounts) {
  EXPECT_EQ(harness::XmlEscape("a<b>&\"c'\n\x01"), "a&lt;b&gt;&amp;&quot;c&apos;&#10;?");
  harness::JunitSuite s{.name = "n<1>", .timestamp = "2026-11-30T07:00:00"};
  s.cases.push_back({.name = "ok", .classname = "c"});
  harness::JunitCase f{.name = "bad", .classname = "c", .time_s = 1.5};
  f.kind = harness::JunitCase::Kind::kFailure;
  f.message = "expected BUSY, observed ok";
  f.type = "step:begin:rc";
  f.text = "replay: harvey run x.sched --boundary fork & more";
  s.cases.push_back(f);
  harness::JunitCase k{.name = "sk", .classname = "c"};
  k.kind = harness::JunitCase::Kind::kSkipped;
  k.message = "no sshfs";
  s.cases.push_back(k);
  const std::string x = harness::JunitXml({s});
  EXPECT_NE(x.find("<testsuite name=\"n&lt;1&gt;\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"1.500\" "
                   "timestamp=\"2026-11-30T07:00:00\">"),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("replay: harvey run x.sched --boundary fork &amp; more</failure>"), std::string::npos) << x;
  EXPECT_NE(x.find("<skipped message=\"no sshfs\"/>"), std::string::npos) << x;
}

}  // namespace
}  // namespace harvey
