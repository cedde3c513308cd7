#include "harness/worker/durability.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string_view>
#include <utility>
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

// A read-only descriptor of a file SQLite has open in this process, for
// reading it without ever closing a descriptor of it: POSIX drops every fcntl lock a process holds on a file
// when it closes *any* descriptor of that file, so an open/read/close of the
// database here would silently release this worker's SHARED lock (and let
// another connection's close-time checkpoint take EXCLUSIVE and delete the
// -wal and -shm under it). One read-only descriptor per path is kept open for
// the life of the process, reopened only when the path names another inode
// (the file was deleted and created again; the old inode's locks are moot).
int HeldFd(const std::string& path) {
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
  if (::stat(path.c_str(), &now) != 0) return -1;
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
    if (h.fd < 0 || ::fstat(h.fd, &held) != 0) return -1;
    h.dev = held.st_dev;
    h.ino = held.st_ino;
  }
  return h.fd;
}

// Reads [offset, offset + n) of `fd` into `out` (shorter at the end of the file).
bool PreadAll(int fd, uint64_t offset, size_t n, std::string* out) {
  out->assign(n, '\0');
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, out->data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out->resize(got);
  return true;
}

bool PwriteAll(int fd, uint64_t offset, const char* data, size_t n) {
  size_t done = 0;
  while (done < n) {
    const ssize_t w = ::pwrite(fd, data + done, n - done, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += static_cast<size_t>(w);
  }
  return true;
}

bool ReadOpenFile(const std::string& path, std::string* out) {
  const int fd = HeldFd(path);
  struct stat st{};
  if (fd < 0 || ::fstat(fd, &st) != 0) return false;
  return PreadAll(fd, 0, static_cast<size_t>(st.st_size), out);
}

void PutU64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetU64(const std::string& s, size_t pos) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(s[pos + i])) << (8 * i);
  return v;
}

// One pending record: 'W' offset length bytes, or 'T' size. `data` views
// the log it was parsed from.
struct Pending {
  char type;
  uint64_t offset;
  std::string_view data;
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
      p.data = std::string_view(log).substr(pos, n);
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

void DropUnlinked(const std::string& path) {
  ::unlink((path + ".unlinked").c_str());
  ::unlink((path + ".unlinked-pending").c_str());
}

// `path` after a power loss. A deletion of it not yet made durable by a
// directory sync (F.unlinked) is undone with chance 1/2 (always when no
// pending change survives): the deleted file comes back, and the file made
// since under its name, which was never synced, goes.
std::string PowerLossOne(const std::string& path, model::Rng& rng, bool keep_any, uint32_t sector) {
  std::string image = path + ".durable";
  std::string changes = path + ".pending";
  if (FileExists(path + ".unlinked")) {
    if (!keep_any || rng.Chance(1, 2)) {
      ::unlink(image.c_str());
      ::unlink(changes.c_str());
      image = path + ".unlinked";
      changes = path + ".unlinked-pending";
    }
  }
  std::string content;
  std::string log;
  const bool durable = ReadWholeFile(image, &content);
  const bool pending = ReadWholeFile(changes, &log);
  ::unlink(changes.c_str());
  DropUnlinked(path);
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

namespace {

// Whether HARVEY_CHECK_DURABLE=1: every incremental F.durable is compared
// with a full copy of F (a self-check of the bookkeeping; slow).
bool CheckDurable() {
  static const bool on = [] {
    const char* v = std::getenv("HARVEY_CHECK_DURABLE");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return on;
}

// F.durable := F, incrementally. F.durable already holds F as of the last
// sync, and every change to F since is in F.pending: a write record for
// each xWrite (its extent), a truncate record for each xTruncate or size
// hint. So F and F.durable can differ only inside the written extents and
// from the lowest truncate size (or F.durable's old end) on; those bytes
// are copied from F itself (read through the held descriptor, never from
// the records), and F.durable is cut or extended to F's size. Returns false
// when it could not (no F.durable yet, or an I/O error): the caller copies
// the whole file.
bool SyncIncrementally(const std::string& p, int held) {
  std::string log;
  if (!ReadWholeFile(p + ".pending", &log)) log.clear();  // no writes since the last sync
  const int dfd = ::open((p + ".durable").c_str(), O_RDWR | O_CLOEXEC);
  if (dfd < 0) return false;
  struct stat real{}, durable{};
  bool ok = ::fstat(held, &real) == 0 && ::fstat(dfd, &durable) == 0;
  const uint64_t size = static_cast<uint64_t>(real.st_size);
  uint64_t tail_from = static_cast<uint64_t>(durable.st_size);  // copy [tail_from, size)
  std::vector<std::pair<uint64_t, uint64_t>> extents;           // [offset, end)
  for (const Pending& r : ParsePending(log)) {
    if (r.type == 'T') {
      tail_from = std::min(tail_from, r.offset);
    } else {
      extents.emplace_back(r.offset, r.offset + r.data.size());
    }
  }
  if (tail_from < size) extents.emplace_back(tail_from, size);
  ok = ok && ::ftruncate(dfd, static_cast<off_t>(size)) == 0;
  std::string bytes;
  for (auto [from, to] : extents) {
    if (!ok) break;
    to = std::min(to, size);
    if (from >= to) continue;
    ok = PreadAll(held, from, static_cast<size_t>(to - from), &bytes) && bytes.size() == to - from &&
         PwriteAll(dfd, from, bytes.data(), bytes.size());
  }
  ::close(dfd);
  if (ok && CheckDurable()) {
    std::string want, got;
    if (!ReadOpenFile(p, &want) || !ReadWholeFile(p + ".durable", &got) || want != got) {
      std::fprintf(stderr, "harvey: HARVEY_CHECK_DURABLE: the incremental durable image of %s differs from the file\n",
                   p.c_str());
      std::abort();
    }
  }
  return ok;
}

}  // namespace

void NoteSynced(const char* path) {
  if (!DurabilityTracking() || path == nullptr) return;
  const std::string p(path);
  const int held = HeldFd(p);  // never ReadWholeFile of p: its close drops our locks
  if (held < 0) return;
  if (!SyncIncrementally(p, held)) {
    std::string content;
    if (!ReadOpenFile(p, &content)) return;
    WriteFileAtomic(p + ".durable", content);
  }
  ::unlink((p + ".pending").c_str());
}

void NoteDeleted(const char* path, bool sync_dir) {
  if (path == nullptr) return;
  const std::string p(path);
  if (DurabilityTracking() && !sync_dir && FileExists(p + ".durable")) {  // a power loss may bring it back
    ::rename((p + ".durable").c_str(), (p + ".unlinked").c_str());
    if (::rename((p + ".pending").c_str(), (p + ".unlinked-pending").c_str()) != 0) {
      ::unlink((p + ".unlinked-pending").c_str());  // (no writes since its last sync)
    }
    return;
  }
  ::unlink((p + ".durable").c_str());
  ::unlink((p + ".pending").c_str());
  if (sync_dir) DropUnlinked(p);
}

void NoteDirSynced(const char* path) {
  if (!DurabilityTracking() || path == nullptr) return;
  const std::string p(path);
  const std::string dir = p.rfind('/') == std::string::npos ? "." : p.substr(0, p.rfind('/'));
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> gone;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name(e->d_name);
    if (name.ends_with(".unlinked") || name.ends_with(".unlinked-pending")) gone.push_back(dir + "/" + e->d_name);
  }
  ::closedir(d);
  for (const std::string& g : gone) ::unlink(g.c_str());
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
