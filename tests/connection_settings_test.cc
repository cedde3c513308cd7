// Connection settings as applications use them (model::Config mmap_size,
// checkpoint_on_close, busy_timeout, secure_delete): the text format, the model's
// checkpoint-on-close rule, what a real connection does with each, and the
// generator's draws.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "harness/backend/fork_backend.h"
#include "harness/backend/inproc_backend.h"
#include "harness/coordinator/campaign.h"
#include "harness/coordinator/runner.h"
#include "harness/worker/connection.h"
#include "harness/worker/durability.h"
#include "harness/os/files.h"
#include "harness/worker/vfs_shim.h"
#include "model/format.h"
#include "model/generator.h"
#include "model/model.h"
#include "tests/test_util.h"

namespace harvey {
namespace {

using testing::MakeScratch;
using testing::MustParse;

TEST(ConnectionSettingsTest, FormatRoundTripsAndPrintsOnlyNonDefaults) {
  const model::Schedule d = MustParse("harvey-schedule 1\nworker w1\nw1 scan\n");
  EXPECT_EQ(d.config.mmap_size, 0);
  EXPECT_TRUE(d.config.checkpoint_on_close);
  EXPECT_EQ(d.config.busy_timeout, 0);
  const std::string printed = model::PrintSchedule(d);
  EXPECT_EQ(printed.find("mmap_size"), std::string::npos);
  EXPECT_EQ(printed.find("checkpoint_on_close"), std::string::npos);
  EXPECT_EQ(printed.find("busy_timeout"), std::string::npos);

  const model::Schedule s = MustParse(
      "harvey-schedule 1\nconfig mmap_size 8192\nconfig checkpoint_on_close off\n"
      "config busy_timeout 100\nworker w1\nw1 kill at read 3\nw1 kill at check-reserved-lock 1\n"
      "w1 kill at file-size 2\nw1 kill at fetch 1\nw1 kill at unfetch 4\nw1 scan\n");
  EXPECT_EQ(s.config.mmap_size, 8192);
  EXPECT_FALSE(s.config.checkpoint_on_close);
  EXPECT_EQ(s.config.busy_timeout, 100);
  EXPECT_EQ(s.steps[0].op.event, model::EventKind::kRead);
  EXPECT_EQ(s.steps[4].op.event, model::EventKind::kUnfetch);
  auto again = model::ParseSchedule(model::PrintSchedule(s), "printed");
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again.value(), s);
  EXPECT_NE(model::PrintSchedule(s).find("w1 kill at check-reserved-lock 1"), std::string::npos);
}

TEST(ConnectionSettingsTest, SecureDeleteRoundTripsAndDefaultIsNotPrinted) {
  const model::Schedule d = MustParse("harvey-schedule 1\nworker w1\nw1 scan\n");
  EXPECT_EQ(d.config.secure_delete, model::SecureDelete::kDefault);
  EXPECT_EQ(model::PrintSchedule(d).find("secure_delete"), std::string::npos);
  EXPECT_EQ(MustParse("harvey-schedule 1\nconfig secure_delete default\nworker w1\n").config, d.config);
  for (const char* v : {"off", "on", "fast"}) {
    const model::Schedule s = MustParse(std::string("harvey-schedule 1\nconfig secure_delete ") + v + "\nworker w1\n");
    EXPECT_STREQ(model::ToString(s.config.secure_delete), v);
    EXPECT_NE(model::PrintSchedule(s).find(std::string("config secure_delete ") + v + "\n"), std::string::npos);
  }
}

TEST(ConnectionSettingsTest, BadValuesNameTheLine) {
  for (const char* line : {"config mmap_size -1", "config mmap_size 2147418113", "config mmap_size x",
                           "config checkpoint_on_close yes", "config busy_timeout 60001",
                           "config busy_timeout -5", "config secure_delete 1", "config secure_delete yes"}) {
    auto r = model::ParseSchedule(std::string("harvey-schedule 1\n") + line + "\nworker w1\n", "f.sched");
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_EQ(r.error().rfind("f.sched:2: ", 0), 0u) << r.error();
  }
}

// --- the model's checkpoint-on-close -------------------------------------

model::Schedule Two(bool ckpt_on_close) {
  model::Schedule s;
  s.config.checkpoint_on_close = ckpt_on_close;
  s.config.synchronous = model::Synchronous::kNormal;
  s.workers = {model::Worker{"w1"}, model::Worker{"w2"}};
  return s;
}

model::State ApplyOne(const model::Schedule& s, const model::State& st, int worker, model::Op op) {
  const auto out = model::Apply(s, st, 0, model::Step{worker, op});
  EXPECT_EQ(out.size(), 1u);
  return out.front().next;
}

TEST(ConnectionSettingsTest, ModelLastCloseCheckpointsAndResetsTheLog) {
  const model::Op write{.kind = model::OpKind::kWrite, .key = 1, .size = 32};
  const model::Op close{.kind = model::OpKind::kClose};
  const model::Op kill{.kind = model::OpKind::kKill};
  for (bool on : {true, false}) {
    SCOPED_TRACE(on);
    const model::Schedule s = Two(on);
    model::State st = model::InitialState(s);
    st = ApplyOne(s, st, 0, write);
    ASSERT_EQ(st.wal.mx, 1);
    ASSERT_NE(st.durable, st.committed);  // NORMAL: not synced before a checkpoint
    st = ApplyOne(s, st, 0, close);
    EXPECT_EQ(st.wal.backfilled, 0) << "another connection is open: nothing happens";
    model::State killed = ApplyOne(s, st, 1, kill);
    EXPECT_EQ(killed.wal.backfilled, 0) << "a kill never checkpoints";
    st = ApplyOne(s, st, 1, close);
    if (on) {
      EXPECT_EQ(st.wal.backfilled, st.wal.mx);
      EXPECT_EQ(st.wal.base, st.wal.mx) << "the log was deleted";
      EXPECT_EQ(st.durable, st.committed) << "the checkpoint synced";
    } else {
      EXPECT_EQ(st.wal.backfilled, 0);
      EXPECT_NE(st.durable, st.committed);
    }
  }
}

TEST(ConnectionSettingsTest, ModelOrphanGoesWithTheDeletedLog) {
  const model::Schedule s = Two(true);
  model::State st = model::InitialState(s);
  st.orphan = model::Table{{7, 3}};
  st = ApplyOne(s, st, 1, model::Op{.kind = model::OpKind::kClose});
  EXPECT_TRUE(st.orphan.has_value()) << "w1 is still open";
  st = ApplyOne(s, st, 0, model::Op{.kind = model::OpKind::kClose});
  EXPECT_FALSE(st.orphan.has_value());
  // The deletion is not durable (no directory sync): a power loss may bring
  // the -wal back with the orphan's frames.
  EXPECT_NE(std::find(st.lossable.begin(), st.lossable.end(), model::Table{{7, 3}}), st.lossable.end());
  const auto end = model::CloseAll(s, st);
  for (const model::State& e : end) EXPECT_TRUE(e.committed.empty());
}

// --- what a real connection does -----------------------------------------

struct Events : harness::VfsListener {
  Events() : previous(harness::GetVfsListener()) { harness::SetVfsListener(this); }
  ~Events() override { harness::SetVfsListener(previous); }
  void OnEvent(harness::VfsEvent e, harness::FileRole, int64_t) override { seen.push_back(e); }
  int Count(harness::VfsEvent e) const {
    int n = 0;
    for (auto x : seen) n += x == e;
    return n;
  }
  std::vector<harness::VfsEvent> seen;
  harness::VfsListener* previous;
};

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

TEST(ConnectionSettingsTest, LastCloseDeletesTheWalUnlessOff) {
  auto scratch = MakeScratch();
  const std::string db = scratch->path() + "/harvey.db";
  for (bool on : {true, false}) {
    SCOPED_TRACE(on);
    harness::RemoveDatabase(db);
    model::Config config;
    config.checkpoint_on_close = on;
    ASSERT_EQ(harness::CreateDatabase(db, config), "");
    harness::Connection a, b;
    ASSERT_EQ(a.Reset(db, config, 0), "");
    ASSERT_EQ(b.Reset(db, config, 1), "");
    ASSERT_EQ(a.Execute(model::Op{.kind = model::OpKind::kWrite, .key = 1, .size = 64}, 0).rc, SQLITE_OK);
    a.Close();
    EXPECT_TRUE(Exists(db + "-wal")) << "b is still open";
    b.Close();
    EXPECT_EQ(Exists(db + "-wal"), !on);
    EXPECT_EQ(Exists(db + "-shm"), !on);
  }
}

// The pragma reaches the connection (and `default` issues none: the build's own).
TEST(ConnectionSettingsTest, SecureDeleteIsSetOnOpen) {
  auto scratch = MakeScratch();
  const std::string db = scratch->path() + "/harvey.db";
  model::Config config;
  ASSERT_EQ(harness::CreateDatabase(db, config), "");
  auto pragma = [&](model::SecureDelete d) {
    config.secure_delete = d;
    harness::Connection c;
    EXPECT_EQ(c.Reset(db, config, 0), "");
    sqlite3_stmt* st = nullptr;
    int v = -1;
    if (sqlite3_prepare_v2(c.handle(), "PRAGMA secure_delete", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      v = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    return v;
  };
  EXPECT_EQ(pragma(model::SecureDelete::kOff), 0);
  EXPECT_EQ(pragma(model::SecureDelete::kOn), 1);
  EXPECT_EQ(pragma(model::SecureDelete::kFast), 2);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &raw), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  int build_default = -1;
  if (sqlite3_prepare_v2(raw, "PRAGMA secure_delete", -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    build_default = sqlite3_column_int(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(raw);
  EXPECT_EQ(pragma(model::SecureDelete::kDefault), build_default);
}

TEST(ConnectionSettingsTest, KillNeverCheckpoints) {
  auto scratch = MakeScratch();
  const std::string db = scratch->path() + "/harvey.db";
  model::Config config;
  ASSERT_EQ(harness::CreateDatabase(db, config), "");
  harness::Connection a;
  ASSERT_EQ(a.Reset(db, config, 0), "");
  ASSERT_EQ(a.Execute(model::Op{.kind = model::OpKind::kWrite, .key = 1, .size = 64}, 0).rc, SQLITE_OK);
  a.Kill();
  EXPECT_TRUE(Exists(db + "-wal"));
}

TEST(ConnectionSettingsTest, BusyTimeoutSleepsThroughTheVfsThenIsBusy) {
  auto scratch = MakeScratch();
  const std::string db = scratch->path() + "/harvey.db";
  for (int32_t timeout : {0, 50}) {
    SCOPED_TRACE(timeout);
    harness::RemoveDatabase(db);
    model::Config config;
    config.busy_timeout = timeout;
    ASSERT_EQ(harness::CreateDatabase(db, config), "");
    harness::Connection a, b;
    ASSERT_EQ(a.Reset(db, config, 0), "");
    ASSERT_EQ(b.Reset(db, config, 1), "");
    ASSERT_EQ(a.Execute(model::Op{.kind = model::OpKind::kBegin, .begin = model::BeginMode::kImmediate}, 0).rc,
              SQLITE_OK);
    Events ev;
    EXPECT_EQ(b.Execute(model::Op{.kind = model::OpKind::kWrite, .key = 1, .size = 64}, 1).rc, SQLITE_BUSY);
    if (timeout == 0) {
      EXPECT_EQ(ev.Count(harness::VfsEvent::kSleep), 0);
    } else {
      EXPECT_GE(ev.Count(harness::VfsEvent::kSleep), 5) << "1+2+5+10+15+20 ms ... up to 50";
    }
  }
}

TEST(ConnectionSettingsTest, MmapSizeReadsThroughFetch) {
  auto scratch = MakeScratch();
  const std::string db = scratch->path() + "/harvey.db";
  for (int64_t mmap : {int64_t{0}, int64_t{64} << 20}) {
    SCOPED_TRACE(mmap);
    harness::RemoveDatabase(db);
    model::Config config;
    config.mmap_size = mmap;
    ASSERT_EQ(harness::CreateDatabase(db, config), "");
    harness::Connection a;
    ASSERT_EQ(a.Reset(db, config, 0), "");
    for (int k = 0; k < 20; ++k) {
      ASSERT_EQ(a.Execute(model::Op{.kind = model::OpKind::kWrite, .key = k, .size = 3000}, k).rc, SQLITE_OK);
    }
    ASSERT_EQ(a.Execute(model::Op{.kind = model::OpKind::kCheckpoint, .checkpoint = model::CheckpointMode::kTruncate}, 20).rc,
              SQLITE_OK);
    harness::Connection b;
    ASSERT_EQ(b.Reset(db, config, 1), "");
    Events ev;
    ASSERT_EQ(b.Execute(model::Op{.kind = model::OpKind::kScan}, 21).rc, SQLITE_OK);
    EXPECT_EQ(ev.Count(harness::VfsEvent::kFetch) > 0, mmap > 0);
  }
}

// With mmap_size>0 a checkpoint that grows the database announces the size
// (SQLITE_FCNTL_SIZE_HINT) and the unix VFS ftruncates the file up to it,
// outside xTruncate: the power-loss bookkeeping must still see the growth
// (a pending size change), or a power loss would model a shorter file.
TEST(ConnectionSettingsTest, MmapSizeHintGrowthIsRecordedForPowerLoss) {
  auto scratch = MakeScratch();
  const std::string db = scratch->path() + "/harvey.db";
  for (int64_t mmap : {int64_t{0}, int64_t{64} << 20}) {
    SCOPED_TRACE(mmap);
    harness::RemoveDatabase(db);
    harness::SetDurabilityTracking(true);
    model::Config config;
    config.mmap_size = mmap;
    config.synchronous = model::Synchronous::kOff;  // no sync: the growth stays pending
    ASSERT_EQ(harness::CreateDatabase(db, config), "");
    harness::Connection a;
    ASSERT_EQ(a.Reset(db, config, 0), "");
    for (int k = 0; k < 20; ++k) {
      ASSERT_EQ(a.Execute(model::Op{.kind = model::OpKind::kWrite, .key = k, .size = 3000}, k).rc, SQLITE_OK);
    }
    ASSERT_EQ(a.Execute(model::Op{.kind = model::OpKind::kCheckpoint}, 20).rc, SQLITE_OK);
    std::string pending;
    harness::ReadWholeFile(db + ".pending", &pending);
    // The checkpoint's records: with mmap, the growth first; then the page
    // writes and the truncate to the final size (sqlite3OsTruncate), as without.
    ASSERT_FALSE(pending.empty());
    EXPECT_EQ(pending[0] == 'T', mmap > 0) << "a checkpoint with mmap grows the file by ftruncate first";
    a.Kill();
    harness::SetDurabilityTracking(false);
  }
}

// Whole schedules under each setting pass on fork and inproc (the model
// predicts the last close), including a `kill at` aimed at the new events.
TEST(ConnectionSettingsTest, SchedulesPassUnderEverySetting) {
  auto scratch = MakeScratch();
  const std::string body =
      "worker w1\nworker w2\nw1 write 1 5000\nw2 begin deferred\nw2 read 1\nw1 write 2 100\n"
      "w1 close\nw2 commit\nw2 write 3 100\nw2 close\nw1 open\nw1 scan\nw2 open\nw2 kill at read 1\n"
      "w2 scan\nw2 open\nw1 kill at unfetch 1\nw1 checkpoint passive\nw1 open\nw1 close\nw2 close\n"
      "w2 open\nw2 scan\n";
  for (const char* config : {"", "config checkpoint_on_close off\n", "config mmap_size 8192\n",
                             "config mmap_size 67108864\nconfig busy_timeout 100\n"}) {
    const model::Schedule s = MustParse(std::string("harvey-schedule 1\n") + config + body);
    harness::ForkBackend fork;
    const harness::RunResult r = harness::RunSchedule(s, fork, scratch->path());
    EXPECT_EQ(r.verdict, harness::Verdict::kPass) << config << (r.mismatch ? r.mismatch->Summary() : r.error);
    // inproc: no `kill at`, but a `kill` (closing without the checkpoint).
    const model::Schedule t = MustParse(std::string("harvey-schedule 1\n") + config +
                                        "worker w1\nworker w2\nw1 write 1 100\nw2 write 2 100\nw1 kill\n"
                                        "w2 close\nw1 open\nw1 scan\nw2 open\nw1 close\nw2 write 3 70\n");
    harness::InprocBackend inproc;
    const harness::RunResult q = harness::RunSchedule(t, inproc, scratch->path());
    EXPECT_EQ(q.verdict, harness::Verdict::kPass) << config << (q.mismatch ? q.mismatch->Summary() : q.error);
  }
}

TEST(ConnectionSettingsTest, GeneratorDrawsSettingsAndBusyTimeoutOnlyWhenAsked) {
  std::set<int64_t> mmaps;
  std::set<bool> ckpts;
  std::set<int32_t> busy;
  std::set<int64_t> limits;
  std::set<model::SecureDelete> secure;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    const model::Schedule s = model::Generate(seed, model::GenOptions{});
    secure.insert(s.config.secure_delete);
    mmaps.insert(s.config.mmap_size);
    ckpts.insert(s.config.checkpoint_on_close);
    limits.insert(s.config.journal_size_limit);
    EXPECT_EQ(s.config.busy_timeout, 0);
    model::GenOptions fine;
    fine.draw_busy_timeout = true;
    const model::Schedule f = model::Generate(seed, fine);
    busy.insert(f.config.busy_timeout);
    EXPECT_EQ(f.steps, s.steps) << "settings come from their own stream";
    model::GenOptions none;
    none.draw_settings = false;
    const model::Schedule n = model::Generate(seed, none);
    EXPECT_EQ(n.steps, s.steps);
    EXPECT_EQ(n.config.mmap_size, 0);
    EXPECT_TRUE(n.config.checkpoint_on_close);
    EXPECT_EQ(n.config.journal_size_limit, -1);
    EXPECT_EQ(n.config.secure_delete, model::SecureDelete::kDefault);
  }
  EXPECT_EQ(secure.size(), 4u);  // the build's default, off, on, fast
  EXPECT_GE(mmaps.size(), 4u);
  EXPECT_TRUE(mmaps.count(0));
  EXPECT_TRUE(mmaps.count(int64_t{64} << 20));
  EXPECT_EQ(ckpts.size(), 2u);
  EXPECT_GE(limits.size(), 4u);  // -1, 0, a few frames (per page size), 1 MiB
  EXPECT_TRUE(limits.count(-1));
  EXPECT_TRUE(limits.count(0));
  EXPECT_TRUE(limits.count(int64_t{1} << 20));
  EXPECT_GE(busy.size(), 4u);
  EXPECT_TRUE(busy.count(0));
}

// Campaigns draw busy_timeout only under a fine-grained policy, and a pinned
// value (harvey fuzz --busy-timeout, --mmap-size, --checkpoint-on-close,
// --journal-size-limit) wins.
TEST(ConnectionSettingsTest, CampaignsDrawBusyTimeoutOnlyWhenFineGrained) {
  harness::CampaignSpec op;
  harness::CampaignSpec pct = op;
  ASSERT_EQ(model::ParsePolicy("pct:3", &pct.policy), "");
  harness::CampaignSpec pinned = pct;
  pinned.busy_timeout = 7;
  pinned.mmap_size = 4096;
  pinned.checkpoint_on_close = false;
  pinned.journal_size_limit = 0;
  pinned.secure_delete = model::SecureDelete::kOn;
  std::set<int32_t> drawn;
  std::set<int64_t> limits;
  for (uint64_t i = 0; i < 60; ++i) {
    EXPECT_EQ(harness::CampaignSchedule(op, i).config.busy_timeout, 0);
    drawn.insert(harness::CampaignSchedule(pct, i).config.busy_timeout);
    const model::Config c = harness::CampaignSchedule(pinned, i).config;
    EXPECT_EQ(c.busy_timeout, 7);
    EXPECT_EQ(c.mmap_size, 4096);
    EXPECT_FALSE(c.checkpoint_on_close);
    EXPECT_EQ(c.journal_size_limit, 0);
    EXPECT_EQ(c.secure_delete, model::SecureDelete::kOn);
    limits.insert(harness::CampaignSchedule(op, i).config.journal_size_limit);
    EXPECT_EQ(harness::CampaignSchedule(op, i).steps, harness::CampaignSchedule(pct, i).steps);
  }
  EXPECT_GE(drawn.size(), 3u);
  EXPECT_GE(limits.size(), 3u);  // drawn unless pinned
}

// config call_points (a harness setting): drawn 1 time in 8 only by
// fine-grained campaigns whose workers run an shm-instrumented build,
// pinned by --call-points, printed only when on, and off by default.
TEST(ConnectionSettingsTest, CallPointsAreDrawnOnlyWhereACallCanPause) {
  EXPECT_FALSE(model::Config{}.call_points);
  const model::Schedule on = MustParse("harvey-schedule 1\nconfig call_points on\nworker w1\n");
  EXPECT_TRUE(on.config.call_points);
  EXPECT_NE(model::PrintSchedule(on).find("config call_points on\n"), std::string::npos);
  EXPECT_EQ(MustParse(model::PrintSchedule(on)).config, on.config);
  EXPECT_EQ(model::PrintSchedule(MustParse("harvey-schedule 1\nconfig call_points off\nworker w1\n")).find("call_points"),
            std::string::npos);
  EXPECT_FALSE(model::ParseSchedule("harvey-schedule 1\nconfig call_points 1\nworker w1\n", "t").ok());

  harness::CampaignSpec op;
  op.sqlite = "3.54.1-shm";
  harness::CampaignSpec pct = op;
  ASSERT_EQ(model::ParsePolicy("pct:3", &pct.policy), "");
  harness::CampaignSpec plain = pct;
  plain.sqlite = "3.54.1";
  harness::CampaignSpec pinned = plain;
  pinned.call_points = true;
  int drawn = 0;
  for (uint64_t i = 0; i < 400; ++i) {
    EXPECT_FALSE(harness::CampaignSchedule(op, i).config.call_points) << "op-level never pauses";
    EXPECT_FALSE(harness::CampaignSchedule(plain, i).config.call_points) << "no call events without -shm";
    EXPECT_TRUE(harness::CampaignSchedule(pinned, i).config.call_points);
    const model::Schedule s = harness::CampaignSchedule(pct, i);
    drawn += s.config.call_points;
    EXPECT_EQ(s.steps, harness::CampaignSchedule(op, i).steps) << "its own stream";
  }
  EXPECT_GT(drawn, 400 / 8 / 2);
  EXPECT_LT(drawn, 400 / 8 * 2);
}

}  // namespace
}  // namespace harvey
