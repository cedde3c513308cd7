#include "harness/worker/reach.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unwind.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace harvey::harness {
namespace {

std::string& ReachDir() {
  static std::string dir = [] {
    const char* d = std::getenv("HARVEY_REACH_DIR");
    return std::string(d ? d : "");
  }();
  return dir;
}
std::atomic<bool> g_on{false};

std::mutex g_mu;
std::atomic<ReachSlot*> g_slots{nullptr};
ReachHeader* g_header = nullptr;       // of the mapping, when g_slots is set
uintptr_t g_base = 0;                  // this executable's load base

// Creates this process's counter file; nullptr when it cannot (then nothing
// is recorded: reach is a report, never a reason to fail a run).
// g_mapped: this process has tried (a fork handler clears it in the child,
// so the hot path needs no getpid()).
std::atomic<bool> g_mapped{false};

ReachSlot* Map() {
  if (g_mapped.load(std::memory_order_acquire)) return g_slots.load(std::memory_order_acquire);
  std::lock_guard lock(g_mu);
  if (g_mapped.load(std::memory_order_relaxed)) return g_slots.load(std::memory_order_relaxed);
  const pid_t pid = getpid();
  g_slots.store(nullptr, std::memory_order_relaxed);  // a fork's child gets a file of its own
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&Map), &info) != 0) g_base = reinterpret_cast<uintptr_t>(info.dli_fbase);
  const size_t bytes = sizeof(ReachHeader) + sizeof(ReachSlot) * kReachSlots + sizeof(uint32_t) * kReachEnteredCap;
  int fd = -1;
  for (int n = 0; n < 1000 && fd < 0; ++n) {
    const std::string path = ReachDir() + "/reach-" + std::to_string(pid) + "-" + std::to_string(n) + ".bin";
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
  void* p = MAP_FAILED;
  if (fd >= 0 && ::ftruncate(fd, static_cast<off_t>(bytes)) == 0) {
    p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  }
  if (fd >= 0) ::close(fd);
  ReachSlot* slots = nullptr;
  if (p != MAP_FAILED) {
    auto* h = static_cast<ReachHeader*>(p);
    const ssize_t len = ::readlink("/proc/self/exe", h->exe, sizeof h->exe - 1);
    h->exe[len > 0 ? len : 0] = '\0';
    h->slots = kReachSlots;
    h->entered_cap = kReachEnteredCap;
    h->magic = kReachMagic;
    slots = reinterpret_cast<ReachSlot*>(h + 1);
    g_header = h;
  }
  g_slots.store(slots, std::memory_order_release);
  g_mapped.store(true, std::memory_order_release);
  return slots;
}

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}

struct Walk {
  int skip;
  const void** out;
  int max;
  int n;
};

_Unwind_Reason_Code Step(struct _Unwind_Context* ctx, void* arg) {
  auto* w = static_cast<Walk*>(arg);
  const uintptr_t ip = _Unwind_GetIP(ctx);
  if (ip == 0) return _URC_END_OF_STACK;
  if (w->skip > 0) {
    --w->skip;
    return _URC_NO_REASON;
  }
  w->out[w->n++] = reinterpret_cast<const void*>(ip);
  return w->n >= w->max ? _URC_END_OF_STACK : _URC_NO_REASON;
}

}  // namespace

bool ReachOn() { return g_on.load(std::memory_order_relaxed); }

namespace {

// A forked child records into a file of its own.
void InstallForkHandler() {
  static bool installed = false;  // under g_mu, or at static initialisation
  if (installed) return;
  installed = true;
  ::pthread_atfork(nullptr, nullptr, [] {
    g_mapped.store(false, std::memory_order_relaxed);
    g_on.store(!ReachDir().empty(), std::memory_order_relaxed);
  });
}

// An exec'd worker: on from the start when HARVEY_REACH_DIR is set.
const bool g_from_env = [] {
  if (ReachDir().empty()) return false;
  InstallForkHandler();
  g_on.store(true, std::memory_order_relaxed);
  return true;
}();

}  // namespace

void EnableReach(const std::string& dir, bool here) {
  std::lock_guard lock(g_mu);
  ReachDir() = dir;
  ::setenv("HARVEY_REACH_DIR", dir.c_str(), 1);
  g_mapped.store(false, std::memory_order_release);  // a new file in the new directory
  g_on.store(here, std::memory_order_relaxed);
  InstallForkHandler();
}

void NoteReach(uint32_t kind, const void* const* pcs, int n) {
  if (!ReachOn()) return;
  ReachSlot* slots = Map();
  if (slots == nullptr) return;
  uint64_t pc[kReachFrames] = {};
  uint64_t key = Mix(0, kind);
  for (int i = 0; i < n && i < kReachFrames; ++i) {
    pc[i] = reinterpret_cast<uintptr_t>(pcs[i]) - g_base + 1;
    key = Mix(key, pc[i]);
  }
  key |= 1;
  for (uint64_t probe = 0; probe < 64; ++probe) {
    ReachSlot& s = slots[(key + probe) & (kReachSlots - 1)];
    std::atomic_ref<uint64_t> k(s.key);
    uint64_t seen = k.load(std::memory_order_acquire);
    if (seen == 0) {
      // Claim the slot; fill it before the count makes it visible.
      if (k.compare_exchange_strong(seen, key, std::memory_order_acq_rel)) {
        s.kind = kind;
        std::memcpy(s.pc, pc, sizeof pc);
        seen = key;
      }
    }
    if (seen == key) {
      std::atomic_ref<uint64_t>(s.count).fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  // A full neighbourhood: dropped (the table has kReachSlots slots; a
  // campaign hits a few thousand distinct call stacks).
}

void NoteEntered(const void* pc) {
  if (!ReachOn()) return;
  ReachSlot* slots = Map();
  if (slots == nullptr) return;
  const uint64_t i = std::atomic_ref<uint64_t>(g_header->entered_count).fetch_add(1, std::memory_order_relaxed);
  if (i >= kReachEnteredCap) return;
  auto* entered = reinterpret_cast<uint32_t*>(slots + kReachSlots);
  entered[i] = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(pc) - g_base + 1);
}

int CallerFrames(int skip, const void** out, int max) {
  Walk w{skip + 1, out, max, 0};  // + this function's own frame
  _Unwind_Backtrace(Step, &w);
  return w.n;
}

}  // namespace harvey::harness
