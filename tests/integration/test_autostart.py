#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ggenc starts ggend when none answers (readiness pipe, no retry loop),
once even when several ggenc race, and shows the daemon's own error."""
import json
import os
import select
import subprocess

from harness import GGENC, ggenc, mktemp, run


def private_env():
    tmp = mktemp()
    env = dict(os.environ)
    env['GGEN_SOCK'] = os.path.join(tmp, 'run', 'ggend.sock')
    env['XDG_STATE_HOME'] = os.path.join(tmp, 'state')
    return tmp, env


def wait_exit(pid, timeout=20.0):
    """Wait for a process that is not our child (pidfd, no polling)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        r, _, _ = select.select([fd], [], [], timeout)
        return bool(r)
    finally:
        os.close(fd)


def test_autostart_then_shutdown():
    tmp, env = private_env()
    p = ggenc('--json', 'status', env=env)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    pid = res['pid']
    assert res['socket'] == env['GGEN_SOCK']
    assert os.path.exists(env['GGEN_SOCK'])
    log = os.path.join(tmp, 'state', 'ggen', 'ggend.log')
    with open(log) as f:
        assert 'listening on' in f.read()
    # The daemon is in its own session, not ggenc's.
    assert os.getsid(pid) == pid
    p = ggenc('--json', 'status', env=env)
    assert json.loads(p.stdout)['pid'] == pid   # reused, not restarted
    p = ggenc('shutdown', env=env)
    assert p.returncode == 0, p.stderr
    assert wait_exit(pid)
    assert not os.path.exists(env['GGEN_SOCK'])


def test_concurrent_autostart_starts_one():
    tmp, env = private_env()
    procs = [subprocess.Popen([GGENC, '--json', 'status'], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    pids = set()
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        pids.add(json.loads(out)['pid'])
    assert len(pids) == 1, pids
    assert ggenc('shutdown', env=env).returncode == 0
    assert wait_exit(pids.pop())


def test_autostart_failure_shows_daemon_error():
    tmp, env = private_env()
    blocker = os.path.join(tmp, 'file')
    with open(blocker, 'w') as f:
        f.write('not a directory\n')
    env['XDG_STATE_HOME'] = blocker
    p = ggenc('status', env=env)
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert 'ggend failed to start' in p.stderr, p.stderr
    assert 'Not a directory' in p.stderr, p.stderr
    assert not os.path.exists(env['GGEN_SOCK'])


def test_autostart_refuses_open_directory():
    tmp, env = private_env()
    os.mkdir(os.path.dirname(env['GGEN_SOCK']), 0o755)
    os.chmod(os.path.dirname(env['GGEN_SOCK']), 0o755)
    p = ggenc('status', env=env)
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert 'chmod 700' in p.stderr, p.stderr


if __name__ == '__main__':
    run([test_autostart_then_shutdown, test_concurrent_autostart_starts_one,
         test_autostart_failure_shows_daemon_error,
         test_autostart_refuses_open_directory])
