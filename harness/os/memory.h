// Resident set sizes from /proc: this process's and its descendants'
// (worker processes, sandbox helpers), for `harvey fuzz --json` and the
// progress line. Linux only; on a /proc that lacks a field the figure is 0.
#pragma once

#include <cstdint>
#include <sys/types.h>

#include <vector>

namespace harvey::harness {

struct MemoryUsage {
  uint64_t rss_kb = 0;  // VmRSS: resident now
  uint64_t hwm_kb = 0;  // VmHWM: the peak resident size
};

// One process (VmRSS/VmHWM of /proc/PID/status); zeros if it is gone.
MemoryUsage ProcessMemory(pid_t pid);

struct TreeMemory {
  MemoryUsage self;
  MemoryUsage children_total;   // summed over every live descendant
  uint64_t children_max_rss_kb = 0;  // the largest descendant's VmRSS
  int children = 0;             // live descendants counted
};

// This process and every live descendant (found by the parent pid in
// /proc/N/stat: one pass over /proc, about a millisecond; call it at most a
// few times a second).
TreeMemory SelfAndDescendantsMemory();

// Every live descendant of this process (one pass over /proc), each after its parent.
std::vector<pid_t> DescendantPids();

}  // namespace harvey::harness
