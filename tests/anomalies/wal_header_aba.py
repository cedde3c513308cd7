#!/usr/bin/env python3
"""A SQLite WAL anomaly shown without harvey: Python's sqlite3, three
connections, one database in DIR (default: a temporary directory).

corpus/regress/sqlite-torn-header-recovery-restores-pristine-header.sched is
harvey's finding: a process SIGKILLed between the two copies of the wal-index
header (inside a TRUNCATE checkpoint's walRestartHdr) leaves them torn; the
next open recovers the wal-index from the empty -wal and rebuilds the header
of a freshly opened database, byte for byte; a connection that cached that
pristine header and stayed idle then sees "unchanged" and writes from a stale
page cache. Here the kill is emulated by making the -shm's two header copies
differ (what the killed process leaves), and the control run does the same
steps without it.

Exit 0: the anomaly reproduced (a committed, checkpointed row is lost while
integrity_check says ok) and the control kept it -- the `expect fail` of this
anomaly. Exit 1: it did not reproduce (a fixed SQLite? then update the corpus
file and README "Findings in SQLite itself"), or the control lost data too.
"""
import os, sqlite3, sys, tempfile


def run(d, tear):
    db = os.path.join(d, 'x.db')
    for f in (db, db + '-wal', db + '-shm'):
        if os.path.exists(f):
            os.remove(f)

    def conn():
        c = sqlite3.connect(db, isolation_level=None)
        c.execute('pragma journal_mode=wal')
        c.execute('pragma synchronous=full')
        c.execute('pragma wal_autocheckpoint=0')
        return c

    c0 = conn()
    c0.execute('create table t(k integer primary key, v blob)')
    c0.execute('pragma wal_checkpoint(truncate)')
    c0.close()                                   # last close: -wal and -shm go
    w1 = conn()
    w1.execute('select * from t').fetchall()     # recovery: the pristine header, cached by w1
    pristine = open(db + '-shm', 'rb').read(48)
    w2 = conn()
    w2.execute('insert into t values(1, ?)', (b'a' * 1776,))
    w2.execute('pragma wal_checkpoint(truncate)')  # committed, checkpointed, -wal empty
    if tear:  # a process killed between the copies: copy 1 differs from copy 0
        with open(db + '-shm', 'r+b') as f:
            f.seek(48 + 16)
            b = f.read(1)
            f.seek(48 + 16)
            f.write(bytes([b[0] ^ 0xFF]))
    w3 = conn()
    w3.execute('select * from t').fetchall()     # recovery if torn
    header_after = open(db + '-shm', 'rb').read(48)
    w1.execute('insert into t values(2, ?)', (b'b' * 16,))
    rows = [k for (k,) in w3.execute('select k from t order by k')]
    ok = w3.execute('pragma integrity_check').fetchone()[0]
    for c in (w1, w2, w3):
        c.close()
    return rows, ok, header_after == pristine


def main():
    if len(sys.argv) < 2:
        with tempfile.TemporaryDirectory(prefix='harvey-aba-') as d:
            return report(d)
    return report(sys.argv[1])


def report(d):
    print('SQLite', sqlite3.sqlite_version)
    control = run(d, tear=False)
    torn = run(d, tear=True)
    print('control (no tear): rows %s, integrity_check %s, header back to pristine: %s' % control)
    print('torn header:       rows %s, integrity_check %s, header back to pristine: %s' % torn)
    if control[0] != [1, 2]:
        print('FAIL: the control lost data too: something else is wrong here')
        return 1
    if torn[0] == [1, 2]:
        print('NOT REPRODUCED: SQLite kept the committed row (fixed?)')
        return 1
    print('ANOMALY REPRODUCED: recovery restored the pristine header, the idle connection wrote from '
          'a stale cache, and the committed, checkpointed row 1 is gone (integrity_check: %s)' % torn[1])
    return 0


if __name__ == '__main__':
    sys.exit(main())
