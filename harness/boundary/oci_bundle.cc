#include "harness/boundary/oci_bundle.h"

#include <filesystem>
#include <fstream>

#include "harness/boundary/sandbox.h"

namespace harvey::harness {
namespace fs = std::filesystem;

nlohmann::json OciConfig(const OciSpec& spec) {
  using nlohmann::json;
  json env = json::array({"PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
  for (const std::string& e : spec.env) env.push_back(e);
  const json caps = json::array({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
  json mounts = json::array({
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
      {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/shm"}, {"type", "tmpfs"}, {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"},
       {"options", {"nosuid", "nodev", "mode=1777"}}},
  });
  for (const OciMount& m : spec.binds) {
    json options = {"rbind", m.read_only ? "ro" : "rw", "nosuid", "nodev"};
    mounts.push_back({{"destination", m.destination}, {"type", "bind"}, {"source", m.source},
                      {"options", options}});
  }
  return json{
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", spec.args},
        {"env", env},
        {"cwd", "/"},
        {"capabilities",
         {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", spec.rootfs}, {"readonly", true}}},
      {"hostname", spec.hostname},
      {"mounts", mounts},
      {"linux",
       {{"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
        {"namespaces",
         {{{"type", "pid"}}, {{"type", "network"}}, {{"type", "ipc"}}, {{"type", "uts"}},
          {{"type", "mount"}}}},
        {"maskedPaths",
         {"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
  };
}

std::string MakeOciRootfs(const std::string& rootfs, const std::vector<OciMount>& binds,
                          const std::vector<std::string>& file_destinations) {
  std::error_code ec;
  fs::create_directories(rootfs, ec);
  for (const char* d : {"proc", "dev", "tmp"}) fs::create_directories(fs::path(rootfs) / d, ec);
  for (const RootEntry& e : MinimalRoot()) {
    const fs::path at = fs::path(rootfs) / e.path.substr(1);
    if (fs::exists(fs::symlink_status(at, ec))) continue;
    if (e.symlink_target.empty()) fs::create_directories(at, ec);
    else fs::create_symlink(e.symlink_target, at, ec);
    if (ec) return "cannot prepare " + at.string() + ": " + ec.message();
  }
  for (const OciMount& m : binds) {
    const fs::path at = fs::path(rootfs) / m.destination.substr(1);
    if (fs::exists(fs::symlink_status(at, ec))) continue;
    bool is_file = false;
    for (const std::string& f : file_destinations) is_file = is_file || f == m.destination;
    if (is_file) {
      fs::create_directories(at.parent_path(), ec);
      std::ofstream(at.string()).close();
    } else {
      fs::create_directories(at, ec);
    }
    if (!fs::exists(at, ec)) return "cannot prepare mount point " + at.string();
  }
  return "";
}

}  // namespace harvey::harness
