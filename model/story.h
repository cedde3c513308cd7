// The model's side of a finding's story (`harvey explain`): the candidate
// states before and after every step of a run, given what the run observed,
// and plain-words descriptions of a state (who holds the write lock, which
// snapshot a worker reads, what the log holds). Pure: standard library only.
// It describes what the model already computes (Apply, Matches, CloseAll);
// it decides nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/model.h"
#include "model/observation.h"
#include "model/schedule.h"

namespace harvey::model {

// Candidate sets kept per step are cut to this many states (a description
// only: the checker itself is not bounded by it).
inline constexpr size_t kStoryMaxStates = 256;

struct StoryStep {
  std::vector<State> before;          // candidates before the step
  std::vector<Prediction> allowed;    // every outcome the model allowed (sorted, unique)
  std::vector<State> after;           // candidates consistent with the observation
  // false: no candidate allowed the observation. `after` then holds every
  // state the model allowed (the walk goes on from them); in a fine-grained
  // run an overlapped op can leave the serial walk without a mismatch (the
  // linearizability checker, model/overlap_checker.h, is the judge there).
  bool matched = true;
};

// Walks `s` step by step from InitialState, filtering with observations[i]
// (one per step run; the walk stops after the last). Fine-grained runs are
// walked in file order (a serial reading of the run).
std::vector<StoryStep> WalkStory(const Schedule& s, const std::vector<Observation>& observations,
                                 const Rules& rules = {});

// The tables the model allows after every connection closed and the
// wal-index was recovered, from the states `last` (end of schedule).
std::vector<Table> FinalTables(const Schedule& s, const std::vector<State>& last);

// Worker `w`'s connection in `st`, in words, e.g. "holds the write lock
// (snapshot current, changed pages)", "reads a snapshot taken at commit 3
// (stale: 1 newer commit)", "no transaction", "closed".
std::string DescribeConn(const State& st, int w);

// The same over a candidate set: one description when they agree, else
// "either A, or B" (at most three, then "or others").
std::string DescribeConn(const std::vector<State>& states, int w);

// The log and the lock, in words: "the log holds 3 commits, 2 copied into
// the database file; w2 holds the write lock" (worker names from `s`).
std::string DescribeWal(const Schedule& s, const State& st);

// "{}" or "{key 1 = value of step 0, key 2 = value of step 3}".
std::string DescribeTable(const Table& t);
std::string DescribeRows(const std::vector<Row>& rows);

}  // namespace harvey::model
