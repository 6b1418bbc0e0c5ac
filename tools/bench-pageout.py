#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Benchmark (not a test): MADV_PAGEOUT of anonymous memory backed by 64 kB
folios (and 4 kB pages, which must not regress), with and without the
batched unmap of anonymous large folios, both kernels booted in one run.

  tools/bench-pageout.py [--arch x86_64|arm64] [--mib 256] [--reps 7]
                         [--sizes 64,4] [--base-rev REV]

"base" is the series up to the first batched-unmap patch, or with
--base-rev the whole series as that revision of the repo has it; "patched"
is the whole series (tools/mmsuite/abbench.py). Each kernel boots once and runs
tools/guest/pageout_bench.c: write MiB with zeroes, time MADV_PAGEOUT to
zram, per folio size and repetition. Prints medians, patched/base change
and ratio; writes bench-pageout.json in the results directory. Under TCG
the absolute times are the emulator's; compare the ratio.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mmsuite'))

import abbench  # noqa: E402

# The first patch of the batched unmap: "base" stops before it.
FIRST_PATCH = '-mm-rmap-move-the-hugetlb-case-of-try_to_unmap'


def main():
    ap = abbench.arg_parser(__doc__)
    ap.add_argument('--mib', type=int, default=256)
    ap.add_argument('--reps', type=int, default=7)
    ap.add_argument('--sizes', default='64,4', help='folio sizes in kB')
    ap.add_argument('--base-rev', help='"base" is the whole series as this git '
                    'revision of the repo has it (compare two versions of the series)')
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(',') if x]
    res, ktaps = abbench.run('pageout', a.arch, FIRST_PATCH, 'pageout_bench',
                             [a.mib, a.reps] + sizes, 1800, a.mib + 2048, a.jobs,
                             base_rev=a.base_rev)
    abbench.report(res, 'pageout', ktaps, {'arch': a.arch, 'mib': a.mib, 'sizes_kb': sizes,
                                        'base_rev': a.base_rev})
    return 0


if __name__ == '__main__':
    abbench.main(main)
