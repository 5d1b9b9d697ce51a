#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Watching whole trees: new directories (100 of 100), tar x of 1,000
files, directories moved in and out, rm -rf, a forced inotify overflow
(the table ends equal to a fresh walk), watch exhaustion with the
watch.max_watches cap (polled subtrees still seen, status says so),
roots persisting across a restart, and the root/query requests."""
import os
import shutil
import signal
import subprocess
import tarfile

from harness import Daemon, ggenc, mktemp, run
from test_watch_util import (Subscriber, clock_parts, files_of, fresh_listing,
                             make_root, status_root, walk, watch, write)


def test_mkdir_p_then_write_100_of_100():
    root = make_root()
    with Daemon() as d:
        watch(d, root)
        with Subscriber(d) as sub:
            for i in range(100):
                subprocess.run('mkdir -p d%d/b/c && echo x > d%d/b/c/f'
                               % (i, i), shell=True, cwd=root, check=True)
                b = sub.batch()
                assert files_of(b) == [('d%d/b/c/f' % i, 'added')], (i, b)


def test_tar_x_1000_files():
    root = make_root()
    src = os.path.join(mktemp(), 'src')
    names = set()
    for i in range(1000):
        rel = 'pkg/m%02d/file%04d.txt' % (i % 40, i)
        os.makedirs(os.path.join(src, os.path.dirname(rel)), exist_ok=True)
        write(os.path.join(src, rel), 'content %d\n' % i)
        names.add(rel)
    tarball = os.path.join(mktemp(), 'a.tar')
    with tarfile.open(tarball, 'w') as t:
        t.add(os.path.join(src, 'pkg'), arcname='pkg')
    with Daemon() as d:
        watch(d, root)
        with Subscriber(d) as sub:
            subprocess.run(['tar', 'xf', tarball], cwd=root, check=True)
            # tar creates, writes, then sets the mtime: a file hashed
            # between create and close_write is added empty, then
            # modified (both real states of the disk).
            seen = set()
            while seen != names:
                b = sub.batch()
                for path, kind in files_of(b):
                    assert kind in ('added', 'modified'), (path, kind)
                    assert path in names, path
                    assert kind == 'modified' or path not in seen, path
                    seen.add(path)
        assert fresh_listing(d, root) == names


def test_dir_moved_in_and_out():
    root = make_root()
    outside = os.path.join(os.path.dirname(root), 'outside')
    for rel in ('tree/a.txt', 'tree/sub/b.txt', 'tree/sub/deep/c.txt'):
        os.makedirs(os.path.join(outside, os.path.dirname(rel)),
                    exist_ok=True)
        write(os.path.join(outside, rel), rel)
    want = ['moved/a.txt', 'moved/sub/b.txt', 'moved/sub/deep/c.txt']
    with Daemon() as d:
        watch(d, root)
        with Subscriber(d) as sub:
            os.rename(os.path.join(outside, 'tree'),
                      os.path.join(root, 'moved'))
            b = sub.batch()
            assert files_of(b) == [(p, 'added') for p in want], b
            # A file created in the moved-in tree is seen: it is watched.
            write(os.path.join(root, 'moved', 'sub', 'deep', 'new.txt'), 'n')
            b = sub.batch()
            assert files_of(b) == [('moved/sub/deep/new.txt', 'added')], b
            os.rename(os.path.join(root, 'moved'),
                      os.path.join(outside, 'back'))
            b = sub.batch()
            assert files_of(b) == [(p, 'removed') for p in sorted(
                want + ['moved/sub/deep/new.txt'])], b
            # Moved out: its changes are not ours any more.
            write(os.path.join(outside, 'back', 'a.txt'), 'changed')
            sub.sentinel(root)
            # Renamed inside the root: removed + added in one batch.
            write(os.path.join(root, 'r1.txt'), 'r')
            sub.batch()
            os.rename(os.path.join(root, 'r1.txt'),
                      os.path.join(root, 'r2.txt'))
            b = sub.batch()
            assert files_of(b) == [('r1.txt', 'removed'),
                                   ('r2.txt', 'added')], b


def test_rm_rf_subtree():
    files = {'keep.txt': 'k'}
    for i in range(200):
        files['big/d%d/f%d.txt' % (i % 10, i)] = str(i)
    root = make_root(files)
    with Daemon() as d:
        watch(d, root)
        with Subscriber(d) as sub:
            shutil.rmtree(os.path.join(root, 'big'))
            want = {p for p in files if p.startswith('big/')}
            seen = set()
            while seen != want:
                # rm -rf may outlast the debounce cap: several batches.
                for path, kind in files_of(sub.batch()):
                    assert kind == 'removed' and path in want, (path, kind)
                    assert path not in seen, path
                    seen.add(path)
            sub.sentinel(root)
        assert fresh_listing(d, root) == walk(root)
        st = status_root(d, root)
        assert st['dirs'] == 1 and st['watches']['root'] == 1, st


def test_overflow_rescan_matches_walk():
    limit = int(open('/proc/sys/fs/inotify/max_queued_events').read())
    root = make_root({'a/keep.txt': 'k', 'a/mod.txt': 'old',
                      'a/gone.txt': 'g'})
    with Daemon() as d:
        watch(d, root)
        with Subscriber(d) as sub:
            # Stop the daemon so the kernel queue fills past its limit.
            d.proc.send_signal(signal.SIGSTOP)
            try:
                n = limit // 2 + 100  # create + close_write per file
                for i in range(n):
                    write(os.path.join(root, 'a', 'f%05d' % i), str(i))
                write(os.path.join(root, 'a', 'mod.txt'), 'new')
                os.unlink(os.path.join(root, 'a', 'gone.txt'))
            finally:
                d.proc.send_signal(signal.SIGCONT)
            got = {}
            while len(got) < n + 2:
                b = sub.batch(timeout=60)
                for path, kind in files_of(b):
                    got[path] = kind
            assert got['a/mod.txt'] == 'modified', got['a/mod.txt']
            assert got['a/gone.txt'] == 'removed'
            assert 'a/keep.txt' not in got
            assert sum(1 for k in got.values() if k == 'added') == n
        st = status_root(d, root)
        assert st['overflows'] >= 1 and st['rescans'] >= 1, st
        assert fresh_listing(d, root) == walk(root)


def test_watch_cap_polls_and_sees_changes():
    files = {'f.txt': 'x'}
    for i in range(6):
        files['d%d/sub/f.txt' % i] = str(i)
    root = make_root(files)
    with Daemon('--set', 'watch.max_watches=3',
                '--set', 'watch.poll_ms=50') as d:
        watch(d, root)
        st = status_root(d, root)
        assert st['polled_dirs'] > 0, st
        assert st['watches']['used'] == 3 and st['watches']['cap'] == 3, st
        assert st['watches']['sysctl'] == 'fs.inotify.max_user_watches'
        assert 'out of watches (3/3' in st['watches']['message'], st
        with Subscriber(d) as sub:
            for i in range(6):
                write(os.path.join(root, 'd%d' % i, 'sub', 'f.txt'), 'new')
            got = set()
            while len(got) < 6:
                got.update(p for p, k in files_of(sub.batch()))
            assert got == {'d%d/sub/f.txt' % i for i in range(6)}, got
            os.makedirs(os.path.join(root, 'd5', 'sub', 'newdir'))
            write(os.path.join(root, 'd5', 'sub', 'newdir', 'n.txt'), 'n')
            b = sub.batch()
            assert files_of(b) == [('d5/sub/newdir/n.txt', 'added')], b
        assert fresh_listing(d, root) == walk(root)


def test_roots_persist_across_restart():
    root = make_root({'a.txt': 'a'})
    tmp = mktemp()
    with Daemon(tmp=tmp) as d:
        watch(d, root)
    with Daemon(tmp=tmp) as d:
        with d.client() as c:
            roots = c.call('roots')['result']['roots']
        assert [r['root'] for r in roots] == [root], roots
        # Watch again answers once ready; changes are seen.
        watch(d, root)
        with Subscriber(d) as sub:
            write(os.path.join(root, 'a.txt'), 'changed')
            assert files_of(sub.batch()) == [('a.txt', 'modified')]
        with d.client() as c:
            assert c.call('unwatch', root=root)['ok']
    with Daemon(tmp=tmp) as d:
        with d.client() as c:
            assert c.call('roots')['result']['roots'] == []


def test_requests_and_errors():
    root = make_root({'src/a.c': 'int a;\n'})
    with Daemon() as d:
        with d.client() as c:
            r = c.call('watch', root=os.path.join(root, 'nope'))
            assert r['error']['code'] == 'not_found', r
            assert 'nope' in r['error']['message'], r
            r = c.call('watch', root=os.path.join(root, 'src', 'a.c'))
            assert r['error']['code'] == 'invalid', r
            assert 'not a directory' in r['error']['message'], r
            r = c.call('changes', root=root)
            assert r['error']['code'] == 'root_not_found', r
        res = watch(d, root)
        assert res['root'] == root and res['files'] == 1, res
        assert res['dirs'] == 2, res
        # A directory inside the root answers with the root.
        assert watch(d, os.path.join(root, 'src'))['root'] == root
        with d.client() as c:
            r = c.call('watch', root=os.path.dirname(root))
            assert r['error']['code'] == 'invalid', r
            assert 'unwatch it first' in r['error']['message'], r
            r = c.call('changes', root=root, since='12x')
            assert r['error']['code'] == 'invalid', r
            assert 'since' in r['error']['message'], r
            r = c.call('changes', root=root, since=5)
            assert r['error']['code'] == 'bad_type', r
            r = c.call('unwatch', root=os.path.join(root, 'src'))
            assert r['error']['code'] == 'root_not_found', r
            assert 'inside the root %s' % root in r['error']['message']
            clock = c.call('changes', root=root)['result']['clock']
        with Subscriber(d) as sub:
            write(os.path.join(root, 'src', 'a.c'), 'int b;\n')
            b = sub.batch()
        assert clock_parts(b['clock'])[2] > clock_parts(clock)[2]
        assert clock_parts(b['clock'])[:2] == clock_parts(clock)[:2]
        with d.client() as c:
            r = c.call('changes', root=root, since=clock)['result']
            assert r['fresh'] is False and r['clock'] == b['clock'], r
            assert r['files'] == [{'path': 'src/a.c', 'kind': 'modified'}]
            r = c.call('changes', root=root, since=b['clock'])['result']
            assert r['files'] == [] and r['fresh'] is False, r
            r = c.call('changes', root=root,
                       since='18446744073709551615')['result']
            assert r['fresh'] is True, r
            assert r['files'] == [{'path': 'src/a.c', 'kind': 'added'}], r
            # hash: from the table, and computed for a copy elsewhere.
            h1 = c.call('hash', path=os.path.join(root, 'src', 'a.c'))
            assert h1['ok'] and h1['result']['source'] == 'table', h1
            assert len(h1['result']['hash']) == 32, h1
            copy = os.path.join(mktemp(), 'copy.c')
            shutil.copy(os.path.join(root, 'src', 'a.c'), copy)
            h2 = c.call('hash', path=copy)
            assert h2['result']['source'] == 'computed', h2
            assert h2['result']['hash'] == h1['result']['hash'], (h1, h2)
            assert h2['result']['size'] == 7, h2
            r = c.call('hash', path=os.path.join(root, 'src'))
            assert r['error']['code'] == 'invalid', r
            r = c.call('hash', path=os.path.join(root, 'missing'))
            assert r['error']['code'] == 'not_found', r
            st = c.call('status')['result']['roots'][0]
            assert st['root'] == root and st['fs'] == 'local', st
            assert st['batches'] == 1 and st['last_settle_ms'] > 0, st
            assert st['window_min_ms'] == 10, st
            assert st['window_max_ms'] == 500, st
            assert st['bytes_hashed'] >= 14, st


def test_ggenc_commands():
    root = make_root({'x.txt': 'x\n'})
    with Daemon() as d:
        p = ggenc('watch', root, sock=d.sock)
        assert p.returncode == 0, p.stderr
        assert p.stdout == 'watching %s: 1 files, 1 directories\n' % root
        p = ggenc('roots', sock=d.sock)
        rows = p.stdout.splitlines()
        assert rows[0].split() == ['ROOT', 'STATE', 'MODEL', 'FILES',
                                  'CLOCK'], p
        assert rows[1].split()[:4] == [root, 'ready', 'none', '1'], p
        p = ggenc('changes', '--since', 'zz', root, sock=d.sock)
        assert p.returncode == 1 and '[invalid]' in p.stderr, p
        p = ggenc('changes', root, sock=d.sock)
        assert p.returncode == 0 and '+ x.txt\n' in p.stdout, p
        assert 'fresh list' in p.stderr, p
        p = ggenc('hash', os.path.join(root, 'x.txt'), sock=d.sock)
        assert p.returncode == 0, p.stderr
        assert p.stdout.endswith('  %s/x.txt\n' % root), p.stdout
        p = ggenc('status', sock=d.sock)
        assert root in p.stdout and 'watches' in p.stdout, p.stdout
        ev = subprocess.Popen([os.environ['GGENC'], '--json', 'events'],
                              env=dict(os.environ, GGEN_SOCK=d.sock),
                              stdout=subprocess.PIPE, text=True)
        try:
            # The subscriber count says when the subscription is live.
            with d.client() as c:
                while c.call('status')['result']['clients'][
                        'subscribers'] < 1:
                    pass
            write(os.path.join(root, 'x.txt'), 'y\n')
            line = ev.stdout.readline()
            assert '"event":"files.changed"' in line, line
            assert '"path":"x.txt"' in line, line
        finally:
            ev.kill()
            ev.wait()
        p = ggenc('unwatch', root, sock=d.sock)
        assert p.returncode == 0, p.stderr
        assert p.stdout == 'not watching %s any more\n' % root
        p = ggenc('unwatch', root, sock=d.sock)
        assert p.returncode == 1 and 'root_not_found' in p.stderr, p


def test_make_toml_watch_settings():
    toml = ('[project]\nname = "m"\n\n[watch]\nignore = ["gen/**"]\n'
            'debounce_min_ms = 0\ndebounce_max_ms = %d\n')
    root = make_root({'make.toml': toml % 0, 'gen/old.c': 'x'})
    with Daemon() as d:
        res = watch(d, root)
        assert res['files'] == 1, res  # gen/ is ignored from the start
        st = status_root(d, root)
        assert st['window_max_ms'] == 0 and st['window_min_ms'] == 0, st
        with Subscriber(d) as sub:
            write(os.path.join(root, 'gen', 'new.c'), 'x')
            sub.sentinel(root)
            write(os.path.join(root, 'make.toml'), toml % 300)
            b = sub.batch()
            assert files_of(b) == [('make.toml', 'modified')], b
            st = status_root(d, root)
            assert st['window_max_ms'] == 300, st
            # An invalid make.toml keeps the last good model's settings.
            write(os.path.join(root, 'make.toml'), '[watch\n')
            b = sub.batch()
            assert files_of(b) == [('make.toml', 'modified')], b
            assert status_root(d, root)['window_max_ms'] == 300
        log = d.log_text()
        assert 'make.toml' in log and 'no run starts until it is fixed' in log


if __name__ == '__main__':
    run([test_mkdir_p_then_write_100_of_100, test_tar_x_1000_files,
         test_dir_moved_in_and_out, test_rm_rf_subtree,
         test_overflow_rescan_matches_walk,
         test_watch_cap_polls_and_sees_changes,
         test_roots_persist_across_restart, test_requests_and_errors,
         test_ggenc_commands, test_make_toml_watch_settings])
