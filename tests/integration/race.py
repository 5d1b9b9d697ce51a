#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The randomized race test (issue 12, item 2): a seeded, reproducible
driver against the (ASan/UBSan) ggend of the build.

In random order and with random pauses it does: watch, unwatch, run
(followed, detached, hung up), cancel, file edits, make.toml edits (valid
and invalid), SIGHUP, kill -9 and restart, shutdown and restart, `changes`.
Requests overlap: up to MAX_PENDING are in flight on their own
connections, read without blocking, some abandoned. It asserts:

  - the daemon stays alive (a kill -9 is followed by a restart here);
  - no sanitizer report in the daemon's stderr log (ASan, LSan at a clean
    exit, UBSan);
  - every run the driver saw reaches a terminal state in history (checked
    on a fresh daemon after the last clean stop: interrupted after a
    kill -9, cancelled after a shutdown, never running);
  - RSS stays under RSS_CAP (sampled from `status`);
  - `changes` never goes backwards within one daemon instance.

Usage: race.py [--seconds N | --minutes N] [--seed S]. The sequence of
operations depends only on the seed (timing does not: it is a race test);
a failure prints the seed and the last operations to rerun it. CI runs 60 s
with a fixed seed (tests/integration/meson.build). Prints TAP.
"""
import argparse
import collections
import json
import os
import random
import select
import signal
import socket
import sys
import time
import traceback

from harness import Daemon, mktemp

FLUSH_SLACK = 2.0            # s: 20 x HISTLINK_FLUSH_MS, for a loaded CI
RSS_CAP = 1536 << 20         # ASan shadow + quarantine included
MAX_PENDING = 16
N_ROOTS = 3
TERMINAL = {'ok', 'failed', 'cancelled', 'timeout', 'cached', 'interrupted'}
SANITIZER_MARKS = ('AddressSanitizer', 'LeakSanitizer', 'runtime error:',
                   'UndefinedBehaviorSanitizer')

MAKE = '''[project]
name = "race%(n)d"

[lifecycle.quick]
command = "echo quick %(n)d"

[lifecycle.slow]
command = "echo begun; sleep %(slow)s; echo done"

[lifecycle.generate]
templates = ["t/*.tmpl"]

[lifecycle.onsave]
command = "echo saved"
watch = ["src/**"]
on_busy = "%(busy)s"
'''

TEMPLATE = '''---
sh_before: "sleep %(sleep)s"
---
{{ name }} %(i)d
'''


class Fail(Exception):
    pass


def run_id_of(obj):
    """A run object's id (field conventions: `id`; older replies: `run`)."""
    return obj['id'] if 'id' in obj else obj['run']


class Pending:
    """One request in flight on its own connection."""

    def __init__(self, sock_path, kind, msg):
        self.kind = kind
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(sock_path)
        self.sock.sendall((json.dumps(msg) + '\n').encode())
        self.sock.setblocking(False)
        self.buf = b''
        self.rid = msg['id']
        self.done = False
        self.reply = None
        self.progress = []
        self.seen_any = False     # the daemon has read the request

    def fileno(self):
        return self.sock.fileno()

    def pump(self):
        """Read what is there; returns False at EOF."""
        try:
            chunk = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return True
        except ConnectionResetError:
            return False
        if not chunk:
            return False
        self.buf += chunk
        while b'\n' in self.buf:
            line, self.buf = self.buf.split(b'\n', 1)
            m = json.loads(line)     # every line must be valid JSON
            if 'progress' in m:
                self.progress.append(m['progress'])
                self.seen_any = True
            elif m.get('id') == self.rid:
                self.reply = m
                self.done = True
        return True

    def close(self):
        self.sock.close()


class Race:
    def __init__(self, seed, seconds, log):
        self.rng = random.Random(seed)
        self.seed = seed
        self.seconds = seconds
        self.log = log
        self.tmp = mktemp()
        self.roots = []
        for n in range(N_ROOTS):
            root = os.path.join(self.tmp, 'root%d' % n)
            os.makedirs(os.path.join(root, 'src'))
            os.makedirs(os.path.join(root, 't'))
            self.roots.append(root)
            self.write_make(n, valid=True)
            for i in range(3):
                self.write(root, 't/f%d.txt.tmpl' % i, TEMPLATE %
                           {'sleep': '0.%d' % self.rng.randint(0, 5),
                            'i': i})
            for i in range(20):
                self.write(root, 'src/f%d.c' % i, 'int f%d;\n' % i)
        self.d = None
        self.pending = []
        self.next_id = 1
        self.instance = 0
        self.clocks = {}          # root -> last clock this instance
        self.unwatching = {}      # root -> 'pending' / 'done' (see changes)
        self.runs_seen = set()
        self.started = {}         # run id -> (instance, monotonic time)
        self.may_be_lost = set()  # started < FLUSH_SLACK before a kill -9
        self.unread_at_stop = 0
        self.rss_max = 0
        self.ops = collections.Counter()
        self.recent = collections.deque(maxlen=40)
        self.kills = 0

    # -- files ------------------------------------------------------------
    def write(self, root, rel, text):
        path = os.path.join(root, rel)
        tmp = path + '.tmp~'
        with open(tmp, 'w') as f:
            f.write(text)
        os.rename(tmp, path)

    def write_make(self, n, valid):
        text = MAKE % {'n': n, 'slow': self.rng.choice(['1', '2', '3']),
                       'busy': self.rng.choice(['queue', 'restart',
                                                'ignore'])}
        if not valid:
            text += self.rng.choice(['[lifecycle.bad\n', 'x = \n',
                                     '[lifecycle.q]\ncommand = 3\n',
                                     'watch = [1, 2\n'])
        self.write(self.roots[n], 'make.toml', text)

    # -- daemon -----------------------------------------------------------
    def start(self):
        d = Daemon('--set', 'history.keep=1000000', tmp=self.tmp)
        d.__enter__()
        self.d = d
        self.instance += 1
        self.clocks = {}
        self.unwatching = {}

    def check_log(self):
        text = self.d.log_text() if self.d else ''
        for mark in SANITIZER_MARKS:
            if mark in text:
                i = text.index(mark)
                raise Fail('sanitizer report in %s:\n%s' % (
                    self.d.log, text[max(0, i - 2000):i + 6000]))

    def alive(self):
        if self.d.proc.poll() is not None:
            self.check_log()
            raise Fail('ggend died (exit %s)' % self.d.proc.returncode)

    def drop_pending(self):
        for p in self.pending:
            p.close()
        self.pending = []

    def call(self, cmd, **fields):
        """A synchronous request (bounded wait); the reply or None."""
        msg = {'id': self.next_id, 'cmd': cmd}
        self.next_id += 1
        msg.update(fields)
        p = Pending(self.d.sock, cmd, msg)
        deadline = time.monotonic() + 60
        try:
            while not p.done:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Fail('no reply to %s within 60 s' % cmd)
                select.select([p], [], [], min(left, 1.0))
                if not p.pump():
                    self.alive()
                    raise Fail('daemon closed the connection on %s' % cmd)
            return p.reply
        finally:
            p.close()

    def submit(self, cmd, **fields):
        msg = {'id': self.next_id, 'cmd': cmd}
        self.next_id += 1
        msg.update(fields)
        try:
            p = Pending(self.d.sock, cmd, msg)
        except OSError as e:
            raise Fail('connect for %s: %s' % (cmd, e))
        self.pending.append(p)
        while len(self.pending) > MAX_PENDING:
            self.pending.pop(0).close()     # a client hanging up
        return p

    def pump(self, wait):
        if self.pending:
            select.select(self.pending, [], [], wait)
        elif wait > 0:
            time.sleep(wait)
        keep = []
        for p in self.pending:
            ok = p.pump()
            for pr in p.progress:
                if pr.get('type') == 'started':
                    self.saw_start(pr['run'])
            p.progress = []
            if p.done:
                self.on_reply(p)
                p.close()
            elif not ok:
                self.alive()
                raise Fail('daemon closed a %s connection with no reply'
                           % p.kind)
            else:
                keep.append(p)
        self.pending = keep

    def saw_start(self, run_id):
        self.runs_seen.add(run_id)
        if run_id not in self.started:
            self.started[run_id] = (self.instance, time.monotonic())

    def on_reply(self, p):
        r = p.reply
        if p.kind == 'unwatch':
            self.on_unwatch_reply(p)
        if p.kind == 'run' and r.get('ok'):
            res = r['result']
            rid = res.get('id', res.get('run'))
            if rid is not None:
                self.runs_seen.add(rid)
                if res.get('status') not in (None, 'queued'):
                    self.saw_start(rid)
            if 'status' in res and res['status'] not in TERMINAL | {
                    'queued', 'running'}:
                raise Fail('run reply with status %r' % res)

    # -- operations -------------------------------------------------------
    def root(self):
        return self.rng.choice(self.roots)

    def op_watch(self):
        self.submit('watch', root=self.root())

    def op_unwatch(self):
        root = self.root()
        p = self.submit('unwatch', root=root)
        p.root = root
        self.unwatching[root] = 'pending'

    def on_unwatch_reply(self, p):
        if self.unwatching.get(p.root) == 'pending':
            self.unwatching[p.root] = 'done'

    def op_run(self):
        root = self.root()
        phase = self.rng.choice(['quick', 'slow', 'generate', 'quick'])
        mode = self.rng.random()
        fields = {'phases': [phase], 'root': root}
        if mode < 0.2:
            fields['detach'] = True
        p = self.submit('run', **fields)
        if mode > 0.9:          # hung up at once
            self.pending.remove(p)
            p.close()

    def op_cancel(self):
        r = self.call('runs')
        listed = r['result']['runs'] if r.get('ok') else []
        runs = [run_id_of(x) for x in listed]
        for x in listed:
            self.runs_seen.add(run_id_of(x))
            if x['status'] == 'running':
                self.saw_start(run_id_of(x))
        if runs:
            self.submit('cancel', run=self.rng.choice(runs))

    def op_edit(self):
        root = self.root()
        i = self.rng.randrange(30)
        path = 'src/f%d.c' % i
        if self.rng.random() < 0.2 and os.path.exists(os.path.join(root,
                                                                   path)):
            os.unlink(os.path.join(root, path))
        else:
            self.write(root, path, 'int f%d = %d;\n' % (i, self.rng.randrange(
                1 << 30)))

    def op_make(self):
        n = self.rng.randrange(N_ROOTS)
        self.write_make(n, valid=self.rng.random() < 0.6)

    def op_template(self):
        root = self.root()
        i = self.rng.randrange(3)
        self.write(root, 't/f%d.txt.tmpl' % i, TEMPLATE % {
            'sleep': '0.%d' % self.rng.randint(0, 5), 'i': i})

    def op_hash(self):
        root = self.root()
        self.submit('hash', path=os.path.join(root, 'src/f%d.c' %
                                              self.rng.randrange(30)))

    def op_history(self):
        self.submit(self.rng.choice(['stats', 'trim', 'history']),
                    **({'keep': 1000000} if self.rng.random() < 0.5 else {}))

    def op_sighup(self):
        self.d.proc.send_signal(signal.SIGHUP)

    def op_changes(self):
        """A root's clock only grows while it is watched: within one clock
        epoch (a clock is "c:RUN:ROOT:N", or plain digits from older
        daemons) N never goes down while the root stays watched.
        Unwatched and watched again, the root starts over (or gets a new
        epoch): a client's `since` from before must then get a fresh
        answer."""
        root = self.root()
        last = self.clocks.get(root)
        fields = {'root': root}
        if last is not None:
            fields['since'] = last[2]
        r = self.call('changes', **fields)
        state = self.unwatching.get(root)
        if state == 'done':
            del self.unwatching[root]
        if not r.get('ok'):
            if state is not None:       # not watched now: start over
                self.clocks.pop(root, None)
            return
        raw = r['result']['clock']
        epoch, _, n = raw.rpartition(':')
        n = int(n)
        if last is not None:
            if epoch == last[0] and n < last[1] and (
                    state is None or not r['result']['fresh']):
                raise Fail('changes went backwards in %s: %s after %s (%s)'
                           % (root, raw, last[2], r['result']))
            if epoch != last[0] and not r['result']['fresh']:
                raise Fail('new clock epoch in %s without a fresh answer: '
                           '%s after %s' % (root, raw, last[2]))
        self.clocks[root] = (epoch, n, raw)

    def op_status(self):
        r = self.call('status')
        if not r.get('ok'):
            raise Fail('status failed: %r' % r)
        rss = r['result']['rss_bytes']
        self.rss_max = max(self.rss_max, rss)
        if rss > RSS_CAP:
            raise Fail('RSS %d MiB over the cap %d MiB' % (rss >> 20,
                                                           RSS_CAP >> 20))

    def op_kill9(self):
        self.d.proc.send_signal(signal.SIGKILL)
        self.d.proc.wait()
        # History flushes every 100 ms (HISTLINK_FLUSH_MS): a run that
        # started just before the kill may not be on disk yet.
        now = time.monotonic()
        for i, (inst, t) in self.started.items():
            if inst == self.instance and now - t < FLUSH_SLACK:
                self.may_be_lost.add(i)
        self.check_log()
        self.drop_pending()
        self.kills += 1
        self.start()

    def op_shutdown(self):
        r = self.call('shutdown')
        if not r.get('ok'):
            raise Fail('shutdown: %r' % r)
        # Clients still waiting get their final reply before the exit; a
        # request the daemon never read (still in its socket when the loop
        # ended) may see the connection close unanswered.
        deadline = time.monotonic() + 60
        while self.pending and time.monotonic() < deadline:
            if self.pending:
                select.select(self.pending, [], [], 0.2)
            keep = []
            for p in self.pending:
                ok = p.pump()
                for pr in p.progress:
                    if pr.get('type') == 'started':
                        self.saw_start(pr['run'])
                p.progress = []
                if p.done:
                    self.on_reply(p)
                    p.close()
                elif not ok:
                    p.close()
                    if p.seen_any:
                        raise Fail('a %s request that had begun got no '
                                   'final reply at shutdown' % p.kind)
                    self.unread_at_stop += 1
                else:
                    keep.append(p)
            self.pending = keep
        if self.pending:
            raise Fail('%d request(s) still open 60 s after shutdown: %s' %
                       (len(self.pending), [p.kind for p in self.pending]))
        rc = self.d.proc.wait(60)
        self.check_log()
        if rc != 0:
            raise Fail('clean shutdown exited %d' % rc)
        self.start()

    OPS = [('watch', 8), ('unwatch', 3), ('run', 14), ('cancel', 4),
           ('edit', 14), ('make', 4), ('template', 3), ('sighup', 2),
           ('changes', 6), ('status', 3), ('hash', 3), ('history', 2),
           ('kill9', 0.1),
           ('shutdown', 0.25)]

    def step(self):
        names = [n for n, _ in self.OPS]
        weights = [w for _, w in self.OPS]
        op = self.rng.choices(names, weights)[0]
        self.recent.append(op)
        self.ops[op] += 1
        getattr(self, 'op_' + op)()
        self.alive()
        self.pump(self.rng.choice([0, 0, 0.01, 0.05, 0.1, 0.3]))

    def finish(self):
        """Stop cleanly, then check history on a fresh daemon."""
        self.op_shutdown()          # restarts
        r = self.call('history', limit=0)
        if not r.get('ok'):
            raise Fail('history: %r' % r)
        rows = {x['id']: x['status'] for x in r['result']['runs']}
        bad = {i: s for i, s in rows.items() if s not in TERMINAL}
        if bad:
            raise Fail('runs not terminal in history: %r' % bad)
        missing = sorted(i for i in self.started if i not in rows and
                         i not in self.may_be_lost)
        if missing:
            raise Fail('runs seen but not in history: %r' % missing[:20])
        self.history_rows = len(rows)
        self.d.stop()
        self.check_log()

    def go(self):
        self.start()
        end = time.monotonic() + self.seconds
        steps = 0
        while time.monotonic() < end:
            self.step()
            steps += 1
        self.steps = steps
        self.finish()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seconds', type=float, default=60)
    ap.add_argument('--minutes', type=float)
    ap.add_argument('--seed', type=int, default=20261207)
    a = ap.parse_args()
    seconds = a.minutes * 60 if a.minutes is not None else a.seconds
    print('1..1')
    race = Race(a.seed, seconds, sys.stdout)
    t0 = time.monotonic()
    try:
        race.go()
    except Exception as e:
        print('not ok 1 - race seed %d' % a.seed)
        for line in traceback.format_exc().splitlines():
            print('# ' + line)
        print('# rerun: race.py --seconds %g --seed %d' % (seconds, a.seed))
        print('# last operations: %s' % ' '.join(race.recent))
        if race.d is not None:
            print('# daemon log %s, its end:' % race.d.log)
            for line in race.d.log_text().splitlines()[-80:]:
                print('#   ' + line[:400])
        sys.exit(1)
    print('# seed %d, %.0f s, %d operations %s' % (
        a.seed, time.monotonic() - t0, race.steps,
        dict(sorted(race.ops.items()))))
    print('# daemon instances %d (kill -9: %d), runs seen %d (started %d, '
          'not yet flushed at a kill -9: %d), history rows %d, requests '
          'unread at a stop %d, max RSS %d MiB' % (
              race.instance, race.kills, len(race.runs_seen),
              len(race.started), len(race.may_be_lost), race.history_rows,
              race.unread_at_stop, race.rss_max >> 20))
    print('ok 1 - race seed %d' % a.seed)


if __name__ == '__main__':
    main()
