// The shrinker: from a failing schedule to a small one that fails the same
// way. It tries the pure transforms of model/shrink.h in a fixed order and
// keeps a candidate only when replaying it through a backend gives a
// mismatch of the same failure class (model::Mismatch::failure_class) and,
// for a step mismatch, at a step of the same op kind. Candidates that
// Validate() rejects are skipped; a candidate whose replay is a harness error
// is rejected. Deterministic for a deterministic backend, except where the
// time budget cuts it short.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "harness/backend/backend.h"
#include "model/checker.h"
#include "model/model.h"
#include "model/schedule.h"

namespace harvey::harness {

struct ShrinkOptions {
  double time_s = 30;          // budget for the whole shrink (replays included)
  model::Rules rules;          // passed to every replay (the schedule's
                               // config.defect is applied by the runner too)
  int confirm_runs = 2;        // replays of the final result (0 = none)
  // Called after each accepted candidate with a short description of the
  // transform, e.g. "drop steps 4..7". May be empty.
  std::function<void(const std::string&)> on_accept;
};

struct ShrinkResult {
  model::Schedule schedule;    // the smallest schedule found (the input if none)
  model::Mismatch mismatch;    // its mismatch
  size_t original_steps = 0;
  size_t original_workers = 0;
  size_t replays = 0;          // candidates run
  size_t accepted = 0;         // candidates kept
  size_t invalid = 0;          // candidates Validate() rejected (not run)
  size_t errors = 0;           // candidates whose replay was a harness error
  int confirmed = 0;           // of confirm_runs, how many failed the same way
  double elapsed_s = 0;
  bool timed_out = false;      // the budget ended before a fixpoint
  // Non-empty: a replay hit a failure of harvey or its environment
  // (RunResult::harness_failure); shrinking stopped there and `schedule`
  // is the smallest found before it. `missing`: a missing piece (exit 3).
  std::string harness_error;
  bool missing = false;
};

// True when `b` (mismatch `mb` of schedule `sb`) fails the same way as `a`
// (mismatch `ma` of schedule `sa`): same failure class, both at a step or
// both at the end, and for steps the same op kind.
bool SameFailure(const model::Schedule& sa, const model::Mismatch& ma,
                 const model::Schedule& sb, const model::Mismatch& mb);

// REQUIRES: `original` is the mismatch a replay of `s` on `backend` gave;
// `db_dir` as for RunSchedule.
ShrinkResult Shrink(const model::Schedule& s, const model::Mismatch& original, Backend& backend,
                    const std::string& db_dir, const ShrinkOptions& options);

// `s` as a finding file carries it: with `expect BOUNDARY fail` (replacing
// any expectation for that boundary), so that copying the file into
// corpus/regress/ makes a regression test of it as it stands.
model::Schedule AsFinding(const model::Schedule& s, const std::string& boundary);

// "40 -> 6 steps, 3 -> 2 workers in 1.2 s (87 replays, 12 kept)"
std::string ShrinkSummary(const ShrinkResult& r);

}  // namespace harvey::harness
