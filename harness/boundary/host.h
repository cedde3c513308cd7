// A worker host: the one long-lived process inside a sandbox (a namespace
// set, an OCI container, an sshfs "machine"), started once per campaign as
// `harvey __host --fd 3`. It forks worker processes on request, so a worker
// killed by a schedule (`kill`, power loss) is replaced at fork cost, not
// at container start-up cost, and the replacement is in the same sandbox.
// After answering a Spawn the host forks one spare worker (it touches
// nothing before its Reset), which the next Spawn hands out: a replacement
// then costs no fork while the coordinator waits.
//
// Control channel (SOCK_SEQPACKET, one message per datagram):
//   host -> coordinator   Ready once set up (or Failed with one line)
//   coordinator -> host   Spawn        -> Spawned{pid} + the worker's socket
//                                         (SCM_RIGHTS; speaks harness/worker/wire.h)
//                         Kill{pid}    -> Killed{status} once the worker has
//                                         exited (its fds closed, its locks
//                                         released); status: its wait status
//                                         (-1 if the host did not know it)
//   EOF on the channel (the coordinator closed it, or died): the host
//   SIGKILLs and reaps every worker, undoes its mount, then exits — so a
//   sandbox whose tool outlives a dead coordinator still empties itself.
// The host and its workers get SIGKILL when their parent dies.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace harvey::harness {

struct HostOptions {
  // sshfs: mount `sshfs_remote` at `sshfs_mount` with `sshfs -o passive`,
  // the SFTP stream on fd `sshfs_fd`, before reporting Ready.
  int sshfs_fd = -1;
  std::string sshfs_mount;
  std::string sshfs_remote;
  std::string sshfs_options;
};

// The host's main loop. Returns the process exit code.
int HostMain(int control_fd, const HostOptions& options);

// `harvey __host ...` and `harvey __worker --fd N`: the hidden entry points
// that boundaries exec; `harvey __version` prints "NAME\tVERSION\tSOURCE_ID"
// of the SQLite build it links (harness/worker/sqlite_build.h). argv[1] is the
// subcommand. Exit 4 if the executable links another SQLite than its name says.
int InternalMain(int argc, char** argv);

// The coordinator's handle on one host: owns the control channel.
class HostClient {
 public:
  explicit HostClient(int control_fd) : fd_(control_fd) {}
  ~HostClient();
  HostClient(const HostClient&) = delete;
  HostClient& operator=(const HostClient&) = delete;

  // Waits for Ready. Returns "" or one line (the host's error, or a timeout).
  std::string WaitReady(int timeout_ms);
  // Forks a worker. On success sets *pid (host-local) and *fd (CLOEXEC).
  std::string Spawn(pid_t* pid, int* fd);
  // SIGKILLs worker `pid` and waits until it is gone. Returns its wait
  // status as the host reaped it (-1 if the host did not know it), or
  // kHostGone if the host did not answer (then the whole sandbox should go).
  static constexpr int kHostGone = -2;
  int Kill(pid_t pid);
  // Closes the channel: the host kills its workers and exits.
  void Close();
  bool ok() const { return fd_ >= 0 && !broken_; }

 private:
  int fd_;
  bool broken_ = false;
};

}  // namespace harvey::harness
