#include "harness/launcher.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <utility>

#include "harness/process.h"
#include "harness/sandbox.h"
#include "harness/sqlite_build.h"
#include "harness/worker_main.h"

namespace harvey::harness {
namespace fs = std::filesystem;

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

  void Kill(int slot, pid_t id) override { KillAndReap(id); }

  std::string WorkerPath(int slot, const std::string& host_db_path) const override {
    return host_db_path;
  }
};

bool IsExecutable(const std::string& p) { return !p.empty() && ::access(p.c_str(), X_OK) == 0; }

std::string NeedTool(const std::string& boundary, const std::string& tool, const std::string& package) {
  if (IsExecutable(FindTool(tool))) return "";
  return "boundary " + boundary + " needs " + tool + ", which is not installed (apt-get install " +
         package + ", or run ci/setup)";
}

}  // namespace

std::string MissingTool(std::string_view boundary_view) {
  const std::string b(boundary_view);
  if (b == "fork" || b == "inproc") return "";
  const bool known = b == "ns" || b == "oci" || b == "oci-file" || b == "sshfs";
  if (!known) return "";
  if (HarveyBinary().empty()) {
    return "boundary " + b + " runs workers from the harvey executable, which was not found "
           "(set HARVEY_BINARY to its path)";
  }
  if (b == "ns") return NeedTool(b, "bwrap", "bubblewrap");
  if (b == "oci" || b == "oci-file") {
    if (::geteuid() != 0) return "boundary " + b + " runs runc, which needs root (run harvey as root)";
    return NeedTool(b, "runc", "runc");
  }
  // sshfs
  if (::geteuid() != 0) return "boundary sshfs mounts in private namespaces, which needs root";
  for (auto [tool, package] : {std::pair{"sshfs", "sshfs"}, {"sshd", "openssh-server"},
                               {"ssh", "openssh-client"}, {"ssh-keygen", "openssh-client"},
                               {"unshare", "util-linux"}}) {
    if (std::string e = NeedTool(b, tool, package); !e.empty()) return e;
  }
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    return "boundary sshfs needs /dev/fuse, which is missing or not writable (modprobe fuse; in a "
           "container, pass --device /dev/fuse)";
  }
  return "";
}

std::string CheckPlacement(std::string_view spec, const model::Schedule* s, int* exit_code) {
  std::vector<std::string> wanted = SplitBoundaries(spec);
  const bool inproc = spec == "inproc";
  *exit_code = 2;
  for (const std::string& b : wanted) {
    const bool known = b == "fork" || b == "ns" || b == "oci" || b == "oci-file" || b == "sshfs";
    if (!known && !inproc) {
      return "unknown boundary '" + b + "' (known: fork, inproc, ns, oci, oci-file, sshfs, or a mix such as fork+oci)";
    }
  }
  for (size_t i = 0; s && i < s->workers.size(); ++i) {
    const model::Worker& w = s->workers[i];
    if (w.boundary.empty() || w.boundary == spec) continue;
    const bool known = w.boundary == "fork" || w.boundary == "ns" || w.boundary == "oci" ||
                       w.boundary == "oci-file" || w.boundary == "sshfs";
    if (!known) return "worker " + w.name + " is placed on unknown boundary '" + w.boundary + "'";
    if (inproc) {
      return "worker " + w.name + " is placed on " + w.boundary +
             ", but --boundary inproc runs every worker in one process (use fork, ns, ...)";
    }
    wanted.push_back(w.boundary);
  }
  bool power_loss = false;
  for (size_t i = 0; s && i < s->steps.size(); ++i) {
    power_loss = power_loss || s->steps[i].op.kind == model::OpKind::kPowerLoss;
  }
  for (const std::string& b : wanted) {
    if (power_loss && !PowerLossModelled(b)) {
      return "this schedule has a power loss, which is not modelled on " + b +
             " (each container's -wal and power-loss bookkeeping are private)";
    }
  }
  *exit_code = 3;
  for (const std::string& b : wanted) {
    if (std::string e = MissingTool(b); !e.empty()) return e;
  }
  *exit_code = 0;
  return "";
}

bool PowerLossModelled(std::string_view spec) {
  for (const std::string& b : SplitBoundaries(spec)) {
    if (b == "oci-file") return false;
  }
  return true;
}

Result<std::unique_ptr<Launcher>> MakeLauncher(std::string_view boundary) {
  if (boundary == "fork") return std::unique_ptr<Launcher>(std::make_unique<ForkLauncher>());
  if (std::string e = MissingTool(boundary); !e.empty()) return Error{e};
  if (boundary == "ns") return MakeNsLauncher();
  if (boundary == "oci") return MakeOciLauncher(false);
  if (boundary == "oci-file") return MakeOciLauncher(true);
  if (boundary == "sshfs") return MakeSshfsLauncher();
  if (boundary == "inproc") return Error{"inproc runs every worker in the coordinator; it cannot be mixed with other placements"};
  return Error{"unknown boundary '" + std::string(boundary) + "' (known: fork, inproc, ns, oci, oci-file, sshfs)"};
}

Launcher* Placements::Get(std::string_view boundary, std::string* error) {
  if (auto it = launchers_.find(boundary); it != launchers_.end()) return it->second.get();
  Result<std::unique_ptr<Launcher>> l = MakeLauncher(boundary);
  if (!l.ok()) {
    *error = l.error();
    return nullptr;
  }
  Launcher* raw = l.value().get();
  launchers_.emplace(std::string(boundary), std::move(l.value()));
  return raw;
}

std::vector<std::string> SplitBoundaries(std::string_view spec) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t plus = spec.find('+', start);
    out.emplace_back(spec.substr(start, plus == std::string_view::npos ? spec.npos : plus - start));
    if (plus == std::string_view::npos) break;
    start = plus + 1;
  }
  return out;
}

// --- sandboxes --------------------------------------------------------------

Sandbox::~Sandbox() {
  if (host) host->Close();
  StopProcess(root_pid, 5000);
  if (cleanup) cleanup();
  for (pid_t h : helpers) StopProcess(h, 2000);
}

Result<std::unique_ptr<ScratchDir>> SandboxLauncher::MakeScratch() {
  static bool swept = false;  // once per process
  if (!std::exchange(swept, true)) RemoveStaleBoundaryState();
  return ScratchDir::Create("");
}

SandboxLauncher::SandboxLauncher(std::unique_ptr<ScratchDir> scratch) : scratch_(std::move(scratch)) {}

SandboxLauncher::~SandboxLauncher() { StopAll(); }

std::string SandboxLauncher::SandboxDir(const std::string& host_db_path) const {
  return fs::path(host_db_path).parent_path().string();
}

bool SandboxLauncher::Reaches(int slot, const std::string& host_db_path) const {
  auto it = sandboxes_.find(slot);
  return it != sandboxes_.end() && it->second && it->second->host->ok() &&
         it->second->host_db_dir == SandboxDir(host_db_path);
}

std::string SandboxLauncher::Spawn(int slot, const std::string& host_db_path, const std::string& sqlite,
                                   pid_t* id, int* fd) {
  const std::string host_db_dir = SandboxDir(host_db_path);
  // The sandbox's host runs the slot's SQLite build; its workers are forks of it.
  const std::string binary = SqliteBinary(sqlite);
  if (binary.empty()) return SqliteNotBuiltMessage(sqlite);
  std::unique_ptr<Sandbox>& sb = sandboxes_[slot];
  if (sb && (sb->host_db_dir != host_db_dir || sb->binary != binary || !sb->host->ok())) sb.reset();
  if (!sb) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      return std::string("socketpair: ") + std::strerror(errno);
    }
    sb = std::make_unique<Sandbox>();
    sb->host_db_dir = host_db_dir;
    sb->binary = binary;
    sb->host = std::make_unique<HostClient>(sv[0]);
    std::string error = Start(slot, host_db_dir, sv[1], sb.get());
    ::close(sv[1]);
    if (error.empty()) error = sb->host->WaitReady(30000);
    if (!error.empty()) {
      sb.reset();
      return std::string(name()) + " worker " + std::to_string(slot) + ": " + error;
    }
  }
  std::string error = sb->host->Spawn(id, fd);
  if (!error.empty()) {
    sb.reset();
    return std::string(name()) + " worker " + std::to_string(slot) + ": " + error;
  }
  return "";
}

void SandboxLauncher::Kill(int slot, pid_t id) {
  auto it = sandboxes_.find(slot);
  if (it == sandboxes_.end() || !it->second) return;
  // A host that does not answer is torn down whole, which kills the worker.
  if (!it->second->host->Kill(id)) it->second.reset();
}

std::vector<RootEntry> MinimalRoot() {
  std::vector<RootEntry> out;
  for (const char* p : {"/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(p, ec);
    if (ec || !fs::exists(st)) continue;
    if (fs::is_symlink(st)) {
      out.push_back({p, fs::read_symlink(p, ec).string()});
    } else if (fs::is_directory(st)) {
      out.push_back({p, ""});
    }
  }
  return out;
}

}  // namespace harvey::harness
