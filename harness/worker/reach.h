// Reach counters (`harvey fuzz --reach`): which preemption points a process
// hit, by event kind and by the code that made the call, and (in
// shm-instrumented builds) which code it entered (the first hit of each
// coverage guard: functions and the blocks inside them).
//
// Off unless HARVEY_REACH_DIR is set in the environment (at process start)
// or EnableReach() is called; then each process that records anything
// creates DIR/reach-<pid>-<n>.bin, a fixed-size table of counters mapped
// MAP_SHARED, so counts survive a SIGKILL of the worker (they are in the
// page cache) and need no message to the coordinator. The coordinator reads
// every file of DIR at the end (coordinator/reach_report.h).
//
// Call sites are stored as offsets from the executable's load base plus 1
// (0: none), with the executable's path in the file header, so a report
// symbolises them with that executable's ELF symbol table.
#pragma once

#include <cstdint>
#include <string>

namespace harvey::harness {

inline constexpr uint64_t kReachMagic = 0x3368636165727668ull;  // "hvreach3"
inline constexpr int kReachSlots = 1 << 14;
// Frames kept per point: the call site and its callers, deep enough that a
// point inside walIndexTryHdr still names sqlite3WalBeginReadTransaction
// (the report's "while on the stack" reach).
inline constexpr int kReachFrames = 8;
inline constexpr uint32_t kReachEnteredCap = 1u << 18;

// The file: a ReachHeader, kReachSlots ReachSlots (points hit), then
// kReachEnteredCap uint32_t (code entered: offset + 1 of the first hit of
// each coverage guard in this process, appended; entered_count of them used).
struct ReachHeader {
  uint64_t magic;
  uint32_t slots;
  uint32_t entered_cap;
  uint64_t entered_count;  // may exceed entered_cap: the rest were dropped
  char exe[4096];  // readlink(/proc/self/exe)
};
struct ReachSlot {
  uint64_t key;    // 0: free (written with a compare-and-swap)
  uint32_t kind;   // a VfsEvent, or kReachEntered
  uint32_t unused;
  uint64_t pc[kReachFrames];  // offset from the load base + 1; pc[0] is the innermost
  uint64_t count;
};

// Whether this process records (cheap).
bool ReachOn();
// Turns recording on for the processes this one starts (exec'd: through
// HARVEY_REACH_DIR; forked: a fork handler) and, if `here`, for this one
// (inproc: the workers are threads of it; a fork coordinator only creates
// databases). `dir` must exist.
void EnableReach(const std::string& dir, bool here);

// One hit of event `kind` made from `pcs` (innermost first, n <= kReachFrames;
// return addresses in this executable). No-op when off. Async-signal-unsafe
// only on the first call of a process (it creates the file).
void NoteReach(uint32_t kind, const void* const* pcs, int n);
// Code at `pc` (in this executable) ran for the first time in this process
// (shm_hooks.cc: the first hit of a SanitizerCoverage guard). No-op when off.
void NoteEntered(const void* pc);

// The innermost return addresses of the caller's caller, skipping `skip`
// frames, into out[0..max); returns how many. For the VFS shim, whose
// callers are SQLite.
int CallerFrames(int skip, const void** out, int max);

}  // namespace harvey::harness
