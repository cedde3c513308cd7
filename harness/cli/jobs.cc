#include "harness/cli/jobs.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "harness/cli/cli.h"
#include "harness/os/cpu_pin.h"
#include "harness/os/process.h"

namespace harvey::harness {

std::vector<std::string> JobArgs(const std::vector<std::string>& args, const std::vector<std::string>& drop,
                                 const std::vector<std::string>& extra) {
  std::vector<std::string> names = drop;
  names.push_back("--jobs");
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    bool dropped = false;
    for (const std::string& n : names) {
      if (args[i] == n) {
        ++i;  // and its value
        dropped = true;
        break;
      }
      if (args[i].rfind(n + "=", 0) == 0) {
        dropped = true;
        break;
      }
    }
    if (!dropped) out.push_back(args[i]);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

Result<JobProcess> StartJob(int job, const std::vector<std::string>& args) {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return Error{std::string("cannot resolve /proc/self/exe: ") + std::strerror(errno)};
  self[n] = 0;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Error{std::string("socketpair: ") + std::strerror(errno)};
  }
  ExecSpec spec{.argv = {self}, .fds = {{3, sv[1]}}};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  Result<pid_t> pid = SpawnProcess(spec);
  ::close(sv[1]);
  if (!pid.ok()) {
    ::close(sv[0]);
    return Error{pid.error()};
  }
  return JobProcess{.job = job, .pid = pid.value(), .fd = sv[0]};
}

std::vector<nlohmann::json> ReadJobLines(JobProcess* p) {
  std::vector<nlohmann::json> out;
  if (p->fd < 0) return out;
  char buf[65536];
  const ssize_t n = ::read(p->fd, buf, sizeof buf);
  if (n < 0 && errno == EINTR) return out;
  if (n <= 0) {
    ::close(p->fd);
    p->fd = -1;
  } else {
    p->partial.append(buf, static_cast<size_t>(n));
  }
  for (size_t nl; (nl = p->partial.find('\n')) != std::string::npos;) {
    nlohmann::json j = nlohmann::json::parse(p->partial.substr(0, nl), nullptr, /*allow_exceptions=*/false);
    p->partial.erase(0, nl + 1);
    if (j.is_object()) out.push_back(std::move(j));
  }
  return out;
}

std::vector<std::pair<size_t, nlohmann::json>> PollJobs(const std::vector<JobProcess*>& procs, int timeout_ms) {
  std::vector<pollfd> fds;
  std::vector<size_t> owners;
  for (size_t i = 0; i < procs.size(); ++i) {
    if (procs[i]->fd < 0) continue;
    fds.push_back(pollfd{.fd = procs[i]->fd, .events = POLLIN, .revents = 0});
    owners.push_back(i);
  }
  std::vector<std::pair<size_t, nlohmann::json>> out;
  if (fds.empty() || ::poll(fds.data(), fds.size(), timeout_ms) <= 0) return out;
  for (size_t k = 0; k < fds.size(); ++k) {
    if (fds[k].revents == 0) continue;
    for (nlohmann::json& line : ReadJobLines(procs[owners[k]])) out.emplace_back(owners[k], std::move(line));
  }
  return out;
}

void ReplyToJob(const JobProcess& p, const std::string& line) {
  if (p.fd < 0) return;
  const std::string text = line + "\n";
  (void)!::write(p.fd, text.data(), text.size());  // a dead child: nothing to tell
}

void ReapJob(JobProcess* p, int grace_ms) {
  if (p->exited || p->pid <= 0) return;
  int status = 0;
  if (WaitForExit(p->pid, grace_ms, &status)) {
    p->status = status;
  } else {
    p->status = KillAndReap(p->pid);
  }
  p->exited = true;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitHarness;
}

std::string ParseJob(const std::string& text, uint64_t* job, uint64_t* jobs) {
  unsigned long long j = 0, n = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%llu/%llu%c", &j, &n, &tail) != 2 || n == 0 || j >= n) {
    return "--job " + text + ": want J/N with 0 <= J < N (an internal option of --jobs)";
  }
  *job = j;
  *jobs = n;
  return "";
}

void JobChildSetup(uint64_t job) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  // The parent may have died before the line above: SpawnProcess marked us
  // with its pid.
  const char* parent = std::getenv(kCoordinatorEnv);
  if (parent && std::atol(parent) != static_cast<long>(::getppid())) {
    std::fprintf(stderr, "harvey: the parent of this job is gone\n");
    std::exit(kExitHarness);
  }
  PinJobToCpu(static_cast<int>(job));
}

void JobChannel::Send(const nlohmann::json& line) const {
  if (fd_ < 0) return;
  const std::string text = line.dump() + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent is gone
    done += static_cast<size_t>(n);
  }
}

std::string JobChannel::Ask(const nlohmann::json& question) const {
  Send(question);
  std::string line;
  char c;
  while (true) {
    const ssize_t n = ::read(fd_, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";
    if (c == '\n') return line;
    line += c;
  }
}

}  // namespace harvey::harness
