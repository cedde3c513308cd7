#include "harness/os/cpu_pin.h"

#include <dirent.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "harness/os/memory.h"

namespace harvey::harness {
namespace {

struct State {
  bool initialized = false;
  bool off = false;
  cpu_set_t allowed{};  // the mask harvey started with
  int cpu = -1;
  std::chrono::steady_clock::time_point last_check{};
  std::map<int, unsigned long long> last_idle;   // per CPU, jiffies
  std::map<int, unsigned long long> last_total;  // per CPU, jiffies
};

State& S() {
  static State s;
  return s;
}

cpu_set_t One(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return set;
}

// Every thread of this process (inproc's op threads, if any), then every
// descendant (their own threads: workers have none).
void SetTreeAffinity(const cpu_set_t& set) {
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d)) {
      const int tid = std::atoi(e->d_name);
      if (tid > 0) ::sched_setaffinity(tid, sizeof set, &set);
    }
    ::closedir(d);
  } else {
    ::sched_setaffinity(0, sizeof set, &set);
  }
  for (pid_t p : DescendantPids()) ::sched_setaffinity(p, sizeof set, &set);
}

// Per-CPU idle and total jiffies from /proc/stat ("cpuN user nice system idle iowait ...").
void CpuTimes(std::map<int, unsigned long long>* idle, std::map<int, unsigned long long>* total) {
  FILE* f = std::fopen("/proc/stat", "r");
  if (f == nullptr) return;
  char line[512];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "cpu", 3) != 0 || line[3] < '0' || line[3] > '9') continue;
    char* p = line + 3;
    const int cpu = static_cast<int>(std::strtol(p, &p, 10));
    unsigned long long v[8] = {};
    for (auto& x : v) x = std::strtoull(p, &p, 10);
    (*idle)[cpu] = v[3] + v[4];
    unsigned long long sum = 0;
    for (auto x : v) sum += x;
    (*total)[cpu] = sum;
  }
  std::fclose(f);
}

// Whether pinning may happen: HARVEY_PIN_CPU is not 0 and the affinity mask
// harvey started with (read into s.allowed) has at least two CPUs.
bool MayPin(State& s) {
  const char* env = std::getenv("HARVEY_PIN_CPU");
  return !(env != nullptr && std::strcmp(env, "0") == 0) &&
         ::sched_getaffinity(0, sizeof s.allowed, &s.allowed) == 0 && CPU_COUNT(&s.allowed) >= 2;
}

void PinTreeTo(State& s, int cpu) {
  s.cpu = cpu;
  SetTreeAffinity(One(cpu));
}

void Unpin(State& s) {
  s.cpu = -1;
  SetTreeAffinity(s.allowed);
}

}  // namespace

void PinJobToCpu(int index) {
  State& s = S();
  if (!MayPin(s)) return;
  int nth = index % CPU_COUNT(&s.allowed);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &s.allowed) || nth-- > 0) continue;
    const cpu_set_t one = One(cpu);
    if (::sched_setaffinity(0, sizeof one, &one) == 0) {
      s.initialized = true;
      s.off = true;  // pinned for good: KeepOnOneCpu leaves it
    }
    return;
  }
}

void KeepOnOneCpu() {
  State& s = S();
  if (s.off) return;
  const auto now = std::chrono::steady_clock::now();
  if (!s.initialized) {
    s.initialized = true;
    if (!MayPin(s)) {
      s.off = true;
      return;
    }
    const int cpu = ::sched_getcpu();
    if (cpu < 0 || !CPU_ISSET(cpu, &s.allowed)) {
      s.off = true;
      return;
    }
    PinTreeTo(s, cpu);  // children started before the first schedule (sandboxes) too
    s.last_check = now;
    CpuTimes(&s.last_idle, &s.last_total);
    return;
  }
  const double interval = std::chrono::duration<double>(now - s.last_check).count();
  if (interval < 1.0) return;
  std::map<int, unsigned long long> idle, total;
  CpuTimes(&idle, &total);
  // Idle CPUs (in CPUs' worth) among the allowed ones since the last look.
  double spare = 0;
  for (const auto& [cpu, t] : total) {
    if (!CPU_ISSET(cpu, &s.allowed) || !s.last_total.count(cpu)) continue;
    const unsigned long long dt = t - s.last_total[cpu];
    if (dt > 0) spare += static_cast<double>(idle[cpu] - s.last_idle[cpu]) / static_cast<double>(dt);
  }
  if (s.cpu >= 0 && spare < 0.5) {
    Unpin(s);  // crowded: the scheduler's choice, as without this
  } else if (s.cpu < 0 && spare >= 0.75) {
    const int cpu = ::sched_getcpu();
    if (cpu >= 0 && CPU_ISSET(cpu, &s.allowed)) PinTreeTo(s, cpu);
  }
  s.last_check = now;
  s.last_idle = std::move(idle);
  s.last_total = std::move(total);
}

}  // namespace harvey::harness
