// The function symbols of one 64-bit ELF executable (its .symtab, so static
// functions have names too), by address. Used by `harvey fuzz --reach` to
// name call sites (coordinator/reach_report.cc) and by shm-instrumented
// workers to find their SQLite's wal.c functions (worker/wal_functions.h).
//
// Addresses: "link-time" is the symbol's st_value; an "offset" is a
// link-time address minus the first PT_LOAD segment's, i.e. the distance
// from the executable's load base (what worker/reach.h records).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace harvey::harness {

class ElfSymbols {
 public:
  struct Func {
    uint64_t start, size;  // link-time address, bytes (0 for some assembler symbols)
    std::string name;
  };

  // Reads `path` (mapped, then unmapped). Empty on failure: error() says why.
  explicit ElfSymbols(const std::string& path);
  const std::string& error() const { return error_; }

  // Every STT_FUNC symbol with an address, sorted by start.
  const std::vector<Func>& functions() const { return funcs_; }
  void AllNames(std::set<std::string>* out) const;

  // The function containing the link-time address at `offset`; "" if none.
  std::string Lookup(uint64_t offset) const;
  // The link-time [start, end) of the function symbol holding `offset`;
  // false if none.
  bool Range(uint64_t offset, uint64_t* start, uint64_t* end) const;

  // Link-time address of an offset from the load base, and back.
  uint64_t Address(uint64_t offset) const { return offset + first_vaddr_; }
  uint64_t Offset(uint64_t address) const { return address - first_vaddr_; }

 private:
  void Load(const unsigned char* b, size_t size, const std::string& path);
  const Func* Holding(uint64_t offset) const;

  std::vector<Func> funcs_;
  uint64_t first_vaddr_ = 0;
  std::string error_;
};

}  // namespace harvey::harness
