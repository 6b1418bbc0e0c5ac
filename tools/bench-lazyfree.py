#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Benchmark (not a test): memcg reclaim of lazyfree THP/mTHP, with and
without the series' reclaim patches, both kernels booted in the same run.

  tools/bench-lazyfree.py [--arch x86_64|arm64] [--mib 1024] [--reps 5]

"base" is the pinned base with the series minus the patches that change
reclaim (kernel-patches/*-mm-rmap-*.patch); the test-only patches stay, so
both kernels are built from one configuration and only the reclaim code
differs. Each kernel boots once and runs tools/guest/lazyfree_bench.c,
which MADV_FREEs MiB of memory backed by one folio size at a time and
times memory.reclaim. Prints medians per size and the patched/base ratio;
writes bench-lazyfree.json in the results directory.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mmsuite'))

import arches  # noqa: E402
import base  # noqa: E402
import kbuild  # noqa: E402
import vm  # noqa: E402
from common import REPO, SuiteError, cache_dir, log  # noqa: E402

LINE = re.compile(r'# bench size_kb=(\d+) rep=(\d+) mib=(\d+) seconds=([\d.]+) left_kb=(\d+)')


def build_variant(tree, arch, cache, patches, branch, out, logf, jobs):
    base.git(tree, 'checkout', '-q', '-f', '-B', branch, base.BASE_TAG)
    for p in patches:
        r = base.git(tree, 'am', '-q', '--committer-date-is-author-date', p, check=False)
        if r.returncode:
            base.git(tree, 'am', '--abort', check=False)
            raise SuiteError(6, 'patch %s does not apply' % p)
    bdir = os.path.join(cache, 'build', 'kunit-' + arch.name)
    kbuild.build_kernel(tree, arch, cache, bdir, logf, jobs)
    shutil.copy(os.path.join(bdir, arch.kernel_image), out)
    return bdir


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--arch', default='x86_64', choices=['x86_64', 'arm64'])
    ap.add_argument('--mib', type=int, default=1024)
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--jobs', type=int, default=(os.cpu_count() or 2) + 1)
    a = ap.parse_args()
    arch = arches.ARCHES[a.arch]
    cache = cache_dir()
    res = os.path.join(cache, 'results', 'bench-lazyfree-' + a.arch)
    os.makedirs(res, exist_ok=True)
    logf = os.path.join(res, 'build.log')

    tree = base.base_tree(cache)
    series = base.read_series(os.path.join(REPO, 'kernel-patches'))
    reclaim = [p for p in series if '-mm-rmap-' in os.path.basename(p)]
    kept = [p for p in series if p not in reclaim]
    log('base variant leaves out: %s' % ', '.join(os.path.basename(p) for p in reclaim))

    images = {}
    try:
        for name, patches in (('base', kept), ('patched', series)):
            images[name] = os.path.join(res, name + '-' + os.path.basename(arch.kernel_image))
            bdir = build_variant(tree, arch, cache, patches, 'mm-suite-bench-' + name,
                                 images[name], logf, a.jobs)
    finally:
        # Leave the tree as the suite expects it.
        base.apply_series(tree, series, base.BASE_TAG, logf)

    hdr = kbuild.build_headers(tree, arch, bdir, logf)
    gdir = os.path.join(res, 'guest')
    os.makedirs(gdir, exist_ok=True)
    progs = {prog: kbuild.compile_static(arch, hdr, gdir, prog,
                                         [os.path.join(REPO, 'tools/guest', prog + '.c')], logf)
             for prog in ('init', 'lazyfree_bench')}
    timeout = 3600
    initrd = os.path.join(gdir, 'initramfs.cpio')
    kbuild.write_initramfs(initrd, progs, [('lazyfree_bench', timeout,
                                            [str(a.mib), str(a.reps)])])

    results = {}
    for name in ('base', 'patched'):
        log('booting the %s kernel' % name)
        ktap = os.path.join(res, name + '.ktap')
        status, secs = vm.boot(arch, images[name], initrd, os.path.join(res, name + '-console.log'),
                               ktap, timeout + 300, mem_mb=a.mib + 2048)
        if status != vm.OK:
            log('%s kernel: guest %s' % (name, status))
            return 9
        with open(ktap) as f:
            for m in LINE.finditer(f.read()):
                results.setdefault(name, {}).setdefault(int(m.group(1)), []).append(
                    (float(m.group(4)), int(m.group(5))))

    rows = []
    print('%-9s %12s %12s %8s  %s' % ('size', 'base (s)', 'patched (s)', 'change', 'left kB'))
    for kb in sorted(results.get('patched', {}), reverse=True):
        b = [t for t, _ in results['base'].get(kb, [])]
        p = [t for t, _ in results['patched'][kb]]
        if not b or not p:
            continue
        mb, mp = statistics.median(b), statistics.median(p)
        left = max(x for _, x in results['base'][kb] + results['patched'][kb])
        change = (mp - mb) / mb * 100 if mb else 0.0
        rows.append({'size_kb': kb, 'base_median_s': mb, 'patched_median_s': mp,
                     'change_pct': change, 'reps': len(p), 'max_left_kb': left})
        print('%-9s %12.6f %12.6f %+7.1f%%  %d' % ('%dkB' % kb, mb, mp, change, left))
    with open(os.path.join(res, 'bench-lazyfree.json'), 'w') as f:
        json.dump({'arch': a.arch, 'mib': a.mib, 'rows': rows}, f, indent=1)
    log('results: %s' % res)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except SuiteError as e:
        log('error: ' + e.msg)
        sys.exit(e.code)
