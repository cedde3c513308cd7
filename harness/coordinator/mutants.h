// Mutation analysis of SQLite's WAL code (fuzz/mutate/, fuzz/MUTANTS.md):
// running harvey's campaigns against one mutant of the schemata build
// `harvey-sqlite-V-mutants`, where HARVEY_MUTANT (environment) picks the
// active mutant in every process of that build (0 = the unmutated V).
//
// Each mutant runs in `harvey fuzz` child processes (the coordinator is the
// plain `harvey`; every worker is `--sqlite V-mutants` on fork), one per
// campaign, so a mutant that crashes or hangs SQLite takes down only its own
// campaign. A mutant is killed by the first campaign that ends in:
//   mismatch    exit 1: an observation the model does not allow
//   corruption  exit 1, and the finding shows SQLite reporting corruption
//               (SQLITE_CORRUPT, "malformed", a failed integrity_check)
//   crash       exit 4 and a worker died (a signal, an unexpected exit)
//   hang        exit 4 with a livelock/slice limit, or the campaign overran
//               its budget by kHangGrace (killed by us)
// Exit 2 or 3 of a campaign is harvey's problem (usage, a missing build):
// it stops the analysis (MutantOutcome::harness_error), never a kill.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/result.h"

namespace harvey::harness {

// One row of the manifest harvey_mutate.py writes (harvey-sqlite-V-mutants.tsv).
struct Mutant {
  uint32_t num = 0;          // HARVEY_MUTANT value (0 = none)
  std::string id;            // stable: "op:function:hash6"
  std::string op;            // delete-call, negate-cond, relop, plus-one, ...
  std::string function;
  int line = 0;              // in sqlite3.c
  std::string original;      // the site's text
  std::string mutated;       // what it becomes ("(deleted)" for a call)
  std::string changed_line;  // the source line of the site
};

// Parses the manifest. Error: "FILE:LINE: what is wrong".
Result<std::vector<Mutant>> LoadMutants(const std::string& path);

// One campaign run per mutant: a name and the extra `harvey fuzz` options.
struct MutantCampaign {
  std::string name;
  std::vector<std::string> args;
};

// op-level with crashes; --episodes 10; --policy pct:3 (harvey's campaigns).
std::vector<MutantCampaign> DefaultMutantCampaigns();

struct MutantRunOptions {
  std::string harvey;        // the coordinator executable (plain harvey)
  std::string build;         // "3.54.1-mutants"
  double budget_s = 6;       // per mutant, split evenly among the campaigns
  double shrink_s = 5;       // per finding
  uint64_t seed = 1;         // every campaign's seed (same for every mutant)
  std::string out_dir;       // findings go to OUT/m<num>-<campaign>/
  std::string scratch_parent;
  std::vector<MutantCampaign> campaigns = DefaultMutantCampaigns();
};

inline constexpr double kHangGrace = 30;  // seconds past a campaign's budget (+ shrink)

struct MutantOutcome {
  bool killed = false;
  std::string how;            // mismatch | corruption | crash | hang ("" = survived)
  std::string campaign;       // the campaign that killed it
  double time_to_kill_s = 0;  // campaign time until the finding, summed over campaigns
  double elapsed_s = 0;       // wall time spent on this mutant
  std::string failure_class;  // the mismatch's class, or the harness message (crash, hang)
  int original_steps = -1;    // the finding's schedule, before and after the shrink
  int shrunk_steps = -1;
  std::string finding;        // saved finding (the shrunk one when there is one)
  std::string command;        // the campaign that killed it, as a command line
  std::string harness_error;  // non-empty: harvey's problem, not a verdict
};

// Runs the campaigns against mutant `num` until one kills it. A saved
// finding gets "# mutant:" lines naming the mutant and its replay command.
MutantOutcome RunMutant(const Mutant& m, const MutantRunOptions& o);

}  // namespace harvey::harness
