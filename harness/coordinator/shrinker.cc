// The replay-driven shrink loop (see shrinker.h). Passes, each greedy (a kept
// candidate becomes the new base at once), repeated until a whole round keeps
// nothing or the budget ends:
//   1. cut the steps after the failing step
//   2. drop fault steps (kill, kill at, power-loss): all, then one at a time
//   3. drop whole workers (later workers renumbered)
//   4. ddmin: drop chunks of steps, halving the chunk size down to 1
//   5. merge context switches (move a step up to its worker's previous run)
//   6. simpler steps: sizes to the minimum, then per step smaller sizes,
//      deferred begins, lower checkpoint modes
//   7. keys: renumber to 0, 1, 2, ..., then merge keys into smaller ones
//   8. config fields back to their defaults (never the defect)
//   9. workers renamed w1, w2, ...
#include "harness/coordinator/shrinker.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <unordered_set>

#include "harness/os/interrupt.h"
#include "harness/coordinator/runner.h"
#include "model/format.h"
#include "model/shrink.h"

namespace harvey::harness {
namespace {

using Clock = std::chrono::steady_clock;

class Shrinker {
 public:
  Shrinker(const model::Schedule& s, const model::Mismatch& m, Backend& backend,
           const std::string& db_dir, const ShrinkOptions& options)
      : backend_(backend), db_dir_(db_dir), options_(options), start_(Clock::now()) {
    result_.schedule = s;
    result_.mismatch = m;
    result_.original_steps = s.steps.size();
    result_.original_workers = s.workers.size();
    tried_.insert(model::PrintSchedule(s));
  }

  ShrinkResult Run();

 private:
  const model::Schedule& cur() const { return result_.schedule; }
  bool Expired();
  bool Try(const std::optional<model::Schedule>& c, const std::string& what);
  std::optional<model::Mismatch> Replay(const model::Schedule& c);
  std::vector<int> taken_;  // the decisions the last replay took (fine-grained)

  bool CutAfterFailure();
  bool DropFaults();
  bool DropWorkers();
  bool DropDecisions();
  bool Ddmin();
  bool JoinRuns();
  bool SimplerSteps();
  bool SimplerKeys();
  bool SimplerConfig();
  bool Rename() { return Try(model::RenameWorkers(cur()), "rename workers"); }

  Backend& backend_;
  const std::string& db_dir_;
  const ShrinkOptions& options_;
  Clock::time_point start_;
  ShrinkResult result_;
  std::unordered_set<std::string> tried_;  // printed candidates already judged
};

bool Shrinker::Expired() {
  if (Interrupted() || !result_.harness_error.empty()) result_.timed_out = true;
  if (std::chrono::duration<double>(Clock::now() - start_).count() >= options_.time_s) {
    result_.timed_out = true;
  }
  return result_.timed_out;
}

std::optional<model::Mismatch> Shrinker::Replay(const model::Schedule& c) {
  const RunResult r = RunSchedule(c, backend_, db_dir_, options_.rules);
  taken_ = r.interleaved ? r.decisions : std::vector<int>{};
  if (r.verdict == Verdict::kError) {
    ++result_.errors;
    if (r.harness_failure && result_.harness_error.empty()) {  // every later replay would fail too
      result_.harness_error = r.error;
      result_.missing = r.missing;
    }
    return std::nullopt;
  }
  if (r.verdict != Verdict::kMismatch || !r.mismatch) return std::nullopt;
  return r.mismatch;
}

bool Shrinker::Try(const std::optional<model::Schedule>& c, const std::string& what) {
  if (!c || Expired()) return false;
  if (!model::Validate(*c).empty()) {
    ++result_.invalid;
    return false;
  }
  if (!tried_.insert(model::PrintSchedule(*c)).second) return false;
  ++result_.replays;
  std::optional<model::Mismatch> m = Replay(*c);
  if (!m || !SameFailure(cur(), result_.mismatch, *c, *m)) return false;
  result_.schedule = *c;
  // The decisions the replay took reproduce it exactly; skipped ones and
  // those after the failure go.
  if (!c->interleave.empty()) result_.schedule.interleave = taken_;
  result_.mismatch = std::move(*m);
  ++result_.accepted;
  if (options_.on_accept) {
    options_.on_accept(what + ": " + std::to_string(cur().steps.size()) + " steps, " +
                       std::to_string(cur().workers.size()) + " workers");
  }
  return true;
}

bool Shrinker::CutAfterFailure() {
  const int64_t step = result_.mismatch.step;
  if (step < 0 || static_cast<size_t>(step) + 1 >= cur().steps.size()) return false;
  return Try(model::KeepPrefix(cur(), static_cast<size_t>(step) + 1),
             "cut after step " + std::to_string(step));
}

bool Shrinker::DropFaults() {
  if (Try(model::DropFaultSteps(cur()), "drop all fault steps")) return true;
  bool any = false;
  for (size_t i = cur().steps.size(); i-- > 0;) {
    if (i >= cur().steps.size() || !model::IsFaultOp(cur().steps[i].op.kind)) continue;
    any |= Try(model::DropSteps(cur(), i, 1), "drop fault step " + std::to_string(i));
  }
  return any;
}

bool Shrinker::DropWorkers() {
  bool any = false;
  for (int w = static_cast<int>(cur().workers.size()); w-- > 0;) {
    const std::string name = w < static_cast<int>(cur().workers.size()) ? cur().workers[w].name : "";
    any |= Try(model::DropWorker(cur(), w), "drop worker " + name);
  }
  return any;
}

// Interleave decisions: all of them (op-level), then runs of one worker in
// halving chunks from the end (dropping a run merges its neighbours).
bool Shrinker::DropDecisions() {
  if (cur().interleave.empty()) return false;
  model::Schedule none = cur();
  none.interleave.clear();
  if (Try(none, "drop all interleave decisions")) return true;
  bool any = false;
  size_t chunk = std::max<size_t>(1, model::DecisionRuns(cur()).size() / 2);
  while (!Expired()) {
    for (size_t end = model::DecisionRuns(cur()).size(); end > 0 && !Expired();) {
      const auto runs = model::DecisionRuns(cur());
      end = std::min(end, runs.size());
      if (end == 0) break;
      const size_t begin = end > chunk ? end - chunk : 0;
      const size_t first = runs[begin].first;
      const size_t count = runs[end - 1].first + runs[end - 1].second - first;
      const std::string what = "drop decision runs " + std::to_string(begin) + ".." + std::to_string(end - 1);
      if (Try(model::DropDecisions(cur(), first, count), what)) any = true;
      end = begin;
    }
    if (chunk == 1) break;
    chunk /= 2;
  }
  return any;
}

bool Shrinker::Ddmin() {
  bool any = false;
  size_t chunk = std::max<size_t>(1, cur().steps.size() / 2);
  while (!Expired()) {
    // From the end: later steps are the likeliest to be irrelevant.
    for (size_t end = cur().steps.size(); end > 0 && !Expired();) {
      const size_t begin = end > chunk ? end - chunk : 0;
      const std::string what = "drop steps " + std::to_string(begin) + ".." + std::to_string(end - 1);
      if (Try(model::DropSteps(cur(), begin, end - begin), what)) any = true;
      end = std::min(begin, cur().steps.size());
    }
    if (chunk == 1) break;
    chunk /= 2;
  }
  return any;
}

bool Shrinker::JoinRuns() {
  bool any = false;
  for (size_t i = 1; i < cur().steps.size() && !Expired(); ++i) {
    any |= Try(model::JoinPreviousRun(cur(), i), "merge step " + std::to_string(i) + " into its worker's run");
  }
  return any;
}

bool Shrinker::SimplerSteps() {
  bool any = Try(model::MinimalSizes(cur()), "all sizes to 16");
  for (size_t i = 0; i < cur().steps.size() && !Expired(); ++i) {
    for (const model::Schedule& c : model::SimplerStep(cur(), i)) {
      if (Try(c, "simplify step " + std::to_string(i))) {
        any = true;
        break;
      }
    }
  }
  return any;
}

bool Shrinker::SimplerKeys() {
  bool any = Try(model::CanonicalKeys(cur()), "renumber keys");
  // Merge each key into the smallest key that keeps the failure.
  for (int64_t from : model::KeysUsed(cur())) {
    for (int64_t to : model::KeysUsed(cur())) {
      if (to >= from || Expired()) break;
      if (Try(model::ReplaceKey(cur(), from, to),
              "key " + std::to_string(from) + " -> " + std::to_string(to))) {
        any = true;
        break;
      }
    }
  }
  return any;
}

bool Shrinker::SimplerConfig() {
  bool any = false;
  for (bool again = true; again && !Expired();) {
    again = false;
    for (const model::Schedule& c : model::SimplerConfigs(cur())) {
      if (Try(c, "config back to default")) {
        any = again = true;
        break;
      }
    }
  }
  return any;
}

ShrinkResult Shrinker::Run() {
  for (bool changed = true; changed && !Expired();) {
    changed = false;
    changed |= CutAfterFailure();
    changed |= DropFaults();
    changed |= DropWorkers();
    changed |= DropDecisions();
    changed |= Ddmin();
    changed |= CutAfterFailure();
    changed |= JoinRuns();
    changed |= SimplerSteps();
    changed |= SimplerKeys();
    changed |= SimplerConfig();
    changed |= Rename();
  }
  result_.elapsed_s = std::chrono::duration<double>(Clock::now() - start_).count();
  for (int i = 0; i < options_.confirm_runs && result_.harness_error.empty(); ++i) {
    std::optional<model::Mismatch> m = Replay(cur());
    if (m && SameFailure(cur(), result_.mismatch, cur(), *m)) ++result_.confirmed;
  }
  return std::move(result_);
}

}  // namespace

bool SameFailure(const model::Schedule& sa, const model::Mismatch& ma, const model::Schedule& sb,
                 const model::Mismatch& mb) {
  if (ma.failure_class != mb.failure_class) return false;
  if ((ma.step >= 0) != (mb.step >= 0)) return false;
  if (ma.step < 0) return true;
  if (static_cast<size_t>(ma.step) >= sa.steps.size() ||
      static_cast<size_t>(mb.step) >= sb.steps.size()) {
    return false;
  }
  return sa.steps[ma.step].op.kind == sb.steps[mb.step].op.kind;
}

ShrinkResult Shrink(const model::Schedule& s, const model::Mismatch& original, Backend& backend,
                    const std::string& db_dir, const ShrinkOptions& options) {
  return Shrinker(s, original, backend, db_dir, options).Run();
}

model::Schedule AsFinding(const model::Schedule& s, const std::string& boundary) {
  model::Schedule out = s;
  std::erase_if(out.expects, [&](const model::Expect& e) { return e.boundary == boundary; });
  out.expects.push_back(model::Expect{boundary, model::Expectation::kFail});
  return out;
}

std::string ShrinkSummary(const ShrinkResult& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%zu -> %zu steps, %zu -> %zu workers in %.1f s (%zu replays, %zu kept%s)",
                r.original_steps, r.schedule.steps.size(), r.original_workers,
                r.schedule.workers.size(), r.elapsed_s, r.replays, r.accepted,
                r.timed_out ? "; time budget reached" : "");
  return buf;
}

}  // namespace harvey::harness
