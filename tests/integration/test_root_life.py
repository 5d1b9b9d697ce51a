#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Nothing outlives its root (issue 12, item 1): a root's removal, a clean
shutdown and a SIGHUP each raced against the asynchronous work that refers
to the root, under the ASan/UBSan build:

  - a render waiting on its frontmatter's `sh_before` (the confirmed
    heap-use-after-free: generate kept a borrowed root that unwatch freed);
  - a running phase command;
  - the first crawl of a large tree;
  - hashing (big sparse files on the hash pool).

Unwatch: a run ends `cancelled` with the message "root unwatched", a
`watch` waiting for readiness gets root_not_found. Shutdown: a run's client
gets its final reply (`cancelled`, "daemon stopping"), history records
`cancelled` (not `interrupted`), the daemon exits 0. SIGHUP: the work goes
on and ends normally. In every case the daemon's log holds no sanitizer
report. Waits are on replies and progress messages, never bare sleeps; the
0.4 s pause of the reproduction is kept, after sh_before is known to run.
"""
import os
import signal
import time

from harness import Daemon, ggenc, mktemp, run

SANITIZER_MARKS = ('AddressSanitizer', 'LeakSanitizer', 'runtime error:',
                   'UndefinedBehaviorSanitizer')


def assert_clean_log(d):
    text = d.log_text()
    for mark in SANITIZER_MARKS:
        assert mark not in text, 'sanitizer report in %s:\n%s' % (
            d.log, text[-6000:])


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def render_project():
    """The reproduction: three templates whose sh_before sleeps 1 s; the
    first one marks its start in a file outside the root."""
    tmp = mktemp()
    root = os.path.join(tmp, 'p')
    mark = os.path.join(tmp, 'mark')
    write(root, 'make.toml', '[project]\nname = "t"\n\n'
          '[lifecycle.generate]\ntemplates = ["t/*.tmpl"]\n')
    for n in 'abc':
        write(root, 't/%s.txt.tmpl' % n, '---\nsh_before: "touch %s; '
              'sleep 1"\n---\n%s {{ 1 + 1 }}\n' % (mark, n))
    return root, mark


def command_project():
    tmp = mktemp()
    root = os.path.join(tmp, 'p')
    write(root, 'make.toml', '[project]\nname = "t"\n\n[lifecycle.slow]\n'
          'command = "echo begun; exec sleep 30"\n\n[lifecycle.quick]\n'
          'command = "echo begun; sleep 1; echo done"\n')
    return root


def big_tree(files=12000, per_dir=200):
    root = os.path.join(mktemp(), 'big')
    for i in range(files):
        d = os.path.join(root, 'd%03d' % (i // per_dir))
        if i % per_dir == 0:
            os.makedirs(d)
        with open(os.path.join(d, 'f%05d' % i), 'w') as f:
            f.write('x%d\n' % i)
    return root


def sparse_tree(n=4, size=2 << 30):
    """Files the pool takes a while to hash (zero pages, no disk)."""
    root = os.path.join(mktemp(), 'sparse')
    os.makedirs(root)
    for i in range(n):
        with open(os.path.join(root, 's%d.bin' % i), 'wb') as f:
            f.truncate(size)
    return root


def until_reply(c, rid, on_progress=None):
    """Read until the reply to rid; on_progress(p) sees each progress."""
    while True:
        m = c.recv()
        if m.get('id') == rid and 'progress' in m:
            if on_progress is not None:
                on_progress(m['progress'])
            continue
        if m.get('id') == rid:
            return m


def wait_file(path, timeout=60):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < deadline, path + ' never appeared'
        time.sleep(0.02)


class Stage:
    """Start one kind of asynchronous work on a root and return once it is
    under way: start(d) -> (client, request id). check_* assert the end
    for each of the three interruptions."""

    def __init__(self, kind):
        self.kind = kind

    def start(self, d):
        c = d.client()
        self.c = c
        if self.kind == 'render':
            self.root, mark = render_project()
            self.rid = c.request('run', phases=['generate'], root=self.root)
            wait_file(mark)
            time.sleep(0.4)        # inside the first sh_before's sleep
        elif self.kind == 'command':
            self.root = command_project()
            self.rid = c.request('run', phases=['slow' if self.long
                                                else 'quick'],
                                 root=self.root)
            while True:
                m = c.recv()
                p = m.get('progress', {})
                if p.get('type') == 'output' and 'begun' in p['data']:
                    break
                assert 'progress' in m, m
        elif self.kind == 'crawl':
            self.root = self.tree
            self.rid = c.request('watch', root=self.root)
            m = c.recv()        # the first progress comes at once
            assert 'progress' in m and m['progress']['files_hashed'] < \
                12000, m
        elif self.kind == 'hash':
            self.root = self.tree
            self.rid = c.request('watch', root=self.root)
            while True:         # crawled (4 files seen), not all hashed
                m = c.recv()
                assert 'progress' in m, 'ready before hashing was seen: %r' \
                    % m
                p = m['progress']
                if p['files_seen'] == 4 and p['files_hashed'] < 4:
                    break
        return c

    def prepare(self, long=True):
        self.long = long
        if self.kind == 'crawl':
            self.tree = big_tree()
        elif self.kind == 'hash':
            self.tree = sparse_tree()

    def is_run(self):
        return self.kind in ('render', 'command')


def run_id_of(result):
    """A run object's id (field conventions: `id`; older replies: `run`)."""
    return result['id'] if 'id' in result else result['run']


def history_status(d, run_id):
    with d.client() as c:
        r = c.call('show', run=run_id)
    assert r['ok'], r
    return r['result']['status'], r['result']


def check_unwatch(kind):
    s = Stage(kind)
    s.prepare()
    with Daemon() as d:
        c = s.start(d)
        with d.client() as u:
            r = u.call('unwatch', root=s.root)
        assert r['ok'] and r['result']['removed'], r
        m = until_reply(c, s.rid)
        if s.is_run():
            assert r['result']['runs_cancelled'] == 1, r
            assert m['ok'], m
            assert m['result']['status'] == 'cancelled', m
            assert m['result']['message'] == 'root unwatched', m
            st, _ = history_status(d, run_id_of(m['result']))
            assert st == 'cancelled', st
        else:
            assert not m['ok'], m
            assert m['error']['code'] == 'root_not_found', m
        c.close()
        # still serving, and the root can be watched again
        with d.client() as q:
            assert q.call('status')['ok']
        p = ggenc('watch', s.root, sock=d.sock, timeout=120)
        assert p.returncode == 0, p.stderr
        assert_clean_log(d)
        assert d.stop() == 0
    assert_clean_log(d)


def check_shutdown(kind):
    s = Stage(kind)
    s.prepare()
    d = Daemon()
    with d:
        c = s.start(d)
        with d.client() as q:
            r = q.call('shutdown')
        assert r['ok'], r
        m = until_reply(c, s.rid)
        if s.is_run():
            assert m['ok'], m
            assert m['result']['status'] == 'cancelled', m
            assert m['result']['message'] == 'daemon stopping', m
            run_id = run_id_of(m['result'])
        else:
            assert not m['ok'], m
            assert m['error']['code'] == 'shutting_down', m
        c.close()
        assert d.wait() == 0
    assert_clean_log(d)
    if s.is_run():
        # a clean stop is `cancelled` in history, not `interrupted`
        with Daemon(tmp=d.tmp) as d2:
            st, res = history_status(d2, run_id)
            assert st == 'cancelled', res
        assert_clean_log(d2)


def check_sighup(kind):
    s = Stage(kind)
    s.prepare(long=False)
    with Daemon() as d:
        c = s.start(d)
        d.proc.send_signal(signal.SIGHUP)
        m = until_reply(c, s.rid)
        assert m['ok'], m
        if kind == 'render':
            assert m['result']['status'] == 'ok', m
            for n in 'abc':
                with open(os.path.join(s.root, '%s.txt' % n)) as f:
                    assert f.read() == '%s 2\n' % n
        elif kind == 'command':
            assert m['result']['status'] == 'ok', m
        else:
            assert m['result']['ready'], m
        c.close()
        with d.client() as q:
            st = q.call('status')
        assert st['ok'] and st['result']['reloads'] == 1, st
        assert_clean_log(d)
        assert d.stop() == 0
    assert_clean_log(d)


def test_unwatch_during_sh_before():
    """The reproduction of the heap-use-after-free."""
    check_unwatch('render')


def test_unwatch_during_command():
    check_unwatch('command')


def test_unwatch_during_first_crawl():
    check_unwatch('crawl')


def test_unwatch_during_hashing():
    check_unwatch('hash')


def test_shutdown_during_sh_before():
    check_shutdown('render')


def test_shutdown_during_command():
    check_shutdown('command')


def test_shutdown_during_first_crawl():
    check_shutdown('crawl')


def test_shutdown_during_hashing():
    check_shutdown('hash')


def test_sighup_during_sh_before():
    check_sighup('render')


def test_sighup_during_command():
    check_sighup('command')


def test_sighup_during_first_crawl():
    check_sighup('crawl')


def test_sighup_during_hashing():
    check_sighup('hash')


if __name__ == '__main__':
    run([test_unwatch_during_sh_before, test_unwatch_during_command,
         test_unwatch_during_first_crawl, test_unwatch_during_hashing,
         test_shutdown_during_sh_before, test_shutdown_during_command,
         test_shutdown_during_first_crawl, test_shutdown_during_hashing,
         test_sighup_during_sh_before, test_sighup_during_command,
         test_sighup_during_first_crawl, test_sighup_during_hashing])
