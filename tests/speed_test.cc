// issue 17's speed work: the value stream written a word at a time is the
// same bytes as drawn one byte at a time (traces must not change), and its
// decoder still catches any changed byte; the bench's limit runs every step
// of the campaign's schedules; resident sizes find a forked child; the
// default scratch directory is in memory when /dev/shm is a tmpfs; the
// fork launcher's spare workers are forked by Idle, handed out by Spawn
// (skipped when dead) and gone with the launcher.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "harness/coordinator/bench.h"
#include "harness/boundary/launchers.h"
#include "harness/coordinator/campaign.h"
#include "harness/os/memory.h"
#include "harness/os/process.h"
#include "harness/os/scratch.h"
#include "harness/worker/sqlite_build.h"
#include "model/observation.h"
#include "model/rng.h"
#include "model/value.h"

namespace harvey {
namespace {

// The stream as the first version drew it: one byte at a time.
std::string ReferenceValue(uint64_t seed, int64_t step, uint32_t size) {
  std::string v(size, '\0');
  for (int b = 0; b < 8; ++b) v[b] = static_cast<char>(static_cast<uint64_t>(step) >> (8 * b));
  model::Rng rng(seed ^ (static_cast<uint64_t>(step) * 0x9E3779B97F4A7C15ull) ^ 0x76616C7565ull);
  for (size_t i = 8; i < size;) {
    const uint64_t r = rng.Next();
    for (int b = 0; b < 8 && i < size; ++b, ++i) v[i] = static_cast<char>(r >> (8 * b));
  }
  return v;
}

TEST(ValueStream, SameBytesAsDrawnOneByteAtATime) {
  for (uint32_t size : {16u, 17u, 23u, 24u, 25u, 31u, 100u, 4096u, 4099u}) {
    for (int64_t step : {0, 1, 37, 1'000'000}) {
      EXPECT_EQ(model::ValueBytes(42, step, size), ReferenceValue(42, step, size)) << size << " " << step;
    }
  }
}

TEST(ValueStream, DecodeNamesTheStepAndCatchesEveryChangedByte) {
  for (uint32_t size : {16u, 21u, 64u, 1001u}) {
    const std::string v = model::ValueBytes(7, 12, size);
    auto span = [](const std::string& s) {
      return std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(s.data()), s.size());
    };
    EXPECT_EQ(model::DecodeValue(7, span(v)), 12);
    EXPECT_EQ(model::DecodeValue(8, span(v)), model::kCorrupt);  // another seed
    for (size_t i = 8; i < v.size(); ++i) {
      std::string bad = v;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      ASSERT_EQ(model::DecodeValue(7, span(bad)), model::kCorrupt) << "size " << size << " byte " << i;
    }
  }
}

TEST(BenchLimit, RunsEveryStepOfTheCampaignSchedules) {
  auto scratch = harness::ScratchDir::Create("");
  ASSERT_TRUE(scratch.ok()) << scratch.error();
  harness::CampaignSpec spec;
  spec.seed = 3;
  spec.count = 5;
  spec.gen = model::GenOptions{.workers = 3, .steps = 30};  // crashes: the default mix
  uint64_t steps = 0;
  for (uint64_t i = 0; i < 5; ++i) steps += harness::CampaignSchedule(spec, i).steps.size();
  harness::BenchFigures f;
  ASSERT_EQ(harness::RunLimit(spec, scratch.value()->path(), &f), "");
  EXPECT_EQ(f.schedules, 5u);
  EXPECT_EQ(f.steps, steps);
  EXPECT_GT(f.elapsed_s, 0);
  EXPECT_FALSE(std::filesystem::exists(scratch.value()->path() + "/harvey.db"));
}

TEST(Memory, CountsThisProcessAndAForkedChild) {
  const harness::TreeMemory before = harness::SelfAndDescendantsMemory();
  EXPECT_GT(before.self.rss_kb, 0u);
  EXPECT_GE(before.self.hwm_kb, before.self.rss_kb);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c;
    ::close(fds[1]);
    (void)!::read(fds[0], &c, 1);  // until the parent closes its end
    _exit(0);
  }
  ::close(fds[0]);
  const harness::TreeMemory with = harness::SelfAndDescendantsMemory();
  ::close(fds[1]);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(with.children, before.children + 1);
  EXPECT_GT(with.children_total.rss_kb, before.children_total.rss_kb);
}

TEST(Scratch, DefaultIsInMemoryWhenDevShmIsATmpfs) {
  if (!harness::OnTmpfs("/dev/shm") || ::access("/dev/shm", W_OK) != 0) {
    GTEST_SKIP() << "/dev/shm is not a writable tmpfs here";
  }
  std::string path;
  {
    auto s = harness::ScratchDir::Create("");
    ASSERT_TRUE(s.ok()) << s.error();
    path = s.value()->path();
    EXPECT_EQ(path.rfind("/dev/shm/harvey-", 0), 0u) << path;
    EXPECT_NE(s.value()->where().find("(tmpfs)"), std::string::npos) << s.value()->where();
  }
  EXPECT_FALSE(std::filesystem::exists(path));  // removed with the object
}

// This process's live (not zombie) children, from /proc/*/stat.
std::set<pid_t> LiveChildren() {
  std::set<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream f(e.path() / "stat");
    std::string line;
    if (!std::getline(f, line)) continue;
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = '?';
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == ::getpid() && state != 'Z') out.insert(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

// The one element of `after` not in `before`, or -1.
pid_t NewOne(const std::set<pid_t>& before, const std::set<pid_t>& after) {
  pid_t found = -1;
  for (pid_t p : after) {
    if (before.count(p)) continue;
    if (found != -1) return -1;
    found = p;
  }
  return found;
}

TEST(ForkSpares, IdleForksASpareThatSpawnHandsOut) {
  auto launcher = harness::MakeForkLauncher();
  const std::string sqlite = harness::BuildSqliteName();
  pid_t first = -1, second = -1;
  int fd1 = -1, fd2 = -1;
  ASSERT_EQ(launcher->Spawn(0, "/nonexistent/harvey.db", sqlite, &first, &fd1), "");
  const std::set<pid_t> before = LiveChildren();
  launcher->Idle();
  const pid_t spare = NewOne(before, LiveChildren());
  ASSERT_GT(spare, 0) << "Idle forked no spare (or more than one)";
  launcher->Idle();  // one slot so far: one spare is enough
  EXPECT_EQ(LiveChildren().size(), before.size() + 1);
  ASSERT_EQ(launcher->Spawn(0, "/nonexistent/harvey.db", sqlite, &second, &fd2), "");
  EXPECT_EQ(second, spare);
  EXPECT_EQ(LiveChildren().size(), before.size() + 1);  // handed out, not forked anew
  for (pid_t p : {first, second}) EXPECT_TRUE(WIFSIGNALED(launcher->Kill(0, p)));
  ::close(fd1);
  ::close(fd2);
}

TEST(ForkSpares, ADeadSpareIsSkippedAndSparesGoWithTheLauncher) {
  auto launcher = harness::MakeForkLauncher();
  const std::string sqlite = harness::BuildSqliteName();
  pid_t worker = -1;
  int fd = -1;
  ASSERT_EQ(launcher->Spawn(1, "/nonexistent/harvey.db", sqlite, &worker, &fd), "");  // slot 1: two spares
  std::set<pid_t> before = LiveChildren();
  launcher->Idle();
  const pid_t dead = NewOne(before, LiveChildren());
  ASSERT_GT(dead, 0);
  ::kill(dead, SIGKILL);  // e.g. the OOM killer, while it waits for its Reset
  while (LiveChildren().count(dead)) ::usleep(1000);
  pid_t next = -1;
  int next_fd = -1;
  ASSERT_EQ(launcher->Spawn(0, "/nonexistent/harvey.db", sqlite, &next, &next_fd), "");
  EXPECT_NE(next, dead);
  EXPECT_EQ(::kill(next, 0), 0) << "Spawn handed out a dead process";
  before = LiveChildren();
  launcher->Idle();
  const pid_t spare = NewOne(before, LiveChildren());
  ASSERT_GT(spare, 0);
  for (pid_t p : {worker, next}) launcher->Kill(0, p);
  ::close(fd);
  ::close(next_fd);
  launcher.reset();
  EXPECT_EQ(::kill(spare, 0), -1) << "the spare outlived its launcher";  // reaped: no such process
  EXPECT_EQ(::kill(dead, 0), -1);
}

}  // namespace
}  // namespace harvey
