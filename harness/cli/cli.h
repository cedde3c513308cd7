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
#include <vector>

#include "model/schedule.h"

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
  std::string sqlite;          // "" = as the file says (else system); "V" or a mix "a+b"
  std::string policy = "op";   // model::ParsePolicy; ignored when the file has decisions
  std::string save_decisions;  // "" = do not save
  std::vector<std::string> agents;  // --agent ADDR...: workers on agents (as `harvey probe`)
  std::string token_file;
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
  std::optional<int64_t> journal_size_limit;  // unset: drawn per schedule
  std::optional<int64_t> mmap_size;     // unset: drawn per schedule
  std::string checkpoint_on_close;      // "" = drawn per schedule; else on|off
  std::optional<int32_t> busy_timeout;  // unset: drawn (fine-grained policies) or 0 (op)
  std::string secure_delete;            // "" = drawn per schedule; else default|off|on|fast
  std::string call_points;              // "" = drawn (fine-grained, shm builds) or off; else on|off
  uint32_t episode_percent = 0;     // WAL-internals episodes (model/episodes.h)
  uint32_t kill_percent = 3;        // per step
  uint32_t power_loss_percent = 2;  // per step
  double shrink_time_s = 30;         // per finding; 0 = do not shrink
  std::string sqlite;                // "" = system; "V" or a mix "a+b", recorded in findings
  std::string policy = "op";         // model::ParsePolicy
  std::string junit;                 // "" = none; else JUnit XML here (harness/report/junit.h)
  bool reach = false;                // print the preemption points reached (coordinator/reach_report.h)
  std::string shard;                 // "K/N": run shard K (1-based) of N (CampaignSpec)
  // --jobs N: N processes on disjoint shares of the campaign (harness/cli/fuzz_jobs.h)
  int jobs = 1;
  std::vector<std::string> command_line;  // the arguments after the executable (re-exec'd by --jobs)
  std::string job;                   // hidden, in a job child: "J/N" (0-based)
  int job_channel = -1;              // hidden, in a job child: the channel fd (harness/cli/jobs.h)
  std::string job_reach_dir;         // hidden, in a job child with --reach: the parent's counter directory
};
struct FuzzSite;  // harness/cli/fuzz_site.h: a campaign on agents (probe)
int CmdFuzz(const FuzzArgs& a, FuzzSite* site = nullptr);

// `harvey agent` (harness/boundary/agent_server.h).
struct AgentArgs {
  std::string listen;
  std::string dir;
  std::string token_file;  // "" = $HARVEY_AGENT_TOKEN
  int idle_timeout_s = 300;
  std::string address_file;
};
int CmdAgent(const AgentArgs& a);

// `harvey probe`: a fuzz campaign whose workers run on agents (round-robin),
// after proving they share their directory. Power losses become kills.
struct ProbeArgs {
  FuzzArgs fuzz;                    // boundary ignored; power_loss_percent forced to 0
  std::vector<std::string> agents;  // ADDR per --agent
  std::string token_file;
};
int CmdProbe(const ProbeArgs& a);

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
  std::string sqlite;  // comma-separated builds (a column per boundary x build); "" = as files say
  bool json = false;
  std::string scratch_parent;
  std::string junit;  // "" = none; else JUnit XML here: a testcase per cell
};
int CmdMatrix(const MatrixArgs& a);

// `harvey versions [NAME...]`: lists every SQLite build available here
// (name, version, source id, executable). Exit 3 when a NAME is not built.
struct VersionsArgs {
  std::vector<std::string> names;
  bool json = false;
};
int CmdVersions(const VersionsArgs& a);

// The --sqlite option of run/shrink/fuzz (harness/cli/cli_sqlite.cc). Applies
// `spec` ("" = leave the workers as they are) to `s` (may be null: fuzz,
// where every schedule gets `spec`), checks that every build it needs is
// built here, and on --boundary inproc makes this process the one build
// every worker runs: re-execs under that build's executable, or refuses a
// mix. Returns -1 to go on, else the exit code (one line printed on stderr,
// starting with `cmd`).
int SelectSqlite(const char* cmd, const std::string& spec, const std::string& boundary,
                 model::Schedule* s);


// `harvey bench`: the limit (SQLite straight, one process) and harvey on
// each boundary x policy, with and without the default crash mix, on the
// same schedules (harness/coordinator/bench.h). Exit 0; 1 if a run found a
// mismatch; 4 if a run hit a harness error (boundaries that cannot run here
// are listed as skipped, with the reason).
struct BenchArgs {
  uint64_t count = 200;  // schedules per run and round
  int rounds = 1;        // every run again on the same schedules, figures summed
  uint64_t seed = 1;
  int steps = 40;
  int workers = 3;
  bool json = false;
  std::string boundaries = "inproc,fork,ns,oci";
  std::string policies = "op,pct:3";
  std::string crashes = "none,default";  // which crash mixes: none, default (harvey fuzz's)
  std::string scratch_parent;
  // --jobs N: every row as N processes on disjoint shares of its schedules
  // (harness/cli/bench_jobs.h); rates over the row's wall time.
  int jobs = 1;
  std::string job;          // hidden, in a job child: "J/N" (0-based)
  int job_channel = -1;     // hidden, in a job child: the channel fd (harness/cli/jobs.h)
  std::string job_row;      // hidden, in a job child: "limit" or "harvey" (the one row it runs)
};
int CmdBench(const BenchArgs& a);

// `harvey mutate`: harvey's campaigns against each mutant of the schemata
// build (fuzz/mutate/, fuzz/MUTANTS.md). Exit 0 when it ran (the score is
// printed), 1 when a --require-killed mutant survived, 3 when the mutants
// build is not here, 4 when the control (id 0) is not clean or a campaign hit
// a harness error.
struct MutateArgs {
  std::string build;        // "" = the first harvey-sqlite-V-mutants here
  std::string manifest;     // "" = the build's executable + ".tsv"
  std::string equivalent = "fuzz/mutate/equivalent.txt";  // ids argued equivalent
  double time_s = 6;        // per mutant (split among its campaigns)
  double shrink_time_s = 5; // per finding
  uint64_t seed = 1;
  std::string only;         // comma-separated numbers or ids; "" = all
  std::string ops;          // comma-separated operators; "" = all
  size_t sample = 0;        // > 0: a stable sample of this many (smallest numbers)
  int jobs = 1;             // mutants at a time
  std::string out_dir = "findings/mutants";
  std::string require_killed;  // comma-separated: exit 1 if one survives
  bool json = false;
  std::string scratch_parent;
};
int CmdMutate(const MutateArgs& a);

struct SelftestArgs {
  bool quick = false;
  bool json = false;
  std::string only;            // comma-separated class names; "" = all
  std::string policy = "op";   // model::ParsePolicy
  std::string scratch_parent;
  std::string junit;           // "" = none; else JUnit XML here: a testcase per class
};
int CmdSelftest(const SelftestArgs& a);

// `harvey explain FILE`: replays a finding (on --boundary, else the one its
// header's replay line names, else fork) and prints its story; --html OUT
// also writes it as a self-contained page. Exit 1 when the replay
// mismatches (the finding reproduces), 0 when it passes (it did not).
struct ExplainArgs {
  std::string file;
  std::string html;      // "" = no page
  std::string boundary;  // "" = from the finding's header, else fork
  std::vector<std::string> agents;  // --agent ADDR...: replay on agents ("" = the header's, if it names any)
  std::string token_file;           // the agents' token (default: $HARVEY_AGENT_TOKEN)
  std::string scratch_parent;
};
int CmdExplain(const ExplainArgs& a);

}  // namespace harvey::harness
