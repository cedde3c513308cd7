// The worker side of the wire protocol (harness/worker/wire.h): owns one
// Connection, executes what the coordinator sends over `fd`, and reports
// VFS events when asked to pause at them. Returns the process exit code:
// 0 after Quit or EOF, 2 on a protocol error.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace harvey::harness {

int WorkerMain(int fd);

// For a worker whose coordinator is not trusted (a `harvey agent`'s worker,
// harness/boundary/agent_server.h): incoming messages longer than
// `max_message` end the worker (exit 2), and the database path of every
// Reset goes through `resolve_path`, which returns "" and sets *resolved,
// or returns one line; the worker then answers Failed with that line and
// opens nothing.
struct WorkerLimits {
  uint32_t max_message = 64u << 20;
  std::function<std::string(const std::string& requested, std::string* resolved)> resolve_path;
};
int WorkerMain(int fd, const WorkerLimits& limits);

}  // namespace harvey::harness
