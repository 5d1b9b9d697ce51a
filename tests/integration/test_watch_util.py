# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the test_watch*.py scripts (not a test itself): a
subscriber waiting for files.changed batches, roots in temp dirs,
sentinel writes that prove "nothing else happened" without sleeping."""
import json
import os
import socket

from harness import Client, mktemp

# A "no batch" check that cannot use a sentinel waits this long: three
# times the default debounce_max_ms (500 ms).
QUIET_S = 1.5


class Subscriber:
    """A connection that sent `events` and reads files.changed events."""

    def __init__(self, d):
        self.c = Client(d.sock)
        self.c.request('events')
        msg = self.c.recv()
        assert msg.get('progress') == {'subscribed': True}, msg
        self.seq = 0

    def close(self):
        self.c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def batch(self, timeout=20.0):
        """The next files.changed data; fails after timeout seconds."""
        self.c.sock.settimeout(timeout)
        try:
            while True:
                msg = self.c.recv()
                if msg.get('event') == 'files.changed':
                    return msg['data']
        except socket.timeout:
            raise AssertionError('no files.changed within %.0fs' % timeout)
        finally:
            self.c.sock.settimeout(20.0)

    def quiet(self, seconds=QUIET_S):
        """Assert no event arrives within seconds (a bounded wait)."""
        self.c.sock.settimeout(seconds)
        try:
            line = self.c.recv_line()
        except socket.timeout:
            return
        finally:
            self.c.sock.settimeout(20.0)
        raise AssertionError('unexpected event: %r' % line)

    def sentinel(self, root):
        """Write a fresh sentinel file and return the next batch: it must
        hold only the sentinel, so nothing else changed before it."""
        self.seq += 1
        name = 'sentinel-%d.txt' % self.seq
        # Written under an editor temp name (never a change on its own)
        # and renamed into place: one moved_to event, so even a zero
        # debounce window cannot split it into "added" (empty) and then
        # "modified", which would spill into the caller's next batch.
        path = os.path.join(root, name)
        write(path + '~', 'sentinel %d\n' % self.seq)
        os.rename(path + '~', path)
        b = self.batch()
        assert files_of(b) == [(name, 'added')], b
        return b


def files_of(batch):
    return [(f['path'], f['kind']) for f in batch['files']]


def write(path, text, mode='w'):
    with open(path, mode) as f:
        f.write(text)


def make_root(files=None):
    """A temp dir holding files {relpath: text}; returns its real path."""
    root = os.path.realpath(os.path.join(mktemp(), 'root'))
    os.makedirs(root)
    for rel, text in (files or {}).items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write(path, text)
    return root


def watch(d, root):
    """Watch root and return the reply's result (waits until ready)."""
    with d.client() as c:
        r = c.call('watch', root=root)
        while 'progress' in r:
            r = c.recv()
        assert r['ok'], r
        return r['result']


def walk(root):
    """Every file below root as a relative path, ignoring .git."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [n for n in dirnames if n != '.git']
        for n in filenames:
            out.add(os.path.relpath(os.path.join(dirpath, n), root))
    return out


def fresh_listing(d, root):
    with d.client() as c:
        r = c.call('changes', root=root)
        assert r['ok'], r
        assert r['result']['fresh'] is True, r
        return {f['path'] for f in r['result']['files']}


def status_root(d, root):
    with d.client() as c:
        res = c.call('status')['result']
    for r in res['roots']:
        if r['root'] == root:
            return r
    raise AssertionError('root %s not in status: %s'
                         % (root, json.dumps(res['roots'])))


def clock_parts(tok):
    """A clock token c:<instance>:<root>:<counter> as (instance, root,
    counter)."""
    c, inst, root, counter = tok.split(':')
    assert c == 'c' and len(inst) == 16 and len(root) == 8, tok
    return inst, root, int(counter)
