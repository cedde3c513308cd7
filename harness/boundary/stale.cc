// Cleanup after a crashed coordinator (see RemoveStaleBoundaryState in
// harness/boundary/sandbox.h). Workers, hosts, sshd and ssh clients die with the
// coordinator (PR_SET_PDEATHSIG chains), and sshfs mounts live only in
// namespaces that die with them; what can outlive it is runc's record of a
// container (/run/runc/<id>), and — should a mount ever escape — a mount
// under a dead coordinator's scratch directory.
#include <sys/mount.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness/os/process.h"
#include "harness/boundary/sandbox.h"

namespace harvey::harness {
namespace {

// The pid in "harvey-<pid>-..." (at the start of `name`), or -1.
long PidOfName(const std::string& name) {
  if (name.rfind("harvey-", 0) != 0) return -1;
  char* end = nullptr;
  const long pid = std::strtol(name.c_str() + 7, &end, 10);
  return (end != name.c_str() + 7 && *end == '-') ? pid : -1;
}

void RemoveStaleContainers(std::vector<std::string>* notes) {
  const std::string runc = FindTool("runc");
  if (runc.empty()) return;
  CommandResult list = RunCommand({runc, "list", "--quiet"}, 10000);
  if (list.exit_code != 0) return;
  std::istringstream in(list.output);
  std::string id;
  while (in >> id) {
    const long pid = PidOfName(id);
    if (pid < 0 || PidAlive(pid)) continue;
    CommandResult r = RunCommand({runc, "delete", "--force", id}, 10000);
    if (r.exit_code == 0) notes->push_back("deleted stale container " + id);
  }
}

void RemoveStaleMounts(std::vector<std::string>* notes) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::vector<std::string> stale;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    f >> id >> parent >> dev >> root >> point;
    const size_t at = point.find("/harvey-");
    if (at == std::string::npos) continue;
    const long pid = PidOfName(point.substr(at + 1));
    if (pid >= 0 && !PidAlive(pid)) stale.push_back(point);
  }
  for (auto it = stale.rbegin(); it != stale.rend(); ++it) {  // innermost first
    if (::umount2(it->c_str(), MNT_DETACH) == 0) notes->push_back("unmounted stale " + *it);
  }
}

}  // namespace

std::vector<std::string> RemoveStaleBoundaryState() {
  std::vector<std::string> notes;
  RemoveStaleMounts(&notes);
  RemoveStaleContainers(&notes);
  for (const std::string& n : notes) std::fprintf(stderr, "harvey: %s\n", n.c_str());
  return notes;
}

}  // namespace harvey::harness
