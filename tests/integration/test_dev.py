#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The edit loop through a real ggend: `ggenc dev` on a pseudo-terminal
(Python's pty) shows a save's rebuild live, in colour, with the phase run on
a pty of its own; in a pipe it prints plain lines; `dev PHASE` runs PHASE on
every settled change; Ctrl-C leaves the daemon and the root as they were.
stdout and stderr of a phase keep their order live and in history; history,
stats, runs, show, logs, trace and diff are per project (the root holding
the current directory) with --all, `last` and -N; --color and NO_COLOR."""
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time

from harness import GGENC, IO_TIMEOUT, Daemon, ggenc, mktemp, run

INTERLEAVED = ('for i in 1 2 3; do echo out$i; echo err$i >&2; done; '
               "[ -t 1 ] && echo on-tty || echo on-pipe; "
               "printf '\\033[32mgreen\\033[0m\\n'")
ORDER = 'out1\nerr1\nout2\nerr2\nout3\nerr3\n'


def project(body, name='p'):
    root = os.path.join(mktemp(), name)
    os.makedirs(os.path.join(root, 'src'))
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write('[project]\nname = "%s"\n%s' % (name, body))
    save(root, 'int x;\n')
    return root


def save(root, text, rel='src/a.c'):
    """An editor-like save: write a temp file, rename over."""
    path = os.path.join(root, rel)
    tmp = path + '.tmp~'
    with open(tmp, 'w') as f:
        f.write(text)
    os.rename(tmp, path)


BUILD = ('[lifecycle.build]\ncommand = "%s"\nwatch = ["src/*.c"]\n'
         % INTERLEAVED.replace('\\', '\\\\').replace('"', '\\"'))


def env_for(d, **extra):
    e = dict(os.environ)
    e.pop('NO_COLOR', None)
    e['GGEN_SOCK'] = d.sock
    e.update(extra)
    return e


class Term:
    """ggenc on a pseudo-terminal, as a user runs it."""

    def __init__(self, d, *args, cols=100, cwd=None, ctty=False):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ,
                    struct.pack('HHHH', 24, cols, 0, 0))
        self.master = master
        # ctty: the pty becomes ggenc's controlling terminal, so the
        # kernel sends it SIGWINCH when resize() changes the size.
        self.proc = subprocess.Popen(
            [GGENC] + list(args), stdin=slave, stdout=slave, stderr=slave,
            env=env_for(d, TERM='xterm-256color'), cwd=cwd,
            start_new_session=True,
            preexec_fn=(lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
            if ctty else None)
        os.close(slave)
        self.buf = b''

    def resize(self, cols, rows=24):
        """What a terminal emulator does when its window changes size."""
        fcntl.ioctl(self.master, termios.TIOCSWINSZ,
                    struct.pack('HHHH', rows, cols, 0, 0))

    def expect(self, pattern, timeout=IO_TIMEOUT):
        """Read until the regex (bytes) matches the output so far."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.S)
        while True:
            m = rx.search(self.buf)
            if m:
                return m
            left = deadline - time.monotonic()
            assert left > 0, 'no %r in %r' % (pattern, self.buf)
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    data = b''
                assert data, 'ggenc ended; no %r in %r' % (pattern,
                                                          self.buf)
                self.buf += data

    def interrupt(self):
        """Ctrl-C, as the terminal sends it; returns the exit status."""
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(IO_TIMEOUT)
        self.drain()
        return rc

    def drain(self):
        """Everything ggenc wrote before it ended, then close the master.
        The kernel hands a pty's bytes to the master side from a work
        queue, so on a loaded machine the last writes (the status line's
        erase on Ctrl-C) can arrive well after the process is gone: read
        until the end of file (EIO once every slave fd is closed and the
        buffer is empty), not for a fixed pause."""
        deadline = time.monotonic() + IO_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            assert left > 0, 'no end of output after exit: %r' % (
                self.buf[-200:],)
            if not select.select([self.master], [], [], left)[0]:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            if not data:
                break
            self.buf += data
        os.close(self.master)


class Pipe:
    """ggenc with stdout on a pipe: lines as they come."""

    def __init__(self, d, *args, cwd=None):
        self.proc = subprocess.Popen(
            [GGENC] + list(args), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            env=env_for(d), cwd=cwd)
        self.out = ''

    def expect(self, pattern, timeout=IO_TIMEOUT):
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.S)
        fd = self.proc.stdout.fileno()
        while True:
            m = rx.search(self.out)
            if m:
                return m
            left = deadline - time.monotonic()
            assert left > 0, 'no %r in %r' % (pattern, self.out)
            r, _, _ = select.select([fd], [], [], left)
            if r:
                data = os.read(fd, 65536)
                assert data, 'ggenc ended (%r); no %r in %r' % (
                    self.proc.stderr.read(), pattern, self.out)
                self.out += data.decode('utf-8', 'replace')

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(IO_TIMEOUT)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc


def test_dev_on_terminal_shows_the_rebuild():
    root = project(BUILD)
    with Daemon() as d:
        t = Term(d, 'dev', '--root', root)
        # The status line: the root and its on-save phases, dimmed.
        t.expect(rb'\x1b\[2mggen dev: ' + re.escape(root.encode()) +
                 rb', on save: build')
        save(root, 'int y;\n')
        m = t.expect(rb'run (\d+): build \(save: src/a\.c\)(.*?)'
                     rb'run \1 ok in \d+ ms')
        body = m.group(2).replace(b'\r', b'')
        # Live output in the order written, stdout and stderr mixed.
        assert ORDER.encode() in body, body
        # The phase ran on a pseudo-terminal (a dev terminal follows the
        # root), so the tool's colour comes through unchanged.
        assert b'on-tty' in body, body
        assert b'\x1b[32mgreen\x1b[0m' in body, body
        # The result line is coloured (ok: green) and the status line
        # comes back once the run is over.
        t.expect(rb'\x1b\[32m\[[0-9:]+\] run \d+ ok in')
        t.expect(rb'run \d+ ok in [^\n]*\n.*\x1b\[2mggen dev: .*last: run')
        rc = t.interrupt()
        assert rc == -signal.SIGINT, rc
        # The status line was erased on the way out.
        assert t.buf.endswith(b'\r\x1b[K\x1b[0m'), t.buf[-40:]
        # Ctrl-C left the daemon and the root as they were.
        r = ggenc('--json', 'roots', sock=d.sock)
        assert r.returncode == 0 and root in r.stdout, r
        hist = json.loads(ggenc('--json', 'history', sock=d.sock,
                                cwd=root).stdout)
        assert hist['root'] == root, hist
        assert [x['trigger'] for x in hist['runs']] == ['save'], hist
        # History keeps the escapes; --plain strips them.
        r = ggenc('logs', 'last', sock=d.sock, cwd=root)
        assert r.returncode == 0 and '\x1b[32mgreen' in r.stdout, r
        r = ggenc('logs', '-1', '--plain', sock=d.sock, cwd=root)
        assert r.returncode == 0, r
        assert 'green' in r.stdout and '\x1b' not in r.stdout, r
        assert r.stdout.replace('\r', '').startswith(ORDER), r
        # --clear: the screen is cleared before each run's header.
        t = Term(d, 'dev', '--clear', cwd=os.path.join(root, 'src'))
        t.expect(rb'on save: build')
        save(root, 'int w;\n')
        t.expect(rb'\x1b\[H\x1b\[2J\x1b\[3J\x1b\[1m\[[0-9:]+\] run \d+: '
                 rb'build \(save: src/a\.c\)')
        t.expect(rb'run \d+ ok in')
        t.interrupt()


def test_dev_follows_a_terminal_resize():
    """The status line is cut to the terminal's width (one column spare,
    so it never wraps) and drawn again, once, at the new width when the
    terminal is resized (SIGWINCH), without a run or a message from the
    daemon."""
    # A non-ASCII root: the line is cut between characters, never inside
    # one, and a character counts one column.
    root = project(BUILD, name='caf\u00e9-\u00e9t\u00e9')
    text = 'ggen dev: %s, on save: build | Ctrl-C quits' % root
    full = text.encode()
    assert len(text) > 60, text
    assert text.index('\u00e9') < 38, text

    def status(cols):
        return rb'\r\x1b\[K\x1b\[2m' + \
            re.escape(text[:cols - 1].encode()) + rb'\x1b\[0m'

    with Daemon() as d:
        t = Term(d, 'dev', '--root', root, cols=40, ctty=True)
        t.expect(status(40) + rb'$')
        seen = len(t.buf)
        t.resize(len(text) + 20)
        m = t.expect(re.escape(full) + rb'\x1b\[0m$')
        assert t.buf[seen:].count(b'ggen dev: ') == 1, t.buf[seen:]
        seen = len(t.buf)
        t.resize(30)
        t.expect(status(30) + rb'$')
        assert t.buf[seen:].count(b'ggen dev: ') == 1, t.buf[seen:]
        # A run after the resize ends with the status line at the width
        # of then.
        save(root, 'int y;\n')
        t.expect(rb'run \d+ ok in [^\n]*\n' + rb'\r\x1b\[K\x1b\[2m' +
                 re.escape(text[:20].encode()))
        rc = t.interrupt()
        assert rc == -signal.SIGINT, rc
        assert t.buf.endswith(b'\r\x1b[K\x1b[0m'), t.buf[-40:]
        draws = [x.decode() for x in re.findall(
            rb'\x1b\[2m(ggen dev: [^\x1b]*)\x1b\[0m', t.buf)]
        # The first draw, one per resize, one after the run; each fits.
        assert len(draws) == 4, draws
        assert [len(x) for x in draws[:3]] == [39, len(text), 29], draws
        assert len(draws[3]) == 29 and draws[3].startswith(text[:20]), draws


def test_dev_in_a_pipe_prints_plain_lines():
    root = project(BUILD + '[lifecycle.lint]\ncommand = "echo lint >&2; '
                   'exit 3"\nwatch = ["src/*.h"]\n')
    with Daemon() as d:
        p = Pipe(d, 'dev', '--root', root)
        p.expect(r'ggen dev: watching %s, on save: build, lint\n'
                 % re.escape(root))
        save(root, 'int y;\n')
        m = p.expect(r'run (\d+): build \(save: src/a\.c\)\n(.*?)'
                     r'run \1 ok in \d+ ms\n')
        assert ORDER in m.group(2) and 'on-pipe' in m.group(2), m.group(2)
        save(root, 'int z;\n', rel='src/a.h')
        m = p.expect(r'run (\d+): lint \(save: src/a\.h\)\n(.*?)'
                     r'run \1 failed in \d+ ms\n(.*?)\n')
        assert 'lint\n' in m.group(2), m.group(2)
        assert 'exited with code 3' in m.group(3), m.group(3)
        assert '\x1b' not in p.out, p.out
        # A make.toml that no longer parses is shown with its position.
        with open(os.path.join(root, 'make.toml'), 'a') as f:
            f.write('[lifecycle.broken]\ncommand = 3\n')
        p.expect(r'ggen dev: %s:\d+:\d+: [^\n]*command[^\n]* \(nothing '
                 r'runs until it is fixed\)\n' % re.escape(
                     os.path.join(root, 'make.toml')))
        assert p.stop() == -signal.SIGINT
        # Nothing on a pipe ran on a terminal.
        r = ggenc('logs', '-2', sock=d.sock, cwd=root)
        assert 'on-pipe' in r.stdout, r


def test_dev_names_a_file_by_its_exact_bytes():
    """A saved file whose name is not UTF-8 is shown by its exact bytes,
    escaped (the daemon's files_b64 twin), not as U+FFFD."""
    root = project(BUILD)
    with Daemon() as d:
        p = Pipe(d, 'dev', '--root', root)
        p.expect(r'ggen dev: watching %s, on save: build\n'
                 % re.escape(root))
        with open(os.path.join(os.fsencode(root), b'src/bad\xff\xfe.c'),
                  'wb') as f:
            f.write(b'int b;\n')
        p.expect(r'run (\d+): build \(save: src/bad\\xff\\xfe\.c\)\n'
                 r'.*?run \1 ok in \d+ ms\n')
        assert '\ufffd' not in p.out, p.out
        assert p.stop() == -signal.SIGINT


def test_dev_phase_runs_on_every_change():
    root = project(BUILD + '[lifecycle.check]\ncommand = "echo checked '
                   '$GGEN_CHANGED_COUNT"\n')
    with Daemon() as d:
        p = Pipe(d, 'dev', 'check', '--root', root, '--only', 'check')
        p.expect(r'ggen dev: watching %s, runs on each change: check\n'
                 % re.escape(root))
        save(root, 'int y;\n')
        m = p.expect(r'run (\d+): check \(save: src/a\.c\)\n(.*?)'
                     r'run \1 ok in \d+ ms\n')
        assert 'checked 1' in m.group(2), m.group(2)
        # The root's own on-save build ran too, hidden by --only.
        deadline = time.monotonic() + IO_TIMEOUT
        while True:
            hist = json.loads(ggenc('--json', 'history', sock=d.sock,
                                    cwd=root).stdout)['runs']
            if sorted(x['phase'] for x in hist) == ['build', 'check'] and \
                    all(x['status'] != 'running' for x in hist):
                break
            assert time.monotonic() < deadline, hist
            time.sleep(0.05)
        # A later save repeats it.
        save(root, 'int z;\n')
        p.expect(r'run (\d+): check \(save: src/a\.c\)\n.*?'
                 r'run \1 ok in \d+ ms\n.*'
                 r'run (\d+): check \(save: src/a\.c\)\n.*?'
                 r'run \2 ok in \d+ ms\n')
        assert 'run %d:' % [x['id'] for x in hist
                            if x['phase'] == 'build'][0] not in p.out
        assert p.stop() == -signal.SIGINT


def test_dev_phase_already_on_save_runs_once():
    root = project(BUILD)
    with Daemon() as d:
        p = Pipe(d, 'dev', 'build', '--root', root)
        p.expect(r'runs on each change: build\n')
        save(root, 'int y;\n')
        p.expect(r'run (\d+): build \(save: src/a\.c\)\n.*?run \1 ok in')
        # build runs on save already: the dev request did not queue a
        # second one (it was submitted with the batch, so it would be
        # queued or running by now).
        runs = json.loads(ggenc('--json', 'runs', '--recent', sock=d.sock,
                                cwd=root).stdout)['runs']
        assert [x['phases'] for x in runs] == [['build']], runs
        assert p.stop() == -signal.SIGINT


def test_dev_phase_waits_for_the_on_save_run():
    """`ggenc dev test`: one save runs the root's on-save build and the
    dev's test; the test waits (queued) until the build has ended, never
    both at once on the same root (a log outside the root shows the
    order; the build sleeps, so overlap would interleave it)."""
    log = os.path.join(mktemp(), 'order.log')
    root = project('[lifecycle.build]\ncommand = "echo start build >> %s; '
                   'sleep 1; echo end build >> %s"\nwatch = ["src/*.c"]\n'
                   '[lifecycle.test]\ncommand = "echo start test >> %s; '
                   'echo end test >> %s"\n' % (log, log, log, log))
    with Daemon() as d:
        p = Pipe(d, 'dev', 'test', '--root', root)
        p.expect(r'runs on each change: test\n')
        save(root, 'int y;\n')
        p.expect(r'run (\d+): test \(save: src/a\.c\)\n.*?run \1 ok in')
        with open(log) as f:
            assert f.read().splitlines() == [
                'start build', 'end build', 'start test', 'end test']
        assert p.stop() == -signal.SIGINT


def test_dev_follows_a_restart():
    """`ggenc restart` (an upgrade) does not end the edit loop: dev waits
    for the new daemon and goes on; `shutdown` with none coming back ends
    it with status 0 after the wait."""
    root = project(BUILD)
    with Daemon() as d:
        p = Pipe(d, 'dev', '--root', root)
        p.expect(r'ggen dev: watching %s, on save: build\n' % re.escape(root))
        r = ggenc('restart', sock=d.sock)
        assert r.returncode == 0, r
        # the new daemon is not the harness's: stopped here whatever
        # happens
        new = json.loads(ggenc('--json', 'status', '--no-start',
                               sock=d.sock).stdout)['pid']
        try:
            assert d.proc.wait(IO_TIMEOUT) == 0
            p.expect(r'ggen dev: ggend stopped \([^)]*\)\n'
                     r'ggen dev: waiting \d+ s for ggend to come back'
                     r'[^\n]*\n'
                     r'ggen dev: ggend is back\n'
                     r'ggen dev: watching %s, on save: build\n'
                     % re.escape(root))
            save(root, 'int y;\n')
            m = p.expect(r'run (\d+): build \(save: src/a\.c\)\n(.*?)'
                         r'run \1 ok in \d+ ms\n')
            assert ORDER in m.group(2), m.group(2)
        finally:
            r = ggenc('shutdown', sock=d.sock)
            if r.returncode != 0:
                os.kill(new, signal.SIGTERM)
        assert r.returncode == 0, r
        p.expect(r'no ggend answered; leaving\n', timeout=IO_TIMEOUT + 15)
        assert p.proc.wait(IO_TIMEOUT) == 0
        p.proc.stdout.close()
        p.proc.stderr.close()


def test_dev_says_a_loop_was_stopped():
    """A phase whose runs keep retriggering it is stopped by the daemon;
    dev says so (with the fix) instead of going quiet."""
    root = project('[lifecycle.gen]\ncommand = "date +%s%N > out.txt"\n'
                   'watch = true\n')
    with Daemon() as d:
        p = Pipe(d, 'dev', '--root', root)
        p.expect(r'on save: gen\n')
        save(root, 'int y;\n')
        m = p.expect(r'ggen dev: phase "gen" in [^\n]* keeps retriggering '
                     r'itself: its runs change out\.txt[^\n]*stopped after '
                     r'(\d+) rounds[^\n]*outputs[^\n]*\n')
        assert int(m.group(1)) >= 2, m.group(0)
        assert p.stop() == -signal.SIGINT


def test_dev_says_when_make_toml_is_valid_again():
    """After the red line of an invalid make.toml, dev says when a save
    makes it parse again (event model.valid), so the error is not the last
    word."""
    root = project(BUILD)
    good = open(os.path.join(root, 'make.toml')).read()
    with Daemon() as d:
        p = Pipe(d, 'dev', '--root', root)
        p.expect(r'on save: build\n')
        save(root, '[project]\nname = "p"\n[lifecycle.build]\ncommand = 3\n',
             'make.toml')
        p.expect(r'ggen dev: [^\n]*make\.toml:4:11: [^\n]*nothing runs '
                 r'until it is fixed\)\n')
        save(root, good, 'make.toml')
        p.expect(r'ggen dev: %s/make\.toml is valid again; runs resume\n'
                 % re.escape(root))
        assert p.stop() == -signal.SIGINT


def test_dev_ends_when_its_root_is_unwatched():
    """`ggenc unwatch` of the root dev follows ends dev with the reason,
    instead of a status line over a root nothing watches any more."""
    root = project(BUILD)
    with Daemon() as d:
        p = Pipe(d, 'dev', '--root', root)
        p.expect(r'on save: build\n')
        r = ggenc('unwatch', root, sock=d.sock)
        assert r.returncode == 0, r
        rc = p.proc.wait(IO_TIMEOUT)
        err = p.proc.stderr.read().decode()
        p.proc.stdout.close()
        p.proc.stderr.close()
        assert rc == 1, (rc, err)
        assert 'root %s is no longer watched' % root in err, err
        assert 'root_not_found' in err, err
        # the daemon is fine and another dev takes the root back
        p = Pipe(d, 'dev', '--root', root)
        p.expect(r'on save: build\n')
        save(root, 'int q;\n')
        p.expect(r'run (\d+): build \(save: src/a\.c\)\n.*?run \1 ok in')
        assert p.stop() == -signal.SIGINT


def test_dev_refusals():
    root = project(BUILD)
    with Daemon() as d:
        r = ggenc('dev', 'bild', '--root', root, sock=d.sock)
        assert r.returncode == 1, r
        assert 'did you mean "build"?' in r.stderr, r
        assert 'phase_not_found' in r.stderr, r
        # under --json a daemon's refusal is the error object on stderr,
        # as for every command
        r = ggenc('--json', 'dev', 'bild', '--root', root, sock=d.sock)
        assert r.returncode == 1, r
        e = json.loads(r.stderr)
        assert e['code'] == 'phase_not_found' and 'build' in e['message'], e
        r = ggenc('dev', '--root', os.path.join(root, 'nope'), sock=d.sock)
        assert r.returncode != 0 and 'nope' in r.stderr, r
        r = ggenc('dev', '-e', 'prod', '--root', root, sock=d.sock)
        assert r.returncode == 1 and 'environments' in r.stderr, r
        # --only names a phase: a typo would hide every run for good
        r = ggenc('dev', '--only', 'biuld', '--root', root, sock=d.sock)
        assert r.returncode == 2, r
        assert '--only biuld: no such phase' in r.stderr, r
        assert 'did you mean "build"?' in r.stderr, r
        r = ggenc('dev', '--frob', sock=d.sock)
        assert r.returncode == 2 and '--frob' in r.stderr, r
        assert 'usage: ggenc dev' in r.stderr, r


def test_run_keeps_output_order():
    root = project(BUILD)
    with Daemon() as d:
        r = ggenc('run', 'build', '--root', root, sock=d.sock)
        assert r.returncode == 0, r
        # One pipe for both streams: stderr lines sit where they were
        # written, all on ggenc's stdout.
        assert r.stdout.startswith(ORDER), r.stdout
        assert 'on-pipe' in r.stdout, r.stdout
        for args in (('logs', 'last'), ('show', '-1')):
            r = ggenc(*args, sock=d.sock, cwd=root)
            assert r.returncode == 0 and ORDER in r.stdout, (args, r)


def test_tty_phase_setting():
    root = project('[lifecycle.t]\ncommand = "[ -t 1 ] && echo yes || '
                   'echo no"\ntty = true\n[lifecycle.f]\ncommand = "[ -t 1 ]'
                   ' && echo yes || echo no"\ntty = false\n'
                   '[lifecycle.bad]\ncommand = "true"\ntty = "maybe"\n')
    with Daemon() as d:
        r = ggenc('run', 't', '--root', root, sock=d.sock)
        assert r.returncode != 0 and 'tty' in r.stderr, r
        with open(os.path.join(root, 'make.toml')) as f:
            text = f.read()
        with open(os.path.join(root, 'make.toml'), 'w') as f:
            f.write(text.replace('tty = "maybe"', 'tty = false'))
        r = ggenc('run', 't', '--root', root, sock=d.sock)
        assert r.returncode == 0 and r.stdout == 'yes\n', r
        # tty = false: a pipe even while a dev terminal follows the root.
        t = Term(d, 'dev', '--root', root)
        t.expect(rb'ggen dev: ')
        r = ggenc('run', 'f', '--root', root, sock=d.sock)
        assert r.returncode == 0 and r.stdout == 'no\n', r
        t.expect(rb'run \d+: f \(manual\).*no')
        t.interrupt()


def test_history_is_per_project():
    a = project(BUILD.replace('watch = ["src/*.c"]', ''), name='a')
    b = project(BUILD.replace('watch = ["src/*.c"]', '') +
                '[lifecycle.fail]\ncommand = "exit 1"\n', name='b')
    with Daemon() as d:
        for root, phase in ((a, 'build'), (b, 'build'), (a, 'build'),
                            (b, 'fail')):
            ggenc('run', phase, '--root', root, sock=d.sock)

        def jh(*args, cwd):
            r = ggenc('--json', *args, sock=d.sock, cwd=cwd)
            assert r.returncode == 0, r
            return json.loads(r.stdout)

        ids_a = [x['id'] for x in jh('history', cwd=a)['runs']]
        ids_b = [x['id'] for x in jh('history', cwd=b)['runs']]
        assert len(ids_a) == 2 and len(ids_b) == 2, (ids_a, ids_b)
        # A subdirectory belongs to its project.
        sub = jh('history', cwd=os.path.join(a, 'src'))
        assert sub['root'] == a and [x['id'] for x in sub['runs']] == ids_a
        # Outside every project, and with --all: every root, with a ROOT
        # column in the table.
        everyone = jh('history', '--all', cwd=a)
        assert everyone['root'] is None and len(everyone['runs']) == 4
        r = ggenc('history', '--all', sock=d.sock, cwd=a)
        lines = r.stdout.splitlines()
        assert lines[0].split()[-1] == 'ROOT', lines
        assert sum(x.endswith(' ' + b) for x in lines) == 2, lines
        r = ggenc('history', sock=d.sock, cwd=a)
        assert 'ROOT' not in r.stdout and b not in r.stdout, r
        assert jh('history', cwd='/')['root'] is None
        # stats: one project, or one row per (root, phase) with --all.
        st = jh('stats', cwd=a)['phases']
        assert [(p['phase'], p['runs']) for p in st] == [('build', 2)], st
        st = jh('stats', '--all', cwd=a)['phases']
        assert sorted((p['root'], p['phase'], p['runs']) for p in st) == \
            sorted([(a, 'build', 2), (b, 'build', 1), (b, 'fail', 1)]), st
        # last and -N count within the project.
        assert jh('show', 'last', cwd=a)['id'] == ids_a[0]
        assert jh('show', '-2', cwd=a)['id'] == ids_a[1]
        assert jh('show', '-1', cwd=b)['phase'] == 'fail'
        assert jh('trace', cwd=b)['trace']['traceEvents'], 'trace'
        r = ggenc('show', '-3', sock=d.sock, cwd=a)
        assert r.returncode == 1 and 'only 2 runs recorded in ' + a in \
            r.stderr, r
        # A project with no run yet: `last` is not "-1: only 0 runs".
        c = project(BUILD, name='c')
        assert ggenc('watch', c, sock=d.sock).returncode == 0
        for args in (('show', 'last'), ('logs',), ('show', '-1')):
            r = ggenc(*args, sock=d.sock, cwd=c)
            assert r.returncode == 1, (args, r)
            assert 'no run recorded yet in ' + c in r.stderr, (args, r)
        r = ggenc('show', '0', sock=d.sock, cwd=a)
        assert r.returncode == 2, r
        r = ggenc('show', 'first', sock=d.sock, cwd=a)
        assert r.returncode == 2 and '"last"' in r.stderr, r
        # diff across roots says so.
        diff = jh('diff', str(ids_a[0]), str(ids_b[1]), cwd=a)
        assert diff['same_root'] is False, diff
        r = ggenc('diff', str(ids_a[0]), str(ids_b[1]), sock=d.sock, cwd=a)
        assert 'different roots: %s and %s' % (a, b) in r.stdout, r
        assert jh('diff', '-1', '-2', cwd=a)['same_root'] is True
        r = ggenc('diff', '-1', '-2', sock=d.sock, cwd=a)
        assert 'different roots' not in r.stdout, r
        # runs: this project's; --all every root's, finished ones too.
        runs = jh('runs', '--all', cwd=a)['runs']
        assert {x['root'] for x in runs} == {a, b}, runs
        assert jh('runs', '--recent', cwd=b)['root'] == b
        assert {x['root'] for x in jh('runs', '--recent',
                                      cwd=b)['runs']} == {b}


def test_color_everywhere():
    root = project('[lifecycle.fail]\ncommand = "exit 1"\n'
                   '[lifecycle.ok]\ncommand = "printf \'\\\\033[1mbold\\\\033[0m'
                   '\\\\n\'"\ncache = true\n')
    with Daemon() as d:
        ggenc('run', 'fail', '--root', root, sock=d.sock)
        ggenc('run', 'ok', '--root', root, sock=d.sock)
        ggenc('run', 'ok', '--root', root, sock=d.sock)
        r = ggenc('--color=always', 'history', sock=d.sock, cwd=root)
        assert '\x1b[31mfailed' in r.stdout, r      # failures red
        assert '\x1b[2mcached' in r.stdout, r       # cached dim
        for args in (['--color=never'], ['--color', 'never']):
            r = ggenc(*args, 'history', sock=d.sock, cwd=root)
            assert r.returncode == 0 and '\x1b' not in r.stdout, r
        # A pipe is not a terminal: no colour by default.
        r = ggenc('history', sock=d.sock, cwd=root)
        assert '\x1b' not in r.stdout, r
        r = ggenc('--color=always', 'run', 'fail', '--root', root,
                  sock=d.sock)
        assert '\x1b[31mfailed' in r.stderr, r
        r = ggenc('run', 'ok', '--root', root, '--color=always',
                  sock=d.sock)
        assert '\x1b[2mcached' in r.stderr, r
        # NO_COLOR: no colour and the tools' escapes stripped, unless
        # --color=always says otherwise.
        env = env_for(d, NO_COLOR='1')
        r = ggenc('logs', '2', sock=d.sock, cwd=root, env=env)
        assert r.stdout == 'bold\n', r
        r = ggenc('--color=always', 'logs', '2', sock=d.sock, cwd=root,
                  env=env)
        assert r.stdout == '\x1b[1mbold\x1b[0m\n', r
        r = ggenc('--color=sometimes', 'history', sock=d.sock)
        assert r.returncode == 2 and 'auto, always or never' in r.stderr, r


run([test_dev_on_terminal_shows_the_rebuild,
     test_dev_follows_a_terminal_resize,
     test_dev_in_a_pipe_prints_plain_lines,
     test_dev_names_a_file_by_its_exact_bytes,
     test_dev_phase_runs_on_every_change,
     test_dev_phase_already_on_save_runs_once,
     test_dev_phase_waits_for_the_on_save_run,
     test_dev_follows_a_restart,
     test_dev_says_a_loop_was_stopped,
     test_dev_says_when_make_toml_is_valid_again,
     test_dev_ends_when_its_root_is_unwatched,
     test_dev_refusals,
     test_run_keeps_output_order,
     test_tty_phase_setting,
     test_history_is_per_project,
     test_color_everywhere])
