// Shared-memory preemption points (harness/worker/shm_regions.h,
// shm_hooks.cc) and reach counting (harness/worker/reach.h,
// harness/coordinator/reach_report.h). The end-to-end tests need the
// shm-instrumented build harvey-sqlite-V-shm beside harvey (CMake's
// HARVEY_SQLITE_SHM, on by default when a version is built and clang is
// here) and are skipped without it.
#include <algorithm>
#include <cstring>
#include <functional>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/coordinator/interleave.h"
#include "harness/coordinator/reach_report.h"
#include "harness/os/process.h"
#include "harness/worker/reach.h"
#include "harness/worker/shm_copy.h"
#include "harness/worker/shm_regions.h"
#include "harness/worker/sqlite_build.h"
#include "harness/worker/vfs_shim.h"
#include "harness/worker/wal_functions.h"
#include "model/format.h"
#include "tests/test_util.h"

namespace harvey::harness {
namespace {

TEST(ShmRegions, OffsetsOnlyInsideNotedRegionsUntilForgotten) {
  // Two regions with unmapped gaps after each, so "one past the end" is
  // in no region whatever the layout.
  alignas(64) static char space[4 * 32768];
  char* const region0 = space;
  char* const region1 = space + 2 * 32768;
  char* const other = space + 32768 + 100;
  int owner_a = 0, owner_b = 0;
  const auto at = [](const char* p) { return ShmOffset(reinterpret_cast<uintptr_t>(p)); };
  EXPECT_EQ(at(region0), -1);
  NoteShmRegion(&owner_a, 0, 32768, region0);
  NoteShmRegion(&owner_a, 1, 32768, region1);
  NoteShmRegion(&owner_b, 0, 32768, region0);  // a second connection, same mapping
  EXPECT_EQ(at(region0 + 96), 96);
  EXPECT_EQ(at(region1), 32768);
  EXPECT_EQ(at(region1 + 32767), 65535);
  EXPECT_EQ(at(region1 + 32768), -1);  // one past the end
  EXPECT_EQ(at(region0 + 32768), -1);
  EXPECT_EQ(at(other), -1);
  ForgetShmRegions(&owner_a);
  EXPECT_EQ(at(region0 + 100), 100) << "owner_b still has region 0 mapped";
  EXPECT_EQ(at(region1 + 4), -1);
  ForgetShmRegions(&owner_b);
  EXPECT_EQ(at(region0 + 100), -1);
}

TEST(ShmRegions, FieldNamesFollowWalC) {
  int64_t within = -1;
  EXPECT_STREQ(ShmFieldName(96, &within), "nBackfill");
  EXPECT_EQ(within, 0);
  EXPECT_STREQ(ShmFieldName(104, &within), "aReadMark");
  EXPECT_EQ(within, 4);
  EXPECT_STREQ(ShmFieldName(128, &within), "nBackfillAttempted");
  EXPECT_STREQ(ShmFieldName(120, &within), "aLock");
  EXPECT_STREQ(ShmFieldName(16, &within), "hdr[0].mxFrame");
  EXPECT_STREQ(ShmFieldName(48 + 16, &within), "hdr[1].mxFrame");
  EXPECT_STREQ(ShmFieldName(136, &within), "aPgno");
  EXPECT_EQ(within, 0);
  EXPECT_STREQ(ShmFieldName(136 + 4062 * 4, &within), "aHash");
  EXPECT_STREQ(ShmFieldName(32768 + 16384, &within), "aHash");
  EXPECT_STREQ(ShmFieldName(32768 + 8, &within), "aPgno");
  EXPECT_EQ(within, 8);
}

// Records the shm-read/shm-write events of this thread, and calls `on`
// (if set) at each, as a worker's pause would happen there.
struct ShmEvents : VfsListener {
  std::vector<std::pair<char, int64_t>> seen;  // ('r' | 'w', offset)
  std::function<void()> on;
  void OnEvent(VfsEvent e, FileRole, int64_t arg) override {
    if (e == VfsEvent::kShmRead || e == VfsEvent::kShmWrite) seen.emplace_back(e == VfsEvent::kShmRead ? 'r' : 'w', arg);
    if (on) on();
  }
};

// SQLite's memcpy/memset/memcmp in the -shm build: a range in the
// wal-index is split into 16-byte chunks in the header and 4 KiB chunks
// beyond, each reported before it is done; other ranges report nothing.
TEST(ShmCopy, WalIndexRangesAreSplitAtTheirPointsAndGiveLibcResults) {
  alignas(64) static char region[32768];
  int owner = 0;
  NoteShmRegion(&owner, 0, sizeof region, region);
  ShmEvents ev;
  SetVfsListener(&ev);
  char hdr[48];
  for (int i = 0; i < 48; ++i) region[i] = static_cast<char>(i + 1);

  // A header copy out of the wal-index (walIndexTryHdr): three reads, and a
  // pause at the second one sees the first 16 bytes copied, no more.
  std::memset(hdr, 0, sizeof hdr);
  int at_second = -1;
  ev.on = [&] {
    if (ev.seen.size() == 2) at_second = static_cast<int>(std::count(hdr, hdr + 48, 0));
  };
  EXPECT_EQ(ShmCopy(hdr, region, 48, nullptr), hdr);
  ev.on = nullptr;
  EXPECT_EQ(std::memcmp(hdr, region, 48), 0);
  EXPECT_EQ(ev.seen, (std::vector<std::pair<char, int64_t>>{{'r', 0}, {'r', 16}, {'r', 32}}));
  EXPECT_EQ(at_second, 32) << "the copy must be split: 16 bytes done at the second point";

  // Into the second header (walIndexWriteHdr), unaligned end: writes at 48, 64, 80.
  ev.seen.clear();
  ShmCopy(region + 48, hdr, 40, nullptr);
  EXPECT_EQ(ev.seen, (std::vector<std::pair<char, int64_t>>{{'w', 48}, {'w', 64}, {'w', 80}}));
  EXPECT_EQ(std::memcmp(region + 48, hdr, 40), 0);

  // A compare stops at the first chunk that differs; its sign is memcmp's.
  ev.seen.clear();
  hdr[20] = 100;
  EXPECT_LT(ShmCompare(region, hdr, 48, nullptr), 0);
  EXPECT_EQ(ev.seen, (std::vector<std::pair<char, int64_t>>{{'r', 0}, {'r', 16}}));
  ev.seen.clear();
  EXPECT_GT(ShmCompare(hdr, region, 48, nullptr), 0);
  EXPECT_EQ(ShmCompare(region, region, 48, nullptr), 0);

  // Beyond the header, one point per 4 KiB of wal-index offset.
  ev.seen.clear();
  EXPECT_EQ(ShmFill(region + 200, 7, 10000, nullptr), region + 200);
  EXPECT_EQ(ev.seen, (std::vector<std::pair<char, int64_t>>{{'w', 200}, {'w', 4096}, {'w', 8192}}));
  EXPECT_EQ(std::count(region + 200, region + 10200, 7), 10000);

  // Private memory on both sides: libc, no point.
  ev.seen.clear();
  char a[64] = {1}, b[64] = {2};
  ShmCopy(a, b, sizeof a, nullptr);
  ShmFill(a, 0, sizeof a, nullptr);
  EXPECT_EQ(ShmCompare(a, b, 0, nullptr), 0);
  EXPECT_TRUE(ev.seen.empty());

  SetVfsListener(nullptr);
  ForgetShmRegions(&owner);
}

TEST(ShmRegions, EventNamesInTheFormat) {
  EXPECT_STREQ(ToString(VfsEvent::kShmRead), "shm-read");
  EXPECT_STREQ(ToString(VfsEvent::kShmWrite), "shm-write");
  EXPECT_STREQ(model::ToString(model::EventKind::kShmRead), "shm-read");
  EXPECT_STREQ(model::ToString(model::EventKind::kShmWrite), "shm-write");
  EXPECT_EQ(static_cast<int>(model::EventKind::kShmWrite), static_cast<int>(VfsEvent::kShmWrite));
  EXPECT_STREQ(ToString(VfsEvent::kCall), "call");
  EXPECT_STREQ(model::ToString(model::EventKind::kCall), "call");
  EXPECT_EQ(static_cast<int>(model::EventKind::kCall), static_cast<int>(VfsEvent::kCall));
  auto called = model::ParseSchedule("harvey-schedule 1\nworker w1\nw1 kill at call 7\nw1 write 1 20\n", "t");
  ASSERT_TRUE(called.ok()) << called.error();
  EXPECT_EQ(called.value().steps[0].op.event, model::EventKind::kCall);
  auto s = model::ParseSchedule("harvey-schedule 1\nworker w1\nsqlite w1 3.54.1-shm\nw1 kill at shm-read 3\nw1 write 1 20\n", "t");
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s.value().workers[0].sqlite, "3.54.1-shm");
  EXPECT_EQ(model::CheckSqliteName("3.54.1-shm"), "");
  EXPECT_NE(model::CheckSqliteName("3.54.1-SHM"), "");  // a build tag is [a-z]{1,16}
  EXPECT_NE(model::CheckSqliteName("3.54.1-"), "");
  EXPECT_NE(model::CheckSqliteName("-shm"), "");
}

// The newest harvey-sqlite-V-shm here, or "".
std::string ShmBuild() {
  for (const SqliteBuild& b : AvailableSqlite()) {
    if (b.name.ends_with("-shm") && !b.version.empty()) return b.name;
  }
  return "";
}

#define REQUIRE_SHM_BUILD(v) \
  const std::string v = ShmBuild(); \
  if (v.empty()) GTEST_SKIP() << "no harvey-sqlite-V-shm is built here (HARVEY_SQLITE_SHM, needs clang)"

// Two writers, a reader and checkpoints: the wal-index is read and written
// from several connections.
std::string Contended(const std::string& build) {
  return "harvey-schedule 1\nconfig seed 9\nworker w1\nsqlite w1 " + build + "\nworker w2\nsqlite w2 " + build +
         "\nworker w3\nsqlite w3 " + build +
         "\nw1 write 1 100\nw2 begin deferred\nw2 read 1\nw1 write 2 3000\nw3 checkpoint passive\nw2 read 2\n"
         "w2 commit\nw3 write 3 50\nw1 checkpoint restart\nw2 scan\nw3 delete 1\nw1 scan\n";
}

nlohmann::json RunJson(const std::string& binary, const std::vector<std::string>& args, std::string* log) {
  std::vector<std::string> argv = {binary, "run"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--json");
  const CommandResult r = RunCommand(argv, 240000);
  *log = r.output;
  // The JSON object is the last line that starts with '{'.
  std::string last;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] == '{') last = line;
  }
  return last.empty() ? nlohmann::json() : nlohmann::json::parse(last, nullptr, false);
}

// Decisions recorded by pct:3 on the shm build replay to the same trace, 10
// times on fork, and inproc gives that trace too; the decisions pause at
// shm-read/shm-write points.
TEST(ShmBuild, RecordedDecisionsReplayExactlyOnForkAndInproc) {
  REQUIRE_SHM_BUILD(v);
  auto scratch = testing::MakeScratch();
  ASSERT_TRUE(scratch);
  const std::string file = scratch->path() + "/c.sched";
  const std::string decided = scratch->path() + "/decided.sched";
  { std::ofstream(file) << Contended(v); }
  const std::string harvey = HarveyBinary();
  ASSERT_FALSE(harvey.empty());
  std::string log;
  const nlohmann::json first =
      RunJson(harvey, {file, "--boundary", "fork", "--policy", "pct:3", "--save-decisions", decided},
              &log);
  ASSERT_TRUE(first.is_object()) << log;
  ASSERT_EQ(first["verdict"], "pass") << log;
  ASSERT_GT(first["decisions"].get<int64_t>(), 0) << log;
  // The run paused at shared-memory accesses (--show prints the slices).
  const CommandResult shown = RunCommand({harvey, "run", decided, "--boundary", "fork", "--show"}, 240000);
  EXPECT_NE(shown.output.find("@ shm-read "), std::string::npos) << shown.output.substr(0, 4000);
  EXPECT_NE(shown.output.find("@ shm-write "), std::string::npos);
  EXPECT_TRUE(std::regex_search(shown.output, std::regex("@ shm-(read|write) (nBackfill|aReadMark|hdr\\[0\\]\\.mxFrame)")))
      << "no named wal-index field in the slice log";
  for (int i = 0; i < 10; ++i) {
    const nlohmann::json again = RunJson(harvey, {decided, "--boundary", "fork"}, &log);
    ASSERT_TRUE(again.is_object()) << log;
    EXPECT_EQ(again["trace"], first["trace"]) << "fork replay " << i << "\n" << log;
    EXPECT_EQ(again["yields"], first["yields"]);
  }
  const nlohmann::json inproc = RunJson(harvey, {decided, "--boundary", "inproc"}, &log);
  ASSERT_TRUE(inproc.is_object()) << log;
  EXPECT_EQ(inproc["trace"], first["trace"]) << log;
  EXPECT_EQ(inproc["yields"], first["yields"]);
}

// The entries of wal.c functions are `call` points in the shm build with
// `config call_points on`: a pct:3 run pauses there, --show names the
// function (on fork the coordinator is `harvey`, which reads the build's
// .wal-functions file; on inproc the worker's own compiled-in list),
// recorded decisions that pause at calls replay to the same trace. Without
// the line no call pauses. `kill at call K` kills there (fork), call points
// on or not (calls are counted either way).
TEST(ShmBuild, WalFunctionEntriesArePointsNamedInShowAndKillable) {
  REQUIRE_SHM_BUILD(v);
  auto scratch = testing::MakeScratch();
  ASSERT_TRUE(scratch);
  const std::string file = scratch->path() + "/c.sched";
  const std::string decided = scratch->path() + "/decided.sched";
  const std::string plain = scratch->path() + "/plain.sched";
  std::string with_calls = Contended(v);
  with_calls.insert(with_calls.find("worker w1"), "config call_points on\n");
  { std::ofstream(file) << with_calls; }
  { std::ofstream(plain) << Contended(v); }
  const std::string harvey = HarveyBinary();
  std::string log;
  const nlohmann::json first =
      RunJson(harvey, {file, "--boundary", "fork", "--policy", "pct:3", "--save-decisions", decided}, &log);
  ASSERT_TRUE(first.is_object()) << log;
  ASSERT_EQ(first["verdict"], "pass") << log;
  const nlohmann::json without = RunJson(harvey, {plain, "--boundary", "fork", "--policy", "pct:3"}, &log);
  ASSERT_TRUE(without.is_object()) << log;
  EXPECT_GT(first["yields"].get<int64_t>(), without["yields"].get<int64_t>() * 3 / 2)
      << "call points about double the points";
  const CommandResult no_calls = RunCommand({harvey, "run", plain, "--boundary", "fork", "--policy", "pct:3", "--show"}, 240000);
  EXPECT_EQ(no_calls.output.find("@ call "), std::string::npos) << "call points are off by default";
  for (const char* boundary : {"fork", "inproc"}) {
    const CommandResult shown = RunCommand({harvey, "run", decided, "--boundary", boundary, "--show"}, 240000);
    EXPECT_TRUE(std::regex_search(shown.output, std::regex("@ call walTryBeginRead \\([0-9]+\\)")))
        << boundary << ": " << shown.output.substr(0, 4000);
    EXPECT_TRUE(std::regex_search(shown.output, std::regex("@ call walIndexHdr \\([0-9]+\\)"))) << boundary;
    EXPECT_EQ(shown.output.find("@ call ? ("), std::string::npos) << boundary << ": an unnamed call";
    const nlohmann::json again = RunJson(harvey, {decided, "--boundary", boundary}, &log);
    ASSERT_TRUE(again.is_object()) << log;
    EXPECT_EQ(again["trace"], first["trace"]) << boundary << "\n" << log;
  }
  // A kill at the 20th wal.c function entry of w1's second write (before
  // its commit frame is written): the write is lost, the first stays.
  const std::string kill = scratch->path() + "/kill.sched";
  {
    std::ofstream(kill) << "harvey-schedule 1\nworker w1\nsqlite w1 " << v << "\nworker w2\nsqlite w2 " << v
                        << "\nw1 write 1 100\nw1 kill at call 20\nw1 write 2 100\nw2 scan\nw1 open\nw1 scan\n";
  }
  const CommandResult killed = RunCommand({harvey, "run", kill, "--boundary", "fork", "--show"}, 240000);
  EXPECT_EQ(killed.exit_code, 0) << killed.output;
  EXPECT_TRUE(std::regex_search(killed.output, std::regex("w1 write 2 100 +KILLED"))) << killed.output;
  EXPECT_TRUE(std::regex_search(killed.output, std::regex("w2 scan +ok rows \\{1@0\\}"))) << killed.output;
}

// --reach counts a wal.c function entry as a point hit only in runs where
// it can pause (config call_points on), on fork and inproc.
TEST(ShmBuild, FuzzReachCountsCallsOnlyWhereTheyArePoints) {
  REQUIRE_SHM_BUILD(v);
  auto scratch = testing::MakeScratch();
  ASSERT_TRUE(scratch);
  for (const char* boundary : {"fork", "inproc"}) {
    for (const char* calls : {"off", "on"}) {
      const CommandResult r = RunCommand(
          {HarveyBinary(), "fuzz", "--boundary", boundary, "--sqlite", v, "--policy", "pct:3", "--count", "2",
           "--steps", "10", "--seed", "5", "--call-points", calls, "--reach", "--scratch", scratch->path(), "--out",
           scratch->path() + "/findings"},
          240000);
      ASSERT_EQ(r.exit_code, 0) << r.output;
      const bool counted = std::regex_search(r.output, std::regex("\n +call +[1-9][0-9]*\n"));
      EXPECT_EQ(counted, std::string(calls) == "on") << boundary << " --call-points " << calls << "\n" << r.output;
    }
  }
}

// This process (the test binary) is no shm build: no list, no index; a
// -shm build's list is its .wal-functions file, sorted, without the "os"
// lines.
TEST(ShmBuild, WalFunctionNamesComeFromTheBuildsList) {
  EXPECT_TRUE(WalFunctionNames().empty());
  EXPECT_EQ(WalFunctionIndex(reinterpret_cast<const void*>(&WalFunctionIndex)), -1);
  EXPECT_EQ(WalFunctionName(0, BuildSqliteName()), "");
  REQUIRE_SHM_BUILD(v);
  std::ifstream in(SqliteBinary(v) + ".wal-functions");
  ASSERT_TRUE(in) << v;
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    if (line.find(' ') == std::string::npos) names.push_back(line);
  }
  std::sort(names.begin(), names.end());
  ASSERT_GT(names.size(), 40u);
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(WalFunctionName(static_cast<int64_t>(i), v), names[i]);
  EXPECT_EQ(WalFunctionName(static_cast<int64_t>(names.size()), v), "");
  EXPECT_EQ(WalFunctionName(-1, v), "");
  EXPECT_EQ(WalFunctionName(0, "9.9.9-shm"), "") << "a build that is not here";
}

// --reach after a short fine-grained campaign on the shm build names wal.c
// functions that hit shared-memory points, and lists the ones never entered.
TEST(ShmBuild, FuzzReachNamesWalFunctions) {
  REQUIRE_SHM_BUILD(v);
  auto scratch = testing::MakeScratch();
  ASSERT_TRUE(scratch);
  const CommandResult r =
      RunCommand({HarveyBinary(), "fuzz", "--boundary", "fork", "--sqlite", v, "--policy", "pct:3", "--count", "3",
                  "--steps", "15", "--seed", "7", "--reach", "--scratch", scratch->path(), "--out",
                  scratch->path() + "/findings"},
                 240000);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("shm-read +[1-9][0-9]*"))) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("\\*walTryBeginRead +[1-9][0-9]* +\\(.*shm-read [1-9]")))
      << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("WAL functions \\([0-9]+ defined in wal.c\\): [0-9]+ entered"))) << r.output;
  EXPECT_NE(r.output.find("never entered ("), std::string::npos) << r.output;
  // The body scan ran (objdump) and split the entered functions without a point.
  EXPECT_TRUE(std::regex_search(
      r.output, std::regex("reach over the entered WAL functions that make a shared access: [0-9]+ of [0-9]+")))
      << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("issue metric \\(points inside / entered\\): [0-9]+ of [0-9]+")))
      << r.output;
  // Every connection opens its WAL through sqlite3WalOpen, which -O1
  // inlines into pagerOpenWal in pieces (DWARF 5 range lists): the report
  // must see it entered (GNU addr2line 2.40 names only pagerOpenWal there).
  std::smatch never;
  ASSERT_TRUE(std::regex_search(r.output, never, std::regex("never entered, no symbol[^:]*:([^\n]*)"))) << r.output;
  std::istringstream names(never[1].str());
  const std::set<std::string> absent{std::istream_iterator<std::string>(names), std::istream_iterator<std::string>()};
  for (const char* inlined : {"sqlite3WalOpen", "walIteratorNext"}) {
    EXPECT_EQ(absent.count(inlined), 0u) << inlined << " was entered (inlined) but the report missed it:\n"
                                          << r.output;
  }
  // A read transaction begins through sqlite3WalBeginReadTransaction, whose
  // callee walTryBeginRead reads the wal-index header: a point hit while it
  // was on the stack, though none in its own body.
  std::smatch during;
  ASSERT_TRUE(std::regex_search(r.output, during,
                                std::regex("while on the stack \\([^)]*\\): ([0-9]+) of ([0-9]+) entered")))
      << r.output;
  EXPECT_GT(std::stoi(during[1].str()), 0) << r.output;
  ASSERT_TRUE(std::regex_search(r.output, during, std::regex("no point hit while on the stack[^:]*:([^\n]*)")))
      << r.output;
  EXPECT_EQ(during[1].str().find("sqlite3WalBeginReadTransaction"), std::string::npos) << r.output;
  // sqlite3WalClose calls xClose and xDelete (events): never in the
  // no-shared-access list, whatever the campaign reached.
  std::smatch m;
  if (std::regex_search(r.output, m, std::regex("no shared access in its body[^:]*:([^\n]*)"))) {
    EXPECT_EQ(m[1].str().find("sqlite3WalClose"), std::string::npos) << "it calls xClose/xDelete";
  }
}

// The report splits entered functions without a point by their bodies: no
// VFS call and no libc memory routine (no shared access), or such a call
// (named; `!` when it is no harvey event); the reach over the functions
// that make a shared access counts only those.
TEST(ReachReportFormat, SplitsEnteredFunctionsWithoutAPointByTheirBodies) {
  ReachReport r;
  r.files = 1;
  r.wal_functions = {"walA", "walB", "walC", "walD", "walE"};
  r.entered = {"walA", "walB", "walC", "walD"};
  r.within = {"walA"};
  r.functions_in_binary = {"walA", "walB", "walC", "walD", "walE"};
  r.bodies_scanned = true;
  r.bodies["walA"].vfs["sqlite3OsShmLock"] = 1;
  r.bodies["walB"].accesses = 3;                   // loads/stores only: no shared access
  r.bodies["walC"].vfs["sqlite3OsSectorSize"] = 1;  // not an event
  r.bodies["walD"].vfs["sqlite3OsShmUnmap"] = 1;   // an event never reached
  const std::string out = FormatReach(r);
  EXPECT_NE(out.find("no shared access in its body"), std::string::npos) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("no shared access in its body[^\n]*\\(1\\): walB\n"))) << out;
  EXPECT_NE(out.find("walC(SectorSize!)"), std::string::npos) << out;
  EXPECT_NE(out.find("walD(ShmUnmap)"), std::string::npos) << out;
  EXPECT_NE(out.find("make a shared access: 1 of 3 (33.3%)"), std::string::npos) << out;
  EXPECT_NE(out.find("issue metric (points inside / entered): 1 of 4 (25.0%)"), std::string::npos) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("never entered \\(a function of the binary\\) \\(1\\): walE"))) << out;
  // Nothing was on the stack beyond walA: the dynamic extent adds none.
  const std::string deep = std::to_string(kReachFrames) + " frames deep): ";
  EXPECT_NE(out.find("while on the stack (a point hit in the function or in one it called, " + deep +
                     "1 of 4 entered (25.0%)"),
            std::string::npos)
      << out;
  r.during = {"walA", "walB"};  // walB called walA
  const std::string deeper = FormatReach(r);
  EXPECT_NE(deeper.find(deep + "2 of 4 entered (50.0%)"), std::string::npos) << deeper;
  EXPECT_TRUE(std::regex_search(deeper, std::regex("no point hit while on the stack \\(2\\): walC walD\n")))
      << deeper;
}

// PCT's change points are spread over more points per step when a worker
// runs a V-shm build (every wal-index load and store is a point there).
TEST(PctEstimate, ShmBuildsCountMorePointsPerStep) {
  const model::Schedule plain = testing::MustParse("harvey-schedule 1\nworker w1\nsqlite w1 3.54.1\nw1 scan\n");
  const model::Schedule mixed = testing::MustParse(
      "harvey-schedule 1\nworker w1\nsqlite w1 3.54.1\nworker w2\nsqlite w2 3.54.1-shm\nw1 scan\n");
  EXPECT_GT(ExpectedPointsPerStep(plain), 0);
  EXPECT_GT(ExpectedPointsPerStep(mixed), ExpectedPointsPerStep(plain));
}

}  // namespace
}  // namespace harvey::harness
