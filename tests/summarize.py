#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Count individual test cases from meson's testlog.json.

Every ggen test speaks TAP, so a test executable holds many cases. Meson's own
summary counts executables; CI wants cases. For each test in the log we count
its "ok"/"not ok" lines; a test that failed (crash, timeout, sanitizer report
after the last case) without any "not ok" line counts one extra failure, and a
test that printed no TAP at all counts as one case by its result.

Several logs (e.g. the ASan run and the valgrind run) add up into one count.
Prints exactly one line: "N passed, N failed" (", N skipped" when any).
Exit status: 0 when everything passed and at least one case ran, else 1.
"""
import json
import re
import sys

OK = re.compile(r'^ok\b(.*)$')
NOT_OK = re.compile(r'^not ok\b(.*)$')


def count(entry):
    passed = failed = skipped = 0
    out = entry.get('stdout') or ''
    for line in out.splitlines():
        line = line.strip()
        m = NOT_OK.match(line)
        if m:
            if re.search(r'#\s*TODO', m.group(1), re.I):
                skipped += 1
            else:
                failed += 1
            continue
        m = OK.match(line)
        if m:
            if re.search(r'#\s*SKIP', m.group(1), re.I):
                skipped += 1
            else:
                passed += 1
    result = entry.get('result', 'ERROR')
    bad = result not in ('OK', 'SKIP', 'EXPECTEDFAIL')
    if passed + failed + skipped == 0:
        if result == 'SKIP':
            skipped += 1
        elif bad:
            failed += 1
        else:
            passed += 1
    elif bad and failed == 0:
        failed += 1
    return passed, failed, skipped


def main():
    paths = sys.argv[1:] or ['build/meson-logs/testlog.json']
    totals = [0, 0, 0]
    failures = []
    for path in paths:
        try:
            with open(path, encoding='utf-8', errors='replace') as f:
                lines = f.readlines()
        except OSError as e:
            print('cannot read %s: %s' % (path, e), file=sys.stderr)
            totals[1] += 1
            continue
        for line in lines:
            line = line.strip()
            if not line:
                continue
            entry = json.loads(line)
            p, fl, s = count(entry)
            totals[0] += p
            totals[1] += fl
            totals[2] += s
            if fl:
                failures.append('%s (%d)' % (entry.get('name'), fl))
    if failures:
        print('failing tests: ' + ', '.join(failures), file=sys.stderr)
    summary = '%d passed, %d failed' % (totals[0], totals[1])
    if totals[2]:
        summary += ', %d skipped' % totals[2]
    print(summary)
    return 0 if totals[1] == 0 and totals[0] > 0 else 1


if __name__ == '__main__':
    sys.exit(main())
