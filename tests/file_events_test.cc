// The VFS methods that name or end a file as reported events: xOpen
// (`file-open`, arg: the open flags), xClose (`file-close`), xDelete
// (`file-delete`, arg: the sync-directory flag) and xAccess (`file-access`,
// arg: the question). Each is a preemption point in fine-grained runs and a
// `kill at` target (it fires only in a killable op: a close is not one).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness/os/process.h"
#include "harness/worker/vfs_shim.h"
#include "model/format.h"
#include "tests/test_util.h"
#include "tests/vfs_recorder.h"

namespace harvey::harness {
namespace {

namespace fs = std::filesystem;
using testing::MakeScratch;
using testing::MustParse;
using testing::TempDir;

TEST(FileEvents, NamedAndAppendedAfterEveryOlderKind) {
  EXPECT_STREQ(ToString(VfsEvent::kFileOpen), "file-open");
  EXPECT_STREQ(ToString(VfsEvent::kFileClose), "file-close");
  EXPECT_STREQ(ToString(VfsEvent::kFileDelete), "file-delete");
  EXPECT_STREQ(ToString(VfsEvent::kFileAccess), "file-access");
  // Older kinds keep their numbers (the wire and the pause masks use them).
  EXPECT_EQ(static_cast<int>(VfsEvent::kShmUnmap) + 1, static_cast<int>(VfsEvent::kFileOpen));
  EXPECT_EQ(static_cast<int>(VfsEvent::kFileAccess) + 1, static_cast<int>(VfsEvent::kCall));
  for (VfsEvent e : {VfsEvent::kFileOpen, VfsEvent::kFileClose, VfsEvent::kFileDelete, VfsEvent::kFileAccess}) {
    const auto k = static_cast<model::EventKind>(e);
    EXPECT_STREQ(model::ToString(k), ToString(e));
    const std::string line = std::string("w1 kill at ") + ToString(e) + " 2";
    const model::Schedule s = MustParse("harvey-schedule 1\nworker w1\n" + line + "\nw1 scan\n");
    ASSERT_EQ(s.steps.size(), 2u);
    EXPECT_EQ(s.steps[0].op.event, k);
    EXPECT_NE(model::PrintSchedule(s).find(line), std::string::npos);
  }
}

using testing::VfsRecorder;

// Opening a WAL database asks whether a -wal exists and opens it; the last
// close closes it and deletes it (checkpoint-on-close), each an event with
// the file's role.
TEST(FileEvents, OpenAndLastCloseOfAWalDatabaseReportThem) {
  ASSERT_EQ(RegisterHarveyVfs(), SQLITE_OK);
  TempDir dir;
  const fs::path file = dir.path() / "t.db";
  sqlite3* db = nullptr;
  {
    VfsRecorder rec;
    ASSERT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, kHarveyVfsName),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    EXPECT_TRUE(rec.Saw(VfsEvent::kFileOpen, FileRole::kDb)) << rec.Dump();
    EXPECT_TRUE(rec.Saw(VfsEvent::kFileOpen, FileRole::kWal)) << rec.Dump();
  }
  ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
  ASSERT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, kHarveyVfsName), SQLITE_OK);
  VfsRecorder rec;
  ASSERT_EQ(sqlite3_exec(db, "SELECT * FROM t;", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_TRUE(rec.Saw(VfsEvent::kFileAccess, FileRole::kWal)) << "pagerOpenWalIfPresent asks: " << rec.Dump();
  ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
  EXPECT_TRUE(rec.Saw(VfsEvent::kFileClose, FileRole::kWal)) << rec.Dump();
  EXPECT_TRUE(rec.Saw(VfsEvent::kFileDelete, FileRole::kWal)) << "the last close deletes the -wal: " << rec.Dump();
  EXPECT_TRUE(rec.Saw(VfsEvent::kFileClose, FileRole::kDb)) << rec.Dump();
  EXPECT_FALSE(fs::exists(dir.path() / "t.db-wal"));
}

// Fine-grained runs pause at them (fork and inproc): a reopen opens the
// database and, at its first read, asks for and opens the -wal; the last
// close deletes the -wal.
TEST(FileEvents, FineGrainedRunsPauseAtThem) {
  auto scratch = MakeScratch();
  ASSERT_TRUE(scratch);
  const std::string file = scratch->path() + "/c.sched";
  {
    std::ofstream(file) << "harvey-schedule 1\nworker w1\nworker w2\nw1 write 1 100\nw2 close\nw2 open\nw2 scan\n"
                           "w1 close\nw2 close\n";
  }
  for (const char* boundary : {"fork", "inproc"}) {
    const CommandResult r =
        RunCommand({HarveyBinary(), "run", file, "--boundary", boundary, "--policy", "pct:1", "--show"}, 240000);
    EXPECT_EQ(r.exit_code, 0) << boundary << "\n" << r.output;
    for (const char* at : {"@ file-open db", "@ file-access wal", "@ file-open wal", "@ file-close wal",
                           "@ file-delete wal", "@ file-close db"}) {
      EXPECT_NE(r.output.find(at), std::string::npos) << boundary << ": no " << at << "\n" << r.output.substr(0, 6000);
    }
  }
}

// A close is not killable (model IsKillable): `kill at file-delete 1` before
// the last close is dropped there, the close deletes the -wal, and the model
// (which does not arm a non-killable op) agrees. In harvey's workload the
// open and the first read of a connection happen in its `open` op (not
// killable either), so these kill targets fire only where a killable op
// opens or closes a file of its own (a statement journal spilled to disk).
TEST(FileEvents, KillAtFileDeleteDoesNotFireInAClose) {
  auto scratch = MakeScratch();
  ASSERT_TRUE(scratch);
  const std::string file = scratch->path() + "/k.sched";
  {
    std::ofstream(file) << "harvey-schedule 1\nworker w1\nworker w2\nw1 write 1 100\nw2 close\n"
                           "w1 kill at file-delete 1\nw1 close\nw2 open\nw2 scan\n";
  }
  const CommandResult r = RunCommand({HarveyBinary(), "run", file, "--boundary", "fork", "--show"}, 240000);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("w1 close                     ok"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rows {1@0}"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace harvey::harness
