#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The hostile inputs of issue 12 (B1-B8) that the first hardening round
let through, each as a test against a real (ASan/UBSan) ggend:

B1 hashing is bounded: pseudo files (/proc/PID/pagemap) are refused, as is
   watching / or a pseudo filesystem; a hash nobody waits for any more is
   stopped, so abandoned huge hashes cannot hold the pool.
B2 request strings with an embedded NUL (\\u0000, or a raw NUL byte) are
   bad_request, never cut short.
B3 paths must be absolute; the daemon works from /.
B4 every byte the daemon sends is valid UTF-8: a file name that is not
   comes as U+FFFD text plus an exact base64 twin (NAME_b64); ggenc's
   human output (changes, events, show) prints every name on one line,
   control bytes and invalid UTF-8 escaped (\\n, \\xff).
B6 the number rule: integers are plain digits up to 2^53.
B7 `ggenc run` gets a final reply when the daemon shuts down: cancelled.
B8 a run killed with the daemon (kill -9) keeps the duration it had.
"""
import base64
import json
import os
import signal
import subprocess
import threading
import time

from harness import Daemon, GGENC, IO_TIMEOUT, ggenc, mktemp, run

SANITIZER_MARKS = ('AddressSanitizer', 'LeakSanitizer', 'runtime error:')


def clean_log(d):
    text = d.log_text()
    for mark in SANITIZER_MARKS:
        assert mark not in text, text[-4000:]


def raw(d, line):
    """Send one raw request line; return the parsed reply (strict)."""
    with d.client() as c:
        c.send(line if line.endswith(b'\n') else line + b'\n')
        data = c.recv_line()
    assert data is not None, 'no reply to %r' % line
    return json.loads(data.decode('utf-8'))


def project(toml):
    root = os.path.join(mktemp(), 'p')
    os.makedirs(root)
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write('[project]\nname = "t"\n' + toml)
    return root


# -- B1 -------------------------------------------------------------------

def test_b1_pseudo_files_and_roots_refused():
    with Daemon() as d:
        with d.client() as c:
            for path in ('/proc/%d/pagemap' % d.proc.pid,
                         '/proc/self/status', '/sys/kernel/uevent_seqnum'):
                if not os.path.exists(path):
                    continue
                r = c.call('hash', path=path)
                assert not r['ok'], r
                assert r['error']['code'] == 'invalid', r
                assert 'pseudo filesystem' in r['error']['message'], r
            for root in ('/', '/proc', '/sys', '/proc/self', '/dev'):
                r = c.call('watch', root=root)
                assert not r['ok'], (root, r)
                assert r['error']['code'] == 'invalid', r
                assert 'refusing to watch' in r['error']['message'], r
            r = c.call('roots')
            assert r['result']['roots'] == [], r
        p = ggenc('watch', '/', sock=d.sock)
        assert p.returncode != 0 and 'refusing to watch /' in p.stderr, p
        clean_log(d)


def test_b1_abandoned_hash_frees_the_pool():
    """Two abandoned hashes of huge (sparse) files would keep both hash
    threads busy for minutes; cancelled, a watch is ready at once."""
    tmp = mktemp()
    huge = []
    for i in range(2):
        path = os.path.join(tmp, 'huge%d' % i)
        with open(path, 'wb') as f:
            f.truncate(1 << 40)      # 1 TiB of holes
        huge.append(path)
    small = os.path.join(tmp, 'small')
    os.makedirs(small)
    for i in range(20):
        with open(os.path.join(small, 'f%d' % i), 'w') as f:
            f.write('%d\n' % i)
    with Daemon('--set', 'watch.hash_threads=2') as d:
        for path in huge:
            c = d.client()
            c.request('hash', path=path)
            time.sleep(0.3)          # let a worker take it
            c.close()                # nobody waits any more
        t0 = time.monotonic()
        p = ggenc('watch', small, sock=d.sock, timeout=120)
        took = time.monotonic() - t0
        assert p.returncode == 0, p.stderr
        # Hashing 2 TiB of holes takes many minutes; a generous bound
        # still tells a freed pool from a busy one.
        assert took < 60, took
        clean_log(d)


# -- B2 -------------------------------------------------------------------

def test_b2_embedded_nul_rejected():
    tmp = mktemp()
    with Daemon() as d:
        for line in (b'{"id":1,"cmd":"hash","path":"/etc/passwd\\u0000.txt"}',
                     b'{"id":2,"cmd":"watch","root":"' + tmp.encode() +
                     b'\\u0000/etc"}',
                     b'{"id":3,"cmd":"status\\u0000"}'):
            r = raw(d, line)
            assert not r['ok'], r
            assert r['error']['code'] == 'bad_request', r
            assert 'NUL' in r['error']['message'], r
        # a raw NUL byte inside a string
        r = raw(d, b'{"id":4,"cmd":"hash","path":"/etc/passwd\x00.txt"}')
        assert not r['ok'] and r['error']['code'] in (
            'bad_request', 'invalid_json'), r
        # an escaped backslash followed by u0000 is six characters
        r = raw(d, b'{"id":5,"cmd":"hash","path":"/nonexistent\\\\u0000"}')
        assert r['error']['code'] == 'not_found', r
        with d.client() as c:
            assert c.call('roots')['result']['roots'] == []
        clean_log(d)


# -- B3 -------------------------------------------------------------------

def test_b3_relative_paths_refused_daemon_in_root():
    with Daemon() as d:
        assert os.readlink('/proc/%d/cwd' % d.proc.pid) == '/'
        with d.client() as c:
            for cmd, field, value in (('watch', 'root', '../..'),
                                      ('watch', 'root', '.'),
                                      ('unwatch', 'root', 'x'),
                                      ('changes', 'root', 'tmp'),
                                      ('hash', 'path', 'etc/passwd'),
                                      ('run', 'root', '..'),
                                      ('history', 'root', 'a/b')):
                fields = {field: value}
                if cmd == 'run':
                    fields['phases'] = ['build']
                r = c.call(cmd, **fields)
                assert not r['ok'], (cmd, r)
                assert r['error']['code'] == 'invalid', (cmd, r)
                assert 'absolute path' in r['error']['message'], r
            assert c.call('roots')['result']['roots'] == []
        # ggenc still takes relative paths: it makes them absolute
        tmp = mktemp()
        os.makedirs(os.path.join(tmp, 'sub'))
        p = ggenc('watch', 'sub', sock=d.sock, cwd=tmp)
        assert p.returncode == 0, p.stderr
        clean_log(d)


def test_b3_relative_state_dir_made_absolute():
    """--state-dir relative to where ggend starts still works from /."""
    tmp = mktemp()
    d = Daemon(tmp=tmp)
    d.state = 'state-rel'
    r, w = os.pipe()
    with open(d.log, 'ab') as log:
        d.proc = subprocess.Popen(
            [d.binary, '--foreground', '--socket', d.sock, '--state-dir',
             'state-rel', '--ready-fd', str(w)], pass_fds=[w], cwd=tmp,
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    os.close(w)
    from harness import read_ready
    try:
        assert read_ready(r) == 'READY', d.log_text()
    finally:
        os.close(r)
    try:
        with d.client() as c:
            st = c.call('status')['result']
        assert st['state_dir'] == os.path.join(tmp, 'state-rel'), st
        assert os.path.isdir(os.path.join(tmp, 'state-rel'))
    finally:
        d.stop()


# -- B4 -------------------------------------------------------------------

def test_b4_non_utf8_names_lossless():
    root = os.path.join(mktemp(), 'p')
    os.makedirs(root)
    bad = b'bad\xff\xfe'
    nl = b'two\nlines'
    with open(os.path.join(root.encode(), bad), 'w') as f:
        f.write('x')
    with Daemon() as d:
        p = ggenc('watch', root, sock=d.sock)
        assert p.returncode == 0, p.stderr
        with open(os.path.join(root.encode(), nl), 'w') as f:
            f.write('y')
        # wait for the new name to settle, via raw bytes
        deadline = time.monotonic() + 30
        while True:
            with d.client() as c:
                c.request('changes', root=root)
                line = c.recv_line()
            text = line.decode('utf-8')      # strict: raises if invalid
            files = json.loads(text)['result']['files']
            if len(files) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        byname = {}
        for f in files:
            exact = (base64.b64decode(f['path_b64']) if 'path_b64' in f
                     else f['path'].encode())
            byname[exact] = f
        assert set(byname) == {bad, nl}, files
        assert byname[bad]['path'] == 'bad\ufffd\ufffd', byname[bad]
        assert 'path_b64' not in byname[nl], byname[nl]
        # human output: one line per file, control bytes escaped
        p = ggenc('changes', root, sock=d.sock)
        assert p.returncode == 0, p.stderr
        assert '+ two\\nlines' in p.stdout, p.stdout
        assert len([x for x in p.stdout.splitlines()
                    if x.startswith('+ ')]) == 2, p.stdout
        clean_log(d)


def test_b4_human_output_escapes_names():
    root = project('[lifecycle.build]\ncommand = "true"\n'
                   'watch = ["src/*"]\n')
    os.makedirs(os.path.join(root, 'src'))
    name = b'src/two\nlines\xff'
    shown = 'src/two\\nlines\\xff'
    with Daemon() as d:
        p = ggenc('watch', root, sock=d.sock)
        assert p.returncode == 0, p.stderr
        ev = subprocess.Popen([GGENC, 'events'],
                              env=dict(os.environ, GGEN_SOCK=d.sock),
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + IO_TIMEOUT
            while True:
                with d.client() as c:
                    st = c.call('status')['result']
                if st['clients']['subscribers'] == 1:
                    break
                assert time.monotonic() < deadline, 'events not subscribed'
                time.sleep(0.05)
            with open(os.path.join(root.encode(), name), 'w') as f:
                f.write('x')
            # the save's run, finished and written to history
            deadline = time.monotonic() + 60
            while True:
                with d.client() as c:
                    runs = c.call('history', root=root)['result']['runs']
                if runs and runs[0]['status'] not in ('running', 'queued'):
                    break
                assert time.monotonic() < deadline, runs
                time.sleep(0.1)
            assert runs[0]['trigger'] == 'save', runs
            # changes: one line, escaped
            p = ggenc('changes', root, sock=d.sock)
            assert p.returncode == 0, p.stderr
            assert '+ ' + shown + '\n' in p.stdout, p.stdout
            # show: the trigger files on the trigger line, one line
            p = ggenc('show', str(runs[0]['id']), sock=d.sock)
            assert p.returncode == 0, p.stderr
            trig = [x for x in p.stdout.splitlines()
                    if x.startswith('  trigger ')]
            assert len(trig) == 1, p.stdout
            # history keeps no exact bytes of trigger files (a newline is
            # stored as '?', a bad byte arrives as U+FFFD): still one line
            assert 'save: src/two' in trig[0], trig
            assert 'lines' in trig[0], trig
        finally:
            r = ggenc('shutdown', sock=d.sock)
            out, err = ev.communicate(timeout=IO_TIMEOUT)
        out = out.decode('ascii')   # escaped: nothing but ASCII here
        files = [x for x in out.splitlines() if ' clock ' in x]
        assert any(x.endswith(' +' + shown) or (' +' + shown + ' ') in x
                   for x in files), out
        run_lines = [x for x in out.splitlines() if x.startswith('run ')]
        assert run_lines, out
        clean_log(d)


# -- B6 -------------------------------------------------------------------

def test_b6_number_rule():
    with Daemon() as d:
        cases = [
            (b'{"id":-1e-99999,"cmd":"status"}', 'id', 'non-integer'),
            (b'{"id":99999999999999999999,"cmd":"status"}', 'id',
             'out of range'),
            (b'{"id":9007199254740993,"cmd":"status"}', 'id',
             'out of range'),
            (b'{"id":1.5,"cmd":"status"}', 'id', 'non-integer'),
            (b'{"id":7,"cmd":"cancel","run":0.5}', 'run', 'non-integer'),
            (b'{"id":7,"cmd":"cancel","run":99999999999999999999}', 'run',
             'out of range'),
            (b'{"id":7,"cmd":"trim","keep":-0}', 'keep', 'non-integer'),
        ]
        for line, field, words in cases:
            r = raw(d, line)
            assert not r['ok'], (line, r)
            assert r['error']['code'] == 'bad_type', (line, r)
            assert '"%s"' % field in r['error']['message'], (line, r)
            assert words in r['error']['message'], (line, r)
            if field == 'id':
                assert r['id'] is None, r     # never echoed as -0
            else:
                assert r['id'] == 7, r
        # integral values below 2^53, however written, echoed as digits
        for line, id, text in (
                (b'{"id":9007199254740991,"cmd":"status"}',
                 9007199254740991, b'"id":9007199254740991,'),
                (b'{"id":-5,"cmd":"status"}', -5, b'"id":-5,'),
                (b'{"id":1e3,"cmd":"status"}', 1000, b'"id":1000,'),
                (b'{"id":"x1","cmd":"status"}', 'x1', b'"id":"x1",'),
                (b'{"id":0,"cmd":"status"}', 0, b'"id":0,')):
            with d.client() as c:
                c.send(line + b'\n')
                data = c.recv_line()
            assert data.startswith(b'{' + text), data[:80]
            r = json.loads(data)
            assert r['ok'] and r['id'] == id, r
            # every integer of the reply is exact digits (no 1.79e+15)
            assert b'e+' not in data, data
        r = raw(d, b'{"id":8,"cmd":"cancel","run":424242}')
        assert r['error']['code'] == 'run_not_found', r
        clean_log(d)


# -- B7 -------------------------------------------------------------------

def test_b7_shutdown_gives_running_client_a_final_reply():
    root = project('[lifecycle.slow]\ncommand = "echo begun; exec sleep '
                   '30"\n')
    d = Daemon()
    with d:
        env = dict(os.environ, GGEN_SOCK=d.sock)
        proc = subprocess.Popen([GGENC, 'run', 'slow', '--root', root],
                                env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        out = []
        reader = threading.Thread(target=lambda: out.append(
            proc.stdout.readline()))
        reader.start()
        reader.join(60)
        assert out and 'begun' in out[0], out
        p = ggenc('shutdown', sock=d.sock)
        assert p.returncode == 0, p.stderr
        rest, err = proc.communicate(timeout=60)
        assert d.wait() == 0
    assert proc.returncode not in (0, 3), (proc.returncode, err)
    assert 'cancelled' in (rest + err), (rest, err)
    assert 'daemon stopping' in (rest + err), (rest, err)
    clean_log(d)
    with Daemon(tmp=d.tmp) as d2:
        with d2.client() as c:
            runs = c.call('history', limit=1)['result']['runs']
        assert runs[0]['status'] == 'cancelled', runs


# -- B8 -------------------------------------------------------------------

def test_b8_killed_run_keeps_its_duration():
    root = project('[lifecycle.slow]\ncommand = "echo begun; exec sleep '
                   '30"\n')
    d = Daemon()
    with d:
        with d.client() as c:
            rid = c.request('run', phases=['slow'], root=root)
            while True:
                m = c.recv()
                p = m.get('progress', {})
                if p.get('type') == 'started':
                    run_id = p['run']
                if p.get('type') == 'output' and 'begun' in p['data']:
                    break
            t0 = time.monotonic()
            # running rows show no duration
            with d.client() as q:
                h = q.call('show', run=run_id)['result']
            assert h['status'] == 'running' and h['duration_ms'] is None, h
            while time.monotonic() - t0 < 2.5:
                time.sleep(0.1)
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
        assert rid
    with Daemon(tmp=d.tmp) as d2:
        with d2.client() as c:
            r = c.call('show', run=run_id)['result']
    assert r['status'] == 'interrupted', r
    # the seen mark is at most HISTLINK_SEEN_MS (1 s) behind: >= 1.5 s of
    # the 2.5 s it ran, never the old 250 us
    assert r['duration_ms'] >= 1500, r
    assert r['duration_ms'] < 60000, r
    spans = [s for s in r['spans'] if s['kind'] == 'command']
    assert spans and spans[0]['status'] == 'interrupted', r
    assert spans[0]['dur_us'] >= 1000000, spans


if __name__ == '__main__':
    run([test_b1_pseudo_files_and_roots_refused,
         test_b1_abandoned_hash_frees_the_pool,
         test_b2_embedded_nul_rejected,
         test_b3_relative_paths_refused_daemon_in_root,
         test_b3_relative_state_dir_made_absolute,
         test_b4_non_utf8_names_lossless,
         test_b4_human_output_escapes_names,
         test_b6_number_rule,
         test_b7_shutdown_gives_running_client_a_final_reply,
         test_b8_killed_run_keeps_its_duration])
