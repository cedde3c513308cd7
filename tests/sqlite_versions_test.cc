// SQLite builds per worker (harness/worker/sqlite_build.h): mixed versions on one
// database, what reports say about them, `harvey versions`, and the errors
// for a build that is not here. The mixed-version tests need one
// harvey-sqlite-V beside harvey (CMake's HARVEY_SQLITE_VERSIONS; ci/build
// builds the newest pinned one) and are skipped without one.
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/backend/backend.h"
#include "harness/boundary/placements.h"
#include "harness/os/process.h"
#include "harness/coordinator/runner.h"
#include "harness/worker/sqlite_build.h"
#include "model/format.h"
#include "tests/test_util.h"

namespace harvey::harness {
namespace {

using testing::MakeScratch;
using testing::MustParse;

// A snapshot, a write it must not see, a stale writer, a crash inside a
// commit, a checkpoint and a power loss: every worker reads and writes what
// the other SQLite wrote.
const char* kMixed = R"(harvey-schedule 1
config seed 5
worker w1
worker w2
w1 write 1 100
w2 begin deferred
w2 read 1
w1 write 1 3000
w2 read 1
w2 write 2 20
w2 rollback
w2 write 2 5000
w1 checkpoint truncate
w2 kill at sync 1
w2 write 3 50
w2 open
w1 power-loss 42
w2 scan
w1 delete 2
w2 checkpoint passive
w1 scan
)";

// The newest harvey-sqlite-V here, or "".
std::string NewestBuilt() {
  for (const SqliteBuild& b : AvailableSqlite()) {
    if (b.name != kSystemSqlite) return b.name;
  }
  return "";
}

#define REQUIRE_VERSIONED_BUILD(v)                                                            \
  const std::string v = NewestBuilt();                                                        \
  if (v.empty()) GTEST_SKIP() << "no harvey-sqlite-V is built here (HARVEY_SQLITE_VERSIONS)"

std::string WithSqlite(const std::string& text, const std::string& lines) {
  std::string t = text;
  const std::string anchor = "worker w2\n";
  t.insert(t.find(anchor) + anchor.size(), lines);
  return t;
}

TEST(SqliteBuild, ThisProcessIsTheSystemBuild) {
  const SqliteBuild b = ThisSqlite();
  EXPECT_EQ(b.name, "system");
  EXPECT_EQ(b.version, sqlite3_libversion());
  EXPECT_EQ(b.source_id, sqlite3_sourceid());
  EXPECT_EQ(CheckThisSqlite(), "");
}

TEST(SqliteBuild, SpecsApplyOnlyToWorkersWithoutALine) {
  model::Schedule s = MustParse("harvey-schedule 1\nworker a\nworker b\nworker c\nsqlite b 3.39.1\n");
  ApplySqlite(&s, "system+3.54.1");
  EXPECT_EQ(s.workers[0].sqlite, "system");
  EXPECT_EQ(s.workers[1].sqlite, "3.39.1");  // its own line wins
  EXPECT_EQ(s.workers[2].sqlite, "system");  // part 2 mod 2
  EXPECT_EQ(ScheduleSqlites(s), (std::vector<std::string>{"system", "3.39.1"}));
  model::Schedule t = MustParse("harvey-schedule 1\nworker a\n");
  ApplySqlite(&t, "");
  EXPECT_EQ(t.workers[0].sqlite, "");
  EXPECT_EQ(WorkerSqlite(t.workers[0]), "system");
  int code = 0;
  EXPECT_NE(CheckSqliteSpec("3.x", &code).find("invalid SQLite '3.x'"), std::string::npos);
  EXPECT_EQ(code, 2);
  EXPECT_NE(CheckSqliteSpec("system+3.99.0", &code).find("SQLite 3.99.0 is not built here"),
            std::string::npos);
  EXPECT_EQ(code, 3);
  EXPECT_EQ(CheckSqliteSpec("system", &code), "");
}

TEST(SqliteBuild, ForkRefusesABuildThatIsNotHere) {
  auto scratch = MakeScratch();
  std::string error;
  auto fork = MakeBackend("fork", &error);
  const RunResult r = RunSchedule(MustParse(WithSqlite(kMixed, "sqlite w2 3.99.0\n")), *fork, scratch->path());
  EXPECT_EQ(r.verdict, Verdict::kError);
  EXPECT_NE(r.error.find("SQLite 3.99.0 is not built here"), std::string::npos) << r.error;
}

TEST(SqliteBuild, InprocRefusesAnotherBuildThanItsOwn) {
  auto scratch = MakeScratch();
  std::string error;
  auto inproc = MakeBackend("inproc", &error);
  std::string text = WithSqlite(kMixed, "sqlite w2 3.54.1\n");
  text.replace(text.find("w2 kill at sync 1\n"), 18, "");
  const RunResult r = RunSchedule(MustParse(text), *inproc, scratch->path());
  EXPECT_EQ(r.verdict, Verdict::kError);
  EXPECT_NE(r.error.find("worker w2 asks for 3.54.1"), std::string::npos) << r.error;
}

// Two workers, two SQLite versions, one database, on fork: passes, every
// worker reports the build it was asked for, and the trace names them.
TEST(SqliteBuild, MixedVersionsOnForkPass) {
  REQUIRE_VERSIONED_BUILD(v);
  auto scratch = MakeScratch();
  std::string error;
  auto fork = MakeBackend("fork", &error);
  const RunResult mixed = RunSchedule(MustParse(WithSqlite(kMixed, "sqlite w2 " + v + "\n")), *fork,
                                      scratch->path());
  ASSERT_EQ(mixed.verdict, Verdict::kPass) << mixed.error
                                           << (mixed.mismatch ? mixed.mismatch->Summary() : "");
  ASSERT_EQ(mixed.sqlite.size(), 2u);
  EXPECT_EQ(mixed.sqlite[0], ThisSqlite());
  EXPECT_EQ(mixed.sqlite[1].name, v);
  EXPECT_EQ(mixed.sqlite[1].version, v);
  EXPECT_NE(mixed.sqlite[1].source_id, mixed.sqlite[0].source_id);
  // Same observations on one SQLite, but the trace says which SQLite ran.
  const RunResult system = RunSchedule(MustParse(kMixed), *fork, scratch->path());
  ASSERT_EQ(system.verdict, Verdict::kPass);
  EXPECT_EQ(system.observations.size(), mixed.observations.size());
  EXPECT_NE(system.trace, mixed.trace);
  const RunResult again = RunSchedule(MustParse(WithSqlite(kMixed, "sqlite w2 " + v + "\n")), *fork,
                                      scratch->path());
  EXPECT_EQ(again.trace, mixed.trace);
}

class SqliteCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harvey_ = HarveyBinary();
    if (harvey_.empty()) GTEST_SKIP() << "the harvey executable was not found (set HARVEY_BINARY)";
    scratch_ = MakeScratch();
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = scratch_->path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  // Runs harvey; the JSON object on stdout (if any) goes to *json.
  CommandResult Harvey(std::vector<std::string> args, nlohmann::json* json = nullptr) {
    args.insert(args.begin(), harvey_);
    CommandResult r = RunCommand(args, 60000);
    if (json) {
      const size_t start = r.output.find("{\"");
      const size_t end = r.output.find('\n', start);
      if (start != std::string::npos) *json = nlohmann::json::parse(r.output.substr(start, end - start), nullptr, false);
    }
    return r;
  }
  std::string harvey_;
  std::unique_ptr<ScratchDir> scratch_;
};

TEST_F(SqliteCliTest, VersionsListsEveryBuildWithItsSourceId) {
  nlohmann::json j;
  const CommandResult r = Harvey({"versions", "--json"}, &j);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(j.is_object()) << r.output;
  ASSERT_GE(j["versions"].size(), 1u);
  EXPECT_EQ(j["versions"][0]["sqlite"], "system");
  EXPECT_EQ(j["versions"][0]["version"], sqlite3_libversion());
  EXPECT_EQ(j["versions"][0]["source_id"], sqlite3_sourceid());
  for (size_t i = 1; i < j["versions"].size(); ++i) {
    const nlohmann::json& b = j["versions"][i];
    // Each binary links what it is named for (a tagged build such as the
    // mutant schemata "3.54.1-mutants", the instrumented "3.54.1-shm": the version before the tag).
    const std::string name = b["sqlite"].get<std::string>();
    EXPECT_EQ(b["version"], name.substr(0, name.find('-'))) << b.dump();
    EXPECT_NE(b["source_id"], sqlite3_sourceid()) << b.dump();
    EXPECT_EQ(b["binary"].get<std::string>().find("harvey-sqlite-"), b["binary"].get<std::string>().rfind('/') + 1);
  }
  const CommandResult text = Harvey({"versions", "system"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_EQ(text.output.rfind(std::string("system   ") + sqlite3_libversion() + "   " + sqlite3_sourceid(), 0), 0u)
      << text.output;
}

TEST_F(SqliteCliTest, UnknownVersionIsOneLineAndExitCode3) {
  const std::string file = Write("x.sched", WithSqlite(kMixed, "sqlite w2 3.99.0\n"));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", file}, {"run", Write("y.sched", kMixed), "--sqlite", "3.99.0"},
        {"fuzz", "--count", "1", "--sqlite", "3.99.0"}, {"versions", "3.99.0"}}) {
    const CommandResult r = Harvey(args);
    EXPECT_EQ(r.exit_code, 3) << args[0] << ": " << r.output;
    // One line from harvey (`versions` also prints its table on stdout).
    std::vector<std::string> lines;
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("harvey ", 0) == 0) lines.push_back(line);
    }
    ASSERT_EQ(lines.size(), 1u) << r.output;
    EXPECT_NE(lines[0].find("SQLite 3.99.0 is not built here"), std::string::npos) << r.output;
    EXPECT_NE(lines[0].find("ci/fetch-sqlite 3.99.0"), std::string::npos) << r.output;
  }
  const CommandResult bad = Harvey({"run", file, "--sqlite", "3.x"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
}

TEST_F(SqliteCliTest, ReportAndJsonNameEveryWorkersSqlite) {
  REQUIRE_VERSIONED_BUILD(v);
  const std::string file = Write("mixed.sched", WithSqlite(kMixed, "sqlite w2 " + v + "\n"));
  nlohmann::json j;
  const CommandResult r = Harvey({"run", file, "--boundary", "fork", "--json"}, &j);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(j.is_object()) << r.output;
  ASSERT_EQ(j["sqlite"].size(), 2u);
  EXPECT_EQ(j["sqlite"][0]["worker"], "w1");
  EXPECT_EQ(j["sqlite"][0]["version"], sqlite3_libversion());
  EXPECT_EQ(j["sqlite"][0]["source_id"], sqlite3_sourceid());
  EXPECT_EQ(j["sqlite"][1]["worker"], "w2");
  EXPECT_EQ(j["sqlite"][1]["version"], v);
  const CommandResult text = Harvey({"run", file, "--boundary", "fork"});
  EXPECT_NE(text.output.find(std::string("sqlite w1: system ") + sqlite3_libversion() + " (" +
                             sqlite3_sourceid() + ")"),
            std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("sqlite w2: " + v + " ("), std::string::npos) << text.output;
  // inproc cannot mix; with one build it re-execs that build's harvey.
  EXPECT_EQ(Harvey({"run", file, "--boundary", "inproc"}).exit_code, 2);
  std::string one = kMixed;
  one.replace(one.find("w2 kill at sync 1\n"), 18, "");
  const CommandResult inproc = Harvey({"run", Write("one.sched", one), "--boundary", "inproc", "--sqlite", v,
                                       "--json"}, &j);
  ASSERT_EQ(inproc.exit_code, 0) << inproc.output;
  EXPECT_EQ(j["sqlite"][0]["version"], v);
  EXPECT_EQ(j["sqlite"][1]["version"], v);
}

// `harvey matrix --sqlite`: a column per boundary x build. inproc runs a
// case of another build in that build's executable, and skips a mix.
TEST_F(SqliteCliTest, MatrixHasAVersionAxis) {
  REQUIRE_VERSIONED_BUILD(v);
  const std::string dir = scratch_->path() + "/corpus";
  std::filesystem::create_directories(dir);
  std::string plain = kMixed;
  plain.replace(plain.find("w2 kill at sync 1\n"), 18, "");
  std::ofstream(dir + "/plain.sched") << plain;
  std::ofstream(dir + "/mixed.sched") << WithSqlite(kMixed, "sqlite w1 system\nsqlite w2 " + v + "\n");
  nlohmann::json j;
  const CommandResult r = Harvey({"matrix", dir, "--boundaries", "fork,inproc", "--sqlite", "system," + v,
                                  "--json", "--scratch", scratch_->path()},
                                 &j);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(j.is_object()) << r.output;
  EXPECT_EQ(j["boundaries"], nlohmann::json({"fork/system", "fork/" + v, "inproc/system", "inproc/" + v}));
  const nlohmann::json& mixed = j["cases"][0]["results"];
  const nlohmann::json& plain_cells = j["cases"][1]["results"];
  for (const std::string& col : std::vector<std::string>{"fork/system", "fork/" + v}) {
    EXPECT_EQ(mixed[col]["status"], "pass") << mixed.dump();
    EXPECT_EQ(mixed[col]["sqlite"][1]["version"], v);  // its own lines win over the column's
  }
  EXPECT_EQ(mixed["inproc/" + v]["status"], "skipped");
  for (const std::string& col : std::vector<std::string>{"fork/system", "fork/" + v, "inproc/system", "inproc/" + v}) {
    EXPECT_EQ(plain_cells[col]["status"], "pass") << col << ": " << plain_cells.dump();
  }
  EXPECT_EQ(plain_cells["inproc/" + v]["sqlite"][0]["version"], v);  // ran in harvey-sqlite-V
  EXPECT_EQ(plain_cells["fork/" + v]["sqlite"][1]["version"], v);
  EXPECT_EQ(plain_cells["fork/system"]["sqlite"][0]["source_id"], sqlite3_sourceid());
  // Same SQLite, safe boundaries: same trace; another SQLite: another trace.
  EXPECT_EQ(plain_cells["inproc/" + v]["trace"], plain_cells["fork/" + v]["trace"]);
  EXPECT_NE(plain_cells["fork/system"]["trace"], plain_cells["fork/" + v]["trace"]);
}

TEST_F(SqliteCliTest, MixedVersionsInContainers) {
  REQUIRE_VERSIONED_BUILD(v);
  if (std::string why = MissingTool("oci"); !why.empty()) GTEST_SKIP() << why;
  const std::string file = Write("mixed.sched", WithSqlite(kMixed, "sqlite w2 " + v + "\n"));
  nlohmann::json fork_json, oci_json;
  ASSERT_EQ(Harvey({"run", file, "--boundary", "fork", "--json"}, &fork_json).exit_code, 0);
  const CommandResult r = Harvey({"run", file, "--boundary", "oci", "--json"}, &oci_json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(oci_json["sqlite"], fork_json["sqlite"]);  // reported from inside each container
  EXPECT_EQ(oci_json["trace"], fork_json["trace"]);    // a safe boundary: same observations
}

}  // namespace
}  // namespace harvey::harness
