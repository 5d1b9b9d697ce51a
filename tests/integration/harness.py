# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration test harness: a real ggend with a private socket and state
directory, raw socket clients, ggenc runs, and TAP output.

Paths come from the environment (tests/integration/meson.build sets them):
GGEND and GGENC are the build dir's binaries. Stdlib only.

Daemon() is a context manager: it starts `ggend --foreground` with
--socket/--state-dir in a fresh temp dir, waits on the --ready-fd pipe (no
sleeping), and always stops it: a shutdown request, then SIGTERM, then
SIGKILL; daemons still alive at interpreter exit are killed too.
"""
import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

GGEND = os.environ.get('GGEND', '')
GGENC = os.environ.get('GGENC', '')
# Set by the `valgrind` test setup (tests/valgrind/wrap): the directory of
# its suppressions. ggend and ggenc then run under memcheck, and a program
# that memcheck flags exits VALGRIND_EXIT, which fails the test.
VALGRIND = os.environ.get('GGEN_VALGRIND', '')
VALGRIND_EXIT = 99
READY_TIMEOUT = 120.0 if VALGRIND else 20.0
IO_TIMEOUT = 60.0 if VALGRIND else 20.0

_live = []
_tmpdirs = []


def mktemp():
    """A private temp dir, removed at exit."""
    path = tempfile.mkdtemp(prefix='ggen-it-')
    _tmpdirs.append(path)
    return path


def _kill_all():
    for proc in _live:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _cleanup():
    _kill_all()
    for path in _tmpdirs:
        shutil.rmtree(path, ignore_errors=True)


atexit.register(_cleanup)


def valgrind_prefix(log_path):
    """The memcheck command prefix when the valgrind setup is on, else []."""
    if not VALGRIND:
        return []
    return ['valgrind', '--quiet', '--error-exitcode=%d' % VALGRIND_EXIT,
            '--leak-check=full', '--show-leak-kinds=definite,indirect',
            '--errors-for-leak-kinds=definite,indirect',
            '--suppressions=' + os.path.join(VALGRIND, 'ggen.supp'),
            '--log-file=' + log_path]


def valgrind_check(rc, log_path, what):
    """Fail when memcheck flagged the program (exit VALGRIND_EXIT)."""
    if VALGRIND and rc == VALGRIND_EXIT:
        try:
            with open(log_path, encoding='utf-8', errors='replace') as f:
                text = f.read()
        except OSError:
            text = '(no log)'
        raise AssertionError('memcheck errors in %s:\n%s' % (what, text))


def read_ready(fd, timeout=READY_TIMEOUT):
    """Read the readiness line from fd: 'READY' or the daemon's error."""
    deadline = time.monotonic() + timeout
    buf = b''
    while b'\n' not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError('no readiness line within %.0fs' % timeout)
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
    return buf.decode('utf-8', 'replace').strip()


class Client:
    """A raw connection speaking NDJSON."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(IO_TIMEOUT)
        self.sock.connect(path)
        self.buf = b''
        self.next_id = 1

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def request(self, cmd, id=None, **fields):
        if id is None:
            id = self.next_id
            self.next_id += 1
        msg = {'id': id, 'cmd': cmd}
        msg.update(fields)
        self.send(json.dumps(msg) + '\n')
        return id

    def recv_line(self):
        """Next line (bytes) or None at EOF."""
        while b'\n' not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return line

    def recv(self):
        line = self.recv_line()
        if line is None:
            raise AssertionError('daemon closed the connection')
        return json.loads(line)

    def call(self, cmd, **fields):
        id = self.request(cmd, **fields)
        reply = self.recv()
        assert reply.get('id') == id, 'reply %r to request %r' % (reply, id)
        return reply

    def at_eof(self):
        """True if the daemon closed the connection (reads what is left)."""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return True     # closed with our unread bytes queued
            if not chunk:
                return True
            self.buf += chunk


class Daemon:
    def __init__(self, *args, sock=None, env=None, tmp=None, binary=None):
        self.binary = binary or GGEND
        self.tmp = tmp or mktemp()
        self.sock = sock or os.path.join(self.tmp, 'run', 'ggend.sock')
        self.state = os.path.join(self.tmp, 'state')
        self.log = os.path.join(self.tmp, 'ggend.log')
        self.vglog = os.path.join(self.tmp, 'valgrind-ggend.%p.log')
        self.args = list(args)
        self.env = env
        self.proc = None
        self.ready = None

    def spawn(self):
        """Start ggend; returns its readiness line (does not assert it)."""
        r, w = os.pipe()
        with open(self.log, 'ab') as log:
            self.proc = subprocess.Popen(
                valgrind_prefix(self.vglog) + [self.binary, '--foreground', '--socket', self.sock,
                 '--state-dir', self.state, '--ready-fd', str(w)]
                + self.args,
                pass_fds=[w], stdin=subprocess.DEVNULL, stdout=log,
                stderr=log, env=self.env)
        _live.append(self.proc)
        os.close(w)
        try:
            self.ready = read_ready(r)
        finally:
            os.close(r)
        return self.ready

    def __enter__(self):
        line = self.spawn()
        if line != 'READY':
            self.stop()
            raise AssertionError('ggend failed to start: %r; log: %s'
                                 % (line, self.log_text()))
        return self

    def __exit__(self, *exc):
        self.stop()

    def client(self):
        return Client(self.sock)

    def log_text(self):
        try:
            with open(self.log, encoding='utf-8', errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def wait(self, timeout=IO_TIMEOUT):
        rc = self.proc.wait(timeout)
        valgrind_check(rc, self.vglog.replace('%p', str(self.proc.pid)),
                       'ggend')
        return rc

    def stop(self):
        """Shutdown request, then SIGTERM, then SIGKILL. Returns exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                with self.client() as c:
                    c.call('shutdown')
                return self.wait(IO_TIMEOUT)
            except (OSError, AssertionError, ValueError,
                    subprocess.TimeoutExpired):
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            self.proc.send_signal(sig)
            try:
                self.proc.wait(IO_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        return self.wait()


def ggenc(*args, sock=None, env=None, timeout=60, cwd=None):
    """Run ggenc (in cwd if given); returns CompletedProcess with text
    stdout/stderr."""
    e = dict(os.environ if env is None else env)
    if sock is not None:
        e['GGEN_SOCK'] = sock
    vglog = os.path.join(mktemp(), 'valgrind-ggenc.log') if VALGRIND else ''
    p = subprocess.run(valgrind_prefix(vglog) + [GGENC] + list(args), env=e,
                       capture_output=True, text=True, cwd=cwd,
                       timeout=timeout * (10 if VALGRIND else 1),
                       stdin=subprocess.DEVNULL)
    valgrind_check(p.returncode, vglog, 'ggenc ' + ' '.join(args))
    return p


class Skip(Exception):
    """Raise to report a test as `ok N - name # SKIP reason`."""


class Todo(Exception):
    """Raise for a known product gap: `not ok N - name # TODO reason`
    (TAP: does not fail the run). List every use in the report."""


def skip_unless(cond, reason):
    """Skip when cond is false, but fail instead when CI=true: CI must run
    every test."""
    if cond:
        return
    if os.environ.get('CI') == 'true':
        raise AssertionError('cannot run under CI: ' + reason)
    raise Skip(reason)


def run(tests):
    """Run test functions, print TAP, exit 1 if any failed."""
    if not GGEND or not GGENC:
        print('1..1')
        print('not ok 1 - GGEND and GGENC must be set')
        sys.exit(1)
    failed = 0
    for n, fn in enumerate(tests, 1):
        name = fn.__name__.replace('test_', '', 1)
        try:
            fn()
            print('ok %d - %s' % (n, name))
        except Skip as e:
            print('ok %d - %s # SKIP %s' % (n, name, e))
        except Todo as e:
            print('not ok %d - %s # TODO %s' % (n, name, e))
        except Exception:
            failed += 1
            print('not ok %d - %s' % (n, name))
            for line in traceback.format_exc().splitlines():
                print('# ' + line)
        sys.stdout.flush()
    print('1..%d' % len(tests))
    sys.exit(1 if failed else 0)
