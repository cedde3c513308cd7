// StoryHtml: a finding's story as one self-contained HTML page (inline CSS,
// inline SVG, a few lines of inline JS; nothing fetched). One swim lane per
// worker, a box per step coloured by outcome, kills and power losses drawn
// across the lanes, the mismatching step highlighted with expected and
// observed side by side and the table rows around it; for fine-grained
// runs, a lane strip of every slice with the VFS event it paused at. The
// script only adds click-to-row and sets <body data-harvey-rendered="ok">
// (the Chromium test's marker that it ran without error).
#include <cstdio>
#include <set>

#include "harness/report/finding_story.h"
#include "model/format.h"

namespace harvey::harness {
namespace {

using model::OpKind;

std::string Esc(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

constexpr int kLabelW = 64, kStepW = 116, kLaneH = 62, kTop = 28, kBoxW = 108, kBoxH = 46;

// The op without its worker name ("write 1 100").
std::string OpText(const model::Schedule& s, size_t i) {
  std::string t = model::PrintStep(s, s.steps[i]);
  const size_t sp = t.find(' ');
  t = sp == std::string::npos ? t : t.substr(sp + 1);
  if (t.size() > 16) t = t.substr(0, 15) + "…";
  return t;
}

std::string Short(std::string t) {
  if (t.size() > 16) t = t.substr(0, 15) + "…";
  return t;
}

// xShmLock's argument (offset<<16 | n<<8 | flags) and xLock's level, in words.
std::string EventText(const EventInfo& e) {
  std::string t = std::string(ToString(e.event)) + " " + ToString(e.role);
  if (e.event == VfsEvent::kShmLock) {
    static const char* kSlots[] = {"WRITE", "CKPT", "RECOVER", "READ0", "READ1", "READ2", "READ3", "READ4"};
    const int64_t off = e.arg >> 16, n = (e.arg >> 8) & 0xff, flags = e.arg & 0xff;
    t += " ";
    t += off >= 0 && off < 8 ? kSlots[off] : ("slot " + std::to_string(off)).c_str();
    if (n > 1) t += "+" + std::to_string(n - 1);
    t += (flags & 1) ? " unlock" : " lock";
    t += (flags & 8) ? " exclusive" : (flags & 4) ? " shared" : "";
  } else if (e.event == VfsEvent::kLock || e.event == VfsEvent::kUnlock) {
    static const char* kLevels[] = {"NONE", "SHARED", "RESERVED", "PENDING", "EXCLUSIVE"};
    t += std::string(" ") + (e.arg >= 0 && e.arg < 5 ? kLevels[e.arg] : "?");
  } else if (e.arg != 0) {
    t += " " + std::to_string(e.arg);
  }
  return t;
}

std::string Css() {
  return R"(body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d232a;max-width:1400px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
.verdict{display:inline-block;padding:3px 10px;border-radius:12px;font-weight:600;color:#fff}
.verdict.fail{background:#c62828}.verdict.pass{background:#2e7d32}
.lead{font-size:15px;background:#fff8e1;border-left:4px solid #f9a825;padding:10px 14px;margin:12px 0}
.fix{background:#e8f5e9;border-left:4px solid #2e7d32;padding:10px 14px}
.scroll{overflow-x:auto;border:1px solid #d8dee4;border-radius:6px;background:#fbfcfd}
svg text{font:12px ui-monospace,Menlo,Consolas,monospace}
g.step{cursor:pointer}g.step rect{stroke:#607080;stroke-width:1}
.ok rect{fill:#c8e6c9}.busy rect{fill:#ffe082}.error rect{fill:#ef9a9a}.kill rect{fill:#d1c4e9}.notrun rect{fill:#eceff1}
.mismatch rect{fill:#ff5252;stroke:#b71c1c !important;stroke-width:4 !important}
i.k-ok{background:#c8e6c9}i.k-busy{background:#ffe082}i.k-error{background:#ef9a9a}i.k-kill{background:#d1c4e9}
i.k-notrun{background:#eceff1}i.k-mismatch{background:#ff5252;border:2px solid #b71c1c}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:14px;height:14px;border:1px solid #607080;vertical-align:-2px;margin-right:4px}
.sbs{display:flex;gap:16px;flex-wrap:wrap}.sbs>div{flex:1;min-width:280px;border:1px solid #d8dee4;border-radius:6px;padding:10px 14px}
.sbs .exp{background:#e3f2fd}.sbs .obs{background:#ffebee}
table{border-collapse:collapse}td,th{border:1px solid #d8dee4;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f1f4f7}tr.mm td{background:#ffebee;font-weight:600}tr.flash td{outline:2px solid #1565c0}
td.diff{background:#ffcdd2;font-weight:600}code,pre{font:13px ui-monospace,Menlo,Consolas,monospace}
pre{background:#f6f8fa;padding:10px;border-radius:6px;overflow-x:auto}.muted{color:#607080})";
}

// The swim lanes: one per worker, a box per step.
std::string Lanes(const FindingStory& st) {
  const model::Schedule& s = st.schedule;
  const size_t n = s.steps.size();
  // An end-of-schedule mismatch (final scan, integrity) gets a column of its own.
  const bool end_mismatch = st.run.mismatch && st.run.mismatch->step < 0;
  const int w = kLabelW + static_cast<int>(n + (end_mismatch ? 1 : 0)) * kStepW + 10;
  const int h = kTop + static_cast<int>(s.workers.size()) * kLaneH + 10;
  std::string o = "<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/2000/svg\" id=\"lanes\" width=\"" +
                  std::to_string(w) + "\" height=\"" + std::to_string(h) + "\">";
  for (size_t l = 0; l < s.workers.size(); ++l) {
    const int y = kTop + static_cast<int>(l) * kLaneH;
    o += "<rect x=\"0\" y=\"" + std::to_string(y) + "\" width=\"" + std::to_string(w) + "\" height=\"" +
         std::to_string(kLaneH) + "\" fill=\"" + (l % 2 ? "#f4f6f8" : "#ffffff") + "\"/>";
    o += "<text x=\"8\" y=\"" + std::to_string(y + kLaneH / 2 + 4) + "\" font-weight=\"bold\">" +
         Esc(s.workers[l].name) + "</text>";
  }
  // Events per step (fine-grained runs), for the boxes' tooltips.
  std::vector<std::vector<std::string>> events(n);
  for (const SliceRecord& r : st.slices) {
    if (r.step >= 0 && static_cast<size_t>(r.step) < n && !r.finished) events[r.step].push_back(EventText(r.event));
  }
  for (size_t i = 0; i < n; ++i) {
    const model::Step& step = s.steps[i];
    const int x = kLabelW + static_cast<int>(i) * kStepW;
    o += "<text x=\"" + std::to_string(x + kStepW / 2) + "\" y=\"16\" text-anchor=\"middle\" fill=\"#607080\">" +
         std::to_string(i) + "</text>";
    const std::string cls = OutcomeClass(st, i);
    const bool across = step.op.kind == OpKind::kPowerLoss;
    const bool kill = step.op.kind == OpKind::kKill ||
                      (i < st.run.observations.size() && st.run.observations[i].rc == model::rc::kKilled);
    if (across || kill) {
      const std::string colour = across ? "#c62828" : "#6a1b9a";
      o += "<line class=\"" + std::string(across ? "powerloss" : "killmark") + "\" x1=\"" +
           std::to_string(x + kStepW / 2) + "\" y1=\"20\" x2=\"" + std::to_string(x + kStepW / 2) + "\" y2=\"" +
           std::to_string(h - 4) + "\" stroke=\"" + colour + "\" stroke-width=\"" + (across ? "3" : "2") +
           "\" stroke-dasharray=\"6 4\"/>";
    }
    std::string tip = "step " + std::to_string(i) + ": " + model::PrintStep(s, step) + "\n" +
                      s.workers[step.worker].name + " " + StepAction(s, i);
    std::string outcome = "not run";
    if (i < st.run.observations.size()) {
      outcome = model::Describe(step.op.kind, st.run.observations[i]);
      tip += "\n-> " + OutcomeWords(step.op.kind, st.run.observations[i]);
    }
    if (cls == "mismatch") outcome = "MISMATCH";
    for (size_t e = 0; e < events[i].size() && e < 40; ++e) tip += (e ? ", " : "\nVFS events: ") + events[i][e];
    if (events[i].size() > 40) tip += ", … (" + std::to_string(events[i].size()) + ")";
    const int lanes = across ? static_cast<int>(s.workers.size()) : 1;
    const int y = kTop + (across ? 0 : step.worker * kLaneH) + (kLaneH - kBoxH) / 2;
    const int bh = kBoxH + (lanes - 1) * kLaneH;
    o += "<g class=\"step " + cls + "\" data-step=\"" + std::to_string(i) + "\"><title>" + Esc(tip) + "</title>";
    o += "<rect x=\"" + std::to_string(x + (kStepW - kBoxW) / 2) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
         std::to_string(kBoxW) + "\" height=\"" + std::to_string(bh) + "\" rx=\"6\"/>";
    o += "<text x=\"" + std::to_string(x + kStepW / 2) + "\" y=\"" + std::to_string(y + bh / 2 - 4) +
         "\" text-anchor=\"middle\">" + Esc(across ? "⚡ power loss" : kill && step.op.kind == OpKind::kKill ? "✕ kill" : OpText(s, i)) + "</text>";
    o += "<text x=\"" + std::to_string(x + kStepW / 2) + "\" y=\"" + std::to_string(y + bh / 2 + 12) +
         "\" text-anchor=\"middle\" font-weight=\"bold\">" + Esc(Short(outcome)) + "</text></g>";
  }
  if (end_mismatch) {
    const int x = kLabelW + static_cast<int>(n) * kStepW;
    const int bh = kBoxH + (static_cast<int>(s.workers.size()) - 1) * kLaneH;
    const int y = kTop + (kLaneH - kBoxH) / 2;
    o += "<text x=\"" + std::to_string(x + kStepW / 2) + "\" y=\"16\" text-anchor=\"middle\" fill=\"#607080\">end</text>";
    o += "<g class=\"step mismatch\" data-step=\"end\"><title>" +
         Esc("end of schedule: every connection closed, a fresh one checked the database\n" + st.run.mismatch->Summary()) +
         "</title><rect x=\"" + std::to_string(x + (kStepW - kBoxW) / 2) + "\" y=\"" + std::to_string(y) +
         "\" width=\"" + std::to_string(kBoxW) + "\" height=\"" + std::to_string(bh) +
         "\" rx=\"6\"/><text x=\"" + std::to_string(x + kStepW / 2) + "\" y=\"" + std::to_string(y + bh / 2 - 4) +
         "\" text-anchor=\"middle\">final check</text><text x=\"" + std::to_string(x + kStepW / 2) + "\" y=\"" +
         std::to_string(y + bh / 2 + 12) + "\" text-anchor=\"middle\" font-weight=\"bold\">MISMATCH</text></g>";
  }
  o += "</svg></div>";
  o += "<p class=\"legend\"><span><i class=\"k-ok\"></i>ok</span><span><i class=\"k-busy\"></i>busy "
       "(refused a lock)</span><span><i class=\"k-error\"></i>error</span><span><i class=\"k-kill\"></i>kill / "
       "power loss (dashed line across the lanes)</span><span><i class=\"k-mismatch\"></i>mismatch: reality left "
       "the model</span><span><i class=\"k-notrun\"></i>not run</span> <span class=\"muted\">Hover a box for "
       "details; click it for its row below.</span></p>";
  return o;
}

// Fine-grained runs: every slice in its worker's lane, with its VFS event.
std::string Slices(const FindingStory& st) {
  const model::Schedule& s = st.schedule;
  if (st.slices.empty()) return "";
  constexpr size_t kMaxDrawn = 3000;
  const size_t n = std::min(st.slices.size(), kMaxDrawn);
  constexpr int kSliceW = 14, kSliceLane = 30;
  const int w = kLabelW + static_cast<int>(n) * kSliceW + 10;
  const int h = 20 + static_cast<int>(s.workers.size()) * kSliceLane + 6;
  std::string o = "<h2>Slices: who ran between two VFS events</h2><p>The operations interleaved inside "
                  "statements: at each VFS event (a lock, a write, a sync, a wal-index barrier ...) the "
                  "coordinator chose who runs next (the file's <code>interleave</code> lines). " +
                  std::to_string(st.slices.size()) + " slices" +
                  (st.slices.size() > n ? " (the first " + std::to_string(n) + " drawn)" : "") + ".</p>";
  o += "<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/2000/svg\" id=\"slices\" width=\"" + std::to_string(w) +
       "\" height=\"" + std::to_string(h) + "\">";
  for (size_t l = 0; l < s.workers.size(); ++l) {
    o += "<text x=\"8\" y=\"" + std::to_string(20 + static_cast<int>(l) * kSliceLane + 19) + "\" font-weight=\"bold\">" +
         Esc(s.workers[l].name) + "</text>";
  }
  for (size_t i = 0; i < n; ++i) {
    const SliceRecord& r = st.slices[i];
    const int x = kLabelW + static_cast<int>(i) * kSliceW;
    const int y = 20 + r.worker * kSliceLane + 4;
    const std::string cls = OutcomeClass(st, static_cast<size_t>(r.step));
    const std::string what = r.finished ? "finished" : "paused at " + EventText(r.event);
    o += "<g class=\"slice " + cls + "\"><title>" +
         Esc("slice " + std::to_string(i + 1) + ": step " + std::to_string(r.step) + " (" +
             model::PrintStep(s, s.steps[r.step]) + ") " + what) +
         "</title><rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
         std::to_string(kSliceW - 2) + "\" height=\"22\" rx=\"2\"/></g>";
  }
  o += "</svg></div>";
  // Runs of slices (one worker, one step) with their events.
  o += "<table class=\"slices\"><tr><th>slices</th><th>worker</th><th>step</th><th>VFS events it paused at, in "
       "order</th></tr>";
  for (size_t i = 0; i < st.slices.size();) {
    size_t j = i;
    std::string evs;
    while (j < st.slices.size() && st.slices[j].worker == st.slices[i].worker && st.slices[j].step == st.slices[i].step) {
      evs += (j > i ? ", " : "") + (st.slices[j].finished ? std::string("→ returned") : EventText(st.slices[j].event));
      ++j;
    }
    const SliceRecord& r = st.slices[i];
    o += "<tr class=\"" + std::string(OutcomeClass(st, static_cast<size_t>(r.step)) == "mismatch" ? "mm" : "") +
         "\"><td>" + std::to_string(i + 1) + (j - i > 1 ? "–" + std::to_string(j) : "") + "</td><td>" +
         Esc(s.workers[r.worker].name) + "</td><td>" + std::to_string(r.step) + " <code>" +
         Esc(model::PrintStep(s, s.steps[r.step])) + "</code></td><td>" + Esc(evs) + "</td></tr>";
    i = j;
  }
  return o + "</table>";
}

std::string RowsTable(const model::Table& t, const model::Table* compare) {
  if (t.empty()) return "<p class=\"muted\">(no rows)</p>";
  std::string o = "<table class=\"rows\"><tr><th>key</th><th>value written at step</th></tr>";
  for (const auto& [k, w] : t) {
    const bool differs = compare && (!compare->count(k) || compare->at(k) != w);
    o += "<tr><td>" + std::to_string(k) + "</td><td" + (differs ? " class=\"diff\"" : "") + ">" +
         (w == model::kCorrupt ? std::string("CORRUPT") : std::to_string(w)) + "</td></tr>";
  }
  if (compare) {
    for (const auto& [k, w] : *compare) {
      if (!t.count(k)) o += "<tr><td>" + std::to_string(k) + "</td><td class=\"diff\">(no row)</td></tr>";
    }
  }
  return o + "</table>";
}

model::Table AsTable(const std::vector<model::Row>& rows) {
  model::Table t;
  for (const model::Row& r : rows) t[r.key] = r.written_at;
  return t;
}

// Expected and observed side by side, with the rows before and after.
std::string MismatchSection(const FindingStory& st) {
  if (!st.run.mismatch) return "";
  const model::Mismatch& m = *st.run.mismatch;
  const model::Schedule& s = st.schedule;
  std::string o = "<h2 id=\"mismatch\">Where reality left the model: " + Esc(m.where) + "</h2>";
  std::vector<model::Table> expected_tables;
  std::optional<model::Table> observed_table;
  const model::StoryStep* ws = nullptr;
  if (m.step >= 0 && static_cast<size_t>(m.step) < st.walk.size()) {
    ws = &st.walk[static_cast<size_t>(m.step)];
    const model::Observation& ob = st.run.observations[static_cast<size_t>(m.step)];
    for (const model::Prediction& p : ws->allowed) {
      if (p.rows) expected_tables.push_back(AsTable(*p.rows));
    }
    if (!expected_tables.empty()) observed_table = AsTable(ob.rows);
  } else if (m.failure_class == "final-scan:rows") {
    if (!st.walk.empty()) expected_tables = model::FinalTables(s, st.walk.back().after);
    observed_table = AsTable(st.run.final_rows);
  }
  o += "<div class=\"sbs\"><div class=\"exp\"><h3>Expected (the model of WAL)</h3><ul>";
  for (const std::string& e : m.expected) o += "<li><code>" + Esc(e) + "</code></li>";
  o += "</ul>";
  for (size_t i = 0; i < expected_tables.size() && i < 4; ++i) {
    o += "<p>" + std::string(i ? "or the table" : "table") + ":</p>" + RowsTable(expected_tables[i], nullptr);
  }
  if (expected_tables.size() > 4) o += "<p class=\"muted\">(" + std::to_string(expected_tables.size() - 4) + " more allowed tables)</p>";
  o += "</div><div class=\"obs\"><h3>Observed (real SQLite)</h3><p><code>" + Esc(m.observed) + "</code></p>";
  for (const std::string& d : m.details) o += "<p>" + Esc(d) + "</p>";
  if (observed_table) {
    o += "<p>table (cells that no allowed table has in red):</p>" +
         RowsTable(*observed_table, expected_tables.empty() ? nullptr : &expected_tables.front());
  }
  o += "</div></div>";
  if (ws && !ws->before.empty()) {
    o += "<h3>Before this step, by the model</h3><p>" + Esc(model::DescribeWal(s, ws->before.front())) + "</p><ul>";
    for (size_t w = 0; w < s.workers.size(); ++w) {
      o += "<li><b>" + Esc(s.workers[w].name) + "</b> " + Esc(model::DescribeConn(ws->before, static_cast<int>(w))) + "</li>";
    }
    o += "</ul><p>Committed table before the step:</p>" + RowsTable(ws->before.front().committed, nullptr);
  } else if (!st.walk.empty()) {
    o += "<h3>Committed table before the end-of-run check, by the model</h3>" +
         RowsTable(st.walk.back().after.front().committed, nullptr);
  }
  return o;
}

std::string StepsTable(const FindingStory& st) {
  const model::Schedule& s = st.schedule;
  std::string o = "<h2>Step by step</h2><table id=\"steps\"><tr><th>#</th><th>worker</th><th>what it did</th>"
                  "<th>what SQLite answered</th><th>what the worker holds afterwards (by the model)</th></tr>";
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const model::Step& step = s.steps[i];
    const bool mm = OutcomeClass(st, i) == "mismatch";
    std::string outcome = "(not run)", holds;
    if (i < st.run.observations.size()) outcome = OutcomeWords(step.op.kind, st.run.observations[i]);
    if (i < st.walk.size() && !mm) {
      if (step.op.kind == OpKind::kPowerLoss) {
        for (size_t w = 0; w < s.workers.size(); ++w) {
          holds += (w ? "; " : "") + s.workers[w].name + ": " + model::DescribeConn(st.walk[i].after, static_cast<int>(w));
        }
      } else {
        holds = model::DescribeConn(st.walk[i].after, step.worker);
      }
    }
    if (mm) holds = "— reality left the model here —";
    o += "<tr id=\"row-" + std::to_string(i) + "\"" + (mm ? " class=\"mm\"" : "") + "><td>" + std::to_string(i) +
         "</td><td>" + Esc(s.workers[step.worker].name) + "</td><td><code>" + Esc(model::PrintStep(s, step)) +
         "</code><br>" + Esc(StepAction(s, i)) + "</td><td>" + Esc(outcome) + "</td><td>" + Esc(holds) + "</td></tr>";
  }
  return o + "</table>";
}

std::string Script() {
  return R"(<script>
(function () {
  var boxes = document.querySelectorAll('g.step');
  for (var i = 0; i < boxes.length; i++) {
    boxes[i].addEventListener('click', function (ev) {
      var row = document.getElementById('row-' + ev.currentTarget.getAttribute('data-step')) || document.getElementById('mismatch');
      if (!row) return;
      var old = document.querySelectorAll('tr.flash');
      for (var j = 0; j < old.length; j++) old[j].classList.remove('flash');
      row.classList.add('flash');
      row.scrollIntoView({block: 'center'});
    });
  }
  document.getElementById('js-status').textContent = boxes.length + ' steps drawn; click a box to jump to its row.';
  document.body.setAttribute('data-harvey-rendered', 'ok');
})();
</script>)";
}

}  // namespace

std::string StoryHtml(const FindingStory& st) {
  const model::Schedule& s = st.schedule;
  const bool failed = st.run.mismatch.has_value();
  std::string o = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
                  "'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
                  "<title>harvey finding: " + Esc(st.file) + "</title><style>" + Css() +
                  "</style></head>\n<body data-harvey-rendered=\"no\">\n";
  o += "<h1>harvey finding <code>" + Esc(st.file) + "</code></h1>";
  o += std::string("<p><span class=\"verdict ") + (failed ? "fail\">REPRODUCED" : "pass\">DID NOT REPRODUCE") +
       "</span> replayed on <b>" + Esc(st.boundary) + "</b> (" + std::to_string(st.run.steps_run) + " of " +
       std::to_string(s.steps.size()) + " steps run" +
       (st.slices.empty() ? "" : ", " + std::to_string(st.slices.size()) + " slices") + ") <span id=\"js-status\" class=\"muted\"></span></p>";
  if (!st.header.summary.empty()) o += "<p class=\"muted\">Header: " + Esc(st.header.summary) + "</p>";
  if (failed) {
    o += "<div class=\"lead\"><b>What it means for an application:</b> " + Esc(st.meaning) + "</div>";
  } else {
    o += "<div class=\"lead\">The replay <b>passed</b>: every observation matched the model, so this finding did "
         "not reproduce here.</div>";
  }
  o += "<h2>Workers and steps</h2><p>" + std::to_string(s.workers.size()) +
       " workers, each one process with its own SQLite connection to one WAL database; <code>synchronous=" +
       model::ToString(s.config.synchronous) + "</code>" +
       (s.config.defect != model::Defect::kNone ? std::string(", calibration defect <code>") + model::ToString(s.config.defect) + "</code>" : "") +
       ".</p>";
  o += Lanes(st);
  o += MismatchSection(st);
  if (failed) {
    o += "<h2>Fix</h2>";
    if (st.calibration) {
      o += "<div class=\"fix\"><b>Known cause</b> (calibration class <code>" + Esc(st.calibration->name) + "</code>): " +
           Esc(st.calibration->explanation) + "<br><b>Fix:</b> " + Esc(st.calibration->fix) + "</div>";
    } else {
      o += "<div class=\"fix\">No calibration class matches this setup: this may be an anomaly in SQLite itself or a "
           "gap in harvey's model. Keep the file and report it.</div>";
    }
  }
  o += "<h2>Replay</h2><pre>" + Esc(st.replay) + "\n" + Esc("harvey explain " + st.file + " --html OUT.html") + "</pre>";
  o += Slices(st);
  o += StepsTable(st);
  o += "<h2>The schedule file</h2><pre>" + Esc(model::PrintSchedule(s)) + "</pre>";
  o += Script();
  o += "\n</body></html>\n";
  return o;
}

}  // namespace harvey::harness
