// Properties of schedule_fuzzer's byte encoding: decoding is total (every
// byte string gives a valid schedule) and encoding inverts it.
#include "fuzz/schedule_codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "model/format.h"
#include "model/generator.h"

namespace harvey::fuzz {
namespace {

model::Schedule Decode(const std::string& bytes) {
  return DecodeSchedule({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
}

RC_GTEST_PROP(ScheduleCodec, EveryByteStringDecodesToAValidSchedule, (const std::vector<uint8_t>& b)) {
  const model::Schedule s = DecodeSchedule(b);
  RC_ASSERT(model::Validate(s) == "");
  RC_ASSERT(s.steps.size() <= static_cast<size_t>(kMaxFuzzSteps));
}

RC_GTEST_PROP(ScheduleCodec, EncodeInvertsDecode, (const std::vector<uint8_t>& b)) {
  const model::Schedule s = DecodeSchedule(b);
  bool lossy = true;
  const std::string bytes = EncodeSchedule(s, &lossy);
  RC_ASSERT(!lossy);
  RC_ASSERT(Decode(bytes) == s);
}

TEST(ScheduleCodec, GeneratedSchedulesRoundTrip) {
  int exact = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    // With the drawn connection settings (op-level: busy_timeout stays 0).
    model::GenOptions o{.workers = 3, .steps = kMaxFuzzSteps};
    const model::Schedule s = model::Generate(seed, o);
    bool lossy = true;
    const model::Schedule back = Decode(EncodeSchedule(s, &lossy));
    ASSERT_EQ(model::Validate(back), "") << "seed " << seed;
    if (!lossy) {
      ASSERT_EQ(model::PrintSchedule(back), model::PrintSchedule(s)) << "seed " << seed;
      ++exact;
    }
  }
  // The generator's schedules are what the fuzzer starts from: most must fit.
  EXPECT_GE(exact, 150);
}

TEST(ScheduleCodec, ShortInputs) {
  EXPECT_EQ(model::Validate(Decode("")), "");
  EXPECT_TRUE(Decode("").steps.empty());
  EXPECT_EQ(Decode("").workers.size(), 2u);
  // A step byte with its argument bytes missing reads them as zeros.
  const model::Schedule s = Decode(std::string("\0\0\0\0\1\2", 6));  // 3 workers; w1 write 0 16
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_EQ(model::PrintStep(s, s.steps[0]), "w1 write 0 16");
}

TEST(ScheduleCodec, ConnectionSettingsRoundTripButBusyTimeout) {
  model::Schedule s = model::Generate(1, {.workers = 2, .steps = 4});
  for (int i = 0; i < 4; ++i) {
    model::Schedule t = s;
    t.config = model::Config{};
    if (i == 0) t.config.mmap_size = 65536;
    if (i == 1) t.config.checkpoint_on_close = false;
    if (i == 2) t.config.mmap_size = kMaxFuzzMmapSize + 1;  // clamped
    if (i == 3) t.config.busy_timeout = 10;                  // not in the format
    bool lossy = false;
    const model::Schedule back = Decode(EncodeSchedule(t, &lossy));
    EXPECT_EQ(lossy, i >= 2) << i;
    EXPECT_EQ(back.config.checkpoint_on_close, t.config.checkpoint_on_close) << i;
    EXPECT_EQ(back.config.mmap_size, std::min(t.config.mmap_size, kMaxFuzzMmapSize)) << i;
    EXPECT_EQ(back.config.busy_timeout, 0) << i;
  }
}

TEST(ScheduleCodec, SecureDeleteRoundTrips) {
  model::Schedule s = model::Generate(1, {.workers = 2, .steps = 4});
  s.config = model::Config{};
  for (model::SecureDelete d : {model::SecureDelete::kDefault, model::SecureDelete::kOff, model::SecureDelete::kOn,
                                model::SecureDelete::kFast}) {
    s.config.secure_delete = d;
    s.config.journal_size_limit = d == model::SecureDelete::kOn ? 0 : -1;  // (with and without the limit before it)
    bool lossy = true;
    const model::Schedule back = Decode(EncodeSchedule(s, &lossy));
    EXPECT_FALSE(lossy);
    EXPECT_EQ(model::PrintSchedule(back), model::PrintSchedule(s));
  }
}

TEST(ScheduleCodec, OlderConfigBytesDecodeAsBefore) {
  // EncodeSchedule wrote page + 16 * synchronous (< 48): no setting bits.
  for (int b = 0; b < 48; ++b) {
    const model::Schedule s = Decode(std::string(1, static_cast<char>(b)) + std::string("\0\0\0\0", 4));
    EXPECT_EQ(static_cast<int>(s.config.synchronous), (b >> 4) % 3) << b;
    EXPECT_TRUE(s.config.checkpoint_on_close) << b;
    EXPECT_EQ(s.config.mmap_size, 0) << b;
  }
}

TEST(ScheduleCodec, LossyWhereTheEncodingCannotFollow) {
  model::Schedule s = Decode(std::string("\0\0\0\0\0", 5));
  s.steps.push_back(model::Step{0, model::Op{.kind = model::OpKind::kWrite, .key = 1, .size = kMaxFuzzValueSize + 1}});
  bool lossy = false;
  const model::Schedule back = Decode(EncodeSchedule(s, &lossy));
  EXPECT_TRUE(lossy);
  EXPECT_EQ(back.steps.at(0).op.size, kMaxFuzzValueSize);
}

TEST(ScheduleCodec, SavepointsAndVacuumOnHighStepBytes) {
  // 3 workers; 0xE0 + kind + 4 * worker, then the name byte.
  const model::Schedule s = Decode(std::string("\0\0\0\0\1\xE0\x01\xE5\x02\xEA\x07\xE3", 12));
  ASSERT_EQ(s.steps.size(), 4u);
  EXPECT_EQ(model::PrintStep(s, s.steps[0]), "w1 savepoint b");
  EXPECT_EQ(model::PrintStep(s, s.steps[1]), "w2 release c");
  EXPECT_EQ(model::PrintStep(s, s.steps[2]), "w3 rollback-to d");
  EXPECT_EQ(model::PrintStep(s, s.steps[3]), "w1 vacuum");
  bool lossy = true;
  EXPECT_EQ(Decode(EncodeSchedule(s, &lossy)), s);
  EXPECT_FALSE(lossy);
}

TEST(ScheduleCodec, OldKindsKeepTheirEncoding) {
  // Every step of the first ten kinds is written as kind + 10 * worker (<
  // 80), as before savepoints existed, so saved inputs still decode alike.
  model::Schedule s = Decode(std::string("\0\0\0\0\x0F", 5));  // 8 workers
  ASSERT_EQ(s.workers.size(), 8u);
  for (int w = 0; w < 8; ++w) {
    s.steps.push_back(model::Step{w, model::Op{.kind = model::OpKind::kOpen}});
  }
  const size_t header = EncodeSchedule(model::Schedule{s.config, s.workers}).size();
  const std::string bytes = EncodeSchedule(s);
  ASSERT_EQ(bytes.size(), header + 8);
  for (size_t i = header; i < bytes.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(static_cast<uint8_t>(bytes[i])), 9 + 10 * (i - header));
  }
  // A savepoint name the codec cannot carry is lossy (renamed "a").
  s.steps.push_back(model::Step{0, model::Op{.kind = model::OpKind::kSavepoint, .name = "zz"}});
  bool lossy = false;
  const model::Schedule back = Decode(EncodeSchedule(s, &lossy));
  EXPECT_TRUE(lossy);
  EXPECT_EQ(back.steps.back().op.name, "a");
}

}  // namespace
}  // namespace harvey::fuzz
