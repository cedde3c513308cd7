#include "harness/os/scratch.h"

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
std::string DefaultParent() {
  const char* t = std::getenv("TMPDIR");
  return (t && *t) ? t : "/tmp";
}

bool PidAlive(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }
}  // namespace

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
  const std::string parent = parent_in.empty() ? DefaultParent() : parent_in;
  RemoveStaleScratchDirs(parent);
  std::string tmpl = parent + "/harvey-" + std::to_string(::getpid()) + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return Error{"cannot create a scratch directory in " + parent + ": " + std::strerror(errno)};
  }
  JanitorWatchDir(tmpl);  // removed even if this process is SIGKILLed (janitor.h)
  return std::unique_ptr<ScratchDir>(new ScratchDir(tmpl));
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
  JanitorForgetDir(path_);
}

}  // namespace harvey::harness
