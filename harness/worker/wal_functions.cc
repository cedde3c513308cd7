#include "harness/worker/wal_functions.h"

#include <link.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

#include "harness/os/elf_symbols.h"
#include "harness/worker/sqlite_build.h"

// Defined (a generated C++ file, ci/wal-functions-source) only in the
// shm-instrumented executables: "name\nname\n...", sorted.
extern "C" [[gnu::weak]] const char harvey_wal_function_names[];

namespace harvey::harness {
namespace {

// The names of a .wal-functions list, sorted bytewise (the file's `sort`
// may have used another locale's order).
std::vector<std::string> SortedNames(std::istream& in) {
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    // A .wal-functions file also holds "os FIRST LAST NAME" lines.
    if (!line.empty() && line.find(' ') == std::string::npos) out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The main executable's load bias (runtime address - link-time address).
int MainObjectBias(dl_phdr_info* info, size_t, void* out) {
  *static_cast<uintptr_t*>(out) = info->dlpi_addr;
  return 1;  // the first object is the executable
}

struct Table {
  std::vector<std::pair<uintptr_t, int>> by_address;  // runtime start, index; sorted
  uintptr_t lo = 1, hi = 0;                           // span (empty: lo > hi)
};

Table Build() {
  Table t;
  const std::vector<std::string>& names = WalFunctionNames();
  if (names.empty()) return t;
  const ElfSymbols symbols("/proc/self/exe");
  uintptr_t bias = 0;
  dl_iterate_phdr(MainObjectBias, &bias);
  for (const ElfSymbols::Func& f : symbols.functions()) {
    const std::string base = f.name.substr(0, f.name.find('.'));  // clang's "name.N" clones
    auto it = std::lower_bound(names.begin(), names.end(), base);
    if (it == names.end() || *it != base) continue;
    t.by_address.emplace_back(static_cast<uintptr_t>(f.start) + bias, static_cast<int>(it - names.begin()));
  }
  std::sort(t.by_address.begin(), t.by_address.end());
  if (!t.by_address.empty()) {
    t.lo = t.by_address.front().first;
    t.hi = t.by_address.back().first;
  } else {
    // Not silent: runs go on (with no call events, so still exact), but the
    // build lacks what its name promises.
    std::fprintf(stderr, "harvey: no wal.c function found in this executable's symbols (%s): no `call` events\n",
                 symbols.error().empty() ? "none of the listed names" : symbols.error().c_str());
  }
  return t;
}

}  // namespace

const std::vector<std::string>& WalFunctionNames() {
  static const std::vector<std::string> names = [] {
    if (&harvey_wal_function_names == nullptr) return std::vector<std::string>{};
    std::istringstream in(harvey_wal_function_names);
    return SortedNames(in);
  }();
  return names;
}

int WalFunctionIndex(const void* fn) {
  static const Table table = Build();
  const uintptr_t a = reinterpret_cast<uintptr_t>(fn);
  if (a < table.lo || a > table.hi) return -1;
  // Every SQLite function entry asks: a direct-mapped cache of answers in
  // front of the binary search, one word per slot (address << 16 | index + 1;
  // user-space addresses fit in 48 bits), so racing threads see a whole
  // answer or a miss.
  static std::atomic<uint64_t> cache[1024];
  std::atomic<uint64_t>& slot = cache[(a >> 4) & 1023];
  const uint64_t hit = slot.load(std::memory_order_relaxed);
  if (hit >> 16 == a) return static_cast<int>(hit & 0xffff) - 1;
  auto it = std::lower_bound(table.by_address.begin(), table.by_address.end(), std::make_pair(a, -1));
  const int index = it != table.by_address.end() && it->first == a ? it->second : -1;
  slot.store(static_cast<uint64_t>(a) << 16 | static_cast<uint64_t>(index + 1), std::memory_order_relaxed);
  return index;
}

std::string WalFunctionName(int64_t index, const std::string& build) {
  static std::mutex mu;
  static std::map<std::string, std::vector<std::string>> files;
  const std::vector<std::string>* names = &WalFunctionNames();
  if (build != BuildSqliteName()) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = files.find(build);
    if (it == files.end()) {
      const std::string exe = SqliteBinary(build);
      std::ifstream in(exe + ".wal-functions");
      it = files.emplace(build, exe.empty() || !in ? std::vector<std::string>{} : SortedNames(in)).first;
    }
    names = &it->second;
  }
  return index >= 0 && index < static_cast<int64_t>(names->size()) ? (*names)[index] : "";
}

}  // namespace harvey::harness
