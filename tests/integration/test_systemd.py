#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The systemd paths without systemd: LISTEN_FDS/LISTEN_PID adoption and
READY=1 on a NOTIFY_SOCKET we create (path and abstract names)."""
import os
import select
import socket
import stat
import subprocess

from harness import GGEND, Client, _live, mktemp, read_ready, run

TIMEOUT = 20.0


def notify_socket(tmp, abstract=False):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if abstract:
        name = 'ggen-it-notify-%d' % os.getpid()
        s.bind('\0' + name)
        return s, '@' + name
    path = os.path.join(tmp, 'notify')
    s.bind(path)
    return s, path


def recv_notify(s):
    r, _, _ = select.select([s], [], [], TIMEOUT)
    assert r, 'no notification within %.0fs' % TIMEOUT
    return s.recv(4096).decode()


def listening_socket(tmp):
    path = os.path.join(tmp, 'act.sock')
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    return listener, path


def start_activated(tmp, listener, notify_path, listen_pid=None):
    """Start ggend as systemd would: the socket as fd 3, LISTEN_PID = its
    own pid (set by the shell that execs it)."""
    env = dict(os.environ)
    env['NOTIFY_SOCKET'] = notify_path
    env['LISTEN_FDS'] = '1'
    pid_expr = '$$' if listen_pid is None else str(listen_pid)
    script = ('LISTEN_PID=%s; export LISTEN_PID; exec "$0" --foreground '
              '--state-dir "$1" 3<&%d' % (pid_expr, listener.fileno()))
    log = open(os.path.join(tmp, 'ggend.log'), 'ab')
    proc = subprocess.Popen(['/bin/sh', '-c', script, GGEND,
                             os.path.join(tmp, 'state')],
                            env=env, pass_fds=[listener.fileno()],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    _live.append(proc)
    log.close()
    return proc


def test_listen_fds_adoption_and_ready():
    tmp = mktemp()
    listener, path = listening_socket(tmp)
    ns, npath = notify_socket(tmp)
    proc = start_activated(tmp, listener, npath)
    try:
        assert recv_notify(ns) == 'READY=1'
        with Client(path) as c:
            res = c.call('status')['result']
            assert res['socket_activated'] is True, res
            assert res['socket'] == path
            assert res['pid'] == proc.pid
            assert c.call('shutdown')['ok'] is True
        assert proc.wait(TIMEOUT) == 0
        assert recv_notify(ns) == 'STOPPING=1'
        # systemd owns the socket file: ggend leaves it alone.
        assert stat.S_ISSOCK(os.stat(path).st_mode)
    finally:
        if proc.poll() is None:
            proc.kill()
        listener.close()
        ns.close()


def test_abstract_notify_socket():
    tmp = mktemp()
    listener, path = listening_socket(tmp)
    ns, npath = notify_socket(tmp, abstract=True)
    proc = start_activated(tmp, listener, npath)
    try:
        assert recv_notify(ns) == 'READY=1'
        with Client(path) as c:
            assert c.call('shutdown')['ok'] is True
        assert proc.wait(TIMEOUT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        listener.close()
        ns.close()


def test_listen_pid_for_someone_else_ignored():
    # LISTEN_PID names another process: ggend binds its own socket.
    tmp = mktemp()
    env = dict(os.environ)
    env['LISTEN_FDS'] = '1'
    env['LISTEN_PID'] = '1'
    sock = os.path.join(tmp, 'run', 'own.sock')
    r, w = os.pipe()
    proc = subprocess.Popen([GGEND, '--foreground', '--socket', sock,
                             '--state-dir', os.path.join(tmp, 'state'),
                             '--ready-fd', str(w)], pass_fds=[w], env=env,
                            stderr=subprocess.DEVNULL)
    _live.append(proc)
    os.close(w)
    try:
        assert read_ready(r) == 'READY'
        with Client(sock) as c:
            res = c.call('status')['result']
            assert res['socket_activated'] is False
            c.call('shutdown')
        assert proc.wait(TIMEOUT) == 0
    finally:
        os.close(r)
        if proc.poll() is None:
            proc.kill()


def test_listen_fds_not_a_socket():
    tmp = mktemp()
    env = dict(os.environ)
    env['LISTEN_FDS'] = '1'
    with open(os.path.join(tmp, 'plain'), 'w') as f:
        script = ('LISTEN_PID=$$; export LISTEN_PID; exec "$0" --foreground '
                  '--state-dir "$1" 3<&%d' % f.fileno())
        p = subprocess.run(['/bin/sh', '-c', script, GGEND,
                            os.path.join(tmp, 'state')], env=env,
                           pass_fds=[f.fileno()], capture_output=True,
                           text=True, timeout=TIMEOUT)
    assert p.returncode == 1
    assert 'not a listening Unix stream socket' in p.stderr, p.stderr


if __name__ == '__main__':
    run([test_listen_fds_adoption_and_ready, test_abstract_notify_socket,
         test_listen_pid_for_someone_else_ignored,
         test_listen_fds_not_a_socket])
