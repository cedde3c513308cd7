// `harvey explain FILE [--html OUT] [--boundary B | --agent A --agent B ...]`:
// replays a finding and tells its story (harness/report/finding_story.h). A
// probe's finding (its replay line names --agent) is replayed on those agents,
// never quietly on fork, where the boundary it found does not exist.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "harness/boundary/agent_launcher.h"
#include "harness/boundary/placements.h"
#include "harness/cli/cli.h"
#include "harness/cli/fuzz_site.h"
#include "harness/report/finding_story.h"
#include "harness/report/report.h"
#include "harness/coordinator/interleave.h"
#include "harness/coordinator/runner.h"
#include "harness/os/files.h"
#include "harness/os/interrupt.h"
#include "harness/os/scratch.h"

namespace harvey::harness {
namespace {

// Prints the story (and writes the page); the exit code of the replay.
int TellStory(const ExplainArgs& a, const FindingStory& story) {
  if (story.run.verdict == Verdict::kError) {
    std::fprintf(stderr, "harvey explain: the replay hit a harness error (harvey's problem, not a finding): %s\n",
                 story.run.error.c_str());
    return Interrupted() ? 128 + InterruptSignal() : kExitHarness;
  }
  std::fputs(StoryText(story).c_str(), stdout);
  if (!a.html.empty()) {
    if (std::string e = WriteFileAtomic(a.html, StoryHtml(story)); !e.empty()) {
      std::fprintf(stderr, "harvey explain: %s\n", e.c_str());
      return kExitEnvironment;
    }
    std::fprintf(stderr, "harvey explain: page written to %s\n", a.html.c_str());
  }
  return story.run.verdict == Verdict::kMismatch ? kExitMismatch : kExitPass;
}

Result<std::unique_ptr<ScratchDir>> Scratch(const ExplainArgs& a) {
  auto scratch = ScratchDir::Create(a.scratch_parent);
  if (!scratch.ok()) std::fprintf(stderr, "harvey explain: %s\n", scratch.error().c_str());
  return scratch;
}

// As `harvey run FILE --agent ...` replays it (cli_run.cc), with the story.
int ExplainOnAgents(const ExplainArgs& a, const std::vector<std::string>& agents, const std::string& text,
                    const model::Schedule& s) {
  if (model::HasOp(s, model::OpKind::kPowerLoss)) {
    std::fprintf(stderr, "harvey explain: %s has a power loss, which harvey cannot cause on the agents' storage\n",
                 a.file.c_str());
    return kExitUsage;
  }
  auto scratch = Scratch(a);
  if (!scratch.ok()) return kExitEnvironment;
  std::unique_ptr<Backend> backend;
  AgentLauncher* launcher = nullptr;
  if (int code = ConnectAgents("explain", agents, a.token_file, &backend, &launcher); code >= 0) return code;
  FindingStory story = ReplayStory(a.file, text, s, "agent", *backend, scratch.value()->path());
  const std::string agent_error = story.run.verdict == Verdict::kMismatch ? launcher->Health() : "";
  backend.reset();
  if (!agent_error.empty()) {
    std::fprintf(stderr, "harvey explain: %s (so this replay's result is not a finding)\n", agent_error.c_str());
    return kExitHarness;
  }
  story.replay = "harvey run " + a.file;
  for (const std::string& ag : agents) story.replay += " --agent " + ag;
  return TellStory(a, story);
}

}  // namespace

int CmdExplain(const ExplainArgs& a) {
  Result<model::Schedule> s = LoadScheduleFile(a.file);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().c_str());
    return kExitUsage;
  }
  std::string text;
  ReadWholeFile(a.file, &text);  // LoadScheduleFile read it: the comments
  const FindingHeader header = ParseFindingHeader(text);
  if (!a.agents.empty() && !a.boundary.empty()) {
    std::fprintf(stderr, "harvey explain: give --boundary or --agent, not both\n");
    return kExitUsage;
  }
  // The finding's agents unless the user names a boundary or agents.
  const std::vector<std::string> agents = a.boundary.empty() && a.agents.empty() ? header.agents : a.agents;
  if (!agents.empty()) return ExplainOnAgents(a, agents, text, s.value());
  const std::string boundary = !a.boundary.empty() ? a.boundary : !header.boundary.empty() ? header.boundary : "fork";
  int code = 0;
  if (std::string e = CheckPlacement(boundary, nullptr, &code); code == kExitUsage) {
    std::fprintf(stderr, "%s:%d: the boundary the finding names: %s\n", a.file.c_str(), header.boundary_line, e.c_str());
    return kExitUsage;
  }
  if (int c = SelectSqlite("explain", "", boundary, &s.value()); c >= 0) return c;
  auto scratch = Scratch(a);
  if (!scratch.ok()) return kExitEnvironment;
  std::string error;
  auto backend = MakeBackend(boundary, &error);
  if (!backend) {
    std::fprintf(stderr, "harvey explain: %s\n", error.c_str());
    return kExitUsage;
  }
  if (!(error = CheckPlacement(boundary, &s.value(), &code)).empty()) {
    std::fprintf(stderr, "harvey explain: %s\n", error.c_str());  // a missing tool: exit 3
    return code;
  }
  FindingStory story = ReplayStory(a.file, text, s.value(), boundary, *backend, scratch.value()->path());
  backend.reset();
  return TellStory(a, story);
}

}  // namespace harvey::harness
