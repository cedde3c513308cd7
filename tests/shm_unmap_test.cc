// xShmUnmap as a reported VFS event (`shm-unmap`, arg: the delete flag):
// every close of a WAL connection reports it, the last close with delete=1
// (it then unlinks the -shm); a fine-grained run pauses there; and a
// `kill at shm-unmap K` parses but never fires in harvey's workload, because
// only a close calls xShmUnmap and a close is not killable (model IsKillable,
// model/README.md "Not modelled").
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "harness/backend/fork_backend.h"
#include "harness/coordinator/runner.h"
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

TEST(ShmUnmapEvent, NamedAndAppendedAfterShmWrite) {
  EXPECT_STREQ(ToString(VfsEvent::kShmUnmap), "shm-unmap");
  EXPECT_STREQ(model::ToString(model::EventKind::kShmUnmap), "shm-unmap");
  // Appended after every older kind, so their numbers (wire, masks) stay.
  EXPECT_EQ(static_cast<int>(VfsEvent::kShmWrite) + 1, static_cast<int>(VfsEvent::kShmUnmap));
  EXPECT_EQ(static_cast<int>(VfsEvent::kShmUnmap) + 1, static_cast<int>(VfsEvent::kFileOpen));
  EXPECT_EQ(static_cast<int>(model::EventKind::kShmUnmap), static_cast<int>(VfsEvent::kShmUnmap));
  const model::Schedule s = MustParse("harvey-schedule 1\nworker w1\nw1 kill at shm-unmap 2\nw1 close\n");
  ASSERT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(s.steps[0].op.event, model::EventKind::kShmUnmap);
  EXPECT_NE(model::PrintSchedule(s).find("w1 kill at shm-unmap 2"), std::string::npos);
}

using testing::VfsRecorder;

sqlite3* OpenWal(const fs::path& file) {
  EXPECT_EQ(RegisterHarveyVfs(), SQLITE_OK);
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, kHarveyVfsName),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  return db;
}

// sqlite3WalClose -> walIndexClose -> xShmUnmap(isDelete): 0 while another
// connection holds the database, 1 at the last close (its checkpoint done).
TEST(ShmUnmapEvent, EveryCloseReportsItAndTheLastOneDeletes) {
  TempDir dir;
  const fs::path db = dir.path() / "t.db";
  sqlite3* a = OpenWal(db);
  sqlite3* b = OpenWal(db);
  VfsRecorder rec;
  ASSERT_EQ(sqlite3_close(a), SQLITE_OK);
  ASSERT_EQ(rec.Of(VfsEvent::kShmUnmap).size(), 1u);
  EXPECT_EQ(rec.Of(VfsEvent::kShmUnmap)[0].role, FileRole::kDb);
  EXPECT_EQ(rec.Of(VfsEvent::kShmUnmap)[0].arg, 0) << "another connection is open: no checkpoint, no delete";
  EXPECT_TRUE(fs::exists(dir.path() / "t.db-shm"));
  ASSERT_EQ(sqlite3_close(b), SQLITE_OK);
  ASSERT_EQ(rec.Of(VfsEvent::kShmUnmap).size(), 2u);
  EXPECT_EQ(rec.Of(VfsEvent::kShmUnmap)[1].arg, 1) << "the last close checkpoints and unlinks the -shm";
  EXPECT_FALSE(fs::exists(dir.path() / "t.db-shm"));
}

// A close in a fine-grained run pauses at its shm-unmap (fork and inproc).
// The two closes may overlap under `random`: then both can find the other
// still open (both delete=0), never both the last; so only "db 0" is sure.
TEST(ShmUnmapEvent, FineGrainedCloseYieldsAtIt) {
  auto scratch = MakeScratch();
  ASSERT_TRUE(scratch);
  const std::string file = scratch->path() + "/c.sched";
  {
    std::ofstream(file) << "harvey-schedule 1\nworker w1\nworker w2\nw1 write 1 100\nw2 read 1\n"
                           "w1 close\nw2 close\nw1 open\nw1 scan\n";
  }
  for (const char* boundary : {"fork", "inproc"}) {
    const CommandResult r =
        RunCommand({HarveyBinary(), "run", file, "--boundary", boundary, "--policy", "random", "--show"}, 240000);
    EXPECT_EQ(r.exit_code, 0) << boundary << "\n" << r.output;
    EXPECT_NE(r.output.find("@ shm-unmap db 0"), std::string::npos) << boundary << "\n" << r.output.substr(0, 6000);
  }
}

// Only a close calls xShmUnmap here, and a close is never killed: the arm is
// dropped at the close (fork_backend), the close completes, and the model
// (which does not arm a non-killable op) agrees.
TEST(ShmUnmapEvent, KillAtShmUnmapDoesNotFireInAClose) {
  auto scratch = MakeScratch();
  ForkBackend backend;
  const RunResult r = RunSchedule(MustParse("harvey-schedule 1\nworker w1\nworker w2\nw1 write 1 100\n"
                                            "w1 kill at shm-unmap 1\nw1 close\nw2 scan\nw1 open\nw1 scan\n"),
                                  backend, scratch->path());
  ASSERT_EQ(r.verdict, Verdict::kPass) << (r.mismatch ? r.mismatch->Summary() : r.error);
  EXPECT_EQ(r.observations[2].rc, 0) << "the close ran to its end";
}

}  // namespace
}  // namespace harvey::harness
