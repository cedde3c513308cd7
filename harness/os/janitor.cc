#include "harness/os/janitor.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "harness/os/process.h"

namespace harvey::harness {
namespace fs = std::filesystem;
namespace {

constexpr int kJanitorFd = 3;  // the janitor's end of its socket, in the janitor
int g_fd = -1;        // the coordinator's end of the janitor's socket
int g_pid = 0;        // the janitor
bool g_tried = false;  // started (or failed to) once per process
pid_t g_owner = 0;     // the process whose janitor this is

std::string Join(const std::vector<std::string>& argv) {
  std::string out;
  for (size_t i = 0; i < argv.size(); ++i) out += (i ? "\t" : "") + argv[i];
  return out;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, '\t')) out.push_back(part);
  return out;
}

// Mount points at or under `dir` in this mount namespace, innermost last.
std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    f >> id >> parent >> dev >> root >> point;
    if (point == dir || point.rfind(dir + "/", 0) == 0) out.push_back(point);
  }
  return out;
}

// Removes `dir`, never across a mount point.
void RemoveDir(const std::string& dir) {
  std::vector<std::string> mounts = MountsUnder(dir);
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
  if (!MountsUnder(dir).empty()) return;  // something stayed mounted: leave it rather than delete through it
  std::error_code ec;
  fs::remove_all(dir, ec);
}

// What the janitor undoes: "d PATH" or "c ARGV" lines, in registration order.
void CleanUp(const std::vector<std::string>& items) {
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (it->size() < 2) continue;
    const std::string what = it->substr(2);
    if ((*it)[0] == 'c') RunCommand(Split(what), 10000);
    if ((*it)[0] == 'd') RemoveDir(what);
  }
}

[[noreturn]] void JanitorMain() {
  ::setsid();
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  ::prctl(PR_SET_NAME, "harvey-janitor");
  const int null = ::open("/dev/null", O_RDWR);
  for (int i = 0; i < 3; ++i) ::dup2(null, i);
  if (null > kJanitorFd) ::close(null);
  ::close_range(kJanitorFd + 1, ~0u, 0);  // nothing of the coordinator's but our socket
  std::vector<std::string> items;
  std::string buffer;
  char chunk[4096];
  while (true) {
    const ssize_t n = ::read(kJanitorFd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the coordinator is gone
    buffer.append(chunk, static_cast<size_t>(n));
    for (size_t nl; (nl = buffer.find('\n')) != std::string::npos; buffer.erase(0, nl + 1)) {
      const std::string line = buffer.substr(0, nl);
      if (line.size() < 2) continue;
      const std::string item = line.substr(1);
      if (line[0] == '+') items.push_back(item);
      if (line[0] == '-') std::erase(items, item);
    }
  }
  if (!items.empty()) {
    // Its workers and sandbox hosts die with it (PR_SET_PDEATHSIG, EOF on
    // their channels): let them go first, then clean; once more for
    // anything a dying process recreated.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CleanUp(items);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CleanUp(items);
  }
  _exit(0);
}

bool Start() {
  if (g_owner != ::getpid()) {  // a forked child: its parent's janitor is not its own
    g_fd = -1;  // (not closed: in a child that closed its fds the number may be another's now)
    g_pid = 0;
    g_tried = false;
    g_owner = ::getpid();
  }
  if (std::exchange(g_tried, true)) return g_fd >= 0;
  int sv[2];
  int report[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return false;
  if (::pipe2(report, O_CLOEXEC) != 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return false;
  }
  const pid_t middle = ::fork();
  if (middle == 0) {
    const pid_t janitor = ::fork();
    if (janitor == 0) {
      ::close(sv[0]);
      ::close(report[0]);
      ::close(report[1]);
      if (sv[1] != kJanitorFd) {
        ::dup2(sv[1], kJanitorFd);
        ::close(sv[1]);
      }
      ::fcntl(kJanitorFd, F_SETFD, 0);
      JanitorMain();
    }
    const int32_t pid = janitor;
    (void)!::write(report[1], &pid, sizeof pid);
    _exit(0);
  }
  ::close(sv[1]);
  ::close(report[1]);
  int32_t pid = 0;
  if (middle > 0) {
    while (::read(report[0], &pid, sizeof pid) < 0 && errno == EINTR) {
    }
    while (::waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  ::close(report[0]);
  if (middle < 0 || pid <= 0) {
    ::close(sv[0]);
    return false;
  }
  g_pid = pid;
  g_fd = sv[0];
  return true;
}

void Send(char op, char kind, const std::string& what) {
  if (op == '-' && (g_owner != ::getpid() || g_fd < 0)) return;  // nothing of ours registered
  if (!Start()) return;
  const std::string line = std::string(1, op) + kind + " " + what + "\n";
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::send(g_fd, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the janitor is gone: best effort
    done += static_cast<size_t>(n);
  }
}

}  // namespace

void JanitorWatchDir(const std::string& path) { Send('+', 'd', path); }
void JanitorForgetDir(const std::string& path) { Send('-', 'd', path); }
void JanitorWatchCommand(const std::vector<std::string>& argv) { Send('+', 'c', Join(argv)); }
void JanitorForgetCommand(const std::vector<std::string>& argv) { Send('-', 'c', Join(argv)); }
int JanitorPid() { return g_pid; }

}  // namespace harvey::harness
