// issue 17's speed work: the value stream written a word at a time is the
// same bytes as drawn one byte at a time (traces must not change), and its
// decoder still catches any changed byte; the bench's limit runs every step
// of the campaign's schedules; resident sizes find a forked child; the
// default scratch directory is in memory when /dev/shm is a tmpfs.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "harness/coordinator/bench.h"
#include "harness/coordinator/campaign.h"
#include "harness/os/memory.h"
#include "harness/os/scratch.h"
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

}  // namespace
}  // namespace harvey
