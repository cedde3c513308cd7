#include "harness/worker/durability.h"

#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "harness/os/files.h"
#include "model/rng.h"

namespace harvey::harness {
namespace {

std::atomic<bool> g_tracking{false};

void Append(const std::string& path, const std::string& record) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t w = ::write(fd, record.data(), record.size());
  (void)w;
  ::close(fd);
}

// Reads a file SQLite has open in this process without ever closing a
// descriptor of it: POSIX drops every fcntl lock a process holds on a file
// when it closes *any* descriptor of that file, so an open/read/close of the
// database here would silently release this worker's SHARED lock (and let
// another connection's close-time checkpoint take EXCLUSIVE and delete the
// -wal and -shm under it). One read-only descriptor per path is kept open for
// the life of the process, reopened only when the path names another inode
// (the file was deleted and created again; the old inode's locks are moot).
bool ReadOpenFile(const std::string& path, std::string* out) {
  struct Held {
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
  };
  static std::mutex mu;
  static pid_t owner = 0;                 // a forked child inherits the map, not the fds' meaning
  static std::map<std::string, Held> fds;  // never closed while the inode lives
  std::lock_guard<std::mutex> lock(mu);
  if (owner != ::getpid()) {
    fds.clear();  // the parent's descriptors: closed or reused in here; never close them
    owner = ::getpid();
  }
  struct stat now{};
  if (::stat(path.c_str(), &now) != 0) return false;
  Held& h = fds[path];
  struct stat held{};
  if (h.fd >= 0) {
    const bool still_ours = ::fstat(h.fd, &held) == 0 && held.st_dev == h.dev && held.st_ino == h.ino;
    if (!still_ours) {
      h.fd = -1;  // the number was reused by someone else (SQLite): not ours to close
    } else if (h.ino != now.st_ino || h.dev != now.st_dev) {
      ::close(h.fd);  // the path names another inode by now: no lock of ours lives on the old one
      h.fd = -1;
    }
  }
  if (h.fd < 0) {
    h.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (h.fd < 0 || ::fstat(h.fd, &held) != 0) return false;
    h.dev = held.st_dev;
    h.ino = held.st_ino;
  }
  if (::fstat(h.fd, &held) != 0) return false;
  out->assign(static_cast<size_t>(held.st_size), '\0');
  size_t got = 0;
  while (got < out->size()) {
    const ssize_t n = ::pread(h.fd, out->data() + got, out->size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  out->resize(got);
  return true;
}

void PutU64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetU64(const std::string& s, size_t pos) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(s[pos + i])) << (8 * i);
  return v;
}

// One pending record: 'W' offset length bytes, or 'T' size.
struct Pending {
  char type;
  uint64_t offset;
  std::string data;
};

std::vector<Pending> ParsePending(const std::string& log) {
  std::vector<Pending> out;
  size_t pos = 0;
  while (pos + 9 <= log.size()) {
    Pending p{log[pos], GetU64(log, pos + 1), {}};
    pos += 9;
    if (p.type == 'W') {
      if (pos + 8 > log.size()) break;
      const uint64_t n = GetU64(log, pos);
      pos += 8;
      if (n > log.size() - pos) break;  // a torn record: the writer died mid-append
      p.data = log.substr(pos, n);
      pos += n;
    }
    out.push_back(std::move(p));
  }
  return out;
}

void Overlay(std::string& content, uint64_t offset, const char* data, size_t n) {
  if (content.size() < offset + n) content.resize(offset + n, '\0');
  std::memcpy(content.data() + offset, data, n);
}

// Applies the surviving part of one pending record.
void Survive(model::Rng& rng, std::string& content, const Pending& p, uint32_t sector) {
  const uint64_t fate = rng.Below(3);  // 0 lost, 1 whole, 2 torn
  if (fate == 0) return;
  if (p.type == 'T') {
    content.resize(p.offset, '\0');
    return;
  }
  if (fate == 1) {
    Overlay(content, p.offset, p.data.data(), p.data.size());
    return;
  }
  uint64_t pos = p.offset;
  const uint64_t end = p.offset + p.data.size();
  while (pos < end) {
    const uint64_t chunk_end = std::min(end, (pos / sector + 1) * sector);
    if (rng.Chance(1, 2)) Overlay(content, pos, p.data.data() + (pos - p.offset), chunk_end - pos);
    pos = chunk_end;
  }
}

std::string PowerLossOne(const std::string& path, model::Rng& rng, bool keep_any, uint32_t sector) {
  std::string content;
  std::string log;
  const bool durable = ReadWholeFile(path + ".durable", &content);
  const bool pending = ReadWholeFile(path + ".pending", &log);
  ::unlink((path + ".pending").c_str());
  if (!durable) {
    ::unlink(path.c_str());  // never synced: its directory entry may be gone
    return "";
  }
  if (pending && keep_any) {
    for (const Pending& p : ParsePending(log)) Survive(rng, content, p, sector);
  }
  for (const std::string& target : {path, path + ".durable"}) {
    if (std::string e = WriteFileAtomic(target, content); !e.empty()) return "power loss: " + e;
  }
  return "";
}

}  // namespace

void SetDurabilityTracking(bool on) { g_tracking.store(on); }
bool DurabilityTracking() { return g_tracking.load(); }

void NoteWrite(const char* path, const void* data, int n, int64_t offset) {
  if (!DurabilityTracking() || path == nullptr || n < 0) return;
  std::string rec(1, 'W');
  PutU64(rec, static_cast<uint64_t>(offset));
  PutU64(rec, static_cast<uint64_t>(n));
  rec.append(static_cast<const char*>(data), static_cast<size_t>(n));
  Append(std::string(path) + ".pending", rec);
}

void NoteTruncate(const char* path, int64_t size) {
  if (!DurabilityTracking() || path == nullptr) return;
  std::string rec(1, 'T');
  PutU64(rec, static_cast<uint64_t>(size));
  Append(std::string(path) + ".pending", rec);
}

void NoteSynced(const char* path) {
  if (!DurabilityTracking() || path == nullptr) return;
  std::string content;
  const std::string p(path);
  if (!ReadOpenFile(p, &content)) return;  // never ReadWholeFile: its close drops our locks
  WriteFileAtomic(p + ".durable", content);
  ::unlink((p + ".pending").c_str());
}

void NoteDeleted(const char* path) {
  if (path == nullptr) return;
  const std::string p(path);
  ::unlink((p + ".durable").c_str());
  ::unlink((p + ".pending").c_str());
}

std::string ApplyPowerLoss(const std::string& db_path, uint64_t seed, uint32_t sector_size) {
  model::Rng rng(seed);
  const uint32_t sector = sector_size ? sector_size : 4096;
  for (const char* suffix : {"", "-wal"}) {
    if (std::string e = PowerLossOne(db_path + suffix, rng, seed != 0, sector); !e.empty()) return e;
  }
  ::unlink((db_path + "-shm").c_str());
  return "";
}

}  // namespace harvey::harness
