#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end history query latency through a real ggend (benchlib.Daemon:
private socket and state dir, always stopped). RUNS runs of a phase
running `true` are made with `run` requests (default 2000, 300 with
GGEN_BENCH_QUICK=1), then:
  history_limit100_request  one `history` request, limit 100, on an open
                            connection (ms)
  history_limit100_ggenc    `ggenc history --limit 100` as a process:
                            client start, hello, request, table (ms)
The store-level figures (insert rate, list latency at 1M runs) are
bench_history's.

Usage: bench_histquery.py BUILD_DIR [RUNS]. Prints figure lines
(perf/bench.h format)."""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


class Conn:
    """One NDJSON connection; call() skips progress messages."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(60)
        self.sock.connect(path)
        self.buf = b''
        self.next_id = 1

    def call(self, cmd, **fields):
        rid = self.next_id
        self.next_id += 1
        self.sock.sendall(json.dumps(dict(fields, id=rid, cmd=cmd))
                          .encode() + b'\n')
        while True:
            while b'\n' not in self.buf:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    raise RuntimeError('ggend closed the connection')
                self.buf += chunk
            line, self.buf = self.buf.split(b'\n', 1)
            m = json.loads(line)
            if m.get('id') == rid and 'progress' not in m:
                if not m.get('ok'):
                    raise RuntimeError('%s: %r' % (cmd, m))
                return m['result']


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                            'build-perf')
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else \
        (300 if benchlib.quick() else 2000)
    with benchlib.Daemon(build) as d:
        root = os.path.join(d.tmp, 'p')
        os.makedirs(root)
        with open(os.path.join(root, 'make.toml'), 'w') as f:
            f.write('[project]\nname = "b"\n\n[lifecycle.q]\n'
                    'command = "true"\n')
        c = Conn(d.sock)
        t0 = time.perf_counter()
        for _ in range(runs):
            c.call('run', phases=['q'], root=root)
        fill_s = time.perf_counter() - t0
        # Every run committed (no batch queued or in flight) first.
        while True:
            h = c.call('status')['history']
            if not h['pending'] and h['flushes'] == h['transactions']:
                break
            time.sleep(0.01)
        extra = {'runs_in_db': runs, 'db_bytes': h['size_bytes'],
                 'fill_runs_per_s': round(runs / fill_s, 1)}
        samples = []
        for _ in range(benchlib.reps(300, 50)):
            t = time.perf_counter()
            res = c.call('history', limit=100)
            samples.append((time.perf_counter() - t) * 1000.0)
            if len(res['runs']) != min(100, runs):
                raise SystemExit('history returned %d runs'
                                 % len(res['runs']))
        benchlib.emit('histquery', 'history_limit100_request', 'ms',
                      samples, extra=extra)
        samples = []
        for _ in range(benchlib.reps(40, 10)):
            t = time.perf_counter()
            out = d.ggenc('history', '--limit', '100')
            samples.append((time.perf_counter() - t) * 1000.0)
            if len(out.splitlines()) != min(100, runs) + 1:
                raise SystemExit('ggenc history: %r' % out[:200])
        benchlib.emit('histquery', 'history_limit100_ggenc', 'ms',
                      samples, extra=extra)
        c.sock.close()


if __name__ == '__main__':
    main()
