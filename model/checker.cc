#include "model/checker.h"

#include <algorithm>

#include "model/format.h"

namespace harvey::model {

std::string Mismatch::Summary() const {
  std::string s = where + ": expected ";
  for (size_t i = 0; i < expected.size(); ++i) s += (i ? " or " : "") + expected[i];
  return s + ", observed " + observed;
}

namespace {
auto KeyOf(const State& s) {
  return std::tie(s.committed, s.hdr, s.wal, s.writer, s.conns, s.durable, s.orphan, s.maybe_torn);
}
}  // namespace

// States that differ only in what a power loss could take back are merged,
// keeping the union of their lossable tables (looseness L5 in README.md):
// without it every unobserved kill would triple the set for good.
void Dedupe(std::vector<State>& states) {
  for (State& s : states) Canonicalize(s);
  // Sorted through pointers: a State is several maps, costly to swap. Which
  // of two equal-key states comes first does not matter (they differ only in
  // `lossable`, merged into a sorted set below).
  std::vector<State*> order;
  order.reserve(states.size());
  for (State& s : states) order.push_back(&s);
  std::sort(order.begin(), order.end(),
            [](const State* a, const State* b) { return KeyOf(*a) < KeyOf(*b); });
  std::vector<State> out;
  out.reserve(order.size());
  for (State* s : order) {
    if (!out.empty() && KeyOf(out.back()) == KeyOf(*s)) {
      auto& into = out.back().lossable;
      into.insert(into.end(), s->lossable.begin(), s->lossable.end());
      continue;
    }
    out.push_back(std::move(*s));
  }
  for (State& s : out) {  // only the set matters to a power loss
    std::sort(s.lossable.begin(), s.lossable.end());
    s.lossable.erase(std::unique(s.lossable.begin(), s.lossable.end()), s.lossable.end());
  }
  states = std::move(out);
}

namespace {
// What a power loss took back: keys whose last acknowledged value (in the
// first candidate state) differs from what recovery shows.
std::vector<std::string> LostCommits(const std::vector<State>& states, const std::vector<Row>& rows) {
  std::vector<std::string> out;
  if (states.empty()) return out;
  const Table& acked = states.front().committed;
  Table seen;
  for (const Row& r : rows) seen[r.key] = r.written_at;
  auto name = [](int64_t w) { return w == kAbsent ? std::string("absent") : "@" + std::to_string(w); };
  for (const auto& [k, w] : acked) {
    auto it = seen.find(k);
    const int64_t got = it == seen.end() ? kAbsent : it->second;
    if (got != w) {
      out.push_back("key " + std::to_string(k) + ": acknowledged value written at step " +
                    std::to_string(w) + ", after recovery " + name(got));
    }
  }
  for (const auto& [k, w] : seen) {
    if (!acked.count(k)) out.push_back("key " + std::to_string(k) + ": deleted (or never written), after recovery " + name(w));
  }
  return out;
}
}  // namespace

Checker::Checker(const Schedule& s, const Rules& rules)
    : schedule_(s), rules_(rules), states_{InitialState(s)} {}

std::optional<Mismatch> Checker::Observe(int64_t step_index, const Observation& o) {
  const Step& step = schedule_.steps[step_index];
  std::vector<State> next;
  std::vector<Prediction> allowed;
  for (const State& st : states_) {
    for (Outcome& out : Apply(schedule_, st, step_index, step, rules_)) {
      if (Matches(out.prediction, o)) {
        next.push_back(std::move(out.next));
      } else {
        allowed.push_back(std::move(out.prediction));  // read only on a mismatch
      }
    }
  }
  if (!next.empty()) {
    Dedupe(next);
    if (next.size() > kMaxCandidates && limit_error_.empty()) {
      limit_error_ = "model candidate set exceeded " + std::to_string(kMaxCandidates) +
                     " states at step " + std::to_string(step_index);
    }
    states_ = std::move(next);
    return std::nullopt;
  }
  return StepMismatch(schedule_, states_, step_index, std::move(allowed), o);
}

Mismatch StepMismatch(const Schedule& schedule, const std::vector<State>& states,
                      int64_t step_index, std::vector<Prediction> allowed, const Observation& o) {
  const Step& step = schedule.steps[step_index];
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  Mismatch m;
  m.step = step_index;
  m.oracle = "step";
  const bool rc_differs = std::none_of(allowed.begin(), allowed.end(),
                                       [&](const Prediction& p) { return p.rc == o.rc; });
  std::string what = rc_differs ? "rc" : (step.op.kind == OpKind::kRead ? "value" : "rows");
  if (o.rc == rc::kWorkerDied) what = "crash";
  if (!o.recovery_problem.empty()) what = "recovery";
  // Name the lost commits when recovery left a readable table.
  if (step.op.kind == OpKind::kPowerLoss && (o.recovery_problem.empty() || !o.rows.empty())) {
    m.details = LostCommits(states, o.rows);
  }
  m.failure_class = std::string("step:") + ToString(step.op.kind) + ":" + what;
  m.where = "step " + std::to_string(step_index) + " (" + PrintStep(schedule, step) + ")";
  for (const Prediction& p : allowed) m.expected.push_back(Describe(step.op.kind, p));
  m.observed = Describe(step.op.kind, o);
  return m;
}

std::optional<Mismatch> Checker::ObserveFinal(const std::vector<Row>& rows) {
  return FinalMismatch(schedule_, states_, rows);
}

std::optional<Mismatch> FinalMismatch(const Schedule& schedule, const std::vector<State>& states,
                                      const std::vector<Row>& rows) {
  std::vector<State> finals;
  for (const State& st : states) {
    for (State& f : CloseAll(schedule, st)) finals.push_back(std::move(f));
  }
  Dedupe(finals);
  std::vector<Prediction> allowed;
  for (const State& st : finals) {
    Prediction p;
    p.rows.emplace();
    for (const auto& [k, v] : st.committed) p.rows->push_back(Row{k, v});
    if (Matches(p, Observation{.rc = rc::kOk, .value = kAbsent, .rows = rows, .recovery_problem = {}})) {
      return std::nullopt;
    }
    allowed.push_back(std::move(p));
  }
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  Mismatch m;
  m.oracle = "final-scan";
  m.failure_class = "final-scan:rows";
  m.where = "end of schedule (final scan)";
  for (const Prediction& p : allowed) m.expected.push_back(Describe(OpKind::kScan, p));
  Observation o;
  o.rows = rows;
  m.observed = Describe(OpKind::kScan, o);
  return m;
}

}  // namespace harvey::model
