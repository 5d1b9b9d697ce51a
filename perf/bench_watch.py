#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Watching, next to its peers in the same run (issue 4 item 10).
Usage: bench_watch.py [BUILD_DIR] [--files N] [--dirs M] [--saves K]
       [--saves-default K] [--cpu-saves N] [--only-cpu]
(perf/run finds a driver by BUILD_DIR in its first 20 lines.)
  - save -> files.changed latency at default settings (in-place,
    temp+rename, vim-style saves, 0.6 s apart like a person's saves),
    and notifications per save;
  - the same with the window at 0, next to `inotifywait -m` (the kernel
    floor: write -> its close_write line);
  - CPU per in-place save (issue 15 item 5): the watcher process's
    on-CPU time (all threads; schedstat, of which the kernel derives
    utime+stime, also reported) over CPU_SAVES saves, each waited for
    (its notification) before the next, for ggend at defaults, watchman
    (settle 20 ms), `inotifywait -m` (no work at all) and the floors,
    perf/floor_save (the least a debounced watcher does per save: one
    inotify watch, a quiet window at ggend's default, hash, one line)
    with its window (floor_window) and settling at the close-write with
    no timer (floor_close), all running, their saves interleaved in
    rounds: min / median / max over the rounds, and ggend / floor;
  - crawl of FILES files in DIRS directories: time to ready (crawl done
    and every hash known), RSS per file; next to `inotifywait -r`
    (watches established) and an isolated `watchman` (own socket, state
    and log; always shut down).
Prints one JSON object per figure (see perf/meson.build)."""
import argparse
import json
import os
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def emit(figure, unit, values, peer=None, **extra):
    """One figure line in perf/bench.h's format."""
    values = sorted(values)
    out = {'bench': 'watch', 'figure': figure, 'unit': unit,
           'min': round(values[0], 3),
           'median': round(statistics.median(values), 3),
           'p99': round(values[min(len(values) - 1,
                                   int(len(values) * 0.99))], 3),
           'max': round(values[-1], 3), 'reps': len(values)}
    if peer is not None:
        out['peer'] = peer
    if extra:
        out['extra'] = extra
    print(json.dumps(out), flush=True)


def comment(text):
    """A line for humans (perf/run skips lines not starting with '{')."""
    print('# ' + text, flush=True)


class Ggend:
    def __init__(self, build, tmp, *args):
        self.sock = os.path.join(tmp, 'run', 'ggend.sock')
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            [os.path.join(build, 'ggend'), '--foreground', '--socket',
             self.sock, '--state-dir', os.path.join(tmp, 'state'),
             '--ready-fd', str(w), '--log-level', 'warn'] + list(args),
            pass_fds=[w])
        os.close(w)
        assert os.read(r, 64).startswith(b'READY')
        os.close(r)
        self.next_id = 1

    def conn(self):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.sock)
        return s, s.makefile('rb')

    def call(self, cmd, **fields):
        s, f = self.conn()
        msg = dict(id=1, cmd=cmd, **fields)
        s.sendall(json.dumps(msg).encode() + b'\n')
        while True:
            r = json.loads(f.readline())
            if 'progress' not in r:
                s.close()
                return r

    def rss(self):
        with open('/proc/%d/statm' % self.proc.pid) as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')

    def stop(self):
        try:
            self.call('shutdown')
            self.proc.wait(30)
        except Exception:
            self.proc.kill()
            self.proc.wait()


def make_tree(root, files, dirs):
    per_dir = max(1, files // dirs)
    n = 0
    for d in range(dirs):
        path = os.path.join(root, 'd%03d' % (d % 100), 'e%05d' % d)
        os.makedirs(path)
        for i in range(per_dir):
            if n == files:
                break
            with open(os.path.join(path, 'f%d.txt' % i), 'w') as f:
                f.write('file %d in dir %d\n' % (i, d))
            n += 1
    return n


def bench_crawl(build, tmp, files, dirs, reps):
    src = os.path.join(tmp, 'tree')
    os.makedirs(src)
    n = make_tree(src, files, dirs)
    ready, rss_per_file, crawl = [], [], []
    for rep in range(reps):
        d = Ggend(build, os.path.join(tmp, 'g%d' % rep))
        base = d.rss()
        s, f = d.conn()
        t0 = time.perf_counter()
        s.sendall(json.dumps({'id': 1, 'cmd': 'watch', 'root': src})
                  .encode() + b'\n')
        seen_all = None
        while True:
            r = json.loads(f.readline())
            if 'progress' in r:
                if seen_all is None and r['progress']['files_seen'] >= n:
                    seen_all = time.perf_counter() - t0
                continue
            break
        t = time.perf_counter() - t0
        assert r['ok'] and r['result']['files'] == n, r
        ready.append(t * 1000)
        crawl.append((seen_all if seen_all is not None else t) * 1000)
        rss_per_file.append((d.rss() - base) / n)
        s.close()
        d.stop()
    emit('crawl_all_hashes_ms', 'ms', ready, files=n, dirs=dirs)
    emit('crawl_ready_ms', 'ms', crawl, files=n, dirs=dirs,
         note='first progress message (100 ms apart) with every file seen')
    emit('rss_bytes_per_file', 'bytes', rss_per_file, files=n,
         note='RSS growth from watch to ready / files (names included)')
    # Peer: inotifywait -r, until "Watches established."
    iw = []
    for _ in range(reps):
        t0 = time.perf_counter()
        p = subprocess.Popen(['inotifywait', '-r', '-m', src],
                             stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             text=True)
        while 'Watches established' not in p.stderr.readline():
            pass
        iw.append((time.perf_counter() - t0) * 1000)
        p.kill()
        p.wait()
    emit('crawl_ready_ms', 'ms', iw, peer='inotifywait', files=n,
         dirs=dirs, note='inotifywait -r: Watches established (no hashing)')
    bench_watchman(tmp, src, n, reps)


def bench_watchman(tmp, src, n, reps):
    wm = shutil.which('watchman')
    if wm is None:
        comment('watchman not installed: its figures are skipped')
        return
    ready, rss = [], []
    for rep in range(reps):
        state = os.path.join(tmp, 'wm%d' % rep)
        os.makedirs(state)
        base = [wm, '--sockname', os.path.join(state, 'sock'),
                '--statefile', os.path.join(state, 'state'),
                '--logfile', os.path.join(state, 'log'),
                '--pidfile', os.path.join(state, 'pid'),
                '--no-save-state']
        try:
            subprocess.run(base + ['get-pid'], check=True, timeout=60,
                           capture_output=True)
            t0 = time.perf_counter()
            subprocess.run(base + ['watch', src], check=True, timeout=120,
                           capture_output=True)
            # `clock` syncs with the root: it answers once the crawl is
            # done.
            out = subprocess.run(base + ['clock', src], check=True,
                                 timeout=120, capture_output=True)
            ready.append((time.perf_counter() - t0) * 1000)
            pid = json.loads(subprocess.run(
                base + ['get-pid'], check=True, capture_output=True,
                timeout=60).stdout)['pid']
            with open('/proc/%d/statm' % pid) as f:
                rss.append(int(f.read().split()[1]) *
                           os.sysconf('SC_PAGE_SIZE') / n)
            del out
        except (subprocess.SubprocessError, OSError, ValueError) as e:
            detail = getattr(e, 'stderr', b'') or b''
            comment('watchman failed, its figures are skipped: %s %s' % (
                str(e)[-120:], detail.decode('utf-8', 'replace')[-200:]))
            return
        finally:
            subprocess.run(base + ['shutdown-server'], timeout=60,
                           capture_output=True)
    emit('crawl_ready_ms', 'ms', ready, peer='watchman', files=n,
         note='watch + clock (syncs with the crawl); no content hashes')
    emit('rss_bytes_per_file', 'bytes', rss, peer='watchman', files=n,
         note='whole process RSS / files')


def save_in_place(path, i):
    with open(path, 'w') as f:
        f.write('save %d\n' % i)


def save_rename(path, i):
    tmp = path + '.tmp%d' % i
    with open(tmp, 'w') as f:
        f.write('save %d\n' % i)
    os.rename(tmp, path)


def save_vim(path, i):
    d = os.path.dirname(path)
    probe = os.path.join(d, '4913')
    os.close(os.open(probe, os.O_CREAT | os.O_WRONLY, 0o644))
    os.unlink(probe)
    os.rename(path, path + '~')
    with open(path, 'w') as f:
        f.write('save %d\n' % i)
    os.unlink(path + '~')


SAVE_PATTERNS = [('in_place', save_in_place), ('rename', save_rename),
                 ('vim', save_vim)]


class Lines:
    """Notification lines from a raw fd, with no hidden buffering: a
    second line that arrived with the first is counted, not lost in a file
    object's buffer where select() cannot see it."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = b''

    def wait(self, timeout):
        """True once a whole line is buffered, False after timeout s."""
        while b'\n' not in self.buf:
            if not select.select([self.fd], [], [], timeout)[0]:
                return False
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise EOFError('notifier closed its output')
            self.buf += chunk
        return True

    def readline(self):
        self.wait(None)
        line, self.buf = self.buf.split(b'\n', 1)
        return line


def measure_saves(path, fn, saves, lines, quiet, pause):
    """Save path `saves` times with fn; after each, time until one
    notification line arrives. Every 10th save also counts further lines
    for `quiet` s. Returns (latencies in ms, notifications per counted
    save)."""
    lat, per_save = [], []
    for i in range(saves):
        # A person's saves are seconds apart; back-to-back saves are a
        # dense writer, whose window widens on purpose.
        time.sleep(pause)
        t0 = time.perf_counter()
        fn(path, i)
        lines.readline()
        lat.append((time.perf_counter() - t0) * 1000)
        if i % 10 == 0:
            extra = 0
            while lines.wait(quiet):
                lines.readline()
                extra += 1
            per_save.append(1 + extra)
    return lat, per_save


def save_root(tmp, name):
    root = os.path.join(tmp, name)
    os.makedirs(os.path.join(root, 'src'))
    path = os.path.join(root, 'src', 'main.c')
    save_in_place(path, -1)
    return root, path


def emit_saves(fig, lat, per_save, saves, peer=None, **extra):
    emit(fig, 'ms', lat, peer=peer, saves=saves, **extra)
    emit(fig + '_notifications', 'notifications/save', per_save, peer=peer,
         **extra)


def bench_saves(build, tmp, saves, window0):
    root, path = save_root(tmp, 'saves%d' % window0)
    args = ['--set', 'watch.debounce_min_ms=0', '--set',
            'watch.debounce_max_ms=0'] if window0 else []
    d = Ggend(build, os.path.join(tmp, 'gs%d' % window0), *args)
    assert d.call('watch', root=root)['ok']
    s = socket.socket(socket.AF_UNIX)
    s.connect(d.sock)
    s.sendall(b'{"id":1,"cmd":"events"}\n')
    lines = Lines(s.fileno())
    lines.readline()
    for name, fn in SAVE_PATTERNS[:1] if window0 else SAVE_PATTERNS:
        lat, per_save = measure_saves(
            path, fn, saves, lines, 0.05 if window0 else 1.0,
            0.0 if window0 else 0.6)
        emit_saves('save_to_batch_%s_%s' % (
            'window0' if window0 else 'default', name), lat, per_save, saves)
    s.close()
    d.stop()


def bench_saves_watchman(tmp, saves):
    """watchman's subscription (settle 20 ms, its default, set explicitly)
    on the same save patterns: one PDU = one notification."""
    try:
        wm_ctx = benchlib.Watchman()
    except RuntimeError as e:
        comment('watchman save figures skipped: %s' % e)
        return
    root, path = save_root(tmp, 'saves_wm')
    with open(os.path.join(root, '.watchmanconfig'), 'w') as f:
        json.dump({'settle': 20}, f)
    with wm_ctx as wm:
        wm.cmd('watch', root)
        sub = subprocess.Popen(
            wm._client() + ['-j', '-p', '--no-pretty'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        try:
            sub.stdin.write(json.dumps(['subscribe', root, 'bench', {
                'expression': ['type', 'f'], 'fields': ['name'],
                'empty_on_fresh_instance': True}]).encode() + b'\n')
            lines = Lines(sub.stdout.fileno())
            # The subscribe reply (no initial result: empty on fresh).
            lines.readline()
            for name, fn in SAVE_PATTERNS:
                lat, per_save = measure_saves(path, fn, saves, lines, 1.0,
                                              0.6)
                emit_saves('save_to_batch_default_%s' % name, lat, per_save,
                           saves, peer='watchman', settle_ms=20)
        finally:
            sub.kill()
            sub.wait()


def bench_saves_entr(tmp, saves):
    """entr -np (runs `echo` on each change it sees): one line = one
    notification."""
    if shutil.which('entr') is None:
        comment('entr not installed: its save figures are skipped')
        return
    root, path = save_root(tmp, 'saves_entr')
    for name, fn in SAVE_PATTERNS:
        p = subprocess.Popen(['entr', '-np', 'echo', 'changed'],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, bufsize=0)
        try:
            p.stdin.write(path.encode() + b'\n')
            p.stdin.close()
            # entr has no readiness signal: give it time to set its watch.
            time.sleep(0.3)
            lat, per_save = measure_saves(path, fn, saves,
                                          Lines(p.stdout.fileno()), 1.0,
                                          0.6)
            emit_saves('save_to_batch_default_%s' % name, lat, per_save,
                       saves, peer='entr')
        finally:
            p.kill()
            p.wait()


CPU_SAVE_PAUSE_S = 0.03
# The CPU figure's saves come in rounds, each watcher taking its turn in
# every round: a burst of other work on the machine then hits all of them
# alike instead of whichever ran at the time, and the median over rounds
# sets it aside.
CPU_ROUNDS = 10


def proc_cpu(pid):
    """(utime+stime seconds of every thread of pid, on-CPU seconds from
    the threads' schedstat: ns resolution, the same quantity: the kernel
    derives utime+stime from it)."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    ns = 0
    for t in os.listdir('/proc/%d/task' % pid):
        try:
            with open('/proc/%d/task/%s/schedstat' % (pid, t)) as f:
                ns += int(f.read().split()[0])
        except OSError:
            pass
    return ticks / os.sysconf('SC_CLK_TCK'), ns / 1e9


class CpuSaver:
    """One watcher under the CPU figure: its pid, the file it watches and
    the line stream that says a save was seen."""

    def __init__(self, name, pid, path, lines):
        self.name, self.pid, self.path, self.lines = name, pid, path, lines
        self.rounds = []        # us per save, schedstat, one per round
        self.ticks = 0.0        # utime+stime seconds over all rounds
        self.saves = 0
        self.n = 0

    def save(self):
        # A pause (the watcher idles, at no CPU) keeps saves from being
        # a dense writer, whose debounce window widens on purpose.
        time.sleep(CPU_SAVE_PAUSE_S)
        save_in_place(self.path, self.n)
        self.n += 1
        self.lines.readline()

    def warm_up(self):
        # Paced like the measured saves: unpaced, they are a dense writer
        # that widens ggend's debounce window to its cap (500 ms), and a
        # 30 ms gap never narrows it again (it halves only after a gap of
        # twice the window).
        for _ in range(20):
            self.save()
        time.sleep(0.2)
        while self.lines.wait(0.1):
            self.lines.readline()

    def run_round(self, saves):
        c0, s0 = proc_cpu(self.pid)
        for _ in range(saves):
            self.save()
        # Let the last save's trailing work (a batch's listener) finish.
        time.sleep(0.05)
        c1, s1 = proc_cpu(self.pid)
        self.rounds.append((s1 - s0) / saves * 1e6)
        self.ticks += c1 - c0
        self.saves += saves

    def emit(self, peer):
        emit('cpu_per_save_in_place', 'us', self.rounds, peer=peer,
             saves=self.saves, rounds=len(self.rounds),
             note='on-CPU time of the whole process (schedstat) / saves, '
             'per round', utime_stime_us=round(self.ticks / self.saves *
                                              1e6, 1))


def ggend_default_ms(build, key):
    """The default of ggend's duration setting key, in ms, from the
    config table as `ggend --help-config` prints it ('KEY (duration,
    default "10ms")'): the one place the default is written."""
    out = subprocess.run([os.path.join(build, 'ggend'), '--help-config'],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r'^%s \(duration, default "(\d+)(ms|s|min)"' %
                  re.escape(key), out, re.M)
    if m is None:
        raise RuntimeError('ggend --help-config: no duration default for '
                           '%s' % key)
    return int(m.group(1)) * {'ms': 1, 's': 1000, 'min': 60000}[m.group(2)]


def floor_savers(build, tmp, cleanup):
    """perf/floor_save (the least a debounced watcher does per save: see
    its header) at ggend's default quiet window (floor_window), and
    settling at the close-write with no timer (floor_close)."""
    exe = os.path.join(build, 'perf', 'floor_save')
    if not os.access(exe, os.X_OK):
        comment('%s not built: the floor figures are skipped' % exe)
        return []
    window = ggend_default_ms(build, 'watch.debounce_min_ms')
    savers = []
    for peer, args in (('floor_window', ['--window-ms', str(window)]),
                       ('floor_close', ['--settle-on-close'])):
        root = os.path.join(tmp, 'cpu_' + peer)
        os.makedirs(root)
        path = os.path.join(root, 'main.c')
        save_in_place(path, -1)
        p = subprocess.Popen([exe] + args + [root], stdout=subprocess.PIPE)
        cleanup.append(lambda p=p: (p.kill(), p.wait()))
        lines = Lines(p.stdout.fileno())
        ready = json.loads(lines.readline())
        assert ready.get('ready'), ready
        savers.append((peer, CpuSaver(peer, p.pid, path, lines)))
    comment('floor_window: perf/floor_save --window-ms %d (ggend\'s '
            'watch.debounce_min_ms default); floor_close: the same with no '
            'timer, settled at the close-write' % window)
    return savers


def bench_save_cpu(build, tmp, saves):
    """ggend at defaults, watchman (settle 20 ms), `inotifywait -m` and
    the two floors all running, their saves interleaved in CPU_ROUNDS
    rounds."""
    savers, cleanup = [], []
    try:
        root, path = save_root(tmp, 'cpu_ggend')
        d = Ggend(build, os.path.join(tmp, 'gcpu'))
        cleanup.append(d.stop)
        assert d.call('watch', root=root)['ok']
        s = socket.socket(socket.AF_UNIX)
        s.connect(d.sock)
        cleanup.append(s.close)
        s.sendall(b'{"id":1,"cmd":"events"}\n')
        lines = Lines(s.fileno())
        lines.readline()
        savers.append((None, CpuSaver('ggend', d.proc.pid, path, lines)))
        try:
            wm = benchlib.Watchman().__enter__()
        except RuntimeError as e:
            comment('watchman CPU figure skipped: %s' % e)
            wm = None
        if wm is not None:
            cleanup.append(lambda: wm.__exit__(None, None, None))
            root, path = save_root(tmp, 'cpu_wm')
            with open(os.path.join(root, '.watchmanconfig'), 'w') as f:
                json.dump({'settle': 20}, f)
            wm.cmd('watch', root)
            sub = subprocess.Popen(
                wm._client() + ['-j', '-p', '--no-pretty'],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
            cleanup.append(lambda: (sub.kill(), sub.wait()))
            sub.stdin.write(json.dumps(['subscribe', root, 'bench', {
                'expression': ['type', 'f'], 'fields': ['name'],
                'empty_on_fresh_instance': True}]).encode() + b'\n')
            lines = Lines(sub.stdout.fileno())
            lines.readline()
            savers.append(('watchman', CpuSaver('watchman', wm.proc.pid,
                                                path, lines)))
        root = os.path.join(tmp, 'cpu_floor')
        os.makedirs(root)
        path = os.path.join(root, 'main.c')
        save_in_place(path, -1)
        p = subprocess.Popen(['inotifywait', '-m', '-e', 'close_write',
                              root], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        cleanup.append(lambda: (p.kill(), p.wait()))
        while b'Watches established' not in p.stderr.readline():
            pass
        savers.append(('inotifywait', CpuSaver(
            'inotifywait', p.pid, path, Lines(p.stdout.fileno()))))
        savers += floor_savers(build, tmp, cleanup)
        for _, sv in savers:
            sv.warm_up()
        per_round = max(1, saves // CPU_ROUNDS)
        for _ in range(CPU_ROUNDS):
            for _, sv in savers:
                sv.run_round(per_round)
        comment('CPU per save: %d rounds of %d saves each, load average '
                '%s' % (CPU_ROUNDS, per_round,
                        open('/proc/loadavg').read().split()[0]))
        for peer, sv in savers:
            sv.emit(peer)
        medians = {peer: statistics.median(sv.rounds) for peer, sv in savers}
        for peer in ('floor_window', 'floor_close'):
            if peer in medians:
                comment('CPU per save: ggend / %s = %.0f / %.0f us = %.2f'
                        % (peer, medians[None], medians[peer],
                           medians[None] / medians[peer]))
    finally:
        for fn in reversed(cleanup):
            fn()


def bench_inotifywait_floor(tmp, saves):
    root = os.path.join(tmp, 'floor')
    os.makedirs(root)
    path = os.path.join(root, 'main.c')
    save_in_place(path, -1)
    p = subprocess.Popen(['inotifywait', '-m', '-e', 'close_write', root],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    while 'Watches established' not in p.stderr.readline():
        pass
    lat = []
    for i in range(saves):
        t0 = time.perf_counter()
        save_in_place(path, i)
        p.stdout.readline()
        lat.append((time.perf_counter() - t0) * 1000)
    p.kill()
    p.wait()
    emit('save_to_batch_window0_in_place', 'ms', lat, peer='inotifywait',
         saves=saves, note='kernel floor: write -> close_write line')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('build', nargs='?', default='build')
    ap.add_argument('--files', type=int, default=100000)
    ap.add_argument('--dirs', type=int, default=10000)
    ap.add_argument('--saves', type=int, default=100,
                    help='saves with the window at 0')
    # Default-window saves are 0.6 s apart, for ggend and two peers, three
    # patterns each: 40 keeps the program under perf/run's timeout.
    ap.add_argument('--saves-default', type=int, default=40)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--cpu-saves', type=int, default=1000,
                    help='in-place saves per CPU-per-save figure')
    ap.add_argument('--only-cpu', action='store_true')
    a = ap.parse_args()
    if os.environ.get('GGEN_BENCH_QUICK', '') not in ('', '0'):
        a.files, a.dirs, a.saves, a.reps = 10000, 1000, 10, 1
        a.saves_default = 5
        a.cpu_saves = 100
    if os.environ.get('GGEN_BENCH_REPS'):
        a.reps = max(1, int(os.environ['GGEN_BENCH_REPS']))
    tmp = tempfile.mkdtemp(prefix='ggen-bench-watch-')
    try:
        bench_save_cpu(a.build, tmp, a.cpu_saves)
        if a.only_cpu:
            return 0
        bench_saves(a.build, tmp, a.saves, True)
        bench_inotifywait_floor(tmp, a.saves)
        bench_saves(a.build, tmp, a.saves_default, False)
        bench_saves_watchman(tmp, a.saves_default)
        bench_saves_entr(tmp, a.saves_default)
        bench_crawl(a.build, tmp, a.files, a.dirs, a.reps)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
