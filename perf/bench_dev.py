#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The edit loop as a user sees it: ms from a save (the start of the write)
to the first output line of the rebuild on the terminal, with the watcher
running in the foreground on a pseudo-terminal (Python's pty):

  save_to_first_line   `ggenc dev` (a private ggend, phase `build` with
                       watch = ["src/*.c"], default settings), next to
                       `entr -c` and `watchman-make` (isolated watchman, own
                       socket and state, always shut down) running the same
                       command, each at its defaults (entr's own delay,
                       watchman-make's --settle 0.2).

The command is `cat src/a.c`: its first line is the saved content, unique
per save, so the time is taken when that line is read from the terminal.
Saves are in place, one every GAP_S (longer than any peer's settle).

Usage: bench_dev.py BUILD_DIR. Prints figure lines (perf/bench.h)."""
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

SAVES = 60
GAP_S = 0.45
# A save waits this long for its line before it counts as missed.
LINE_TIMEOUT_S = 5.0
READY_TIMEOUT_S = 20.0
COMMAND = 'cat src/a.c'


class Term:
    """A program on a pseudo-terminal, its output read as it comes."""

    def __init__(self, argv, cwd, env=None):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ,
                    struct.pack('HHHH', 40, 120, 0, 0))
        e = dict(os.environ if env is None else env, TERM='xterm-256color')
        e.pop('NO_COLOR', None)
        # The pty becomes the controlling terminal (entr opens /dev/tty).
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=e,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.master = master
        self.buf = b''

    def read_until(self, pattern, timeout):
        """Time (perf_counter) when pattern (bytes regex) first matched
        the output read since the last call; None on timeout."""
        rx = re.compile(pattern)
        deadline = time.perf_counter() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                now = time.perf_counter()
                self.buf = self.buf[m.end():]
                return now
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            r, _, _ = select.select([self.master], [], [], left)
            if not r:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return None
            if not data:
                return None
            self.buf += data

    def drain(self):
        while select.select([self.master], [], [], 0)[0]:
            try:
                if not os.read(self.master, 65536):
                    break
            except OSError:
                break
        self.buf = b''

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        os.close(self.master)


def project(tmp):
    root = os.path.join(tmp, 'p')
    os.makedirs(os.path.join(root, 'src'))
    with open(os.path.join(root, 'src', 'a.c'), 'w') as f:
        f.write('int v;\n')
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write('[project]\nname = "bench"\n[lifecycle.build]\n'
                'command = "%s"\nwatch = ["src/*.c"]\n' % COMMAND)
    return root


def measure(term, root, n):
    """ms from each save to its line on term; None entries for misses."""
    src = os.path.join(root, 'src', 'a.c')
    out = []
    for i in range(n):
        term.drain()
        line = b'int v = %d; /\\* save \\*/' % i
        t0 = time.perf_counter()
        with open(src, 'w') as f:
            f.write('int v = %d; /* save */\n' % i)
        t1 = term.read_until(line, LINE_TIMEOUT_S)
        out.append(None if t1 is None else (t1 - t0) * 1e3)
        time.sleep(GAP_S)
    return out


def report(lat, peer, what):
    got = [x for x in lat if x is not None]
    missed = len(lat) - len(got)
    if not got:
        print('# %s: no rebuild line within %.0f s: skipped' % (
            what, LINE_TIMEOUT_S), file=sys.stderr)
        return
    benchlib.emit('dev', 'save_to_first_line', 'ms', got, peer=peer,
                  extra={'saves': len(lat), 'missed': missed})


def bench_ggen(build, root, n):
    with benchlib.Daemon(build) as d:
        d.ggenc('watch', root)
        t = Term([os.path.join(build, 'ggenc'), '--socket', d.sock,
                  '--no-start', 'dev'], cwd=root)
        try:
            if t.read_until(rb'on save: build', READY_TIMEOUT_S) is None:
                raise RuntimeError('ggenc dev did not start: %r' % t.buf)
            report(measure(t, root, n), None, 'ggenc dev')
        finally:
            t.close()


def bench_entr(root, n):
    if shutil.which('entr') is None:
        print('# entr not installed (Debian package entr): peer skipped',
              file=sys.stderr)
        return
    # entr reads the file list on stdin: a shell feeds it, on the pty.
    t = Term(['sh', '-c', 'echo src/a.c | exec entr -c sh -c "%s"'
              % COMMAND], cwd=root)
    try:
        # entr runs the command once at start: its output is the sign
        # that the watch is set.
        if t.read_until(rb'int v;', READY_TIMEOUT_S) is None:
            raise RuntimeError('entr did not start: %r' % t.buf)
        report(measure(t, root, n), 'entr', 'entr -c')
    finally:
        t.close()


def bench_watchman_make(root, n):
    if shutil.which('watchman-make') is None:
        print('# watchman-make not installed (Debian package '
              'python3-pywatchman): peer skipped', file=sys.stderr)
        return
    try:
        wm = benchlib.Watchman()
    except RuntimeError as e:
        print('# %s: peer skipped' % e, file=sys.stderr)
        return
    with wm:
        env = dict(os.environ, WATCHMAN_SOCK=wm.sock)
        t = Term(['watchman-make', '-p', 'src/*.c', '--run', COMMAND],
                 cwd=root, env=env)
        try:
            if t.read_until(rb'will execute', READY_TIMEOUT_S) is None:
                raise RuntimeError('watchman-make did not start: %r'
                                   % t.buf)
            report(measure(t, root, n), 'watchman_make', 'watchman-make')
        finally:
            t.close()


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else 'build')
    n = benchlib.reps(SAVES, 10)
    for fn, args in ((bench_ggen, (build,)), (bench_entr, ()),
                     (bench_watchman_make, ())):
        tmp = tempfile.mkdtemp(prefix='ggen-bench-dev-')
        try:
            fn(*args, project(tmp), n) if args else fn(project(tmp), n)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
