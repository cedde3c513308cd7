// The coordinator loop: resets the database, drives a backend through a
// schedule one step at a time, feeds every observation to the model checker,
// runs the end-of-schedule oracles, and hashes everything observed.
//
// Same schedule + same SQLite build => same trace hash, on every backend
// that is safe (observations only; VFS event counts are not hashed). The
// SQLite build of each worker (its name and sqlite3_sourceid()) is part of
// the hash: a trace names the SQLite that produced it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/backend/backend.h"
#include "model/checker.h"
#include "model/observation.h"
#include "model/policy.h"
#include "model/schedule.h"

namespace harvey::harness {

enum class Verdict { kPass, kMismatch, kError };
const char* ToString(Verdict v);  // "pass", "mismatch", "error"

struct RunResult {
  Verdict verdict = Verdict::kPass;
  std::optional<model::Mismatch> mismatch;  // kMismatch
  std::string error;                        // kError: one line
  // kError: the error is a missing piece of the environment (a SQLite build
  // that is not here: exit 3), not a failure of harvey (exit 4).
  bool missing = false;
  // kError: harvey or its environment broke (Backend::TakeFailure), so any
  // run would fail the same way; not a property of this schedule (as the
  // model's candidate limit is).
  bool harness_failure = false;
  uint64_t trace = 0;
  int64_t steps_run = 0;
  std::vector<model::Observation> observations;  // one per step run (by step index)
  // Fine-grained runs: the decisions taken (chosen by the policy, or
  // replayed with the skipped ones left out; not the op-level fallback's
  // picks): a schedule with these as its `interleave` replays this run
  // exactly. yields: slices run (preemption points, fallback included).
  bool interleaved = false;
  std::vector<int> decisions;
  int64_t yields = 0;
  int64_t overlapped = 0;  // steps that overlapped another worker's op
  std::vector<SqliteBuild> sqlite;  // per worker: the SQLite it ran (empty if Begin failed)
  std::vector<model::Row> final_rows;  // the end-of-run check's table (when it ran)
};

// REQUIRES: `db_dir` exists and belongs to harvey (its database is replaced).
// `rules` selects the model's rules (deliberate defects only in tests and
// calibration). A schedule with `interleave` decisions replays them
// (harness/coordinator/interleave.h; `policy` is then ignored); one without runs
// op-level under policy `op`, else fine-grained with decisions chosen by
// `policy` from the schedule seed (returned in RunResult::decisions). A
// fine-grained run on a backend that cannot interleave is an error. So is a
// step the backend could not run or observe (Backend::TakeFailure): its
// error says so ("harness error, not a finding: ..."), and no observation
// of such a step reaches the model.
RunResult RunSchedule(const model::Schedule& s, Backend& backend, const std::string& db_dir,
                      const model::Rules& rules = {}, const model::Policy& policy = {});

// "0123456789abcdef"
std::string TraceHex(uint64_t trace);

}  // namespace harvey::harness
