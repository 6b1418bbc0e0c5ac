# SPDX-License-Identifier: GPL-2.0
"""A/B kernel benchmarks: build the series with and without some of its
patches from the cached tree, boot each kernel once with one guest
program, and return each guest's KTAP output. Used by tools/bench-*.py.

"base" is the series up to, not including, the first patch of the
feature being measured (later patches build on that code and would not
apply without it); "patched" is the whole series. Both are built with
one configuration: the suite's, with configs/bench.config over it
(no DEBUG_VM), in a build directory of their own; Kconfig symbols the
base does not define are left out, as when bisecting. Both are built in
the suite's own worktree (tools/mmsuite/base.py), which is put back on the
full series afterwards.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

import arches
import base
import kbuild
import vm
from common import REPO, SuiteError, cache_dir, log


# Merged over the arch's fragments: benchmark kernels without DEBUG_VM.
BENCH_CONFIG = 'configs/bench.config'


def split_series(first):
    """(series, kept): every patch, and those before the first one whose
    file name contains the fragment first."""
    series = base.read_series(os.path.join(REPO, 'kernel-patches'))
    for i, p in enumerate(series):
        if first in os.path.basename(p):
            return series, series[:i]
    raise SuiteError(2, 'no patch in the series matches %r' % first)


def series_at(rev, dest):
    """The patch files of kernel-patches/ as the repo had them at git
    revision rev, extracted into dest: a base that is another version of
    the series, to measure a change to a patch."""
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    arc = subprocess.run(['git', '-C', REPO, 'archive', rev, 'kernel-patches'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if arc.returncode:
        raise SuiteError(2, '--base-rev %s: %s' % (rev, arc.stderr.decode().strip()))
    subprocess.run(['tar', '-x', '-C', dest], input=arc.stdout, check=True)
    return base.read_series(os.path.join(dest, 'kernel-patches'))


def _build_variant(tree, arch, cache, patches, branch, out, logf, jobs):
    base.apply_series(tree, patches, base.BASE_TAG, logf, branch=branch)
    bdir = os.path.join(cache, 'build', 'bench-' + arch.name)
    kbuild.build_kernel(tree, arch, cache, bdir, logf, jobs, [BENCH_CONFIG])
    shutil.copy(os.path.join(bdir, arch.kernel_image), out)
    return bdir


def run(name, arch_name, first, prog, prog_args, timeout, mem_mb, jobs, base_rev=None):
    """Boot base and patched kernels with tools/guest/<prog>.c; return
    (results dir, {'base': ktap text, 'patched': ktap text}). With
    base_rev, "base" is the whole series as the repo had it at that git
    revision instead of the series up to the patch `first`."""
    arch = arches.ARCHES[arch_name]
    cache = cache_dir()
    res = os.path.join(cache, 'results', 'bench-%s-%s' % (name, arch_name))
    os.makedirs(res, exist_ok=True)
    logf = os.path.join(res, 'build.log')
    tree = base.run_tree(cache)
    if base_rev:
        series = base.read_series(os.path.join(REPO, 'kernel-patches'))
        kept = series_at(base_rev, os.path.join(res, 'base-series'))
        log('base variant: the series at %s (%d patches)' % (base_rev, len(kept)))
    else:
        series, kept = split_series(first)
        log('base variant: the series up to %s' % os.path.basename(series[len(kept)]))

    images = {}
    try:
        for variant, patches in (('base', kept), ('patched', series)):
            images[variant] = os.path.join(
                res, variant + '-' + os.path.basename(arch.kernel_image))
            bdir = _build_variant(tree, arch, cache, patches, 'mm-suite-bench-' + variant,
                                  images[variant], logf, jobs)
    finally:
        base.apply_series(tree, series, base.BASE_TAG, logf)

    hdr = kbuild.build_headers(tree, arch, bdir, logf)
    gdir = os.path.join(res, 'guest')
    os.makedirs(gdir, exist_ok=True)
    progs = {p: kbuild.compile_static(arch, hdr, gdir, p,
                                      [os.path.join(REPO, 'tools/guest', p + '.c')], logf)
             for p in ('init', prog)}
    initrd = os.path.join(gdir, 'initramfs.cpio')
    kbuild.write_initramfs(initrd, progs, [(prog, timeout, [str(x) for x in prog_args])])

    out = {}
    for variant in ('base', 'patched'):
        log('booting the %s kernel' % variant)
        ktap = os.path.join(res, variant + '.ktap')
        status, _ = vm.boot(arch, images[variant], initrd,
                            os.path.join(res, variant + '-console.log'), ktap,
                            timeout + 300, mem_mb=mem_mb)
        if status != vm.OK:
            raise SuiteError(9, '%s kernel: guest %s' % (variant, status))
        with open(ktap) as f:
            out[variant] = f.read()
    return res, out


# What the guest programs print, one line per measurement.
# case= is optional: a program that measures one thing per size leaves it
# out; size_kb=0 stands for every size below PMD size at once.
LINE = re.compile(r'# bench (?:case=(\S+) )?size_kb=(\d+) rep=(\d+) mib=(\d+) '
                  r'seconds=([\d.]+) left_kb=(-?\d+)')


def _label(key):
    case, kb = key
    size = '%dkB' % kb if kb else 'all'
    return '%s:%s' % (case, size) if case else size


def _quartiles(xs):
    """(first quartile, third quartile) of xs; both xs[0] for one value."""
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]


def report(res, name, ktaps, meta):
    """Print medians and interquartile ranges per folio size, base against
    patched, and write bench-<name>.json in res; returns the rows.

    Under TCG the spread between repetitions is large (a third of the
    median was seen); a change whose ranges overlap is not a measured
    difference, and the table says so.
    """
    results = {}
    for variant, text in ktaps.items():
        for m in LINE.finditer(text):
            key = (m.group(1) or '', int(m.group(2)))
            results.setdefault(variant, {}).setdefault(key, []).append(
                (float(m.group(5)), int(m.group(6))))
    rows = []
    print('%-12s %-24s %-24s %8s %6s %-8s %s' % ('size', 'base median (IQR) s',
                                               'patched median (IQR) s', 'change',
                                               'ratio', 'IQRs', 'left kB'))
    for key in sorted(results.get('patched', {}), key=lambda k: (k[0], -k[1])):
        kb = key[1]
        b = [t for t, _ in results.get('base', {}).get(key, [])]
        p = [t for t, _ in results['patched'][key]]
        if not b or not p:
            continue
        mb, mp = statistics.median(b), statistics.median(p)
        qb, qp = _quartiles(b), _quartiles(p)
        overlap = qb[0] <= qp[1] and qp[0] <= qb[1]
        left = max(x for _, x in results['base'][key] + results['patched'][key])
        change = (mp - mb) / mb * 100 if mb else 0.0
        ratio = mp / mb if mb else 0.0
        rows.append({'case': key[0], 'size_kb': kb, 'base_median_s': mb, 'patched_median_s': mp,
                     'base_iqr_s': list(qb), 'patched_iqr_s': list(qp),
                     'iqr_overlap': overlap,
                     'change_pct': change, 'ratio': ratio, 'reps': len(p),
                     'base_s': b, 'patched_s': p, 'max_left_kb': left})
        print('%-12s %-24s %-24s %+7.1f%% %6.3f %-8s %d' % (
            _label(key), '%.4f (%.4f-%.4f)' % (mb, qb[0], qb[1]),
            '%.4f (%.4f-%.4f)' % (mp, qp[0], qp[1]), change, ratio,
            'overlap' if overlap else 'apart', left))
    if not rows:
        raise SuiteError(1, 'no measurements; see the console logs in %s' % res)
    with open(os.path.join(res, 'bench-%s.json' % name), 'w') as f:
        json.dump(dict(meta, rows=rows), f, indent=1)
    log('results: %s' % res)
    return rows


def arg_parser(doc):
    """The options every A/B benchmark takes: --arch and --jobs."""
    ap = argparse.ArgumentParser(description=doc.split('\n\n')[0])
    ap.add_argument('--arch', default='x86_64', choices=['x86_64', 'arm64'])
    ap.add_argument('--jobs', type=int, default=(os.cpu_count() or 2) + 1)
    return ap


def main(fn):
    """Run a benchmark's main(); a SuiteError becomes its message and exit code."""
    try:
        sys.exit(fn())
    except SuiteError as e:
        log('error: ' + e.msg)
        sys.exit(e.code)
