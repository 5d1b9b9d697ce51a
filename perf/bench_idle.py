#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Idle cost of ggend: a private daemon with three watched roots and no
changes must make no wake-ups and use no CPU. Counts context switches
(voluntary + nonvoluntary, summed over /proc/PID/task/*/status: each one
is a wake-up or a preemption) and CPU time (utime + stime of
/proc/PID/stat) over a window of 10 s (3 s with GGEN_BENCH_QUICK).

Roots are watched with `ggenc watch ROOT` when `ggenc help` lists a watch
command; until then the daemon idles with no roots and a '#' line says so.
Usage: bench_idle.py BUILD_DIR. Prints figure lines (perf/bench.h)."""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

# After the last command, before the window opens: crawls finish and the
# daemon goes back to sleep (a benchmark may wait; a test may not).
SETTLE_S = 1.0


def switches(pid):
    total = 0
    for tid in os.listdir('/proc/%d/task' % pid):
        with open('/proc/%d/task/%s/status' % (pid, tid)) as f:
            for line in f:
                if line.startswith(('voluntary_ctxt_switches',
                                    'nonvoluntary_ctxt_switches')):
                    total += int(line.split()[1])
    return total


def cpu_ms(pid):
    with open('/proc/%d/stat' % pid) as f:
        # Fields after the command name, which may contain spaces.
        fields = f.read().rsplit(')', 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks * 1000.0 / os.sysconf('SC_CLK_TCK')


def make_root(parent, name):
    root = os.path.join(parent, name)
    for d in range(10):
        os.makedirs(os.path.join(root, 'src', 'd%d' % d))
        for i in range(10):
            with open(os.path.join(root, 'src', 'd%d' % d,
                                   'f%d.c' % i), 'w') as f:
                f.write('int f%d_%d;\n' % (d, i))
    return root


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build-perf'
    window = 3.0 if benchlib.quick() else 10.0
    with benchlib.Daemon(build) as d, \
            tempfile.TemporaryDirectory(prefix='ggen-idle-') as tmp:
        roots = 0
        commands = [ln.split()[0] for ln in d.ggenc('help').splitlines()
                    if ln.startswith('  ') and ln.split()]
        if 'watch' in commands:
            for name in ('a', 'b', 'c'):
                d.ggenc('watch', make_root(tmp, name))
                roots += 1
        else:
            print('# idle: ggenc has no watch command yet, so the daemon '
                  'idles with 0 roots instead of 3', flush=True)
        time.sleep(SETTLE_S)
        pid = d.proc.pid
        s0, c0 = switches(pid), cpu_ms(pid)
        time.sleep(window)
        s1, c1 = switches(pid), cpu_ms(pid)
    extra = {'window_s': window, 'roots': roots}
    benchlib.emit('idle', 'idle_wakeups', 'wakeups', [s1 - s0], extra=extra)
    benchlib.emit('idle', 'idle_cpu', 'ms', [c1 - c0], extra=extra)
    print('# idle: %d wake-ups, %.0f ms CPU in %.0f s with %d roots: %s' %
          (s1 - s0, c1 - c0, window, roots,
           'PASS' if s1 == s0 and c1 == c0 else 'FAIL'), flush=True)


if __name__ == '__main__':
    main()
