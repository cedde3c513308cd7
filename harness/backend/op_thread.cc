#include "harness/backend/op_thread.h"

#include <chrono>

namespace harvey::harness {

OpThread::OpThread() : thread_([this] { Loop(); }) {}

OpThread::~OpThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
    thread_turn_ = true;
  }
  cv_.notify_all();
  if (error_.empty()) {
    thread_.join();
  } else {
    thread_.detach();  // stuck inside SQLite: nothing safe to wait for
  }
}

void OpThread::Loop() {
  SetVfsListener(this);
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return thread_turn_; });
    if (quit_) return;
    auto job = std::move(job_);
    for (auto& c : counts_) c = 0;
    lock.unlock();
    model::Observation o = job();
    lock.lock();
    if (quit_) return;
    slice_ = Slice{.finished = true, .event = {}, .result = std::move(o), .error = {}};
    thread_turn_ = false;
    cv_.notify_all();
  }
}

void OpThread::OnEvent(VfsEvent event, FileRole role, int64_t arg) {
  std::unique_lock<std::mutex> lock(mu_);
  if (quit_) return;  // torn down mid-op: let SQLite finish alone
  const auto i = static_cast<int>(event);
  ++counts_[i];
  if (!(mask_ >> i & 1)) return;
  slice_ = Slice{};
  slice_.event = EventInfo{event, role, arg, counts_[i]};
  thread_turn_ = false;
  cv_.notify_all();
  cv_.wait(lock, [&] { return thread_turn_; });
  // quit_ while paused happens only when the backend is torn down mid-op;
  // SQLite then just runs the op to its end.
}

Slice OpThread::Handoff() {
  std::unique_lock<std::mutex> lock(mu_);
  thread_turn_ = true;
  cv_.notify_all();
  if (!cv_.wait_for(lock, std::chrono::milliseconds(kTimeoutMs), [&] { return !thread_turn_; })) {
    error_ = "in-process worker thread gave no event or result within " + std::to_string(kTimeoutMs / 1000) + " s";
    return Slice{.finished = true, .event = {}, .result = {}, .error = error_};
  }
  return slice_;
}

Slice OpThread::Start(std::function<model::Observation()> op, uint32_t mask) {
  if (!error_.empty()) return Slice{.finished = true, .event = {}, .result = {}, .error = error_};
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = std::move(op);
    mask_ = mask;
  }
  return Handoff();
}

Slice OpThread::Resume() {
  if (!error_.empty()) return Slice{.finished = true, .event = {}, .result = {}, .error = error_};
  return Handoff();
}

}  // namespace harvey::harness
