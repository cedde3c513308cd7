// The first steps of a forked child that becomes a worker (the fork
// launcher's, a sandbox host's, a `harvey agent`'s): one place, so the
// three cannot drift apart.
#pragma once

#include <sys/types.h>

namespace harvey::harness {

// In the child of fork(), before anything else: dies with its parent
// (PR_SET_PDEATHSIG SIGKILL; returns false if `parent` is already gone, and
// the caller must _exit(0)); leaves ^C and hangups to the coordinator
// (SIGINT, SIGHUP ignored), ends on SIGTERM (default), and turns a write to
// a closed socket into an error instead of a signal (SIGPIPE ignored); and
// keeps only its socket `fd`, as fd 3 (still close-on-exec if it was):
// other workers' sockets, spares, control channels and listeners of the
// parent must not stay open in a worker. _exit(2)s if fd 3 cannot be set.
bool EnterWorkerChild(pid_t parent, int fd);

}  // namespace harvey::harness
