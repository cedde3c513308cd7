// The checker: feeds a run's observations, step by step, through the model's
// candidate set, and names the first step where reality left the set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/model.h"
#include "model/observation.h"
#include "model/schedule.h"

namespace harvey::model {

struct Mismatch {
  int64_t step = -1;          // step index, or -1 for an end-of-schedule oracle
  std::string oracle;         // "step", "final-scan", "integrity", "index"
  // The failure class the shrinker preserves: oracle + op + what differed,
  // e.g. "step:read:value", "step:write:rc", "final-scan:rows".
  std::string failure_class;
  std::string where;          // "step 12 (w2 read 3)" or "end of schedule"
  std::vector<std::string> expected;  // every allowed outcome, described
  std::string observed;
  // Further lines for the report, e.g. which acknowledged commits a power
  // loss took back.
  std::vector<std::string> details;
  std::string Summary() const;  // one line: where: expected X, observed Y
};

// Bounds the candidate set; exceeding it is a harness limit, not a finding.
inline constexpr size_t kMaxCandidates = 4096;

class Checker {
 public:
  explicit Checker(const Schedule& s, const Rules& rules = {});

  // REQUIRES: called for steps 0, 1, 2, ... in order.
  // Returns the mismatch if `o` is not allowed by any candidate state.
  std::optional<Mismatch> Observe(int64_t step_index, const Observation& o);

  // After every worker closed: `rows` is the whole table as a fresh
  // connection reads it. Returns the mismatch if no candidate allows it.
  std::optional<Mismatch> ObserveFinal(const std::vector<Row>& rows);

  // Non-empty when the candidate set grew past kMaxCandidates.
  const std::string& limit_error() const { return limit_error_; }
  size_t candidates() const { return states_.size(); }

 private:
  const Schedule& schedule_;
  Rules rules_;
  std::vector<State> states_;
  std::string limit_error_;
};

// The candidate set with duplicates removed (sorted).
void Dedupe(std::vector<State>& states);

// The mismatch for step `step_index` observing `o` when no candidate in
// `states` allowed it; `allowed` holds every prediction that was allowed.
Mismatch StepMismatch(const Schedule& schedule, const std::vector<State>& states,
                      int64_t step_index, std::vector<Prediction> allowed, const Observation& o);

// The end-of-schedule check: every candidate closes all connections and
// recovers; `rows` must be one of their tables. Nothing when it is.
std::optional<Mismatch> FinalMismatch(const Schedule& schedule, const std::vector<State>& states,
                                      const std::vector<Row>& rows);

}  // namespace harvey::model
