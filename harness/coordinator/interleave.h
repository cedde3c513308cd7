// The fine-grained coordinator loop: several workers each with one op in
// flight, every op paused at each of its VFS events (the preemption points:
// xShmLock, xShmBarrier, xShmMap, xLock/xUnlock, xWrite, xSync, xTruncate,
// checkpoint file-controls, xSleep, xRead, xFileSize, xCheckReservedLock,
// xFetch, xUnfetch, xShmUnmap, xOpen, xClose, xDelete, xAccess, and the
// wal-index loads and stores of -shm builds: every harness::VfsEvent), and a
// decision at each point naming the
// worker that runs next (Schedule::interleave for the exact semantics).
//
// Steps *start* in file order (the generator's op-level interleaving stays
// the skeleton); the decisions decide how far each op gets before others
// start or continue, i.e. how ops overlap. Eligible at a point: a worker with
// an op in flight, or the worker of the next step to start when it has none
// in flight and that step is not a power loss (a barrier: it runs when every
// earlier step has finished, with nothing in flight). A worker paused at
// xSleep waits for others: it is eligible only when no non-sleeping worker is.
// That covers both of SQLite's waiting loops: walTryBeginRead's retries and,
// with `config busy_timeout N`, the busy handler's sleeps between attempts
// at a lock (sqliteDefaultBusyCallback), so a waiting worker is re-run only
// once every awake worker has paused or finished, and it gives up (BUSY)
// only when nobody else could move.
// Every slice is bounded (harness/backend/fork_backend.cc) and so is the number of
// slices per schedule (kMaxSlicesPerStep per step): hitting that bound is a
// harness error named "livelock", never a hang.
#pragma once

#include <cstdint>
#include <cstdio>
#include <vector>

#include "harness/backend/backend.h"
#include "harness/coordinator/runner.h"
#include "harness/coordinator/trace_hasher.h"
#include "model/overlap_checker.h"
#include "model/policy.h"
#include "model/schedule.h"

namespace harvey::harness {

inline constexpr int64_t kMaxSlicesPerStep = 5000;
// PCT's change points are drawn over ExpectedPointsPerStep(s) points per
// step: the mean number of preemption points per op of the kind of build
// the schedule's workers run (plain: VFS events; V-shm: also every
// wal-index load and store, and with call_points every wal.c function
// entry), measured as yields / steps of `harvey fuzz
// --policy pct:3 --json` (values and figures in interleave.cc). Too low an
// estimate puts every change point in the first part of a run (no late
// preemption); too high, some past its end (fewer than D-1 priority
// changes). Only runs without recorded decisions draw change points: a
// finding's `interleave` lines replay whatever the estimate.
int64_t ExpectedPointsPerStep(const model::Schedule& s);

// When set (harvey run --show), each slice is printed there as it runs:
// worker, step, and the event it paused at or its result. Not thread-safe;
// nullptr (the default) prints nothing.
void SetSliceLog(std::FILE* out);

// One slice as `harvey explain` draws it: which worker ran which step, and
// the VFS event it paused at (finished: it returned instead).
struct SliceRecord {
  int worker = 0;
  int64_t step = 0;
  bool finished = false;
  EventInfo event;
};
// When set, every slice is appended to `out` (as SetSliceLog; nullptr: off).
void SetSliceRecorder(std::vector<SliceRecord>* out);

// Runs every step of `s`: replays s.interleave, or asks `chooser` (when
// non-null and s.interleave is empty), then falls back to op-level order.
// Feeds `checker`, hashes into `trace`, and fills r.verdict/mismatch/error,
// observations, steps_run, decisions and yields. Ops still in flight when it
// stops early are run to their end (unchecked) before it returns.
// REQUIRES: backend.Interleaves(); backend.Begin(s, ...) succeeded.
void RunInterleaved(const model::Schedule& s, Backend& backend, model::OverlapChecker& checker,
                    model::Chooser* chooser, TraceHasher& trace, RunResult& r);

}  // namespace harvey::harness
