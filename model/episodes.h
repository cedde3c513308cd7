// WAL-internals episodes: short scripted bursts inserted into a generated
// schedule (like model/crash_gen.h inserts crashes) to drive SQLite through
// the code paths that corrupt WAL databases when anything is wrong:
//
//   checkpoint storm   2..4 checkpoints of mixed modes (passive, full,
//                      restart, truncate) from different connections, back
//                      to back
//   restart            a FULL/RESTART/TRUNCATE checkpoint, then at once a
//                      write from another connection (the writer restarts the
//                      WAL from frame 0 with new salts), then a read
//   growth             one transaction of 3..8 multi-page writes (the WAL
//                      grows past auto-checkpoint thresholds mid-transaction)
//   all close          every open connection closes, then all reopen (the
//                      last close and first open: wal-index rebuilt)
//   savepoint undo     SAVEPOINT (half the time a nested one too), a value
//                      large enough to spill the page cache to the WAL,
//                      the same key written again (frames already in the log
//                      are overwritten in place: the commit must recompute
//                      checksums, Wal.iReCksum), ROLLBACK TO (the whole write
//                      transaction: sqlite3WalUndo; the nested one:
//                      sqlite3WalSavepointUndo), RELEASE, and a commit after
//                      it (its checksums chain from what the undo left)
//
// Episodes go only where no worker has a transaction open (so none is cut
// short) and they leave every worker open/closed as they found it.
// Deterministic in `seed`; uses its own random stream, so a schedule with
// episode_percent 0 is exactly the input.
#pragma once

#include <cstdint>

#include "model/schedule.h"

namespace harvey::model {

struct EpisodeOptions {
  // Chance (percent) per quiet point (between steps, no transaction open)
  // that an episode starts there; its kind is drawn uniformly.
  uint32_t episode_percent = 0;
};

// Returns `s` with episodes inserted. REQUIRES: Validate(s) == "".
Schedule AddEpisodes(uint64_t seed, const EpisodeOptions& options, const Schedule& s);

}  // namespace harvey::model
