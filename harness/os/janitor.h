// The cleanup that outlives a crashed coordinator. A coordinator that is
// SIGKILLed runs no destructor: its scratch directories stay, and so do
// records such as runc's of a stopped container. So the first registration
// starts a *janitor*: a small process forked from the coordinator (double
// fork, so it is nobody's zombie; its own session, so a ^C at the terminal
// does not reach it; stdio on /dev/null; no PR_SET_PDEATHSIG) that reads
// registrations from a pipe only the coordinator holds (O_CLOEXEC; forked
// workers close it). When the pipe reaches EOF — the coordinator exited or
// died — it undoes, in reverse order, whatever is still registered: runs
// each cleanup command (bounded: 10 s each) and removes each directory (not
// across a mount point: a directory with something mounted under it is
// unmounted first, or left), then exits. What the coordinator cleaned up
// itself it unregisters, so a normal exit leaves the janitor nothing to do.
//
// Contract: registration is best effort (no janitor: everything still works,
// only a crash leaves debris for the next run's stale sweep). Call the first
// Janitor* function before starting threads (the janitor is a fork).
// Paths and arguments must not contain '\n' or '\t'.
#pragma once

#include <string>
#include <vector>

namespace harvey::harness {

// Registers directory `path` for removal if the coordinator dies.
void JanitorWatchDir(const std::string& path);
void JanitorForgetDir(const std::string& path);

// Registers a command (argv[0] an absolute path) to run if the coordinator
// dies, e.g. {"/usr/sbin/runc", "delete", "--force", ID}.
void JanitorWatchCommand(const std::vector<std::string>& argv);
void JanitorForgetCommand(const std::vector<std::string>& argv);

// The janitor's pid (0 if none started), for tests.
int JanitorPid();

}  // namespace harvey::harness
