#include "model/episodes.h"

#include <algorithm>
#include <string>
#include <vector>

#include "model/rng.h"

namespace harvey::model {
namespace {

enum Episode { kStorm, kRestart, kGrowth, kAllClose, kSavepointUndo, kEpisodeCount };

// Which workers are open and which have a transaction, as the steps so far
// leave them (crash steps are added later, by AddCrashes).
struct Tracker {
  std::vector<bool> open, in_txn;
  // Open savepoint names (oldest first), and whether the oldest began the
  // transaction (then releasing it commits).
  std::vector<std::vector<std::string>> savepoints;
  std::vector<bool> savepoint_txn;
  explicit Tracker(size_t n)
      : open(n, true), in_txn(n, false), savepoints(n), savepoint_txn(n, false) {}
  void Apply(const Step& st) {
    const size_t w = static_cast<size_t>(st.worker);
    switch (st.op.kind) {
      case OpKind::kBegin: in_txn[w] = open[w]; break;
      case OpKind::kCommit: case OpKind::kRollback: EndTxn(w); break;
      case OpKind::kClose: open[w] = false; EndTxn(w); break;
      case OpKind::kOpen: open[w] = true; break;
      case OpKind::kSavepoint:
        if (!open[w]) break;
        if (!in_txn[w]) in_txn[w] = savepoint_txn[w] = true;
        savepoints[w].push_back(st.op.name);
        break;
      case OpKind::kRelease:
      case OpKind::kRollbackTo: {
        auto& sp = savepoints[w];
        auto it = std::find(sp.rbegin(), sp.rend(), st.op.name);
        if (it == sp.rend()) break;  // no such savepoint
        size_t i = static_cast<size_t>(sp.rend() - it) - 1;
        if (st.op.kind == OpKind::kRollbackTo) sp.resize(i + 1);
        else if (i == 0 && savepoint_txn[w]) EndTxn(w);
        else sp.resize(i);
        break;
      }
      default: break;
    }
  }
  void EndTxn(size_t w) {
    in_txn[w] = false;
    savepoints[w].clear();
    savepoint_txn[w] = false;
  }
  bool Quiet() const { return std::none_of(in_txn.begin(), in_txn.end(), [](bool b) { return b; }); }
  std::vector<int> OpenWorkers() const {
    std::vector<int> out;
    for (size_t i = 0; i < open.size(); ++i) {
      if (open[i]) out.push_back(static_cast<int>(i));
    }
    return out;
  }
};

Step Checkpoint(int worker, CheckpointMode mode) {
  return Step{worker, {.kind = OpKind::kCheckpoint, .checkpoint = mode}};
}

Step Write(Rng& rng, int worker, uint32_t size) {
  return Step{worker, {.kind = OpKind::kWrite, .key = rng.Range(0, 7), .size = size}};
}

// The episode's steps; empty when it does not fit (e.g. too few open workers).
std::vector<Step> Draw(Rng& rng, Episode e, const Tracker& t, const Config& c) {
  const std::vector<int> open = t.OpenWorkers();
  std::vector<Step> out;
  if (open.empty()) return out;
  auto any = [&] { return open[rng.Below(open.size())]; };
  const uint32_t page = c.page_size;
  switch (e) {
    case kStorm: {
      const int64_t n = rng.Range(2, 4);
      for (int64_t i = 0; i < n; ++i) {
        out.push_back(Checkpoint(open[static_cast<size_t>(i) % open.size()],
                                 static_cast<CheckpointMode>(rng.Below(4))));
      }
      break;
    }
    case kRestart: {
      const int a = any();
      int b = any();
      if (open.size() > 1) {
        while (b == a) b = any();
      }
      out.push_back(Checkpoint(a, static_cast<CheckpointMode>(rng.Range(1, 3))));
      out.push_back(Write(rng, b, static_cast<uint32_t>(rng.Range(kMinValueSize, page))));
      out.push_back(Step{a, {.kind = OpKind::kRead, .key = out.back().op.key}});
      break;
    }
    case kGrowth: {
      const int w = any();
      out.push_back(Step{w, {.kind = OpKind::kBegin, .begin = BeginMode::kImmediate}});
      const int64_t n = rng.Range(3, 8);
      for (int64_t i = 0; i < n; ++i) {
        out.push_back(Write(rng, w, static_cast<uint32_t>(rng.Range(2 * page, 6 * page))));
      }
      out.push_back(Step{w, {.kind = OpKind::kCommit}});
      break;
    }
    case kAllClose:
      for (int w : open) out.push_back(Step{w, {.kind = OpKind::kClose}});
      for (int w : open) out.push_back(Step{w, {.kind = OpKind::kOpen}});
      break;
    case kSavepointUndo: {
      const int w = any();
      // The value goes into the table and the value index, so about twice
      // its size in pages is dirtied: a cache of `pages` spills past it.
      const int64_t pages = c.cache_size > 0 ? c.cache_size : -int64_t{c.cache_size} * 1024 / page;
      const int64_t spill = std::clamp<int64_t>((pages / 2 + 4) * page, 2 * page, kMaxValueSize);
      const bool nested = rng.Chance(1, 2);
      out.push_back(Step{w, {.kind = OpKind::kSavepoint, .name = "ep"}});
      if (nested) out.push_back(Step{w, {.kind = OpKind::kSavepoint, .name = "ep2"}});
      out.push_back(Write(rng, w, static_cast<uint32_t>(spill)));
      out.push_back(Step{w, {.kind = OpKind::kWrite, .key = out.back().op.key,
                             .size = static_cast<uint32_t>(rng.Range(kMinValueSize, page))}});
      out.push_back(Step{w, {.kind = OpKind::kRollbackTo, .name = nested ? "ep2" : "ep"}});
      out.push_back(Step{w, {.kind = OpKind::kRelease, .name = "ep"}});
      out.push_back(Write(rng, w, kMinValueSize));
      break;
    }
    case kEpisodeCount:
      break;
  }
  return out;
}

}  // namespace

Schedule AddEpisodes(uint64_t seed, const EpisodeOptions& o, const Schedule& s) {
  if (o.episode_percent == 0) return s;
  Rng rng(seed ^ 0xE915D0E5ull);
  Schedule out = s;
  out.steps.clear();
  Tracker t(s.workers.size());
  for (const Step& step : s.steps) {
    if (t.Quiet() && rng.Chance(o.episode_percent, 100)) {
      const auto e = static_cast<Episode>(rng.Below(kEpisodeCount));
      for (const Step& st : Draw(rng, e, t, s.config)) {
        t.Apply(st);
        out.steps.push_back(st);
      }
    }
    t.Apply(step);
    out.steps.push_back(step);
  }
  return out;
}

}  // namespace harvey::model
