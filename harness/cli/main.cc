// harvey: tries to disprove that SQLite's WAL mode is safe across a boundary.
// This file only parses the command line; the work is in harness/cli_*.cc.
#include <csignal>

#include <CLI/CLI.hpp>

#include "harness/cli/cli.h"
#include "harness/boundary/host.h"
#include "harness/os/interrupt.h"
#include "harness/boundary/placements.h"
#include "harness/worker/sqlite_build.h"

int main(int argc, char** argv) {
  using namespace harvey::harness;
  MarkThisExecutableTheCli();
  // `harvey __host` / `harvey __worker`: what boundaries exec inside a
  // namespace, container or sshfs machine (hidden; see harness/boundary/host.h).
  if (argc > 1 && argv[1][0] == '_' && argv[1][1] == '_') return InternalMain(argc, argv);
  if (std::string e = CheckThisSqlite(); !e.empty()) {
    std::fprintf(stderr, "harvey: %s\n", e.c_str());
    return kExitHarness;
  }
  const std::string kSqliteHelp =
      "SQLite build per worker without a `sqlite` line: system, a version (harvey versions), "
      "or a mix such as system+3.54.1 (worker i gets part i mod n)";
  // fork, inproc, ns, oci, oci-file, sshfs, or a mix such as fork+oci.
  const CLI::Validator kBoundary(
      [](std::string& v) {
        int code = 0;
        std::string e = CheckPlacement(v, nullptr, &code);
        return code == kExitUsage ? e : std::string();
      },
      "BOUNDARY");
  CLI::App app{"harvey: tries to disprove that SQLite's WAL mode is safe across a boundary"};
  app.require_subcommand(1);

  GenArgs gen;
  auto* g = app.add_subcommand("gen", "Print a generated schedule");
  g->add_option("--seed", gen.seed, "Schedule seed")->required();
  g->add_option("--steps", gen.steps, "Steps")->check(CLI::Range(1, 100000));
  g->add_option("--workers", gen.workers, "Workers")->check(CLI::Range(1, 8));

  RunArgs run;
  auto* r = app.add_subcommand("run", "Run one schedule file; exit 0 on pass, 1 on mismatch");
  r->add_option("file", run.file, "Schedule file (harvey-schedule 1)")->required();
  r->add_option("--boundary", run.boundary, "Where workers run")
      ->check(kBoundary);
  r->add_flag("--json", run.json, "Print one JSON object on stdout");
  r->add_option("--scratch", run.scratch_parent, "Parent of the scratch directory");
  r->add_flag("--show", run.show, "Print every step and what it observed (stderr)");
  r->add_option("--policy", run.policy,
                "op | random | pct:D: fine-grained scheduling when the file has no 'interleave' lines "
                "(the decisions are printed; --save-decisions FILE writes the schedule with them)");
  r->add_option("--save-decisions", run.save_decisions, "Write the schedule with the run's decisions here");
  r->add_option("--defect", run.defect, "Run under a calibration defect (overrides the file)")
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(kDefectNames), std::end(kDefectNames))));
  r->add_option("--sqlite", run.sqlite, kSqliteHelp);
  r->add_option("--agent", run.agents, "Run the workers on this harvey agent (repeat; worker i on agent i mod n)");
  r->add_option("--token-file", run.token_file, "The agents' shared token (default: $HARVEY_AGENT_TOKEN)");

  FuzzArgs fuzz;
  auto* f = app.add_subcommand("fuzz", "Generate and run schedules until a mismatch or the budget ends");
  f->add_option("--boundary", fuzz.boundary, "Where workers run")
      ->check(kBoundary);
  auto* count = f->add_option("--count", fuzz.count, "Number of schedules")->check(CLI::PositiveNumber);
  auto* time = f->add_option("--time", fuzz.time_s, "Time budget in seconds")->check(CLI::PositiveNumber);
  count->excludes(time);
  f->add_option("--seed", fuzz.seed, "Campaign seed (default: random, printed first)");
  f->add_option("--out", fuzz.out_dir, "Where findings are written");
  f->add_option("--steps", fuzz.steps, "Steps per schedule")->check(CLI::Range(1, 100000));
  f->add_option("--workers", fuzz.workers, "Workers per schedule")->check(CLI::Range(1, 8));
  f->add_flag("--json", fuzz.json, "Print one JSON object on stdout at the end");
  f->add_flag("--reach", fuzz.reach,
              "At the end, print which preemption points were hit (by event and SQLite function) and which "
              "WAL functions were never entered (fork and inproc; function entries: V-shm builds)");
  f->add_option("--policy", fuzz.policy, "op (op-level) | random | pct:D (fine-grained; decisions saved in findings)");
  f->add_option("--scratch", fuzz.scratch_parent, "Parent of the scratch directory");
  f->add_option("--defect", fuzz.defect, "Calibration defect, recorded in saved findings")
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(kDefectNames), std::end(kDefectNames))));
  f->add_option("--synchronous", fuzz.synchronous, "Pin PRAGMA synchronous for every schedule")
      ->check(CLI::IsMember({"off", "normal", "full"}));
  f->add_option("--journal-size-limit", fuzz.journal_size_limit,
                "PRAGMA journal_size_limit (bytes) for every schedule; -1 = none (default: drawn per "
                "schedule: -1 half the time, else 0, a few frames, or 1 MiB)")
      ->check(CLI::Range(int64_t{-1}, int64_t{1'000'000'000}));
  f->add_option("--mmap-size", fuzz.mmap_size,
                "PRAGMA mmap_size (bytes) for every schedule (default: drawn per schedule: 0, a few "
                "pages, or 64 MiB)")
      ->check(CLI::Range(int64_t{0}, int64_t{0x7fff0000}));
  f->add_option("--checkpoint-on-close", fuzz.checkpoint_on_close,
                "Whether the last connection to close checkpoints and deletes the WAL, for every "
                "schedule (default: drawn per schedule, on 3 times in 4)")
      ->check(CLI::IsMember({"on", "off"}));
  f->add_option("--secure-delete", fuzz.secure_delete,
                "PRAGMA secure_delete for every schedule; default = none issued, the build's own "
                "(default: drawn per schedule: the build's 1 time in 3, else off, on or fast)")
      ->check(CLI::IsMember({"default", "off", "on", "fast"}));
  f->add_option("--call-points", fuzz.call_points,
                "Whether fine-grained runs also pause at every wal.c function entry (config call_points; "
                "shm-instrumented builds) for every schedule (default: drawn per schedule, on 1 time "
                "in 8, under --policy random|pct:D on a V-shm build; else off)")
      ->check(CLI::IsMember({"on", "off"}));
  f->add_option("--busy-timeout", fuzz.busy_timeout,
                "PRAGMA busy_timeout (ms) for every schedule (default: drawn per schedule under "
                "--policy random|pct:D, 0 under op)")
      ->check(CLI::Range(0, 60000));
  f->add_option("--episodes", fuzz.episode_percent,
                "Chance (percent per quiet point) of a WAL-internals episode: checkpoint storms, "
                "WAL restarts, big transactions, all connections closing (default 0)")
      ->check(CLI::Range(0, 100));
  f->add_option("--kills", fuzz.kill_percent, "Chance (percent per step) of a worker kill")
      ->check(CLI::Range(0, 100));
  f->add_option("--power-losses", fuzz.power_loss_percent,
                "Chance (percent per step) of a power loss")->check(CLI::Range(0, 100));

  f->add_option("--junit", fuzz.junit, "Write JUnit XML here (a testcase per 100 schedules; a finding is a failure)");
  f->add_option("--sqlite", fuzz.sqlite, kSqliteHelp + "; recorded in saved findings");
  f->add_option("--shrink-time", fuzz.shrink_time_s,
                "Seconds to shrink each finding (0 = do not shrink)")->check(CLI::NonNegativeNumber);

  f->add_option("--shard", fuzz.shard, "K/N: run shard K of N (N machines, disjoint schedules; together one campaign)");
  // Kubernetes' Indexed Job numbers its pods from 0 ($JOB_COMPLETION_INDEX) and
  // a FROM-scratch image has no shell to add 1: --shard-index I --shard-count N
  // is --shard I+1/N (deploy/kubernetes/nightly-fuzz.yaml).
  unsigned shard_index0 = 0, shard_count = 0;
  auto* sidx = f->add_option("--shard-index", shard_index0, "0-based shard index ($JOB_COMPLETION_INDEX); with --shard-count N: --shard I+1/N");
  auto* scnt = f->add_option("--shard-count", shard_count, "Number of shards, with --shard-index")->check(CLI::PositiveNumber);
  sidx->needs(scnt);
  scnt->needs(sidx);
  f->add_option("--jobs", fuzz.jobs,
                "Run the campaign as N processes at once (use every core: each job a disjoint share of the "
                "same schedules; --count is split, --time applies to each; the lowest-index finding is "
                "reported, as with --jobs 1)")
      ->check(CLI::Range(1, 256));
  // Internal: a --jobs child (harness/cli/jobs.h).
  f->add_option("--job", fuzz.job)->group("");
  f->add_option("--job-channel", fuzz.job_channel)->group("");
  f->add_option("--job-reach-dir", fuzz.job_reach_dir)->group("");

  AgentArgs agent;
  auto* ag = app.add_subcommand("agent", "Serve workers to one coordinator at a time (start it where your application runs)");
  ag->add_option("--listen", agent.listen, "HOST:PORT, [V6]:PORT or unix:/path (port 0: any free port)")->required();
  ag->add_option("--dir", agent.dir, "The directory databases are created in (the one your application's database lives in)")
      ->required();
  ag->add_option("--token-file", agent.token_file, "File holding the shared token (default: $HARVEY_AGENT_TOKEN)");
  ag->add_option("--idle-timeout", agent.idle_timeout_s, "Seconds a silent coordinator keeps its session")
      ->check(CLI::Range(1, 86400));
  ag->add_option("--address-file", agent.address_file, "Write the address it listens on here (for port 0)");

  ProbeArgs probe;
  auto* pr = app.add_subcommand("probe", "Fuzz across your own boundary: workers on harvey agents sharing one directory");
  pr->add_option("--agent", probe.agents, "A harvey agent's address, or @DIR: one per DIR/*.addr (agents' --address-file) (repeat; worker i on agent i mod n)")->required();
  pr->add_option("--token-file", probe.token_file, "The agents' shared token (default: $HARVEY_AGENT_TOKEN)");
  auto* pcount = pr->add_option("--count", probe.fuzz.count, "Number of schedules")->check(CLI::PositiveNumber);
  auto* ptime = pr->add_option("--time", probe.fuzz.time_s, "Time budget in seconds")->check(CLI::PositiveNumber);
  pcount->excludes(ptime);
  pr->add_option("--seed", probe.fuzz.seed, "Campaign seed (default: random, printed first)");
  pr->add_option("--out", probe.fuzz.out_dir, "Where findings are written");
  pr->add_option("--steps", probe.fuzz.steps, "Steps per schedule")->check(CLI::Range(1, 100000));
  pr->add_option("--workers", probe.fuzz.workers, "Workers per schedule")->check(CLI::Range(1, 8));
  pr->add_flag("--json", probe.fuzz.json, "Print one JSON object on stdout at the end");
  pr->add_option("--policy", probe.fuzz.policy, "op | random | pct:D");
  pr->add_option("--scratch", probe.fuzz.scratch_parent, "Parent of the local scratch directory");
  pr->add_option("--kills", probe.fuzz.kill_percent, "Chance (percent per step) of a worker kill")->check(CLI::Range(0, 100));
  pr->add_option("--power-losses", probe.fuzz.power_loss_percent,
                 "Chance (percent per step) of a power loss: added to --kills (harvey cannot cut the agents' power)")
      ->check(CLI::Range(0, 100));
  pr->add_option("--episodes", probe.fuzz.episode_percent, "Chance (percent) of a WAL-internals episode")
      ->check(CLI::Range(0, 100));
  pr->add_option("--synchronous", probe.fuzz.synchronous, "Pin PRAGMA synchronous")
      ->check(CLI::IsMember({"off", "normal", "full"}));
  pr->add_option("--shrink-time", probe.fuzz.shrink_time_s, "Seconds to shrink each finding (0 = do not shrink)")
      ->check(CLI::NonNegativeNumber);
  pr->add_option("--shard", probe.fuzz.shard, "K/N: run shard K of N");

  ShrinkArgs shrink;
  auto* sh = app.add_subcommand("shrink", "Shrink a failing schedule to a small one that fails the same way");
  sh->add_option("file", shrink.file, "Failing schedule file")->required();
  sh->add_option("-o,--out", shrink.out, "Where the shrunk schedule is written")->required();
  sh->add_option("--time", shrink.time_s, "Time budget in seconds")->check(CLI::PositiveNumber);
  sh->add_option("--boundary", shrink.boundary, "Where workers run")
      ->check(kBoundary);
  sh->add_flag("--json", shrink.json, "Print one JSON object on stdout");
  sh->add_flag("-v,--verbose", shrink.verbose, "Print every kept candidate");
  sh->add_option("--scratch", shrink.scratch_parent, "Parent of the scratch directory");

  MatrixArgs matrix;
  auto* m = app.add_subcommand("matrix", "Replay every corpus case on every boundary; print a case x boundary table");
  m->add_option("dir", matrix.dir, "Corpus directory (*.sched, searched recursively)");
  m->add_option("--boundaries", matrix.boundaries, "Comma-separated boundaries (columns)");
  m->add_option("--sqlite", matrix.sqlite,
                "Comma-separated SQLite builds: a column per boundary x build (each applies to "
                "workers without a `sqlite` line; a build may be a mix a+b)");
  m->add_flag("--json", matrix.json, "Print one JSON object on stdout");
  m->add_option("--scratch", matrix.scratch_parent, "Parent of the scratch directory");
  m->add_option("--junit", matrix.junit, "Write JUnit XML here (a testcase per case x column)");

  VersionsArgs versions;
  auto* v = app.add_subcommand("versions", "List the SQLite builds available here; exit 3 if a named one is not built");
  v->add_option("names", versions.names, "SQLite builds that must be available (system, 3.54.1, ...)");
  v->add_flag("--json", versions.json, "Print one JSON object on stdout");

  BenchArgs bench;
  auto* be = app.add_subcommand("bench", "Speed: the limit (SQLite straight) and each boundary x policy on the same schedules");
  be->add_option("--count", bench.count, "Schedules per run")->check(CLI::PositiveNumber);
  be->add_option("--rounds", bench.rounds, "Run everything this many times (figures summed; spreads the load of a shared machine)")
      ->check(CLI::Range(1, 1000));
  be->add_option("--seed", bench.seed, "Campaign seed");
  be->add_option("--steps", bench.steps, "Steps per schedule")->check(CLI::Range(1, 100000));
  be->add_option("--workers", bench.workers, "Workers per schedule")->check(CLI::Range(1, 8));
  be->add_option("--boundaries", bench.boundaries, "Comma-separated boundaries");
  be->add_option("--policies", bench.policies, "Comma-separated policies (op, random, pct:D)");
  be->add_option("--crashes", bench.crashes, "Comma-separated crash mixes: none, default (harvey fuzz's kills and power losses)");
  be->add_flag("--json", bench.json, "Print one JSON object on stdout");
  be->add_option("--scratch", bench.scratch_parent, "Parent of the scratch directory");
  be->add_option("--jobs", bench.jobs,
                 "Run every row as N processes at once on disjoint shares of its schedules (use every core); "
                 "its rates are the total over the row's wall time")
      ->check(CLI::Range(1, 256));
  // Internal: a --jobs child (harness/cli/jobs.h).
  be->add_option("--job", bench.job)->group("");
  be->add_option("--job-channel", bench.job_channel)->group("");
  be->add_option("--job-row", bench.job_row)->group("");

  SelftestArgs selftest;
  auto* st = app.add_subcommand("selftest", "Prove detection power: every known way to break WAL must be caught");
  st->add_flag("--quick", selftest.quick, "2 seeds x 8 s per class (for CI)");
  st->add_flag("--json", selftest.json, "Print one JSON object");
  st->add_option("--only", selftest.only, "Comma-separated class names");
  st->add_option("--policy", selftest.policy, "op | random | pct:D: scheduling of every campaign");
  st->add_option("--scratch", selftest.scratch_parent, "Parent of the scratch directory");
  st->add_option("--junit", selftest.junit, "Write JUnit XML here (a testcase per class)");

  ExplainArgs explain;
  auto* ex = app.add_subcommand("explain", "Replay a finding and tell its story (exit 1: it reproduces, 0: it did not)");
  ex->add_option("file", explain.file, "Finding (schedule file)")->required();
  ex->add_option("--html", explain.html, "Also write the story as a self-contained HTML page here");
  ex->add_option("--boundary", explain.boundary, "Where to replay (default: the finding's header, else fork)")
      ->check(kBoundary);
  ex->add_option("--agent", explain.agents, "Replay on this harvey agent (repeat; default: the agents the finding's replay line names)");
  ex->add_option("--token-file", explain.token_file, "The agents' shared token (default: $HARVEY_AGENT_TOKEN)");
  ex->add_option("--scratch", explain.scratch_parent, "Parent of the scratch directory");

  MutateArgs mutate;
  auto* mu = app.add_subcommand("mutate", "Mutation analysis: harvey's campaigns against each mutant of SQLite's WAL code");
  mu->add_option("--build", mutate.build, "The schemata build (default: the harvey-sqlite-V-mutants here)");
  mu->add_option("--manifest", mutate.manifest, "Mutant list (default: the build's executable + .tsv)");
  mu->add_option("--equivalent", mutate.equivalent, "Ids argued equivalent (fuzz/MUTANTS.md)");
  mu->add_option("--time", mutate.time_s, "Seconds per mutant, split among its campaigns")->check(CLI::PositiveNumber);
  mu->add_option("--shrink-time", mutate.shrink_time_s, "Seconds to shrink each finding")->check(CLI::NonNegativeNumber);
  mu->add_option("--seed", mutate.seed, "Seed of every campaign");
  mu->add_option("--only", mutate.only, "Comma-separated mutant numbers or ids");
  mu->add_option("--ops", mutate.ops, "Comma-separated operators (delete-call, negate-cond, relop, ...)");
  mu->add_option("--sample", mutate.sample, "A stable sample of N mutants");
  mu->add_option("--jobs", mutate.jobs, "Mutants at a time")->check(CLI::Range(1, 64));
  mu->add_option("--out", mutate.out_dir, "Where findings are written");
  mu->add_option("--require-killed", mutate.require_killed, "Comma-separated mutants that must be killed (exit 1)");
  mu->add_flag("--json", mutate.json, "Print one JSON object on stdout");
  mu->add_option("--scratch", mutate.scratch_parent, "Parent of the scratch directories");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  InstallInterruptHandlers();
  // Writing to a worker or host that died (a dropped sshfs connection, a
  // killed container) must fail with EPIPE, which the wire layer reports as
  // that worker's death, not kill the coordinator before it tears down its
  // workers, mounts and scratch directories and prints its summary.
  std::signal(SIGPIPE, SIG_IGN);
  if (g->parsed()) return CmdGen(gen);
  if (ag->parsed()) return CmdAgent(agent);
  if (pr->parsed()) {
    if (!probe.fuzz.count && !probe.fuzz.time_s) {
      std::fprintf(stderr, "harvey probe: give --count N or --time SECONDS\n");
      return kExitUsage;
    }
    return CmdProbe(probe);
  }
  if (st->parsed()) return CmdSelftest(selftest);
  if (r->parsed()) return CmdRun(run);
  if (ex->parsed()) return CmdExplain(explain);
  if (sh->parsed()) return CmdShrink(shrink);
  if (m->parsed()) return CmdMatrix(matrix);
  if (v->parsed()) return CmdVersions(versions);
  if (be->parsed()) return CmdBench(bench);
  if (mu->parsed()) return CmdMutate(mutate);
  if (f->parsed()) {
    if (!fuzz.count && !fuzz.time_s) {
      std::fprintf(stderr, "harvey fuzz: give --count N or --time SECONDS\n");
      return kExitUsage;
    }
    if (shard_count > 0) {
      if (!fuzz.shard.empty() || shard_index0 >= shard_count) {
        std::fprintf(stderr, "harvey fuzz: --shard-index I --shard-count N wants 0 <= I < N and no --shard\n");
        return kExitUsage;
      }
      fuzz.shard = std::to_string(shard_index0 + 1) + "/" + std::to_string(shard_count);
    }
    fuzz.command_line.assign(argv + 1, argv + argc);
    return CmdFuzz(fuzz);
  }
  return kExitUsage;
}
