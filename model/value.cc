#include "model/value.h"

#include <cstring>

#include "model/observation.h"
#include "model/rng.h"
#include "model/schedule.h"

namespace harvey::model {
namespace {
// Bytes 8.. of the value: a stream keyed by (seed, step). Text-safe is not
// needed: values are bound as BLOBs.
void Fill(uint64_t seed, int64_t step, unsigned char* out, size_t n) {
  Rng rng(seed ^ (static_cast<uint64_t>(step) * 0x9E3779B97F4A7C15ull) ^ 0x76616C7565ull);
  size_t i = 0;
  while (i < n) {
    uint64_t r = rng.Next();
    for (int b = 0; b < 8 && i < n; ++b, ++i) out[i] = static_cast<unsigned char>(r >> (8 * b));
  }
}
}  // namespace

std::string ValueBytes(uint64_t seed, int64_t step, uint32_t size) {
  std::string v(size, '\0');
  auto* p = reinterpret_cast<unsigned char*>(v.data());
  for (int b = 0; b < 8; ++b) p[b] = static_cast<unsigned char>(static_cast<uint64_t>(step) >> (8 * b));
  Fill(seed, step, p + 8, size - 8);
  return v;
}

int64_t DecodeValue(uint64_t seed, std::span<const unsigned char> bytes) {
  if (bytes.size() < kMinValueSize || bytes.size() > kMaxValueSize) return kCorrupt;
  uint64_t step = 0;
  for (int b = 0; b < 8; ++b) step |= static_cast<uint64_t>(bytes[b]) << (8 * b);
  if (step > (1ull << 40)) return kCorrupt;
  std::string expect = ValueBytes(seed, static_cast<int64_t>(step), static_cast<uint32_t>(bytes.size()));
  if (std::memcmp(expect.data(), bytes.data(), bytes.size()) != 0) return kCorrupt;
  return static_cast<int64_t>(step);
}

}  // namespace harvey::model
