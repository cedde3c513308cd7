// The bytes harvey writes for `write KEY SIZE` at step S. The model knows
// every value without storing it: the bytes are a pure function of
// (schedule seed, step index, size). The first 8 bytes hold the step index
// (little-endian) so that a value read back names the write that made it.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace harvey::model {

// REQUIRES: size >= kMinValueSize.
std::string ValueBytes(uint64_t seed, int64_t step, uint32_t size);

// The step that wrote `bytes`, or kCorrupt if they are not exactly
// ValueBytes(seed, step, bytes.size()) for the step they name.
int64_t DecodeValue(uint64_t seed, std::span<const unsigned char> bytes);

}  // namespace harvey::model
