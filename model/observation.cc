#include "model/observation.h"

#include <string>

namespace harvey::model {

std::string RcName(int code) {
  switch (code) {
    case rc::kOk: return "ok";
    case rc::kError: return "ERROR";
    case rc::kBusy: return "BUSY";
    case rc::kLocked: return "LOCKED";
    case rc::kBusySnapshot: return "BUSY_SNAPSHOT";
    case rc::kProtocol: return "PROTOCOL";
    case rc::kNotOpen: return "NOT_OPEN";
    case rc::kAlreadyOpen: return "ALREADY_OPEN";
    case rc::kWorkerDied: return "WORKER_DIED";
    case rc::kKilled: return "KILLED";
    default: return "rc=" + std::to_string(code);
  }
}

namespace {
std::string WrittenAt(int64_t w) {
  if (w == kAbsent) return "absent";
  if (w == kCorrupt) return "CORRUPT";
  return "@" + std::to_string(w);
}
}  // namespace

std::string Describe(OpKind kind, const Observation& o) {
  std::string d = RcName(o.rc);
  if (o.rc != rc::kOk) return d;
  if (!o.recovery_problem.empty()) return d + " recovery problem: " + o.recovery_problem;
  if (kind == OpKind::kRead) return d + " value " + WrittenAt(o.value);
  if (kind == OpKind::kScan || kind == OpKind::kPowerLoss) {
    d += " rows {";
    for (size_t i = 0; i < o.rows.size(); ++i) {
      if (i) d += ",";
      d += std::to_string(o.rows[i].key) + WrittenAt(o.rows[i].written_at);
    }
    return d + "}";
  }
  if (kind == OpKind::kCheckpoint && o.ckpt_log >= 0) {
    return d + " log " + std::to_string(o.ckpt_log) + " checkpointed " +
           std::to_string(o.ckpt_done);
  }
  return d;
}

}  // namespace harvey::model
