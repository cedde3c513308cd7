// One worker's SQLite connection: opens the database through the harvey VFS
// with the schedule's settings and executes ops, turning each into an
// Observation. Used by every backend (in-process and in worker processes).
//
// Settings applied on open: extended result codes, journal_mode=WAL, and from
// the schedule config synchronous, cache_size, wal_autocheckpoint,
// journal_size_limit, mmap_size, busy_timeout, secure_delete (only when
// not `default`) and checkpoint-on-close (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE
// only with `checkpoint_on_close off`).
// Each default is SQLite's own, so a schedule without config lines runs
// SQLite the way an application that sets nothing does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/observation.h"
#include "model/result.h"
#include "harness/worker/vfs_shim.h"
#include "model/schedule.h"

struct sqlite3;
struct sqlite3_stmt;

namespace harvey::harness {

// The schema every schedule runs against. The index on the value column makes
// every write touch two b-trees, which the end-of-run oracle compares.
inline constexpr const char* kSchemaSql =
    "CREATE TABLE kv(k INTEGER PRIMARY KEY, v BLOB NOT NULL);"
    "CREATE INDEX kv_v ON kv(v);";

class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Remembers where and how to open (for `open` ops) and opens now.
  // `worker` (the schedule's worker index, -1 for a checking connection)
  // picks the VFS under a locking defect (see VfsFor). Returns "" on
  // success, else one line saying what failed.
  std::string Reset(const std::string& db_path, const model::Config& config, int worker = -1);
  // As Reset, but leaves the connection closed (a later `open` op opens it).
  void Configure(const std::string& db_path, const model::Config& config, int worker = -1);

  // Executes `op` (step `step_index` of the schedule). Ops other than `open`
  // on a closed connection give rc::kNotOpen without calling SQLite.
  model::Observation Execute(const model::Op& op, int64_t step_index);

  // Closes the connection (rolling back any open transaction). Idempotent.
  // As the last connection it checkpoints and deletes the -wal unless the
  // config says `checkpoint_on_close off` (sqlite3WalClose).
  void Close();
  // What a process death leaves, for backends that cannot kill a process
  // (inproc): closes without the last-close checkpoint. Idempotent.
  void Kill();
  bool is_open() const { return db_ != nullptr; }
  // The open handle (nullptr when closed), for checks beyond ops (Verify).
  sqlite3* handle() const { return db_; }
  // The SQLite result code of the last open (Reset or `open`).
  int last_open_rc() const { return last_open_rc_; }

 private:
  int Open(std::string* error);
  int Exec(const char* sql);
  model::Observation Query(const model::Op& op);
  model::Observation Modify(const model::Op& op, int64_t step_index);
  model::Observation Checkpoint(model::CheckpointMode mode);
  int SavepointOrVacuum(const model::Op& op);  // savepoint, release, rollback-to, vacuum

  std::string path_;
  model::Config config_;
  int worker_ = -1;
  sqlite3* db_ = nullptr;
  int last_open_rc_ = 0;
  sqlite3_stmt* read_ = nullptr;
  sqlite3_stmt* write_ = nullptr;
  sqlite3_stmt* delete_ = nullptr;
  sqlite3_stmt* scan_ = nullptr;
};

// The VFS worker `worker` uses under `defect` (-1: a checking connection,
// always the plain shim), and whether it must run in locking_mode=EXCLUSIVE
// (unix-none and unix-dotfile keep WAL only so, with a heap wal-index).
// mixed-locking: the second worker on unix-dotfile, the rest on unix.
struct VfsChoice {
  VfsFlavor flavor = VfsFlavor::kUnix;
  bool exclusive = false;
};
VfsChoice VfsFor(model::Defect defect, int worker);

// Creates a fresh database at `db_path` (which must not exist) in WAL mode
// with `config.page_size` and the schema, then closes it (its WAL is
// checkpointed and removed). Returns "" or what failed.
// The first creation per page size in a process goes through SQL and its
// bytes are kept; later ones write those bytes (~20x cheaper; same file).
// While power-loss tracking is on (durability.h) it always goes through SQL,
// so the tracker sees the creation's writes and syncs.
std::string CreateDatabase(const std::string& db_path, const model::Config& config);

// Removes the database and its -wal, -shm and -journal files, if present.
void RemoveDatabase(const std::string& db_path);

// What a fresh connection finds after every worker closed: one connection
// (as a checking worker, -1) scans, runs integrity_check and reads the index.
struct VerifyResult {
  std::string error;      // could not open/read at all ("" if fine)
  std::string integrity;  // PRAGMA integrity_check joined by "; " ("ok")
  bool index_agrees = true;  // the value index holds exactly the table's rows
  std::vector<model::Row> rows;  // the whole table by key (values decoded)
};
VerifyResult Verify(const std::string& db_path, const model::Config& config);

}  // namespace harvey::harness
