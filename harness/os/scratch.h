// harvey's scratch directory: every database harvey creates lives under one,
// so the tool never touches a database the user did not name. Named
// "harvey-<pid>-XXXXXX" under the parent the user names (--scratch DIR),
// else in memory under /dev/shm (a tmpfs: power loss is harvey's own
// simulation, harness/worker/durability.h, so a disk's fsync buys nothing
// but time), else, when /dev/shm is missing or not a writable tmpfs, under
// $TMPDIR (or /tmp), and where() says so. Removed by the destructor, and,
// should a coordinator crash, by its janitor (harness/os/janitor.h)
// within a second, else by the next harvey run (which removes every
// harvey-<pid>-* directory whose pid is no longer alive).
#pragma once

#include <memory>
#include <string>

#include "model/result.h"

namespace harvey::harness {

class ScratchDir {
 public:
  // Creates the directory under `parent` ("" = the default above), after
  // removing stale ones there. Error: one line naming the directory.
  static Result<std::unique_ptr<ScratchDir>> Create(const std::string& parent);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  // One phrase for the user: the path and whether it is in memory, e.g.
  // "/dev/shm/harvey-1-abc (tmpfs)" or "/tmp/harvey-1-abc (on disk: /dev/shm
  // is missing or not a writable tmpfs; --scratch DIR picks another)".
  const std::string& where() const { return where_; }

 private:
  ScratchDir(std::string path, std::string where) : path_(std::move(path)), where_(std::move(where)) {}
  std::string path_;
  std::string where_;
};

// The parent used when none is named: "/dev/shm" when it is a writable
// tmpfs, else $TMPDIR or /tmp.
std::string DefaultScratchParent();
// Whether `dir` is on a tmpfs (memory).
bool OnTmpfs(const std::string& dir);

// Removes harvey-<pid>-* directories in `parent` whose pid is not running.
// Returns how many were removed.
int RemoveStaleScratchDirs(const std::string& parent);

}  // namespace harvey::harness
