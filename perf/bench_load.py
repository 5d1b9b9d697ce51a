#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Load benchmark (issue 9): CLIENTS concurrent connections each pipelining
REQUESTS hello/status requests in windows of WINDOW against a real ggend
from BUILD_DIR. Every id must come back once, in order (else exit 1).
Prints one JSON object per figure (see perf/meson.build): p50/p99 reply
latency, throughput, ggend peak RSS (VmHWM).
Usage: bench_load.py [BUILD_DIR [CLIENTS [REQUESTS [WINDOW]]]]
(defaults: build, 200, 1000, 16). The load driver is the one the test
suite runs lighter: tests/integration/test_load.py."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    requests = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    window = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    os.environ['GGEND'] = os.path.join(build, 'ggend')
    os.environ['GGENC'] = os.path.join(build, 'ggenc')
    import harness
    import test_load
    harness.GGEND = os.environ['GGEND']
    with harness.Daemon('--log-level', 'warn') as d:
        figures, problems = test_load.load(d.sock, clients, requests,
                                           window, pid=d.proc.pid)
    for p in problems[:10]:
        print('problem: %s' % p, file=sys.stderr)
    base = {'bench': 'load', 'clients': clients,
            'requests_per_client': requests, 'window': window, 'reps': 1}
    for fig, unit, key in (('p50_latency', 'ms', 'p50_ms'),
                           ('p99_latency', 'ms', 'p99_ms'),
                           ('max_latency', 'ms', 'max_ms'),
                           ('throughput', 'requests/s', 'requests_per_s'),
                           ('peak_rss', 'KiB', 'vmhwm_kib')):
        v = figures[key]
        out = dict(base, figure=fig, unit=unit, min=v, median=v, max=v)
        print(json.dumps(out))
    print(json.dumps(dict(base, figure='lost_or_misordered', unit='replies',
                          min=len(problems), median=len(problems),
                          max=len(problems))))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
