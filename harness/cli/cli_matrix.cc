// `harvey matrix [DIR] --boundaries fork,ns,oci,sshfs [--sqlite a,b] [--json]`:
// replays every corpus case (*.sched under DIR, recursively) on every
// boundary (x every SQLite build given) and prints a case x column table
// (harness/cli/matrix_cell.h runs a cell). One backend per column serves every
// case (workers and sandboxes persist; only the database is reset).
//
// A case's `expect BOUNDARY pass|fail` lines say what each boundary should
// give; a boundary without one is expected to give what `fork` is expected
// to (a case that fails by design, e.g. a calibration defect, fails
// everywhere), and with no expect line at all, to pass. Exit 1 when a result
// contradicts its expectation, else 4 when a cell could not run (harness
// error), else 0. Skipped cells (a tool missing here) contradict nothing.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "harness/cli/cli.h"
#include "harness/report/junit.h"
#include "harness/os/interrupt.h"
#include "harness/boundary/placements.h"
#include "harness/cli/matrix_cell.h"
#include "harness/report/report.h"
#include "harness/coordinator/runner.h"
#include "harness/os/scratch.h"

namespace harvey::harness {
namespace fs = std::filesystem;

namespace {

using Cell = MatrixCell;

struct Case {
  std::string file;
  std::optional<model::Schedule> schedule;
  std::string load_error;
  std::map<std::string, Cell> cells;  // by column label
  std::map<std::string, double> seconds;  // by column label: how long the cell ran
};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Boundaries x SQLite builds; without --sqlite, one column per boundary.
std::vector<MatrixColumn> Columns(const std::vector<std::string>& boundaries,
                                  const std::vector<std::string>& sqlites) {
  std::vector<MatrixColumn> out;
  for (const std::string& b : boundaries) {
    if (sqlites.empty()) out.push_back({b, "", b});
    for (const std::string& v : sqlites) out.push_back({b, v, b + "/" + v});
  }
  return out;
}

std::string CellText(const Cell& c) {
  std::string t = c.status;
  if (c.status == "FAIL" || c.status == "ERROR") t += " " + c.reason;
  if (c.status == "skipped") t = "skipped";
  if (c.contradicts) t = "!" + t;
  else if (c.expected == "fail" && c.status == "FAIL") t += " (expected)";
  if (t.size() > 34) t = t.substr(0, 31) + "...";
  return t;
}

void PrintTable(const std::vector<Case>& cases, const std::vector<std::string>& boundaries) {
  // (`boundaries` are the column labels.)
  size_t w0 = 4;
  for (const Case& c : cases) w0 = std::max(w0, c.file.size());
  std::vector<size_t> w;
  for (const std::string& b : boundaries) {
    size_t width = b.size();
    for (const Case& c : cases) {
      if (auto it = c.cells.find(b); it != c.cells.end()) width = std::max(width, CellText(it->second).size());
    }
    w.push_back(width);
  }
  std::printf("%-*s", static_cast<int>(w0), "case");
  for (size_t i = 0; i < boundaries.size(); ++i) std::printf("  %-*s", static_cast<int>(w[i]), boundaries[i].c_str());
  std::printf("\n");
  for (const Case& c : cases) {
    std::printf("%-*s", static_cast<int>(w0), c.file.c_str());
    if (!c.load_error.empty()) {
      std::printf("  cannot load: %s\n", c.load_error.c_str());
      continue;
    }
    for (size_t i = 0; i < boundaries.size(); ++i) {
      auto it = c.cells.find(boundaries[i]);
      const std::string t = it == c.cells.end() ? "-" : CellText(it->second);
      std::printf("  %-*s", static_cast<int>(w[i]), t.c_str());
    }
    std::printf("\n");
  }
}

// The lines under the table: every contradiction, failure, error and skip
// reason, and cases whose passing columns disagree on the trace although
// they ran the same SQLite builds.
void PrintNotes(const std::vector<Case>& cases, const std::vector<std::string>& boundaries) {
  std::map<std::string, std::string> skipped;  // boundary -> why (first)
  for (const Case& c : cases) {
    for (const std::string& b : boundaries) {
      auto it = c.cells.find(b);
      if (it == c.cells.end()) continue;
      const Cell& cell = it->second;
      if (cell.status == "skipped") {
        skipped.emplace(b, cell.reason);
        continue;
      }
      if (cell.status == "pass" && !cell.contradicts) continue;
      std::string line = c.file + " on " + b + ": " + cell.status;
      line += cell.detail.empty() ? (cell.reason.empty() ? "" : ": " + cell.reason) : ": " + cell.detail;
      if (cell.contradicts) line += "  [CONTRADICTS expect " + b + " " + cell.expected + "]";
      std::printf("  %s\n", line.c_str());
    }
  }
  for (const auto& [b, why] : skipped) std::printf("  %s skipped: %s\n", b.c_str(), why.c_str());
  std::vector<SqliteBuild> builds;  // which SQLite ran, for every column
  for (const Case& c : cases) {
    for (const auto& [b, cell] : c.cells) builds.insert(builds.end(), cell.sqlite.begin(), cell.sqlite.end());
  }
  std::fputs(DescribeBuilds(builds, "  ").c_str(), stdout);
  // Same schedule, same SQLite => same trace on every boundary that passes.
  for (const Case& c : cases) {
    std::map<std::string, std::map<uint64_t, std::vector<std::string>>> by_build;
    for (const auto& [b, cell] : c.cells) {
      std::string builds;
      for (const SqliteBuild& sb : cell.sqlite) builds += sb.name + ":" + sb.source_id + ";";
      if (cell.status == "pass") by_build[builds][cell.trace].push_back(b);
    }
    for (const auto& [builds, by_trace] : by_build) {
      if (by_trace.size() <= 1) continue;
      std::string line = c.file + ": passing boundaries disagree on the trace (same SQLite):";
      for (const auto& [t, bs] : by_trace) {
        line += " " + TraceHex(t) + " (";
        for (size_t i = 0; i < bs.size(); ++i) line += (i ? "," : "") + bs[i];
        line += ")";
      }
      std::printf("  note: %s\n", line.c_str());
    }
  }
}

nlohmann::json ToJson(const std::vector<Case>& cases, const std::vector<std::string>& boundaries) {
  nlohmann::json rows = nlohmann::json::array();
  for (const Case& c : cases) {
    nlohmann::json row{{"file", c.file}};
    if (!c.load_error.empty()) row["load_error"] = c.load_error;
    nlohmann::json results = nlohmann::json::object();
    for (const auto& [b, cell] : c.cells) {
      nlohmann::json j{{"status", cell.status}, {"expected", cell.expected},
                       {"contradicts", cell.contradicts}};
      if (!cell.reason.empty()) j["reason"] = cell.reason;
      if (!cell.detail.empty()) j["detail"] = cell.detail;
      if (cell.status == "pass" || cell.status == "FAIL") j["trace"] = TraceHex(cell.trace);
      nlohmann::json sqlite = nlohmann::json::array();  // cell.sqlite is per worker, in order
      for (size_t i = 0; c.schedule && i < cell.sqlite.size() && i < c.schedule->workers.size(); ++i) {
        const SqliteBuild& sb = cell.sqlite[i];
        sqlite.push_back({{"worker", c.schedule->workers[i].name}, {"sqlite", sb.name},
                          {"version", sb.version}, {"source_id", sb.source_id}});
      }
      if (!sqlite.empty()) j["sqlite"] = sqlite;
      results[b] = j;
    }
    row["results"] = results;
    rows.push_back(row);
  }
  return nlohmann::json{{"boundaries", boundaries}, {"cases", rows}};
}

// --junit: a testcase per cell (case x column); a load error is an error case.
JunitSuite MatrixJunit(const std::vector<Case>& cases, const std::vector<MatrixColumn>& columns) {
  JunitSuite suite;
  suite.name = "harvey matrix";
  suite.timestamp = JunitTimestamp();
  for (const Case& c : cases) {
    if (!c.load_error.empty()) {
      JunitCase j{.name = c.file, .classname = "harvey.matrix.load"};
      j.kind = JunitCase::Kind::kError;
      j.message = c.load_error;
      j.type = "input-error";
      j.text = c.load_error;
      suite.cases.push_back(j);
      continue;
    }
    for (const MatrixColumn& col : columns) {
      auto it = c.cells.find(col.label);
      if (it == c.cells.end()) continue;
      const Cell& cell = it->second;
      JunitCase j{.name = c.file, .classname = "harvey.matrix." + col.label};
      if (auto t = c.seconds.find(col.label); t != c.seconds.end()) j.time_s = t->second;
      const std::string replay = "harvey run " + c.file + " --boundary " + col.boundary +
                                 (col.sqlite.empty() ? "" : " --sqlite " + col.sqlite);
      if (cell.status == "skipped") {
        j.kind = JunitCase::Kind::kSkipped;
        j.message = cell.reason;
      } else if (cell.status == "ERROR") {
        j.kind = JunitCase::Kind::kError;
        j.message = "harness error (harvey's problem, not a finding): " + cell.reason;
        j.type = "harness-error";
        j.text = j.message + "\nreplay: " + replay + "\n";
      } else if (cell.contradicts) {
        j.kind = JunitCase::Kind::kFailure;
        j.message = "expect " + col.boundary + " " + cell.expected + ", but it " +
                    (cell.status == "pass" ? std::string("passed") : "failed: " + cell.detail);
        j.type = cell.status == "pass" ? "unexpected-pass" : cell.reason;
        j.text = j.message + "\nreplay: " + replay + "\nexplain: harvey explain " + c.file + " --boundary " +
                 col.boundary + " --html OUT.html\n";
      } else {
        j.system_out = cell.status == "FAIL" ? "failed as its expect line says: " + cell.detail + "\n" : "";
        j.system_out += "trace " + TraceHex(cell.trace) + "\n";
      }
      suite.cases.push_back(j);
    }
  }
  return suite;
}

std::vector<std::string> CorpusFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".sched") files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int CmdMatrix(const MatrixArgs& a) {
  std::error_code ec;
  if (!fs::is_directory(a.dir, ec)) {
    std::fprintf(stderr, "harvey matrix: %s: not a directory\n", a.dir.c_str());
    return kExitUsage;
  }
  const std::vector<std::string> boundary_list = SplitComma(a.boundaries);
  if (boundary_list.empty()) {
    std::fprintf(stderr, "harvey matrix: --boundaries is empty\n");
    return kExitUsage;
  }
  const std::vector<std::string> sqlites = SplitComma(a.sqlite);
  for (const std::string& v : sqlites) {
    int code = 0;
    if (std::string why = CheckSqliteSpec(v, &code); !why.empty()) {
      std::fprintf(stderr, "harvey matrix: %s\n", why.c_str());
      return code;
    }
  }
  const std::vector<MatrixColumn> columns = Columns(boundary_list, sqlites);
  std::vector<std::string> boundaries;  // the column labels
  for (const MatrixColumn& col : columns) boundaries.push_back(col.label);
  for (const std::string& b : boundary_list) {
    int code = 0;
    std::string why = CheckPlacement(b, nullptr, &code);
    if (code == kExitUsage) {
      std::fprintf(stderr, "harvey matrix: %s\n", why.c_str());
      return kExitUsage;
    }
  }
  std::vector<Case> cases;
  for (const std::string& f : CorpusFiles(a.dir)) {
    Case c{.file = f};
    Result<model::Schedule> s = LoadScheduleFile(f);
    if (s.ok()) c.schedule = s.value();
    else c.load_error = s.error();
    cases.push_back(std::move(c));
  }
  if (cases.empty()) {
    std::fprintf(stderr, "harvey matrix: no *.sched files under %s\n", a.dir.c_str());
    return kExitUsage;
  }
  auto scratch = ScratchDir::Create(a.scratch_parent);
  if (!scratch.ok()) {
    std::fprintf(stderr, "harvey matrix: %s\n", scratch.error().c_str());
    return kExitEnvironment;
  }
  for (const MatrixColumn& col : columns) {
    std::string error;
    std::unique_ptr<Backend> backend = MakeBackend(col.boundary, &error);
    for (Case& c : cases) {
      if (Interrupted()) break;
      if (!c.schedule) continue;
      std::fprintf(stderr, "matrix: %s on %s\n", c.file.c_str(), col.label.c_str());
      const auto start = std::chrono::steady_clock::now();
      c.cells[col.label] = RunMatrixCell(c.file, *c.schedule, col, *backend, scratch.value()->path());
      c.seconds[col.label] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    backend.reset();  // tear this column down before starting the next
    if (Interrupted()) break;
  }
  int contradictions = 0, errors = 0, load_errors = 0;
  for (const Case& c : cases) {
    load_errors += c.load_error.empty() ? 0 : 1;
    for (const auto& [b, cell] : c.cells) {
      contradictions += cell.contradicts ? 1 : 0;
      errors += cell.status == "ERROR" ? 1 : 0;
    }
  }
  if (!a.junit.empty()) {
    if (std::string e = WriteJunit(a.junit, {MatrixJunit(cases, columns)}); !e.empty()) {
      std::fprintf(stderr, "harvey matrix: %s\n", e.c_str());
      return kExitEnvironment;
    }
  }
  if (a.json) {
    nlohmann::json j = ToJson(cases, boundaries);
    j["contradictions"] = contradictions;
    j["errors"] = errors;
    j["interrupted"] = Interrupted();
    std::cout << j.dump() << "\n";
  } else {
    PrintTable(cases, boundaries);
    PrintNotes(cases, boundaries);
    std::printf("%zu cases x %zu columns: %d contradicting their expect lines, %d errors\n",
                cases.size(), boundaries.size(), contradictions, errors);
  }
  if (Interrupted()) return 128 + InterruptSignal();
  if (load_errors > 0) return kExitUsage;
  if (errors > 0) {  // harvey's own failure outranks any verdict: the table is incomplete
    std::fprintf(stderr, "harvey matrix: %d cells ended in a harness error (harvey's problem, not a finding)\n",
                 errors);
    return kExitHarness;
  }
  if (contradictions > 0) return kExitMismatch;
  return kExitPass;
}

}  // namespace harvey::harness
