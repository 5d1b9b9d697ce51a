#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Load against a real ggend: many concurrent clients pipelining hello and
status in fixed windows. Every id must be answered exactly once, in order
per connection, with ok:true; ggend's peak RSS (VmHWM) must stay under a
bound; p99 reply latency is reported (never asserted: perf/ owns numbers).
A client that never reads is cut off at its output limit while the others
keep being served.

The suite runs a light version (50 clients x 200 requests) under the
ASan build; GGEN_LOAD_CLIENTS / GGEN_LOAD_REQUESTS / GGEN_LOAD_WINDOW set
the heavy one (200 x 1000: perf/bench_load.py runs it on a release build).
load() is shared with perf/bench_load.py.
"""
import json
import os
import select
import selectors
import socket
import time

import harness
from harness import Daemon

CLIENTS = int(os.environ.get('GGEN_LOAD_CLIENTS', '50'))
REQUESTS = int(os.environ.get('GGEN_LOAD_REQUESTS', '200'))
WINDOW = int(os.environ.get('GGEN_LOAD_WINDOW', '16'))
# Peak RSS bound for the daemon under load. ASan's shadow memory and
# quarantine dominate in the test build; the release figure is in
# tests/RELIABILITY.md.
RSS_BOUND = int(os.environ.get('GGEN_LOAD_RSS_MB', '512')) << 20


def proc_kib(pid, key):
    """A /proc/PID/status figure in KiB (VmRSS, VmHWM), or 0."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class _Conn:
    def __init__(self, path, n, window):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.setblocking(False)
        self.n = n
        self.window = window
        self.next_id = 1        # next id to send
        self.expect = 1         # next id a reply must carry
        self.inbuf = b''
        self.out = b''
        self.sent_at = {}
        self.errors = []

    def queue(self):
        """Fill the window of requests in flight."""
        parts = []
        while self.next_id <= self.n and \
                self.next_id - self.expect < self.window:
            i = self.next_id
            if i % 2:
                parts.append(b'{"id":%d,"cmd":"hello","proto":1}\n' % i)
            else:
                parts.append(b'{"id":%d,"cmd":"status"}\n' % i)
            self.sent_at[i] = time.perf_counter()
            self.next_id += 1
        self.out += b''.join(parts)

    def done(self):
        return self.expect > self.n


def load(path, clients, requests, window, pid=None, timeout=600,
         samples=None):
    """Run the load; returns a dict of figures and the list of problems
    (lost, duplicated or out-of-order replies, error replies). samples, if
    a list, gets every reply's latency in ms."""
    sel = selectors.DefaultSelector()
    conns = []
    for _ in range(clients):
        c = _Conn(path, requests, window)
        conns.append(c)
        sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE,
                     c)
        c.queue()
    lat = []
    problems = []
    peak_rss_kib = 0
    live = len(conns)
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    last_sample = 0.0
    while live > 0:
        if time.monotonic() > deadline:
            problems.append('timeout with %d clients unfinished' % live)
            break
        for key, ev in sel.select(1.0):
            c = key.data
            if ev & selectors.EVENT_WRITE and c.out:
                try:
                    n = c.sock.send(c.out)
                    c.out = c.out[n:]
                except BlockingIOError:
                    pass
            if ev & selectors.EVENT_READ:
                try:
                    data = c.sock.recv(1 << 16)
                except BlockingIOError:
                    data = None
                if data == b'':
                    problems.append('connection closed at id %d'
                                    % c.expect)
                    sel.unregister(c.sock)
                    live -= 1
                    continue
                if data:
                    c.inbuf += data
                    now = time.perf_counter()
                    *lines, c.inbuf = c.inbuf.split(b'\n')
                    for line in lines:
                        r = json.loads(line)
                        if r.get('id') != c.expect:
                            problems.append('reply id %r, expected %d'
                                            % (r.get('id'), c.expect))
                        elif not r.get('ok'):
                            problems.append('error reply %r' % r)
                        else:
                            lat.append(now - c.sent_at.pop(c.expect))
                        c.expect += 1
                    c.queue()
            if c.done():
                sel.unregister(c.sock)
                live -= 1
            else:
                sel.modify(c.sock, selectors.EVENT_READ |
                           (selectors.EVENT_WRITE if c.out else 0), c)
        if pid is not None and time.perf_counter() - last_sample > 0.1:
            last_sample = time.perf_counter()
            peak_rss_kib = max(peak_rss_kib, proc_kib(pid, 'VmRSS'))
    elapsed = time.perf_counter() - t0
    for c in conns:
        if c.sent_at and not problems:
            problems.append('%d requests never answered' % len(c.sent_at))
        c.sock.close()
    sel.close()
    lat.sort()
    if samples is not None:
        samples.extend(x * 1e3 for x in lat)

    def pct(p):
        return lat[min(len(lat) - 1, int(len(lat) * p))] * 1e3 if lat \
            else 0.0
    figures = {
        'clients': clients, 'requests_per_client': requests,
        'window': window, 'replies': len(lat), 'seconds': elapsed,
        'requests_per_s': len(lat) / elapsed if elapsed > 0 else 0.0,
        'p50_ms': pct(0.50), 'p99_ms': pct(0.99), 'max_ms': pct(1.0),
        'sampled_peak_rss_kib': peak_rss_kib,
    }
    if pid is not None:
        figures['vmhwm_kib'] = proc_kib(pid, 'VmHWM')
    return figures, problems


def _report(figures):
    for k in sorted(figures):
        v = figures[k]
        print('# %s: %s' % (k, ('%.3f' % v) if isinstance(v, float) else v))


def test_concurrent_pipelined_clients():
    with Daemon('--log-level', 'warn') as d:
        figures, problems = load(d.sock, CLIENTS, REQUESTS, WINDOW,
                                 pid=d.proc.pid)
        _report(figures)
        assert not problems, problems[:10]
        assert figures['replies'] == CLIENTS * REQUESTS, figures
        assert figures['vmhwm_kib'] * 1024 < RSS_BOUND, figures
        with d.client() as c:
            st = c.call('status')['result']
        # Every line was dispatched once; none dropped or refused.
        assert st['requests'] >= CLIENTS * REQUESTS, st
        assert st['clients']['dropped'] == 0, st
        assert st['clients']['refused'] == 0, st


def test_non_reader_cut_off_others_served():
    """A client that pipelines status without ever reading fills its output
    queue; past client.obuf_soft_bytes for client.obuf_soft_ms it is
    disconnected, while concurrent clients get every reply."""
    with Daemon('--log-level', 'warn', '--set',
                'client.obuf_soft_bytes=64KiB', '--set',
                'client.obuf_hard_bytes=1MiB', '--set',
                'client.obuf_soft_ms=300ms') as d:
        hog = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        hog.connect(d.sock)
        hog.setblocking(False)
        burst = b''.join(b'{"id":%d,"cmd":"status"}\n' % i
                         for i in range(20000))
        sent = 0
        try:
            while sent < len(burst):
                sent += hog.send(burst[sent:sent + 65536])
        except BlockingIOError:
            pass        # the daemon stopped reading us: soft limit
        except (BrokenPipeError, ConnectionResetError):
            pass        # already cut off
        figures, problems = load(d.sock, 10, 200, 8, pid=d.proc.pid)
        _report(figures)
        assert not problems, problems[:10]
        # Wait for the daemon to close the hog: POLLRDHUP without reading
        # (reading would drain its queue and undo the limit).
        p = select.poll()
        p.register(hog, select.POLLRDHUP)
        assert p.poll(harness.IO_TIMEOUT * 1000), 'hog never cut off'
        with d.client() as c:
            st = c.call('status')['result']
        assert st['clients']['dropped'] == 1, st
        assert st['clients']['connected'] == 1, st
        assert 'client.obuf_soft' in d.log_text(), d.log_text()
        hog.close()


if __name__ == '__main__':
    harness.run([test_concurrent_pipelined_clients,
                 test_non_reader_cut_off_others_served])
