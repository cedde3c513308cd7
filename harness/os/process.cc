#include "harness/os/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

namespace harvey::harness {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void ExecChild(const ExecSpec& spec, const std::vector<char*>& argv,
                            const std::vector<char*>& envp, pid_t parent, int stderr_fd) {
  if (spec.die_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) _exit(127);  // the coordinator is already gone
  // Own process group (a ^C at the terminal reaches only the coordinator),
  // but the coordinator's session: a new session would be a new scheduler
  // autogroup, and coordinator <-> worker round trips across autogroups wait
  // for the tick on a busy machine.
  ::setpgid(0, 0);
  // Move every source fd out of the way first, so mapping cannot clobber one.
  int moved[16];
  const size_t n = spec.fds.size() < 16 ? spec.fds.size() : 16;
  for (size_t i = 0; i < n; ++i) moved[i] = ::fcntl(spec.fds[i].second, F_DUPFD, 64);
  int max_fd = 2;
  bool have_stdin = false;
  for (size_t i = 0; i < n; ++i) {
    const int target = spec.fds[i].first;
    if (moved[i] < 0 || ::dup2(moved[i], target) < 0) _exit(127);
    if (target > max_fd) max_fd = target;
    if (target == 0) have_stdin = true;
  }
  if (!have_stdin) {
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0 && null_fd != 0) {
      ::dup2(null_fd, 0);
      ::close(null_fd);
    }
  }
  if (stderr_fd >= 0) ::dup2(stderr_fd, 2);
  ::close_range(static_cast<unsigned>(max_fd) + 1, ~0u, 0);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) std::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(argv[0], argv.data(), envp.data());
  _exit(127);
}

}  // namespace

Result<pid_t> SpawnProcess(const ExecSpec& spec) {
  if (spec.argv.empty()) return Error{"internal error: empty argv"};
  if (spec.fds.size() > 16) return Error{"internal error: too many fds"};
  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // Our environment, with HARVEY_COORDINATOR=<this pid>.
  const std::string mark = std::string(kCoordinatorEnv) + "=" + std::to_string(::getpid());
  const std::string prefix = std::string(kCoordinatorEnv) + "=";
  std::vector<char*> envp;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, prefix.c_str(), prefix.size()) != 0) envp.push_back(*e);
  }
  envp.push_back(const_cast<char*>(mark.c_str()));
  envp.push_back(nullptr);
  int stderr_fd = -1;
  if (!spec.stderr_path.empty()) {
    stderr_fd = ::open(spec.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (stderr_fd < 0) return Error{"cannot open " + spec.stderr_path + ": " + std::strerror(errno)};
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) ExecChild(spec, argv, envp, parent, stderr_fd);
  const int fork_errno = errno;
  if (stderr_fd >= 0) ::close(stderr_fd);
  if (pid < 0) return Error{"fork for " + spec.argv[0] + ": " + std::strerror(fork_errno)};
  return pid;
}

bool WaitForExit(pid_t pid, int timeout_ms, int* status) {
  if (pid <= 0) return true;
  const auto start = Clock::now();
  int sleep_us = 200;
  while (true) {
    int st = 0;
    const pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      if (status) *status = r == pid ? st : 0;
      return true;
    }
    if (MsSince(start) >= timeout_ms) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    if (sleep_us < 20000) sleep_us *= 2;
  }
}

int KillAndReap(pid_t pid) {
  if (pid <= 0) return -1;
  ::kill(pid, SIGKILL);
  int status = 0;
  pid_t r;
  while ((r = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  return r == pid ? status : -1;
}

void StopProcess(pid_t pid, int grace_ms) {
  if (pid <= 0) return;
  if (!WaitForExit(pid, grace_ms)) KillAndReap(pid);
}

CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_ms) {
  CommandResult r;
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return r;
  ExecSpec spec{.argv = argv, .fds = {{1, p[1]}, {2, p[1]}}};
  Result<pid_t> pid = SpawnProcess(spec);
  ::close(p[1]);
  if (!pid.ok()) {
    ::close(p[0]);
    r.output = pid.error();
    return r;
  }
  const auto start = Clock::now();
  char buf[4096];
  while (true) {
    const int64_t left = timeout_ms - MsSince(start);
    if (left <= 0) break;
    pollfd pfd{.fd = p[0], .events = POLLIN};
    const int n = ::poll(&pfd, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    const ssize_t got = ::read(p[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (r.output.size() < (1u << 20)) r.output.append(buf, static_cast<size_t>(got));
  }
  ::close(p[0]);
  int status = 0;
  const int64_t left = timeout_ms - MsSince(start);
  if (!WaitForExit(pid.value(), left > 0 ? static_cast<int>(left) : 0, &status)) {
    KillAndReap(pid.value());
    r.output += "\n(timed out after " + std::to_string(timeout_ms) + " ms)";
    return r;
  }
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

std::string FindTool(const std::string& name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
  path += ":/usr/sbin:/sbin:/usr/local/sbin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const std::string dir = path.substr(start, end - start);
    if (!dir.empty() && dir[0] == '/') {
      const std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return "";
}

bool PidAlive(long pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

std::string HarveyBinary() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && self.filename() == "harvey") return self.string();
  if (const char* env = std::getenv("HARVEY_BINARY"); env && *env) {
    return ::access(env, X_OK) == 0 ? std::string(env) : "";
  }
  if (ec) return "";
  for (const fs::path& p : {self.parent_path() / "harvey", self.parent_path().parent_path() / "harvey"}) {
    if (::access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p, ec)) return p.string();
  }
  return "";
}

}  // namespace harvey::harness
