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
    const model::Schedule s = model::Generate(seed, {.workers = 3, .steps = kMaxFuzzSteps});
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

TEST(ScheduleCodec, LossyWhereTheEncodingCannotFollow) {
  model::Schedule s = Decode(std::string("\0\0\0\0\0", 5));
  s.steps.push_back(model::Step{0, model::Op{.kind = model::OpKind::kWrite, .key = 1, .size = kMaxFuzzValueSize + 1}});
  bool lossy = false;
  const model::Schedule back = Decode(EncodeSchedule(s, &lossy));
  EXPECT_TRUE(lossy);
  EXPECT_EQ(back.steps.at(0).op.size, kMaxFuzzValueSize);
}

}  // namespace
}  // namespace harvey::fuzz
