#include "harness/coordinator/runner.h"

#include <cstdio>
#include <memory>
#include <optional>

#include "harness/worker/durability.h"
#include "harness/coordinator/interleave.h"
#include "harness/os/cpu_pin.h"
#include "harness/os/interrupt.h"
#include "harness/coordinator/trace_hasher.h"
#include "model/format.h"
#include "model/model.h"
#include "model/rng.h"

namespace harvey::harness {
namespace {

model::Mismatch EndMismatch(const std::string& oracle, const std::string& expected,
                            const std::string& observed) {
  model::Mismatch m;
  m.oracle = oracle;
  m.failure_class = oracle;
  m.where = "end of schedule (" + oracle + ")";
  m.expected = {expected};
  m.observed = observed;
  return m;
}

// The policy's chooser when a fine-grained run has no recorded decisions,
// seeded from the schedule (its own stream); else nullptr.
std::unique_ptr<model::Chooser> PolicyChooser(const model::Schedule& s, const model::Policy& policy) {
  if (!s.interleave.empty() || policy.kind == model::PolicyKind::kOp) return nullptr;
  model::Fnv64 h;
  h.AddU64(s.config.seed);
  h.AddU64(0x696e746572ull);  // "inter": decisions draw from their own stream
  return model::MakeChooser(policy, h.Value(), static_cast<int>(s.workers.size()),
                            ExpectedPointsPerStep(s) * static_cast<int64_t>(s.steps.size()));
}

// A step the backend could not run or observe (Backend::TakeFailure) ends
// the run as harvey's error. Returns whether it did.
bool HarnessFailed(Backend& backend, const model::Schedule& s, int64_t step_index, RunResult& r) {
  Backend::Failure f = backend.TakeFailure();
  if (f.error.empty()) return false;
  r.verdict = Verdict::kError;
  r.missing = f.missing;
  r.harness_failure = true;
  r.error = "harness error, not a finding: ";
  if (step_index >= 0) {
    r.error += "step " + std::to_string(step_index) + " (" +
               model::PrintStep(s, s.steps[static_cast<size_t>(step_index)]) + "): ";
  }
  r.error += f.error;
  return true;
}

// Op-level stepping: one op at a time in file order, each observation
// checked at once. Fills r's verdict/mismatch/error, observations, steps_run.
void RunOpLevel(const model::Schedule& s, Backend& backend, model::Checker& checker,
                TraceHasher& trace, RunResult& r) {
  for (int64_t i = 0; i < static_cast<int64_t>(s.steps.size()); ++i) {
    if (Interrupted()) {
      r.verdict = Verdict::kError;
      r.error = "interrupted";
      return;
    }
    const model::Step& step = s.steps[i];
    model::Observation o = step.op.kind == model::OpKind::kPowerLoss
                               ? backend.PowerLoss(step.op)
                               : backend.Execute(step.worker, step.op, i);
    if (Interrupted()) {  // a ^C cut this step short: not an observation
      r.verdict = Verdict::kError;
      r.error = "interrupted";
      return;
    }
    if (HarnessFailed(backend, s, i, r)) return;
    trace.Add(i, o);
    r.observations.push_back(o);
    r.steps_run = i + 1;
    if (auto m = checker.Observe(i, o)) {
      backend.CheckWorkers(kWorkerDeathGraceMs);
      if (HarnessFailed(backend, s, i, r)) return;
      r.verdict = Verdict::kMismatch;
      r.mismatch = std::move(m);
      return;
    }
    if (!checker.limit_error().empty()) {
      r.verdict = Verdict::kError;
      r.error = checker.limit_error();
      return;
    }
  }
}

}  // namespace

const char* ToString(Verdict v) {
  switch (v) {
    case Verdict::kPass: return "pass";
    case Verdict::kMismatch: return "mismatch";
    case Verdict::kError: return "error";
  }
  return "error";
}

std::string TraceHex(uint64_t trace) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(trace));
  return buf;
}

RunResult RunSchedule(const model::Schedule& s, Backend& backend, const std::string& db_dir,
                      const model::Rules& rules, const model::Policy& policy) {
  RunResult r;
  const bool interleaved = !s.interleave.empty() || policy.kind != model::PolicyKind::kOp;
  if (interleaved && !backend.Interleaves()) {
    r.verdict = Verdict::kError;
    r.error = "boundary " + std::string(backend.name()) +
              " cannot interleave ops inside a statement (fine-grained policy or 'interleave' lines); use --boundary fork";
    return r;
  }
  if (model::HasOp(s, model::OpKind::kKillAt) && !backend.KillsInsideOps()) {
    r.verdict = Verdict::kError;
    r.error = "boundary " + std::string(backend.name()) +
              " cannot kill a worker inside an op ('kill at'); use --boundary fork";
    return r;
  }
  // The coordinator and its workers take turns: one CPU for all of them
  // (harness/os/cpu_pin.h; changes only where they run, never what).
  KeepOnOneCpu();
  const std::string db_path = db_dir + "/harvey.db";
  RemoveDatabase(db_path);
  SetDurabilityTracking(model::HasOp(s, model::OpKind::kPowerLoss));
  if (std::string e = CreateDatabase(db_path, s.config); !e.empty()) {
    r.verdict = Verdict::kError;
    r.error = e;
    return r;
  }
  if (std::string e = backend.Begin(s, db_path); !e.empty()) {
    r.verdict = Verdict::kError;
    r.error = "harness error, not a finding: starting the workers: " + e;
    const Backend::Failure f = backend.TakeFailure();
    r.missing = f.missing;
    r.harness_failure = !f.error.empty();
    backend.Finish();
    backend.TakeFailure();
    return r;
  }
  r.sqlite = backend.Sqlite();
  model::Rules effective = rules;
  if (s.config.defect == model::Defect::kCanary) effective.canary_reads_see_latest = true;
  TraceHasher trace;
  for (const SqliteBuild& b : r.sqlite) {
    trace.Str(b.name);
    trace.Str(b.source_id);
  }
  // One checker, the one this kind of run needs.
  std::optional<model::OverlapChecker> overlap;
  std::optional<model::Checker> checker;
  if (interleaved) {
    overlap.emplace(s, effective);
    RunInterleaved(s, backend, *overlap, PolicyChooser(s, policy).get(), trace, r);
    r.overlapped = overlap->overlapped();
  } else {
    checker.emplace(s, effective);
    RunOpLevel(s, backend, *checker, trace, r);
  }
  VerifyResult v = backend.Finish();
  if (Interrupted() && r.verdict == Verdict::kPass) {  // the check itself was cut short
    r.verdict = Verdict::kError;
    r.error = "interrupted";
  }
  if (r.verdict == Verdict::kPass) {
    HarnessFailed(backend, s, -1, r);  // the end-of-run check could not run
  } else {
    backend.TakeFailure();
  }
  trace.Str(v.error);
  trace.Str(v.integrity);
  trace.I64(v.index_agrees);
  trace.Rows(v.rows);
  r.trace = trace.Value();
  r.final_rows = v.rows;
  if (r.verdict != Verdict::kPass) return r;
  if (!v.error.empty()) {
    r.mismatch = EndMismatch("verify", "the database opens and reads", v.error);
  } else if (v.integrity != "ok") {
    r.mismatch = EndMismatch("integrity", "integrity_check ok", v.integrity);
  } else if (!v.index_agrees) {
    r.mismatch = EndMismatch("index", "index kv_v holds exactly the table's keys",
                             "index and table disagree");
  } else {
    r.mismatch = overlap ? overlap->ObserveFinal(v.rows) : checker->ObserveFinal(v.rows);
  }
  if (r.mismatch) r.verdict = Verdict::kMismatch;
  return r;
}

}  // namespace harvey::harness
