#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ggend's settings file: read at start (--config, or the XDG default),
re-read on SIGHUP; a bad file shows its findings in `status` and the log
and leaves the last good values in force; `ggenc config get` shows values
and their source."""
import json
import os
import signal
import time

from harness import Daemon, IO_TIMEOUT, ggenc, mktemp, run


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def status(d):
    with d.client() as c:
        return c.call('status')['result']


def settings(d, key=None):
    args = ['--json', 'config', 'get'] + ([key] if key else [])
    p = ggenc(*args, sock=d.sock)
    assert p.returncode == 0, p.stderr
    return {s['key']: (s['value'], s['source'])
            for s in json.loads(p.stdout)['settings']}


def hup_and_wait(d):
    """SIGHUP, then ask `status` until the daemon counted the load. Each
    try is a full round trip; nothing sleeps."""
    before = status(d)['config']['loads']
    d.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + IO_TIMEOUT
    while time.monotonic() < deadline:
        st = status(d)
        if st['config']['loads'] > before:
            return st
    raise AssertionError('SIGHUP not handled within %ss' % IO_TIMEOUT)


def daemon_with(text, *args):
    """A Daemon reading a fresh settings file holding text; returns it and
    the file's path."""
    tmp = mktemp()
    cfg = os.path.join(tmp, 'ggend.toml')
    write(cfg, text)
    return Daemon('--config', cfg, *args, tmp=tmp), cfg


def test_file_at_start_and_sources():
    daemon, cfg = daemon_with('[client]\nmax = 7\nobuf_soft_ms = "2s"\n',
                              '--set', 'client.obuf_soft_ms=5s')
    with daemon as d:
        st = status(d)['config']
        assert st['file'] == cfg and st['loaded'], st
        assert (st['errors'], st['warnings'], st['messages']) == (0, 0, []), st
        s = settings(d)
        assert s['client.max'] == ('7', 'file'), s
        assert s['client.obuf_soft_ms'] == ('5000ms', 'set'), s
        assert s['client.obuf_hard_bytes'] == (str(32 << 20), 'default'), s
        p = ggenc('config', 'get', 'client.max', sock=d.sock)
        assert p.stdout == '7\n', p.stdout
        p = ggenc('config', 'get', sock=d.sock)
        rows = p.stdout.splitlines()
        assert rows[0].split() == ['KEY', 'VALUE', 'SOURCE'], rows
        row = [r for r in rows if r.startswith('client.max ')]
        assert row and row[0].split() == ['client.max', '7', 'file'], rows
        # aligned: every VALUE starts in the same column
        col = rows[0].index('VALUE')
        assert all(r[col - 2:col] == '  ' for r in rows), rows
        p = ggenc('config', 'get', 'client.mx', sock=d.sock)
        assert p.returncode == 1, p.returncode
        assert 'did you mean "client.max"' in p.stderr, p.stderr


def test_sighup_good_then_bad():
    daemon, cfg = daemon_with('client.max = 7\n')
    with daemon as d:
        write(cfg, '[client]\nmax = 9\nobuf_hard_bytes = "64MiB"\n')
        st = hup_and_wait(d)
        assert st['config']['errors'] == 0, st['config']
        assert st['reloads'] == 1, st
        assert settings(d)['client.max'] == ('9', 'file')
        write(cfg, '[client]\nmax = 0\nmax_lin_bytes = 5\n'
                   'obuf_hard_bytes = "1MiB"\n')
        st = hup_and_wait(d)['config']
        assert st['errors'] == 1 and st['warnings'] == 1, st
        assert st['messages'] == [
            cfg + ':2:7: error: client.max: 0 out of range [1, 65536]',
            cfg + ":3:1: warning: unknown key 'client.max_lin_bytes'; "
            "did you mean 'client.max_line_bytes'?"], st['messages']
        s = settings(d)
        # The last good file's values stay, not the bad file's valid ones.
        assert s['client.max'] == ('9', 'file'), s
        assert s['client.obuf_hard_bytes'] == (str(64 << 20), 'file'), s
        assert status(d)['reloads'] == 1
        p = ggenc('status', sock=d.sock)
        assert ('  config    %s (1 error, 1 warning; not applied)' % cfg
                in p.stdout.splitlines()), p.stdout
        assert '    %s:2:7: error: client.max: 0 out of range' % cfg \
            in p.stdout, p.stdout
        log = d.log_text()
        assert 'error: config: %s:2:7: error: client.max' % cfg in log, log
        assert 'keeping the current configuration' in log, log


def test_sighup_argv_wins_over_file():
    """state.dir is restart-only (kept with a warning on SIGHUP: see
    test_config's reload test); here argv set it, which wins anyway."""
    daemon, cfg = daemon_with('client.max = 3\n')
    with daemon as d:
        write(cfg, 'client.max = 4\nstate.dir = "/nowhere"\n')
        st = hup_and_wait(d)
        assert st['state_dir'] == d.state, st
        assert st['config']['messages'] == [], st['config']
        s = settings(d)
        assert s['client.max'] == ('4', 'file'), s
        assert s['state.dir'] == (d.state, 'set'), s


def test_bad_file_at_start_uses_defaults():
    daemon, cfg = daemon_with('client.max = "many"\n')
    with daemon as d:
        st = status(d)['config']
        assert st['errors'] == 1, st
        assert st['messages'] == [cfg + ':1:14: error: client.max: expected '
                                  'an integer, found string'], st
        assert settings(d)['client.max'] == ('256', 'default')


def test_xdg_default_path():
    tmp = mktemp()
    env = dict(os.environ)
    env['XDG_CONFIG_HOME'] = os.path.join(tmp, 'xdg')
    cfg = os.path.join(tmp, 'xdg', 'ggen', 'ggend.toml')
    write(cfg, 'log.level = "warn"\n')
    with Daemon(tmp=tmp, env=env) as d:
        st = status(d)['config']
        assert st['file'] == cfg and st['loaded'], st
        assert settings(d)['log.level'] == ('warn', 'file')
    # No file there: defaults, and no finding.
    os.unlink(cfg)
    with Daemon(tmp=mktemp(), env=env) as d:
        st = status(d)['config']
        assert st['file'] == cfg and not st['loaded'], st
        assert st['errors'] == 0 and st['messages'] == [], st
        p = ggenc('status', sock=d.sock)
        assert '  config    %s (absent: defaults)' % cfg in p.stdout, \
            p.stdout


def test_missing_explicit_file_is_an_error():
    tmp = mktemp()
    cfg = os.path.join(tmp, 'none.toml')
    with Daemon('--config', cfg, tmp=tmp) as d:
        st = status(d)['config']
        assert st['errors'] == 1 and not st['loaded'], st
        assert st['messages'] == [cfg + ': error: open %s: No such file or '
                                  'directory' % cfg], st


if __name__ == '__main__':
    run([test_file_at_start_and_sources, test_sighup_good_then_bad,
         test_sighup_argv_wins_over_file, test_bad_file_at_start_uses_defaults,
         test_xdg_default_path, test_missing_explicit_file_is_an_error])
