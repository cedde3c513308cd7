// Which SQLite a process runs, and where the executables for the other
// SQLite builds are (see "SQLite versions" in harness/README.md).
//
// harvey is built once per SQLite: `harvey` links the system library
// ("system", Debian's), `harvey-sqlite-V` links the amalgamation of version V
// (ci/fetch-sqlite; CMake's HARVEY_SQLITE_VERSIONS). All sit in one
// directory. A worker whose schedule names another build than the running
// process's is started by exec'ing that build's executable
// (`harvey-sqlite-V __worker --fd 3`, or as the sandbox's `__host`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/schedule.h"

namespace harvey::harness {

inline constexpr const char* kSystemSqlite = "system";

// What one process runs.
struct SqliteBuild {
  std::string name;       // "system" or "3.54.1": what schedules call it
  std::string version;    // sqlite3_libversion()
  std::string source_id;  // sqlite3_sourceid()
  bool operator==(const SqliteBuild&) const = default;
};

// The build this process links ("system" unless it is a harvey-sqlite-V).
const char* BuildSqliteName();

// This process's build (name, and what the linked library reports).
SqliteBuild ThisSqlite();

// "" if this process's library reports what its name promises (a versioned
// build must report that version), else one line (a build error: exit 4).
std::string CheckThisSqlite();

// The build a worker runs: its `sqlite` line, else "system".
std::string WorkerSqlite(const model::Worker& w);

// Called first by harvey's main(): this executable runs the harvey CLI (and
// `__host`/`__worker`), whatever its file is called.
void MarkThisExecutableTheCli();

// The executable of build `name`: this one if it is that build and either
// named for it or marked as the CLI (the fuzz build's harvey_fuzz), else
// `harvey` / `harvey-sqlite-NAME` beside the harvey executable (process.h's
// HarveyBinary()). "" if it does not exist.
std::string SqliteBinary(const std::string& name);

// One line for a build that is not here: what to run to build it.
std::string SqliteNotBuiltMessage(const std::string& name);

// Checks a --sqlite value ("V", or a mix "system+3.54.1": worker i gets part
// i mod n). Returns "" or one line with *exit_code 2 (not a build name) or 3
// (not built here).
std::string CheckSqliteSpec(std::string_view spec, int* exit_code);

// Gives every worker of `s` without a `sqlite` line its part of `spec` (as
// above); "" leaves them alone (they run "system").
void ApplySqlite(model::Schedule* s, std::string_view spec);

// Checks that every worker's build of `s` is built here. Returns "" or one
// line with *exit_code 3.
std::string CheckScheduleSqlite(const model::Schedule& s, int* exit_code);

// The build worker `w` runs when this process starts it: its `sqlite` line,
// or this process's own build for a worker without one (a forked worker or
// an inproc thread runs it). Unlike WorkerSqlite, which names a missing
// line "system".
std::string RunningSqlite(const model::Worker& w);

// Whether a worker of `s` runs a V-shm build (RunningSqlite).
bool RunsShmBuild(const model::Schedule& s);

// The builds of `s`'s workers, in worker order, without repeats.
std::vector<std::string> ScheduleSqlites(const model::Schedule& s);

// "sqlite 3.54.1: 3.54.1 (SOURCE_ID)" per distinct build in `builds`, one
// per line, each prefixed with `indent` (for summaries of many runs).
std::string DescribeBuilds(const std::vector<SqliteBuild>& builds, const std::string& indent);

// Every build available here: "system" first, then each harvey-sqlite-V
// beside the harvey executable, each asked for its version and source id
// (`BINARY __version`). A binary that does not answer has an empty version.
std::vector<SqliteBuild> AvailableSqlite();

// Replaces this process with build `name`'s executable, same arguments
// (/proc/self/cmdline). Returns only on failure, with one line. Refuses to
// run twice in a chain (HARVEY_REEXEC), so a misnamed build cannot loop.
std::string ReexecUnder(const std::string& name);

// "sqlite w1: system 3.40.1 (2022-12-28 14:03:47 df5c...)" per worker of
// `s`, one per line, each prefixed with `indent`: the lines reports show.
// Each worker's build is looked up by name (WorkerSqlite) in `builds` (any
// builds seen, e.g. RunResult::sqlite); one not found shows its name only.
std::string DescribeSqlite(const model::Schedule& s, const std::vector<SqliteBuild>& builds,
                           const std::string& indent);

}  // namespace harvey::harness
