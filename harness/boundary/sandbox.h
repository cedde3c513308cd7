// The common part of the sandboxed launchers (ns, oci, oci-file, sshfs):
// one Sandbox per slot, each running a worker host (harness/boundary/host.h) that
// forks the slot's workers. Shared by harness/boundary/{ns,oci,sshfs}_launcher.cc, none of which uses another.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/boundary/host.h"
#include "harness/boundary/launcher.h"
#include "harness/os/scratch.h"

namespace harvey::harness {

// One running sandbox. The destructor tears it down, in this order: close
// the host's channel (the host kills its workers and exits), wait for the
// root process (the tool that made the sandbox) up to 5 s, SIGKILL it if
// needed, run `cleanup` (e.g. runc delete), stop the helper processes.
struct Sandbox {
  Sandbox() = default;
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;
  ~Sandbox();

  std::string host_db_dir;          // what it was started for
  std::string binary;               // the harvey executable its host runs (its SQLite)
  std::unique_ptr<HostClient> host;
  bool ready = false;               // its host said Ready
  pid_t root_pid = -1;              // bwrap / runc run / unshare
  std::vector<pid_t> helpers;       // e.g. the ssh client carrying sshfs
  std::function<void()> cleanup;
};

class SandboxLauncher : public Launcher {
 public:
  // Creates the launcher's own scratch directory (bundles, keys, mount points).
  static Result<std::unique_ptr<ScratchDir>> MakeScratch();

  ~SandboxLauncher() override;
  std::string Spawn(int slot, const std::string& host_db_path, const std::string& sqlite, pid_t* id,
                    int* fd) override;
  // Starts the slot's sandbox (if it needs one) without waiting for Ready.
  void Prepare(int slot, const std::string& host_db_path, const std::string& sqlite) override;
  bool Reaches(int slot, const std::string& host_db_path) const override;
  int Kill(int slot, pid_t id) override;

 protected:
  explicit SandboxLauncher(std::unique_ptr<ScratchDir> scratch);

  // The host directory a sandbox makes reachable for `host_db_path` (a
  // sandbox is restarted when this changes). Default: its directory.
  virtual std::string SandboxDir(const std::string& host_db_path) const;

  // Starts the sandbox of `slot`: a root process whose `harvey __host`
  // (the executable sb->binary, which links the slot's SQLite) has `host_fd`
  // (the host's end of the control channel) as fd 3. Sets sb->root_pid,
  // helpers and cleanup. Returns "" or one line.
  virtual std::string Start(int slot, const std::string& host_db_dir, int host_fd, Sandbox* sb) = 0;

  const std::string& scratch() const { return scratch_->path(); }

  // Teardown of every sandbox (called by the destructor; subclasses that
  // own shared services, e.g. sshd, call it first in theirs).
  // Every host's channel is closed before any sandbox is waited for, so
  // the sandboxes shut down together (runc run deletes its container once
  // its init exits) instead of one after another.
  void StopAll();

 private:
  // The slot's sandbox for `host_db_path` and `sqlite`: the running one, or
  // a new one started (not yet Ready). Returns "" or one line.
  std::string StartSandbox(int slot, const std::string& host_db_path, const std::string& sqlite);

  std::unique_ptr<ScratchDir> scratch_;
  std::map<int, std::unique_ptr<Sandbox>> sandboxes_;
};

// Host directories a minimal read-only root is made of, and how: a host
// symlink (e.g. /lib -> usr/lib on merged-/usr systems) becomes the same
// symlink, a directory a read-only bind mount.
struct RootEntry {
  std::string path;            // "/usr"
  std::string symlink_target;  // "" = bind the directory
};
std::vector<RootEntry> MinimalRoot();

// Removes what a crashed coordinator left: runc containers named
// harvey-<pid>-* and sshfs mounts under harvey-<pid>-* directories whose
// pid is dead (the first sandboxed launcher of a process calls it). Returns
// a note per removal (also printed on stderr).
std::vector<std::string> RemoveStaleBoundaryState();

}  // namespace harvey::harness
