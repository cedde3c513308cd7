// CreateDatabase's cached image (harness/worker/connection.h): after the first
// creation per page size it writes the bytes that creation left, which must
// be exactly what SQL creation writes; under power-loss tracking it always
// creates through SQL so the tracker sees the writes and syncs. And Verify
// (one connection) on a fresh database. Under tracking, the later creations
// per page size write the database and its durable image from the first
// one's bytes; and the incremental durable image (worker/durability.h)
// equals the file after every sync, through WAL restarts and truncations.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "harness/worker/connection.h"
#include "harness/worker/durability.h"
#include "model/schedule.h"
#include "tests/test_util.h"

namespace harvey::harness {
namespace {

using testing::MakeScratch;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

TEST(DatabaseImage, CachedCreationWritesWhatSqlCreationWrites) {
  auto scratch = MakeScratch();
  ASSERT_NE(scratch, nullptr);
  for (uint32_t page_size : {512u, 4096u, 65536u}) {
    SCOPED_TRACE("page_size " + std::to_string(page_size));
    model::Config config;
    config.page_size = page_size;
    const std::string dir = scratch->path() + "/";
    const std::string by_sql = dir + "sql-" + std::to_string(page_size) + ".db";
    SetDurabilityTracking(true);  // forces the SQL path
    ASSERT_EQ(CreateDatabase(by_sql, config), "");
    SetDurabilityTracking(false);
    EXPECT_TRUE(Exists(by_sql + ".durable")) << "the tracker did not see the creation's sync";
    // The first untracked creation may fill the cache; the second uses it.
    for (const char* name : {"first", "second"}) {
      const std::string path = dir + name + "-" + std::to_string(page_size) + ".db";
      ASSERT_EQ(CreateDatabase(path, config), "");
      EXPECT_EQ(Slurp(path), Slurp(by_sql)) << name;
      EXPECT_FALSE(Exists(path + "-wal")) << name;
      EXPECT_EQ(Slurp(path).size() % page_size, 0u) << name;
    }
  }
}

TEST(DatabaseImage, CreatingOverAnExistingFileFails) {
  auto scratch = MakeScratch();
  ASSERT_NE(scratch, nullptr);
  const std::string path = scratch->path() + "/x.db";
  model::Config config;
  ASSERT_EQ(CreateDatabase(path, config), "");
  ASSERT_EQ(CreateDatabase(scratch->path() + "/y.db", config), "");  // cached from here on
  EXPECT_NE(CreateDatabase(path, config), "");
}

TEST(DatabaseImage, VerifyOnAFreshDatabase) {
  auto scratch = MakeScratch();
  ASSERT_NE(scratch, nullptr);
  const std::string path = scratch->path() + "/v.db";
  model::Config config;
  ASSERT_EQ(CreateDatabase(path, config), "");
  const VerifyResult v = Verify(path, config);
  EXPECT_EQ(v.error, "");
  EXPECT_EQ(v.integrity, "ok");
  EXPECT_TRUE(v.index_agrees);
  EXPECT_TRUE(v.rows.empty());
}

TEST(DatabaseImage, TrackedCreationLeavesWhatSqlCreationLeaves) {
  auto scratch = MakeScratch();
  ASSERT_NE(scratch, nullptr);
  for (uint32_t page_size : {1024u, 4096u}) {
    SCOPED_TRACE("page_size " + std::to_string(page_size));
    model::Config config;
    config.page_size = page_size;
    SetDurabilityTracking(true);
    std::string first;
    for (const char* name : {"first", "second", "third"}) {  // SQL (unless cached earlier), then cached
      const std::string path = scratch->path() + "/" + name + "-" + std::to_string(page_size) + ".db";
      ASSERT_EQ(CreateDatabase(path, config), "") << name;
      if (first.empty()) first = Slurp(path);
      EXPECT_EQ(Slurp(path), first) << name;
      EXPECT_EQ(Slurp(path + ".durable"), first) << name << ": the durable image is the synced file";
      for (const char* other : {".pending", "-wal", "-wal.durable", "-wal.pending"}) {
        EXPECT_FALSE(Exists(path + other)) << name << " " << other;
      }
    }
    SetDurabilityTracking(false);
  }
}

// After a commit under synchronous=FULL the WAL was just synced, and after a
// checkpoint the database was: when nothing happened to the file since (no
// F.pending; a commit that restarted the WAL cuts it to journal_size_limit
// after its sync, which stays pending), the durable image must equal the file
// byte for byte (the incremental update copies only the changed extents).
TEST(DatabaseImage, IncrementalDurableImageEqualsTheFileAfterEverySync) {
  auto scratch = MakeScratch();
  ASSERT_NE(scratch, nullptr);
  const std::string db = scratch->path() + "/harvey.db";
  RemoveDatabase(db);
  SetDurabilityTracking(true);
  model::Config config;
  config.page_size = 1024;
  config.synchronous = model::Synchronous::kFull;
  config.wal_autocheckpoint = 0;
  config.journal_size_limit = 4096;  // a restarted WAL is cut (xTruncate)
  ASSERT_EQ(CreateDatabase(db, config), "");
  Connection c;
  ASSERT_EQ(c.Reset(db, config, 0), "");
  const model::CheckpointMode modes[] = {model::CheckpointMode::kPassive, model::CheckpointMode::kTruncate,
                                         model::CheckpointMode::kRestart, model::CheckpointMode::kFull};
  int wal_checks = 0, db_checks = 0;
  for (int i = 0; i < 80; ++i) {
    SCOPED_TRACE("op " + std::to_string(i));
    const model::Op op = i % 9 == 4 ? model::Op{.kind = model::OpKind::kDelete, .key = i % 7}
                                    : model::Op{.kind = model::OpKind::kWrite, .key = i % 7, .size = static_cast<uint32_t>(100 + (i * 937) % 6000)};
    ASSERT_EQ(c.Execute(op, i).rc, 0);
    if (!Exists(db + "-wal.pending")) {
      EXPECT_EQ(Slurp(db + "-wal.durable"), Slurp(db + "-wal")) << "after a commit";
      wal_checks++;
    }
    if (i % 10 == 9) {
      ASSERT_EQ(c.Execute(model::Op{.kind = model::OpKind::kCheckpoint, .checkpoint = modes[(i / 10) % 4]}, i).rc, 0);
      if (!Exists(db + ".pending")) {
        EXPECT_EQ(Slurp(db + ".durable"), Slurp(db)) << "after a checkpoint";
        db_checks++;
      }
    }
  }
  // Most commits end with a sync, and so does every checkpoint that backfilled.
  EXPECT_GE(wal_checks, 60);
  EXPECT_GE(db_checks, 6);
  c.Kill();
  SetDurabilityTracking(false);
  RemoveDatabase(db);
}

}  // namespace
}  // namespace harvey::harness
