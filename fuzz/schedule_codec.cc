#include "fuzz/schedule_codec.h"

#include <algorithm>
#include <bit>

namespace harvey::fuzz {
namespace {

using model::OpKind;

// The step kinds in encoding order (b % 10).
constexpr OpKind kKinds[] = {OpKind::kBegin,  OpKind::kRead,     OpKind::kWrite,
                             OpKind::kDelete, OpKind::kScan,     OpKind::kCommit,
                             OpKind::kRollback, OpKind::kCheckpoint, OpKind::kClose,
                             OpKind::kOpen};
constexpr int kNumKinds = static_cast<int>(std::size(kKinds));
// Savepoints and VACUUM, on step bytes >= kExtBase (EncodeSchedule writes
// the kinds above as bytes < kNumKinds * kMaxWorkers = 80, so their
// encodings are unchanged): kind = kExtKinds[(b - kExtBase) % 4], worker =
// (b - kExtBase) / 4 % workers; savepoint, release and rollback-to read a
// name byte: name kSavepointNames[b % 4].
constexpr OpKind kExtKinds[] = {OpKind::kSavepoint, OpKind::kRelease, OpKind::kRollbackTo,
                                OpKind::kVacuum};
constexpr int kNumExtKinds = static_cast<int>(std::size(kExtKinds));
constexpr uint8_t kExtBase = 0xE0;
constexpr const char* kSavepointNames[] = {"a", "b", "c", "d"};
constexpr int kNumNames = static_cast<int>(std::size(kSavepointNames));
static_assert(kNumKinds * model::kMaxWorkers <= kExtBase);
static_assert(kExtBase + kNumExtKinds * model::kMaxWorkers <= 256);
constexpr uint8_t kEscape = 0xF0;  // key/size byte: a varint follows
constexpr int64_t kHotKeys = 8;
constexpr uint32_t kMaxAutocheckpoint = 1'000'000;
constexpr int64_t kMaxCacheSize = 1'000'000;
constexpr int32_t kDefaultCacheSize = 100;
constexpr uint32_t kCommonPageSize = 4096;
constexpr uint8_t kNoCheckpointOnClose = 0x40;  // config byte bit 6
constexpr uint8_t kMmapFollows = 0x80;          // config byte bit 7: a varint after the seed
constexpr uint8_t kLimitFollows = 0x10;         // workers byte bit 4: a journal_size_limit varint after it
constexpr int64_t kMaxJournalSizeLimit = 1'000'000'000;  // as the text format allows
constexpr uint8_t kSecureDeleteFollows = 0x20;  // workers byte bit 5: a secure_delete byte after the limit

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> b) : b_(b) {}
  bool empty() const { return pos_ >= b_.size(); }
  uint8_t Byte() { return empty() ? 0 : b_[pos_++]; }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      const uint8_t b = Byte();
      if (shift < 64) v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) break;
    }
    return v;
  }

 private:
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

class Writer {
 public:
  void Byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      Byte(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    Byte(static_cast<uint8_t>(v));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

int KindIndex(OpKind k) {
  for (int i = 0; i < kNumKinds; ++i) {
    if (kKinds[i] == k) return i;
  }
  return -1;
}

int ExtKindIndex(OpKind k) {
  for (int i = 0; i < kNumExtKinds; ++i) {
    if (kExtKinds[i] == k) return i;
  }
  return -1;
}

int NameIndex(const std::string& name) {
  for (int i = 0; i < kNumNames; ++i) {
    if (name == kSavepointNames[i]) return i;
  }
  return -1;
}

model::Config DecodeConfig(Reader& r) {
  model::Config c;
  const uint8_t b = r.Byte();
  c.page_size = (b & 8) ? 512u << (b & 7) : kCommonPageSize;
  c.synchronous = static_cast<model::Synchronous>(((b >> 4) & 3) % 3);
  c.checkpoint_on_close = !(b & kNoCheckpointOnClose);
  c.wal_autocheckpoint = static_cast<uint32_t>(r.Varint() % (kMaxAutocheckpoint + 1));
  int64_t cache = UnZigZag(r.Varint()) % (kMaxCacheSize + 1);
  c.cache_size = cache == 0 ? kDefaultCacheSize : static_cast<int32_t>(cache);
  c.seed = r.Varint();
  if (b & kMmapFollows) c.mmap_size = static_cast<int64_t>(r.Varint() % (kMaxFuzzMmapSize + 1));
  return c;
}

int64_t DecodeKey(Reader& r) {
  const uint8_t b = r.Byte();
  if (b < kEscape) return b % kHotKeys;
  return static_cast<int64_t>(r.Varint() % static_cast<uint64_t>(model::kMaxKey + 1));
}

uint32_t DecodeSize(Reader& r) {
  const uint8_t b = r.Byte();
  if (b < kEscape) return model::kMinValueSize + 4u * b;
  const uint64_t v = r.Varint();
  return static_cast<uint32_t>(std::clamp<uint64_t>(v, model::kMinValueSize, kMaxFuzzValueSize));
}

model::Op DecodeOp(OpKind kind, Reader& r) {
  model::Op op;
  op.kind = kind;
  switch (kind) {
    case OpKind::kBegin: op.begin = static_cast<model::BeginMode>(r.Byte() % 3); break;
    case OpKind::kCheckpoint: op.checkpoint = static_cast<model::CheckpointMode>(r.Byte() % 4); break;
    case OpKind::kRead:
    case OpKind::kDelete: op.key = DecodeKey(r); break;
    case OpKind::kWrite:
      op.key = DecodeKey(r);
      op.size = DecodeSize(r);
      break;
    case OpKind::kSavepoint:
    case OpKind::kRelease:
    case OpKind::kRollbackTo: op.name = kSavepointNames[r.Byte() % kNumNames]; break;
    default: break;
  }
  return op;
}

void EncodeKey(Writer& w, int64_t key) {
  if (key < kHotKeys) {
    w.Byte(static_cast<uint8_t>(key));
  } else {
    w.Byte(kEscape);
    w.Varint(static_cast<uint64_t>(key));
  }
}

void EncodeSize(Writer& w, uint32_t size, bool* lossy) {
  const uint32_t clamped = std::min(size, kMaxFuzzValueSize);
  if (clamped != size) *lossy = true;
  const uint32_t d = clamped - model::kMinValueSize;
  if (d % 4 == 0 && d / 4 < kEscape) {
    w.Byte(static_cast<uint8_t>(d / 4));
  } else {
    w.Byte(kEscape);
    w.Varint(clamped);
  }
}

void EncodeOp(Writer& w, const model::Op& op, bool* lossy) {
  switch (op.kind) {
    case OpKind::kBegin: w.Byte(static_cast<uint8_t>(op.begin)); break;
    case OpKind::kCheckpoint: w.Byte(static_cast<uint8_t>(op.checkpoint)); break;
    case OpKind::kRead:
    case OpKind::kDelete: EncodeKey(w, op.key); break;
    case OpKind::kWrite:
      EncodeKey(w, op.key);
      EncodeSize(w, op.size, lossy);
      break;
    case OpKind::kSavepoint:
    case OpKind::kRelease:
    case OpKind::kRollbackTo: {
      const int n = NameIndex(op.name);
      if (n < 0) *lossy = true;  // renamed to "a"
      w.Byte(static_cast<uint8_t>(std::max(n, 0)));
      break;
    }
    default: break;
  }
}

}  // namespace

model::Schedule DecodeSchedule(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  model::Schedule s;
  s.config = DecodeConfig(r);
  const uint8_t wb = r.Byte();
  const int workers = (wb & 8) ? 1 + (wb & 7) : 2 + (wb & 1);
  if (wb & kLimitFollows) {
    s.config.journal_size_limit = static_cast<int64_t>(r.Varint() % (kMaxJournalSizeLimit + 2)) - 1;
  }
  if (wb & kSecureDeleteFollows) s.config.secure_delete = static_cast<model::SecureDelete>(r.Byte() % 4);
  for (int i = 0; i < workers; ++i) s.workers.push_back(model::Worker{"w" + std::to_string(i + 1)});
  while (!r.empty() && s.steps.size() < static_cast<size_t>(kMaxFuzzSteps)) {
    const uint8_t b = r.Byte();
    model::Step step;
    if (b >= kExtBase) {
      step.worker = (b - kExtBase) / kNumExtKinds % workers;
      step.op = DecodeOp(kExtKinds[(b - kExtBase) % kNumExtKinds], r);
    } else {
      step.worker = (b / kNumKinds) % workers;
      step.op = DecodeOp(kKinds[b % kNumKinds], r);
    }
    s.steps.push_back(step);
  }
  return s;
}

std::string EncodeSchedule(const model::Schedule& s, bool* lossy_out) {
  bool lossy = false;
  Writer w;
  const model::Config& c = s.config;
  const int page = c.page_size == kCommonPageSize ? 0 : 8 + std::countr_zero(c.page_size) - 9;
  const int64_t mmap = std::min<int64_t>(c.mmap_size, kMaxFuzzMmapSize);
  w.Byte(static_cast<uint8_t>(page + 16 * static_cast<int>(c.synchronous) +
                              (c.checkpoint_on_close ? 0 : kNoCheckpointOnClose) + (mmap > 0 ? kMmapFollows : 0)));
  w.Varint(c.wal_autocheckpoint);
  w.Varint(ZigZag(c.cache_size));
  w.Varint(c.seed);
  if (mmap > 0) w.Varint(static_cast<uint64_t>(mmap));
  lossy |= mmap != c.mmap_size;
  lossy |= c.defect != model::Defect::kNone || c.sector_size != model::Config{}.sector_size;
  // busy_timeout and call_points are not in the byte format: the fuzzer
  // runs op-level, where harvey keeps busy_timeout 0 (a blocked op returns
  // BUSY at once) and nothing pauses at a call.
  lossy |= c.busy_timeout != model::Config{}.busy_timeout;
  lossy |= c.call_points != model::Config{}.call_points;
  lossy |= !s.expects.empty();
  const size_t n = s.workers.size();
  const bool limit = c.journal_size_limit != model::Config{}.journal_size_limit;
  const bool secure = c.secure_delete != model::Config{}.secure_delete;
  w.Byte(static_cast<uint8_t>((n == 2 || n == 3 ? n - 2 : 8 + (n - 1)) + (limit ? kLimitFollows : 0) +
                              (secure ? kSecureDeleteFollows : 0)));
  if (limit) w.Varint(static_cast<uint64_t>(c.journal_size_limit + 1));
  if (secure) w.Byte(static_cast<uint8_t>(c.secure_delete));
  for (size_t i = 0; i < s.workers.size(); ++i) {
    lossy |= s.workers[i].name != "w" + std::to_string(i + 1);
  }
  int written = 0;
  for (const model::Step& step : s.steps) {
    const int kind = KindIndex(step.op.kind);
    const int ext = ExtKindIndex(step.op.kind);
    if ((kind < 0 && ext < 0) || written == kMaxFuzzSteps) {
      lossy = true;
      continue;
    }
    if (kind >= 0) {
      w.Byte(static_cast<uint8_t>(kind + kNumKinds * step.worker));
    } else {
      w.Byte(static_cast<uint8_t>(kExtBase + ext + kNumExtKinds * step.worker));
    }
    EncodeOp(w, step.op, &lossy);
    ++written;
  }
  if (lossy_out != nullptr) *lossy_out = lossy;
  return w.Take();
}

}  // namespace harvey::fuzz
