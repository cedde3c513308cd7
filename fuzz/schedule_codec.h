// The byte encoding schedule_fuzzer reads: structure-aware, total (every byte
// string decodes to a schedule model::Validate accepts), and small (a step is
// 1-3 bytes, so libFuzzer's mutations move whole steps and arguments).
//
//   byte     page_size = b & 8 ? 512 << (b & 7) : 4096 (half the inputs use
//            the common size); synchronous = ((b >> 4) & 3) % 3;
//            bit 6 (0x40): checkpoint_on_close off (SQLite's default, on, when
//            clear); bit 7 (0x80): an mmap_size varint follows the seed
//            (EncodeSchedule wrote bytes < 48 before these bits existed, so
//            its older encodings decode as before)
//   varint   wal_autocheckpoint (mod 1000001)
//   zigzag   cache_size (0 -> 100; clamped into -1000000..1000000)
//   varint   seed
//   varint   mmap_size (mod kMaxFuzzMmapSize + 1), only with bit 7
//   byte     workers = b & 8 ? 1 + (b & 7) : 2 + (b & 1)   (named w1, w2, ...;
//            half the inputs have 2 or 3: every worker costs a connection);
//            bit 4 (0x10): a journal_size_limit varint follows, the limit + 1
//            (mod 1000000001 + 1; EncodeSchedule wrote bytes < 16 here before,
//            so its older encodings decode as before); bit 5 (0x20): a
//            secure_delete byte follows (after the limit), b % 4 = default
//            off on fast (bytes < 32 before)
//   steps, until the bytes or kMaxFuzzSteps run out:
//     byte   b < 0xE0: kind = b % 10 (begin read write delete scan commit
//            rollback checkpoint close open); worker = (b / 10) % workers
//            b >= 0xE0: kind = (b - 0xE0) % 4 (savepoint release rollback-to
//            vacuum); worker = (b - 0xE0) / 4 % workers. EncodeSchedule writes
//            only bytes < 80 for the first ten kinds, so their encodings are
//            the same as before savepoints existed (only bytes >= 0xE0,
//            which it never wrote, changed meaning)
//     begin: byte mode % 3;  checkpoint: byte mode % 4
//     read / delete / write: key byte: < 0xF0 -> key b % 8 (the hot set),
//            else a varint key (mod kMaxKey + 1)
//     write: size byte: < 0xF0 -> 16 + 4 * b, else a varint size clamped to
//            16..kMaxFuzzValueSize
//     savepoint / release / rollback-to: name byte -> name "a" "b" "c" "d"
//            (b % 4: few names, so releases find their savepoints)
// Missing bytes read as 0. Varints are LEB128, at most 10 bytes.
//
// Only ops the inproc backend runs are encoded (no kill, kill at, power
// loss), and the config defect is always none: the fuzzer may set it.
// busy_timeout is not encoded (the fuzzer runs op-level, where it is 0);
// mmap_size above kMaxFuzzMmapSize is clamped (EncodeSchedule says lossy).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "model/schedule.h"

namespace harvey::fuzz {

inline constexpr int kMaxFuzzSteps = 32;
inline constexpr uint32_t kMaxFuzzValueSize = 1u << 14;
inline constexpr int64_t kMaxFuzzMmapSize = int64_t{64} << 20;  // the generator's largest draw

// Total: every input gives a valid schedule (model::Validate(s) == "").
model::Schedule DecodeSchedule(std::span<const uint8_t> bytes);

// Bytes that DecodeSchedule turns back into `s` when `s` fits the encoding
// (inproc ops only, savepoint names a..d, at most kMaxFuzzSteps steps, sizes <= kMaxFuzzValueSize,
// defect none, default sector size). What does not fit is dropped (steps
// with other ops, steps past the limit) or clamped (sizes, defect, sector
// size); *lossy (if given) tells whether anything was.
// REQUIRES: model::Validate(s) == "".
std::string EncodeSchedule(const model::Schedule& s, bool* lossy = nullptr);

}  // namespace harvey::fuzz
