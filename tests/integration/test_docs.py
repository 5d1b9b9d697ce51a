#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""protocol/PROTOCOL.md must not drift from the tables: every error code,
every command and every client.* setting is documented; every ggenc command
appears in `ggenc help`."""
import os
import re
import subprocess

from harness import GGEND, GGENC, run

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')


def read(rel):
    with open(os.path.join(ROOT, rel), encoding='utf-8') as f:
        return f.read()


def test_error_codes_documented():
    codes = re.findall(r'ERR_ROW\(GERR_\w+,\s*"([a-z_]+)"', read(
        'protocol/errors.c'))
    assert len(codes) >= 30, codes
    doc = read('protocol/PROTOCOL.md')
    missing = [c for c in codes if '| `%s` |' % c not in doc]
    assert not missing, missing


def test_commands_documented():
    names = re.findall(r'\.name = "([a-z_.]+)"', read('protocol/commands.c'))
    assert 'status' in names, names
    doc = read('protocol/PROTOCOL.md')
    missing = [n for n in names if '### `%s`' % n not in doc]
    assert not missing, missing


def test_limits_documented():
    out = subprocess.run([GGEND, '--help-config'], capture_output=True,
                         text=True, check=True).stdout
    keys = re.findall(r'^(client\.\S+) ', out, re.M)
    assert keys, out
    doc = read('protocol/PROTOCOL.md')
    missing = [k for k in keys if '| `%s` |' % k not in doc]
    assert not missing, missing


def test_help_lists_commands():
    src = read('client/cmd_table.c')
    # hidden helpers (`__man`, `__complete`) are left out of help
    names = [n for n in re.findall(r'&cmd_(\w+)_entry', src)
             if 'CMD_HIDDEN' not in read('client/cmd_%s.c' % n)]
    out = subprocess.run([GGENC, 'help'], capture_output=True, text=True,
                         check=True).stdout
    for n in names:
        assert re.search(r'^  %s ' % n, out, re.M), (n, out)


if __name__ == '__main__':
    run([test_error_codes_documented, test_commands_documented,
         test_limits_documented, test_help_lists_commands])
