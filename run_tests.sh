#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# mm-suite: build the pinned base kernel with kernel-patches/ applied, run the
# KUnit suites and the VM kselftests, print one verdict. See README.md.
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v python3 >/dev/null 2>&1; then
	echo "run_tests.sh: python3 is required: apt-get install -y python3" >&2
	exit 3
fi
exec python3 "$here/tools/mmsuite/main.py" "$@"
