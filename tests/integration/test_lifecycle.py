#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ggen's real make.toml files run (issue 14, make.toml(5)), through a real
ggend and ggenc:

- every file of tests/data/ggen/real/ gives its README result through
  `ggenc validate` and through a daemon's `run --dry-run` (each phase);
- depends_on: topological order, a failed phase stops its dependents while
  independent ones finish, --jobs runs branches concurrently with each
  output line prefixed by its phase;
- environments: -e NAME overrides with GGEN_ENV visible to the command,
  $GGEN_ENV with detect = "auto", the environment on-save runs use;
- command hooks around their phase, on_error as one string;
- first_run_only skipped on the second run, requires_approval refused
  without a terminal and never run on save;
- an invalid make.toml: validate reflects the file on disk, manual runs
  refuse with the errors, nothing runs on save, status shows the error;
- generated files rebuild what uses them (examples/hello: a new greeting
  in [vars] runs build), a phase retriggering itself is stopped;
- `ggenc graph` in text, dot (rendered by Graphviz's dot) and Mermaid.

Waits on events and replies, never on bare sleeps."""
import json
import os
import pty
import re
import select
import shutil
import subprocess
import time
import tomllib

from harness import GGENC, Daemon, ggenc, mktemp, run, skip_unless

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', 'data', 'ggen')
REAL = os.path.join(DATA, 'real')
HELLO = os.path.join(HERE, '..', '..', 'examples', 'hello')


def real(name):
    """A private root named after the file, holding it as make.toml."""
    root = os.path.join(mktemp(), name)
    os.makedirs(root)
    shutil.copyfile(os.path.join(REAL, name + '.make.toml'),
                    os.path.join(root, 'make.toml'))
    return os.path.realpath(root)


def project(toml, files=None):
    root = os.path.join(mktemp(), 'p')
    os.makedirs(root)
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write('[project]\nname = "t"\n' + toml)
    for rel, text in (files or {}).items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
    return os.path.realpath(root)


def save(root, rel, text):
    path = os.path.join(root, rel)
    tmp = path + '.tmp~'
    with open(tmp, 'w') as f:
        f.write(text)
    os.rename(tmp, path)


def read(root, rel):
    with open(os.path.join(root, rel)) as f:
        return f.read()


def request(d, cmd='run', **fields):
    """One request; returns (reply, [progress...])."""
    prog = []
    with d.client() as c:
        rid = c.request(cmd, **fields)
        while True:
            m = c.recv()
            if 'progress' in m:
                prog.append(m['progress'])
            elif m.get('id') == rid:
                return m, prog


def dry(d, root, *phases, **fields):
    reply, _ = request(d, phases=list(phases), root=root, dry_run=True,
                       **fields)
    return reply


def main_steps(result):
    """Names of the steps that are not hooks, in order."""
    return [s['phase'] for s in result['steps'] if 'hook' not in s]


def validate(*args, cwd=None):
    env = dict(os.environ)
    env['GGEN_SOCK'] = os.path.join(mktemp(), 'none.sock')
    return ggenc('--json', 'validate', *args, cwd=cwd, env=env)


def subscribe(d):
    c = d.client()
    c.request('events')
    assert c.recv()['progress'] == {'subscribed': True}
    return c


def next_event(c, name, pred=lambda data: True):
    while True:
        m = c.recv()
        if m.get('event') == name and pred(m['data']):
            return m['data']


def watch(d, root):
    with d.client() as c:
        rid = c.request('watch', root=root)
        while True:
            m = c.recv()
            if m.get('id') == rid and 'progress' not in m:
                assert m['ok'], m
                return


def runs(d):
    with d.client() as c:
        reply = c.call('runs', all=True)
    assert reply['ok'], reply
    return reply['result']['runs']


# The README of tests/data/ggen, file by file: (valid, rules of findings).
VALID = ['advanced-cli-tool', 'advanced-rust-api-8020',
         'advanced-rust-project', 'cli-advanced',
         'comprehensive-rust-showcase',
         'maturity-matrix-showcase__level3-medium', 'perf-library']


def test_real_files_validate():
    for name in VALID:
        p = validate(cwd=real(name))
        assert p.returncode == 0, (name, p.stdout, p.stderr)
        res = json.loads(p.stdout)
        assert res['errors'] == 0, (name, res)
        # never a wrong-type or unknown-key error on ggen's own keys
        assert all(f['severity'] == 'warning' for f in res['findings'])
    # cli-advanced: exactly one warning, the project named after its dir
    res = json.loads(validate(cwd=real('cli-advanced')).stdout)
    assert [f['rule'] for f in res['findings']] == ['missing-project'], res
    assert "'cli-advanced'" in res['findings'][0]['message'], res
    # ggen-only tables: one warning each, not unknown-key
    res = json.loads(validate(cwd=real('advanced-rust-project')).stdout)
    only = [f for f in res['findings'] if f['rule'] == 'ggen-only']
    assert len(only) == 5, res      # execution state cache monitoring security
    # electric-schema: a cargo-make file, one error at 1:1 saying so
    p = validate(cwd=real('electric-schema'))
    assert p.returncode == 1, p
    res = json.loads(p.stdout)
    assert [(f['rule'], f['line'], f['col']) for f in res['findings']] == [
        ('cargo-make-file', 1, 1)], res
    assert 'cargo-make' in res['findings'][0]['message'], res
    # microservices: the duplicated table, at the second, naming the first
    p = validate(cwd=real('microservices-architecture'))
    assert p.returncode == 1, p
    res = json.loads(p.stdout)
    assert [(f['rule'], f['line']) for f in res['findings']] == [
        ('toml-syntax', 197)], res
    assert 'production-validate' in res['findings'][0]['message'], res
    assert '174:' in res['findings'][0]['message'], res
    # full-stack-app: one error per missing workspace, valid once they exist
    root = real('full-stack-app')
    p = validate(cwd=root)
    assert p.returncode == 1, p
    res = json.loads(p.stdout)
    paths = sorted(f['message'].split("'")[3] for f in res['findings'])
    assert paths == ['backend', 'frontend', 'shared'], res
    assert all(f['rule'] == 'workspace-path' for f in res['findings'])
    for ws in ('frontend', 'backend', 'shared'):
        os.makedirs(os.path.join(root, ws))
    p = validate(cwd=root)
    assert p.returncode == 0, (p.stdout, p.stderr)


def phases_of(root):
    with open(os.path.join(root, 'make.toml'), 'rb') as f:
        return list(tomllib.load(f)['lifecycle'])


def test_real_files_dry_run():
    with Daemon() as d:
        for name in VALID:
            root = real(name)
            for phase in phases_of(root):
                reply = dry(d, root, phase)
                assert reply['ok'], (name, phase, reply)
                assert phase in main_steps(reply['result']) or any(
                    s['phase'] == phase for s in reply['result']['steps'])
        # the README's orders
        root = real('advanced-rust-project')
        res = dry(d, root, 'deploy')['result']
        assert main_steps(res) == ['init', 'setup', 'generate', 'build',
                                   'test', 'deploy'], res
        assert res['steps'][-1]['commands'] == [
            'scripts/deploy/deploy.sh', "echo 'Deployment completed'"], res
        assert res['env'] is None, res
        res = dry(d, root, 'deploy', env='production')['result']
        deploy = res['steps'][-1]
        assert deploy['commands'] == ['scripts/deploy/deploy-prod.sh',
                                      "echo 'Deployed to production'"], res
        assert deploy['env']['GGEN_ENV'] == 'production', deploy
        assert deploy['after'] == ['test'], deploy
        assert res['env'] == 'production' and res['env_source'] == '-e'
        # the environment is part of the cache key
        plain = dry(d, root, 'build')['result']['steps'][-1]
        prod = dry(d, root, 'build', env='production')['result']['steps'][-1]
        assert plain['phase'] == prod['phase'] == 'build', (plain, prod)
        assert plain['key'] != prod['key'], (plain, prod)
        res = dry(d, real('comprehensive-rust-showcase'), 'deploy')['result']
        assert main_steps(res) == ['init', 'setup', 'validate', 'generate',
                                   'build', 'test', 'security', 'deploy'], res
        hooks = [(s['phase'], s['hook']) for s in res['steps'] if 'hook' in s]
        assert ('after_build', 'after_build') in hooks, hooks
        names = [s['phase'] for s in res['steps']]
        assert names.index('before_build') + 1 == names.index('build')
        assert names.index('after_build') == names.index('build') + 1
        res = dry(d, real('maturity-matrix-showcase__level3-medium'),
                  'deploy')['result']
        assert main_steps(res) == ['init', 'generate', 'build', 'test',
                                   'deploy'], res
        # invalid ones refuse, with their error
        reply = dry(d, real('electric-schema'), 'check')
        assert not reply['ok'] and 'cargo-make' in \
            reply['error']['message'], reply
        reply = dry(d, real('microservices-architecture'), 'build')
        assert not reply['ok'] and reply['error']['code'] == 'parse_error', \
            reply
        root = real('full-stack-app')
        reply = dry(d, root, 'build')
        assert not reply['ok'] and 'frontend' in reply['error']['message'], \
            reply
        for ws in ('frontend', 'backend', 'shared'):
            os.makedirs(os.path.join(root, ws))
        reply = dry(d, root, 'build')
        assert reply['ok'], reply
        # an undeclared environment is refused, naming the declared ones
        reply = dry(d, real('advanced-rust-project'), 'deploy', env='qa')
        assert not reply['ok'] and 'staging' in reply['error']['message']


DAG = ('[lifecycle.a]\ncommand = "echo a >> order.txt"\n'
       '[lifecycle.b]\ncommand = "echo b >> order.txt; exit $FAIL_B"\n'
       'depends_on = ["a"]\n'
       '[lifecycle.c]\ncommand = "echo c >> order.txt"\n'
       'depends_on = ["a"]\n'
       '[lifecycle.d]\ncommand = "echo d >> order.txt"\n'
       'depends_on = ["b", "c"]\n'
       '[lifecycle.e]\ncommand = "echo e >> order.txt"\n'
       'depends_on = ["d"]\n')


def test_dag_order_and_failure():
    root = project('[env]\nFAIL_B = "0"\n' + DAG)
    with Daemon() as d:
        r = ggenc('run', 'e', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        assert read(root, 'order.txt') == 'a\nb\nc\nd\ne\n'
        os.unlink(os.path.join(root, 'order.txt'))
        save(root, 'make.toml', '[project]\nname = "t"\n'
             '[env]\nFAIL_B = "3"\n' + DAG)
        r = ggenc('run', 'e', '--root', root, sock=d.sock)
        assert r.returncode == 1, r
        # c does not depend on b: it still runs; d and e do not
        assert read(root, 'order.txt') == 'a\nb\nc\n'
        assert 'phase "d" not run: it depends on "b", which failed' in \
            r.stderr + r.stdout, r
        assert 'phase "e" not run: it depends on "d", which did not run' \
            in r.stderr + r.stdout, r
        reply, prog = request(d, phases=['e'], root=root)
        res = reply['result']
        assert res['status'] == 'failed' and '"b"' in res['message'], res
        assert res['exit_code'] == 3, res
        # every phase's outcome: run, failed, or not run
        assert res['skipped'] == ['d', 'e'], res
        done = {(p['phase'], p['status']) for p in prog
                if p['type'] == 'phase.finished'}
        assert done == {('a', 'ok'), ('b', 'failed'), ('c', 'ok')}, done


def test_jobs_run_branches_concurrently():
    # b and c each wait for the other to have started: only concurrent
    # runs finish; lines are prefixed with their phase.
    wait = ('touch %s.on; i=0; while [ ! -f %s.on ]; do i=$((i+1)); '
            '[ $i -gt 300 ] && exit 1; sleep 0.05; done; echo %s-done')
    root = project('[lifecycle.a]\ncommand = "echo a"\n'
                   '[lifecycle.b]\ncommand = "%s"\ndepends_on = ["a"]\n'
                   '[lifecycle.c]\ncommand = "%s"\ndepends_on = ["a"]\n'
                   '[lifecycle.d]\ncommand = "echo d"\n'
                   'depends_on = ["b", "c"]\n'
                   % (wait % ('b', 'c', 'b'), wait % ('c', 'b', 'c')))
    with Daemon() as d:
        r = ggenc('run', 'd', '--jobs', '2', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        lines = r.stdout.splitlines()
        assert '[b] b-done' in lines and '[c] c-done' in lines, r.stdout
        assert lines[-1] == '[d] d', r.stdout
        # the history keeps each phase's span apart
        runs_ = runs(d)
        assert runs_[-1]['status'] == 'ok', runs_


def test_jobs_history_keeps_phase_output_apart():
    # b and c print in turns (each waits for the other's marker), so the
    # run's combined output interleaves them; the history keeps each
    # phase's own lines, in order, apart.
    w = ('i=0; while [ ! -f %s.on ]; do i=$((i+1)); '
         '[ $i -gt 300 ] && exit 1; sleep 0.05; done; ')
    b = ('echo b1; touch b1.on; ' + w % 'c1' + 'echo b2; touch b2.on; '
         + w % 'c2' + 'echo b3')
    c = (w % 'b1' + 'echo c1; touch c1.on; ' + w % 'b2' + 'echo c2; '
         'touch c2.on; echo c3')
    root = project('[lifecycle.a]\ncommand = "echo a"\n'
                   '[lifecycle.b]\ncommand = "%s"\ndepends_on = ["a"]\n'
                   '[lifecycle.c]\ncommand = "%s"\ndepends_on = ["a"]\n'
                   '[lifecycle.d]\ncommand = "echo d"\n'
                   'depends_on = ["b", "c"]\n' % (b, c))
    tmp = mktemp()
    with Daemon(tmp=tmp) as d:
        r = ggenc('run', 'd', '--jobs', '2', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        rid = str(runs(d)[-1]['id'])
        # the run's combined output as before: every line, prefixed (the
        # handshake interleaves the writes; the order the daemon reads
        # two pipes in is its own)
        r = ggenc('logs', rid, sock=d.sock)
        assert r.returncode == 0, r
        lines = r.stdout.splitlines()
        for p in 'bc':
            mine = [x for x in lines if x.startswith('[%s] ' % p)]
            assert mine == ['[%s] %s%d' % (p, p, i) for i in (1, 2, 3)], \
                r.stdout
        assert lines[0] == '[a] a' and lines[-1] == '[d] d', r.stdout
        assert len(lines) == 8, r.stdout
        check_phase_outputs(d, rid)
        r = ggenc('logs', rid, '--phase', 'b', '--follow', sock=d.sock)
        assert r.returncode != 0 and 'follow' in r.stderr, r
    # after a restart: read back from the database
    with Daemon(tmp=tmp) as d:
        check_phase_outputs(d, rid)
        r = ggenc('logs', rid, '--phase', 'zz', sock=d.sock)
        assert r.returncode != 0, r
        assert 'no phase "zz"' in r.stderr and 'a, b, c, d' in r.stderr, r
        r = ggenc('show', rid, '--phase', 'zz', sock=d.sock)
        assert r.returncode == 1 and 'no phase "zz"' in r.stderr, r


def check_phase_outputs(d, rid):
    want = {'a': 'a\n', 'b': 'b1\nb2\nb3\n', 'c': 'c1\nc2\nc3\n',
            'd': 'd\n'}
    for phase, text in want.items():
        r = ggenc('logs', rid, '--phase', phase, sock=d.sock)
        assert r.returncode == 0 and r.stdout == text, (phase, r)
        r = ggenc('--json', 'logs', rid, '--phase', phase, sock=d.sock)
        assert r.returncode == 0, r
        res = json.loads(r.stdout)
        assert res['output'] == text, res
        assert [(p['phase'], p['status'], p['output'])
                for p in res['phase_outputs']] == [(phase, 'ok', text)], res
    r = ggenc('show', rid, '--phase', 'c', sock=d.sock)
    assert r.returncode == 0, r
    assert r.stdout.endswith('output of c (ok, 9 bytes):\nc1\nc2\nc3\n'), \
        r.stdout
    assert '[b]' not in r.stdout, r.stdout
    assert re.search(r'\n  c  \[phase\]  .* ok  \(9 bytes of output\)\n',
                     r.stdout), r.stdout
    r = ggenc('--json', 'show', rid, sock=d.sock)
    spans = {s['name']: s.get('output') for s in json.loads(r.stdout)['spans']
             if s['kind'] == 'phase'}
    assert spans == want, spans


def test_environments():
    root = project(
        '[env]\nTOP = "top"\nWHO = "top"\n'
        '[env.prod]\nWHO = "profile"\n'
        '[lifecycle.show]\ncommand = "echo base $TOP $WHO [$GGEN_ENV]"\n'
        'watch = ["trigger.txt"]\n'
        '[lifecycle.show.env.prod]\n'
        'command = "echo prod $TOP $WHO $GGEN_ENV"\n'
        '[lifecycle.auto]\ncommand = "echo auto [$GGEN_ENV]"\n')
    with Daemon() as d:
        r = ggenc('run', 'show', '--root', root, sock=d.sock)
        assert r.returncode == 0 and r.stdout == 'base top top []\n', r
        r = ggenc('run', 'show', '-e', 'prod', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        assert r.stdout == 'prod top profile prod\n', r
        r = ggenc('run', 'show', '-e', 'qa', '--root', root, sock=d.sock)
        assert r.returncode == 1 and 'environment "qa"' in r.stderr, r
        # $GGEN_ENV counts only with detect = "auto"
        env = dict(os.environ, GGEN_ENV='prod', GGEN_SOCK=d.sock)
        r = ggenc('run', 'auto', '--root', root, env=env)
        assert r.stdout == 'auto []\n', r
        # on save: the root's last manual run's environment
        ggenc('run', 'show', '-e', 'prod', '--root', root, sock=d.sock)
        watch(d, root)
        st = ggenc('status', sock=d.sock)
        assert 'env       prod (from -e), for on-save runs (set by the ' \
            'last manual run)' in st.stdout, st.stdout
        with subscribe(d) as ev:
            save(root, 'trigger.txt', 'x\n')
            done = next_event(ev, 'run.finished',
                              lambda e: e['trigger'] == 'save')
            assert done['status'] == 'ok', done
        out = ggenc('logs', str(done['run']), sock=d.sock)
        assert out.stdout == 'prod top profile prod\n', out
    root = project('[env]\ndetect = "auto"\n[env.staging]\nX = "s"\n'
                   '[lifecycle.auto]\ncommand = "echo [$GGEN_ENV] $X"\n')
    with Daemon() as d:
        env = dict(os.environ, GGEN_ENV='staging', GGEN_SOCK=d.sock)
        r = ggenc('run', 'auto', '--root', root, env=env)
        assert r.stdout == '[staging] s\n', r


def test_command_hooks_and_on_error():
    root = project('[lifecycle.build]\ncommand = "echo build; exit $RC"\n'
                   'env = { RC = "0" }\n'
                   '[hooks]\non_error = "echo on-error-ran"\n'
                   'on_success = "echo on-success-ran"\n'
                   '[hooks.before_build]\ncommands = ["echo pre1", '
                   '"echo pre2"]\n'
                   '[hooks.after_build]\ncommand = "echo post"\n')
    with Daemon() as d:
        r = ggenc('run', 'build', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        assert r.stdout == 'pre1\npre2\nbuild\npost\non-success-ran\n', r
        save(root, 'make.toml', read(root, 'make.toml').replace(
            'RC = "0"', 'RC = "1"'))
        r = ggenc('run', 'build', '--root', root, sock=d.sock)
        assert r.returncode == 1, r
        # after_build is not run after a failed build; on_error is
        assert r.stdout == 'pre1\npre2\nbuild\non-error-ran\n', r


def test_first_run_only():
    root = project('[lifecycle.init]\ncommand = "echo init >> count.txt"\n'
                   'first_run_only = true\n')
    tmp = mktemp()
    with Daemon(tmp=tmp) as d:
        for _ in range(2):
            r = ggenc('run', 'init', '--root', root, sock=d.sock)
            assert r.returncode == 0, r
        assert read(root, 'count.txt') == 'init\n'
        assert 'first_run_only' in r.stderr + r.stdout, r
        reply = dry(d, root, 'init')
        assert reply['result']['steps'][0]['cache'] == 'skip', reply
        r = ggenc('run', 'init', '--force', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        assert read(root, 'count.txt') == 'init\ninit\n'
    # The history remembers it, not the engine's cache state file.
    for dirpath, _, names in os.walk(os.path.join(tmp, 'state')):
        if 'engine-cache.json' in names:
            with open(os.path.join(dirpath, 'engine-cache.json')) as f:
                assert 'first_run_only' not in f.read()
    with Daemon(tmp=tmp) as d:
        r = ggenc('run', 'init', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        assert 'first_run_only' in r.stderr + r.stdout, r
        assert read(root, 'count.txt') == 'init\ninit\n'
    # a failed first run is no success: it runs again
    root = project('[lifecycle.init]\n'
                   'command = "echo x >> n.txt; test -f ok"\n'
                   'first_run_only = true\n')
    with Daemon() as d:
        r = ggenc('run', 'init', '--root', root, sock=d.sock)
        assert r.returncode == 1, r
        save(root, 'ok', '')
        for _ in range(2):
            r = ggenc('run', 'init', '--root', root, sock=d.sock)
            assert r.returncode == 0, r
        assert read(root, 'n.txt') == 'x\nx\n'


def on_terminal(args, sock, answer):
    """Run ggenc ARGS on a pseudo-terminal, typing answer at the prompt;
    returns (everything it printed, exit status)."""
    pid, fd = pty.fork()
    if pid == 0:
        env = dict(os.environ, GGEN_SOCK=sock)
        try:
            os.execve(GGENC, [GGENC] + args, env)
        finally:
            os._exit(127)
    out, typed = b'', False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 1.0)
        if not r:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if not typed and b'[y/N]' in out:
            os.write(fd, answer.encode())
            typed = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return out.decode('utf-8', 'replace'), os.waitstatus_to_exitcode(status)


def test_requires_approval():
    root = project('[lifecycle.deploy]\ncommand = "echo deployed"\n'
                   'requires_approval = true\nwatch = ["src/*.c"]\n'
                   '[lifecycle.build]\ncommand = "echo built"\n'
                   'watch = ["src/*.c"]\n', {'src/a.c': 'v0\n'})
    with Daemon() as d:
        # no terminal (stdin is /dev/null): refused, exit 1, nothing ran
        r = ggenc('run', 'deploy', '--root', root, sock=d.sock)
        assert r.returncode == 1 and r.stdout == '', r
        assert '[approval_required]' in r.stderr, r
        assert 'requires approval' in r.stderr and '--yes' in r.stderr, r
        assert runs(d) == [], runs(d)
        r = ggenc('run', 'deploy', '--yes', '--root', root, sock=d.sock)
        assert r.returncode == 0 and r.stdout == 'deployed\n', r
        # on a terminal ggenc asks; "y" runs it, anything else does not
        out, rc = on_terminal(['run', 'deploy', '--root', root], d.sock,
                              'y\n')
        assert rc == 0 and 'Run it? [y/N]' in out and 'deployed' in out, out
        assert 'ggenc: phase "deploy" requires approval. Run it? [y/N]' \
            in out and 'confirm on a terminal' not in out, out
        out, rc = on_terminal(['run', 'deploy', '--root', root], d.sock,
                              'n\n')
        assert rc == 1 and 'deployed' not in out, out
        # never on save: build runs, deploy does not
        watch(d, root)
        with subscribe(d) as ev:
            save(root, 'src/a.c', 'v1\n')
            next_event(ev, 'files.changed')
            done = next_event(ev, 'run.finished')
            assert done['phases'] == ['build'], done
        saved = [r_ for r_ in runs(d) if r_['trigger'] == 'save']
        assert [r_['phases'] for r_ in saved] == [['build']], saved


def test_invalid_make_toml():
    good = '[project]\nname = "t"\n[lifecycle.build]\ncommand = "echo ok"\n' \
        'watch = ["src/*.c"]\n'
    root = project('[lifecycle.build]\ncommand = "echo ok"\n'
                   'watch = ["src/*.c"]\n', {'src/a.c': 'v0\n'})
    with Daemon() as d:
        watch(d, root)
        with subscribe(d) as ev:
            save(root, 'make.toml', good.replace('"echo ok"', '3'))
            bad = next_event(ev, 'model.invalid')
            assert bad['root'] == root, bad
            # validate reflects the file on disk, through the daemon
            p = ggenc('--json', 'validate', root, sock=d.sock)
            assert p.returncode == 1, p
            assert json.loads(p.stdout)['errors'] == 1, p.stdout
            # a manual run refuses, printing the errors
            r = ggenc('run', 'build', '--root', root, sock=d.sock)
            assert r.returncode == 1 and r.stdout == '', r
            assert 'make.toml:4:11: error:' in r.stderr, r
            # human status shows it
            st = ggenc('status', sock=d.sock)
            assert 'make.toml INVALID' in st.stdout, st.stdout
            # on save nothing runs while it is invalid
            save(root, 'src/a.c', 'v1\n')
            next_event(ev, 'files.changed', lambda e: any(
                f['path'] == 'src/a.c' for f in e['files']))
            assert runs(d) == [], runs(d)
            # fixed: runs again
            save(root, 'make.toml', good)
            next_event(ev, 'files.changed', lambda e: any(
                f['path'] == 'make.toml' for f in e['files']))
            r = ggenc('run', 'build', '--root', root, sock=d.sock)
            assert r.returncode == 0 and r.stdout == 'ok\n', r
        # validate right after a save, before the batch settles: the
        # new content, not the daemon's older copy
        save(root, 'make.toml', good.replace('"echo ok"', '4'))
        p = ggenc('--json', 'validate', root, sock=d.sock)
        assert p.returncode == 1, p


def test_generated_files_rebuild_users():
    """examples/hello: a new greeting in [vars] re-renders src/greeting.h
    (generate watches make.toml); build watches src/**/*.h, so it runs,
    once, and the program says the new greeting."""
    root = os.path.join(mktemp(), 'hello')
    shutil.copytree(HELLO, root)
    root = os.path.realpath(root)
    with Daemon() as d:
        r = ggenc('run', 'build', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        watch(d, root)
        with subscribe(d) as ev:
            save(root, 'make.toml', read(root, 'make.toml').replace(
                'greeting = "Hello from ggen"', 'greeting = "Hi there"'))
            gen = next_event(ev, 'run.finished',
                             lambda e: e['phases'] == ['generate'])
            assert gen['status'] == 'ok', gen
            assert 'Hi there' in read(root, 'src/greeting.h')
            build = next_event(ev, 'run.finished',
                               lambda e: e['phases'] == ['build'])
            assert build['trigger'] == 'save', build
            # test (after_build) greps for the old greeting: it fails,
            # which shows build really ran with the new header
            out = subprocess.run([os.path.join(root, 'build', 'hello')],
                                 capture_output=True, text=True)
            assert out.stdout.startswith('Hi there'), out.stdout
        saved = [x for x in runs(d) if x['trigger'] == 'save']
        # generate ran once: its own write never triggers it
        assert [x['phases'] for x in saved].count(['generate']) == 1, saved
        assert [x['phases'] for x in saved].count(['build']) == 1, saved


def test_generated_file_waits_for_writer():
    """A file a render wrote triggers its users once the writing run has
    ended, not while it still runs."""
    fifo = os.path.join(mktemp(), 'go')
    os.mkfifo(fifo)
    root = project('[lifecycle.gen]\ntemplates = ["tpl/*.tmpl"]\n'
                   'command = "cat %s"\n'
                   '[lifecycle.user]\ncommand = "cat out.txt"\n'
                   'watch = ["out.txt"]\n' % fifo,
                   {'tpl/a.tmpl': '---\nto: out.txt\n---\nv1\n'})
    with Daemon() as d:
        watch(d, root)
        with subscribe(d) as ev:
            with d.client() as c:
                reply = c.call('run', phases=['gen'], root=root, detach=True)
            assert reply['ok'], reply
            gen = reply['result']['id']
            queued = next_event(ev, 'run.queued',
                                lambda e: e['phases'] == ['user'])
            assert queued['trigger'] == 'save', queued
            assert [x['status'] for x in runs(d) if x['id'] == gen] == \
                ['running']
            with open(fifo, 'w') as f:
                f.write('go\n')
            order = []
            while len(order) < 2:
                m = ev.recv()
                if m.get('event') == 'run.finished' and \
                        m['data']['run'] == gen:
                    order.append('gen finished')
                elif m.get('event') == 'run.started' and \
                        m['data']['phases'] == ['user']:
                    order.append('user started')
            assert order == ['gen finished', 'user started'], order
            done = next_event(ev, 'run.finished',
                              lambda e: e['phases'] == ['user'])
            assert done['status'] == 'ok', done


def test_self_retrigger_stopped():
    root = project('[watch]\ndebounce_min_ms = 10\ndebounce_max_ms = 100\n'
                   '[lifecycle.stamp]\ncommand = "date +%N > stamp.txt"\n'
                   'watch = true\n')
    with Daemon() as d:
        p = validate(cwd=root)
        assert 'watch-no-outputs' in p.stdout, p.stdout
        watch(d, root)
        with subscribe(d) as ev:
            save(root, 'go.txt', 'go\n')
            loop = next_event(ev, 'phase.loop')
            assert loop['phase'] == 'stamp', loop
            assert 'stamp.txt' in loop['message'], loop
            assert 'outputs' in loop['message'], loop
        n = len([x for x in runs(d) if x['trigger'] == 'save'])
        assert 2 <= n <= 6, n


def test_graph():
    root = real('comprehensive-rust-showcase')
    with Daemon() as d:
        r = ggenc('graph', 'deploy', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        # Hooks in make.toml(5)'s words, notes in one column.
        assert re.search(r'\n  5\. setup +depends on init\n', r.stdout), \
            r.stdout
        assert re.search(r'\n 13\. before_build +before build '
                         r'\(\[hooks\.before_build\] commands\)\n',
                         r.stdout), r.stdout
        assert 'hook ' not in r.stdout, r.stdout
        r = ggenc('graph', 'deploy', '--root', root, '--format', 'mermaid',
                  sock=d.sock)
        assert r.stdout.startswith('graph LR\n'), r.stdout
        assert '-->|"depends_on"|' in r.stdout, r.stdout
        assert ('["before_build<br/>before build ([hooks.before_build] '
                'commands)"]:::hook\n') in r.stdout, r.stdout
        assert r.stdout.endswith('  classDef hook stroke-dasharray: 5 5\n')
        r = ggenc('--json', 'graph', 'deploy', '-e', 'production', '--root',
                  root, sock=d.sock)
        g = json.loads(r.stdout)
        assert g['env'] == 'production', g
        assert any(e['kind'] == 'before' for e in g['edges']), g
        # statuses of the last run
        small = project('[lifecycle.a]\ncommand = "true"\n'
                        '[lifecycle.b]\ncommand = "false"\n'
                        'depends_on = ["a"]\n')
        ggenc('run', 'b', '--root', small, sock=d.sock)
        r = ggenc('graph', 'b', '--root', small, sock=d.sock)
        assert '  1. a  [last: ok]\n' in r.stdout, r.stdout
        assert '  2. b  depends on a  [last: failed]\n' in r.stdout, r.stdout
        r = ggenc('graph', 'b', '--root', small, '--format', 'dot',
                  sock=d.sock)
        assert 'n1 [label="b\\nlast: failed", fillcolor=salmon];' in \
            r.stdout, r.stdout
        r = ggenc('graph', 'nope', '--root', small, sock=d.sock)
        assert r.returncode == 1 and 'not found' in r.stderr, r
    # without a daemon: drawn locally; Graphviz parses the dot
    env = dict(os.environ, GGEN_SOCK=os.path.join(mktemp(), 'none.sock'))
    r = ggenc('graph', 'deploy', '--root', root, '--format', 'dot', env=env)
    assert r.returncode == 0 and r.stdout.startswith('digraph'), r
    skip_unless(shutil.which('dot') is not None, 'graphviz not installed')
    svg = subprocess.run(['dot', '-Tsvg'], input=r.stdout,
                         capture_output=True, text=True)
    assert svg.returncode == 0, svg.stderr
    assert '<svg' in svg.stdout and 'security' in svg.stdout
    # The hook records' second line made it into the picture.
    assert 'after deploy ([hooks.after_deploy] commands)' in svg.stdout, \
        svg.stdout


def test_man_page_covers_every_key():
    """doc/make.toml.5 describes every key common/make.c accepts, each
    with an example, and groff renders it without a warning."""
    src = os.path.join(HERE, '..', '..')
    with open(os.path.join(src, 'common', 'make.c')) as f:
        code = f.read()
    keys = set()
    for table in ('make_top_keys', 'make_project_keys',
                  'make_workspace_keys', 'make_watch_keys',
                  'make_phase_keys', 'make_hook_keys', 'make_cache_keys'):
        if '%s[] = {' % table not in code:
            continue
        body = code.split('%s[] = {' % table, 1)[1].split('};', 1)[0]
        keys.update(re.findall(r'"([a-z_]+)"', body))
    keys.add('detect')
    assert len(keys) > 30, keys
    with open(os.path.join(src, 'doc', 'make.toml.5')) as f:
        man = f.read()
    bold = '\n'.join(line for line in man.splitlines()
                     if line.startswith(('.B', '.TP', '.IP', '.SS')))
    missing = sorted(k for k in keys if not re.search(
        r'(^|[\s\[.])%s\b' % re.escape(k), bold, re.M))
    assert not missing, missing
    # one example (.EX) per described key, roughly: at least as many
    assert man.count('.EX') >= len(keys) - 6, (man.count('.EX'), len(keys))
    skip_unless(shutil.which('groff') is not None, 'groff not installed')
    p = subprocess.run(['groff', '-man', '-Tutf8', '-ww', '-z',
                        os.path.join(src, 'doc', 'make.toml.5')],
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == '', p.stderr


if __name__ == '__main__':
    run([test_real_files_validate,
         test_real_files_dry_run,
         test_dag_order_and_failure,
         test_jobs_run_branches_concurrently,
         test_jobs_history_keeps_phase_output_apart,
         test_environments,
         test_command_hooks_and_on_error,
         test_first_run_only,
         test_requires_approval,
         test_invalid_make_toml,
         test_generated_files_rebuild_users,
         test_generated_file_waits_for_writer,
         test_self_retrigger_stopped,
         test_graph,
         test_man_page_covers_every_key])
