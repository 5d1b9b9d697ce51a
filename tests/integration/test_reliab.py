#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Faults around a real ggend (tests/RELIABILITY.md lists the results):
kill -9 under load and restart on the same socket and state directory;
the state directory deleted, or full (a small tmpfs, as root), under a
running daemon: it keeps serving and stops cleanly.
"""
import errno
import json
import os
import shutil
import signal
import subprocess

import harness
from harness import Daemon


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


def test_state_dir_full_keeps_serving():
    harness.skip_unless(os.geteuid() == 0, 'needs root to mount a tmpfs')
    tmp = harness.mktemp()
    state = os.path.join(tmp, 'state')
    os.mkdir(state, 0o700)
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64k,mode=0700',
                        'tmpfs', state], capture_output=True, text=True)
    harness.skip_unless(r.returncode == 0, 'mount -t tmpfs failed: %s'
                        % r.stderr.strip())
    try:
        # Fill it: the daemon starts with no byte to spare.
        fd = os.open(os.path.join(state, 'filler'), os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b'\0' * 4096) > 0:
                pass
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
        finally:
            os.close(fd)
        with Daemon('--log-level', 'warn', tmp=tmp) as d:
            with d.client() as c:
                for i in range(50):
                    assert c.call('status')['ok']
            assert d.stop() == 0
    finally:
        subprocess.run(['umount', '-l', state], capture_output=True)


if __name__ == '__main__':
    harness.run([test_kill9_under_load_then_restart,
                 test_state_dir_deleted_keeps_serving,
                 test_state_dir_full_keeps_serving])
