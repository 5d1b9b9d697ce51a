#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`ggenc init`: one test per project type (Cargo.toml, go.mod,
package.json, pyproject.toml, meson.build, CMakeLists.txt, Makefile): the
make.toml it writes validates clean (`ggenc validate`: 0 errors, 0
warnings) and has the phases the toolchain has; it never overwrites
without --force; --print writes nothing; a Makefile project's `build`
really runs under the daemon."""
import json
import os
import shutil
import time

from harness import Daemon, ggenc, mktemp, run

NOSOCK = '/nonexistent/x.sock'     # init and validate need no daemon


def tree(files):
    root = os.path.join(mktemp(), 'proj')
    os.makedirs(root)
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
    return root


def init_and_validate(files, kind, phases, name):
    """init in a fresh tree; returns the make.toml text and validate's
    JSON."""
    root = tree(files)
    p = ggenc('--json', 'init', root, sock=NOSOCK)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert res == {'path': os.path.join(root, 'make.toml'), 'kind': kind,
                   'from': res['from'], 'written': True}, res
    with open(res['path']) as f:
        text = f.read()
    v = ggenc('--json', 'validate', res['path'], sock=NOSOCK)
    assert v.returncode == 0, (v.stdout, v.stderr, text)
    found = json.loads(v.stdout)
    assert (found['errors'], found['warnings']) == (0, 0), (found, text)
    got = sorted(l[len('[lifecycle.'):-1] for l in text.splitlines()
                 if l.startswith('[lifecycle.'))
    assert got == sorted(phases), (got, text)
    assert 'name = "%s"' % name in text, text
    return root, text


def test_cargo():
    _, text = init_and_validate(
        {'Cargo.toml': '[package]\nname = "hello-rs"\nversion = "0.1.0"\n',
         'src/main.rs': 'fn main() {}\n'},
        'cargo', ['build', 'test', 'lint', 'fmt'], 'hello-rs')
    assert 'command = "cargo build"' in text
    assert 'outputs = ["target/debug"]' in text and 'cache = true' in text
    assert 'ignore = ["target/**"]' in text


def test_go():
    _, text = init_and_validate(
        {'go.mod': 'module example.com/me/hellogo\n\ngo 1.21\n'},
        'go', ['build', 'test', 'lint', 'fmt'], 'hellogo')
    assert 'command = "go vet ./..."' in text


def test_node():
    _, text = init_and_validate(
        {'package.json': json.dumps({
            'name': '@me/web', 'scripts': {'build': 'tsc', 'test': 'jest',
                                           'format': 'prettier -w .'}}),
         'yarn.lock': ''},
        'node', ['install', 'build', 'test', 'fmt'], 'web')
    # the package manager follows the lockfile; no lint script, no lint
    assert 'command = "yarn run build"' in text, text
    assert 'inputs = ["package.json", "yarn.lock"]' in text
    assert 'before_all = ["install"]' in text


def test_python():
    _, text = init_and_validate(
        {'pyproject.toml': '[build-system]\nrequires = ["setuptools"]\n'
         '[project]\nname = "pyx"\n[tool.ruff]\nline-length = 90\n'},
        'python', ['build', 'test', 'lint', 'fmt'], 'pyx')
    assert 'command = "ruff check ."' in text
    assert 'outputs = ["dist"]' in text and 'cache = true' in text, text


def test_python_without_build_system():
    # PEP 517 defaults to setuptools: a build phase all the same
    _, text = init_and_validate(
        {'pyproject.toml': '[project]\nname = "plain"\n'},
        'python', ['build', 'test', 'lint'], 'plain')
    assert 'command = "python3 -m build"' in text, text
    assert 'outputs = ["dist"]' in text and 'cache = true' in text, text
    assert '"dist/**"' in text, text


def test_makefile_products():
    # a phony default target: its file prerequisites are the products,
    # declared as outputs and ignored so a rebuilt app triggers nothing
    _, text = init_and_validate(
        {'Makefile': '.PHONY: all test\nCC = cc\nall: app tool | dirs\n'
         'app: app.c\n\t$(CC) -o app app.c\ntool:\n\ttouch tool\n'
         'test: app\n\t./app\n'},
        'make', ['build', 'test'], 'proj')
    assert 'outputs = ["app", "tool"]' in text, text
    assert 'ignore = ["*.o", "*.d", "app", "tool"]' in text, text
    assert 'cache = true' in text, text
    # unreadable (a variable as the default target): build/ as a stated guess
    _, text = init_and_validate(
        {'Makefile': '$(PROG): x.c\n\tcc -o $@ x.c\n'},
        'make', ['build'], 'proj')
    assert '# build/ is a guess' in text, text
    assert 'outputs = ["build"]' in text, text
    assert '"build", "build/**"]' in text, text


def test_meson():
    _, text = init_and_validate(
        {'meson.build': "project('mesonp', 'c')\n"},
        'meson', ['build', 'test'], 'mesonp')
    assert 'meson compile -C build' in text
    # the build directory is the phase's output, cached by its sources
    assert 'outputs = ["build"]' in text and 'cache = true' in text, text
    assert 'inputs = ["**/*.c"' in text, text


def test_cmake():
    _, text = init_and_validate(
        {'CMakeLists.txt': 'cmake_minimum_required(VERSION 3.13)\n'
         'project(Cmk C)\n', '.clang-format': ''},
        'cmake', ['build', 'test', 'fmt'], 'Cmk')
    assert 'ctest --test-dir build' in text
    assert 'outputs = ["build"]' in text and 'cache = true' in text, text


def test_makefile_runs():
    root, text = init_and_validate(
        {'Makefile': 'hello: hello.c\n\tcc -o hello hello.c\n'
         'check: hello\n\t./hello | grep -q hi\n',
         'hello.c': '#include <stdio.h>\nint main(void) { puts("hi"); '
         'return 0; }\n'},
        'make', ['build', 'test'], 'proj')
    assert 'command = "make check"' in text
    assert 'outputs = ["hello"]' in text and 'cache = true' in text, text
    assert 'ignore = ["*.o", "*.d", "hello"]' in text, text
    with Daemon() as d:
        p = ggenc('watch', root, sock=d.sock)
        assert p.returncode == 0, (p.stdout, p.stderr)
        p = ggenc('run', 'build', 'test', '--root', root, sock=d.sock)
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert os.path.exists(os.path.join(root, 'hello'))
        # the rebuilt binary is ignored (it can retrigger nothing): a file
        # written after it is seen, hello never is
        with open(os.path.join(root, 'marker.txt'), 'w') as f:
            f.write('x\n')
        deadline = time.monotonic() + 60
        while True:
            c = ggenc('--json', 'changes', root, sock=d.sock)
            assert c.returncode == 0, c.stderr
            listed = {f['path'] for f in json.loads(c.stdout)['files']}
            if 'marker.txt' in listed or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert 'marker.txt' in listed, listed
        assert 'hello' not in listed and 'hello.c' in listed, listed


def test_never_overwrites_without_force():
    root = tree({'go.mod': 'module m\n'})
    mine = os.path.join(root, 'make.toml')
    with open(mine, 'w') as f:
        f.write('# mine\n')
    p = ggenc('init', root, sock=NOSOCK)
    assert p.returncode == 1 and 'exists; --force replaces it' in p.stderr, \
        p.stderr
    with open(mine) as f:
        assert f.read() == '# mine\n'
    p = ggenc('init', root, '--print', sock=NOSOCK)
    assert p.returncode == 0 and '[lifecycle.build]' in p.stdout, p
    with open(mine) as f:
        assert f.read() == '# mine\n'
    # --json --print: the proposal inside one JSON line, nothing written
    p = ggenc('--json', 'init', root, '--print', sock=NOSOCK)
    assert p.returncode == 0, p
    j = json.loads(p.stdout)
    assert j['written'] is False and j['kind'] == 'go', j
    assert '[lifecycle.build]' in j['text'], j
    with open(mine) as f:
        assert f.read() == '# mine\n'
    p = ggenc('init', root, '--force', sock=NOSOCK)
    assert p.returncode == 0, p.stderr
    with open(mine) as f:
        assert f.read().startswith('# make.toml for ggen')


def test_first_manifest_wins_and_errors():
    root = tree({'Makefile': 'all:\n\ttrue\n', 'meson.build':
                 "project('m', 'c')\n"})
    p = ggenc('init', root, '--print', sock=NOSOCK)
    assert '# Also found: Makefile (not used).' in p.stdout, p.stdout
    empty = tree({})
    p = ggenc('init', empty, sock=NOSOCK)
    assert p.returncode == 1 and 'no Cargo.toml' in p.stderr, p.stderr
    assert not os.path.exists(os.path.join(empty, 'make.toml'))
    p = ggenc('--json', 'init', os.path.join(empty, 'nope'), sock=NOSOCK)
    assert p.returncode == 1 and json.loads(p.stderr)['code'] == \
        'io_error', p.stderr
    shutil.rmtree(empty)


if __name__ == '__main__':
    run([test_cargo, test_go, test_node, test_python,
         test_python_without_build_system, test_makefile_products, test_meson, test_cmake,
         test_makefile_runs, test_never_overwrites_without_force,
         test_first_manifest_wins_and_errors])
