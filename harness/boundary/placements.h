// Boundary names -> launchers: which boundaries exist, whether one can run
// here, and the per-campaign set of launchers (harness/boundary/launcher.h).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/boundary/launcher.h"
#include "model/result.h"
#include "model/schedule.h"

namespace harvey::harness {

// Every boundary name `--boundary` takes (a mix is several joined by '+').
inline constexpr const char* kBoundaryNames[] = {"fork", "inproc", "ns", "oci", "oci-file", "sshfs"};

// "" if `boundary` can run here, else one line naming the missing piece and
// what to do (the CLI exits 3). Unknown names: "".
std::string MissingTool(std::string_view boundary);

// Checks, before anything starts, that a run on `spec` (a --boundary value)
// with the per-worker placements of `s` (may be null) can run here. Returns
// "" or one line, with *exit_code 2 (unknown name; inproc mixed with
// process placements; a power loss where it is not modelled) or 3 (a tool
// or device is missing).
std::string CheckPlacement(std::string_view spec, const model::Schedule* s, int* exit_code);

// Whether power loss is modelled when workers run on `spec` (not on
// oci-file: each container's -wal, and the power-loss bookkeeping kept
// beside each file as its writer sees it, are private to the container).
bool PowerLossModelled(std::string_view spec);

// Creates the launcher for one boundary name (not "inproc", not a mix).
Result<std::unique_ptr<Launcher>> MakeLauncher(std::string_view boundary);

// Boundary name -> launcher, each created on first use and kept until this
// object dies (which tears all of them down).
class Placements {
 public:
  Launcher* Get(std::string_view boundary, std::string* error);
  // Registers a launcher made elsewhere (e.g. `agent`, which needs
  // addresses and a token) under `boundary`.
  void Adopt(std::string boundary, std::unique_ptr<Launcher> launcher) {
    launchers_[std::move(boundary)] = std::move(launcher);
  }

 private:
  std::map<std::string, std::unique_ptr<Launcher>, std::less<>> launchers_;
};

// Splits "fork+oci" into {"fork", "oci"}.
std::vector<std::string> SplitBoundaries(std::string_view spec);

}  // namespace harvey::harness
