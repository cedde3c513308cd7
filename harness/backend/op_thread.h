// One worker thread of the in-process backend for fine-grained runs, with a
// strict hand-off: exactly one of {the coordinator, this thread} runs at any
// time. Start/Resume hand the baton to the thread, which runs its op until
// the op's next VFS event (where it hands the baton back and waits) or its
// end. Only one op at a time per thread.
//
// Thread-safety: Start/Resume/the destructor are called from the
// coordinator thread only. Every wait is bounded (kTimeoutMs): a thread that
// neither pauses nor finishes in time is reported in Slice::error (it cannot
// be killed; the backend must then not be reused, see error()).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "harness/backend/backend.h"
#include "harness/worker/vfs_shim.h"

namespace harvey::harness {

class OpThread : private VfsListener {
 public:
  static constexpr int kTimeoutMs = 10'000;
  OpThread();
  ~OpThread() override;
  OpThread(const OpThread&) = delete;
  OpThread& operator=(const OpThread&) = delete;

  // Runs `op` on this thread until its first event in `mask` (bit i =
  // VfsEvent i; the others are only counted) or its end.
  // REQUIRES: no op in flight here.
  Slice Start(std::function<model::Observation()> op, uint32_t mask = kAllEvents);
  // REQUIRES: the last Start/Resume returned a pause.
  Slice Resume();
  // Non-empty once a hand-off timed out (the thread is lost).
  const std::string& error() const { return error_; }

 private:
  void Loop();
  Slice Handoff();  // gives the thread the baton, waits for it back
  void OnEvent(VfsEvent event, FileRole role, int64_t arg) override;

  std::mutex mu_;
  std::condition_variable cv_;
  bool thread_turn_ = false;  // who holds the baton
  bool quit_ = false;
  std::function<model::Observation()> job_;
  Slice slice_;
  uint64_t counts_[static_cast<int>(VfsEvent::kCount)] = {};
  uint32_t mask_ = kAllEvents;  // of the op in flight (written before the thread gets the baton)
  std::string error_;
  std::thread thread_;  // last: starts after the fields above exist
};

}  // namespace harvey::harness
