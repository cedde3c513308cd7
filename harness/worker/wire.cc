#include "harness/worker/wire.h"

#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "harness/os/interrupt.h"

namespace harvey::harness {

namespace {
constexpr uint32_t kMaxMessage = 64u << 20;

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR && !Interrupted()) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, char* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR && !Interrupted()) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}
}  // namespace

Encoder& Encoder::U64(uint64_t v) {
  for (int i = 0; i < 8; ++i) buf_.push_back(static_cast<char>(v >> (8 * i)));
  return *this;
}

Encoder& Encoder::Str(const std::string& s) {
  U64(s.size());
  buf_ += s;
  return *this;
}

MsgType Decoder::type() {
  if (pos_ >= buf_.size()) {
    failed_ = true;
    return MsgType::kFailed;
  }
  return static_cast<MsgType>(buf_[pos_++]);
}

uint64_t Decoder::U64() {
  if (buf_.size() - pos_ < 8 || pos_ > buf_.size()) {
    failed_ = true;
    return 0;
  }
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(buf_[pos_ + i])) << (8 * i);
  pos_ += 8;
  return v;
}

std::string Decoder::Str() {
  const uint64_t n = U64();
  if (failed_ || n > buf_.size() - pos_) {
    failed_ = true;
    return {};
  }
  std::string s = buf_.substr(pos_, n);
  pos_ += n;
  return s;
}

bool SendMsg(int fd, const Encoder& e) {
  // One write per message: over TCP (harvey agent) two writes are two
  // segments and can be two wake-ups of the reader.
  const std::string& b = e.bytes();
  char len[4];
  for (int i = 0; i < 4; ++i) len[i] = static_cast<char>(b.size() >> (8 * i));
  // Length and body in one writev: two writes would wake the reader twice
  // (a context switch each on a busy machine) for every message.
  iovec iov[2] = {{len, 4}, {const_cast<char*>(b.data()), b.size()}};
  ssize_t w;
  do {
    w = ::writev(fd, iov, 2);
  } while (w < 0 && errno == EINTR && !Interrupted());
  if (w <= 0) return false;
  const size_t done = static_cast<size_t>(w);
  if (done < 4) return WriteAll(fd, len + done, 4 - done) && WriteAll(fd, b.data(), b.size());
  return WriteAll(fd, b.data() + (done - 4), b.size() - (done - 4));
}

std::optional<Decoder> RecvMsg(int fd) { return RecvMsg(fd, kMaxMessage); }

std::optional<Decoder> RecvMsg(int fd, uint32_t max_bytes) {
  unsigned char len[4];
  if (!ReadAll(fd, reinterpret_cast<char*>(len), 4)) return std::nullopt;
  const uint32_t n = len[0] | len[1] << 8 | len[2] << 16 | static_cast<uint32_t>(len[3]) << 24;
  if (n == 0 || n > kMaxMessage || n > max_bytes) return std::nullopt;
  std::string b(n, '\0');
  if (!ReadAll(fd, b.data(), n)) return std::nullopt;
  return Decoder(std::move(b));
}

void Put(Encoder& e, const model::Config& c) {
  e.U64(c.page_size).U64(static_cast<uint64_t>(c.synchronous)).U64(c.wal_autocheckpoint)
      .I64(c.cache_size).U64(c.seed).U64(static_cast<uint64_t>(c.defect)).U64(c.sector_size)
      .I64(c.journal_size_limit).I64(c.mmap_size).U64(c.checkpoint_on_close ? 1 : 0)
      .I64(c.busy_timeout).U64(static_cast<uint64_t>(c.secure_delete)).U64(c.call_points ? 1 : 0);
}

model::Config GetConfig(Decoder& d) {
  model::Config c;
  c.page_size = static_cast<uint32_t>(d.U64());
  c.synchronous = static_cast<model::Synchronous>(d.U64());
  c.wal_autocheckpoint = static_cast<uint32_t>(d.U64());
  c.cache_size = static_cast<int32_t>(d.I64());
  c.seed = d.U64();
  c.defect = static_cast<model::Defect>(d.U64());
  c.sector_size = static_cast<uint32_t>(d.U64());
  c.journal_size_limit = d.I64();
  c.mmap_size = d.I64();
  c.checkpoint_on_close = d.U64() != 0;
  c.busy_timeout = static_cast<int32_t>(d.I64());
  c.secure_delete = static_cast<model::SecureDelete>(d.U64());
  c.call_points = d.U64() != 0;
  return c;
}

void Put(Encoder& e, const model::Op& op) {
  e.U64(static_cast<uint64_t>(op.kind)).I64(op.key).U64(op.size)
      .U64(static_cast<uint64_t>(op.begin)).U64(static_cast<uint64_t>(op.checkpoint))
      .U64(static_cast<uint64_t>(op.event)).U64(op.ordinal).U64(op.seed).Str(op.name);
}

model::Op GetOp(Decoder& d) {
  model::Op op;
  op.kind = static_cast<model::OpKind>(d.U64());
  op.key = d.I64();
  op.size = static_cast<uint32_t>(d.U64());
  op.begin = static_cast<model::BeginMode>(d.U64());
  op.checkpoint = static_cast<model::CheckpointMode>(d.U64());
  op.event = static_cast<model::EventKind>(d.U64());
  op.ordinal = static_cast<uint32_t>(d.U64());
  op.seed = d.U64();
  op.name = d.Str();
  return op;
}

namespace {
void PutRows(Encoder& e, const std::vector<model::Row>& rows) {
  e.U64(rows.size());
  for (const auto& r : rows) e.I64(r.key).I64(r.written_at);
}
std::vector<model::Row> GetRows(Decoder& d) {
  std::vector<model::Row> rows;
  const uint64_t n = d.U64();
  for (uint64_t i = 0; i < n && !d.failed(); ++i) {
    model::Row r;
    r.key = d.I64();
    r.written_at = d.I64();
    rows.push_back(r);
  }
  return rows;
}
}  // namespace

void Put(Encoder& e, const model::Observation& o) {
  e.I64(o.rc).I64(o.value).I64(o.ckpt_log).I64(o.ckpt_done).Str(o.recovery_problem);
  PutRows(e, o.rows);
}

model::Observation GetObservation(Decoder& d) {
  model::Observation o;
  o.rc = static_cast<int>(d.I64());
  o.value = d.I64();
  o.ckpt_log = static_cast<int32_t>(d.I64());
  o.ckpt_done = static_cast<int32_t>(d.I64());
  o.recovery_problem = d.Str();
  o.rows = GetRows(d);
  return o;
}

void Put(Encoder& e, const VerifyResult& v) {
  e.Str(v.error).Str(v.integrity).U64(v.index_agrees ? 1 : 0);
  PutRows(e, v.rows);
}

VerifyResult GetVerifyResult(Decoder& d) {
  VerifyResult v;
  v.error = d.Str();
  v.integrity = d.Str();
  v.index_agrees = d.U64() != 0;
  v.rows = GetRows(d);
  return v;
}

}  // namespace harvey::harness
