// SIGINT/SIGTERM handling: the handler only sets a flag; long loops and
// blocking reads check Interrupted() and unwind normally, so destructors
// tear down workers, mounts and scratch directories.
#pragma once

namespace harvey::harness {

// Installs the handlers (without SA_RESTART, so blocking calls return EINTR).
void InstallInterruptHandlers();
bool Interrupted();
// The signal that interrupted us (for the 128+N exit code), or 0.
int InterruptSignal();

}  // namespace harvey::harness
