#include "harness/worker/durability.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
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
  if (!ReadWholeFile(p, &content)) return;
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
