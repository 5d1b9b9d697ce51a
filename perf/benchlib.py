# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared helpers of the Python benchmark drivers in perf/ (not a
benchmark itself: perf/run only runs bench_*.py / bench_*.sh).

The figure format is the one of perf/bench.h: one JSON object per line,
{"bench","figure","unit","min","median","p99","max","reps"} plus optional
"ops", "peer", "extra". Environment: GGEN_BENCH_QUICK=1 for a smoke run.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile

NAME_RE = re.compile(r'^[a-z0-9_]+$')


def quick():
    """True in a smoke run (perf/run --quick)."""
    return os.environ.get('GGEN_BENCH_QUICK', '') not in ('', '0')


def reps(full, quick_reps):
    """Repetitions: GGEN_BENCH_REPS, else quick_reps or full."""
    forced = os.environ.get('GGEN_BENCH_REPS', '')
    if forced:
        return max(1, int(forced))
    return quick_reps if quick() else full


def stats(samples):
    """min, median, p99 (nearest rank), max of a non-empty list."""
    v = sorted(samples)
    n = len(v)
    median = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    p99 = v[(n * 99 + 99) // 100 - 1]
    return v[0], median, p99, v[-1]


def emit(bench, figure, unit, samples, peer=None, extra=None):
    """Prints one figure line; names must be [a-z0-9_]+."""
    for what, name in (('bench', bench), ('figure', figure),
                       ('peer', peer)):
        if name is not None and not NAME_RE.match(name):
            raise ValueError('%s %r is not [a-z0-9_]+' % (what, name))
    lo, med, p99, hi = stats(samples)
    obj = {'bench': bench, 'figure': figure, 'unit': unit,
           'min': round(lo, 6), 'median': round(med, 6),
           'p99': round(p99, 6), 'max': round(hi, 6), 'reps': len(samples)}
    if peer is not None:
        obj['peer'] = peer
    if extra:
        obj['extra'] = extra
    print(json.dumps(obj), flush=True)


class Daemon:
    """A private ggend (own socket and state dir under a temporary dir),
    started in the foreground and waited for on its readiness pipe. Use
    as a context manager: it is always stopped, by `shutdown` or else
    SIGKILL, and its directory removed."""

    def __init__(self, build, extra_args=()):
        self.build = build
        self.tmp = tempfile.mkdtemp(prefix='ggen-bench-')
        self.sock = os.path.join(self.tmp, 'run', 'ggend.sock')
        self.state = os.path.join(self.tmp, 'state')
        self.extra_args = list(extra_args)
        self.proc = None

    def __enter__(self):
        r, w = os.pipe()
        env = dict(os.environ, GGEN_SOCK=self.sock)
        self.proc = subprocess.Popen(
            [os.path.join(self.build, 'ggend'), '--foreground', '--socket',
             self.sock, '--state-dir', self.state, '--ready-fd', str(w),
             '--log-level', 'warn'] + self.extra_args,
            pass_fds=[w], env=env)
        os.close(w)
        with os.fdopen(r, 'rb') as rf:
            line = rf.readline()
        if not line.startswith(b'READY'):
            self.__exit__(None, None, None)
            raise RuntimeError('ggend did not start: %r' % line)
        return self

    def ggenc(self, *args, check=True):
        """Runs build/ggenc against this daemon; returns stdout text."""
        p = subprocess.run([os.path.join(self.build, 'ggenc'), '--socket',
                            self.sock, '--no-start'] + list(args),
                           capture_output=True, text=True, timeout=30)
        if check and p.returncode != 0:
            raise RuntimeError('ggenc %s: %s' % (' '.join(args), p.stderr))
        return p.stdout

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(5)
                s.connect(self.sock)
                s.sendall(b'{"id":0,"cmd":"shutdown"}\n')
                s.recv(4096)
                s.close()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False
