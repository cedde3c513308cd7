#include "harness/backend/fork_backend.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "harness/worker/durability.h"
#include "harness/os/interrupt.h"
#include "harness/worker/wire.h"
#include "harness/worker/worker_main.h"
#include "model/model.h"

namespace harvey::harness {
namespace {

// How long an op-level step may keep the coordinator waiting for its
// worker's next message before it counts as hung (harvey's problem, exit
// 4): HARVEY_WORKER_LIMIT_MS if set (tests set it low), else 120 s — an op
// takes milliseconds; a loaded machine may stretch that a thousandfold.
int StepLimitMs() {
  if (const char* v = std::getenv("HARVEY_WORKER_LIMIT_MS"); v && std::atoi(v) > 0) return std::atoi(v);
  return 120'000;
}

// Fine-grained slices pause within milliseconds; the same variable (if
// set) overrides the 10 s default.
int SliceLimitMs() {
  if (const char* v = std::getenv("HARVEY_WORKER_LIMIT_MS"); v && std::atoi(v) > 0) return std::atoi(v);
  return 10'000;
}

// One line: how a worker ended (its wait status), for a harness error.
std::string DescribeEnd(int status) {
  if (status == Launcher::kWorkerLost) return "its sandbox host is gone (the boundary failed)";
  if (status < 0) return "it could not be reaped (it vanished)";
  if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    return "it exited with code " + std::to_string(code) +
           (code == 127 ? " (its executable could not be run)" : " (harvey's worker gave up)");
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
    return "it was SIGKILLed from outside harvey (the OOM killer, a user, or its sandbox dying)";
  }
  return "status " + std::to_string(status);
}

}  // namespace

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

void ForkBackend::Idle() {
  for (int i = 0; i < active_; ++i) {
    if (procs_[i].launcher && std::find_if(procs_.begin(), procs_.begin() + i, [&](const Proc& q) {
          return q.launcher == procs_[i].launcher;
        }) == procs_.begin() + i) {
      procs_[i].launcher->Idle();
    }
  }
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

int ForkBackend::Reap(Proc& p) {
  int status = 0;  // no process: nothing to report
  if (p.pid > 0) status = p.launcher->Kill(static_cast<int>(&p - procs_.data()), p.pid);
  if (p.fd >= 0) ::close(p.fd);
  p.pid = -1;
  p.fd = -1;
  p.arm.reset();
  return status;
}

void ForkBackend::Fail(std::string error, bool missing) {
  if (!failure_.error.empty()) return;
  failure_.error = std::move(error);
  failure_.missing = missing;
}

model::Observation ForkBackend::Died(Proc& p, const std::string& what) {
  const int status = Reap(p);
  if (status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
    return model::Observation{.rc = model::rc::kWorkerDied};  // a crash of its own: a finding
  }
  FailEnded(p, what, status);
  return model::Observation{.rc = model::rc::kError};
}

void ForkBackend::FailEnded(const Proc& p, const std::string& what, int status) {
  Fail("worker " + std::to_string(&p - procs_.data() + 1) + " (" +
       std::string(p.launcher ? p.launcher->name() : "?") + ") " + what + ": " + DescribeEnd(status));
}

void ForkBackend::CheckWorkers(int grace_ms) {
  std::vector<Proc*> watch;
  for (int i = 0; i < active_ && i < static_cast<int>(procs_.size()); ++i) {
    if (procs_[i].pid > 0 && procs_[i].fd >= 0) watch.push_back(&procs_[i]);  // (not killed by the schedule)
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (!watch.empty() && !Interrupted()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    std::vector<pollfd> fds;
    for (Proc* p : watch) fds.push_back(pollfd{.fd = p->fd, .events = POLLIN | POLLRDHUP, .revents = 0});
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) <= 0) continue;  // (EINTR, or time is up)
    std::vector<Proc*> still;
    for (size_t k = 0; k < fds.size(); ++k) {
      Proc& p = *watch[k];
      char byte = 0;
      const short ev = fds[k].revents;
      const bool ended = (ev & (POLLHUP | POLLRDHUP | POLLERR)) != 0 ||
                         ((ev & POLLIN) != 0 && ::recv(p.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0);
      if (ended) {
        const int status = Reap(p);
        p.killed = true;
        FailEnded(p, "ended outside any op, so what the other workers saw after it is not a finding", status);
      } else if (ev == 0) {
        still.push_back(&p);  // quiet: keep watching (a message waiting unread means alive)
      }
    }
    watch = std::move(still);
  }
}

std::optional<Decoder> ForkBackend::RecvWithin(Proc& p, int timeout_ms, bool* silent) {
  *silent = false;
  pollfd pfd{.fd = p.fd, .events = POLLIN, .revents = 0};
  int ready = 0;
  do {
    ready = ::poll(&pfd, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR && !Interrupted());
  if (ready == 0) {
    *silent = true;
    Fail("worker " + std::to_string(&p - procs_.data() + 1) + " gave no event or result within " +
         std::to_string(timeout_ms) + " ms (harvey's limit, HARVEY_WORKER_LIMIT_MS): hung, or blocked in the OS");
    Reap(p);
    p.killed = true;
    return std::nullopt;
  }
  if (ready < 0) return std::nullopt;
  return RecvMsg(p.fd);
}

std::string ForkBackend::ResetWorker(int i, int* open_rc, bool closed, ResetFailure* how) {
  Proc& p = procs_[i];
  ResetFailure ignored;
  if (!how) how = &ignored;
  *how = ResetFailure::kHarness;
  if (p.pid < 0) {
    if (std::string error = Spawn(p); !error.empty()) {
      const bool missing = SqliteBinary(p.sqlite).empty();  // e.g. removed mid-campaign
      Fail("worker " + std::to_string(i + 1) + " could not be started: " + error, missing);
      return error;
    }
  }
  Encoder e(MsgType::kReset);
  e.Str(p.db_path);
  Put(e, config_);
  e.I64(i).U64(track_durability_ ? 1 : 0).U64(closed ? 2 : open_rc ? 1 : 0).U64(p.incarnation++);
  std::optional<Decoder> reply;
  bool silent = false;
  const bool sent = SendMsg(p.fd, e);
  if (sent) Idle();
  if (!sent || !(reply = RecvWithin(p, StepLimitMs(), &silent))) {
    if (!silent) {
      const model::Observation o = Died(p, "died while opening its connection (Reset)");
      // A crash inside SQLite's open is SQLite's; anything else is harvey's.
      if (o.rc == model::rc::kWorkerDied) {
        *how = ResetFailure::kCrashed;
        return "worker " + std::to_string(i + 1) + " crashed while opening its connection";
      }
    }
    return failure_.error;
  }
  if (reply->type() == MsgType::kFailed) {
    *how = ResetFailure::kSqliteFailed;  // SQLite's answer (the open failed)
    return reply->Str();
  }
  const model::Observation opened = GetObservation(*reply);
  if (open_rc) *open_rc = static_cast<int>(opened.rc);
  p.build.name = reply->Str();
  p.build.version = reply->Str();
  p.build.source_id = reply->Str();
  if (p.build.name != p.sqlite) {
    Reap(p);
    const std::string error = "worker " + std::to_string(i + 1) + " should run SQLite " + p.sqlite +
                              " but its process runs '" + p.build.name + "'";
    Fail(error);
    return error;
  }
  *how = ResetFailure::kNone;
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
  // Sandboxes that must start (the first schedule, a new SQLite build) start
  // together; each worker's Reset below then waits for its own.
  for (int i = 0; i < active_; ++i) {
    if (procs_[i].pid < 0) procs_[i].launcher->Prepare(i, db_path_, procs_[i].sqlite);
  }
  for (int i = 0; i < active_; ++i) {
    procs_[i].arm.reset();
    procs_[i].incarnation = 0;
    if (std::string error = ResetWorker(i); !error.empty()) return error;
  }
  return "";
}

model::Observation ForkBackend::Execute(int worker, const model::Op& op, int64_t step_index,
                                        const PausePolicy* pause) {
  using model::OpKind;
  Proc& p = procs_.at(static_cast<size_t>(worker));
  if (op.kind == OpKind::kKill) {
    if (Reap(p) == Launcher::kWorkerLost) {  // the kill happened, but its sandbox host is gone
      Fail("worker " + std::to_string(worker + 1) + " (" + std::string(p.launcher->name()) +
           "): " + DescribeEnd(Launcher::kWorkerLost));
    }
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
    ResetFailure how = ResetFailure::kNone;
    const std::string error = ResetWorker(worker, &open_rc, false, &how);
    if (error.empty()) return model::Observation{.rc = open_rc};
    if (how == ResetFailure::kHarness) Fail(error);  // harvey's: no observation
    return model::Observation{.rc = how == ResetFailure::kCrashed ? model::rc::kWorkerDied : model::rc::kError};
  }
  return Step(p, op, step_index, pause, arm);
}

model::Observation ForkBackend::Step(Proc& p, const model::Op& op, int64_t step_index,
                                     const PausePolicy* pause, std::optional<Arm> arm) {
  const uint32_t arm_bit = arm ? 1u << static_cast<int>(arm->event) : 0;
  uint32_t pause_mask = pause ? pause->mask : 0;
  Encoder e(MsgType::kStep);
  e.I64(step_index);
  Put(e, op);
  e.U64(pause_mask | arm_bit);
  if (!SendMsg(p.fd, e)) return Died(p, "was gone before its op was sent");
  Idle();
  while (true) {
    bool silent = false;
    std::optional<Decoder> m = RecvWithin(p, StepLimitMs(), &silent);
    if (silent) return model::Observation{.rc = model::rc::kError};
    if (!m) return Died(p, "died during its op");
    const MsgType t = m->type();
    if (t == MsgType::kResult) return GetObservation(*m);
    if (t != MsgType::kEvent) {
      Reap(p);
      Fail("worker " + std::to_string(&p - procs_.data() + 1) + " broke the wire protocol (message type " +
           std::to_string(static_cast<int>(t)) + ")");
      return model::Observation{.rc = model::rc::kError};
    }
    EventInfo ev;
    ev.event = static_cast<VfsEvent>(m->U64());
    ev.role = static_cast<FileRole>(m->U64());
    ev.arg = m->I64();
    ev.ordinal = m->U64();
    if (arm && static_cast<int>(ev.event) == static_cast<int>(arm->event) &&
        ev.ordinal == arm->ordinal) {
      if (Reap(p) == Launcher::kWorkerLost) {  // SIGKILL while the worker waits inside SQLite
        Fail("worker " + std::to_string(&p - procs_.data() + 1) + ": " + DescribeEnd(Launcher::kWorkerLost));
      }
      p.killed = true;
      return model::Observation{.rc = model::rc::kKilled};
    }
    if (pause && pause->on_event && (pause_mask >> static_cast<int>(ev.event) & 1)) {
      pause_mask = pause->on_event(ev);
    }
    Encoder c(MsgType::kContinue);
    c.U64(pause_mask | arm_bit);
    if (!SendMsg(p.fd, c)) return Died(p, "died paused inside its op");
  }
}

model::Observation ForkBackend::PowerLoss(const model::Op& op) {
  // Every SIGKILL first, then the reaps: one wait for all instead of one
  // each (nothing of a killed worker runs after its signal; the files are
  // rewritten only once all are reaped).
  //
  // Where every launcher's kill is immediate (Launcher::KillIsImmediate), the
  // reaps wait until the end: the dead workers' exits (unmapping, closing,
  // releasing locks on the old inodes) proceed on another core while the
  // files are rewritten into new inodes and new workers open them.
  bool reap_later = true;
  for (int i = 0; i < active_; ++i) {
    Proc& p = procs_[i];
    if (p.pid > 0) p.launcher->KillWithoutWaiting(i, p.pid);
    if (p.pid > 0 && !p.launcher->KillIsImmediate()) reap_later = false;
  }
  std::vector<std::pair<int, pid_t>> dying;  // (slot, pid) reaped at the end
  for (int i = 0; i < active_; ++i) {
    Proc& p = procs_[i];
    if (reap_later && p.pid > 0) {
      dying.emplace_back(i, p.pid);
      p.pid = -1;  // Reap below then only closes its socket
    }
    if (Reap(p) == Launcher::kWorkerLost) {
      Fail("worker " + std::to_string(i + 1) + " (" + std::string(p.launcher->name()) +
           "): " + DescribeEnd(Launcher::kWorkerLost));
    }
    p.killed = true;
  }
  struct ReapAtEnd {
    ForkBackend* b;
    std::vector<std::pair<int, pid_t>>& dying;
    ~ReapAtEnd() {
      for (auto [slot, pid] : dying) b->procs_[slot].launcher->Kill(slot, pid);
    }
  } reap_at_end{this, dying};
  // Every machine loses power too (sshfs: the mounts and their caches).
  for (int i = 0; i < active_; ++i) {
    if (procs_[i].launcher) procs_[i].launcher->PowerCycle();
  }
  if (std::string e = ApplyPowerLoss(db_path_, op.seed, config_.sector_size); !e.empty()) {
    Fail("power loss: " + e);  // rewriting the files is harvey's job
    return model::Observation{.rc = model::rc::kError};
  }
  // Sandboxes the power cycle stopped (sshfs machines, oci-file containers)
  // start together, on the rewritten files.
  for (int i = 0; i < active_; ++i) procs_[i].launcher->Prepare(i, db_path_, procs_[i].sqlite);
  for (int i = 0; i < active_; ++i) {
    ResetFailure how = ResetFailure::kNone;
    if (std::string e = ResetWorker(i, nullptr, false, &how); !e.empty()) {
      if (how == ResetFailure::kHarness) {  // harvey could not restart its worker: no observation
        Fail("reopen after power loss: " + e, failure_.missing);
        return model::Observation{.rc = model::rc::kError};
      }
      model::Observation o;  // SQLite could not open (or crashed opening) what the power loss left
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
    bool silent = false;
    if (!SendMsg(p.fd, Encoder(MsgType::kVerify)) || !(reply = RecvWithin(p, StepLimitMs(), &silent)) ||
        reply->type() != MsgType::kVerified) {
      if (!silent) Died(p, "died verifying the database");  // harvey's problem unless it crashed itself
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
  Fail(failed.error + " (every worker died or could not be restarted)");
  return failed;
}

VerifyResult ForkBackend::Finish() {
  for (int i = 0; i < active_; ++i) {
    Proc& p = procs_[i];
    p.arm.reset();
    if (p.pid < 0) continue;
    bool silent = false;
    if (!SendMsg(p.fd, Encoder(MsgType::kClose)) || !RecvWithin(p, StepLimitMs(), &silent)) {
      // A sandbox host that died since the last step must not go unnoticed
      // (its slot would silently get a new sandbox at the next Begin).
      if (!silent) Died(p, "died closing its connection");
    }
  }
  // The check runs in a worker process, where the workers run.
  return VerifyInAWorker();
}

}  // namespace harvey::harness

namespace harvey::harness {

Slice ForkBackend::StartOp(int worker, const model::Op& op, int64_t step_index) {
  using model::OpKind;
  Proc& p = procs_.at(static_cast<size_t>(worker));
  if (op.kind == OpKind::kOpen && p.pid < 0 && p.killed) {
    // A new process with no connection; the open itself runs paused below.
    if (std::string error = ResetWorker(worker, nullptr, true); !error.empty()) {
      // A configure-only Reset opens nothing: any failure is harvey's.
      Fail(error);
      return Slice{.finished = true, .event = {}, .result = {.rc = model::rc::kError}, .error = error};
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
  e.U64(PauseMask(config_));
  if (!SendMsg(p.fd, e)) {
    return Slice{.finished = true, .event = {}, .result = Died(p, "was gone before its op was sent"), .error = {}};
  }
  Idle();
  return AwaitSlice(p);
}

Slice ForkBackend::ResumeOp(int worker) {
  Proc& p = procs_.at(static_cast<size_t>(worker));
  Encoder c(MsgType::kContinue);
  c.U64(PauseMask(config_));
  if (p.fd < 0 || !SendMsg(p.fd, c)) {
    return Slice{.finished = true, .event = {}, .result = Died(p, "died paused inside its op"), .error = {}};
  }
  return AwaitSlice(p);
}

Slice ForkBackend::AwaitSlice(Proc& p) {
  Slice s;
  s.finished = true;
  bool silent = false;
  std::optional<Decoder> m = RecvWithin(p, SliceLimitMs(), &silent);
  if (silent) {
    s.error = failure_.error;
    return s;
  }
  if (!m) {
    s.result = Died(p, "died during its op");
    return s;
  }
  const MsgType type = m->type();  // type() consumes the type byte
  if (type != MsgType::kResult && type != MsgType::kEvent) {
    Reap(p);
    Fail("worker " + std::to_string(&p - procs_.data() + 1) + " broke the wire protocol (message type " +
         std::to_string(static_cast<int>(type)) + ")");
    s.error = failure_.error;
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
    if (Reap(p) == Launcher::kWorkerLost) {  // SIGKILL while the worker waits inside SQLite
      Fail("worker " + std::to_string(&p - procs_.data() + 1) + ": " + DescribeEnd(Launcher::kWorkerLost));
      s.error = failure_.error;
    }
    p.killed = true;
    s.result = model::Observation{.rc = model::rc::kKilled};
    return s;
  }
  s.finished = false;
  return s;
}

}  // namespace harvey::harness
