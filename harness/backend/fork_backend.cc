#include "harness/backend/fork_backend.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "harness/worker/durability.h"
#include "harness/os/interrupt.h"
#include "harness/worker/wire.h"
#include "harness/worker/worker_main.h"
#include "model/model.h"

namespace harvey::harness {

ForkBackend::ForkBackend(std::string boundary)
    : boundary_(std::move(boundary)), default_placement_(SplitBoundaries(boundary_)) {}

ForkBackend::ForkBackend(std::string boundary, std::unique_ptr<Launcher> launcher) : ForkBackend(boundary) {
  placements_.Adopt(std::move(boundary), std::move(launcher));
}

ForkBackend::~ForkBackend() {
  for (Proc& p : procs_) {
    if (p.fd >= 0) SendMsg(p.fd, Encoder(MsgType::kQuit));
    Reap(p);
  }
}

pid_t ForkBackend::pid(int worker) const {
  return worker < static_cast<int>(procs_.size()) ? procs_[worker].pid : -1;
}

std::string ForkBackend::Spawn(Proc& p) {
  // The launcher (harness/boundary/launcher.h) forks, or starts the worker in its
  // slot's namespace / container / sshfs machine.
  const int slot = static_cast<int>(&p - procs_.data());
  pid_t pid = -1;
  int fd = -1;
  if (std::string error = p.launcher->Spawn(slot, db_path_, p.sqlite, &pid, &fd); !error.empty()) {
    return error;
  }
  p.pid = pid;
  p.fd = fd;
  p.killed = false;
  return "";
}

std::string ForkBackend::Place(const model::Schedule& s, const std::string& db_path) {
  std::vector<Launcher*> chosen;
  for (size_t i = 0; i < s.workers.size(); ++i) {
    const std::string& b = s.workers[i].boundary.empty()
                               ? default_placement_[i % default_placement_.size()]
                               : s.workers[i].boundary;
    std::string error;
    Launcher* l = placements_.Get(b, &error);
    if (!l) return "worker " + s.workers[i].name + ": " + error;
    chosen.push_back(l);
  }
  std::string host_path = db_path;
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (std::find(chosen.begin(), chosen.begin() + i, chosen[i]) != chosen.begin() + i) continue;
    if (std::string e = chosen[i]->StageDatabase(&host_path); !e.empty()) return e;
  }
  db_path_ = host_path;
  for (size_t i = 0; i < chosen.size(); ++i) {
    Proc& p = procs_[i];
    const std::string sqlite = WorkerSqlite(s.workers[i]);
    if (p.launcher != chosen[i] || p.sqlite != sqlite ||
        (p.pid > 0 && !p.launcher->Reaches(static_cast<int>(i), db_path_))) {
      Reap(p);
      p.launcher = chosen[i];
      p.sqlite = sqlite;
    }
    p.db_path = p.launcher->WorkerPath(static_cast<int>(i), db_path_);
  }
  return "";
}

void ForkBackend::Reap(Proc& p) {
  if (p.pid > 0) p.launcher->Kill(static_cast<int>(&p - procs_.data()), p.pid);
  if (p.fd >= 0) ::close(p.fd);
  p.pid = -1;
  p.fd = -1;
  p.arm.reset();
}

std::string ForkBackend::ResetWorker(int i, int* open_rc, bool closed) {
  Proc& p = procs_[i];
  if (p.pid < 0) {
    if (std::string error = Spawn(p); !error.empty()) return error;
  }
  Encoder e(MsgType::kReset);
  e.Str(p.db_path);
  Put(e, config_);
  e.I64(i).U64(track_durability_ ? 1 : 0).U64(closed ? 2 : open_rc ? 1 : 0);
  std::optional<Decoder> reply;
  if (!SendMsg(p.fd, e) || !(reply = RecvMsg(p.fd))) {
    Reap(p);
    return "worker " + std::to_string(i) + " did not answer Reset";
  }
  if (reply->type() == MsgType::kFailed) return reply->Str();
  const model::Observation opened = GetObservation(*reply);
  if (open_rc) *open_rc = static_cast<int>(opened.rc);
  p.build.name = reply->Str();
  p.build.version = reply->Str();
  p.build.source_id = reply->Str();
  if (p.build.name != p.sqlite) {
    Reap(p);
    return "worker " + std::to_string(i) + " should run SQLite " + p.sqlite + " but its process runs '" +
           p.build.name + "'";
  }
  return "";
}

std::vector<SqliteBuild> ForkBackend::Sqlite() const {
  std::vector<SqliteBuild> out;
  for (int i = 0; i < active_ && i < static_cast<int>(procs_.size()); ++i) out.push_back(procs_[i].build);
  return out;
}

std::string ForkBackend::Begin(const model::Schedule& s, const std::string& db_path) {
  active_ = static_cast<int>(s.workers.size());
  config_ = s.config;
  track_durability_ = model::HasOp(s, model::OpKind::kPowerLoss);
  if (procs_.size() < s.workers.size()) procs_.resize(s.workers.size());
  if (std::string error = Place(s, db_path); !error.empty()) return error;
  for (int i = 0; i < active_; ++i) {
    procs_[i].arm.reset();
    if (std::string error = ResetWorker(i); !error.empty()) return error;
  }
  return "";
}

model::Observation ForkBackend::Execute(int worker, const model::Op& op, int64_t step_index,
                                        const PausePolicy* pause) {
  using model::OpKind;
  Proc& p = procs_.at(static_cast<size_t>(worker));
  if (op.kind == OpKind::kKill) {
    Reap(p);
    p.killed = true;
    return model::Observation{};
  }
  if (op.kind == OpKind::kKillAt) {
    p.arm = Arm{op.event, op.ordinal};
    return model::Observation{};
  }
  std::optional<Arm> arm = std::exchange(p.arm, std::nullopt);
  if (!model::IsKillable(op.kind)) arm.reset();
  if (p.pid < 0) {
    if (!p.killed) return model::Observation{.rc = model::rc::kWorkerDied};
    if (op.kind != OpKind::kOpen) return model::Observation{.rc = model::rc::kNotOpen};
    int open_rc = 0;
    const std::string error = ResetWorker(worker, &open_rc);
    return model::Observation{.rc = error.empty() ? open_rc : model::rc::kError};
  }
  return Step(p, op, step_index, pause, arm);
}

model::Observation ForkBackend::Step(Proc& p, const model::Op& op, int64_t step_index,
                                     const PausePolicy* pause, std::optional<Arm> arm) {
  const model::Observation died{.rc = model::rc::kWorkerDied};
  const uint32_t arm_bit = arm ? 1u << static_cast<int>(arm->event) : 0;
  uint32_t pause_mask = pause ? pause->mask : 0;
  Encoder e(MsgType::kStep);
  e.I64(step_index);
  Put(e, op);
  e.U64(pause_mask | arm_bit);
  if (!SendMsg(p.fd, e)) {
    Reap(p);
    return died;
  }
  while (true) {
    std::optional<Decoder> m = RecvMsg(p.fd);
    if (!m) {
      Reap(p);
      return died;
    }
    const MsgType t = m->type();
    if (t == MsgType::kResult) return GetObservation(*m);
    if (t != MsgType::kEvent) {
      Reap(p);
      return died;
    }
    EventInfo ev;
    ev.event = static_cast<VfsEvent>(m->U64());
    ev.role = static_cast<FileRole>(m->U64());
    ev.arg = m->I64();
    ev.ordinal = m->U64();
    if (arm && static_cast<int>(ev.event) == static_cast<int>(arm->event) &&
        ev.ordinal == arm->ordinal) {
      Reap(p);  // SIGKILL while the worker waits inside SQLite
      p.killed = true;
      return model::Observation{.rc = model::rc::kKilled};
    }
    if (pause && pause->on_event && (pause_mask >> static_cast<int>(ev.event) & 1)) {
      pause_mask = pause->on_event(ev);
    }
    Encoder c(MsgType::kContinue);
    c.U64(pause_mask | arm_bit);
    if (!SendMsg(p.fd, c)) {
      Reap(p);
      return died;
    }
  }
}

model::Observation ForkBackend::PowerLoss(const model::Op& op) {
  for (int i = 0; i < active_; ++i) {
    Reap(procs_[i]);
    procs_[i].killed = true;
  }
  // Every machine loses power too (sshfs: the mounts and their caches).
  for (int i = 0; i < active_; ++i) {
    if (procs_[i].launcher) procs_[i].launcher->PowerCycle();
  }
  if (std::string e = ApplyPowerLoss(db_path_, op.seed, config_.sector_size); !e.empty()) {
    return model::Observation{.rc = model::rc::kError, .recovery_problem = e};
  }
  for (int i = 0; i < active_; ++i) {
    if (std::string e = ResetWorker(i); !e.empty()) {
      model::Observation o;
      o.recovery_problem = "reopen after power loss: " + e;
      return o;
    }
  }
  return RecoveryObservation(VerifyInAWorker());
}

VerifyResult ForkBackend::VerifyInAWorker() {
  for (int i = 0; i < active_; ++i) {
    Proc& p = procs_[i];
    if (p.pid < 0) continue;
    std::optional<Decoder> reply;
    if (!SendMsg(p.fd, Encoder(MsgType::kVerify)) || !(reply = RecvMsg(p.fd)) ||
        reply->type() != MsgType::kVerified) {
      Reap(p);
      continue;
    }
    return GetVerifyResult(*reply);
  }
  // Every worker was killed: start worker 0 again just to verify.
  if (active_ > 0 && procs_[0].killed && ResetWorker(0).empty()) {
    Proc& p = procs_[0];
    std::optional<Decoder> reply;
    if (SendMsg(p.fd, Encoder(MsgType::kClose)) && RecvMsg(p.fd) &&
        SendMsg(p.fd, Encoder(MsgType::kVerify)) && (reply = RecvMsg(p.fd)) &&
        reply->type() == MsgType::kVerified) {
      return GetVerifyResult(*reply);
    }
  }
  VerifyResult failed;
  failed.error = "no live worker to verify the database";
  return failed;
}

VerifyResult ForkBackend::Finish() {
  for (int i = 0; i < active_; ++i) {
    Proc& p = procs_[i];
    p.arm.reset();
    if (p.pid < 0) continue;
    if (!SendMsg(p.fd, Encoder(MsgType::kClose)) || !RecvMsg(p.fd)) Reap(p);
  }
  // The check runs in a worker process, where the workers run.
  return VerifyInAWorker();
}

}  // namespace harvey::harness

namespace harvey::harness {
namespace {
// A paused worker answers within milliseconds; a silent one is blocked in
// the OS (a blocking lock would be a harness bug) or hung.
constexpr int kSliceTimeoutMs = 10'000;
}  // namespace

Slice ForkBackend::StartOp(int worker, const model::Op& op, int64_t step_index) {
  using model::OpKind;
  Proc& p = procs_.at(static_cast<size_t>(worker));
  if (op.kind == OpKind::kOpen && p.pid < 0 && p.killed) {
    // A new process with no connection; the open itself runs paused below.
    if (std::string error = ResetWorker(worker, nullptr, true); !error.empty()) {
      return Slice{.finished = true, .event = {}, .result = {.rc = model::rc::kError}, .error = {}};
    }
    p.arm.reset();
  }
  const bool needs_sqlite = op.kind != OpKind::kKill && op.kind != OpKind::kKillAt && p.pid >= 0;
  if (!needs_sqlite) {
    return Slice{.finished = true, .event = {}, .result = Execute(worker, op, step_index, nullptr), .error = {}};
  }
  p.in_flight_arm = std::exchange(p.arm, std::nullopt);
  if (!model::IsKillable(op.kind)) p.in_flight_arm.reset();
  Encoder e(MsgType::kStep);
  e.I64(step_index);
  Put(e, op);
  e.U64(kAllEvents);
  if (!SendMsg(p.fd, e)) {
    Reap(p);
    return Slice{.finished = true, .event = {}, .result = {.rc = model::rc::kWorkerDied}, .error = {}};
  }
  return AwaitSlice(p);
}

Slice ForkBackend::ResumeOp(int worker) {
  Proc& p = procs_.at(static_cast<size_t>(worker));
  Encoder c(MsgType::kContinue);
  c.U64(kAllEvents);
  if (p.fd < 0 || !SendMsg(p.fd, c)) {
    Reap(p);
    return Slice{.finished = true, .event = {}, .result = {.rc = model::rc::kWorkerDied}, .error = {}};
  }
  return AwaitSlice(p);
}

Slice ForkBackend::AwaitSlice(Proc& p) {
  Slice s;
  s.finished = true;
  pollfd pfd{.fd = p.fd, .events = POLLIN, .revents = 0};
  int ready = 0;
  do {
    ready = ::poll(&pfd, 1, kSliceTimeoutMs);
  } while (ready < 0 && errno == EINTR && !Interrupted());
  if (ready == 0) {
    s.error = "worker " + std::to_string(&p - procs_.data() + 1) + " gave no event or result within " +
              std::to_string(kSliceTimeoutMs / 1000) + " s (blocked in the OS?)";
    Reap(p);
    p.killed = true;
    return s;
  }
  std::optional<Decoder> m = ready > 0 ? RecvMsg(p.fd) : std::nullopt;
  const MsgType type = m ? m->type() : MsgType::kFailed;  // type() consumes the type byte
  if (type != MsgType::kResult && type != MsgType::kEvent) {
    Reap(p);
    s.result.rc = model::rc::kWorkerDied;
    return s;
  }
  if (type == MsgType::kResult) {
    s.result = GetObservation(*m);
    return s;
  }
  s.event.event = static_cast<VfsEvent>(m->U64());
  s.event.role = static_cast<FileRole>(m->U64());
  s.event.arg = m->I64();
  s.event.ordinal = m->U64();
  const auto& arm = p.in_flight_arm;
  if (arm && static_cast<int>(s.event.event) == static_cast<int>(arm->event) &&
      s.event.ordinal == arm->ordinal) {
    Reap(p);  // SIGKILL while the worker waits inside SQLite
    p.killed = true;
    s.result = model::Observation{.rc = model::rc::kKilled};
    return s;
  }
  s.finished = false;
  return s;
}

}  // namespace harvey::harness
