#include "harness/os/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace harvey::harness {

bool FileExists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

bool ReadWholeFile(const std::string& path, std::string* out) {
  out->clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  // Straight into the string, sized by fstat (the power-loss bookkeeping
  // reads the database or its log at every sync: no bounce buffer, no
  // regrowth); a file that grows meanwhile is read on to its end.
  struct stat st{};
  size_t size = ::fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0;
  out->resize(size + 1);  // +1: the read that sees the end
  size_t got = 0;
  ssize_t n;
  while (true) {
    if (got == out->size()) out->resize(out->size() * 2 + 4096);
    n = ::read(fd, out->data() + got, out->size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  out->resize(got);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return n == 0;
}

std::string WriteFileAtomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return path + ": cannot write: " + std::strerror(errno);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return path + ": cannot write: " + std::strerror(errno);
  }
  return "";
}

}  // namespace harvey::harness
