#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input gets an error reply and the daemon keeps serving; a client
that never reads is dropped while another is served normally."""
import os
import resource
import select
import socket
import subprocess

from harness import (GGEND, Client, Daemon, _live, ggenc, mktemp,
                     read_ready, run)


def expect_error(c, code, fragment, id=None):
    r = c.recv()
    assert r['ok'] is False, r
    assert r['id'] == id, r
    assert r['error']['code'] == code, r
    assert fragment in r['error']['message'], r
    return r


def test_binary_bytes():
    with Daemon() as d, d.client() as c:
        c.send(b'\x00\x01\xfe\xff garbage \x80\n')
        expect_error(c, 'invalid_json', 'invalid UTF-8 at byte 3')
        c.send(b'\x01\x02\x03\n')
        expect_error(c, 'invalid_json', 'invalid JSON at byte')
        assert c.call('status')['ok'] is True


def test_two_mib_line():
    with Daemon() as d:
        with d.client() as c:
            try:
                c.send(b'{"id":1,"cmd":"status","pad":"' + b'x' * (2 << 20)
                       + b'"}\n')
            except (BrokenPipeError, ConnectionResetError):
                pass    # closed after the reply, while we were still sending
            r = expect_error(c, 'line_too_long', 'longer than 1048576 bytes')
            assert r['id'] is None
            assert c.at_eof()
        with d.client() as c2:
            assert c2.call('status')['ok'] is True
        assert 'line longer than' in d.log_text()


def test_empty_object():
    with Daemon() as d, d.client() as c:
        c.send('{}\n')
        expect_error(c, 'missing_field', 'missing field "cmd"')
        assert c.call('status')['ok'] is True


def test_unknown_command():
    with Daemon() as d, d.client() as c:
        c.send('{"id":7,"cmd":"frobnicate"}\n')
        expect_error(c, 'unknown_command', 'unknown command "frobnicate"', 7)
        assert c.call('status')['ok'] is True


def test_wrong_types():
    with Daemon() as d, d.client() as c:
        c.send('{"id":1,"cmd":42}\n')
        expect_error(c, 'bad_type', 'field "cmd": expected string, '
                     'found number', 1)
        c.send('{"id":2,"cmd":"hello","proto":"1"}\n')
        expect_error(c, 'bad_type', 'field "proto": expected integer, '
                     'found string', 2)
        c.send('{"id":3,"cmd":"hello","proto":1,"client":5}\n')
        expect_error(c, 'bad_type', 'field "client": expected string, '
                     'found number', 3)
        c.send('{"id":{"a":1},"cmd":"status"}\n')
        expect_error(c, 'bad_type', 'field "id"')
        c.send('{"id":4,"cmd":"hello"}\n')
        expect_error(c, 'missing_field', 'missing field "proto"', 4)
        c.send('[1,2,3]\n')
        expect_error(c, 'bad_request', 'found array')
        res = c.call('status')['result']
        assert res['errors']['bad_type'] == 4, res['errors']
        assert res['errors']['missing_field'] == 1, res['errors']


def test_many_errors_then_good():
    with Daemon() as d, d.client() as c:
        c.send(b'nope\n' * 1000 + b'{"id":9,"cmd":"status"}\n')
        for _ in range(1000):
            expect_error(c, 'invalid_json', 'invalid JSON')
        assert c.recv()['id'] == 9


def test_eof_mid_line_closes_cleanly():
    with Daemon() as d:
        with d.client() as c:
            c.send('{"id":1,"cmd":"status"}\n{"id":2,"cmd"')
            c.sock.shutdown(socket.SHUT_WR)
            assert c.recv()['id'] == 1
            assert c.at_eof()
        with d.client() as c2:
            assert c2.call('status')['ok'] is True


def fill_without_reading(c, max_bytes=8 << 20):
    """Send status requests until the daemon stops reading (or max_bytes)."""
    c.sock.setblocking(False)
    chunk = b'{"id":1,"cmd":"status"}\n' * 2000
    sent = 0
    while sent < max_bytes:
        _, w, _ = select.select([], [c.sock], [], 0.5)
        if not w:
            break   # the daemon stopped reading us
        try:
            sent += c.sock.send(chunk)
        except BlockingIOError:
            break
        except (BrokenPipeError, ConnectionResetError):
            break   # already dropped
    return sent


def wait_hup(sock, timeout=20.0):
    p = select.poll()
    p.register(sock, select.POLLHUP)
    events = p.poll(timeout * 1000)
    return any(ev & select.POLLHUP for _, ev in events)


def test_non_reader_dropped_soft():
    with Daemon('--set', 'client.obuf_soft_bytes=64KiB',
                '--set', 'client.obuf_soft_ms=300ms') as d:
        slow = d.client()
        fill_without_reading(slow)
        with d.client() as c:
            assert c.call('status')['ok'] is True
            assert wait_hup(slow.sock), 'slow client was not dropped'
            res = c.call('status')['result']
            assert res['clients']['dropped'] == 1, res
            assert c.call('hello', proto=1)['ok'] is True
        slow.close()
        assert 'disconnected: output over client.obuf_soft_bytes' \
            in d.log_text()


def test_non_reader_dropped_hard():
    with Daemon('--set', 'client.obuf_hard_bytes=64KiB') as d:
        slow = d.client()
        fill_without_reading(slow)
        assert wait_hup(slow.sock), 'slow client was not dropped'
        with d.client() as c:
            res = c.call('status')['result']
            assert res['clients']['dropped'] == 1, res
        slow.close()
        assert 'output over client.obuf_hard_bytes' in d.log_text()


def test_client_max_refuses_busy():
    with Daemon('--set', 'client.max=2') as d:
        a, b = d.client(), d.client()
        assert a.call('status')['ok'] and b.call('status')['ok']
        with d.client() as c:
            r = c.recv()
            assert r['ok'] is False and r['error']['code'] == 'busy', r
            assert r['id'] is None
            assert c.at_eof()
        p = ggenc('status', sock=d.sock)     # an error reply: exit 1
        assert p.returncode == 1, (p.returncode, p.stderr)
        assert '[busy]' in p.stderr and 'client.max' in p.stderr, p.stderr
        res = a.call('status')['result']
        assert res['clients']['refused'] == 2, res
        a.close()
        b.close()


def test_emfile_pauses_accept_then_recovers():
    import os
    import resource
    import subprocess
    from harness import GGEND, Client, _live, read_ready

    tmp = mktemp()
    sock = os.path.join(tmp, 'run', 'ggend.sock')
    r, w = os.pipe()
    proc = subprocess.Popen([GGEND, '--foreground', '--socket', sock,
                             '--state-dir', os.path.join(tmp, 'state'),
                             '--ready-fd', str(w)], pass_fds=[w],
                            stderr=subprocess.PIPE)
    _live.append(proc)
    os.close(w)
    try:
        assert read_ready(r) == 'READY'
        while os.read(r, 4096):
            pass    # EOF: ggend has closed its end, its fds are settled
        # Lower ggend's fd limit to its lowest free fd: accept must fail.
        used = {int(n) for n in os.listdir('/proc/%d/fd' % proc.pid)}
        free = min(n for n in range(len(used) + 1) if n not in used)
        soft, hard = resource.prlimit(proc.pid, resource.RLIMIT_NOFILE)
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (free, hard))
        c = Client(sock)
        c.request('status', id=5)
        # Wait for the log line (a pipe: select, no sleep).
        log = b''
        while b'pausing accepts' not in log:
            rd, _, _ = select.select([proc.stderr], [], [], 20)
            assert rd, 'no EMFILE warning; log: %r' % log
            chunk = os.read(proc.stderr.fileno(), 4096)
            assert chunk, log
            log += chunk
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (soft, hard))
        reply = c.recv()    # served once the 1 s pause ends
        assert reply['id'] == 5 and reply['ok'] is True, reply
        assert c.call('shutdown')['ok'] is True
        c.close()
        assert proc.wait(20) == 0
    finally:
        os.close(r)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


if __name__ == '__main__':
    run([test_binary_bytes, test_two_mib_line, test_empty_object,
         test_unknown_command, test_wrong_types, test_many_errors_then_good,
         test_eof_mid_line_closes_cleanly, test_non_reader_dropped_soft,
         test_non_reader_dropped_hard, test_client_max_refuses_busy,
         test_emfile_pauses_accept_then_recovers])
