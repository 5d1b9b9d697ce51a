#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The performance harness itself (perf/run, perf/check, perf/benchlib.py
and the bench_status / bench_hash programs): parsing of figure lines and
their older variants, peer pairing and verdicts, failure and timeout
reporting, driver discovery, the regression rule of perf/check, and that a
benchmark daemon is always stopped. Never asserts a timing."""
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

from harness import GGEND, run

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
PERF = os.path.join(ROOT, 'perf')
BUILD = os.path.dirname(GGEND)
sys.path.insert(0, PERF)
import benchlib  # noqa: E402


def load(name):
    loader = importlib.machinery.SourceFileLoader(
        'perf_' + name, os.path.join(PERF, name))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


PRUN = load('run')
PCHECK = load('check')


def test_normalise_variants():
    f = PRUN.normalise({'bench': 'b', 'figure': 'f', 'unit': 'us',
                        'value': 7, 'per_rep': 3})
    assert (f['min'], f['median'], f['max'], f['reps']) == (7, 7, 7, 1), f
    assert f['extra'] == {'per_rep': 3}, f
    assert f['peer'] is None
    f = PRUN.normalise({'bench': 'b', 'figure': 'f', 'unit': 'us',
                        'median': 2, 'peer': 'p', 'extra': {'n': 1}})
    assert f['min'] == 2 and f['max'] == 2 and f['p99'] is None, f
    assert f['peer'] == 'p' and f['extra'] == {'n': 1}, f
    assert PRUN.normalise({'bench': 'b', 'figure': 'f', 'unit': 'us'}) \
        is None
    assert PRUN.normalise({'figure': 'f', 'unit': 'us', 'median': 1}) \
        is None
    assert PRUN.normalise([1, 2]) is None


def fig(bench, figure, unit, median, peer=None):
    return PRUN.normalise({'bench': bench, 'figure': figure, 'unit': unit,
                           'median': median, 'peer': peer})


def test_peer_named_by_bench():
    figs = PRUN.mark_peer_benches([
        fig('template', 'render', 'us', 10),
        fig('template_jinja2', 'render', 'us', 40),
        fig('template_jinja2', 'only_theirs', 'us', 1)])
    assert figs[1]['bench'] == 'template' and figs[1]['peer'] == 'jinja2'
    # No ggen figure of that name: it stays a figure of its own.
    assert figs[2]['bench'] == 'template_jinja2' and figs[2]['peer'] is None


def test_pair_ratio_and_verdict():
    prog = {'name': 'bench_x', 'figures': [
        fig('x', 'lat', 'us', 100), fig('x', 'lat', 'us', 200, 'peer_a'),
        fig('x', 'rate', 'MB/s', 300), fig('x', 'rate', 'MB/s', 100, 'b'),
        fig('x', 'same', 'ms', 100), fig('x', 'same', 'ms', 101, 'c'),
        fig('x', 'alone', 'us', 0, 'd')]}
    rows = {r['figure']: r for r in PRUN.pair([prog])}
    lat, rate = rows['lat'], rows['rate']
    assert lat['better'] == 'lower' and rate['better'] == 'higher'
    assert lat['peers'][0]['ratio'] == 0.5
    assert PRUN.verdict(lat, lat['peers'][0]) == '2.00x better'
    assert rate['peers'][0]['ratio'] == 3.0
    assert PRUN.verdict(rate, rate['peers'][0]) == '3.00x better'
    assert PRUN.verdict(rows['same'], rows['same']['peers'][0]) == 'same'
    # A peer without a ggen figure (or a zero median) has no ratio.
    assert rows['alone']['ours'] is None
    assert rows['alone']['peers'][0]['ratio'] is None
    assert PRUN.verdict(rows['alone'], rows['alone']['peers'][0]) == '-'


FIGURE_LINE = json.dumps({'bench': 'b', 'figure': 'f', 'unit': 'us',
                          'median': 1})


def fake_bench(body, timeout):
    """perf/run's view of a program printing one figure line then body."""
    code = 'import sys, time; print(%r, flush=True); %s' % (FIGURE_LINE,
                                                            body)
    return PRUN.run_one('bench_fake', [sys.executable, '-c', code],
                        dict(os.environ), timeout)


def test_run_one_failure_and_comments():
    p = fake_bench('print("# a note"); print("{bad"); '
                   'print(\'{"bench":"b","figure":"state","runs":5}\'); '
                   'sys.stderr.write("boom\\n"); sys.exit(3)', 30)
    assert p['status'] == 'failed (exit 3)', p
    assert len(p['figures']) == 1 and p['figures'][0]['figure'] == 'f'
    assert p['comments'][0] == 'a note', p['comments']
    assert p['comments'][1].startswith('unparsed line: {bad'), p
    assert p['comments'][2] == 'record: {"bench":"b","figure":"state",' \
        '"runs":5}', p
    assert p['stderr_tail'] == ['boom'], p


def test_run_one_timeout_keeps_figures():
    p = fake_bench('time.sleep(60)', 1)
    assert p['status'] == 'timed out after 1 s', p
    assert len(p['figures']) == 1, p


def test_driver_detection():
    with tempfile.TemporaryDirectory() as tmp:
        drv, helper = os.path.join(tmp, 'd.py'), os.path.join(tmp, 'h.py')
        with open(drv, 'w') as f:
            f.write('"""Usage: bench_d.py BUILD_DIR."""\n')
        with open(helper, 'w') as f:
            f.write('"""Usage: bench_d_peer.py TMPL JSON"""\n')
        assert benchlib.is_driver(drv)
        assert not benchlib.is_driver(helper)


def test_discover_prefers_drivers():
    with tempfile.TemporaryDirectory() as tmp:
        os.mkdir(os.path.join(tmp, 'perf'))
        for name in ('bench_hash', 'bench_zzz', 'not_a_bench'):
            path = os.path.join(tmp, 'perf', name)
            with open(path, 'w') as f:
                f.write('#!/bin/sh\n')
            os.chmod(path, 0o755)
        os.mkdir(os.path.join(tmp, 'perf', 'bench_dir'))
        found = {n: (argv, kind) for n, argv, kind in
                 benchlib.discover(tmp)}
    assert found['bench_hash'][1] == 'driver', found
    assert found['bench_hash'][0][-1] == tmp
    assert found['bench_status'][1] == 'driver', found
    assert found['bench_zzz'] == ([os.path.join(tmp, 'perf', 'bench_zzz')],
                                  'program'), found
    assert 'not_a_bench' not in found and 'bench_dir' not in found
    assert 'benchlib' not in found


def test_check_threshold():
    base = {'a': 100.0, 'b': 100.0, 'c': 100.0, 'e': 100.0}
    counts = {'a': 110.0, 'b': 110.5, 'd': 5.0, 'e': 80.0}
    rows, failed = PCHECK.compare(counts, base)
    status = {r[0]: r[4] for r in rows}
    assert failed == 1, rows
    assert status == {'a': 'ok', 'b': 'REGRESSION', 'c': 'missing',
                      'd': 'new', 'e': 'faster (update the baseline)'}, rows


def test_baseline_file_shape():
    with open(os.path.join(PERF, 'baseline.json')) as f:
        base = json.load(f)
    assert base['tolerance'] == PCHECK.TOLERANCE
    assert base['figures'], base
    assert all(isinstance(v, (int, float)) and v > 0
               for v in base['figures'].values()), base


def test_daemon_stopped_even_on_error():
    d = benchlib.Daemon(BUILD)
    try:
        with d:
            assert 'uptime' in d.ggenc('status')
            raise KeyError('body failed')
    except KeyError:
        pass
    assert d.proc.returncode is not None, 'ggend still running'
    assert not os.path.exists(d.tmp), d.tmp


def test_watchman_isolated_and_stopped():
    if shutil.which('watchman') is None:
        try:
            benchlib.Watchman()
        except RuntimeError as e:
            assert 'watchman is not installed' in str(e), e
            return
        raise AssertionError('Watchman() without watchman did not fail')
    root = tempfile.mkdtemp(prefix='ggen-it-wm-')
    try:
        with benchlib.Watchman() as w:
            assert w.sock.startswith(w.tmp)
            reply = w.cmd('watch-project', root)
            assert reply['watch'] == os.path.realpath(root), reply
            try:
                w.cmd('no-such-command')
            except RuntimeError as e:
                assert 'no-such-command' in str(e), e
            else:
                raise AssertionError('bad command accepted')
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert w.proc.returncode is not None, 'watchman still running'
    assert not os.path.exists(w.tmp), w.tmp


def loadgen(*args):
    return subprocess.run([os.path.join(BUILD, 'perf', 'bench_status')] +
                          list(args), capture_output=True, text=True,
                          timeout=60)


def test_status_loadgen_figures():
    with benchlib.Daemon(BUILD) as d:
        p = loadgen(d.sock, '3', '0.05', '2')
    assert p.returncode == 0, p.stderr
    lines = [json.loads(ln) for ln in p.stdout.splitlines()]
    assert [ln['figure'] for ln in lines] == ['status_roundtrip_c3',
                                              'status_rate_c3'], lines
    assert lines[0]['unit'] == 'us' and lines[0]['reps'] >= 6, lines
    assert lines[1]['unit'] == 'requests/s' and lines[1]['reps'] == 2
    assert lines[0]['min'] <= lines[0]['median'] <= lines[0]['p99'] <= \
        lines[0]['max'], lines


def test_status_loadgen_errors():
    p = loadgen('/nonexistent/sock', '1', '1', '1')
    assert p.returncode == 1 and 'connect /nonexistent/sock' in p.stderr, p
    p = loadgen('x', '0', '1', '1')
    assert p.returncode == 2 and 'bad arguments' in p.stderr, p
    p = loadgen('x')
    assert p.returncode == 2 and 'usage:' in p.stderr, p


def test_hash_program_reads_every_byte():
    exe = os.path.join(BUILD, 'perf', 'bench_hash')
    with tempfile.TemporaryDirectory() as tmp:
        for i, size in enumerate((0, 1, 65536, 65537, 200000)):
            with open(os.path.join(tmp, 'f%d' % i), 'wb') as f:
                f.write(b'x' * size)
        os.mkdir(os.path.join(tmp, 'subdir'))
        env = dict(os.environ, GGEN_BENCH_REPS='2')
        p = subprocess.run([exe, tmp], capture_output=True, text=True,
                           env=env)
    assert p.returncode == 0, p.stderr
    line = json.loads(p.stdout)
    assert line['figure'] == 'hash_files_xxh3_128' and line['reps'] == 2
    assert line['extra']['bytes'] == 1 + 65536 + 65537 + 200000, line
    p = subprocess.run([exe, '/nonexistent'], capture_output=True,
                       text=True)
    assert p.returncode == 1 and '/nonexistent' in p.stderr, p


def test_idle_counters_move():
    idle = load('bench_idle.py')
    pid = os.getpid()
    s0, c0 = idle.switches(pid), idle.cpu_ms(pid)
    assert s0 > 0 and c0 >= 0
    # Burn CPU until the kernel's tick accounting shows it (an event,
    # not a sleep).
    while idle.cpu_ms(pid) == c0:
        pass
    assert idle.cpu_ms(pid) > c0
    os.sched_yield()
    with open(os.devnull, 'rb') as f:
        f.read()
    assert idle.switches(pid) >= s0


def test_emit_rejects_bad_names():
    for bad in ('Bad', 'a-b', ''):
        try:
            benchlib.emit('b', bad, 'us', [1])
        except ValueError as e:
            assert 'is not [a-z0-9_]+' in str(e)
        else:
            raise AssertionError('accepted %r' % bad)
    assert benchlib.stats([4, 1, 3, 2]) == (1, 2.5, 4, 4)


if __name__ == '__main__':
    run([test_normalise_variants, test_peer_named_by_bench,
         test_pair_ratio_and_verdict, test_run_one_failure_and_comments,
         test_run_one_timeout_keeps_figures, test_driver_detection,
         test_discover_prefers_drivers, test_check_threshold,
         test_baseline_file_shape, test_daemon_stopped_even_on_error,
         test_watchman_isolated_and_stopped,
         test_status_loadgen_figures, test_status_loadgen_errors,
         test_hash_program_reads_every_byte, test_idle_counters_move,
         test_emit_rejects_bad_names])
