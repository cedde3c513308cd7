// Crashes against real SQLite on the fork backend: kills between ops and at
// VFS events, power loss with durable images, the fsync-lies defect caught,
// and crash schedules replaying with identical trace hashes.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "harness/backend/backend.h"
#include "harness/backend/fork_backend.h"
#include "harness/coordinator/runner.h"
#include "model/crash_gen.h"
#include "model/generator.h"
#include "tests/test_util.h"

namespace harvey::harness {
namespace {

using testing::MakeScratch;
using testing::MustParse;

// A commit killed at its WAL sync, a kill between ops inside a write
// transaction, and power losses under FULL that must keep every
// acknowledged commit.
const char* kCrashSchedule = R"(harvey-schedule 1
config synchronous full
config seed 3
worker w1
worker w2
w1 write 1 100
w1 begin immediate
w1 write 2 5000
w1 kill at sync 1
w1 commit
w1 open
w2 read 2
w2 begin immediate
w2 write 3 50
w2 kill
w2 open
w1 read 3
w2 power-loss 0
w1 read 1
w2 write 4 64
w1 power-loss 99
w2 scan
)";

TEST(CrashTest, KillsAndPowerLossesPassOnFork) {
  auto scratch = MakeScratch();
  ForkBackend backend;
  const RunResult r = RunSchedule(MustParse(kCrashSchedule), backend, scratch->path());
  ASSERT_EQ(r.verdict, Verdict::kPass) << (r.mismatch ? r.mismatch->Summary() : r.error);
  EXPECT_EQ(r.observations[4].rc, model::rc::kKilled);  // the commit died at its sync
  EXPECT_EQ(r.observations[11].value, model::kAbsent);   // w2's uncommitted write died with it
  EXPECT_EQ(r.observations[13].value, 0);                // acknowledged: survives power loss
  ASSERT_FALSE(r.observations[16].rows.empty());
  EXPECT_EQ(r.observations[16].rows.back().key, 4);
}

// The pids of this process's children (the fork boundary's workers and
// spares), from /proc/self/task/*/children.
std::set<pid_t> Children() {
  std::set<pid_t> out;
  for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(t.path() / "children");
    for (pid_t pid; in >> pid;) out.insert(pid);
  }
  return out;
}

// A worker that dies outside any op (SIGKILLed from outside the schedule,
// as when its sandbox host or agent dies) frees its locks unseen, so another
// worker's op may see what the model cannot predict. CheckWorkers, which
// the runner calls before a mismatch stands, must report it as harvey's
// failure; with every worker alive it reports nothing.
TEST(CrashTest, AWorkerThatDiedOutsideAnyOpIsAFailureNotAFinding) {
  auto scratch = MakeScratch();
  ForkBackend backend;
  const model::Schedule s = MustParse("harvey-schedule 1\nworker w1\nworker w2\nw1 begin immediate\n");
  const std::string db = scratch->path() + "/harvey.db";
  ASSERT_EQ(CreateDatabase(db, s.config), "");
  ASSERT_EQ(backend.Begin(s, db), "");
  ASSERT_EQ(backend.Execute(0, s.steps[0].op, 0, nullptr).rc, model::rc::kOk);  // w1 holds the write lock
  backend.CheckWorkers(kWorkerDeathGraceMs);
  EXPECT_EQ(backend.TakeFailure().error, "") << "every worker is alive";
  const std::set<pid_t> children = Children();
  ASSERT_FALSE(children.empty());
  for (pid_t pid : children) ::kill(pid, SIGKILL);
  backend.CheckWorkers(1000);
  const std::string error = backend.TakeFailure().error;
  EXPECT_NE(error.find("ended outside any op"), std::string::npos) << error;
  backend.Finish();
}

TEST(CrashTest, CrashSchedulesReplayWithTheSameTrace) {
  auto scratch = MakeScratch();
  ForkBackend backend;
  for (uint64_t seed : {21u, 22u, 23u}) {
    const model::Schedule s = model::AddCrashes(
        seed, model::CrashOptions{.kill_percent = 15, .power_loss_percent = 10},
        model::Generate(seed, model::GenOptions{.workers = 3, .steps = 50}));
    uint64_t first = 0;
    for (int i = 0; i < 3; ++i) {
      const RunResult r = RunSchedule(s, backend, scratch->path());
      ASSERT_EQ(r.verdict, Verdict::kPass) << (r.mismatch ? r.mismatch->Summary() : r.error);
      if (i == 0) first = r.trace;
      EXPECT_EQ(r.trace, first) << "seed " << seed << " run " << i;
    }
  }
}

// With xSync lying, a power loss takes back acknowledged commits: harvey
// must see it (a calibration that the durability oracle is not vacuous).
TEST(CrashTest, FsyncLiesArePaidForAtPowerLoss) {
  auto scratch = MakeScratch();
  for (const char* boundary : {"fork", "inproc"}) {
    std::string error;
    auto backend = MakeBackend(boundary, &error);
    model::Schedule s = MustParse(R"(harvey-schedule 1
config synchronous full
config defect fsync-lies
worker w1
w1 write 1 100
w1 write 2 100
w1 power-loss 0
)");
    const RunResult r = RunSchedule(s, *backend, scratch->path());
    ASSERT_EQ(r.verdict, Verdict::kMismatch) << boundary;
    EXPECT_EQ(r.mismatch->step, 2);
    EXPECT_EQ(r.mismatch->failure_class, "step:power-loss:rows");
    ASSERT_FALSE(r.mismatch->details.empty());
    EXPECT_NE(r.mismatch->details[0].find("acknowledged value written at step 0"), std::string::npos)
        << r.mismatch->details[0];
    // Without the defect the same schedule passes.
    s.config.defect = model::Defect::kNone;
    const RunResult ok = RunSchedule(s, *backend, scratch->path());
    EXPECT_EQ(ok.verdict, Verdict::kPass) << (ok.mismatch ? ok.mismatch->Summary() : ok.error);
  }
}

TEST(CrashTest, InprocRefusesKillsInsideOps) {
  auto scratch = MakeScratch();
  std::string error;
  auto backend = MakeBackend("inproc", &error);
  const RunResult r = RunSchedule(MustParse(kCrashSchedule), *backend, scratch->path());
  EXPECT_EQ(r.verdict, Verdict::kError);
  EXPECT_NE(r.error.find("use --boundary fork"), std::string::npos) << r.error;
}

// The wire protocol pauses a worker inside an op at each VFS event the
// coordinator asks for, and the op completes after the go-aheads.
TEST(WireTest, WorkerPausesInsideAnOpAtEachAskedEvent) {
  auto scratch = MakeScratch();
  ForkBackend backend;
  model::Schedule s = MustParse("harvey-schedule 1\nworker w1\nw1 write 1 100\n");
  const std::string db = scratch->path() + "/harvey.db";
  ASSERT_EQ(CreateDatabase(db, s.config), "");
  ASSERT_EQ(backend.Begin(s, db), "");
  std::vector<EventInfo> seen;
  PausePolicy pause;
  pause.mask = 1u << static_cast<int>(VfsEvent::kSync) | 1u << static_cast<int>(VfsEvent::kWrite);
  pause.on_event = [&](const EventInfo& e) {
    seen.push_back(e);
    return pause.mask;
  };
  const model::Observation o = backend.Execute(0, s.steps[0].op, 0, &pause);
  EXPECT_EQ(o.rc, model::rc::kOk);
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.back().event, VfsEvent::kSync);  // the commit's WAL sync comes after its writes
  EXPECT_EQ(seen.back().role, FileRole::kWal);
  EXPECT_EQ(seen.front().ordinal, 1u);
  backend.Finish();
}

}  // namespace
}  // namespace harvey::harness
