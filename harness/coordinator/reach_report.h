// `harvey fuzz --reach`: what the preemption points of a campaign reached.
// Reads the counter files every worker process wrote (harness/worker/reach.h)
// and symbolises their call sites with each executable's ELF symbol table
// (.symtab, so the amalgamation's static functions have names too).
//
// Reports: hits per event kind; hits per SQLite function that made the call
// (for a VFS event, the first frame above the shim that is not one of
// SQLite's sqlite3Os* wrappers; for shm-read/shm-write, the function that
// made the access); and, for shm-instrumented builds (which record function
// entries), which of the WAL functions (the wal.c part of the amalgamation,
// listed at build time in harvey-sqlite-V-shm.wal-functions by
// ci/wal-functions) were entered, which of those held a preemption point,
// and which were never entered.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace harvey::harness {

struct ReachReport {
  int files = 0;                                          // worker processes that recorded
  std::map<std::string, uint64_t> by_kind;                // event name -> hits
  std::map<std::string, std::map<std::string, uint64_t>> by_function;  // function -> event -> hits
  std::set<std::string> entered;                          // functions entered, inlined ones too (-shm builds)
  // Functions with a point hit in their compiled body: the calling
  // function and every function it is inlined into there.
  std::set<std::string> within;
  // Functions on the stack when a point was hit (dynamic extent): `within`
  // plus every function in the inline chains of the callers' frames (up to
  // kReachFrames frames, reach.h). A point inside walIndexTryHdr counts for
  // walTryBeginRead and sqlite3WalBeginReadTransaction too: a worker paused
  // there is paused inside them.
  std::set<std::string> during;
  std::set<std::string> functions_in_binary;              // every function symbol of the executables
  // What the compiled body of a function (its own code and code inlined
  // into it; in the executable's symbols that hold an entered wal.c
  // function) calls that can touch shared state besides a load or store:
  // VFS calls through SQLite's sqlite3Os* wrappers (by wrapper name) and
  // libc memory routines (not instrumented, e.g. the wal-index header
  // copies). Loads and stores are not listed: every one of SQLite's has a
  // hook call, and only its address at run time tells a wal-index access
  // (which is then a point) from a private one. Empty without objdump.
  struct Body {
    std::map<std::string, int> vfs;  // sqlite3OsWrite -> call sites
    int libc = 0;                    // memcpy/memcmp/memmove/memset call sites
    int accesses = 0;                // load/store hook call sites
  };
  std::map<std::string, Body> bodies;
  bool bodies_scanned = false;                            // objdump ran on the -shm executable
  std::vector<std::string> wal_functions;                 // wal.c functions (empty: no list)
  std::string wal_functions_source;                       // the list's file
  std::vector<std::string> problems;                      // files or symbols that could not be read
};

// Reads every reach-*.bin in `dir`.
ReachReport CollectReach(const std::string& dir);

// The table `harvey fuzz --reach` prints.
std::string FormatReach(const ReachReport& r);

}  // namespace harvey::harness
