#include "harness/os/elf_symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace harvey::harness {

ElfSymbols::ElfSymbols(const std::string& path) {
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

void ElfSymbols::AllNames(std::set<std::string>* out) const {
  for (const Func& f : funcs_) out->insert(f.name);
}

const ElfSymbols::Func* ElfSymbols::Holding(uint64_t offset) const {
  const uint64_t addr = offset + first_vaddr_;
  auto it = std::upper_bound(funcs_.begin(), funcs_.end(), addr,
                             [](uint64_t a, const Func& f) { return a < f.start; });
  if (it == funcs_.begin()) return nullptr;
  --it;
  return addr < it->start + std::max<uint64_t>(it->size, 1) ? &*it : nullptr;
}

std::string ElfSymbols::Lookup(uint64_t offset) const {
  const Func* f = Holding(offset);
  return f ? f->name : "";
}

bool ElfSymbols::Range(uint64_t offset, uint64_t* start, uint64_t* end) const {
  const Func* f = Holding(offset);
  if (f == nullptr) return false;
  *start = f->start;
  *end = f->start + std::max<uint64_t>(f->size, 1);
  return true;
}

void ElfSymbols::Load(const unsigned char* b, size_t size, const std::string& path) {
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

}  // namespace harvey::harness
