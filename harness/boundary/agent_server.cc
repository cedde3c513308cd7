#include "harness/boundary/agent_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include "harness/boundary/agent_protocol.h"
#include "harness/boundary/worker_child.h"
#include "harness/os/interrupt.h"
#include "harness/os/process.h"
#include "harness/worker/connection.h"
#include "harness/worker/sqlite_build.h"
#include "harness/worker/worker_main.h"

namespace harvey::harness {
namespace {

using Clock = std::chrono::steady_clock;

void Log(const char* fmt, ...) {
  char when[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::fprintf(stderr, "harvey agent %s: ", when);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

std::string PeerName(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = "?";
  if (a.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (a.ss_family == AF_INET6) {
    auto* in = reinterpret_cast<sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in->sin6_port));
  }
  return "unix peer";
}

void SendQuiet(int fd, const Encoder& e) {
  // Small messages on a fresh socket: never block the agent's loop for long.
  timeval tv{.tv_sec = 2, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  SendMsg(fd, e);
}

void Refuse(int fd, const std::string& peer, const std::string& line) {
  Log("refused %s: %s", peer.c_str(), line.c_str());  // logged before the peer can read it
  Encoder e = AgentEncoder(AgentMsg::kRefused);
  e.Str(line);
  SendQuiet(fd, e);
}

void SetBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK); }

// Whether `path` is a directory, and not a symlink to one.
bool IsRealDir(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The worker-side check of a Reset's database name (WorkerLimits).
std::string ResolveDatabase(const std::string& dir, const std::string& name, std::string* out) {
  if (!ValidDatabaseName(name)) {
    return "the agent opens only databases it named (DIR/harvey-<session>/<n>/harvey.db), not '" +
           name.substr(0, 120) + "'";
  }
  const size_t first = name.find('/'), second = name.find('/', first + 1);
  const std::string session_dir = dir + "/" + name.substr(0, first);
  const std::string db_dir = dir + "/" + name.substr(0, second);
  if (!IsRealDir(session_dir) || !IsRealDir(db_dir)) {
    return "no database directory " + name.substr(0, second) + " in " + dir + " (or it is a symlink)";
  }
  struct stat st{};
  const std::string path = dir + "/" + name;
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return path + " is not a regular file";
  *out = path;
  return "";
}

Result<int> Listen(const std::string& address, std::string* bound, std::string* unix_path) {
  if (address.rfind("unix:", 0) == 0) {
    const std::string path = address.substr(5);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof a.sun_path) return Error{"--listen " + address + ": bad socket path"};
    std::memcpy(a.sun_path, path.data(), path.size());
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) return Error{"--listen " + address + ": exists and is not a socket"};
      if (Result<int> live = ConnectAgent(address, 500); live.ok()) {
        ::close(live.value());
        return Error{"--listen " + address + ": another process is listening there"};
      }
      ::unlink(path.c_str());  // a dead agent's socket
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 64) != 0) {
      const std::string e = std::strerror(errno);
      if (fd >= 0) ::close(fd);
      return Error{"cannot listen on " + address + ": " + e};
    }
    *bound = address;
    *unix_path = path;
    return fd;
  }
  std::string host, port;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find("]:");
    if (close == std::string::npos) return Error{"--listen " + address + ": want [V6]:PORT"};
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) return Error{"--listen " + address + ": want HOST:PORT, [V6]:PORT or unix:/path"};
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (int e = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res); e != 0) {
    return Error{"--listen " + address + ": " + ::gai_strerror(e)};
  }
  std::string last = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 64) == 0) {
      sockaddr_storage a{};
      socklen_t len = sizeof a;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
      char h[INET6_ADDRSTRLEN] = "?";
      if (a.ss_family == AF_INET6) {
        auto* in = reinterpret_cast<sockaddr_in6*>(&a);
        ::inet_ntop(AF_INET6, &in->sin6_addr, h, sizeof h);
        *bound = "[" + std::string(h) + "]:" + std::to_string(ntohs(in->sin6_port));
      } else {
        auto* in = reinterpret_cast<sockaddr_in*>(&a);
        ::inet_ntop(AF_INET, &in->sin_addr, h, sizeof h);
        *bound = std::string(h) + ":" + std::to_string(ntohs(in->sin_port));
      }
      ::freeaddrinfo(res);
      return fd;
    }
    last = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return Error{"cannot listen on " + address + ": " + last};
}

// A connection that has not finished its hello.
struct Pending {
  int fd = -1;
  std::string peer;
  std::string buf;  // the frame so far (4 length bytes, then the message)
  Clock::time_point deadline;
};

struct Session {
  int fd = -1;
  std::string peer;
  std::string id;  // 16 hex digits
  std::string since;
  Clock::time_point last;
  std::set<pid_t> workers;
  bool made_dir = false;
  uint64_t next_db = 0;
  std::string last_db_dir;  // DIR/harvey-<id>/<n>
  std::set<std::string> shares;
  int errors = 0;
};

class Agent {
 public:
  Agent(const AgentOptions& o, std::string dir) : o_(o), dir_(std::move(dir)) {}
  int Run(int listen_fd);

 private:
  void Accept();
  void ReadPending(Pending& p);  // closes p.fd when done (p.fd = -1)
  void Dispatch(Pending& p);
  void StartSession(int fd, const std::string& peer);
  void StartWorker(int fd, const std::string& peer);
  void ServeControl();
  Encoder Handle(const AgentRequest& r);
  std::string NewDatabase(const std::string& bytes, std::string* name);
  void RemoveDatabaseDir(const std::string& d);
  void EndSession(const std::string& reason);
  void ReapExited();
  AgentFacts Facts(const std::string& session) const;

  const AgentOptions& o_;
  std::string dir_;  // realpath of DIR
  int listen_fd_ = -1;
  std::vector<Pending> pending_;
  Session s_;
};

AgentFacts Agent::Facts(const std::string& session) const {
  AgentFacts f;
  f.session = session;
  utsname u{};
  if (::uname(&u) == 0) {
    f.host = u.nodename;
    f.kernel = std::string(u.sysname) + " " + u.release;
  }
  f.dir = dir_;
  struct statfs sf{};
  f.fs_type = ::statfs(dir_.c_str(), &sf) == 0 ? FilesystemTypeName(static_cast<int64_t>(sf.f_type)) : "unknown";
  const SqliteBuild b = ThisSqlite();
  f.sqlite = b.name;
  f.sqlite_version = b.version;
  f.sqlite_source_id = b.source_id;
  f.pid = ::getpid();
  return f;
}

void Agent::Accept() {
  while (true) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    const std::string peer = PeerName(fd);
    if (static_cast<int>(pending_.size()) >= o_.max_pending) {
      Refuse(fd, peer, "too many connections waiting for their hello (at most " + std::to_string(o_.max_pending) + ")");
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pending_.push_back(Pending{fd, peer, "", Clock::now() + std::chrono::milliseconds(o_.handshake_timeout_ms)});
  }
}

void Agent::ReadPending(Pending& p) {
  while (true) {
    size_t want = 4;
    if (p.buf.size() >= 4) {
      const auto* b = reinterpret_cast<const unsigned char*>(p.buf.data());
      const uint32_t n = b[0] | b[1] << 8 | b[2] << 16 | static_cast<uint32_t>(b[3]) << 24;
      if (n == 0 || n > kMaxHelloBytes) {
        Refuse(p.fd, p.peer, "hello of " + std::to_string(n) + " bytes refused (at most " +
                                 std::to_string(kMaxHelloBytes) + ")");
        ::close(std::exchange(p.fd, -1));
        return;
      }
      want = 4 + n;
      if (p.buf.size() == want) {
        Dispatch(p);
        return;
      }
    }
    char chunk[512];
    const size_t ask = std::min(sizeof chunk, want - p.buf.size());
    const ssize_t r = ::recv(p.fd, chunk, ask, 0);
    if (r > 0) {
      p.buf.append(chunk, static_cast<size_t>(r));
      continue;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
    Log("%s closed before its hello", p.peer.c_str());
    ::close(std::exchange(p.fd, -1));
    return;
  }
}

void Agent::Dispatch(Pending& p) {
  const int fd = std::exchange(p.fd, -1);
  Result<Hello> h = ParseHello(p.buf.substr(4));
  if (!h.ok()) {
    Refuse(fd, p.peer, h.error());
    ::close(fd);
    return;
  }
  if (!ConstantTimeEquals(h.value().token, o_.token)) {
    Refuse(fd, p.peer, "wrong token (the agent and the coordinator must share HARVEY_AGENT_TOKEN or --token-file)");
    ::close(fd);
    return;
  }
  if (h.value().kind == ConnKind::kControl) {
    if (s_.fd >= 0) {
      Refuse(fd, p.peer, "busy: this agent serves the coordinator at " + s_.peer + " since " + s_.since +
                             " (one coordinator at a time)");
      ::close(fd);
      return;
    }
    StartSession(fd, p.peer);
    return;
  }
  if (s_.fd < 0 || h.value().session != s_.id) {
    Refuse(fd, p.peer, "worker connection for session '" + h.value().session + "', which is not this agent's current session");
    ::close(fd);
    return;
  }
  if (static_cast<int>(s_.workers.size()) >= o_.max_workers) {
    Refuse(fd, p.peer, "too many workers (at most " + std::to_string(o_.max_workers) + " per coordinator)");
    ::close(fd);
    return;
  }
  StartWorker(fd, p.peer);
}

void Agent::StartSession(int fd, const std::string& peer) {
  SetBlocking(fd);
  timeval tv{.tv_sec = 10, .tv_usec = 0};  // a request's bytes arrive together; a stall ends the session
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  s_ = Session{};
  s_.fd = fd;
  s_.peer = peer;
  s_.id = RandomHex(8);
  s_.last = Clock::now();
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  s_.since = when;
  if (!SendMsg(fd, EncodeWelcome(Facts(s_.id)))) {
    EndSession("could not send the welcome");
    return;
  }
  Log("serving the coordinator at %s (session %s)", peer.c_str(), s_.id.c_str());
}

void Agent::StartWorker(int fd, const std::string& peer) {
  SetBlocking(fd);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    Refuse(fd, peer, std::string("fork: ") + std::strerror(errno));
    ::close(fd);
    return;
  }
  if (pid == 0) {
    if (!EnterWorkerChild(parent, fd)) _exit(0);  // (the agent stops us in order)
    WorkerLimits limits;
    limits.max_message = kMaxWorkerInBytes;
    const std::string dir = dir_;
    limits.resolve_path = [dir](const std::string& name, std::string* out) { return ResolveDatabase(dir, name, out); };
    _exit(WorkerMain(3, limits));
  }
  s_.workers.insert(pid);
  Encoder e = AgentEncoder(AgentMsg::kSpawned);
  e.U64(static_cast<uint64_t>(pid));
  SendQuiet(fd, e);
  ::close(fd);
}

// Reads one control frame. 0 ok, 1 EOF/error, 2 too large (*n set).
int ReadFrame(int fd, uint32_t max, std::string* out, uint32_t* n) {
  unsigned char len[4];
  size_t got = 0;
  while (got < 4) {
    const ssize_t r = ::read(fd, len + got, 4 - got);
    if (r < 0 && errno == EINTR && !Interrupted()) continue;
    if (r <= 0) return 1;
    got += static_cast<size_t>(r);
  }
  *n = len[0] | len[1] << 8 | len[2] << 16 | static_cast<uint32_t>(len[3]) << 24;
  if (*n == 0 || *n > max) return 2;
  out->assign(*n, '\0');
  got = 0;
  while (got < *n) {
    const ssize_t r = ::read(fd, out->data() + got, *n - got);
    if (r < 0 && errno == EINTR && !Interrupted()) continue;
    if (r <= 0) return 1;
    got += static_cast<size_t>(r);
  }
  return 0;
}

void Agent::ServeControl() {
  std::string bytes;
  uint32_t n = 0;
  const int rc = ReadFrame(s_.fd, kMaxControlBytes, &bytes, &n);
  if (rc == 1) {
    EndSession("the coordinator closed the connection");
    return;
  }
  if (rc == 2) {
    Refuse(s_.fd, s_.peer, "message of " + std::to_string(n) + " bytes refused (at most " +
                               std::to_string(kMaxControlBytes) + "); session ended");
    EndSession("oversized message");
    return;
  }
  s_.last = Clock::now();
  Result<AgentRequest> r = ParseControlRequest(std::move(bytes));
  Encoder reply = AgentEncoder(AgentMsg::kError);
  if (!r.ok()) {
    reply.Str(r.error());
    Log("refused a request from %s: %s", s_.peer.c_str(), r.error().c_str());
    if (++s_.errors > 10) {
      SendMsg(s_.fd, reply);
      EndSession("more than 10 refused requests");
      return;
    }
  } else {
    reply = Handle(r.value());
  }
  if (!SendMsg(s_.fd, reply)) EndSession("could not answer the coordinator");
}

Encoder Agent::Handle(const AgentRequest& r) {
  auto error = [&](const std::string& line) {
    Log("request from %s failed: %s", s_.peer.c_str(), line.c_str());
    Encoder e = AgentEncoder(AgentMsg::kError);
    e.Str(line);
    return e;
  };
  switch (r.type) {
    case AgentMsg::kPing:
      return AgentEncoder(AgentMsg::kOk);
    case AgentMsg::kKill: {
      const pid_t pid = static_cast<pid_t>(r.pid);
      int status = -1;  // not ours: nothing to tell (Launcher::kWorkerLost)
      if (s_.workers.erase(pid) > 0) status = KillAndReap(pid);  // only our own workers
      Encoder e = AgentEncoder(AgentMsg::kKilled);
      e.U64(r.pid).I64(status);  // its wait status: how it ended (Launcher::Kill)
      return e;
    }
    case AgentMsg::kNewDatabase: {
      std::string name;
      if (std::string e = NewDatabase(r.text, &name); !e.empty()) return error(e);
      Encoder e = AgentEncoder(AgentMsg::kDatabaseReady);
      e.Str(name);
      return e;
    }
    case AgentMsg::kShareWrite: {
      const std::string name = "harvey-share-" + RandomHex(16);
      const std::string path = dir_ + "/" + name;
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0) return error(path + ": cannot create: " + std::strerror(errno));
      const bool ok = ::write(fd, r.text.data(), r.text.size()) == static_cast<ssize_t>(r.text.size()) && ::fsync(fd) == 0;
      ::close(fd);
      s_.shares.insert(name);
      if (!ok) return error(path + ": cannot write: " + std::strerror(errno));
      Encoder e = AgentEncoder(AgentMsg::kShareName);
      e.Str(name);
      return e;
    }
    case AgentMsg::kShareRead: {
      const std::string path = dir_ + "/" + r.text;
      const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return error(path + ": " + std::strerror(errno));
      char buf[kMaxNonceBytes + 1];
      const ssize_t n = ::read(fd, buf, sizeof buf);
      ::close(fd);
      if (n < 0) return error(path + ": cannot read: " + std::strerror(errno));
      Encoder e = AgentEncoder(AgentMsg::kShareContent);
      e.Str(std::string(buf, static_cast<size_t>(n)));
      return e;
    }
    case AgentMsg::kShareRemove: {
      if (s_.shares.erase(r.text) == 0) return error(r.text + " was not written by this session");
      ::unlink((dir_ + "/" + r.text).c_str());
      return AgentEncoder(AgentMsg::kOk);
    }
    default:
      return error("unexpected request");
  }
}

std::string Agent::NewDatabase(const std::string& bytes, std::string* name) {
  const std::string session_dir = dir_ + "/harvey-" + s_.id;
  if (!s_.made_dir) {
    if (::mkdir(session_dir.c_str(), 0777) != 0) return session_dir + ": cannot create: " + std::strerror(errno);
    s_.made_dir = true;
  }
  if (!s_.last_db_dir.empty()) RemoveDatabaseDir(std::exchange(s_.last_db_dir, ""));
  if (s_.next_db >= 999'999'999) return "this session made its last database (999999999)";
  const std::string n = std::to_string(++s_.next_db);
  const std::string db_dir = session_dir + "/" + n;
  if (::mkdir(db_dir.c_str(), 0777) != 0) return db_dir + ": cannot create: " + std::strerror(errno);
  s_.last_db_dir = db_dir;
  const std::string path = db_dir + "/harvey.db";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) return path + ": cannot create: " + std::strerror(errno);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += static_cast<size_t>(w);
  }
  // No fsync: as on every boundary, a fresh database need not be durable
  // (no power loss is caused here), and a sync per schedule would dominate.
  const bool ok = done == bytes.size();
  ::close(fd);
  if (!ok) return path + ": cannot write: " + std::strerror(errno);
  *name = "harvey-" + s_.id + "/" + n + "/harvey.db";
  return "";
}

void Agent::RemoveDatabaseDir(const std::string& d) {
  RemoveDatabase(d + "/harvey.db");
  if (::rmdir(d.c_str()) != 0 && errno != ENOENT) Log("left %s behind: %s", d.c_str(), std::strerror(errno));
}

void Agent::EndSession(const std::string& reason) {
  if (s_.fd < 0) return;
  for (pid_t pid : s_.workers) KillAndReap(pid);
  if (!s_.last_db_dir.empty()) RemoveDatabaseDir(s_.last_db_dir);
  if (s_.made_dir) {
    const std::string session_dir = dir_ + "/harvey-" + s_.id;
    if (::rmdir(session_dir.c_str()) != 0) Log("left %s behind: %s", session_dir.c_str(), std::strerror(errno));
  }
  for (const std::string& name : s_.shares) ::unlink((dir_ + "/" + name).c_str());
  ::close(s_.fd);
  Log("session %s of %s ended: %s (%zu workers stopped)", s_.id.c_str(), s_.peer.c_str(), reason.c_str(),
      s_.workers.size());
  s_ = Session{};
}

void Agent::ReapExited() {
  for (auto it = s_.workers.begin(); it != s_.workers.end();) {
    int status = 0;
    if (::waitpid(*it, &status, WNOHANG) == *it) {
      it = s_.workers.erase(it);
    } else {
      ++it;
    }
  }
}

int Agent::Run(int listen_fd) {
  listen_fd_ = listen_fd;
  while (!Interrupted()) {
    ReapExited();
    std::vector<pollfd> fds;
    fds.push_back({listen_fd_, POLLIN, 0});
    fds.push_back({s_.fd, POLLIN, 0});  // -1: ignored by poll
    for (const Pending& p : pending_) fds.push_back({p.fd, POLLIN, 0});
    const int r = ::poll(fds.data(), fds.size(), 500);
    if (r < 0 && errno != EINTR) {
      Log("poll: %s", std::strerror(errno));
      break;
    }
    if (r > 0) {
      for (size_t i = 0; i < pending_.size(); ++i) {
        if (fds[2 + i].revents) ReadPending(pending_[i]);
      }
      if (s_.fd >= 0 && fds[1].revents) ServeControl();
      if (fds[0].revents) Accept();
    }
    const auto now = Clock::now();
    for (Pending& p : pending_) {
      if (p.fd >= 0 && now > p.deadline) {
        Refuse(p.fd, p.peer, "no hello within " + std::to_string(o_.handshake_timeout_ms) + " ms");
        ::close(std::exchange(p.fd, -1));
      }
    }
    std::erase_if(pending_, [](const Pending& p) { return p.fd < 0; });
    if (s_.fd >= 0 && now - s_.last > std::chrono::seconds(o_.idle_timeout_s)) {
      Refuse(s_.fd, s_.peer, "idle for " + std::to_string(o_.idle_timeout_s) + " s; session ended");
      EndSession("idle timeout");
    }
  }
  EndSession("the agent is stopping");
  for (Pending& p : pending_) ::close(p.fd);
  pending_.clear();
  return 0;
}

}  // namespace

int AgentMain(const AgentOptions& o) {
  char real[PATH_MAX];
  if (o.dir.empty() || ::realpath(o.dir.c_str(), real) == nullptr || !IsRealDir(real)) {
    std::fprintf(stderr, "harvey agent: --dir %s: not an existing directory\n", o.dir.c_str());
    return 2;
  }
  if (::access(real, W_OK) != 0) {
    std::fprintf(stderr, "harvey agent: --dir %s: not writable by this process (uid %d)\n", real, ::getuid());
    return 3;
  }
  std::string bound, unix_path;
  Result<int> fd = Listen(o.listen, &bound, &unix_path);
  if (!fd.ok()) {
    std::fprintf(stderr, "harvey agent: %s\n", fd.error().c_str());
    return 3;
  }
  std::signal(SIGPIPE, SIG_IGN);
  Agent agent(o, real);
  Log("listening on %s, serving directory %s (%s), one coordinator at a time", bound.c_str(), real,
      [&] {
        struct statfs sf{};
        return ::statfs(real, &sf) == 0 ? FilesystemTypeName(static_cast<int64_t>(sf.f_type)) : std::string("?");
      }()
          .c_str());
  if (!o.address_file.empty()) {
    const std::string tmp = o.address_file + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (f) {
      std::fprintf(f, "%s\n", bound.c_str());
      std::fclose(f);
      std::rename(tmp.c_str(), o.address_file.c_str());
    }
  }
  const int rc = agent.Run(fd.value());
  ::close(fd.value());
  if (!unix_path.empty()) ::unlink(unix_path.c_str());
  if (!o.address_file.empty()) ::unlink(o.address_file.c_str());  // no stale address for `probe --agent @DIR`
  Log("stopped");
  return rc;
}

}  // namespace harvey::harness
