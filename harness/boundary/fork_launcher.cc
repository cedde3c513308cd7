// `fork`: each worker is a child of the coordinator (harness/boundary/launchers.h).
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "harness/boundary/launchers.h"
#include "harness/os/process.h"
#include "harness/worker/sqlite_build.h"
#include "harness/worker/worker_main.h"

namespace harvey::harness {
namespace {

// `fork`: the worker is a child of the coordinator.
class ForkLauncher : public Launcher {
 public:
  std::string_view name() const override { return "fork"; }

  std::string Spawn(int slot, const std::string& host_db_path, const std::string& sqlite, pid_t* id,
                    int* fd) override {
    // Another SQLite build: fork, then exec its executable as a bare worker.
    std::string binary;
    if (sqlite != BuildSqliteName()) {
      binary = SqliteBinary(sqlite);
      if (binary.empty()) return SqliteNotBuiltMessage(sqlite);
    }
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
      // Keep only our socket: other workers' sockets, sandbox channels and
      // whatever else the coordinator holds must not stay open in here.
      if (sv[1] != 3 && ::dup2(sv[1], 3) < 0) _exit(2);
      ::close_range(4, ~0u, 0);
      if (binary.empty()) _exit(WorkerMain(3));
      ::fcntl(3, F_SETFD, 0);  // the exec'd worker keeps its socket
      const char* argv[] = {binary.c_str(), "__worker", "--fd", "3", nullptr};
      ::execv(binary.c_str(), const_cast<char* const*>(argv));
      _exit(127);  // the coordinator sees the socket close: "did not answer Reset"
    }
    ::close(sv[1]);
    *id = pid;
    *fd = sv[0];
    return "";
  }

  int Kill(int slot, pid_t id) override { return KillAndReap(id); }
  void KillWithoutWaiting(int slot, pid_t id) override {
    if (id > 0) ::kill(id, SIGKILL);
  }

  std::string WorkerPath(int slot, const std::string& host_db_path) const override {
    return host_db_path;
  }
};

}  // namespace

std::unique_ptr<Launcher> MakeForkLauncher() { return std::make_unique<ForkLauncher>(); }

}  // namespace harvey::harness
