// `harvey shrink FILE -o OUT`: replay a failing schedule, shrink it to a
// small one that fails the same way, and save that (see harness/coordinator/shrinker.h).
#include <cstdio>
#include <iostream>

#include "harness/cli/cli.h"
#include "harness/os/files.h"
#include "harness/os/interrupt.h"
#include "harness/boundary/placements.h"
#include "harness/report/report.h"
#include "harness/coordinator/runner.h"
#include "harness/os/scratch.h"
#include "harness/coordinator/shrinker.h"
#include "model/format.h"

namespace harvey::harness {

int CmdShrink(const ShrinkArgs& a) {
  Result<model::Schedule> s = LoadScheduleFile(a.file);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().c_str());
    return kExitUsage;
  }
  // Before anything that needs cleaning up: this may re-exec another build.
  if (int code = SelectSqlite("shrink", "", a.boundary, &s.value()); code >= 0) return code;
  auto scratch = ScratchDir::Create(a.scratch_parent);
  if (!scratch.ok()) {
    std::fprintf(stderr, "harvey shrink: %s\n", scratch.error().c_str());
    return kExitEnvironment;
  }
  std::string error;
  auto backend = MakeBackend(a.boundary, &error);
  if (!backend) {
    std::fprintf(stderr, "harvey shrink: %s\n", error.c_str());
    return kExitUsage;
  }
  if (int code = 0; !(error = CheckPlacement(a.boundary, &s.value(), &code)).empty()) {
    std::fprintf(stderr, "harvey shrink: %s\n", error.c_str());  // a missing tool: exit 3
    return code;
  }
  const RunResult first = RunSchedule(s.value(), *backend, scratch.value()->path());
  if (first.verdict == Verdict::kError) {
    std::fprintf(stderr, "harvey shrink: replaying %s: %s\n", a.file.c_str(), first.error.c_str());
    return Interrupted() ? 128 + InterruptSignal() : first.missing ? kExitEnvironment : kExitHarness;
  }
  if (first.verdict != Verdict::kMismatch) {
    std::fprintf(stderr, "harvey shrink: %s passes on %s: nothing to shrink\n", a.file.c_str(),
                 a.boundary.c_str());
    return kExitUsage;
  }
  std::fprintf(stderr, "harvey shrink: %s fails on %s [%s]; shrinking for at most %g s\n",
               a.file.c_str(), a.boundary.c_str(), first.mismatch->failure_class.c_str(), a.time_s);
  ShrinkOptions opt{.time_s = a.time_s};
  if (a.verbose) opt.on_accept = [](const std::string& what) { std::fprintf(stderr, "  kept: %s\n", what.c_str()); };
  const ShrinkResult r = Shrink(s.value(), *first.mismatch, *backend, scratch.value()->path(), opt);
  backend.reset();
  if (!r.harness_error.empty() && !Interrupted()) {  // nothing saved: a half-shrunk case would mislead
    std::fprintf(stderr, "harvey shrink: stopped (harvey's problem, not a finding): %s\n", r.harness_error.c_str());
    return r.missing ? kExitEnvironment : kExitHarness;
  }
  const std::string found_by = "harvey shrink " + a.file + " --boundary " + a.boundary + " (" +
                               ShrinkSummary(r) + ")";
  const std::string text =
      FindingText(AsFinding(r.schedule, a.boundary), r.mismatch, found_by, a.boundary, first.sqlite);
  if (std::string e = WriteFileAtomic(a.out, text); !e.empty()) {
    std::fprintf(stderr, "harvey shrink: %s\n", e.c_str());
    return kExitEnvironment;
  }
  std::fputs((MismatchReport(r.mismatch) + ContextNotes(r.schedule) + DescribeSqlite(r.schedule, first.sqlite, "  "))
                 .c_str(),
             stderr);
  std::fprintf(stderr, "shrunk %s: %s; replayed the same failure %d/%d; saved %s\n", a.file.c_str(),
               ShrinkSummary(r).c_str(), r.confirmed, opt.confirm_runs, a.out.c_str());
  if (a.json) {
    nlohmann::json j{{"file", a.file},
                     {"out", a.out},
                     {"boundary", a.boundary},
                     {"class", r.mismatch.failure_class},
                     {"original_steps", r.original_steps},
                     {"shrunk_steps", r.schedule.steps.size()},
                     {"original_workers", r.original_workers},
                     {"shrunk_workers", r.schedule.workers.size()},
                     {"elapsed_s", r.elapsed_s},
                     {"replays", r.replays},
                     {"kept", r.accepted},
                     {"timed_out", r.timed_out},
                     {"confirmed", r.confirmed},
                     {"confirm_runs", opt.confirm_runs},
                     {"sqlite", SqliteJson(r.schedule, first.sqlite)}};
    std::cout << j.dump() << "\n";
  }
  if (Interrupted()) return 128 + InterruptSignal();
  if (r.confirmed != opt.confirm_runs) {
    std::fprintf(stderr, "harvey shrink: the shrunk schedule failed the same way only %d of %d replays "
                         "(nondeterminism in the harness?)\n", r.confirmed, opt.confirm_runs);
    return kExitHarness;
  }
  return kExitPass;
}

}  // namespace harvey::harness
