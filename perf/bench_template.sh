#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Template engine benchmark next to python3-jinja2, in one run:
#   perf/bench_template.sh [BUILDDIR]     (default build-perf, release build)
# Prints each engine's JSON figures (µs per render, cached and uncached),
# checks both produced the same bytes, then counts instructions per render
# with perf/callgrind_template.sh (the figures perf/check gates), and a
# summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=${1:-build-perf}
if [ ! -f "$builddir/build.ninja" ]; then
	meson setup "$builddir" --buildtype=release -Dtests=false >/dev/null
fi
meson compile -C "$builddir" perf/bench_template >/dev/null
bench="$builddir/perf/bench_template"
tmpl=perf/bench_template.tmpl
ctx=perf/bench_template.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bench" "$tmpl" "$ctx" --out "$tmp/ggen.out" | tee "$tmp/ggen.json"
/usr/bin/python3 perf/bench_template_jinja.py "$tmpl" "$ctx" --out "$tmp/jinja.out" |
	tee "$tmp/jinja.json"
if cmp -s "$tmp/ggen.out" "$tmp/jinja.out"; then
	echo "# outputs identical ($(wc -c <"$tmp/ggen.out") bytes)"
else
	echo "# OUTPUTS DIFFER:"; diff "$tmp/ggen.out" "$tmp/jinja.out" | head -20
	exit 1
fi

if command -v valgrind >/dev/null; then
	sh perf/callgrind_template.sh "$builddir" | tee -a "$tmp/ggen.json"
fi
/usr/bin/python3 - "$tmp/ggen.json" "$tmp/jinja.json" <<'PY'
import json, sys
g = {d["figure"]: d for d in map(json.loads, open(sys.argv[1]))}
j = {d["figure"]: d for d in map(json.loads, open(sys.argv[2]))}
for f in ("render_cached", "compile_render_uncached"):
    print("# %-24s ggen %9.2f us   jinja2 %9.2f us   x%.1f" % (
        f, g[f]["median"], j[f]["median"], j[f]["median"] / g[f]["median"]))
PY
