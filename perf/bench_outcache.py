#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Usage: bench_outcache.py BUILD_DIR. Prints figure lines (perf/bench.h).

Restoring phase outputs from the output cache (doc/remote-cache.md)
through real daemons (private sockets and state dirs, always stopped) and
a private nginx on 127.0.0.1 (WebDAV PUT, the Bazel HTTP protocol):

  local_restore_100mb   `run build` whose 100 MB of outputs (10 files) are
                        gone and come back from the local store: ms per
                        run and MB/s (target >= 1 GB/s);
  remote_restore_100mb  the same 100 MB from nginx into a daemon that has
                        never seen them (download, sha256 check, store,
                        restore): ms and MB/s;
  remote_hit_1mb        a 1 MB output restored from nginx: ms per run
                        (target < 10 ms on localhost);
  local_restore_1mb     the same 1 MB from the local store;
  local_skip            a cached run with its outputs in place (the floor):
                        remote_hit_1mb - local_skip is the overhead of a
                        remote hit over a local skip (printed).

Each timed run is one `run` request on an open connection to the daemon,
from sending it to its reply (key, lookup, transfer, restore)."""
import json
import os
import shutil
import socket
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))
import benchlib  # noqa: E402

os.environ.setdefault('GGEND', 'unused')
os.environ.setdefault('GGENC', 'unused')
from nginx import Nginx  # noqa: E402

MB = 1 << 20
TOML = '''[project]
name = "bench"
[lifecycle.build]
command = "mkdir -p out && for i in $(seq 1 %d); do head -c %d /dev/urandom > out/f$i; done"
inputs = ["src/*"]
outputs = ["out/"]
cache = true
'''


class Conn:
    def __init__(self, sock):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(120)
        self.s.connect(sock)
        self.buf = b''
        self.id = 0

    def call(self, cmd, **fields):
        self.id += 1
        msg = dict(fields, id=self.id, cmd=cmd)
        self.s.sendall(json.dumps(msg).encode() + b'\n')
        while True:
            while b'\n' not in self.buf:
                chunk = self.s.recv(1 << 16)
                if not chunk:
                    raise RuntimeError('daemon closed the connection')
                self.buf += chunk
            line, self.buf = self.buf.split(b'\n', 1)
            m = json.loads(line)
            if m.get('id') == self.id and 'progress' not in m:
                if not m.get('ok'):
                    raise RuntimeError('%s: %s' % (cmd, m))
                return m['result']

    def close(self):
        self.s.close()


def checkout(files, size):
    root = tempfile.mkdtemp(prefix='ggen-bench-co-')
    os.makedirs(os.path.join(root, 'src'))
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write(TOML % (files, size))
    return root


def set_version(root, v):
    with open(os.path.join(root, 'src', 'a'), 'w') as f:
        f.write('version %d\n' % v)


def run_build(c, root):
    t0 = time.perf_counter()
    res = c.call('run', phases=['build'], root=root)
    return (time.perf_counter() - t0) * 1e3, res['status']


def wait_uploads(c, n):
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        st = c.call('status')['cache']
        if st['remote']['uploads'] >= n and st['saves_queued'] == 0:
            return
        time.sleep(0.05)
    raise RuntimeError('uploads did not finish: %s' % st)


def wait_saves(c, n):
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        st = c.call('status')['cache']
        if st['saves_done'] + st['saves_failed'] >= n and \
                st['saves_queued'] == 0:
            return
        time.sleep(0.02)
    raise RuntimeError('saves did not finish: %s' % st)


def drop_outputs(root):
    shutil.rmtree(os.path.join(root, 'out'), ignore_errors=True)


def local(build, files, size, reps, name):
    """Build once, then per rep: outputs gone, restored from the store."""
    root = checkout(files, size)
    total = files * size
    ms = []
    try:
        with benchlib.Daemon(build) as d:
            c = Conn(d.sock)
            set_version(root, 0)
            run_build(c, root)
            wait_saves(c, 1)
            for _ in range(reps):
                drop_outputs(root)
                t, status = run_build(c, root)
                if status != 'cached':
                    raise RuntimeError('expected a restore, got ' + status)
                ms.append(t)
            skip = []
            for _ in range(reps * 5):
                t, status = run_build(c, root)
                skip.append(t)
            c.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    benchlib.emit('outcache', 'local_restore_' + name, 'ms', ms,
                  extra={'bytes': total})
    benchlib.emit('outcache', 'local_restore_' + name + '_rate', 'MB/s',
                  [total / MB / (t / 1e3) for t in ms])
    return skip


def remote(build, n, files, size, reps, name):
    """Daemon A builds reps versions and uploads them; daemon B (another
    checkout, another path) restores each once from nginx."""
    a_root, b_root = checkout(files, size), checkout(files, size)
    total = files * size
    ms = []
    args = ('--set', 'cache.remote.url=' + n.url)
    try:
        with benchlib.Daemon(build, args) as a, \
                benchlib.Daemon(build, args) as b:
            ca, cb = Conn(a.sock), Conn(b.sock)
            for v in range(reps):
                set_version(a_root, v)
                run_build(ca, a_root)
                wait_uploads(ca, v + 1)
            for v in range(reps):
                set_version(b_root, v)
                t, status = run_build(cb, b_root)
                if status != 'cached':
                    raise RuntimeError('expected a remote hit, got %s: %s'
                                       % (status, cb.call('status')))
                ms.append(t)
            st = cb.call('status')['cache']['remote']
            if st['hits'] != reps:
                raise RuntimeError('remote hits %d of %d' % (st['hits'],
                                                             reps))
            ca.close()
            cb.close()
    finally:
        shutil.rmtree(a_root, ignore_errors=True)
        shutil.rmtree(b_root, ignore_errors=True)
    benchlib.emit('outcache', 'remote_' + name, 'ms', ms,
                  extra={'bytes': total})
    benchlib.emit('outcache', 'remote_' + name + '_rate', 'MB/s',
                  [total / MB / (t / 1e3) for t in ms])
    return ms


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: bench_outcache.py BUILD_DIR')
    build = os.path.abspath(sys.argv[1])
    q = benchlib.quick()
    big_files, big = (10, 10 * MB) if not q else (4, MB)
    reps_big = benchlib.reps(5, 2)
    reps_small = benchlib.reps(20, 3)
    local(build, big_files, big, reps_big, '100mb')
    skip = local(build, 1, MB, reps_small, '1mb')
    benchlib.emit('outcache', 'local_skip', 'ms', skip)
    with Nginx() as n:
        remote(build, n, big_files, big, reps_big, 'restore_100mb')
        hit = remote(build, n, 1, MB, reps_small, 'hit_1mb')
    med = benchlib.stats(hit)[1] - benchlib.stats(skip)[1]
    print('# remote hit of 1 MB over a local skip: +%.2f ms (median); '
          'target: remote hit < 10 ms' % med)


if __name__ == '__main__':
    main()
