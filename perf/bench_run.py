#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Lifecycle engine latencies through a real ggend (private socket and
state dir, always stopped):

  save_to_start   a file save -> the phase's process running, p50/p99 over
                  200 saves at default settings (watch = ["src/*.c"]), next
                  to the same saves through `entr -np` and an isolated
                  watchman trigger (own socket and state, always shut down);
  cached_run      `ggenc run build` of a cached phase, round trip including
                  the client's start.

The phase process proves it runs by writing to a FIFO the benchmark reads,
so every peer is timed to the same point: its shell running the command.

Usage: bench_run.py BUILD_DIR. Prints figure lines (perf/bench.h)."""
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

SAVES = 200
# A save waits this long for its trigger before the peer is given up.
TRIGGER_TIMEOUT_S = 5.0
# Between saves: longer than any peer's settle window, so each save is one
# trigger (ggend's debounce, watchman's 20 ms settle, entr's 50-100 ms).
GAP_S = 0.15


class Fifo:
    """A FIFO the phase writes to; kept open for writing here too, so the
    read end never sees EOF between triggers."""

    def __init__(self, path):
        self.path = path
        os.mkfifo(path)
        self.rfd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.wfd = os.open(path, os.O_WRONLY)

    def drain(self):
        try:
            while os.read(self.rfd, 4096):
                pass
        except BlockingIOError:
            pass

    def wait(self, timeout):
        """True once a trigger wrote (False on timeout)."""
        r, _, _ = select.select([self.rfd], [], [], timeout)
        if not r:
            return False
        self.drain()
        return True

    def close(self):
        os.close(self.rfd)
        os.close(self.wfd)


def save_latencies(src, fifo, n):
    """Save src n times (new content each time, written in place); the
    latency of each save to the trigger, in ms. [] if the first save never
    triggers."""
    out = []
    for i in range(n):
        fifo.drain()
        t0 = time.perf_counter()
        with open(src, 'w') as f:
            f.write('int v = %d;\n' % i)
        if not fifo.wait(TRIGGER_TIMEOUT_S):
            if not out:
                return []
            continue
        out.append((time.perf_counter() - t0) * 1e3)
        time.sleep(GAP_S)
    return out


def project(tmp, fifo_path):
    root = os.path.join(tmp, 'p')
    os.makedirs(os.path.join(root, 'src'))
    with open(os.path.join(root, 'src', 'a.c'), 'w') as f:
        f.write('int v;\n')
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write('[project]\nname = "bench"\n'
                '[lifecycle.touch]\ncommand = "echo x > %s"\n'
                'watch = ["src/*.c"]\n'
                '[lifecycle.build]\ncommand = "echo built > out.txt"\n'
                'inputs = ["src/*.c"]\noutputs = ["out.txt"]\n'
                'cache = true\n' % fifo_path)
    return root


def bench_ggend(build, root, fifo, n):
    with benchlib.Daemon(build) as d:
        # A run on an unwatched root watches it and waits until ready.
        d.ggenc('run', 'build', '--root', root)
        lat = save_latencies(os.path.join(root, 'src', 'a.c'), fifo, n)
        if lat:
            benchlib.emit('run', 'save_to_start', 'ms', lat)
        else:
            print('# ggend: no on-save trigger within %.0f s (root not '
                  'watched?)' % TRIGGER_TIMEOUT_S, file=sys.stderr)
        ggenc = [os.path.join(build, 'ggenc'), '--socket', d.sock,
                 '--no-start', 'run', 'build', '--root', root]
        subprocess.run(ggenc, check=True, capture_output=True)
        rt = []
        for _ in range(benchlib.reps(100, 10)):
            t0 = time.perf_counter()
            p = subprocess.run(ggenc, capture_output=True, text=True)
            rt.append((time.perf_counter() - t0) * 1e3)
            if p.returncode != 0 or 'cached' not in p.stderr:
                raise RuntimeError('not a cached run: %s' % p.stderr)
        benchlib.emit('run', 'cached_run', 'ms', rt)


def bench_entr(root, fifo, n):
    if shutil.which('entr') is None:
        print('# entr not installed: peer skipped', file=sys.stderr)
        return
    src = os.path.join(root, 'src', 'a.c')
    proc = subprocess.Popen(['entr', '-np', 'sh', '-c',
                             'echo x > %s' % fifo.path],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        proc.stdin.write(src + '\n')
        proc.stdin.close()
        # entr has no readiness signal: its watch is set up once it read
        # the list; give it a moment before the first save.
        time.sleep(0.5)
        lat = save_latencies(src, fifo, n)
        if lat:
            benchlib.emit('run', 'save_to_start', 'ms', lat, peer='entr')
    finally:
        proc.terminate()
        proc.wait(10)


def bench_watchman(root, fifo, n):
    try:
        wm = benchlib.Watchman()
    except RuntimeError as e:
        print('# %s: peer skipped' % e, file=sys.stderr)
        return
    with wm:
        wm.cmd('watch', root)
        wm.cmd('trigger', root, {
            'name': 'bench', 'expression': ['match', 'src/*.c', 'wholename'],
            'command': ['sh', '-c', 'echo x > %s' % fifo.path],
            'stdin': '/dev/null'})
        # the trigger may fire once for the initial state
        fifo.wait(2.0)
        lat = save_latencies(os.path.join(root, 'src', 'a.c'), fifo, n)
        if lat:
            benchlib.emit('run', 'save_to_start', 'ms', lat,
                          peer='watchman')


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else 'build')
    n = benchlib.reps(SAVES, 20)
    tmp = tempfile.mkdtemp(prefix='ggen-bench-run-')
    fifo = Fifo(os.path.join(tmp, 'started'))
    try:
        root = project(tmp, fifo.path)
        bench_ggend(build, root, fifo, n)
        bench_entr(root, fifo, n)
        bench_watchman(root, fifo, n)
    finally:
        fifo.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
