#include "harness/coordinator/reach_report.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "harness/worker/reach.h"
#include "harness/worker/vfs_shim.h"

namespace harvey::harness {
namespace {

namespace fs = std::filesystem;

// The function symbols of one ELF executable, by address.
class Symbols {
 public:
  // Empty on failure (error() says why).
  explicit Symbols(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st{};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      error_ = "cannot read " + path;
      if (fd >= 0) ::close(fd);
      return;
    }
    const size_t size = static_cast<size_t>(st.st_size);
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) {
      error_ = "cannot map " + path;
      return;
    }
    Load(static_cast<const unsigned char*>(p), size, path);
    ::munmap(p, size);
  }
  const std::string& error() const { return error_; }

  // The function containing link-time address... given as an offset from
  // the load base (see reach.h); "" if none.
  std::string Lookup(uint64_t offset) const {
    const uint64_t addr = offset + first_vaddr_;
    auto it = std::upper_bound(funcs_.begin(), funcs_.end(), addr,
                               [](uint64_t a, const Func& f) { return a < f.start; });
    if (it == funcs_.begin()) return "";
    --it;
    return addr < it->start + std::max<uint64_t>(it->size, 1) ? it->name : "";
  }
  void AllNames(std::set<std::string>* out) const {
    for (const Func& f : funcs_) out->insert(f.name);
  }

 private:
  struct Func {
    uint64_t start, size;
    std::string name;
  };

  void Load(const unsigned char* b, size_t size, const std::string& path) {
    if (size < sizeof(Elf64_Ehdr) || std::memcmp(b, ELFMAG, SELFMAG) != 0 || b[EI_CLASS] != ELFCLASS64) {
      error_ = path + " is not a 64-bit ELF file";
      return;
    }
    const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(b);
    first_vaddr_ = UINT64_MAX;
    for (int i = 0; i < eh->e_phnum; ++i) {
      const auto* ph = reinterpret_cast<const Elf64_Phdr*>(b + eh->e_phoff + static_cast<size_t>(i) * eh->e_phentsize);
      if (ph->p_type == PT_LOAD) first_vaddr_ = std::min<uint64_t>(first_vaddr_, ph->p_vaddr - ph->p_offset);
    }
    if (first_vaddr_ == UINT64_MAX) first_vaddr_ = 0;
    const auto* sh = reinterpret_cast<const Elf64_Shdr*>(b + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; ++i) {
      if (sh[i].sh_type != SHT_SYMTAB) continue;
      const auto* syms = reinterpret_cast<const Elf64_Sym*>(b + sh[i].sh_offset);
      const char* strs = reinterpret_cast<const char*>(b + sh[sh[i].sh_link].sh_offset);
      const size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
      for (size_t k = 0; k < n; ++k) {
        if (ELF64_ST_TYPE(syms[k].st_info) != STT_FUNC || syms[k].st_value == 0) continue;
        funcs_.push_back(Func{syms[k].st_value, syms[k].st_size, strs + syms[k].st_name});
      }
    }
    if (funcs_.empty()) error_ = path + " has no symbol table (stripped?)";
    std::sort(funcs_.begin(), funcs_.end(), [](const Func& a, const Func& c) { return a.start < c.start; });
  }

  std::vector<Func> funcs_;
  uint64_t first_vaddr_ = 0;
  std::string error_;
};

// harness code (the shim, the listener) or SQLite's thin VFS wrappers:
// frames a VFS event is not attributed to.
bool Skip(const std::string& name) {
  return name.empty() || name.rfind("_ZN6harvey", 0) == 0 || name.rfind("sqlite3Os", 0) == 0;
}

const char* KindName(uint32_t kind) {
  if (kind >= static_cast<uint32_t>(VfsEvent::kCount)) return "?";
  return ToString(static_cast<VfsEvent>(kind));
}

}  // namespace

ReachReport CollectReach(const std::string& dir) {
  ReachReport r;
  std::map<std::string, std::unique_ptr<Symbols>> symbols;  // by executable
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string f = e.path().filename().string();
    if (f.rfind("reach-", 0) == 0 && f.ends_with(".bin")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& path : files) {
    std::ifstream in(path, std::ios::binary);
    ReachHeader h{};
    if (!in.read(reinterpret_cast<char*>(&h), sizeof h) || h.magic != kReachMagic) continue;  // never written
    h.exe[sizeof h.exe - 1] = '\0';
    std::vector<ReachSlot> slots(h.slots);
    if (!in.read(reinterpret_cast<char*>(slots.data()), static_cast<std::streamsize>(sizeof(ReachSlot) * h.slots))) {
      r.problems.push_back("short file " + path.string());
      continue;
    }
    r.files++;
    std::string exe = h.exe;
    if (exe.ends_with(" (deleted)")) exe.resize(exe.size() - 10);
    auto& sym = symbols[exe];
    if (!sym) {
      sym = std::make_unique<Symbols>(exe);
      if (!sym->error().empty()) r.problems.push_back(sym->error());
      sym->AllNames(&r.functions_in_binary);
      if (r.wal_functions.empty()) {
        std::ifstream wf(exe + ".wal-functions");
        for (std::string line; std::getline(wf, line);) {
          if (!line.empty()) r.wal_functions.push_back(line);
        }
        if (!r.wal_functions.empty()) r.wal_functions_source = exe + ".wal-functions";
      }
    }
    for (const ReachSlot& s : slots) {
      if (s.key == 0 || s.count == 0) continue;
      std::string fn;
      for (int i = 0; i < kReachFrames && s.pc[i] != 0; ++i) {
        // pc is the offset + 1 of a return address; the call is the byte before it.
        fn = sym->Lookup(s.pc[i] - 2);
        if (!Skip(fn)) break;
        fn.clear();
      }
      if (s.kind == kReachEntered) {
        if (!fn.empty()) r.entered.insert(fn);
        continue;
      }
      const std::string kind = KindName(s.kind);
      r.by_kind[kind] += s.count;
      r.by_function[fn.empty() ? "(outside the executable or unknown)" : fn][kind] += s.count;
    }
  }
  return r;
}

std::string FormatReach(const ReachReport& r) {
  std::string out;
  char buf[512];
  uint64_t total = 0;
  for (const auto& [k, n] : r.by_kind) total += n;
  std::snprintf(buf, sizeof buf, "reach: %d worker processes recorded, %llu preemption points hit\n", r.files,
                static_cast<unsigned long long>(total));
  out += buf;
  out += "  by event kind:\n";
  for (const auto& [k, n] : r.by_kind) {
    std::snprintf(buf, sizeof buf, "    %-20s %12llu\n", k.c_str(), static_cast<unsigned long long>(n));
    out += buf;
  }
  // Functions, most hits first.
  std::vector<std::pair<uint64_t, std::string>> order;
  for (const auto& [fn, kinds] : r.by_function) {
    uint64_t n = 0;
    for (const auto& [k, c] : kinds) n += c;
    order.emplace_back(n, fn);
  }
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  const std::set<std::string> wal(r.wal_functions.begin(), r.wal_functions.end());
  out += "  by calling function (* = a wal.c function):\n";
  for (const auto& [n, fn] : order) {
    std::string kinds;
    for (const auto& [k, c] : r.by_function.at(fn)) {
      kinds += (kinds.empty() ? "" : ", ") + k + " " + std::to_string(c);
    }
    std::snprintf(buf, sizeof buf, "    %s%-34s %12llu  (%s)\n", wal.count(fn) ? "*" : " ", fn.c_str(),
                  static_cast<unsigned long long>(n), kinds.c_str());
    out += buf;
  }
  if (r.wal_functions.empty()) {
    out += "  WAL functions: no list (only harvey-sqlite-V-shm builds have one: " +
           std::string("see harness/README.md)\n");
  } else if (r.entered.empty()) {
    out += "  WAL functions: no function entries recorded (only shm-instrumented builds record them)\n";
  } else {
    std::vector<std::string> entered_with, entered_without, never, absent;
    for (const std::string& fn : r.wal_functions) {
      if (!r.functions_in_binary.count(fn)) {
        absent.push_back(fn);
      } else if (!r.entered.count(fn)) {
        never.push_back(fn);
      } else if (r.by_function.count(fn)) {
        entered_with.push_back(fn);
      } else {
        entered_without.push_back(fn);
      }
    }
    const size_t entered = entered_with.size() + entered_without.size();
    std::snprintf(buf, sizeof buf,
                  "  WAL functions (%zu in wal.c, %zu functions in the binary): %zu entered, %zu of them (%.1f%%) "
                  "with a preemption point hit inside\n",
                  r.wal_functions.size(), r.wal_functions.size() - absent.size(), entered, entered_with.size(),
                  entered ? 100.0 * static_cast<double>(entered_with.size()) / static_cast<double>(entered) : 0.0);
    out += buf;
    auto list = [&](const char* title, const std::vector<std::string>& v) {
      out += std::string("    ") + title + " (" + std::to_string(v.size()) + "):";
      for (const std::string& s : v) out += " " + s;
      out += "\n";
    };
    list("entered, no preemption point hit inside", entered_without);
    list("never entered", never);
    list("not a function of this binary (inlined into callers, or compiled out)", absent);
  }
  for (const std::string& p : r.problems) out += "  problem: " + p + "\n";
  return out;
}

}  // namespace harvey::harness
