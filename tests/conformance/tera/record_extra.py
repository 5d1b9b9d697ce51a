#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Record cases-extra.jsonl from real Tera: behaviour the shared corpus
(cases.jsonl) does not cover, found while building ggen's engine (issue 13).

Usage: record_extra.py --oracle PATH/tera-oracle/target/release/tera-oracle

The oracle is the development tool described in the corpus README (real
Tera 1.17.1 built offline from Debian's crates); it is not needed to run
the test. Every output or error below is recorded from it, never typed.
Same line format as cases.jsonl."""
import argparse
import json
import os
import subprocess

CTX = {"n": 3, "f": 2.5, "s": "Hello World", "xs": [3, 1, 2], "e": [],
       "m": {"b": 1, "a": 2}, "t": True, "z": None, "neg": -7,
       "ppl": [{"n": "a", "g": 1}, {"n": "c"}, {"n": "b", "g": 2},
               {"n": "d", "g": None}]}
MACROS = {"p": "text {% macro x(a=1) %}X{{ a }}{% endmacro x %}"}

CASES = [
    ("test_odd_float", "{{ n is odd }} {{ f is odd }} {{ f is even }}"),
    ("num_modulo_by_zero", "{{ n % 0 }}"),
    ("num_float_display", "{{ 0.1 * 3 }} {{ 1 / 3 }} {{ f * 2 }}"),
    ("num_negative_modulo", "{{ neg % 3 }}"),
    ("arr_nth_out_of_range", "[{{ xs | nth(n=9) }}]"),
    ("arr_first_empty", "[{{ e | first }}][{{ e | last }}]"),
    ("arr_map_skips_missing_and_null",
     "{{ ppl | map(attribute='g') | json_encode }}"),
    ("arr_filter_without_value", "{{ ppl | filter(attribute='g') | length }}"),
    ("arr_group_by_skips_null",
     "{{ ppl | group_by(attribute='g') | json_encode }}"),
    ("arr_sort_missing_attribute", "{{ ppl | sort(attribute='g') | length }}"),
    ("tag_concat_bool", "{{ s ~ t }}"),
    ("tag_concat_array", "{{ xs ~ 'x' }}"),
    ("tag_concat_null", "{{ 'a' ~ z }}"),
    ("tag_concat_numbers", "{{ s ~ 1 ~ 2.5 }}"),
    ("tag_filter_then_concat", "{{ s | lower ~ '!' }}"),
    ("tag_not_parens", "{% if not (n == 2) %}y{% endif %}"),
    ("tag_parens_arith", "{{ (n + 1) * 2 }}"),
    ("tag_negate_space", "{{ - 2 * 3 }}"),
    ("tag_in_checks", "{{ 'l' in s }} {{ 1 in xs }} {{ 'a' in m }} "
     "{{ 'q' not in s }}"),
    ("tag_set_in_loop_scope", "{% set x = 1 %}{% for i in xs %}{% set x = i %}"
     "{% endfor %}{{ x }}"),
    ("tag_set_global_in_loop", "{% set_global x = 1 %}{% for i in xs %}"
     "{% set_global x = i %}{% endfor %}{{ x }}"),
    ("fn_range_start_after_end", "{{ range(start=5, end=3) | length }}"),
    ("fn_range_negative_end", "{{ range(end=-3) | length }}"),
    ("date_space_separator", "{{ '2024-06-15 10:00:00' | date }}"),
    ("date_fraction", "{{ '2024-06-15T10:00:00.123456789Z' | "
     "date(format='%f %.3f') }}"),
    ("date_rfc3339_tz_abbrev", "{{ '2024-02-29T23:59:58+05:30' | "
     "date(format='%Z') }}"),
    ("date_week_numbers", "{{ 1718454600 | date(format='%U %W %j', "
     "timezone='America/New_York') }}"),
    ("date_naive_ignores_timezone", "{{ '2024-06-15T08:05:09' | "
     "date(format='%H %Z', timezone='Europe/Berlin') }}"),
    ("date_unknown_timezone", "{{ 0 | date(timezone='Nope/Zone') }}"),
    ("macro_only_template_rendered", "{% macro x() %}{% endmacro x %}"),
]
MULTI = [
    ("macro_import_with_text", "{% import 'p' as p %}{{ p::x(a=2) }}",
     MACROS),
    ("macro_include_of_macro_file", "{% include 'p' %}", MACROS),
    ("include_set_stays_inside", "{% set v = 0 %}{% include 'p' %}{{ v }}",
     {"p": "{% set v = 1 %}{{ v }}"}),
    ("include_set_not_visible_after", "{% include 'p' %}{{ v }}",
     {"p": "{% set v = 1 %}"}),
    ("include_sees_loop", "{% for x in xs %}{% include 'p' %}{% endfor %}",
     {"p": "{{ loop.index }}{{ x }}"}),
    ("include_of_extending_template", "{% include 'p' %}",
     {"p": "{% extends 'base' %}{% block b %}P{% endblock b %}",
      "base": "<{% block b %}{% endblock b %}>"}),
    ("include_in_filter_section",
     "{% filter upper %}{% include 'p' %}{% endfilter %}",
     {"p": "lo {{ s }}"}),
    ("extends_nested_blocks_super",
     "{% extends 'base' %}{% block inner %}X{{ super() }}{% endblock inner %}",
     {"base": "<{% block a %}A{% block inner %}I{% endblock inner %}"
      "{% endblock a %}>"}),
    ("extends_outer_block_wins",
     "{% extends 'base' %}{% block a %}Y{% endblock a %}"
     "{% block inner %}Z{% endblock inner %}",
     {"base": "<{% block a %}A{% block inner %}I{% endblock inner %}"
      "{% endblock a %}>"}),
    ("extends_block_with_include",
     "{% extends 'base' %}{% block b %}{% include 'p' %}{% endblock b %}",
     {"base": "<{% block b %}{% endblock b %}>", "p": "[{{ n }}]"}),
    ("macro_self_and_nested_import", "{% import 'm' as m %}{{ m::a() }}",
     {"m": "{% import 'k' as k %}{% macro a() %}{{ self::b() }}{{ k::c() }}"
      "{% endmacro a %}{% macro b() %}B{% endmacro b %}",
      "k": "{% macro c() %}C{% endmacro c %}"}),
    ("macro_result_is_a_string",
     "{% import 'm' as m %}{% set r = m::a(x=2) %}{{ r }}{{ r | length }}",
     {"m": "{% macro a(x) %}{{ x * 2 }}{% endmacro a %}"}),
    ("macro_no_loop_of_caller",
     "{% import 'm' as m %}{% for i in xs %}{{ m::a(x=i) }}{% endfor %}",
     {"m": "{% macro a(x) %}{{ loop.index | default(value='-') }}{{ x }}"
      "{% endmacro a %}"}),
]


def record(oracle, name, template, templates=None):
    req = {"template": template, "context": CTX}
    if templates:
        req["templates"] = templates
    p = subprocess.run([oracle], input=json.dumps(req).encode(),
                       capture_output=True)
    case = {"name": name, "template": template, "context": CTX}
    if templates:
        case["templates"] = templates
    out = p.stdout.decode('utf-8')
    if p.returncode == 0:
        case["expected"] = out
    elif p.returncode == 2:
        case["error"] = True
        case["tera_error"] = out[len('ERROR: '):].strip()
    else:
        raise SystemExit('%s: oracle exit %d' % (name, p.returncode))
    return case


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--oracle', required=True)
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, 'cases-extra.jsonl'), 'w') as f:
        for name, t in CASES:
            f.write(json.dumps(record(args.oracle, name, t),
                               ensure_ascii=False) + '\n')
        for name, t, tpls in MULTI:
            f.write(json.dumps(record(args.oracle, name, t, tpls),
                               ensure_ascii=False) + '\n')


if __name__ == '__main__':
    main()
