#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""One project-tree service (common/projtree.h): `ggenc validate`,
`ggenc render`, the daemon's render step and cache keys (from the hot
file table and from the walker) pick the same files on one tricky tree:
ignored directories (built-in, .gitignore at two depths, .ggenignore,
make.toml [watch] ignore), dot-files and dot-directories, a symlinked
file (a file) and a symlinked directory (never followed),
node_modules, target and .git."""
import json
import os
import shutil

from harness import Daemon, ggenc, mktemp, run
from test_watch_util import watch

BODY = 'ok {{ 1 + 1 }}\n'

# Candidate templates and whether the policy keeps them.
CANDIDATES = {
    'a.tmpl': True,
    'sub/b.tmpl': True,
    '.hidden.tmpl': True,               # dot-file
    '.dotdir/c.tmpl': True,             # dot-directory
    'link.tmpl': True,                  # symlink to a file: a file
    'sub2/k.tmpl': True,
    'linkdir/k.tmpl': False,            # inside a symlinked directory
    'node_modules/pkg/d.tmpl': False,   # built-in
    'target/e.tmpl': False,             # built-in
    '.git/f.tmpl': False,               # always
    'gitignored/g.tmpl': False,         # root .gitignore
    'sub/h.tmpl': False,                # sub/.gitignore
    'skipme/i.tmpl': False,             # [watch] ignore
    'x.skip.tmpl': False,               # .ggenignore
}

MAKE = '''[project]
name = "tricky"

[watch]
ignore = ["skipme"]

[lifecycle.gen]
templates = ["**/*.tmpl"]

[lifecycle.key]
command = "true"
inputs = ["**/*.tmpl"]
cache = true

[lifecycle.probe]
templates = [%s]
''' % ', '.join('"%s"' % c for c in sorted(CANDIDATES))

KEPT = {c for c, keep in CANDIDATES.items() if keep}


def tree():
    root = mktemp()

    def put(rel, text):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)

    put('make.toml', MAKE)
    put('.gitignore', 'gitignored/\n')
    put('sub/.gitignore', 'h.tmpl\n')
    put('.ggenignore', '*.skip.tmpl\n')
    put('real/j.txt', BODY)
    for c in CANDIDATES:
        if c not in ('link.tmpl', 'linkdir/k.tmpl'):
            put(c, BODY)
    os.symlink('real/j.txt', os.path.join(root, 'link.tmpl'))
    os.symlink('sub2', os.path.join(root, 'linkdir'))
    return root


def output(root, c):
    """The default output of candidate c ("**/*.tmpl": path minus .tmpl)."""
    return os.path.join(root, c[:-len('.tmpl')])


def no_daemon_env(root):
    env = dict(os.environ)
    env['GGEN_SOCK'] = os.path.join(root, 'no-daemon', 'ggend.sock')
    return env


def test_validate_sees_the_kept_templates():
    root = tree()
    p = ggenc('validate', '--json', root, env=no_daemon_env(root))
    assert p.returncode == 0, (p.stdout, p.stderr)
    doc = json.loads(p.stdout)
    missing = set()
    for f in doc['findings']:
        if f['rule'] != 'template-missing':
            continue
        msg = f['message']
        assert "of phase 'probe'" in msg, f
        missing.add(msg.split("'")[1])
    assert set(CANDIDATES) - missing == KEPT, sorted(missing)


def test_render_gives_default_outputs_to_kept_templates_only():
    root = tree()
    env = no_daemon_env(root)
    rendered = set()
    for c in CANDIDATES:
        if c == 'linkdir/k.tmpl':
            continue    # the file sub2/k.tmpl, through its directory
        src = os.path.join(root, c)
        p = ggenc('render', src, env=env)
        assert p.returncode == 0, (c, p.stdout, p.stderr)
        if os.path.exists(output(root, c)):
            with open(output(root, c)) as f:
                assert f.read() == 'ok 2\n', c
            rendered.add(c)
        else:
            assert p.stdout == 'ok 2\n', (c, p.stdout)
    assert rendered == KEPT, sorted(rendered ^ KEPT)


def dry_key(d, root):
    with d.client() as c:
        r = c.call('run', root=root, phases=['key'], dry_run=True)
    assert r['ok'], r
    (step,) = r['result']['steps']
    return step['key']


def test_render_step_and_cache_keys_agree():
    root = tree()
    with Daemon('--log-level', 'warn') as d:
        # Unwatched: the key comes from the walker.
        walked = dry_key(d, root)
        watch(d, root)
        # Watched and ready: from the hot file table.
        assert dry_key(d, root) == walked
        with d.client() as c:
            r = c.call('run', root=root, phases=['gen'])
            while 'progress' in r:
                r = c.recv()
        assert r['ok'] and r['result']['status'] == 'ok', r
        rendered = {c for c in CANDIDATES
                    if os.path.lexists(output(root, c))}
        # linkdir/k is sub2/k seen through the link, not a render.
        rendered.discard('linkdir/k.tmpl')
        assert rendered == KEPT, sorted(rendered ^ KEPT)

        # The walker's inputs: an ignored file is none, a dot-file is.
        other = tree()
        assert dry_key(d, other) == walked
        with open(os.path.join(other, 'node_modules/pkg/d.tmpl'), 'a') as f:
            f.write('more\n')
        with open(os.path.join(other, 'sub/h.tmpl'), 'a') as f:
            f.write('more\n')
        assert dry_key(d, other) == walked
        with open(os.path.join(other, '.hidden.tmpl'), 'a') as f:
            f.write('more\n')
        assert dry_key(d, other) != walked
        shutil.rmtree(other)


if __name__ == '__main__':
    run([test_validate_sees_the_kept_templates,
         test_render_gives_default_outputs_to_kept_templates_only,
         test_render_step_and_cache_keys_agree])
