#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Instructions per render of perf/bench_template.tmpl (the 2 KB
# code-generation template of issue 7), cached (compiled once: the daemon's
# hot path) and uncached (compile + render), counted by callgrind: 110
# renders minus 10 renders, divided by 100, so that start-up and reading
# the inputs cancel out. Prints one JSON line per figure for perf/check.
# Usage: perf/callgrind_template.sh BUILD_DIR
set -eu
build=${1:?usage: callgrind_template.sh BUILD_DIR}
cg=$(mktemp)
trap 'rm -f "$cg"' EXIT

# Total instructions of `bench_template ... --count MODE N`.
count() {
	valgrind --tool=callgrind --callgrind-out-file="$cg" \
		"$build/perf/bench_template" perf/bench_template.tmpl \
		perf/bench_template.json --count "$1" "$2" >/dev/null 2>&1
	sed -n 's/^summary: *//p; s/^totals: *//p' "$cg" | head -n 1
}

for mode in cached uncached; do
	per=$(( ($(count "$mode" 110) - $(count "$mode" 10)) / 100 ))
	printf '{"bench": "template", "figure": "instructions_%s", ' "$mode"
	printf '"unit": "instr/render", "min": %d, "median": %d, ' "$per" "$per"
	printf '"max": %d, "reps": 1}\n' "$per"
done
