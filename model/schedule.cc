// Text names of the schedule enums; these are the keywords of the schedule
// format (model/format.h). An out-of-range enum value (only possible through
// a cast) prints as "?" rather than being undefined behaviour.
#include "model/schedule.h"

namespace harvey::model {

const char* ToString(Synchronous s) {
  switch (s) {
    case Synchronous::kOff: return "off";
    case Synchronous::kNormal: return "normal";
    case Synchronous::kFull: return "full";
  }
  return "?";
}

const char* ToString(BeginMode m) {
  switch (m) {
    case BeginMode::kDeferred: return "deferred";
    case BeginMode::kImmediate: return "immediate";
    case BeginMode::kExclusive: return "exclusive";
  }
  return "?";
}

const char* ToString(CheckpointMode m) {
  switch (m) {
    case CheckpointMode::kPassive: return "passive";
    case CheckpointMode::kFull: return "full";
    case CheckpointMode::kRestart: return "restart";
    case CheckpointMode::kTruncate: return "truncate";
  }
  return "?";
}

const char* ToString(OpKind k) {
  switch (k) {
    case OpKind::kBegin: return "begin";
    case OpKind::kRead: return "read";
    case OpKind::kWrite: return "write";
    case OpKind::kDelete: return "delete";
    case OpKind::kScan: return "scan";
    case OpKind::kCommit: return "commit";
    case OpKind::kRollback: return "rollback";
    case OpKind::kCheckpoint: return "checkpoint";
    case OpKind::kClose: return "close";
    case OpKind::kOpen: return "open";
  }
  return "?";
}

}  // namespace harvey::model
