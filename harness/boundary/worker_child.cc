#include "harness/boundary/worker_child.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>

namespace harvey::harness {

bool EnterWorkerChild(pid_t parent, int fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) return false;
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGPIPE, SIG_IGN);
  if (fd != 3 && ::dup2(fd, 3) < 0) _exit(2);
  ::close_range(4, ~0u, 0);
  return true;
}

}  // namespace harvey::harness
