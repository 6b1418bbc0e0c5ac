#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""End-to-end checks of the runner's modes on trees without (all of) the
series; tools/check.sh runs both.

  tools/check-modes.py no-series   ./run_tests.sh --arch x86_64 --no-series
        must reach the VM and give the verdicts the base must give (BASE
        below): exit 1, every kselftest program reports, the feature tests
        fail or skip naming what is absent, no build or VM error.
  tools/check-modes.py bisect      puts a bug into an early patch of the
        series (BISECT_MUTANT), then `git bisect run tools/bisect-step`
        between the base and the mutated tip must name that patch.

Both work in the suite's own worktree (see tools/mmsuite/base.py); the
next run puts it back on whatever that run needs. Exit 0 when the check holds, 1 when it does not,
another code when it could not run.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'mmsuite'))

import base  # noqa: E402
import mutant  # noqa: E402
from common import REPO, SuiteError, cache_dir  # noqa: E402

# What the pinned base without the series reports per kselftest program,
# and why. A change here is a change in what the tests claim.
BASE = {
    # Lazyfree PMD THP and mTHP are split or unmapped page by page on the
    # base, and a pinned clean lazyfree folio is made swap-backed.
    'madv_free_thp': 'FAIL',
    # CONFIG_PT_RECLAIM does not exist: the test says so and skips.
    'pt_reclaim': 'SKIP',
    # No hugepages-<size>kB/stats/collapse: khugepaged collapses to PMD
    # size only; the test says so and skips.
    'khugepaged_mthp': 'SKIP',
    # Swap-out of mTHP works on the base (it splits or unmaps page by page),
    # and the outcome is what the test checks.
    'swapout_mthp': 'PASS',
}

# The bug the bisect check puts into the series, from the mutant catalog:
# the batched unmap of a lazyfree mTHP (patch 0008) forgets the dirty bits
# it collected, so a page written after MADV_FREE is thrown away with its
# folio. madv_free_thp's "keeps pages written" case passes on the base and
# at every commit before 0008 and fails from 0008 on.
BISECT_MUTANT = 'lazyfree-mthp-drop-dirty'


def runner(*args):
    cmd = [os.path.join(REPO, 'run_tests.sh')] + list(args)
    print('check-modes: ' + ' '.join(cmd), flush=True)
    return subprocess.call(cmd)


def check_no_series():
    os.makedirs(os.path.join(cache_dir(), 'results'), exist_ok=True)
    res = tempfile.mkdtemp(prefix='no-series-', dir=os.path.join(cache_dir(), 'results'))
    code = runner('--arch', 'x86_64', '--no-series', '--results-dir', res)
    try:
        with open(os.path.join(res, 'summary.json')) as f:
            rows = json.load(f)['rows']
    except (OSError, ValueError, KeyError) as e:
        print('check-modes: no-series: no summary.json (%s)' % e)
        return 1
    bad = []
    if code != 1:
        bad.append('exit %d, expected 1 (the feature tests fail on the base)' % code)
    got = {r['suite']: r for r in rows if r['kind'] == 'kselftest'}
    for r in rows:
        if r['kind'] == 'infra':
            bad.append('infrastructure error: %s %s: %s' % (r['arch'], r['suite'],
                                                           r.get('problem')))
        if r['kind'] == 'kunit' and r['verdict'] != 'SKIP':
            bad.append('KUnit suite %s: %s, expected SKIP (the base defines none of '
                       'the test options)' % (r['suite'], r['verdict']))
    for prog, want in sorted(BASE.items()):
        r = got.get(prog)
        if not r:
            bad.append('%s did not report' % prog)
        elif r['verdict'] != want:
            bad.append('%s: %s, expected %s' % (prog, r['verdict'], want))
    for b in bad:
        print('check-modes: no-series: ' + b)
    print('check-modes: no-series: %s (results: %s)' % ('FAILED' if bad else 'ok', res))
    return 1 if bad else 0


def check_bisect():
    cache = cache_dir()
    wt = base.run_tree(cache)
    os.makedirs(os.path.join(cache, 'results'), exist_ok=True)
    logf = os.path.join(cache, 'results', 'check-bisect.log')
    # base.run_tree() has already ended a bisection an interrupted check left.
    bisect_log = os.path.join(base.git_dir(wt), 'BISECT_LOG')
    base.apply_series(wt, base.read_series(os.path.join(REPO, 'kernel-patches')),
                      base.BASE_TAG, logf)
    m = mutant.load([BISECT_MUTANT])[0]
    culprit, tip = mutant.make_branch(wt, m)
    print('check-modes: bisect: mutant %s put into "%s" (%s); bisecting %s..%s'
          % (m.id, m.subject, culprit[:12], base.BASE_TAG, mutant.MUTANT_BRANCH),
          flush=True)
    out = ''
    try:
        base.git(wt, 'bisect', 'start', tip, base.base_commit(wt))
        # Streamed as it comes (each step is a build and a boot), and kept.
        p = subprocess.Popen(['git', '-C', wt, 'bisect', 'run',
                              os.path.join(HERE, 'bisect-step'), '--arch', 'x86_64',
                              '--no-kunit', '--only', m.expect[0]],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             cwd=wt)
        for ln in p.stdout:
            sys.stdout.write(ln)
            sys.stdout.flush()
            out += ln
        p.wait()
    finally:
        base.git(wt, 'bisect', 'reset', base.RUN_BRANCH, check=False)
        base.git(wt, 'checkout', '-q', base.RUN_BRANCH, check=False)
    if out and not out.endswith('\n'):
        print()
    if os.path.exists(bisect_log):
        print('check-modes: bisect: FAILED: git bisect reset did not end the bisection in %s'
              % wt)
        return 1
    found = re.search(r'^([0-9a-f]{40}) is the first bad commit', out, re.M)
    if not found:
        print('check-modes: bisect: FAILED: git bisect run named no commit')
        return 1
    if found.group(1) != culprit:
        print('check-modes: bisect: FAILED: named %s, the bug is in %s'
              % (found.group(1)[:12], culprit[:12]))
        return 1
    print('check-modes: bisect: ok: git bisect run named %s "%s"' % (culprit[:12],
                                                                   m.subject))
    return 0


def main(argv):
    if argv == ['no-series']:
        return check_no_series()
    if argv == ['bisect']:
        try:
            return check_bisect()
        except SuiteError as e:
            print('check-modes: bisect: ' + e.msg)
            return e.code
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
