#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Benchmark (not a test): khugepaged collapse to mTHP sizes of memory
faulted in as base pages, per size, all sizes below PMD size at once, and
all sizes on a sparse layout; two kernels booted in one run.

  tools/bench-collapse.py [--arch x86_64|arm64] [--mib 1024] [--reps 5]
                          [--base-rev REV]

"patched" is the whole series. "base" is, with --base-rev, the series as
this repo had it at git revision REV (to measure a change to the collapse
patches), else the series up to the mTHP collapse patch, which collapses
nothing below PMD size (its rows then say "left kB" = everything).
Each kernel boots once and runs tools/guest/collapse_bench.c. Prints
medians and IQRs per case, writes bench-collapse.json in the results
directory. Under TCG the absolute times are the emulator's.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mmsuite'))

import abbench  # noqa: E402

FIRST_PATCH = '-mm-khugepaged-collapse-anonymous-memory-to-every'


def main():
    ap = abbench.arg_parser(__doc__)
    ap.add_argument('--mib', type=int, default=1024)
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--base-rev', help='git revision of this repo whose series is "base"')
    a = ap.parse_args()
    res, ktaps = abbench.run('collapse', a.arch, FIRST_PATCH, 'collapse_bench',
                             [a.mib, a.reps], 7200, a.mib + 2048, a.jobs,
                             base_rev=a.base_rev)
    abbench.report(res, 'collapse', ktaps, {'arch': a.arch, 'mib': a.mib,
                                            'base_rev': a.base_rev})
    return 0


if __name__ == '__main__':
    abbench.main(main)
