// The `harvey` command line. Each subcommand is a function taking its
// parsed options and returning the process exit code:
//   0  pass / nothing found          1  mismatch found
//   2  usage or input error           3  missing environment piece
//   4  harness error (a limit hit, a worker that would not start)
//   128+N interrupted by signal N (teardown done)
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace harvey::harness {

inline constexpr int kExitPass = 0;
inline constexpr int kExitMismatch = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitEnvironment = 3;
inline constexpr int kExitHarness = 4;

struct GenArgs {
  uint64_t seed = 1;
  int steps = 40;
  int workers = 3;
};
int CmdGen(const GenArgs& a);

struct RunArgs {
  std::string file;
  std::string boundary = "fork";
  bool json = false;
  std::string scratch_parent;  // "" = $TMPDIR
};
int CmdRun(const RunArgs& a);

struct FuzzArgs {
  std::string boundary = "fork";
  std::optional<uint64_t> count;
  std::optional<double> time_s;
  std::optional<uint64_t> seed;  // unset: drawn from /dev/urandom, printed first
  std::string out_dir = "findings";
  bool json = false;
  int steps = 40;
  int workers = 3;
  std::string scratch_parent;
};
int CmdFuzz(const FuzzArgs& a);


}  // namespace harvey::harness
