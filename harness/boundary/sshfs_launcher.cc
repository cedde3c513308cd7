// `sshfs`: a network share. harvey starts one sshd on 127.0.0.1 (a free
// port, host and client keys generated in its scratch directory, `Subsystem
// sftp internal-sftp`, key-only root login). Each slot is a "machine": its
// worker host runs under `unshare` in its own mount, pid, net, ipc and uts
// namespaces and mounts the database directory with its own sshfs at
// <scratch>/mnt-<slot>. The machine has no network of its own (its loopback
// is down); its sshfs runs in passive mode and speaks SFTP over a socket
// whose other end is an `ssh -s sftp` client on the host talking to sshd, so
// every byte goes through sshd like a remote mount's would.
//
// The mount lives only in the machine's mount namespace: it is never visible
// on the host and disappears with the namespace (when the host process, PID 1
// there, exits or is killed), so nothing is left mounted even after a crash.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "harness/os/process.h"
#include "harness/boundary/launchers.h"
#include "harness/boundary/sandbox.h"

namespace harvey::harness {
namespace fs = std::filesystem;

namespace {

// sshfs options for every mount (defaults otherwise: what users run).
constexpr const char* kSshfsOptions = "";

int FreeLoopbackPort() {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(s);
  return port;
}

// Whether process `pid` holds the socket listening on 127.0.0.1:`port`
// (/proc/net/tcp names the listener's inode; /proc/PID/fd its sockets).
bool Listens(pid_t pid, int port) {
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);  // the header
  char want[16];
  std::snprintf(want, sizeof want, "0100007F:%04X", port);
  std::string inode;
  while (std::getline(tcp, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, state, queues, timer, retr, uid, timeout, node;
    f >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> node;
    if (local == want && state == "0A") inode = node;  // 0A: LISTEN
  }
  if (inode.empty()) return false;
  const std::string target = "socket:[" + inode + "]";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code rec;
    if (fs::read_symlink(e.path(), rec).string() == target) return true;
  }
  return false;
}

bool Accepts(int port) {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

bool HasChildren(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::string any;
  return static_cast<bool>(in >> any);
}

class SshfsLauncher : public SandboxLauncher {
 public:
  explicit SshfsLauncher(std::unique_ptr<ScratchDir> scratch) : SandboxLauncher(std::move(scratch)) {}

  ~SshfsLauncher() override {
    StopAll();  // machines first: their ssh clients exit, sshd's sessions end
    if (sshd_pid_ > 0) {
      for (int i = 0; i < 100 && HasChildren(sshd_pid_); ++i) {  // 1 s
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    StopProcess(sshd_pid_, 0);  // then the server (SIGKILL: it keeps no state)
  }

  std::string_view name() const override { return "sshfs"; }

  // Every machine mounts one export directory; each schedule's database
  // gets a fresh subdirectory of it. sshfs and the kernel cache names and
  // attributes per mount (for seconds), so a database deleted and recreated
  // under the same name would look stale to a machine that saw the old one:
  // fresh names make every schedule start clean, as a replay in a new
  // process does.
  std::string StageDatabase(std::string* host_db_path) override {
    std::error_code ec;
    const fs::path from(*host_db_path);
    if (!last_stage_.empty()) fs::remove_all(last_stage_, ec);
    const fs::path dir = fs::path(Export()) / ("s" + std::to_string(++stages_));
    fs::create_directories(dir, ec);
    // The database and what sits beside it (e.g. power-loss bookkeeping).
    const std::string name = from.filename().string();
    for (const auto& e : fs::directory_iterator(from.parent_path(), ec)) {
      if (e.path().filename().string().rfind(name, 0) != 0) continue;
      const fs::path to = dir / e.path().filename();
      fs::rename(e.path(), to, ec);
      if (ec) {  // another filesystem: copy
        ec.clear();
        fs::copy_file(e.path(), to, ec);
        if (ec) return "cannot stage " + e.path().string() + " for sshfs: " + ec.message();
      }
    }
    const fs::path to = dir / name;
    last_stage_ = dir.string();
    *host_db_path = to.string();
    return "";
  }

  // Each machine reboots: a fresh mount, no cached pages or names.
  void PowerCycle() override { StopAll(); }

  std::string WorkerPath(int slot, const std::string& host_db_path) const override {
    return MountPoint(slot) + "/" + fs::path(host_db_path).lexically_relative(Export()).string();
  }

 protected:
  std::string Start(int slot, const std::string& host_db_dir, int host_fd, Sandbox* sb) override {
    if (std::string e = StartSshd(); !e.empty()) return e;
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return std::string("socketpair: ") + std::strerror(errno);
    }
    const std::string log = scratch() + "/ssh-" + std::to_string(slot) + ".log";
    Result<pid_t> ssh = SpawnProcess(ExecSpec{
        .argv = {FindTool("ssh"), "-F", "/dev/null", "-i", scratch() + "/client_key",
                 "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                 "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-p", std::to_string(port_),
                 "-s", "root@127.0.0.1", "sftp"},
        .fds = {{0, sv[0]}, {1, sv[0]}},
        .stderr_path = log});
    ::close(sv[0]);
    if (!ssh.ok()) {
      ::close(sv[1]);
      return ssh.error();
    }
    sb->helpers.push_back(ssh.value());
    std::error_code ec;
    fs::create_directories(MountPoint(slot), ec);
    std::vector<std::string> argv = {
        FindTool("unshare"), "--mount", "--propagation", "private", "--pid", "--fork",
        "--kill-child", "--net", "--ipc", "--uts", "--", sb->binary, "__host", "--fd", "3",
        "--sshfs-fd", "4", "--mount", MountPoint(slot), "--remote", "harvey:" + host_db_dir};
    if (*kSshfsOptions) argv.insert(argv.end(), {"--sshfs-options", kSshfsOptions});
    Result<pid_t> pid = SpawnProcess(ExecSpec{.argv = argv, .fds = {{3, host_fd}, {4, sv[1]}}});
    ::close(sv[1]);
    if (!pid.ok()) return pid.error();
    sb->root_pid = pid.value();
    return "";
  }

 private:
  std::string MountPoint(int slot) const { return scratch() + "/mnt-" + std::to_string(slot); }
  std::string Export() const { return scratch() + "/export"; }
  std::string SandboxDir(const std::string&) const override { return Export(); }

  int stages_ = 0;
  std::string last_stage_;

  // Keys and config in the scratch directory; sshd in the foreground as our
  // child. Once per launcher; later calls check it still runs.
  std::string StartSshd() {
    if (sshd_pid_ > 0) {
      if (!WaitForExit(sshd_pid_, 0)) return "";
      sshd_pid_ = -1;
      return "sshd exited; see " + scratch() + "/sshd.log";
    }
    const std::string dir = scratch();
    for (const char* key : {"host_key", "client_key"}) {
      if (fs::exists(dir + "/" + key)) continue;
      CommandResult r = RunCommand({FindTool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C",
                                    "harvey", "-f", dir + "/" + key}, 10000);
      if (r.exit_code != 0) return "ssh-keygen failed: " + r.output;
    }
    std::error_code ec;
    fs::copy_file(dir + "/client_key.pub", dir + "/authorized_keys", fs::copy_options::overwrite_existing, ec);
    // sshd refuses to start without its privilege separation directory.
    fs::create_directories("/run/sshd", ec);
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = FreeLoopbackPort();
      if (port_ <= 0) return "no free port on 127.0.0.1";
      std::ofstream(dir + "/sshd_config")
          << "ListenAddress 127.0.0.1\nPort " << port_ << "\nHostKey " << dir << "/host_key\n"
          << "AuthorizedKeysFile " << dir << "/authorized_keys\n"
          << "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
          << "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile none\n"
          << "UseDNS no\nMaxStartups 64\nSubsystem sftp internal-sftp\n";
      Result<pid_t> pid = SpawnProcess(ExecSpec{
          .argv = {FindTool("sshd"), "-D", "-e", "-f", dir + "/sshd_config"},
          .stderr_path = dir + "/sshd.log"});
      if (!pid.ok()) return pid.error();
      sshd_pid_ = pid.value();
      for (int i = 0; i < 500; ++i) {  // 5 s
        // Accepting is not enough: the port may be another process's (a
        // parallel `--jobs` campaign's sshd took it between
        // FreeLoopbackPort and our bind; ours then fails and exits).
        if (Accepts(port_) && Listens(sshd_pid_, port_)) return "";
        if (WaitForExit(sshd_pid_, 0)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      StopProcess(sshd_pid_, 0);
      sshd_pid_ = -1;
    }
    std::ifstream log(dir + "/sshd.log");
    std::string line, last;
    while (std::getline(log, line)) last = line;
    return "sshd did not start on 127.0.0.1: " + last;
  }

  pid_t sshd_pid_ = -1;
  int port_ = -1;
};

}  // namespace

Result<std::unique_ptr<Launcher>> MakeSshfsLauncher() {
  auto scratch = SandboxLauncher::MakeScratch();
  if (!scratch.ok()) return Error{scratch.error()};
  return std::unique_ptr<Launcher>(
      std::make_unique<SshfsLauncher>(std::move(scratch.value())));
}

}  // namespace harvey::harness
