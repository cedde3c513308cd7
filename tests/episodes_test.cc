// WAL-internals episodes (model/episodes.h): inserted only between
// transactions, never dropping or reordering a generated step, leaving every
// worker open/closed as before, each kind reachable; and schedules with
// episodes pass on a safe setup (inproc and fork).
#include "model/episodes.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "harness/backend/backend.h"
#include "harness/coordinator/runner.h"
#include "model/format.h"
#include "model/generator.h"
#include "tests/test_util.h"

namespace harvey::model {
namespace {

// True if `sub`'s steps appear in `s` in order.
bool IsSubsequence(const Schedule& sub, const Schedule& s) {
  size_t j = 0;
  for (const Step& st : s.steps) {
    if (j < sub.steps.size() && st == sub.steps[j]) ++j;
  }
  return j == sub.steps.size();
}

TEST(Episodes, ZeroPercentIsTheIdentity) {
  const Schedule s = Generate(7, GenOptions{});
  EXPECT_EQ(AddEpisodes(7, EpisodeOptions{}, s), s);
}

TEST(Episodes, InsertedBetweenTransactionsAndValid) {
  std::set<std::string> seen;  // one marker per episode kind observed
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const Schedule base = Generate(seed, GenOptions{.workers = static_cast<int>(1 + seed % 4)});
    const Schedule s = AddEpisodes(seed, EpisodeOptions{.episode_percent = 20}, base);
    ASSERT_EQ(Validate(s), "") << PrintSchedule(s);
    EXPECT_EQ(s, AddEpisodes(seed, EpisodeOptions{.episode_percent = 20}, base));
    EXPECT_TRUE(IsSubsequence(base, s)) << "seed " << seed;
    for (size_t i = 0; i + 1 < s.steps.size(); ++i) {
      const Op& a = s.steps[i].op;
      const Op& b = s.steps[i + 1].op;
      if (a.kind == OpKind::kCheckpoint && b.kind == OpKind::kCheckpoint &&
          s.steps[i].worker != s.steps[i + 1].worker) {
        seen.insert("storm");
      }
      if (a.kind == OpKind::kCheckpoint && a.checkpoint != CheckpointMode::kPassive &&
          b.kind == OpKind::kWrite && s.steps[i].worker != s.steps[i + 1].worker) {
        seen.insert("restart");
      }
      if (a.kind == OpKind::kBegin && a.begin == BeginMode::kImmediate && b.kind == OpKind::kWrite &&
          b.size >= 2 * s.config.page_size) {
        seen.insert("growth");
      }
    }
    for (size_t i = 0; i + 1 < s.steps.size(); ++i) {
      if (s.steps[i].op.kind == OpKind::kSavepoint && s.steps[i].op.name == "ep") seen.insert("savepoint-undo");
    }
    if (s.workers.size() >= 2) {
      // All close: a run of closes covering every worker, then the opens.
      for (size_t i = 0; i + s.workers.size() <= s.steps.size(); ++i) {
        std::set<int> closed;
        for (size_t k = i; k < i + s.workers.size() && s.steps[k].op.kind == OpKind::kClose; ++k) {
          closed.insert(s.steps[k].worker);
        }
        if (closed.size() == s.workers.size()) seen.insert("all-close");
      }
    }
  }
  EXPECT_EQ(seen, (std::set<std::string>{"all-close", "growth", "restart", "savepoint-undo", "storm"}));
}

TEST(Episodes, SafeSetupPasses) {
  for (const char* boundary : {"inproc", "fork"}) {
    std::string error;
    auto backend = harness::MakeBackend(boundary, &error);
    ASSERT_TRUE(backend) << error;
    auto scratch = testing::MakeScratch();
    ASSERT_TRUE(scratch);
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      const Schedule s =
          AddEpisodes(seed, EpisodeOptions{.episode_percent = 30}, Generate(seed, GenOptions{.steps = 30}));
      const harness::RunResult r = harness::RunSchedule(s, *backend, scratch->path());
      EXPECT_EQ(r.verdict, harness::Verdict::kPass)
          << boundary << " seed " << seed << ": " << r.error << "\n" << PrintSchedule(s);
    }
  }
}

}  // namespace
}  // namespace harvey::model
