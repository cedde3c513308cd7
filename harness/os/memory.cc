#include "harness/os/memory.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace harvey::harness {

MemoryUsage ProcessMemory(pid_t pid) {
  MemoryUsage m;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return m;
  char line[256];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) m.rss_kb = std::strtoull(line + 6, nullptr, 10);
    if (std::strncmp(line, "VmHWM:", 6) == 0) m.hwm_kb = std::strtoull(line + 6, nullptr, 10);
  }
  std::fclose(f);
  return m;
}

namespace {
// The parent pid from /proc/PID/stat ("pid (comm) state ppid ..."; comm may
// hold spaces and parentheses, so parse after the last ')').
pid_t ParentOf(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return -1;
  char buf[512];
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* close = std::strrchr(buf, ')');
  if (close == nullptr) return -1;
  char state = 0;
  int ppid = -1;
  if (std::sscanf(close + 1, " %c %d", &state, &ppid) != 2) return -1;
  return ppid;
}
}  // namespace

std::vector<pid_t> DescendantPids() {
  std::multimap<pid_t, pid_t> children;  // parent -> child
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      char* end = nullptr;
      const long pid = std::strtol(e->d_name, &end, 10);
      if (end == e->d_name || *end != '\0' || pid <= 0) continue;
      const pid_t parent = ParentOf(static_cast<pid_t>(pid));
      if (parent > 0) children.emplace(parent, static_cast<pid_t>(pid));
    }
    ::closedir(d);
  }
  std::vector<pid_t> out;
  std::vector<pid_t> todo{::getpid()};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    auto [lo, hi] = children.equal_range(p);
    for (auto it = lo; it != hi; ++it) {
      out.push_back(it->second);
      todo.push_back(it->second);
    }
  }
  return out;
}

TreeMemory SelfAndDescendantsMemory() {
  TreeMemory t;
  t.self = ProcessMemory(::getpid());
  for (pid_t child : DescendantPids()) {
    const MemoryUsage m = ProcessMemory(child);
    if (m.rss_kb > 0) {  // a zombie or a kernel thread has none
      t.children++;
      t.children_total.rss_kb += m.rss_kb;
      t.children_total.hwm_kb += m.hwm_kb;
      t.children_max_rss_kb = std::max(t.children_max_rss_kb, m.rss_kb);
    }
  }
  return t;
}

}  // namespace harvey::harness
