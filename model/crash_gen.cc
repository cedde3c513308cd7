#include "model/crash_gen.h"

#include <iterator>

#include "model/rng.h"

namespace harvey::model {
namespace {

// Events where a commit or checkpoint is half-way: between frame writes,
// before/after a sync, between wal-index lock and header update.
constexpr EventKind kKillEvents[] = {
    EventKind::kWrite,      EventKind::kWrite,    EventKind::kSync,   EventKind::kSync,
    EventKind::kShmLock,    EventKind::kShmLock,  EventKind::kShmBarrier,
    EventKind::kTruncate,   EventKind::kFileControl};

}  // namespace

Schedule AddCrashes(uint64_t seed, const CrashOptions& o, const Schedule& s) {
  Rng rng(seed ^ 0xC4A54ull);
  Schedule out = s;
  out.steps.clear();
  for (const Step& step : s.steps) {
    const int w = step.worker;
    if (rng.Chance(o.power_loss_percent, 100)) {
      Step pl = Step{w, {.kind = OpKind::kPowerLoss}};
      pl.op.seed = rng.Chance(1, 4) ? 0 : rng.Next() | 1;
      out.steps.push_back(pl);
    }
    if (!rng.Chance(o.kill_percent, 100)) {
      out.steps.push_back(step);
      continue;
    }
    if (o.kill_inside_ops && rng.Chance(2, 3)) {
      Step arm = Step{w, {.kind = OpKind::kKillAt}};
      arm.op.event = kKillEvents[rng.Below(std::size(kKillEvents))];
      arm.op.ordinal = static_cast<uint32_t>(rng.Range(1, 3));
      out.steps.push_back(arm);
      out.steps.push_back(step);
      out.steps.push_back(Step{w, {.kind = OpKind::kOpen}});
    } else {
      out.steps.push_back(Step{w, {.kind = OpKind::kKill}});
      out.steps.push_back(Step{w, {.kind = OpKind::kOpen}});
      out.steps.push_back(step);
    }
  }
  return out;
}

}  // namespace harvey::model
