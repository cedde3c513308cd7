// `harvey probe` and the --agent option of `harvey run`: campaigns and
// replays whose workers run on `harvey agent`s (harness/boundary/agent_launcher.h).
// The campaign itself is `harvey fuzz`'s (cli_fuzz.cc), given a FuzzSite.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "harness/backend/fork_backend.h"
#include "harness/boundary/agent_launcher.h"
#include "harness/cli/cli.h"
#include "harness/cli/fuzz_site.h"
#include "harness/worker/sqlite_build.h"

namespace harvey::harness {

int ConnectAgents(const char* cmd, const std::vector<std::string>& agents, const std::string& token_file,
                  std::unique_ptr<Backend>* backend, AgentLauncher** launcher) {
  Result<std::string> token = LoadAgentToken(token_file);
  if (!token.ok()) {
    std::fprintf(stderr, "harvey %s: %s\n", cmd, token.error().c_str());
    return kExitUsage;
  }
  Result<std::unique_ptr<AgentLauncher>> l = AgentLauncher::Connect(agents, token.value());
  if (!l.ok()) {
    std::fprintf(stderr, "harvey %s: %s (harvey could not reach its agents: not a finding)\n", cmd, l.error().c_str());
    return kExitHarness;
  }
  std::fputs(l.value()->Describe("").c_str(), stderr);
  if (std::string e = l.value()->ProveSharedDirectory(); !e.empty()) {
    std::fprintf(stderr, "harvey %s: %s\n", cmd, e.c_str());
    return kExitEnvironment;
  }
  if (agents.size() > 1) {
    std::fprintf(stderr, "harvey %s: the %zu agents share one directory (a file written by the first was read back by every other)\n",
                 cmd, agents.size());
  }
  *launcher = l.value().get();
  *backend = std::make_unique<ForkBackend>("agent", std::move(l.value()));
  return -1;
}

namespace {

// `--agent @DIR`: one address per DIR/*.addr file (an agent's
// --address-file), in name order. For agents whose addresses
// are known only at run time (pods writing theirs to a shared volume).
Result<std::vector<std::string>> ExpandAgents(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (const std::string& g : given) {
    if (g.empty() || g[0] != '@') {
      out.push_back(g);
      continue;
    }
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(g.substr(1), ec)) {
      if (e.is_regular_file() && e.path().extension() == ".addr") files.push_back(e.path());
    }
    if (ec) return Error{"--agent " + g + ": " + ec.message()};
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::string line;
      std::getline(std::ifstream(f), line);
      if (!line.empty()) out.push_back(line);
    }
    if (files.empty()) return Error{"--agent " + g + ": no *.addr file in " + g.substr(1)};
  }
  return out;
}

int ProbeOn(const ProbeArgs& a);

}  // namespace

int CmdProbe(const ProbeArgs& given) {
  Result<std::vector<std::string>> agents = ExpandAgents(given.agents);
  if (!agents.ok()) {
    std::fprintf(stderr, "harvey probe: %s\n", agents.error().c_str());
    return kExitUsage;
  }
  ProbeArgs a = given;
  a.agents = agents.value();
  return ProbeOn(a);
}

namespace {

int ProbeOn(const ProbeArgs& a) {
  if (a.agents.empty()) {
    std::fprintf(stderr, "harvey probe: give --agent ADDR at least once (twice or more to test a boundary)\n");
    return kExitUsage;
  }
  FuzzSite site;
  AgentLauncher* launcher = nullptr;
  if (int code = ConnectAgents("probe", a.agents, a.token_file, &site.backend, &launcher); code >= 0) return code;
  FuzzArgs f = a.fuzz;
  f.boundary = "agent";
  if (f.power_loss_percent > 0) {
    std::fprintf(stderr, "harvey probe: power loss cannot be caused on the agents' storage (harvey does not own it): "
                         "%u%% more kills per step instead (power-losses 0)\n", f.power_loss_percent);
    f.kill_percent = std::min(100u, f.kill_percent + f.power_loss_percent);
    f.power_loss_percent = 0;
  }
  // Worker i runs on agent i mod n, so it runs that agent's SQLite.
  std::string builds;
  bool all_system = true;
  for (const AgentEndpoint& e : launcher->agents()) {
    builds += (builds.empty() ? "" : "+") + e.facts.sqlite;
    all_system = all_system && e.facts.sqlite == kSystemSqlite;
  }
  if (f.sqlite.empty() && !all_system) f.sqlite = builds;
  site.label = "agents";
  site.command = "harvey probe";
  site.replay_flags = "";
  for (const std::string& addr : a.agents) {
    site.command += " --agent " + addr;
    site.replay_flags += (site.replay_flags.empty() ? "" : " ") + std::string("--agent ") + addr;
  }
  site.describe = launcher->Describe("");
  nlohmann::json agents = nlohmann::json::array();
  for (const AgentEndpoint& e : launcher->agents()) {
    agents.push_back({{"address", e.address}, {"host", e.facts.host}, {"kernel", e.facts.kernel},
                      {"dir", e.facts.dir}, {"fs_type", e.facts.fs_type}, {"sqlite", e.facts.sqlite},
                      {"version", e.facts.sqlite_version}, {"source_id", e.facts.sqlite_source_id}});
  }
  site.json = {{"agents", agents}, {"power_losses", 0}};
  site.health = [launcher] { return launcher->Health(); };
  return CmdFuzz(f, &site);
}

}  // namespace

}  // namespace harvey::harness
