// The schedule text format (see format.h for the grammar). Standard library
// only; the parser is a single linear pass over the text, never throws, and
// reports the first problem as "<filename>:<line>: <what>".
#include "model/format.h"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace harvey::model {
namespace {

constexpr std::string_view kHeaderWord = "harvey-schedule";
constexpr size_t kMaxLineBytes = 4096;
constexpr size_t kMaxQuotedBytes = 40;
constexpr size_t kMaxNameBytes = 16;

constexpr int64_t kMinPageSize = 512;
constexpr int64_t kMaxPageSize = 65536;
constexpr int64_t kMaxAutocheckpoint = 1'000'000;
constexpr int64_t kMaxCacheSize = 1'000'000;

// Every value of each enum, in declaration order, for keyword lookup.
constexpr Synchronous kSynchronousModes[] = {
    Synchronous::kOff, Synchronous::kNormal, Synchronous::kFull};
constexpr BeginMode kBeginModes[] = {
    BeginMode::kDeferred, BeginMode::kImmediate, BeginMode::kExclusive};
constexpr CheckpointMode kCheckpointModes[] = {
    CheckpointMode::kPassive, CheckpointMode::kFull, CheckpointMode::kRestart,
    CheckpointMode::kTruncate};
// The op keywords of the text (kKillAt is written "kill at EVENT K").
constexpr OpKind kOpKinds[] = {
    OpKind::kBegin,  OpKind::kRead,     OpKind::kWrite,      OpKind::kDelete,
    OpKind::kScan,   OpKind::kCommit,   OpKind::kRollback,   OpKind::kCheckpoint,
    OpKind::kClose,  OpKind::kOpen,     OpKind::kKill,       OpKind::kPowerLoss,
    OpKind::kSavepoint, OpKind::kRelease, OpKind::kRollbackTo, OpKind::kVacuum};
constexpr OpKind kAllOpKinds[] = {
    OpKind::kBegin,  OpKind::kRead,     OpKind::kWrite,      OpKind::kDelete,
    OpKind::kScan,   OpKind::kCommit,   OpKind::kRollback,   OpKind::kCheckpoint,
    OpKind::kClose,  OpKind::kOpen,     OpKind::kKill,       OpKind::kKillAt,
    OpKind::kPowerLoss, OpKind::kSavepoint, OpKind::kRelease, OpKind::kRollbackTo,
    OpKind::kVacuum};
constexpr SecureDelete kSecureDeletes[] = {SecureDelete::kDefault, SecureDelete::kOff, SecureDelete::kOn,
                                           SecureDelete::kFast};
constexpr Expectation kExpectations[] = {Expectation::kPass, Expectation::kFail};
constexpr Defect kDefects[] = {Defect::kNone,      Defect::kCanary,       Defect::kFsyncLies,
                               Defect::kNoLocking, Defect::kMixedLocking, Defect::kPrivateShm};
constexpr EventKind kEventKinds[] = {
    EventKind::kWrite,   EventKind::kSync,       EventKind::kTruncate, EventKind::kLock,
    EventKind::kUnlock,  EventKind::kShmLock,    EventKind::kShmBarrier,
    EventKind::kShmMap,  EventKind::kFileControl, EventKind::kSleep,   EventKind::kRead,
    EventKind::kFileSize, EventKind::kCheckReservedLock, EventKind::kFetch, EventKind::kUnfetch,
    EventKind::kShmRead, EventKind::kShmWrite, EventKind::kShmUnmap, EventKind::kFileOpen,
    EventKind::kFileClose, EventKind::kFileDelete, EventKind::kFileAccess, EventKind::kCall};
constexpr uint32_t kMaxOrdinal = 1'000'000;
constexpr int64_t kMaxJournalSizeLimit = 1'000'000'000;
constexpr int64_t kMaxMmapSize = 0x7fff0000;  // SQLITE_MAX_MMAP_SIZE of Debian and the amalgamations
constexpr int64_t kMaxBusyTimeout = 60'000;

enum ConfigKey {
  kPageSize, kSynchronous, kWalAutocheckpoint, kCacheSize, kSeed, kDefect, kSectorSize,
  kJournalSizeLimit, kMmapSize, kCheckpointOnClose, kBusyTimeout, kSecureDelete, kCallPoints, kNumConfigKeys
};
constexpr std::string_view kConfigNames[kNumConfigKeys] = {
    "page_size", "synchronous", "wal_autocheckpoint", "cache_size", "seed", "defect",
    "sector_size", "journal_size_limit", "mmap_size", "checkpoint_on_close", "busy_timeout",
    "secure_delete", "call_points"};

template <typename E, size_t N>
bool Lookup(const E (&values)[N], std::string_view keyword, E* out) {
  for (E v : values) {
    if (keyword == ToString(v)) {
      *out = v;
      return true;
    }
  }
  return false;
}

template <typename E, size_t N>
bool IsKnown(const E (&values)[N], E value) {
  for (E v : values) {
    if (v == value) return true;
  }
  return false;
}

// "a | b | c": the keywords of an enum, for error messages.
template <typename E, size_t N>
std::string Choices(const E (&values)[N]) {
  std::string out;
  for (E v : values) {
    if (!out.empty()) out += " | ";
    out += ToString(v);
  }
  return out;
}

// At most kMaxQuotedBytes of `s`, with backslash and every byte that is not
// printable ASCII escaped, so an error message stays one short line.
std::string Escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMaxQuotedBytes; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (s.size() > kMaxQuotedBytes) out += "...";
  return out;
}

std::string Quote(std::string_view s) { return "'" + Escape(s) + "'"; }

// All of `tok` as a decimal integer of type T (no '+', no spaces, no
// overflow). Uses from_chars, so it never throws.
template <typename T>
bool ParseInt(std::string_view tok, T* out) {
  const char* end = tok.data() + tok.size();
  auto [ptr, ec] = std::from_chars(tok.data(), end, *out);
  return ec == std::errc() && ptr == end && !tok.empty();
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The value checks below are shared by the parser and Validate: each returns
// "" when the value is allowed, else what is wrong with it.

std::string CheckRange(std::string_view what, int64_t v, int64_t lo, int64_t hi) {
  if (v >= lo && v <= hi) return "";
  return std::string(what) + " " + std::to_string(v) + " out of range " +
         std::to_string(lo) + ".." + std::to_string(hi);
}

std::string CheckPageSize(int64_t v) {
  if (v >= kMinPageSize && v <= kMaxPageSize && (v & (v - 1)) == 0) return "";
  return "page_size " + std::to_string(v) + " is not a power of two in 512..65536";
}

std::string CheckCacheSize(int64_t v) {
  if (v == 0) return "cache_size must not be 0";
  return CheckRange("cache_size", v, -kMaxCacheSize, kMaxCacheSize);
}

std::string CheckKey(int64_t v) { return CheckRange("key", v, 0, kMaxKey); }

std::string CheckSize(int64_t v) {
  return CheckRange("size", v, kMinValueSize, kMaxValueSize);
}

// Names are [a-z][a-z0-9_]{0,15}, and not a line keyword: a worker called
// "config" would make its step lines read as config lines.
std::string CheckWorkerName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxNameBytes && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (!ok) return "invalid worker name " + Quote(name) + " (want [a-z][a-z0-9_]{0,15})";
  if (name == "config" || name == "worker" || name == "expect" || name == "sqlite") {
    return "worker name " + Quote(name) + " is reserved (it is a keyword)";
  }
  return "";
}

// Savepoint names (savepoint, release, rollback-to): [a-z][a-z0-9_]{0,15}.
// The worker quotes them in its SQL, so keywords are fine names.
bool NamesSavepoint(OpKind k) {
  return k == OpKind::kSavepoint || k == OpKind::kRelease || k == OpKind::kRollbackTo;
}

std::string CheckSavepointName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxSavepointName && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (!ok) return "invalid savepoint name " + Quote(name) + " (want [a-z][a-z0-9_]{0,15})";
  return "";
}

// Boundary names in `expect` lines: [a-z][a-z0-9_-]{0,15}.
std::string CheckBoundaryName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxNameBytes && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  }
  if (!ok) return "invalid boundary name " + Quote(name) + " (want [a-z][a-z0-9_-]{0,15})";
  return "";
}

// SQLite build names in `sqlite` lines: "system" or a version N.N.N[.N],
// optionally with a build tag: "3.54.1-shm" (its shm-instrumented build:
// every load and store in the wal-index a preemption point), "3.54.1-mutants"
// (the mutant schemata of 3.54.1, fuzz/mutate/): '-' then [a-z]{1,16}.
std::string CheckSqliteNameImpl(std::string_view full) {
  if (full == "system") return "";
  std::string_view name = full;
  if (const size_t dash = name.find('-'); dash != std::string_view::npos) {
    const std::string_view tag = name.substr(dash + 1);
    bool tag_ok = !tag.empty() && tag.size() <= 16;
    for (char c : tag) tag_ok = tag_ok && c >= 'a' && c <= 'z';
    if (!tag_ok) return "invalid SQLite " + Quote(full) + " (want system, a version such as 3.54.1, or VERSION-TAG such as 3.54.1-shm)";
    name = name.substr(0, dash);
  }
  int parts = 0;
  bool ok = !name.empty() && name.size() <= kMaxNameBytes;
  for (size_t i = 0; ok && i < name.size(); ++i) {
    const size_t start = i;
    while (i < name.size() && name[i] >= '0' && name[i] <= '9') ++i;
    ok = i > start && i - start <= 4 && (i == name.size() || name[i] == '.');
    ++parts;
  }
  if (ok && name.back() != '.' && parts >= 3 && parts <= 4) return "";
  return "invalid SQLite " + Quote(full) + " (want system, a version such as 3.54.1, or VERSION-TAG such as 3.54.1-shm)";
}

// How many arguments an op takes, and a description for error messages.
size_t ArgCount(OpKind k) {
  switch (k) {
    case OpKind::kWrite: return 2;
    case OpKind::kBegin:
    case OpKind::kRead:
    case OpKind::kDelete:
    case OpKind::kCheckpoint:
    case OpKind::kPowerLoss: return 1;
    case OpKind::kSavepoint:
    case OpKind::kRelease:
    case OpKind::kRollbackTo: return 1;
    case OpKind::kKillAt: return 3;
    default: return 0;
  }
}

std::string ArgHelp(OpKind k) {
  switch (k) {
    case OpKind::kBegin: return "1 argument (" + Choices(kBeginModes) + ")";
    case OpKind::kRead:
    case OpKind::kDelete: return "1 argument (KEY)";
    case OpKind::kWrite: return "2 arguments (KEY SIZE)";
    case OpKind::kCheckpoint: return "1 argument (" + Choices(kCheckpointModes) + ")";
    case OpKind::kPowerLoss: return "1 argument (SEED)";
    case OpKind::kSavepoint:
    case OpKind::kRelease:
    case OpKind::kRollbackTo: return "1 argument (NAME)";
    case OpKind::kKill:
    case OpKind::kKillAt: return "no arguments, or 'at EVENT K' (EVENT: " + Choices(kEventKinds) + ")";
    default: return "no arguments";
  }
}

std::string OpList() {
  std::string out;
  for (OpKind k : kOpKinds) {
    if (!out.empty()) out += ", ";
    out += ToString(k);
  }
  return out;
}

// Splits the part of `line` before any '#' at runs of spaces and tabs.
std::vector<std::string_view> Tokenize(std::string_view line) {
  line = line.substr(0, line.find('#'));
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) tokens.push_back(line.substr(start, i - start));
  }
  return tokens;
}

using Tokens = std::vector<std::string_view>;

// One pass over the text. Each *Line method handles one line and returns ""
// or the problem; Run adds the "<filename>:<line>: " prefix.
class Parser {
 public:
  explicit Parser(std::string_view filename) : filename_(filename) {}
  Result<Schedule> Run(std::string_view text);

 private:
  std::string HeaderLine(const Tokens& tok, std::string_view line);
  std::string ConfigLine(const Tokens& tok);
  std::string ConfigValue(ConfigKey key, std::string_view value);
  std::string WorkerLine(const Tokens& tok);
  std::string ExpectLine(const Tokens& tok);
  std::string SqliteLine(const Tokens& tok);
  std::string StepLine(const Tokens& tok);
  std::string InterleaveLine(const Tokens& tok);
  int FindWorker(std::string_view name) const;
  Error Fail(const std::string& what) const {
    return Error{std::string(filename_) + ":" + std::to_string(line_ == 0 ? 1 : line_) +
                 ": " + what};
  }

  std::string_view filename_;
  size_t line_ = 0;
  Schedule s_;
  size_t config_line_[kNumConfigKeys] = {};  // where each key was set; 0 = not yet
  std::vector<size_t> worker_line_;          // where each worker was declared
  std::vector<size_t> sqlite_line_;          // per worker: its sqlite line; 0 = none
  std::vector<size_t> first_step_line_;      // per worker: its first step; 0 = none
};

Result<Schedule> Parser::Run(std::string_view text) {
  bool have_header = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxLineBytes) {
      return Fail("line is " + std::to_string(line.size()) + " bytes long (at most 4096)");
    }
    const Tokens tok = Tokenize(line);
    std::string err;
    if (!have_header) {
      // Blank lines may precede the header; a comment may not.
      if (tok.empty() && line.find('#') == std::string_view::npos) continue;
      err = HeaderLine(tok, line);
      have_header = true;
    } else if (tok.empty()) {
      continue;
    } else if (tok[0] == "config") {
      err = ConfigLine(tok);
    } else if (tok[0] == "worker") {
      err = WorkerLine(tok);
    } else if (tok[0] == "expect") {
      err = ExpectLine(tok);
    } else if (tok[0] == "sqlite") {
      err = SqliteLine(tok);
    } else if (tok[0] == "interleave") {
      err = InterleaveLine(tok);
    } else {
      err = StepLine(tok);
    }
    if (!err.empty()) return Fail(err);
  }
  if (!have_header) return Fail("empty file (the first line must be 'harvey-schedule 1')");
  if (s_.workers.empty()) return Fail("no workers (declare 1..8 with 'worker NAME')");
  return std::move(s_);
}

std::string Parser::HeaderLine(const Tokens& tok, std::string_view line) {
  if (tok.size() == 2 && tok[0] == kHeaderWord) {
    if (tok[1] == "1") return "";
    if (AllDigits(tok[1])) {
      return "unsupported format version " + Escape(tok[1]) + " (this harvey reads 1)";
    }
  }
  return "expected 'harvey-schedule 1' as the first line, got " + Quote(line);
}

std::string Parser::ConfigLine(const Tokens& tok) {
  if (!worker_line_.empty()) {
    return "config lines must come before the first worker (line " +
           std::to_string(worker_line_[0]) + ")";
  }
  if (tok.size() < 3) return "config needs a key and a value, e.g. 'config seed 42'";
  int key = -1;
  for (int k = 0; k < kNumConfigKeys; ++k) {
    if (tok[1] == kConfigNames[k]) key = k;
  }
  if (key < 0) {
    return "unknown config key " + Quote(tok[1]) +
           " (want page_size, synchronous, wal_autocheckpoint, cache_size, seed, defect, "
           "sector_size, journal_size_limit, mmap_size, checkpoint_on_close, busy_timeout, "
           "secure_delete or call_points)";
  }
  if (config_line_[key] != 0) {
    return "duplicate config key " + Quote(tok[1]) + " (already set on line " +
           std::to_string(config_line_[key]) + ")";
  }
  if (tok.size() != 3) {
    return "config " + std::string(tok[1]) + " takes 1 value, got " +
           std::to_string(tok.size() - 2);
  }
  config_line_[key] = line_;
  return ConfigValue(static_cast<ConfigKey>(key), tok[2]);
}

std::string Parser::ConfigValue(ConfigKey key, std::string_view value) {
  Config& c = s_.config;
  int64_t v = 0;
  switch (key) {
    case kPageSize:
      if (!ParseInt(value, &v)) {
        return "bad page_size " + Quote(value) + " (want a power of two in 512..65536)";
      }
      if (auto e = CheckPageSize(v); !e.empty()) return e;
      c.page_size = static_cast<uint32_t>(v);
      return "";
    case kSynchronous:
      if (!Lookup(kSynchronousModes, value, &c.synchronous)) {
        return "bad synchronous " + Quote(value) + " (want " + Choices(kSynchronousModes) + ")";
      }
      return "";
    case kWalAutocheckpoint:
      if (!ParseInt(value, &v)) {
        return "bad wal_autocheckpoint " + Quote(value) + " (want an integer in 0..1000000)";
      }
      if (auto e = CheckRange("wal_autocheckpoint", v, 0, kMaxAutocheckpoint); !e.empty()) {
        return e;
      }
      c.wal_autocheckpoint = static_cast<uint32_t>(v);
      return "";
    case kCacheSize:
      if (!ParseInt(value, &v)) {
        return "bad cache_size " + Quote(value) +
               " (want a non-zero integer in -1000000..1000000)";
      }
      if (auto e = CheckCacheSize(v); !e.empty()) return e;
      c.cache_size = static_cast<int32_t>(v);
      return "";
    case kSeed:
      if (!ParseInt(value, &c.seed)) {
        return "bad seed " + Quote(value) + " (want an integer in 0..18446744073709551615)";
      }
      return "";
    case kDefect:
      if (!Lookup(kDefects, value, &c.defect)) {
        return "bad defect " + Quote(value) + " (want " + Choices(kDefects) + ")";
      }
      return "";
    case kSectorSize:
      if (value == "512" || value == "4096") {
        c.sector_size = value == "512" ? 512 : 4096;
        return "";
      }
      return "bad sector_size " + Quote(value) + " (want 512 or 4096)";
    case kJournalSizeLimit:
      if (!ParseInt(value, &v)) {
        return "bad journal_size_limit " + Quote(value) + " (want an integer in -1..1000000000)";
      }
      if (auto e = CheckRange("journal_size_limit", v, -1, kMaxJournalSizeLimit); !e.empty()) {
        return e;
      }
      c.journal_size_limit = v;
      return "";
    case kMmapSize:
      if (!ParseInt(value, &v)) {
        return "bad mmap_size " + Quote(value) + " (want bytes in 0..2147418112)";
      }
      if (auto e = CheckRange("mmap_size", v, 0, kMaxMmapSize); !e.empty()) return e;
      c.mmap_size = v;
      return "";
    case kCheckpointOnClose:
      if (value == "on" || value == "off") {
        c.checkpoint_on_close = value == "on";
        return "";
      }
      return "bad checkpoint_on_close " + Quote(value) + " (want on or off)";
    case kBusyTimeout:
      if (!ParseInt(value, &v)) {
        return "bad busy_timeout " + Quote(value) + " (want milliseconds in 0..60000)";
      }
      if (auto e = CheckRange("busy_timeout", v, 0, kMaxBusyTimeout); !e.empty()) return e;
      c.busy_timeout = static_cast<int32_t>(v);
      return "";
    case kSecureDelete:
      if (!Lookup(kSecureDeletes, value, &c.secure_delete)) {
        return "bad secure_delete " + Quote(value) + " (want " + Choices(kSecureDeletes) + ")";
      }
      return "";
    case kCallPoints:
      if (value == "on" || value == "off") {
        c.call_points = value == "on";
        return "";
      }
      return "bad call_points " + Quote(value) + " (want on or off)";
    case kNumConfigKeys:
      break;
  }
  return "internal error: bad config key";
}

std::string Parser::WorkerLine(const Tokens& tok) {
  if (tok.size() != 2 && tok.size() != 3) {
    return "worker takes a name and an optional boundary, got " + std::to_string(tok.size() - 1) +
           " arguments (e.g. 'worker w1' or 'worker w1 oci')";
  }
  if (auto e = CheckWorkerName(tok[1]); !e.empty()) return e;
  if (tok.size() == 3) {
    if (auto e = CheckBoundaryName(tok[2]); !e.empty()) return e;
  }
  if (int w = FindWorker(tok[1]); w >= 0) {
    return "duplicate worker " + Quote(tok[1]) + " (first declared on line " +
           std::to_string(worker_line_[w]) + ")";
  }
  if (s_.workers.size() >= static_cast<size_t>(kMaxWorkers)) {
    return "too many workers (at most " + std::to_string(kMaxWorkers) + ")";
  }
  s_.workers.push_back(Worker{std::string(tok[1]), tok.size() == 3 ? std::string(tok[2]) : ""});
  worker_line_.push_back(line_);
  sqlite_line_.push_back(0);
  first_step_line_.push_back(0);
  return "";
}

std::string Parser::SqliteLine(const Tokens& tok) {
  if (tok.size() != 3) {
    return "sqlite takes a worker and a SQLite build, e.g. 'sqlite w2 3.54.1' or 'sqlite w1 "
           "system', got " + std::to_string(tok.size() - 1) + " arguments";
  }
  const int w = FindWorker(tok[1]);
  if (w < 0) return "undeclared worker " + Quote(tok[1]) + " (declare it with a 'worker' line first)";
  if (first_step_line_[w] != 0) {
    return "the sqlite line of " + Quote(tok[1]) + " must come before its first step (line " +
           std::to_string(first_step_line_[w]) + ")";
  }
  if (sqlite_line_[w] != 0) {
    return "duplicate sqlite line for worker " + Quote(tok[1]) + " (first on line " +
           std::to_string(sqlite_line_[w]) + ")";
  }
  if (auto e = CheckSqliteNameImpl(tok[2]); !e.empty()) return e;
  s_.workers[w].sqlite = std::string(tok[2]);
  sqlite_line_[w] = line_;
  return "";
}

std::string Parser::ExpectLine(const Tokens& tok) {
  if (!worker_line_.empty()) {
    return "expect lines must come before the first worker (line " +
           std::to_string(worker_line_[0]) + ")";
  }
  if (tok.size() != 3) {
    return "expect takes a boundary and pass or fail, e.g. 'expect fork pass', got " +
           std::to_string(tok.size() - 1) + " arguments";
  }
  if (auto e = CheckBoundaryName(tok[1]); !e.empty()) return e;
  Expect x{.boundary = std::string(tok[1])};
  if (!Lookup(kExpectations, tok[2], &x.verdict)) {
    return "bad expectation " + Quote(tok[2]) + " (want " + Choices(kExpectations) + ")";
  }
  for (const Expect& prior : s_.expects) {
    if (prior.boundary == x.boundary) return "duplicate expect for boundary " + Quote(tok[1]);
  }
  s_.expects.push_back(std::move(x));
  return "";
}

std::string Parser::StepLine(const Tokens& tok) {
  Step step;
  step.worker = FindWorker(tok[0]);
  OpKind kind = OpKind::kScan;
  const bool known_op = tok.size() >= 2 && Lookup(kOpKinds, tok[1], &kind);
  if (step.worker < 0) {
    if (known_op) {
      return "undeclared worker " + Quote(tok[0]) + " (declare it with a 'worker' line first)";
    }
    return "unknown keyword " + Quote(tok[0]) +
           " (want config, expect, worker, sqlite or a declared worker name)";
  }
  if (tok.size() < 2) return "missing op after worker " + Quote(tok[0]) + " (want " + OpList() + ")";
  if (!known_op) return "unknown op " + Quote(tok[1]) + " (want " + OpList() + ")";
  Op& op = step.op;
  if (kind == OpKind::kKill && tok.size() > 2) kind = OpKind::kKillAt;
  if (kind == OpKind::kKillAt && tok[2] != "at") {
    return "bad kill " + Quote(tok[2]) + " (want 'kill' or 'kill at EVENT K')";
  }
  op.kind = kind;
  if (tok.size() - 2 != ArgCount(kind)) {
    return std::string(ToString(kind)) + " takes " + ArgHelp(kind) + ", got " +
           std::to_string(tok.size() - 2);
  }
  int64_t v = 0;
  switch (kind) {
    case OpKind::kBegin:
      if (!Lookup(kBeginModes, tok[2], &op.begin)) {
        return "bad begin mode " + Quote(tok[2]) + " (want " + Choices(kBeginModes) + ")";
      }
      break;
    case OpKind::kCheckpoint:
      if (!Lookup(kCheckpointModes, tok[2], &op.checkpoint)) {
        return "bad checkpoint mode " + Quote(tok[2]) + " (want " + Choices(kCheckpointModes) + ")";
      }
      break;
    case OpKind::kRead:
    case OpKind::kWrite:
    case OpKind::kDelete:
      if (!ParseInt(tok[2], &v)) return "bad key " + Quote(tok[2]) + " (want an integer in 0..1000000)";
      if (auto e = CheckKey(v); !e.empty()) return e;
      op.key = v;
      if (kind != OpKind::kWrite) break;
      if (!ParseInt(tok[3], &v)) {
        return "bad size " + Quote(tok[3]) + " (want an integer in 16..1048576)";
      }
      if (auto e = CheckSize(v); !e.empty()) return e;
      op.size = static_cast<uint32_t>(v);
      break;
    case OpKind::kKillAt:
      if (!Lookup(kEventKinds, tok[3], &op.event)) {
        return "bad event " + Quote(tok[3]) + " (want " + Choices(kEventKinds) + ")";
      }
      if (!ParseInt(tok[4], &op.ordinal) || op.ordinal < 1 || op.ordinal > kMaxOrdinal) {
        return "bad event count " + Quote(tok[4]) + " (want an integer in 1..1000000)";
      }
      break;
    case OpKind::kPowerLoss:
      if (!ParseInt(tok[2], &op.seed)) {
        return "bad power-loss seed " + Quote(tok[2]) + " (want an integer in 0..18446744073709551615)";
      }
      break;
    case OpKind::kSavepoint:
    case OpKind::kRelease:
    case OpKind::kRollbackTo:
      if (auto e = CheckSavepointName(tok[2]); !e.empty()) return e;
      op.name = std::string(tok[2]);
      break;
    default:
      break;
  }
  s_.steps.push_back(step);
  if (first_step_line_[step.worker] == 0) first_step_line_[step.worker] = line_;
  return "";
}

// `interleave w1*3 w2 w1*12`: decisions, run-length coded; lines append.
std::string Parser::InterleaveLine(const Tokens& tok) {
  if (tok.size() < 2) return "interleave needs at least one decision, e.g. 'interleave w1*3 w2'";
  for (size_t i = 1; i < tok.size(); ++i) {
    std::string_view t = tok[i];
    uint64_t count = 1;
    if (size_t star = t.find('*'); star != std::string_view::npos) {
      if (!ParseInt(t.substr(star + 1), &count) || count < 1 || count > kMaxDecisions) {
        return "bad decision count in " + Quote(t) + " (want WORKER or WORKER*N, N 1..1000000)";
      }
      t = t.substr(0, star);
    }
    const int w = FindWorker(t);
    if (w < 0) return "interleave names undeclared worker " + Quote(t);
    if (s_.interleave.size() + count > kMaxDecisions) return "more than 1000000 interleave decisions";
    s_.interleave.insert(s_.interleave.end(), count, w);
  }
  return "";
}

int Parser::FindWorker(std::string_view name) const {
  for (size_t i = 0; i < s_.workers.size(); ++i) {
    if (s_.workers[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

// What is wrong with one step of a schedule whose workers are valid.
std::string CheckStep(const Schedule& s, const Step& step) {
  if (step.worker < 0 || static_cast<size_t>(step.worker) >= s.workers.size()) {
    return "worker index " + std::to_string(step.worker) + " out of range (" +
           std::to_string(s.workers.size()) + " workers)";
  }
  const Op& op = step.op;
  if (!IsKnown(kAllOpKinds, op.kind)) {
    return "invalid op kind " + std::to_string(static_cast<int>(op.kind));
  }
  // The fields the text carries for this kind; all others must be default,
  // or the step would not survive a print/parse round trip.
  Op used;
  used.kind = op.kind;
  switch (op.kind) {
    case OpKind::kBegin: used.begin = op.begin; break;
    case OpKind::kCheckpoint: used.checkpoint = op.checkpoint; break;
    case OpKind::kWrite: used.size = op.size; [[fallthrough]];
    case OpKind::kRead:
    case OpKind::kDelete: used.key = op.key; break;
    case OpKind::kKillAt: used.event = op.event; used.ordinal = op.ordinal; break;
    case OpKind::kPowerLoss: used.seed = op.seed; break;
    case OpKind::kSavepoint:
    case OpKind::kRelease:
    case OpKind::kRollbackTo: used.name = op.name; break;
    default: break;
  }
  if (used != op) {
    return std::string("fields unused by ") + ToString(op.kind) + " must keep their defaults";
  }
  if (!IsKnown(kBeginModes, op.begin)) return "invalid begin mode";
  if (!IsKnown(kCheckpointModes, op.checkpoint)) return "invalid checkpoint mode";
  if (!IsKnown(kEventKinds, op.event)) return "invalid event kind";
  if (op.kind == OpKind::kKillAt && (op.ordinal < 1 || op.ordinal > kMaxOrdinal)) {
    return "event count " + std::to_string(op.ordinal) + " out of range 1..1000000";
  }
  if (op.kind == OpKind::kRead || op.kind == OpKind::kWrite || op.kind == OpKind::kDelete) {
    if (auto e = CheckKey(op.key); !e.empty()) return e;
  }
  if (NamesSavepoint(op.kind)) return CheckSavepointName(op.name);
  if (op.kind == OpKind::kWrite) return CheckSize(op.size);
  return "";
}

}  // namespace

std::string CheckSqliteName(std::string_view name) { return CheckSqliteNameImpl(name); }

bool ParseSynchronous(std::string_view keyword, Synchronous* out) { return Lookup(kSynchronousModes, keyword, out); }
bool ParseSecureDelete(std::string_view keyword, SecureDelete* out) { return Lookup(kSecureDeletes, keyword, out); }

Result<Schedule> ParseSchedule(std::string_view text, std::string_view filename) {
  return Parser(filename).Run(text);
}

std::string PrintSchedule(const Schedule& s) {
  const Config& c = s.config;
  std::string out = std::string(kHeaderWord) + " " + std::to_string(kFormatVersion) + "\n";
  for (const Expect& x : s.expects) {
    out += "expect " + x.boundary + " " + ToString(x.verdict) + "\n";
  }
  out += "config page_size " + std::to_string(c.page_size) + "\n";
  out += std::string("config synchronous ") + ToString(c.synchronous) + "\n";
  out += "config wal_autocheckpoint " + std::to_string(c.wal_autocheckpoint) + "\n";
  out += "config cache_size " + std::to_string(c.cache_size) + "\n";
  out += "config seed " + std::to_string(c.seed) + "\n";
  if (c.defect != Defect::kNone) out += std::string("config defect ") + ToString(c.defect) + "\n";
  if (c.sector_size != 4096) out += "config sector_size " + std::to_string(c.sector_size) + "\n";
  if (c.journal_size_limit != -1) {
    out += "config journal_size_limit " + std::to_string(c.journal_size_limit) + "\n";
  }
  if (c.mmap_size != 0) out += "config mmap_size " + std::to_string(c.mmap_size) + "\n";
  if (!c.checkpoint_on_close) out += "config checkpoint_on_close off\n";
  if (c.busy_timeout != 0) out += "config busy_timeout " + std::to_string(c.busy_timeout) + "\n";
  if (c.secure_delete != SecureDelete::kDefault) {
    out += std::string("config secure_delete ") + ToString(c.secure_delete) + "\n";
  }
  if (c.call_points) out += "config call_points on\n";
  for (const Worker& w : s.workers) {
    out += "worker " + w.name + (w.boundary.empty() ? "" : " " + w.boundary) + "\n";
  }
  for (const Worker& w : s.workers) {
    if (!w.sqlite.empty()) out += "sqlite " + w.name + " " + w.sqlite + "\n";
  }
  for (const Step& step : s.steps) out += PrintStep(s, step) + "\n";
  out += PrintInterleave(s);
  return out;
}

std::string PrintInterleave(const Schedule& s) {
  std::string out;
  int on_line = 0;
  for (size_t i = 0; i < s.interleave.size();) {
    size_t j = i;
    while (j < s.interleave.size() && s.interleave[j] == s.interleave[i]) ++j;
    const int w = s.interleave[i];
    const bool known = w >= 0 && static_cast<size_t>(w) < s.workers.size();
    if (on_line == 0) out += "interleave";
    out += " " + (known ? s.workers[w].name : std::string("?"));
    if (j - i > 1) out += "*" + std::to_string(j - i);
    if (++on_line == 24) {
      out += "\n";
      on_line = 0;
    }
    i = j;
  }
  if (on_line) out += "\n";
  return out;
}

std::string PrintStep(const Schedule& s, const Step& step) {
  const bool known = step.worker >= 0 && static_cast<size_t>(step.worker) < s.workers.size();
  std::string out = known ? s.workers[step.worker].name : "?";
  const Op& op = step.op;
  out += ' ';
  out += ToString(op.kind);
  switch (op.kind) {
    case OpKind::kBegin: out += ' '; out += ToString(op.begin); break;
    case OpKind::kCheckpoint: out += ' '; out += ToString(op.checkpoint); break;
    case OpKind::kRead:
    case OpKind::kDelete: out += " " + std::to_string(op.key); break;
    case OpKind::kWrite:
      out += " " + std::to_string(op.key) + " " + std::to_string(op.size);
      break;
    case OpKind::kKillAt:
      out = (known ? s.workers[step.worker].name : "?") + " kill at " + ToString(op.event) + " " +
            std::to_string(op.ordinal);
      break;
    case OpKind::kPowerLoss: out += " " + std::to_string(op.seed); break;
    case OpKind::kSavepoint:
    case OpKind::kRelease:
    case OpKind::kRollbackTo: out += " " + op.name; break;
    default: break;
  }
  return out;
}

std::string Validate(const Schedule& s) {
  const Config& c = s.config;
  if (auto e = CheckPageSize(c.page_size); !e.empty()) return "config: " + e;
  if (!IsKnown(kSynchronousModes, c.synchronous)) return "config: invalid synchronous value";
  if (auto e = CheckRange("wal_autocheckpoint", c.wal_autocheckpoint, 0, kMaxAutocheckpoint);
      !e.empty()) {
    return "config: " + e;
  }
  if (auto e = CheckCacheSize(c.cache_size); !e.empty()) return "config: " + e;
  if (!IsKnown(kDefects, c.defect)) return "config: invalid defect";
  if (c.sector_size != 512 && c.sector_size != 4096) return "config: sector_size must be 512 or 4096";
  if (auto e = CheckRange("journal_size_limit", c.journal_size_limit, -1, kMaxJournalSizeLimit);
      !e.empty()) {
    return "config: " + e;
  }
  if (auto e = CheckRange("mmap_size", c.mmap_size, 0, kMaxMmapSize); !e.empty()) return "config: " + e;
  if (auto e = CheckRange("busy_timeout", c.busy_timeout, 0, kMaxBusyTimeout); !e.empty()) {
    return "config: " + e;
  }
  if (!IsKnown(kSecureDeletes, c.secure_delete)) return "config: invalid secure_delete";

  for (size_t i = 0; i < s.expects.size(); ++i) {
    if (auto e = CheckBoundaryName(s.expects[i].boundary); !e.empty()) return "expect: " + e;
    if (!IsKnown(kExpectations, s.expects[i].verdict)) return "expect: invalid expectation";
    for (size_t j = 0; j < i; ++j) {
      if (s.expects[j].boundary == s.expects[i].boundary) {
        return "duplicate expect for boundary " + Quote(s.expects[i].boundary);
      }
    }
  }
  if (s.workers.empty()) return "no workers (need 1..8)";
  if (s.workers.size() > static_cast<size_t>(kMaxWorkers)) {
    return "too many workers (" + std::to_string(s.workers.size()) + ", at most 8)";
  }
  for (size_t i = 0; i < s.workers.size(); ++i) {
    if (auto e = CheckWorkerName(s.workers[i].name); !e.empty()) {
      return "worker " + std::to_string(i) + ": " + e;
    }
    if (!s.workers[i].sqlite.empty()) {
      if (auto e = CheckSqliteNameImpl(s.workers[i].sqlite); !e.empty()) {
        return "worker " + std::to_string(i) + ": " + e;
      }
    }
    if (!s.workers[i].boundary.empty()) {
      if (auto e = CheckBoundaryName(s.workers[i].boundary); !e.empty()) {
        return "worker " + std::to_string(i) + ": " + e;
      }
    }
    for (size_t j = 0; j < i; ++j) {
      if (s.workers[j].name == s.workers[i].name) {
        return "duplicate worker " + Quote(s.workers[i].name);
      }
    }
  }
  for (size_t i = 0; i < s.steps.size(); ++i) {
    if (auto e = CheckStep(s, s.steps[i]); !e.empty()) {
      return "step " + std::to_string(i) + " (" + PrintStep(s, s.steps[i]) + "): " + e;
    }
  }
  if (s.interleave.size() > kMaxDecisions) return "more than 1000000 interleave decisions";
  for (size_t i = 0; i < s.interleave.size(); ++i) {
    if (s.interleave[i] < 0 || static_cast<size_t>(s.interleave[i]) >= s.workers.size()) {
      return "interleave decision " + std::to_string(i) + ": worker index " +
             std::to_string(s.interleave[i]) + " out of range";
    }
  }
  return "";
}

}  // namespace harvey::model
