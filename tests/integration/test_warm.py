#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Warm restart (DESIGN section 10, issue 15): a root's file table is saved
in the state dir and loaded at the next start; the walk re-hashes only what
changed; clocks name their daemon run and root, so `changes --since` a
clock from before the restart lists exactly what changed while the daemon
was down, and a clock it cannot answer exactly gets fresh: true.

Files are made older than the racy window (2 s before the save) with
os.utime, so a restart with nothing changed must hash nothing at all."""
import os
import shutil
import signal
import time

import harness
from harness import Daemon, ggenc, run
from test_watch_util import (clock_parts, make_root, status_root, watch,
                             write)

# The 50k files; under memcheck (tests/valgrind) 5k keep it short.
NFILES = int(os.environ.get('GGEN_WARM_FILES',
                            '5000' if harness.VALGRIND else '50000'))
GGEND_FAULT = os.environ.get('GGEND_FAULT', '')
OLD = time.time() - 3600


def age(root):
    """Every file and dir of root an hour old: none is racy at a save."""
    for dirpath, dirnames, filenames in os.walk(root):
        for n in filenames + dirnames:
            os.utime(os.path.join(dirpath, n), (OLD, OLD))


def big_root(n):
    root = make_root()
    for i in range(n):
        d = os.path.join(root, 'd%03d' % (i % 500))
        if i < 500:
            os.makedirs(d)
        write(os.path.join(d, 'f%06d.txt' % i), 'content %06d\n' % i)
    age(root)
    return root


def changes(d, root, since=None):
    with d.client() as c:
        if since is None:
            r = c.call('changes', root=root)
        else:
            r = c.call('changes', root=root, since=since)
    assert r['ok'], r
    return r['result']


def kinds(result):
    return sorted((f['path'], f['kind']) for f in result['files'])


def test_restart_lists_exactly_what_changed():
    """The issue's reproduction: 50k files, clock C, shutdown, 3 modified,
    1 added, 1 removed, start: `changes --since C` is exactly those 5."""
    root = big_root(NFILES)
    tmp = harness.mktemp()
    with Daemon('--log-level', 'info', tmp=tmp) as d:
        watch(d, root)
        c0 = changes(d, root)['clock']
        st = status_root(d, root)
        assert st['load']['from'] == 'crawl', st['load']
        assert st['load']['reason'] == 'no snapshot', st['load']
        assert d.stop() == 0
    snap = st['snapshot']
    assert os.path.getsize(snap) > 0, snap
    # While the daemon is down: 3 modified (one keeping its size and
    # mtime second), 1 added, 1 removed.
    write(os.path.join(root, 'd001', 'f000001.txt'), 'changed 1\n')
    write(os.path.join(root, 'd002', 'f000002.txt'), 'a longer content 2\n')
    p = os.path.join(root, 'd003', 'f000003.txt')
    write(p, 'content 999993\n')
    os.utime(p, (OLD, OLD))
    write(os.path.join(root, 'd004', 'new.txt'), 'new\n')
    os.unlink(os.path.join(root, 'd005', 'f000005.txt'))
    # Old mtimes (their ctimes still differ): not racy at the next save,
    # so the third start below must read nothing.
    for rel in ('d001/f000001.txt', 'd002/f000002.txt', 'd004/new.txt'):
        os.utime(os.path.join(root, rel), (OLD, OLD))
    with Daemon('--log-level', 'info', tmp=tmp) as d:
        watch(d, root)
        r = changes(d, root, since=c0)
        assert r['fresh'] is False, r['clock']
        assert kinds(r) == [('d001/f000001.txt', 'modified'),
                            ('d002/f000002.txt', 'modified'),
                            ('d003/f000003.txt', 'modified'),
                            ('d004/new.txt', 'added'),
                            ('d005/f000005.txt', 'removed')], kinds(r)
        assert r['ready'] is True, r
        # The new clock is this run's; the old one stays answerable.
        assert clock_parts(r['clock'])[0] != clock_parts(c0)[0], r['clock']
        assert clock_parts(r['clock'])[1] == clock_parts(c0)[1], r['clock']
        assert clock_parts(r['clock'])[2] > clock_parts(c0)[2], r['clock']
        st = status_root(d, root)
        assert st['load']['from'] == 'snapshot', st['load']
        # Only the 3 modified and the new file were read.
        assert st['load']['rehashed'] == 4, st['load']
        assert st['files_hashed'] == 4, st
        assert st['load']['gone'] == 1, st['load']
        assert st['files'] == NFILES, st['files']
        c1 = r['clock']
        assert d.stop() == 0
    # Nothing changed: no file is read at all, and both older clocks
    # still answer exactly.
    with Daemon('--log-level', 'info', tmp=tmp) as d:
        watch(d, root)
        st = status_root(d, root)
        assert st['load']['from'] == 'snapshot', st['load']
        assert st['files_hashed'] == 0 and st['bytes_hashed'] == 0, st
        assert st['load']['rehashed'] == 0, st['load']
        r = changes(d, root, since=c1)
        assert r['fresh'] is False and r['files'] == [], r
        r = changes(d, root, since=c0)
        assert r['fresh'] is False and len(r['files']) == 5, kinds(r)
        # A clock of another run of this daemon the snapshot never saw,
        # a future one, a legacy bare number: fresh, every file.
        inst, rid, n = clock_parts(c1)
        for other in ('c:%016x:%s:%d' % (int(inst, 16) ^ 1, rid, n),
                      'c:%s:%s:%d' % (clock_parts(r['clock'])[0], rid,
                                      n + 10 ** 9),
                      str(n)):
            r = changes(d, root, since=other)
            assert r['fresh'] is True, (other, r['clock'])
            assert len(r['files']) == NFILES, (other, len(r['files']))
        with d.client() as c:
            r = c.call('changes', root=root, since='c:12:34:5')
        assert not r['ok'] and r['error']['code'] == 'invalid', r
        assert 'since' in r['error']['message'], r


def small_root():
    root = make_root({'a.txt': 'a\n', 'src/b.c': 'int b;\n'})
    age(root)
    return root


def test_corrupt_snapshot_full_crawl_and_fresh():
    root = small_root()
    tmp = harness.mktemp()
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        c0 = changes(d, root)['clock']
        snap = status_root(d, root)['snapshot']
    with open(snap, 'r+b') as f:
        data = bytearray(f.read())
        data[len(data) // 2] ^= 0xff
        f.seek(0)
        f.write(data)
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        st = status_root(d, root)
        assert st['load']['from'] == 'crawl', st['load']
        assert 'checksum' in st['load']['reason'], st['load']
        r = changes(d, root, since=c0)
        assert r['fresh'] is True, r
        assert kinds(r) == [('a.txt', 'added'), ('src/b.c', 'added')], r
        assert 'snapshot' in d.log_text() and 'crawling it in full' in \
            d.log_text()
    # Truncated to nothing useful: refused the same way.
    with open(snap, 'r+b') as f:
        f.truncate(10)
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        assert status_root(d, root)['load']['from'] == 'crawl'


def test_snapshot_of_another_root_full_crawl_and_fresh():
    a, b = small_root(), small_root()
    tmp = harness.mktemp()
    with Daemon(tmp=tmp) as d:
        watch(d, a)
        watch(d, b)
        cb = changes(d, b)['clock']
        sa = status_root(d, a)['snapshot']
        sb = status_root(d, b)['snapshot']
    assert sa != sb
    shutil.copyfile(sa, sb)
    with Daemon(tmp=tmp) as d:
        watch(d, a)
        watch(d, b)
        assert status_root(d, a)['load']['from'] == 'snapshot'
        st = status_root(d, b)
        assert st['load']['from'] == 'crawl', st['load']
        assert 'another root' in st['load']['reason'], st['load']
        r = changes(d, b, since=cb)
        assert r['fresh'] is True and len(r['files']) == 2, r
        # A clock of root a given for root b: fresh, never a's changes.
        ca = changes(d, a)['clock']
        r = changes(d, b, since=ca)
        assert r['fresh'] is True, r


def test_racy_file_rehashed():
    """A file written just before the save (mtime within the racy window)
    is hashed again at the next start even though its stat is the same;
    an old one is not. (Same-granule rewrites themselves cannot be made
    from a script: tests/unit/test_snapshot.c builds one.)"""
    root = small_root()
    tmp = harness.mktemp()
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        write(os.path.join(root, 'fresh.txt'), 'x\n')
        deadline = time.monotonic() + 20
        while True:
            st = status_root(d, root)
            if st['files'] == 3 and st['hash_pending'] == 0:
                break
            assert time.monotonic() < deadline, st
            time.sleep(0.02)
    # Racy is judged against the save, not the next start: start it once
    # fresh.txt (and the root directory it changed) is out of the window.
    young = os.stat(os.path.join(root, 'fresh.txt')).st_mtime
    time.sleep(max(0.0, young + 2.2 - time.time()))
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        st = status_root(d, root)
        assert st['load']['from'] == 'snapshot', st['load']
        assert st['load']['racy'] == 1, st['load']
        assert st['load']['rehashed'] == 1, st['load']
        # The clock did not move (same content), yet the table now knows
        # more than its snapshot: that fresh.txt is fine and the root
        # directory, young at the first save, is complete. It is saved,
        # so the next start reads nothing.
        assert st['snapshot_saved'] is False, st
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        st = status_root(d, root)
        assert st['load']['racy'] == 0, st['load']
        assert st['load']['rehashed'] == 0, st['load']
        assert st['load']['dirs_read'] == 0, st['load']
        assert st['snapshot_saved'] is True, st


def test_touched_while_down_read_once():
    """A file touched while the daemon was down (new stat, same content)
    is read at the next start and reported as no change; its new stat is
    saved, so the start after that reads nothing. (The snapshot used to
    be saved only when the clock moved: such a file was read again at
    every start, for good.)"""
    root = small_root()
    aged = time.monotonic()
    tmp = harness.mktemp()
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        c0 = changes(d, root)['clock']
    os.utime(os.path.join(root, 'src', 'b.c'), (OLD + 60, OLD + 60))
    # age() set the directories' ctimes to now: start once that is out of
    # the racy window, as a real restart would be.
    time.sleep(max(0.0, aged + 2.2 - time.monotonic()))
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        st = status_root(d, root)
        assert st['load']['rehashed'] == 1, st['load']
        r = changes(d, root, since=c0)
        assert r['fresh'] is False and r['files'] == [], r
    for _ in range(2):
        with Daemon(tmp=tmp) as d:
            watch(d, root)
            st = status_root(d, root)
            assert st['load']['from'] == 'snapshot', st['load']
            assert st['load']['rehashed'] == 0, st['load']
            assert st['load']['dirs_read'] == 0, st['load']
            assert st['files_hashed'] == 0, st
            # ggenc status says the same in words.
            r = ggenc('status', sock=d.sock)
            assert r.returncode == 0, r
            assert ('  loaded    from its snapshot in %d ms: 0 re-hashed, '
                    '0 racy, 0 gone; 0 directories re-read, 2 listed from '
                    'the snapshot\n' % st['load']['ms']) in r.stdout, \
                r.stdout
    state = os.path.join(tmp, 'state')
    for f in os.listdir(state):
        if f.startswith('snap-'):
            os.unlink(os.path.join(state, f))
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        r = ggenc('status', sock=d.sock)
        assert ('  loaded    by a full crawl in %d ms (no snapshot)\n'
                % status_root(d, root)['load']['ms']) in r.stdout, r.stdout


def test_idle_save_then_kill9():
    """watch.snapshot_idle_ms: the table is saved once quiet after a
    change (no tick otherwise); a kill -9 afterwards loses nothing."""
    root = small_root()
    tmp = harness.mktemp()
    with Daemon('--set', 'watch.snapshot_idle_ms=100ms', tmp=tmp) as d:
        watch(d, root)
        c0 = changes(d, root)['clock']
        deadline = time.monotonic() + 20
        while not status_root(d, root)['snapshot_saved']:
            assert time.monotonic() < deadline, 'never saved'
            time.sleep(0.05)
        write(os.path.join(root, 'a.txt'), 'changed\n')
        while True:
            st = status_root(d, root)
            if clock_parts(st['clock'])[2] > clock_parts(c0)[2] and \
                    st['snapshot_saved']:
                break
            assert time.monotonic() < deadline, st
            time.sleep(0.05)
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        assert status_root(d, root)['load']['from'] == 'snapshot'
        r = changes(d, root, since=c0)
        assert r['fresh'] is False and kinds(r) == [('a.txt', 'modified')], r


def files_of(d, root):
    return sorted(f['path'] for f in changes(d, root)['files'])


def test_lists_of_unchanged_dirs_and_ignore_rules():
    """A restart walks unchanged directories from their saved lists (not
    read) and still applies every directory's ignore rules: a subdir's
    .gitignore is read before its entries are judged (its rules keep
    ignoring after the restart), and an ignore file edited in place while
    down (its directory's mtime unchanged) changes what is ignored."""
    root = make_root({'.gitignore': 'top.tmp\n', 'a.txt': 'a\n',
                      'top.tmp': 'x\n', 'p/.gitignore': '*.log\n',
                      'p/q/keep.txt': 'k\n', 'p/q/x.log': 'l\n',
                      'p/clean/z.txt': 'z\n', 'p/clean/t.tmp': 't\n',
                      'u/v/w.txt': 'w\n'})
    age(root)
    aged = time.monotonic()
    tmp = harness.mktemp()
    want = ['.gitignore', 'a.txt', 'p/.gitignore', 'p/clean/t.tmp',
            'p/clean/z.txt', 'p/q/keep.txt', 'u/v/w.txt']
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        assert files_of(d, root) == want, files_of(d, root)
        c0 = changes(d, root)['clock']
        # os.utime set every ctime to now: a directory whose ctime is
        # within the racy window of the save is read at the next start
        # whatever its list says. Save once the window has passed.
        time.sleep(max(0.0, aged + 2.5 - time.monotonic()))
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        st = status_root(d, root)
        assert st['load']['from'] == 'snapshot', st['load']
        # The root is read (age() leaves its own mtime new: it was not
        # complete at the first crawl); p, p/q, p/clean, u, u/v come from
        # their lists, p/q although it holds an ignored name (x.log): the
        # rules are the same as when the table was saved.
        assert st['load']['dirs_read'] == 1, st['load']
        assert st['load']['dirs_from_snapshot'] == 5, st['load']
        assert files_of(d, root) == want, files_of(d, root)
        r = changes(d, root, since=c0)
        assert r['fresh'] is False and r['files'] == [], r
        # p's rules hold after the restart for new files too.
        write(os.path.join(root, 'p', 'q', 'y.log'), 'y\n')
        write(os.path.join(root, 'p', 'q', 'y.txt'), 'y\n')
        deadline = time.monotonic() + 20
        while 'p/q/y.txt' not in files_of(d, root):
            assert time.monotonic() < deadline, files_of(d, root)
            time.sleep(0.05)
        assert 'p/q/y.log' not in files_of(d, root)
        os.unlink(os.path.join(root, 'p', 'q', 'y.log'))
        os.unlink(os.path.join(root, 'p', 'q', 'y.txt'))
        while 'p/q/y.txt' in files_of(d, root):
            assert time.monotonic() < deadline, files_of(d, root)
            time.sleep(0.05)
    # While down: p/.gitignore rewritten in place (p keeps its mtime):
    # *.log no longer ignored, *.tmp now is.
    p = os.path.join(root, 'p', '.gitignore')
    write(p, '*.tmp\n')
    os.utime(p, (OLD, OLD))
    age(os.path.join(root, 'p', 'q'))
    os.utime(os.path.join(root, 'p', 'q'), (OLD, OLD))
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        assert files_of(d, root) == [
            '.gitignore', 'a.txt', 'p/.gitignore', 'p/clean/z.txt',
            'p/q/keep.txt', 'p/q/x.log', 'u/v/w.txt'], files_of(d, root)
        r = changes(d, root, since=c0)
        assert r['fresh'] is False, r
        assert kinds(r) == [('p/.gitignore', 'modified'),
                            ('p/clean/t.tmp', 'removed'),
                            ('p/q/x.log', 'added')], kinds(r)
        # p/q (x.log ignored when saved) came from its list: the rules
        # differ at the end of the walk, so the root was read again.
        assert 'ignore rules changed while the daemon was down' in \
            d.log_text()


def test_exclude_file_changed_while_down():
    """.git/info/exclude is not in the table (.git is ignored), so only
    the rules digest sees it change: a name it ignored when the table was
    saved, in a directory taken from its list, is found once it no longer
    does; with the rules unchanged that directory is not read."""
    root = make_root({'.git/info/exclude': '*.o\n', 'src/a.c': 'a\n',
                      'src/a.o': 'o\n'})
    age(root)
    os.utime(root, (OLD, OLD))
    aged = time.monotonic()
    tmp = harness.mktemp()
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        assert files_of(d, root) == ['src/a.c'], files_of(d, root)
        c0 = changes(d, root)['clock']
        time.sleep(max(0.0, aged + 2.5 - time.monotonic()))
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        st = status_root(d, root)
        assert st['load']['dirs_read'] == 0, st['load']
        assert files_of(d, root) == ['src/a.c'], files_of(d, root)
    write(os.path.join(root, '.git', 'info', 'exclude'), '# none\n')
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        assert files_of(d, root) == ['src/a.c', 'src/a.o'], \
            files_of(d, root)
        r = changes(d, root, since=c0)
        assert r['fresh'] is False, r
        assert kinds(r) == [('src/a.o', 'added')], kinds(r)
        assert 'ignore rules changed while the daemon was down' in \
            d.log_text()


def test_kill9_during_snapshot_write():
    """ggend-fault kills itself with half of the snapshot's temp file
    written (fault point snapshot_kill): the old snapshot is intact, the
    next start loads it, clocks it covers answer exactly, and the killed
    run's own clocks (never saved) get fresh."""
    harness.skip_unless(os.path.exists(GGEND_FAULT),
                        'GGEND_FAULT (ggend-fault) not built')
    root = small_root()
    tmp = harness.mktemp()
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        c0 = changes(d, root)['clock']
        snap = status_root(d, root)['snapshot']
    with open(snap, 'rb') as f:
        before = f.read()
    write(os.path.join(root, 'src/b.c'), 'int bb;\n')
    env = dict(os.environ, GGEN_FAULT_NTH='1',
               GGEN_FAULT_POINTS='snapshot_kill')
    d = Daemon(tmp=tmp, env=env, binary=GGEND_FAULT)
    with d:
        watch(d, root)
        r = changes(d, root, since=c0)
        assert kinds(r) == [('src/b.c', 'modified')], r
        c1 = r['clock']
        with d.client() as c:
            c.call('shutdown')
        rc = d.proc.wait(60)
        assert rc == -signal.SIGKILL, rc
        assert 'fault injected: snapshot_kill' in d.log_text()
    with open(snap, 'rb') as f:
        assert f.read() == before, 'the old snapshot was touched'
    with Daemon(tmp=tmp) as d:
        watch(d, root)
        st = status_root(d, root)
        assert st['load']['from'] == 'snapshot', st['load']
        r = changes(d, root, since=c0)
        assert r['fresh'] is False, r
        assert kinds(r) == [('src/b.c', 'modified')], r
        r = changes(d, root, since=c1)
        assert r['fresh'] is True, r
        assert d.stop() == 0
        assert 'a snapshot write cut short' in d.log_text()
    strays = [f for f in os.listdir(os.path.dirname(snap))
              if 'ggen-tmp' in f]
    assert strays == [], strays


if __name__ == '__main__':
    run([test_restart_lists_exactly_what_changed,
         test_corrupt_snapshot_full_crawl_and_fresh,
         test_snapshot_of_another_root_full_crawl_and_fresh,
         test_racy_file_rehashed,
         test_touched_while_down_read_once,
         test_idle_save_then_kill9,
         test_lists_of_unchanged_dirs_and_ignore_rules,
         test_exclude_file_changed_while_down,
         test_kill9_during_snapshot_write])
