// A progress line for long runs on stderr: redrawn in place (at most 4 times
// a second) when stderr is a terminal, otherwise one plain line every 10 s,
// so CI logs stay short. Finish() ends the in-place line.
#pragma once

#include <chrono>
#include <string>

#include "harness/os/memory.h"

namespace harvey::harness {

// "RSS coordinator 14.2 MB (peak 15.0), 3 workers 31.0 MB (largest 10.4)":
// resident sizes for the progress line and the summary.
std::string MemoryPhrase(const TreeMemory& m);

class Progress {
 public:
  Progress();
  // `line` is built only when it will be shown.
  template <typename F>
  void Update(F&& line) {
    if (Due()) Show(line());
  }
  void Finish();

 private:
  bool Due();
  void Show(const std::string& line);
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point next_;
};

}  // namespace harvey::harness
