#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Round trips through a real ggend: sequential status latency and
pipelined hello throughput. Usage: bench_roundtrip.py BUILD_DIR.
Prints one JSON object per figure (see perf/meson.build)."""
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPS = 5


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    tmp = tempfile.mkdtemp(prefix='ggen-bench-')
    sock = os.path.join(tmp, 'run', 'ggend.sock')
    r, w = os.pipe()
    proc = subprocess.Popen([os.path.join(build, 'ggend'), '--foreground',
                             '--socket', sock, '--state-dir',
                             os.path.join(tmp, 'state'), '--ready-fd',
                             str(w), '--log-level', 'warn'], pass_fds=[w])
    os.close(w)
    assert os.read(r, 64).startswith(b'READY')
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    f = s.makefile('rb')
    lat, thr = [], []
    for _ in range(REPS):
        n = 2000
        t0 = time.perf_counter()
        for i in range(n):
            s.sendall(b'{"id":%d,"cmd":"status"}\n' % i)
            f.readline()
        lat.append((time.perf_counter() - t0) / n * 1e6)
        n = 20000
        t0 = time.perf_counter()
        # Send from a thread: a client that writes everything before it
        # reads would stall against the daemon's bounded output buffer.
        data = b''.join(b'{"id":%d,"cmd":"hello","proto":1}\n' % i
                        for i in range(n))
        sender = threading.Thread(target=s.sendall, args=(data,))
        sender.start()
        for i in range(n):
            f.readline()
        sender.join()
        thr.append(n / (time.perf_counter() - t0))
    s.sendall(b'{"id":0,"cmd":"shutdown"}\n')
    f.readline()
    proc.wait(10)
    shutil.rmtree(tmp, ignore_errors=True)
    for fig, unit, v in (('status_latency', 'us/request', lat),
                         ('pipelined_hello', 'requests/s', thr)):
        print(json.dumps({'bench': 'roundtrip', 'figure': fig, 'unit': unit,
                          'min': round(min(v), 1),
                          'median': round(statistics.median(v), 1),
                          'max': round(max(v), 1), 'reps': REPS}))


if __name__ == '__main__':
    main()
