// `harvey gen` and `harvey run`.
#include <cstdio>
#include <iostream>

#include "harness/cli/cli.h"
#include "harness/cli/fuzz_site.h"
#include "harness/boundary/agent_launcher.h"
#include "harness/os/files.h"
#include "harness/coordinator/interleave.h"
#include "harness/os/interrupt.h"
#include "harness/boundary/placements.h"
#include "harness/report/report.h"
#include "harness/coordinator/runner.h"
#include "harness/os/scratch.h"
#include "model/format.h"
#include "model/model.h"
#include "model/generator.h"
#include "model/policy.h"

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
  model::Policy policy;
  if (std::string e = model::ParsePolicy(a.policy, &policy); !e.empty()) {
    std::fprintf(stderr, "harvey run: %s\n", e.c_str());
    return kExitUsage;
  }
  // Before anything that needs cleaning up: this may re-exec another build.
  if (int code = a.agents.empty() ? SelectSqlite("run", a.sqlite, a.boundary, &s.value()) : -1; code >= 0) return code;
  const std::string where = a.agents.empty() ? a.boundary : "agents";
  auto scratch = ScratchDir::Create(a.scratch_parent);
  if (!scratch.ok()) {
    std::fprintf(stderr, "harvey run: %s\n", scratch.error().c_str());
    return kExitEnvironment;
  }
  std::string error;
  std::unique_ptr<Backend> backend;
  AgentLauncher* agents = nullptr;
  if (!a.agents.empty()) {
    for (const model::Worker& w : s.value().workers) {
      if (!w.boundary.empty() && w.boundary != "agent") {
        std::fprintf(stderr, "harvey run: %s: worker %s is placed on %s, but with --agent every worker runs on the agents\n",
                     a.file.c_str(), w.name.c_str(), w.boundary.c_str());
        return kExitUsage;
      }
    }
    if (model::HasOp(s.value(), model::OpKind::kPowerLoss)) {
      std::fprintf(stderr, "harvey run: %s has a power loss, which harvey cannot cause on the agents' storage (it does not own it)\n",
                   a.file.c_str());
      return kExitUsage;
    }
    if (int code = ConnectAgents("run", a.agents, a.token_file, &backend, &agents); code >= 0) return code;
  } else if (!(backend = MakeBackend(a.boundary, &error))) {
    std::fprintf(stderr, "harvey run: %s\n", error.c_str());
    return kExitUsage;
  }
  if (int code = 0; !agents && !(error = CheckPlacement(a.boundary, &s.value(), &code)).empty()) {
    std::fprintf(stderr, "harvey run: %s\n", error.c_str());  // a missing tool: exit 3
    return code;
  }
  if (!s.value().interleave.empty() && policy.kind != model::PolicyKind::kOp) {
    std::fprintf(stderr, "harvey run: %s has interleave decisions; replaying them (--policy %s ignored)\n",
                 a.file.c_str(), a.policy.c_str());
  }
  if (a.show) SetSliceLog(stderr);
  const RunResult r = RunSchedule(s.value(), *backend, scratch.value()->path(), {}, policy);
  SetSliceLog(nullptr);
  // A worker that died with its agent is harvey's problem, not a finding.
  const std::string agent_error = agents && r.verdict == Verdict::kMismatch ? agents->Health() : "";
  backend.reset();  // reap workers before reporting
  if (!agent_error.empty()) {
    std::fprintf(stderr, "harvey run: %s (so this run's result is not a finding)\n", agent_error.c_str());
    return kExitHarness;
  }
  const bool generated = r.interleaved && s.value().interleave.empty();
  if (generated) {  // the decisions the policy made: with them the run replays exactly
    model::Schedule with = s.value();
    with.interleave = r.decisions;
    if (!a.json) std::fputs(model::PrintInterleave(with).c_str(), stderr);
    if (!a.save_decisions.empty()) {
      if (std::string e = WriteFileAtomic(a.save_decisions, model::PrintSchedule(with)); !e.empty()) {
        std::fprintf(stderr, "harvey run: %s\n", e.c_str());
        return kExitEnvironment;
      }
      std::fprintf(stderr, "saved: %s (%zu decisions)\n", a.save_decisions.c_str(), r.decisions.size());
    }
  }
  if (a.json) {
    nlohmann::json j{{"verdict", ToString(r.verdict)}, {"trace", TraceHex(r.trace)},
                     {"steps", r.steps_run}, {"boundary", where}, {"file", a.file},
                     {"sqlite", SqliteJson(s.value(), r.sqlite)}};
    if (r.mismatch) j["mismatch"] = ToJson(*r.mismatch);
    if (!r.error.empty()) j["error"] = r.error;
    if (r.interleaved) {
      j["yields"] = r.yields;
      j["decisions"] = r.decisions.size();
    }
    std::cout << j.dump() << "\n";
  } else {
    std::printf("trace %s\n", TraceHex(r.trace).c_str());
    if (!r.sqlite.empty()) std::fputs(DescribeSqlite(s.value(), r.sqlite, "").c_str(), stderr);
  }
  if (a.show) {
    for (size_t i = 0; i < r.observations.size() && i < s.value().steps.size(); ++i) {
      const model::Step& st = s.value().steps[i];
      std::fprintf(stderr, "%4zu  %-28s %s\n", i, model::PrintStep(s.value(), st).c_str(),
                   model::Describe(st.op.kind, r.observations[i]).c_str());
    }
  }
  if (r.mismatch) std::fputs((MismatchReport(*r.mismatch) + ContextNotes(s.value())).c_str(), stderr);
  if (r.verdict == Verdict::kError) {
    std::fprintf(stderr, "harvey run: %s\n", r.error.c_str());
    return Interrupted() ? 128 + InterruptSignal() : r.missing ? kExitEnvironment : kExitHarness;
  }
  if (!a.json) {
    std::fprintf(stderr, "%s: %s on %s (%lld steps)\n", a.file.c_str(), ToString(r.verdict),
                 where.c_str(), static_cast<long long>(r.steps_run));
  }
  return r.verdict == Verdict::kPass ? kExitPass : kExitMismatch;
}

}  // namespace harvey::harness
