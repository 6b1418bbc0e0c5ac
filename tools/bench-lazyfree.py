#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Benchmark (not a test): memcg reclaim of lazyfree THP/mTHP, with and
without the series' reclaim patches, both kernels booted in the same run.

  tools/bench-lazyfree.py [--arch x86_64|arm64] [--mib 1024] [--reps 5]

"base" is the series up to the first lazyfree reclaim patch, "patched"
the whole series (tools/mmsuite/abbench.py). Each kernel boots once and
runs tools/guest/lazyfree_bench.c, which MADV_FREEs MiB of memory backed
by one folio size at a time and times memory.reclaim. Prints medians per size and the patched/base ratio;
writes bench-lazyfree.json in the results directory.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mmsuite'))

import abbench  # noqa: E402

# The first patch that changes lazyfree reclaim: "base" stops before it.
FIRST_PATCH = '-mm-rmap-mark-a-lazyfree-folio-'


def main():
    ap = abbench.arg_parser(__doc__)
    ap.add_argument('--mib', type=int, default=1024)
    ap.add_argument('--reps', type=int, default=5)
    a = ap.parse_args()
    res, ktaps = abbench.run('lazyfree', a.arch, FIRST_PATCH, 'lazyfree_bench',
                             [a.mib, a.reps], 3600, a.mib + 2048, a.jobs)
    abbench.report(res, 'lazyfree', ktaps, {'arch': a.arch, 'mib': a.mib})
    return 0


if __name__ == '__main__':
    abbench.main(main)
