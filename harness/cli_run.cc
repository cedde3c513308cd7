// `harvey gen` and `harvey run`.
#include <cstdio>
#include <iostream>

#include "harness/cli.h"
#include "harness/interrupt.h"
#include "harness/launcher.h"
#include "harness/report.h"
#include "harness/runner.h"
#include "harness/scratch.h"
#include "model/format.h"
#include "model/generator.h"

namespace harvey::harness {

int CmdGen(const GenArgs& a) {
  model::GenOptions o{.workers = a.workers, .steps = a.steps};
  std::fputs(model::PrintSchedule(model::Generate(a.seed, o)).c_str(), stdout);
  return kExitPass;
}

int CmdRun(const RunArgs& a) {
  Result<model::Schedule> s = LoadScheduleFile(a.file);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().c_str());
    return kExitUsage;
  }
  if (!a.defect.empty()) model::ParseDefect(a.defect, &s.value().config.defect);
  // Before anything that needs cleaning up: this may re-exec another build.
  if (int code = SelectSqlite("run", a.sqlite, a.boundary, &s.value()); code >= 0) return code;
  auto scratch = ScratchDir::Create(a.scratch_parent);
  if (!scratch.ok()) {
    std::fprintf(stderr, "harvey run: %s\n", scratch.error().c_str());
    return kExitEnvironment;
  }
  std::string error;
  auto backend = MakeBackend(a.boundary, &error);
  if (!backend) {
    std::fprintf(stderr, "harvey run: %s\n", error.c_str());
    return kExitUsage;
  }
  if (int code = 0; !(error = CheckPlacement(a.boundary, &s.value(), &code)).empty()) {
    std::fprintf(stderr, "harvey run: %s\n", error.c_str());  // a missing tool: exit 3
    return code;
  }
  const RunResult r = RunSchedule(s.value(), *backend, scratch.value()->path());
  backend.reset();  // reap workers before reporting
  if (a.json) {
    nlohmann::json j{{"verdict", ToString(r.verdict)}, {"trace", TraceHex(r.trace)},
                     {"steps", r.steps_run}, {"boundary", a.boundary}, {"file", a.file},
                     {"sqlite", SqliteJson(s.value(), r.sqlite)}};
    if (r.mismatch) j["mismatch"] = ToJson(*r.mismatch);
    if (!r.error.empty()) j["error"] = r.error;
    std::cout << j.dump() << "\n";
  } else {
    std::printf("trace %s\n", TraceHex(r.trace).c_str());
    if (!r.sqlite.empty()) std::fputs(DescribeSqlite(s.value(), r.sqlite, "").c_str(), stderr);
  }
  if (a.show) {
    for (size_t i = 0; i < r.observations.size(); ++i) {
      const model::Step& st = s.value().steps[i];
      std::fprintf(stderr, "%4zu  %-28s %s\n", i, model::PrintStep(s.value(), st).c_str(),
                   model::Describe(st.op.kind, r.observations[i]).c_str());
    }
  }
  if (r.mismatch) std::fputs((MismatchReport(*r.mismatch) + ContextNotes(s.value())).c_str(), stderr);
  if (r.verdict == Verdict::kError) {
    std::fprintf(stderr, "harvey run: %s\n", r.error.c_str());
    return Interrupted() ? 128 + InterruptSignal() : kExitHarness;
  }
  if (!a.json) {
    std::fprintf(stderr, "%s: %s on %s (%lld steps)\n", a.file.c_str(), ToString(r.verdict),
                 a.boundary.c_str(), static_cast<long long>(r.steps_run));
  }
  return r.verdict == Verdict::kPass ? kExitPass : kExitMismatch;
}

}  // namespace harvey::harness
