#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ggend basics: hello/status/shutdown, pipelining, modes, signals, a second
daemon, stale sockets, ggenc output and exit codes."""
import json
import os
import select
import signal
import socket
import stat
import subprocess

from harness import GGEND, Client, Daemon, ggenc, mktemp, run


def test_hello():
    with Daemon() as d, d.client() as c:
        r = c.call('hello', proto=1)
        assert r['ok'] is True, r
        assert r['result']['proto'] == 1
        assert r['result']['version']
        assert 'status' in r['result']['capabilities']
        assert r['result']['pid'] == d.proc.pid


def test_hello_version_mismatch():
    with Daemon() as d, d.client() as c:
        r = c.call('hello', proto=99)
        assert r['ok'] is False
        assert r['error']['code'] == 'proto_version', r
        assert 'protocol 99' in r['error']['message']
        assert 'speaks 1' in r['error']['message']
        assert c.call('status')['ok'] is True


def test_status_fields():
    with Daemon() as d, d.client() as c:
        res = c.call('status')['result']
        assert res['pid'] == d.proc.pid
        assert res['version']
        assert res['uptime_ms'] >= 0
        assert res['rss_bytes'] > 0
        assert res['clients']['connected'] == 1
        assert res['socket'] == d.sock
        assert res['roots'] == []


def test_shutdown_request():
    with Daemon() as d:
        with d.client() as c:
            r = c.call('shutdown')
            assert r['ok'] is True and r['result']['stopping'] is True
            assert c.at_eof()
        assert d.wait() == 0
        assert not os.path.exists(d.sock)
        assert not os.path.exists(d.sock + '.pid')


def test_pipelined_in_order():
    with Daemon() as d, d.client() as c:
        lines = ''.join(json.dumps({'id': i, 'cmd': 'status' if i % 2
                                    else 'hello', 'proto': 1}) + '\n'
                        for i in range(500))
        c.send(lines)
        for i in range(500):
            r = c.recv()
            assert r['id'] == i and r['ok'] is True, (i, r)


def test_string_ids_echoed():
    with Daemon() as d, d.client() as c:
        c.send('{"id":"abc","cmd":"status"}\n')
        assert c.recv()['id'] == 'abc'


def test_modes():
    with Daemon() as d:
        st = os.stat(os.path.dirname(d.sock))
        assert stat.S_IMODE(st.st_mode) == 0o700, oct(st.st_mode)
        st = os.stat(d.sock)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)


def test_bad_dir_mode_refused():
    tmp = mktemp()
    os.mkdir(os.path.join(tmp, 'run'), 0o755)
    os.chmod(os.path.join(tmp, 'run'), 0o755)
    d = Daemon(tmp=tmp)
    line = d.spawn()
    assert d.wait() == 1
    assert 'mode 0755' in line and 'chmod 700' in line, line
    assert 'chmod 700' in d.log_text()


def test_shared_dir_refused_with_a_safe_fix():
    """A socket straight in a shared directory (sticky like /tmp, or /)
    is refused, and the advice is a directory of one's own, never to
    chmod or remove the shared one."""
    shared = os.path.join(mktemp(), 'shared')
    os.mkdir(shared)
    os.chmod(shared, 0o1777)
    for sock in (os.path.join(shared, 'ggend.sock'), '/ggen-test.sock'):
        p = ggenc('status', sock=sock)      # autostart checks the dir
        assert p.returncode != 0, p
        assert 'is shared' in p.stderr and 'directory of your own' in \
            p.stderr, p.stderr
        assert 'chmod 700' not in p.stderr, p.stderr
        assert 'remove it' not in p.stderr, p.stderr
    d = Daemon(sock=os.path.join(shared, 'ggend.sock'))
    line = d.spawn()
    assert d.wait() == 1
    assert 'is shared' in line and 'chmod' not in line, line
    assert not os.path.exists(os.path.join(shared, 'ggend.sock'))


def test_second_daemon_refused():
    with Daemon() as d:
        d2 = Daemon(sock=d.sock)
        line = d2.spawn()
        assert d2.wait() == 1
        assert 'already running' in line, line
        with d.client() as c:
            assert c.call('status')['ok'] is True
        assert os.path.exists(d.sock)


def test_second_daemon_other_pidfile_refused():
    # The socket answers: refused even when the pidfile lock is not shared.
    with Daemon() as d:
        os.rename(d.sock + '.pid', d.sock + '.pid.moved')
        d2 = Daemon(sock=d.sock)
        line = d2.spawn()
        assert d2.wait() == 1
        assert 'already running on ' + d.sock in line, line
        os.rename(d.sock + '.pid.moved', d.sock + '.pid')


def test_stale_socket_replaced():
    tmp = mktemp()
    os.mkdir(os.path.join(tmp, 'run'), 0o700)
    path = os.path.join(tmp, 'run', 'ggend.sock')
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()   # the file stays; nobody answers on it
    with Daemon(tmp=tmp) as d:
        with d.client() as c:
            assert c.call('status')['ok'] is True
        assert 'replacing stale socket' in d.log_text()


def test_sigterm_removes_socket():
    with Daemon() as d:
        d.proc.send_signal(signal.SIGTERM)
        assert d.wait() == 0
        assert not os.path.exists(d.sock)
        assert 'stopping: SIGTERM' in d.log_text()


def test_sighup_reloads():
    with Daemon('--log-level', 'info') as d:
        d.proc.send_signal(signal.SIGHUP)
        with d.client() as c:
            c.call('shutdown')
        assert d.wait() == 0
        assert 'configuration reloaded' in d.log_text()


def test_ggenc_status_human():
    with Daemon() as d:
        p = ggenc('status', sock=d.sock)
        assert p.returncode == 0, p.stderr
        assert 'pid %d' % d.proc.pid in p.stdout, p.stdout
        assert 'clients' in p.stdout


def test_ggenc_json_status():
    with Daemon() as d:
        p = ggenc('--json', 'status', sock=d.sock)
        assert p.returncode == 0, p.stderr
        res = json.loads(p.stdout)
        assert res['pid'] == d.proc.pid
        p = ggenc('st', '--json', '--socket', d.sock)
        assert json.loads(p.stdout)['pid'] == d.proc.pid


def test_ggenc_shutdown():
    with Daemon() as d:
        p = ggenc('shutdown', sock=d.sock)
        assert p.returncode == 0, p.stderr
        assert 'ggend (pid %d) stopped' % d.proc.pid in p.stdout, p.stdout
        # shutdown returned after the process exited: it is a zombie of
        # ours (or reaped) by now, never still running.
        with open('/proc/%d/stat' % d.proc.pid) as f:
            state = f.read().rsplit(')', 1)[1].split()[0]
        assert state == 'Z', state
        assert d.wait() == 0


def test_ggenc_usage_exit_2():
    for args, frag in ((['frob'], 'unknown command "frob"'),
                       (['s'], 'ambiguous command "s"'),
                       (['status', 'extra'], 'too many arguments'),
                       (['--bogus', 'status'], 'unknown option'),
                       ([], 'no command'),
                       (['--socket'], '--socket needs a value'),
                       (['stauts'], 'did you mean "status"'),
                       (['logs', '1', '--folow'],
                        'unknown option "--folow" for "logs"; did you mean '
                        '"--follow"?'),
                       (['status', '--bogus'], 'unknown option "--bogus"')):
        p = ggenc(*args, sock='/nonexistent/x.sock')
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert frag in p.stderr, (args, p.stderr)


def test_ggenc_no_start_exit_3():
    tmp = mktemp()
    sock = os.path.join(tmp, 'none.sock')
    p = ggenc('--no-start', 'status', sock=sock)
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert 'cannot connect' in p.stderr
    assert not os.path.exists(sock)
    # shutdown never starts a daemon just to stop it
    p = ggenc('shutdown', sock=sock)
    assert p.returncode == 3 and not os.path.exists(sock), p.stderr


def test_ggenc_local_commands():
    p = ggenc('version', sock='/nonexistent/x.sock')
    assert p.returncode == 0 and 'protocol 1' in p.stdout
    p = ggenc('help', sock='/nonexistent/x.sock')
    assert p.returncode == 0
    for name in ('status', 'shutdown', 'version', 'help'):
        assert name in p.stdout
    p = ggenc('help', 'st', sock='/nonexistent/x.sock')
    assert p.returncode == 0 and 'usage: ggenc status' in p.stdout


def test_detached_daemon():
    tmp = mktemp()
    sock = os.path.join(tmp, 'run', 'd.sock')
    state = os.path.join(tmp, 'state')
    # Without --foreground, ggend returns once the detached child listens.
    p = subprocess.run([GGEND, '--socket', sock, '--state-dir', state],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    with Client(sock) as c:
        pid = c.call('status')['result']['pid']
        assert os.getsid(pid) == pid
        fd = os.pidfd_open(pid)
        assert c.call('shutdown')['ok'] is True
    r, _, _ = select.select([fd], [], [], 20)
    os.close(fd)
    assert r, 'detached ggend did not exit'
    with open(os.path.join(state, 'ggend.log')) as f:
        assert 'stopping: shutdown request' in f.read()
    p = subprocess.run([GGEND, '--socket', '/nonexistent-dir/x/d.sock',
                        '--state-dir', state],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert 'ggend failed to start: mkdir /nonexistent-dir/x: No such file' in p.stderr, \
        p.stderr


def test_ggend_usage():
    p = subprocess.run([GGEND, '--bogus'], capture_output=True, text=True)
    assert p.returncode == 2
    p = subprocess.run([GGEND, '--set', 'client.max=0', '--foreground'],
                       capture_output=True, text=True)
    assert p.returncode == 2 and 'out of range' in p.stderr, p.stderr
    p = subprocess.run([GGEND, '--help-config'], capture_output=True,
                       text=True)
    assert p.returncode == 0 and 'client.obuf_hard_bytes' in p.stdout


if __name__ == '__main__':
    run([test_hello, test_hello_version_mismatch, test_status_fields,
         test_shutdown_request, test_pipelined_in_order,
         test_string_ids_echoed, test_modes, test_bad_dir_mode_refused,
         test_shared_dir_refused_with_a_safe_fix,
         test_second_daemon_refused, test_second_daemon_other_pidfile_refused,
         test_stale_socket_replaced, test_sigterm_removes_socket,
         test_sighup_reloads, test_ggenc_status_human, test_ggenc_json_status,
         test_ggenc_shutdown, test_ggenc_usage_exit_2,
         test_ggenc_no_start_exit_3, test_ggenc_local_commands,
         test_detached_daemon, test_ggend_usage])
