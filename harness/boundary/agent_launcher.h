// `agent`: workers placed on running `harvey agent`s (harness/boundary/agent_server.h)
// that the user started on the other side of their own boundary. Slot i
// runs on agent i mod n (round-robin); each agent forks its workers, so
// `kill` and `kill at` reach them there (Kill asks the agent, which
// SIGKILLs and reaps before it answers).
//
// Per schedule, StageDatabase sends the database the runner created (a
// fresh file: schema, WAL mode) to the first agent, which writes it into
// its directory under a name it chooses; every worker is then told that
// name, which each agent resolves inside its own directory. So all agents
// must serve the *same* directory (ProveSharedDirectory checks it).
//
// Power loss cannot be caused on storage harvey does not own: schedules
// with one are refused before they start (the probe generates kills
// instead). An agent that stops answering is a harness error, never a
// finding: Health() says which.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/boundary/agent_protocol.h"
#include "harness/boundary/launcher.h"
#include "model/result.h"

namespace harvey::harness {

struct AgentEndpoint {
  std::string address;  // as given (--agent)
  AgentFacts facts;     // from its Welcome
};

class AgentLauncher : public Launcher {
 public:
  // Connects to every agent (control connection, token) within timeout_ms
  // each. Error: one line naming the agent (unreachable, refused: wrong
  // token, busy, ...).
  static Result<std::unique_ptr<AgentLauncher>> Connect(const std::vector<std::string>& addresses,
                                                        const std::string& token, int timeout_ms = 10000);
  ~AgentLauncher() override;

  std::string_view name() const override { return "agent"; }
  std::string StageDatabase(std::string* host_db_path) override;
  std::string Spawn(int slot, const std::string& host_db_path, const std::string& sqlite, pid_t* id,
                    int* fd) override;
  bool Reaches(int slot, const std::string& host_db_path) const override;
  int Kill(int slot, pid_t id) override;
  std::string WorkerPath(int slot, const std::string& host_db_path) const override { return host_db_path; }

  // The first agent writes a nonce file; every other must read it back.
  // "" or one line naming the agent that does not see it.
  std::string ProveSharedDirectory();
  // Pings every agent: "" or one line naming the first that does not answer.
  std::string Health();

  const std::vector<AgentEndpoint>& agents() const { return agents_; }
  // One line per agent: "agent ADDR: host H, Linux R, DIR (fs), SQLite NAME VERSION".
  std::string Describe(const std::string& indent) const;

 private:
  AgentLauncher(std::string token) : token_(std::move(token)) {}
  // Sends a control request to agent `i` and waits (10 s) for the reply.
  std::optional<Decoder> Ask(size_t i, const Encoder& request, std::string* error);

  // Opens a worker connection to agent `i` and sends its hello without
  // waiting for the reply: the next Spawn there takes it (a kill's
  // replacement then costs no round trip). -1 on failure.
  int OpenSpare(size_t i);

  std::string token_;
  std::vector<AgentEndpoint> agents_;
  std::vector<int> control_;   // per agent; -1 once broken
  std::vector<int> spare_;     // per agent: a worker connection whose Spawned is not read yet, or -1
};

}  // namespace harvey::harness
