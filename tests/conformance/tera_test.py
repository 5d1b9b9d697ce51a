#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run the Tera conformance corpus through `ggenc render`.

Usage: tera_test.py GGENC CASES_JSONL

Every line of CASES_JSONL (tests/conformance/tera/cases.jsonl, recorded from
real Tera; see the LICENSE beside it) is one TAP case, run as the corpus
README says: in a fresh directory the main template is written as
main.tmpl, each entry of `templates` as a file named by its key beside it,
the context as ctx.json, then `ggenc render main.tmpl --vars ctx.json --to -`.
A case with `expected` must exit 0 with exactly that on stdout; an `error`
case must exit non-zero with a message at main.tmpl (or another template of
the case) :line:col on stderr. Missing data fails under CI=true and skips
otherwise.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

TIMEOUT_S = 10
POS = re.compile(r'^(\S+?):(\d+):(\d+): error: ', re.M)


def run_case(ggenc, case):
    with tempfile.TemporaryDirectory(prefix='tera-case-') as d:
        with open(os.path.join(d, 'main.tmpl'), 'w', encoding='utf-8') as f:
            f.write(case['template'])
        for name, src in (case.get('templates') or {}).items():
            path = os.path.join(d, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(src)
        ctx = case.get('context')
        with open(os.path.join(d, 'ctx.json'), 'w', encoding='utf-8') as f:
            json.dump(ctx if ctx is not None else {}, f)
        env = dict(os.environ)
        env.pop('SOURCE_DATE_EPOCH', None)
        env.pop('GGEN_TERA_UNSET_VAR', None)
        try:
            p = subprocess.run([ggenc, 'render', 'main.tmpl', '--vars',
                                'ctx.json', '--to', '-'], cwd=d, env=env,
                               capture_output=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return 'timeout'
    out = p.stdout.decode('utf-8', 'replace')
    err = p.stderr.decode('utf-8', 'replace').strip()
    if case.get('error'):
        if p.returncode == 0:
            return 'rendered %r, Tera refuses: %s' % (out, case['tera_error'])
        if not POS.search(err):
            return 'error without file:line:col: %r' % err
        return None
    if p.returncode != 0:
        return 'exit %d: %s' % (p.returncode, err)
    if out != case['expected']:
        return 'got %r, expected %r' % (out, case['expected'])
    return None


def main():
    ggenc, cases_path = os.path.abspath(sys.argv[1]), sys.argv[2]
    if not os.path.isfile(cases_path):
        if os.environ.get('CI') == 'true':
            print('1..1')
            print('not ok 1 - tera corpus missing: %s' % cases_path)
            return 1
        print('1..0 # SKIP tera corpus missing: %s' % cases_path)
        return 0
    with open(cases_path, encoding='utf-8') as f:
        cases = [json.loads(l) for l in f if l.strip()]
    only = os.environ.get('TERA_CASE')
    if only:
        cases = [c for c in cases if re.search(only, c['name'])]
    print('1..%d' % len(cases))
    failed = 0
    for i, case in enumerate(cases, 1):
        why = run_case(ggenc, case)
        if why is None:
            print('ok %d - %s' % (i, case['name']))
        else:
            failed += 1
            print('not ok %d - %s: %s' % (i, case['name'],
                                          why.replace('\n', '\\n')))
    print('# %d/%d passed' % (len(cases) - failed, len(cases)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
