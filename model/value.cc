#include "model/value.h"

#include <bit>
#include <cstring>

#include "model/observation.h"
#include "model/rng.h"
#include "model/schedule.h"

namespace harvey::model {
namespace {
// Bytes 8.. of the value: a stream keyed by (seed, step), 8 bytes a draw,
// least significant first. Text-safe is not needed: values are bound as
// BLOBs. Whole draws are stored and compared as one little-endian word.
Rng ValueRng(uint64_t seed, int64_t step) {
  return Rng(seed ^ (static_cast<uint64_t>(step) * 0x9E3779B97F4A7C15ull) ^ 0x76616C7565ull);
}

uint64_t AsLittleEndian(uint64_t r) {
  if constexpr (std::endian::native == std::endian::little) {
    return r;
  } else {
    uint64_t out = 0;
    for (int b = 0; b < 8; ++b) out = out << 8 | ((r >> (8 * b)) & 0xff);
    return out;
  }
}

void Fill(uint64_t seed, int64_t step, unsigned char* out, size_t n) {
  Rng rng = ValueRng(seed, step);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t r = AsLittleEndian(rng.Next());
    std::memcpy(out + i, &r, 8);
  }
  if (i < n) {
    const uint64_t r = rng.Next();
    for (int b = 0; i < n; ++b, ++i) out[i] = static_cast<unsigned char>(r >> (8 * b));
  }
}

// Whether `in` (n bytes) is Fill's output, compared as it is drawn.
bool Matches(uint64_t seed, int64_t step, const unsigned char* in, size_t n) {
  Rng rng = ValueRng(seed, step);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t got;
    std::memcpy(&got, in + i, 8);
    if (got != AsLittleEndian(rng.Next())) return false;
  }
  if (i < n) {
    const uint64_t r = rng.Next();
    for (int b = 0; i < n; ++b, ++i) {
      if (in[i] != static_cast<unsigned char>(r >> (8 * b))) return false;
    }
  }
  return true;
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
  // No copy of the value: this runs for every row of every scan.
  if (!Matches(seed, static_cast<int64_t>(step), bytes.data() + 8, bytes.size() - 8)) return kCorrupt;
  return static_cast<int64_t>(step);
}

}  // namespace harvey::model
