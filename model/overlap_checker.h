// The checker for fine-grained runs, where ops of different workers overlap
// in time (Schedule::interleave). A linearizability check (Wing & Gong) on
// top of the candidate-set model: every op takes effect atomically at some
// point between its start and its result, so when a result arrives the
// checker branches over which of the ops still in flight took effect before
// it, and in which order. A candidate keeps the model state plus the
// predictions of ops already linearized but not yet reported; an op's result
// must match the prediction made at its linearization point.
//
// One relaxation (looseness L7 in model/README.md): an op that overlapped
// another worker's op may fail with a busy-class code (SQLITE_BUSY and its
// extended codes) and no effect, because the other op may hold a lock for a
// moment in the middle (a write's write lock, a checkpoint's checkpointer
// lock, a reader's read-mark update, an opening connection's recovery, the
// last closing connection's EXCLUSIVE lock on the database file) that no
// linearization point exposes. A failed `open` leaves the worker closed (a
// first open may have recovered the wal-index before failing).
//
// And (L8): the backfill of an overlapped checkpoint -- explicit, or the
// auto-checkpoint inside an overlapped commit -- may stop anywhere between
// where it stood and where the model would take it (a reader updating its
// read mark, or another checkpointer, holds a lock the checkpointer skips).
// Such an explicit checkpoint returns OK (passive) or a busy code.
//
// And (L9): an overlapped op that started a snapshot may hold any read mark
// from the log start to its snapshot end, or a slot-N mark where the model
// says slot 0 (walTryBeginRead picks its slot before it locks it; a
// checkpointer may hold the slot it wanted to raise, or finish the backfill
// in between). Marks only steer later checkpoints; values stay exact.
//
// And (L12): a FULL, RESTART or TRUNCATE checkpoint that overlapped another
// op may take effect at two points: its backfill (as a passive checkpoint)
// at one, the rest (the wait for the writer and readers, the restart) at a
// later one. walCheckpoint publishes nBackfill before it waits (through the
// busy handler, or preempted) for readers to leave, and ops in between see
// the backfilled log: a reader starting then takes read mark 0.
//
// And (L10): a close that overlapped another worker's op may skip the
// checkpoint-on-close although it is the last connection in the model's
// order: sqlite3WalClose checkpoints only if its EXCLUSIVE lock succeeds,
// and the other connection (closing, dying, failing to open) may still hold
// SHARED at that moment.
//
// Every invariant of the op-level checker still holds: values and scans from
// one serial order of the ops (so of the committed transactions), the
// durability and recovery rules, the end-of-schedule table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/checker.h"
#include "model/model.h"
#include "model/observation.h"
#include "model/schedule.h"

namespace harvey::model {

// The candidate bound for fine-grained runs: the relaxations multiply
// states (checkpoint positions, read marks) that op-level runs pin down.
// Exceeding it is a harness limit, never a finding.
inline constexpr size_t kMaxOverlapCandidates = 1 << 16;

// Op kinds that may see a transient busy when they overlap another op.
bool MayBeTransientlyBusy(OpKind k);

class OverlapChecker {
 public:
  explicit OverlapChecker(const Schedule& s, const Rules& rules = {});

  // Step `step_index` started. REQUIRES: not started before; a power-loss
  // step only when no other step is in flight.
  void Start(int64_t step_index);

  // Step `step_index` returned `o`. REQUIRES: it was started and is in
  // flight. Returns the mismatch if no linearization allows `o`.
  std::optional<Mismatch> Complete(int64_t step_index, const Observation& o);

  // REQUIRES: no step in flight. As Checker::ObserveFinal.
  std::optional<Mismatch> ObserveFinal(const std::vector<Row>& rows);

  // Non-empty when the candidate set grew past kMaxOverlapCandidates.
  const std::string& limit_error() const { return limit_error_; }
  size_t candidates() const { return cands_.size(); }
  size_t max_candidates() const { return max_candidates_; }
  // Steps that overlapped another worker's op so far.
  int64_t overlapped() const { return overlapped_count_; }

 private:
  struct Expected {
    Prediction p;
    bool transient_busy = false;  // any busy-class rc, nothing else observed
    auto operator<=>(const Expected&) const = default;
  };
  struct Candidate {
    State state;
    std::vector<std::pair<int64_t, Expected>> done;  // linearized, not reported; by step
    std::vector<int64_t> backfilled;  // in-flight checkpoints whose backfill took effect (L12); sorted
  };
  // L12: `c` with the backfill of in-flight checkpoint `j` taken effect (j
  // not linearized yet); empty when j is not such a checkpoint.
  std::vector<Candidate> BackfillFirst(const Candidate& c, int64_t j) const;
  // Every way to linearize step `j` in `c`.
  std::vector<Candidate> Linearize(const Candidate& c, int64_t j) const;
  static bool Allows(const Expected& e, const Observation& o);
  void DedupeCandidates(std::vector<Candidate>& cs) const;

  const Schedule& schedule_;
  Rules rules_;
  std::vector<Candidate> cands_;
  std::vector<int64_t> in_flight_;   // started, not completed
  std::vector<bool> overlapped_;     // by step: another op was in flight meanwhile
  std::string limit_error_;
  int64_t overlapped_count_ = 0;
  size_t max_candidates_ = 1;
};

}  // namespace harvey::model
