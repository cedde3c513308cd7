// `harvey versions`, and the --sqlite handling shared by run, shrink and fuzz
// (see harness/worker/sqlite_build.h for how builds are found).
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "harness/cli/cli.h"
#include "harness/report/report.h"
#include "harness/worker/sqlite_build.h"

namespace harvey::harness {
namespace {

// "system (w1), 3.54.1 (w2, w3)": which worker runs which build.
std::string WhoRunsWhat(const model::Schedule& s) {
  std::string out;
  for (const std::string& b : ScheduleSqlites(s)) {
    std::string who;
    for (const model::Worker& w : s.workers) {
      if (WorkerSqlite(w) == b) who += (who.empty() ? "" : ", ") + w.name;
    }
    out += (out.empty() ? "" : ", ") + b + " (" + who + ")";
  }
  return out;
}

}  // namespace

int SelectSqlite(const char* cmd, const std::string& spec, const std::string& boundary,
                 model::Schedule* s) {
  int code = 0;
  if (!spec.empty()) {
    if (std::string e = CheckSqliteSpec(spec, &code); !e.empty()) {
      std::fprintf(stderr, "harvey %s: %s\n", cmd, e.c_str());
      return code;
    }
  }
  // What the workers will run: fuzz's schedules get `spec` for every worker.
  model::Schedule probe;
  if (s == nullptr) {
    for (int i = 0; i < model::kMaxWorkers; ++i) probe.workers.push_back({"w" + std::to_string(i + 1)});
    s = &probe;
  }
  ApplySqlite(s, spec);
  if (std::string e = CheckScheduleSqlite(*s, &code); !e.empty()) {
    std::fprintf(stderr, "harvey %s: %s\n", cmd, e.c_str());
    return code;
  }
  if (boundary != "inproc") return -1;
  const std::vector<std::string> builds = ScheduleSqlites(*s);
  if (builds.size() > 1) {
    std::fprintf(stderr,
                 "harvey %s: inproc runs every worker in one process, so on one SQLite; this run "
                 "mixes %s (use --boundary fork)\n",
                 cmd, WhoRunsWhat(*s).c_str());
    return kExitUsage;
  }
  if (builds[0] == BuildSqliteName()) return -1;
  const std::string e = ReexecUnder(builds[0]);  // returns only on failure
  std::fprintf(stderr, "harvey %s: %s\n", cmd, e.c_str());
  return kExitEnvironment;
}

int CmdVersions(const VersionsArgs& a) {
  const std::vector<SqliteBuild> builds = AvailableSqlite();
  if (a.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const SqliteBuild& b : builds) {
      nlohmann::json j = ToJson(b);
      j["binary"] = SqliteBinary(b.name);
      j["this"] = b.name == BuildSqliteName();
      list.push_back(std::move(j));
    }
    std::cout << nlohmann::json{{"versions", list}}.dump() << "\n";
  } else {
    for (const SqliteBuild& b : builds) {
      std::printf("%-8s %-8s %s  %s\n", b.name.c_str(), b.version.empty() ? "?" : b.version.c_str(),
                  b.source_id.empty() ? "(did not answer)" : b.source_id.c_str(),
                  SqliteBinary(b.name).c_str());
    }
  }
  int code = kExitPass;
  for (const std::string& n : a.names) {
    int c = 0;
    if (std::string e = CheckSqliteSpec(n, &c); !e.empty()) {
      std::fprintf(stderr, "harvey versions: %s\n", e.c_str());
      code = std::max(code, c);
    }
  }
  for (const SqliteBuild& b : builds) {
    if (b.version.empty()) {
      std::fprintf(stderr, "harvey versions: %s does not answer __version (rebuild it)\n",
                   SqliteBinary(b.name).c_str());
      code = std::max(code, kExitHarness);
    }
  }
  return code;
}

}  // namespace harvey::harness
