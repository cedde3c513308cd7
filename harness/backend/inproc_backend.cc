#include "harness/backend/inproc_backend.h"

#include "harness/worker/durability.h"
#include "model/model.h"

namespace harvey::harness {
namespace {

// Counts events per kind and hands the masked ones to the pause policy.
class PolicyListener : public VfsListener {
 public:
  explicit PolicyListener(const PausePolicy* p) : policy_(p), mask_(p ? p->mask : 0) {}
  void OnEvent(VfsEvent event, FileRole role, int64_t arg) override {
    const auto i = static_cast<int>(event);
    counts_[i]++;
    if (policy_ && (mask_ >> i & 1) && policy_->on_event) {
      mask_ = policy_->on_event(EventInfo{event, role, arg, counts_[i]});
    }
  }

 private:
  const PausePolicy* policy_;
  uint32_t mask_;
  uint64_t counts_[static_cast<int>(VfsEvent::kCount)] = {};
};

}  // namespace

InprocBackend::~InprocBackend() {
  threads_.clear();  // before the connections their ops use
  SetVfsFsyncLies(false);
  SetCallPoints(false);
}

std::string InprocBackend::Begin(const model::Schedule& s, const std::string& db_path) {
  conns_.clear();
  // Every connection runs this process's SQLite (the CLI re-execs under
  // another build's executable first: harness/worker/sqlite_build.h).
  for (const model::Worker& w : s.workers) {
    if (WorkerSqlite(w) != BuildSqliteName()) {
      return "inproc runs every worker on this process's SQLite (" + std::string(BuildSqliteName()) +
             "), but worker " + w.name + " asks for " + WorkerSqlite(w);
    }
  }
  db_path_ = db_path;
  config_ = s.config;
  SetDurabilityTracking(model::HasOp(s, model::OpKind::kPowerLoss));
  SetVfsFsyncLies(s.config.defect == model::Defect::kFsyncLies);
  SetCallPoints(s.config.call_points);
  SeedVfs(WorkerSeed(s.config.seed, 0));
  for (size_t i = 0; i < s.workers.size(); ++i) {
    conns_.push_back(std::make_unique<Connection>());
    std::string error = conns_.back()->Reset(db_path, s.config, static_cast<int>(i));
    if (!error.empty()) return error;
  }
  return "";
}

model::Observation InprocBackend::Execute(int worker, const model::Op& op, int64_t step_index,
                                          const PausePolicy* pause) {
  Connection& conn = *conns_.at(static_cast<size_t>(worker));
  if (op.kind == model::OpKind::kKill) {
    conn.Kill();  // a dead process does not checkpoint on its way out
    return model::Observation{};
  }
  if (op.kind == model::OpKind::kKillAt) return model::Observation{.rc = model::rc::kError};
  PolicyListener listener(pause);
  VfsListener* previous = GetVfsListener();
  SetVfsListener(&listener);
  model::Observation o = conn.Execute(op, step_index);
  SetVfsListener(previous);
  return o;
}

Slice InprocBackend::StartOp(int worker, const model::Op& op, int64_t step_index) {
  if (op.kind == model::OpKind::kKill || op.kind == model::OpKind::kKillAt) {
    return Slice{.finished = true, .event = {}, .result = Execute(worker, op, step_index, nullptr), .error = {}};
  }
  if (threads_.size() <= static_cast<size_t>(worker)) threads_.resize(static_cast<size_t>(worker) + 1);
  auto& t = threads_[static_cast<size_t>(worker)];
  if (!t) t = std::make_unique<OpThread>();
  Connection* conn = conns_.at(static_cast<size_t>(worker)).get();
  return t->Start([conn, op, step_index] { return conn->Execute(op, step_index); }, PauseMask(config_));
}

Slice InprocBackend::ResumeOp(int worker) {
  return threads_.at(static_cast<size_t>(worker))->Resume();
}

model::Observation InprocBackend::PowerLoss(const model::Op& op) {
  for (auto& c : conns_) c->Kill();  // power goes: nobody checkpoints
  if (std::string e = ApplyPowerLoss(db_path_, op.seed, config_.sector_size); !e.empty()) {
    failure_.error = "power loss: " + e;  // rewriting the files is harvey's job, not SQLite's
    return model::Observation{.rc = model::rc::kError};
  }
  for (size_t i = 0; i < conns_.size(); ++i) {
    if (std::string e = conns_[i]->Reset(db_path_, config_, static_cast<int>(i)); !e.empty()) {
      model::Observation o;
      o.recovery_problem = "reopen after power loss: " + e;
      return o;
    }
  }
  return RecoveryObservation(Verify(db_path_, config_));
}

std::vector<SqliteBuild> InprocBackend::Sqlite() const {
  return std::vector<SqliteBuild>(conns_.size(), ThisSqlite());
}

VerifyResult InprocBackend::Finish() {
  conns_.clear();
  SetVfsFsyncLies(false);
  SetCallPoints(false);
  return Verify(db_path_, config_);
}

}  // namespace harvey::harness
