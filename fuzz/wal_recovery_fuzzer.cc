// wal_recovery_fuzzer: WAL recovery on a damaged log. Two "generations" of a
// -wal are built once from the same database image db0 (different commits,
// different salts): A with kCommitsA commits, B with kCommitsB. Each input
// mutates A's bytes (bit flips, truncation, frames or the header of B,
// overwritten bytes), then the database is opened (recovery runs) and read.
//
// SQLite promises that recovery stops at the first frame whose salts or
// cumulative checksum do not match, and only keeps whole transactions. So:
//  * opening and reading must not crash (ASan/UBSan watch);
//  * what is read is a committed state: db0 plus a prefix of A's commits or
//    of B's, never a mixture; PRAGMA integrity_check says "ok";
//  * a commit on top of the recovered state survives a second recovery and a
//    TRUNCATE checkpoint exactly.
// An SQLite error code instead of a read is allowed (damage may be reported).
//
// The -wal checksums are not cryptographic: a mutation that forges a
// matching checksum on purpose is outside SQLite's promise; a finding must
// be checked for that before it is called a SQLite bug.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "harness/os/scratch.h"
#include "harness/worker/vfs_shim.h"

namespace {

using namespace harvey;

constexpr int kPageSize = 512;
constexpr size_t kWalHeader = 32;
constexpr size_t kFrameHeader = 24;
constexpr size_t kFrame = kFrameHeader + kPageSize;
constexpr int kCommitsA = 4;
constexpr int kCommitsB = 3;
constexpr int kMaxMutations = 16;

using Rows = std::vector<std::pair<int64_t, std::string>>;

struct Generation {
  std::string wal;
  std::vector<Rows> states;  // states[i]: after i commits (states[0]: db0)
  size_t frames() const { return wal.size() < kWalHeader ? 0 : (wal.size() - kWalHeader) / kFrame; }
};

struct Template {
  std::unique_ptr<harness::ScratchDir> scratch;
  std::string db;   // path of the database every input uses
  std::string db0;  // its bytes before any commit in WAL mode
  Generation a, b;
  bool verbose = false;  // HARVEY_FUZZ_VERBOSE=1: print each input's mutations and state
};

Template* tpl = nullptr;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "wal_recovery_fuzzer: %s\n", what.c_str());
  std::abort();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) Die("cannot write " + path);
}

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Die("building the template: " + sql + ": " + (err ? err : "?"));
  }
}

// Opens `path` through the harvey VFS (deterministic salts) with the settings
// of harvey's workers that matter here. Returns the SQLite result code.
int Open(const std::string& path, sqlite3** db) {
  const int rc = sqlite3_open_v2(path.c_str(), db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                 harness::kHarveyVfsName);
  if (rc != SQLITE_OK) return rc;
  sqlite3_extended_result_codes(*db, 1);
  sqlite3_db_config(*db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  return sqlite3_exec(*db, "PRAGMA wal_autocheckpoint=0; PRAGMA mmap_size=0", nullptr, nullptr, nullptr);
}

// The whole table, or an SQLite error code.
int ReadRows(sqlite3* db, Rows* rows) {
  rows->clear();
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT k, v FROM t ORDER BY k", -1, &st, nullptr);
  if (rc != SQLITE_OK) return rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(st, 1));
    rows->emplace_back(sqlite3_column_int64(st, 0), std::string(p ? p : "", sqlite3_column_bytes(st, 1)));
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

// "ok", or what integrity_check said, or the error.
std::string Integrity(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) != SQLITE_OK) {
    return std::string("integrity_check: ") + sqlite3_errmsg(db);
  }
  std::string out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (!out.empty()) out += "; ";
    out += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  return out.empty() ? "integrity_check returned nothing" : out;
}

std::string Value(const char* tag, int n, size_t size) {
  std::string v = tag + std::to_string(n) + ":";
  while (v.size() < size) v += static_cast<char>('a' + (v.size() * 7 + n) % 26);
  return v;
}

void RemoveFiles(const std::string& db) {
  for (const char* s : {"-wal", "-shm", "-journal"}) ::unlink((db + s).c_str());
}

// Commits `commits` transactions on db0 with VFS seed `seed`; each updates
// one small row, inserts one overflowing row and deletes one row.
Generation Build(int commits, uint64_t seed, const char* tag) {
  WriteFile(tpl->db, tpl->db0);
  RemoveFiles(tpl->db);
  harness::SeedVfs(seed);
  sqlite3* db = nullptr;
  if (Open(tpl->db, &db) != SQLITE_OK) Die(std::string("open: ") + sqlite3_errmsg(db));
  Generation g;
  g.states.emplace_back();
  if (ReadRows(db, &g.states.back()) != SQLITE_OK) Die("read db0");
  for (int i = 1; i <= commits; ++i) {
    Exec(db, "BEGIN");
    Exec(db, "UPDATE t SET v='" + Value(tag, i, 40) + "' WHERE k=" + std::to_string(1 + i % 6));
    Exec(db, "INSERT INTO t VALUES(" + std::to_string(100 + i) + ",'" + Value(tag, i, 700) + "')");
    Exec(db, "DELETE FROM t WHERE k=" + std::to_string(7 + i));
    Exec(db, "COMMIT");
    g.states.emplace_back();
    if (ReadRows(db, &g.states.back()) != SQLITE_OK) Die("read after commit");
  }
  sqlite3_close(db);
  g.wal = ReadFile(tpl->db + "-wal");
  if (g.frames() < static_cast<size_t>(commits)) Die("the template WAL is too short");
  return g;
}

void BuildTemplate() {
  tpl = new Template;
  tpl->verbose = std::getenv("HARVEY_FUZZ_VERBOSE") != nullptr;
  const std::string parent = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "";
  auto scratch = harness::ScratchDir::Create(parent);
  if (!scratch.ok()) Die(scratch.error());
  tpl->scratch = std::move(scratch.value());
  tpl->db = tpl->scratch->path() + "/recovery.db";
  harness::RegisterHarveyVfs();
  harness::SeedVfs(1);
  sqlite3* db = nullptr;
  if (Open(tpl->db, &db) != SQLITE_OK) Die("create the template database");
  std::string sql = "PRAGMA page_size=" + std::to_string(kPageSize) +
                    "; CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB NOT NULL); CREATE INDEX t_v ON t(v);";
  for (int k = 1; k <= 12; ++k) sql += "INSERT INTO t VALUES(" + std::to_string(k) + ",'" + Value("s", k, 30) + "');";
  Exec(db, sql + "PRAGMA journal_mode=WAL;");
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
  sqlite3_close(db);  // checkpoints and deletes the -wal: db0 holds everything
  tpl->db0 = ReadFile(tpl->db);
  tpl->a = Build(kCommitsA, 2, "a");
  tpl->b = Build(kCommitsB, 3, "b");
  if (tpl->a.wal.compare(16, 8, tpl->b.wal, 16, 8) == 0) Die("generations A and B share salts");
  std::atexit([] { tpl->scratch.reset(); });
}

class Input {
 public:
  Input(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  bool empty() const { return pos_ >= n_; }
  uint8_t Byte() { return empty() ? 0 : d_[pos_++]; }
  size_t U16() { return Byte() | static_cast<size_t>(Byte()) << 8; }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t pos_ = 0;
};

// Applies the input's mutations to A's log; `log` says what was done.
std::string Mutate(Input& in, std::string* log) {
  std::string wal = tpl->a.wal;
  const std::string& b = tpl->b.wal;
  for (int i = 0; i < kMaxMutations && !in.empty(); ++i) {
    const uint8_t op = in.Byte() % 5;
    if (op == 0 && !wal.empty()) {
      const size_t off = in.U16() % wal.size();
      const int bit = in.Byte() % 8;
      wal[off] = static_cast<char>(wal[off] ^ (1 << bit));
      *log += "flip byte " + std::to_string(off) + " bit " + std::to_string(bit) + "; ";
    } else if (op == 1) {
      wal.resize(in.U16() % (wal.size() + 1));
      *log += "truncate to " + std::to_string(wal.size()) + "; ";
    } else if (op == 2) {
      const size_t src = in.Byte() % tpl->b.frames();
      const size_t frames = wal.size() < kWalHeader ? 0 : (wal.size() - kWalHeader) / kFrame;
      const size_t dst = in.Byte() % (frames + 1);
      if (wal.size() < kWalHeader) wal.resize(kWalHeader);
      wal.resize(std::max(wal.size(), kWalHeader + (dst + 1) * kFrame));
      wal.replace(kWalHeader + dst * kFrame, kFrame, b, kWalHeader + src * kFrame, kFrame);
      *log += "B frame " + std::to_string(src) + " into slot " + std::to_string(dst) + "; ";
    } else if (op == 3) {
      if (wal.size() < kWalHeader) wal.resize(kWalHeader);
      wal.replace(0, kWalHeader, b, 0, kWalHeader);
      *log += "B header; ";
    } else if (op == 4 && !wal.empty()) {
      const size_t off = in.U16() % wal.size();
      const size_t n = std::min<size_t>(in.Byte() % 16, wal.size() - off);
      for (size_t j = 0; j < n; ++j) wal[off + j] = static_cast<char>(in.Byte());
      *log += "overwrite " + std::to_string(n) + " bytes at " + std::to_string(off) + "; ";
    }
  }
  return wal;
}

std::string Show(const Rows& rows) {
  std::string s = "{";
  for (const auto& [k, v] : rows) s += std::to_string(k) + ":" + v.substr(0, v.find(':')) + " ";
  return s + "}";
}

[[noreturn]] void Finding(const std::string& what, const std::string& log, const Rows& seen) {
  std::string msg = what + "\n  mutations: " + log + "\n  read: " + Show(seen) + "\n  allowed:";
  for (const Generation* g : {&tpl->a, &tpl->b}) {
    for (const Rows& r : g->states) msg += "\n    " + Show(r);
  }
  Die(msg);
}

// The state recovered, if it is a committed one (and its name, e.g. "A2":
// generation A after 2 commits); nullptr otherwise.
const Rows* Committed(const Rows& seen, std::string* name) {
  for (const Generation* g : {&tpl->a, &tpl->b}) {
    for (size_t i = 0; i < g->states.size(); ++i) {
      if (g->states[i] == seen) {
        *name = (g == &tpl->a ? "A" : "B") + std::to_string(i);
        return &g->states[i];
      }
    }
  }
  return nullptr;
}

// Commits one row on the recovered state, recovers again, checkpoints.
// Closes `db`.
void CheckWriteAfterRecovery(sqlite3* db, Rows expected, const std::string& log) {
  const std::string v = Value("after", 1, 64);
  if (sqlite3_exec(db, ("INSERT OR REPLACE INTO t VALUES(5000,'" + v + "')").c_str(), nullptr,
                   nullptr, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return;  // an error code is an allowed answer
  }
  expected.emplace_back(5000, v);
  sqlite3_close(db);
  db = nullptr;
  Rows seen;
  if (Open(tpl->db, &db) == SQLITE_OK && ReadRows(db, &seen) == SQLITE_OK) {
    if (seen != expected) Finding("a commit after recovery did not survive the next recovery", log, seen);
    int log_frames = 0, done = 0;
    if (sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &done) == SQLITE_OK &&
        ReadRows(db, &seen) == SQLITE_OK && seen != expected) {
      Finding("the TRUNCATE checkpoint changed the recovered state", log, seen);
    }
  }
  sqlite3_close(db);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  BuildTemplate();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  std::string log;
  const std::string wal = Mutate(in, &log);
  WriteFile(tpl->db, tpl->db0);
  RemoveFiles(tpl->db);
  WriteFile(tpl->db + "-wal", wal);
  harness::SeedVfs(4);
  sqlite3* db = nullptr;
  Rows seen;
  if (Open(tpl->db, &db) != SQLITE_OK || ReadRows(db, &seen) != SQLITE_OK) {
    sqlite3_close(db);
    return 0;  // refusing to open or read is allowed
  }
  std::string name;
  const Rows* state = Committed(seen, &name);
  if (state == nullptr) Finding("recovery produced a state that was never committed", log, seen);
  if (tpl->verbose) std::fprintf(stderr, "wal_recovery_fuzzer: %s-> recovered %s\n", log.c_str(), name.c_str());
  if (std::string ok = Integrity(db); ok != "ok") Finding("integrity_check after recovery: " + ok, log, seen);
  CheckWriteAfterRecovery(db, *state, log);  // closes db
  return 0;
}
