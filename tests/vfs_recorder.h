// A VfsListener for tests: records every event the VFS shim reports on the
// thread that made it, for its lifetime (it installs itself and puts the
// previous listener back).
#pragma once

#include <string>
#include <vector>

#include "harness/worker/vfs_shim.h"

namespace harvey::testing {

class VfsRecorder : public harness::VfsListener {
 public:
  struct Call {
    harness::VfsEvent event;
    harness::FileRole role;
    int64_t arg;
  };

  VfsRecorder() : previous_(harness::GetVfsListener()) { harness::SetVfsListener(this); }
  ~VfsRecorder() override { harness::SetVfsListener(previous_); }
  VfsRecorder(const VfsRecorder&) = delete;
  VfsRecorder& operator=(const VfsRecorder&) = delete;

  void OnEvent(harness::VfsEvent event, harness::FileRole role, int64_t arg) override {
    calls.push_back({event, role, arg});
  }
  int Count(harness::VfsEvent event, harness::FileRole role) const {
    int n = 0;
    for (const Call& c : calls) n += c.event == event && c.role == role;
    return n;
  }
  bool Saw(harness::VfsEvent event, harness::FileRole role) const { return Count(event, role) > 0; }
  bool Saw(harness::VfsEvent event, harness::FileRole role, int64_t arg) const {
    for (const Call& c : calls) {
      if (c.event == event && c.role == role && c.arg == arg) return true;
    }
    return false;
  }
  // The calls of one kind, in order.
  std::vector<Call> Of(harness::VfsEvent event) const {
    std::vector<Call> out;
    for (const Call& c : calls) {
      if (c.event == event) out.push_back(c);
    }
    return out;
  }
  // "event role arg" per line, for failure messages.
  std::string Dump() const {
    std::string s;
    for (const Call& c : calls) {
      s += std::string(harness::ToString(c.event)) + " " + harness::ToString(c.role) + " " + std::to_string(c.arg) +
           "\n";
    }
    return s;
  }

  std::vector<Call> calls;

 private:
  harness::VfsListener* previous_;
};

}  // namespace harvey::testing
