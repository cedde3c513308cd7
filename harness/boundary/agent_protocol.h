// The `harvey agent` protocol: what a coordinator and an agent
// (harness/boundary/agent_server.h) say to each other before and beside the
// worker protocol. Same framing and field encoding as harness/worker/wire.h
// (u32 length, type byte, Encoder/Decoder fields); the types below start at
// 128 so they never collide with the worker's.
//
// Connections (TCP or a Unix socket), each opened by the coordinator:
//   control   Hello{magic, token, kControl, ""} -> Welcome{session, facts}
//             then requests, each answered in order:
//               NewDatabase{bytes}   -> DatabaseReady{name}  (the agent writes
//                                       the bytes to DIR/<a name it chooses>)
//               Kill{pid}            -> Killed               (after waitpid)
//               ShareWrite{nonce}    -> ShareName{name}      (DIR/harvey-share-*)
//               ShareRead{name}      -> ShareContent{text}
//               ShareRemove{name}    -> Ok
//               Ping                 -> Ok
//             a request that fails answers Error{line}; the session goes on.
//   worker    Hello{magic, token, kWorker, session} -> Spawned{pid}; the
//             connection then belongs to a forked worker speaking
//             harness/worker/wire.h (its Reset names the database by the
//             name DatabaseReady gave; the worker opens nothing else).
// A refused connection gets Refused{one line} and is closed.
//
// Everything here is pure (no I/O but the Recv helpers): the parsers are
// what fuzz/agent_decode_fuzzer.cc feeds arbitrary bytes to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harness/worker/wire.h"
#include "model/result.h"

namespace harvey::harness {

enum class AgentMsg : uint8_t {
  kHello = 128, kWelcome, kRefused, kSpawned,
  kNewDatabase, kDatabaseReady, kKill, kKilled,
  kShareWrite, kShareName, kShareRead, kShareContent, kShareRemove, kOk, kError, kPing,
};
inline Encoder AgentEncoder(AgentMsg t) { return Encoder(static_cast<MsgType>(t)); }

inline constexpr const char* kAgentMagic = "harvey-agent 1";
inline constexpr uint32_t kMaxHelloBytes = 4096;
inline constexpr uint32_t kMaxDatabaseBytes = 1u << 20;  // a fresh database: a few pages
inline constexpr uint32_t kMaxControlBytes = kMaxDatabaseBytes + 256;
inline constexpr uint32_t kMaxWorkerInBytes = 64u << 10;  // Reset, Step, Continue, ...
inline constexpr size_t kMaxTokenBytes = 1024;
inline constexpr size_t kMinTokenBytes = 16;
inline constexpr size_t kMaxNonceBytes = 256;

enum class ConnKind : uint64_t { kControl = 1, kWorker = 2 };

struct Hello {
  std::string token;
  ConnKind kind = ConnKind::kControl;
  std::string session;  // worker connections: the Welcome's session
};
Encoder EncodeHello(const Hello& h);
// The message bytes (type byte first). Error: one line (bad magic, wrong
// kind, trailing bytes, a field too long).
Result<Hello> ParseHello(std::string bytes);

// What an agent says about itself (Welcome).
struct AgentFacts {
  std::string session;   // 16 hex digits, new per control connection
  std::string host;      // uname nodename
  std::string kernel;    // uname sysname + release
  std::string dir;       // DIR as the agent sees it
  std::string fs_type;   // statfs(DIR).f_type as a name ("ext2/3/4", "nfs", "fuse", ...)
  std::string sqlite;    // the agent's SQLite build name (harness/worker/sqlite_build.h)
  std::string sqlite_version;
  std::string sqlite_source_id;
  int64_t pid = 0;
};
Encoder EncodeWelcome(const AgentFacts& f);
Result<AgentFacts> ParseWelcome(std::string bytes);

// A control request, parsed and checked (lengths, names).
struct AgentRequest {
  AgentMsg type = AgentMsg::kPing;
  uint64_t pid = 0;   // Kill
  std::string text;   // NewDatabase: bytes; ShareWrite: nonce; ShareRead/Remove: name
};
Result<AgentRequest> ParseControlRequest(std::string bytes);

// Names an agent chooses inside DIR, and the only ones it accepts back:
//   harvey-<16 hex>/<1..9 digits>/harvey.db   a schedule's database
//   harvey-share-<32 hex>                     the shared-directory proof
bool ValidDatabaseName(std::string_view name);
bool ValidShareName(std::string_view name);

// A fresh SQLite database file: starts with "SQLite format 3\0", a whole
// number of pages of a legal page size, at most kMaxDatabaseBytes.
bool LooksLikeFreshDatabase(std::string_view bytes);

// Equal strings, in time that depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// statfs f_type -> a name ("0x1234abcd" when unknown).
std::string FilesystemTypeName(int64_t f_type);

// The shared token: the file's content (one trailing newline dropped), else
// $HARVEY_AGENT_TOKEN. Error: one line (none given, unreadable, too short
// or too long, control characters).
Result<std::string> LoadAgentToken(const std::string& token_file);

// Connects to ADDR (HOST:PORT, [V6]:PORT, unix:/path) within timeout_ms;
// TCP gets TCP_NODELAY and keepalive. Returns the fd (CLOEXEC) or one line.
Result<int> ConnectAgent(const std::string& address, int timeout_ms);
// Receives one message's bytes (type byte first) within timeout_ms (< 0: no
// limit for its first byte), at most max_bytes. nullopt on EOF, timeout,
// error or an oversized message.
std::optional<std::string> RecvWithin(int fd, int timeout_ms, uint32_t max_bytes);

// `bytes` random bytes as lowercase hex (session ids, share-file nonces):
// from /dev/urandom, else (a bare container without it) from time and pid,
// which still makes a fresh name.
std::string RandomHex(size_t bytes);

}  // namespace harvey::harness
