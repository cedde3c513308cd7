#include "model/overlap_checker.h"

#include <algorithm>
#include <tuple>

namespace harvey::model {

bool MayBeTransientlyBusy(OpKind k) {
  switch (k) {
    case OpKind::kBegin:
    case OpKind::kRead:
    case OpKind::kWrite:
    case OpKind::kDelete:
    case OpKind::kScan:
    case OpKind::kCheckpoint:
    case OpKind::kOpen:
    case OpKind::kVacuum:  // takes the write lock as a write does
      return true;
    default:
      return false;
  }
}

OverlapChecker::OverlapChecker(const Schedule& s, const Rules& rules)
    : schedule_(s), rules_(rules), overlapped_(s.steps.size(), false) {
  cands_.push_back(Candidate{InitialState(s), {}, {}});
}

void OverlapChecker::Start(int64_t step_index) {
  if (!in_flight_.empty()) {
    overlapped_count_ += 1;
    overlapped_[step_index] = true;
    for (int64_t j : in_flight_) {
      overlapped_count_ += !overlapped_[j];
      overlapped_[j] = true;
    }
  }
  in_flight_.push_back(step_index);
}

bool OverlapChecker::Allows(const Expected& e, const Observation& o) {
  if (e.transient_busy) {
    return (o.rc & 0xff) == rc::kBusy && o.recovery_problem.empty() && o.value == kAbsent &&
           o.rows.empty();
  }
  return Matches(e.p, o);
}

namespace {

// Looseness L8: `next` with the backfill stopped anywhere from where it
// stood before the op (or the start of a log the op restarted) up to where
// the model put it. `inclusive`: the model's own end point too. A variant
// that backfilled nothing did not sync the log either (NORMAL/OFF).
std::vector<State> ShorterBackfills(const Schedule& s, const State& before, const State& next,
                                    bool inclusive) {
  std::vector<State> out;
  const int64_t lo = next.wal.base != before.wal.base ? next.wal.base : before.wal.backfilled;
  for (int64_t b = lo; b < next.wal.backfilled + (inclusive ? 1 : 0); ++b) {
    State v = next;
    v.wal.backfilled = b;
    if (b == lo && b < next.wal.backfilled && s.config.synchronous != Synchronous::kFull) {
      v.durable = before.durable;
      v.lossable = before.lossable;
      if (next.committed != before.committed) v.lossable.push_back(next.committed);
    }
    out.push_back(std::move(v));
  }
  return out;
}

bool HasSnapshot(const Conn& c) { return c.txn == TxnState::kRead || c.txn == TxnState::kWrite; }

// Looseness L9: the read marks an overlapped op that started a snapshot may
// hold besides the model's: any commit position from the log start to the
// snapshot end (the slot it wanted to raise was locked by a checkpointer, so
// it took the largest older mark), or a slot-N mark on a log that became
// fully backfilled after it chose its slot and before it locked it.
std::vector<State> OtherMarks(const State& before, const State& next, int c) {
  std::vector<State> out;
  if (HasSnapshot(before.conns[c]) || !HasSnapshot(next.conns[c])) return out;
  for (int64_t m = next.wal.base; m <= next.wal.mx; ++m) {
    if (m == next.conns[c].mark) continue;
    State v = next;
    v.conns[c].mark = m;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

std::vector<OverlapChecker::Candidate> OverlapChecker::BackfillFirst(const Candidate& c, int64_t j) const {
  const Step& step = schedule_.steps[j];
  std::vector<Candidate> out;
  if (!overlapped_[j] || step.op.kind != OpKind::kCheckpoint || step.op.checkpoint == CheckpointMode::kPassive ||
      c.state.conns[step.worker].armed || std::binary_search(c.backfilled.begin(), c.backfilled.end(), j)) {
    return out;
  }
  Step passive = step;
  passive.op.checkpoint = CheckpointMode::kPassive;
  for (Outcome& o : Apply(schedule_, c.state, j, passive, rules_)) {
    if (o.prediction.rc != rc::kOk || o.next.wal.backfilled == c.state.wal.backfilled) continue;
    Candidate n{std::move(o.next), c.done, c.backfilled};
    n.backfilled.insert(std::upper_bound(n.backfilled.begin(), n.backfilled.end(), j), j);
    out.push_back(std::move(n));
  }
  return out;
}

std::vector<OverlapChecker::Candidate> OverlapChecker::Linearize(const Candidate& c,
                                                                 int64_t j) const {
  const Step& step = schedule_.steps[j];
  std::vector<Candidate> out;
  auto add = [&](State st, Expected e) {
    Candidate n{std::move(st), c.done, c.backfilled};
    n.done.emplace_back(j, std::move(e));
    out.push_back(std::move(n));
  };
  for (Outcome& o : Apply(schedule_, c.state, j, step, rules_)) {
    if (overlapped_[j] && step.op.kind != OpKind::kCheckpoint) {
      for (State& v : ShorterBackfills(schedule_, c.state, o.next, false)) add(std::move(v), Expected{o.prediction, false});
      for (State& v : OtherMarks(c.state, o.next, step.worker)) add(std::move(v), Expected{o.prediction, false});
    }
    add(std::move(o.next), Expected{std::move(o.prediction), false});
  }
  if (overlapped_[j] && step.op.kind == OpKind::kCheckpoint && !c.state.conns[step.worker].armed) {
    // A checkpoint cut short by a concurrent reader's mark update or
    // writer: a passive checkpoint's effect, stopped anywhere.
    Step passive = step;
    passive.op.checkpoint = CheckpointMode::kPassive;
    for (Outcome& o : Apply(schedule_, c.state, j, passive, rules_)) {
      if (o.prediction.rc != rc::kOk) continue;
      for (State& v : ShorterBackfills(schedule_, c.state, o.next, true)) {
        if (step.op.checkpoint == CheckpointMode::kPassive) add(v, Expected{o.prediction, false});
        add(std::move(v), Expected{Prediction{rc::kBusy, {}, {}}, true});
      }
    }
  }
  if (overlapped_[j] && step.op.kind == OpKind::kClose && schedule_.config.checkpoint_on_close) {
    // L10: the other op's connection may have held SHARED while this close
    // tried EXCLUSIVE, so even the last close may leave the log as it is.
    for (Outcome& o : CloseWithoutCheckpoint(c.state, step.worker)) {
      add(std::move(o.next), Expected{std::move(o.prediction), false});
    }
  }
  const bool open = c.state.conns[step.worker].open;
  const bool opening = step.op.kind == OpKind::kOpen;
  if (overlapped_[j] && MayBeTransientlyBusy(step.op.kind) && open != opening) {
    std::vector<State> effects{c.state};
    if (opening && std::none_of(c.state.conns.begin(), c.state.conns.end(),
                                [](const Conn& k) { return k.open; })) {
      effects.push_back(c.state);  // a failed first open may have run recovery first
      Recover(effects.back());
    }
    for (State& e : effects) {
      Candidate n{std::move(e), c.done, c.backfilled};
      n.state.conns[step.worker].armed = false;  // the op ran; an armed kill did not fire
      n.done.emplace_back(j, Expected{Prediction{rc::kBusy, {}, {}}, true});
      out.push_back(std::move(n));
    }
  }
  for (Candidate& n : out) std::sort(n.done.begin(), n.done.end());
  return out;
}

void OverlapChecker::DedupeCandidates(std::vector<Candidate>& cs) const {
  for (Candidate& c : cs) Canonicalize(c.state);
  auto key = [](const Candidate& c) {
    const State& s = c.state;
    return std::tie(s.committed, s.hdr, s.wal, s.writer, s.conns, s.durable, s.orphan, s.maybe_torn, c.done,
                    c.backfilled);
  };
  std::sort(cs.begin(), cs.end(), [&](const Candidate& a, const Candidate& b) { return key(a) < key(b); });
  std::vector<Candidate> out;
  for (Candidate& c : cs) {
    if (!out.empty() && key(out.back()) == key(c)) {  // merge what a power loss may return to
      auto& into = out.back().state.lossable;
      into.insert(into.end(), c.state.lossable.begin(), c.state.lossable.end());
      continue;
    }
    out.push_back(std::move(c));
  }
  for (Candidate& c : out) {
    auto& l = c.state.lossable;
    std::sort(l.begin(), l.end());
    l.erase(std::unique(l.begin(), l.end()), l.end());
  }
  cs = std::move(out);
}

std::optional<Mismatch> OverlapChecker::Complete(int64_t step_index, const Observation& o) {
  std::vector<Candidate> next;
  std::vector<Prediction> allowed;
  // Takes `c`, in which step_index is linearized, if its prediction allows
  // `o` (copied or moved only then: most candidates are rejected).
  auto settle = [&](auto&& c) {
    auto it = std::find_if(c.done.begin(), c.done.end(),
                           [&](const auto& d) { return d.first == step_index; });
    if (!Allows(it->second, o)) {
      allowed.push_back(it->second.p);
      return;
    }
    const auto at = it - c.done.begin();
    next.push_back(std::forward<decltype(c)>(c));
    next.back().done.erase(next.back().done.begin() + at);
    auto& early = next.back().backfilled;
    early.erase(std::remove(early.begin(), early.end(), step_index), early.end());
  };
  // The orders still to extend: the current candidates are read in place
  // (they stay as they are for a mismatch report), deeper levels are owned.
  std::vector<const Candidate*> frontier;
  for (const Candidate& c : cands_) {
    const bool linearized = std::any_of(c.done.begin(), c.done.end(),
                                        [&](const auto& d) { return d.first == step_index; });
    if (linearized) {
      settle(c);
    } else {
      frontier.push_back(&c);
    }
  }
  std::vector<Candidate> level;  // owns what `frontier` points to below the first level
  // Breadth-first over orders: linearize any pending op; stop at step_index.
  while (!frontier.empty()) {
    std::vector<Candidate> deeper;
    for (const Candidate* c : frontier) {
      for (int64_t j : in_flight_) {
        if (std::any_of(c->done.begin(), c->done.end(), [&](const auto& d) { return d.first == j; })) {
          continue;
        }
        for (Candidate& n : Linearize(*c, j)) {
          if (j == step_index) {
            settle(std::move(n));
          } else {
            deeper.push_back(std::move(n));
          }
        }
        for (Candidate& n : BackfillFirst(*c, j)) deeper.push_back(std::move(n));
      }
    }
    DedupeCandidates(deeper);
    if (deeper.size() > kMaxOverlapCandidates) {
      limit_error_ = "overlap checker explored more than " + std::to_string(kMaxOverlapCandidates) +
                     " linearizations at step " + std::to_string(step_index);
      return std::nullopt;
    }
    level = std::move(deeper);
    frontier.clear();
    for (const Candidate& c : level) frontier.push_back(&c);
  }
  in_flight_.erase(std::find(in_flight_.begin(), in_flight_.end(), step_index));
  if (!next.empty()) {
    DedupeCandidates(next);
    if (next.size() > kMaxOverlapCandidates && limit_error_.empty()) {
      limit_error_ = "model candidate set exceeded " + std::to_string(kMaxOverlapCandidates) +
                     " states at step " + std::to_string(step_index);
    }
    cands_ = std::move(next);
    max_candidates_ = std::max(max_candidates_, cands_.size());
    return std::nullopt;
  }
  std::vector<State> states;
  for (const Candidate& c : cands_) states.push_back(c.state);
  Mismatch m = StepMismatch(schedule_, states, step_index, std::move(allowed), o);
  if (overlapped_[step_index]) m.details.push_back("this op overlapped another worker's op");
  return m;
}

std::optional<Mismatch> OverlapChecker::ObserveFinal(const std::vector<Row>& rows) {
  std::vector<State> states;
  for (const Candidate& c : cands_) states.push_back(c.state);
  Dedupe(states);
  return FinalMismatch(schedule_, states, rows);
}

}  // namespace harvey::model
