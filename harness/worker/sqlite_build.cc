#include "harness/worker/sqlite_build.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/os/process.h"
#include "model/format.h"

// Defined weakly as "system" in sqlite_build_default.cc; a harvey-sqlite-V
// executable links a strong definition (sqlite_build_name.cc).
extern "C" const char* harvey_sqlite_build_name();

namespace harvey::harness {
namespace fs = std::filesystem;

namespace {

constexpr const char* kVersionedPrefix = "harvey-sqlite-";
bool g_this_is_the_cli = false;  // MarkThisExecutableTheCli()
constexpr const char* kReexecEnv = "HARVEY_REEXEC";

std::string FileName(const std::string& name) {
  return name == kSystemSqlite ? std::string("harvey") : kVersionedPrefix + name;
}

// "a+b+c" -> {"a", "b", "c"}; "" -> {}.
std::vector<std::string> SplitPlus(std::string_view spec) {
  std::vector<std::string> out;
  size_t start = 0;
  while (!spec.empty() && start <= spec.size()) {
    size_t end = spec.find('+', start);
    if (end == std::string_view::npos) end = spec.size();
    out.emplace_back(spec.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Asks `binary` which build it is ("name\tversion\tsource_id").
SqliteBuild AskBuild(const std::string& binary, const std::string& name) {
  SqliteBuild b{.name = name};
  const CommandResult r = RunCommand({binary, "__version"}, 10000);
  if (r.exit_code != 0) return b;
  std::istringstream in(r.output);
  std::string got_name;
  std::getline(in, got_name, '\t');
  std::getline(in, b.version, '\t');
  std::getline(in, b.source_id, '\n');
  if (got_name != name) b.version.clear();  // misnamed: show it as not answering
  return b;
}

}  // namespace

const char* BuildSqliteName() { return harvey_sqlite_build_name(); }

void MarkThisExecutableTheCli() { g_this_is_the_cli = true; }

SqliteBuild ThisSqlite() {
  return SqliteBuild{BuildSqliteName(), sqlite3_libversion(), sqlite3_sourceid()};
}

std::string CheckThisSqlite() {
  const SqliteBuild b = ThisSqlite();
  if (b.name == kSystemSqlite || b.name == b.version) return "";
  // A tagged build ("3.54.1-mutants") links the version before the tag.
  if (b.name.rfind(b.version + "-", 0) == 0) return "";
  return "this executable is named for SQLite " + b.name + " but links SQLite " + b.version +
         " (a build error: rebuild it)";
}

std::string WorkerSqlite(const model::Worker& w) { return w.sqlite.empty() ? kSystemSqlite : w.sqlite; }

std::string SqliteBinary(const std::string& name) {
  const std::string file = FileName(name);
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  // This executable when it is that build: named for it, or a harvey CLI under
  // another name (the fuzz build's harvey_fuzz replays schedule_fuzzer
  // findings with itself). Never a test binary: it would run as a worker host.
  if (!ec && name == BuildSqliteName() && (self.filename() == file || g_this_is_the_cli)) {
    return self.string();
  }
  const std::string harvey = HarveyBinary();
  if (harvey.empty()) return "";
  const fs::path p = fs::path(harvey).parent_path() / file;
  return ::access(p.c_str(), X_OK) == 0 ? p.string() : "";
}

std::string SqliteNotBuiltMessage(const std::string& name) {
  return "SQLite " + name + " is not built here (no " + FileName(name) +
         " beside harvey; `harvey versions` lists the builds): run ci/fetch-sqlite " + name +
         " (pinned ones: ci/fetch-sqlite --list), then cmake -DHARVEY_SQLITE_VERSIONS='" + name +
         ";...' and rebuild";
}

std::string CheckSqliteSpec(std::string_view spec, int* exit_code) {
  *exit_code = 2;
  const std::vector<std::string> parts = SplitPlus(spec);
  if (parts.empty()) return "--sqlite is empty (want system, a version such as 3.54.1, or a mix a+b)";
  for (const std::string& p : parts) {
    if (std::string e = model::CheckSqliteName(p); !e.empty()) return e;
  }
  *exit_code = 3;
  for (const std::string& p : parts) {
    if (SqliteBinary(p).empty()) return SqliteNotBuiltMessage(p);
  }
  *exit_code = 0;
  return "";
}

void ApplySqlite(model::Schedule* s, std::string_view spec) {
  const std::vector<std::string> parts = SplitPlus(spec);
  if (parts.empty()) return;
  for (size_t i = 0; i < s->workers.size(); ++i) {
    if (s->workers[i].sqlite.empty()) s->workers[i].sqlite = parts[i % parts.size()];
  }
}

std::string RunningSqlite(const model::Worker& w) { return w.sqlite.empty() ? BuildSqliteName() : w.sqlite; }

bool RunsShmBuild(const model::Schedule& s) {
  for (const model::Worker& w : s.workers) {
    if (RunningSqlite(w).ends_with("-shm")) return true;
  }
  return false;
}

std::vector<std::string> ScheduleSqlites(const model::Schedule& s) {
  std::vector<std::string> out;
  for (const model::Worker& w : s.workers) {
    const std::string b = WorkerSqlite(w);
    if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
  }
  return out;
}

std::string CheckScheduleSqlite(const model::Schedule& s, int* exit_code) {
  *exit_code = 0;
  for (const std::string& b : ScheduleSqlites(s)) {
    if (SqliteBinary(b).empty()) {
      *exit_code = 3;
      return SqliteNotBuiltMessage(b);
    }
  }
  return "";
}

std::vector<SqliteBuild> AvailableSqlite() {
  std::vector<std::string> names = {kSystemSqlite};
  const std::string harvey = HarveyBinary();
  std::error_code ec;
  if (!harvey.empty()) {
    std::vector<std::string> versions;
    for (const auto& e : fs::directory_iterator(fs::path(harvey).parent_path(), ec)) {
      const std::string f = e.path().filename().string();
      if (f.rfind(kVersionedPrefix, 0) != 0) continue;
      const std::string v = f.substr(std::strlen(kVersionedPrefix));
      if (model::CheckSqliteName(v).empty() && v != kSystemSqlite && ::access(e.path().c_str(), X_OK) == 0) {
        versions.push_back(v);
      }
    }
    // Newest first: compare the numeric parts; a tagged build ("3.54.1-mutants")
    // after the plain build of its version.
    auto key = [](const std::string& v) {
      std::vector<int> parts;
      std::istringstream in(v.substr(0, v.find('-')));
      std::string part;
      while (std::getline(in, part, '.')) parts.push_back(std::atoi(part.c_str()));
      parts.push_back(v.find('-') == std::string::npos ? 1 : 0);
      return parts;
    };
    std::sort(versions.begin(), versions.end(),
              [&](const std::string& a, const std::string& b) {
                if (key(a) != key(b)) return key(a) > key(b);
                return a < b;  // "V" before "V-shm"
              });
    names.insert(names.end(), versions.begin(), versions.end());
  }
  std::vector<SqliteBuild> out;
  for (const std::string& n : names) {
    if (n == BuildSqliteName()) {
      out.push_back(ThisSqlite());
    } else if (const std::string bin = SqliteBinary(n); !bin.empty()) {
      out.push_back(AskBuild(bin, n));
    }
  }
  return out;
}

std::string ReexecUnder(const std::string& name) {
  if (std::getenv(kReexecEnv) != nullptr) {
    return "refusing to re-exec twice (under SQLite " + name + "): " + FileName(name) +
           " does not say it is that build";
  }
  const std::string binary = SqliteBinary(name);
  if (binary.empty()) return SqliteNotBuiltMessage(name);
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(in, arg, '\0')) args.push_back(arg);
  if (args.empty()) return "cannot read /proc/self/cmdline";
  args[0] = binary;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::setenv(kReexecEnv, name.c_str(), 1);
  ::execv(binary.c_str(), argv.data());
  return "cannot run " + binary + ": " + std::strerror(errno);
}

std::string DescribeBuilds(const std::vector<SqliteBuild>& builds, const std::string& indent) {
  std::vector<SqliteBuild> seen;
  std::string out;
  for (const SqliteBuild& b : builds) {
    if (std::find(seen.begin(), seen.end(), b) != seen.end()) continue;
    seen.push_back(b);
    out += indent + "sqlite " + b.name + ": " + (b.version.empty() ? "?" : b.version) + " (" +
           (b.source_id.empty() ? std::string("source id unknown") : b.source_id) + ")\n";
  }
  return out;
}

std::string DescribeSqlite(const model::Schedule& s, const std::vector<SqliteBuild>& builds,
                           const std::string& indent) {
  std::string out;
  for (const model::Worker& w : s.workers) {
    SqliteBuild b{.name = WorkerSqlite(w)};
    for (const SqliteBuild& known : builds) {
      if (known.name == b.name) b = known;
    }
    out += indent + "sqlite " + w.name + ": ";
    out += b.name == b.version ? b.version : b.name + " " + (b.version.empty() ? "?" : b.version);
    out += " (" + (b.source_id.empty() ? std::string("source id unknown") : b.source_id) + ")\n";
  }
  return out;
}

}  // namespace harvey::harness
