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
  unsigned long long last_delay_ns = 0;
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

// Time this process has waited on a run queue (ns), from /proc/self/schedstat.
unsigned long long RunDelayNs() {
  FILE* f = std::fopen("/proc/self/schedstat", "r");
  if (f == nullptr) return 0;
  unsigned long long run = 0, delay = 0;
  const int n = std::fscanf(f, "%llu %llu", &run, &delay);
  std::fclose(f);
  return n == 2 ? delay : 0;
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

void PinTreeTo(State& s, int cpu) {
  s.cpu = cpu;
  SetTreeAffinity(One(cpu));
}

void Unpin(State& s) {
  s.cpu = -1;
  SetTreeAffinity(s.allowed);
}

}  // namespace

int PinnedCpu() { return S().off ? -1 : S().cpu; }

void KeepOnOneCpu() {
  State& s = S();
  if (s.off) return;
  const auto now = std::chrono::steady_clock::now();
  if (!s.initialized) {
    s.initialized = true;
    const char* env = std::getenv("HARVEY_PIN_CPU");
    if ((env != nullptr && std::strcmp(env, "0") == 0) ||
        ::sched_getaffinity(0, sizeof s.allowed, &s.allowed) != 0 || CPU_COUNT(&s.allowed) < 2) {
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
    s.last_delay_ns = RunDelayNs();
    CpuTimes(&s.last_idle, &s.last_total);
    return;
  }
  const double interval = std::chrono::duration<double>(now - s.last_check).count();
  if (interval < 1.0) return;
  const unsigned long long delay = RunDelayNs();
  std::map<int, unsigned long long> idle, total;
  CpuTimes(&idle, &total);
  const double waited = static_cast<double>(delay - s.last_delay_ns) / 1e9 / interval;
  if (s.cpu >= 0 && waited > 0.2) {
    int best = -1;
    double best_idle = 0;
    for (const auto& [cpu, t] : total) {
      if (cpu == s.cpu || !CPU_ISSET(cpu, &s.allowed) || !s.last_total.count(cpu)) continue;
      const unsigned long long dt = t - s.last_total[cpu];
      if (dt == 0) continue;
      const double idle_share = static_cast<double>(idle[cpu] - s.last_idle[cpu]) / static_cast<double>(dt);
      if (idle_share > best_idle) {
        best_idle = idle_share;
        best = cpu;
      }
    }
    if (best >= 0 && best_idle > 1.0 / 3) {
      PinTreeTo(s, best);
    } else {
      Unpin(s);
    }
  } else if (s.cpu < 0 && waited < 0.1) {
    const int cpu = ::sched_getcpu();
    if (cpu >= 0 && CPU_ISSET(cpu, &s.allowed)) PinTreeTo(s, cpu);
  }
  s.last_check = now;
  s.last_delay_ns = delay;
  s.last_idle = std::move(idle);
  s.last_total = std::move(total);
}

}  // namespace harvey::harness
