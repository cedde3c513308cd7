// `harvey agent`: serve workers to one coordinator at a time
// (harness/boundary/agent_server.h).
#include <cstdio>

#include "harness/boundary/agent_protocol.h"
#include "harness/boundary/agent_server.h"
#include "harness/cli/cli.h"

namespace harvey::harness {

int CmdAgent(const AgentArgs& a) {
  Result<std::string> token = LoadAgentToken(a.token_file);
  if (!token.ok()) {
    std::fprintf(stderr, "harvey agent: %s\n", token.error().c_str());
    return kExitUsage;
  }
  AgentOptions o;
  o.listen = a.listen;
  o.dir = a.dir;
  o.token = token.value();
  o.idle_timeout_s = a.idle_timeout_s;
  o.address_file = a.address_file;
  return AgentMain(o);
}

}  // namespace harvey::harness
