#include "harness/runner.h"

#include <xxhash.h>

#include <cstdio>

#include "harness/durability.h"
#include "harness/interrupt.h"
#include "model/model.h"

namespace harvey::harness {
namespace {

class TraceHasher {
 public:
  TraceHasher() : state_(XXH3_createState()) { XXH3_64bits_reset(state_); }
  ~TraceHasher() { XXH3_freeState(state_); }
  void I64(int64_t v) { XXH3_64bits_update(state_, &v, sizeof v); }
  void Str(const std::string& s) {
    I64(static_cast<int64_t>(s.size()));
    XXH3_64bits_update(state_, s.data(), s.size());
  }
  void Rows(const std::vector<model::Row>& rows) {
    I64(static_cast<int64_t>(rows.size()));
    for (const auto& r : rows) {
      I64(r.key);
      I64(r.written_at);
    }
  }
  void Add(int64_t step, const model::Observation& o) {
    I64(step);
    I64(o.rc);
    I64(o.value);
    I64(o.ckpt_log);
    I64(o.ckpt_done);
    Rows(o.rows);
  }
  uint64_t Value() const { return XXH3_64bits_digest(state_); }

 private:
  XXH3_state_t* state_;
};

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
                      const model::Rules& rules) {
  RunResult r;
  if (model::HasOp(s, model::OpKind::kKillAt) && !backend.KillsInsideOps()) {
    r.verdict = Verdict::kError;
    r.error = "boundary " + std::string(backend.name()) +
              " cannot kill a worker inside an op ('kill at'); use --boundary fork";
    return r;
  }
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
    r.error = e;
    backend.Finish();
    return r;
  }
  r.sqlite = backend.Sqlite();
  model::Rules effective = rules;
  if (s.config.defect == model::Defect::kCanary) effective.canary_reads_see_latest = true;
  model::Checker checker(s, effective);
  TraceHasher trace;
  for (const SqliteBuild& b : r.sqlite) {
    trace.Str(b.name);
    trace.Str(b.source_id);
  }
  for (int64_t i = 0; i < static_cast<int64_t>(s.steps.size()); ++i) {
    if (Interrupted()) {
      r.verdict = Verdict::kError;
      r.error = "interrupted";
      break;
    }
    const model::Step& step = s.steps[i];
    model::Observation o = step.op.kind == model::OpKind::kPowerLoss
                               ? backend.PowerLoss(step.op)
                               : backend.Execute(step.worker, step.op, i);
    if (Interrupted()) {  // a ^C cut this step short: not an observation
      r.verdict = Verdict::kError;
      r.error = "interrupted";
      break;
    }
    trace.Add(i, o);
    r.observations.push_back(o);
    r.steps_run = i + 1;
    if (auto m = checker.Observe(i, o)) {
      r.verdict = Verdict::kMismatch;
      r.mismatch = std::move(m);
      break;
    }
    if (!checker.limit_error().empty()) {
      r.verdict = Verdict::kError;
      r.error = checker.limit_error();
      break;
    }
  }
  VerifyResult v = backend.Finish();
  if (Interrupted() && r.verdict == Verdict::kPass) {  // the check itself was cut short
    r.verdict = Verdict::kError;
    r.error = "interrupted";
  }
  trace.Str(v.error);
  trace.Str(v.integrity);
  trace.I64(v.index_agrees);
  trace.Rows(v.rows);
  r.trace = trace.Value();
  if (r.verdict != Verdict::kPass) return r;
  if (!v.error.empty()) {
    r.mismatch = EndMismatch("verify", "the database opens and reads", v.error);
  } else if (v.integrity != "ok") {
    r.mismatch = EndMismatch("integrity", "integrity_check ok", v.integrity);
  } else if (!v.index_agrees) {
    r.mismatch = EndMismatch("index", "index kv_v holds exactly the table's keys",
                             "index and table disagree");
  } else {
    r.mismatch = checker.ObserveFinal(v.rows);
  }
  if (r.mismatch) r.verdict = Verdict::kMismatch;
  return r;
}

}  // namespace harvey::harness
