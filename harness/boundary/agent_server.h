// `harvey agent`: the long-running process a user starts wherever their
// application would run (a container, a pod, a VM, the host). It serves
// worker processes to one coordinator at a time over TCP or a Unix socket
// (protocol: harness/boundary/agent_protocol.h; the workers speak
// harness/worker/wire.h), forking them, so `kill` and `kill at` reach them.
//
// What it guarantees, whoever connects:
//   - a connection that does not present the shared token (compared in
//     constant time) gets one line ("wrong token") and is closed; nothing
//     is written anywhere;
//   - one coordinator at a time: a second control connection gets one line
//     naming the one being served (also in the agent's log);
//   - messages are capped (hello 4 KiB, control 1 MiB, worker input 64 KiB),
//     so are connections waiting for their hello (16, 5 s each) and workers
//     per coordinator (32); an oversized message ends that connection with
//     one line; a coordinator silent for `idle_timeout_s` loses its session;
//   - it creates files only in DIR, under names it chooses
//     (DIR/harvey-<session>/<n>/harvey.db and DIR/harvey-share-<hex>), and
//     its workers open only such database names (no "..", no symlinks on the
//     way, checked before SQLite sees the path); it never runs a shell or
//     any other program;
//   - when a session ends (EOF, idle, error) its workers are SIGKILLed and
//     reaped and its files removed.
// Every decision is one line on stderr (the agent's log).
#pragma once

#include <string>

namespace harvey::harness {

struct AgentOptions {
  std::string listen;             // HOST:PORT, [V6]:PORT or unix:/path (port 0: any free port)
  std::string dir;                // the directory it serves (must exist)
  std::string token;              // the shared secret (harness/boundary/agent_protocol.h LoadAgentToken)
  int idle_timeout_s = 300;       // a control connection silent this long is dropped
  int handshake_timeout_ms = 5000;
  int max_pending = 16;           // connections waiting for their hello
  int max_workers = 32;           // live workers per coordinator
  std::string address_file;       // if set: the bound address is written here once listening, removed at stop
};

// Serves until SIGINT/SIGTERM (harness/os/interrupt.h). Returns the exit
// code: 0 after a signal, 2 for a bad address or directory, 3 when the
// address cannot be bound.
int AgentMain(const AgentOptions& options);

}  // namespace harvey::harness
