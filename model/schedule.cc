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

const char* ToString(SecureDelete d) {
  switch (d) {
    case SecureDelete::kDefault: return "default";
    case SecureDelete::kOff: return "off";
    case SecureDelete::kOn: return "on";
    case SecureDelete::kFast: return "fast";
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
    case OpKind::kKill: return "kill";
    case OpKind::kKillAt: return "kill-at";  // printed as "kill at EVENT K"
    case OpKind::kPowerLoss: return "power-loss";
    case OpKind::kSavepoint: return "savepoint";
    case OpKind::kRelease: return "release";
    case OpKind::kRollbackTo: return "rollback-to";
    case OpKind::kVacuum: return "vacuum";
  }
  return "?";
}

const char* ToString(Defect d) {
  switch (d) {
    case Defect::kNone: return "none";
    case Defect::kCanary: return "canary";
    case Defect::kFsyncLies: return "fsync-lies";
    case Defect::kNoLocking: return "no-locking";
    case Defect::kMixedLocking: return "mixed-locking";
    case Defect::kPrivateShm: return "private-wal-index";
  }
  return "?";
}

bool ParseDefect(const std::string& name, Defect* out) {
  for (Defect d : {Defect::kNone, Defect::kCanary, Defect::kFsyncLies, Defect::kNoLocking,
                   Defect::kMixedLocking, Defect::kPrivateShm}) {
    if (name == ToString(d)) {
      *out = d;
      return true;
    }
  }
  return false;
}

const char* ToString(Expectation e) {
  switch (e) {
    case Expectation::kPass: return "pass";
    case Expectation::kFail: return "fail";
  }
  return "?";
}

const char* ToString(EventKind e) {
  switch (e) {
    case EventKind::kWrite: return "write";
    case EventKind::kSync: return "sync";
    case EventKind::kTruncate: return "truncate";
    case EventKind::kLock: return "lock";
    case EventKind::kUnlock: return "unlock";
    case EventKind::kShmLock: return "shm-lock";
    case EventKind::kShmBarrier: return "shm-barrier";
    case EventKind::kShmMap: return "shm-map";
    case EventKind::kFileControl: return "file-control";
    case EventKind::kSleep: return "sleep";
    case EventKind::kRead: return "read";
    case EventKind::kFileSize: return "file-size";
    case EventKind::kCheckReservedLock: return "check-reserved-lock";
    case EventKind::kFetch: return "fetch";
    case EventKind::kUnfetch: return "unfetch";
    case EventKind::kShmRead: return "shm-read";
    case EventKind::kShmWrite: return "shm-write";
    case EventKind::kShmUnmap: return "shm-unmap";
    case EventKind::kFileOpen: return "file-open";
    case EventKind::kFileClose: return "file-close";
    case EventKind::kFileDelete: return "file-delete";
    case EventKind::kFileAccess: return "file-access";
    case EventKind::kCall: return "call";
  }
  return "?";
}

}  // namespace harvey::model
