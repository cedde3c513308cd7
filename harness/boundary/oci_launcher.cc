// `oci` and `oci-file`: each slot's worker host is PID 1 of a real OCI
// container run by runc from a bundle harvey generates (harness/boundary/oci_bundle.h);
// the coordinator's control channel is passed in with --preserve-fds.
// Containers are named harvey-<coordinator pid>-<slot>-<n>, so a later run
// can delete what a crashed coordinator left (RemoveStaleBoundaryState).
//
// oci       the database directory is a volume at /db.
// oci-file  only the database file is bind-mounted, at /db/<name>, over a
//           per-container directory: every container gets its own -wal and
//           -shm (a misconfiguration users make). A bind mount pins an
//           inode, so the database lives in one volume file whose content
//           is replaced in place for each schedule (StageDatabase).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "harness/boundary/oci_bundle.h"
#include "harness/os/janitor.h"
#include "harness/os/process.h"
#include "harness/boundary/launchers.h"
#include "harness/boundary/sandbox.h"

namespace harvey::harness {
namespace fs = std::filesystem;

namespace {

constexpr const char* kDbMount = "/db";
constexpr const char* kRuncState = "/run/runc";

// Replaces the content of `to` with that of `from`, keeping `to`'s inode.
std::string CopyInPlace(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) return "cannot read " + from;
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot open " + to + ": " + std::strerror(errno);
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == data.size() && ::ftruncate(fd, static_cast<off_t>(data.size())) == 0;
  ::close(fd);
  return ok ? "" : "cannot write " + to;
}

// Removes every entry of `dir` except `keep`.
void EmptyDirExcept(const fs::path& dir, const std::string& keep) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename() != keep) fs::remove_all(e.path(), ec);
  }
}

class OciLauncher : public SandboxLauncher {
 public:
  OciLauncher(std::unique_ptr<ScratchDir> scratch, std::string runc, bool file_only)
      : SandboxLauncher(std::move(scratch)), runc_(std::move(runc)),
        file_only_(file_only) {}

  ~OciLauncher() override { StopAll(); }

  std::string_view name() const override { return file_only_ ? "oci-file" : "oci"; }

  std::string WorkerPath(int slot, const std::string& host_db_path) const override {
    return std::string(kDbMount) + "/" + fs::path(host_db_path).filename().string();
  }

  // oci-file: a power loss replaces the database file; containers must
  // bind the new one (they restart at the next Spawn, after the power loss).
  void PowerCycle() override {
    if (file_only_) StopAll();
  }

  std::string StageDatabase(std::string* host_db_path) override {
    if (!file_only_) return "";
    db_name_ = fs::path(*host_db_path).filename().string();
    const fs::path volume_dir = fs::path(scratch()) / "volume";
    std::error_code ec;
    fs::create_directories(volume_dir, ec);
    EmptyDirExcept(volume_dir, db_name_);
    for (int slot = 0; fs::exists(SlotDir(slot), ec); ++slot) EmptyDirExcept(SlotDir(slot), db_name_);
    const std::string volume = (volume_dir / db_name_).string();
    if (std::string e = CopyInPlace(*host_db_path, volume); !e.empty()) return e;
    // Something replaced the volume file (a power loss writes a new file):
    // containers started before still see the old inode; restart them.
    struct stat st{};
    if (::stat(volume.c_str(), &st) == 0 && st.st_ino != volume_inode_) StopAll();
    // What sits beside the database (e.g. power-loss bookkeeping) comes too.
    for (const auto& e : fs::directory_iterator(fs::path(*host_db_path).parent_path(), ec)) {
      const std::string n = e.path().filename().string();
      if (n != db_name_ && n.rfind(db_name_, 0) == 0) {
        fs::copy_file(e.path(), volume_dir / n, fs::copy_options::overwrite_existing, ec);
      }
    }
    *host_db_path = volume;
    return "";
  }

 protected:
  std::string Start(int slot, const std::string& host_db_dir, int host_fd, Sandbox* sb) override {
    std::vector<OciMount> binds;
    for (const RootEntry& e : MinimalRoot()) {
      if (e.symlink_target.empty()) binds.push_back({e.path, e.path, true});
    }
    binds.push_back({"/harvey", sb->binary, true});
    std::vector<std::string> files = {"/harvey"};
    std::error_code ec;
    if (file_only_) {
      const fs::path dir = SlotDir(slot);
      fs::create_directories(dir, ec);
      std::ofstream((dir / db_name_).string(), std::ios::app).close();  // the mount point
      binds.push_back({kDbMount, dir.string(), false});
      const std::string volume = host_db_dir + "/" + db_name_;
      binds.push_back({std::string(kDbMount) + "/" + db_name_, volume, false});
      struct stat st{};
      if (::stat(volume.c_str(), &st) == 0) volume_inode_ = st.st_ino;
    } else {
      binds.push_back({kDbMount, host_db_dir, false});
    }
    const std::string rootfs = scratch() + "/rootfs";
    if (std::string e = MakeOciRootfs(rootfs, binds, files); !e.empty()) return e;
    const fs::path bundle = fs::path(scratch()) / ("bundle-" + std::to_string(slot));
    fs::create_directories(bundle, ec);
    OciSpec spec{.rootfs = rootfs, .hostname = "harvey-" + std::string(name()) + "-" + std::to_string(slot),
                 .args = {"/harvey", "__host", "--fd", "3"},
                 .env = {std::string(kCoordinatorEnv) + "=" + std::to_string(::getpid())},
                 .binds = binds};
    std::ofstream((bundle / "config.json").string()) << OciConfig(spec).dump(1) << "\n";
    const std::string id = "harvey-" + std::to_string(::getpid()) + "-" + std::to_string(slot) + "-" +
                           std::to_string(++generation_);
    // Should the coordinator die (even SIGKILLed), the host sees EOF on its
    // channel and exits; runc run, which must not die first (no
    // PR_SET_PDEATHSIG), then deletes the container itself. The janitor
    // (harness/os/janitor.h) runs `runc delete --force` as well, for a
    // container whose init did not exit.
    const std::vector<std::string> remove = {runc_, "delete", "--force", id};
    JanitorWatchCommand(remove);
    Result<pid_t> pid = SpawnProcess(ExecSpec{
        .argv = {runc_, "run", "--preserve-fds", "1", "--no-new-keyring", "--bundle", bundle.string(), id},
        .fds = {{3, host_fd}},
        .stderr_path = "",
        .die_with_parent = false});
    if (!pid.ok()) {
      JanitorForgetCommand(remove);
      return pid.error();
    }
    sb->root_pid = pid.value();
    sb->cleanup = [remove, id] {
      std::error_code ec;
      if (!fs::exists(kRuncState, ec) || fs::exists(fs::path(kRuncState) / id, ec)) {
        RunCommand(remove, 10000);
      }
      JanitorForgetCommand(remove);
    };
    return "";
  }

 private:
  fs::path SlotDir(int slot) const { return fs::path(scratch()) / ("private-" + std::to_string(slot)); }

  std::string runc_;
  bool file_only_;
  std::string db_name_ = "harvey.db";
  ino_t volume_inode_ = 0;  // what running containers have bind-mounted
  int generation_ = 0;
};

}  // namespace

Result<std::unique_ptr<Launcher>> MakeOciLauncher(bool file_only) {
  auto scratch = SandboxLauncher::MakeScratch();
  if (!scratch.ok()) return Error{scratch.error()};
  return std::unique_ptr<Launcher>(std::make_unique<OciLauncher>(
      std::move(scratch.value()), FindTool("runc"), file_only));
}

}  // namespace harvey::harness
