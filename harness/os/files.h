// Whole-file reads and writes shared by the harness (findings, the
// power-loss bookkeeping beside each database file, the database image
// cache). POSIX calls only, so they may run inside the VFS shim.
#pragma once

#include <string>

namespace harvey::harness {

// Replaces *out with the bytes of `path`. False if it cannot be opened or
// read; errno then says why.
bool ReadWholeFile(const std::string& path, std::string* out);

// Whether `path` names an existing file (access F_OK).
bool FileExists(const std::string& path);

// Writes `text` to `path` atomically (temp file `path`.tmp + rename; the
// temp file is removed on failure). Returns "" or one line naming the file.
std::string WriteFileAtomic(const std::string& path, const std::string& text);

}  // namespace harvey::harness
