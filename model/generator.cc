#include "model/generator.h"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "model/rng.h"

namespace harvey::model {
namespace {

// Op kinds the swarm chooses among (open/close are driven by worker state).
// kPSavepoint opens a nested savepoint, kPSavepointEnd releases or rolls
// back to one of the open ones, kPVacuum runs VACUUM.
enum Pick {
  kPBegin, kPRead, kPWrite, kPDelete, kPScan, kPEnd, kPCheckpoint, kPClose,
  kPSavepoint, kPSavepointEnd, kPVacuum, kPCount
};

// Savepoints are named by nesting depth ("a" outermost); kUnknownSavepoint
// is never opened, so releasing or rolling back to it is the "no such
// savepoint" error. The same four names are the fuzz codec's.
constexpr int kMaxSavepointDepth = 3;
constexpr const char* kSavepointNames[] = {"a", "b", "c"};
constexpr const char* kUnknownSavepoint = "d";

// Value size classes, from one small row to values spanning many pages
// (overflow chains: one write, many WAL frames).
enum SizeClass { kRow, kMedium, kAboutAPage, kMultiPage, kSizeCount };

struct Swarm {
  std::array<uint32_t, kPCount> weight{};
  std::array<uint32_t, kSizeCount> size_weight{};
  std::array<uint32_t, 4> checkpoint_weight{};  // by CheckpointMode
  int64_t hot_keys = 4;
  int64_t cold_keys = 32;
  uint32_t hot_percent = 80;
  uint32_t max_pages = 4;  // kMultiPage: up to this many pages
};

// A weight in 1..10, or 0 (the choice disabled) with probability 1/5.
uint32_t SwarmWeight(Rng& rng) {
  return rng.Chance(1, 5) ? 0 : static_cast<uint32_t>(rng.Range(1, 10));
}

Swarm DrawSwarm(Rng& rng) {
  Swarm w;
  for (auto& x : w.weight) x = SwarmWeight(rng);
  w.weight[kPWrite] = std::max<uint32_t>(w.weight[kPWrite], 2);  // always some writes
  w.weight[kPEnd] = std::max<uint32_t>(w.weight[kPEnd], 1);      // transactions end
  w.hot_keys = rng.Range(1, 6);
  w.cold_keys = rng.Range(0, 60);
  w.hot_percent = static_cast<uint32_t>(rng.Range(50, 100));
  for (auto& x : w.size_weight) x = SwarmWeight(rng);
  w.size_weight[kRow] = std::max<uint32_t>(w.size_weight[kRow], 1);
  for (auto& x : w.checkpoint_weight) x = SwarmWeight(rng);
  w.checkpoint_weight[0] = std::max<uint32_t>(w.checkpoint_weight[0], 1);
  w.max_pages = static_cast<uint32_t>(rng.Range(2, 8));
  // Half the schedules have no savepoints; VACUUM (a whole-database
  // rewrite) is rarer than other ops.
  if (rng.Chance(1, 2)) w.weight[kPSavepoint] = w.weight[kPSavepointEnd] = 0;
  w.weight[kPVacuum] = rng.Chance(1, 2) ? 0 : static_cast<uint32_t>(rng.Range(1, 3));
  return w;
}

Config DrawConfig(Rng& rng, uint64_t seed) {
  static constexpr uint32_t kPageSizes[] = {512, 1024, 4096, 4096, 4096, 8192, 65536};
  // Off (0) about half the time, else from 1 frame (a checkpoint after every
  // commit) up to SQLite's default.
  static constexpr uint32_t kAutoCkpt[] = {0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 5, 10, 20, 1000};
  static constexpr int32_t kCache[] = {10, 100, 100, 2000};
  Config c;
  c.page_size = kPageSizes[rng.Below(std::size(kPageSizes))];
  c.synchronous = rng.Chance(1, 2) ? Synchronous::kFull : Synchronous::kNormal;
  c.wal_autocheckpoint = kAutoCkpt[rng.Below(std::size(kAutoCkpt))];
  c.cache_size = kCache[rng.Below(std::size(kCache))];
  c.seed = seed;
  return c;
}

// The connection settings of GenOptions::draw_settings, from their own
// stream. mmap_size: 0 (xRead only), 2 or 16 pages (the database is larger
// once it holds a few rows: reads past the mapping go through xRead), or
// 64 MiB (the whole database mapped).
void DrawConnectionSettings(uint64_t seed, const GenOptions& o, Config& c) {
  Rng rng(seed ^ 0x5E771465C0FFEEull);
  if (o.draw_settings) {
    static constexpr int64_t kMmapPages[] = {0, 0, 0, 2, 16, -1};
    const int64_t pages = kMmapPages[rng.Below(std::size(kMmapPages))];
    c.mmap_size = pages < 0 ? int64_t{64} << 20 : pages * c.page_size;
    c.checkpoint_on_close = !rng.Chance(1, 4);
    // A stream of its own, so the draws above (and busy_timeout's) stay
    // what they were before this one was added.
    Rng limit_rng(seed ^ 0x10B512E11A417ull);
    const int64_t frame = 24 + c.page_size;  // a WAL frame: header and page
    const int64_t kLimits[] = {-1, -1, -1, 0, 32 + 3 * frame, int64_t{1} << 20};
    c.journal_size_limit = kLimits[limit_rng.Below(std::size(kLimits))];
    Rng secure_rng(seed ^ 0x5EC0DE1E7Eull);  // (its own stream too)
    static constexpr SecureDelete kSecure[] = {SecureDelete::kDefault, SecureDelete::kDefault, SecureDelete::kOff,
                                               SecureDelete::kOff, SecureDelete::kOn, SecureDelete::kFast};
    c.secure_delete = kSecure[secure_rng.Below(std::size(kSecure))];
  }
  if (o.draw_call_points) c.call_points = Rng(seed ^ 0xCA11CA11ull).Chance(1, 8);  // (its own stream)
  if (o.draw_busy_timeout) {
    static constexpr int32_t kBusyMs[] = {0, 0, 0, 1, 10, 100, 2000};
    c.busy_timeout = kBusyMs[rng.Below(std::size(kBusyMs))];
  }
}

// An index drawn with probability proportional to weight[i], among the i
// whose bit is set in allowed_mask; `fallback` when all those weights are 0.
template <size_t N>
int Weighted(Rng& rng, const std::array<uint32_t, N>& weight, uint64_t allowed_mask, int fallback) {
  uint64_t total = 0;
  for (size_t i = 0; i < N; ++i) total += (allowed_mask >> i & 1) ? weight[i] : 0;
  if (total == 0) return fallback;
  uint64_t r = rng.Below(total);
  for (size_t i = 0; i < N; ++i) {
    if (!(allowed_mask >> i & 1)) continue;
    if (r < weight[i]) return static_cast<int>(i);
    r -= weight[i];
  }
  return fallback;
}

uint32_t DrawSize(Rng& rng, const Swarm& w, uint32_t page_size) {
  int64_t lo = kMinValueSize, hi = 64;
  switch (Weighted(rng, w.size_weight, ~0ull, kRow)) {
    case kMedium: lo = 65; hi = std::max<int64_t>(66, page_size / 2); break;
    case kAboutAPage: lo = page_size / 2; hi = page_size + page_size / 4; break;
    case kMultiPage: lo = 2 * int64_t{page_size}; hi = int64_t{w.max_pages} * page_size; break;
    default: break;
  }
  return static_cast<uint32_t>(std::clamp<int64_t>(rng.Range(lo, std::max(lo, hi)), kMinValueSize,
                                                    kMaxValueSize));
}

CheckpointMode DrawCheckpoint(Rng& rng, const Swarm& w) {
  return static_cast<CheckpointMode>(Weighted(rng, w.checkpoint_weight, ~0ull, 0));
}

int64_t DrawKey(Rng& rng, const Swarm& w) {
  return rng.Chance(w.hot_percent, 100) ? rng.Range(0, w.hot_keys - 1)
                                        : 100 + rng.Range(0, w.cold_keys);
}

enum class Role { kOrdinary, kPinningReader, kSidecar };

struct WorkerView {
  Role role = Role::kOrdinary;
  bool open = true;
  bool in_txn = false;
  int savepoints = 0;          // open savepoints (names kSavepointNames[0..n-1])
  bool savepoint_txn = false;  // the outermost savepoint began the transaction
  // kSidecar: which step of its cycle comes next, and when (a step index).
  int phase = 0;
  int64_t next_at = 0;
};

// A value of 2..max_pages pages: inside a savepoint nest, so that with a
// small cache_size the work is spilled to the WAL before it is undone.
uint32_t MultiPageSize(Rng& rng, const Swarm& w, uint32_t page_size) {
  const int64_t lo = 2 * int64_t{page_size};
  const int64_t hi = std::max(lo, int64_t{w.max_pages} * page_size);
  return static_cast<uint32_t>(std::clamp<int64_t>(rng.Range(lo, hi), kMinValueSize, kMaxValueSize));
}

// SAVEPOINT, RELEASE or ROLLBACK TO, tracking the nest as SQLite does.
Op DrawSavepointOp(Rng& rng, bool open_one, WorkerView& v) {
  Op op;
  if (open_one) {
    op.kind = OpKind::kSavepoint;
    op.name = kSavepointNames[v.savepoints++];
    if (!v.in_txn) v.in_txn = v.savepoint_txn = true;
    return op;
  }
  op.kind = rng.Chance(1, 2) ? OpKind::kRelease : OpKind::kRollbackTo;
  if (rng.Chance(1, 20)) {  // "no such savepoint": no effect
    op.name = kUnknownSavepoint;
    return op;
  }
  const int target = static_cast<int>(rng.Below(static_cast<uint64_t>(v.savepoints)));
  op.name = kSavepointNames[target];
  if (op.kind == OpKind::kRollbackTo) {
    v.savepoints = target + 1;
  } else if (target == 0 && v.savepoint_txn) {  // releasing the outermost commits
    v.savepoints = 0;
    v.in_txn = v.savepoint_txn = false;
  } else {
    v.savepoints = target;
  }
  return op;
}

void EndSavepoints(WorkerView& v) {
  v.savepoints = 0;
  v.savepoint_txn = false;
}

Op DrawOrdinaryOp(Rng& rng, const Swarm& w, uint32_t page_size, WorkerView& v) {
  Op op;
  uint64_t mask = ~0ull;
  if (v.in_txn) mask &= ~(1ull << kPBegin);
  else mask &= ~(1ull << kPEnd);
  if (v.savepoints >= kMaxSavepointDepth) mask &= ~(1ull << kPSavepoint);
  if (v.savepoints == 0) mask &= ~(1ull << kPSavepointEnd);
  // VACUUM inside a transaction only fails: now and then.
  if (v.in_txn && !rng.Chance(1, 8)) mask &= ~(1ull << kPVacuum);
  switch (Weighted(rng, w.weight, mask, kPWrite)) {
    case kPBegin:
      op.kind = OpKind::kBegin;
      op.begin = static_cast<BeginMode>(rng.Below(3));
      v.in_txn = true;
      break;
    case kPRead: op.kind = OpKind::kRead; op.key = DrawKey(rng, w); break;
    case kPWrite:
      op.kind = OpKind::kWrite;
      op.key = DrawKey(rng, w);
      op.size = v.savepoints > 0 && rng.Chance(1, 2) ? MultiPageSize(rng, w, page_size)
                                                     : DrawSize(rng, w, page_size);
      break;
    case kPDelete: op.kind = OpKind::kDelete; op.key = DrawKey(rng, w); break;
    case kPScan: op.kind = OpKind::kScan; break;
    case kPEnd:
      op.kind = rng.Chance(3, 4) ? OpKind::kCommit : OpKind::kRollback;
      v.in_txn = false;
      EndSavepoints(v);
      break;
    case kPSavepoint: return DrawSavepointOp(rng, true, v);
    case kPSavepointEnd: return DrawSavepointOp(rng, false, v);
    case kPVacuum: op.kind = OpKind::kVacuum; break;
    case kPCheckpoint:
      op.kind = OpKind::kCheckpoint;
      op.checkpoint = DrawCheckpoint(rng, w);
      break;
    case kPClose:
      op.kind = OpKind::kClose;
      v.open = false;
      v.in_txn = false;
      EndSavepoints(v);
      break;
  }
  return op;
}

// A long-lived reader: BEGIN DEFERRED, then reads and scans for many steps
// (its first read pins the snapshot); rarely ends the transaction, and now
// and then tries a stale write (which must get BUSY_SNAPSHOT once others
// committed).
Op DrawPinningReaderOp(Rng& rng, const Swarm& w, uint32_t page_size, WorkerView& v) {
  Op op;
  if (!v.in_txn) {
    op.kind = OpKind::kBegin;
    v.in_txn = true;
    return op;
  }
  if (rng.Chance(1, 15)) {
    op.kind = rng.Chance(3, 4) ? OpKind::kCommit : OpKind::kRollback;
    v.in_txn = false;
  } else if (rng.Chance(1, 20)) {
    op.kind = OpKind::kWrite;
    op.key = DrawKey(rng, w);
    op.size = DrawSize(rng, w, page_size);
  } else if (rng.Chance(1, 4)) {
    op.kind = OpKind::kScan;
  } else {
    op.kind = OpKind::kRead;
    op.key = DrawKey(rng, w);
  }
  return op;
}

// A backup/replication sidecar, one cycle: BEGIN DEFERRED; scan (copies the
// snapshot, pinning it); hold it while the others run; COMMIT; checkpoint.
// Then idle for its interval. Returns the op and sets v.next_at.
Op SidecarOp(Rng& rng, const Swarm& w, int64_t now, int64_t interval, WorkerView& v) {
  Op op;
  switch (v.phase) {
    case 0: op.kind = OpKind::kBegin; v.next_at = now + 1; break;
    case 1: op.kind = OpKind::kScan; v.next_at = now + rng.Range(2, 12); break;
    case 2: op.kind = OpKind::kCommit; v.next_at = now + 1; break;
    default:
      op.kind = OpKind::kCheckpoint;
      op.checkpoint = DrawCheckpoint(rng, w);
      v.next_at = now + interval;
      break;
  }
  v.phase = (v.phase + 1) % 4;
  return op;
}

Op DrawOp(Rng& rng, const Swarm& w, uint32_t page_size, WorkerView& v) {
  if (!v.open) {
    // A closed worker almost always reopens; rarely it tries an op anyway.
    Op op;
    op.kind = rng.Chance(9, 10) ? OpKind::kOpen : OpKind::kRead;
    if (op.kind == OpKind::kOpen) v.open = true;
    return op;
  }
  if (v.role == Role::kPinningReader) return DrawPinningReaderOp(rng, w, page_size, v);
  return DrawOrdinaryOp(rng, w, page_size, v);
}

// Casts roles: with two or more workers, maybe the last is a sidecar and
// the first a pinning reader; at least one worker stays ordinary.
void CastRoles(Rng& rng, const GenOptions& o, std::vector<WorkerView>& views) {
  const size_t n = views.size();
  if (n < 2) return;
  size_t ordinary = n;
  if (rng.Chance(o.sidecar_percent, 100)) {
    views[n - 1].role = Role::kSidecar;
    views[n - 1].next_at = rng.Range(0, 6);
    --ordinary;
  }
  if (ordinary >= 2 && rng.Chance(o.pinning_reader_percent, 100)) {
    views[0].role = Role::kPinningReader;
  }
}

}  // namespace

uint64_t ScheduleSeed(uint64_t campaign_seed, uint64_t index) {
  uint64_t s = campaign_seed ^ (index * 0xD1B54A32D192ED03ull);
  return SplitMix64(s);
}

Schedule Generate(uint64_t seed, const GenOptions& options) {
  Rng rng(seed);
  Schedule s;
  s.config = DrawConfig(rng, seed);
  DrawConnectionSettings(seed, options, s.config);
  const int workers = std::clamp(options.workers, 1, kMaxWorkers);
  for (int i = 0; i < workers; ++i) s.workers.push_back(Worker{"w" + std::to_string(i + 1)});
  const Swarm swarm = DrawSwarm(rng);
  // Savepoint nests want a small cache, so that rolled-back work was spilled
  // to the WAL before ROLLBACK TO undoes it (SQLite keeps at least 10 pages).
  if (swarm.weight[kPSavepoint] > 0 && rng.Chance(1, 2)) s.config.cache_size = 10;
  std::vector<WorkerView> views(workers);
  CastRoles(rng, options, views);
  const int sidecar = views.back().role == Role::kSidecar ? workers - 1 : -1;
  const int others = sidecar >= 0 ? workers - 1 : workers;
  const int64_t interval = rng.Range(4, 20);
  // A worker keeps running for a short burst, so transactions interleave
  // at op granularity without being diluted. The sidecar runs on its timer.
  int current = 0;
  for (int64_t i = 0; i < options.steps; ++i) {
    if (sidecar >= 0 && i >= views[sidecar].next_at) {
      s.steps.push_back(Step{sidecar, SidecarOp(rng, swarm, i, interval, views[sidecar])});
      continue;
    }
    if (rng.Chance(1, 2)) current = static_cast<int>(rng.Below(others));
    s.steps.push_back(Step{current, DrawOp(rng, swarm, s.config.page_size, views[current])});
  }
  return s;
}

}  // namespace harvey::model
