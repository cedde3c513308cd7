#include "harness/cli/matrix_cell.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/boundary/placements.h"
#include "harness/os/process.h"
#include "harness/coordinator/runner.h"
#include "harness/report/report.h"

namespace harvey::harness {
namespace {

constexpr int kSubprocessTimeoutMs = 120000;

void Judge(MatrixCell* c) {
  c->contradicts = (c->expected == "pass" && c->status == "FAIL") ||
                   (c->expected == "fail" && c->status == "pass");
}

// Runs the case in another build's executable on inproc and reads its --json.
MatrixCell RunElsewhere(const std::string& file, const std::string& build, const MatrixColumn& col,
                        const std::string& scratch, MatrixCell c) {
  std::vector<std::string> argv = {SqliteBinary(build), "run", file, "--boundary", "inproc", "--json",
                                   "--scratch", scratch};
  if (!col.sqlite.empty()) argv.insert(argv.end(), {"--sqlite", col.sqlite});
  const CommandResult r = RunCommand(argv, kSubprocessTimeoutMs);
  nlohmann::json j;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("{\"", 0) == 0) j = nlohmann::json::parse(line, nullptr, false);
  }
  if (!j.is_object() || !j.contains("verdict")) {
    c.status = "ERROR";
    c.reason = argv[0] + " run exited " + std::to_string(r.exit_code) + " without a verdict";
    return c;
  }
  const std::string verdict = j.value("verdict", "");
  c.trace = std::stoull(j.value("trace", "0"), nullptr, 16);
  for (const auto& w : j.value("sqlite", nlohmann::json::array())) {
    c.sqlite.push_back(SqliteBuildFromJson(w));
  }
  if (verdict == "pass") {
    c.status = "pass";
  } else if (verdict == "mismatch" && j.contains("mismatch")) {
    const nlohmann::json& m = j["mismatch"];
    c.status = "FAIL";
    c.reason = m.value("class", "");
    c.detail = m.value("where", "") + ": expected ";  // as model::Mismatch::Summary()
    const nlohmann::json expected = m.value("expected", nlohmann::json::array());
    for (size_t i = 0; i < expected.size(); ++i) c.detail += (i ? " or " : "") + expected[i].get<std::string>();
    c.detail += ", observed " + m.value("observed", "");
  } else {
    c.status = "ERROR";
    c.reason = j.value("error", "exit " + std::to_string(r.exit_code));
  }
  Judge(&c);
  return c;
}

}  // namespace

std::string MatrixExpected(const model::Schedule& s, const std::string& boundary) {
  for (const std::string& b : {boundary, std::string("fork")}) {
    for (const model::Expect& e : s.expects) {
      if (e.boundary == b) return model::ToString(e.verdict);
    }
  }
  return "pass";
}

MatrixCell RunMatrixCell(const std::string& file, const model::Schedule& original, const MatrixColumn& col,
                         Backend& backend, const std::string& scratch) {
  MatrixCell c;
  c.expected = MatrixExpected(original, col.boundary);
  model::Schedule s = original;
  ApplySqlite(&s, col.sqlite);
  int code = 0;
  std::string why = CheckPlacement(col.boundary, &s, &code);
  if (why.empty()) why = CheckScheduleSqlite(s, &code);
  const std::vector<std::string> builds = ScheduleSqlites(s);
  if (why.empty() && col.boundary == "inproc" && builds.size() > 1) {
    why = "inproc runs every worker on one SQLite; this case mixes builds";
  }
  if (!why.empty()) {
    c.status = "skipped";
    c.reason = why;
    return c;
  }
  if (col.boundary == "inproc" && builds[0] != BuildSqliteName()) {
    return RunElsewhere(file, builds[0], col, scratch, c);
  }
  const RunResult r = RunSchedule(s, backend, scratch);
  c.trace = r.trace;
  c.sqlite = r.sqlite;
  switch (r.verdict) {
    case Verdict::kPass: c.status = "pass"; break;
    case Verdict::kMismatch:
      c.status = "FAIL";
      c.reason = r.mismatch->failure_class;
      c.detail = r.mismatch->Summary();
      break;
    case Verdict::kError:
      c.status = "ERROR";
      c.reason = r.error;
      break;
  }
  Judge(&c);
  return c;
}

}  // namespace harvey::harness
