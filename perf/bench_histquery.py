#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end history query latency through a real ggend (private socket
and state dir, always stopped): RUNS runs are made with `run` requests
(phase `true`, default 2000, 300 with GGEN_BENCH_QUICK=1), then
  history_limit100_request  one `history` request with limit 100 on an open
                            connection (ms, 300 samples)
  history_limit100_ggenc    `ggenc history --limit 100` as a process:
                            client start, hello, request, table (ms, 40)
The store-level figures at 100k/1M runs are bench_history's.

Usage: bench_histquery.py BUILD_DIR [RUNS]. Prints figure lines
(perf/bench.h format)."""
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

QUICK = os.environ.get('GGEN_BENCH_QUICK') == '1'


class Conn:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(60)
        self.sock.connect(path)
        self.buf = b''
        self.next_id = 1

    def call(self, cmd, **fields):
        rid = self.next_id
        self.next_id += 1
        msg = dict(fields, id=rid, cmd=cmd)
        self.sock.sendall(json.dumps(msg).encode() + b'\n')
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


def figure(name, unit, samples, extra):
    s = sorted(samples)
    n = len(s)
    print(json.dumps({
        'bench': 'histquery', 'figure': name, 'unit': unit,
        'min': round(s[0], 4), 'median': round(s[n // 2], 4),
        'p99': round(s[min(n - 1, (n * 99) // 100)], 4),
        'max': round(s[-1], 4), 'reps': n, 'extra': extra}))
    sys.stdout.flush()


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                            'build-perf')
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else (300 if QUICK else
                                                        2000)
    ggend = os.path.join(build, 'ggend')
    ggenc = os.path.join(build, 'ggenc')
    tmp = tempfile.mkdtemp(prefix='ggen-bench-')
    os.chmod(tmp, 0o700)
    sock = os.path.join(tmp, 'ggend.sock')
    root = os.path.join(tmp, 'p')
    os.makedirs(root)
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write('[project]\nname = "b"\n\n[lifecycle.q]\ncommand = "true"\n')
    r, w = os.pipe()
    proc = subprocess.Popen(
        [ggend, '--foreground', '--socket', sock, '--state-dir',
         os.path.join(tmp, 'state'), '--ready-fd', str(w),
         '--log-level', 'warn'], pass_fds=[w], stdin=subprocess.DEVNULL)
    os.close(w)
    try:
        ready, _, _ = select.select([r], [], [], 30)
        if not ready or not os.read(r, 64).startswith(b'READY'):
            raise SystemExit('ggend did not start')
        c = Conn(sock)
        t0 = time.perf_counter()
        for _ in range(runs):
            c.call('run', phases=['q'], root=root)
        fill_s = time.perf_counter() - t0
        # Wait for the writer: every run on disk before measuring.
        while True:
            h = c.call('status')['history']
            if h['runs_written'] >= runs and not h['pending']:
                break
            time.sleep(0.01)
        extra = {'runs_in_db': runs, 'db_bytes': h['size_bytes'],
                 'fill_runs_per_s': round(runs / fill_s, 1)}
        samples = []
        for _ in range(300):
            t = time.perf_counter()
            res = c.call('history', limit=100)
            samples.append((time.perf_counter() - t) * 1000.0)
            if len(res['runs']) != min(100, runs):
                raise SystemExit('history returned %d runs'
                                 % len(res['runs']))
        figure('history_limit100_request', 'ms', samples, extra)
        samples = []
        env = dict(os.environ, GGEN_SOCK=sock)
        for _ in range(40):
            t = time.perf_counter()
            p = subprocess.run([ggenc, 'history', '--limit', '100'],
                               env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
            samples.append((time.perf_counter() - t) * 1000.0)
            if p.returncode != 0:
                raise SystemExit('ggenc history: %s' % p.stderr)
        figure('history_limit100_ggenc', 'ms', samples, extra)
        c.call('shutdown')
        proc.wait(30)
    finally:
        os.close(r)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
