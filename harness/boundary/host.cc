#include "harness/boundary/host.h"

#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>
#include <utility>

#include "harness/boundary/worker_child.h"
#include "harness/os/process.h"
#include "harness/worker/sqlite_build.h"
#include "harness/worker/worker_main.h"

namespace harvey::harness {
namespace {

enum class HostMsgType : uint32_t { kReady = 1, kFailed, kSpawn, kSpawned, kKill, kKilled };

struct HostMsg {
  HostMsgType type;
  int32_t pid = 0;
  int32_t status = -1;  // Killed: the worker's wait status
  char text[240] = {};
};

HostMsg Make(HostMsgType t, int32_t pid = 0, const std::string& text = "") {
  HostMsg m{.type = t, .pid = pid};
  std::strncpy(m.text, text.c_str(), sizeof m.text - 1);
  return m;
}

bool SendHostMsg(int fd, const HostMsg& m, int pass_fd = -1) {
  iovec iov{.iov_base = const_cast<HostMsg*>(&m), .iov_len = sizeof m};
  msghdr h{};
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (pass_fd >= 0) {
    h.msg_control = control;
    h.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&h);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  while (true) {
    const ssize_t n = ::sendmsg(fd, &h, MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(sizeof m)) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

// Receives one message (and a passed fd, if any, into *fd). timeout_ms < 0:
// no limit. Returns false on EOF, error or timeout.
bool RecvHostMsg(int fd, HostMsg* m, int* passed_fd, int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  if (passed_fd) *passed_fd = -1;
  while (true) {
    if (timeout_ms >= 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{.fd = fd, .events = POLLIN};
      const int r = ::poll(&p, 1, static_cast<int>(left));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
    }
    iovec iov{.iov_base = m, .iov_len = sizeof *m};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr h{};
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    h.msg_control = control;
    h.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd, &h, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    int got_fd = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); n > 0 && c; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        std::memcpy(&got_fd, CMSG_DATA(c), sizeof(int));
      }
    }
    if (n != static_cast<ssize_t>(sizeof *m)) {
      if (got_fd >= 0) ::close(got_fd);
      return false;
    }
    if (passed_fd) *passed_fd = got_fd;
    else if (got_fd >= 0) ::close(got_fd);
    m->text[sizeof m->text - 1] = '\0';
    return true;
  }
}

// Mount points in this mount namespace (octal escapes decoded).
bool IsMounted(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mountpoint ...
    size_t pos = 0;
    for (int field = 0; field < 4 && pos != std::string::npos; ++field) pos = line.find(' ', pos + 1);
    if (pos == std::string::npos) continue;
    const size_t end = line.find(' ', pos + 1);
    const std::string raw = line.substr(pos + 1, end - pos - 1);
    std::string decoded;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 3 < raw.size()) {
        decoded += static_cast<char>(std::strtol(raw.substr(i + 1, 3).c_str(), nullptr, 8));
        i += 3;
      } else {
        decoded += raw[i];
      }
    }
    if (decoded == path) return true;
  }
  return false;
}

// Starts sshfs in passive mode on options.sshfs_fd and waits for the mount.
std::string MountSshfs(const HostOptions& o, pid_t* sshfs_pid) {
  const std::string sshfs = FindTool("sshfs");
  if (sshfs.empty()) return "sshfs not found inside the sandbox";
  std::string opts = "passive";
  if (!o.sshfs_options.empty()) opts += "," + o.sshfs_options;
  ExecSpec spec{.argv = {sshfs, "-f", "-o", opts, o.sshfs_remote, o.sshfs_mount},
                .fds = {{0, o.sshfs_fd}, {1, o.sshfs_fd}}};
  Result<pid_t> pid = SpawnProcess(spec);
  if (!pid.ok()) return pid.error();
  *sshfs_pid = pid.value();
  for (int i = 0; i < 1500; ++i) {  // 15 s
    if (IsMounted(o.sshfs_mount)) return "";
    int status = 0;
    if (::waitpid(pid.value(), &status, WNOHANG) == pid.value()) {
      *sshfs_pid = -1;
      return "sshfs exited (status " + std::to_string(status) + ") before mounting " + o.sshfs_remote;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "sshfs did not mount " + o.sshfs_remote + " within 15 s";
}

[[noreturn]] void RunWorkerChild(int worker_fd, pid_t host) {
  if (!EnterWorkerChild(host, worker_fd)) _exit(0);
  _exit(WorkerMain(3));
}

// A worker forked ahead of its Spawn request (it waits for its Reset and
// touches nothing before: one forked earlier is the same as one forked
// now). `fd` is the host's end of its socket, passed on at Spawn.
struct Spare {
  pid_t pid = -1;
  int fd = -1;
};

// Forks a worker. Returns "" or what failed.
std::string ForkWorker(Spare* out) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return std::string("socketpair: ") + std::strerror(errno);
  }
  const pid_t host = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) RunWorkerChild(sv[1], host);
  ::close(sv[1]);
  if (pid < 0) {
    ::close(sv[0]);
    return std::string("fork: ") + std::strerror(errno);
  }
  *out = Spare{pid, sv[0]};
  return "";
}

void ReapAll(std::set<pid_t>& workers) {
  for (pid_t pid : workers) KillAndReap(pid);
  workers.clear();
}

}  // namespace

int HostMain(int control_fd, const HostOptions& options) {
  const pid_t parent = ::getppid();
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) return 0;
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  pid_t sshfs_pid = -1;
  if (options.sshfs_fd >= 0) {
    if (std::string e = MountSshfs(options, &sshfs_pid); !e.empty()) {
      SendHostMsg(control_fd, Make(HostMsgType::kFailed, 0, e));
      KillAndReap(sshfs_pid);
      return 3;
    }
    ::close(options.sshfs_fd);  // sshfs has it; workers must not inherit it
  }
  std::set<pid_t> workers;  // handed out, and the spare
  if (!SendHostMsg(control_fd, Make(HostMsgType::kReady))) return 0;
  // One spare, forked right after each Spawn is answered, while the
  // coordinator goes on: the next Spawn (a kill's replacement, a power
  // loss's) then costs no fork.
  Spare spare;
  HostMsg m;
  while (RecvHostMsg(control_fd, &m, nullptr, -1)) {
    if (m.type == HostMsgType::kSpawn) {
      Spare w = std::exchange(spare, Spare{});
      if (w.pid > 0 && ::waitpid(w.pid, nullptr, WNOHANG) != 0) {  // it died waiting
        workers.erase(w.pid);
        ::close(w.fd);
        w = Spare{};
      }
      if (w.pid < 0) {
        if (std::string e = ForkWorker(&w); !e.empty()) {
          SendHostMsg(control_fd, Make(HostMsgType::kFailed, 0, e));
          continue;
        }
        workers.insert(w.pid);
      }
      const bool sent = SendHostMsg(control_fd, Make(HostMsgType::kSpawned, w.pid), w.fd);
      ::close(w.fd);
      if (!sent) break;
      if (ForkWorker(&spare).empty()) workers.insert(spare.pid);
    } else if (m.type == HostMsgType::kKill) {
      HostMsg killed = Make(HostMsgType::kKilled, m.pid);
      if (workers.erase(m.pid) > 0) killed.status = KillAndReap(m.pid);
      if (!SendHostMsg(control_fd, killed)) break;
    } else {
      break;
    }
  }
  if (spare.fd >= 0) ::close(spare.fd);
  ReapAll(workers);
  if (sshfs_pid > 0) {
    ::umount2(options.sshfs_mount.c_str(), MNT_DETACH);
    StopProcess(sshfs_pid, 2000);
  }
  return 0;
}

HostClient::~HostClient() { Close(); }

void HostClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string HostClient::WaitReady(int timeout_ms) {
  HostMsg m;
  if (!RecvHostMsg(fd_, &m, nullptr, timeout_ms)) {
    broken_ = true;
    return "the worker host did not start within " + std::to_string(timeout_ms / 1000) + " s";
  }
  if (m.type == HostMsgType::kReady) return "";
  broken_ = true;
  return m.type == HostMsgType::kFailed ? std::string(m.text) : "unexpected message from the worker host";
}

std::string HostClient::Spawn(pid_t* pid, int* fd) {
  HostMsg m;
  int passed = -1;
  if (!ok() || !SendHostMsg(fd_, Make(HostMsgType::kSpawn)) || !RecvHostMsg(fd_, &m, &passed, 10000)) {
    broken_ = true;
    return "the worker host did not answer Spawn";
  }
  if (m.type == HostMsgType::kSpawned && passed >= 0) {
    *pid = m.pid;
    *fd = passed;
    return "";
  }
  if (passed >= 0) ::close(passed);
  return m.type == HostMsgType::kFailed ? std::string(m.text) : "unexpected reply to Spawn";
}

int HostClient::Kill(pid_t pid) {
  HostMsg m;
  if (!ok() || !SendHostMsg(fd_, Make(HostMsgType::kKill, pid)) || !RecvHostMsg(fd_, &m, nullptr, 10000) ||
      m.type != HostMsgType::kKilled) {
    broken_ = true;
    return kHostGone;
  }
  return m.status;
}

int InternalMain(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (std::string e = CheckThisSqlite(); !e.empty()) {
    std::fprintf(stderr, "harvey %s: %s\n", cmd.c_str(), e.c_str());
    return 4;
  }
  if (cmd == "__version") {  // what `harvey versions` asks each build
    const SqliteBuild b = ThisSqlite();
    std::printf("%s\t%s\t%s\n", b.name.c_str(), b.version.c_str(), b.source_id.c_str());
    return 0;
  }
  int fd = -1;
  HostOptions o;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--fd") fd = std::atoi(value);
    else if (key == "--sshfs-fd") o.sshfs_fd = std::atoi(value);
    else if (key == "--mount") o.sshfs_mount = value;
    else if (key == "--remote") o.sshfs_remote = value;
    else if (key == "--sshfs-options") o.sshfs_options = value;
    else {
      std::fprintf(stderr, "harvey %s: unknown option %s\n", cmd.c_str(), key.c_str());
      return 2;
    }
  }
  if (fd < 0) {
    std::fprintf(stderr, "harvey %s: give --fd N (an inherited socket)\n", cmd.c_str());
    return 2;
  }
  if (cmd == "__worker") return WorkerMain(fd);
  if (cmd == "__host") return HostMain(fd, o);
  std::fprintf(stderr, "harvey: unknown internal command %s\n", cmd.c_str());
  return 2;
}

}  // namespace harvey::harness
