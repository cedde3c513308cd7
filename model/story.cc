#include "model/story.h"

#include <algorithm>

#include "model/checker.h"

namespace harvey::model {

std::vector<StoryStep> WalkStory(const Schedule& s, const std::vector<Observation>& observations,
                                 const Rules& rules) {
  std::vector<StoryStep> out;
  std::vector<State> states{InitialState(s)};
  const size_t n = std::min(observations.size(), s.steps.size());
  for (size_t i = 0; i < n; ++i) {
    StoryStep st;
    st.before = states;
    std::vector<State> matched, all;
    for (const State& from : states) {
      for (Outcome& o : Apply(s, from, static_cast<int64_t>(i), s.steps[i], rules)) {
        st.allowed.push_back(o.prediction);
        if (Matches(o.prediction, observations[i])) matched.push_back(o.next);
        all.push_back(std::move(o.next));
      }
    }
    std::sort(st.allowed.begin(), st.allowed.end());
    st.allowed.erase(std::unique(st.allowed.begin(), st.allowed.end()), st.allowed.end());
    st.matched = !matched.empty();
    states = st.matched ? std::move(matched) : std::move(all);
    Dedupe(states);
    if (states.size() > kStoryMaxStates) states.resize(kStoryMaxStates);
    st.after = states;
    out.push_back(std::move(st));
  }
  return out;
}

std::vector<Table> FinalTables(const Schedule& s, const std::vector<State>& last) {
  std::vector<Table> out;
  for (const State& st : last) {
    for (const State& f : CloseAll(s, st)) out.push_back(f.committed);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

std::string ValueOf(int64_t written_at) {
  if (written_at == kAbsent) return "no row";
  if (written_at == kCorrupt) return "CORRUPT bytes";
  return "value of step " + std::to_string(written_at);
}

}  // namespace

std::string DescribeTable(const Table& t) {
  std::string out = "{";
  for (const auto& [k, w] : t) {
    if (out.size() > 1) out += ", ";
    out += "key " + std::to_string(k) + " = " + ValueOf(w);
  }
  return out + "}";
}

std::string DescribeRows(const std::vector<Row>& rows) {
  std::string out = "{";
  for (const Row& r : rows) {
    if (out.size() > 1) out += ", ";
    out += "key " + std::to_string(r.key) + " = " + ValueOf(r.written_at);
  }
  return out + "}";
}

std::string DescribeConn(const State& st, int w) {
  const Conn& c = st.conns[w];
  if (!c.open) return "closed (no connection)";
  const bool stale = c.snap_hdr != st.hdr;
  const std::string snap = c.mark == kSlot0
                               ? "its snapshot reads the database file alone (read-lock 0: the log was fully copied)"
                               : "its snapshot ends at a read mark in the log";
  const std::string armed = c.armed ? "; armed to be killed inside its next op" : "";
  switch (c.txn) {
    case TxnState::kNone: return "no transaction (autocommit)" + armed;
    case TxnState::kBegun: return "in a transaction, no snapshot yet (BEGIN DEFERRED takes none)" + armed;
    case TxnState::kRead:
      return std::string("holds a read snapshot, ") +
             (stale ? "STALE (another connection committed since)" : "current") + "; " + snap + armed;
    case TxnState::kWrite:
      return std::string("holds the WAL write lock") + (c.dirty ? " with uncommitted changes" : "") + "; " + snap +
             armed;
  }
  return "?";
}

std::string DescribeConn(const std::vector<State>& states, int w) {
  std::vector<std::string> seen;
  for (const State& st : states) {
    std::string d = DescribeConn(st, w);
    if (std::find(seen.begin(), seen.end(), d) == seen.end()) seen.push_back(std::move(d));
  }
  if (seen.empty()) return "(no model state)";
  if (seen.size() == 1) return seen[0];
  std::string out = "either " + seen[0];
  for (size_t i = 1; i < seen.size() && i < 3; ++i) out += ", or " + seen[i];
  if (seen.size() > 3) out += ", or others";
  return out;
}

std::string DescribeWal(const Schedule& s, const State& st) {
  std::string out;
  if (st.wal.mx == st.wal.base) {
    out = "the log is empty";
  } else if (st.wal.backfilled >= st.wal.mx) {
    out = "every commit in the log is copied into the database file";
  } else {
    out = "the log holds commits not yet copied into the database file";
  }
  if (st.writer >= 0) out += "; " + s.workers[static_cast<size_t>(st.writer)].name + " holds the write lock";
  else out += "; nobody holds the write lock";
  if (st.orphan) out += "; a killed commit's frames sit in the log unseen (recovery would bring them back)";
  return out;
}

}  // namespace harvey::model
