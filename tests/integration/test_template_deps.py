#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Template dependencies through a real ggend (issue 13): saving a template
that others include, import or extend re-renders exactly the outputs that
use it, and nothing else. The template cache's counters (`status`) show one
compile per dependent template and cache hits for the rest; outputs that do
not use the saved file keep their mtime. A missing include fails the run at
its file:line:col. Waits are on run.finished events, never on sleeps."""
import json
import os
import sys

from harness import Daemon, ggenc, mktemp, run

MAKE = '''[project]
name = "deps"

[vars]
name = "demo"

[lifecycle.generate]
templates = ["templates/*.tmpl"]
watch = true
'''

FILES = {
    'templates/a.txt.tmpl': 'A {% include "partials/footer" %}\n',
    'templates/b.txt.tmpl': '{% import "partials/macros" as m %}'
                            'B {{ m::hi(n=name) }}\n',
    'templates/c.txt.tmpl': 'C {{ name }}\n',
    'templates/d.txt.tmpl': '{% extends "partials/base" %}'
                            '{% block x %}D {{ super() }}{% endblock x %}',
    'templates/partials/footer': 'footer {{ name }}',
    'templates/partials/macros': '{% macro hi(n) %}hi {{ n }}'
                                 '{% endmacro hi %}',
    'templates/partials/base': '[{% block x %}base{% endblock x %}]\n',
}


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def read(root, rel):
    with open(os.path.join(root, rel)) as f:
        return f.read()


class Session:
    def __init__(self):
        self.root = os.path.join(mktemp(), 'p')
        os.makedirs(self.root)
        write(self.root, 'make.toml', MAKE)
        for rel, text in FILES.items():
            write(self.root, rel, text)
        self.d = Daemon()

    def __enter__(self):
        self.d.__enter__()
        self.ev = self.d.client()
        rid = self.ev.request('events')
        m = self.ev.recv()
        assert m.get('id') == rid and m['progress']['subscribed'], m
        p = ggenc('watch', self.root, sock=self.d.sock)
        assert p.returncode == 0, p.stderr
        return self

    def __exit__(self, *exc):
        self.ev.close()
        self.d.__exit__(*exc)

    def run_finished(self):
        while True:
            m = self.ev.recv()
            if m.get('event') == 'run.finished':
                return m['data']

    def templates(self):
        p = ggenc('--json', 'status', sock=self.d.sock)
        return json.loads(p.stdout)['templates']


OUTS = ['a.txt', 'b.txt', 'c.txt', 'd.txt']
PAST = 1_000_000_000


def age_outputs(root):
    for o in OUTS:
        os.utime(os.path.join(root, o), ns=(PAST, PAST))


def touched(root):
    return sorted(o for o in OUTS
                  if os.stat(os.path.join(root, o)).st_mtime_ns != PAST)


def save_and_check(s, rel, text, expect_out, expect_text):
    """Save rel; exactly expect_out is rewritten (with expect_text), one
    template compiles again and the other three are cache hits."""
    age_outputs(s.root)
    t0 = s.templates()
    write(s.root, rel, text)
    r = s.run_finished()
    assert r['trigger'] == 'save' and r['status'] == 'ok', r
    assert read(s.root, expect_out) == expect_text, read(s.root, expect_out)
    assert touched(s.root) == [expect_out], touched(s.root)
    t1 = s.templates()
    assert t1['compiles'] == t0['compiles'] + 1, (t0, t1)
    assert t1['hits'] >= t0['hits'] + 3, (t0, t1)


def test_dependency_rerenders_exactly_its_users():
    with Session() as s:
        p = ggenc('run', 'generate', cwd=s.root, sock=s.d.sock)
        first = s.run_finished()
        assert p.returncode == 0 and first['status'] == 'ok', (p.stderr,
                                                               first)
        assert read(s.root, 'a.txt') == 'A footer demo\n'
        assert read(s.root, 'b.txt') == 'B hi demo\n'
        assert read(s.root, 'c.txt') == 'C demo\n'
        assert read(s.root, 'd.txt') == '[D base]\n'
        save_and_check(s, 'templates/partials/footer', 'FOOTER {{ name }}',
                       'a.txt', 'A FOOTER demo\n')
        save_and_check(s, 'templates/partials/macros',
                       '{% macro hi(n) %}hello {{ n }}{% endmacro hi %}',
                       'b.txt', 'B hello demo\n')
        save_and_check(s, 'templates/partials/base',
                       '<{% block x %}BASE{% endblock x %}>\n',
                       'd.txt', '<D BASE>\n')


def test_missing_include_position():
    with Session() as s:
        write(s.root, 'templates/e.txt.tmpl', 'x\n  {% include "nope" %}\n')
        r = s.run_finished()
        assert r['status'] == 'failed', r
        assert 'templates/e.txt.tmpl:2:14' in r['message'], r
        assert 'nope' in r['message'], r
        # Creating the missing file is a change of the template's
        # dependencies: the next run compiles it again and succeeds.
        write(s.root, 'templates/nope', 'found {{ name }}')
        r = s.run_finished()
        assert r['status'] == 'ok', r
        assert read(s.root, 'e.txt') == 'x\n  found demo\n'


def local_project():
    """FILES in a fresh root, for the daemon-less commands."""
    root = os.path.join(mktemp(), 'p')
    os.makedirs(root)
    write(root, 'make.toml', MAKE)
    for rel, text in FILES.items():
        write(root, rel, text)
    tmp = mktemp()
    env = dict(os.environ)
    env['GGEN_SOCK'] = os.path.join(tmp, 'none.sock')
    env['XDG_RUNTIME_DIR'] = tmp
    return root, env


def test_render_loads_dependencies_and_shows_caret():
    root, env = local_project()
    p = ggenc('render', 'templates/d.txt.tmpl', '--to', '-', cwd=root,
              env=env)
    assert p.returncode == 0 and p.stdout == '[D base]\n', (p.stdout,
                                                           p.stderr)
    # From outside the template directory: names fall back to the root's
    # template directories (the `templates` globs' directory).
    write(root, 'other/x.tmpl', '{% include "partials/footer" %}')
    p = ggenc('render', 'other/x.tmpl', '--to', '-', cwd=root, env=env)
    assert p.returncode == 0 and p.stdout == 'footer demo', p.stderr
    # An error inside an included template: its position, the chain, the
    # source line and a caret; --json gives the same as one JSON object.
    write(root, 'templates/partials/bad', 'x\n  {{ nope }}')
    write(root, 'templates/f.txt.tmpl', 'a\n{% include "partials/bad" %}')
    p = ggenc('render', 'templates/f.txt.tmpl', '--to', '-', cwd=root,
              env=env)
    assert p.returncode == 1, p
    lines = p.stderr.splitlines()
    assert lines[0].startswith('templates/partials/bad:2:6: error: '
                               'variable `nope` is not defined'), lines
    assert 'included from templates/f.txt.tmpl:2:4' in lines[0], lines
    assert lines[1] == '  {{ nope }}' and lines[2] == '     ^', lines
    p = ggenc('--json', 'render', 'templates/f.txt.tmpl', '--to', '-',
              cwd=root, env=env)
    assert p.returncode == 1, p
    e = json.loads(p.stderr)
    assert (e['code'], e['file'], e['line'], e['col']) == \
        ('undefined', 'templates/partials/bad', 2, 6), e
    # An unsupported construct is named.
    write(root, 'templates/g.txt.tmpl', '{{ sparql(query="x") }}')
    p = ggenc('render', 'templates/g.txt.tmpl', '--to', '-', cwd=root,
              env=env)
    assert p.returncode == 1 and 'unsupported function `sparql`' in \
        p.stderr, p.stderr


def test_validate_missing_include():
    root, env = local_project()
    write(root, 'templates/e.txt.tmpl', 'x\n  {% include "nope" %}\n')
    p = ggenc('validate', cwd=root, env=env)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert 'templates/e.txt.tmpl:2:14: error: template "nope" not found' \
        in p.stdout, p.stdout
    assert '             ^' in p.stdout, p.stdout
    assert '1 error' in p.stdout, p.stdout


def engine_merged():
    with Daemon() as d, d.client() as c:
        caps = c.call('hello', proto=1)['result']['capabilities']
    return 'run' in caps


if not engine_merged():
    print('1..0 # SKIP the lifecycle engine is not merged')
    sys.exit(0)
run([test_dependency_rerenders_exactly_its_users,
     test_missing_include_position,
     test_render_loads_dependencies_and_shows_caret,
     test_validate_missing_include])
