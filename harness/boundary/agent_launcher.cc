#include "harness/boundary/agent_launcher.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "harness/os/files.h"

namespace harvey::harness {
namespace {

constexpr int kReplyTimeoutMs = 10000;

// Checks the reply's type byte; an Error/Refused reply sets *error to its line.
bool ReplyIs(Decoder& d, AgentMsg want, std::string* error) {
  const auto t = static_cast<AgentMsg>(d.type());
  if (t == want && !d.failed()) return true;
  if (t == AgentMsg::kError || t == AgentMsg::kRefused) {
    *error = d.Str().substr(0, 300);
  } else {
    *error = "unexpected reply (type " + std::to_string(static_cast<int>(t)) + ")";
  }
  return false;
}

// Opens a connection and says hello; returns the fd and the reply's bytes.
Result<int> Greet(const std::string& address, const Hello& hello, int timeout_ms, std::string* reply) {
  Result<int> fd = ConnectAgent(address, timeout_ms);
  if (!fd.ok()) return fd;
  std::optional<std::string> m;
  if (!SendMsg(fd.value(), EncodeHello(hello)) || !(m = RecvWithin(fd.value(), timeout_ms, kMaxHelloBytes))) {
    ::close(fd.value());
    return Error{"agent " + address + ": no answer to the hello within " + std::to_string(timeout_ms / 1000) +
                 " s (is a harvey agent listening there?)"};
  }
  *reply = std::move(*m);
  return fd;
}

}  // namespace

Result<std::unique_ptr<AgentLauncher>> AgentLauncher::Connect(const std::vector<std::string>& addresses,
                                                             const std::string& token, int timeout_ms) {
  std::unique_ptr<AgentLauncher> l(new AgentLauncher(token));
  for (const std::string& address : addresses) {
    std::string reply;
    Result<int> fd = Greet(address, Hello{.token = token, .kind = ConnKind::kControl, .session = ""}, timeout_ms, &reply);
    if (!fd.ok()) return Error{fd.error()};
    l->control_.push_back(fd.value());
    Result<AgentFacts> f = ParseWelcome(std::move(reply));
    if (!f.ok()) return Error{"agent " + address + ": " + f.error()};
    l->agents_.push_back(AgentEndpoint{address, f.value()});
    l->spare_.push_back(-1);
  }
  return l;
}

AgentLauncher::~AgentLauncher() {
  for (int fd : spare_) {
    if (fd >= 0) ::close(fd);
  }
  for (int fd : control_) {
    if (fd >= 0) ::close(fd);  // the agent kills this session's workers and removes its files
  }
}

std::optional<Decoder> AgentLauncher::Ask(size_t i, const Encoder& request, std::string* error) {
  const std::string& who = agents_[i].address;
  if (control_[i] < 0) {
    *error = "agent " + who + ": its connection was lost earlier";
    return std::nullopt;
  }
  std::optional<std::string> m;
  if (!SendMsg(control_[i], request) || !(m = RecvWithin(control_[i], kReplyTimeoutMs, kMaxControlBytes))) {
    ::close(control_[i]);
    control_[i] = -1;
    *error = "agent " + who + " stopped answering (died, or the network dropped the connection)";
    return std::nullopt;
  }
  return Decoder(std::move(*m));
}

std::string AgentLauncher::StageDatabase(std::string* host_db_path) {
  std::string bytes;
  if (!ReadWholeFile(*host_db_path, &bytes)) return *host_db_path + ": cannot read: " + std::strerror(errno);
  Encoder e = AgentEncoder(AgentMsg::kNewDatabase);
  e.Str(bytes);
  std::string error;
  std::optional<Decoder> d = Ask(0, e, &error);
  if (!d) return error;
  if (!ReplyIs(*d, AgentMsg::kDatabaseReady, &error)) return "agent " + agents_[0].address + ": " + error;
  const std::string name = d->Str();
  if (d->failed() || !ValidDatabaseName(name)) return "agent " + agents_[0].address + ": malformed database name";
  *host_db_path = name;
  return "";
}

std::string AgentLauncher::Spawn(int slot, const std::string& host_db_path, const std::string& sqlite, pid_t* id,
                                 int* fd) {
  const size_t i = static_cast<size_t>(slot) % agents_.size();
  const AgentEndpoint& a = agents_[i];
  if (sqlite != a.facts.sqlite) {
    return "worker " + std::to_string(slot + 1) + " should run SQLite " + sqlite + ", but agent " + a.address +
           " runs '" + a.facts.sqlite + "' (start that agent with harvey-sqlite-" + sqlite +
           ", or give the schedule's workers `sqlite " + a.facts.sqlite + "` lines)";
  }
  if (control_[i] < 0) return "agent " + a.address + ": its connection was lost earlier";
  std::string reply;
  Result<int> conn = Error{""};
  // A spare connection made after the previous spawn: its worker is forked already.
  if (const int spare = std::exchange(spare_[i], -1); spare >= 0) {
    std::optional<std::string> m = RecvWithin(spare, kReplyTimeoutMs, kMaxHelloBytes);
    if (m) {
      conn = spare;
      reply = std::move(*m);
    } else {
      ::close(spare);
    }
  }
  if (!conn.ok()) {
    conn = Greet(a.address, Hello{.token = token_, .kind = ConnKind::kWorker, .session = a.facts.session},
                 kReplyTimeoutMs, &reply);
  }
  if (!conn.ok()) return conn.error();
  spare_[i] = OpenSpare(i);
  Decoder d(std::move(reply));
  std::string error;
  if (!ReplyIs(d, AgentMsg::kSpawned, &error)) {
    ::close(conn.value());
    return "agent " + a.address + ": " + error;
  }
  *id = static_cast<pid_t>(d.U64());
  *fd = conn.value();
  return "";
}

int AgentLauncher::OpenSpare(size_t i) {
  Result<int> fd = ConnectAgent(agents_[i].address, kReplyTimeoutMs);
  if (!fd.ok()) return -1;
  if (!SendMsg(fd.value(), EncodeHello(Hello{.token = token_, .kind = ConnKind::kWorker, .session = agents_[i].facts.session}))) {
    ::close(fd.value());
    return -1;
  }
  return fd.value();
}

bool AgentLauncher::Reaches(int slot, const std::string&) const {
  return control_[static_cast<size_t>(slot) % control_.size()] >= 0;
}

int AgentLauncher::Kill(int slot, pid_t id) {
  const size_t i = static_cast<size_t>(slot) % agents_.size();
  Encoder e = AgentEncoder(AgentMsg::kKill);
  e.U64(static_cast<uint64_t>(id));
  std::string error;
  std::optional<Decoder> d = Ask(i, e, &error);
  // A lost agent has lost its workers too (they die with their agent), but
  // how they ended is unknown: kWorkerLost, which the backend reports as
  // harvey's problem, not a finding.
  if (!d || !ReplyIs(*d, AgentMsg::kKilled, &error)) return kWorkerLost;
  d->U64();  // the pid, echoed
  const int64_t status = d->I64();
  return !d->failed() && status >= 0 ? static_cast<int>(status) : kWorkerLost;
}

std::string AgentLauncher::ProveSharedDirectory() {
  const std::string nonce = RandomHex(16);
  Encoder w = AgentEncoder(AgentMsg::kShareWrite);
  w.Str(nonce);
  std::string error;
  std::optional<Decoder> d = Ask(0, w, &error);
  if (!d) return error;
  if (!ReplyIs(*d, AgentMsg::kShareName, &error)) return "agent " + agents_[0].address + ": " + error;
  const std::string name = d->Str();
  std::string problem;
  for (size_t i = 1; i < agents_.size() && problem.empty(); ++i) {
    Encoder r = AgentEncoder(AgentMsg::kShareRead);
    r.Str(name);
    error.clear();
    std::optional<Decoder> got = Ask(i, r, &error);
    std::string content;
    if (got && ReplyIs(*got, AgentMsg::kShareContent, &error)) content = got->Str();
    if (!got || content != nonce) {
      problem = "agent " + agents_[i].address + " (host " + agents_[i].facts.host + ", directory " +
                agents_[i].facts.dir + ") does not see the file " + name + " that agent " + agents_[0].address +
                " (host " + agents_[0].facts.host + ") wrote in " + agents_[0].facts.dir +
                (error.empty() ? " (it read other content)" : " (" + error + ")") +
                ": the agents do not serve one shared directory";
    }
  }
  Encoder rm = AgentEncoder(AgentMsg::kShareRemove);
  rm.Str(name);
  if (std::optional<Decoder> done = Ask(0, rm, &error); !done && problem.empty()) problem = error;
  return problem;
}

std::string AgentLauncher::Health() {
  for (size_t i = 0; i < agents_.size(); ++i) {
    std::string error;
    std::optional<Decoder> d = Ask(i, AgentEncoder(AgentMsg::kPing), &error);
    if (!d) return error;
    if (!ReplyIs(*d, AgentMsg::kOk, &error)) return "agent " + agents_[i].address + ": " + error;
  }
  return "";
}

std::string AgentLauncher::Describe(const std::string& indent) const {
  std::string out;
  for (const AgentEndpoint& a : agents_) {
    const AgentFacts& f = a.facts;
    out += indent + "agent " + a.address + ": host " + f.host + ", " + f.kernel + ", directory " + f.dir + " (" +
           f.fs_type + "), SQLite " + f.sqlite + " " + f.sqlite_version + " (" + f.sqlite_source_id + ")\n";
  }
  return out;
}

}  // namespace harvey::harness
