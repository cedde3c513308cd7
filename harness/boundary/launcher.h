// Launcher: where a worker process runs (the interface; each boundary's
// launcher is in its own file, harness/boundary/launchers.h makes them, and
// harness/boundary/placements.h picks one by name). The fork backend
// (harness/backend/fork_backend.h) asks a launcher for a worker process per slot
// (slot i = schedule worker i) and talks to it over harness/worker/wire.h whatever
// the launcher. See harness/boundary/BOUNDARIES.md for what each boundary builds.
//
//   fork      forked from the coordinator
//   ns        bwrap: own user/mount/pid/ipc/uts/net/cgroup namespaces, the
//             database directory bind-mounted at /db
//   oci       one runc container per slot from a generated bundle: read-only
//             root of host /usr /etc ..., network none, database dir at /db
//   oci-file  as oci, but only the database *file* is bind-mounted (the
//             misconfiguration: each container gets its own -wal and -shm)
//   sshfs     per slot a "machine" (own mount/pid/net/ipc/uts namespaces)
//             with its own sshfs mount of the database directory, served by
//             an sshd on 127.0.0.1 that harvey starts with keys it generates
//
// Sandboxed slots run one `harvey __host` (harness/boundary/host.h) that forks the
// slot's workers, so a killed worker is replaced at fork cost. Sandboxes
// persist across schedules (a campaign pays container start-up once) and
// are torn down by the launcher's destructor: containers deleted, mounts
// gone with their namespaces, sshd stopped.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "model/schedule.h"

namespace harvey::harness {

class Launcher {
 public:
  virtual ~Launcher() = default;
  virtual std::string_view name() const = 0;

  // Called once per schedule before its workers reset, with the database
  // the runner created. May move it (oci-file keeps one inode for its bind
  // mounts) by rewriting *host_db_path. Returns "" or what failed.
  // REQUIRES: no worker has the database open.
  virtual std::string StageDatabase(std::string* host_db_path) { return ""; }

  // Starts a worker process for `slot` that can reach `host_db_path` (the
  // staged database) and runs SQLite build `sqlite` (harness/worker/sqlite_build.h:
  // this process's own build is forked, another one is exec'd from its
  // executable). On success sets *id (for Kill) and *fd (the coordinator's
  // end of the worker's socket, CLOEXEC) and returns ""; else one line.
  virtual std::string Spawn(int slot, const std::string& host_db_path, const std::string& sqlite,
                            pid_t* id, int* fd) = 0;

  // Begins whatever Spawn(slot, ...) will wait for, without waiting
  // (sandboxed launchers: starting the slot's sandbox), so that the start-ups
  // of several slots overlap. Spawn still follows and reports any failure.
  // Default: nothing.
  virtual void Prepare(int slot, const std::string& host_db_path, const std::string& sqlite) {}

  // Whether a worker of `slot` spawned earlier can reach `host_db_path`
  // (else the backend replaces it).
  virtual bool Reaches(int slot, const std::string& host_db_path) const { return true; }

  // SIGKILLs worker `id` of `slot` and returns once it has exited (its
  // locks released). Does not close the fd. Returns the worker's wait status
  // (a worker that had died on its own keeps its own status: the backend
  // tells a crash inside SQLite from a harness failure by it), or
  // kWorkerLost when the boundary could not say (its sandbox host is gone:
  // a harness failure; the whole sandbox is then torn down).
  static constexpr int kWorkerLost = -1;
  virtual int Kill(int slot, pid_t id) = 0;

  // Sends worker `id` of `slot` its SIGKILL without waiting for it, where
  // the coordinator can (a power loss signals every worker first and then
  // reaps each with Kill, so they die together instead of one wait each).
  // Kill must still follow; it returns the same status either way. Default:
  // nothing (Kill does all of it).
  virtual void KillWithoutWaiting(int slot, pid_t id) {}

  // Called while a worker is busy (the coordinator has sent it a request
  // and is about to wait for the reply), so that a launcher can use the
  // time: `fork` forks a spare worker, which a later Spawn hands out
  // instead of forking while the coordinator waits. Must not touch the
  // database. Default: nothing.
  virtual void Idle() {}

  // Whether, once KillWithoutWaiting has returned, nothing of that worker
  // runs again in user space (fork: the coordinator queued the SIGKILL
  // itself, and a worker only ever waits in a read of its socket when the
  // coordinator acts). A power loss then rewrites the files (into new
  // inodes) and starts new workers before reaping the old ones, whose
  // exits proceed meanwhile. Default: false (reap first).
  virtual bool KillIsImmediate() const { return false; }

  // A power loss: every worker is already dead. Launchers whose sandboxes
  // hold state a real power loss would wipe (sshfs: mounts with their
  // caches) drop them; they restart at the next Spawn. Idempotent.
  virtual void PowerCycle() {}

  // Where the workers of `slot` see `host_db_path`.
  virtual std::string WorkerPath(int slot, const std::string& host_db_path) const = 0;
};

}  // namespace harvey::harness
