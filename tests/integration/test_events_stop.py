#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run exit codes and the end of `ggenc events`: an ok run reports
exit_code 0, a cached one null (no process ran), a failing one its
command's status, a signalled one null with the signal (PROTOCOL.md: no
-1 sentinels); a clean daemon stop sends
daemon.stopping and `ggenc events` ends with a line and status 0, while a
daemon that dies without it leaves ggenc with status 3 (unreachable).
Waits on events and status round trips, never on sleeps."""
import os
import subprocess
import time

from harness import GGENC, IO_TIMEOUT, Daemon, ggenc, run
from test_engine_watch import next_event, project, subscribe
from test_hotmodel import start_detached as start


def finished(ev, run_id):
    return next_event(ev, 'run.finished', lambda e: e['run'] == run_id)


def test_exit_codes():
    root = project('[lifecycle.ok]\ncommand = "echo fine > out.txt"\n'
                   'inputs = ["src/*"]\noutputs = ["out.txt"]\n'
                   'cache = true\n'
                   '[lifecycle.bad]\ncommand = "exit 7"\n'
                   '[lifecycle.killed]\ncommand = "kill -9 $$"\n')
    with Daemon() as d:
        ev = subscribe(d)
        done = finished(ev, start(d, root, 'ok'))
        assert (done['status'], done['exit_code']) == ('ok', 0), done
        done = finished(ev, start(d, root, 'ok'))
        assert (done['status'], done['exit_code']) == ('cached', None), done
        done = finished(ev, start(d, root, 'bad'))
        assert (done['status'], done['exit_code']) == ('failed', 7), done
        done = finished(ev, start(d, root, 'killed'))
        assert done['status'] == 'failed', done
        assert (done['exit_code'], done['signal']) == (None, 9), done
        with d.client() as c:
            kept = c.call('runs', all=True)['result']['runs']
        assert [r['exit_code'] for r in kept] == [0, None, 7, None], kept
        assert [r['signal'] for r in kept] == [None, None, None, 9], kept
        ev.close()


def events_process(d):
    """`ggenc events` running against d, once the daemon counts it."""
    p = subprocess.Popen([GGENC, 'events'], env=dict(os.environ, GGEN_SOCK=d.sock),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + IO_TIMEOUT
    while time.monotonic() < deadline:
        with d.client() as c:
            st = c.call('status')['result']
        if st['clients']['subscribers'] == 1:
            return p
    p.kill()
    raise AssertionError('ggenc events did not subscribe')


def test_clean_stop_ends_events():
    with Daemon() as d:
        p = events_process(d)
        r = ggenc('shutdown', sock=d.sock)
        assert r.returncode == 0, r
        out, err = p.communicate(timeout=IO_TIMEOUT)
        assert p.returncode == 0, (p.returncode, out, err)
        assert out == 'ggend stopped (shutdown request)\n', out
        assert err == '', err


def test_json_stop_and_sigterm():
    with Daemon() as d:
        p = subprocess.Popen([GGENC, '--json', 'events'],
                             env=dict(os.environ, GGEN_SOCK=d.sock),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, text=True)
        with d.client() as c:
            while c.call('status')['result']['clients']['subscribers'] < 1:
                pass
        d.proc.terminate()
        out, _ = p.communicate(timeout=IO_TIMEOUT)
        assert p.returncode == 0, p.returncode
        assert out == ('{"event":"daemon.stopping","data":'
                       '{"reason":"SIGTERM"}}\n'), out


def test_crash_is_an_error():
    with Daemon() as d:
        p = events_process(d)
        d.proc.kill()
        d.proc.wait()
        out, err = p.communicate(timeout=IO_TIMEOUT)
        assert p.returncode == 3, (p.returncode, out, err)
        assert 'closed the connection' in err, err


if __name__ == '__main__':
    run([test_exit_codes,
         test_clean_stop_ends_events,
         test_json_stop_and_sigterm,
         test_crash_is_an_error])
