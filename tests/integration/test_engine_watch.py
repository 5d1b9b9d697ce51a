#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""On-save runs through a real ggend watching a temp root: ten saves during
a one-second build give exactly one rerun (on_busy = queue), restart
restarts a long-running server, a phase writing its own outputs does not
loop, and run events reach subscribers. Waits on events (files.changed,
run.*), never on sleeps."""
import os

from harness import Daemon, mktemp, run


def project(toml):
    root = os.path.join(mktemp(), 'p')
    os.makedirs(os.path.join(root, 'src'))
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write('[project]\nname = "t"\n' + toml)
    return os.path.realpath(root)


def subscribe(d):
    c = d.client()
    c.request('events')
    assert c.recv()['progress'] == {'subscribed': True}
    return c


def watch(d, root):
    with d.client() as c:
        rid = c.request('watch', root=root)
        while True:
            m = c.recv()
            if m.get('id') == rid and 'progress' not in m:
                assert m['ok'], m
                return


def next_event(c, name, pred=lambda data: True):
    """Skip events until one called name whose data passes pred."""
    while True:
        m = c.recv()
        if m.get('event') == name and pred(m['data']):
            return m['data']


def changed(path):
    return lambda data: any(f['path'] == path for f in data['files'])


def save(root, rel, text):
    with open(os.path.join(root, rel), 'w') as f:
        f.write(text)


def runs(d):
    with d.client() as c:
        reply = c.call('runs', all=True)
    assert reply['ok'], reply
    return reply['result']['runs']


def test_ten_saves_one_rerun():
    root = project('[lifecycle.build]\ncommand = "echo run >> log.txt; '
                   'sleep 1"\nwatch = ["src/*.c"]\noutputs = ["log.txt"]\n')
    with Daemon() as d:
        watch(d, root)
        with subscribe(d) as ev:
            save(root, 'src/a.c', 'v0\n')
            first = next_event(ev, 'run.started')
            assert first['trigger'] == 'save', first
            # ten saves while the one-second build runs (debouncing may
            # merge some into one batch; test_engine.c has one per batch)
            for i in range(1, 11):
                save(root, 'src/a.c', 'v%d\n' % i)
            done = next_event(ev, 'run.finished')
            assert done['run'] == first['run'] and done['status'] == 'ok', done
            second = next_event(ev, 'run.started')
            assert second['run'] == first['run'] + 1, second
            done = next_event(ev, 'run.finished')
            assert done['run'] == second['run'], done
        got = runs(d)
        assert [r['id'] for r in got] == [first['run'], second['run']], got
        with open(os.path.join(root, 'log.txt')) as f:
            assert f.read() == 'run\nrun\n'


def test_restart_restarts_server():
    root = project('[lifecycle.serve]\ncommand = "echo start >> log.txt; '
                   'exec sleep 30"\nwatch = true\non_busy = "restart"\n'
                   'outputs = ["log.txt"]\n')
    with Daemon() as d:
        watch(d, root)
        with subscribe(d) as ev:
            save(root, 'a.txt', '1\n')
            first = next_event(ev, 'run.started')
            next_event(ev, 'files.changed', changed('log.txt'))
            save(root, 'b.txt', '1\n')
            done = next_event(ev, 'run.finished')
            assert done['run'] == first['run'], done
            assert done['status'] == 'cancelled', done
            second = next_event(ev, 'run.started')
            next_event(ev, 'files.changed', changed('log.txt'))
            with d.client() as c:
                assert c.call('cancel', run=second['run'])['ok']
            done = next_event(ev, 'run.finished')
            assert done['run'] == second['run'], done
        with open(os.path.join(root, 'log.txt')) as f:
            assert f.read() == 'start\nstart\n'


def test_own_outputs_do_not_loop():
    root = project('[lifecycle.gen]\ncommand = "mkdir -p out; date +%s%N '
                   '> out/stamp.txt"\nwatch = true\noutputs = ["out/"]\n')
    with Daemon() as d:
        watch(d, root)
        with subscribe(d) as ev:
            save(root, 'src/x.txt', '1\n')
            started = next_event(ev, 'run.started')
            phase = next_event(ev, 'phase.started')
            assert phase['phase'] == 'gen', phase
            done = next_event(ev, 'run.finished')
            assert done['status'] == 'ok', done
            # its write settles as a batch; the batch listener runs in the
            # same loop turn, so a request after the event sees its effect
            next_event(ev, 'files.changed', changed('out/stamp.txt'))
            assert [r['id'] for r in runs(d)] == [started['run']]
            # a real edit still triggers
            save(root, 'src/x.txt', '2\n')
            again = next_event(ev, 'run.started')
            assert again['run'] == started['run'] + 1, again
            next_event(ev, 'run.finished')


if __name__ == '__main__':
    run([test_ten_saves_one_rerun,
         test_restart_restarts_server,
         test_own_outputs_do_not_loop])
