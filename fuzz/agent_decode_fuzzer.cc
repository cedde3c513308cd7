// agent_decode_fuzzer: everything a `harvey agent` decodes from a peer that
// is not trusted yet (harness/boundary/agent_protocol.h) and what its
// workers decode from the coordinator (harness/worker/wire.h), fed arbitrary
// bytes. Must never crash, hang or allocate beyond the message; and:
//  * an accepted hello re-encodes to the same bytes (no field is ignored);
//  * an accepted request names only files the agent makes: database and
//    share names have no '/' at the start, no "..", nothing but the pattern;
//  * an accepted NewDatabase payload is a fresh SQLite file within the cap.
// The first input byte picks the decoder; the rest is the message.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "harness/boundary/agent_protocol.h"
#include "harness/worker/wire.h"

namespace {

using namespace harvey::harness;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "agent_decode_fuzzer: %s\n", what);
    std::abort();
  }
}

bool SafeName(const std::string& n) {
  return !n.empty() && n[0] != '/' && n.find("..") == std::string::npos && n.find('\0') == std::string::npos;
}

void WorkerMessage(const std::string& bytes) {
  Decoder d(bytes);
  switch (d.type()) {
    case MsgType::kReset: {
      const std::string path = d.Str();
      GetConfig(d);
      d.I64();
      d.U64();
      d.U64();
      // The agent's worker accepts only names the agent makes.
      if (ValidDatabaseName(path)) Check(SafeName(path), "database name escapes the directory");
      break;
    }
    case MsgType::kStep:
      d.I64();
      GetOp(d);
      d.U64();
      break;
    case MsgType::kContinue:
      d.U64();
      break;
    case MsgType::kResult:
      GetObservation(d);
      break;
    case MsgType::kVerified:
      GetVerifyResult(d);
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      harvey::Result<Hello> h = ParseHello(bytes);
      if (h.ok()) {
        Check(EncodeHello(h.value()).bytes() == bytes, "an accepted hello does not re-encode to its bytes");
        Check(h.value().token.size() <= kMaxTokenBytes, "token over the cap");
      }
      break;
    }
    case 1: {
      harvey::Result<AgentRequest> r = ParseControlRequest(bytes);
      if (r.ok()) {
        const AgentRequest& q = r.value();
        if (q.type == AgentMsg::kShareRead || q.type == AgentMsg::kShareRemove) {
          Check(ValidShareName(q.text) && SafeName(q.text), "accepted a share name the agent does not make");
        }
        if (q.type == AgentMsg::kNewDatabase) {
          Check(q.text.size() <= kMaxDatabaseBytes && LooksLikeFreshDatabase(q.text), "accepted a database payload");
        }
      }
      break;
    }
    case 2: {
      (void)ParseWelcome(bytes);
      if (ValidDatabaseName(bytes)) Check(SafeName(bytes), "database name escapes the directory");
      if (ValidShareName(bytes)) Check(SafeName(bytes), "share name escapes the directory");
      break;
    }
    case 3:
      WorkerMessage(bytes);
      break;
  }
  return 0;
}
