// The schedule text format, version 1: line-oriented, diff-friendly.
//
//   harvey-schedule 1
//   # comments and blank lines are ignored anywhere after the header
//   expect fork pass               (metadata: a run on boundary `fork` should
//                                   pass | fail; each boundary at most once)
//   config page_size 4096          (512..65536, power of two)
//   config synchronous full        (off | normal | full)
//   config wal_autocheckpoint 0    (0..1000000; 0 = off)
//   config cache_size 100          (-1000000..1000000, not 0)
//   config seed 42                 (0..2^64-1)
//   config defect fsync-lies       (none | canary | fsync-lies | no-locking | mixed-locking |
//                                   private-wal-index; printed if not none)
//   config sector_size 512         (512 | 4096; printed if not 4096)
//   config journal_size_limit 0    (-1..1000000000 bytes; -1 = no limit; printed if not -1)
//   config mmap_size 65536         (PRAGMA mmap_size, 0..2147418112 bytes; printed if not 0)
//   config checkpoint_on_close off (on | off: the last close checkpoints and deletes the
//                                   -wal, SQLite's default; printed if off)
//   config busy_timeout 100        (PRAGMA busy_timeout, 0..60000 ms; printed if not 0)
//   config secure_delete on        (PRAGMA secure_delete: off | on | fast; default | no
//                                   line: none issued, the build's default)
//   config call_points on          (on | off: fine-grained runs also pause at wal.c
//                                   function entries, shm-instrumented builds; printed if on)
//   worker w1                      (name: [a-z][a-z0-9_]{0,15}; 1..8 workers)
//   worker w2 oci                  (optional placement: where this worker runs,
//                                   [a-z][a-z0-9_-]{0,15}; default: the run's --boundary)
//   sqlite w2 3.54.1               (which SQLite worker w2 links: system | a version
//                                   N.N.N[.N]; default: the run's --sqlite, else system;
//                                   after the worker line, before that worker's first
//                                   step, at most once per worker)
//   w1 begin deferred              (deferred | immediate | exclusive)
//   w1 read 3                      (key: 0..1000000)
//   w1 write 3 100                 (size: 16..1048576 bytes)
//   w2 delete 3
//   w2 scan
//   w1 commit | rollback | close | open
//   w2 checkpoint passive          (passive | full | restart | truncate)
//   w1 kill                        (SIGKILL the worker now; `w1 open` restarts it)
//   w1 kill at sync 2              (kill at the 2nd `sync` event of w1's next op;
//                                   events: write sync truncate lock unlock
//                                   shm-lock shm-barrier shm-map file-control sleep
//                                   read file-size check-reserved-lock fetch unfetch
//                                   shm-read shm-write (only in shm-instrumented
//                                   builds, e.g. 3.54.1-shm) shm-unmap (only a
//                                   close, which is never killed, calls it)
//                                   file-open file-close file-delete
//                                   file-access (xOpen, xClose, xDelete,
//                                   xAccess; mostly in open and close))
//   w1 power-loss 77               (every worker dies; the seed picks which
//                                   unsynced writes survive; all reopen)
//   w1 savepoint sp1               (SAVEPOINT; name: [a-z][a-z0-9_]{0,15};
//                                   outside BEGIN it starts a deferred txn)
//   w1 release sp1                 (RELEASE: that savepoint and all newer;
//                                   the outermost outside BEGIN commits)
//   w1 rollback-to sp1             (ROLLBACK TO: undoes back to it, keeps it
//                                   and the transaction open)
//   w1 vacuum                      (VACUUM; ERROR inside a transaction)
//   interleave w1*3 w2 w1*12       (fine-grained decisions, run-length coded:
//                                   who runs at each decision point; lines
//                                   append; see Schedule::interleave)
//
// Config and expect lines are optional (defaults in schedule.h) and must
// precede worker lines; workers must be declared before a step names them. Each config key
// at most once. Tokens are separated by single spaces or tabs; a trailing
// comment "# ..." is allowed on any line.
//
// Print() emits the expect lines first, then every config key (defect,
// sector_size, journal_size_limit, mmap_size, checkpoint_on_close,
// busy_timeout, secure_delete and call_points only when not default), the workers,
// their sqlite lines (when set), then the steps, so Parse(Print(s)) == s for
// every valid s.
#pragma once

#include <string>
#include <string_view>

#include "model/result.h"
#include "model/schedule.h"

namespace harvey::model {

inline constexpr int kFormatVersion = 1;

// On failure the error is "<filename>:<line>: <what is wrong>".
Result<Schedule> ParseSchedule(std::string_view text, std::string_view filename);

std::string PrintSchedule(const Schedule& s);

// The `interleave` lines of `s` ("" when it has no decisions), at most 24
// runs per line.
std::string PrintInterleave(const Schedule& s);

// One step as it appears in the text, e.g. "w1 write 3 100".
std::string PrintStep(const Schedule& s, const Step& step);

// "" if `name` may follow `sqlite WORKER` ("system" or N.N.N[.N]), else what
// is wrong with it.
std::string CheckSqliteName(std::string_view name);

// The value a `config synchronous` / `config secure_delete` keyword names
// (the same keywords, for command-line options); false if none.
bool ParseSynchronous(std::string_view keyword, Synchronous* out);
bool ParseSecureDelete(std::string_view keyword, SecureDelete* out);

// Empty if `s` is valid (what Parse would accept), else what is wrong.
std::string Validate(const Schedule& s);

}  // namespace harvey::model
