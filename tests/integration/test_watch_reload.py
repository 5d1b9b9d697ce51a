#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Watch settings change without a restart: a directory that becomes
ignored loses its inotify watch and its files leave the table (reported
removed, reason "ignore"), and comes back when un-ignored; a changed
.git/info/exclude is read on SIGHUP (.git is never watched); the settings
file's watch.debounce_* take effect on SIGHUP. Waits on events and on
status round trips, never on sleeps."""
import os

from harness import run
from test_config_file import daemon_with, hup_and_wait
from test_watch_util import (Subscriber, files_of, fresh_listing, make_root,
                             status_root, watch, write)


def test_dir_becomes_ignored():
    root = make_root({'keep.txt': 'k\n', 'sub/a.txt': 'a\n',
                      'sub/deep/b.txt': 'b\n'})
    daemon, _ = daemon_with('')
    with daemon as d:
        watch(d, root)
        assert status_root(d, root)['watches']['root'] == 3
        with Subscriber(d) as sub:
            write(os.path.join(root, '.gitignore'), 'sub/\n')
            b = sub.batch()
            assert b['reason'] == 'ignore', b
            assert sorted(files_of(b)) == [
                ('.gitignore', 'added'), ('sub/a.txt', 'removed'),
                ('sub/deep/b.txt', 'removed')], b
            st = status_root(d, root)
            assert st['watches']['root'] == 1 and st['dirs'] == 1, st
            assert fresh_listing(d, root) == {'keep.txt', '.gitignore'}
            # no watch left inside: a write there is no change
            write(os.path.join(root, 'sub', 'deep', 'c.txt'), 'c\n')
            sub.sentinel(root)
            os.unlink(os.path.join(root, '.gitignore'))
            b = sub.batch()
            assert sorted(files_of(b)) == [
                ('.gitignore', 'removed'), ('sub/a.txt', 'added'),
                ('sub/deep/b.txt', 'added'), ('sub/deep/c.txt', 'added')], b
            assert status_root(d, root)['watches']['root'] == 3


def test_exclude_read_on_sighup():
    root = make_root({'x.gen': 'x\n', 'y.txt': 'y\n',
                      '.git/HEAD': 'ref: refs/heads/main\n',
                      '.git/info/attributes': ''})
    daemon, _ = daemon_with('')
    with daemon as d:
        watch(d, root)
        assert fresh_listing(d, root) == {'x.gen', 'y.txt'}
        with Subscriber(d) as sub:
            write(os.path.join(root, '.git', 'info', 'exclude'), '*.gen\n')
            # .git is not watched: nothing happens until SIGHUP
            sub.sentinel(root)
            hup_and_wait(d)
            b = sub.batch()
            assert b['reason'] == 'ignore', b
            assert files_of(b) == [('x.gen', 'removed')], b
            assert fresh_listing(d, root) == {'y.txt', 'sentinel-1.txt'}
            write(os.path.join(root, 'z.gen'), 'z\n')
            sub.sentinel(root)
            # an unchanged exclude file rescans nothing
            hup_and_wait(d)
            sub.sentinel(root)
            assert status_root(d, root)['rescans'] == 1


def test_sighup_applies_debounce_settings():
    daemon, cfg = daemon_with('[watch]\ndebounce_min_ms = 20\n'
                              'debounce_max_ms = 400\n')
    root = make_root({'a.txt': 'a\n'})
    with daemon as d:
        watch(d, root)
        st = status_root(d, root)
        assert (st['window_min_ms'], st['window_max_ms']) == (20, 400), st
        write(cfg, '[watch]\ndebounce_min_ms = 0\ndebounce_max_ms = 0\n')
        hup_and_wait(d)
        st = status_root(d, root)
        assert (st['window_min_ms'], st['window_max_ms']) == (0, 0), st
        with Subscriber(d) as sub:
            write(os.path.join(root, 'a.txt'), 'b\n')
            assert files_of(sub.batch()) == [('a.txt', 'modified')]
        # a bad value is refused and the last good window stays
        write(cfg, '[watch]\ndebounce_max_ms = "soon"\n')
        st = hup_and_wait(d)
        assert st['config']['errors'] == 1, st['config']
        assert status_root(d, root)['window_max_ms'] == 0


if __name__ == '__main__':
    run([test_dir_becomes_ignored,
         test_exclude_read_on_sighup,
         test_sighup_applies_debounce_settings])
