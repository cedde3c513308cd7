// Tests for the harvey VFS shim (harness/worker/vfs_shim.h): WAL works through it,
// it reports the events a WAL commit and checkpoint issue, and its randomness
// and clock replay from SeedVfs.
#include "harness/worker/vfs_shim.h"
#include "tests/test_util.h"
#include "tests/vfs_recorder.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace harvey::harness {
namespace {

namespace fs = std::filesystem;

using harvey::testing::TempDir;

// A connection through the "harvey" VFS; closed on destruction.
class Db {
 public:
  explicit Db(const fs::path& file) {
    EXPECT_EQ(RegisterHarveyVfs(), SQLITE_OK);
    int rc = sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             kHarveyVfsName);
    EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errstr(rc);
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void Exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (err ? err : "");
    sqlite3_free(err);
  }
  // The first column of the first row of `sql`, as text ("" if none).
  std::string Text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      if (auto* t = sqlite3_column_text(stmt, 0)) out = reinterpret_cast<const char*>(t);
    }
    sqlite3_finalize(stmt);
    return out;
  }
  // The first column of the first row of `sql`, as a double (0 if none).
  double Real(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    double out = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_double(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

using Recorder = testing::VfsRecorder;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Opens a fresh database after SeedVfs(seed), makes one WAL commit (which
// includes randomblob(), i.e. SQLite's PRNG) and returns the -wal file's
// bytes, read while the connection still holds it open.
std::string WalAfterScript(uint64_t seed) {
  TempDir dir;
  SeedVfs(seed);
  Db db(dir.path() / "t.db");
  db.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  db.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), ('two'), (randomblob(16));");
  return ReadFile(dir.path() / "t.db-wal");
}

TEST(VfsShimTest, RegistersOnceAsDefaultFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> rcs(8, -1);
  for (int i = 0; i < 8; ++i) threads.emplace_back([&rcs, i] { rcs[i] = RegisterHarveyVfs(); });
  for (auto& t : threads) t.join();
  for (int rc : rcs) EXPECT_EQ(rc, SQLITE_OK);
  EXPECT_EQ(RegisterHarveyVfs(), SQLITE_OK);
  sqlite3_vfs* dflt = sqlite3_vfs_find(nullptr);
  ASSERT_NE(dflt, nullptr);
  EXPECT_STREQ(dflt->zName, kHarveyVfsName);
}

TEST(VfsShimTest, ToStringNamesEveryValue) {
  EXPECT_STREQ(ToString(VfsEvent::kWrite), "write");
  EXPECT_STREQ(ToString(VfsEvent::kSync), "sync");
  EXPECT_STREQ(ToString(VfsEvent::kTruncate), "truncate");
  EXPECT_STREQ(ToString(VfsEvent::kLock), "lock");
  EXPECT_STREQ(ToString(VfsEvent::kUnlock), "unlock");
  EXPECT_STREQ(ToString(VfsEvent::kShmLock), "shm-lock");
  EXPECT_STREQ(ToString(VfsEvent::kShmBarrier), "shm-barrier");
  EXPECT_STREQ(ToString(VfsEvent::kShmMap), "shm-map");
  EXPECT_STREQ(ToString(VfsEvent::kFileControl), "file-control");
  EXPECT_STREQ(ToString(VfsEvent::kSleep), "sleep");
  EXPECT_STREQ(ToString(FileRole::kDb), "db");
  EXPECT_STREQ(ToString(FileRole::kWal), "wal");
  EXPECT_STREQ(ToString(FileRole::kJournal), "journal");
  EXPECT_STREQ(ToString(FileRole::kOther), "other");
}

// WAL needs the shm methods: with version-1 io_methods SQLite would silently
// stay in "delete" mode.
TEST(VfsShimTest, JournalModeWalIsAccepted) {
  TempDir dir;
  Db db(dir.path() / "t.db");
  EXPECT_EQ(db.Text("PRAGMA journal_mode=WAL"), "wal");
}

TEST(VfsShimTest, RollbackJournalEventsHaveJournalRole) {
  TempDir dir;
  Db db(dir.path() / "t.db");
  db.Exec("PRAGMA journal_mode=DELETE; CREATE TABLE t(x);");
  Recorder rec;
  db.Exec("INSERT INTO t VALUES (1)");
  EXPECT_TRUE(rec.Saw(VfsEvent::kWrite, FileRole::kJournal)) << rec.Dump();
  EXPECT_TRUE(rec.Saw(VfsEvent::kWrite, FileRole::kDb)) << rec.Dump();
  EXPECT_TRUE(rec.Saw(VfsEvent::kLock, FileRole::kDb, SQLITE_LOCK_EXCLUSIVE)) << rec.Dump();
}

TEST(VfsShimTest, WalCommitAndCheckpointReportEvents) {
  TempDir dir;
  Db db(dir.path() / "t.db");
  ASSERT_EQ(db.Text("PRAGMA journal_mode=WAL"), "wal");
  db.Exec("PRAGMA synchronous=FULL; CREATE TABLE t(x);");

  Recorder commit;
  db.Exec("BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); COMMIT;");
  EXPECT_TRUE(commit.Saw(VfsEvent::kWrite, FileRole::kWal)) << commit.Dump();
  EXPECT_TRUE(commit.Saw(VfsEvent::kSync, FileRole::kWal)) << commit.Dump();
  EXPECT_TRUE(commit.Saw(VfsEvent::kShmLock, FileRole::kDb)) << commit.Dump();
  EXPECT_TRUE(commit.Saw(VfsEvent::kShmBarrier, FileRole::kDb)) << commit.Dump();
  // The WAL write lock: offset 0, n 1, SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE.
  EXPECT_TRUE(commit.Saw(VfsEvent::kShmLock, FileRole::kDb,
                         (0 << 16) | (1 << 8) | SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE))
      << commit.Dump();
  EXPECT_TRUE(commit.Saw(VfsEvent::kFileControl, FileRole::kDb, SQLITE_FCNTL_COMMIT_PHASETWO))
      << commit.Dump();
  // A WAL-mode connection keeps its SHARED lock on the database file between
  // transactions, so a commit issues no xLock/xUnlock at all.
  EXPECT_FALSE(commit.Saw(VfsEvent::kLock, FileRole::kDb)) << commit.Dump();
  EXPECT_FALSE(commit.Saw(VfsEvent::kWrite, FileRole::kDb)) << "WAL mode writes the WAL only";

  Recorder ckpt;
  db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  EXPECT_TRUE(ckpt.Saw(VfsEvent::kFileControl, FileRole::kDb, SQLITE_FCNTL_CKPT_START))
      << ckpt.Dump();
  EXPECT_TRUE(ckpt.Saw(VfsEvent::kFileControl, FileRole::kDb, SQLITE_FCNTL_CKPT_DONE))
      << ckpt.Dump();
  EXPECT_TRUE(ckpt.Saw(VfsEvent::kWrite, FileRole::kDb)) << ckpt.Dump();
  EXPECT_TRUE(ckpt.Saw(VfsEvent::kSync, FileRole::kDb)) << ckpt.Dump();
  EXPECT_TRUE(ckpt.Saw(VfsEvent::kTruncate, FileRole::kWal, 0)) << ckpt.Dump();
}

// Every connection in a fresh process maps shm region 0 on first use.
TEST(VfsShimTest, FirstWalAccessMapsShmRegionZero) {
  TempDir dir;
  Recorder rec;
  Db db(dir.path() / "t.db");
  db.Exec("PRAGMA journal_mode=WAL; CREATE TABLE t(x);");
  EXPECT_TRUE(rec.Saw(VfsEvent::kShmMap, FileRole::kDb, 0)) << rec.Dump();
}

TEST(VfsShimTest, ListenerIsThreadLocal) {
  TempDir dir;
  Recorder rec;
  std::thread([&] {
    EXPECT_EQ(GetVfsListener(), nullptr);
    Db db(dir.path() / "t.db");
    db.Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1);");
  }).join();
  EXPECT_TRUE(rec.calls.empty()) << rec.Dump();
}

TEST(VfsShimTest, SameSeedGivesByteIdenticalWal) {
  std::string a = WalAfterScript(42);
  std::string b = WalAfterScript(42);
  ASSERT_GE(a.size(), 32u);
  EXPECT_EQ(a, b);
}

TEST(VfsShimTest, DifferentSeedsGiveDifferentWalHeaders) {
  std::string a = WalAfterScript(1);
  std::string b = WalAfterScript(2);
  ASSERT_GE(a.size(), 32u);
  ASSERT_GE(b.size(), 32u);
  // Bytes 16..23 are the salts; the header checksum (24..31) follows them.
  EXPECT_NE(a.substr(16, 8), b.substr(16, 8));
  EXPECT_EQ(a.substr(0, 16), b.substr(0, 16)) << "magic, version, page size, ckpt seq";
}

// 'now' is read once per statement; each read advances the clock by 1 ms.
TEST(VfsShimTest, VirtualTimeStartsAtEpochAndAdvancesPerRead) {
  TempDir dir;
  auto run = [&] {
    SeedVfs(7);
    Db db(dir.path() / "t.db");
    std::vector<std::string> reads;
    reads.push_back(std::to_string(db.Real("SELECT julianday('now')") == 2461041.5));
    for (int i = 0; i < 3; ++i) reads.push_back(db.Text("SELECT strftime('%H:%M:%f', 'now')"));
    reads.push_back(db.Text("SELECT datetime('now')"));
    return reads;
  };
  std::vector<std::string> first = run();
  EXPECT_EQ(first, (std::vector<std::string>{"1", "00:00:00.001", "00:00:00.002",
                                             "00:00:00.003", "2026-01-01 00:00:00"}));
  EXPECT_EQ(run(), first) << "SeedVfs resets the clock";
}

TEST(VfsShimTest, SleepIsReportedAndReturnsAtOnce) {
  ASSERT_EQ(RegisterHarveyVfs(), SQLITE_OK);
  Recorder rec;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(sqlite3_sleep(2000), 2000);  // uses the default VFS: ours
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_TRUE(rec.Saw(VfsEvent::kSleep, FileRole::kOther, 2000 * 1000)) << rec.Dump();
}

TEST(VfsShimTest, FsyncLiesStillReportsSyncAndSucceeds) {
  TempDir dir;
  Db db(dir.path() / "t.db");
  db.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t(x);");
  SetVfsFsyncLies(true);
  {
    Recorder rec;
    db.Exec("INSERT INTO t VALUES (1)");
    EXPECT_TRUE(rec.Saw(VfsEvent::kSync, FileRole::kWal)) << rec.Dump();
  }
  SetVfsFsyncLies(false);
  EXPECT_EQ(db.Text("SELECT count(*) FROM t"), "1");
}

}  // namespace
}  // namespace harvey::harness
