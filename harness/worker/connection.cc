#include "harness/worker/connection.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <span>
#include <string>

#include "harness/worker/durability.h"
#include "harness/os/files.h"
#include "harness/worker/vfs_shim.h"
#include "model/value.h"

namespace harvey::harness {
namespace {

using model::Observation;
using model::OpKind;

const char* SyncName(model::Synchronous s) {
  switch (s) {
    case model::Synchronous::kOff: return "OFF";
    case model::Synchronous::kNormal: return "NORMAL";
    case model::Synchronous::kFull: return "FULL";
  }
  return "FULL";
}

int ModeOf(model::CheckpointMode m) {
  switch (m) {
    case model::CheckpointMode::kPassive: return SQLITE_CHECKPOINT_PASSIVE;
    case model::CheckpointMode::kFull: return SQLITE_CHECKPOINT_FULL;
    case model::CheckpointMode::kRestart: return SQLITE_CHECKPOINT_RESTART;
    case model::CheckpointMode::kTruncate: return SQLITE_CHECKPOINT_TRUNCATE;
  }
  return SQLITE_CHECKPOINT_PASSIVE;
}

int64_t DecodeColumn(sqlite3_stmt* st, int col, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(st, col));
  const int n = sqlite3_column_bytes(st, col);
  if (p == nullptr || n <= 0) return model::kCorrupt;
  return model::DecodeValue(seed, std::span<const unsigned char>(p, static_cast<size_t>(n)));
}

// Runs a statement to completion; returns the final result code (OK on DONE).
int StepAll(sqlite3_stmt* st) {
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
  }
  const int reset_rc = sqlite3_reset(st);
  return rc == SQLITE_DONE ? SQLITE_OK : (reset_rc != SQLITE_OK ? reset_rc : rc);
}

std::string Message(sqlite3* db, const std::string& what, int rc) {
  std::string m = what + ": " + sqlite3_errstr(rc);
  if (db != nullptr) m += std::string(" (") + sqlite3_errmsg(db) + ")";
  return m;
}

}  // namespace

Connection::~Connection() { Close(); }

VfsChoice VfsFor(model::Defect defect, int worker) {
  if (worker < 0) return {};
  switch (defect) {
    case model::Defect::kNoLocking: return {VfsFlavor::kNoLock, true};
    case model::Defect::kMixedLocking:
      // Only worker 2: two dotfile workers would just lock each other out.
      return worker == 1 ? VfsChoice{VfsFlavor::kDotfile, true} : VfsChoice{};
    case model::Defect::kPrivateShm: return {VfsFlavor::kPrivateShm, false};
    default: return {};
  }
}

void Connection::Configure(const std::string& db_path, const model::Config& config, int worker) {
  Close();
  path_ = db_path;
  config_ = config;
  worker_ = worker;
}

std::string Connection::Reset(const std::string& db_path, const model::Config& config, int worker) {
  Configure(db_path, config, worker);
  std::string error;
  last_open_rc_ = Open(&error);
  return error;
}

int Connection::Exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

int Connection::Open(std::string* error) {
  const VfsChoice vfs = VfsFor(config_.defect, worker_);
  RegisterHarveyVfs(vfs.flavor);
  int rc = sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE, VfsName(vfs.flavor));
  if (rc != SQLITE_OK) {
    *error = Message(db_, "open " + path_, rc);
    sqlite3_close(db_);
    db_ = nullptr;
    return rc;
  }
  sqlite3_extended_result_codes(db_, 1);
  // Checkpoint-on-close is SQLite's default; only `config checkpoint_on_close
  // off` turns it off.
  if (!config_.checkpoint_on_close) sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // What PRAGMA busy_timeout=N and PRAGMA wal_autocheckpoint=N do, without
  // parsing two statements per open (N <= 0: no busy handler, no
  // auto-checkpoint hook).
  sqlite3_busy_timeout(db_, config_.busy_timeout);
  sqlite3_wal_autocheckpoint(db_, static_cast<int>(config_.wal_autocheckpoint));
  const std::string pragmas =
      std::string(vfs.exclusive ? "PRAGMA locking_mode=EXCLUSIVE;" : "") +
      "PRAGMA mmap_size=" + std::to_string(config_.mmap_size) + "; PRAGMA journal_mode=WAL;" +
      "PRAGMA synchronous=" + SyncName(config_.synchronous) + ";" +
      "PRAGMA cache_size=" + std::to_string(config_.cache_size) + ";" +
      (config_.journal_size_limit == -1
           ? std::string()
           : "PRAGMA journal_size_limit=" + std::to_string(config_.journal_size_limit) + ";") +
      (config_.secure_delete == model::SecureDelete::kDefault
           ? std::string()
           : std::string("PRAGMA secure_delete=") + model::ToString(config_.secure_delete) + ";");
  rc = Exec(pragmas.c_str());
  const char* sql[] = {"SELECT v FROM kv WHERE k=?1",
                       "INSERT INTO kv(k,v) VALUES(?1,?2) ON CONFLICT(k) DO UPDATE SET v=excluded.v",
                       "DELETE FROM kv WHERE k=?1", "SELECT k, v FROM kv ORDER BY k"};
  sqlite3_stmt** stmts[] = {&read_, &write_, &delete_, &scan_};
  for (int i = 0; i < 4 && rc == SQLITE_OK; ++i) {
    rc = sqlite3_prepare_v3(db_, sql[i], -1, SQLITE_PREPARE_PERSISTENT, stmts[i], nullptr);
  }
  if (rc != SQLITE_OK) {
    *error = Message(db_, "set up connection to " + path_, rc);
    Close();
  }
  return rc;
}

void Connection::Kill() {
  if (db_ != nullptr) sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  Close();
}

void Connection::Close() {
  if (db_ == nullptr) return;
  for (sqlite3_stmt** st : {&read_, &write_, &delete_, &scan_}) {
    sqlite3_finalize(*st);
    *st = nullptr;
  }
  sqlite3_close(db_);
  db_ = nullptr;
}

Observation Connection::Execute(const model::Op& op, int64_t step_index) {
  Observation o;
  if (op.kind == OpKind::kOpen) {
    if (is_open()) return Observation{.rc = model::rc::kAlreadyOpen};
    std::string error;
    o.rc = Open(&error);
    return o;
  }
  if (!is_open()) return Observation{.rc = model::rc::kNotOpen};
  switch (op.kind) {
    case OpKind::kBegin: {
      static const char* kSql[] = {"BEGIN DEFERRED", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"};
      o.rc = Exec(kSql[static_cast<int>(op.begin)]);
      break;
    }
    case OpKind::kCommit: o.rc = Exec("COMMIT"); break;
    case OpKind::kRollback: o.rc = Exec("ROLLBACK"); break;
    case OpKind::kRead:
    case OpKind::kScan: return Query(op);
    case OpKind::kWrite:
    case OpKind::kDelete: return Modify(op, step_index);
    case OpKind::kCheckpoint: return Checkpoint(op.checkpoint);
    case OpKind::kClose: Close(); break;
    case OpKind::kSavepoint:
    case OpKind::kRelease:
    case OpKind::kRollbackTo:
    case OpKind::kVacuum: o.rc = SavepointOrVacuum(op); break;
    default: break;  // kOpen above; kill, kill at and power loss are the backend's
  }
  return o;
}

Observation Connection::Query(const model::Op& op) {
  Observation o;
  sqlite3_stmt* st = op.kind == OpKind::kRead ? read_ : scan_;
  if (op.kind == OpKind::kRead) sqlite3_bind_int64(st, 1, op.key);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (op.kind == OpKind::kRead) {
      o.value = DecodeColumn(st, 0, config_.seed);
    } else {
      o.rows.push_back(model::Row{sqlite3_column_int64(st, 0), DecodeColumn(st, 1, config_.seed)});
    }
  }
  const int reset_rc = sqlite3_reset(st);
  o.rc = rc == SQLITE_DONE ? SQLITE_OK : (reset_rc != SQLITE_OK ? reset_rc : rc);
  if (o.rc != SQLITE_OK) {
    o.value = model::kAbsent;
    o.rows.clear();
  }
  return o;
}

Observation Connection::Modify(const model::Op& op, int64_t step_index) {
  Observation o;
  if (op.kind == OpKind::kWrite) {
    const std::string v = model::ValueBytes(config_.seed, step_index, op.size);
    sqlite3_bind_int64(write_, 1, op.key);
    sqlite3_bind_blob(write_, 2, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    o.rc = StepAll(write_);
    sqlite3_clear_bindings(write_);
  } else {
    sqlite3_bind_int64(delete_, 1, op.key);
    o.rc = StepAll(delete_);
  }
  return o;
}

// The SQL of the savepoint ops and VACUUM. Names are [a-z][a-z0-9_]* (the
// format checks), quoted so that a keyword is a valid name.
int Connection::SavepointOrVacuum(const model::Op& op) {
  std::string sql;
  switch (op.kind) {
    case OpKind::kSavepoint: sql = "SAVEPOINT \"" + op.name + "\""; break;
    case OpKind::kRelease: sql = "RELEASE \"" + op.name + "\""; break;
    case OpKind::kRollbackTo: sql = "ROLLBACK TO \"" + op.name + "\""; break;
    default: sql = "VACUUM"; break;
  }
  return Exec(sql.c_str());
}

Observation Connection::Checkpoint(model::CheckpointMode mode) {
  Observation o;
  int log = -1, done = -1;
  o.rc = sqlite3_wal_checkpoint_v2(db_, "main", ModeOf(mode), &log, &done);
  o.ckpt_log = log;
  o.ckpt_done = done;
  return o;
}

namespace {

std::string CreateWithSql(const std::string& db_path, const model::Config& config) {
  RegisterHarveyVfs();
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                           kHarveyVfsName);
  std::string error;
  if (rc == SQLITE_OK) {
    const std::string sql = "PRAGMA page_size=" + std::to_string(config.page_size) +
                            "; PRAGMA journal_mode=WAL; " + kSchemaSql;
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  }
  if (rc != SQLITE_OK) error = Message(db, "create database " + db_path, rc);
  sqlite3_close(db);
  return error;
}

// The bytes CreateWithSql left, by page size (creation draws no randomness
// and reads no clock that reaches the file, so every creation with this
// SQLite gives the same bytes; the WAL is checkpointed and deleted on close).
std::mutex g_images_mu;
std::map<uint32_t, std::string> g_images;

// Writes `image` to a new file at `path` (mode 0644 like SQLite's, umask
// applied). Returns "" or what failed.
std::string WriteNew(const std::string& path, const std::string& image) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return "create database " + path + ": " + std::strerror(errno);
  size_t done = 0;
  while (done < image.size()) {
    const ssize_t w = ::write(fd, image.data() + done, image.size() - done);
    if (w <= 0) break;
    done += static_cast<size_t>(w);
  }
  const int saved = errno;
  ::close(fd);
  if (done == image.size()) return "";
  return "create database " + path + ": " + std::strerror(saved);
}

// With power-loss tracking, a creation through SQL leaves the database, its
// durable image (the last sync of its close-time checkpoint) and nothing
// else (the -wal deleted for good, no pending writes). When the first tracked
// creation per page size in a process left exactly that, with the durable
// image equal to the file, later ones write the two files from these bytes.
std::map<uint32_t, std::string> g_tracked_images;  // guarded by g_images_mu

std::string CreateTracked(const std::string& db_path, const model::Config& config) {
  {
    std::lock_guard<std::mutex> lock(g_images_mu);
    if (auto it = g_tracked_images.find(config.page_size); it != g_tracked_images.end()) {
      if (std::string e = WriteNew(db_path, it->second); !e.empty()) return e;
      return WriteNew(db_path + ".durable", it->second);
    }
  }
  if (std::string e = CreateWithSql(db_path, config); !e.empty()) return e;
  // The creation is setup, as durable as the cached path below makes it:
  // its close-time deletion of the -wal cannot be undone by a power loss.
  NoteDirSynced(db_path.c_str());
  std::string image, durable;
  const bool only_these = !FileExists(db_path + ".pending") && !FileExists(db_path + "-wal") &&
                          !FileExists(db_path + "-wal.durable") && !FileExists(db_path + "-wal.pending");
  if (only_these && ReadWholeFile(db_path, &image) && ReadWholeFile(db_path + ".durable", &durable) &&
      image == durable) {
    std::lock_guard<std::mutex> lock(g_images_mu);
    g_tracked_images.emplace(config.page_size, std::move(image));
  }
  return "";
}

}  // namespace

std::string CreateDatabase(const std::string& db_path, const model::Config& config) {
  // Power-loss bookkeeping must see the creation's own writes and syncs.
  if (DurabilityTracking()) return CreateTracked(db_path, config);
  {
    std::lock_guard<std::mutex> lock(g_images_mu);
    if (auto it = g_images.find(config.page_size); it != g_images.end()) {
      return WriteNew(db_path, it->second);
    }
  }
  if (std::string e = CreateWithSql(db_path, config); !e.empty()) return e;
  std::string image;
  if (!FileExists(db_path + "-wal") && ReadWholeFile(db_path, &image)) {
    std::lock_guard<std::mutex> lock(g_images_mu);
    g_images.emplace(config.page_size, std::move(image));
  }
  return "";
}

void RemoveDatabase(const std::string& db_path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    for (const char* extra : {"", ".durable", ".pending", ".unlinked", ".unlinked-pending"}) {
      ::unlink((db_path + suffix + extra).c_str());
    }
  }
  ::rmdir((db_path + ".lock").c_str());  // unix-dotfile's lock (mixed-locking defect)
}

VerifyResult Verify(const std::string& db_path, const model::Config& config) {
  VerifyResult r;
  Connection c;
  model::Config quiet = config;
  quiet.wal_autocheckpoint = 0;
  r.error = c.Reset(db_path, quiet);
  if (!r.error.empty()) return r;
  // The rows through the connection's scan op; the pragma and the index
  // comparison through raw statements on the same handle (every read here
  // ends its transaction, so each sees the same committed state).
  model::Op scan{.kind = OpKind::kScan};
  Observation o = c.Execute(scan, -1);
  if (o.rc != SQLITE_OK) {
    r.error = "final scan: " + model::RcName(o.rc);
    return r;
  }
  r.rows = std::move(o.rows);
  sqlite3* db = c.handle();
  sqlite3_stmt* st = nullptr;
  r.integrity.clear();
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      if (!r.integrity.empty()) r.integrity += "; ";
      r.integrity += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
  }
  sqlite3_finalize(st);
  if (r.integrity.empty()) r.integrity = std::string("integrity_check failed: ") + sqlite3_errmsg(db);
  // Every row reachable through the value index, in key order.
  st = nullptr;
  std::vector<int64_t> via_index;
  if (sqlite3_prepare_v2(db, "SELECT k FROM kv INDEXED BY kv_v WHERE v IS NOT NULL ORDER BY k",
                         -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) via_index.push_back(sqlite3_column_int64(st, 0));
    r.index_agrees = sqlite3_reset(st) == SQLITE_OK && via_index.size() == r.rows.size();
    for (size_t i = 0; r.index_agrees && i < via_index.size(); ++i) {
      r.index_agrees = via_index[i] == r.rows[i].key;
    }
  } else {
    r.index_agrees = false;
  }
  sqlite3_finalize(st);
  return r;
}

}  // namespace harvey::harness
