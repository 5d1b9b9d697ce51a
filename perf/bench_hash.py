#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hashing throughput on the same generated files, same page-cache state:
bench_hash (XXH3-128 through the daemon's hashpool_hash_fd, as ggend
hashes files) next to `xxhsum -H2` (XXH128) and `sha256sum`, on three
sets: a source-tree-like mix (hash_files), large files (hash_large_files:
32 x 16 MiB) and many small files (hash_small_files: 20,000 x 2 KiB). The
files are written once, read once to warm the cache, each tool runs once
untimed, then the tools take turns rep by rep so they see the same machine
load.

Usage: bench_hash.py BUILD_DIR. Prints figure lines (perf/bench.h); a
missing peer tool is reported on a '#' comment line and skipped."""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

# A source-tree-like mix: many small files, some large ones.
SIZES = (1024, 4096, 16384, 65536, 262144)


def make_files(root, nfiles):
    rnd = random.Random(8)
    total = 0
    for i in range(nfiles):
        size = SIZES[i % len(SIZES)] if i % 50 else 4 << 20
        with open(os.path.join(root, 'f%05d.bin' % i), 'wb') as f:
            f.write(rnd.randbytes(size))
        total += size
    return total


def timed(argv):
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def make_set(root, sizes):
    rnd = random.Random(len(sizes))
    total = 0
    for i, size in enumerate(sizes):
        with open(os.path.join(root, 'f%05d.bin' % i), 'wb') as f:
            f.write(rnd.randbytes(size))
        total += size
    return total


def bench_set(ours, figure, root, total, reps):
    files = sorted(os.path.join(root, f) for f in os.listdir(root))
    peers = []
    for name, argv in (('xxhsum_h2', ['xxhsum', '-H2']),
                       ('sha256sum', ['sha256sum'])):
        if shutil.which(argv[0]) is None:
            print('# peer %s skipped: %s not installed' %
                  (name, argv[0]), flush=True)
            continue
        peers.append((name, argv + files))
    for f in files:
        with open(f, 'rb') as fh:
            while fh.read(1 << 20):
                pass
    for _, argv in peers:
        timed(argv)
    env = dict(os.environ, GGEN_BENCH_REPS='1')
    subprocess.run([ours, root], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    ours_mbs, peer_mbs = [], {name: [] for name, _ in peers}
    for _ in range(reps):
        t0 = time.perf_counter()
        subprocess.run([ours, root], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        ours_mbs.append(total / 1e6 / (time.perf_counter() - t0))
        for name, argv in peers:
            peer_mbs[name].append(total / 1e6 / timed(argv))
    extra = {'files': len(files), 'bytes': total}
    # Whole-process times for everyone (start-up included), so the
    # comparison is like for like.
    benchlib.emit('hash', figure, 'MB/s', ours_mbs, extra=extra)
    for name, v in peer_mbs.items():
        benchlib.emit('hash', figure, 'MB/s', v, peer=name, extra=extra)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build-perf'
    ours = os.path.join(build, 'perf', 'bench_hash')
    quick = benchlib.quick()
    nfiles = 100 if quick else 1000
    reps = benchlib.reps(5, 2)
    sets = (
        ('hash_files', None),
        ('hash_large_files', [16 << 20] * (4 if quick else 32)),
        ('hash_small_files', [2048] * (2000 if quick else 20000)),
    )
    for figure, sizes in sets:
        tmp = tempfile.mkdtemp(prefix='ggen-bench-hash-')
        try:
            total = make_files(tmp, nfiles) if sizes is None else \
                make_set(tmp, sizes)
            bench_set(ours, figure, tmp, total, reps)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
