#include "harness/inproc_backend.h"

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

std::string InprocBackend::Begin(const model::Schedule& s, const std::string& db_path) {
  conns_.clear();
  db_path_ = db_path;
  config_ = s.config;
  SeedVfs(WorkerSeed(s.config.seed, 0));
  for (size_t i = 0; i < s.workers.size(); ++i) {
    conns_.push_back(std::make_unique<Connection>());
    std::string error = conns_.back()->Reset(db_path, s.config);
    if (!error.empty()) return error;
  }
  return "";
}

model::Observation InprocBackend::Execute(int worker, const model::Op& op, int64_t step_index,
                                          const PausePolicy* pause) {
  PolicyListener listener(pause);
  VfsListener* previous = GetVfsListener();
  SetVfsListener(&listener);
  model::Observation o = conns_.at(static_cast<size_t>(worker))->Execute(op, step_index);
  SetVfsListener(previous);
  return o;
}

VerifyResult InprocBackend::Finish() {
  conns_.clear();
  return Verify(db_path_, config_);
}

}  // namespace harvey::harness
