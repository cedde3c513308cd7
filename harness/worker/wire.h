// The coordinator <-> worker protocol over a stream socket (socketpair or
// any inherited fd). A message is a little-endian u32 length, then a type
// byte and a payload written with Encoder and read with Decoder.
//
// Coordinator -> worker:  Reset, Step, Continue, Close, Verify, Quit.
// Worker -> coordinator:  Result (an op finished; the Result of a Reset also
//   carries the worker's SQLite build: name, version, source id), Event (the worker is
//   paused *inside* an op at a VFS event and waits for Continue), Verified,
//   Failed (the worker could not do what it was asked: one line).
//
// A Step carries a pause mask (bit i = VfsEvent i): at each event whose bit
// is set the worker sends Event and blocks until Continue, which carries the
// mask for the rest of the op. Op-level stepping is mask 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/worker/connection.h"
#include "model/observation.h"
#include "model/schedule.h"

namespace harvey::harness {

enum class MsgType : uint8_t {
  kReset = 1, kStep, kContinue, kClose, kVerify, kQuit,
  kResult = 64, kEvent, kVerified, kFailed,
};

class Encoder {
 public:
  explicit Encoder(MsgType t) { buf_.push_back(static_cast<char>(t)); }
  Encoder& U64(uint64_t v);
  Encoder& I64(int64_t v) { return U64(static_cast<uint64_t>(v)); }
  Encoder& Str(const std::string& s);
  const std::string& bytes() const { return buf_; }

 private:
  std::string buf_;
};

// Reads fields in order; any read past the end sets failed() and yields 0.
class Decoder {
 public:
  explicit Decoder(std::string bytes) : buf_(std::move(bytes)) {}
  MsgType type();
  uint64_t U64();
  int64_t I64() { return static_cast<int64_t>(U64()); }
  std::string Str();
  bool failed() const { return failed_; }
  // Bytes not read yet (0 when failed).
  size_t remaining() const { return failed_ || pos_ > buf_.size() ? 0 : buf_.size() - pos_; }

 private:
  std::string buf_;
  size_t pos_ = 0;
  bool failed_ = false;
};

// Blocking framed I/O. Retries EINTR unless the process was interrupted
// (see harness/os/interrupt.h). Returns false on EOF or error.
bool SendMsg(int fd, const Encoder& e);
std::optional<Decoder> RecvMsg(int fd);
// As RecvMsg, refusing (nullopt, nothing more read) a message longer than
// `max_bytes`: for peers that are not trusted (harness/boundary/agent*).
std::optional<Decoder> RecvMsg(int fd, uint32_t max_bytes);

// Field encodings shared by both sides.
void Put(Encoder& e, const model::Config& c);
model::Config GetConfig(Decoder& d);
void Put(Encoder& e, const model::Op& op);
model::Op GetOp(Decoder& d);
void Put(Encoder& e, const model::Observation& o);
model::Observation GetObservation(Decoder& d);
void Put(Encoder& e, const VerifyResult& v);
VerifyResult GetVerifyResult(Decoder& d);

}  // namespace harvey::harness
