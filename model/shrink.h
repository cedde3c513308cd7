// The shrinker's pure schedule transforms: each takes a schedule and returns
// a smaller or simpler one (or nothing, when the transform does not apply).
// No OS calls and no replay: deciding whether a candidate "still fails the
// same way" is harness/coordinator/shrinker.h's job. Every transform keeps the schedule's
// config.defect and its other metadata (expect lines), and returns a schedule
// that satisfies Validate() whenever its input did, except where noted.
// Validity never depends on which savepoints are open: dropping a
// `savepoint` step leaves its `release`/`rollback-to` valid, and the model
// predicts them as SQLite runs them ("no such savepoint": ERROR), so the
// replay judges the candidate like any other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "model/schedule.h"

namespace harvey::model {

// Crash and fault ops (kill, kill at, power-loss): the first things a
// shrinker tries to drop, since a finding without a fault is easier to read.
bool IsFaultOp(OpKind kind);

// `s` without steps [begin, begin + count) (clamped to the step count).
Schedule DropSteps(const Schedule& s, size_t begin, size_t count);

// `s` with only its first `n` steps.
Schedule KeepPrefix(const Schedule& s, size_t n);

// `s` without worker `worker`, its steps and its interleave decisions;
// later workers move down one index. Nothing when `worker` is out of range or the only worker.
std::optional<Schedule> DropWorker(const Schedule& s, int worker);

// The interleave decisions as runs of one worker: (first index, length).
std::vector<std::pair<size_t, size_t>> DecisionRuns(const Schedule& s);

// `s` without decisions [begin, begin + count) (clamped). Dropping a run
// merges its neighbours when they name the same worker; dropping all of
// them gives op-level stepping. Nothing when the range is empty.
std::optional<Schedule> DropDecisions(const Schedule& s, size_t begin, size_t count);

// `s` with its workers named w1, w2, ... in declaration order (other worker
// fields kept). Nothing when they already are.
std::optional<Schedule> RenameWorkers(const Schedule& s);

// `s` with the fault steps (IsFaultOp) removed. Nothing when it has none.
std::optional<Schedule> DropFaultSteps(const Schedule& s);

// Step `i` moved to just after the previous step of the same worker, so
// that the worker's two runs merge (one context switch fewer). Nothing when
// that worker has no earlier step or the earlier step is directly before.
std::optional<Schedule> JoinPreviousRun(const Schedule& s, size_t i);

// Keys renumbered 0, 1, 2, ... in order of first use (a bijection: which
// steps touch the same key is kept). Nothing when they already are.
std::optional<Schedule> CanonicalKeys(const Schedule& s);

// Every use of key `from` replaced by `to` (merges two keys). Nothing when
// `from` is unused or equal to `to`.
std::optional<Schedule> ReplaceKey(const Schedule& s, int64_t from, int64_t to);

// The distinct keys of `s`, ascending.
std::vector<int64_t> KeysUsed(const Schedule& s);

// Simpler variants of step `i` (same op kind, simpler arguments), simplest
// first: a write's size down to kMinValueSize or a smaller fraction of it,
// begin modes down to deferred, checkpoint modes down to passive.
std::vector<Schedule> SimplerStep(const Schedule& s, size_t i);

// Every write's size set to kMinValueSize. Nothing when all already are.
std::optional<Schedule> MinimalSizes(const Schedule& s);

// One variant per config field that differs from its default (page_size,
// synchronous, wal_autocheckpoint, cache_size, seed, sector_size,
// journal_size_limit, mmap_size, checkpoint_on_close, busy_timeout,
// secure_delete, call_points), with that field reset. `defect` is never changed: it decides the failure.
std::vector<Schedule> SimplerConfigs(const Schedule& s);

// Number of context switches: adjacent steps on different workers.
size_t ContextSwitches(const Schedule& s);

}  // namespace harvey::model
