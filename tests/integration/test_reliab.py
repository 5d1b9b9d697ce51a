#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Faults around a real ggend (tests/RELIABILITY.md lists the results):
kill -9 under load and restart on the same socket and state directory;
the state directory deleted, or full (a small tmpfs, as root), under a
running daemon: it keeps serving and stops cleanly; a watched root deleted
or renamed: its files are reported removed, other roots are unaffected.
"""
import errno
import json
import os
import shutil
import signal
import subprocess

import harness
from harness import Daemon
from test_watch_util import Subscriber, files_of, make_root, watch, write

GGEND_FAULT = os.environ.get('GGEND_FAULT', '')


def _pipeline(d, clients=8, n=200):
    """Open clients and queue n status requests each without reading."""
    cs = []
    for _ in range(clients):
        c = d.client()
        c.send(b''.join(b'{"id":%d,"cmd":"status"}\n' % i
                        for i in range(1, n + 1)))
        cs.append(c)
    return cs


def _read_until_eof(c):
    """Replies c got before the daemon died: complete lines, in order."""
    ids = []
    while True:
        try:
            line = c.recv_line()
        except (ConnectionResetError, OSError):
            break
        if line is None:
            break
        ids.append(json.loads(line)['id'])
    return ids


def test_kill9_under_load_then_restart():
    d = Daemon('--log-level', 'warn')
    with d:
        cs = _pipeline(d)
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait(harness.IO_TIMEOUT)
        for c in cs:
            ids = _read_until_eof(c)
            # Whatever arrived is whole and in order, no gaps.
            assert ids == list(range(1, len(ids) + 1)), ids[:20]
            c.close()
        # Same socket, same state dir, stale socket and pidfile left over.
        assert os.path.exists(d.sock)
        d2 = Daemon('--log-level', 'warn', tmp=d.tmp)
        with d2:
            with d2.client() as c:
                st = c.call('status')['result']
            assert st['pid'] == d2.proc.pid, st
            assert st['clients']['connected'] == 1, st


def test_state_dir_deleted_keeps_serving():
    with Daemon() as d:
        with d.client() as c:
            assert c.call('status')['ok']
            shutil.rmtree(d.state)
            assert not os.path.exists(d.state)
            st = c.call('status')
            assert st['ok'], st
            assert st['result']['state_dir'] == d.state, st
        with d.client() as c2:
            assert c2.call('hello', proto=1)['ok']
        assert d.stop() == 0


class FullStateDir:
    """A state directory that runs out of space: a 64 KiB tmpfs mounted on
    DIR/state when we are root and `mount -t tmpfs` works, else the same
    failure injected into ggend-fault (ENOSPC on every state write, and
    every history statement failing, from the first). Use daemon_kw() for
    the Daemon and fill() when the disk should become full."""

    def __init__(self, points='state_write,state_rename,history_step'):
        self.tmp = harness.mktemp()
        self.state = os.path.join(self.tmp, 'state')
        os.mkdir(self.state, 0o700)
        self.points = points
        self.mounted = False

    def __enter__(self):
        if os.geteuid() == 0:
            r = subprocess.run(['mount', '-t', 'tmpfs', '-o',
                                'size=64k,mode=0700', 'tmpfs', self.state],
                               capture_output=True, text=True)
            self.mounted = r.returncode == 0
        if not self.mounted:
            harness.skip_unless(os.path.exists(GGEND_FAULT),
                                'no tmpfs and no ggend-fault')
            print('# no tmpfs here: injected ENOSPC instead')
        return self

    def daemon_kw(self):
        if self.mounted:
            return {'tmp': self.tmp}
        env = dict(os.environ, GGEN_FAULT_NTH='1', GGEN_FAULT_PERSIST='1',
                   GGEN_FAULT_POINTS=self.points)
        return {'tmp': self.tmp, 'env': env, 'binary': GGEND_FAULT}

    def fill(self):
        if not self.mounted:
            return      # the injected failures are there from the start
        fd = os.open(os.path.join(self.state, 'filler'),
                     os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b'\0' * 4096) > 0:
                pass
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
        finally:
            os.close(fd)

    def __exit__(self, *exc):
        if self.mounted:
            subprocess.run(['umount', '-l', self.state],
                           capture_output=True)


def test_state_dir_full_keeps_serving():
    with FullStateDir() as fs:
        fs.fill()       # the daemon starts with no byte to spare
        with Daemon('--log-level', 'warn', **fs.daemon_kw()) as d:
            with d.client() as c:
                for i in range(50):
                    assert c.call('status')['ok']
            assert d.stop() == 0


GOOD_MAKE = '[project]\nname = "x"\n\n[watch]\nignore = ["*.log"]\n'
BAD_MAKE = '[project]\nname = "x"\n\n[watch]\nignore = ["*.log"\n'


def _break_make_toml(d, root, s):
    """Replace root's make.toml by BAD_MAKE; returns the events that came
    with the batch reporting it (a subscriber s, already reading)."""
    write(os.path.join(root, 'make.toml'), BAD_MAKE)
    other = []
    s.c.sock.settimeout(20.0)
    while True:
        m = s.c.recv()
        if m.get('event') == 'files.changed' and \
                ('make.toml', 'modified') in files_of(m['data']):
            return other
        other.append(m)


def test_invalid_make_toml_keeps_last_good_model():
    root = make_root({'make.toml': GOOD_MAKE, 'a.txt': 'a\n'})
    with Daemon('--log-level', 'info') as d:
        watch(d, root)
        with Subscriber(d) as s:
            _break_make_toml(d, root, s)
            # The last good model's [watch] ignore still applies.
            write(os.path.join(root, 'x.log'), 'log\n')
            s.sentinel(root)
            with d.client() as c:
                r = c.call('validate', path=os.path.join(root, 'make.toml'))
            assert r['ok'], r
            f = r['result']['findings'][0]
            assert (f['severity'], f['line'], f['col']) == ('error', 6, 1), f
            assert "expected ',' or ']'" in f['message'], f
            assert '%s/make.toml:6:1: expected' % root in d.log_text(), \
                d.log_text()
            assert 'no run starts until it is fixed' in d.log_text()
            # A good version replaces it: now *.tmp is ignored, *.log not.
            write(os.path.join(root, 'make.toml'),
                  GOOD_MAKE.replace('*.log', '*.tmp'))
            assert ('make.toml', 'modified') in files_of(s.batch())
            write(os.path.join(root, 'y.tmp'), 'tmp\n')
            write(os.path.join(root, 'y.log'), 'log\n')
            assert files_of(s.batch()) == [('y.log', 'added')]
        with d.client() as c:
            assert c.call('status')['ok']


def test_invalid_make_toml_in_status_and_event():
    """The error with line:col in `status` and as an event (issue 9)."""
    root = make_root({'make.toml': GOOD_MAKE})
    with Daemon() as d:
        watch(d, root)
        with Subscriber(d) as s:
            other = _break_make_toml(d, root, s)
            s.c.sock.settimeout(1.0)
            try:
                while True:
                    other.append(s.c.recv())
            except (OSError, AssertionError):
                pass
        with d.client() as c:
            st = c.call('status')['result']
        text = json.dumps(st)
        in_status = ':6:1' in text or '"line": 6' in text
        as_event = any("expected ','" in json.dumps(m) for m in other)
        assert in_status and as_event, (
            'make.toml error with line:col: in status %s, as an event %s'
            % (in_status, as_event))


def _render_killed(trials=5, size=12 << 20):
    """`ggenc render` of a 12 MiB output killed with SIGKILL while its temp
    file is being written: the output holds the old content or the new
    one, whole, never a mix or a prefix. Returns leftover temp files."""
    root = harness.mktemp()
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write('[project]\nname = "k"\n')
    tmpl = os.path.join(root, 'big.tmpl')
    out = os.path.join(root, 'out.txt')
    env = dict(os.environ, GGEN_SOCK=os.path.join(root, 'none', 's'))
    leftovers = []
    old = None
    for t in range(trials):
        ch = 'ab'[t % 2]
        with open(tmpl, 'w') as f:
            f.write(ch * size)
        if old is None:
            p = harness.ggenc('render', tmpl, '--to', out, env=env,
                              cwd=root)
            assert p.returncode == 0, p.stderr
            old = ch
            continue
        proc = subprocess.Popen([harness.GGENC, 'render', tmpl, '--to', out],
                                env=env, cwd=root, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # Wait for the temp file (an event we can poll), then kill.
        while proc.poll() is None:
            if any('.ggen-tmp.' in n for n in os.listdir(root)):
                break
        proc.kill()
        proc.wait()
        with open(out, 'rb') as f:
            data = f.read()
        assert len(data) == size and data.count(data[:1]) == size, \
            (t, len(data), data[:1])
        old = data[:1].decode()
        leftovers += [n for n in os.listdir(root) if '.ggen-tmp.' in n]
        for n in leftovers:
            if os.path.exists(os.path.join(root, n)):
                os.unlink(os.path.join(root, n))
    return leftovers


def test_kill9_during_render_write_never_half_written():
    leftovers = _render_killed()
    print('# temp files left by killed renders: %d' % len(leftovers))


def _root_vanishes(vanish):
    """Watch a and b, make a vanish, check what a subscriber and the
    queries see; returns (daemon status roots, a, b) for more checks."""
    a = make_root({'a.txt': 'a\n', 'sub/b.txt': 'b\n'})
    b = make_root({'x.txt': 'x\n'})
    with Daemon() as d:
        watch(d, a)
        watch(d, b)
        with Subscriber(d) as s:
            vanish(a)
            batch = s.batch()
            assert batch['root'] == a, batch
            assert sorted(files_of(batch)) == [('a.txt', 'removed'),
                                               ('sub/b.txt', 'removed')]
            # The other root still sees changes, and only its own.
            write(os.path.join(b, 'new.txt'), 'n\n')
            batch = s.batch()
            assert batch['root'] == b, batch
            assert files_of(batch) == [('new.txt', 'added')], batch
        with d.client() as c:
            r = c.call('changes', root=b, since='0')
            assert r['ok'], r
            assert {f['path'] for f in r['result']['files']} == \
                {'x.txt', 'new.txt'}, r
            st = c.call('status')['result']
        assert 'was %s' % ('moved' if vanish is _rename else 'deleted') \
            in d.log_text(), d.log_text()
        return st['roots'], a, b


def _rename(path):
    os.rename(path, path + '.moved')


def test_root_deleted_others_unaffected():
    _root_vanishes(shutil.rmtree)


def test_root_renamed_others_unaffected():
    roots, a, b = _root_vanishes(_rename)
    ra = [r for r in roots if r['root'] == a][0]
    assert ra['gone'] and not ra['ready'], ra


def test_root_deleted_marked_gone():
    roots, a, b = _root_vanishes(shutil.rmtree)
    ra = [r for r in roots if r['root'] == a][0]
    rb = [r for r in roots if r['root'] == b][0]
    assert rb['ready'] and rb['files'] == 2 and not rb['gone'], rb
    assert ra['gone'] and not ra['ready'], ra


if __name__ == '__main__':
    harness.run([test_kill9_under_load_then_restart,
                 test_state_dir_deleted_keeps_serving,
                 test_state_dir_full_keeps_serving,
                 test_root_deleted_others_unaffected,
                 test_root_renamed_others_unaffected,
                 test_root_deleted_marked_gone,
                 test_kill9_during_render_write_never_half_written,
                 test_invalid_make_toml_keeps_last_good_model,
                 test_invalid_make_toml_in_status_and_event])
