#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault sweeps against a real daemon built with fault points
(build/tests/integration/ggend-fault, common/fault.h), and state-directory
failures that need watched roots.

Sweep (SQLite's faultsim): the same scenario runs with the Nth state-file
write or rename failing, N = 1, 2, ... until a run logs no injected fault.
Each run: the requests still succeed, the daemon keeps answering and logs
the failure clearly; a restart with the normal ggend then finds a roots
file that is whole (the old list or the new one, never torn) and watches
exactly those roots again.
"""
import json
import os
import shutil
import time

import harness
from harness import Daemon
from test_reliab import FullStateDir
from test_watch_util import make_root, watch

GGEND_FAULT = os.environ.get('GGEND_FAULT', '')
SWEEP_MAX = 50


def _roots(d):
    with d.client() as c:
        r = c.call('roots')
    assert r['ok'], r
    return sorted(x['root'] for x in r['result']['roots'])


def test_roots_file_fault_sweep():
    harness.skip_unless(os.path.exists(GGEND_FAULT),
                        'GGEND_FAULT (ggend-fault) not built')
    a, b = make_root({'a.txt': 'a\n'}), make_root({'b.txt': 'b\n'})
    # The lists the file may legally hold after each step.
    legal = [[], [a], sorted([a, b]), [b]]
    injected_runs = 0
    for n in range(1, SWEEP_MAX):
        tmp = harness.mktemp()
        env = dict(os.environ, GGEN_FAULT_NTH=str(n),
                   GGEN_FAULT_POINTS='state_write,state_rename')
        with Daemon('--log-level', 'info', tmp=tmp, env=env,
                    binary=GGEND_FAULT) as d:
            watch(d, a)
            watch(d, b)
            with d.client() as c:
                r = c.call('unwatch', root=a)
                assert r['ok'], r
                assert c.call('status')['ok']
            assert _roots(d) == [b]
            assert d.stop() == 0
            log = d.log_text()
        injected = 'fault injected' in log
        if injected:
            injected_runs += 1
            # The roots file, or (at the stop) the root's snapshot.
            assert ('roots.json' in log and
                    'will not survive a restart' in log) or \
                ('snap-' in log and 'crawled again' in log), log
        path = os.path.join(tmp, 'state', 'roots.json')
        on_disk = []
        if os.path.exists(path):
            with open(path) as f:
                on_disk = sorted(json.load(f)['roots'])
        assert on_disk in legal, (n, on_disk)
        assert not any('.ggen-tmp.' in f for f in
                       os.listdir(os.path.dirname(path))), n
        with Daemon('--log-level', 'warn', tmp=tmp) as d2:
            assert _roots(d2) == on_disk, (n, on_disk)
        if not injected:
            assert on_disk == [b], on_disk
            break
    print('# sweep: %d runs, %d with a fault injected' % (n, injected_runs))
    assert n < SWEEP_MAX
    assert injected_runs == n - 1


def test_state_dir_deleted_watch_keeps_serving():
    root = make_root({'x.txt': 'x\n'})
    with Daemon('--log-level', 'info') as d:
        shutil.rmtree(d.state)
        res = watch(d, root)
        assert res['ready'], res
        with d.client() as c:
            assert c.call('status')['ok']
        log = d.log_text()
        assert 'roots.json' in log and 'No such file or directory' in log, \
            log
        assert 'will not survive a restart' in log, log
        assert d.stop() == 0


def test_state_dir_full_watch_keeps_serving():
    root = make_root({'x.txt': 'x\n'})
    with FullStateDir('state_write') as fs:
        with Daemon('--log-level', 'info', **fs.daemon_kw()) as d:
            fs.fill()
            res = watch(d, root)
            assert res['ready'], res
            with d.client() as c:
                assert c.call('status')['ok']
            log = d.log_text()
            assert 'No space left on device' in log, log
            assert 'will not survive a restart' in log, log
            assert d.stop() == 0


def _run(d, root, phase):
    with d.client() as c:
        r = c.call('run', root=root, phases=[phase])
        while 'progress' in r:
            r = c.recv()
    assert r['ok'], r
    return r['result']


def test_state_dir_full_history_degraded_keeps_running():
    """History writes fail with the disk full: the store goes degraded
    (status says why), runs keep running and stay queryable."""
    root = make_root({'make.toml': '[project]\nname = "f"\n'
                      '[lifecycle.big]\ncommand = "head -c 200000 '
                      '/dev/zero | tr \'\\\\0\' y"\n'})
    with FullStateDir('history_step') as fs:
        with Daemon('--log-level', 'info', **fs.daemon_kw()) as d:
            assert _run(d, root, 'big')['status'] == 'ok'
            fs.fill()
            ids = [_run(d, root, 'big')['id'] for _ in range(5)]
            with d.client() as c:
                deadline = time.monotonic() + harness.IO_TIMEOUT
                while time.monotonic() < deadline:
                    h = c.call('status')['result']['history']
                    if h['degraded']:
                        break
                assert h['degraded'], h
                assert 'full' in h['reason'] or \
                    'injected fault' in h['reason'], h
                r = c.call('history', limit=0)
                assert r['ok'], r
                listed = {x['id'] for x in r['result']['runs']}
                assert set(ids) <= listed, (ids, listed)
            assert _run(d, root, 'big')['status'] == 'ok'
            assert 'history: degraded' in d.log_text(), d.log_text()
            assert d.stop() == 0


if __name__ == '__main__':
    harness.run([test_roots_file_fault_sweep,
                 test_state_dir_deleted_watch_keeps_serving,
                 test_state_dir_full_watch_keeps_serving,
                 test_state_dir_full_history_degraded_keeps_running])
