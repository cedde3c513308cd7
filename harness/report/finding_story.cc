#include "harness/report/finding_story.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "model/format.h"

namespace harvey::harness {
namespace {

using model::OpKind;
namespace rc = model::rc;

std::string Ordinal(uint32_t n) {
  const char* suffix = (n % 100 >= 11 && n % 100 <= 13) ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
  return std::to_string(n) + suffix;
}

bool StartsWith(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

bool IsBusy(int code) { return (code & 0xff) == rc::kBusy || code == rc::kLocked; }

std::string Name(const model::Schedule& s, int w) { return s.workers[static_cast<size_t>(w)].name; }

// Where the workers' processes run, in words, when it explains why they do
// not share locks or the wal-index. "" when nothing in the setup does.
std::string Cause(const model::Schedule& s, const std::string& boundary) {
  using model::Defect;
  switch (s.config.defect) {
    case Defect::kNoLocking: return "every process runs SQLite's unix-none VFS, which takes no locks at all";
    case Defect::kMixedLocking:
      return "the processes lock with different protocols (POSIX locks and dot-files), so neither sees the "
             "other's locks";
    case Defect::kPrivateShm: return "each process has its own copy of the wal-index (-shm) instead of one shared mapping";
    case Defect::kFsyncLies: return "the storage acknowledged fsync without making the data durable";
    case Defect::kCanary: return "harvey's model was deliberately broken (the canary): this proves harvey can fail";
    case Defect::kNone: break;
  }
  bool sshfs = boundary == "sshfs", file_mount = boundary == "oci-file";
  for (const model::Worker& w : s.workers) {
    sshfs |= w.boundary == "sshfs";
    file_mount |= w.boundary == "oci-file";
  }
  if (sshfs) {
    return "the processes reach the database through separate network mounts (sshfs): the locks and the "
           "-shm mapping of one mount are not seen through the other";
  }
  if (file_mount) {
    return "only the database file is mounted into each container, so each container has its own -wal and "
           "-shm files";
  }
  return "";
}

// A mismatch of a result code at step `k`.
std::string RcMeaning(const FindingStory& st, int64_t k, const std::string& cause) {
  const model::Step& step = st.schedule.steps[static_cast<size_t>(k)];
  const model::Observation& o = st.run.observations[static_cast<size_t>(k)];
  const model::StoryStep& ws = st.walk[static_cast<size_t>(k)];
  const std::string me = Name(st.schedule, step.worker);
  const std::string because = cause.empty() ? "" : ": " + cause;
  bool expected_busy = false, expected_snapshot = false, expected_ok = false;
  for (const model::Prediction& p : ws.allowed) {
    expected_busy |= p.rc == rc::kBusy;
    expected_snapshot |= p.rc == rc::kBusySnapshot;
    expected_ok |= p.rc == rc::kOk;
  }
  int holder = -1;
  for (const model::State& s : ws.before) {
    if (s.writer >= 0 && s.writer != step.worker) holder = s.writer;
  }
  if (o.rc == rc::kWorkerDied) {
    return me + "'s process crashed inside SQLite (it died without being killed): an application doing the same "
                "would crash here too" + because + ".";
  }
  if (o.rc == rc::kOk && expected_busy && holder >= 0) {
    return me + " got the write lock while " + Name(st.schedule, holder) +
           " held it: the two processes do not share locks" + (cause.empty() ? "" : " (" + cause + ")") +
           ". So both can write the database at once; their commits can overwrite each other's pages, losing "
           "data or corrupting the file.";
  }
  if (o.rc == rc::kOk && expected_snapshot) {
    return me + " was allowed to write on top of a stale snapshot (another connection committed after " + me +
           " started reading): the processes do not see each other's commits" + because +
           ". A transaction can then silently undo another's acknowledged change (a lost update).";
  }
  int reader = -1;  // another connection holding a snapshot
  for (const model::State& s : ws.before) {
    for (size_t i = 0; i < s.conns.size(); ++i) {
      const model::Conn& c = s.conns[i];
      if (static_cast<int>(i) != step.worker && c.open &&
          (c.txn == model::TxnState::kRead || c.txn == model::TxnState::kWrite)) {
        reader = static_cast<int>(i);
      }
    }
  }
  if (o.rc == rc::kOk && expected_busy && step.op.kind == OpKind::kCheckpoint && reader >= 0) {
    return me + "'s " + model::ToString(step.op.checkpoint) + " checkpoint went through while " +
           Name(st.schedule, reader) +
           " was still reading an older snapshot, whose read lock must hold the checkpoint back: " + me +
           " does not see " + Name(st.schedule, reader) + "'s read lock" + (cause.empty() ? "" : " (" + cause + ")") +
           ". A checkpoint can then overwrite database pages a reader still needs, so the reader sees a mix of "
           "old and new data (a torn read).";
  }
  if (o.rc == rc::kOk && expected_busy) {
    return me + " succeeded where SQLite must refuse with BUSY" + because +
           ". The locking that keeps readers, writers and checkpoints apart is not working here.";
  }
  if (IsBusy(o.rc) && expected_ok) {
    return me + " was refused (" + model::RcName(o.rc) + ") although, by WAL's rules, nobody held what it needed" +
           because +
           ". An application sees spurious SQLITE_BUSY errors; if the cause is a lock or wal-index state that "
           "the processes see differently, worse follows.";
  }
  std::string allowed;
  std::set<std::string> names;
  for (const model::Prediction& p : ws.allowed) {
    if (names.insert(model::RcName(p.rc)).second) allowed += (allowed.empty() ? "" : " or ") + model::RcName(p.rc);
  }
  return me + " got " + model::RcName(o.rc) + " where WAL's rules allow only " + allowed + because +
         ". An application relying on those rules (locks, snapshots) is not protected here.";
}

// The step that wrote the value `written_at`, and whether a power loss
// before `before` took it back (it was absent from that power loss's table).
int64_t LostAtPowerLoss(const FindingStory& st, int64_t written_at, int64_t before) {
  for (int64_t i = written_at + 1; i < before && i < static_cast<int64_t>(st.run.observations.size()); ++i) {
    if (st.schedule.steps[static_cast<size_t>(i)].op.kind != OpKind::kPowerLoss) continue;
    const auto& rows = st.run.observations[static_cast<size_t>(i)].rows;
    if (std::none_of(rows.begin(), rows.end(), [&](const model::Row& r) { return r.written_at == written_at; })) {
      return i;
    }
  }
  return -1;
}

// A table that differs from every one the model allows (a scan, a power
// loss's recovery, the final check): which keys, and what that means.
std::string TableMeaning(const FindingStory& st, const std::vector<model::Table>& allowed,
                         const std::vector<model::Row>& seen, int64_t at, const std::string& cause) {
  model::Table got;
  for (const model::Row& r : seen) got[r.key] = r.written_at;
  std::string out;
  bool resurrected = false, lost = false, corrupt = false;
  const model::Table& want = allowed.empty() ? got : allowed.front();
  std::set<int64_t> keys;
  for (const auto& [k, w] : want) keys.insert(k);
  for (const auto& [k, w] : got) keys.insert(k);
  for (int64_t k : keys) {
    const int64_t g = got.count(k) ? got[k] : model::kAbsent;
    bool some_allows = false;
    for (const model::Table& t : allowed) some_allows |= (t.count(k) ? t.at(k) : model::kAbsent) == g;
    if (some_allows) continue;
    const int64_t w = want.count(k) ? want.at(k) : model::kAbsent;
    out += " Key " + std::to_string(k) + ": the model allows " +
           (w == model::kAbsent ? std::string("no row") : "the value of step " + std::to_string(w)) +
           ", the database has " +
           (g == model::kAbsent ? std::string("no row")
                                : g == model::kCorrupt ? std::string("corrupt bytes") : "the value of step " + std::to_string(g)) +
           ".";
    if (g == model::kCorrupt) corrupt = true;
    if (g >= 0 && (w == model::kAbsent || g < w)) {
      resurrected = true;
      const int64_t pl = LostAtPowerLoss(st, g, at);
      if (pl >= 0) {
        out += " That value had been lost at the power loss of step " + std::to_string(pl) +
               ", and later commits were acknowledged after it: a lost transaction came back on top of newer "
               "ones.";
      }
    }
    if (g == model::kAbsent || (w >= 0 && g >= 0 && g < w)) lost = true;
  }
  std::string lead;
  if (corrupt) lead = "The database returned bytes no writer wrote: it is corrupted.";
  else if (resurrected) lead = "An acknowledged change was silently reverted: old data reappeared.";
  else if (lost) lead = "Acknowledged commits are missing: an application was told 'committed' and lost the data.";
  else lead = "The table differs from every state WAL's rules allow.";
  if (!cause.empty()) lead += " Cause in this setup: " + cause + ".";
  return lead + out;
}

std::vector<model::Table> PredictedTables(const model::StoryStep& ws) {
  std::vector<model::Table> out;
  for (const model::Prediction& p : ws.allowed) {
    if (!p.rows) continue;
    model::Table t;
    for (const model::Row& r : *p.rows) t[r.key] = r.written_at;
    out.push_back(t);
  }
  return out;
}

std::string Meaning(const FindingStory& st) {
  if (!st.run.mismatch) return "";
  const model::Mismatch& m = *st.run.mismatch;
  const std::string cause = Cause(st.schedule, st.boundary);
  const int64_t k = m.step;
  if (k >= 0 && k < static_cast<int64_t>(st.walk.size())) {
    const model::Step& step = st.schedule.steps[static_cast<size_t>(k)];
    const model::Observation& o = st.run.observations[static_cast<size_t>(k)];
    const model::StoryStep& ws = st.walk[static_cast<size_t>(k)];
    if (StartsWith(m.failure_class, "step:") && m.failure_class.size() > 3 &&
        m.failure_class.substr(m.failure_class.size() - 3) == ":rc") {
      return RcMeaning(st, k, cause);
    }
    if (!o.recovery_problem.empty()) {
      return "After the power loss the reopened database is damaged (" + o.recovery_problem +
             "): an application restarting after a crash finds a corrupt database." +
             (cause.empty() ? "" : " Cause in this setup: " + cause + ".");
    }
    if (step.op.kind == OpKind::kRead) {
      const std::string me = Name(st.schedule, step.worker);
      int64_t want = model::kAbsent;
      for (const model::Prediction& p : ws.allowed) {
        if (p.value) want = *p.value;
      }
      const bool in_txn = std::any_of(ws.before.begin(), ws.before.end(), [&](const model::State& s) {
        return s.conns[static_cast<size_t>(step.worker)].explicit_txn;
      });
      if (o.value == model::kCorrupt) return me + " read bytes that no writer wrote: the database is corrupted.";
      if (o.value < want || (o.value >= 0 && want == model::kAbsent && !in_txn)) {
        return me + " read an older value than the last commit it must see: a commit made by another process "
                    "is invisible to it" + (cause.empty() ? "" : " (" + cause + ")") +
               ". Readers see stale data, and a writer that builds on it overwrites newer data.";
      }
      return me + (in_txn ? " saw a change committed after its transaction's snapshot began: snapshot isolation "
                            "is broken, a transaction can read a mix of old and new data"
                          : " read a value the model does not allow") +
             (cause.empty() ? "." : " (" + cause + ").");
    }
    return TableMeaning(st, PredictedTables(ws), o.rows, k, cause);
  }
  if (m.failure_class == "final-scan:rows" && !st.walk.empty()) {
    std::string lead = TableMeaning(st, model::FinalTables(st.schedule, st.walk.back().after), st.run.final_rows,
                        static_cast<int64_t>(st.schedule.steps.size()), cause);
    lead[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(lead[0])));
    return "At the end (every connection closed, then a fresh one reopened the database), " + lead;
  }
  if (m.failure_class == "final-scan:rows") {
    return TableMeaning(st, {}, st.run.final_rows, static_cast<int64_t>(st.schedule.steps.size()), cause);
  }
  return "The end-of-run check found the database damaged (" + m.observed +
         "): an application would find a corrupt database." +
         (cause.empty() ? "" : " Cause in this setup: " + cause + ".");
}

}  // namespace

FindingHeader ParseFindingHeader(const std::string& text) {
  FindingHeader h;
  std::istringstream in(text);
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty() || line[0] != '#') continue;
    std::string c = line.substr(1);
    if (!c.empty() && c[0] == ' ') c.erase(0, 1);
    h.comments.push_back(c);
    if (StartsWith(c, "harvey finding: ")) h.summary = c.substr(16);
    if (StartsWith(c, "found by: ")) h.found_by = c.substr(10);
    if (StartsWith(c, "replay: ")) {
      const size_t b = c.find("--boundary ");
      if (b != std::string::npos) {
        h.boundary = c.substr(b + 11);
        h.boundary = h.boundary.substr(0, h.boundary.find(' '));
        h.boundary_line = number;
      }
      std::istringstream words(c);
      for (std::string w, prev; words >> w; prev = w) {
        if (prev == "--agent") h.agents.push_back(w);
      }
    }
  }
  return h;
}

std::optional<CalibrationClass> MatchCalibration(const model::Schedule& s, const std::string& boundary) {
  const std::vector<CalibrationClass> classes = CalibrationClasses();
  auto named = [&](const std::string& n) -> std::optional<CalibrationClass> {
    for (const CalibrationClass& c : classes) {
      if (c.name == n) return c;
    }
    return std::nullopt;
  };
  if (s.config.defect != model::Defect::kNone) {
    for (const CalibrationClass& c : classes) {
      if (c.defect == s.config.defect && !c.negative) return c;
    }
  }
  if (s.config.synchronous == model::Synchronous::kOff && model::HasOp(s, OpKind::kPowerLoss)) return named("sync-off");
  std::vector<std::string> places{boundary};
  for (const model::Worker& w : s.workers) places.push_back(w.boundary);
  for (const std::string& p : places) {
    for (const CalibrationClass& c : classes) {
      if (!c.negative && c.defect == model::Defect::kNone && !c.synchronous && c.boundary == p) return c;
    }
  }
  return std::nullopt;
}

std::string StepAction(const model::Schedule& s, size_t i) {
  const model::Op& op = s.steps[i].op;
  const std::string key = "key " + std::to_string(op.key);
  switch (op.kind) {
    case OpKind::kBegin:
      if (op.begin == model::BeginMode::kDeferred) return "starts a transaction (BEGIN DEFERRED: no lock until its first read or write)";
      return std::string("starts a write transaction (BEGIN ") +
             (op.begin == model::BeginMode::kImmediate ? "IMMEDIATE" : "EXCLUSIVE") +
             ": takes the write lock at once)";
    case OpKind::kRead: return "reads " + key;
    case OpKind::kWrite: return "writes " + key + " (" + std::to_string(op.size) + " bytes)";
    case OpKind::kDelete: return "deletes " + key;
    case OpKind::kScan: return "reads the whole table";
    case OpKind::kCommit: return "commits";
    case OpKind::kRollback: return "rolls back";
    case OpKind::kCheckpoint:
      return std::string("runs a ") + model::ToString(op.checkpoint) +
             " checkpoint (copies committed pages from the log into the database file)";
    case OpKind::kClose: return "closes its connection";
    case OpKind::kOpen: return "opens a new connection";
    case OpKind::kKill: return "is killed (SIGKILL) between operations";
    case OpKind::kKillAt:
      return "is armed: its next operation will be killed (SIGKILL) at its " + Ordinal(op.ordinal) + " " +
             model::ToString(op.event) + " VFS event";
    case OpKind::kPowerLoss:
      return "POWER LOSS: every process dies; each file keeps what was synced plus some later writes (torn at "
             "sector size); every worker reopens and SQLite recovers";
    case OpKind::kSavepoint:
      return "sets savepoint " + op.name + " (SAVEPOINT; outside a transaction it starts one, like BEGIN DEFERRED)";
    case OpKind::kRelease:
      return "releases savepoint " + op.name + " (RELEASE; releasing the outermost one outside BEGIN commits)";
    case OpKind::kRollbackTo:
      return "rolls back to savepoint " + op.name + " (ROLLBACK TO: undoes what followed it; the transaction stays open)";
    case OpKind::kVacuum: return "vacuums the database (VACUUM: rebuilds it through the log; an error inside a transaction)";
  }
  return "?";
}

std::string OutcomeWords(OpKind kind, const model::Observation& o) {
  switch (o.rc) {
    case rc::kOk: break;
    case rc::kBusy: return "refused: BUSY (another connection holds a lock it needs)";
    case rc::kBusySnapshot: return "refused: BUSY_SNAPSHOT (its snapshot is stale: another connection committed since)";
    case rc::kLocked: return "refused: LOCKED (its own open transaction is in the way)";
    case rc::kError: return "ERROR (e.g. COMMIT with no transaction open)";
    case rc::kNotOpen: return "not run: the worker has no open connection";
    case rc::kAlreadyOpen: return "not run: already open";
    case rc::kWorkerDied: return "the process CRASHED";
    case rc::kKilled: return "killed inside the operation, as the schedule asked";
    default: return "failed: " + model::RcName(o.rc);
  }
  if (!o.recovery_problem.empty()) return "recovered, but: " + o.recovery_problem;
  if (kind == OpKind::kRead) {
    if (o.value == model::kAbsent) return "ok, saw no row";
    if (o.value == model::kCorrupt) return "ok, but saw CORRUPT bytes";
    return "ok, saw the value written at step " + std::to_string(o.value);
  }
  if (kind == OpKind::kScan) return "ok, saw " + model::DescribeRows(o.rows);
  if (kind == OpKind::kPowerLoss) return "recovered table " + model::DescribeRows(o.rows);
  if (kind == OpKind::kCheckpoint && o.ckpt_log >= 0) {
    return "ok (log " + std::to_string(o.ckpt_log) + " frames, " + std::to_string(o.ckpt_done) + " copied)";
  }
  return "ok";
}

std::string OutcomeClass(const FindingStory& s, size_t i) {
  if (s.run.mismatch && s.run.mismatch->step == static_cast<int64_t>(i)) return "mismatch";
  if (i >= s.run.observations.size()) return "notrun";
  const int code = s.run.observations[i].rc;
  const OpKind kind = s.schedule.steps[i].op.kind;
  if (kind == OpKind::kKill || kind == OpKind::kPowerLoss || code == rc::kKilled) return "kill";
  if (code == rc::kOk) return "ok";
  if (IsBusy(code)) return "busy";
  return "error";
}

FindingStory ReplayStory(const std::string& file, const std::string& text, const model::Schedule& s,
                         const std::string& boundary, Backend& backend, const std::string& db_dir) {
  FindingStory story;
  story.file = file;
  story.header = ParseFindingHeader(text);
  story.boundary = boundary;
  story.schedule = s;
  SetSliceRecorder(&story.slices);
  story.run = RunSchedule(story.schedule, backend, db_dir);
  SetSliceRecorder(nullptr);
  if (story.run.verdict == Verdict::kError) return story;
  model::Rules rules;
  rules.canary_reads_see_latest = s.config.defect == model::Defect::kCanary;
  story.walk = model::WalkStory(story.schedule, story.run.observations, rules);
  ConcludeStory(story);
  return story;
}

void ConcludeStory(FindingStory& story) {
  story.calibration = MatchCalibration(story.schedule, story.boundary);
  story.meaning = Meaning(story);
  story.replay = "harvey run " + story.file + " --boundary " + story.boundary;
}

}  // namespace harvey::harness
