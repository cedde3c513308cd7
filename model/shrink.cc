// Pure schedule transforms for the shrinker (see shrink.h).
#include "model/shrink.h"

#include <algorithm>
#include <map>
#include <string>

namespace harvey::model {
namespace {

bool HasKey(OpKind k) {
  return k == OpKind::kRead || k == OpKind::kWrite || k == OpKind::kDelete;
}

// Lower checkpoint modes first: passive < full < restart < truncate.
constexpr CheckpointMode kCheckpointOrder[] = {CheckpointMode::kPassive, CheckpointMode::kFull,
                                               CheckpointMode::kRestart,
                                               CheckpointMode::kTruncate};

}  // namespace

bool IsFaultOp(OpKind kind) {
  return kind == OpKind::kKill || kind == OpKind::kKillAt || kind == OpKind::kPowerLoss;
}

Schedule DropSteps(const Schedule& s, size_t begin, size_t count) {
  Schedule out = s;
  begin = std::min(begin, out.steps.size());
  const size_t end = std::min(out.steps.size(), begin + count);
  out.steps.erase(out.steps.begin() + static_cast<std::ptrdiff_t>(begin),
                  out.steps.begin() + static_cast<std::ptrdiff_t>(end));
  return out;
}

Schedule KeepPrefix(const Schedule& s, size_t n) {
  return DropSteps(s, n, s.steps.size());
}

std::optional<Schedule> DropWorker(const Schedule& s, int worker) {
  if (worker < 0 || static_cast<size_t>(worker) >= s.workers.size() || s.workers.size() < 2) {
    return std::nullopt;
  }
  Schedule out = s;
  out.workers.erase(out.workers.begin() + worker);
  out.steps.clear();
  for (const Step& step : s.steps) {
    if (step.worker == worker) continue;
    Step moved = step;
    if (moved.worker > worker) --moved.worker;
    out.steps.push_back(moved);
  }
  out.interleave.clear();
  for (int w : s.interleave) {
    if (w != worker) out.interleave.push_back(w > worker ? w - 1 : w);
  }
  return out;
}

std::vector<std::pair<size_t, size_t>> DecisionRuns(const Schedule& s) {
  std::vector<std::pair<size_t, size_t>> runs;
  for (size_t i = 0; i < s.interleave.size();) {
    size_t j = i;
    while (j < s.interleave.size() && s.interleave[j] == s.interleave[i]) ++j;
    runs.emplace_back(i, j - i);
    i = j;
  }
  return runs;
}

std::optional<Schedule> DropDecisions(const Schedule& s, size_t begin, size_t count) {
  if (begin >= s.interleave.size() || count == 0) return std::nullopt;
  Schedule out = s;
  const size_t end = std::min(out.interleave.size(), begin + count);
  out.interleave.erase(out.interleave.begin() + static_cast<std::ptrdiff_t>(begin),
                       out.interleave.begin() + static_cast<std::ptrdiff_t>(end));
  return out;
}

std::optional<Schedule> RenameWorkers(const Schedule& s) {
  Schedule out = s;
  for (size_t i = 0; i < out.workers.size(); ++i) out.workers[i].name = "w" + std::to_string(i + 1);
  if (out == s) return std::nullopt;
  return out;
}

std::optional<Schedule> DropFaultSteps(const Schedule& s) {
  Schedule out = s;
  std::erase_if(out.steps, [](const Step& step) { return IsFaultOp(step.op.kind); });
  if (out.steps.size() == s.steps.size()) return std::nullopt;
  return out;
}

std::optional<Schedule> JoinPreviousRun(const Schedule& s, size_t i) {
  if (i == 0 || i >= s.steps.size()) return std::nullopt;
  const int w = s.steps[i].worker;
  size_t prev = i;
  while (prev > 0 && s.steps[prev - 1].worker != w) --prev;
  // prev - 1 is the worker's earlier step; nothing to join if there is none
  // or it already sits directly before step i.
  if (prev == 0 || prev == i) return std::nullopt;
  Schedule out = s;
  const Step moved = out.steps[i];
  out.steps.erase(out.steps.begin() + static_cast<std::ptrdiff_t>(i));
  out.steps.insert(out.steps.begin() + static_cast<std::ptrdiff_t>(prev), moved);
  return out;
}

std::optional<Schedule> CanonicalKeys(const Schedule& s) {
  std::map<int64_t, int64_t> renumber;
  Schedule out = s;
  for (Step& step : out.steps) {
    if (!HasKey(step.op.kind)) continue;
    auto [it, fresh] = renumber.try_emplace(step.op.key, static_cast<int64_t>(renumber.size()));
    step.op.key = it->second;
  }
  if (out == s) return std::nullopt;
  return out;
}

std::optional<Schedule> ReplaceKey(const Schedule& s, int64_t from, int64_t to) {
  if (from == to) return std::nullopt;
  Schedule out = s;
  bool used = false;
  for (Step& step : out.steps) {
    if (HasKey(step.op.kind) && step.op.key == from) {
      step.op.key = to;
      used = true;
    }
  }
  if (!used) return std::nullopt;
  return out;
}

std::vector<int64_t> KeysUsed(const Schedule& s) {
  std::vector<int64_t> keys;
  for (const Step& step : s.steps) {
    if (HasKey(step.op.kind)) keys.push_back(step.op.key);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::vector<Schedule> SimplerStep(const Schedule& s, size_t i) {
  std::vector<Schedule> out;
  if (i >= s.steps.size()) return out;
  const Op& op = s.steps[i].op;
  auto with = [&](auto edit) {
    Schedule c = s;
    edit(c.steps[i].op);
    out.push_back(std::move(c));
  };
  switch (op.kind) {
    case OpKind::kWrite: {
      // Simplest first: the minimum, then a quarter, then half (rounded down
      // to a multiple of kMinValueSize).
      std::vector<uint32_t> sizes;
      for (uint32_t div : {0u, 4u, 2u}) {
        uint32_t v = div == 0 ? kMinValueSize : op.size / div / kMinValueSize * kMinValueSize;
        v = std::max(v, kMinValueSize);
        if (v < op.size && std::find(sizes.begin(), sizes.end(), v) == sizes.end()) {
          sizes.push_back(v);
        }
      }
      for (uint32_t v : sizes) with([v](Op& o) { o.size = v; });
      break;
    }
    case OpKind::kBegin:
      if (op.begin != BeginMode::kDeferred) with([](Op& o) { o.begin = BeginMode::kDeferred; });
      if (op.begin == BeginMode::kExclusive) with([](Op& o) { o.begin = BeginMode::kImmediate; });
      break;
    case OpKind::kCheckpoint:
      for (CheckpointMode m : kCheckpointOrder) {
        if (m == op.checkpoint) break;
        with([m](Op& o) { o.checkpoint = m; });
      }
      break;
    case OpKind::kKillAt:
      if (op.ordinal > 1) with([](Op& o) { o.ordinal = 1; });
      break;
    default:
      break;
  }
  return out;
}

std::optional<Schedule> MinimalSizes(const Schedule& s) {
  Schedule out = s;
  for (Step& step : out.steps) {
    if (step.op.kind == OpKind::kWrite) step.op.size = kMinValueSize;
  }
  if (out == s) return std::nullopt;
  return out;
}

std::vector<Schedule> SimplerConfigs(const Schedule& s) {
  const Config d;
  std::vector<Schedule> out;
  auto reset = [&](auto member) {
    if (s.config.*member == d.*member) return;
    Schedule c = s;
    c.config.*member = d.*member;
    out.push_back(std::move(c));
  };
  reset(&Config::wal_autocheckpoint);
  reset(&Config::page_size);
  reset(&Config::cache_size);
  reset(&Config::synchronous);
  reset(&Config::sector_size);
  reset(&Config::journal_size_limit);
  reset(&Config::mmap_size);
  reset(&Config::checkpoint_on_close);
  reset(&Config::busy_timeout);
  reset(&Config::secure_delete);
  reset(&Config::call_points);
  reset(&Config::seed);
  return out;
}

size_t ContextSwitches(const Schedule& s) {
  size_t n = 0;
  for (size_t i = 1; i < s.steps.size(); ++i) n += s.steps[i].worker != s.steps[i - 1].worker;
  return n;
}

}  // namespace harvey::model
