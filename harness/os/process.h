// Child processes for the boundaries: spawning a tool (runc, bwrap, unshare,
// sshd, ssh) with chosen fds, waiting with a bound, and running a short
// command to completion. Every child gets SIGKILL when the coordinator dies
// (PR_SET_PDEATHSIG) and its own process group, so a ^C at the terminal reaches
// only the coordinator, which then tears everything down in order. Every
// child's environment says whose it is: HARVEY_COORDINATOR=<our pid>
// (kCoordinatorEnv), so leftovers can be traced to their coordinator.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "model/result.h"

namespace harvey::harness {

inline constexpr const char* kCoordinatorEnv = "HARVEY_COORDINATOR";

struct ExecSpec {
  std::vector<std::string> argv;  // argv[0]: an absolute path
  // (child fd, parent fd): the parent's fd appears as the child fd. Every
  // other fd except 1 and 2 is closed; fd 0 is /dev/null unless mapped.
  std::vector<std::pair<int, int>> fds;
  std::string stderr_path;  // "" = inherit; else appended to this file
  // PR_SET_PDEATHSIG(SIGKILL): the child dies with the coordinator. Off for
  // a tool that must clean up after itself when its work ends (runc run
  // deletes its container when the container's init exits; SIGKILLed, it
  // leaves the container registered).
  bool die_with_parent = true;
};

// Forks and execs. Error: one line naming argv[0].
Result<pid_t> SpawnProcess(const ExecSpec& spec);

// Waits up to `timeout_ms` for `pid` (a child) to exit. Returns true once
// reaped (status in *status if given), false on timeout.
bool WaitForExit(pid_t pid, int timeout_ms, int* status = nullptr);

// SIGKILLs `pid` (a child) and reaps it. Returns its wait status (how it
// ended: a process that had already exited keeps its own status), or -1 for
// pid <= 0 (no-op) or when it could not be reaped.
int KillAndReap(pid_t pid);

// Waits up to `grace_ms` for `pid` to exit on its own, then KillAndReap.
void StopProcess(pid_t pid, int grace_ms);

struct CommandResult {
  int exit_code = -1;  // -1: did not run, timed out or died by a signal
  std::string output;  // stdout and stderr, interleaved
};
// Runs argv to completion (killed after `timeout_ms`).
CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_ms);

// The absolute path of tool `name` on $PATH or in /usr/sbin, /sbin, or "".
std::string FindTool(const std::string& name);

// Whether a process with this pid exists (EPERM counts as alive).
bool PidAlive(long pid);

// The harvey executable that workers run: this process when it is `harvey`,
// else $HARVEY_BINARY, else `harvey` beside or one level above this
// executable (the test binary's case). "" if none exists.
std::string HarveyBinary();

}  // namespace harvey::harness
