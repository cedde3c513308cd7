// `--jobs N` of `harvey fuzz` and `harvey bench`: the command runs N copies
// of itself (this executable, re-exec'd with the same arguments plus hidden
// ones naming the job), each on a disjoint share of the same schedules
// (JobSpec, harness/coordinator/campaign.h), and combines what they report.
//
// Channel: a Unix stream socket, fd 3 in the child (hidden option
// `--job-channel 3`). The child writes one JSON object per line; the parent
// answers a question with one line. A parent that dies closes it: the
// child's reads see EOF, its writes fail (SIGPIPE is ignored), and
// PR_SET_PDEATHSIG (SIGTERM, set by JobChildSetup) interrupts it so it tears
// down its workers and scratch directory as on ^C.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/result.h"

namespace harvey::harness {

// ---- parent side ----

struct JobProcess {
  int job = 0;          // 0-based
  pid_t pid = -1;
  int fd = -1;          // the parent's end of the channel; -1 after EOF
  std::string partial;  // an unfinished line
  bool exited = false;
  int status = 0;       // wait status once exited
};

// `args` (the command line after the executable) without `--jobs N` /
// `--jobs=N` and without every option in `drop` (each taking one value),
// then `extra`.
std::vector<std::string> JobArgs(const std::vector<std::string>& args, const std::vector<std::string>& drop,
                                 const std::vector<std::string>& extra);

// Starts this executable with `args` and the channel on fd 3 (the child
// dies with this process: PR_SET_PDEATHSIG; it runs in its own process
// group, so a ^C at the terminal reaches only the parent, which forwards it).
Result<JobProcess> StartJob(int job, const std::vector<std::string>& args);

// The complete lines `p` has sent since the last call (blocks only if
// nothing is buffered and the fd is readable: call after poll). Lines that
// are not JSON are skipped. At EOF closes the fd (fd = -1).
std::vector<nlohmann::json> ReadJobLines(JobProcess* p);

// Waits up to `timeout_ms` for any job of `procs` whose channel is open to
// send, then returns the complete lines received (ReadJobLines), each with
// the index in `procs` of its sender. Returns none on timeout or EINTR.
std::vector<std::pair<size_t, nlohmann::json>> PollJobs(const std::vector<JobProcess*>& procs, int timeout_ms);

// Sends one line to the child ("save", "drop").
void ReplyToJob(const JobProcess& p, const std::string& line);

// Reaps `p` once its channel is closed (waits up to `grace_ms`, then
// SIGKILLs it).
void ReapJob(JobProcess* p, int grace_ms);

// "exit 1", "killed by signal 9".
std::string DescribeStatus(int status);
// The exit code of a wait status, 128+N for signal N.
int ExitCodeOf(int status);

// ---- child side ----

// "J/N" (0-based J < N) from --job, or one line.
std::string ParseJob(const std::string& text, uint64_t* job, uint64_t* jobs);

// In job child `job`, first thing: SIGTERM (an interrupt: clean teardown)
// when the parent dies (exits 4 if it is already gone); one CPU of its own
// (PinJobToCpu, harness/os/cpu_pin.h).
void JobChildSetup(uint64_t job);

class JobChannel {
 public:
  explicit JobChannel(int fd) : fd_(fd) {}
  bool active() const { return fd_ >= 0; }
  void Send(const nlohmann::json& line) const;
  // Sends `question` and waits for the one-line answer ("" at EOF: the
  // parent is gone). An interrupt does not end the wait: the parent answers
  // every question.
  std::string Ask(const nlohmann::json& question) const;

 private:
  int fd_;
};

}  // namespace harvey::harness
