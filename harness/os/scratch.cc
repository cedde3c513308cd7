#include "harness/os/scratch.h"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "harness/os/janitor.h"

namespace harvey::harness {
namespace fs = std::filesystem;

namespace {
constexpr const char* kMemoryParent = "/dev/shm";

std::string TmpParent() {
  const char* t = std::getenv("TMPDIR");
  return (t && *t) ? t : "/tmp";
}

bool PidAlive(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }
}  // namespace

bool OnTmpfs(const std::string& dir) {
  struct statfs st{};
  return ::statfs(dir.c_str(), &st) == 0 && st.f_type == TMPFS_MAGIC;
}

std::string DefaultScratchParent() {
  if (::access(kMemoryParent, W_OK | X_OK) == 0 && OnTmpfs(kMemoryParent)) return kMemoryParent;
  return TmpParent();
}

int RemoveStaleScratchDirs(const std::string& parent) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("harvey-", 0) != 0 || !entry.is_directory(ec)) continue;
    char* end = nullptr;
    const long pid = std::strtol(name.c_str() + 7, &end, 10);
    if (end == name.c_str() + 7 || *end != '-' || PidAlive(pid)) continue;
    if (fs::remove_all(entry.path(), ec) > 0 && !ec) removed++;
  }
  return removed;
}

Result<std::unique_ptr<ScratchDir>> ScratchDir::Create(const std::string& parent_in) {
  const std::string parent = parent_in.empty() ? DefaultScratchParent() : parent_in;
  RemoveStaleScratchDirs(parent);
  // Earlier versions defaulted to $TMPDIR: sweep there too.
  if (parent_in.empty() && parent != TmpParent()) RemoveStaleScratchDirs(TmpParent());
  std::string tmpl = parent + "/harvey-" + std::to_string(::getpid()) + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return Error{"cannot create a scratch directory in " + parent + ": " + std::strerror(errno)};
  }
  JanitorWatchDir(tmpl);  // removed even if this process is SIGKILLed (janitor.h)
  std::string where = tmpl;
  if (OnTmpfs(tmpl)) {
    where += " (tmpfs)";
  } else if (parent_in.empty()) {
    where += std::string(" (on disk: ") + kMemoryParent +
             " is missing or not a writable tmpfs; --scratch DIR picks another)";
  } else {
    where += " (not a tmpfs)";
  }
  return std::unique_ptr<ScratchDir>(new ScratchDir(tmpl, where));
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
  JanitorForgetDir(path_);
}

}  // namespace harvey::harness
