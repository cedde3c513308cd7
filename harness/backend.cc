#include "harness/backend.h"

#include "harness/fork_backend.h"
#include "harness/inproc_backend.h"
#include "model/rng.h"

namespace harvey::harness {

std::unique_ptr<Backend> MakeBackend(std::string_view name, std::string* error) {
  if (name == "inproc") return std::make_unique<InprocBackend>();
  if (name == "fork") return std::make_unique<ForkBackend>();
  *error = "unknown boundary '" + std::string(name) + "' (known: fork, inproc)";
  return nullptr;
}

model::Observation RecoveryObservation(const VerifyResult& v) {
  model::Observation o;
  o.rows = v.rows;
  if (!v.error.empty()) {
    o.recovery_problem = v.error;
  } else if (v.integrity != "ok") {
    o.recovery_problem = "integrity_check: " + v.integrity;
  } else if (!v.index_agrees) {
    o.recovery_problem = "index kv_v and table kv disagree";
  }
  // One short line: integrity_check can list hundreds of problems.
  std::string& p = o.recovery_problem;
  for (char& c : p) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (p.size() > 300) p = p.substr(0, 300) + "...";
  return o;
}

uint64_t WorkerSeed(uint64_t seed, int index) {
  uint64_t s = seed ^ (0x5EEDull << 32) ^ static_cast<uint64_t>(index + 1);
  return model::SplitMix64(s);
}

}  // namespace harvey::harness
