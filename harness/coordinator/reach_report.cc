#include "harness/coordinator/reach_report.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <cstdio>
#include <cstdlib>

#include "harness/os/elf_symbols.h"
#include "harness/os/process.h"
#include "harness/worker/reach.h"
#include "harness/worker/vfs_shim.h"

namespace harvey::harness {
namespace {

namespace fs = std::filesystem;

// harness code (the shim, the listener) or SQLite's thin VFS wrappers:
// frames a VFS event is not attributed to.
bool Skip(const std::string& name) {
  return name.empty() || name.rfind("_ZN6harvey", 0) == 0 || name.rfind("sqlite3Os", 0) == 0;
}

const char* KindName(uint32_t kind) {
  if (kind >= static_cast<uint32_t>(VfsEvent::kCount)) return "?";
  return ToString(static_cast<VfsEvent>(kind));
}

// The addr2line to run: LLVM's first. GNU addr2line 2.40 (Debian 12) does
// not follow the DWARF 5 range lists (DW_AT_ranges, rnglistx) that clang 14
// gives an inlined function whose code is split in pieces, so it names the
// caller alone there: a point inside inlined sqlite3WalOpen or
// walIteratorNext was credited to pagerOpenWal or walCheckpoint, and those
// functions were "never entered". "" if there is none.
std::string Addr2line() {
  for (const char* name : {"llvm-addr2line-14", "llvm-addr2line", "addr2line"}) {
    std::string path = FindTool(name);
    if (!path.empty()) return path;
  }
  return "";
}

// The function chain (innermost first, inlined frames included) of code
// addresses of one executable: addr2line with the line tables when it is
// here (the -shm builds have them), else the ELF symbol table alone.
class Symbolizer {
 public:
  explicit Symbolizer(const std::string& exe) : exe_(exe), symbols_(exe) {}
  const std::string& error() const { return symbols_.error(); }
  const ElfSymbols& symbols() const { return symbols_; }

  // Offsets from the load base, as reach.h stores them (without the +1).
  void Resolve(const std::set<uint64_t>& offsets) {
    std::vector<uint64_t> todo;
    for (uint64_t o : offsets) {
      if (!chains_.count(o)) todo.push_back(o);
    }
    static const std::string addr2line = Addr2line();
    for (size_t i = 0; i < todo.size();) {
      std::vector<std::string> argv;
      std::vector<uint64_t> batch;
      if (!addr2line.empty()) argv = {addr2line, "-f", "-i", "-a", "-e", exe_};
      for (; i < todo.size() && batch.size() < 4000; ++i) {
        batch.push_back(todo[i]);
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(symbols_.Address(todo[i])));
        argv.push_back(buf);
      }
      if (!addr2line.empty()) Parse(RunCommand(argv, 120000).output);
      for (uint64_t o : batch) {  // what addr2line did not name: the symbol table
        auto& c = chains_[o];
        if (c.empty() || c.front() == "??") c = {symbols_.Lookup(o)};
      }
    }
  }
  const std::vector<std::string>& Chain(uint64_t offset) const {
    static const std::vector<std::string> kNone;
    auto it = chains_.find(offset);
    return it == chains_.end() ? kNone : it->second;
  }
  // The line in the amalgamation (sqlite3.c) of the innermost frame at
  // `offset`, or 0.
  int AmalgamationLine(uint64_t offset) const {
    auto it = lines_.find(offset);
    return it == lines_.end() ? 0 : it->second;
  }

 private:
  // "0xADDR" then (function, file:line) per frame, innermost first.
  void Parse(const std::string& out) {
    std::istringstream in(out);
    std::vector<std::string>* chain = nullptr;
    uint64_t offset = 0;
    bool want_function = false;
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("0x", 0) == 0 && line.find(' ') == std::string::npos) {
        const uint64_t addr = std::strtoull(line.c_str(), nullptr, 16);
        offset = symbols_.Offset(addr);
        chain = &chains_[offset];
        chain->clear();
        want_function = true;
      } else if (chain && want_function) {
        chain->push_back(line);
        want_function = false;
      } else {
        // The file:line line; a function may follow. Keep the innermost's
        // line when it is in the amalgamation.
        const size_t colon = line.rfind(':');
        if (chain && chain->size() == 1 && colon != std::string::npos && colon >= 9 &&
            line.compare(colon - 9, 9, "sqlite3.c") == 0) {
          lines_[offset] = std::atoi(line.c_str() + colon + 1);
        }
        want_function = true;
      }
    }
  }

  std::string exe_;
  ElfSymbols symbols_;
  std::map<uint64_t, std::vector<std::string>> chains_;
  std::map<uint64_t, int> lines_;
};

// The lines of one sqlite3Os* wrapper in the amalgamation ("os FIRST LAST
// NAME" lines of the .wal-functions file, ci/wal-functions).
struct OsLines {
  int first, last;
  std::string name;
};

// One call instruction of interest in the disassembly: a load/store hook,
// a VFS call (a direct call of an sqlite3Os* wrapper, or an indirect call
// whose innermost inlined frame is one), a libc memory routine.
struct Site {
  enum Kind { kAccess, kVfs, kIndirect, kLibc } kind;
  uint64_t offset;   // of the call instruction, from the load base
  std::string name;  // the wrapper for kVfs
};

// "  f0ebc:\tcall   d1a20 <walIndexPage>" -> a Site, if it is one. A jmp
// counts only as a tail call of a VFS wrapper or method (an indirect jmp
// of a switch has no wrapper's line, so ScanBodies drops it).
bool ParseCall(const std::string& line, const ElfSymbols& symbols, Site* out) {
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return false;
  const bool is_call = line.compare(colon + 1, 5, "\tcall") == 0;
  const bool is_jmp = line.compare(colon + 1, 4, "\tjmp") == 0;
  if (!is_call && !is_jmp) return false;
  const size_t call = colon + 1;
  char* end = nullptr;
  const uint64_t addr = std::strtoull(line.c_str(), &end, 16);
  if (end == line.c_str()) return false;
  const size_t lt = line.find('<', call), gt = line.find('>', call);
  std::string target = lt != std::string::npos && gt > lt ? line.substr(lt + 1, gt - lt - 1) : "";
  if (const size_t plus = target.find('+'); plus != std::string::npos) target.resize(plus);
  if (const size_t at = target.find('@'); at != std::string::npos) target.resize(at);
  const size_t star = line.find('*', call);
  Site s{Site::kAccess, symbols.Offset(addr), ""};
  if (is_jmp && target.rfind("sqlite3Os", 0) != 0 && !(target.empty() && star != std::string::npos)) return false;
  if (target.rfind("__sanitizer_cov_load", 0) == 0 || target.rfind("__sanitizer_cov_store", 0) == 0 ||
      target.rfind("harvey_shm_mem", 0) == 0) {  // SQLite's memcpy/memset/memcmp there (shm_mem.h)
    s.kind = Site::kAccess;
  } else if (target.rfind("sqlite3Os", 0) == 0) {
    s.kind = Site::kVfs;
    s.name = target;
  } else if (target == "memcpy" || target == "memcmp" || target == "memmove" || target == "memset") {
    s.kind = Site::kLibc;
  } else if (target.empty() && star != std::string::npos) {
    s.kind = Site::kIndirect;
  } else {
    return false;
  }
  *out = s;
  return true;
}

// Fills r->bodies from the disassembly of every function symbol of `exe`
// that holds code of a wal.c function the campaign entered.
void ScanBodies(const std::string& exe, Symbolizer& sym, const std::set<uint64_t>& entered,
                const std::set<std::string>& wal, const std::vector<OsLines>& os, ReachReport* r) {
  static const std::string objdump = FindTool("objdump");
  if (objdump.empty()) {
    r->problems.push_back("objdump not found: no scan of the wal.c functions' bodies for VFS calls");
    return;
  }
  std::set<std::pair<uint64_t, uint64_t>> ranges;
  for (uint64_t o : entered) {
    bool holds_wal = false;
    for (const std::string& fn : sym.Chain(o)) holds_wal |= wal.count(fn) > 0;
    uint64_t start = 0, end = 0;
    if (holds_wal && sym.symbols().Range(o, &start, &end)) ranges.emplace(start, end);
  }
  std::vector<Site> sites;
  for (const auto& [start, end] : ranges) {
    char a[40], b[40];
    std::snprintf(a, sizeof a, "--start-address=0x%llx", static_cast<unsigned long long>(start));
    std::snprintf(b, sizeof b, "--stop-address=0x%llx", static_cast<unsigned long long>(end));
    const CommandResult c = RunCommand({objdump, "-d", "--no-show-raw-insn", a, b, exe}, 120000);
    if (c.exit_code != 0) {
      r->problems.push_back("objdump failed on " + exe);
      return;
    }
    std::istringstream in(c.output);
    Site s;
    for (std::string line; std::getline(in, line);) {
      if (ParseCall(line, sym.symbols(), &s)) sites.push_back(s);
    }
  }
  std::set<uint64_t> offsets;
  for (const Site& s : sites) offsets.insert(s.offset);
  sym.Resolve(offsets);
  for (const Site& s : sites) {
    const std::vector<std::string>& chain = sym.Chain(s.offset);
    std::string wrapper = s.name;
    size_t first = 0;
    if (s.kind == Site::kIndirect) {  // a VFS method called through an inlined wrapper
      if (!chain.empty() && chain[0].rfind("sqlite3Os", 0) == 0) {
        wrapper = chain[0];
      } else {
        // The line tables may have lost the wrapper's inline frame, not
        // its line: a line inside a wrapper's definition names it.
        const int line = sym.AmalgamationLine(s.offset);
        for (const OsLines& w : os) {
          if (line >= w.first && line <= w.last) wrapper = w.name;
        }
        if (wrapper.empty()) continue;
      }
    }
    while (first < chain.size() && chain[first].rfind("sqlite3Os", 0) == 0) ++first;
    for (size_t j = first; j < chain.size(); ++j) {
      if (Skip(chain[j]) || chain[j] == "??") continue;
      ReachReport::Body& body = r->bodies[chain[j]];
      if (s.kind == Site::kAccess) body.accesses++;
      if (s.kind == Site::kLibc) body.libc++;
      if (s.kind == Site::kVfs || s.kind == Site::kIndirect) body.vfs[wrapper]++;
    }
  }
  r->bodies_scanned = true;
}

// SQLite's VFS wrappers whose method is a harvey event (vfs_shim.h); the
// others (xSectorSize, xDeviceCharacteristics, xFullPathname, ...) are not points.
// xFileControl is an event only for the WAL/checkpoint milestones.
bool IsEventWrapper(const std::string& w) {
  static const std::set<std::string> kEvents = {
      "sqlite3OsRead",   "sqlite3OsWrite",       "sqlite3OsTruncate",    "sqlite3OsSync",
      "sqlite3OsFileSize", "sqlite3OsLock",      "sqlite3OsUnlock",      "sqlite3OsCheckReservedLock",
      "sqlite3OsFileControl", "sqlite3OsFileControlHint", "sqlite3OsSleep", "sqlite3OsShmMap",
      "sqlite3OsShmLock", "sqlite3OsShmBarrier", "sqlite3OsShmUnmap",   "sqlite3OsFetch",
      "sqlite3OsUnfetch", "sqlite3OsOpen",     "sqlite3OsOpenMalloc",  "sqlite3OsClose",
      "sqlite3OsCloseFree", "sqlite3OsDelete",  "sqlite3OsAccess"};
  return kEvents.count(w) > 0;
}

}  // namespace

ReachReport CollectReach(const std::string& dir) {
  ReachReport r;
  struct Point {
    uint32_t kind;
    uint64_t pc[kReachFrames];
    uint64_t count;
  };
  struct PerExe {
    std::vector<Point> points;
    std::set<uint64_t> entered;  // offsets
  };
  std::map<std::string, PerExe> by_exe;
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
    std::vector<uint32_t> entered(h.entered_cap);
    if (!in.read(reinterpret_cast<char*>(slots.data()), static_cast<std::streamsize>(sizeof(ReachSlot) * h.slots)) ||
        !in.read(reinterpret_cast<char*>(entered.data()), static_cast<std::streamsize>(sizeof(uint32_t) * h.entered_cap))) {
      r.problems.push_back("short file " + path.string());
      continue;
    }
    r.files++;
    std::string exe = h.exe;
    if (exe.ends_with(" (deleted)")) exe.resize(exe.size() - 10);
    PerExe& pe = by_exe[exe];
    for (const ReachSlot& s : slots) {
      if (s.key == 0 || s.count == 0) continue;
      Point p{s.kind, {}, s.count};
      std::memcpy(p.pc, s.pc, sizeof p.pc);
      pe.points.push_back(p);
    }
    if (h.entered_count > h.entered_cap) r.problems.push_back("entered table full in " + path.string());
    for (uint64_t i = 0; i < std::min<uint64_t>(h.entered_count, h.entered_cap); ++i) {
      // offset + 1 of the return address of a guard call: the instruction
      // there is the block's first, with the block's (inlined) location.
      if (entered[i] >= 1) pe.entered.insert(entered[i] - 1);
    }
  }
  for (auto& [exe, pe] : by_exe) {
    Symbolizer sym(exe);
    if (!sym.error().empty()) r.problems.push_back(sym.error());
    sym.symbols().AllNames(&r.functions_in_binary);
    std::vector<OsLines> os;
    if (r.wal_functions.empty()) {
      std::ifstream wf(exe + ".wal-functions");
      for (std::string line; std::getline(wf, line);) {
        if (line.rfind("os ", 0) == 0) {
          std::istringstream f(line.substr(3));
          OsLines w;
          if (f >> w.first >> w.last >> w.name) os.push_back(w);
        } else if (!line.empty()) {
          r.wal_functions.push_back(line);
        }
      }
      if (!r.wal_functions.empty()) r.wal_functions_source = exe + ".wal-functions";
    }
    std::set<uint64_t> want = pe.entered;
    for (const Point& p : pe.points) {
      for (uint64_t pc : p.pc) {
        if (pc >= 2) want.insert(pc - 2);  // offset + 1 of a return address: the call is the byte before
      }
    }
    sym.Resolve(want);
    for (uint64_t o : pe.entered) {
      for (const std::string& fn : sym.Chain(o)) r.entered.insert(fn);
    }
    if (!r.wal_functions.empty() && !pe.entered.empty() && !r.bodies_scanned) {
      ScanBodies(exe, sym, pe.entered, std::set<std::string>(r.wal_functions.begin(), r.wal_functions.end()), os,
                 &r);
    }
    for (const Point& p : pe.points) {
      // The innermost function above the shim and SQLite's sqlite3Os* wrappers.
      // Every function from there outwards in that frame's inline chain has
      // the point in its compiled body (r.within).
      // The outer frames (callers) ran too: they count as entered.
      std::string fn;
      for (int i = 0; i < kReachFrames && p.pc[i] >= 2; ++i) {
        const bool first = fn.empty();
        const std::vector<std::string>& chain = sym.Chain(p.pc[i] - 2);
        for (size_t j = 0; j < chain.size(); ++j) {
          if (Skip(chain[j]) || chain[j] == "??") continue;
          if (fn.empty()) fn = chain[j];
          if (first) r.within.insert(chain[j]);
          r.during.insert(chain[j]);
          r.entered.insert(chain[j]);
        }
      }
      const std::string kind = KindName(p.kind);
      r.by_kind[kind] += p.count;
      r.by_function[fn.empty() ? "(outside the executable or unknown)" : fn][kind] += p.count;
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
      if (!r.entered.count(fn)) {
        (r.functions_in_binary.count(fn) ? never : absent).push_back(fn);
      } else if (r.within.count(fn)) {
        entered_with.push_back(fn);
      } else {
        entered_without.push_back(fn);
      }
    }
    const size_t entered = entered_with.size() + entered_without.size();
    auto pct = [](size_t a, size_t b) { return b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0; };
    std::snprintf(buf, sizeof buf,
                  "  WAL functions (%zu defined in wal.c): %zu entered (inlined ones included), %zu of them (%.1f%%) "
                  "with a preemption point hit inside (in its own code or code inlined into it)\n",
                  r.wal_functions.size(), entered, entered_with.size(), pct(entered_with.size(), entered));
    out += buf;
    auto list = [&](const char* title, const std::vector<std::string>& v) {
      out += std::string("    ") + title + " (" + std::to_string(v.size()) + "):";
      for (const std::string& s : v) out += " " + s;
      out += "\n";
    };
    if (!r.bodies_scanned) {
      list("entered, no preemption point hit inside", entered_without);
    } else {
      // Split the entered functions without a point by what their compiled
      // bodies can do: a function with no VFS call and no libc memory
      // routine in its body made no shared access at all, since each of its
      // loads and stores that touched the wal-index would have been a point.
      std::vector<std::string> pure, shared;
      for (const std::string& fn : entered_without) {
        auto it = r.bodies.find(fn);
        const bool calls = it != r.bodies.end() && (!it->second.vfs.empty() || it->second.libc > 0);
        if (!calls) {
          pure.push_back(fn);
          continue;
        }
        std::string why;
        for (const auto& [w, n] : it->second.vfs) {
          why += (why.empty() ? "" : ",") + w.substr(9) + (IsEventWrapper(w) ? "" : "!");
        }
        if (it->second.libc > 0) why += std::string(why.empty() ? "" : ",") + "libc-mem";
        shared.push_back(fn + "(" + why + ")");
      }
      list("entered, no preemption point hit inside, no shared access in its body (no VFS call, no libc "
           "memory routine; none of its loads/stores touched the wal-index, each would be a point)",
           pure);
      list("entered, a VFS call or libc memory routine in its body, no point hit (call: Os wrapper; ! = "
           "not a harvey event; libc-mem = uninstrumented copy)",
           shared);
      const size_t with_shared = entered_with.size() + shared.size();
      std::snprintf(buf, sizeof buf,
                    "  reach over the entered WAL functions that make a shared access: %zu of %zu (%.1f%%); "
                    "issue metric (points inside / entered): %zu of %zu (%.1f%%)\n",
                    entered_with.size(), with_shared, pct(entered_with.size(), with_shared), entered_with.size(),
                    entered, pct(entered_with.size(), entered));
      out += buf;
    }
    // The same over the dynamic extent: a point hit while the function was
    // on the stack (in it, or in a function it called).
    std::vector<std::string> not_during;
    for (const std::string& fn : entered_without) {
      if (!r.during.count(fn)) not_during.push_back(fn);
    }
    const size_t during = entered - not_during.size();
    std::snprintf(buf, sizeof buf,
                  "  while on the stack (a point hit in the function or in one it called, %d frames deep): %zu of "
                  "%zu entered (%.1f%%)\n",
                  kReachFrames, during, entered, pct(during, entered));
    out += buf;
    list("entered, no point hit while on the stack", not_during);
    list("never entered (a function of the binary)", never);
    list("never entered, no symbol (only inlined, or compiled out of this build)", absent);
  }
  for (const std::string& p : r.problems) out += "  problem: " + p + "\n";
  return out;
}

}  // namespace harvey::harness
