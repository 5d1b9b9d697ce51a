#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ggenc as a native tool (issue 18): per-command help with options and an
example, "did you mean" with exit 2, status --short, restart, reload,
config set, the version warning, the autostart notice, timestamped logs,
and shutdown returning once the process is gone. Every daemon is private
(socket and state dir in a temp dir) and stopped at the end; waits are
pidfds and replies, never sleeps."""
import json
import os
import re
import select
import socket
import subprocess
import sys

from harness import GGENC, Daemon, ggenc, mktemp, run

HELP_NAMES = None


def commands():
    """Visible command names, from `ggenc help`."""
    global HELP_NAMES
    if HELP_NAMES is None:
        out = ggenc('help').stdout
        body = out.split('Commands', 1)[1].split('Global options', 1)[0]
        HELP_NAMES = re.findall(r'^  ([a-z]\S*)', body, re.M)
    return HELP_NAMES


def private_env():
    tmp = mktemp()
    env = dict(os.environ)
    env['GGEN_SOCK'] = os.path.join(tmp, 'run', 'ggend.sock')
    env['XDG_STATE_HOME'] = os.path.join(tmp, 'state')
    env['XDG_CONFIG_HOME'] = os.path.join(tmp, 'config')
    return tmp, env


def gone(pid, timeout=20.0):
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def project(text):
    root = os.path.join(mktemp(), 'p')
    os.makedirs(root)
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write(text)
    return root


def test_every_command_has_help_with_example():
    names = commands()
    assert len(names) >= 25 and 'init' in names and 'restart' in names, \
        names
    for name in names:
        a = ggenc(name, '--help')
        b = ggenc('help', name)
        assert a.returncode == 0 and b.returncode == 0, (name, a.stderr)
        assert a.stdout == b.stdout, name
        assert a.stdout.startswith('usage: ggenc %s' % name), a.stdout
        assert '\nExample:\n  ggenc ' in a.stdout, (name, a.stdout)
    # a command's options are listed with their help
    out = ggenc('history', '--help').stdout
    for opt in ('--root DIR', '--limit N', '--failed', '--since TIME'):
        assert opt in out, out
    assert '-f, --follow' in ggenc('logs', '-h').stdout
    # every global option is named under a command's help
    out = ggenc('run', '--help').stdout
    for opt in ('--json', '--socket PATH', '--no-start', '--color WHEN',
                '--plain'):
        assert opt in out.split('Global options:', 1)[1], out


def example_lines(name):
    out = ggenc('help', name).stdout
    body = out.split('\nExample:\n', 1)[1]
    return [l.strip() for l in body.splitlines() if l.startswith('  ggenc ')]


def test_examples_run():
    """The examples that need nothing but a watched root work as printed
    (the man page shows the same ones)."""
    root = project('[project]\nname = "p"\n[lifecycle.build]\n'
                   'command = "true"\n')
    with Daemon() as d:
        assert ggenc('watch', root, sock=d.sock).returncode == 0
        for name in ('changes', 'roots', 'status', 'validate'):
            for line in example_lines(name):
                args = line.split()[1:]
                if '~/src/project/make.toml' in args:
                    args[args.index('~/src/project/make.toml')] = \
                        os.path.join(root, 'make.toml')
                p = ggenc(*args, sock=d.sock, cwd=root)
                assert p.returncode == 0, (line, p.stderr)


def test_project_found_from_a_subdirectory():
    """run, graph, validate and dev work from anywhere in a project (the
    outermost make.toml from the current directory up); where there is
    none they refuse and watch nothing."""
    root = project('[project]\nname = "p"\n[lifecycle.build]\n'
                   'command = "echo built in $PWD"\n')
    sub = os.path.join(root, 'src', 'deep')
    os.makedirs(sub)
    with Daemon() as d:
        p = ggenc('run', 'build', sock=d.sock, cwd=sub)
        assert p.returncode == 0 and p.stdout == 'built in %s\n' % root, p
        p = ggenc('graph', sock=d.sock, cwd=sub)
        assert p.returncode == 0 and 'build' in p.stdout, p
        p = ggenc('validate', sock=d.sock, cwd=sub)
        assert p.returncode == 0, p
        assert '%s/make.toml: 0 errors' % root in p.stdout, p
        roots = json.loads(ggenc('--json', 'roots', sock=d.sock).stdout)
        assert [r['root'] for r in roots['roots']] == [root], roots
        # no make.toml here nor above: refused, nothing watched
        bare = mktemp()
        for args in (['run', 'build'], ['dev'], ['graph'],
                     ['run', 'build', '--root', bare]):
            p = ggenc(*args, sock=d.sock, cwd=bare)
            assert p.returncode == 1, (args, p)
            assert 'no make.toml in %s' % bare in p.stderr, (args, p)
            assert 'ggenc init' in p.stderr, (args, p)
        roots = json.loads(ggenc('--json', 'roots', sock=d.sock).stdout)
        assert [r['root'] for r in roots['roots']] == [root], roots


def test_unknown_command_and_option():
    for args, msg in (
            (['stauts'], 'ggenc: unknown command "stauts"; did you mean '
             '"status" or "stats"?'),
            (['histroy'], 'did you mean "history"?'),
            (['logs', '1', '--folow'], 'ggenc: unknown option "--folow" '
             'for "logs"; did you mean "--follow"?'),
            (['run', 'build', '--forse'], 'did you mean "--force"?'),
            (['--jsn', 'status'], 'unknown option "--jsn"; did you mean '
             '"--json"?'),
            (['config', 'get', '--bogus'], 'unknown option "--bogus" for '
             '"config"'),
            (['roots', 'extra'], 'too many arguments: roots takes 0'),
            (['history', '--limit'], '--limit needs a value (N)')):
        p = ggenc(*args, sock='/nonexistent/x.sock')
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        first = p.stderr.splitlines()[0]
        assert first.startswith('ggenc: ') and msg in p.stderr, \
            (args, p.stderr)
        assert p.stderr.splitlines()[1].startswith('usage: ggenc'), p.stderr
        assert p.stdout == '', p.stdout
    # negative numbers are arguments, not options (no daemon is started:
    # the request gets as far as connecting)
    sock = os.path.join(mktemp(), 'none.sock')
    p = ggenc('--no-start', 'logs', '-1', sock=sock)
    assert p.returncode == 3 and 'cannot connect' in p.stderr, p.stderr


def test_status_short():
    root = project('[project]\nname = "p"\n[lifecycle.ok]\ncommand = "true"'
                   '\n[lifecycle.bad]\ncommand = "exit 3"\n')
    with Daemon() as d:
        p = ggenc('status', '--short', sock=d.sock)
        assert (p.returncode, p.stdout) == (0, 'ggen: 0 roots\n'), p
        assert ggenc('watch', root, sock=d.sock).returncode == 0
        assert ggenc('run', 'bad', '--root', root,
                     sock=d.sock).returncode == 1
        assert ggenc('run', 'ok', '--root', root,
                     sock=d.sock).returncode == 0
        p = ggenc('status', '--short', sock=d.sock)
        assert p.stdout == 'ggen: 1 root, failed bad\n', p.stdout
        # the same list in JSON
        runs = json.loads(ggenc('--json', 'status', sock=d.sock).stdout)[
            'runs']
        assert [f['phases'] for f in runs['failed']] == [['bad']], runs
        assert runs['active'] == [], runs
    # no daemon: nothing printed, exit 3, and none started
    tmp, env = private_env()
    p = ggenc('status', '--short', env=env)
    assert (p.returncode, p.stdout, p.stderr) == (3, '', ''), p
    assert not os.path.exists(env['GGEN_SOCK'])


def test_autostart_notice_log_and_shutdown_wait():
    tmp, env = private_env()
    p = ggenc('--json', 'status', env=env)
    assert p.returncode == 0, p.stderr
    st = json.loads(p.stdout)
    log = os.path.join(tmp, 'state', 'ggen', 'ggend.log')
    assert p.stderr == ('ggenc: started ggend (pid %d) on %s; it logs to '
                        '%s\n' % (st['pid'], env['GGEN_SOCK'], log)), p.stderr
    assert st['log'] == log, st
    assert 'log       %s' % log in ggenc('status', env=env).stdout
    # said once: the next command finds the daemon running
    assert ggenc('roots', env=env).stderr == ''
    with open(log) as f:
        lines = [l for l in f.read().splitlines() if l]
    assert lines, log
    stamp = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ggend\[\d+\] '
                       r'(error|warn|info|debug): ')
    assert all(stamp.match(l) for l in lines), lines
    p = ggenc('shutdown', env=env)
    assert p.returncode == 0 and p.stdout == 'ggend (pid %d) stopped\n' % \
        st['pid'], (p.stdout, p.stderr)
    # returned after the exit: the pid is gone at once
    assert gone(st['pid'], timeout=0), 'still running after shutdown'


def test_config_set_and_reload():
    tmp = mktemp()
    cfg = os.path.join(tmp, 'ggend.toml')
    with open(cfg, 'w') as f:
        f.write('client.max = 7\n')
    with Daemon('--config', cfg) as d:
        p = ggenc('config', 'set', 'watch.debounce_min_ms', '25', sock=d.sock)
        assert p.returncode == 0, p.stderr
        p = ggenc('--json', 'config', 'get', 'watch.debounce_min_ms',
                  sock=d.sock)
        s = json.loads(p.stdout)['settings'][0]
        assert (s['value'], s['source']) == ('25ms', 'set'), s
        # restart-only and bad values are refused, nothing changes
        p = ggenc('config', 'set', 'state.dir', '/tmp/x', sock=d.sock)
        assert p.returncode == 1 and 'changes only on restart' in p.stderr, \
            p.stderr
        p = ggenc('config', 'set', 'client.max', 'lots', sock=d.sock)
        assert p.returncode == 1 and 'client.max' in p.stderr, p.stderr
        p = ggenc('config', 'set', 'cache.remote.url', 'notaurl',
                  sock=d.sock)
        assert p.returncode == 1 and 'http:// or https://' in p.stderr, \
            p.stderr
        p = ggenc('config', 'get', 'cache.remote.url', sock=d.sock)
        assert p.stdout == '\n', p
        p = ggenc('config', 'set', 'client.mx', '3', sock=d.sock)
        assert p.returncode == 1 and 'did you mean "client.max"' in \
            p.stderr, p.stderr
        p = ggenc('config', 'frob', sock=d.sock)
        assert p.returncode == 2, p
        # reload reads the file again; the set value survives it
        with open(cfg, 'w') as f:
            f.write('client.max = 9\n')
        p = ggenc('reload', sock=d.sock)
        assert p.returncode == 0 and 'reloaded %s' % cfg in p.stdout, p
        assert ggenc('config', 'get', 'client.max',
                     sock=d.sock).stdout == '9\n'
        assert ggenc('config', 'get', 'watch.debounce_min_ms',
                     sock=d.sock).stdout == '25ms\n'
        # a bad file is reported and not applied
        with open(cfg, 'w') as f:
            f.write('client.max = 0\n')
        p = ggenc('reload', sock=d.sock)
        assert p.returncode == 1 and 'not applied' in p.stdout, p
        assert 'out of range' in p.stdout, p.stdout
        assert ggenc('config', 'get', 'client.max',
                     sock=d.sock).stdout == '9\n'
        r = json.loads(ggenc('--json', 'reload', sock=d.sock).stdout)
        assert r['applied'] is False and r['config']['errors'] == 1, r


def test_restart_keeps_roots_and_settings():
    root = project('[project]\nname = "p"\n[lifecycle.ok]\ncommand = "true"'
                   '\n')
    d = Daemon('--set', 'watch.debounce_min_ms=30')
    with d:
        assert ggenc('watch', root, sock=d.sock).returncode == 0
        assert ggenc('run', 'ok', '--root', root, sock=d.sock).returncode == 0
        old = d.proc.pid
        p = ggenc('--json', 'restart', sock=d.sock)
        assert p.returncode == 0, p.stderr
        r = json.loads(p.stdout)
        assert r['stopped']['pid'] == old and r['roots'] == 1, r
        new = r['started']['pid']
        assert new != old and d.proc.wait(20) == 0
        try:
            st = json.loads(ggenc('--json', 'status', sock=d.sock).stdout)
            assert st['pid'] == new and st['state_dir'] == d.state, st
            assert [x['root'] for x in st['roots']] == [root], st
            assert ggenc('config', 'get', 'watch.debounce_min_ms',
                         sock=d.sock).stdout == '30ms\n'
            h = json.loads(ggenc('--json', 'history', sock=d.sock).stdout)
            assert [x['phase'] for x in h['runs']] == ['ok'], h
        finally:
            assert ggenc('shutdown', sock=d.sock).returncode == 0
            assert gone(new)


def old_daemon(path, state):
    """A stand-in for an older ggend release on a socket, run as its own
    process (`test_tool.py --old-daemon PATH STATE`): answers hello with
    another version, status, config and roots with little, and exits after
    replying to shutdown. Prints READY once it listens."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    print('READY', flush=True)
    me = os.getpid()
    results = {
        'hello': {'proto': 1, 'version': '0.0.1-old', 'pid': me,
                  'capabilities': []},
        'status': {'pid': me, 'version': '0.0.1-old', 'state_dir': state,
                   'roots': [], 'config': {'file': None, 'loaded': False}},
        'config': {'file': None, 'settings': [
            {'key': 'state.dir', 'value': state, 'source': 'set',
             'restart': True}]},
        'roots': {'roots': []},
        'shutdown': {'stopping': True, 'pid': me}}
    while True:
        c, _ = srv.accept()
        buf, stop = b'', False
        with c:
            while not stop:
                data = c.recv(65536)
                if not data:
                    break
                buf += data
                while b'\n' in buf:
                    line, buf = buf.split(b'\n', 1)
                    req = json.loads(line)
                    c.sendall((json.dumps({
                        'id': req['id'], 'ok': True,
                        'result': results.get(req.get('cmd'), {})}) +
                        '\n').encode())
                    stop |= req.get('cmd') == 'shutdown'
        if stop:
            os.unlink(path)
            return


def test_version_warning_and_restart_fixes_it():
    tmp, env = private_env()
    os.makedirs(os.path.dirname(env['GGEN_SOCK']), mode=0o700)
    state = os.path.join(tmp, 'state2')
    old = subprocess.Popen([sys.executable, os.path.abspath(__file__),
                            '--old-daemon', env['GGEN_SOCK'], state],
                           stdout=subprocess.PIPE, text=True)
    assert old.stdout.readline() == 'READY\n'
    p = ggenc('roots', env=env)
    assert p.returncode == 0, p.stderr
    assert re.search(r'^ggenc: warning: the daemon answering is ggend '
                     r'0\.0\.1-old \(pid %d\), this ggenc is \S+; `ggenc '
                     r'restart` starts this version' % old.pid,
                     p.stderr, re.M), p.stderr
    assert p.stderr.count('warning') == 1, p.stderr
    # restart: the old one is told to stop (and has), ours starts with the
    # old one's state directory
    p = ggenc('--json', 'restart', env=env)
    assert p.returncode == 0, p.stderr
    # restart returned after the old process exited
    assert old.poll() == 0, 'the old daemon still runs'
    r = json.loads(p.stdout)
    assert r['stopped']['version'] == '0.0.1-old', r
    try:
        p = ggenc('--json', 'status', env=env)
        assert p.returncode == 0 and 'warning' not in p.stderr, p.stderr
        st = json.loads(p.stdout)
        assert st['pid'] == r['started']['pid'], (st, r)
        assert st['state_dir'] == state, st
    finally:
        assert ggenc('shutdown', env=env).returncode == 0
        assert gone(r['started']['pid'])


if __name__ == '__main__' and sys.argv[1:2] == ['--old-daemon']:
    old_daemon(sys.argv[2], sys.argv[3])
elif __name__ == '__main__':
    run([test_every_command_has_help_with_example,
     test_examples_run,
     test_project_found_from_a_subdirectory,
         test_unknown_command_and_option,
         test_status_short,
         test_autostart_notice_log_and_shutdown_wait,
         test_config_set_and_reload,
         test_restart_keeps_roots_and_settings,
         test_version_warning_and_restart_fixes_it])
