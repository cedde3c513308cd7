// The shim never changes which SQLite code runs (harness/README.md, "The VFS
// shim"): for every VFS this SQLite registers (unix, unix-none,
// unix-dotfile, unix-excl, ...) and every flavor harvey uses, a file opened
// through the shim has io_methods of the same version as the same file
// opened through the base VFS, with a method exactly where the base has one.
// Then: what version 3 brings (xFetch with mmap_size>0, xUnfetch even with
// mmap_size=0) reaches the shim as events.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <iterator>
#include <string>
#include <vector>

#include "harness/worker/vfs_shim.h"
#include "tests/test_util.h"
#include "tests/vfs_recorder.h"

namespace harvey::harness {
namespace {

namespace fs = std::filesystem;

using harvey::testing::TempDir;

// Which methods an io_methods table has (bit i: the i-th method pointer).
struct Shape {
  int version = -1;
  unsigned methods = 0;
  bool operator==(const Shape&) const = default;
};

Shape ShapeOf(const sqlite3_file* f) {
  Shape s;
  if (f == nullptr || f->pMethods == nullptr) return s;
  const sqlite3_io_methods& m = *f->pMethods;
  s.version = m.iVersion;
  const bool present[] = {m.xClose != nullptr,        m.xRead != nullptr,
                          m.xWrite != nullptr,        m.xTruncate != nullptr,
                          m.xSync != nullptr,         m.xFileSize != nullptr,
                          m.xLock != nullptr,         m.xUnlock != nullptr,
                          m.xCheckReservedLock != nullptr, m.xFileControl != nullptr,
                          m.xSectorSize != nullptr,   m.xDeviceCharacteristics != nullptr,
                          m.iVersion >= 2 && m.xShmMap != nullptr,
                          m.iVersion >= 2 && m.xShmLock != nullptr,
                          m.iVersion >= 2 && m.xShmBarrier != nullptr,
                          m.iVersion >= 2 && m.xShmUnmap != nullptr,
                          m.iVersion >= 3 && m.xFetch != nullptr,
                          m.iVersion >= 3 && m.xUnfetch != nullptr};
  for (size_t i = 0; i < std::size(present); ++i) s.methods |= present[i] ? 1u << i : 0;
  return s;
}

std::string Show(const Shape& s) {
  return "version " + std::to_string(s.version) + " methods mask " + std::to_string(s.methods);
}

// The shapes of the database file and of its -wal (or rollback journal)
// after a write in WAL mode (locking_mode=EXCLUSIVE first where the VFS
// has no shared memory, as harvey's calibration flavors run it).
struct Shapes {
  Shape db;
  Shape log;
  std::string journal_mode;
};

Shapes Probe(const fs::path& file, const char* vfs, bool exclusive) {
  Shapes out;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
  EXPECT_EQ(rc, SQLITE_OK) << vfs << ": " << sqlite3_errstr(rc);
  if (rc == SQLITE_OK) {
    const std::string sql = std::string(exclusive ? "PRAGMA locking_mode=EXCLUSIVE;" : "") +
                            "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES(1);";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << vfs << ": " << sqlite3_errmsg(db);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      out.journal_mode = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_file* f = nullptr;
    EXPECT_EQ(sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f), SQLITE_OK);
    out.db = ShapeOf(f);
    f = nullptr;
    EXPECT_EQ(sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &f), SQLITE_OK);
    out.log = ShapeOf(f);
  }
  sqlite3_close(db);
  return out;
}

// Every VFS this SQLite registered on its own for files named by a path:
// not ours, and not "memdb" (the in-memory VFS behind sqlite3_deserialize,
// which is not opened by path and never runs under the shim).
std::vector<std::string> BaseVfsNames() {
  EXPECT_EQ(RegisterHarveyVfs(), SQLITE_OK);
  std::vector<std::string> names;
  for (sqlite3_vfs* v = sqlite3_vfs_find(nullptr); v != nullptr; v = v->pNext) {
    const std::string name = v->zName;
    if (name.rfind(kHarveyVfsName, 0) != 0 && name != "memdb") names.push_back(name);
  }
  return names;
}

bool NeedsExclusive(const std::string& base) {
  return base == "unix-none" || base == "unix-dotfile";
}

void ExpectSameShapes(const std::string& base, const char* shim, bool exclusive) {
  TempDir dir;
  const Shapes real = Probe(dir.path() / "base.db", base.c_str(), exclusive);
  const Shapes ours = Probe(dir.path() / "shim.db", shim, exclusive);
  EXPECT_NE(real.db.version, -1) << base << ": no database file";
  EXPECT_EQ(ours.db, real.db) << shim << " over " << base << ": db " << Show(ours.db) << " vs "
                              << Show(real.db);
  EXPECT_EQ(ours.log, real.log) << shim << " over " << base << ": log " << Show(ours.log)
                                << " vs " << Show(real.log);
  EXPECT_EQ(ours.journal_mode, real.journal_mode) << shim << " over " << base;
}

TEST(VfsFidelityTest, EveryBaseVfsKeepsItsIoMethodsShape) {
  const std::vector<std::string> bases = BaseVfsNames();
  ASSERT_FALSE(bases.empty());
  bool saw_unix = false, saw_v3 = false;
  for (const std::string& base : bases) {
    SCOPED_TRACE(base);
    const char* shim = nullptr;
    ASSERT_EQ(RegisterHarveyVfsOver(base.c_str(), &shim), SQLITE_OK);
    for (bool exclusive : {false, true}) ExpectSameShapes(base, shim, exclusive);
    saw_unix |= base == "unix";
    TempDir dir;
    saw_v3 |= Probe(dir.path() / "v.db", base.c_str(), NeedsExclusive(base)).db.version >= 3;
  }
  EXPECT_TRUE(saw_unix);
  std::string all;
  for (const std::string& b : bases) all += b + " ";
  RecordProperty("bases", all);
  EXPECT_TRUE(saw_v3) << "the unix VFS gives version-3 io_methods; the check would be vacuous";
}

// The flavors the harness runs workers on (defects included).
TEST(VfsFidelityTest, EveryFlavorKeepsItsBaseShape) {
  struct Case {
    VfsFlavor flavor;
    const char* base;
  };
  for (const Case& c : {Case{VfsFlavor::kUnix, "unix"}, Case{VfsFlavor::kNoLock, "unix-none"},
                        Case{VfsFlavor::kDotfile, "unix-dotfile"},
                        Case{VfsFlavor::kPrivateShm, "unix"}}) {
    SCOPED_TRACE(VfsName(c.flavor));
    ASSERT_EQ(RegisterHarveyVfs(c.flavor), SQLITE_OK);
    ExpectSameShapes(c.base, VfsName(c.flavor), NeedsExclusive(c.base));
  }
  TempDir dir;
  EXPECT_EQ(Probe(dir.path() / "u.db", kHarveyVfsName, false).db.version, 3);
}

using Seen = testing::VfsRecorder;

sqlite3* Open(const fs::path& file) {
  sqlite3* db = nullptr;
  // Each CTest case runs alone in its process: register the shim here, not
  // only in the tests that happen to run first.
  EXPECT_EQ(RegisterHarveyVfs(), SQLITE_OK);
  EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            kHarveyVfsName),
            SQLITE_OK);
  return db;
}

int Exec(sqlite3* db, const std::string& sql) {
  return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
}

// A database of a few pages, all checkpointed into the db file.
void Fill(const fs::path& file) {
  sqlite3* db = Open(file);
  ASSERT_EQ(Exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(x);"
                     "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<200) "
                     "INSERT INTO t SELECT randomblob(100) FROM c; PRAGMA wal_checkpoint(TRUNCATE);"),
            SQLITE_OK);
  sqlite3_close(db);
}

TEST(VfsFidelityTest, MmapReadsAreFetchEventsAndNoMmapReadsAreReadEvents) {
  TempDir dir;
  const fs::path file = dir.path() / "t.db";
  Fill(file);
  for (int64_t mmap : {int64_t{0}, int64_t{1} << 20}) {
    SCOPED_TRACE(mmap);
    sqlite3* db = Open(file);
    ASSERT_EQ(Exec(db, "PRAGMA mmap_size=" + std::to_string(mmap)), SQLITE_OK);
    Seen seen;
    ASSERT_EQ(Exec(db, "SELECT count(*) FROM t"), SQLITE_OK);
    if (mmap == 0) {
      EXPECT_EQ(seen.Count(VfsEvent::kFetch, FileRole::kDb), 0);
      EXPECT_GT(seen.Count(VfsEvent::kRead, FileRole::kDb), 1);
    } else {
      EXPECT_GT(seen.Count(VfsEvent::kFetch, FileRole::kDb), 1);
      EXPECT_GT(seen.Count(VfsEvent::kUnfetch, FileRole::kDb), 1) << "each mapped page is released";
    }
    EXPECT_GT(seen.Count(VfsEvent::kFileSize, FileRole::kDb) +
                  seen.Count(VfsEvent::kCheckReservedLock, FileRole::kDb) +
                  seen.Count(VfsEvent::kRead, FileRole::kDb),
              0);
    sqlite3_close(db);
  }
}

// With mmap_size=0 SQLite maps nothing, but a checkpoint that finds the
// wal-index header changed still calls xUnfetch(0, NULL)
// (sqlite3WalCheckpoint): a version-2 shim took that call out of the program.
TEST(VfsFidelityTest, CheckpointAfterAnotherCommitUnfetchesWithoutMmap) {
  TempDir dir;
  const fs::path file = dir.path() / "t.db";
  Fill(file);
  sqlite3* a = Open(file);
  sqlite3* b = Open(file);
  ASSERT_EQ(Exec(a, "PRAGMA mmap_size=0; SELECT count(*) FROM t"), SQLITE_OK);
  ASSERT_EQ(Exec(b, "INSERT INTO t VALUES(1)"), SQLITE_OK);
  {
    Seen seen;
    ASSERT_EQ(Exec(a, "PRAGMA wal_checkpoint(PASSIVE)"), SQLITE_OK);
    bool unfetch_all = false;
    for (const auto& c : seen.calls) {
      unfetch_all |= c.event == VfsEvent::kUnfetch && c.role == FileRole::kDb && c.arg == 0;
    }
    EXPECT_TRUE(unfetch_all);
    EXPECT_EQ(seen.Count(VfsEvent::kFetch, FileRole::kDb), 0);
  }
  sqlite3_close(b);
  sqlite3_close(a);
}

TEST(VfsFidelityTest, NewEventsHaveNames) {
  EXPECT_STREQ(ToString(VfsEvent::kRead), "read");
  EXPECT_STREQ(ToString(VfsEvent::kFileSize), "file-size");
  EXPECT_STREQ(ToString(VfsEvent::kCheckReservedLock), "check-reserved-lock");
  EXPECT_STREQ(ToString(VfsEvent::kFetch), "fetch");
  EXPECT_STREQ(ToString(VfsEvent::kUnfetch), "unfetch");
  EXPECT_EQ(static_cast<int>(VfsEvent::kRead), static_cast<int>(VfsEvent::kSleep) + 1);
  EXPECT_EQ(static_cast<int>(VfsEvent::kFetch) + 1, static_cast<int>(VfsEvent::kUnfetch));
  // Appended after them: the shm-instrumented builds' wal-index loads and stores.
  EXPECT_EQ(static_cast<int>(VfsEvent::kUnfetch) + 1, static_cast<int>(VfsEvent::kShmRead));
  EXPECT_EQ(static_cast<int>(VfsEvent::kShmWrite) + 1, static_cast<int>(VfsEvent::kShmUnmap));
  EXPECT_EQ(static_cast<int>(VfsEvent::kShmUnmap) + 1, static_cast<int>(VfsEvent::kFileOpen));
  EXPECT_EQ(static_cast<int>(VfsEvent::kFileAccess) + 1, static_cast<int>(VfsEvent::kCall));
  EXPECT_EQ(static_cast<int>(VfsEvent::kCall) + 1, static_cast<int>(VfsEvent::kCount));
}

}  // namespace
}  // namespace harvey::harness
