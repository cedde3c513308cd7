#!/usr/bin/env python3
"""A SQLite WAL bug shown without harvey: Python's sqlite3, one writer
process and a reader after it, one database in DIR (default: a temporary
directory).

corpus/regress/sqlite-rollback-to-stale-recksum-loses-commits.sched is
harvey's finding (Debian's 3.40.1; SQLite 3.39.1 to 3.49.2 built with
secure_delete alike; 3.50.2 and later fixed). A transaction opened by
SAVEPOINT spills pages to the WAL (a small cache_size) and writes one of
them again, which overwrites its frame in place and makes the commit
recompute the frame checksums from that frame on (Wal.iReCksum).
ROLLBACK TO the outermost savepoint undoes the whole write transaction
(sqlite3WalUndo) but leaves iReCksum set. The commit at RELEASE, and every
later one, then chains its checksums from a stale seed: each returns
SQLITE_OK (synced, under synchronous=FULL) and is visible, but the next
recovery of the wal-index (after a crash, or once every connection closed
without a checkpoint) stops at the first bad checksum and drops every one of
them. SQLite 3.50 resets iReCksum in sqlite3WalUndo and
sqlite3WalSavepointUndo; adding that line to 3.49.2's sqlite3WalUndo makes
the case pass.

Here the writer process commits three more rows after RELEASE and then dies
without closing (os._exit: as a crash or a SIGKILL would); a new process
opens the database and recovers the WAL. The control run does the same steps
without the ROLLBACK TO.

Exit 0: the anomaly reproduced (acknowledged FULL commits lost) and the
control kept every row -- the `expect fail` of this anomaly. Exit 1: it did
not reproduce (a fixed SQLite? then update the corpus file and README
"Findings in SQLite itself"), or the control lost data too.
"""
import os, sqlite3, sys, tempfile

UPSERT = 'insert into kv(k,v) values(?1,?2) on conflict(k) do update set v=excluded.v'


def writer(db, rollback_to):
    c = sqlite3.connect(db, isolation_level=None)
    for p in ('journal_mode=wal', 'synchronous=full', 'cache_size=10', 'wal_autocheckpoint=0',
              'secure_delete=on'):
        c.execute('pragma ' + p)
    c.execute('savepoint a')
    c.execute(UPSERT, (0, os.urandom(4520)))  # spills pages to the WAL ...
    c.execute(UPSERT, (0, os.urandom(16)))    # ... and overwrites some of their frames
    if rollback_to:
        c.execute('rollback to a')
    c.execute('release a')
    for k in (1, 2, 3):
        c.execute(UPSERT, (k, os.urandom(16)))  # acknowledged (synced under FULL)
    seen = c.execute('select count(*) from kv').fetchone()[0]
    os._exit(0 if seen == (3 if rollback_to else 4) else 3)  # dies without closing


def run(d, rollback_to):
    db = os.path.join(d, 'x.db')
    for f in (db, db + '-wal', db + '-shm'):
        if os.path.exists(f):
            os.remove(f)
    c = sqlite3.connect(db, isolation_level=None)
    c.execute('pragma page_size=1024')
    c.execute('pragma journal_mode=wal')
    c.execute('create table kv(k integer primary key, v blob not null)')
    c.execute('create index kv_v on kv(v)')
    c.close()
    pid = os.fork()
    if pid == 0:
        writer(db, rollback_to)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        print('  the writer did not see its own commits')
        return None
    r = sqlite3.connect(db, isolation_level=None)  # recovers the WAL
    keys = [k for (k,) in r.execute('select k from kv order by k')]
    integrity = r.execute('pragma integrity_check').fetchone()[0]
    r.close()
    return keys, integrity


def main():
    if len(sys.argv) > 1:
        return report(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix='harvey-anomaly-') as d:  # removed after
        return report(d)


def report(d):
    print('SQLite', sqlite3.sqlite_version)
    bug = run(d, True)
    control = run(d, False)
    print('with ROLLBACK TO: keys after recovery', bug and bug[0], 'integrity', bug and bug[1],
          '(committed and acknowledged: [1, 2, 3])')
    print('control:          keys after recovery', control and control[0], 'integrity', control and control[1],
          '(committed and acknowledged: [0, 1, 2, 3])')
    if bug is None or control is None or control[0] != [0, 1, 2, 3]:
        print('FAIL: the control lost data or a writer failed')
        return 1
    if bug[0] == [1, 2, 3]:
        print('no anomaly: every acknowledged commit survived (a fixed SQLite?)')
        return 1
    print('anomaly reproduced: acknowledged synchronous=FULL commits lost at recovery after ROLLBACK TO')
    return 0


if __name__ == '__main__':
    sys.exit(main())
