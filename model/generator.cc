#include "model/generator.h"

#include <algorithm>
#include <array>
#include <string>

#include "model/rng.h"

namespace harvey::model {
namespace {

// Op kinds the swarm chooses among (open/close are driven by worker state).
enum Pick { kPBegin, kPRead, kPWrite, kPDelete, kPScan, kPEnd, kPCheckpoint, kPClose, kPCount };

struct Swarm {
  std::array<uint32_t, kPCount> weight{};
  int64_t hot_keys = 4;
  int64_t cold_keys = 32;
  uint32_t hot_percent = 80;
  uint32_t big_value_percent = 10;
  uint32_t max_big = 8192;
};

Swarm DrawSwarm(Rng& rng, uint32_t page_size) {
  Swarm w;
  for (auto& x : w.weight) x = rng.Chance(1, 5) ? 0 : static_cast<uint32_t>(rng.Range(1, 10));
  w.weight[kPWrite] = std::max<uint32_t>(w.weight[kPWrite], 2);  // always some writes
  w.weight[kPEnd] = std::max<uint32_t>(w.weight[kPEnd], 1);      // transactions end
  w.hot_keys = rng.Range(1, 6);
  w.cold_keys = rng.Range(0, 60);
  w.hot_percent = static_cast<uint32_t>(rng.Range(50, 100));
  w.big_value_percent = rng.Chance(1, 2) ? 0 : static_cast<uint32_t>(rng.Range(5, 40));
  w.max_big = static_cast<uint32_t>(std::min<uint64_t>(kMaxValueSize, page_size * rng.Range(2, 6)));
  return w;
}

Config DrawConfig(Rng& rng, uint64_t seed) {
  static constexpr uint32_t kPageSizes[] = {512, 1024, 4096, 4096, 4096, 8192, 65536};
  static constexpr uint32_t kAutoCkpt[] = {0, 0, 0, 1, 2, 5, 20, 1000};
  static constexpr int32_t kCache[] = {10, 100, 100, 2000};
  Config c;
  c.page_size = kPageSizes[rng.Below(std::size(kPageSizes))];
  c.synchronous = rng.Chance(1, 2) ? Synchronous::kFull : Synchronous::kNormal;
  c.wal_autocheckpoint = kAutoCkpt[rng.Below(std::size(kAutoCkpt))];
  c.cache_size = kCache[rng.Below(std::size(kCache))];
  c.seed = seed;
  return c;
}

int Weighted(Rng& rng, const std::array<uint32_t, kPCount>& weight, uint64_t allowed_mask) {
  uint64_t total = 0;
  for (int i = 0; i < kPCount; ++i) total += (allowed_mask >> i & 1) ? weight[i] : 0;
  if (total == 0) return kPWrite;
  uint64_t r = rng.Below(total);
  for (int i = 0; i < kPCount; ++i) {
    if (!(allowed_mask >> i & 1)) continue;
    if (r < weight[i]) return i;
    r -= weight[i];
  }
  return kPWrite;
}

struct WorkerView {
  bool open = true;
  bool in_txn = false;
};

Op DrawOp(Rng& rng, const Swarm& w, WorkerView& v) {
  Op op;
  if (!v.open) {
    // A closed worker almost always reopens; rarely it tries an op anyway.
    if (rng.Chance(9, 10)) {
      op.kind = OpKind::kOpen;
      v.open = true;
      return op;
    }
    op.kind = OpKind::kRead;
    return op;
  }
  uint64_t mask = ~0ull;
  if (v.in_txn) mask &= ~(1ull << kPBegin);
  else mask &= ~(1ull << kPEnd);
  auto key = [&] {
    return rng.Chance(w.hot_percent, 100) ? rng.Range(0, w.hot_keys - 1)
                                          : 100 + rng.Range(0, w.cold_keys);
  };
  switch (Weighted(rng, w.weight, mask)) {
    case kPBegin:
      op.kind = OpKind::kBegin;
      op.begin = static_cast<BeginMode>(rng.Below(3));
      v.in_txn = true;
      break;
    case kPRead: op.kind = OpKind::kRead; op.key = key(); break;
    case kPWrite:
      op.kind = OpKind::kWrite;
      op.key = key();
      op.size = rng.Chance(w.big_value_percent, 100)
                    ? static_cast<uint32_t>(rng.Range(kMinValueSize, w.max_big))
                    : static_cast<uint32_t>(rng.Range(kMinValueSize, 200));
      break;
    case kPDelete: op.kind = OpKind::kDelete; op.key = key(); break;
    case kPScan: op.kind = OpKind::kScan; break;
    case kPEnd:
      op.kind = rng.Chance(3, 4) ? OpKind::kCommit : OpKind::kRollback;
      v.in_txn = false;
      break;
    case kPCheckpoint:
      op.kind = OpKind::kCheckpoint;
      op.checkpoint = static_cast<CheckpointMode>(rng.Below(4));
      break;
    case kPClose:
      op.kind = OpKind::kClose;
      v = WorkerView{.open = false, .in_txn = false};
      break;
  }
  return op;
}

}  // namespace

uint64_t ScheduleSeed(uint64_t campaign_seed, uint64_t index) {
  uint64_t s = campaign_seed ^ (index * 0xD1B54A32D192ED03ull);
  return SplitMix64(s);
}

Schedule Generate(uint64_t seed, const GenOptions& options) {
  Rng rng(seed);
  Schedule s;
  s.config = DrawConfig(rng, seed);
  const int workers = std::clamp(options.workers, 1, kMaxWorkers);
  for (int i = 0; i < workers; ++i) s.workers.push_back(Worker{"w" + std::to_string(i + 1)});
  Swarm swarm = DrawSwarm(rng, s.config.page_size);
  std::vector<WorkerView> views(workers);
  // A worker keeps running for a short burst, so transactions interleave
  // at op granularity without being diluted.
  int current = 0;
  for (int i = 0; i < options.steps; ++i) {
    if (rng.Chance(1, 2)) current = static_cast<int>(rng.Below(workers));
    s.steps.push_back(Step{current, DrawOp(rng, swarm, views[current])});
  }
  return s;
}

}  // namespace harvey::model
