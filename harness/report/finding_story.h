// A finding's story (`harvey explain`): the replay of a schedule file, the
// model's candidate states around every step (model/story.h), the slices of
// a fine-grained run, what the failure means for an application and the fix
// the matching calibration class names. Gathered once; told as text
// (StoryText) or as a self-contained HTML page (StoryHtml, story_html.cc).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/coordinator/calibration.h"
#include "harness/coordinator/interleave.h"
#include "harness/coordinator/runner.h"
#include "model/schedule.h"
#include "model/story.h"

namespace harvey::harness {

// What a finding file's header comments say (harness/report/report.h FindingText).
struct FindingHeader {
  std::string summary;   // "# harvey finding: ..." without the prefix, or ""
  std::string boundary;  // from "# replay: ... --boundary B", or ""
  int boundary_line = 0;  // its line number (1-based), 0 if none
  std::vector<std::string> agents;  // "# replay: ... --agent A --agent B" (a probe's finding), or none
  std::string found_by;  // "# found by: ...", or ""
  std::vector<std::string> comments;  // every comment line, '#' and one space removed
};
FindingHeader ParseFindingHeader(const std::string& text);

struct FindingStory {
  std::string file;
  std::string boundary;  // where it was replayed
  FindingHeader header;
  model::Schedule schedule;
  RunResult run;
  std::vector<model::StoryStep> walk;       // one per step run
  std::vector<SliceRecord> slices;          // fine-grained runs only
  std::optional<CalibrationClass> calibration;  // the class whose fix applies
  std::string meaning;  // what the failure means for an application ("" on a pass)
  std::string replay;   // the command that replays it
};

// Fills calibration, meaning and replay from the other fields.
void ConcludeStory(FindingStory& story);

// Replays `s` (read from `file`, whose text is `text`) on `backend` (made
// for `boundary`) in `db_dir`, recording slices, walks the model through
// what it observed and concludes the story. A harness error is in
// story.run (verdict kError), never a mismatch.
FindingStory ReplayStory(const std::string& file, const std::string& text, const model::Schedule& s,
                         const std::string& boundary, Backend& backend, const std::string& db_dir);

// The calibration class that names this finding's cause: by the schedule's
// defect, synchronous=OFF with a power loss, or the boundary (sshfs,
// oci-file; also a worker placed there). Nothing when none applies.
std::optional<CalibrationClass> MatchCalibration(const model::Schedule& s, const std::string& boundary);

// What worker `w` did at step `i`, in words ("starts a write transaction
// (BEGIN IMMEDIATE takes the write lock at once)").
std::string StepAction(const model::Schedule& s, size_t i);
// What an observation means, in words ("refused: BUSY, another connection
// holds the lock", "saw the value written at step 3").
std::string OutcomeWords(model::OpKind kind, const model::Observation& o);
// "ok" | "busy" | "error" | "kill" | "mismatch": the colour class of a step.
std::string OutcomeClass(const FindingStory& s, size_t i);

// The story in words (stdout of `harvey explain`).
std::string StoryText(const FindingStory& s);
// The story as one self-contained HTML page (no network fetches).
std::string StoryHtml(const FindingStory& s);

}  // namespace harvey::harness
