// The launcher of each boundary (harness/boundary/launcher.h). Each is made
// in its own file and depends only on the shared bases (launcher.h, and
// sandbox.h for the sandboxed ones), never on another launcher;
// harness/boundary/placements.cc is the one place that knows them all.
#pragma once

#include <memory>

#include "harness/boundary/launcher.h"
#include "model/result.h"

namespace harvey::harness {

std::unique_ptr<Launcher> MakeForkLauncher();                 // fork_launcher.cc
Result<std::unique_ptr<Launcher>> MakeNsLauncher();           // ns_launcher.cc
Result<std::unique_ptr<Launcher>> MakeOciLauncher(bool file_only);  // oci_launcher.cc
Result<std::unique_ptr<Launcher>> MakeSshfsLauncher();        // sshfs_launcher.cc

}  // namespace harvey::harness
