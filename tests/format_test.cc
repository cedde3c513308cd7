// Example-based tests of the schedule text format (model/format.h).
#include "model/format.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace harvey::model {
namespace {

constexpr std::string_view kFile = "t.sched";

// Parsing `text` fails with "t.sched:<line>: ..." (one line) containing `part`.
::testing::AssertionResult FailsAt(std::string_view text, int line, std::string_view part) {
  Result<Schedule> r = ParseSchedule(text, kFile);
  if (r.ok()) return ::testing::AssertionFailure() << "parsed OK:\n" << PrintSchedule(r.value());
  const std::string& e = r.error();
  const std::string prefix = std::string(kFile) + ":" + std::to_string(line) + ": ";
  if (e.rfind(prefix, 0) != 0) {
    return ::testing::AssertionFailure() << "error \"" << e << "\" does not start with \"" << prefix
                                         << "\"";
  }
  if (e.find(part) == std::string::npos) {
    return ::testing::AssertionFailure() << "error \"" << e << "\" does not mention \"" << part
                                         << "\"";
  }
  if (e.find('\n') != std::string::npos) {
    return ::testing::AssertionFailure() << "error \"" << e << "\" is not one line";
  }
  return ::testing::AssertionSuccess();
}

Schedule ParseOk(std::string_view text) {
  Result<Schedule> r = ParseSchedule(text, kFile);
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? r.value() : Schedule{};
}

// Canonical text: exactly what PrintSchedule emits for it.
constexpr std::string_view kCanonical =
    "harvey-schedule 1\n"
    "config page_size 1024\n"
    "config synchronous normal\n"
    "config wal_autocheckpoint 10\n"
    "config cache_size -2000\n"
    "config seed 18446744073709551615\n"
    "worker w1\n"
    "worker reader_2\n"
    "w1 begin immediate\n"
    "w1 write 3 100\n"
    "reader_2 begin deferred\n"
    "reader_2 read 3\n"
    "w1 delete 1000000\n"
    "w1 commit\n"
    "reader_2 scan\n"
    "reader_2 rollback\n"
    "reader_2 checkpoint truncate\n"
    "w1 begin exclusive\n"
    "w1 checkpoint restart\n"
    "w1 close\n"
    "w1 open\n";

TEST(FormatTest, RoundTripsHandWrittenSchedule) {
  const Schedule s = ParseOk(kCanonical);
  EXPECT_EQ(s.config.page_size, 1024u);
  EXPECT_EQ(s.config.synchronous, Synchronous::kNormal);
  EXPECT_EQ(s.config.wal_autocheckpoint, 10u);
  EXPECT_EQ(s.config.cache_size, -2000);
  EXPECT_EQ(s.config.seed, UINT64_MAX);
  ASSERT_EQ(s.workers.size(), 2u);
  EXPECT_EQ(s.workers[1].name, "reader_2");
  ASSERT_EQ(s.steps.size(), 13u);
  EXPECT_EQ(s.steps[0].op.kind, OpKind::kBegin);
  EXPECT_EQ(s.steps[0].op.begin, BeginMode::kImmediate);
  EXPECT_EQ(s.steps[1].op.kind, OpKind::kWrite);
  EXPECT_EQ(s.steps[1].op.key, 3);
  EXPECT_EQ(s.steps[1].op.size, 100u);
  EXPECT_EQ(s.steps[2].worker, 1);
  EXPECT_EQ(s.steps[8].op.checkpoint, CheckpointMode::kTruncate);
  EXPECT_EQ(PrintSchedule(s), kCanonical);
  EXPECT_EQ(Validate(s), "");
  EXPECT_EQ(ParseOk(PrintSchedule(s)), s);
}

TEST(FormatTest, OmittedConfigKeepsDefaults) {
  const Schedule s = ParseOk("harvey-schedule 1\nworker w1\nw1 scan\n");
  EXPECT_EQ(s.config, Config{});
  EXPECT_EQ(PrintStep(s, s.steps[0]), "w1 scan");
}

TEST(FormatTest, AcceptsCommentsBlankLinesCrlfAndTabs) {
  const Schedule s = ParseOk(
      "\n  \r\n"
      "harvey-schedule 1   # version\r\n"
      "# a comment\r\n"
      "\r\n"
      "config\tseed  7#trailing\r\n"
      "   worker w1 # the writer\r\n"
      "\t\n"
      "w1\twrite 5\t16 \r\n"
      "w1 commit#done");
  EXPECT_EQ(s.config.seed, 7u);
  ASSERT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(PrintStep(s, s.steps[0]), "w1 write 5 16");
  EXPECT_EQ(PrintStep(s, s.steps[1]), "w1 commit");
}

TEST(FormatTest, HeaderErrors) {
  EXPECT_TRUE(FailsAt("", 1, "empty file"));
  EXPECT_TRUE(FailsAt("\n\n", 2, "empty file"));
  EXPECT_TRUE(FailsAt("\nworker w1\n", 2, "expected 'harvey-schedule 1' as the first line, got 'worker w1'"));
  EXPECT_TRUE(FailsAt("# comment\nharvey-schedule 1\n", 1, "expected 'harvey-schedule 1'"));
  EXPECT_TRUE(FailsAt("harvey-schedule 2\nworker w1\n", 1,
                      "unsupported format version 2 (this harvey reads 1)"));
  EXPECT_TRUE(FailsAt("harvey-schedule\n", 1, "expected 'harvey-schedule 1'"));
  EXPECT_TRUE(FailsAt("harvey-schedule 1 1\n", 1, "expected 'harvey-schedule 1'"));
  EXPECT_TRUE(FailsAt("harvey-schedule one\n", 1, "got 'harvey-schedule one'"));
}

TEST(FormatTest, UnknownKeywords) {
  EXPECT_TRUE(FailsAt("harvey-schedule 1\nworkr w1\n", 2, "unknown keyword 'workr'"));
  EXPECT_TRUE(FailsAt("harvey-schedule 1\nconfig page 4096\n", 2, "unknown config key 'page'"));
  EXPECT_TRUE(FailsAt("harvey-schedule 1\nworker w1\nw1 wirte 1 16\n", 3,
                      "unknown op 'wirte' (want begin, read, write"));
  EXPECT_TRUE(FailsAt("harvey-schedule 1\nworker w1\nw1 begin lazy\n", 3,
                      "bad begin mode 'lazy' (want deferred | immediate | exclusive)"));
  EXPECT_TRUE(FailsAt("harvey-schedule 1\nworker w1\nw1 checkpoint all\n", 3,
                      "bad checkpoint mode 'all' (want passive | full | restart | truncate)"));
  EXPECT_TRUE(FailsAt("harvey-schedule 1\nconfig synchronous extra\n", 2,
                      "bad synchronous 'extra' (want off | normal | full)"));
}

TEST(FormatTest, WrongArgumentCounts) {
  const std::string w = "harvey-schedule 1\nworker w1\n";
  EXPECT_TRUE(FailsAt(w + "w1 write 3\n", 3, "write takes 2 arguments (KEY SIZE), got 1"));
  EXPECT_TRUE(FailsAt(w + "w1 read\n", 3, "read takes 1 argument (KEY), got 0"));
  EXPECT_TRUE(FailsAt(w + "w1 scan 3\n", 3, "scan takes no arguments, got 1"));
  EXPECT_TRUE(FailsAt(w + "w1 begin\n", 3, "begin takes 1 argument (deferred"));
  EXPECT_TRUE(FailsAt(w + "w1\n", 3, "missing op after worker 'w1'"));
  EXPECT_TRUE(FailsAt("harvey-schedule 1\nworker w1 fork oci\n", 2,
                      "worker takes a name and an optional boundary, got 3 arguments"));
  EXPECT_TRUE(FailsAt("harvey-schedule 1\nconfig seed\n", 2, "config needs a key and a value"));
  EXPECT_TRUE(FailsAt("harvey-schedule 1\nconfig seed 1 2\n", 2, "config seed takes 1 value, got 2"));
}

TEST(FormatTest, OutOfRangeAndMalformedNumbers) {
  const std::string h = "harvey-schedule 1\n";
  const std::string w = h + "worker w1\n";
  EXPECT_TRUE(FailsAt(h + "config page_size 1000\n", 2, "page_size 1000 is not a power of two"));
  EXPECT_TRUE(FailsAt(h + "config page_size 131072\n", 2, "in 512..65536"));
  EXPECT_TRUE(FailsAt(h + "config page_size 4k\n", 2, "bad page_size '4k'"));
  EXPECT_TRUE(FailsAt(h + "config wal_autocheckpoint 1000001\n", 2,
                      "wal_autocheckpoint 1000001 out of range 0..1000000"));
  EXPECT_TRUE(FailsAt(h + "config journal_size_limit -2\n", 2,
                      "journal_size_limit -2 out of range -1..1000000000"));
  EXPECT_TRUE(FailsAt(h + "config journal_size_limit 1e3\n", 2, "bad journal_size_limit '1e3'"));
  EXPECT_TRUE(FailsAt(h + "config cache_size 0\n", 2, "cache_size must not be 0"));
  EXPECT_TRUE(FailsAt(h + "config cache_size -1000001\n", 2, "out of range -1000000..1000000"));
  EXPECT_TRUE(FailsAt(h + "config seed -1\n", 2, "bad seed '-1'"));
  EXPECT_TRUE(FailsAt(h + "config seed 18446744073709551616\n", 2, "bad seed"));
  EXPECT_TRUE(FailsAt(w + "w1 read 1000001\n", 3, "key 1000001 out of range 0..1000000"));
  EXPECT_TRUE(FailsAt(w + "w1 delete -1\n", 3, "key -1 out of range"));
  EXPECT_TRUE(FailsAt(w + "w1 read +3\n", 3, "bad key '+3'"));
  EXPECT_TRUE(FailsAt(w + "w1 write 1 15\n", 3, "size 15 out of range 16..1048576"));
  EXPECT_TRUE(FailsAt(w + "w1 write 1 1048577\n", 3, "size 1048577 out of range"));
  EXPECT_TRUE(FailsAt(w + "w1 write 1 99999999999999999999\n", 3, "bad size '9999"));
  ParseOk(w + "w1 write 1000000 1048576\nw1 read 0\nw1 write 0 16\n");  // the bounds
}

TEST(FormatTest, DuplicatesAndOrdering) {
  const std::string h = "harvey-schedule 1\n";
  EXPECT_TRUE(FailsAt(h + "config seed 1\n\nconfig seed 2\n", 4,
                      "duplicate config key 'seed' (already set on line 2)"));
  EXPECT_TRUE(FailsAt(h + "worker w1\nconfig seed 2\n", 3,
                      "config lines must come before the first worker (line 2)"));
  EXPECT_TRUE(FailsAt(h + "worker w1\nworker w1\n", 3,
                      "duplicate worker 'w1' (first declared on line 2)"));
  EXPECT_TRUE(FailsAt(h + "worker w1\nw2 read 1\nworker w2\n", 3, "undeclared worker 'w2'"));
  // A worker may be declared after steps, as long as it precedes its own.
  const Schedule s = ParseOk(h + "worker w1\nw1 scan\nworker w2\nw2 scan\n");
  EXPECT_EQ(s.steps[1].worker, 1);
}

TEST(FormatTest, WorkerCountsAndNames) {
  std::string text = "harvey-schedule 1\n";
  for (int i = 1; i <= 8; ++i) text += "worker w" + std::to_string(i) + "\n";
  EXPECT_EQ(ParseOk(text).workers.size(), 8u);
  EXPECT_TRUE(FailsAt(text + "worker w9\n", 10, "too many workers (at most 8)"));
  EXPECT_TRUE(FailsAt("harvey-schedule 1\nconfig seed 3\n", 2, "no workers"));
  EXPECT_TRUE(FailsAt("harvey-schedule 1\n# only comments\n", 2, "no workers"));
  const std::string h = "harvey-schedule 1\n";
  EXPECT_TRUE(FailsAt(h + "worker W1\n", 2, "invalid worker name 'W1' (want [a-z][a-z0-9_]{0,15})"));
  EXPECT_TRUE(FailsAt(h + "worker 1w\n", 2, "invalid worker name '1w'"));
  EXPECT_TRUE(FailsAt(h + "worker abcdefghijklmnopq\n", 2, "invalid worker name"));
  EXPECT_TRUE(FailsAt(h + "worker config\n", 2, "worker name 'config' is reserved"));
  ParseOk(h + "worker abcdefghijklmnop\nworker a\n");
}

TEST(FormatTest, SqliteLinesPickEachWorkersSqlite) {
  const std::string h = "harvey-schedule 1\nworker w1\nworker w2 oci\nworker w3\n";
  const Schedule s = ParseOk(h + "sqlite w2 3.54.1\nsqlite w1 system\nw1 scan\nw2 scan\n");
  EXPECT_EQ(s.workers[0].sqlite, "system");
  EXPECT_EQ(s.workers[1].sqlite, "3.54.1");
  EXPECT_EQ(s.workers[1].boundary, "oci");
  EXPECT_EQ(s.workers[2].sqlite, "");  // the run's default
  // Printed after the worker lines, in worker order, only where set.
  EXPECT_EQ(PrintSchedule(s), "harvey-schedule 1\n"
                              "config page_size 4096\nconfig synchronous full\n"
                              "config wal_autocheckpoint 0\nconfig cache_size 100\nconfig seed 1\n"
                              "worker w1\nworker w2 oci\nworker w3\n"
                              "sqlite w1 system\nsqlite w2 3.54.1\n"
                              "w1 scan\nw2 scan\n");
  EXPECT_EQ(ParseOk(PrintSchedule(s)), s);
  EXPECT_EQ(Validate(s), "");
  // Versions: N.N.N or N.N.N.N.
  EXPECT_EQ(ParseOk(h + "sqlite w3 3.7.17.1\n").workers[2].sqlite, "3.7.17.1");
  // A tagged build (fuzz/mutate/'s schemata): VERSION-[a-z]{1,16}.
  EXPECT_EQ(ParseOk(h + "sqlite w3 3.54.1-mutants\n").workers[2].sqlite, "3.54.1-mutants");
  for (const char* bad : {"3.54.1-", "3.54.1-Mutants", "3.54-mutants", "3.54.1-mu-tants", "-mutants"}) {
    EXPECT_TRUE(FailsAt(h + "sqlite w1 " + bad + "\n", 5, "invalid SQLite")) << bad;
  }
  for (const char* bad : {"3.54", "3.54.1.", "v3.54.1", "3..1", "latest", "3.54.1.2.3", "12345.1.1"}) {
    EXPECT_TRUE(FailsAt(h + "sqlite w1 " + bad + "\n", 5, "invalid SQLite")) << bad;
  }
  EXPECT_TRUE(FailsAt(h + "sqlite w9 3.54.1\n", 5, "undeclared worker 'w9'"));
  EXPECT_TRUE(FailsAt(h + "sqlite w1\n", 5, "sqlite takes a worker and a SQLite build"));
  EXPECT_TRUE(FailsAt(h + "sqlite w1 system\nsqlite w1 3.54.1\n", 6,
                      "duplicate sqlite line for worker 'w1' (first on line 5)"));
  EXPECT_TRUE(FailsAt(h + "w1 scan\nsqlite w1 3.54.1\n", 6,
                      "the sqlite line of 'w1' must come before its first step (line 5)"));
  ParseOk(h + "w1 scan\nsqlite w2 3.54.1\n");  // w2 has no step yet
  EXPECT_TRUE(FailsAt("harvey-schedule 1\nworker sqlite\n", 2, "worker name 'sqlite' is reserved"));
  Schedule t = s;
  t.workers[0].sqlite = "3.x";
  EXPECT_NE(Validate(t).find("invalid SQLite '3.x'"), std::string::npos);
}

TEST(FormatTest, LineLengthLimit) {
  const std::string h = "harvey-schedule 1\nworker w1\n";
  const std::string ok_comment = "#" + std::string(4095, 'x');
  ParseOk(h + ok_comment + "\r\n");  // the '\r' of a CRLF does not count
  EXPECT_TRUE(FailsAt(h + ok_comment + "x\n", 3, "line is 4097 bytes long (at most 4096)"));
}

TEST(FormatTest, OffendingTokensAreQuotedEscapedAndTruncated) {
  const std::string h = "harvey-schedule 1\n";
  EXPECT_TRUE(FailsAt(h + std::string("bad\x01\x7f\xff'\\ w1\n"),
                      2, "unknown keyword 'bad\\x01\\x7f\\xff\\'\\\\'"));
  EXPECT_TRUE(FailsAt(h + "a\rb\n", 2, "unknown keyword 'a\\rb'"));
  const std::string long_token(100, 'q');
  EXPECT_TRUE(FailsAt(h + long_token + "\n", 2, "'" + std::string(40, 'q') + "...'"));
  Result<Schedule> r = ParseSchedule(h + long_token + "\n", kFile);
  EXPECT_EQ(r.error().find(std::string(41, 'q')), std::string::npos);
}

TEST(FormatTest, PrintStepShowsArguments) {
  Schedule s;
  s.workers = {{"a"}, {"b"}};
  Step step{1, Op{OpKind::kWrite, 7, 64}};
  EXPECT_EQ(PrintStep(s, step), "b write 7 64");
  step.op = Op{.kind = OpKind::kBegin, .begin = BeginMode::kExclusive};
  EXPECT_EQ(PrintStep(s, step), "b begin exclusive");
  step.op = Op{.kind = OpKind::kCheckpoint, .checkpoint = CheckpointMode::kFull};
  EXPECT_EQ(PrintStep(s, step), "b checkpoint full");
  step.op = Op{.kind = OpKind::kDelete, .key = 9};
  EXPECT_EQ(PrintStep(s, step), "b delete 9");
}

TEST(FormatTest, ValidateExplainsInvalidSchedules) {
  Schedule s;
  s.workers = {{"w1"}};
  s.steps = {Step{0, Op{OpKind::kWrite, 1, 16}}};
  EXPECT_EQ(Validate(s), "");

  auto problem = [&](auto mutate) {
    Schedule t = s;
    mutate(t);
    return Validate(t);
  };
  EXPECT_NE(problem([](Schedule& t) { t.config.page_size = 3000; }).find("page_size"), std::string::npos);
  EXPECT_NE(problem([](Schedule& t) { t.config.cache_size = 0; }).find("cache_size"), std::string::npos);
  EXPECT_NE(problem([](Schedule& t) { t.config.synchronous = Synchronous(7); }).find("synchronous"),
            std::string::npos);
  EXPECT_NE(problem([](Schedule& t) { t.workers.clear(); }).find("no workers"), std::string::npos);
  EXPECT_NE(problem([](Schedule& t) { t.workers.assign(9, Worker{"x"}); }).find("too many"),
            std::string::npos);
  EXPECT_NE(problem([](Schedule& t) { t.workers.push_back({"w1"}); }).find("duplicate worker 'w1'"),
            std::string::npos);
  EXPECT_NE(problem([](Schedule& t) { t.workers[0].name = "worker"; }).find("reserved"),
            std::string::npos);
  EXPECT_NE(problem([](Schedule& t) { t.steps[0].worker = 1; }).find("step 0"), std::string::npos);
  EXPECT_NE(problem([](Schedule& t) { t.steps[0].op.size = 15; }).find("size 15 out of range"),
            std::string::npos);
  EXPECT_NE(problem([](Schedule& t) { t.steps[0].op.kind = OpKind::kScan; }).find("unused by scan"),
            std::string::npos);
  EXPECT_NE(problem([](Schedule& t) { t.steps[0].op.kind = OpKind(42); }).find("invalid op kind"),
            std::string::npos);
}

TEST(ScheduleTest, EnumNames) {
  EXPECT_STREQ(ToString(Synchronous::kOff), "off");
  EXPECT_STREQ(ToString(BeginMode::kImmediate), "immediate");
  EXPECT_STREQ(ToString(CheckpointMode::kTruncate), "truncate");
  EXPECT_STREQ(ToString(OpKind::kCheckpoint), "checkpoint");
  EXPECT_STREQ(ToString(OpKind(99)), "?");
}

// The command-line options take the config lines' keywords.
TEST(FormatTest, OptionKeywordsAreTheConfigKeywords) {
  Synchronous sync = Synchronous::kFull;
  EXPECT_TRUE(ParseSynchronous("normal", &sync));
  EXPECT_EQ(sync, Synchronous::kNormal);
  EXPECT_TRUE(ParseSynchronous("off", &sync));
  EXPECT_EQ(sync, Synchronous::kOff);
  EXPECT_FALSE(ParseSynchronous("", &sync));
  EXPECT_FALSE(ParseSynchronous("FULL", &sync));
  EXPECT_EQ(sync, Synchronous::kOff) << "unchanged when not a keyword";
  SecureDelete d = SecureDelete::kDefault;
  for (SecureDelete want : {SecureDelete::kOff, SecureDelete::kOn, SecureDelete::kFast, SecureDelete::kDefault}) {
    EXPECT_TRUE(ParseSecureDelete(ToString(want), &d));
    EXPECT_EQ(d, want);
  }
  EXPECT_FALSE(ParseSecureDelete("yes", &d));
}

}  // namespace
}  // namespace harvey::model
