// Where a `harvey fuzz` campaign runs when it is not a --boundary of this
// machine: `harvey probe` (harness/cli/cli_probe.cc) hands CmdFuzz a backend
// on agents it connected to, with the words that name them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/backend/backend.h"

namespace harvey::harness {

struct FuzzSite {
  std::unique_ptr<Backend> backend;
  std::string label;         // "agents" (the summary's "fuzz LABEL seed ...")
  std::string command;       // "harvey probe --agent A --agent B" (found-by lines)
  std::string replay_flags;  // "--agent A --agent B" (replay hints)
  std::string describe;      // lines naming each agent (printed with the summary)
  nlohmann::json json;       // merged into --json
  // Called on a finding: "" if the site is healthy, else the harness error
  // (an agent that died) that explains it: exit 4, not a finding.
  std::function<std::string()> health;
};

}  // namespace harvey::harness

namespace harvey::harness {

class AgentLauncher;

// For `run` and `probe` with --agent: loads the token, connects to every
// agent, proves they share their directory, prints what each is, and makes
// a backend whose workers all run there (*launcher: for Health()). Returns
// -1 on success, else the exit code after one line on stderr starting with
// "harvey CMD:" (2 usage/token, 3 agents that do not share a directory,
// 4 an agent unreachable or refusing).
int ConnectAgents(const char* cmd, const std::vector<std::string>& agents, const std::string& token_file,
                  std::unique_ptr<Backend>* backend, AgentLauncher** launcher);

}  // namespace harvey::harness
