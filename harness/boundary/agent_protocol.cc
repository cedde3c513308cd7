#include "harness/boundary/agent_protocol.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace harvey::harness {
namespace {

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Reads the type byte; Error unless it is `want`.
std::string ExpectType(Decoder& d, AgentMsg want, const char* what) {
  const auto t = static_cast<uint8_t>(d.type());
  if (d.failed()) return std::string("empty ") + what;
  if (t == static_cast<uint8_t>(AgentMsg::kRefused)) {
    std::string line = d.Str();
    return d.failed() ? "refused" : "refused: " + line.substr(0, 300);
  }
  if (t != static_cast<uint8_t>(want)) return std::string("not a ") + what + " (message type " + std::to_string(t) + ")";
  return "";
}

}  // namespace

Encoder EncodeHello(const Hello& h) {
  Encoder e = AgentEncoder(AgentMsg::kHello);
  e.Str(kAgentMagic).Str(h.token).U64(static_cast<uint64_t>(h.kind)).Str(h.session);
  return e;
}

Result<Hello> ParseHello(std::string bytes) {
  if (bytes.size() > kMaxHelloBytes) return Error{"hello longer than " + std::to_string(kMaxHelloBytes) + " bytes"};
  Decoder d(std::move(bytes));
  if (std::string e = ExpectType(d, AgentMsg::kHello, "harvey agent hello"); !e.empty()) return Error{e};
  const std::string magic = d.Str();
  if (d.failed() || magic != kAgentMagic) return Error{"not a harvey agent hello (wrong protocol or version)"};
  Hello h;
  h.token = d.Str();
  const uint64_t kind = d.U64();
  h.session = d.Str();
  if (d.failed() || d.remaining() != 0) return Error{"malformed hello"};
  if (kind != static_cast<uint64_t>(ConnKind::kControl) && kind != static_cast<uint64_t>(ConnKind::kWorker)) {
    return Error{"hello names an unknown connection kind " + std::to_string(kind)};
  }
  h.kind = static_cast<ConnKind>(kind);
  if (h.token.size() > kMaxTokenBytes) return Error{"token longer than " + std::to_string(kMaxTokenBytes) + " bytes"};
  if (h.session.size() > 16 || !IsHex(h.session)) return Error{"malformed session in hello"};
  return h;
}

Encoder EncodeWelcome(const AgentFacts& f) {
  Encoder e = AgentEncoder(AgentMsg::kWelcome);
  e.Str(f.session).Str(f.host).Str(f.kernel).Str(f.dir).Str(f.fs_type).Str(f.sqlite).Str(f.sqlite_version)
      .Str(f.sqlite_source_id).I64(f.pid);
  return e;
}

Result<AgentFacts> ParseWelcome(std::string bytes) {
  Decoder d(std::move(bytes));
  if (std::string e = ExpectType(d, AgentMsg::kWelcome, "welcome"); !e.empty()) return Error{e};
  AgentFacts f;
  f.session = d.Str();
  f.host = d.Str();
  f.kernel = d.Str();
  f.dir = d.Str();
  f.fs_type = d.Str();
  f.sqlite = d.Str();
  f.sqlite_version = d.Str();
  f.sqlite_source_id = d.Str();
  f.pid = d.I64();
  if (d.failed() || d.remaining() != 0 || f.session.size() != 16 || !IsHex(f.session)) {
    return Error{"malformed welcome"};
  }
  return f;
}

Result<AgentRequest> ParseControlRequest(std::string bytes) {
  if (bytes.size() > kMaxControlBytes) return Error{"request longer than " + std::to_string(kMaxControlBytes) + " bytes"};
  Decoder d(std::move(bytes));
  AgentRequest r;
  r.type = static_cast<AgentMsg>(d.type());
  if (d.failed()) return Error{"empty request"};
  switch (r.type) {
    case AgentMsg::kPing:
      break;
    case AgentMsg::kKill:
      r.pid = d.U64();
      if (!d.failed() && (r.pid < 2 || r.pid > (1u << 22))) return Error{"Kill names no possible pid"};
      break;
    case AgentMsg::kNewDatabase:
      r.text = d.Str();
      if (!d.failed() && !LooksLikeFreshDatabase(r.text)) {
        return Error{"NewDatabase carries no fresh SQLite database (at most " + std::to_string(kMaxDatabaseBytes) +
                     " bytes, whole pages)"};
      }
      break;
    case AgentMsg::kShareWrite:
      r.text = d.Str();
      if (!d.failed() && (r.text.empty() || r.text.size() > kMaxNonceBytes || !IsHex(r.text))) {
        return Error{"ShareWrite nonce must be 1.." + std::to_string(kMaxNonceBytes) + " hex digits"};
      }
      break;
    case AgentMsg::kShareRead:
    case AgentMsg::kShareRemove:
      r.text = d.Str();
      if (!d.failed() && !ValidShareName(r.text)) return Error{"not a share file name this agent makes"};
      break;
    default:
      return Error{"unknown request type " + std::to_string(static_cast<int>(r.type))};
  }
  if (d.failed() || d.remaining() != 0) return Error{"malformed request"};
  return r;
}

bool ValidDatabaseName(std::string_view name) {
  // harvey-<16 hex>/<1..9 digits>/harvey.db
  constexpr std::string_view kPrefix = "harvey-", kFile = "/harvey.db";
  if (name.size() < kPrefix.size() + 16 + 2 + kFile.size() || name.substr(0, kPrefix.size()) != kPrefix) return false;
  name.remove_prefix(kPrefix.size());
  if (!IsHex(name.substr(0, 16)) || name[16] != '/') return false;
  name.remove_prefix(17);
  if (name.size() <= kFile.size() || name.substr(name.size() - kFile.size()) != kFile) return false;
  const std::string_view n = name.substr(0, name.size() - kFile.size());
  return !n.empty() && n.size() <= 9 && IsDigits(n);
}

bool ValidShareName(std::string_view name) {
  constexpr std::string_view kPrefix = "harvey-share-";
  return name.size() == kPrefix.size() + 32 && name.substr(0, kPrefix.size()) == kPrefix &&
         IsHex(name.substr(kPrefix.size()));
}

bool LooksLikeFreshDatabase(std::string_view b) {
  static constexpr char kMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
  if (b.size() < 100 || b.size() > kMaxDatabaseBytes || std::memcmp(b.data(), kMagic, 16) != 0) return false;
  uint32_t page = static_cast<uint8_t>(b[16]) << 8 | static_cast<uint8_t>(b[17]);
  if (page == 1) page = 65536;
  if (page < 512 || (page & (page - 1)) != 0) return false;
  return b.size() % page == 0;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Every byte of `a` is compared against b (cycled), whatever matched so far.
  unsigned diff = a.size() != b.size() ? 1u : 0u;
  const size_t nb = b.empty() ? 1 : b.size();
  for (size_t i = 0; i < a.size(); ++i) {
    const unsigned char cb = b.empty() ? 0 : static_cast<unsigned char>(b[i % nb]);
    diff |= static_cast<unsigned char>(a[i]) ^ cb;
  }
  return diff == 0 && !b.empty();
}

std::string FilesystemTypeName(int64_t t) {
  struct Name {
    int64_t magic;
    const char* name;
  };
  static constexpr Name kNames[] = {
      {0xEF53, "ext2/3/4"}, {0x58465342, "xfs"}, {0x9123683E, "btrfs"}, {0x01021994, "tmpfs"},
      {0x6969, "nfs"}, {0x65735546, "fuse"}, {0xFF534D42, "cifs"}, {0xFE534D42, "smb2"},
      {0x794C7630, "overlayfs"}, {0x2FC12FC1, "zfs"}, {0x01021997, "v9fs"}, {0x5346414F, "afs"},
      {0x47504653, "gpfs"}, {0x0BD00BD0, "lustre"}, {0x00C36400, "ceph"}, {0xF2F52010, "f2fs"},
      {0x4D44, "vfat"}, {0x5346544E, "ntfs"}, {0x7366746E, "ntfs3"}, {0x858458F6, "ramfs"},
      {0x73717368, "squashfs"}, {0x62656572, "sysfs"}, {0x9FA0, "proc"}, {0x6E736673, "nsfs"},
      {0xCA451A4E, "bcachefs"}, {0x2011BAB0, "exfat"}, {0x786F4256, "virtiofs? (fuse-based)"},
  };
  for (const Name& n : kNames) {
    if (n.magic == t) return n.name;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(t));
  return buf;
}

Result<std::string> LoadAgentToken(const std::string& token_file) {
  std::string token;
  std::string source;
  if (!token_file.empty()) {
    std::ifstream in(token_file, std::ios::binary);
    if (!in) return Error{"cannot read the token file " + token_file + ": " + std::strerror(errno)};
    std::ostringstream ss;
    ss << in.rdbuf();
    token = ss.str();
    if (!token.empty() && token.back() == '\n') token.pop_back();
    if (!token.empty() && token.back() == '\r') token.pop_back();
    source = "token file " + token_file;
  } else if (const char* env = std::getenv("HARVEY_AGENT_TOKEN"); env && *env) {
    token = env;
    source = "HARVEY_AGENT_TOKEN";
  } else {
    return Error{"no shared token: give --token-file FILE or set HARVEY_AGENT_TOKEN (the same on the agents and the coordinator; e.g. head -c 32 /dev/urandom | base64)"};
  }
  if (token.size() < kMinTokenBytes || token.size() > kMaxTokenBytes) {
    return Error{"the token (" + source + ") must be " + std::to_string(kMinTokenBytes) + ".." +
                 std::to_string(kMaxTokenBytes) + " bytes"};
  }
  for (char c : token) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Error{"the token (" + source + ") contains a control character"};
    }
  }
  return token;
}

namespace {

void TuneTcp(int fd, int family) {
  if (family == AF_UNIX) return;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
}

// Connects `fd` within timeout_ms. "" or strerror.
std::string ConnectWithin(int fd, const sockaddr* a, socklen_t len, int timeout_ms) {
  const int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int r = ::connect(fd, a, len);
  if (r != 0 && errno == EINPROGRESS) {
    pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
    do {
      r = ::poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return "timed out after " + std::to_string(timeout_ms) + " ms";
    int err = 0;
    socklen_t el = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err != 0) return std::strerror(err);
    r = 0;
  }
  if (r != 0) return std::strerror(errno);
  ::fcntl(fd, F_SETFL, flags);
  return "";
}

}  // namespace

Result<int> ConnectAgent(const std::string& address, int timeout_ms) {
  if (address.rfind("unix:", 0) == 0) {
    const std::string path = address.substr(5);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof a.sun_path) return Error{"agent " + address + ": bad socket path"};
    std::memcpy(a.sun_path, path.data(), path.size());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error{std::string("socket: ") + std::strerror(errno)};
    if (std::string e = ConnectWithin(fd, reinterpret_cast<sockaddr*>(&a), sizeof a, timeout_ms); !e.empty()) {
      ::close(fd);
      return Error{"agent " + address + " unreachable: " + e};
    }
    return fd;
  }
  std::string host, port;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find("]:");
    if (close == std::string::npos) return Error{"agent address " + address + ": want [V6]:PORT"};
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return Error{"agent address '" + address + "': want HOST:PORT, [V6]:PORT or unix:/path"};
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (port.empty() || !IsDigits(port)) return Error{"agent address " + address + ": the port is not a number"};
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int e = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); e != 0) {
    return Error{"agent " + address + ": cannot resolve " + host + ": " + ::gai_strerror(e)};
  }
  std::string last = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    last = ConnectWithin(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms);
    if (last.empty()) {
      TuneTcp(fd, ai->ai_family);
      ::freeaddrinfo(res);
      return fd;
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return Error{"agent " + address + " unreachable: " + last};
}

std::optional<std::string> RecvWithin(int fd, int timeout_ms, uint32_t max_bytes) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  auto read_all = [&](char* p, size_t n) {
    while (n > 0) {
      if (timeout_ms >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd pf{.fd = fd, .events = POLLIN, .revents = 0};
        const int r = ::poll(&pf, 1, static_cast<int>(left));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
      }
      const ssize_t r = ::read(fd, p, n);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      p += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  };
  unsigned char len[4];
  if (!read_all(reinterpret_cast<char*>(len), 4)) return std::nullopt;
  const uint32_t n = len[0] | len[1] << 8 | len[2] << 16 | static_cast<uint32_t>(len[3]) << 24;
  if (n == 0 || n > max_bytes) return std::nullopt;
  std::string b(n, '\0');
  if (!read_all(b.data(), n)) return std::nullopt;
  return b;
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::read(fd, raw.data(), bytes) != static_cast<ssize_t>(bytes)) {
    // No /dev/urandom (a bare container): time and pid still make a fresh name.
    uint64_t x = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^ (uint64_t{static_cast<uint32_t>(::getpid())} << 32);
    for (size_t i = 0; i < bytes; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      raw[i] = static_cast<char>(x >> 56);
    }
  }
  if (fd >= 0) ::close(fd);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace harvey::harness
