// The VFS events added for fidelity (read, file-size, check-reserved-lock,
// fetch, unfetch) are `kill at` targets like the others: a kill armed at
// one of them fires inside the op on the fork backend, and the model accepts
// what follows (L4: any prefix of the op's effects).
#include <gtest/gtest.h>

#include <string>

#include "harness/backend/fork_backend.h"
#include "harness/coordinator/runner.h"
#include "tests/test_util.h"

namespace harvey::harness {
namespace {

using testing::MakeScratch;
using testing::MustParse;

// w1's scan after w2's commits must read pages (xRead): the kill fires
// there. w2's write reads the b-tree pages it changes as well.
std::string Schedule(const std::string& event, int ordinal, const std::string& extra_config) {
  return "harvey-schedule 1\nconfig synchronous full\n" + extra_config +
         "worker w1\nworker w2\n"
         "w2 write 1 3000\nw2 write 2 3000\nw1 scan\nw2 write 3 3000\n"
         "w1 kill at " + event + " " + std::to_string(ordinal) +
         "\nw1 scan\nw1 open\nw1 scan\nw2 kill at " + event + " 1\nw2 write 1 100\nw2 open\nw2 scan\n";
}

TEST(KillAtNewEventsTest, KillAtReadFiresInsideTheOp) {
  auto scratch = MakeScratch();
  ForkBackend backend;
  const RunResult r = RunSchedule(MustParse(Schedule("read", 1, "")), backend, scratch->path());
  ASSERT_EQ(r.verdict, Verdict::kPass) << (r.mismatch ? r.mismatch->Summary() : r.error);
  EXPECT_EQ(r.observations[5].rc, model::rc::kKilled) << "w1's scan reads a changed page";
}

TEST(KillAtNewEventsTest, EveryNewEventIsAKillTargetThatTheModelAccepts) {
  auto scratch = MakeScratch();
  ForkBackend backend;
  for (const char* event : {"read", "file-size", "check-reserved-lock", "fetch", "unfetch"}) {
    const RunResult r = RunSchedule(MustParse(Schedule(event, 1, "")), backend, scratch->path());
    EXPECT_EQ(r.verdict, Verdict::kPass) << event << ": " << (r.mismatch ? r.mismatch->Summary() : r.error);
  }
}

}  // namespace
}  // namespace harvey::harness
