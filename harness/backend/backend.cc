#include "harness/backend/backend.h"

#include "harness/backend/fork_backend.h"
#include "harness/backend/inproc_backend.h"
#include "harness/boundary/placements.h"
#include "model/rng.h"

namespace harvey::harness {

std::unique_ptr<Backend> MakeBackend(std::string_view name, std::string* error) {
  if (name == "inproc") return std::make_unique<InprocBackend>();
  // Every other boundary, and mixes such as "fork+oci", are launchers of the
  // fork backend (harness/boundary/launcher.h); they start on first use.
  for (const std::string& part : SplitBoundaries(name)) {
    const bool known = part == "fork" || part == "ns" || part == "oci" || part == "oci-file" ||
                       part == "sshfs";
    if (!known) {
      *error = "unknown boundary '" + std::string(name) +
               "' (known: fork, inproc, ns, oci, oci-file, sshfs, or a mix such as fork+oci)";
      return nullptr;
    }
  }
  return std::make_unique<ForkBackend>(std::string(name));
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


}  // namespace harvey::harness
