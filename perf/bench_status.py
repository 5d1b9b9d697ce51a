#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Round trips through a real ggend with a private socket and state dir
(always stopped): `status` latency p50/p99 and requests/s with 1, 16 and
128 concurrent clients (the C load generator bench_status), and the rate
of pipelined `hello` requests on one connection.

Usage: bench_status.py BUILD_DIR. Prints figure lines (perf/bench.h)."""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

CLIENTS = (1, 16, 128)


def pipelined_hello(sock, n):
    """Requests/s of n pipelined hello requests on one connection."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    f = s.makefile('rb')
    data = b''.join(b'{"id":%d,"cmd":"hello","proto":1}\n' % i
                    for i in range(n))
    t0 = time.perf_counter()
    # Send from a thread: a client that writes everything before it reads
    # would stall against the daemon's bounded output buffer.
    sender = threading.Thread(target=s.sendall, args=(data,))
    sender.start()
    for _ in range(n):
        if b'"ok":true' not in f.readline():
            raise RuntimeError('hello failed')
    sender.join()
    rate = n / (time.perf_counter() - t0)
    s.close()
    return rate


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build-perf'
    loadgen = os.path.join(build, 'perf', 'bench_status')
    reps = benchlib.reps(5, 2)
    secs = '0.3' if benchlib.quick() else '1.0'
    with benchlib.Daemon(build) as d:
        for n in CLIENTS:
            # One connection set per client count; the C program prints
            # its own figure lines.
            sys.stdout.flush()
            rc = os.spawnv(os.P_WAIT, loadgen, [loadgen, d.sock, str(n),
                                                secs, str(reps)])
            if rc != 0:
                raise SystemExit('bench_status %d clients failed' % n)
        n = 2000 if benchlib.quick() else 20000
        rates = [pipelined_hello(d.sock, n) for _ in range(reps)]
    benchlib.emit('status', 'pipelined_hello_rate', 'requests/s', rates)


if __name__ == '__main__':
    main()
