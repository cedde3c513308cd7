// Scheduling policies (model/policy.h): parsing, determinism, PCT's rule.
#include <gtest/gtest.h>

#include "model/policy.h"

namespace harvey {
namespace {

using model::Policy;
using model::PolicyKind;

TEST(Policy, Parses) {
  Policy p;
  EXPECT_EQ(model::ParsePolicy("pct:3", &p), "");
  EXPECT_EQ(p, (Policy{PolicyKind::kPct, 3}));
  EXPECT_EQ(model::ToString(p), "pct:3");
  EXPECT_EQ(model::ParsePolicy("random", &p), "");
  EXPECT_EQ(p.kind, PolicyKind::kRandom);
  EXPECT_EQ(model::ParsePolicy("op", &p), "");
  EXPECT_EQ(p.kind, PolicyKind::kOp);
  for (const char* bad : {"pct", "pct:0", "pct:x", "pct:65", "rand", ""}) {
    EXPECT_NE(model::ParsePolicy(bad, &p), "") << bad;
  }
}

std::vector<int> Choices(const Policy& p, uint64_t seed, int n) {
  auto c = model::MakeChooser(p, seed, 3, n);
  std::vector<int> out;
  for (int i = 0; i < n; ++i) out.push_back(c->Choose({0, 1, 2}));
  return out;
}

TEST(Policy, DeterministicInTheSeed) {
  for (Policy p : {Policy{PolicyKind::kRandom, 0}, Policy{PolicyKind::kPct, 3}}) {
    EXPECT_EQ(Choices(p, 7, 200), Choices(p, 7, 200));
  }
  EXPECT_NE(Choices(Policy{PolicyKind::kRandom, 0}, 7, 200), Choices(Policy{PolicyKind::kRandom, 0}, 8, 200));
}

// pct:1 has no change points: one worker (the highest priority) runs
// whenever it is eligible.
TEST(Policy, PctRunsTheHighestPriorityWorker) {
  auto c = model::MakeChooser(Policy{PolicyKind::kPct, 1}, 3, 3, 100);
  const int first = c->Choose({0, 1, 2});
  for (int i = 0; i < 50; ++i) EXPECT_EQ(c->Choose({0, 1, 2}), first);
  std::vector<int> others;
  for (int w = 0; w < 3; ++w) {
    if (w != first) others.push_back(w);
  }
  const int second = c->Choose(others);
  EXPECT_EQ(c->Choose({0, 1, 2}), first);
  c->Slept(first);  // a sleeper drops below everyone
  EXPECT_EQ(c->Choose({0, 1, 2}), second);
}

// pct:D changes priorities D-1 times: over a run, more than one worker
// leads while all stay eligible.
TEST(Policy, PctChangesPriorities) {
  auto c = model::MakeChooser(Policy{PolicyKind::kPct, 3}, 5, 3, 20);
  std::vector<int> seen;
  for (int i = 0; i < 20; ++i) {
    const int w = c->Choose({0, 1, 2});
    if (seen.empty() || seen.back() != w) seen.push_back(w);
  }
  EXPECT_GE(seen.size(), 2u);
  EXPECT_LE(seen.size(), 3u);
}

}  // namespace
}  // namespace harvey
