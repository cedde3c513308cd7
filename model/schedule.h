// The Schedule value: what one harvey test case is. A pure value type (no
// SQLite, no OS calls): configuration, the workers, and the ordered steps.
//
// A Schedule is printed and parsed by model/format.h; two schedules compare
// equal iff they print identically. Everything a run observes is a function of
// the schedule (and the SQLite build), so a schedule replays bit-for-bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace harvey::model {

enum class Synchronous { kOff, kNormal, kFull };
enum class BeginMode { kDeferred, kImmediate, kExclusive };
enum class CheckpointMode { kPassive, kFull, kRestart, kTruncate };

struct Config {
  uint32_t page_size = 4096;         // 512..65536, power of two
  Synchronous synchronous = Synchronous::kFull;
  uint32_t wal_autocheckpoint = 0;   // frames; 0 = off
  int32_t cache_size = 100;          // pages (positive) as in PRAGMA cache_size
  uint64_t seed = 1;                 // values, WAL salts, virtual time
  bool operator==(const Config&) const = default;
};

enum class OpKind {
  kBegin,       // arg: BeginMode
  kRead,        // key
  kWrite,       // key, size (bytes, >= kMinValueSize)
  kDelete,      // key
  kScan,        // digest of the whole table
  kCommit,
  kRollback,
  kCheckpoint,  // arg: CheckpointMode
  kClose,
  kOpen,
};

inline constexpr uint32_t kMinValueSize = 16;
inline constexpr uint32_t kMaxValueSize = 1u << 20;
inline constexpr int64_t kMaxKey = 1'000'000;

struct Op {
  OpKind kind = OpKind::kScan;
  int64_t key = 0;        // kRead, kWrite, kDelete
  uint32_t size = 0;      // kWrite
  BeginMode begin = BeginMode::kDeferred;            // kBegin
  CheckpointMode checkpoint = CheckpointMode::kPassive;  // kCheckpoint
  bool operator==(const Op&) const = default;
};

struct Step {
  int worker = 0;  // index into Schedule::workers
  Op op;
  bool operator==(const Step&) const = default;
};

struct Worker {
  std::string name;  // e.g. "w1"; [a-z][a-z0-9_]*
  bool operator==(const Worker&) const = default;
};

inline constexpr int kMaxWorkers = 8;

struct Schedule {
  Config config;
  std::vector<Worker> workers;
  std::vector<Step> steps;
  bool operator==(const Schedule&) const = default;
};

const char* ToString(Synchronous s);
const char* ToString(BeginMode m);
const char* ToString(CheckpointMode m);
const char* ToString(OpKind k);

}  // namespace harvey::model
