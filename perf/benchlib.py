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
import time

NAME_RE = re.compile(r'^[a-z0-9_]+$')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The optimised build of perf/run and perf/check: -O2, LTO, no tests.
BUILD_OPTIONS = ('-Doptimization=2', '-Ddebug=false', '-Db_lto=true',
                 '-Dtests=false')


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


def build(builddir):
    """Configures (or reconfigures) and compiles the optimised build."""
    if not os.path.isfile(os.path.join(builddir, 'build.ninja')):
        subprocess.run(['meson', 'setup', builddir] + list(BUILD_OPTIONS),
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    else:
        subprocess.run(['meson', 'configure', builddir] +
                       list(BUILD_OPTIONS), cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(['meson', 'compile', '-C', builddir], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)


DRIVER_RE = re.compile(r'BUILD_?DIR')
HERE = os.path.dirname(os.path.abspath(__file__))


def is_driver(path):
    """A bench_*.py|.sh script is a driver when its usage (first 20 lines)
    names BUILD_DIR or BUILDDIR; other scripts are helpers."""
    with open(path, errors='replace') as f:
        head = ''.join(f.readline() for _ in range(20))
    return DRIVER_RE.search(head) is not None


def discover(builddir):
    """Every benchmark: [(name, argv, kind)], kind 'driver' (a script run
    with builddir) or 'program' (builddir/perf/bench_<name>, no arguments,
    left out when a driver of the same name exists)."""
    drivers = {}
    for f in sorted(os.listdir(HERE)):
        stem, ext = os.path.splitext(f)
        if f.startswith('bench_') and ext in ('.py', '.sh') and \
                is_driver(os.path.join(HERE, f)):
            drivers[stem] = ['/usr/bin/python3' if ext == '.py' else 'bash',
                             os.path.join(HERE, f), builddir]
    progs = {}
    bindir = os.path.join(builddir, 'perf')
    for f in sorted(os.listdir(bindir)) if os.path.isdir(bindir) else []:
        p = os.path.join(bindir, f)
        if f.startswith('bench_') and os.path.isfile(p) and \
                os.access(p, os.X_OK) and f not in drivers:
            progs[f] = [p]
    return [(n, a, 'driver') for n, a in sorted(drivers.items())] + \
        [(n, a, 'program') for n, a in sorted(progs.items())]


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


class Watchman:
    """An isolated watchman peer: its own socket, state, log and pid files
    in a temporary directory, so it neither sees nor disturbs a user's
    watchman. Use as a context manager: it is always shut down
    (shutdown-server, else SIGKILL) and its directory removed.
    cmd('watch-project', root) sends one JSON command and returns the
    decoded reply. Raises RuntimeError when watchman is not installed or
    does not start within START_TIMEOUT_S."""

    START_TIMEOUT_S = 10.0
    # watchman has no readiness pipe: poll `version` at this interval.
    START_POLL_S = 0.05

    def __init__(self, binary='watchman'):
        self.binary = shutil.which(binary)
        if self.binary is None:
            raise RuntimeError('%s is not installed (Debian package '
                               'watchman)' % binary)
        self.tmp = tempfile.mkdtemp(prefix='ggen-bench-watchman-')
        self.sock = os.path.join(self.tmp, 'sock')
        self.proc = None

    def _client(self):
        return [self.binary, '--sockname=' + self.sock, '--no-spawn',
                '--no-local']

    def __enter__(self):
        t = self.tmp
        self.proc = subprocess.Popen(
            [self.binary, '--foreground', '--sockname=' + self.sock,
             '--statefile=' + os.path.join(t, 'state'),
             '--logfile=' + os.path.join(t, 'log'),
             '--pidfile=' + os.path.join(t, 'pid')],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self.START_TIMEOUT_S
        while subprocess.run(self._client() + ['version'],
                             capture_output=True).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError('watchman did not start')
            time.sleep(self.START_POLL_S)
        return self

    def cmd(self, *args):
        p = subprocess.run(self._client() + ['-j'], input=json.dumps(
            list(args)), capture_output=True, text=True, timeout=60)
        reply = json.loads(p.stdout or '{}')
        if p.returncode != 0 or 'error' in reply:
            raise RuntimeError('watchman %s: %s' % (args[0], reply.get(
                'error', p.stderr.strip())))
        return reply

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            subprocess.run(self._client() + ['shutdown-server'],
                           capture_output=True, timeout=10)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False
