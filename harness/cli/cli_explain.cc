// `harvey explain FILE [--html OUT] [--boundary B]`: replays a finding and
// tells its story (harness/report/finding_story.h).
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "harness/boundary/placements.h"
#include "harness/cli/cli.h"
#include "harness/report/finding_story.h"
#include "harness/report/report.h"
#include "harness/coordinator/interleave.h"
#include "harness/coordinator/runner.h"
#include "harness/os/files.h"
#include "harness/os/interrupt.h"
#include "harness/os/scratch.h"

namespace harvey::harness {

int CmdExplain(const ExplainArgs& a) {
  Result<model::Schedule> s = LoadScheduleFile(a.file);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().c_str());
    return kExitUsage;
  }
  std::string text;
  ReadWholeFile(a.file, &text);  // LoadScheduleFile read it: the comments
  const FindingHeader header = ParseFindingHeader(text);
  const std::string boundary = !a.boundary.empty() ? a.boundary : !header.boundary.empty() ? header.boundary : "fork";
  int code = 0;
  if (std::string e = CheckPlacement(boundary, nullptr, &code); code == kExitUsage) {
    std::fprintf(stderr, "%s:%d: the boundary the finding names: %s\n", a.file.c_str(), header.boundary_line, e.c_str());
    return kExitUsage;
  }
  if (int c = SelectSqlite("explain", "", boundary, &s.value()); c >= 0) return c;
  auto scratch = ScratchDir::Create(a.scratch_parent);
  if (!scratch.ok()) {
    std::fprintf(stderr, "harvey explain: %s\n", scratch.error().c_str());
    return kExitEnvironment;
  }
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

}  // namespace harvey::harness
