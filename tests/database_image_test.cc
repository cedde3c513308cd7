// CreateDatabase's cached image (harness/worker/connection.h): after the first
// creation per page size it writes the bytes that creation left, which must
// be exactly what SQL creation writes; under power-loss tracking it always
// creates through SQL so the tracker sees the writes and syncs. And Verify
// (one connection) on a fresh database.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "harness/worker/connection.h"
#include "harness/worker/durability.h"
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

}  // namespace
}  // namespace harvey::harness
