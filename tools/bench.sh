#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark of the default run (UML KUnit + x86_64 KUnit + x86_64 VM
# kselftests). Not a test: it prints wall times for the note / README.
#
#   tools/bench.sh warm   touch one mm/ file in the cached tree, rerun
#   tools/bench.sh cold   empty cache (own build dirs and ccache; the
#                         downloaded base tarball is reused), full run
#   tools/bench.sh noop   rerun with nothing changed
#
# Results are appended to $MMSUITE_CACHE/bench.txt.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-warm}
arch=${MMSUITE_BENCH_ARCH:-um,x86_64}
cache=${MMSUITE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mm-suite}
tree=$cache/src/linux-6.12.117-deb
record=$cache/bench.txt
case "$mode" in
warm)
	[ -d "$tree" ] || { echo "bench: no cached tree; run ./run_tests.sh first" >&2; exit 2; }
	touch "$tree/mm/madvise.c"
	;;
cold)
	cold=$(mktemp -d "${TMPDIR:-/tmp}/mm-suite-cold.XXXXXX")
	mkdir -p "$cold/dl"
	[ -f "$cache/dl/linux-source-6.12.tar.xz" ] && cp "$cache/dl/linux-source-6.12.tar.xz" "$cold/dl/"
	cache=$cold
	export MMSUITE_CACHE=$cold
	;;
noop) ;;
*) echo "usage: $0 warm|cold|noop" >&2; exit 2 ;;
esac
t0=$(date +%s)
"$here/run_tests.sh" --arch "$arch" --results-dir "$cache/results/bench-$mode"
rc=$?
t=$(( $(date +%s) - t0 ))
line="$(date -u +%Y-%m-%dT%H:%MZ) mode=$mode arch=$arch exit=$rc seconds=$t"
echo "bench: $line"
echo "$line" >> "$record"
# Keep a failed cold run's logs for inspection.
if [ "$mode" = cold ]; then
	if [ "$rc" -eq 0 ]; then rm -rf "$cold"; else echo "bench: logs kept in $cold"; fi
fi
exit "$rc"
