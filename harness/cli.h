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

// The defect names of `--defect` (model::Defect keywords).
inline constexpr const char* kDefectNames[] = {"none",       "canary",        "fsync-lies",
                                               "no-locking", "mixed-locking", "private-wal-index"};

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
  std::string defect;          // "" = as the file says
  bool show = false;           // print every step with what was observed
  std::string policy = "op";   // model::ParsePolicy; ignored when the file has decisions
  std::string save_decisions;  // "" = do not save
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
  std::string defect = "none";  // recorded in every generated schedule
  std::string synchronous;      // "" = drawn per schedule; else off|normal|full
  uint32_t kill_percent = 3;        // per step
  uint32_t power_loss_percent = 2;  // per step
  double shrink_time_s = 30;         // per finding; 0 = do not shrink
  std::string policy = "op";         // model::ParsePolicy
};
int CmdFuzz(const FuzzArgs& a);

// Exit 0 when OUT was written and replays the same failure; 2 when FILE does
// not fail (nothing to shrink); 4 on a harness error or a flaky result.
struct ShrinkArgs {
  std::string file;
  std::string out;
  double time_s = 30;
  std::string boundary = "fork";
  bool json = false;
  bool verbose = false;
  std::string scratch_parent;
};
int CmdShrink(const ShrinkArgs& a);

// Exit 1 when a result contradicts a case's `expect` line (none for that
// boundary: as for fork; none at all: pass), else 4 when a cell hit a
// harness error, else 0.
struct MatrixArgs {
  std::string dir = "corpus";
  std::string boundaries = "fork,ns,oci,sshfs";
  bool json = false;
  std::string scratch_parent;
};
int CmdMatrix(const MatrixArgs& a);


struct SelftestArgs {
  bool quick = false;
  bool json = false;
  std::string only;            // comma-separated class names; "" = all
  std::string policy = "op";   // model::ParsePolicy
  std::string scratch_parent;
};
int CmdSelftest(const SelftestArgs& a);

}  // namespace harvey::harness
