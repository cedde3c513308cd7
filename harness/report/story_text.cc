// StoryText: a finding's story in words (finding_story.h).
#include <cstdio>

#include "harness/report/finding_story.h"
#include "model/format.h"

namespace harvey::harness {
namespace {

std::string Workers(const model::Schedule& s) {
  std::string out;
  for (size_t i = 0; i < s.workers.size(); ++i) out += (i ? ", " : "") + s.workers[i].name;
  return out;
}

// The setup in one paragraph.
std::string Setup(const FindingStory& st) {
  const model::Schedule& s = st.schedule;
  std::string t = std::to_string(s.workers.size()) + " workers (" + Workers(s) +
                  "), each one process with its own SQLite connection to one WAL database, on boundary " +
                  st.boundary;
  for (const model::Worker& w : s.workers) {
    if (!w.boundary.empty()) t += " (" + w.name + " on " + w.boundary + ")";
  }
  t += std::string("; synchronous=") + model::ToString(s.config.synchronous);
  if (s.config.defect != model::Defect::kNone) t += std::string(", calibration defect ") + model::ToString(s.config.defect);
  if (!s.interleave.empty()) {
    t += ". Fine-grained: the operations of different workers interleave inside statements, switching at VFS "
         "events (" + std::to_string(st.slices.size()) + " slices)";
  }
  return t + ".\n";
}

// What power loss `i` took back, from the model's committed table before it.
std::string LostAtPowerLoss(const FindingStory& st, size_t i) {
  const model::Table& before = st.walk[i].before.front().committed;
  model::Table after;
  for (const model::Row& r : st.run.observations[i].rows) after[r.key] = r.written_at;
  std::string lost;
  for (const auto& [k, w] : before) {
    auto it = after.find(k);
    if (it == after.end() || it->second != w) {
      lost += (lost.empty() ? "" : ", ") + std::string("key ") + std::to_string(k) + " = value of step " +
              std::to_string(w) + " (now " +
              (it == after.end() ? std::string("no row") : "value of step " + std::to_string(it->second)) + ")";
    }
  }
  for (const auto& [k, w] : after) {
    if (!before.count(k)) lost += (lost.empty() ? "" : ", ") + std::string("key ") + std::to_string(k) + " came back";
  }
  if (lost.empty()) return "nothing acknowledged was lost";
  return "taken back by the power loss: " + lost + std::string(
             st.schedule.config.synchronous == model::Synchronous::kFull
                 ? ""
                 : " (synchronous=" + std::string(model::ToString(st.schedule.config.synchronous)) +
                       " allows losing the last commits)");
}

}  // namespace

std::string StoryText(const FindingStory& st) {
  const model::Schedule& s = st.schedule;
  std::string t = "harvey explain: " + st.file + "\n";
  if (!st.header.summary.empty()) t += "Finding: " + st.header.summary + "\n";
  t += "\nSetup: " + Setup(st);
  t += "\nStep by step (after each step: what the model says the worker now holds):\n";
  const size_t n = st.walk.size();
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const model::Step& step = s.steps[i];
    const std::string who = s.workers[static_cast<size_t>(step.worker)].name;
    char num[24];
    std::snprintf(num, sizeof num, "%4zu", i);
    const bool power_loss = step.op.kind == model::OpKind::kPowerLoss;
    t += std::string(num) + "  " + (power_loss ? "" : who + " ") + StepAction(s, i) + "\n";
    if (i >= n) {
      t += "        (not run: the replay stopped at the mismatch)\n";
      continue;
    }
    const model::Observation& o = st.run.observations[i];
    const bool mismatch = st.run.mismatch && st.run.mismatch->step == static_cast<int64_t>(i);
    t += "        -> " + OutcomeWords(step.op.kind, o) + (mismatch ? "   <== REALITY LEFT THE MODEL HERE" : "") + "\n";
    if (mismatch) continue;
    if (power_loss) {
      t += "           " + LostAtPowerLoss(st, i) + "\n";
      for (size_t w = 0; w < s.workers.size(); ++w) {
        t += "           " + s.workers[w].name + ": " + model::DescribeConn(st.walk[i].after, static_cast<int>(w)) + "\n";
      }
    } else {
      t += "           " + who + " now: " + model::DescribeConn(st.walk[i].after, step.worker) + "\n";
    }
    if (!st.walk[i].matched) {
      t += "           (an overlapped op: the serial reading above does not allow this result, the "
           "linearizability check did)\n";
    }
  }
  t += "\n";
  if (!st.run.mismatch) {
    t += "Verdict: the replay PASSED on " + st.boundary +
         ": the finding did NOT reproduce here (every observation matched the model).\n";
    if (!st.header.summary.empty()) t += "The file says it once failed with: " + st.header.summary + "\n";
    t += "Replay: " + st.replay + "\n";
    return t;
  }
  const model::Mismatch& m = *st.run.mismatch;
  t += "Where reality left the model: " + m.where + "\n";
  if (m.step >= 0 && static_cast<size_t>(m.step) < n) {
    const model::StoryStep& ws = st.walk[static_cast<size_t>(m.step)];
    const model::Step& step = s.steps[static_cast<size_t>(m.step)];
    t += "  before it, by the model: " + model::DescribeWal(s, ws.before.front()) + "\n";
    for (size_t w = 0; w < s.workers.size(); ++w) {
      t += "    " + s.workers[w].name + " " + model::DescribeConn(ws.before, static_cast<int>(w)) + "\n";
    }
    t += "    table: " + model::DescribeTable(ws.before.front().committed) + "\n";
    (void)step;
  }
  for (size_t i = 0; i < m.expected.size(); ++i) {
    t += (i == 0 ? "  expected (model): " : "                or: ") + m.expected[i] + "\n";
  }
  t += "  observed (SQLite): " + m.observed + "\n";
  for (const std::string& d : m.details) t += "  " + d + "\n";
  t += "\nWhat it means for an application:\n  " + st.meaning + "\n";
  if (st.calibration) {
    t += "\nKnown cause (calibration class " + st.calibration->name + "): " + st.calibration->explanation +
         "\nFix: " + st.calibration->fix + "\n";
  } else {
    t += "\nNo calibration class matches this setup: this may be an anomaly in SQLite itself or a gap in "
         "harvey's model (model/README.md lists what the model allows); keep the file and report it.\n";
  }
  t += "\nReplay: " + st.replay + "\n";
  return t;
}

}  // namespace harvey::harness
