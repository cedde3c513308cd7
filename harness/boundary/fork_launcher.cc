// `fork`: each worker is a child of the coordinator (harness/boundary/launchers.h).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "harness/boundary/launchers.h"
#include "harness/boundary/worker_child.h"
#include "harness/os/process.h"
#include "harness/worker/sqlite_build.h"
#include "harness/worker/worker_main.h"

namespace harvey::harness {
namespace {

// Forks a bare worker running this process's SQLite (binary "") or execs
// `binary` as one. Sets *pid and *fd (the coordinator's end, CLOEXEC).
std::string ForkWorker(const std::string& binary, pid_t* id, int* fd) {
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
    if (!EnterWorkerChild(parent, sv[1])) _exit(0);  // (the coordinator handles ^C and reaps us)
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

// `fork`: the worker is a child of the coordinator.
//
// Spares: a worker process waits for its Reset before it touches anything,
// so one forked earlier is the same as one forked now. Idle() (called while
// another worker works) forks, per SQLite build, as many spares as there
// were slots of that build, one per call; Spawn hands a spare out (a live
// one: a spare that died meanwhile is reaped and skipped) and forks only
// when none is left. A power loss that replaces three workers thus costs
// no fork on the coordinator's critical path. The destructor kills and
// reaps the spares.
class ForkLauncher : public Launcher {
 public:
  ~ForkLauncher() override {
    for (auto& [sqlite, pool] : spares_) {
      for (const Spare& s : pool) {
        ::close(s.fd);  // a spare waiting for Reset exits on EOF; SIGKILL anyway
        KillAndReap(s.pid);
      }
    }
  }

  std::string_view name() const override { return "fork"; }

  std::string Spawn(int slot, const std::string& host_db_path, const std::string& sqlite, pid_t* id,
                    int* fd) override {
    std::string binary;
    if (std::string error = Binary(sqlite, &binary); !error.empty()) return error;
    Want& want = want_[sqlite];
    want.slots = std::max(want.slots, slot + 1);
    std::vector<Spare>& pool = spares_[sqlite];
    while (!pool.empty()) {
      const Spare s = pool.back();
      pool.pop_back();
      int status = 0;
      if (::waitpid(s.pid, &status, WNOHANG) == 0) {  // alive: hand it out
        *id = s.pid;
        *fd = s.fd;
        return "";
      }
      ::close(s.fd);  // it died waiting (e.g. the OOM killer): a fresh one below
    }
    return ForkWorker(binary, id, fd);
  }

  void Idle() override {
    for (auto& [sqlite, want] : want_) {
      std::vector<Spare>& pool = spares_[sqlite];
      if (static_cast<int>(pool.size()) >= want.slots) continue;
      std::string binary;
      Spare s;
      if (!Binary(sqlite, &binary).empty() || !ForkWorker(binary, &s.pid, &s.fd).empty()) return;
      pool.push_back(s);
      return;  // one fork per call: the caller's worker is only so busy
    }
  }

  int Kill(int slot, pid_t id) override { return KillAndReap(id); }
  void KillWithoutWaiting(int slot, pid_t id) override {
    if (id > 0) ::kill(id, SIGKILL);
  }
  bool KillIsImmediate() const override { return true; }

  std::string WorkerPath(int slot, const std::string& host_db_path) const override {
    return host_db_path;
  }

 private:
  struct Spare {
    pid_t pid = -1;
    int fd = -1;
  };
  struct Want {
    int slots = 0;  // spares to keep of this build
  };

  // This process's build: "" (fork it); another: its executable.
  static std::string Binary(const std::string& sqlite, std::string* binary) {
    binary->clear();
    if (sqlite == BuildSqliteName()) return "";
    *binary = SqliteBinary(sqlite);
    return binary->empty() ? SqliteNotBuiltMessage(sqlite) : "";
  }

  std::map<std::string, Want> want_;                 // by SQLite build
  std::map<std::string, std::vector<Spare>> spares_;  // by SQLite build
};

}  // namespace

std::unique_ptr<Launcher> MakeForkLauncher() { return std::make_unique<ForkLauncher>(); }

}  // namespace harvey::harness
