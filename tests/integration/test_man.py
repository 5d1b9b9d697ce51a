#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Manual pages and shell completions (issue 18 items 1 and 2).

The pages render without a warning (`groff -man -ww`); ggenc(1) holds
every command and option that `ggenc help` and `ggenc CMD --help` list,
ggend.toml(5) every setting of `ggend --help-config`, ggend(8) every
option of `ggend --help`. The bash completion is sourced and driven as
bash-completion does (COMP_WORDS, COMP_CWORD, then COMPREPLY); the zsh and
fish ones are loaded by their shells and asked. `meson install` into a
DESTDIR holds binaries, pages, completions and the systemd user units."""
import os
import re
import shutil
import subprocess

from harness import GGENC, GGEND, ggenc, mktemp, run

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, '..', '..'))
BUILD = os.path.dirname(GGENC)
DOC = os.path.join(BUILD, 'doc')       # generated pages and completions


def pages():
    out = [os.path.join(DOC, 'ggenc.1'), os.path.join(DOC, 'ggend.toml.5'),
           os.path.join(SRC, 'doc', 'ggend.8')]
    # make.toml(5) is written by hand in doc/ when the make.toml manual
    # lands; it is checked like the others then.
    mt = os.path.join(SRC, 'doc', 'make.toml.5')
    if os.path.exists(mt):
        out.append(mt)
    return out


def troff(s):
    return s.replace('-', '\\-')


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def test_pages_render_without_warnings():
    for page in pages():
        p = subprocess.run(['groff', '-man', '-ww', '-z', page],
                           capture_output=True, text=True)
        assert p.returncode == 0 and p.stderr == '', (page, p.stderr)
        # and into text with the sections a man page has
        p = subprocess.run(['groff', '-man', '-Tutf8', '-P-cbou', page],
                           capture_output=True, text=True, check=True)
        for sec in ('NAME', 'DESCRIPTION', 'SEE ALSO'):
            assert '\n' + sec + '\n' in p.stdout, (page, sec)


def test_ggenc_page_matches_command_table():
    page = read(os.path.join(DOC, 'ggenc.1'))
    out = ggenc('help').stdout
    names = re.findall(r'^  ([a-z]\S*)', out.split('Commands', 1)[1]
                       .split('Global options', 1)[0], re.M)
    assert 'init' in names and 'restart' in names, names
    # the hidden helpers are not documented
    body = '\n'.join(l for l in page.splitlines() if not l.startswith('.\\"'))
    assert '__man' not in body and '__complete' not in body
    sections = re.findall(r'^\.SS "([a-z][^" ]*)', page, re.M)
    assert sections == names, (sections, names)
    for name in names:
        h = ggenc(name, '--help').stdout
        opts = re.findall(r'^  (?:-\w, )?(--[a-z-]+)', h.split(
            'Options:', 1)[1], re.M) if 'Options:' in h else []
        block = page.split('.SS "%s' % name, 1)[1].split('.SS ', 1)[0]
        for o in opts:
            assert troff(o) in block, (name, o)
        ex = h.split('Example:\n', 1)[1].split('\n\n', 1)[0]
        for line in ex.splitlines():
            assert troff(line.strip()) in block, (name, line)
    for o in ('--json', '--socket', '--no-start'):
        assert troff(o) in page, o


def test_ggend_toml_page_matches_config_table():
    page = read(os.path.join(DOC, 'ggend.toml.5'))
    p = subprocess.run([GGEND, '--help-config=man'], capture_output=True,
                       text=True, check=True)
    assert p.stdout == page      # the installed page is today's table
    keys = re.findall(r'^([a-z_]+\.[a-z_.]+) \(', subprocess.run(
        [GGEND, '--help-config'], capture_output=True, text=True,
        check=True).stdout, re.M)
    assert len(keys) >= 15, keys
    documented = re.findall(r'^\.B (\S+)\n\(', page, re.M)
    assert documented == [troff(k) for k in keys], (documented, keys)
    assert 'restart to change' in page


def test_ggend_page_has_every_option():
    page = read(os.path.join(SRC, 'doc', 'ggend.8'))
    help_text = subprocess.run([GGEND, '--help'], capture_output=True,
                               text=True, check=True).stdout
    opts = set(re.findall(r'(--[a-z][a-z-]*)', help_text))
    assert '--foreground' in opts and '--help-config' in opts, opts
    for o in sorted(opts):
        assert troff(o) in page, o


def bash_complete(words, cwd):
    """Source the bash completion, call _ggenc with COMP_WORDS and
    COMP_CWORD for words (the last one being completed), return
    COMPREPLY."""
    script = ('source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\nCOMPREPLY=()\n'
              '_ggenc\nprintf "%%s\\n" "${COMPREPLY[@]}"\n'
              % (os.path.join(DOC, 'ggenc'),
                 ' '.join("'%s'" % w for w in words), len(words) - 1))
    env = dict(os.environ)
    env['PATH'] = BUILD + ':' + env['PATH']
    p = subprocess.run(['bash', '--norc', '--noprofile', '-c', script],
                       capture_output=True, text=True, cwd=cwd, env=env)
    assert p.returncode == 0 and p.stderr == '', p.stderr
    return [l for l in p.stdout.splitlines() if l]


def project():
    root = os.path.join(mktemp(), 'p')
    os.makedirs(os.path.join(root, 'src'))
    with open(os.path.join(root, 'make.toml'), 'w') as f:
        f.write('[project]\nname = "p"\n[lifecycle.build]\ncommand = '
                '"true"\n[lifecycle.bench]\ncommand = "true"\n'
                '[lifecycle.test]\ncommand = "true"\n')
    return root


def test_bash_completion():
    root = project()
    sub = os.path.join(root, 'src')
    assert bash_complete(['ggenc', 'st'], root) == ['status', 'stats']
    assert bash_complete(['ggenc', 'in'], root) == ['init']
    assert bash_complete(['ggenc', 'logs', '1', '--f'], root) == ['--follow']
    assert bash_complete(['ggenc', '--js'], root) == ['--json']
    assert '--short' in bash_complete(['ggenc', 'status', '--'], root)
    # phases of the current root, found from a subdirectory too
    assert bash_complete(['ggenc', 'run', ''], root) == \
        ['bench', 'build', 'test']
    assert bash_complete(['ggenc', 'run', 'b'], sub) == ['bench', 'build']
    assert bash_complete(['ggenc', 'history', 't'], root) == ['test']
    # another root named by --root
    assert bash_complete(['ggenc', 'run', '--root', root, 'te'],
                         mktemp()) == ['test']
    assert bash_complete(['ggenc', 'help', 'ru'], root) == ['run', 'runs']
    assert bash_complete(['ggenc', 'config', ''], root) == ['get', 'set']
    # an option's value: directories for --root
    assert bash_complete(['ggenc', 'run', '--root', 's'], root) == ['src']
    # the hidden helpers are never offered
    assert bash_complete(['ggenc', '__'], root) == []
    # a short option's value is a value, as its long form's: -e NAME
    # offers no phase, and the word after it is not taken for one
    assert bash_complete(['ggenc', 'run', '-e', ''], root) == []
    assert bash_complete(['ggenc', 'run', '--env', ''], root) == []
    assert bash_complete(['ggenc', 'run', '-e', 'prod', 'te'], root) == \
        ['test']
    # --color's values
    assert bash_complete(['ggenc', '--color', ''], root) == \
        ['auto', 'always', 'never']
    assert bash_complete(['ggenc', 'history', '--colour', 'n'], root) == \
        ['never']


def test_complete_phases_helper():
    root = project()
    p = ggenc('__complete', 'phases', os.path.join(root, 'src'),
              sock='/nonexistent/x.sock')
    assert (p.returncode, p.stdout) == (0, 'bench\nbuild\ntest\n'), p
    p = ggenc('__complete', 'phases', mktemp(), sock='/nonexistent/x.sock')
    assert (p.returncode, p.stdout) == (1, ''), p


def test_zsh_and_fish_completion():
    root = project()
    env = dict(os.environ)
    env['PATH'] = BUILD + ':' + env['PATH']
    zsh = os.path.join(DOC, '_ggenc')
    p = subprocess.run(['zsh', '-n', zsh], capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == '', p.stderr
    p = subprocess.run(['zsh', '-f', '-c', 'autoload -U compinit; '
                        'compinit -u -d %s/zcomp; source %s; '
                        'print -r -- $_comps[ggenc]' % (mktemp(), zsh)],
                       capture_output=True, text=True, env=env)
    assert p.stdout.strip() == '_ggenc', (p.stdout, p.stderr)
    fish = os.path.join(DOC, 'ggenc.fish')

    def fish_complete(line):
        p = subprocess.run(['fish', '--no-config', '-c',
                            'source %s; complete -C %s' % (fish, "'%s'" %
                                                           line)],
                           capture_output=True, text=True, cwd=root, env=env)
        assert p.returncode == 0 and p.stderr == '', p.stderr
        return [l.split('\t')[0] for l in p.stdout.splitlines()]

    assert fish_complete('ggenc run ') == ['bench', 'build', 'test']
    assert 'restart' in fish_complete('ggenc re')
    assert fish_complete('ggenc logs 1 --fo') == ['--follow']
    assert sorted(fish_complete('ggenc --color ')) == \
        ['always', 'auto', 'never']


def test_meson_install_destdir():
    dest = mktemp()
    p = subprocess.run(['meson', 'install', '-C', BUILD, '--no-rebuild',
                        '--quiet', '--destdir', dest],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    got = set()
    for d, _, files in os.walk(dest):
        for f in files:
            got.add(os.path.relpath(os.path.join(d, f), dest))

    def has(suffix):
        hits = [g for g in got if g.endswith(suffix)]
        assert hits, (suffix, sorted(got))
        return os.path.join(dest, hits[0])

    for suffix in ('bin/ggend', 'bin/ggenc', 'man/man1/ggenc.1',
                   'man/man5/ggend.toml.5', 'man/man8/ggend.8',
                   'bash-completion/completions/ggenc',
                   'zsh/vendor-completions/_ggenc',
                   'fish/vendor_completions.d/ggenc.fish',
                   'lib/systemd/user/ggend.service',
                   'lib/systemd/user/ggend.socket'):
        has(suffix)
    if os.path.exists(os.path.join(SRC, 'doc', 'make.toml.5')):
        has('man/man5/make.toml.5')
    assert read(has('man/man1/ggenc.1')) == read(os.path.join(DOC,
                                                                'ggenc.1'))
    shutil.rmtree(dest)


if __name__ == '__main__':
    run([test_pages_render_without_warnings,
         test_ggenc_page_matches_command_table,
         test_ggend_toml_page_matches_config_table,
         test_ggend_page_has_every_option,
         test_bash_completion,
         test_complete_phases_helper,
         test_zsh_and_fish_completion,
         test_meson_install_destdir])
