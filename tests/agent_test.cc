// `harvey agent` (harness/boundary/agent_server.h) and its coordinator side
// (harness/boundary/agent_launcher.h): every refusal (wrong token, oversized
// message, a path outside the directory, a second coordinator) is one clear
// line to the peer and in the agent's log, and writes nothing; agents
// sharing a directory give the same trace as fork; agents on different
// directories are told apart. Real agents, started as `harvey agent` on
// loopback with an ephemeral port.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "harness/backend/fork_backend.h"
#include "harness/boundary/agent_launcher.h"
#include "harness/boundary/agent_protocol.h"
#include "harness/coordinator/runner.h"
#include "harness/os/process.h"
#include "harness/worker/wire.h"
#include "model/crash_gen.h"
#include "model/generator.h"
#include "tests/test_util.h"

namespace harvey::harness {
namespace {

namespace fs = std::filesystem;
constexpr const char* kToken = "test-token-0123456789abcdef";

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Empty(const std::string& dir) { return fs::is_empty(dir); }

// One `harvey agent` on 127.0.0.1:0 serving `dir`; stopped by the destructor.
class AgentProcess {
 public:
  AgentProcess(const std::string& scratch, const std::string& dir, const std::string& name) {
    const std::string token_file = scratch + "/token";
    std::ofstream(token_file) << kToken << "\n";
    address_file_ = scratch + "/" + name + ".addr";
    log_ = scratch + "/" + name + ".log";
    const std::string harvey = HarveyBinary();
    if (harvey.empty()) return;
    Result<pid_t> pid = SpawnProcess(ExecSpec{
        .argv = {harvey, "agent", "--listen", "127.0.0.1:0", "--dir", dir, "--token-file", token_file,
                 "--address-file", address_file_},
        .fds = {},
        .stderr_path = log_});
    if (!pid.ok()) return;
    pid_ = pid.value();
    for (int i = 0; i < 1000 && address_.empty(); ++i) {  // 10 s
      std::ifstream in(address_file_);
      std::getline(in, address_);
      if (address_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~AgentProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      StopProcess(pid_, 5000);
    }
  }
  const std::string& address() const { return address_; }
  // The agent's log (waits up to 2 s for `want` to appear, if given).
  std::string log(const std::string& want = "") const {
    std::string text = Slurp(log_);
    for (int i = 0; i < 200 && !want.empty() && text.find(want) == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      text = Slurp(log_);
    }
    return text;
  }

 private:
  pid_t pid_ = -1;
  std::string address_file_, log_, address_;
};

// Sends a hello and returns the reply's first field as "TYPE: line".
std::string HelloReply(const std::string& address, const Hello& h, int* fd_out = nullptr) {
  Result<int> fd = ConnectAgent(address, 5000);
  if (!fd.ok()) return "connect: " + fd.error();
  SendMsg(fd.value(), EncodeHello(h));
  std::optional<std::string> m = RecvWithin(fd.value(), 5000, kMaxControlBytes);
  std::string out = "no reply";
  if (m) {
    Decoder d(*m);
    const auto t = static_cast<AgentMsg>(d.type());
    out = t == AgentMsg::kRefused ? "refused: " + d.Str() : "type " + std::to_string(static_cast<int>(t));
  }
  if (fd_out && m && out.rfind("refused", 0) != 0) {
    *fd_out = fd.value();
  } else {
    ::close(fd.value());
  }
  return out;
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (HarveyBinary().empty()) GTEST_SKIP() << "the harvey executable was not found (set HARVEY_BINARY)";
    scratch_ = testing::MakeScratch();
    dir_ = scratch_->path() + "/shared";
    fs::create_directory(dir_);
  }
  std::unique_ptr<ScratchDir> scratch_;
  std::string dir_;
};

TEST(AgentProtocol, NamesAndDecoding) {
  EXPECT_TRUE(ValidDatabaseName("harvey-0123456789abcdef/1/harvey.db"));
  EXPECT_TRUE(ValidDatabaseName("harvey-0123456789abcdef/123456789/harvey.db"));
  for (const char* bad : {"/etc/passwd", "../harvey.db", "harvey-0123456789abcdef/../harvey.db",
                          "harvey-0123456789abcdef/1/../../x/harvey.db", "harvey-0123456789ABCDEF/1/harvey.db",
                          "harvey-0123456789abcdef/1234567890/harvey.db", "harvey-0123456789abcdef//harvey.db",
                          "harvey-0123456789abcdef/1/harvey.db-wal", ""}) {
    EXPECT_FALSE(ValidDatabaseName(bad)) << bad;
  }
  EXPECT_TRUE(ValidShareName("harvey-share-0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(ValidShareName("harvey-share-../../etc/passwd0123456789abcdef01"));
  EXPECT_TRUE(ConstantTimeEquals(kToken, kToken));
  EXPECT_FALSE(ConstantTimeEquals(kToken, "test-token-0123456789abcdeF"));
  EXPECT_FALSE(ConstantTimeEquals("", ""));  // an empty token never matches
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  Result<Hello> h = ParseHello(EncodeHello(Hello{.token = kToken, .kind = ConnKind::kWorker, .session = "00ff"}).bytes());
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.value().token, kToken);
  EXPECT_EQ(h.value().kind, ConnKind::kWorker);
  std::string truncated = EncodeHello(Hello{.token = kToken}).bytes();
  truncated.pop_back();
  EXPECT_FALSE(ParseHello(truncated).ok());
  EXPECT_FALSE(ParseControlRequest(std::string(1, static_cast<char>(200))).ok());
  Encoder bad_db = AgentEncoder(AgentMsg::kNewDatabase);
  bad_db.Str("not a database");
  EXPECT_FALSE(ParseControlRequest(bad_db.bytes()).ok());
}

TEST_F(AgentTest, WrongTokenIsRefusedAndNothingWritten) {
  AgentProcess agent(scratch_->path(), dir_, "a");
  ASSERT_FALSE(agent.address().empty()) << agent.log();
  const std::string reply = HelloReply(agent.address(), Hello{.token = "wrong-token-0123456789", .kind = ConnKind::kControl});
  EXPECT_EQ(reply.rfind("refused: wrong token", 0), 0u) << reply;
  EXPECT_EQ(reply.find('\n'), std::string::npos);
  // A worker connection with a wrong token gets no worker either.
  EXPECT_EQ(HelloReply(agent.address(), Hello{.token = "x", .kind = ConnKind::kWorker, .session = "0"}).rfind("refused: wrong token", 0), 0u);
  Result<std::unique_ptr<AgentLauncher>> l = AgentLauncher::Connect({agent.address()}, "another-token-0123456789", 5000);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().find("wrong token"), std::string::npos) << l.error();
  EXPECT_TRUE(Empty(dir_));
  EXPECT_NE(agent.log("wrong token").find("wrong token"), std::string::npos) << agent.log();
}

TEST_F(AgentTest, OversizedMessagesAreRefused) {
  AgentProcess agent(scratch_->path(), dir_, "a");
  ASSERT_FALSE(agent.address().empty()) << agent.log();
  {  // A hello claiming 16 MiB: refused before anything more is read.
    Result<int> fd = ConnectAgent(agent.address(), 5000);
    ASSERT_TRUE(fd.ok()) << fd.error();
    const unsigned char len[4] = {0, 0, 0, 1};
    ASSERT_EQ(::write(fd.value(), len, 4), 4);
    std::optional<std::string> m = RecvWithin(fd.value(), 5000, kMaxHelloBytes);
    ASSERT_TRUE(m);
    Decoder d(*m);
    ASSERT_EQ(static_cast<AgentMsg>(d.type()), AgentMsg::kRefused);
    EXPECT_EQ(d.Str(), "hello of 16777216 bytes refused (at most 4096)");
    ::close(fd.value());
  }
  {  // A control message beyond the cap ends the session with one line.
    int fd = -1;
    ASSERT_EQ(HelloReply(agent.address(), Hello{.token = kToken, .kind = ConnKind::kControl}, &fd),
              "type " + std::to_string(static_cast<int>(AgentMsg::kWelcome)));
    const uint32_t n = kMaxControlBytes + 1;
    const unsigned char len[4] = {static_cast<unsigned char>(n), static_cast<unsigned char>(n >> 8),
                                  static_cast<unsigned char>(n >> 16), static_cast<unsigned char>(n >> 24)};
    ASSERT_EQ(::write(fd, len, 4), 4);
    std::optional<std::string> m = RecvWithin(fd, 5000, kMaxControlBytes);
    ASSERT_TRUE(m);
    Decoder d(*m);
    ASSERT_EQ(static_cast<AgentMsg>(d.type()), AgentMsg::kRefused);
    EXPECT_NE(d.Str().find("bytes refused (at most"), std::string::npos);
    ::close(fd);
  }
  EXPECT_TRUE(Empty(dir_));
  EXPECT_NE(agent.log("refused").find("refused"), std::string::npos) << agent.log();
}

TEST_F(AgentTest, SecondCoordinatorIsRefused) {
  AgentProcess agent(scratch_->path(), dir_, "a");
  ASSERT_FALSE(agent.address().empty()) << agent.log();
  Result<std::unique_ptr<AgentLauncher>> first = AgentLauncher::Connect({agent.address()}, kToken, 5000);
  ASSERT_TRUE(first.ok()) << first.error();
  Result<std::unique_ptr<AgentLauncher>> second = AgentLauncher::Connect({agent.address()}, kToken, 5000);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("busy: this agent serves the coordinator at 127.0.0.1:"), std::string::npos)
      << second.error();
  EXPECT_NE(agent.log("busy: this agent serves").find("busy: this agent serves"), std::string::npos) << agent.log();
  EXPECT_TRUE(Empty(dir_));
  first.value().reset();  // the first leaves: the next coordinator is served
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Result<std::unique_ptr<AgentLauncher>> third = AgentLauncher::Connect({agent.address()}, kToken, 5000);
  EXPECT_TRUE(third.ok()) << third.error();
}

TEST_F(AgentTest, WorkersOpenNothingOutsideTheDirectory) {
  AgentProcess agent(scratch_->path(), dir_, "a");
  ASSERT_FALSE(agent.address().empty()) << agent.log();
  Result<std::unique_ptr<AgentLauncher>> l = AgentLauncher::Connect({agent.address()}, kToken, 5000);
  ASSERT_TRUE(l.ok()) << l.error();
  pid_t pid = -1;
  int fd = -1;
  ASSERT_EQ(l.value()->Spawn(0, "", kSystemSqlite, &pid, &fd), "");
  const std::string outside = scratch_->path() + "/outside.db";
  for (const std::string& path : {outside, std::string("../outside.db"),
                                  std::string("harvey-0123456789abcdef/1/../../../outside.db"),
                                  std::string("harvey-0123456789abcdef/1/harvey.db")}) {
    Encoder e(MsgType::kReset);
    e.Str(path);
    Put(e, model::Config{});
    e.I64(0).U64(0).U64(0);
    ASSERT_TRUE(SendMsg(fd, e));
    std::optional<Decoder> reply = RecvMsg(fd);
    ASSERT_TRUE(reply) << path;
    EXPECT_EQ(reply->type(), MsgType::kFailed) << path;
    const std::string line = reply->Str();
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_TRUE(line.find("opens only databases it named") != std::string::npos ||
                line.find("no database directory") != std::string::npos)
        << line;
  }
  ASSERT_TRUE(SendMsg(fd, Encoder(MsgType::kVerify)));
  std::optional<Decoder> reply = RecvMsg(fd);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->type(), MsgType::kFailed);
  ::close(fd);
  l.value()->Kill(0, pid);
  EXPECT_FALSE(fs::exists(outside));
  EXPECT_TRUE(Empty(dir_));
}

// A schedule with kills (between and inside ops) gives the same
// observations and trace through two agents on one directory as on fork.
TEST_F(AgentTest, TwoAgentsSharingADirectoryMatchFork) {
  AgentProcess a(scratch_->path(), dir_, "a");
  AgentProcess b(scratch_->path(), dir_, "b");
  ASSERT_FALSE(a.address().empty()) << a.log();
  ASSERT_FALSE(b.address().empty()) << b.log();
  Result<std::unique_ptr<AgentLauncher>> l = AgentLauncher::Connect({a.address(), b.address()}, kToken, 5000);
  ASSERT_TRUE(l.ok()) << l.error();
  ASSERT_EQ(l.value()->ProveSharedDirectory(), "");
  ForkBackend agents("agent", std::move(l.value()));
  ForkBackend fork("fork");
  auto db_a = testing::MakeScratch(), db_f = testing::MakeScratch();
  int crashes = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    model::Schedule s = model::AddCrashes(seed, model::CrashOptions{.kill_percent = 8, .power_loss_percent = 0,
                                                                    .kill_inside_ops = true},
                                          model::Generate(seed, model::GenOptions{.workers = 3, .steps = 30}));
    for (const model::Step& st : s.steps) crashes += st.op.kind == model::OpKind::kKill || st.op.kind == model::OpKind::kKillAt;
    const RunResult ra = RunSchedule(s, agents, db_a->path());
    const RunResult rf = RunSchedule(s, fork, db_f->path());
    ASSERT_EQ(ra.verdict, Verdict::kPass) << "seed " << seed << ": " << ra.error
                                          << (ra.mismatch ? ra.mismatch->Summary() : "");
    ASSERT_EQ(rf.verdict, Verdict::kPass) << "seed " << seed;
    EXPECT_EQ(ra.trace, rf.trace) << "seed " << seed;
  }
  EXPECT_GT(crashes, 0);
  // Each schedule's database is gone once the next one starts; the last with the session.
}

TEST_F(AgentTest, AgentsOnDifferentDirectoriesAreNamed) {
  const std::string other = scratch_->path() + "/other";
  fs::create_directory(other);
  AgentProcess a(scratch_->path(), dir_, "a");
  AgentProcess b(scratch_->path(), other, "b");
  ASSERT_FALSE(a.address().empty()) << a.log();
  ASSERT_FALSE(b.address().empty()) << b.log();
  Result<std::unique_ptr<AgentLauncher>> l = AgentLauncher::Connect({a.address(), b.address()}, kToken, 5000);
  ASSERT_TRUE(l.ok()) << l.error();
  const std::string e = l.value()->ProveSharedDirectory();
  EXPECT_EQ(e.rfind("agent " + b.address() + " ", 0), 0u) << e;
  EXPECT_NE(e.find("do not serve one shared directory"), std::string::npos) << e;
  l.value().reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(Empty(dir_));  // the nonce file was removed
  EXPECT_TRUE(Empty(other));
}

}  // namespace
}  // namespace harvey::harness
