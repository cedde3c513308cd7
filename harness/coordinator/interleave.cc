#include "harness/coordinator/interleave.h"

#include <algorithm>
#include <vector>

#include "harness/os/interrupt.h"
#include "harness/worker/shm_regions.h"
#include "harness/worker/sqlite_build.h"
#include "harness/worker/wal_functions.h"
#include "model/format.h"

namespace harvey::harness {

// Measured on branch i13r (harvey fuzz --seed 1313 --policy pct:3 --json,
// default generator: drawn settings, savepoints, VACUUM, kills), yields /
// steps. --count 40 with the old estimate 5: system 3.40.1 fork 9.1, inproc
// 9.4; 3.54.1 fork 9.1, inproc 9.3; 3.54.1-shm fork 25.9, inproc 26.0.
// --count 200 with these estimates: 3.54.1 fork 10.1, inproc 10.3;
// 3.54.1-shm fork 26.6, inproc 25.8. (Was 5 for every build, from an older
// workload with fewer event kinds.) Since SQLite's wal-index copies and
// compares are points in V-shm builds (worker/shm_copy.h): 3.54.1-shm fork
// 35.7, inproc 35.4 (harvey fuzz --policy pct:3 --time 420, 6,307 and
// 9,401 schedules). With `config call_points on` (wal.c function entries
// too): 3.54.1-shm fork 68.0, inproc 68.4 (--count 200 --seed 1313, every
// schedule with call points).
constexpr int64_t kExpectedPointsPerStep = 9;
constexpr int64_t kExpectedPointsPerStepShm = 36;
constexpr int64_t kExpectedPointsPerStepShmCalls = 68;

// For a schedule where a worker runs a V-shm build (RunsShmBuild):
// kExpectedPointsPerStepShm, or kExpectedPointsPerStepShmCalls with call
// points on; else kExpectedPointsPerStep.
int64_t ExpectedPointsPerStep(const model::Schedule& s) {
  if (!RunsShmBuild(s)) return kExpectedPointsPerStep;
  return s.config.call_points ? kExpectedPointsPerStepShmCalls : kExpectedPointsPerStepShm;
}

namespace {

using model::OpKind;

std::FILE* g_slice_log = nullptr;
std::vector<SliceRecord>* g_slice_recorder = nullptr;

// "shm-lock db 65793"; for the shm-instrumented builds' accesses, the
// wal-index field: "shm-read nBackfill (96)", "shm-write aReadMark+4 (104)";
// for their wal.c function entries, the function of `build` (the worker's):
// "call walTryBeginRead (78)".
std::string DescribeEvent(const EventInfo& e, const std::string& build) {
  if (e.event == VfsEvent::kCall) {
    const std::string name = WalFunctionName(e.arg, build);
    return "call " + (name.empty() ? "?" : name) + " (" + std::to_string(e.arg) + ")";
  }
  if (e.event == VfsEvent::kShmRead || e.event == VfsEvent::kShmWrite) {
    int64_t within = 0;
    const char* field = ShmFieldName(e.arg, &within);
    return std::string(ToString(e.event)) + " " + field + (within ? "+" + std::to_string(within) : "") + " (" +
           std::to_string(e.arg) + ")";
  }
  return std::string(ToString(e.event)) + " " + ToString(e.role) + " " + std::to_string(e.arg);
}

class Interleaver {
 public:
  Interleaver(const model::Schedule& s, Backend& b, model::OverlapChecker& c, model::Chooser* chooser,
              TraceHasher& trace, RunResult& r)
      : s_(s), backend_(b), checker_(c), chooser_(chooser), trace_(trace), r_(r) {
    const int n = static_cast<int>(s.workers.size());
    in_flight_.assign(n, -1);
    started_at_.assign(n, 0);
    sleeping_.assign(n, false);
    seg_end_ = NextBarrier(0);
  }

  void Run() {
    const int64_t limit = kMaxSlicesPerStep * std::max<int64_t>(1, static_cast<int64_t>(s_.steps.size()));
    r_.interleaved = true;
    r_.observations.resize(s_.steps.size());
    int64_t highest_done = -1;
    while (r_.verdict == Verdict::kPass) {
      if (Interrupted()) return Fail("interrupted");
      std::vector<int> eligible = Eligible();
      if (eligible.empty()) {
        if (seg_end_ >= static_cast<int64_t>(s_.steps.size())) break;
        const model::Observation o = backend_.PowerLoss(s_.steps[seg_end_].op);
        if (HarnessFailed(seg_end_, "")) return;
        if (!Finished(seg_end_, o, true)) break;
        highest_done = std::max(highest_done, seg_end_);
        next_start_ = seg_end_ + 1;
        seg_end_ = NextBarrier(seg_end_ + 1);
        continue;
      }
      if (r_.yields >= limit) {
        return Fail("livelock: " + std::to_string(r_.yields) + " preemption points without finishing the schedule (limit " +
                    std::to_string(limit) + ")");
      }
      bool decided = false;
      const int w = Decide(eligible, &decided);
      if (decided) r_.decisions.push_back(w);
      r_.yields++;
      trace_.I64(w);
      Slice slice;
      int64_t step = in_flight_[w];
      if (step >= 0) {
        slice = backend_.ResumeOp(w);
      } else {
        step = next_start_++;
        in_flight_[w] = step;
        started_at_[w] = ++start_counter_;
        checker_.Start(step);
        slice = backend_.StartOp(w, s_.steps[step].op, step);
      }
      if (HarnessFailed(step, slice.error)) return;
      if (g_slice_recorder) g_slice_recorder->push_back({w, step, slice.finished, slice.event});
      if (g_slice_log) {
        const std::string what = slice.finished ? "-> " + model::Describe(s_.steps[step].op.kind, slice.result)
                                                : "@ " + DescribeEvent(slice.event, RunningSqlite(s_.workers[w]));
        std::fprintf(g_slice_log, "  slice %-6lld %-4s step %-4lld %-26s %s\n", static_cast<long long>(r_.yields),
                     s_.workers[w].name.c_str(), static_cast<long long>(step),
                     model::PrintStep(s_, s_.steps[step]).c_str(), what.c_str());
      }
      if (!slice.finished) {
        sleeping_[w] = slice.event.event == VfsEvent::kSleep;
        if (sleeping_[w] && chooser_) chooser_->Slept(w);
        trace_.I64(static_cast<int64_t>(slice.event.event));
        trace_.I64(static_cast<int64_t>(slice.event.role));
        trace_.I64(slice.event.arg);
        trace_.I64(static_cast<int64_t>(slice.event.ordinal));
        continue;
      }
      in_flight_[w] = -1;
      sleeping_[w] = false;
      highest_done = std::max(highest_done, step);
      Finished(step, slice.result, false);
    }
    r_.observations.resize(static_cast<size_t>(highest_done + 1));
    Drain();
  }

 private:
  int64_t NextBarrier(int64_t from) const {
    for (int64_t i = from; i < static_cast<int64_t>(s_.steps.size()); ++i) {
      if (s_.steps[i].op.kind == OpKind::kPowerLoss) return i;
    }
    return static_cast<int64_t>(s_.steps.size());
  }

  // Steps start in file order: a worker may continue its op in flight, or
  // start the next step if it is that step's worker and has none in flight.
  bool Runnable(int w) const {
    if (in_flight_[w] >= 0) return true;
    return next_start_ < seg_end_ && s_.steps[next_start_].worker == w;
  }

  std::vector<int> Eligible() const {
    std::vector<int> awake, all;
    for (int w = 0; w < static_cast<int>(in_flight_.size()); ++w) {
      if (!Runnable(w)) continue;
      all.push_back(w);
      if (!(in_flight_[w] >= 0 && sleeping_[w])) awake.push_back(w);
    }
    return awake.empty() ? all : awake;
  }

  // The worker to run next; *decided: it came from a decision (recorded
  // or the chooser), not from the op-level fallback.
  int Decide(const std::vector<int>& eligible, bool* decided) {
    *decided = true;
    while (cursor_ < s_.interleave.size()) {
      const int d = s_.interleave[cursor_++];
      if (std::find(eligible.begin(), eligible.end(), d) != eligible.end()) return d;
    }
    if (s_.interleave.empty() && chooser_) return chooser_->Choose(eligible);
    *decided = false;
    // Op-level fallback: the oldest op in flight, else the next step in file order.
    int best = -1;
    for (int w : eligible) {
      if (in_flight_[w] >= 0 && (best < 0 || started_at_[w] < started_at_[best])) best = w;
    }
    return best >= 0 ? best : eligible.front();  // the next step's worker
  }

  // Feeds a finished step to the checker; false when the run must stop.
  bool Finished(int64_t step, const model::Observation& o, bool power_loss) {
    if (power_loss) checker_.Start(step);
    trace_.Add(step, o);
    r_.observations[step] = o;
    r_.steps_run++;
    if (Interrupted()) {
      Fail("interrupted");
      return false;
    }
    if (auto m = checker_.Complete(step, o)) {
      backend_.CheckWorkers(kWorkerDeathGraceMs);  // a worker that died outside any op: harvey's error
      if (HarnessFailed(step, "")) return false;
      r_.verdict = Verdict::kMismatch;
      r_.mismatch = std::move(m);
      return false;
    }
    if (!checker_.limit_error().empty()) {
      Fail(checker_.limit_error());
      return false;
    }
    return true;
  }

  // A slice or power loss the backend could not run or observe
  // (Backend::TakeFailure, or the slice's own error): harvey's error, never
  // an observation. Returns whether the run stopped.
  bool HarnessFailed(int64_t step, const std::string& slice_error) {
    Backend::Failure f = backend_.TakeFailure();
    if (f.error.empty()) f.error = slice_error;
    if (f.error.empty()) return false;
    r_.missing = f.missing;
    r_.harness_failure = true;
    Fail("harness error, not a finding: step " + std::to_string(step) + " (" +
         model::PrintStep(s_, s_.steps[static_cast<size_t>(step)]) + "): " + f.error);
    return true;
  }

  void Fail(const std::string& error) {
    r_.verdict = Verdict::kError;
    r_.error = error;
    Drain();
  }

  // Runs every op still in flight to its end, unchecked (bounded).
  void Drain() {
    for (int w = 0; w < static_cast<int>(in_flight_.size()); ++w) {
      for (int64_t n = 0; in_flight_[w] >= 0 && n < kMaxSlicesPerStep; ++n) {
        Slice slice = backend_.ResumeOp(w);
        if (slice.finished || !slice.error.empty()) in_flight_[w] = -1;
      }
    }
  }

  const model::Schedule& s_;
  Backend& backend_;
  model::OverlapChecker& checker_;
  model::Chooser* chooser_;
  TraceHasher& trace_;
  RunResult& r_;
  int64_t next_start_ = 0;                   // the next step to start (file order)
  std::vector<int64_t> in_flight_;           // per worker: step in flight or -1
  std::vector<uint64_t> started_at_;
  std::vector<bool> sleeping_;
  uint64_t start_counter_ = 0;
  int64_t seg_end_ = 0;  // the next power-loss step (a barrier) or steps.size()
  size_t cursor_ = 0;    // next entry of s.interleave
};

}  // namespace

void SetSliceLog(std::FILE* out) { g_slice_log = out; }
void SetSliceRecorder(std::vector<SliceRecord>* out) { g_slice_recorder = out; }

void RunInterleaved(const model::Schedule& s, Backend& backend, model::OverlapChecker& checker,
                    model::Chooser* chooser, TraceHasher& trace, RunResult& r) {
  Interleaver(s, backend, checker, chooser, trace, r).Run();
}

}  // namespace harvey::harness
