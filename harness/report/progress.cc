#include "harness/report/progress.h"

#include <unistd.h>

#include <cstdio>

namespace harvey::harness {

std::string MemoryPhrase(const TreeMemory& m) {
  char buf[160];
  if (m.children == 0) {  // inproc: the workers are threads of this process
    std::snprintf(buf, sizeof buf, "RSS %.1f MB (peak %.1f), no worker processes", m.self.rss_kb / 1024.0,
                  m.self.hwm_kb / 1024.0);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "RSS coordinator %.1f MB (peak %.1f), %d worker process%s %.1f MB (largest %.1f)",
                m.self.rss_kb / 1024.0, m.self.hwm_kb / 1024.0, m.children, m.children == 1 ? "" : "es",
                m.children_total.rss_kb / 1024.0, m.children_max_rss_kb / 1024.0);
  return buf;
}

Progress::Progress()
    : tty_(::isatty(STDERR_FILENO) == 1),
      next_(std::chrono::steady_clock::now() + std::chrono::seconds(tty_ ? 0 : 10)) {}

bool Progress::Due() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_) return false;
  next_ = now + (tty_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(10000));
  return true;
}

void Progress::Show(const std::string& line) {
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    drawn_ = true;
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

void Progress::Finish() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace harvey::harness
