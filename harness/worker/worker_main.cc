#include "harness/worker/worker_main.h"

#include <unistd.h>

#include "harness/worker/connection.h"
#include "harness/worker/durability.h"
#include "harness/worker/sqlite_build.h"
#include "harness/worker/vfs_shim.h"
#include "harness/worker/wire.h"

namespace harvey::harness {
namespace {

// Reports the events in `mask` to the coordinator and waits for Continue.
class PausingListener : public VfsListener {
 public:
  explicit PausingListener(int fd) : fd_(fd) {}
  void StartOp(uint32_t mask) {
    mask_ = mask;
    for (auto& c : counts_) c = 0;
  }
  void OnEvent(VfsEvent event, FileRole role, int64_t arg) override {
    const auto i = static_cast<int>(event);
    counts_[i]++;
    if (!(mask_ >> i & 1)) return;
    Encoder e(MsgType::kEvent);
    e.U64(static_cast<uint64_t>(event)).U64(static_cast<uint64_t>(role)).I64(arg).U64(counts_[i]);
    std::optional<Decoder> reply;
    if (!SendMsg(fd_, e) || !(reply = RecvMsg(fd_)) || reply->type() != MsgType::kContinue) {
      _exit(2);  // the coordinator is gone: nothing sensible to return to SQLite
    }
    mask_ = static_cast<uint32_t>(reply->U64());
  }

 private:
  int fd_;
  uint32_t mask_ = 0;
  uint64_t counts_[static_cast<int>(VfsEvent::kCount)] = {};
};

}  // namespace

int WorkerMain(int fd) { return WorkerMain(fd, WorkerLimits{}); }

int WorkerMain(int fd, const WorkerLimits& limits) {
  Connection conn;
  PausingListener listener(fd);
  SetVfsListener(&listener);
  std::string db_path;
  model::Config config;
  while (true) {
    std::optional<Decoder> m = RecvMsg(fd, limits.max_message);
    if (!m) return 0;
    switch (m->type()) {
      case MsgType::kReset: {
        db_path = m->Str();
        config = GetConfig(*m);
        const int index = static_cast<int>(m->I64());
        const bool track = m->U64() != 0;
        // 1: this Reset is a schedule's `open` (after a kill): a failed
        // open is its result (an SQLite rc), not a broken worker.
        // 2: configure only; the `open` follows as a Step (fine-grained).
        const uint64_t mode = m->U64();
        const bool as_op = mode == 1;
        const uint64_t incarnation = m->U64();  // 0: the schedule's first start of this worker
        if (limits.resolve_path) {
          std::string resolved;
          if (std::string e = limits.resolve_path(db_path, &resolved); !e.empty() || m->failed()) {
            conn.Close();
            db_path.clear();
            Encoder f(MsgType::kFailed);
            f.Str(e.empty() ? "malformed Reset" : e);
            if (!SendMsg(fd, f)) return 0;
            break;
          }
          db_path = resolved;
        }
        conn.Close();
        SetDurabilityTracking(track);
        SetVfsFsyncLies(config.defect == model::Defect::kFsyncLies);
        SetCallPoints(config.call_points);
        SeedVfs(WorkerSeed(config.seed, index, incarnation));
        std::string error;
        if (mode == 2) {
          conn.Configure(db_path, config, index);
        } else {
          error = conn.Reset(db_path, config, index);
        }
        // A result (an `open` run as an op may fail with an rc) names the
        // SQLite this process runs (harness/worker/sqlite_build.h).
        const bool result = error.empty() || (as_op && conn.last_open_rc() != 0);
        Encoder e(result ? MsgType::kResult : MsgType::kFailed);
        if (result) {
          const SqliteBuild b = ThisSqlite();
          Put(e, model::Observation{.rc = conn.last_open_rc()});
          e.Str(b.name).Str(b.version).Str(b.source_id);
        } else {
          e.Str(error);
        }
        if (!SendMsg(fd, e)) return 0;
        break;
      }
      case MsgType::kStep: {
        const int64_t step = m->I64();
        const model::Op op = GetOp(*m);
        listener.StartOp(static_cast<uint32_t>(m->U64()));
        const model::Observation o = conn.Execute(op, step);
        listener.StartOp(0);
        Encoder e(MsgType::kResult);
        Put(e, o);
        if (!SendMsg(fd, e)) return 0;
        break;
      }
      case MsgType::kClose: {
        conn.Close();
        Encoder e(MsgType::kResult);
        Put(e, model::Observation{});
        if (!SendMsg(fd, e)) return 0;
        break;
      }
      case MsgType::kVerify: {
        if (limits.resolve_path && db_path.empty()) {  // no accepted Reset yet: open nothing
          Encoder f(MsgType::kFailed);
          f.Str("Verify before an accepted Reset");
          if (!SendMsg(fd, f)) return 0;
          break;
        }
        Encoder e(MsgType::kVerified);
        Put(e, Verify(db_path, config));
        if (!SendMsg(fd, e)) return 0;
        break;
      }
      case MsgType::kQuit:
        conn.Close();
        return 0;
      default:
        return 2;
    }
  }
}

}  // namespace harvey::harness
