#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run the toml-test TOML 1.0 cases against tests/conformance/toml_decoder.

Usage: toml_test.py DECODER DATA_DIR (tests/conformance/toml-test, a copy of
the upstream data with its LICENSE)

Every path listed in DATA_DIR/tests/files-toml-1.0.0 that ends in
.toml is one TAP case. Valid cases must exit 0, print nothing on stderr and
print tagged JSON equal to the .json next to them under the comparison rules
of DATA_DIR/README.md; invalid cases must exit exactly 1.
Missing data is a failure: the data is part of the repository.
"""
import datetime
import json
import math
import os
import subprocess
import sys

TIMEOUT_S = 5


def is_scalar(v):
    return isinstance(v, dict) and set(v.keys()) == {'type', 'value'}


def parse_dt(kind, s):
    s = s.replace(' ', 'T').replace('t', 'T').replace('z', 'Z')
    if kind == 'date-local':
        return datetime.date.fromisoformat(s)
    frac = 0
    if '.' in s:
        # Keep millisecond precision, as the README says.
        head, rest = s.split('.', 1)
        digits = ''
        i = 0
        while i < len(rest) and rest[i].isdigit():
            digits += rest[i]
            i += 1
        frac = int((digits + '000')[:3])
        s = head + rest[i:]
    if kind == 'time-local':
        t = datetime.time.fromisoformat(s)
        return (t, frac)
    if kind == 'datetime-local':
        return (datetime.datetime.fromisoformat(s), frac)
    if s.endswith('Z'):
        s = s[:-1] + '+00:00'
    d = datetime.datetime.fromisoformat(s)
    return (d.astimezone(datetime.timezone.utc), frac)


def cmp_scalar(path, e, a):
    if e['type'] != a['type']:
        return '%s: type %s, expected %s' % (path, a['type'], e['type'])
    t, ev, av = e['type'], e['value'], a['value']
    if not isinstance(av, str):
        return '%s: value is not a string' % path
    if t in ('string', 'integer'):
        ok = ev == av
    elif t == 'bool':
        ok = ev.lower() == av.lower()
    elif t == 'float':
        ev, av = ev.lower(), av.lower()
        if ev.endswith('nan') or av.endswith('nan'):
            ok = ev.lstrip('+-') == av.lstrip('+-')
        else:
            try:
                ok = float(ev) == float(av)
            except ValueError:
                ok = False
    elif t in ('datetime', 'datetime-local', 'date-local', 'time-local'):
        try:
            ok = parse_dt(t, ev) == parse_dt(t, av)
        except ValueError as ex:
            return '%s: bad %s %r: %s' % (path, t, av, ex)
    else:
        return '%s: unknown type %s' % (path, t)
    return None if ok else '%s: %r != expected %r' % (path, av, ev)


def compare(path, e, a):
    if isinstance(e, dict):
        if not isinstance(a, dict):
            return '%s: expected a table or scalar' % path
        if is_scalar(e) != is_scalar(a):
            return '%s: scalar vs table mismatch' % path
        if is_scalar(e):
            return cmp_scalar(path, e, a)
        if set(e) != set(a):
            return '%s: keys %s, expected %s' % (
                path, sorted(a), sorted(e))
        for k in e:
            r = compare(path + '.' + k, e[k], a[k])
            if r:
                return r
        return None
    if isinstance(e, list):
        if not isinstance(a, list) or len(a) != len(e):
            return '%s: array length differs' % path
        for i, (x, y) in enumerate(zip(e, a)):
            r = compare('%s[%d]' % (path, i), x, y)
            if r:
                return r
        return None
    return '%s: unexpected JSON %r' % (path, e)


def run_case(decoder, base, rel):
    with open(os.path.join(base, rel), 'rb') as f:
        data = f.read()
    try:
        p = subprocess.run([decoder], input=data, capture_output=True,
                           timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return 'timeout'
    if rel.startswith('invalid/'):
        if p.returncode == 1:
            return None
        return 'exit %d on an invalid case' % p.returncode
    if p.returncode != 0:
        return 'exit %d: %s' % (p.returncode,
                                p.stderr.decode('utf-8', 'replace').strip())
    if p.stderr:
        return 'stderr on a valid case: %s' % p.stderr.decode(
            'utf-8', 'replace').strip()
    with open(os.path.join(base, rel[:-5] + '.json'), 'rb') as f:
        expected = json.loads(f.read())
    try:
        actual = json.loads(p.stdout)
    except ValueError as ex:
        return 'output is not JSON: %s' % ex
    return compare('$', expected, actual)


def main():
    decoder, data = sys.argv[1], sys.argv[2]
    base = os.path.join(data, 'tests')
    listing = os.path.join(base, 'files-toml-1.0.0')
    if not os.path.isfile(listing):
        print('1..1')
        print('not ok 1 - toml-test data missing: %s' % listing)
        return 1
    with open(listing) as f:
        cases = [l.strip() for l in f if l.strip().endswith('.toml')]
    print('1..%d' % len(cases))
    failed = 0
    for i, rel in enumerate(cases, 1):
        why = run_case(decoder, base, rel)
        if why is None:
            print('ok %d - %s' % (i, rel))
        else:
            failed += 1
            print('not ok %d - %s: %s' % (i, rel, why))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
