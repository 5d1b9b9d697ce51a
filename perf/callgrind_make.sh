#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Instructions per make_parse_buffer call (F1 and the 200-phase document),
# counted by callgrind: run N1 and N2 calls, divide the difference by N2-N1
# so start-up and file reading cancel out. Prints one JSON line per figure.
# Usage: perf/callgrind_make.sh BUILD_DIR [SHARED_DIR]
set -eu
build=${1:?usage: callgrind_make.sh BUILD_DIR [SHARED_DIR]}
shift
shared=${1:-}
bench="$build/perf/bench_make"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n1=10
n2=110

instr() {
	valgrind --tool=callgrind --callgrind-out-file="$tmp/out" \
		"$bench" --only "$1" --calls "$2" $shared >/dev/null 2>"$tmp/log"
	sed -n 's/^summary: *//p; s/^totals: *//p' "$tmp/out" | head -n 1
}

for doc in f1 gen200; do
	a=$(instr "$doc" "$n1")
	b=$(instr "$doc" "$n2")
	echo "{\"bench\": \"make\", \"figure\": \"instructions_$doc\"," \
		"\"unit\": \"instr/call\", \"min\": $(( (b - a) / (n2 - n1) ))," \
		"\"median\": $(( (b - a) / (n2 - n1) ))," \
		"\"max\": $(( (b - a) / (n2 - n1) )), \"reps\": 1}"
done
