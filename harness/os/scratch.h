// harvey's scratch directory: every database harvey creates lives under one,
// so the tool never touches a database the user did not name. Named
// "harvey-<pid>-XXXXXX" under $TMPDIR (or /tmp); removed by the destructor,
// and, should a coordinator crash, by its janitor (harness/os/janitor.h)
// within a second, else by the next harvey run (which removes every
// harvey-<pid>-* directory whose pid is no longer alive).
#pragma once

#include <memory>
#include <string>

#include "model/result.h"

namespace harvey::harness {

class ScratchDir {
 public:
  // Creates the directory under `parent` ("" = $TMPDIR or /tmp), after
  // removing stale ones there. Error: one line naming the directory.
  static Result<std::unique_ptr<ScratchDir>> Create(const std::string& parent);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Removes harvey-<pid>-* directories in `parent` whose pid is not running.
// Returns how many were removed.
int RemoveStaleScratchDirs(const std::string& parent);

}  // namespace harvey::harness
