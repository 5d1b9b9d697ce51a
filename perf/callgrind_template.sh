#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Instructions per render of perf/bench_template.tmpl (the 2 KB
# code-generation template of issue 7), cached (compiled once: the daemon's
# hot path) and uncached (compile + render), counted by callgrind: run N1
# and N2 renders, divide the difference by N2-N1 so start-up and reading
# the inputs cancel out. Prints one JSON line per figure for perf/check.
# Usage: perf/callgrind_template.sh BUILD_DIR
set -eu
build=${1:?usage: callgrind_template.sh BUILD_DIR}
bench="$build/perf/bench_template"
tmpl=perf/bench_template.tmpl
ctx=perf/bench_template.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n1=10
n2=110

instr() {
	valgrind --tool=callgrind --callgrind-out-file="$tmp/out" \
		"$bench" "$tmpl" "$ctx" --count "$1" "$2" >/dev/null 2>"$tmp/log"
	sed -n 's/^summary: *//p; s/^totals: *//p' "$tmp/out" | head -n 1
}

for mode in cached uncached; do
	a=$(instr "$mode" "$n1")
	b=$(instr "$mode" "$n2")
	per=$(( (b - a) / (n2 - n1) ))
	echo "{\"bench\": \"template\", \"figure\": \"instructions_$mode\"," \
		"\"unit\": \"instr/render\", \"min\": $per, \"median\": $per," \
		"\"max\": $per, \"reps\": 1}"
done
