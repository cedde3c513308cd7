// `ns`: each slot's worker host runs under bwrap in its own user, mount,
// pid, ipc, uts, net and cgroup namespaces, on a read-only root made of the
// host's /usr, /etc (and /lib, /bin ... as on the host), with the database
// directory bind-mounted read-write at /db — a different path than on the
// host, as in any container.
#include <filesystem>

#include "harness/os/process.h"
#include "harness/boundary/launchers.h"
#include "harness/boundary/sandbox.h"

namespace harvey::harness {
namespace {

constexpr const char* kDbMount = "/db";

class NsLauncher : public SandboxLauncher {
 public:
  NsLauncher(std::unique_ptr<ScratchDir> scratch, std::string bwrap)
      : SandboxLauncher(std::move(scratch)), bwrap_(std::move(bwrap)) {}

  std::string_view name() const override { return "ns"; }

  std::string WorkerPath(int slot, const std::string& host_db_path) const override {
    return std::string(kDbMount) + "/" + std::filesystem::path(host_db_path).filename().string();
  }

 protected:
  std::string Start(int slot, const std::string& host_db_dir, int host_fd, Sandbox* sb) override {
    std::vector<std::string> argv = {bwrap_, "--unshare-all", "--unshare-user", "--die-with-parent", "--as-pid-1",
                                     "--hostname", "harvey-ns-" + std::to_string(slot)};
    for (const RootEntry& e : MinimalRoot()) {
      if (e.symlink_target.empty()) {
        argv.insert(argv.end(), {"--ro-bind", e.path, e.path});
      } else {
        argv.insert(argv.end(), {"--symlink", e.symlink_target, e.path});
      }
    }
    argv.insert(argv.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                             "--bind", host_db_dir, kDbMount,
                             "--ro-bind", sb->binary, "/harvey",
                             "--chdir", "/", "--", "/harvey", "__host", "--fd", "3"});
    Result<pid_t> pid = SpawnProcess(ExecSpec{.argv = argv, .fds = {{3, host_fd}}});
    if (!pid.ok()) return pid.error();
    sb->root_pid = pid.value();
    return "";
  }

 private:
  std::string bwrap_;
};

}  // namespace

Result<std::unique_ptr<Launcher>> MakeNsLauncher() {
  auto scratch = SandboxLauncher::MakeScratch();
  if (!scratch.ok()) return Error{scratch.error()};
  return std::unique_ptr<Launcher>(
      std::make_unique<NsLauncher>(std::move(scratch.value()), FindTool("bwrap")));
}

}  // namespace harvey::harness
