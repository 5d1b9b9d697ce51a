#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Privilege boundaries (protocol/SECURITY.md): only the daemon's own uid
may use the socket (SO_PEERCRED, checked even when the filesystem would let
another user reach the socket), and a socket directory that another user
owns or could enter stops the daemon from starting, with the fix in the
message. Request strings never reach a shell (phase names and roots full
of shell syntax are names, and arrive literally in the environment); only
phases make.toml defines run; workspace paths and template outputs cannot
leave the root (`..`, absolute paths, symlinks). Tests that need root skip
outside CI and fail under CI=true.
"""
import json
import os
import pwd
import socket

import harness
from harness import Daemon, mktemp
from test_watch_util import make_root, write


def _nobody():
    try:
        pw = pwd.getpwnam('nobody')
    except KeyError:
        return None
    return pw.pw_uid, pw.pw_gid


def _connect_as(uid, gid, path):
    """Fork a child that drops to uid/gid, connects to path and sends a
    status request. Returns the child's verdict: 'refused' (the daemon
    closed without a reply), 'answered' (it replied) or 'error: ...'."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        verdict = 'error: unknown'
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(harness.IO_TIMEOUT)
            s.connect(path)
            try:
                s.sendall(b'{"id":1,"cmd":"status"}\n')
                data = s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                data = b''
            verdict = 'answered: %r' % data if data else 'refused'
        except Exception as e:  # reported to the parent, not raised
            verdict = 'error: %r' % e
        os.write(w, verdict.encode())
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 4096)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    os.waitpid(pid, 0)
    return b''.join(chunks).decode()


def _open_path_to(path, top):
    """Let other users reach the socket at path: dirs from top down to its
    directory 0711, the socket 0666. The daemon checked the directory at
    start; this loosens it afterwards, so that only SO_PEERCRED is left
    between the other user and the daemon."""
    d = os.path.dirname(path)
    while True:
        os.chmod(d, 0o711)
        if d == top or d == '/':
            break
        d = os.path.dirname(d)
    os.chmod(path, 0o666)


def test_other_uid_refused():
    harness.skip_unless(os.geteuid() == 0, 'needs root to switch uid')
    ids = _nobody()
    harness.skip_unless(ids is not None, 'no user "nobody"')
    with Daemon() as d:
        _open_path_to(d.sock, d.tmp)
        verdict = _connect_as(ids[0], ids[1], d.sock)
        assert verdict == 'refused', verdict
        with d.client() as c:
            st = c.call('status')
        assert st['ok'], st
        assert st['result']['clients']['refused'] == 1, st
        log = d.log_text()
        assert 'refused a connection from uid %d' % ids[0] in log, log


def test_other_uid_refused_many_then_owner_served():
    """Refusals do not use up client slots or stop the accept loop."""
    harness.skip_unless(os.geteuid() == 0, 'needs root to switch uid')
    ids = _nobody()
    harness.skip_unless(ids is not None, 'no user "nobody"')
    with Daemon('--set', 'client.max=2') as d:
        _open_path_to(d.sock, d.tmp)
        for _ in range(5):
            verdict = _connect_as(ids[0], ids[1], d.sock)
            assert verdict == 'refused', verdict
        with d.client() as a, d.client() as b:
            assert a.call('hello', proto=1)['ok']
            st = b.call('status')['result']
        assert st['clients']['refused'] == 5, st
        assert st['clients']['connected'] == 2, st


def _start_fails(tmp, fragment_list):
    d = Daemon(tmp=tmp)
    line = d.spawn()
    rc = d.wait()
    assert line != 'READY', line
    assert rc != 0, rc
    for frag in fragment_list:
        assert frag in line, (frag, line)
        assert frag in d.log_text(), (frag, d.log_text())
    return line


def test_socket_dir_other_owner_refused():
    harness.skip_unless(os.geteuid() == 0, 'needs root to chown')
    ids = _nobody()
    harness.skip_unless(ids is not None, 'no user "nobody"')
    tmp = mktemp()
    run = os.path.join(tmp, 'run')
    os.mkdir(run, 0o700)
    os.chown(run, ids[0], ids[1])
    line = _start_fails(tmp, ['owned by uid %d' % ids[0], 'fix: remove it'])
    assert run in line, line
    assert not os.path.exists(os.path.join(run, 'ggend.sock'))


def test_socket_dir_group_access_refused():
    tmp = mktemp()
    run = os.path.join(tmp, 'run')
    for mode in (0o750, 0o701, 0o707):
        if os.path.isdir(run):
            os.rmdir(run)
        os.mkdir(run)
        os.chmod(run, mode)
        _start_fails(tmp, ['mode %04o' % mode, 'fix: chmod 700 ' + run])
        assert os.listdir(run) == [], os.listdir(run)


def test_socket_dir_symlink_refused():
    """A symlink in place of the directory could point anywhere (another
    user's directory): refused, not followed."""
    tmp = mktemp()
    real = os.path.join(tmp, 'real')
    os.mkdir(real, 0o700)
    os.symlink(real, os.path.join(tmp, 'run'))
    _start_fails(tmp, ['is not a directory', 'fix: remove it'])
    assert os.listdir(real) == [], os.listdir(real)


def test_socket_and_dir_modes_owner_only():
    with Daemon() as d:
        st = os.stat(d.sock)
        assert st.st_uid == os.getuid()
        assert st.st_mode & 0o077 == 0, oct(st.st_mode)
        st = os.stat(os.path.dirname(d.sock))
        assert st.st_mode & 0o077 == 0, oct(st.st_mode)
        with d.client() as c:
            reply = c.call('status')
        assert json.dumps(reply).find('"ok": true') >= 0, reply


# A phase that records what it was told, through the environment only.
SEEN = 'command = \'printf "%s|%s" "$GGEN_PHASE" "$GGEN_ROOT" > seen.txt\'\n'


def _run(d, root, phases, **extra):
    with d.client() as c:
        r = c.call('run', root=root, phases=phases, **extra)
        while 'progress' in r:
            r = c.recv()
    return r


def _no_pwned(*dirs):
    for base in dirs:
        for dirpath, _, files in os.walk(base):
            assert 'pwned' not in files, dirpath


def test_request_strings_never_reach_a_shell():
    top = mktemp()
    # A root whose own path is full of shell syntax.
    root = os.path.join(top, 'r;touch pwned;$(touch pwned)`touch pwned`')
    os.makedirs(root)
    write(os.path.join(root, 'make.toml'),
          '[project]\nname = "s"\n[lifecycle."a;touch pwned"]\n' + SEEN +
          '[lifecycle.ok]\n' + SEEN)
    with Daemon() as d:
        for phases in (['ok; touch pwned'], ['$(touch pwned)'],
                       ['`touch pwned`'], ['ok\ntouch pwned'],
                       ['ok && touch pwned']):
            r = _run(d, root, phases)
            assert not r['ok'], r
            assert r['error']['code'] == 'phase_not_found', r
        r = _run(d, root + '; touch pwned', ['ok'])
        assert not r['ok'], r
        # Defined names with metacharacters run, and arrive literally.
        r = _run(d, root, ['a;touch pwned'])
        assert r['ok'] and r['result']['status'] == 'ok', r
        with open(os.path.join(root, 'seen.txt')) as f:
            assert f.read() == 'a;touch pwned|' + root
        _no_pwned(top, os.getcwd())


def test_only_make_toml_phases_run():
    root = make_root({'make.toml': '[project]\nname = "s"\n'
                      '[lifecycle.ok]\n' + SEEN})
    with Daemon() as d:
        for phases in (['sh'], ['rm'], ['touch pwned'], ['build'], ['']):
            r = _run(d, root, phases)
            assert not r['ok'], r
            assert r['error']['code'] in ('phase_not_found', 'invalid',
                                          'bad_type'), r
        # Fields that are not in the protocol carry nothing to a shell.
        r = _run(d, root, ['ok'], command='touch pwned', cmd2='touch pwned')
        if r['ok']:
            assert r['result']['status'] == 'ok', r
        r = _run(d, mktemp(), ['ok'])
        assert not r['ok'], r   # a directory without make.toml
        _no_pwned(root, os.getcwd())


def test_workspace_path_cannot_leave_root():
    outside = make_root({'make.toml': '[project]\nname = "o"\n'
                         '[lifecycle.ok]\ncommand = "touch pwned"\n'})
    for path in ('../' + os.path.basename(outside), outside, 'link'):
        root = make_root({'make.toml': '[project]\nname = "s"\n'
                          '[workspace.evil]\npath = "%s"\n'
                          '[lifecycle.ok]\ncommand = "touch pwned"\n'
                          % path})
        os.symlink(outside, os.path.join(root, 'link'))
        # ../X only reaches outside when both sit side by side.
        if path.startswith('../'):
            os.rename(root, os.path.join(os.path.dirname(outside),
                                         'sib-root'))
            root = os.path.join(os.path.dirname(outside), 'sib-root')
        with Daemon() as d:
            r = _run(d, root, ['ok'], workspace='evil')
            assert not r['ok'], (path, r)
            assert 'outside' in r['error']['message'], (path, r)
            r = _run(d, root, ['ok'], all_workspaces=True)
            assert not r['ok'] or r['result']['status'] != 'ok', (path, r)
        _no_pwned(outside)


def test_template_output_cannot_leave_root():
    outside = make_root({})
    cases = {'up': '../escape-up.txt', 'abs': outside + '/escape-abs.txt',
             'link': 'link/escape-link.txt', 'deep': 'a/../../escape.txt'}
    for name, to in cases.items():
        root = make_root({
            'make.toml': '[project]\nname = "t"\n[lifecycle.gen]\n'
                         'templates = ["templates/*.tmpl"]\n',
            'templates/t.tmpl': '---\nto: %s\n---\nhello\n' % to,
            'a/.keep': ''})
        os.symlink(outside, os.path.join(root, 'link'))
        with Daemon() as d:
            r = _run(d, root, ['gen'])
            assert r['ok'], r
            res = r['result']
            assert res['status'] == 'failed', (name, res)
            assert any(w in res['message'] for w in (
                'outside', 'escapes the root', 'inside the root',
                'leaves the root')), \
                (name, res)
            assert 'templates/t.tmpl:2:1' in res['message'], res
        assert os.listdir(outside) == [], (name, os.listdir(outside))
        assert not os.path.exists(os.path.join(os.path.dirname(root),
                                               'escape-up.txt'))
        assert not os.path.exists(os.path.join(os.path.dirname(root),
                                               'escape.txt'))


if __name__ == '__main__':
    harness.run([test_other_uid_refused,
                 test_other_uid_refused_many_then_owner_served,
                 test_socket_dir_other_owner_refused,
                 test_socket_dir_group_access_refused,
                 test_socket_dir_symlink_refused,
                 test_socket_and_dir_modes_owner_only,
                 test_request_strings_never_reach_a_shell,
                 test_only_make_toml_phases_run,
                 test_workspace_path_cannot_leave_root,
                 test_template_output_cannot_leave_root])
