#include "harness/boundary/placements.h"

#include <unistd.h>

#include <utility>

#include "harness/boundary/launchers.h"
#include "harness/os/process.h"
#include "harness/worker/sqlite_build.h"

namespace harvey::harness {
namespace {

bool IsExecutable(const std::string& p) { return !p.empty() && ::access(p.c_str(), X_OK) == 0; }

std::string NeedTool(const std::string& boundary, const std::string& tool, const std::string& package) {
  if (IsExecutable(FindTool(tool))) return "";
  return "boundary " + boundary + " needs " + tool + ", which is not installed (apt-get install " +
         package + ", or run ci/setup)";
}

}  // namespace

std::string MissingTool(std::string_view boundary_view) {
  const std::string b(boundary_view);
  if (b == "fork" || b == "inproc") return "";
  const bool known = b == "ns" || b == "oci" || b == "oci-file" || b == "sshfs";
  if (!known) return "";
  if (HarveyBinary().empty()) {
    return "boundary " + b + " runs workers from the harvey executable, which was not found "
           "(set HARVEY_BINARY to its path)";
  }
  if (b == "ns") return NeedTool(b, "bwrap", "bubblewrap");
  if (b == "oci" || b == "oci-file") {
    if (::geteuid() != 0) return "boundary " + b + " runs runc, which needs root (run harvey as root)";
    return NeedTool(b, "runc", "runc");
  }
  // sshfs
  if (::geteuid() != 0) return "boundary sshfs mounts in private namespaces, which needs root";
  for (auto [tool, package] : {std::pair{"sshfs", "sshfs"}, {"sshd", "openssh-server"},
                               {"ssh", "openssh-client"}, {"ssh-keygen", "openssh-client"},
                               {"unshare", "util-linux"}}) {
    if (std::string e = NeedTool(b, tool, package); !e.empty()) return e;
  }
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    return "boundary sshfs needs /dev/fuse, which is missing or not writable (modprobe fuse; in a "
           "container, pass --device /dev/fuse)";
  }
  return "";
}

std::string CheckPlacement(std::string_view spec, const model::Schedule* s, int* exit_code) {
  std::vector<std::string> wanted = SplitBoundaries(spec);
  const bool inproc = spec == "inproc";
  *exit_code = 2;
  for (const std::string& b : wanted) {
    const bool known = b == "fork" || b == "ns" || b == "oci" || b == "oci-file" || b == "sshfs";
    if (!known && !inproc) {
      return "unknown boundary '" + b + "' (known: fork, inproc, ns, oci, oci-file, sshfs, or a mix such as fork+oci)";
    }
  }
  for (size_t i = 0; s && i < s->workers.size(); ++i) {
    const model::Worker& w = s->workers[i];
    if (w.boundary.empty() || w.boundary == spec) continue;
    const bool known = w.boundary == "fork" || w.boundary == "ns" || w.boundary == "oci" ||
                       w.boundary == "oci-file" || w.boundary == "sshfs";
    if (!known) return "worker " + w.name + " is placed on unknown boundary '" + w.boundary + "'";
    if (inproc) {
      return "worker " + w.name + " is placed on " + w.boundary +
             ", but --boundary inproc runs every worker in one process (use fork, ns, ...)";
    }
    wanted.push_back(w.boundary);
  }
  bool power_loss = false;
  for (size_t i = 0; s && i < s->steps.size(); ++i) {
    power_loss = power_loss || s->steps[i].op.kind == model::OpKind::kPowerLoss;
  }
  for (const std::string& b : wanted) {
    if (power_loss && !PowerLossModelled(b)) {
      return "this schedule has a power loss, which is not modelled on " + b +
             " (each container's -wal and power-loss bookkeeping are private)";
    }
  }
  *exit_code = 3;
  for (const std::string& b : wanted) {
    if (std::string e = MissingTool(b); !e.empty()) return e;
  }
  *exit_code = 0;
  return "";
}

bool PowerLossModelled(std::string_view spec) {
  for (const std::string& b : SplitBoundaries(spec)) {
    if (b == "oci-file") return false;
  }
  return true;
}

Result<std::unique_ptr<Launcher>> MakeLauncher(std::string_view boundary) {
  if (boundary == "fork") return MakeForkLauncher();
  if (std::string e = MissingTool(boundary); !e.empty()) return Error{e};
  if (boundary == "ns") return MakeNsLauncher();
  if (boundary == "oci") return MakeOciLauncher(false);
  if (boundary == "oci-file") return MakeOciLauncher(true);
  if (boundary == "sshfs") return MakeSshfsLauncher();
  if (boundary == "inproc") return Error{"inproc runs every worker in the coordinator; it cannot be mixed with other placements"};
  return Error{"unknown boundary '" + std::string(boundary) + "' (known: fork, inproc, ns, oci, oci-file, sshfs)"};
}

Launcher* Placements::Get(std::string_view boundary, std::string* error) {
  if (auto it = launchers_.find(boundary); it != launchers_.end()) return it->second.get();
  Result<std::unique_ptr<Launcher>> l = MakeLauncher(boundary);
  if (!l.ok()) {
    *error = l.error();
    return nullptr;
  }
  Launcher* raw = l.value().get();
  launchers_.emplace(std::string(boundary), std::move(l.value()));
  return raw;
}

std::vector<std::string> SplitBoundaries(std::string_view spec) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t plus = spec.find('+', start);
    out.emplace_back(spec.substr(start, plus == std::string_view::npos ? spec.npos : plus - start));
    if (plus == std::string_view::npos) break;
    start = plus + 1;
  }
  return out;
}

}  // namespace harvey::harness
