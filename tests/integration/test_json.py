#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""One output style (issue 18 item 7): every ggenc command's --json output
is compact JSON (one value per line), and follows PROTOCOL.md's "Field
conventions": every member name is documented in PROTOCOL.md, names are
snake_case, *_ms are milliseconds with at most 3 decimals, *_rate at most
4, exit_code/signal are null rather than -1/0, a run object says `id` and
`phase` in `run`, `runs`, `logs` and `history` alike. Errors under --json
are the wire's error object on stderr, for daemon and local commands.
Human `events` output is text lines, never JSON."""
import json
import os
import queue
import re
import subprocess
import threading
import time

from harness import GGENC, IO_TIMEOUT, Daemon, ggenc, mktemp, run

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, '..', '..', 'protocol', 'PROTOCOL.md'),
          encoding='utf-8') as _f:
    PROTOCOL = _f.read()
DOCUMENTED = set(re.findall(r'`([a-z_][a-z0-9_]*)`', PROTOCOL)) | set(
    re.findall(r'"([a-z_][a-z0-9_]*)":', PROTOCOL))
# Members whose names are data, not protocol: error counts keyed by error
# code (section 6), the Chrome trace document (its own format).
OPAQUE = {'errors', 'trace'}
SNAKE = re.compile(r'^[a-z][a-z0-9_]*$')

MAKE = ('[project]\nname = "j"\n'
        '[lifecycle.ok]\ncommand = "echo out"\ninputs = ["src/*"]\n'
        'outputs = ["src"]\ncache = true\n'
        '[lifecycle.bad]\ncommand = "exit 3"\n'
        '[lifecycle.slow]\ncommand = "sleep 30"\n')


def check_value(where, v, problems):
    if isinstance(v, dict):
        for k, x in v.items():
            path = where + '.' + k
            if not SNAKE.match(k):
                problems.append('%s: not snake_case' % path)
            if k not in DOCUMENTED:
                problems.append('%s: not in PROTOCOL.md' % path)
            if k.endswith('_ms'):
                if x is not None and not isinstance(x, (int, float)):
                    problems.append('%s: %r is not a number' % (path, x))
                elif x is not None and abs(round(x, 3) - x) > 1e-9:
                    problems.append('%s: %r has over 3 decimals' % (path, x))
            if k.endswith('_rate') and x is not None and \
                    abs(round(x, 4) - x) > 1e-12:
                problems.append('%s: %r has over 4 decimals' % (path, x))
            if k == 'exit_code' and x is not None and x < 0:
                problems.append('%s: %r sentinel' % (path, x))
            if k == 'signal' and x is not None and x <= 0:
                problems.append('%s: %r sentinel' % (path, x))
            if k not in OPAQUE:
                check_value(path, x, problems)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            check_value('%s[%d]' % (where, i), x, problems)


def jrun(what, *args, sock=None, cwd=None, code=0):
    """ggenc --json ARGS: every stdout line parses and follows the rules;
    returns the list of values."""
    p = ggenc('--json', *args, sock=sock, cwd=cwd)
    assert p.returncode == code, (what, p.returncode, p.stderr)
    lines = [l for l in p.stdout.split('\n') if l]
    assert lines, (what, p.stdout)
    values, problems = [], []
    for line in lines:
        v = json.loads(line)       # one value per line: compact
        check_value(what, v, problems)
        values.append(v)
    assert not problems, problems
    return values


def subscribed(d, n=1):
    """Wait until exactly n subscribers are live (status round trips; an
    events or dev client subscribes after it starts, a killed one goes
    once the daemon sees its connection close)."""
    deadline = time.monotonic() + IO_TIMEOUT
    while True:
        with d.client() as c:
            st = c.call('status')['result']
        if st['clients']['subscribers'] == n:
            return
        assert time.monotonic() < deadline, st['clients']


def readline(proc):
    """The next stdout line of proc, failing instead of hanging: a reader
    thread per process feeds a queue."""
    q = getattr(proc, 'lines', None)
    if q is None:
        q = proc.lines = queue.Queue()

        def reader():
            for line in proc.stdout:
                q.put(line)
            q.put('')
        threading.Thread(target=reader, daemon=True).start()
    try:
        return q.get(timeout=IO_TIMEOUT)
    except queue.Empty:
        raise AssertionError('no output in %ss' % IO_TIMEOUT)


def run_object(r, what):
    for k in ('id', 'phase', 'root', 'status', 'duration_ms', 'exit_code',
              'signal', 'trigger', 'workspace'):
        assert k in r, (what, k, r)
    assert 'run' not in r, (what, r)


def test_every_command_json():
    root = os.path.join(mktemp(), 'p')
    os.makedirs(os.path.join(root, 'src'))
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write(MAKE)
    with open(os.path.join(root, 'src', 'a.txt'), 'w') as f:
        f.write('a\n')
    tpl = os.path.join(root, 't.tmpl')
    with open(tpl, 'w') as f:
        f.write('---\nto: out.txt\n---\nhi {{ name }}\n')
    seen = set()
    with Daemon() as d:
        s = d.sock

        def j(name, *args, **kw):
            seen.add(name)
            return jrun(name, name, *args, sock=s, **kw)

        events = subprocess.Popen([GGENC, '--json', 'events'],
                                  env=dict(os.environ, GGEN_SOCK=s),
                                  stdout=subprocess.PIPE, text=True)
        try:
            subscribed(d)
            j('watch', root)
            ok = j('run', 'ok', '--root', root)[-1]
            run_object(ok, 'run')
            assert ok['phases'] == ['ok'] and ok['exit_code'] == 0, ok
            cached = j('run', 'ok', '--root', root)[-1]
            assert (cached['status'], cached['exit_code'],
                    cached['signal']) == ('cached', None, None), cached
            # a failed run: exit 1 with --json too, the run as JSON
            bad = j('run', 'bad', '--root', root, code=1)[-1]
            assert (bad['status'], bad['exit_code']) == ('failed', 3), bad
        except AssertionError:
            events.kill()
            raise
        # the event stream: JSON lines only, each an event
        got, problems = [], []
        while len([e for e in got if e['event'] == 'run.finished']) < 3:
            line = readline(events)
            assert line, got
            e = json.loads(line)
            check_value('events', e, problems)
            got.append(e)
        events.kill()
        events.wait()
        seen.add('events')
        assert not problems, problems
        assert all(e['data']['run'] >= 1 for e in got if
                   e['event'].startswith('run.')), got
        # dev --json: its stream, one message per line, by the same rules
        subscribed(d, 0)
        dev = subprocess.Popen([GGENC, '--json', 'dev', '--root', root],
                               env=dict(os.environ, GGEN_SOCK=s),
                               stdout=subprocess.PIPE, text=True)
        try:
            subscribed(d, 1)
            assert ggenc('run', 'ok', '--root', root, '--force',
                         sock=s).returncode == 0
            msgs = []
            while not any(m.get('progress', {}).get('type') ==
                          'run.finished' for m in msgs):
                line = readline(dev)
                assert line, msgs
                msgs.append(json.loads(line))
                check_value('dev', msgs[-1], problems)
        finally:
            dev.kill()
            dev.wait()
        assert not problems, problems
        seen.add('dev')
        runs = j('runs', '--all')[0]['runs']
        for r in runs:
            run_object(r, 'runs')
        hist = j('history')[0]['runs']
        for r in hist:
            run_object(r, 'history')
        # the same run, the same names and values, in both
        h1 = [r for r in hist if r['id'] == ok['id']][0]
        r1 = [r for r in runs if r['id'] == ok['id']][0]
        for k in ('id', 'phase', 'root', 'status', 'exit_code', 'trigger'):
            assert h1[k] == r1[k], (k, h1, r1)
        run_object(j('logs', str(ok['id']))[0], 'logs')
        # the tail of a failed run is printed, not failed: exit 0 as
        # without --json (only --follow takes the run's status)
        tail = j('logs', str(bad['id']))[0]
        assert tail['status'] == 'failed' and 'output' in tail, tail
        h = ggenc('logs', str(bad['id']), sock=s)
        assert h.returncode == 0, h
        j('show', str(ok['id']))
        j('trace', str(ok['id']))
        j('diff', str(ok['id']), str(cached['id']))
        st = j('stats')[0]
        assert {p['phase'] for p in st['phases']} >= {'ok', 'bad'}, st
        j('trim', '--keep', '50')
        j('status')
        j('roots')
        j('changes', root)
        j('hash', os.path.join(root, 'src', 'a.txt'))
        j('config', 'get')
        j('config', 'set', 'log.level', 'info')
        j('reload')
        slow = j('run', 'slow', '--root', root, '--detach')[-1]
        j('cancel', str(slow['id']))
        j('validate', root)
        j('graph', '--root', root)
        j('render', tpl, '--var', 'name=x')
        p = ggenc('--json', 'init', mktemp(), sock=s)  # nothing to use
        assert p.returncode == 1 and json.loads(p.stderr)['code'] == \
            'not_found', p.stderr
        j('version')
        j('help')
        j('unwatch', root)
        r = j('restart')[0]
        assert r['started']['pid'] != d.proc.pid, r
        new = r['started']['pid']
        j('shutdown')
        assert d.proc.wait(IO_TIMEOUT) == 0
    # init writes in its own tree
    proj = os.path.join(mktemp(), 'q')
    os.makedirs(proj)
    with open(os.path.join(proj, 'go.mod'), 'w') as f:
        f.write('module q\n')
    seen.add('init')
    jrun('init', 'init', proj)
    # every visible command was exercised
    names = [c['name'] for c in jrun('help', 'help')[0]['commands']]
    assert sorted(set(names) - seen) == [], sorted(set(names) - seen)
    assert new > 0


def test_errors_under_json():
    with Daemon() as d:
        p = ggenc('--json', 'show', '999', sock=d.sock)
        assert p.returncode == 1 and p.stdout == '', p
        e = json.loads(p.stderr)
        assert e['code'] == 'run_not_found' and e['message'], e
    bad = os.path.join(mktemp(), 'bad.tmpl')
    with open(bad, 'w') as f:
        f.write('{{ x \n')
    p = ggenc('--json', 'render', bad, '--to', '-', sock='/nonexistent/s')
    assert p.returncode == 1, p
    e = json.loads(p.stderr.strip().splitlines()[-1])
    assert e['code'] == 'template_error' and e['line'] == 1, e
    assert e['file'].endswith('bad.tmpl'), e
    # ggenc's own failures too: no daemon (exit 3), usage (exit 2, with
    # the usage line); stdout stays empty. Without --json: text as before.
    nosock = os.path.join(mktemp(), 'none.sock')
    for args in (['status'], ['history'], ['shutdown']):
        p = ggenc('--json', '--no-start', *args, sock=nosock)
        assert p.returncode == 3 and p.stdout == '', p
        e = json.loads(p.stderr)
        assert e['code'] == 'unreachable' and nosock in e['message'], e
    p = ggenc('--no-start', 'status', sock=nosock)
    assert p.returncode == 3 and p.stderr.startswith('ggenc: cannot '), p
    for args, usage in ((['diff'], 'ggenc diff RUN_A RUN_B'),
                        (['status', '--bogus'], 'ggenc status [--short]'),
                        (['frob'], 'ggenc [--socket PATH]')):
        p = ggenc('--json', *args, sock=nosock)
        assert p.returncode == 2 and p.stdout == '', p
        e = json.loads(p.stderr)
        assert e['code'] == 'invalid' and e['usage'].startswith(usage), e
        assert e['message'], e
    p = ggenc('status', '--bogus', sock=nosock)
    assert p.returncode == 2, p
    assert p.stderr == ('ggenc: unknown option "--bogus" for "status"\n'
                        'usage: ggenc status [--short]\n'), p


def test_human_events_are_text():
    root = os.path.join(mktemp(), 'p')
    os.makedirs(os.path.join(root, 'src'))
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write(MAKE)
    with Daemon() as d:
        ev = subprocess.Popen([GGENC, 'events'],
                              env=dict(os.environ, GGEN_SOCK=d.sock),
                              stdout=subprocess.PIPE, text=True)
        try:
            subscribed(d)
            assert ggenc('run', 'ok', '--root', root,
                         sock=d.sock).returncode == 0
            lines = []
            while not any(' finished: ' in l for l in lines):
                line = readline(ev)
                assert line, lines
                lines.append(line)
        finally:
            ev.kill()
            ev.wait()
        for l in lines:
            assert '{' not in l and '"' not in l, l
        assert any(l.startswith('run ') and ' started: ok (manual) in ' in l
                   for l in lines), lines
        assert any(re.match(r'run \d+ finished: ok \(manual\) in .* -> ok, '
                            r'\d+\.\d ms$', l) for l in lines), lines


if __name__ == '__main__':
    run([test_every_command_json, test_errors_under_json,
         test_human_events_are_text])
