// How results are shown: the multi-line human report of a mismatch (stderr),
// the JSON form, and the header comment a saved finding carries.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "harness/coordinator/runner.h"
#include "harness/worker/sqlite_build.h"
#include "model/checker.h"
#include "model/result.h"
#include "model/schedule.h"

namespace harvey::harness {

// "MISMATCH at step 12 (w2 read 3)\n  expected: ...\n  observed: ...\n"
std::string MismatchReport(const model::Mismatch& m);

nlohmann::json ToJson(const model::Mismatch& m);

// Lines that qualify a finding on `s`: an unsafe configuration
// (synchronous=OFF with power loss) or a calibration defect. "" if none.
std::string ContextNotes(const model::Schedule& s);

// The schedule text with a header comment saying what failed, under which
// SQLite builds (looked up by name in `sqlite`, see DescribeSqlite), and how
// to replay.
std::string FindingText(const model::Schedule& s, const model::Mismatch& m,
                        const std::string& found_by, const std::string& boundary,
                        const std::vector<SqliteBuild>& sqlite = {});

// {"sqlite":"3.54.1","version":"3.54.1","source_id":"..."}
nlohmann::json ToJson(const SqliteBuild& b);
// The inverse of ToJson (missing fields: "").
SqliteBuild SqliteBuildFromJson(const nlohmann::json& j);

// [{"worker":"w1","sqlite":"system","version":"3.40.1","source_id":"..."}, ...]
// for the workers of `s` (builds looked up by name as in DescribeSqlite).
nlohmann::json SqliteJson(const model::Schedule& s, const std::vector<SqliteBuild>& sqlite);

// Reads and parses a schedule file. Error: "file:line: ..." or "file: cannot read: ...".
Result<model::Schedule> LoadScheduleFile(const std::string& path);


}  // namespace harvey::harness
