// The checker for overlapping ops (model/overlap_checker.h): what it must
// accept when ops overlap, and what it must still reject.
#include <gtest/gtest.h>

#include "model/overlap_checker.h"
#include "test_util.h"

namespace harvey {
namespace {

using model::Observation;
using model::OverlapChecker;
using testing::MustParse;
namespace rc = model::rc;

Observation Rc(int code) { return Observation{.rc = code}; }
Observation Value(int64_t v) { return Observation{.rc = rc::kOk, .value = v}; }

// Two autocommit writers overlap: the second sees the first's write lock
// mid-op and gets BUSY. No serial order explains BUSY (each write is atomic
// and takes the lock only inside), but a lock held for a moment by an op in
// flight does (looseness L7).
TEST(OverlapChecker, AcceptsBusyFromAWriterInFlight) {
  const model::Schedule s = MustParse("harvey-schedule 1\nworker w1\nworker w2\n"
                                      "w1 write 1 16\nw2 write 2 16\nw1 read 2\n");
  OverlapChecker c(s);
  c.Start(0);
  c.Start(1);
  EXPECT_FALSE(c.Complete(1, Rc(rc::kBusy)));
  EXPECT_FALSE(c.Complete(0, Rc(rc::kOk)));
  c.Start(2);
  EXPECT_FALSE(c.Complete(2, Value(model::kAbsent)));  // w2's write had no effect
}

TEST(OverlapChecker, RejectsBusyWithoutOverlap) {
  const model::Schedule s = MustParse("harvey-schedule 1\nworker w1\nworker w2\n"
                                      "w1 write 1 16\nw2 write 2 16\n");
  OverlapChecker c(s);
  c.Start(0);
  EXPECT_FALSE(c.Complete(0, Rc(rc::kOk)));
  c.Start(1);
  auto m = c.Complete(1, Rc(rc::kBusy));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->failure_class, "step:write:rc");
}

// A failed write has no effect: a later read seeing it is a mismatch.
TEST(OverlapChecker, RejectsTheEffectOfABusyWrite) {
  const model::Schedule s = MustParse("harvey-schedule 1\nworker w1\nworker w2\n"
                                      "w1 write 1 16\nw2 write 2 16\nw1 read 2\n");
  OverlapChecker c(s);
  c.Start(0);
  c.Start(1);
  EXPECT_FALSE(c.Complete(1, Rc(rc::kBusy)));
  EXPECT_FALSE(c.Complete(0, Rc(rc::kOk)));
  c.Start(2);
  auto m = c.Complete(2, Value(1));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->failure_class, "step:read:value");
}

// A read overlapping a write may see it or not (either linearization), but
// never a value nobody wrote.
TEST(OverlapChecker, ReadOverlappingAWriteSeesEitherSide) {
  const model::Schedule s = MustParse("harvey-schedule 1\nworker w1\nworker w2\n"
                                      "w1 write 1 16\nw2 read 1\nw2 read 1\n");
  for (int64_t seen : {model::kAbsent, int64_t{0}}) {
    OverlapChecker c(s);
    c.Start(0);
    c.Start(1);
    EXPECT_FALSE(c.Complete(1, Value(seen)));
    EXPECT_FALSE(c.Complete(0, Rc(rc::kOk)));
    c.Start(2);
    EXPECT_FALSE(c.Complete(2, Value(0)));
  }
  OverlapChecker c(s);
  c.Start(0);
  c.Start(1);
  EXPECT_TRUE(c.Complete(1, Value(7)));  // never written
}

// The read that finished first saw the write, so the write took effect
// before the read's end: a later read (after both) must see it too.
TEST(OverlapChecker, LinearizationIsKeptAcrossResults) {
  const model::Schedule s = MustParse("harvey-schedule 1\nworker w1\nworker w2\n"
                                      "w1 write 1 16\nw2 read 1\nw2 read 1\n");
  OverlapChecker c(s);
  c.Start(0);
  c.Start(1);
  EXPECT_FALSE(c.Complete(1, Value(0)));
  EXPECT_FALSE(c.Complete(0, Rc(rc::kOk)));
  c.Start(2);
  EXPECT_TRUE(c.Complete(2, Value(model::kAbsent)));
}

// Snapshot isolation holds across overlap; the canary (readers forget their
// snapshot) must be caught by the same observations.
TEST(OverlapChecker, SnapshotHoldsAndTheCanaryIsCaught) {
  const model::Schedule s = MustParse("harvey-schedule 1\nworker w1\nworker w2\n"
                                      "w2 begin deferred\nw2 read 1\nw1 write 1 16\nw2 read 1\n");
  for (bool canary : {false, true}) {
    OverlapChecker c(s, model::Rules{.canary_reads_see_latest = canary});
    c.Start(0);
    EXPECT_FALSE(c.Complete(0, Rc(rc::kOk)));
    c.Start(1);
    c.Start(2);  // the snapshot-taking read overlaps the write and missed it
    EXPECT_FALSE(c.Complete(1, Value(model::kAbsent)));
    EXPECT_FALSE(c.Complete(2, Rc(rc::kOk)));
    c.Start(3);
    auto m = c.Complete(3, Value(model::kAbsent));  // SQLite: the snapshot
    EXPECT_EQ(m.has_value(), canary) << (m ? m->Summary() : "accepted");
  }
}

}  // namespace
}  // namespace harvey
