#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The hot make.toml model: runs on a watched root never parse make.toml
(status counts parses per root and the engine's own loads; a make.toml
saved but not settled yet is parsed at the run, found by stat), a run keeps
the model it started with while make.toml changes under it, and an
invalid edit keeps the last good model, shown in status and published as
a model.invalid event. Waits on events and on a fifo, never on sleeps."""
import os

from harness import Daemon, ggenc, mktemp, run
from test_engine_watch import next_event, project, save, subscribe, watch


def status(d):
    with d.client() as c:
        reply = c.call('status')
    assert reply['ok'], reply
    return reply['result']


def model_of(d, root):
    for r in status(d)['roots']:
        if r['root'] == root:
            return r['model']
    raise AssertionError('root %s not in status' % root)


def start_detached(d, root, phase):
    with d.client() as c:
        reply = c.call('run', phases=[phase], root=root, detach=True)
    assert reply['ok'], reply
    return reply['result']['id']


def test_runs_do_not_parse():
    root = project('[lifecycle.ok]\ncommand = "echo fine"\n')
    with Daemon() as d:
        for _ in range(3):
            r = ggenc('run', 'ok', '--root', root, sock=d.sock)
            assert r.returncode == 0 and r.stdout == 'fine\n', r
        r = ggenc('run', 'ok', '--dry-run', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        assert model_of(d, root) == {'ok': True, 'parsed': 1,
                                     'error': None}
        assert status(d)['runs']['models_loaded'] == 0


def test_run_keeps_its_model():
    fifo = os.path.join(mktemp(), 'go')
    os.mkfifo(fifo)
    root = project('[lifecycle.slow]\ncommands = ["cat %s", "echo v1"]\n'
                   % fifo)
    with Daemon() as d:
        watch(d, root)
        ev = subscribe(d)
        first = start_detached(d, root, 'slow')
        next_event(ev, 'run.started', lambda e: e['run'] == first)
        save(root, 'make.toml', '[project]\nname = "t"\n'
             '[lifecycle.slow]\ncommands = ["echo v2"]\n')
        next_event(ev, 'files.changed', lambda e: any(
            f['path'] == 'make.toml' for f in e['files']))
        assert model_of(d, root)['parsed'] == 2
        # the first run's second command comes from the model it began with
        with open(fifo, 'w') as f:
            f.write('go\n')
        done = next_event(ev, 'run.finished', lambda e: e['run'] == first)
        assert done['status'] == 'ok', done
        r = ggenc('logs', str(first), sock=d.sock)
        assert r.stdout == 'go\nv1\n', r
        r = ggenc('run', 'slow', '--root', root, sock=d.sock)
        assert r.returncode == 0 and r.stdout == 'v2\n', r
        assert model_of(d, root)['parsed'] == 2
        assert status(d)['runs']['models_loaded'] == 0
        ev.close()


def test_invalid_edit_keeps_last_good():
    root = project('[lifecycle.ok]\ncommand = "echo good"\n')
    with Daemon() as d:
        watch(d, root)
        ev = subscribe(d)
        save(root, 'make.toml', '[project]\nname = "t"\n'
             '[lifecycle.ok]\ncommand = 3\n')
        bad = next_event(ev, 'model.invalid')
        next_event(ev, 'files.changed')     # the same batch, published after
        assert bad['root'] == root and bad['kept'] is True, bad
        assert bad['file'].endswith('make.toml'), bad
        assert (bad['line'], bad['col']) == (4, 11), bad
        assert any('make.toml:4:11: error:' in e for e in bad['errors']), bad
        m = model_of(d, root)
        assert m['ok'] is True and m['parsed'] == 2, m
        assert 'make.toml:4:11: ' in m['error'], m
        r = ggenc('run', 'ok', '--root', root, sock=d.sock)
        assert r.returncode == 0 and r.stdout == 'good\n', r
        # a good edit clears the error and is used by the next run
        save(root, 'make.toml', '[project]\nname = "t"\n'
             '[lifecycle.ok]\ncommand = "echo better"\n')
        next_event(ev, 'files.changed', lambda e: any(
            f['path'] == 'make.toml' for f in e['files']))
        m = model_of(d, root)
        assert m == {'ok': True, 'parsed': 3, 'error': None}, m
        r = ggenc('run', 'ok', '--root', root, sock=d.sock)
        assert r.stdout == 'better\n', r
        ev.close()


def test_edit_then_run_before_settling():
    slow = ('[project]\nname = "t"\n[watch]\ndebounce_min_ms = 3000\n'
            'debounce_max_ms = 5000\n[lifecycle.ok]\ncommand = "echo %s"\n')
    root = project('')
    save(root, 'make.toml', slow % 'one')
    with Daemon() as d:
        watch(d, root)
        ev = subscribe(d)
        save(root, 'make.toml', slow % 'two')
        # the batch waits 3 s; the run sees make.toml's new stat at once
        r = ggenc('run', 'ok', '--root', root, sock=d.sock)
        assert r.returncode == 0 and r.stdout == 'two\n', r
        assert model_of(d, root)['parsed'] == 2
        next_event(ev, 'files.changed', lambda e: any(
            f['path'] == 'make.toml' for f in e['files']))
        # settling does not parse the same version again
        assert model_of(d, root)['parsed'] == 2
        ev.close()


if __name__ == '__main__':
    run([test_runs_do_not_parse,
         test_run_keeps_its_model,
         test_invalid_edit_keeps_last_good,
         test_edit_then_run_before_settling])
