// What a run reports for one step, and what the model predicts. Pure values.
//
// Result codes are SQLite's *extended* result codes as plain integers (the
// model does not include sqlite3.h; the constants below mirror it), plus
// harvey's own codes for ops the harness refuses without calling SQLite.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/schedule.h"

namespace harvey::model {

namespace rc {
inline constexpr int kOk = 0;
inline constexpr int kError = 1;
inline constexpr int kBusy = 5;
inline constexpr int kLocked = 6;
inline constexpr int kBusySnapshot = 5 | (2 << 8);  // SQLITE_BUSY_SNAPSHOT
inline constexpr int kProtocol = 15;                // SQLITE_PROTOCOL (model/README.md, L11)
// harvey's own: the op needs an open connection and the worker has none, or
// `open` on a worker that is already open. Never produced by SQLite.
inline constexpr int kNotOpen = 10001;
inline constexpr int kAlreadyOpen = 10002;
// The worker process died (crashed) during the op: always a finding.
inline constexpr int kWorkerDied = 10003;
// The worker was killed, as the schedule asked, inside the op (kill at EVENT K).
inline constexpr int kKilled = 10004;
}  // namespace rc

// "<name>" for the codes above, "rc=<n>" otherwise.
std::string RcName(int code);

// A value as read back: which write step produced it. kAbsent when the key
// has no row; kCorrupt when the bytes are not a value harvey wrote intact.
inline constexpr int64_t kAbsent = -1;
inline constexpr int64_t kCorrupt = -2;

struct Row {
  int64_t key = 0;
  int64_t written_at = 0;  // step index of the write, or kCorrupt
  bool operator==(const Row&) const = default;
  auto operator<=>(const Row&) const = default;
};

struct Observation {
  int rc = rc::kOk;
  int64_t value = kAbsent;   // kRead: written_at of the value seen, or kAbsent
  std::vector<Row> rows;     // kScan: the whole table, ordered by key
  // kCheckpoint: SQLite's (log frames, checkpointed frames). Recorded in the
  // trace; the model does not predict them (see model/README.md).
  int32_t ckpt_log = -1;
  int32_t ckpt_done = -1;
  // kPowerLoss: what the recovery oracle found wrong after reopening
  // (integrity_check, index vs table, or the open itself); "" when sound.
  std::string recovery_problem;
  bool operator==(const Observation&) const = default;
};

// One line for the observation of an op of `kind`, e.g. "ok", "BUSY",
// "ok value @12", "ok value absent", "ok rows {1@3,2@7}",
// "ok log 5 checkpointed 5".
std::string Describe(OpKind kind, const Observation& o);

}  // namespace harvey::model
