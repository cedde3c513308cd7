// The worker side of the wire protocol (harness/worker/wire.h): owns one
// Connection, executes what the coordinator sends over `fd`, and reports
// VFS events when asked to pause at them. Returns the process exit code:
// 0 after Quit or EOF, 2 on a protocol error.
#pragma once

namespace harvey::harness {

int WorkerMain(int fd);

}  // namespace harvey::harness
