// One cell of `harvey matrix`: a corpus case run on one boundary under one
// SQLite build (harness/cli/cli_matrix.cc draws the table).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/backend/backend.h"
#include "harness/worker/sqlite_build.h"
#include "model/schedule.h"

namespace harvey::harness {

// A column: a boundary, and the SQLite build ("" = as each file says, else
// system; "3.54.1"; a mix "system+3.54.1") given to workers without a
// `sqlite` line.
struct MatrixColumn {
  std::string boundary;
  std::string sqlite;
  std::string label;  // "fork", or "fork/3.54.1" when the matrix has a --sqlite axis
};

struct MatrixCell {
  std::string status;  // "pass", "FAIL", "ERROR", "skipped"
  std::string reason;  // short: failure class / error / why skipped
  std::string detail;  // longer: the mismatch summary
  std::string expected = "pass";
  bool contradicts = false;
  uint64_t trace = 0;
  std::vector<SqliteBuild> sqlite;  // per worker in schedule order: what ran (when it ran)
};

// What a case expects on `boundary`: its expect line for it, else for fork,
// else "pass".
std::string MatrixExpected(const model::Schedule& s, const std::string& boundary);

// Runs case `file` (parsed as `s`) in column `col` on `backend` (made for
// col.boundary; persists across cases). Skipped, with the reason, when the
// boundary or a needed SQLite build is missing here or the case cannot run
// there. On inproc, a case whose workers all run another build than this
// process's is run by that build's executable (`harvey-sqlite-V run FILE
// --boundary inproc --json`), since inproc runs SQLite in this process;
// one that mixes builds is skipped.
MatrixCell RunMatrixCell(const std::string& file, const model::Schedule& s, const MatrixColumn& col,
                         Backend& backend, const std::string& scratch);

}  // namespace harvey::harness
