// The OCI runtime bundle harvey generates for runc (config.json): a
// read-only root made of bind-mounted host directories, the harvey binary,
// the database volume(s), and private pid/network/ipc/uts/mount namespaces
// (network none: only a loopback that stays down).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harvey::harness {

struct OciMount {
  std::string destination;
  std::string source;
  bool read_only = false;
};

struct OciSpec {
  std::string rootfs;    // absolute; holds the mount points and symlinks
  std::string hostname;
  std::vector<std::string> args;
  std::vector<std::string> env;  // besides PATH
  std::vector<OciMount> binds;  // after /proc, /dev, /tmp; in order
};

nlohmann::json OciConfig(const OciSpec& spec);

// Creates `rootfs` (once): a directory per bind destination, an empty file
// for file destinations, and the host's root symlinks. Returns "" or what failed.
std::string MakeOciRootfs(const std::string& rootfs, const std::vector<OciMount>& binds,
                          const std::vector<std::string>& file_destinations);

}  // namespace harvey::harness
