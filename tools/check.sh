#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The project's own tests (README "Test the project"; .ci/run calls this):
#   1. set-up: host packages and the pinned base tree (run_tests.sh --prepare-only)
#   2. the runner's unit tests: parsers on golden logs, exit codes, bad input,
#      the tree-safety rules (no run discards a commit or an edit)
#   3. the series: applies with git am, test sources match it, checkpatch --strict
#   4. the real suite on UML and x86_64 (KUnit + kselftests in the VM)
#   5. every patch of the series builds on its own, without warnings
#      (x86_64; commits verified before are skipped by id); the whole series
#      builds what it touches on the configurations of series.py's MATRIX
#      (ppc64le, x86_64 Xen PV, riscv64, sparc64, arm64 16K and 64K pages,
#      x86_64 without THP / SWAP / USERFAULTFD), W=1, no warning that the
#      base does not have in the same configuration
#   6. the modes end to end on x86_64 (cheap once 4 and 5 have built: they
#      share the suite's worktree, so their builds are mostly ccache hits):
#      --no-series must reach the VM and give the base's verdicts (exit 1);
#      --gate with a comment-only series must report no change and exit 0;
#      a bug put into patch 0008 must be named by git bisect run
#      tools/bisect-step over the whole series
#   7. mutation testing: the CI subset of mutants/ (CI: yes), each built on
#      the series and run against the tests it names, must be killed;
#      verdicts are cached per (mutant, series, tests)
# With --full, step 7 runs the whole catalog (x86_64 and arm64).
# Exit 0 only if all of them pass. Times of each step are printed.
set -u
full=
case "${1:-}" in
--full) full=1 ;;
"") ;;
*) echo "usage: tools/check.sh [--full]" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 2
rc=0
step() {
	name=$1
	shift
	t0=$(date +%s)
	echo "=== check: $name"
	"$@"
	r=$?
	echo "=== check: $name: exit $r after $(( $(date +%s) - t0 )) s"
	if [ "$r" -ne 0 ] && [ "$rc" -eq 0 ]; then
		rc=$r
	fi
	return "$r"
}
step setup ./run_tests.sh --arch "${MMSUITE_CHECK_ARCH:-um,x86_64}" --prepare-only || exit "$rc"
step unit python3 -m unittest discover -s tools/tests -t . -v
step series python3 tools/series.py check
step suite ./run_tests.sh --arch "${MMSUITE_CHECK_ARCH:-um,x86_64}"
step build-each python3 tools/series.py build-each
step build-matrix python3 tools/series.py build-matrix
step no-series python3 tools/check-modes.py no-series
step gate ./run_tests.sh --arch x86_64 --no-kunit --gate tools/tests/gate-noop
step bisect python3 tools/check-modes.py bisect
if [ -n "$full" ]; then
	step mutants ./run_tests.sh --arch x86_64,arm64 --mutants
else
	step mutants ./run_tests.sh --arch x86_64 --mutants @ci
fi
echo "=== check: overall exit $rc"
exit "$rc"
