#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`ggenc render`: a local command (no daemon anywhere: GGEN_SOCK points at
nothing and --no-start is not needed because render never connects).
Variables from the nearest make.toml [vars] keep their types, frontmatter
vars, --vars JSON and --var override in that order; --to -, --to PATH,
frontmatter `to:` (confined to the root, symlinks too), --diff, inject,
write-only-when-changed, and the error forms and exit codes."""
import json
import os
import stat

from harness import Daemon, ggenc, mktemp, run

MAKE = '''[project]
name = "demo"

[vars]
name = "demo"
n = 3
ratio = 0.5
on = true
fields = [{ name = "id", ty = "int" }, { name = "title", ty = "char *" }]

[vars.db]
port = 5432
'''

STRUCT = '''---
to: out/{{ name }}.h
vars:
  guard: DEMO_H
  n: 7
---
#ifndef {{ guard }}
struct {{ name | pascal }} {
{%- for f in fields %}
	{{ f.ty }} {{ f.name }};
{%- endfor %}
};
/* {{ n }} {{ db.port + 1 }} {{ ratio * 2 }} {{ on }} {{ extra | default(value="none") }} */
#endif
'''


def project():
    """A root with make.toml and templates/, no daemon; returns (dir, env)."""
    root = mktemp()
    os.makedirs(os.path.join(root, 'templates', 'sub'))
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write(MAKE)
    write(root, 'templates/s.h.tmpl', STRUCT)
    env = dict(os.environ)
    env['GGEN_SOCK'] = os.path.join(root, 'no-daemon', 'ggend.sock')
    env['GGEN_TEST_VALUE'] = 'from-env'
    return root, env


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    return path


def read(root, rel):
    with open(os.path.join(root, rel)) as f:
        return f.read()


def render(root, env, *args):
    return ggenc('render', *args, env=env, cwd=root)


def test_print_with_toml_types_and_frontmatter_vars():
    root, env = project()
    p = render(root, env, 'templates/s.h.tmpl', '--to', '-')
    assert p.returncode == 0, p.stderr
    # ratio * 2 is the float 1.0, which Tera prints as 1.
    assert p.stdout == ('#ifndef DEMO_H\nstruct Demo {\n\tint id;\n'
                        '\tchar * title;\n};\n/* 7 5433 1 true none */\n'
                        '#endif\n'), p.stdout
    assert not os.path.exists(os.path.join(root, 'out')), 'nothing written'
    assert not os.path.exists(env['GGEN_SOCK']), 'no daemon started'


def test_template_in_subdir_finds_make_toml_upwards():
    root, env = project()
    write(root, 'templates/sub/deep.tmpl', '{{ name }}-{{ db.port }}\n')
    p = render(os.path.join(root, 'templates', 'sub'), env, 'deep.tmpl',
               '--to', '-')
    assert p.returncode == 0, p.stderr
    assert p.stdout == 'demo-5432\n'


def test_vars_json_keeps_types_and_var_wins():
    root, env = project()
    write(root, 'v.json', json.dumps({'n': 10, 'extra': [1, 2.5, None],
                                      'db': {'port': 1}, 'name': 'json'}))
    write(root, 't.tmpl', '{{ n + 1 }} {{ extra | length }} {{ extra[1] }} '
          '{{ db.port + 1 }} {{ name }} {{ db.host }}\n')
    p = render(root, env, 't.tmpl', '--vars', 'v.json', '--var', 'name=cli',
               '--var', 'db.host=h', '--to', '-')
    assert p.returncode == 0, p.stderr
    # --vars replaces db wholesale (a shallow overlay), --var db.host adds.
    assert p.stdout == '11 3 2.5 2 cli h\n', p.stdout


def test_var_is_a_string():
    root, env = project()
    write(root, 't.tmpl', '{{ n + 1 }}\n')
    p = render(root, env, 't.tmpl', '--var', 'n=5', '--to', '-')
    assert p.returncode == 1
    assert 't.tmpl:1:4: error:' in p.stderr, p.stderr
    assert 'needs numbers' in p.stderr, p.stderr


def test_env_reachable_not_in_root():
    root, env = project()
    write(root, 't.tmpl', '{{ env.GGEN_TEST_VALUE }}\n')
    p = render(root, env, 't.tmpl', '--to', '-')
    assert p.stdout == 'from-env\n', p.stderr
    write(root, 'u.tmpl', '{{ GGEN_TEST_VALUE }}\n')
    p = render(root, env, 'u.tmpl', '--to', '-')
    assert p.returncode == 1
    assert 'u.tmpl:1:4: error: variable `GGEN_TEST_VALUE` is not defined' \
        in p.stderr, p.stderr


def test_write_to_frontmatter_path_only_when_changed():
    root, env = project()
    p = render(root, env, 'templates/s.h.tmpl')
    assert p.returncode == 0, p.stderr
    out = os.path.join(root, 'out', 'demo.h')
    assert p.stdout == 'wrote %s\n' % out, p.stdout
    assert read(root, 'out/demo.h').startswith('#ifndef DEMO_H\n')
    past = 1_000_000_000
    os.utime(out, ns=(past, past))
    os.chmod(out, 0o600)
    p = render(root, env, 'templates/s.h.tmpl')
    assert p.stdout == 'unchanged %s\n' % out, p.stdout
    assert os.stat(out).st_mtime_ns == past, 'identical render not written'
    p = render(root, env, 'templates/s.h.tmpl', '--var', 'extra=x')
    assert p.stdout == 'wrote %s\n' % out, p.stdout
    assert os.stat(out).st_mtime_ns != past
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600, 'mode kept'
    assert [n for n in os.listdir(os.path.dirname(out))] == ['demo.h'], \
        'no temp file left'


def test_to_path_and_json_output():
    root, env = project()
    p = ggenc('--json', 'render', 'templates/s.h.tmpl', '--to', 'x.h',
              env=env, cwd=root)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {'output': 'x.h', 'written': True}
    assert read(root, 'x.h').startswith('#ifndef DEMO_H')


def test_diff():
    root, env = project()
    assert render(root, env, 'templates/s.h.tmpl').returncode == 0
    out = os.path.join(root, 'out', 'demo.h')
    before = read(root, 'out/demo.h')
    p = render(root, env, 'templates/s.h.tmpl', '--var', 'extra=E',
               '--diff')
    assert p.returncode == 0, p.stderr
    assert p.stdout == ('--- %s\n+++ %s (rendered)\n@@ -3,5 +3,5 @@\n'
                        ' \tint id;\n \tchar * title;\n };\n'
                        '-/* 7 5433 1 true none */\n'
                        '+/* 7 5433 1 true E */\n #endif\n'
                        % (out, out)), p.stdout
    assert read(root, 'out/demo.h') == before, '--diff writes nothing'
    p = render(root, env, 'templates/s.h.tmpl', '--diff')
    assert p.returncode == 0 and p.stdout == '', 'no change, no diff'
    os.remove(out)
    p = render(root, env, 'templates/s.h.tmpl', '--diff')
    assert p.stdout.startswith('--- /dev/null\n+++ %s (rendered)\n'
                               '@@ -0,0 +1,7 @@\n+#ifndef DEMO_H\n' % out), \
        p.stdout
    assert not os.path.exists(out)


def test_diff_cap():
    root, env = project()
    write(root, 'big.txt', ''.join('x%d\n' % i for i in range(3000)))
    write(root, 'v.json', json.dumps({'xs': list(range(3000))}))
    write(root, 'big.tmpl', '---\nto: big.txt\n---\n'
          '{% for i in xs %}{{ i }}\n{% endfor %}')
    p = render(root, env, 'big.tmpl', '--vars', 'v.json', '--diff')
    assert p.returncode == 1, p.stdout
    assert 'differ in more than 2000 lines' in p.stderr, p.stderr


def test_inject_modes():
    root, env = project()
    write(root, 'src/main.c', 'int a;\n// MARK\nint b;\n')
    for mode, want in [
            ('after: "^// MARK"', 'int a;\n// MARK\nX\nint b;\n'),
            ('before: "^// MARK"', 'int a;\nX\n// MARK\nint b;\n'),
            ('prepend: true', 'X\nint a;\n// MARK\nint b;\n'),
            ('append: true', 'int a;\n// MARK\nint b;\nX\n'),
            ('at_line: 1', 'int a;\nX\n// MARK\nint b;\n')]:
        write(root, 'src/main.c', 'int a;\n// MARK\nint b;\n')
        write(root, 'inj.tmpl', '---\nto: src/main.c\ninject: true\n%s\n---\n'
              'X\n' % mode)
        p = render(root, env, 'inj.tmpl')
        assert p.returncode == 0, (mode, p.stderr)
        assert read(root, 'src/main.c') == want, (mode, read(root,
                                                             'src/main.c'))
    write(root, 'inj.tmpl', '---\nto: src/main.c\ninject: true\n'
          'skip_if: "^X$"\nappend: true\n---\nX\n')
    p = render(root, env, 'inj.tmpl')
    assert p.returncode == 0 and 'skipped' in p.stdout, p.stdout
    write(root, 'inj.tmpl', '---\nto: src/main.c\ninject: true\n'
          'after: "^nomatch"\n---\nY\n')
    p = render(root, env, 'inj.tmpl')
    assert p.returncode == 1 and 'error:' in p.stderr, p.stderr


def test_unless_exists():
    root, env = project()
    write(root, 'keep.txt', 'mine\n')
    write(root, 'k.tmpl', '---\nto: keep.txt\nunless_exists: true\n---\nnew\n')
    p = render(root, env, 'k.tmpl')
    assert p.returncode == 0 and 'skipped' in p.stdout, p.stdout
    assert read(root, 'keep.txt') == 'mine\n'


def test_to_escaping_root_refused():
    root, env = project()
    outside = mktemp()
    os.symlink(outside, os.path.join(root, 'link'))
    for to, frag in [('../escape.txt', 'escapes the root'),
                     ('/etc/ggen-test', 'is absolute'),
                     ('link/x.txt', 'through a symlink')]:
        write(root, 'e.tmpl', '---\nto: %s\n---\nx\n' % to)
        p = render(root, env, 'e.tmpl')
        assert p.returncode == 1, (to, p.stdout)
        assert p.stderr.startswith('e.tmpl:2:1: error: '), p.stderr
        assert frag in p.stderr, (to, p.stderr)
    assert os.listdir(outside) == []
    assert not os.path.exists(os.path.join(os.path.dirname(root),
                                           'escape.txt'))


def test_errors_and_usage():
    root, env = project()
    write(root, 'bad.tmpl', 'line\n{% if %}\n')
    p = render(root, env, 'bad.tmpl')
    assert p.returncode == 1
    assert p.stderr.startswith('bad.tmpl:2:'), p.stderr
    p = render(root, env, 'missing.tmpl')
    assert p.returncode == 1 and 'missing.tmpl' in p.stderr
    write(root, 'arr.json', '[1]')
    p = render(root, env, 'bad.tmpl', '--vars', 'arr.json')
    assert p.returncode == 1
    assert 'arr.json:1:1: error: --vars wants a JSON object, found array' \
        in p.stderr, p.stderr
    write(root, 'broken.json', '{\n "a": tru }')
    p = render(root, env, 'bad.tmpl', '--vars', 'broken.json')
    assert p.returncode == 1 and p.stderr.startswith('broken.json:2:'), \
        p.stderr
    write(root, 'make.toml', '[vars\n')
    write(root, 'ok.tmpl', 'x\n')
    p = render(root, env, 'ok.tmpl', '--to', '-')
    assert p.returncode == 1 and 'make.toml:1:' in p.stderr, p.stderr
    for args in [(), ('a.tmpl', 'b.tmpl'), ('ok.tmpl', '--var', 'novalue'),
                 ('ok.tmpl', '--bogus'), ('ok.tmpl', '--to'),
                 ('ok.tmpl', '--to', '-', '--diff')]:
        p = render(root, env, *args)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert 'usage: ggenc render' in p.stderr, p.stderr
    write(root, 'make.toml', MAKE)
    p = render(root, env, 'ok.tmpl', '--diff')
    assert p.returncode == 1 and '--diff needs an output' in p.stderr, \
        p.stderr


def test_output_from_phase_templates_entry():
    root, env = project()
    with open(os.path.join(root, 'make.toml'), 'a') as f:
        f.write('\n[lifecycle.generate]\ntemplates = ["templates/**/*.tmpl",'
                ' "extra/x.tmpl:gen/y.txt"]\n')
    write(root, 'templates/sub/plain.c.tmpl', 'int {{ name }};\n')
    write(root, 'extra/x.tmpl', 'y={{ n }}\n')
    p = render(root, env, 'templates/sub/plain.c.tmpl')
    assert p.returncode == 0, p.stderr
    assert p.stdout == 'wrote %s\n' % os.path.join(root, 'sub', 'plain.c'), \
        p.stdout
    assert read(root, 'sub/plain.c') == 'int demo;\n'
    p = render(os.path.join(root, 'extra'), env, 'x.tmpl')
    assert p.returncode == 0, p.stderr
    assert read(root, 'gen/y.txt') == 'y=3\n'


def test_no_frontmatter_prints():
    root, env = project()
    write(root, 'plain.tmpl', 'v={{ n }}')
    p = render(root, env, 'plain.tmpl')
    assert p.returncode == 0 and p.stdout == 'v=3', p.stdout


def test_status_shows_template_cache():
    with Daemon('--set', 'templates.cache_entries=7') as d:
        p = ggenc('--json', 'status', sock=d.sock)
        assert p.returncode == 0, p.stderr
        t = json.loads(p.stdout)['templates']
        assert t['cached'] == 0 and t['hits'] == 0, t
        assert t['max_entries'] == 7, t
        assert t['max_bytes'] == 64 << 20, t
        p = ggenc('status', sock=d.sock)
        assert '  templates 0 compiled, 0 hits, 0 misses\n' in p.stdout, \
            p.stdout


run([test_print_with_toml_types_and_frontmatter_vars,
     test_template_in_subdir_finds_make_toml_upwards,
     test_vars_json_keeps_types_and_var_wins,
     test_var_is_a_string,
     test_env_reachable_not_in_root,
     test_write_to_frontmatter_path_only_when_changed,
     test_to_path_and_json_output,
     test_diff,
     test_diff_cap,
     test_inject_modes,
     test_unless_exists,
     test_to_escaping_root_refused,
     test_errors_and_usage,
     test_output_from_phase_templates_entry,
     test_no_frontmatter_prints,
     test_status_shows_template_cache])
