#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The hot make.toml model: runs on a watched root never parse make.toml
(status counts parses per root and the engine's own loads; a make.toml
saved but not settled yet is parsed at the run, found by stat), a run keeps
the model it started with while make.toml changes under it, and an
invalid edit keeps the last good model, shown in status and published as
a model.invalid event. Waits on events and on a fifo, never on sleeps."""
import json
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
        assert model_of(d, root) == {'ok': True, 'kept': False,
                                     'parsed': 1, 'state': 'ok',
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
        # the last good model is only kept for runs under way: a new run
        # refuses, with the errors (issue 14)
        assert m['ok'] is False and m['kept'] is True, m
        assert m['parsed'] == 2, m
        assert 'make.toml:4:11: ' in m['error'], m
        r = ggenc('run', 'ok', '--root', root, sock=d.sock)
        assert r.returncode == 1 and r.stdout == '', r
        assert 'make.toml is invalid' in r.stderr, r
        assert 'make.toml:4:11: error:' in r.stderr, r
        # a good edit clears the error and is used by the next run
        assert m['state'] == 'invalid', m
        save(root, 'make.toml', '[project]\nname = "t"\n'
             '[lifecycle.ok]\ncommand = "echo better"\n')
        # said at once, before that batch's files.changed (issue: dev's
        # red line was the last word)
        good = next_event(ev, 'model.valid')
        assert good == {'root': root}, good
        next_event(ev, 'files.changed', lambda e: any(
            f['path'] == 'make.toml' for f in e['files']))
        m = model_of(d, root)
        assert m == {'ok': True, 'kept': False, 'parsed': 3, 'state': 'ok',
                     'error': None}, m
        r = ggenc('run', 'ok', '--root', root, sock=d.sock)
        assert r.stdout == 'better\n', r
        ev.close()


def test_invalid_model_is_visible():
    """An invalid make.toml (a real cargo-make file from ggen's repository)
    shows outside status: watch warns with file:line:col and still
    watches (exit 0), roots has a MODEL column (and --json its state),
    status --short counts it; a root without make.toml is "none"."""
    here = os.path.dirname(os.path.abspath(__file__))
    real = os.path.join(here, '..', 'data', 'ggen', 'real',
                        'electric-schema.make.toml')
    root = os.path.join(mktemp(), 'electric')
    os.makedirs(root)
    with open(real) as f, open(os.path.join(root, 'make.toml'), 'w') as o:
        o.write(f.read())
    bare = os.path.join(mktemp(), 'bare')
    os.makedirs(bare)
    with Daemon() as d:
        r = ggenc('watch', root, sock=d.sock)
        assert r.returncode == 0, r
        assert r.stdout.startswith('watching %s: ' % root), r
        assert ('ggenc: warning: make.toml is invalid, no phase runs until '
                'it is fixed (ggenc validate): %s/make.toml:1:1: '
                % root) in r.stderr, r
        assert 'cargo-make file' in r.stderr, r
        r = ggenc('watch', bare, sock=d.sock)
        assert r.returncode == 0 and r.stderr == '', r
        r = ggenc('--json', 'roots', sock=d.sock)
        assert r.returncode == 0, r
        models = {x['root']: x['model'] for x in
                  json.loads(r.stdout)['roots']}
        assert models[root]['state'] == 'invalid', models
        assert models[root]['error'].startswith(
            '%s/make.toml:1:1: ' % root), models
        assert models[bare]['state'] == 'absent', models
        r = ggenc('roots', sock=d.sock)
        rows = {l.split()[0]: l.split() for l in r.stdout.splitlines()}
        assert rows['ROOT'][:3] == ['ROOT', 'STATE', 'MODEL'], r.stdout
        assert rows[root][1:3] == ['ready', 'invalid'], r.stdout
        assert rows[bare][1:3] == ['ready', 'none'], r.stdout
        assert ('invalid: %s/make.toml:1:1: ' % root) in r.stdout, r.stdout
        r = ggenc('status', '--short', sock=d.sock)
        assert r.stdout == 'ggen: 2 roots, 1 invalid make.toml (electric)\n', r
        # The long form: invalid is an error to fix, none is not.
        r = ggenc('status', sock=d.sock)
        blocks = {b.split('\n', 1)[0].split()[0]: b
                  for b in r.stdout.split('\nroot ')[1:]}
        assert ('  make.toml INVALID, nothing runs until fixed: '
                '%s/make.toml:1:1: ' % root) in blocks[root], r.stdout
        assert ('  make.toml none: files are watched, no phase runs '
                '(ggenc init writes one)\n') in blocks[bare], r.stdout
        assert 'INVALID' not in blocks[bare], r.stdout


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
         test_invalid_model_is_visible,
         test_edit_then_run_before_settling])
