// The wal.c functions of this executable's SQLite, for the `call`
// preemption points of shm-instrumented builds (harvey-sqlite-V-shm).
//
// Those builds compile sqlite3.c with -finstrument-functions as well, so
// clang calls __cyg_profile_func_enter(fn, site) at the entry of every
// SQLite function, also where it was inlined (the call is placed before
// inlining; shm_hooks.cc). An entry of a wal.c function is the event
// `call` with the function's index as argument: the index in this build's
// sorted list of wal.c function names (ci/wal-functions, compiled into the
// executable as harvey_wal_function_names by ci/wal-functions-source), so a
// decision or a kill reads the same in every process of that build.
//
// The addresses come from the executable's own symbol table
// (/proc/self/exe, os/elf_symbols.h), read once per process at the first
// lookup (a forked worker inherits its parent's table). A listed name with
// no symbol is skipped (a function compiled out by the build's options).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace harvey::harness {

// This executable's list of wal.c function names, sorted; empty unless it
// is an shm-instrumented build.
const std::vector<std::string>& WalFunctionNames();

// The index in WalFunctionNames() of the function that starts at `fn`, or
// -1 (not a wal.c function, or not an shm-instrumented build). Thread-safe.
int WalFunctionIndex(const void* fn);

// The name at `index` in the list of build `build` (e.g. "3.54.1-shm"):
// this process's own list if it is that build, else the build's
// .wal-functions file beside its executable (written at build time; read
// once), for a fork coordinator naming what its workers reported. "" if
// unknown.
std::string WalFunctionName(int64_t index, const std::string& build);

}  // namespace harvey::harness
