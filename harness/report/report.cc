#include "harness/report/report.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "harness/os/files.h"
#include "model/format.h"

namespace harvey::harness {

std::string MismatchReport(const model::Mismatch& m) {
  std::string r = "MISMATCH at " + m.where + " [" + m.failure_class + "]\n";
  for (size_t i = 0; i < m.expected.size(); ++i) {
    r += (i == 0 ? "  expected: " : "        or: ") + m.expected[i] + "\n";
  }
  r += "  observed: " + m.observed + "\n";
  for (const std::string& d : m.details) r += "  " + d + "\n";
  return r;
}

std::string ContextNotes(const model::Schedule& s) {
  std::string notes;
  if (s.config.synchronous == model::Synchronous::kOff) {
    notes += "  note: synchronous=OFF is an UNSAFE configuration: SQLite does not promise "
             "durability or integrity across power loss with it\n";
  }
  if (s.config.defect != model::Defect::kNone) {
    notes += std::string("  note: calibration defect '") + model::ToString(s.config.defect) +
             "' was active: this finding shows harvey's detection power, not a SQLite bug\n";
  }
  return notes;
}

nlohmann::json ToJson(const model::Mismatch& m) {
  return nlohmann::json{{"step", m.step},           {"oracle", m.oracle},
                        {"class", m.failure_class}, {"where", m.where},
                        {"expected", m.expected},   {"observed", m.observed},
                        {"details", m.details}};
}

namespace {
// One comment line: no line breaks, at most ~400 bytes.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (s.size() > 400) s = s.substr(0, 400) + "...";
  return s;
}
}  // namespace

nlohmann::json ToJson(const SqliteBuild& b) {
  return {{"sqlite", b.name}, {"version", b.version}, {"source_id", b.source_id}};
}

SqliteBuild SqliteBuildFromJson(const nlohmann::json& j) {
  return SqliteBuild{.name = j.value("sqlite", ""), .version = j.value("version", ""),
                     .source_id = j.value("source_id", "")};
}

nlohmann::json SqliteJson(const model::Schedule& s, const std::vector<SqliteBuild>& sqlite) {
  nlohmann::json out = nlohmann::json::array();
  for (const model::Worker& w : s.workers) {
    SqliteBuild b{.name = WorkerSqlite(w)};
    for (const SqliteBuild& known : sqlite) {
      if (known.name == b.name) b = known;
    }
    nlohmann::json j = ToJson(b);
    j["worker"] = w.name;
    out.push_back(std::move(j));
  }
  return out;
}

std::string FindingText(const model::Schedule& s, const model::Mismatch& m,
                        const std::string& found_by, const std::string& boundary,
                        const std::vector<SqliteBuild>& sqlite) {
  std::string t = model::PrintSchedule(s);
  std::string header;
  header += "# harvey finding: " + OneLine(m.Summary()) + "\n";
  for (const std::string& d : m.details) header += "#   " + OneLine(d) + "\n";
  header += "# class: " + m.failure_class + "\n";
  header += "# found by: " + found_by + "\n";
  header += DescribeSqlite(s, sqlite, "# ");
  header += "# replay: harvey run THIS_FILE --boundary " + boundary + "\n";
  // The header line must stay first: insert the comments after it.
  const size_t nl = t.find('\n');
  return t.substr(0, nl + 1) + header + t.substr(nl + 1);
}

Result<model::Schedule> LoadScheduleFile(const std::string& path) {
  std::string text;
  if (!ReadWholeFile(path, &text)) return Error{path + ": cannot read: " + std::strerror(errno)};
  return model::ParseSchedule(text, path);
}

}  // namespace harvey::harness
