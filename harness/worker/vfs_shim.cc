// The harvey VFS shim: see vfs_shim.h. Modelled on SQLite's
// src/test_vfstrace.c: our sqlite3_file is a small header followed in the same
// allocation by the base VFS's file, and every method forwards to it.
#include "harness/worker/vfs_shim.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/worker/durability.h"
#include "harness/worker/reach.h"
#include "harness/worker/shm_regions.h"
#include "model/rng.h"

namespace harvey::harness {
namespace {

// ---------------------------------------------------------------------------
// Process-wide state.

thread_local VfsListener* tls_listener = nullptr;
std::atomic<bool> g_fsync_lies{false};

// The PRNG behind xRandomness. SQLite calls xRandomness under its own PRNG
// mutex, but other VFS users might not, so guard it.
std::mutex g_rng_mu;
model::Rng g_rng{0};

// Virtual time: 2026-01-01 00:00:00 UTC (Julian day 2461041.5) in ms, plus
// one ms per clock read since the last SeedVfs.
constexpr sqlite3_int64 kEpochJulianMs = 2461041LL * 86400000LL + 43200000LL;
std::atomic<sqlite3_int64> g_clock_reads{0};

sqlite3_vfs* Base(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

// Reports an event of a shim method (which SQLite called). With reach
// counting on (reach.h), also counts it by its callers: the frames above
// this one (the shim method, then SQLite).
[[gnu::noinline]] void Report(VfsEvent event, FileRole role, int64_t arg) {
  if (ReachOn()) {
    const void* pcs[kReachFrames];
    const int n = CallerFrames(1, pcs, kReachFrames);
    NoteReach(static_cast<uint32_t>(event), pcs, n);
  }
  if (VfsListener* l = tls_listener) l->OnEvent(event, role, arg);
}

// ---------------------------------------------------------------------------
// Files.

// Our sqlite3_file. The base VFS's file lives right after it (szOsFile of the
// harvey VFS is sizeof(ShimFile) + base->szOsFile).
// A connection's private wal-index (VfsFlavor::kPrivateShm): zero-filled
// regions SQLite gets instead of the shared mapping.
struct PrivateShm {
  std::vector<void*> regions;
  ~PrivateShm() {
    for (void* r : regions) std::free(r);
  }
};

struct ShimFile {
  sqlite3_file base;  // must be first: SQLite sees a ShimFile* as sqlite3_file*
  FileRole role;
  const char* path;   // SQLite keeps the name valid until xClose
  PrivateShm* private_shm;  // non-null only on the kPrivateShm flavor's db files
  bool dirsync;       // its first sync also syncs its directory (as the unix VFS's UNIXFILE_DIRSYNC)
};
static_assert(sizeof(ShimFile) % 8 == 0, "the real file after ShimFile must stay 8-byte aligned");

ShimFile* Shim(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<sqlite3_file*>(Shim(f) + 1); }
const sqlite3_io_methods* RealMethods(sqlite3_file* f) { return Real(f)->pMethods; }
FileRole RoleOf(sqlite3_file* f) { return Shim(f)->role; }

// The role of a file about to be opened. SQLITE_OPEN_MAIN_DB is authoritative
// for the database; WAL and rollback journals are told by the name's suffix.
// Temp files (zName == nullptr), statement and super journals are kOther.
FileRole RoleFor(const char* zName, int flags) {
  if (flags & SQLITE_OPEN_MAIN_DB) return FileRole::kDb;
  if (zName == nullptr) return FileRole::kOther;
  std::string_view name(zName);
  if (name.ends_with("-wal")) return FileRole::kWal;
  if (name.ends_with("-journal")) return FileRole::kJournal;
  return FileRole::kOther;
}

int ShimClose(sqlite3_file* f) {
  Report(VfsEvent::kFileClose, RoleOf(f), 0);
  ForgetShmRegions(f);  // SQLite unmaps first; this is for a base that does not need it
  int rc = RealMethods(f)->xClose(Real(f));
  delete Shim(f)->private_shm;
  Shim(f)->private_shm = nullptr;
  f->pMethods = nullptr;
  return rc;
}

int ShimRead(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  Report(VfsEvent::kRead, RoleOf(f), off);
  return RealMethods(f)->xRead(Real(f), buf, amt, off);
}

// The database and its log are what a power loss can take back.
const char* DurablePath(sqlite3_file* f) {
  const FileRole r = RoleOf(f);
  return (r == FileRole::kDb || r == FileRole::kWal) ? Shim(f)->path : nullptr;
}

int ShimWrite(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  Report(VfsEvent::kWrite, RoleOf(f), off);
  const int rc = RealMethods(f)->xWrite(Real(f), buf, amt, off);
  if (rc == SQLITE_OK) NoteWrite(DurablePath(f), buf, amt, off);
  return rc;
}

int ShimTruncate(sqlite3_file* f, sqlite3_int64 size) {
  Report(VfsEvent::kTruncate, RoleOf(f), size);
  const int rc = RealMethods(f)->xTruncate(Real(f), size);
  if (rc == SQLITE_OK) NoteTruncate(DurablePath(f), size);
  return rc;
}

// Reports, then syncs — unless SetVfsFsyncLies(true), in which case it
// claims success without touching the disk.
int ShimSync(sqlite3_file* f, int flags) {
  Report(VfsEvent::kSync, RoleOf(f), flags);
  if (g_fsync_lies.load(std::memory_order_relaxed)) return SQLITE_OK;
  const int rc = RealMethods(f)->xSync(Real(f), flags);
  if (rc == SQLITE_OK) NoteSynced(DurablePath(f));
  if (rc == SQLITE_OK && Shim(f)->dirsync) {
    Shim(f)->dirsync = false;
    NoteDirSynced(Shim(f)->path);
  }
  return rc;
}

int ShimFileSize(sqlite3_file* f, sqlite3_int64* n) {
  Report(VfsEvent::kFileSize, RoleOf(f), 0);
  return RealMethods(f)->xFileSize(Real(f), n);
}

int ShimLock(sqlite3_file* f, int level) {
  Report(VfsEvent::kLock, RoleOf(f), level);
  return RealMethods(f)->xLock(Real(f), level);
}

int ShimUnlock(sqlite3_file* f, int level) {
  Report(VfsEvent::kUnlock, RoleOf(f), level);
  return RealMethods(f)->xUnlock(Real(f), level);
}

int ShimCheckReservedLock(sqlite3_file* f, int* out) {
  Report(VfsEvent::kCheckReservedLock, RoleOf(f), 0);
  return RealMethods(f)->xCheckReservedLock(Real(f), out);
}

// SQLITE_FCNTL_SIZE_HINT with mmap_size>0 makes the unix VFS extend the
// file with ftruncate (fcntlSizeHint), not through xTruncate: the power-loss
// bookkeeping records the growth as a pending size change, so it stays exact.
int SizeHint(sqlite3_file* f, void* arg) {
  const char* path = DurablePath(f);
  sqlite3_int64 before = -1, after = -1;
  const bool track = path != nullptr && DurabilityTracking();
  if (track && RealMethods(f)->xFileSize(Real(f), &before) != SQLITE_OK) before = -1;
  const int rc = RealMethods(f)->xFileControl(Real(f), SQLITE_FCNTL_SIZE_HINT, arg);
  if (track && before >= 0 && RealMethods(f)->xFileSize(Real(f), &after) == SQLITE_OK &&
      after != before) {
    NoteTruncate(path, after);
  }
  return rc;
}

// Only the file controls that mark WAL/commit/checkpoint milestones are
// reported; the rest (pragmas, size hints, lock-state queries, ...) are noise.
int ShimFileControl(sqlite3_file* f, int op, void* arg) {
  if (op == SQLITE_FCNTL_SIZE_HINT) return SizeHint(f, arg);
  switch (op) {
    case SQLITE_FCNTL_CKPT_START:
    case SQLITE_FCNTL_CKPT_DONE:
    case SQLITE_FCNTL_COMMIT_PHASETWO:
    case SQLITE_FCNTL_PERSIST_WAL:
    case SQLITE_FCNTL_SYNC:
      Report(VfsEvent::kFileControl, RoleOf(f), op);
      break;
    default:
      break;
  }
  return RealMethods(f)->xFileControl(Real(f), op, arg);
}

int ShimSectorSize(sqlite3_file* f) { return RealMethods(f)->xSectorSize(Real(f)); }
int ShimDeviceCharacteristics(sqlite3_file* f) {
  return RealMethods(f)->xDeviceCharacteristics(Real(f));
}

// The shm methods exist only if the real file's methods have them: ours
// are installed exactly where the base's are (Mirror), so these may assume them.
// With a private wal-index the real region is still mapped (so that the real
// xShmLock has its shared-memory node), but SQLite gets a private copy.
int ShimShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  Report(VfsEvent::kShmMap, RoleOf(f), region);
  PrivateShm* priv = Shim(f)->private_shm;
  if (priv == nullptr) {
    const int rc = RealMethods(f)->xShmMap(Real(f), region, size, extend, out);
    if (rc == SQLITE_OK || rc == SQLITE_READONLY) NoteShmRegion(f, region, size, *out);
    return rc;
  }
  void volatile* real = nullptr;
  const int rc = RealMethods(f)->xShmMap(Real(f), region, size, 1, &real);
  if (rc != SQLITE_OK) return rc;
  if (priv->regions.size() <= static_cast<size_t>(region)) priv->regions.resize(region + 1, nullptr);
  if (priv->regions[region] == nullptr) priv->regions[region] = std::calloc(1, size);
  *out = priv->regions[region];
  if (*out) NoteShmRegion(f, region, size, *out);
  return *out ? SQLITE_OK : SQLITE_NOMEM;
}

int ShimShmLock(sqlite3_file* f, int offset, int n, int flags) {
  Report(VfsEvent::kShmLock, RoleOf(f),
         (static_cast<int64_t>(offset) << 16) | (static_cast<int64_t>(n) << 8) | flags);
  return RealMethods(f)->xShmLock(Real(f), offset, n, flags);
}

void ShimShmBarrier(sqlite3_file* f) {
  Report(VfsEvent::kShmBarrier, RoleOf(f), 0);
  RealMethods(f)->xShmBarrier(Real(f));
}

int ShimShmUnmap(sqlite3_file* f, int delete_flag) {
  Report(VfsEvent::kShmUnmap, RoleOf(f), delete_flag);
  ForgetShmRegions(f);
  if (PrivateShm* priv = Shim(f)->private_shm) {
    delete priv;
    Shim(f)->private_shm = new PrivateShm;
  }
  return RealMethods(f)->xShmUnmap(Real(f), delete_flag);
}

// Version 3. The mapping (or, with mmap_size=0 or beyond the mapped size,
// none: *pp = NULL) is the base VFS's; SQLite only reads through it (pages
// it changes are written with xWrite), so the bookkeeping stays exact.
int ShimFetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** pp) {
  Report(VfsEvent::kFetch, RoleOf(f), off);
  return RealMethods(f)->xFetch(Real(f), off, amt, pp);
}

int ShimUnfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  Report(VfsEvent::kUnfetch, RoleOf(f), off);
  return RealMethods(f)->xUnfetch(Real(f), off, p);
}

// Our io_methods for a file whose base io_methods are `base`: the same
// iVersion, and our forwarder exactly where the base has a method (a base
// without xShmMap, like unix-none's version-3 methods, keeps WAL refused
// without locking_mode=EXCLUSIVE; a version-3 base gets xFetch/xUnfetch).
// SQLite decides what to call from these fields alone, so it runs the code
// it runs on the base VFS. One table per distinct base table, kept forever
// (a deque: addresses stay valid as it grows; the unix VFS has about ten).
sqlite3_io_methods Mirror(const sqlite3_io_methods& b) {
  sqlite3_io_methods m{};
  m.iVersion = b.iVersion;
  auto pick = [](auto ours, auto base) { return base != nullptr ? ours : nullptr; };
  m.xClose = pick(ShimClose, b.xClose);
  m.xRead = pick(ShimRead, b.xRead);
  m.xWrite = pick(ShimWrite, b.xWrite);
  m.xTruncate = pick(ShimTruncate, b.xTruncate);
  m.xSync = pick(ShimSync, b.xSync);
  m.xFileSize = pick(ShimFileSize, b.xFileSize);
  m.xLock = pick(ShimLock, b.xLock);
  m.xUnlock = pick(ShimUnlock, b.xUnlock);
  m.xCheckReservedLock = pick(ShimCheckReservedLock, b.xCheckReservedLock);
  m.xFileControl = pick(ShimFileControl, b.xFileControl);
  m.xSectorSize = pick(ShimSectorSize, b.xSectorSize);
  m.xDeviceCharacteristics = pick(ShimDeviceCharacteristics, b.xDeviceCharacteristics);
  if (b.iVersion >= 2) {
    m.xShmMap = pick(ShimShmMap, b.xShmMap);
    m.xShmLock = pick(ShimShmLock, b.xShmLock);
    m.xShmBarrier = pick(ShimShmBarrier, b.xShmBarrier);
    m.xShmUnmap = pick(ShimShmUnmap, b.xShmUnmap);
  }
  if (b.iVersion >= 3) {
    m.xFetch = pick(ShimFetch, b.xFetch);
    m.xUnfetch = pick(ShimUnfetch, b.xUnfetch);
  }
  return m;
}

std::mutex g_methods_mu;
std::deque<std::pair<const sqlite3_io_methods*, sqlite3_io_methods>> g_methods;  // guarded

const sqlite3_io_methods* MethodsFor(const sqlite3_io_methods* base) {
  std::lock_guard lock(g_methods_mu);
  for (const auto& [b, ours] : g_methods) {
    if (b == base) return &ours;
  }
  g_methods.emplace_back(base, Mirror(*base));
  return &g_methods.back().second;
}

// ---------------------------------------------------------------------------
// The VFS.

// Opens the real file in the space after our header. Our methods are installed
// iff the base installed its own (even on failure: then SQLite will call our
// xClose, which forwards), as the xOpen contract requires.
int ShimOpen(sqlite3_vfs* vfs, sqlite3_filename zName, sqlite3_file* f, int flags,
             int* out_flags) {
  ShimFile* shim = Shim(f);
  f->pMethods = nullptr;
  shim->role = RoleFor(zName, flags);
  Report(VfsEvent::kFileOpen, shim->role, flags);
  shim->path = zName;
  shim->private_shm = nullptr;
  // unixOpen: a file created as a WAL or a main or super journal gets
  // UNIXFILE_DIRSYNC (every WAL open passes SQLITE_OPEN_CREATE).
  shim->dirsync = zName != nullptr && (flags & SQLITE_OPEN_CREATE) != 0 &&
                  (flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_SUPER_JOURNAL)) != 0;
  if (shim->role == FileRole::kDb && std::strcmp(vfs->zName, VfsName(VfsFlavor::kPrivateShm)) == 0) {
    shim->private_shm = new PrivateShm;
  }
  sqlite3_file* real = Real(f);
  real->pMethods = nullptr;
  int rc = Base(vfs)->xOpen(Base(vfs), zName, real, flags, out_flags);
  if (real->pMethods != nullptr) f->pMethods = MethodsFor(real->pMethods);
  return rc;
}

// Plain forwarders to the base VFS.
int ShimDelete(sqlite3_vfs* v, const char* name, int sync_dir) {
  Report(VfsEvent::kFileDelete, RoleFor(name, 0), sync_dir);
  NoteDeleted(name, sync_dir != 0);
  return Base(v)->xDelete(Base(v), name, sync_dir);
}
int ShimAccess(sqlite3_vfs* v, const char* name, int flags, int* out) {
  Report(VfsEvent::kFileAccess, RoleFor(name, 0), flags);
  return Base(v)->xAccess(Base(v), name, flags, out);
}
int ShimFullPathname(sqlite3_vfs* v, const char* name, int n, char* out) {
  return Base(v)->xFullPathname(Base(v), name, n, out);
}
void* ShimDlOpen(sqlite3_vfs* v, const char* path) { return Base(v)->xDlOpen(Base(v), path); }
void ShimDlError(sqlite3_vfs* v, int n, char* out) { Base(v)->xDlError(Base(v), n, out); }
void (*ShimDlSym(sqlite3_vfs* v, void* handle, const char* sym))(void) {
  return Base(v)->xDlSym(Base(v), handle, sym);
}
void ShimDlClose(sqlite3_vfs* v, void* handle) { Base(v)->xDlClose(Base(v), handle); }

// Fills `out` from the harvey PRNG (little-endian words), never the OS.
int ShimRandomness(sqlite3_vfs*, int n, char* out) {
  std::lock_guard lock(g_rng_mu);
  for (int i = 0; i < n; i += 8) {
    uint64_t word = g_rng.Next();
    for (int j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(word >> (8 * j));
  }
  return n;
}

// A yield, not a sleep: reported, then "slept" the full time at once.
int ShimSleep(sqlite3_vfs*, int micros) {
  Report(VfsEvent::kSleep, FileRole::kOther, micros);
  return micros;
}

// Virtual time: the epoch plus one ms per read of either clock.
int ShimCurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  *out = kEpochJulianMs + g_clock_reads.fetch_add(1, std::memory_order_relaxed);
  return SQLITE_OK;
}

int ShimCurrentTime(sqlite3_vfs* vfs, double* out) {
  sqlite3_int64 ms = 0;
  ShimCurrentTimeInt64(vfs, &ms);
  *out = static_cast<double>(ms) / 86400000.0;
  return SQLITE_OK;
}

int ShimGetLastError(sqlite3_vfs* vfs, int n, char* out) {
  sqlite3_vfs* base = Base(vfs);
  return base->xGetLastError != nullptr ? base->xGetLastError(base, n, out) : 0;
}

// Version-3 system-call hooks forward to the base when it has them.
// (Registration only sets iVersion 3 when the base is version 3.)
int ShimSetSystemCall(sqlite3_vfs* v, const char* name, sqlite3_syscall_ptr p) {
  return Base(v)->xSetSystemCall(Base(v), name, p);
}
sqlite3_syscall_ptr ShimGetSystemCall(sqlite3_vfs* v, const char* name) {
  return Base(v)->xGetSystemCall(Base(v), name);
}
const char* ShimNextSystemCall(sqlite3_vfs* v, const char* name) {
  return Base(v)->xNextSystemCall(Base(v), name);
}

std::mutex g_register_mu;
bool g_registered = false;  // guarded by g_register_mu
sqlite3_vfs g_vfs;          // registered once, lives forever

}  // namespace

const char* VfsName(VfsFlavor f) {
  switch (f) {
    case VfsFlavor::kUnix: return kHarveyVfsName;
    case VfsFlavor::kNoLock: return "harvey-none";
    case VfsFlavor::kDotfile: return "harvey-dotfile";
    case VfsFlavor::kPrivateShm: return "harvey-private-shm";
  }
  return kHarveyVfsName;
}

namespace {
sqlite3_vfs g_flavors[4];          // guarded by g_register_mu, live forever
bool g_flavor_registered[4] = {};  // guarded by g_register_mu
}  // namespace

int RegisterHarveyVfs(VfsFlavor f) {
  const int rc = RegisterHarveyVfs("unix");
  if (rc != SQLITE_OK || f == VfsFlavor::kUnix) return rc;
  std::lock_guard lock(g_register_mu);
  const auto i = static_cast<size_t>(f);
  if (g_flavor_registered[i]) return SQLITE_OK;
  const char* base_name = f == VfsFlavor::kNoLock    ? "unix-none"
                          : f == VfsFlavor::kDotfile ? "unix-dotfile"
                                                     : "unix";
  sqlite3_vfs* base = sqlite3_vfs_find(base_name);
  if (base == nullptr) return SQLITE_NOTFOUND;
  sqlite3_vfs& v = g_flavors[i];
  v = g_vfs;
  v.pNext = nullptr;
  v.zName = VfsName(f);
  v.pAppData = base;
  v.szOsFile = static_cast<int>(sizeof(ShimFile)) + base->szOsFile;
  v.mxPathname = base->mxPathname;
  const int r = sqlite3_vfs_register(&v, /*makeDflt=*/0);
  if (r == SQLITE_OK) g_flavor_registered[i] = true;
  return r;
}

namespace {
struct OverBase {
  std::string base;
  std::string name;
  sqlite3_vfs vfs;
};
std::deque<OverBase> g_over;  // guarded by g_register_mu, live forever
}  // namespace

int RegisterHarveyVfsOver(const char* base_name, const char** name) {
  const int rc = RegisterHarveyVfs("unix");
  if (rc != SQLITE_OK) return rc;
  std::lock_guard lock(g_register_mu);
  for (const OverBase& o : g_over) {
    if (o.base == base_name) {
      *name = o.name.c_str();
      return SQLITE_OK;
    }
  }
  sqlite3_vfs* base = sqlite3_vfs_find(base_name);
  if (base == nullptr) return SQLITE_NOTFOUND;
  OverBase& o = g_over.emplace_back();
  o.base = base_name;
  o.name = std::string(kHarveyVfsName) + "+" + base_name;
  o.vfs = g_vfs;
  o.vfs.iVersion = base->iVersion >= 3 ? 3 : 2;
  o.vfs.pNext = nullptr;
  o.vfs.zName = o.name.c_str();
  o.vfs.pAppData = base;
  o.vfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + base->szOsFile;
  o.vfs.mxPathname = base->mxPathname;
  const int r = sqlite3_vfs_register(&o.vfs, /*makeDflt=*/0);
  if (r != SQLITE_OK) {
    g_over.pop_back();
    return r;
  }
  *name = o.name.c_str();
  return SQLITE_OK;
}

int RegisterHarveyVfs(const char* base_name) {
  std::lock_guard lock(g_register_mu);
  if (g_registered) return SQLITE_OK;
  sqlite3_vfs* base = sqlite3_vfs_find(base_name);
  if (base == nullptr) return SQLITE_NOTFOUND;
  if (std::strcmp(base->zName, kHarveyVfsName) == 0) return SQLITE_MISUSE;
  g_vfs = sqlite3_vfs{};
  g_vfs.iVersion = base->iVersion >= 3 ? 3 : 2;  // >= 2: we implement xCurrentTimeInt64
  g_vfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + base->szOsFile;
  g_vfs.mxPathname = base->mxPathname;
  g_vfs.zName = kHarveyVfsName;
  g_vfs.pAppData = base;
  g_vfs.xOpen = ShimOpen;
  g_vfs.xDelete = ShimDelete;
  g_vfs.xAccess = ShimAccess;
  g_vfs.xFullPathname = ShimFullPathname;
  g_vfs.xDlOpen = ShimDlOpen;
  g_vfs.xDlError = ShimDlError;
  g_vfs.xDlSym = ShimDlSym;
  g_vfs.xDlClose = ShimDlClose;
  g_vfs.xRandomness = ShimRandomness;
  g_vfs.xSleep = ShimSleep;
  g_vfs.xCurrentTime = ShimCurrentTime;
  g_vfs.xGetLastError = ShimGetLastError;
  g_vfs.xCurrentTimeInt64 = ShimCurrentTimeInt64;
  if (g_vfs.iVersion >= 3) {
    g_vfs.xSetSystemCall = ShimSetSystemCall;
    g_vfs.xGetSystemCall = ShimGetSystemCall;
    g_vfs.xNextSystemCall = ShimNextSystemCall;
  }
  int rc = sqlite3_vfs_register(&g_vfs, /*makeDflt=*/1);
  if (rc == SQLITE_OK) g_registered = true;
  return rc;
}

// Re-seeds our PRNG and clock, then clears SQLite's PRNG state so its next
// use pulls 44 fresh bytes from the default VFS's xRandomness — ours. Our
// mutex is released first: SQLite calls xRandomness under its PRNG mutex.
void SeedVfs(uint64_t seed) {
  {
    std::lock_guard lock(g_rng_mu);
    g_rng = model::Rng(seed);
    g_clock_reads.store(0, std::memory_order_relaxed);
  }
  sqlite3_randomness(0, nullptr);
}

void SetVfsListener(VfsListener* listener) { tls_listener = listener; }
VfsListener* GetVfsListener() { return tls_listener; }
namespace {

std::atomic<bool> g_call_points{false};

// An event of the instrumented SQLite (a wal-index access, a wal.c function
// entry) made by its code at `pc`; counted by reach if `reach`.
void ReportInstrumented(VfsEvent e, int64_t arg, const void* pc, bool reach) {
  // The listener is harness code (not instrumented), so an access it makes
  // cannot come back here; this flag guards against it anyway, for every
  // caller (the hooks of shm_hooks.cc and the copies of shm_copy.h).
  thread_local bool t_reporting = false;
  if (t_reporting) return;
  t_reporting = true;
  if (reach && ReachOn()) {
    // Above this frame: the coverage hook, or a copy and its wrapper
    // (shm_copy.h), then SQLite at pc and its callers. Recorded from pc.
    constexpr int kExtra = 4;
    const void* pcs[kReachFrames + kExtra];
    const int got = CallerFrames(1, pcs, kReachFrames + kExtra);
    int from = 0;
    while (from < got && pcs[from] != pc) ++from;
    if (from < got) {
      NoteReach(static_cast<uint32_t>(e), pcs + from, std::min(got - from, kReachFrames));
    } else {
      NoteReach(static_cast<uint32_t>(e), &pc, 1);  // (no unwind information: the access site alone)
    }
  }
  if (VfsListener* l = tls_listener) l->OnEvent(e, FileRole::kDb, arg);
  t_reporting = false;
}

}  // namespace

void ReportShmAccess(bool write, int64_t offset, const void* pc) {
  ReportInstrumented(write ? VfsEvent::kShmWrite : VfsEvent::kShmRead, offset, pc, true);
}

void ReportCall(int64_t index, const void* pc) {
  ReportInstrumented(VfsEvent::kCall, index, pc, g_call_points.load(std::memory_order_relaxed));
}

void SetCallPoints(bool on) { g_call_points.store(on, std::memory_order_relaxed); }

void SetVfsFsyncLies(bool lies) { g_fsync_lies.store(lies, std::memory_order_relaxed); }

const char* ToString(VfsEvent e) {
  switch (e) {
    case VfsEvent::kWrite: return "write";
    case VfsEvent::kSync: return "sync";
    case VfsEvent::kTruncate: return "truncate";
    case VfsEvent::kLock: return "lock";
    case VfsEvent::kUnlock: return "unlock";
    case VfsEvent::kShmLock: return "shm-lock";
    case VfsEvent::kShmBarrier: return "shm-barrier";
    case VfsEvent::kShmMap: return "shm-map";
    case VfsEvent::kFileControl: return "file-control";
    case VfsEvent::kSleep: return "sleep";
    case VfsEvent::kRead: return "read";
    case VfsEvent::kFileSize: return "file-size";
    case VfsEvent::kCheckReservedLock: return "check-reserved-lock";
    case VfsEvent::kFetch: return "fetch";
    case VfsEvent::kUnfetch: return "unfetch";
    case VfsEvent::kShmRead: return "shm-read";
    case VfsEvent::kShmWrite: return "shm-write";
    case VfsEvent::kShmUnmap: return "shm-unmap";
    case VfsEvent::kFileOpen: return "file-open";
    case VfsEvent::kFileClose: return "file-close";
    case VfsEvent::kFileDelete: return "file-delete";
    case VfsEvent::kFileAccess: return "file-access";
    case VfsEvent::kCall: return "call";
    case VfsEvent::kCount: break;
  }
  return "?";
}

const char* ToString(FileRole r) {
  switch (r) {
    case FileRole::kDb: return "db";
    case FileRole::kWal: return "wal";
    case FileRole::kJournal: return "journal";
    case FileRole::kOther: return "other";
  }
  return "?";
}

uint64_t WorkerSeed(uint64_t seed, int index, uint64_t incarnation) {
  uint64_t s = seed ^ (0x5EEDull << 32) ^ static_cast<uint64_t>(index + 1);
  const uint64_t first = model::SplitMix64(s);
  if (incarnation == 0) return first;
  uint64_t t = first + incarnation;
  return model::SplitMix64(t);
}

}  // namespace harvey::harness
