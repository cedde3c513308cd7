// Savepoints and VACUUM in the schedule language, the model, the generator
// and the shrinker's transforms (model/README.md "Savepoints and VACUUM").
// The model's predictions are confirmed against SQLite by the corpus cases
// corpus/regress/{savepoint-*,release-*,rollback-to-*,vacuum-*}.sched.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "model/format.h"
#include "model/generator.h"
#include "model/model.h"
#include "model/shrink.h"

namespace harvey::model {
namespace {

// ---- format ----

Result<Schedule> Parse(std::string_view body) {
  return ParseSchedule("harvey-schedule 1\nworker w1\n" + std::string(body), "t.sched");
}

TEST(SavepointFormat, RoundTrips) {
  const std::string text =
      "w1 savepoint a\nw1 savepoint select_2\nw1 rollback-to a\nw1 release a\nw1 vacuum\n";
  Result<Schedule> r = Parse(text);
  ASSERT_TRUE(r.ok()) << r.error();
  const Schedule& s = r.value();
  ASSERT_EQ(s.steps.size(), 5u);
  EXPECT_EQ(s.steps[0].op.kind, OpKind::kSavepoint);
  EXPECT_EQ(s.steps[1].op.name, "select_2");
  EXPECT_EQ(s.steps[2].op.kind, OpKind::kRollbackTo);
  EXPECT_EQ(s.steps[3].op.kind, OpKind::kRelease);
  EXPECT_EQ(s.steps[4].op.kind, OpKind::kVacuum);
  EXPECT_EQ(Validate(s), "");
  Result<Schedule> again = ParseSchedule(PrintSchedule(s), "p.sched");
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again.value(), s);
  EXPECT_NE(PrintSchedule(s).find("w1 rollback-to a\n"), std::string::npos);
}

TEST(SavepointFormat, BadInputIsOneLineWithFileAndLine) {
  struct Case {
    std::string body;
    std::string part;
  };
  const std::vector<Case> cases = {
      {"w1 savepoint\n", "savepoint takes 1 argument (NAME), got 0"},
      {"w1 release a b\n", "release takes 1 argument (NAME), got 2"},
      {"w1 rollback-to Abc\n", "invalid savepoint name 'Abc'"},
      {"w1 savepoint 1a\n", "invalid savepoint name"},
      {"w1 savepoint a\"b\n", "invalid savepoint name"},
      {"w1 release abcdefghijklmnopq\n", "invalid savepoint name"},  // 17 bytes
      {"w1 vacuum full\n", "vacuum takes no arguments, got 1"},
      {"w1 rollback_to a\n", "unknown op"},
  };
  for (const Case& c : cases) {
    Result<Schedule> r = Parse(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().rfind("t.sched:3: ", 0), 0u) << r.error();
    EXPECT_NE(r.error().find(c.part), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find('\n'), std::string::npos) << r.error();
  }
}

TEST(SavepointFormat, ValidateChecksNamesAndUnusedFields) {
  Schedule s;
  s.workers = {Worker{"w1"}};
  s.steps = {{0, Op{.kind = OpKind::kSavepoint, .name = ""}}};
  EXPECT_NE(Validate(s), "");
  s.steps = {{0, Op{.kind = OpKind::kVacuum, .name = "a"}}};
  EXPECT_NE(Validate(s), "");  // a name would not survive printing
  s.steps = {{0, Op{.kind = OpKind::kWrite, .key = 1, .size = 16, .name = "a"}}};
  EXPECT_NE(Validate(s), "");
  s.steps = {{0, Op{.kind = OpKind::kRelease, .name = "a"}}};
  EXPECT_EQ(Validate(s), "");
}

// ---- model ----

Op Sp(OpKind k, std::string name) { return Op{.kind = k, .name = std::move(name)}; }
Op Savepoint(std::string n) { return Sp(OpKind::kSavepoint, std::move(n)); }
Op Release(std::string n) { return Sp(OpKind::kRelease, std::move(n)); }
Op RollbackTo(std::string n) { return Sp(OpKind::kRollbackTo, std::move(n)); }
Op Read(int64_t k) { return Op{.kind = OpKind::kRead, .key = k}; }
Op Write(int64_t k) { return Op{.kind = OpKind::kWrite, .key = k, .size = 32}; }
Op Simple(OpKind k) { return Op{.kind = k}; }

Schedule Workers(int n, std::vector<Step> steps) {
  Schedule s;
  for (int i = 0; i < n; ++i) s.workers.push_back(Worker{"w" + std::to_string(i + 1)});
  s.steps = std::move(steps);
  return s;
}

// The single prediction of each step (the model must be exact here).
std::vector<Prediction> Predict(const Schedule& s, State* final_state = nullptr) {
  std::vector<Prediction> out;
  State st = InitialState(s);
  for (size_t i = 0; i < s.steps.size(); ++i) {
    auto outcomes = Apply(s, st, static_cast<int64_t>(i), s.steps[i]);
    EXPECT_EQ(outcomes.size(), 1u) << "step " << i << " is ambiguous";
    out.push_back(outcomes[0].prediction);
    st = outcomes[0].next;
  }
  if (final_state != nullptr) *final_state = st;
  return out;
}

TEST(SavepointModel, OutsideBeginStartsADeferredTransaction) {
  auto p = Predict(Workers(2, {{0, Savepoint("a")},    // no lock yet
                               {1, Write(1)},          // so w2 writes: OK
                               {0, Read(1)},           // snapshot {1@1}
                               {1, Write(1)},          // 1@3
                               {0, Read(1)},           // still @1
                               {0, Write(2)},          // BUSY_SNAPSHOT
                               {0, Release("a")},      // ends the read txn
                               {0, Read(1)}}));
  EXPECT_EQ(p[1].rc, rc::kOk);
  EXPECT_EQ(p[2].value, 1);
  EXPECT_EQ(p[4].value, 1);
  EXPECT_EQ(p[5].rc, rc::kBusySnapshot);
  EXPECT_EQ(p[6].rc, rc::kOk);
  EXPECT_EQ(p[7].value, 3);
}

TEST(SavepointModel, ReleaseOfOutermostOutsideBeginCommits) {
  auto p = Predict(Workers(2, {{0, Savepoint("a")},
                               {0, Write(1)},
                               {0, Savepoint("b")},
                               {0, Write(2)},
                               {0, Release("b")},        // no commit
                               {1, Read(2)},             // absent
                               {1, Write(3)},            // BUSY: w1 has the lock
                               {0, Release("a")},        // commits
                               {1, Read(2)},             // @3
                               {0, Simple(OpKind::kCommit)}}));  // no txn
  EXPECT_EQ(p[5].value, kAbsent);
  EXPECT_EQ(p[6].rc, rc::kBusy);
  EXPECT_EQ(p[7].rc, rc::kOk);
  EXPECT_EQ(p[8].value, 3);
  EXPECT_EQ(p[9].rc, rc::kError);
}

TEST(SavepointModel, InsideBeginReleaseNeverCommits) {
  auto p = Predict(Workers(2, {{0, Simple(OpKind::kBegin)},
                               {0, Savepoint("a")},
                               {0, Write(1)},
                               {0, Release("a")},
                               {1, Read(1)},
                               {0, Simple(OpKind::kCommit)},
                               {1, Read(1)}}));
  EXPECT_EQ(p[3].rc, rc::kOk);
  EXPECT_EQ(p[4].value, kAbsent);
  EXPECT_EQ(p[5].rc, rc::kOk);
  EXPECT_EQ(p[6].value, 2);
}

TEST(SavepointModel, RollbackToUndoesNewerWorkKeepsTheSavepoint) {
  State st;
  auto p = Predict(Workers(1, {{0, Savepoint("a")},
                               {0, Write(1)},
                               {0, Savepoint("b")},
                               {0, Write(2)},
                               {0, Savepoint("c")},
                               {0, Write(3)},
                               {0, RollbackTo("b")},   // undoes 2, 3; drops c
                               {0, Simple(OpKind::kScan)},
                               {0, RollbackTo("c")},   // ERROR: dropped
                               {0, Write(4)},
                               {0, RollbackTo("b")},   // b survived
                               {0, RollbackTo("a")},   // undoes 1
                               {0, Simple(OpKind::kScan)},
                               {0, Release("a")}}),     // commits (no rows)
                   &st);
  EXPECT_EQ(p[6].rc, rc::kOk);
  ASSERT_TRUE(p[7].rows);
  EXPECT_EQ(p[7].rows->size(), 1u);
  EXPECT_EQ(p[8].rc, rc::kError);
  EXPECT_EQ(p[10].rc, rc::kOk);
  ASSERT_TRUE(p[12].rows);
  EXPECT_TRUE(p[12].rows->empty());
  EXPECT_EQ(p[13].rc, rc::kOk);
  EXPECT_TRUE(st.committed.empty());
  // The transaction had changed pages: its commit still wrote a commit.
  EXPECT_EQ(st.wal.mx, 1);
  EXPECT_TRUE(st.conns[0].savepoints.empty());
  EXPECT_FALSE(st.conns[0].explicit_txn);
}

TEST(SavepointModel, UnknownNameIsAnErrorWithNoEffect) {
  auto p = Predict(Workers(1, {{0, Release("x")},
                               {0, RollbackTo("x")},
                               {0, Savepoint("a")},
                               {0, Release("x")},
                               {0, Write(1)},
                               {0, Simple(OpKind::kRollback)},
                               {0, Release("a")},     // ROLLBACK ended it
                               {0, Read(1)}}));
  EXPECT_EQ(p[0].rc, rc::kError);
  EXPECT_EQ(p[1].rc, rc::kError);
  EXPECT_EQ(p[3].rc, rc::kError);
  EXPECT_EQ(p[4].rc, rc::kOk);
  EXPECT_EQ(p[6].rc, rc::kError);
  EXPECT_EQ(p[7].value, kAbsent);
}

TEST(SavepointModel, SameNameTwiceFindsTheNewest) {
  auto p = Predict(Workers(1, {{0, Savepoint("a")},
                               {0, Write(1)},
                               {0, Savepoint("a")},
                               {0, Write(2)},
                               {0, RollbackTo("a")},  // the inner a: keeps 1
                               {0, Simple(OpKind::kScan)},
                               {0, Release("a")},     // the inner a: no commit
                               {0, Release("a")},     // the outer a: commits
                               {0, Simple(OpKind::kScan)}}));
  ASSERT_TRUE(p[5].rows);
  EXPECT_EQ(p[5].rows->size(), 1u);
  EXPECT_EQ(p[7].rc, rc::kOk);
  ASSERT_TRUE(p[8].rows);
  EXPECT_EQ(p[8].rows->size(), 1u);
}

TEST(SavepointModel, SavepointOpenedBeforeTheSnapshotRestoresTheSnapshot) {
  // w1's savepoint precedes its snapshot; w2 commits in between, so the
  // restored view is the snapshot taken by the first read, not the table
  // as it was when the savepoint was opened.
  auto p = Predict(Workers(2, {{0, Savepoint("a")},
                               {1, Write(5)},
                               {0, Read(5)},          // snapshot {5@1}
                               {0, Write(6)},
                               {0, RollbackTo("a")},
                               {0, Simple(OpKind::kScan)}}));
  ASSERT_TRUE(p[5].rows);
  ASSERT_EQ(p[5].rows->size(), 1u);
  EXPECT_EQ((*p[5].rows)[0].key, 5);
}

TEST(SavepointModel, VacuumRules) {
  State st;
  auto p = Predict(Workers(2, {{0, Write(1)},
                               {0, Simple(OpKind::kBegin)},
                               {0, Simple(OpKind::kVacuum)},     // ERROR
                               {0, Simple(OpKind::kCommit)},
                               {0, Savepoint("a")},
                               {0, Simple(OpKind::kVacuum)},     // ERROR
                               {0, Release("a")},
                               {1, Op{.kind = OpKind::kBegin, .begin = BeginMode::kImmediate}},
                               {0, Simple(OpKind::kVacuum)},     // BUSY
                               {1, Simple(OpKind::kCommit)},
                               {1, Simple(OpKind::kBegin)},
                               {1, Read(1)},
                               {0, Simple(OpKind::kVacuum)},     // OK despite the reader
                               {1, Read(1)},
                               {1, Write(2)}}),                   // BUSY_SNAPSHOT
                   &st);
  EXPECT_EQ(p[2].rc, rc::kError);
  EXPECT_EQ(p[5].rc, rc::kError);
  EXPECT_EQ(p[8].rc, rc::kBusy);
  EXPECT_EQ(p[12].rc, rc::kOk);
  EXPECT_EQ(p[13].value, 0);
  EXPECT_EQ(p[14].rc, rc::kBusySnapshot);
  EXPECT_EQ(st.committed.size(), 1u);
  EXPECT_EQ(st.wal.mx, 2);  // the write and the VACUUM
}

TEST(SavepointModel, KilledVacuumMayLeaveAnOrphanWithTheSameTable) {
  Schedule s = Workers(1, {{0, Write(1)},
                           {0, Op{.kind = OpKind::kKillAt, .event = EventKind::kWrite, .ordinal = 3}},
                           {0, Simple(OpKind::kVacuum)}});
  State st = InitialState(s);
  st = Apply(s, st, 0, s.steps[0])[0].next;
  st = Apply(s, st, 1, s.steps[1])[0].next;
  bool orphan = false;
  for (const Outcome& o : Apply(s, st, 2, s.steps[2])) {
    if (o.prediction.rc == rc::kKilled && o.next.orphan) {
      orphan = true;
      EXPECT_EQ(*o.next.orphan, st.committed);
    }
  }
  EXPECT_TRUE(orphan);
}

// ---- generator and shrinker ----

TEST(SavepointGenerator, DrawsNestsAroundMultiPageWritesWithSmallCaches) {
  int nests = 0, spill_nests = 0, vacuums = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    const Schedule s = Generate(seed, {.workers = 3, .steps = 60});
    ASSERT_EQ(Validate(s), "") << "seed " << seed;
    std::vector<int> depth(s.workers.size(), 0);
    bool nested_multipage = false, any_nest = false;
    for (const Step& st : s.steps) {
      const auto w = static_cast<size_t>(st.worker);
      if (st.op.kind == OpKind::kSavepoint) any_nest = true, ++depth[w];
      if (st.op.kind == OpKind::kRollbackTo && depth[w] > 0 && nested_multipage) {
        ++spill_nests;
        nested_multipage = false;
      }
      if (st.op.kind == OpKind::kWrite && depth[w] > 0 && st.op.size >= 2 * s.config.page_size &&
          s.config.cache_size <= 10) {
        nested_multipage = true;
      }
      if (st.op.kind == OpKind::kCommit || st.op.kind == OpKind::kRollback ||
          st.op.kind == OpKind::kClose) {
        depth[w] = 0;
      }
      vacuums += st.op.kind == OpKind::kVacuum;
    }
    nests += any_nest;
  }
  EXPECT_GE(nests, 60);
  EXPECT_GE(spill_nests, 10);
  EXPECT_GE(vacuums, 20);
}

TEST(SavepointShrink, DroppingAnyStepKeepsTheScheduleValid) {
  // The model gives an unknown name ERROR, so a release whose savepoint was
  // dropped is still a valid step (with another prediction).
  Result<Schedule> r = Parse(
      "w1 savepoint a\nw1 write 1 5000\nw1 savepoint b\nw1 rollback-to a\nw1 release b\n"
      "w1 release a\nw1 vacuum\n");
  ASSERT_TRUE(r.ok()) << r.error();
  const Schedule& s = r.value();
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const Schedule d = DropSteps(s, i, 1);
    EXPECT_EQ(Validate(d), "") << i;
    State st = InitialState(d);
    for (size_t j = 0; j < d.steps.size(); ++j) {
      auto out = Apply(d, st, static_cast<int64_t>(j), d.steps[j]);
      ASSERT_FALSE(out.empty());
      st = out[0].next;
    }
  }
  for (size_t i = 0; i < s.steps.size(); ++i) {
    for (const Schedule& v : SimplerStep(s, i)) EXPECT_EQ(Validate(v), "");
  }
  auto keys = CanonicalKeys(s);
  if (keys) EXPECT_EQ(Validate(*keys), "");
}

}  // namespace
}  // namespace harvey::model
