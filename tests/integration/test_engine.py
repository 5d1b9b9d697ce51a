#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The lifecycle engine through a real ggend: the ggen fixtures F1-F3 (copied
from tests/data/ggen into temp dirs; missing under CI=true fails),
hook order, failures stopping the pipeline, timeouts killing grandchildren,
cancel, cache hits and their invalidation, the recursion error, dry runs,
logs/runs and ggenc's exit codes."""
import os
import shutil
import socket
import time

from harness import Daemon, ggenc, mktemp, run

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'data', 'ggen')


class Missing(Exception):
    pass


def fixture(name):
    """A private copy of fixture dir name."""
    src = os.path.join(FIXTURES, name)
    if not os.path.isdir(src):
        if os.environ.get('CI') == 'true':
            raise AssertionError('fixture %s missing under CI=true' % src)
        raise Missing(src)
    dst = os.path.join(mktemp(), name)
    shutil.copytree(src, dst)
    return dst


def project(toml, files=None):
    """A temp root with make.toml text and extra files {rel: text}."""
    root = os.path.join(mktemp(), 'p')
    os.makedirs(root)
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write('[project]\nname = "t"\n' + toml)
    for rel, text in (files or {}).items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
    return root


def request(d, cmd='run', **fields):
    """Send one request; return (reply, [progress...])."""
    prog = []
    with d.client() as c:
        rid = c.request(cmd, **fields)
        while True:
            m = c.recv()
            if 'progress' in m:
                assert m['id'] == rid, m
                prog.append(m['progress'])
            elif m.get('id') == rid:
                return m, prog


def run_ok(d, root, *phases, **fields):
    reply, prog = request(d, phases=list(phases), root=root, **fields)
    assert reply['ok'], reply
    return reply['result'], prog


def of_type(prog, t):
    return [p for p in prog if p['type'] == t]


def output(prog):
    return ''.join(p['data'] for p in of_type(prog, 'output'))


def skip_missing(fn):
    def wrapper():
        try:
            fn()
        except Missing as e:
            print('# fixture %s missing: not checked' % e)
    wrapper.__name__ = fn.__name__
    return wrapper


@skip_missing
def test_f1_build_runs_test_lint_build():
    root = fixture('F1-example')
    with Daemon() as d:
        res, prog = run_ok(d, root, 'build')
        assert res['status'] == 'ok', res
        started = [p['phase'] for p in of_type(prog, 'phase.started')]
        assert started == ['test', 'lint', 'build'], started
        hooks = [p['hook'] for p in of_type(prog, 'phase.started')]
        assert hooks == [True, True, False], hooks
        out = output(prog)
        assert out.index('Running tests') < out.index('Linting') < \
            out.index('Building project'), out
        assert res['steps'] == 3 and res['steps_done'] == 3, res


@skip_missing
def test_f2_init_then_build_four_records():
    root = fixture('F2-integration')
    with Daemon() as d:
        res1, prog1 = run_ok(d, root, 'init')
        res2, prog2 = run_ok(d, root, 'build')
        assert res1['status'] == 'ok' and res2['status'] == 'ok'
        records = of_type(prog1, 'phase.finished') + \
            of_type(prog2, 'phase.finished')
        assert len(records) == 4, records
        assert [p['phase'] for p in of_type(prog2, 'phase.started')] == \
            ['test', 'lint', 'build']
        with open(os.path.join(root, 'src', 'test.txt')) as f:
            assert f.read() == 'test\n'
        reply, _ = request(d, phases=['deploy'], root=root)
        assert not reply['ok'], reply
        assert reply['error']['code'] == 'phase_not_found', reply
        assert 'not found' in reply['error']['message']
        assert '"deploy"' in reply['error']['message'], reply


@skip_missing
def test_f3_workspaces_concurrently():
    root = fixture('F3-parallel')
    with Daemon() as d:
        res, prog = run_ok(d, root, 'timestamp', jobs=3)
        assert res['status'] == 'ok', res
        phase = [p for p in prog if p['type'].startswith('phase.')]
        # all three started before any finished: they overlapped
        assert [p['type'] for p in phase[:3]] == ['phase.started'] * 3, phase
        assert sorted(p['workspace'] for p in phase[:3]) == \
            ['workspace1', 'workspace2', 'workspace3'], phase
        for n in (1, 2, 3):
            path = os.path.join(root, 'workspace%d' % n, 'timestamp.txt')
            with open(path) as f:
                assert f.read().strip().isdigit(), path
        # and at the default job count through ggenc
        r = ggenc('run', 'timestamp', '--root', root, sock=d.sock)
        assert r.returncode == 0, r.stderr
        assert r.stderr.count('ggen: < timestamp [workspace') == 3, r.stderr


@skip_missing
def test_f3_failing_workspace_named_after_others_finish():
    root = fixture('F3-parallel')
    ws2 = os.path.join(root, 'workspace2', 'make.toml')
    with open(ws2) as f:
        text = f.read()
    with open(ws2, 'w') as f:
        f.write(text.replace('command = "date +%s%N > timestamp.txt"',
                             'command = "exit 1"'))
    with Daemon() as d:
        res, prog = run_ok(d, root, 'timestamp', jobs=3)
        assert res['status'] == 'failed', res
        assert 'workspace "workspace2"' in res['message'], res
        assert 'exited with code 1' in res['message'], res
        done = {p['workspace']: p['status']
                for p in of_type(prog, 'phase.finished')}
        assert done == {'workspace1': 'ok', 'workspace2': 'failed',
                        'workspace3': 'ok'}, done
        for n in (1, 3):
            assert os.path.exists(os.path.join(root, 'workspace%d' % n,
                                               'timestamp.txt'))
        r = ggenc('run', 'timestamp', '--root', root, sock=d.sock)
        assert r.returncode == 1, r
        assert 'workspace "workspace2"' in r.stderr, r.stderr


@skip_missing
def test_f3_workspace_targets():
    root = fixture('F3-parallel')
    with Daemon() as d:
        r = ggenc('run', 'timestamp', '--workspace', 'workspace2', '--root',
                  root, sock=d.sock)
        assert r.returncode == 0, r
        have = [os.path.exists(os.path.join(root, w, 'timestamp.txt'))
                for w in ('workspace1', 'workspace2', 'workspace3', '.')]
        assert have == [False, True, False, False], have
        r = ggenc('run', 'timestamp', '--workspace', '.', '--root', root,
                  sock=d.sock)
        assert r.returncode == 0, r
        assert os.path.exists(os.path.join(root, 'timestamp.txt'))
        r = ggenc('run', 'timestamp', '--workspace', 'workspace', '--root',
                  root, sock=d.sock)
        assert r.returncode != 0, r
        assert 'workspace "workspace" not found; did you mean ' \
            '"workspace' in r.stderr, r.stderr
        assert 'workspace_not_found' in r.stderr, r.stderr
        r = ggenc('run', 'timestamp', '--all-workspaces', '--jobs', '1',
                  '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        reply, _ = request(d, phases=['timestamp'], root=root,
                           workspace='workspace1', all_workspaces=True)
        assert reply['error']['code'] == 'invalid', reply


def test_parallel_hooks_overlap():
    root = project('[lifecycle.a]\ncommand = "echo a"\n'
                   '[lifecycle.b]\ncommand = "echo b"\n'
                   '[lifecycle.c]\ncommand = "echo c"\n'
                   '[lifecycle.top]\ncommand = "echo top"\n'
                   '[hooks]\nparallel = true\n'
                   'before_top = ["a", "b", "c"]\n')
    with Daemon() as d:
        res, prog = run_ok(d, root, 'top', jobs=3)
        assert res['status'] == 'ok', res
        phase = [(p['type'], p['phase']) for p in prog
                 if p['type'].startswith('phase.')]
        assert [t for t, _ in phase[:3]] == ['phase.started'] * 3, phase
        assert sorted(n for _, n in phase[:3]) == ['a', 'b', 'c'], phase
        assert phase[-2:] == [('phase.started', 'top'),
                              ('phase.finished', 'top')], phase
        # --jobs 1: one at a time, in list order
        res, prog = run_ok(d, root, 'top', jobs=1)
        phase = [(p['type'], p['phase']) for p in prog
                 if p['type'].startswith('phase.')]
        assert phase[:4] == [('phase.started', 'a'), ('phase.finished', 'a'),
                             ('phase.started', 'b'),
                             ('phase.finished', 'b')], phase


def test_parallel_workspace_output_prefixed():
    root = project('[workspace.w1]\npath = "w1"\n'
                   '[workspace.w2]\npath = "w2"\n'
                   '[lifecycle.t]\ncommand = "echo one; printf two"\n'
                   'parallel = true\n', {'w1/.keep': '', 'w2/.keep': ''})
    with Daemon() as d:
        res, prog = run_ok(d, root, 't', jobs=2)
        assert res['status'] == 'ok', res
        lines = sorted(output(prog).replace('two[', 'two\n[').splitlines())
        assert lines == ['[w1] one', '[w1] two', '[w2] one', '[w2] two'], \
            output(prog)
        # one at a time: nothing to tell apart, no prefix
        res, prog = run_ok(d, root, 't', jobs=1)
        assert output(prog) == 'one\ntwoone\ntwo', output(prog)


def test_events_of_a_run():
    root = project('[lifecycle.lint]\ncommand = "true"\n'
                   '[lifecycle.build]\ncommand = "echo b"\n'
                   '[hooks]\nbefore_build = ["lint"]\n')
    with Daemon() as d:
        with d.client() as ev:
            ev.request('events')
            assert ev.recv()['progress'] == {'subscribed': True}
            res, _ = run_ok(d, root, 'build')
            names, seen = [], {}
            while 'run.finished' not in seen:
                m = ev.recv()
                if m.get('event', '').startswith(('run.', 'phase.')):
                    names.append(m['event'])
                    seen[m['event']] = m['data']
        assert names == ['run.queued', 'run.started', 'phase.started',
                         'phase.finished', 'phase.started',
                         'phase.finished', 'run.finished'], names
        assert seen['run.started']['run'] == res['id']
        assert seen['run.started']['trigger'] == 'manual'
        assert seen['phase.finished']['phase'] == 'build'
        assert seen['phase.finished']['duration_ms'] >= 0
        assert seen['run.finished']['status'] == 'ok'
        assert seen['run.finished']['duration_ms'] >= 0


def test_failing_command_stops_pipeline():
    root = project('[lifecycle.test]\ncommands = ["echo testing", '
                   '"exit 3", "touch after-fail"]\n'
                   '[lifecycle.build]\ncommand = "touch built"\n'
                   '[hooks]\nbefore_build = ["test"]\n'
                   'on_error = ["touch on-error"]\n'
                   'on_success = ["touch on-success"]\n')
    with Daemon() as d:
        res, prog = run_ok(d, root, 'build')
        assert res['status'] == 'failed', res
        assert res['exit_code'] == 3, res
        assert res['message'] == ('phase "test": command "exit 3" exited '
                                  'with code 3'), res
        assert [p['phase'] for p in of_type(prog, 'phase.started')] == \
            ['test'], prog
        assert not os.path.exists(os.path.join(root, 'built'))
        assert not os.path.exists(os.path.join(root, 'after-fail'))
        assert os.path.exists(os.path.join(root, 'on-error'))
        assert not os.path.exists(os.path.join(root, 'on-success'))
        r = ggenc('run', 'build', '--root', root, sock=d.sock)
        assert r.returncode == 1, r
        assert 'testing' in r.stdout, r.stdout
        assert 'exited with code 3' in r.stderr, r.stderr


def test_env_and_on_success():
    root = project('[lifecycle.show]\ncommand = "echo $GGEN_PHASE '
                   '$GGEN_RUN_ID $GGEN_ROOT $MYVAR > env.txt"\n'
                   'env = { MYVAR = "v1" }\n'
                   '[hooks]\non_success = ["touch on-success", '
                   '"echo $GGEN_ROOT > post-env.txt"]\n')
    with Daemon() as d:
        res, _ = run_ok(d, root, 'show')
        assert res['status'] == 'ok', res
        with open(os.path.join(root, 'env.txt')) as f:
            assert f.read().split() == ['show', str(res['id']), root,
                                        'v1']
        assert os.path.exists(os.path.join(root, 'on-success'))
        with open(os.path.join(root, 'post-env.txt')) as f:
            assert f.read().strip() == root


def test_templates_render_before_commands():
    root = project('[vars]\nname = "ggen"\n'
                   '[lifecycle.gen]\ntemplates = ["templates/**/*.tmpl"]\n'
                   'command = "cat hello.txt"\n',
                   {'templates/hello.txt.tmpl': 'Hello {{ name }}!\n'})
    with Daemon() as d:
        res, prog = run_ok(d, root, 'gen')
        assert res['status'] == 'ok', res
        assert output(prog) == 'Hello ggen!\n', prog
        with open(os.path.join(root, 'templates', 'hello.txt.tmpl'),
                  'w') as f:
            f.write('line one\nHello {{ nobody }}!\n')
        res, prog = run_ok(d, root, 'gen')
        assert res['status'] == 'failed', res
        assert res['message'].startswith('phase "gen": render: '), res
        assert 'hello.txt.tmpl:2:' in res['message'], res
        assert 'nobody' in res['message'], res
        assert output(prog) == '', prog


def test_timeout_kills_grandchild():
    root = project('[lifecycle.hang]\ncommand = "sleep 1000 & echo $! > '
                   'gc.pid; wait"\ntimeout = 1\n')
    with Daemon() as d:
        res, _ = run_ok(d, root, 'hang')
        assert res['status'] == 'timeout', res
        assert 'timed out after 1 s' in res['message'], res
        with open(os.path.join(root, 'gc.pid')) as f:
            pid = int(f.read())
        assert not os.path.exists('/proc/%d' % pid), pid


def test_cancel():
    root = project('[lifecycle.slow]\ncommand = "echo begun; exec sleep '
                   '30"\n')
    with Daemon() as d:
        with d.client() as a:
            rid = a.request('run', phases=['slow'], root=root)
            run_id = None
            while True:
                m = a.recv()
                p = m['progress']
                if p['type'] == 'started':
                    run_id = p['run']
                if p['type'] == 'output' and 'begun' in p['data']:
                    break
            r = ggenc('runs', sock=d.sock)
            assert r.returncode == 0 and 'running' in r.stdout, r
            t0 = time.monotonic()
            r = ggenc('cancel', str(run_id), sock=d.sock)
            assert r.returncode == 0, r
            while True:
                m = a.recv()
                if m.get('id') == rid and 'progress' not in m:
                    break
            assert m['result']['status'] == 'cancelled', m
            assert time.monotonic() - t0 < 10
        reply, _ = request(d, 'cancel', run=run_id)
        assert reply['error']['code'] == 'run_not_found', reply
        r = ggenc('cancel', '424242', sock=d.sock)
        assert r.returncode != 0 and 'run_not_found' in r.stderr, r


def test_client_hangup_cancels_its_run():
    root = project('[lifecycle.slow]\ncommand = "echo begun; exec sleep '
                   '30"\n')
    with Daemon() as d:
        with d.client() as ev:
            ev.request('events')
            assert ev.recv()['progress'] == {'subscribed': True}
            with d.client() as a:
                a.request('run', phases=['slow'], root=root)
                while True:
                    p = a.recv()['progress']
                    if p['type'] == 'output' and 'begun' in p['data']:
                        break
            # the client is gone: its run is cancelled
            while True:
                m = ev.recv()
                if m.get('event') == 'run.finished':
                    break
            assert m['data']['status'] == 'cancelled', m
            # logs --follow hanging up leaves the run alone
            r = ggenc('run', 'slow', '--detach', '--root', root, sock=d.sock)
            run_id = int(r.stdout)
            with d.client() as f:
                f.request('logs', run=run_id, follow=True)
                while 'begun' not in f.recv()['progress'].get('data', ''):
                    pass
            reply, _ = request(d, 'runs')
            assert [x['status'] for x in reply['result']['runs']] == \
                ['running'], reply
            reply, _ = request(d, 'cancel', run=run_id)
            assert reply['ok'], reply


def test_queued_run_waits_and_cancels():
    root = project('[lifecycle.slow]\ncommand = "exec sleep 30"\n'
                   '[lifecycle.quick]\ncommand = "echo quick"\n')
    with Daemon() as d:
        r = ggenc('run', 'slow', '--detach', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        first = int(r.stdout)
        # another phase of the same root runs at once, next to it
        res, _ = run_ok(d, root, 'quick')
        assert res['status'] == 'ok', res
        with d.client() as c:
            rid = c.request('run', phases=['slow'], root=root)
            m = c.recv()
            assert m['progress'] == {'type': 'queued',
                                     'run': first + 2}, m
            r = ggenc('runs', sock=d.sock)
            lines = r.stdout.splitlines()
            assert len(lines) == 3, r.stdout
            assert ' running ' in lines[1] and ' queued ' in lines[2], lines
            r = ggenc('cancel', str(first + 2), sock=d.sock)
            assert r.returncode == 0, r
            m = c.recv()
            assert m['id'] == rid and m['result']['status'] == 'cancelled'
        reply, _ = request(d, 'cancel', run=first)
        assert reply['ok'], reply
        res, _ = request(d, 'runs', all=True)
        got = {x['id']: x['status'] for x in res['result']['runs']}
        assert got[first + 1] == 'ok' and got[first + 2] == 'cancelled', got
        assert got[first] in ('running', 'cancelled'), got


def test_cache_content_not_touch():
    root = project('[lifecycle.build]\ncommand = "cat src/a.c > out.txt; '
                   'echo built"\ninputs = ["src/*.c"]\n'
                   'outputs = ["out.txt"]\ncache = true\n',
                   {'src/a.c': 'int a;\n', 'notes.txt': 'x\n'})
    tmp = mktemp()
    with Daemon(tmp=tmp) as d:
        res, prog = run_ok(d, root, 'build')
        assert res['status'] == 'ok' and 'built' in output(prog), res
        res, prog = run_ok(d, root, 'build')
        assert res['status'] == 'cached', res
        assert output(prog) == '', prog
        # touch: same content, still a hit; an unrelated file neither
        os.utime(os.path.join(root, 'src', 'a.c'))
        with open(os.path.join(root, 'notes.txt'), 'w') as f:
            f.write('y\n')
        res, _ = run_ok(d, root, 'build')
        assert res['status'] == 'cached', res
        with open(os.path.join(root, 'src', 'a.c'), 'w') as f:
            f.write('int b;\n')
        res, _ = run_ok(d, root, 'build')
        assert res['status'] == 'ok', res
        with open(os.path.join(root, 'out.txt')) as f:
            assert f.read() == 'int b;\n'
        res, _ = run_ok(d, root, 'build', force=True)
        assert res['status'] == 'ok', res
        r = ggenc('run', 'build', '--root', root, sock=d.sock)
        assert r.returncode == 0 and 'cached' in r.stderr, r
    # a restarted daemon keeps the hit (state file)
    with Daemon(tmp=tmp) as d:
        res, _ = run_ok(d, root, 'build')
        assert res['status'] == 'cached', res
        # A gone output is restored from the output store (issue #16),
        # not rebuilt: the command's "built" does not appear.
        os.unlink(os.path.join(root, 'out.txt'))
        res, prog = run_ok(d, root, 'build')
        assert res['status'] == 'cached', res
        assert 'cached (restored)' in output(prog), output(prog)
        with open(os.path.join(root, 'out.txt')) as f:
            assert f.read() == 'int b;\n'


def test_dry_run_shows_cache_decisions():
    root = project('[lifecycle.build]\ncommand = "echo x > out.txt"\n'
                   'inputs = ["*.c"]\noutputs = ["out.txt"]\ncache = true\n'
                   '[lifecycle.lint]\ncommand = "true"\n'
                   '[hooks]\nbefore_build = ["lint"]\n', {'a.c': '1\n'})
    with Daemon() as d:
        res, _ = run_ok(d, root, 'build', dry_run=True)
        steps = [(s['phase'], s['cache']) for s in res['steps']]
        assert steps == [('lint', 'off'), ('build', 'miss')], res
        assert res['steps'][1]['reason'] == 'no previous key', res
        assert len(res['steps'][1]['key']) == 64, res
        assert not os.path.exists(os.path.join(root, 'out.txt'))
        run_ok(d, root, 'build')
        res, _ = run_ok(d, root, 'build', dry_run=True)
        assert res['steps'][1]['cache'] == 'hit', res
        res, _ = run_ok(d, root, 'build', dry_run=True, force=True)
        assert res['steps'][1]['cache'] == 'forced', res
        with open(os.path.join(root, 'a.c'), 'w') as f:
            f.write('2\n')
        r = ggenc('run', 'build', '--dry-run', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        assert 'build: cache miss (key changed)' in r.stdout, r.stdout
        assert 'lint  before build (hooks.before_build): cache off' in \
            r.stdout, r.stdout
        assert '    $ echo x > out.txt' in r.stdout, r.stdout



def test_dry_run_keys_off_the_loop():
    """A dry run on an unwatched root walks and hashes its inputs on the
    engine's worker: while it is in flight (a 512 MiB sparse input), other
    clients are answered, several round trips in a row; its reply then
    has the key. A client that hangs up mid-hash leaves the daemon
    well (its result is dropped)."""
    files = {'src/%03d.c' % i: '%d\n' % i for i in range(300)}
    root = project('[lifecycle.build]\ncommand = "true"\n'
                   'inputs = ["**"]\ncache = true\n', files)
    with open(os.path.join(root, 'big.bin'), 'wb') as f:
        f.truncate(512 << 20)
    with Daemon() as d:
        dry = d.client()
        dry.sock.settimeout(120.0)
        rid = dry.request('run', phases=['build'], root=root, dry_run=True)
        answered = 0
        with d.client() as other:
            for _ in range(3):
                assert other.call('hello', proto=1)['ok']
                dry.sock.setblocking(False)
                try:
                    early = dry.sock.recv(1, socket.MSG_PEEK)
                except BlockingIOError:
                    early = b''
                dry.sock.settimeout(120.0)
                assert early == b'', 'the dry run answered before ' \
                    'hello: it held the loop'
                answered += 1
        assert answered == 3
        while True:
            m = dry.recv()
            if m.get('id') == rid:
                break
        dry.close()
        assert m['ok'], m
        step = m['result']['steps'][0]
        assert step['cache'] == 'miss' and len(step['key']) == 64, step
        # Hang up while the keys hash: the result is dropped, all is well.
        # (A smaller input from here: less load on the machine.)
        with open(os.path.join(root, 'big.bin'), 'r+b') as f:
            f.truncate(64 << 20)
        gone = d.client()
        gone.request('run', phases=['build'], root=root, dry_run=True)
        gone.close()
        with d.client() as c:
            assert c.call('hello', proto=1)['ok']
            assert c.call('status')['ok']
        res, _ = run_ok(d, root, 'build', dry_run=True)
        again = res['steps'][0]
        assert again['cache'] == 'miss' and len(again['key']) == 64, res
        assert again['key'] != step['key'], (again, step)


def test_shutdown_during_dry_run_replies():
    """A dry run still hashing when the daemon is told to stop gets a
    final reply (shutting_down), and the daemon exits cleanly."""
    root = project('[lifecycle.build]\ncommand = "true"\n'
                   'inputs = ["**"]\ncache = true\n', {'a.c': '1\n'})
    with open(os.path.join(root, 'big.bin'), 'wb') as f:
        f.truncate(512 << 20)
    d = Daemon()
    with d:
        dry = d.client()
        rid = dry.request('run', phases=['build'], root=root, dry_run=True)
        with d.client() as q:
            assert q.call('hello', proto=1)['ok']
            assert q.call('shutdown')['ok']
        while True:
            m = dry.recv()
            if m.get('id') == rid:
                break
        dry.close()
        # Hashing 512 MiB outlasts two round trips: the stop came first.
        assert not m['ok'], m
        assert m['error']['code'] == 'shutting_down', m
        assert d.wait() == 0


def test_dry_run_names_a_command_hook_once():
    """Hooks read as in `ggenc graph` (make.toml(5)'s words); a hook
    written as commands is a phase named after its hook, said as such,
    not `before_build (before_build)`."""
    root = project('[lifecycle.build]\ncommand = "echo b"\n'
                   '[lifecycle.lint]\ncommand = "true"\n'
                   '[hooks]\nbefore_all = ["lint"]\n'
                   '[hooks.before_build]\ncommands = ["echo pre"]\n', {})
    with Daemon() as d:
        r = ggenc('run', 'build', '--dry-run', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        lines = [l for l in r.stdout.splitlines() if not l.startswith(' ')]
        assert lines == [
            "lint  before the run's phases (hooks.before_all): cache off",
            'before_build  before build ([hooks.before_build] commands): '
            'cache off', 'build: cache off', 'environment: none'], r.stdout
        g = ggenc('graph', 'build', '--root', root, sock=d.sock)
        assert g.returncode == 0, g
        assert "before the run's phases (hooks.before_all)" in g.stdout, \
            g.stdout
        assert 'before build ([hooks.before_build] commands)' in \
            g.stdout, g.stdout
        assert '    $ echo pre' in r.stdout, r.stdout


def test_hook_recursion_error():
    root = project('[lifecycle.build]\ncommand = "true"\n'
                   '[lifecycle.test]\ncommand = "true"\n'
                   '[hooks]\nbefore_build = ["test"]\n'
                   'before_test = ["build"]\n')
    with Daemon() as d:
        reply, _ = request(d, phases=['build'], root=root)
        assert not reply['ok'], reply
        assert reply['error']['code'] == 'recursion', reply
        assert 'build -> test -> build' in reply['error']['message'], reply
        r = ggenc('run', 'build', '--root', root, sock=d.sock)
        assert r.returncode == 1, r
        assert 'build -> test -> build' in r.stderr, r.stderr


def test_exit_codes_logs_runs():
    root = project('[lifecycle.ok]\ncommand = "echo fine"\n'
                   '[lifecycle.bad]\ncommand = "echo oops >&2; exit 7"\n')
    with Daemon() as d:
        r = ggenc('run', 'ok', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        assert r.stdout == 'fine\n', r.stdout
        assert 'ggen: run 1 ok' in r.stderr, r.stderr
        r = ggenc('run', 'bad', '--root', root, sock=d.sock)
        assert r.returncode == 1, r
        assert 'oops' in r.stderr and 'exited with code 7' in r.stderr
        r = ggenc('run', 'okk', '--root', root, sock=d.sock)
        assert r.returncode == 1, r
        assert 'did you mean "ok"?' in r.stderr, r.stderr
        r = ggenc('run', '--root', root, sock=d.sock)
        assert r.returncode == 2 and 'too few arguments' in r.stderr, r
        r = ggenc('run', 'ok', '--root', '/nonexistent/x', sock=d.sock)
        assert r.returncode != 0 and '/nonexistent/x' in r.stderr, r
        r = ggenc('run', 'ok', '--bogus', '--root', root, sock=d.sock)
        assert r.returncode != 0 and '--bogus' in r.stderr, r
        r = ggenc('logs', '1', sock=d.sock)
        assert r.returncode == 0 and r.stdout == 'fine\n', r
        r = ggenc('logs', '2', '--follow', sock=d.sock)
        assert r.returncode == 1 and 'oops' in r.stderr, r
        r = ggenc('logs', '99', sock=d.sock)
        assert r.returncode != 0 and 'run_not_found' in r.stderr, r
        r = ggenc('runs', '--all', sock=d.sock)
        assert r.returncode == 0, r
        assert ' ok ' in r.stdout and ' failed ' in r.stdout, r.stdout
        r = ggenc('status', sock=d.sock)
        assert 'runs      0 running, 0 queued, 2 recent' in r.stdout, r
        r = ggenc('run', 'ok', '--detach', '--root', root, sock=d.sock)
        assert r.returncode == 0 and r.stdout.strip().isdigit(), r
        # A root whose make.toml never parsed has no model to fall back
        # on (an invalid edit of a good one: test_hotmodel.py).
        bad = project('[lifecycle.ok]\ncommand = "echo fine"\n'
                      '[lifecycle.broken]\ncommand = 3\n')
        reply, _ = request(d, phases=['ok'], root=bad)
        assert not reply['ok'], reply
        err = reply['error']
        assert err['file'].endswith('make.toml') and err['line'] == 6, err
        r = ggenc('run', 'ok', '--root', bad, sock=d.sock)
        assert r.returncode != 0 and 'make.toml:6:' in r.stderr, r.stderr


if __name__ == '__main__':
    run([test_f1_build_runs_test_lint_build,
         test_f2_init_then_build_four_records,
         test_f3_workspaces_concurrently,
         test_f3_failing_workspace_named_after_others_finish,
         test_f3_workspace_targets,
         test_parallel_hooks_overlap,
         test_parallel_workspace_output_prefixed,
         test_events_of_a_run,
         test_failing_command_stops_pipeline,
         test_env_and_on_success,
         test_templates_render_before_commands,
         test_timeout_kills_grandchild,
         test_cancel,
         test_client_hangup_cancels_its_run,
         test_queued_run_waits_and_cancels,
         test_cache_content_not_touch,
         test_dry_run_shows_cache_decisions,
         test_dry_run_keys_off_the_loop,
         test_shutdown_during_dry_run_replies,
         test_dry_run_names_a_command_hook_once,
         test_hook_recursion_error,
         test_exit_codes_logs_runs])
