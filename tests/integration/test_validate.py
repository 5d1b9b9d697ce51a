#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`ggenc validate`: the ggen fixtures F1-F4 (tests/data/ggen),
every finding of a file with several errors at the right line:col with its
source line and caret, --json shape, exit codes, workspaces' own files,
template compile errors as findings, and that validate never starts a
daemon.

The fixtures are required: a missing fixture fails the test (under CI=true
and elsewhere), it never skips."""
import json
import os
import subprocess

from harness import GGENC, Daemon, mktemp, run
from test_watch_util import watch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
FIXTURES = os.path.normpath(os.path.join(ROOT, 'tests', 'data', 'ggen'))


def fixture(name):
    path = os.path.join(FIXTURES, name)
    assert os.path.isfile(os.path.join(path, 'make.toml')), \
        'fixture missing: %s (CI=%s)' % (path, os.environ.get('CI'))
    return path


def private_env():
    """An environment whose daemon socket lives in a fresh temp dir."""
    tmp = mktemp()
    env = dict(os.environ)
    env['GGEN_SOCK'] = os.path.join(tmp, 'run', 'ggend.sock')
    env['XDG_STATE_HOME'] = os.path.join(tmp, 'state')
    env['XDG_RUNTIME_DIR'] = os.path.join(tmp, 'rt')
    return tmp, env


def validate(*args, cwd=None, env=None):
    if env is None:
        _, env = private_env()
    return subprocess.run([GGENC] + list(args), cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def test_f1_f2_f3_valid():
    for name in ('F2-integration', 'F3-parallel'):
        p = validate('validate', cwd=fixture(name))
        assert p.returncode == 0, (name, p.stdout, p.stderr)
        assert p.stdout == 'make.toml: 0 errors, 0 warnings\n', \
            (name, p.stdout)
    # F1's dev phase has watch = true, commands and no outputs: valid,
    # with the warning that what it writes may trigger it again.
    p = validate('--json', 'validate', cwd=fixture('F1-example'))
    assert p.returncode == 0, (p.stdout, p.stderr)
    res = json.loads(p.stdout)
    assert res['errors'] == 0, res
    assert [(f['rule'], f['line']) for f in res['findings']] == [
        ('watch-no-outputs', 26)], res


def test_f3_workspaces_validated_by_directory():
    root = fixture('F3-parallel')
    p = validate('--json', 'validate', root)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert res['file'] == root + '/make.toml', res
    assert res['errors'] == 0 and res['findings'] == [], res


# The fixture ships without its crates/ directories, so the workspace
# paths are reported too. A missing [project] is a warning now
# (make.toml(5)): the name is the directory's; cache_key and [env] are known keys.
F4_EXPECTED = """\
make.toml:1:1: warning: no [project] table; the project is named after its \
directory, 'F4-monorepo-negative' [missing-project]
# Advanced Rust Monorepo - Full Lifecycle Example
^
make.toml:5:8: error: workspace 'core' path 'crates/core' does not exist \
[workspace-path]
path = "crates/core"
       ^
make.toml:8:8: error: workspace 'cli' path 'crates/cli' does not exist \
[workspace-path]
path = "crates/cli"
       ^
make.toml:11:8: error: workspace 'utils' path 'crates/utils' does not exist \
[workspace-path]
path = "crates/utils"
       ^
make.toml: 3 errors, 1 warning
"""


def test_f4_missing_project_and_warnings():
    p = validate('validate', cwd=fixture('F4-monorepo-negative'))
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stdout == F4_EXPECTED, p.stdout
    res = json.loads(validate('--json', 'validate', cwd=fixture(
        'F4-monorepo-negative')).stdout)
    assert [(f['rule'], f['severity'], f['line'], f['col'])
            for f in res['findings']] == [
        ('missing-project', 'warning', 1, 1),
        ('workspace-path', 'error', 5, 8),
        ('workspace-path', 'error', 8, 8),
        ('workspace-path', 'error', 11, 8)], res['findings']


BAD = ('[project]\n'
       'name = "x"\n'
       'bogus = 1\n'
       '\n'
       '[lifecycle.build]\n'
       'command = "make"\n'
       'timeout = "5"\n'
       'on_busy = "later"\n'
       '\t\tenv = { "1BAD" = "v" }\n'
       '\n'
       '[lifecycle.empty]\n'
       'description = "nothing"\n'
       '\n'
       '[hooks]\n'
       'before_build = ["nope"]\n')

BAD_EXPECTED = """\
make.toml:3:1: warning: unknown key 'project.bogus' [unknown-key]
bogus = 1
^
make.toml:7:11: error: 'lifecycle.build.timeout' must be an integer, found \
string [wrong-type]
timeout = "5"
          ^
make.toml:8:11: error: 'lifecycle.build.on_busy' must be queue, restart or \
ignore, found 'later' [bad-value]
on_busy = "later"
          ^
make.toml:9:11: error: env name '1BAD' in phase 'build' must match \
[A-Za-z_][A-Za-z0-9_]* [env-name]
\t\tenv = { "1BAD" = "v" }
\t\t        ^
make.toml:11:1: error: phase 'empty' has neither commands nor templates \
[phase-empty]
[lifecycle.empty]
^
make.toml:15:17: error: hook 'before_build' names unknown phase 'nope' \
[hook-unknown-phase]
before_build = ["nope"]
                ^
make.toml: 5 errors, 1 warning
"""


def test_several_errors_all_reported_with_carets():
    tmp = mktemp()
    write(os.path.join(tmp, 'make.toml'), BAD)
    p = validate('validate', cwd=tmp)
    assert p.returncode == 1, p.stderr
    assert p.stdout == BAD_EXPECTED, p.stdout
    # The same file named by path: names as typed.
    p = validate('validate', os.path.join(tmp, 'make.toml'))
    assert p.stdout.startswith(tmp + '/make.toml:3:1: warning: '), p.stdout


def test_json_shape():
    tmp = mktemp()
    write(os.path.join(tmp, 'make.toml'), BAD)
    p = validate('--json', 'validate', cwd=tmp)
    assert p.returncode == 1, p.stderr
    res = json.loads(p.stdout)
    assert set(res) == {'file', 'findings', 'errors', 'warnings',
                        'dropped'}, res
    assert (res['errors'], res['warnings'], res['dropped']) == (5, 1, 0)
    assert res['findings'][1] == {
        'rule': 'wrong-type', 'severity': 'error', 'file': 'make.toml',
        'line': 7, 'col': 11,
        'message': "'lifecycle.build.timeout' must be an integer, "
                   "found string"}, res['findings'][1]
    assert [f['line'] for f in res['findings']] == [3, 7, 8, 9, 11, 15]


def test_syntax_error_and_lone_file():
    tmp = mktemp()
    write(os.path.join(tmp, 'other.toml'), '[project]\nname = \n')
    p = validate('validate', 'other.toml', cwd=tmp)
    assert p.returncode == 1, p.stderr
    assert p.stdout.splitlines() == [
        'other.toml:2:8: error: expected a value, found end of line '
        '[toml-syntax]',
        'name = ',
        '       ^',
        'other.toml: 1 error, 0 warnings'], p.stdout


def test_exit_codes():
    tmp = mktemp()
    write(os.path.join(tmp, 'make.toml'),
          '[project]\nname = "w"\n[lifecycle.b]\ncommand = "x"\n'
          'commands = ["y"]\n')
    p = validate('validate', cwd=tmp)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert '[command-conflict]' in p.stdout, p.stdout
    assert p.stdout.endswith('make.toml: 0 errors, 1 warning\n'), p.stdout
    p = validate('validate', 'a', 'b', cwd=tmp)
    assert p.returncode == 2, p.returncode
    assert 'usage: ggenc validate [PATH]' in p.stderr, p.stderr
    p = validate('validate', 'missing-dir/make.toml', cwd=tmp)
    assert p.returncode == 1, p.returncode
    assert p.stderr == ('ggenc: open missing-dir/make.toml: No such file '
                        'or directory\n'), p.stderr
    empty = mktemp()
    p = validate('validate', cwd=empty)
    assert p.returncode == 1 and 'open make.toml: No such file' in p.stderr


def test_workspace_files_validated():
    tmp = mktemp()
    write(os.path.join(tmp, 'make.toml'),
          '[project]\nname = "r"\n[workspace.a]\npath = "a"\n'
          '[workspace.b]\npath = "b"\n[lifecycle.x]\ncommand = "true"\n')
    write(os.path.join(tmp, 'a', 'make.toml'),
          '[project]\nname = "a"\n[lifecycle.x]\ntimeout = -1\n'
          'command = "true"\n')
    write(os.path.join(tmp, 'b', 'make.toml'),
          '[lifecycle.x]\ncommand = "true"\n')
    p = validate('--json', 'validate', cwd=tmp)
    assert p.returncode == 1, p.stderr
    res = json.loads(p.stdout)
    files = [(f['file'], f['rule']) for f in res['findings']]
    assert ('a/make.toml', 'bad-value') in files, files
    # b is checked even though a already failed (its missing [project]
    # is a warning now).
    assert ('b/make.toml', 'missing-project') in files, files


def test_outside_workspace_path():
    tmp = mktemp()
    write(os.path.join(tmp, 'root', 'make.toml'),
          '[project]\nname = "r"\n[workspace.up]\npath = "../other"\n'
          '[lifecycle.x]\ncommand = "true"\n')
    os.makedirs(os.path.join(tmp, 'other'))
    p = validate('validate', 'root', cwd=tmp)
    assert p.returncode == 1, p.stderr
    assert p.stdout.splitlines()[0].startswith(
        'root/make.toml:4:8: error: '), p.stdout
    assert '[workspace-path]' in p.stdout.splitlines()[0], p.stdout


def test_never_starts_a_daemon():
    tmp, env = private_env()
    p = validate('validate', fixture('F1-example'), env=env)
    assert p.returncode == 0, p.stderr
    assert not os.path.exists(env['GGEN_SOCK']), 'a daemon was started'
    assert not os.path.exists(os.path.join(tmp, 'run')), \
        os.listdir(os.path.join(tmp, 'run'))


def test_template_errors():
    tmp = mktemp()
    write(os.path.join(tmp, 'make.toml'),
          '[project]\nname = "t"\n[workspace.w]\npath = "ws"\n'
          '[lifecycle.gen]\n'
          'templates = ["templates/**/*.tmpl", "nothing/*.tmpl"]\n')
    write(os.path.join(tmp, 'templates', 'a.tmpl'),
          '---\nto: out.txt\n---\nhello {{ name \nbye\n')
    write(os.path.join(tmp, 'templates', 'sub', 'b.tmpl'),
          'ok {{ name }}\n\t{% if x %}\n')
    write(os.path.join(tmp, 'templates', 'c.tmpl'),
          'fine {{ x | upper }}\n')
    write(os.path.join(tmp, 'ws', 'make.toml'),
          '[project]\nname = "w"\n[lifecycle.g]\ntemplates = ["t/*.tmpl"]\n')
    write(os.path.join(tmp, 'ws', 't', 'd.tmpl'), '{{ x | nosuch }}\n')
    p = validate('validate', cwd=tmp)
    assert p.returncode == 1, p.stderr
    assert p.stdout == (
        "make.toml:6:37: warning: templates pattern 'nothing/*.tmpl' of "
        "phase 'gen' matches no file [template-missing]\n"
        'templates = ["templates/**/*.tmpl", "nothing/*.tmpl"]\n'
        '                                    ^\n'
        'templates/a.tmpl:4:7: error: unclosed tag: expected `}}` '
        '[template-error]\n'
        'hello {{ name \n'
        '      ^\n'
        'templates/sub/b.tmpl:2:5: error: unclosed `if`: expected '
        '{% endif %} [template-error]\n'
        '\t{% if x %}\n'
        '\t   ^\n'
        'ws/t/d.tmpl:1:8: error: unknown filter `nosuch` [template-error]\n'
        '{{ x | nosuch }}\n'
        '       ^\n'
        'make.toml: 3 errors, 1 warning\n'), p.stdout
    res = json.loads(validate('--json', 'validate', tmp).stdout)
    errs = [(f['file'], f['line'], f['col']) for f in res['findings']
            if f['rule'] == 'template-error']
    assert errs == [(tmp + '/templates/a.tmpl', 4, 7),
                    (tmp + '/templates/sub/b.tmpl', 2, 5),
                    (tmp + '/ws/t/d.tmpl', 1, 8)], errs


def test_bundled_example_is_valid():
    p = validate('validate', os.path.join(ROOT, 'examples', 'hello'))
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert p.stdout.endswith(': 0 errors, 0 warnings\n'), p.stdout


def test_findings_cap():
    tmp = mktemp()
    write(os.path.join(tmp, 'make.toml'),
          '[project]\nname = "c"\n' + ''.join('k%d = 1\n' % i
                                               for i in range(1005)) +
          '[lifecycle.a]\ncommand = "x"\n')
    p = validate('validate', cwd=tmp)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[-1] == 'make.toml: 0 errors, 1005 warnings (5 not shown)', \
        lines[-1]
    assert len(lines) == 1000 * 3 + 1, len(lines)
    res = json.loads(validate('--json', 'validate', cwd=tmp).stdout)
    assert (len(res['findings']), res['warnings'], res['dropped']) == \
        (1000, 1005, 5), res['dropped']


def test_running_daemon_without_the_root_gives_same_output():
    """A daemon that watches no root answers root_not_found: ggenc checks
    locally, same output, and the daemon saw the request."""
    tmp = mktemp()
    write(os.path.join(tmp, 'proj', 'make.toml'), BAD)
    local = validate('validate', cwd=os.path.join(tmp, 'proj'))
    with Daemon() as d:
        env = dict(os.environ)
        env['GGEN_SOCK'] = d.sock
        p = validate('validate', cwd=os.path.join(tmp, 'proj'), env=env)
        assert (p.returncode, p.stdout, p.stderr) == \
            (local.returncode, local.stdout, local.stderr), p.stdout
        with d.client() as c:
            st = c.call('status')['result']
            r = c.call('validate', path=os.path.join(tmp, 'proj',
                                                     'make.toml'))
        assert st['errors'] == {'root_not_found': 1}, st['errors']
        assert r['error']['code'] == 'root_not_found', r


def test_hot_copy_gives_identical_output():
    tmp = mktemp()
    bad = os.path.join(tmp, 'bad')
    write(os.path.join(bad, 'make.toml'), BAD)
    good = os.path.join(tmp, 'good')
    write(os.path.join(good, 'make.toml'),
          '[project]\nname = "g"\nbogus = 2\n[workspace.w]\npath = "w"\n'
          '[lifecycle.gen]\ntemplates = ["t/*.tmpl", "none/*"]\n')
    write(os.path.join(good, 't', 'a.tmpl'), 'x {{ y \n')
    write(os.path.join(good, 'w', 'make.toml'),
          '[project]\nname = "w"\n[lifecycle.q]\ncommand = "true"\n')
    cases = [(bad, ['validate']), (good, ['validate']),
             (good, ['--json', 'validate']), (tmp, ['validate', 'good']),
             (tmp, ['validate', 'good/make.toml'])]
    local = [validate(*args, cwd=cwd) for cwd, args in cases]
    with Daemon() as d:
        watch(d, bad)
        watch(d, good)
        env = dict(os.environ)
        env['GGEN_SOCK'] = d.sock
        for (cwd, args), want in zip(cases, local):
            p = validate(*args, cwd=cwd, env=env)
            assert (p.returncode, p.stdout, p.stderr) == \
                (want.returncode, want.stdout, want.stderr), \
                (args, p.stdout, want.stdout)
        with d.client() as c:
            st = c.call('status')['result']
            assert 'root_not_found' not in st['errors'], st['errors']
            # The hot copy answered: findings name the root's own file.
            r = c.call('validate', path=os.path.join(good, 'make.toml'))
            assert r['ok'], r
            assert r['result']['findings'][0]['file'] == \
                os.path.join(os.path.realpath(good), 'make.toml'), r
            # A workspace's file checked alone is not the root's check.
            r = c.call('validate', path=os.path.join(good, 'w',
                                                     'make.toml'))
            assert r['error']['code'] == 'root_not_found', r
    assert 'template-error' in local[1].stdout, local[1].stdout
    assert '[template-missing]' in local[1].stdout, local[1].stdout
    assert '[unknown-key]' in local[1].stdout, local[1].stdout


if __name__ == '__main__':
    run([test_f1_f2_f3_valid, test_f3_workspaces_validated_by_directory,
         test_f4_missing_project_and_warnings,
         test_several_errors_all_reported_with_carets, test_json_shape,
         test_syntax_error_and_lone_file, test_exit_codes,
         test_workspace_files_validated, test_outside_workspace_path,
         test_never_starts_a_daemon, test_template_errors,
         test_bundled_example_is_valid, test_findings_cap,
         test_running_daemon_without_the_root_gives_same_output,
         test_hot_copy_gives_identical_output])
