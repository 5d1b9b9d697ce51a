#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A million files (issue 15 item 4): FILES files in DIRS directories
(default 1,000,000 in 100,000), generated once in a temp dir and removed
at the end. Measures, for one root:
  - full crawl to ready (walk done, every hash known), page cache warm;
  - RSS per file (daemon RSS after ready minus before, over the files),
    next to the mean name length;
  - inotify watches used (one per directory);
  - snapshot size and shutdown time (the snapshot is written then);
  - restart to ready from the snapshot, page cache warm, alternating
    with the floor (peer "floor"): perf/floor_restart's watch of every
    directory and stat of every entry, the names already in memory;
  - with /proc/sys/vm/drop_caches writable (root): full crawl and restart
    from the snapshot with a cold page cache, and their ratio;
  - out of watches: with watch.max_watches at half the directory count
    the root degrades to polling the rest; time to ready and polled dirs.
Usage: bench_million.py [BUILD_DIR] [--files N] [--dirs M] [--reps R]
                        [--tree DIR] [--restart-only] [--ignored-per-dir K]
--tree DIR generates the tree in DIR once and keeps it: a later run with
the same DIR, files and dirs reuses it (a stamp file says what it holds).
--restart-only runs one warm full crawl instead of R, and skips the
out-of-watches figure (for iterating on the restart path).
--ignored-per-dir K adds K *.o files to every directory and a root
.gitignore ignoring them (build outputs next to sources): figure names
get _ignK, and restart_root_ready's dirs_read says how many directories
the restart read instead of walking their saved lists.
Prints one JSON object per figure (perf/bench.h's format)."""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

BENCH = 'million'


def comment(text):
    print('# ' + text, flush=True)


class Ggend:
    """ggend on a private socket and a state dir that survives restarts
    (the snapshot lives there)."""

    def __init__(self, build, tmp, *args):
        self.build = build
        self.sock = os.path.join(tmp, 'run', 'ggend.sock')
        self.state = os.path.join(tmp, 'state')
        self.log = os.path.join(tmp, 'ggend.log')
        self.args = list(args)
        self.proc = None

    def start(self):
        r, w = os.pipe()
        with open(self.log, 'ab') as log:
            self.proc = subprocess.Popen(
                [os.path.join(self.build, 'ggend'), '--foreground',
                 '--socket', self.sock, '--state-dir', self.state,
                 '--ready-fd', str(w), '--log-level', 'info'] + self.args,
                pass_fds=[w], stdout=log, stderr=log,
                stdin=subprocess.DEVNULL)
        os.close(w)
        with os.fdopen(r, 'rb') as rf:
            line = rf.readline()
        if not line.startswith(b'READY'):
            self.kill()
            raise RuntimeError('ggend did not start: %r' % line)

    def call(self, cmd, **fields):
        """One request; progress lines skipped; returns the result."""
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(600)
        s.connect(self.sock)
        msg = dict(fields, id=1, cmd=cmd)
        s.sendall((json.dumps(msg) + '\n').encode())
        buf = b''
        while True:
            while b'\n' not in buf:
                chunk = s.recv(1 << 20)
                if not chunk:
                    raise RuntimeError('%s: connection closed' % cmd)
                buf += chunk
            line, buf = buf.split(b'\n', 1)
            reply = json.loads(line)
            if 'progress' in reply:
                continue
            s.close()
            if not reply.get('ok'):
                raise RuntimeError('%s: %s' % (cmd, reply))
            return reply['result']

    def root_status(self, root):
        st = self.call('status')
        for r in st['roots']:
            if r['root'] == root:
                return st, r
        raise RuntimeError('root %s not in status' % root)

    def stop(self):
        """shutdown request; returns seconds until the process exited
        (the snapshot is written in between)."""
        t0 = time.monotonic()
        try:
            self.call('shutdown')
        except (OSError, RuntimeError):
            pass
        self.proc.wait(600)
        return time.monotonic() - t0

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def generate(root, files, dirs, ignored=0):
    """files files spread evenly over dirs leaf dirs, 100 per parent;
    ignored more per leaf dir named *.o, which a .gitignore at the root
    ignores (build outputs next to their sources)."""
    per_dir = max(1, files // dirs)
    n = 0
    names = 0
    if ignored:
        with open(os.path.join(root, '.gitignore'), 'w') as f:
            f.write('*.o\n')
        n, names = 1, len('.gitignore')
    for d in range(dirs):
        path = os.path.join(root, 'p%03d' % (d // 1000), 'd%05d' % d)
        os.makedirs(path)
        for i in range(ignored):
            with open(os.path.join(path, 'obj%02d.o' % i), 'wb') as f:
                f.write(b'object %d/%d\n' % (d, i))
        for i in range(per_dir if d < dirs - 1 else files - n +
                       (1 if ignored else 0)):
            name = 'file%02d.txt' % i
            fd = os.open(os.path.join(path, name),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, b'content of %d/%d\n' % (d, i))
            os.close(fd)
            names += len('p%03d/d%05d/%s' % (d // 1000, d, name))
            n += 1
    return n, names / max(1, n)


def drop_caches():
    """True when the page cache could be dropped (root, writable sysctl)."""
    try:
        subprocess.run(['sync'], check=True)
        with open('/proc/sys/vm/drop_caches', 'w') as f:
            f.write('3\n')
        return True
    except OSError:
        return False


def cpu_seconds(d):
    """The daemon's user + system CPU time so far (all its threads): a
    figure the machine's load changes far less than wall time."""
    with open('/proc/%d/stat' % d.proc.pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def median(v):
    return benchlib.stats(v)[1]


class FloorRestart:
    """perf/floor_restart on root: the tree read once (untimed, names
    kept), then one timed pass (a watch per directory, a stat per entry,
    on ggend's default walk_threads; see its header) per run_pass(),
    alternating with ggend's restarts. Skipped, with a comment, when the
    program is not built."""

    def __init__(self, build, root):
        self.wall, self.cpu, self.sys, self.ready = [], [], [], None
        self.last = None
        exe = os.path.join(build, 'perf', 'floor_restart')
        if not os.access(exe, os.X_OK):
            comment('%s not built: the restart floor is skipped' % exe)
            self.proc = None
            return
        self.proc = subprocess.Popen([exe, '--stdin', root],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        self.ready = json.loads(self.proc.stdout.readline())
        assert self.ready.get('ready'), self.ready

    def run_pass(self):
        if self.proc is None:
            return
        self.proc.stdin.write(b'pass\n')
        self.proc.stdin.flush()
        r = json.loads(self.proc.stdout.readline())
        assert r['watch_failed'] == 0 and r['stat_failed'] == 0, r
        self.wall.append(r['wall_s'])
        self.cpu.append(r['user_s'] + r['sys_s'])
        self.sys.append(r['sys_s'])
        self.last = r

    def stop(self):
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait(600)

    def emit(self, tag, extra, restart, cpu):
        if not self.wall:
            return
        ex = dict(extra, threads=self.last['threads'],
                  entries=self.last['entries'],
                  note='watch + stat of every entry, names in memory')
        benchlib.emit(BENCH, 'restart_ready_' + tag, 's', self.wall,
                      peer='floor', extra=ex)
        benchlib.emit(BENCH, 'restart_cpu_' + tag, 's', self.cpu,
                      peer='floor', extra=ex)
        comment('restart floor (perf/floor_restart, %d threads, alternating '
                'with ggend): wall %.3f s, CPU %.2f s (%.0f%% kernel); '
                'ggend / floor: wall %.2f, CPU %.2f; load %.1f'
                % (self.last['threads'], median(self.wall),
                   median(self.cpu),
                   100 * median(self.sys) / median(self.cpu),
                   median(restart) / median(self.wall),
                   median(cpu) / median(self.cpu), os.getloadavg()[0]))


def timed_start(build, tmp, root, *args):
    """Start ggend (it re-watches root from its roots file, or is told
    to); returns (daemon, seconds from spawn to ready)."""
    d = Ggend(build, tmp, *args)
    t0 = time.monotonic()
    d.start()
    d.call('watch', root=root)
    return d, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('build', nargs='?', default='build-perf')
    ap.add_argument('--files', type=int, default=None)
    ap.add_argument('--dirs', type=int, default=None)
    ap.add_argument('--reps', type=int, default=None)
    ap.add_argument('--degraded-only', action='store_true',
                    help='only the out-of-watches figure')
    ap.add_argument('--restart-only', action='store_true',
                    help='no warm full crawls, no out-of-watches figure')
    ap.add_argument('--tree', default=None,
                    help='generate the tree here once and keep it')
    ap.add_argument('--ignored-per-dir', type=int, default=0,
                    help='also K ignored *.o files in each directory')
    a = ap.parse_args()
    quick = benchlib.quick()
    files = a.files or (20000 if quick else 1000000)
    dirs = a.dirs or max(1, files // 10)
    reps = a.reps or (1 if quick else 3)
    build = os.path.abspath(a.build)
    if not os.path.exists(os.path.join(build, 'ggend')):
        benchlib.build(build)
    top = tempfile.mkdtemp(prefix='ggen-bench-million-')
    try:
        run(build, top, files, dirs, reps, a.degraded_only,
            a.restart_only, a.tree, a.ignored_per_dir)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def kept_tree(tree, files, dirs, ignored=0):
    """root, nfiles, mean name length of a tree kept in tree (generated
    now unless its stamp says it holds files in dirs already)."""
    tree = os.path.abspath(tree)
    root = os.path.join(tree, 'tree')
    stamp = os.path.join(tree, 'stamp.json')
    want = {'files': files, 'dirs': dirs}
    if ignored:
        want['ignored_per_dir'] = ignored
    try:
        with open(stamp) as f:
            have = json.load(f)
        if {k: have.get(k) for k in want} == want:
            comment('reusing the tree in %s' % root)
            return root, have['nfiles'], have['name_len']
    except (OSError, ValueError, KeyError):
        pass
    shutil.rmtree(root, ignore_errors=True)
    if os.path.exists(stamp):
        os.unlink(stamp)
    os.makedirs(root)
    t0 = time.monotonic()
    nfiles, name_len = generate(root, files, dirs, ignored)
    comment('generated %d files in %d dirs in %.1f s (mean name %.1f B), '
            'kept in %s' % (nfiles, dirs, time.monotonic() - t0, name_len,
                            root))
    with open(stamp, 'w') as f:
        json.dump(dict(want, nfiles=nfiles, name_len=name_len), f)
    return root, nfiles, name_len


def run(build, top, files, dirs, reps, degraded_only=False,
        restart_only=False, tree=None, ignored=0):
    gen_done = time.monotonic()
    if tree is not None:
        root, nfiles, name_len = kept_tree(tree, files, dirs, ignored)
    else:
        root = os.path.join(top, 'tree')
        os.makedirs(root)
        t0 = time.monotonic()
        nfiles, name_len = generate(root, files, dirs, ignored)
        comment('generated %d files in %d dirs in %.1f s (mean name %.1f B)'
                % (nfiles, dirs, time.monotonic() - t0, name_len))
        gen_done = time.monotonic()
    with open('/proc/sys/fs/inotify/max_user_watches') as f:
        max_watches = int(f.read())
    tag = '%dk' % (nfiles // 1000) + ('_ign%d' % ignored if ignored else '')
    # Files younger than the racy window (2 s) at a save are re-hashed at
    # the next start, by design; a real tree is older than that.
    extra = {'files': nfiles, 'dirs': dirs}
    if ignored:
        extra['ignored_per_dir'] = ignored

    if degraded_only:
        degraded(build, top, root, dirs, tag, extra)
        return
    # Full crawls (no snapshot), page cache warm.
    crawl, walk, rss, crawl_cpu = [], [], [], []
    for _ in range(1 if restart_only else reps):
        tmp = tempfile.mkdtemp(dir=top)
        d = Ggend(build, tmp)
        d.start()
        st0, _ = d.call('status'), None
        c0 = cpu_seconds(d)
        t = time.monotonic()
        d.call('watch', root=root)
        crawl.append(time.monotonic() - t)
        crawl_cpu.append(cpu_seconds(d) - c0)
        st, r = d.root_status(root)
        walk.append(r['load']['walk_ms'] / 1000.0)
        rss.append((st['rss_bytes'] - st0['rss_bytes']) / r['files'])
        watches = r['watches']
        assert r['load']['from'] == 'crawl' and r['files'] == nfiles, r
        d.stop()
        shutil.rmtree(tmp)
    benchlib.emit(BENCH, 'crawl_ready_' + tag, 's', crawl, extra=extra)
    benchlib.emit(BENCH, 'crawl_walk_' + tag, 's', walk, extra=extra)
    benchlib.emit(BENCH, 'crawl_cpu_' + tag, 's', crawl_cpu, extra=extra)
    benchlib.emit(BENCH, 'rss_per_file_' + tag, 'B', rss,
                  extra=dict(extra, mean_name_bytes=round(name_len, 1)))
    benchlib.emit(BENCH, 'watches_used_' + tag, 'watches',
                  [watches['root']],
                  extra=dict(extra, limit=watches['limit'],
                             max_user_watches=max_watches))

    # One state dir for the restarts: crawl once, shut down (saves).
    time.sleep(max(0.0, gen_done + 2.5 - time.monotonic()))
    tmp = tempfile.mkdtemp(dir=top)
    d, _ = timed_start(build, tmp, root)
    save = [d.stop()]
    snap = [os.path.join(d.state, f) for f in os.listdir(d.state)
            if f.startswith('snap-')][0]
    snap_bytes = os.path.getsize(snap)
    restart, load_ms, cpu = [], [], []
    floor = FloorRestart(build, root)
    for _ in range(reps):
        d, secs = timed_start(build, tmp, root)
        cpu.append(cpu_seconds(d))
        _, r = d.root_status(root)
        assert r['load']['from'] == 'snapshot', r['load']
        assert r['load']['rehashed'] == 0, r['load']
        restart.append(secs)
        load_ms.append(r['load']['ms'] / 1000.0)
        save.append(d.stop())
        # The floor's pass right after (ggend stopped, its watches
        # gone): both see the same machine, rep by rep.
        floor.run_pass()
    floor.stop()
    benchlib.emit(BENCH, 'restart_ready_' + tag, 's', restart,
                  extra=dict(extra, snapshot_bytes=snap_bytes))
    benchlib.emit(BENCH, 'restart_root_ready_' + tag, 's', load_ms,
                  extra=dict(extra, dirs_read=r['load'].get('dirs_read'),
                             dirs_from_snapshot=r['load'].get(
                                 'dirs_from_snapshot')))
    benchlib.emit(BENCH, 'restart_cpu_' + tag, 's', cpu, extra=extra)
    floor.emit(tag, extra, restart, cpu)
    benchlib.emit(BENCH, 'shutdown_save_' + tag, 's', save[:1],
                  extra=dict(extra, snapshot_bytes=snap_bytes))
    benchlib.emit(BENCH, 'snapshot_bytes_per_file_' + tag, 'B',
                  [snap_bytes / nfiles], extra=extra)
    comment('warm restart to ready: median %.3f s vs full crawl %.3f s '
            '(%.0f%%); CPU %.2f s vs %.2f s; load %.1f'
            % (sorted(restart)[len(restart) // 2],
               sorted(crawl)[len(crawl) // 2],
               100 * sorted(restart)[len(restart) // 2] /
               sorted(crawl)[len(crawl) // 2],
               sorted(cpu)[len(cpu) // 2],
               sorted(crawl_cpu)[len(crawl_cpu) // 2], os.getloadavg()[0]))

    # Cold page cache: full crawl vs restart from the snapshot.
    if drop_caches():
        ctmp = tempfile.mkdtemp(dir=top)
        drop_caches()
        d, cold_crawl = timed_start(build, ctmp, root)
        cold_crawl_cpu = cpu_seconds(d)
        d.stop()
        shutil.rmtree(ctmp)
        drop_caches()
        d, cold_restart = timed_start(build, tmp, root)
        cold_restart_cpu = cpu_seconds(d)
        _, r = d.root_status(root)
        assert r['load']['from'] == 'snapshot', r['load']
        d.stop()
        benchlib.emit(BENCH, 'cold_crawl_ready_' + tag, 's', [cold_crawl],
                      extra=extra)
        benchlib.emit(BENCH, 'cold_restart_ready_' + tag, 's',
                      [cold_restart], extra=dict(
                          extra, ratio_to_cold_crawl=round(
                              cold_restart / cold_crawl, 3)))
        comment('cold page cache: restart %.2f s vs full crawl %.2f s '
                '(%.0f%%); CPU %.2f s vs %.2f s; load %.1f'
                % (cold_restart, cold_crawl, 100 * cold_restart / cold_crawl,
                   cold_restart_cpu, cold_crawl_cpu, os.getloadavg()[0]))
    else:
        comment('cold page cache figures skipped: /proc/sys/vm/drop_caches '
                'not writable (not root?)')
    shutil.rmtree(tmp)

    if not restart_only:
        degraded(build, top, root, dirs, tag, extra)


def degraded(build, top, root, dirs, tag, extra):
    """Out of watches: half the directories get one, the rest is
    polled."""
    cap = max(1, dirs // 2)
    ptmp = tempfile.mkdtemp(dir=top)
    d, secs = timed_start(build, ptmp, root, '--set',
                          'watch.max_watches=%d' % cap)
    _, r = d.root_status(root)
    d.stop()
    shutil.rmtree(ptmp)
    benchlib.emit(BENCH, 'degraded_crawl_ready_' + tag, 's', [secs],
                  extra=dict(extra, cap=cap, watched=r['watches']['root'],
                             polled_dirs=r['polled_dirs'],
                             message=r['watches']['message'][:120]))
    comment('watch cap %d < %d dirs: %d watched, %d polled; "%s"'
            % (cap, dirs + dirs // 1000 + 1, r['watches']['root'],
               r['polled_dirs'], r['watches']['message']))


if __name__ == '__main__':
    main()
