#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The peer of bench_template: python3-jinja2 rendering the same template
with the same context, printing the same JSON figures.

Usage: bench_template_jinja.py TMPL JSON [--out FILE]

jinja2 has no snake/constant/camel/pascal filters: they are registered here
with the same word-splitting rule as ggen's (common/template_filters.c), and
Tera's `default(value=...)` is spelled `default(...)`. The script checks
nothing; perf/bench_template.sh compares both outputs byte for byte.
"""
import json
import re
import statistics
import sys
import time

import jinja2

WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z]+[0-9]*")


def words(s):
    out = []
    for chunk in re.split(r"[^A-Za-z0-9]+", s):
        out.extend(WORD.findall(chunk))
    return out


def snake(s):
    return "_".join(w.lower() for w in words(s))


def constant(s):
    return "_".join(w.upper() for w in words(s))


def pascal(s):
    return "".join(w[:1].upper() + w[1:].lower() for w in words(s))


def camel(s):
    p = pascal(s)
    ws = words(s)
    return ws[0].lower() + p[len(ws[0]):] if ws else ""


def main():
    tmpl_path, json_path = sys.argv[1], sys.argv[2]
    src = open(tmpl_path, encoding="utf-8").read()
    src = src.replace("default(value=", "default(")
    ctx = json.load(open(json_path, encoding="utf-8"))
    env = jinja2.Environment(keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters.update(snake=snake, constant=constant, pascal=pascal,
                       camel=camel)

    def figure(name, fn, per_rep, reps=31):
        for _ in range(per_rep):
            fn()
        us = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(per_rep):
                out = fn()
            us.append((time.perf_counter() - t0) * 1e6 / per_rep)
        us.sort()
        print(json.dumps({"bench": "template_jinja2", "figure": name,
                          "unit": "us", "min": round(us[0], 3),
                          "median": round(statistics.median(us), 3),
                          "max": round(us[-1], 3), "reps": reps,
                          "per_rep": per_rep, "output_bytes": len(out)}))

    compiled = env.from_string(src)
    figure("render_cached", lambda: compiled.render(**ctx), 200)
    # Uncached: a fresh environment each time, so jinja2's own template
    # cache cannot help (ggen's uncached figure compiles every time too).
    def uncached():
        e = jinja2.Environment(keep_trailing_newline=True,
                               undefined=jinja2.StrictUndefined)
        e.filters.update(env.filters)
        return e.from_string(src).render(**ctx)
    figure("compile_render_uncached", uncached, 20)
    if len(sys.argv) >= 4 and sys.argv[3] == "--out":
        with open(sys.argv[4], "w", encoding="utf-8") as f:
            f.write(compiled.render(**ctx))


if __name__ == "__main__":
    main()
