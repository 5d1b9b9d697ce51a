#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Phase results shared through a real nginx speaking Bazel's HTTP
remote-cache protocol (doc/remote-cache.md), and the local output store.

Each test starts its own nginx (tests/integration/nginx.py) and daemons
with private state; nothing else is shared. Covers: two daemons with two
checkouts at different paths (restored byte for byte, command not run),
a server that is down, answers 500 to PUT, is slower than the timeout,
serves a corrupted blob, a manifest with ../, an absolute path or a path
through a symlink, a blob over max_bytes, an auth header (403 without the
headers file, mode 0600 checked), the local store across a git branch
switch and back, and eviction beyond cache.local_max."""
import json
import os
import shutil
import subprocess
import time

from harness import Daemon, IO_TIMEOUT, ggenc, mktemp, run
from nginx import Blackhole, Cutter, Nginx

BUILD = '''
[lifecycle.build]
command = "mkdir -p out && head -c %d /dev/urandom > out/bin && cp src/a out/a && echo ran >> ran.log"
inputs = ["src/*"]
outputs = ["out/"]
cache = true
'''


def checkout(size=20000, extra='', files=None, src='source one\n'):
    """A project in a fresh directory (a different path each call)."""
    root = os.path.join(mktemp(), 'deep', 'co')
    os.makedirs(os.path.join(root, 'src'))
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write('[project]\nname = "rc"\n' + extra + BUILD % size)
    with open(os.path.join(root, 'src', 'a'), 'w') as f:
        f.write(src)
    for rel, text in (files or {}).items():
        with open(os.path.join(root, rel), 'w') as f:
            f.write(text)
    return root


def remote_daemon(url, *args):
    return Daemon('--set', 'cache.remote.url=' + url,
                  '--set', 'cache.remote.timeout=2s', *args)


def request(d, **fields):
    prog = []
    with d.client() as c:
        rid = c.request('run', **fields)
        while True:
            m = c.recv()
            if 'progress' in m:
                prog.append(m['progress'])
            elif m.get('id') == rid:
                return m, prog


def build(d, root, **fields):
    reply, prog = request(d, phases=['build'], root=root, **fields)
    assert reply['ok'], reply
    out = ''.join(p['data'] for p in prog if p['type'] == 'output')
    fin = [p for p in prog if p['type'] == 'phase.finished']
    return reply['result'], out, fin


def cache_status(d):
    with d.client() as c:
        r = c.call('status')
    assert r['ok'], r
    return r['result']['cache']


def wait_for(d, pred, what, timeout=IO_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        st = cache_status(d)
        if pred(st):
            return st
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for %s: %s'
                                 % (what, json.dumps(st)))
        time.sleep(0.05)


def saves_settled(n):
    return lambda st: st['saves_done'] + st['saves_failed'] >= n and \
        st['saves_queued'] == 0


def ran(root):
    try:
        with open(os.path.join(root, 'ran.log')) as f:
            return f.read().count('ran')
    except FileNotFoundError:
        return 0


def read(root, rel):
    with open(os.path.join(root, rel), 'rb') as f:
        return f.read()


def action_key(d, root):
    reply, _ = request(d, phases=['build'], root=root, dry_run=True)
    assert reply['ok'], reply
    step = reply['result']['steps'][0]
    assert 'action_key' in step, step
    return step['action_key']


def warnings(d, text):
    return [l for l in d.log_text().splitlines()
            if ' warn: ' in l and text in l]


# ---- sharing ---------------------------------------------------------------

def test_two_daemons_share_through_nginx():
    a_root, b_root = checkout(), checkout()
    assert a_root != b_root
    with Nginx() as n, remote_daemon(n.url) as a, remote_daemon(n.url) as b:
        res, _, _ = build(a, a_root)
        assert res['status'] == 'ok', res
        st = wait_for(a, lambda s: s['remote']['uploads'] >= 1, 'upload')
        assert st['remote']['reachable'] is True, st
        key = action_key(b, b_root)
        assert n.files('ac') == [key], (n.files('ac'), key)

        res, out, fin = build(b, b_root)
        assert res['status'] == 'cached', (res, out)
        assert 'cached (remote)' in out, out
        assert fin[0].get('cache') == 'remote', fin
        assert ran(b_root) == 0, 'the command ran under the second daemon'
        assert read(b_root, 'out/bin') == read(a_root, 'out/bin')
        assert read(b_root, 'out/a') == read(a_root, 'out/a')
        st = cache_status(b)
        assert st['remote']['hits'] == 1, st
        assert st['remote']['bytes_down'] >= 20000, st
        assert st['restored_remote'] == 1, st
        # The hit lands in b's local store in the background: gone
        # outputs then come back from there, not from the network.
        wait_for(b, lambda s: s['store']['entries'] == 1, 'adopt')
        shutil.rmtree(os.path.join(b_root, 'out'))
        res, out, _ = build(b, b_root)
        assert 'cached (restored)' in out, out
        assert read(b_root, 'out/bin') == read(a_root, 'out/bin')
        assert cache_status(b)['remote']['hits'] == 1

        # The same key run again (forced) is not uploaded twice.
        build(a, a_root, force=True)
        wait_for(a, saves_settled(2), 'second save')
        puts = [l for l in n.access_log().splitlines()
                if '"PUT /ac/' + key in l]
        assert len(puts) == 1, puts
        # The human status names the remote and its counters.
        p = ggenc('status', sock=b.sock)
        assert p.returncode == 0, p.stderr
        assert n.url in p.stdout and 'reachable' in p.stdout, p.stdout
        assert '1 hits' in p.stdout, p.stdout
        p = ggenc('status', '--json', sock=b.sock)
        assert json.loads(p.stdout)['cache']['remote']['url'] == n.url


def test_no_remote_and_project_opt_out():
    with Nginx() as n, remote_daemon(n.url) as d:
        root = checkout()
        build(d, root, no_remote=True)
        wait_for(d, saves_settled(1), 'save')
        # (Other sources: the same key would be restored locally.)
        opt = checkout(extra='[cache]\nremote = false\n', src='opt\n')
        build(d, opt)
        wait_for(d, saves_settled(2), 'save')
        assert 'PUT' not in n.access_log(), n.access_log()
        assert cache_status(d)['remote']['uploads'] == 0
        # Both were stored locally all the same.
        assert cache_status(d)['store']['saves'] == 2


def test_platform_inputs_in_the_key():
    """Checkouts whose `[cache] platform_inputs` print different things
    (another compiler) never share results; equal ones do."""
    extra = '[cache]\nplatform_inputs = ["cat compiler.txt"]\n'
    a_root = checkout(extra=extra, files={'compiler.txt': 'cc 12\n'})
    b_root = checkout(extra=extra, files={'compiler.txt': 'cc 13\n'})
    c_root = checkout(extra=extra, files={'compiler.txt': 'cc 12\n'})
    with Nginx() as n, remote_daemon(n.url) as a, remote_daemon(n.url) as b:
        res, _, _ = build(a, a_root)
        assert res['status'] == 'ok', res
        wait_for(a, lambda s: s['remote']['uploads'] >= 1, 'upload')
        assert cache_status(a)['platform_input_runs'] >= 1
        res, out, _ = build(b, b_root)
        assert res['status'] == 'ok' and ran(b_root) == 1, (res, out)
        assert cache_status(b)['remote']['misses'] == 1
        res, out, _ = build(b, c_root)
        assert res['status'] == 'cached' and 'cached (remote)' in out, out
        assert ran(c_root) == 0
        assert read(c_root, 'out/bin') == read(a_root, 'out/bin')


# ---- faults ----------------------------------------------------------------

def test_server_down():
    with remote_daemon('http://127.0.0.1:%d' % __import__(
            'nginx').free_port()) as d:
        root = checkout()
        t0 = time.monotonic()
        res, _, _ = build(d, root)
        assert res['status'] == 'ok', res
        wait_for(d, saves_settled(1), 'save')
        os.unlink(os.path.join(root, 'out', 'bin'))
        os.unlink(os.path.join(root, 'out', 'a'))
        shutil.rmtree(os.path.join(mktemp()), ignore_errors=True)
        # Local store restores; the remote is not needed.
        res, out, _ = build(d, root)
        assert res['status'] == 'cached' and 'cached (restored)' in out
        with open(os.path.join(root, 'src', 'a'), 'w') as f:
            f.write('changed\n')
        res, _, _ = build(d, root)
        assert res['status'] == 'ok', res
        assert time.monotonic() - t0 < 15, 'a down remote stalled builds'
        st = wait_for(d, lambda s: s['remote']['errors'] >= 1, 'an error')
        assert st['remote']['reachable'] is False, st
        assert st['remote']['last_error'], st
        assert len(warnings(d, 'remote cache:')) == 1, d.log_text()


def test_put_answered_500():
    loc = ('location / {\n  if ($request_method = PUT) { return 500; }\n'
           '  dav_methods PUT;\n}\n')
    with Nginx(root_location=loc) as n, remote_daemon(n.url) as d:
        root = checkout()
        res, _, _ = build(d, root)
        assert res['status'] == 'ok', res
        st = wait_for(d, lambda s: s['remote']['errors'] >= 1, 'an error')
        assert 'HTTP 500' in st['remote']['last_error'], st
        assert st['remote']['uploads'] == 0, st
        assert st['store']['saves'] == 1, st
        assert len(warnings(d, 'HTTP 500')) == 1, d.log_text()


def test_server_slower_than_timeout():
    hole = Blackhole()
    loc = ('location /slow/ {\n  proxy_pass http://127.0.0.1:%d/;\n'
           '  proxy_read_timeout 60s;\n}\n') % hole.port
    try:
        with Nginx(locations=loc) as n, \
                Daemon('--set', 'cache.remote.url=' + n.url + '/slow',
                       '--set', 'cache.remote.timeout=300ms') as d:
            root = checkout()
            t0 = time.monotonic()
            res, _, _ = build(d, root)
            took = time.monotonic() - t0
            assert res['status'] == 'ok', res
            # The remote is asked before the build: one timeout at most.
            assert took < 10, took
            st = wait_for(d, lambda s: s['remote']['errors'] >= 1,
                          'a timeout')
            assert 'timed out' in st['remote']['last_error'], st
            assert st['remote']['reachable'] is False, st
    finally:
        hole.close()


def test_transfer_cut_short():
    cut = Cutter()
    loc = ('location /cut/ {\n  proxy_pass http://127.0.0.1:%d/;\n'
           '  proxy_buffering off;\n}\n') % cut.port
    try:
        with Nginx(locations=loc) as n, \
                remote_daemon(n.url + '/cut') as d:
            root = checkout()
            res, _, _ = build(d, root)
            assert res['status'] == 'ok' and ran(root) == 1, res
            st = wait_for(d, lambda s: s['remote']['errors'] >= 1, 'error')
            assert st['remote']['reachable'] is False, st
            assert st['remote']['hits'] == 0, st
            assert cut.served >= 1
            assert 'partial' in st['remote']['last_error'], st
            assert len(warnings(d, 'remote cache:')) == 1, d.log_text()
    finally:
        cut.close()


def test_corrupted_blob_is_discarded():
    a_root, b_root = checkout(), checkout()
    with Nginx() as n, remote_daemon(n.url) as a, remote_daemon(n.url) as b:
        build(a, a_root)
        wait_for(a, lambda s: s['remote']['uploads'] >= 1, 'upload')
        for sha in n.files('cas'):
            p = n.path('cas', sha)
            size = os.path.getsize(p)
            with open(p, 'wb') as f:
                f.write(b'X' * size)
        res, out, _ = build(b, b_root)
        assert res['status'] == 'ok', (res, out)
        assert ran(b_root) == 1
        assert read(b_root, 'out/a') == b'source one\n'
        st = cache_status(b)
        assert st['remote']['corrupt_blobs'] == 1, st
        assert st['remote']['hits'] == 0, st
        assert 'sha256' in st['remote']['last_error'], st


def put_manifest(n, key, files, blob=b'evil\n'):
    import hashlib
    sha = hashlib.sha256(blob).hexdigest()
    os.makedirs(os.path.join(n.root, 'cas'), exist_ok=True)
    os.makedirs(os.path.join(n.root, 'ac'), exist_ok=True)
    with open(n.path('cas', sha), 'wb') as f:
        f.write(blob)
    m = {'ggen_manifest': 1, 'key': key, 'phase': 'build', 'exit_code': 0,
         'files': [{'path': p, 'mode': '0644', 'size': len(blob),
                    'sha256': sha} for p in files]}
    with open(n.path('ac', key), 'w') as f:
        json.dump(m, f)


def test_manifest_paths_refused():
    with Nginx() as n, remote_daemon(n.url) as d:
        victim = mktemp()
        cases = [['out/a', '../evil'],
                 ['out/a', os.path.join(victim, 'evil')],
                 ['out/a', 'out/../../evil']]
        for i, files in enumerate(cases):
            # Distinct sources: a key built here before would be
            # restored from the local store, not asked remotely.
            root = checkout(src='case %d\n' % i)
            key = action_key(d, root)
            put_manifest(n, key, files)
            res, out, _ = build(d, root, no_remote=False)
            assert res['status'] == 'ok', (files, res, out)
            assert ran(root) == 1, (files, out)
            assert not os.path.exists(os.path.join(root, '..', 'evil'))
            assert not os.path.exists(os.path.join(victim, 'evil'))
            st = cache_status(d)
            assert st['remote']['refused_manifests'] == i + 1, st
        # A path through a symlink in the checkout is refused on disk.
        root = checkout(src='symlink case\n')
        os.symlink(victim, os.path.join(root, 'link'))
        key = action_key(d, root)
        put_manifest(n, key, ['link/evil'])
        res, out, _ = build(d, root)
        assert res['status'] == 'ok', res
        assert ran(root) == 1
        assert os.listdir(victim) == [], os.listdir(victim)


def test_blob_over_max_bytes():
    a_root, b_root = checkout(size=8192), checkout(size=8192)
    with Nginx() as n, remote_daemon(n.url) as a, \
            remote_daemon(n.url, '--set',
                          'cache.remote.max_bytes=4096') as b:
        build(a, a_root)
        wait_for(a, lambda s: s['remote']['uploads'] >= 1, 'upload')
        res, _, _ = build(b, b_root)
        assert res['status'] == 'ok', res
        assert ran(b_root) == 1
        st = cache_status(b)
        assert st['remote']['hits'] == 0, st
        assert '4096' in st['remote']['last_error'], st
        # b's own upload of the same size is refused too: nothing sent.
        wait_for(b, saves_settled(1), 'save')
        assert cache_status(b)['remote']['uploads'] == 0


def test_auth_header_required():
    loc = ('location / {\n'
           '  if ($http_x_cache_token != "s3cret") { return 403; }\n'
           '  dav_methods PUT DELETE;\n  create_full_put_path on;\n'
           '  dav_access user:rw group:r all:r;\n}\n')
    with Nginx(root_location=loc) as n:
        with remote_daemon(n.url) as d:
            root = checkout()
            res, _, _ = build(d, root)
            assert res['status'] == 'ok', res
            st = wait_for(d, lambda s: s['remote']['errors'] >= 1, '403')
            assert 'HTTP 403' in st['remote']['last_error'], st
        hdr = os.path.join(mktemp(), 'headers')
        with open(hdr, 'w') as f:
            f.write('# auth\nX-Cache-Token: s3cret\n')
        os.chmod(hdr, 0o644)
        with remote_daemon(n.url, '--set',
                           'cache.remote.headers_file=' + hdr) as d:
            st = cache_status(d)
            assert st['remote']['enabled'] is False, st
            assert '0600' in st['remote']['last_error'], st
        os.chmod(hdr, 0o600)
        a_root, b_root = checkout(), checkout()
        with remote_daemon(n.url, '--set',
                           'cache.remote.headers_file=' + hdr) as a, \
                remote_daemon(n.url, '--set',
                              'cache.remote.headers_file=' + hdr) as b:
            build(a, a_root)
            wait_for(a, lambda s: s['remote']['uploads'] >= 1, 'upload')
            res, out, _ = build(b, b_root)
            assert res['status'] == 'cached' and 'cached (remote)' in out
            assert ran(b_root) == 0
            assert 's3cret' not in a.log_text() + b.log_text()


# ---- the local store -------------------------------------------------------

def git(root, *args):
    p = subprocess.run(['git', '-C', root] + list(args), capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_local_store_branch_switch_and_back():
    root = checkout()
    with open(os.path.join(root, '.gitignore'), 'w') as f:
        f.write('out/\nran.log\n')
    git(root, 'init', '-q', '-b', 'main')
    git(root, '-c', 'user.name=t', '-c', 'user.email=t@t', 'add', '.')
    git(root, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm',
        'one')
    git(root, 'checkout', '-qb', 'other')
    with open(os.path.join(root, 'src', 'a'), 'w') as f:
        f.write('source two\n')
    git(root, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam',
        'two')
    git(root, 'checkout', '-q', 'main')
    with Daemon() as d:
        build(d, root)
        first = read(root, 'out/bin')
        wait_for(d, saves_settled(1), 'save')
        git(root, 'checkout', '-q', 'other')
        res, _, _ = build(d, root)
        assert res['status'] == 'ok' and read(root, 'out/a') == \
            b'source two\n'
        wait_for(d, saves_settled(2), 'save')
        git(root, 'checkout', '-q', '-')
        res, out, fin = build(d, root)
        assert res['status'] == 'cached', (res, out)
        assert 'cached (restored)' in out, out
        assert fin[0]['cache'] == 'restored', fin
        assert ran(root) == 2
        assert read(root, 'out/bin') == first
        assert read(root, 'out/a') == b'source one\n'
        # An output edited by hand is restored too (stat changed).
        with open(os.path.join(root, 'out', 'a'), 'a') as f:
            f.write('edit\n')
        res, out, _ = build(d, root)
        assert res['status'] == 'cached' and 'cached (restored)' in out
        assert read(root, 'out/a') == b'source one\n'
        assert ran(root) == 2
        # The history keeps the note in the recorded run's output.
        shown = None
        deadline = time.monotonic() + IO_TIMEOUT
        while time.monotonic() < deadline:
            with d.client() as c:
                r = c.call('show', run=res['run'])
            if r['ok'] and 'cached (restored)' in r['result']['output']:
                shown = r['result']
                break
            time.sleep(0.05)     # the history writer flushes in batches
        assert shown is not None, r
        assert shown['status'] == 'cached', shown
        # And the next run with nothing changed is a plain skip.
        res, out, fin = build(d, root)
        assert res['status'] == 'cached' and out == '', out
        assert fin[0]['cache'] == 'skipped', fin


def test_restart_checks_outputs_by_content():
    """Restored outputs are not fsynced: a restarted daemon compares them
    with the store by content once (same size and mtime are not enough)
    before skipping."""
    root = checkout()
    tmp = mktemp()
    with Daemon(tmp=tmp) as d:
        build(d, root)
        wait_for(d, saves_settled(1), 'save')
        good = read(root, 'out/bin')
    path = os.path.join(root, 'out', 'bin')
    st = os.stat(path)
    with open(path, 'r+b') as f:
        f.write(b'\0' * 64)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    with Daemon(tmp=tmp) as d:
        res, out, fin = build(d, root)
        assert res['status'] == 'cached', (res, out)
        assert 'cached (restored)' in out, out
        assert read(root, 'out/bin') == good
        assert ran(root) == 1
        # Unchanged outputs after a restart: one check, then a skip.
    with Daemon(tmp=tmp) as d:
        res, out, fin = build(d, root)
        assert res['status'] == 'cached' and out == '', out
        assert fin[0]['cache'] == 'skipped', fin
        assert cache_status(d)['checked_intact'] == 1
        res, out, fin = build(d, root)
        assert cache_status(d)['checked_intact'] == 1
        assert ran(root) == 1


def test_local_store_eviction():
    with Daemon('--set', 'cache.local_max=5000') as d:
        root = checkout(size=1500)
        keys = []
        for i in range(5):
            with open(os.path.join(root, 'src', 'a'), 'w') as f:
                f.write('version %d\n' % i)
            keys.append(action_key(d, root))
            build(d, root)
            wait_for(d, saves_settled(i + 1), 'save %d' % i)
        st = cache_status(d)['store']
        assert st['bytes'] <= 5000, st
        assert st['evictions'] >= 2, st
        assert st['entries'] <= 3, st
        have = os.listdir(os.path.join(d.state, 'outstore', 'ac'))
        assert keys[0] not in have and keys[-1] in have, (keys, have)
        # The evicted result is rebuilt, the kept one restored.
        with open(os.path.join(root, 'src', 'a'), 'w') as f:
            f.write('version 0\n')
        n = ran(root)
        res, _, _ = build(d, root)
        assert res['status'] == 'ok' and ran(root) == n + 1
        with open(os.path.join(root, 'src', 'a'), 'w') as f:
            f.write('version 4\n')
        res, out, _ = build(d, root)
        assert res['status'] == 'cached' and 'restored' in out, out


if __name__ == '__main__':
    run([test_two_daemons_share_through_nginx,
         test_no_remote_and_project_opt_out,
         test_platform_inputs_in_the_key,
         test_server_down, test_put_answered_500,
         test_server_slower_than_timeout, test_transfer_cut_short,
         test_corrupted_blob_is_discarded,
         test_manifest_paths_refused, test_blob_over_max_bytes,
         test_auth_header_required,
         test_local_store_branch_switch_and_back,
         test_restart_checks_outputs_by_content,
         test_local_store_eviction])
