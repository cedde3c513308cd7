#include "harness/boundary/sandbox.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "harness/os/process.h"
#include "harness/worker/sqlite_build.h"

namespace harvey::harness {
namespace fs = std::filesystem;

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

void SandboxLauncher::StopAll() {
  for (auto& [slot, sb] : sandboxes_) {
    if (sb && sb->host) sb->host->Close();
  }
  sandboxes_.clear();
}

std::string SandboxLauncher::SandboxDir(const std::string& host_db_path) const {
  return fs::path(host_db_path).parent_path().string();
}

bool SandboxLauncher::Reaches(int slot, const std::string& host_db_path) const {
  auto it = sandboxes_.find(slot);
  return it != sandboxes_.end() && it->second && it->second->host->ok() &&
         it->second->host_db_dir == SandboxDir(host_db_path);
}

std::string SandboxLauncher::StartSandbox(int slot, const std::string& host_db_path,
                                          const std::string& sqlite) {
  const std::string host_db_dir = SandboxDir(host_db_path);
  // The sandbox's host runs the slot's SQLite build; its workers are forks of it.
  const std::string binary = SqliteBinary(sqlite);
  if (binary.empty()) return SqliteNotBuiltMessage(sqlite);
  std::unique_ptr<Sandbox>& sb = sandboxes_[slot];
  if (sb && (sb->host_db_dir != host_db_dir || sb->binary != binary || !sb->host->ok())) sb.reset();
  if (sb) return "";
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return std::string("socketpair: ") + std::strerror(errno);
  }
  sb = std::make_unique<Sandbox>();
  sb->host_db_dir = host_db_dir;
  sb->binary = binary;
  sb->host = std::make_unique<HostClient>(sv[0]);
  const std::string error = Start(slot, host_db_dir, sv[1], sb.get());
  ::close(sv[1]);
  if (!error.empty()) sb.reset();
  return error;
}

void SandboxLauncher::Prepare(int slot, const std::string& host_db_path, const std::string& sqlite) {
  StartSandbox(slot, host_db_path, sqlite);  // a failure is Spawn's to report (it starts again)
}

std::string SandboxLauncher::Spawn(int slot, const std::string& host_db_path, const std::string& sqlite,
                                   pid_t* id, int* fd) {
  if (SqliteBinary(sqlite).empty()) return SqliteNotBuiltMessage(sqlite);
  std::string error = StartSandbox(slot, host_db_path, sqlite);
  std::unique_ptr<Sandbox>& sb = sandboxes_[slot];
  if (error.empty() && !sb->ready) {
    error = sb->host->WaitReady(30000);
    sb->ready = error.empty();
  }
  if (error.empty()) error = sb->host->Spawn(id, fd);
  if (!error.empty()) {
    sb.reset();
    return std::string(name()) + " worker " + std::to_string(slot) + ": " + error;
  }
  return "";
}

int SandboxLauncher::Kill(int slot, pid_t id) {
  auto it = sandboxes_.find(slot);
  if (it == sandboxes_.end() || !it->second) return kWorkerLost;
  // A host that does not answer is torn down whole, which kills the worker.
  const int status = it->second->host->Kill(id);
  if (status == HostClient::kHostGone) it->second.reset();
  return status == HostClient::kHostGone ? kWorkerLost : status;
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
