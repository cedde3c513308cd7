// Launchers: where a worker process runs. The fork backend
// (harness/fork_backend.h) asks a launcher for a worker process per slot
// (slot i = schedule worker i) and talks to it over harness/wire.h whatever
// the launcher. See harness/BOUNDARIES.md for what each boundary builds.
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
// Sandboxed slots run one `harvey __host` (harness/host.h) that forks the
// slot's workers, so a killed worker is replaced at fork cost. Sandboxes
// persist across schedules (a campaign pays container start-up once) and
// are torn down by the launcher's destructor: containers deleted, mounts
// gone with their namespaces, sshd stopped.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.h"
#include "model/schedule.h"

namespace harvey::harness {

// Every boundary name `--boundary` takes (a mix is several joined by '+').
inline constexpr const char* kBoundaryNames[] = {"fork", "inproc", "ns", "oci", "oci-file", "sshfs"};

// "" if `boundary` can run here, else one line naming the missing piece and
// what to do (the CLI exits 3). Unknown names: "".
std::string MissingTool(std::string_view boundary);

// Checks, before anything starts, that a run on `spec` (a --boundary value)
// with the per-worker placements of `s` (may be null) can run here. Returns
// "" or one line, with *exit_code 2 (unknown name; inproc mixed with
// process placements; a power loss where it is not modelled) or 3 (a tool
// or device is missing).
std::string CheckPlacement(std::string_view spec, const model::Schedule* s, int* exit_code);

// Whether power loss is modelled when workers run on `spec` (not on
// oci-file: each container's -wal, and the power-loss bookkeeping kept
// beside each file as its writer sees it, are private to the container).
bool PowerLossModelled(std::string_view spec);

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
  // staged database) and runs SQLite build `sqlite` (harness/sqlite_build.h:
  // this process's own build is forked, another one is exec'd from its
  // executable). On success sets *id (for Kill) and *fd (the coordinator's
  // end of the worker's socket, CLOEXEC) and returns ""; else one line.
  virtual std::string Spawn(int slot, const std::string& host_db_path, const std::string& sqlite,
                            pid_t* id, int* fd) = 0;

  // Whether a worker of `slot` spawned earlier can reach `host_db_path`
  // (else the backend replaces it).
  virtual bool Reaches(int slot, const std::string& host_db_path) const { return true; }

  // SIGKILLs worker `id` of `slot` and returns once it has exited (its
  // locks released). Does not close the fd.
  virtual void Kill(int slot, pid_t id) = 0;

  // A power loss: every worker is already dead. Launchers whose sandboxes
  // hold state a real power loss would wipe (sshfs: mounts with their
  // caches) drop them; they restart at the next Spawn. Idempotent.
  virtual void PowerCycle() {}

  // Where the workers of `slot` see `host_db_path`.
  virtual std::string WorkerPath(int slot, const std::string& host_db_path) const = 0;
};

// Creates the launcher for one boundary name (not "inproc", not a mix).
Result<std::unique_ptr<Launcher>> MakeLauncher(std::string_view boundary);

// Boundary name -> launcher, each created on first use and kept until this
// object dies (which tears all of them down).
class Placements {
 public:
  Launcher* Get(std::string_view boundary, std::string* error);

 private:
  std::map<std::string, std::unique_ptr<Launcher>, std::less<>> launchers_;
};

// Splits "fork+oci" into {"fork", "oci"}.
std::vector<std::string> SplitBoundaries(std::string_view spec);

}  // namespace harvey::harness
