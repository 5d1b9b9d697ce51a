#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input gets an error reply and the daemon keeps serving; a client
that never reads is dropped while another is served normally."""
import select
import socket

from harness import Daemon, run


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
        res = a.call('status')['result']
        assert res['clients']['refused'] == 1, res
        a.close()
        b.close()


def test_emfile_pauses_accept_then_recovers():
    import resource

    def low_fd_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (24, 24))

    with Daemon(preexec=low_fd_limit) as d:
        held = []
        for _ in range(40):     # more than the daemon has fds for
            held.append(d.client())
        # The first ones are served; later ones wait in the backlog.
        assert held[0].call('status')['ok'] is True
        last = held.pop()
        last.request('status', id=77)
        for c in held:
            c.close()
        # Answered once the 1 s accept pause ends (recv waits, no sleep).
        r = last.recv()
        assert r['id'] == 77 and r['ok'] is True, r
        last.close()
        assert 'pausing accepts' in d.log_text()


if __name__ == '__main__':
    run([test_binary_bytes, test_two_mib_line, test_empty_object,
         test_unknown_command, test_wrong_types, test_many_errors_then_good,
         test_eof_mid_line_closes_cleanly, test_non_reader_dropped_soft,
         test_non_reader_dropped_hard, test_client_max_refuses_busy,
         test_emfile_pauses_accept_then_recovers])
