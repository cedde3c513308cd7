// `harvey fuzz --shard K/N` (harness/coordinator/campaign.h): N shards of
// count C run exactly the schedules of one unsharded campaign of N*C,
// each once, and a shard's run reports the campaign's own indices.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "harness/backend/inproc_backend.h"
#include "harness/coordinator/campaign.h"
#include "model/format.h"
#include "tests/test_util.h"

namespace harvey::harness {
namespace {

CampaignSpec Spec(uint64_t shard_index, uint64_t shard_count) {
  CampaignSpec s;
  s.seed = 42;
  s.gen = model::GenOptions{.workers = 3, .steps = 12};
  s.crashes = model::CrashOptions{.kill_percent = 5, .power_loss_percent = 2, .kill_inside_ops = true};
  s.shard_index = shard_index;
  s.shard_count = shard_count;
  return s;
}

TEST(CampaignShard, UnionOfShardsIsTheUnshardedCampaign) {
  for (uint64_t n : {1u, 2u, 3u, 7u}) {
    const uint64_t count = 5;
    std::multiset<std::string> sharded;
    for (uint64_t k = 0; k < n; ++k) {
      const CampaignSpec spec = Spec(k, n);
      for (uint64_t j = 0; j < count; ++j) {
        sharded.insert(model::PrintSchedule(CampaignSchedule(spec, CampaignIndex(spec, j))));
      }
    }
    std::multiset<std::string> whole;
    const CampaignSpec one = Spec(0, 1);
    for (uint64_t i = 0; i < n * count; ++i) whole.insert(model::PrintSchedule(CampaignSchedule(one, CampaignIndex(one, i))));
    EXPECT_EQ(sharded, whole) << n << " shards";
    EXPECT_EQ(std::set<std::string>(whole.begin(), whole.end()).size(), whole.size());  // disjoint: no schedule twice
  }
}

TEST(CampaignShard, AShardRunsItsOwnSchedules) {
  auto scratch = testing::MakeScratch();
  InprocBackend backend;
  CampaignSpec spec = Spec(1, 3);
  spec.crashes = model::CrashOptions{};  // inproc: no kills inside ops, no power loss
  spec.count = 4;
  const CampaignResult r = RunCampaign(spec, backend, scratch->path());
  EXPECT_EQ(r.schedules, 4u) << r.error;
  EXPECT_FALSE(r.mismatch);
}

}  // namespace
}  // namespace harvey::harness
