#include "harness/fork_backend.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "harness/wire.h"
#include "harness/worker_main.h"

namespace harvey::harness {

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
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return std::string("socketpair: ") + std::strerror(errno);
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return std::string("fork: ") + std::strerror(errno);
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(0);
    std::signal(SIGINT, SIG_IGN);  // the coordinator handles ^C and reaps us
    std::signal(SIGTERM, SIG_DFL);
    for (const Proc& other : procs_) {
      if (other.fd >= 0) ::close(other.fd);
    }
    ::close(sv[0]);
    _exit(WorkerMain(sv[1]));
  }
  ::close(sv[1]);
  p.pid = pid;
  p.fd = sv[0];
  return "";
}

void ForkBackend::Reap(Proc& p) {
  if (p.pid > 0) {
    ::kill(p.pid, SIGKILL);
    while (::waitpid(p.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  if (p.fd >= 0) ::close(p.fd);
  p = Proc{};
}

std::string ForkBackend::Begin(const model::Schedule& s, const std::string& db_path) {
  active_ = static_cast<int>(s.workers.size());
  if (procs_.size() < s.workers.size()) procs_.resize(s.workers.size());
  for (int i = 0; i < active_; ++i) {
    Proc& p = procs_[i];
    if (p.pid < 0) {
      std::string error = Spawn(p);
      if (!error.empty()) return error;
    }
    Encoder e(MsgType::kReset);
    e.Str(db_path);
    Put(e, s.config);
    e.I64(i);
    std::optional<Decoder> reply;
    if (!SendMsg(p.fd, e) || !(reply = RecvMsg(p.fd))) {
      Reap(p);
      return "worker " + std::to_string(i) + " did not answer Reset";
    }
    if (reply->type() == MsgType::kFailed) return reply->Str();
  }
  return "";
}

model::Observation ForkBackend::Execute(int worker, const model::Op& op, int64_t step_index,
                                        const PausePolicy* pause) {
  Proc& p = procs_.at(static_cast<size_t>(worker));
  model::Observation died{.rc = model::rc::kWorkerDied};
  if (p.pid < 0) return died;
  Encoder e(MsgType::kStep);
  e.I64(step_index);
  Put(e, op);
  e.U64(pause ? pause->mask : 0);
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
    const uint32_t mask = pause && pause->on_event ? pause->on_event(ev) : 0;
    Encoder c(MsgType::kContinue);
    c.U64(mask);
    if (!SendMsg(p.fd, c)) {
      Reap(p);
      return died;
    }
  }
}

VerifyResult ForkBackend::Finish() {
  VerifyResult failed;
  for (int i = 0; i < active_; ++i) {
    Proc& p = procs_[i];
    if (p.pid < 0) continue;
    if (!SendMsg(p.fd, Encoder(MsgType::kClose)) || !RecvMsg(p.fd)) Reap(p);
  }
  // The check runs in a worker process, where the workers run.
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
  failed.error = "no live worker to verify the database";
  return failed;
}

}  // namespace harvey::harness
