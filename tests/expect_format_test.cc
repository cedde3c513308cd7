// `expect BOUNDARY pass|fail` lines: corpus metadata carried in the Schedule.
#include <gtest/gtest.h>

#include "model/format.h"

namespace harvey::model {
namespace {

TEST(ExpectFormat, ParsesPrintsAndRoundTrips) {
  const char* text =
      "harvey-schedule 1\n"
      "# what this shows\n"
      "expect fork pass\n"
      "expect inproc fail   # a known bug\n"
      "config seed 3\n"
      "worker w1\n"
      "w1 scan\n";
  auto r = ParseSchedule(text, "t.sched");
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r.value().expects.size(), 2u);
  EXPECT_EQ(r.value().expects[0], (Expect{"fork", Expectation::kPass}));
  EXPECT_EQ(r.value().expects[1], (Expect{"inproc", Expectation::kFail}));
  const std::string printed = PrintSchedule(r.value());
  EXPECT_EQ(printed.rfind("harvey-schedule 1\nexpect fork pass\nexpect inproc fail\nconfig ", 0), 0u)
      << printed;
  auto again = ParseSchedule(printed, "t.sched");
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again.value(), r.value());
  EXPECT_EQ(Validate(r.value()), "");
}

TEST(ExpectFormat, RejectsBadLinesWithTheirLine) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"harvey-schedule 1\nexpect fork\nworker w1\n", "t.sched:2: expect takes a boundary and pass or fail"},
      {"harvey-schedule 1\nexpect fork maybe\nworker w1\n", "t.sched:2: bad expectation 'maybe'"},
      {"harvey-schedule 1\nexpect Fork pass\nworker w1\n", "t.sched:2: invalid boundary name 'Fork'"},
      {"harvey-schedule 1\nexpect fork pass\nexpect fork fail\nworker w1\n",
       "t.sched:3: duplicate expect for boundary 'fork'"},
      {"harvey-schedule 1\nworker w1\nexpect fork pass\n",
       "t.sched:3: expect lines must come before the first worker (line 2)"},
      {"harvey-schedule 1\nworker expect\n", "t.sched:2: worker name 'expect' is reserved"},
  };
  for (const Case& c : cases) {
    auto r = ParseSchedule(c.text, "t.sched");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().rfind(c.error, 0), 0u) << r.error();
  }
}

TEST(ExpectFormat, ValidateRejectsWhatParseWould) {
  Schedule s;
  s.workers.push_back({"w1"});
  s.expects = {{"fork", Expectation::kPass}, {"fork", Expectation::kFail}};
  EXPECT_NE(Validate(s), "");
  s.expects = {{"no spaces", Expectation::kPass}};
  EXPECT_NE(Validate(s), "");
  s.expects = {{"sshfs", Expectation::kFail}};
  EXPECT_EQ(Validate(s), "");
}

}  // namespace
}  // namespace harvey::model
