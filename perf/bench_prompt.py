#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`ggenc status --short`, the shell-prompt line: wall time of the whole
command (process start included), with a daemon watching one root and
with none running (it must not start one). Issue 18 asks for "a few ms".

Usage: bench_prompt.py BUILD_DIR. Prints figure lines (perf/bench.h)."""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def prompt_ms(ggenc, sock, n):
    env = dict(os.environ, GGEN_SOCK=sock)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([ggenc, 'status', '--short'], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build-perf'
    ggenc = os.path.join(build, 'ggenc')
    n = 50 if benchlib.quick() else 300
    with benchlib.Daemon(build) as d:
        root = os.path.join(benchlib.ROOT, 'examples', 'hello')
        subprocess.run([ggenc, 'watch', root], check=True,
                       env=dict(os.environ, GGEN_SOCK=d.sock),
                       stdout=subprocess.DEVNULL)
        benchlib.emit('prompt', 'status_short_ms', 'ms',
                      prompt_ms(ggenc, d.sock, n))
    with tempfile.TemporaryDirectory() as tmp:
        none = os.path.join(tmp, 'none.sock')
        benchlib.emit('prompt', 'status_short_no_daemon_ms', 'ms',
                      prompt_ms(ggenc, none, n))
        if os.path.exists(none):
            raise SystemExit('status --short started a daemon')


if __name__ == '__main__':
    main()
