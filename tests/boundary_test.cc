// The boundaries (harness/boundary/launcher.h) against real SQLite: safe boundaries
// give the same trace as fork, the unsafe ones are caught, workers persist
// across schedules, and nothing is left behind — not after a normal end,
// not after ^C, not after a coordinator that was SIGKILLed. Each test skips
// (with the reason) where a tool it needs is missing.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "harness/backend/backend.h"
#include "harness/backend/fork_backend.h"
#include "harness/boundary/placements.h"
#include "harness/os/process.h"
#include "harness/coordinator/runner.h"
#include "harness/boundary/sandbox.h"
#include "model/format.h"
#include "model/generator.h"
#include "tests/test_util.h"

namespace harvey::harness {
namespace {

namespace fs = std::filesystem;
using testing::MakeScratch;
using testing::MustParse;

#define SKIP_UNLESS_AVAILABLE(boundary)                                  \
  do {                                                                   \
    if (std::string why = MissingTool(boundary); !why.empty()) GTEST_SKIP() << why; \
  } while (0)

// Two workers on one database: a snapshot, a write it must not see, a
// checkpoint that must report BUSY while the reader holds its snapshot.
const char* kTwoWorkers = R"(harvey-schedule 1
config seed 3
worker w1
worker w2
w1 write 1 100
w2 begin deferred
w2 read 1
w1 write 1 200
w2 read 1
w1 checkpoint truncate
w2 commit
w2 read 1
w1 checkpoint truncate
)";

// Kills between and inside ops, and a power loss: workers are replaced
// inside their sandbox.
const char* kCrashes = R"(harvey-schedule 1
config seed 9
worker w1
worker w2
w1 write 1 100
w2 kill
w1 kill at sync 1
w1 write 2 100
w1 open
w2 open
w2 read 1
w2 write 3 5000
w1 power-loss 5
w1 scan
w2 read 3
)";

// Live (not zombie) processes of coordinator `pid`: everything harvey execs
// carries HARVEY_COORDINATOR=<pid> in its environment, and the workers a
// host forks inherit it. With `needle`: those whose command line contains it.
std::set<pid_t> ProcessesOf(pid_t coordinator, const std::string& needle = "") {
  std::set<pid_t> out;
  std::error_code ec;
  const std::string mark = std::string(1, '\0') + kCoordinatorEnv + "=" + std::to_string(coordinator) + '\0';
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / (needle.empty() ? "environ" : "cmdline"), std::ios::binary);
    const std::string text = '\0' + std::string((std::istreambuf_iterator<char>(in)),
                                                 std::istreambuf_iterator<char>()) + '\0';
    std::ifstream st(e.path() / "stat");
    std::string stat_line;
    std::getline(st, stat_line);
    const size_t close = stat_line.rfind(')');
    const bool zombie = close != std::string::npos && close + 2 < stat_line.size() && stat_line[close + 2] == 'Z';
    if (!zombie && text.find(needle.empty() ? mark : needle) != std::string::npos) out.insert(std::stoi(name));
  }
  return out;
}

std::vector<std::string> OurContainers(pid_t pid) {
  std::vector<std::string> out;
  // `runc list` fails (an empty list on stdout) when a container another
  // test deletes at the same moment vanishes while it reads the states:
  // ask again.
  CommandResult r;
  for (int attempt = 0; attempt < 20; ++attempt) {
    r = RunCommand({FindTool("runc"), "list", "--quiet"}, 10000);
    if (r.exit_code == 0) break;
    ::usleep(50'000);
  }
  std::istringstream in(r.output);
  std::string id;
  const std::string prefix = "harvey-" + std::to_string(pid) + "-";
  while (in >> id) {
    if (id.rfind(prefix, 0) == 0) out.push_back(id);
  }
  return out;
}

bool MountsMention(const std::string& needle) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos || line.find("sshfs") != std::string::npos) return true;
  }
  return false;
}

// Children of this process that are still around (not reaped).
int LiveChildren() {
  int n = 0;
  std::error_code ec;
  for (const auto& t : fs::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(t.path() / "children");
    pid_t pid;
    while (in >> pid) n++;
  }
  return n;
}

class SafeBoundaryTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SafeBoundaryTest, SameTracesAsForkOnGeneratedSchedules) {
  SKIP_UNLESS_AVAILABLE(GetParam());
  auto scratch = MakeScratch();
  std::string error;
  auto fork = MakeBackend("fork", &error);
  auto other = MakeBackend(GetParam(), &error);
  ASSERT_TRUE(other) << error;
  for (uint64_t seed : {21u, 22u, 23u, 24u}) {
    const model::Schedule s = model::Generate(seed, model::GenOptions{.workers = 3, .steps = 40});
    const RunResult a = RunSchedule(s, *fork, scratch->path());
    const RunResult b = RunSchedule(s, *other, scratch->path());
    ASSERT_EQ(a.verdict, Verdict::kPass) << (a.mismatch ? a.mismatch->Summary() : a.error);
    ASSERT_EQ(b.verdict, Verdict::kPass) << "seed " << seed << ": "
                                         << (b.mismatch ? b.mismatch->Summary() : b.error);
    EXPECT_EQ(a.trace, b.trace) << "seed " << seed;
  }
}

TEST_P(SafeBoundaryTest, KillsAndPowerLossReplaceWorkersInTheirSandbox) {
  SKIP_UNLESS_AVAILABLE(GetParam());
  auto scratch = MakeScratch();
  std::string error;
  auto fork = MakeBackend("fork", &error);
  auto other = MakeBackend(GetParam(), &error);
  const model::Schedule s = MustParse(kCrashes);
  const RunResult a = RunSchedule(s, *fork, scratch->path());
  const RunResult b = RunSchedule(s, *other, scratch->path());
  ASSERT_EQ(a.verdict, Verdict::kPass) << (a.mismatch ? a.mismatch->Summary() : a.error);
  ASSERT_EQ(b.verdict, Verdict::kPass) << (b.mismatch ? b.mismatch->Summary() : b.error);
  EXPECT_EQ(a.trace, b.trace);
}

INSTANTIATE_TEST_SUITE_P(Boundaries, SafeBoundaryTest, ::testing::Values("ns", "oci", "fork+oci"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '+', '_');
                           return name;
                         });

// Host + container on one database (the "tricky way"): safe, same trace.
TEST(MixedPlacementTest, HostAndContainerOnOneDatabase) {
  SKIP_UNLESS_AVAILABLE("oci");
  SKIP_UNLESS_AVAILABLE("ns");
  auto scratch = MakeScratch();
  std::string text = kTwoWorkers;
  text.replace(text.find("worker w1\nworker w2"), 19, "worker w1 fork\nworker w2 oci\nworker w3 ns");
  text += "w3 read 1\nw3 write 7 30\nw2 read 7\n";
  const model::Schedule s = MustParse(text);
  ASSERT_EQ(model::PrintSchedule(MustParse(model::PrintSchedule(s))), model::PrintSchedule(s));
  std::string error;
  auto fork = MakeBackend("fork", &error);
  auto mixed = MakeBackend("fork", &error);
  model::Schedule all_fork = s;
  for (auto& w : all_fork.workers) w.boundary.clear();
  const RunResult a = RunSchedule(all_fork, *fork, scratch->path());
  const RunResult b = RunSchedule(s, *mixed, scratch->path());
  ASSERT_EQ(b.verdict, Verdict::kPass) << (b.mismatch ? b.mismatch->Summary() : b.error);
  EXPECT_EQ(a.trace, b.trace);
}

// Unsafe setups must be caught by the very first conflicting step.
TEST(UnsafeBoundaryTest, OciFileGivesEachContainerItsOwnWal) {
  SKIP_UNLESS_AVAILABLE("oci-file");
  auto scratch = MakeScratch();
  std::string error;
  auto backend = MakeBackend("oci-file", &error);
  for (int round = 0; round < 2; ++round) {  // and again with persistent containers
    const RunResult r = RunSchedule(MustParse(kTwoWorkers), *backend, scratch->path());
    ASSERT_EQ(r.verdict, Verdict::kMismatch) << "round " << round;
    EXPECT_EQ(r.mismatch->step, 2) << r.mismatch->Summary();  // w2 cannot see w1's commit
  }
}

TEST(UnsafeBoundaryTest, SshfsMountsDoNotShareLocksOrTheWalIndex) {
  SKIP_UNLESS_AVAILABLE("sshfs");
  auto scratch = MakeScratch();
  std::string error;
  auto backend = MakeBackend("sshfs", &error);
  for (int round = 0; round < 2; ++round) {  // and again on the same mounts
    const RunResult r = RunSchedule(MustParse(kTwoWorkers), *backend, scratch->path());
    ASSERT_EQ(r.verdict, Verdict::kMismatch) << "round " << round << ": " << r.error;
  }
  backend.reset();
  EXPECT_FALSE(MountsMention("/harvey-" + std::to_string(::getpid()) + "-"));
  EXPECT_EQ(LiveChildren(), 0);
}

// Containers start once per campaign: a second schedule reuses them.
TEST(PersistenceTest, OciContainersOutliveSchedulesAndGoWithTheBackend) {
  SKIP_UNLESS_AVAILABLE("oci");
  auto scratch = MakeScratch();
  std::string error;
  auto backend = MakeBackend("oci", &error);
  const model::Schedule s = MustParse(kTwoWorkers);
  ASSERT_EQ(RunSchedule(s, *backend, scratch->path()).verdict, Verdict::kPass);
  const std::vector<std::string> first = OurContainers(::getpid());
  EXPECT_EQ(first.size(), 2u);
  ASSERT_EQ(RunSchedule(MustParse(kCrashes), *backend, scratch->path()).verdict, Verdict::kPass);
  EXPECT_EQ(OurContainers(::getpid()), first);  // kills and power loss did not restart them
  backend.reset();
  EXPECT_TRUE(OurContainers(::getpid()).empty());
  EXPECT_EQ(LiveChildren(), 0);
}

// A coordinator that dies without teardown leaves runc's record of its
// containers at most; the next run removes it.
TEST(TeardownTest, StateOfACrashedCoordinatorIsRemovedByTheNextRun) {
  SKIP_UNLESS_AVAILABLE("oci");
  auto scratch = MakeScratch();
  const pid_t child = ::fork();
  if (child == 0) {
    std::string error;
    auto backend = MakeBackend("oci", &error);
    RunSchedule(MustParse(kTwoWorkers), *backend, scratch->path());
    ::kill(::getpid(), SIGKILL);  // no destructors
  }
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  // The pdeathsig chain stops everything in the containers (give it 5 s).
  for (int i = 0; i < 500 && !ProcessesOf(child).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::vector<std::string> left = OurContainers(child);
  const std::vector<std::string> notes = RemoveStaleBoundaryState();
  EXPECT_GE(notes.size(), left.size());  // (and any other dead coordinator's)
  EXPECT_TRUE(OurContainers(child).empty());
}

// `harvey` itself: a missing tool is one line and exit 3; ^C tears down.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harvey_ = HarveyBinary();
    if (harvey_.empty()) GTEST_SKIP() << "the harvey executable was not found (set HARVEY_BINARY)";
    scratch_ = MakeScratch();
    file_ = scratch_->path() + "/two.sched";
    std::ofstream(file_) << kTwoWorkers;
  }
  std::string harvey_;
  std::unique_ptr<ScratchDir> scratch_;
  std::string file_;
};

TEST_F(CliTest, MissingToolIsOneLineAndExitCode3) {
  CommandResult r = RunCommand({"/usr/bin/env", "PATH=/nonexistent", harvey_, "run", file_,
                                "--boundary", "ns"}, 20000);
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("bwrap"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

// ^C in the middle of a campaign: exit 130, and nothing left behind. sshfs
// runs one worker (one worker per database is safe even on a share), so the
// campaign is still running when ^C comes.
class InterruptTest : public CliTest, public ::testing::WithParamInterface<std::pair<const char*, const char*>> {};

TEST_P(InterruptTest, MidRunLeavesNothing) {
  const auto [boundary, workers] = GetParam();
  for (const std::string& b : SplitBoundaries(boundary)) SKIP_UNLESS_AVAILABLE(b);
  Result<pid_t> pid = SpawnProcess(ExecSpec{
      .argv = {harvey_, "fuzz", "--boundary", boundary, "--workers", workers, "--time", "60",
               "--out", scratch_->path() + "/findings", "--scratch", scratch_->path()},
      .stderr_path = scratch_->path() + "/fuzz.log"});
  ASSERT_TRUE(pid.ok());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ::kill(pid.value(), SIGINT);
  int status = 0;
  ASSERT_TRUE(WaitForExit(pid.value(), 30000, &status));
  std::ifstream log(scratch_->path() + "/fuzz.log");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  // 130 after ^C, or 1 if sshfs (unsafe) produced its finding first.
  EXPECT_TRUE(WIFEXITED(status) && (WEXITSTATUS(status) == 130 || WEXITSTATUS(status) == 1)) << text;
  EXPECT_TRUE(OurContainers(pid.value()).empty());
  EXPECT_FALSE(MountsMention("/harvey-" + std::to_string(pid.value()) + "-"));
  EXPECT_TRUE(ProcessesOf(pid.value()).empty());  // sandboxes, hosts, their workers, ssh, sshd
  EXPECT_TRUE(ProcessesOf(::getpid()).empty());    // its forked workers
  EXPECT_TRUE(ProcessesOf(0, "harvey-" + std::to_string(pid.value()) + "-").empty());
}

INSTANTIATE_TEST_SUITE_P(Boundaries, InterruptTest,
                         ::testing::Values(std::pair{"oci+ns", "3"}, std::pair{"sshfs", "1"}),
                         [](const auto& info) {
                           std::string name = info.param.first;
                           std::replace(name.begin(), name.end(), '+', '_');
                           return name;
                         });

TEST_F(CliTest, MatrixChecksExpectLines) {
  SKIP_UNLESS_AVAILABLE("oci-file");
  const std::string dir = scratch_->path() + "/corpus";
  fs::create_directories(dir);
  std::string with_expect = kTwoWorkers;
  with_expect.insert(with_expect.find('\n') + 1, "expect oci-file fail\n");
  std::ofstream(dir + "/ok.sched") << with_expect;
  CommandResult r = RunCommand({harvey_, "matrix", dir, "--boundaries", "fork,oci-file", "--json",
                                "--scratch", scratch_->path()}, 60000);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::ofstream(dir + "/contradiction.sched") << kTwoWorkers;  // expects oci-file to pass
  r = RunCommand({harvey_, "matrix", dir, "--boundaries", "fork,oci-file", "--scratch",
                  scratch_->path()}, 60000);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("CONTRADICTS expect oci-file pass"), std::string::npos) << r.output;
}

TEST(PlacementFormatTest, WorkerBoundaryRoundTripsAndIsChecked) {
  const model::Schedule s = MustParse("harvey-schedule 1\nworker w1 fork\nworker w2 oci-file\nworker w3\nw1 scan\n");
  EXPECT_EQ(s.workers[0].boundary, "fork");
  EXPECT_EQ(s.workers[1].boundary, "oci-file");
  EXPECT_EQ(s.workers[2].boundary, "");
  EXPECT_EQ(MustParse(model::PrintSchedule(s)), s);
  EXPECT_FALSE(model::ParseSchedule("harvey-schedule 1\nworker w1 Fork!\nw1 scan\n", "t").ok());
  int code = 0;
  EXPECT_NE(CheckPlacement("inproc", &s, &code), "");
  EXPECT_EQ(code, 2);
  EXPECT_NE(CheckPlacement("fork+nope", nullptr, &code), "");
  EXPECT_EQ(code, 2);
  // Power loss is not modelled on oci-file: refused up front, not misreported.
  EXPECT_FALSE(PowerLossModelled("fork+oci-file"));
  EXPECT_TRUE(PowerLossModelled("fork+oci+ns+sshfs"));
  const model::Schedule crashes = MustParse(kCrashes);
  EXPECT_NE(CheckPlacement("oci-file", &crashes, &code), "");
  EXPECT_EQ(code, 2);
}

}  // namespace
}  // namespace harvey::harness
