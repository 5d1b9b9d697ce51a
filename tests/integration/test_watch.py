#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Watching: each editor save pattern is exactly one settled batch naming
exactly one changed file; touch and identical rewrites are no batch;
ignored and editor temp files never appear; a changed .gitignore takes
effect. "Exactly one" is checked with a sentinel file written afterwards:
the next batch must hold only the sentinel (no sleeping)."""
import base64
import json
import os
import subprocess

from harness import Daemon, run
from test_watch_util import (Subscriber, files_of, make_root, status_root,
                             watch, write)

D = None
ROOT = None
SUB = None


def setup():
    global D, ROOT, SUB
    ROOT = make_root({'README': 'readme\n',
                      '.gitignore': '*.log\nbuild/\n',
                      'src/keep.c': 'int x;\n'})
    D = Daemon()
    D.__enter__()
    watch(D, ROOT)
    SUB = Subscriber(D)


def new_file(rel, text='one\n'):
    """Create rel and consume its own batch."""
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write(path, text)
    b = SUB.batch()
    assert files_of(b) == [(rel, 'added')], b
    return path


def expect_one_modified(rel):
    b = SUB.batch()
    assert files_of(b) == [(rel, 'modified')], b
    assert b['root'] == ROOT and b['reason'] == 'events', b
    SUB.sentinel(ROOT)


def test_in_place_write():
    path = new_file('inplace.txt')
    write(path, 'two\n')
    expect_one_modified('inplace.txt')


def test_append():
    path = new_file('append.txt')
    write(path, 'more\n', 'a')
    expect_one_modified('append.txt')


def test_temp_and_rename():
    path = new_file('renamed.txt')
    tmp = os.path.join(ROOT, '.renamed.txt.tmp1234')
    write(tmp, 'two\n')
    os.rename(tmp, path)
    expect_one_modified('renamed.txt')


def test_jetbrains_safe_write():
    path = new_file('src/Main.java')
    tmp = path + '___jb_tmp___'
    old = path + '___jb_old___'
    write(tmp, 'class Main {}\n')
    os.rename(path, old)
    os.rename(tmp, path)
    os.unlink(old)
    expect_one_modified('src/Main.java')


def vim_probe(dirpath):
    probe = os.path.join(dirpath, '4913')
    fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    os.close(fd)
    os.unlink(probe)


def test_vim_rename_backup():
    """backupcopy=no: rename to file~, write a new file, drop the backup."""
    path = new_file('vim1.txt')
    swp = os.path.join(ROOT, '.vim1.txt.swp')
    write(swp, 'swap')
    vim_probe(ROOT)
    os.rename(path, path + '~')
    write(path, 'two\n')
    os.chmod(path, 0o644)
    os.unlink(path + '~')
    os.unlink(swp)
    expect_one_modified('vim1.txt')


def test_vim_backupcopy():
    """backupcopy=yes: copy to file~, rewrite in place, drop the backup."""
    path = new_file('vim2.txt')
    vim_probe(ROOT)
    write(path + '~', 'one\n')
    write(path, 'two\n')
    os.unlink(path + '~')
    expect_one_modified('vim2.txt')


def test_real_vim():
    path = new_file('vim3.txt')
    subprocess.run(['vim', '-u', 'NONE', '-i', 'NONE', '-n', '-es',
                    '-c', 'normal Ahello', '-c', 'wq', path],
                   check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    expect_one_modified('vim3.txt')


def test_emacs_lock():
    path = new_file('emacs.el')
    lock = os.path.join(ROOT, '.#emacs.el')
    os.symlink('user@host.1234:1700000000', lock)
    os.rename(path, path + '~')
    write(path, '(two)\n')
    os.unlink(lock)
    expect_one_modified('emacs.el')


def test_sed_in_place():
    path = new_file('sed.txt', 'alpha\n')
    subprocess.run(['sed', '-i', 's/alpha/beta/', path], check=True)
    expect_one_modified('sed.txt')


def test_touch_is_no_change():
    path = new_file('touched.txt')
    os.utime(path, (1, 1))
    subprocess.run(['touch', path], check=True)
    SUB.sentinel(ROOT)


def test_identical_rewrite_is_no_change():
    path = new_file('same.txt', 'same\n')
    write(path, 'same\n')
    tmp = path + '.new'
    write(tmp, 'same\n')
    os.rename(tmp, path)
    SUB.sentinel(ROOT)


def test_editor_temp_alone_never_counts():
    for name in ('x~', '.x.swp', '4913', '#x#', 'x___jb_tmp___',
                 '.goutputstream-ABC'):
        write(os.path.join(ROOT, name), 'tmp')
    SUB.sentinel(ROOT)


def test_ignored_never_appear():
    os.makedirs(os.path.join(ROOT, 'node_modules', 'pkg'))
    write(os.path.join(ROOT, 'node_modules', 'pkg', 'index.js'), 'x')
    write(os.path.join(ROOT, 'debug.log'), 'x')
    os.makedirs(os.path.join(ROOT, 'build', 'obj'))
    write(os.path.join(ROOT, 'build', 'obj', 'a.o'), 'x')
    os.makedirs(os.path.join(ROOT, '.git', 'objects'))
    write(os.path.join(ROOT, '.git', 'objects', 'ab'), 'x')
    SUB.sentinel(ROOT)
    with D.client() as c:
        files = {f['path'] for f in c.call('changes', root=ROOT)
                 ['result']['files']}
    assert 'debug.log' not in files and 'build/obj/a.o' not in files
    assert not [f for f in files if f.startswith(('node_modules', '.git/'))]


def test_gitignore_change_takes_effect():
    gi = os.path.join(ROOT, '.gitignore')
    write(os.path.join(ROOT, 'note.tmpx'), 'x')
    b = SUB.batch()
    assert files_of(b) == [('note.tmpx', 'added')], b
    write(gi, '*.log\nbuild/\n*.tmpx\n')
    b = SUB.batch()
    assert ('.gitignore', 'modified') in files_of(b), b
    assert ('note.tmpx', 'removed') in files_of(b), b
    write(os.path.join(ROOT, 'other.tmpx'), 'x')
    SUB.sentinel(ROOT)
    write(gi, '*.log\nbuild/\n')
    b = SUB.batch()
    assert sorted(files_of(b)) == [('.gitignore', 'modified'),
                                   ('note.tmpx', 'added'),
                                   ('other.tmpx', 'added')], b


def test_nested_gitignore():
    new_file('sub/.gitignore', 'secret.txt\n')
    write(os.path.join(ROOT, 'sub', 'secret.txt'), 'x')
    write(os.path.join(ROOT, 'secret.txt'), 'x')
    b = SUB.batch()
    assert files_of(b) == [('secret.txt', 'added')], b


def test_remove_is_one_change():
    path = new_file('gone.txt')
    os.unlink(path)
    b = SUB.batch()
    assert files_of(b) == [('gone.txt', 'removed')], b


def test_created_and_removed_in_one_batch_is_nothing():
    path = os.path.join(ROOT, 'flash.txt')
    write(path, 'x')
    os.unlink(path)
    SUB.sentinel(ROOT)


def test_save_read_late_is_one_batch():
    """A save whose events the loop reads only after its window closed
    (the daemon descheduled, or slow under valgrind) is still one batch:
    a debounce timer that fires with events queued in the kernel reads
    them first. Here the daemon sees the create of an empty file, is
    stopped wherever it is, the content is written, and it resumes with
    the window long past: one "added" batch, no "modified" after."""
    import signal
    import time
    window_s = 1.0
    root = make_root({'a.txt': 'a\n'})
    with Daemon('--set', 'watch.debounce_min_ms=%dms' % (window_s * 1000),
                '--set', 'watch.debounce_max_ms=%dms' % (window_s * 1000)) \
            as d:
        watch(d, root)
        with Subscriber(d) as sub:
            for attempt in range(3):
                before = status_root(d, root)['files']
                rel = 'late-%d.txt' % attempt
                f = open(os.path.join(root, rel), 'w')
                created = time.monotonic()
                # The create is in the table and its (empty) hash known.
                while True:
                    st = status_root(d, root)
                    if st['files'] == before + 1 and \
                            st['hash_pending'] == 0:
                        break
                    assert time.monotonic() < created + 20, st
                os.kill(d.proc.pid, signal.SIGSTOP)
                try:
                    # The scenario needs the stop inside the window.
                    in_window = time.monotonic() - created < window_s / 2
                    f.write('content\n')
                    f.close()
                    time.sleep(2 * window_s)
                finally:
                    os.kill(d.proc.pid, signal.SIGCONT)
                b = sub.batch()
                assert files_of(b) == [(rel, 'added')], b
                sub.sentinel(root)
                if in_window:
                    return
            raise AssertionError('never stopped the daemon within %.1fs '
                                 'of a create' % (window_s / 2))


def raw_batch_line():
    """The next files.changed line as sent (bytes)."""
    SUB.c.sock.settimeout(20.0)
    while True:
        line = SUB.c.recv_line()
        assert line is not None, 'daemon closed the connection'
        if b'"files.changed"' in line:
            return line


def test_event_line_is_compact_json_of_any_name():
    """files.changed lines are written without cJSON (issue 15): the bytes
    must be what the cJSON route prints, i.e. compact JSON, UTF-8 kept,
    control bytes escaped; a name that is not UTF-8 gets its path_b64."""
    names = ['q"uo\\te\ttab\x01\x1f\x7f \u00e9\u20ac.txt'.encode(),
             b'bad\xff.txt']
    for name in names:
        with open(os.path.join(ROOT.encode(), name), 'w') as f:
            f.write('x')
        line = raw_batch_line()
        msg = json.loads(line.decode('utf-8'))      # strict UTF-8
        assert line == json.dumps(msg, separators=(',', ':'),
                                  ensure_ascii=False).encode(), line
        (f,) = msg['data']['files']
        exact = (base64.b64decode(f['path_b64']) if 'path_b64' in f
                 else f['path'].encode())
        assert exact == name and f['kind'] == 'added', (line, name)
        assert ('path_b64' in f) == (name == b'bad\xff.txt'), line
        os.unlink(os.path.join(ROOT.encode(), name))
        assert files_of(SUB.batch()) == [(f['path'], 'removed')]


def teardown():
    SUB.close()
    D.__exit__(None, None, None)


if __name__ == '__main__':
    setup()
    try:
        run([test_in_place_write, test_append, test_temp_and_rename,
             test_jetbrains_safe_write, test_vim_rename_backup,
             test_vim_backupcopy, test_real_vim, test_emacs_lock,
             test_sed_in_place, test_touch_is_no_change,
             test_identical_rewrite_is_no_change,
             test_editor_temp_alone_never_counts, test_ignored_never_appear,
             test_gitignore_change_takes_effect, test_nested_gitignore,
             test_remove_is_one_change,
             test_created_and_removed_in_one_batch_is_nothing,
             test_event_line_is_compact_json_of_any_name,
             test_save_read_late_is_one_batch])
    finally:
        teardown()
