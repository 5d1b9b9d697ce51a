#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Load benchmark (issue 9): 200 concurrent connections each pipelining
1000 hello/status requests in windows of 16 against a private ggend from
BUILD_DIR (50 x 200 with GGEN_BENCH_QUICK). Every id must come back once,
in order per connection, else the exit status is 1.
Usage: bench_load.py BUILD_DIR
Figures (perf/bench.h format): load_reply_ms (per-request latency under
that load: p50, p99), load_rate (requests/s), load_peak_rss (ggend VmHWM,
KiB). The load driver is shared with the suite's lighter run
(tests/integration/test_load.py); its Python client, not the daemon, is
the bottleneck, so the rate is a floor."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))
import benchlib  # noqa: E402
import test_load  # noqa: E402


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    clients, requests = (50, 200) if benchlib.quick() else (200, 1000)
    window = 16
    samples = []
    with benchlib.Daemon(build) as d:
        figures, problems = test_load.load(d.sock, clients, requests,
                                           window, pid=d.proc.pid,
                                           samples=samples)
    extra = {'clients': clients, 'requests_per_client': requests,
             'window': window, 'lost_or_misordered': len(problems)}
    print('# %d clients x %d requests, window %d: %d replies in %.2f s'
          % (clients, requests, window, figures['replies'],
             figures['seconds']))
    benchlib.emit('load', 'load_reply_ms', 'ms', samples, extra=extra)
    benchlib.emit('load', 'load_rate', 'requests/s',
                  [figures['requests_per_s']], extra=extra)
    benchlib.emit('load', 'load_peak_rss', 'KiB', [figures['vmhwm_kib']],
                  extra=extra)
    for p in problems[:10]:
        print('problem: %s' % p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
