#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Keep kernel-patches/ and the repo's copies of the test sources in step.

The kernel tree is where the series is developed (branch mm-suite on top of
tag mm-suite-base, see README.md). Two commands:

  tools/series.py export TREE   regenerate kernel-patches/ from
                                mm-suite-base..HEAD of TREE and refresh the
                                repo copies of the test sources from TREE
  tools/series.py check [TREE]  apply the series to TREE (default: the
                                cached base tree), fail if a repo copy differs
                                from what the series produces, and run
                                scripts/checkpatch.pl --strict on every patch
  tools/series.py build-each    build the x86_64 kernel at every commit of
                                the applied series (a separate worktree and
                                build directory, ccache); fail on a build
                                error or a compiler warning. Commits already
                                verified are remembered by id and skipped.
  tools/series.py build-matrix  build what the series touches on the
                                architectures and configurations of MATRIX
                                (cross compilers from Debian, W=1, ccache,
                                a build directory each); fail on an error
                                or on a warning that a build of the base in
                                the same configuration does not have

Mirrored sources (repo path <-> tree path), .c and .h:
  kselftests/<name>.[ch]     <-> tools/testing/selftests/mm/<name>.[ch]
  kunit/mm/tests/<name>.[ch] <-> mm/tests/<name>.[ch]

check and build-each work in the suite's own worktree of the cached
repository (base.RUN_TREE_NAME, branch base.RUN_BRANCH), never in the tree
users edit.
"""

import collections
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mmsuite'))

import base  # noqa: E402
from common import REPO, SuiteError, cache_dir  # noqa: E402

MIRRORS = [('kselftests', 'tools/testing/selftests/mm'),
           ('kunit/mm/tests', 'mm/tests')]
PATCHES = os.path.join(REPO, 'kernel-patches')

# checkpatch findings we accept, with the reason (kept short and reviewed).
CHECKPATCH_ALLOWED = {
    # New files under mm/tests and tools/ are covered by the existing
    # MEMORY MANAGEMENT entry's F: mm/ and tools/testing/selftests/mm/.
    'FILE_PATH_CHANGES',
}


def mirror_pairs(tree_files):
    """(repo path, tree path) for every mirrored file on either side."""
    pairs = []
    for rdir, tdir in MIRRORS:
        names = {os.path.basename(p) for ext in ('*.c', '*.h')
                 for p in glob.glob(os.path.join(REPO, rdir, ext))}
        names |= {os.path.basename(p) for p in tree_files
                  if os.path.dirname(p) == tdir and p.endswith(('.c', '.h'))}
        for n in sorted(names):
            pairs.append((os.path.join(rdir, n), os.path.join(tdir, n)))
    return pairs


def series_new_files(tree, onto, head):
    """Files the series adds under the mirrored directories."""
    out = base.git(tree, 'diff', '--name-only', '--diff-filter=A', onto, head).stdout.split()
    return [p for p in out if any(os.path.dirname(p) == t for _, t in MIRRORS)]


def cmd_export(tree):
    onto = base.BASE_TAG
    n = int(base.git(tree, 'rev-list', '--count', onto + '..HEAD').stdout)
    if not n:
        raise SystemExit('%s: no commits on top of %s' % (tree, onto))
    cover = os.path.join(PATCHES, '0000-cover-letter.patch')
    subject = body = None
    if os.path.exists(cover):
        with open(cover) as f:
            text = f.read()
        m = re.search(r'^Subject: \[PATCH 0+/\d+\] (.*?)\n\n(.*?)\n\n[^\n]+ \(\d+\):\n',
                      text, re.S | re.M)
        if m:
            subject, body = m.group(1), m.group(2).rstrip()
    tmp = tempfile.mkdtemp()
    try:
        base.git(tree, 'format-patch', '-q', '--cover-letter', '--zero-commit',
                 '--no-signature', '--base=' + onto, '-o', tmp, onto + '..HEAD')
        if subject:
            p = os.path.join(tmp, '0000-cover-letter.patch')
            with open(p) as f:
                t = f.read()
            t = t.replace('*** SUBJECT HERE ***', subject)
            t = t.replace('*** BLURB HERE ***', body)
            with open(p, 'w') as f:
                f.write(t)
        for old in glob.glob(os.path.join(PATCHES, '*.patch')):
            os.unlink(old)
        names = sorted(os.listdir(tmp))
        for nm in names:
            shutil.copy(os.path.join(tmp, nm), PATCHES)
    finally:
        shutil.rmtree(tmp)
    with open(os.path.join(PATCHES, 'series'), 'w') as f:
        f.write('# Applied in this order with git am on the pinned base '
                '(see tools/mmsuite/base.py).\n')
        for nm in names:
            if not nm.startswith('0000-'):
                f.write(nm + '\n')
    for rpath, tpath in mirror_pairs(series_new_files(tree, onto, 'HEAD')):
        src = os.path.join(tree, tpath)
        dst = os.path.join(REPO, rpath)
        if os.path.exists(src):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(src, dst)
    print('exported %d patches to %s' % (len(names) - 1, PATCHES))


def checkpatch(tree, patches):
    bad = 0
    for p in patches:
        r = subprocess.run(['perl', os.path.join(tree, 'scripts/checkpatch.pl'), '--strict',
                            '--no-tree', '--terse', '--show-types', p],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        issues = []
        for ln in r.stdout.splitlines():
            m = re.search(r':\s*(ERROR|WARNING|CHECK):(\w+):', ln)
            if m and m.group(2) not in CHECKPATCH_ALLOWED:
                issues.append(ln)
        if issues:
            bad += 1
            print('checkpatch: %s:\n  %s' % (os.path.basename(p), '\n  '.join(issues)))
        else:
            print('checkpatch: %s: clean' % os.path.basename(p))
    return bad


def cmd_check(tree):
    patches = base.read_series(PATCHES)
    # The suite's worktree and branch; in a tree given by the user, a
    # branch of its own, so that neither the user's nor the suite's moves.
    branch = base.RUN_BRANCH if tree is None else 'mm-suite-check'
    if tree is None:
        tree = base.run_tree(cache_dir())
    onto = base.BASE_TAG
    logf = os.path.join(tempfile.gettempdir(), 'mm-suite-series-check.log')
    failed = 0
    try:
        base.apply_series(tree, patches, onto, logf, branch=branch)
    except SuiteError as e:
        print('series: ' + e.msg)
        return e.code
    print('series: %d patches apply on %s' % (len(patches), base.base_commit(tree)[:12]))
    cover = os.path.join(PATCHES, '0000-cover-letter.patch')
    with open(cover) as f:
        ctext = f.read()
    m = re.search(r'^base-commit: ([0-9a-f]{40})$', ctext, re.M)
    if not m or m.group(1) != base.base_commit(tree):
        print('cover letter: base-commit missing or not %s' % base.base_commit(tree))
        failed += 1
    for rpath, tpath in mirror_pairs(series_new_files(tree, onto, branch)):
        r = base.git(tree, 'show', '%s:%s' % (branch, tpath), check=False)
        rp = os.path.join(REPO, rpath)
        if r.returncode:
            print('drift: %s exists in the repo but the series does not add %s' % (rpath, tpath))
            failed += 1
            continue
        if not os.path.exists(rp):
            print('drift: the series adds %s but %s is missing' % (tpath, rpath))
            failed += 1
            continue
        with open(rp) as f:
            if f.read() != r.stdout:
                print('drift: %s differs from %s as the series leaves it '
                      '(edit in the tree and run tools/series.py export)' % (rpath, tpath))
                failed += 1
                continue
        print('mirror: %s == %s' % (rpath, tpath))
    failed += checkpatch(tree, patches + [cover])
    return 1 if failed else 0


def cmd_build_each(tree):
    """Every patch builds: x86_64, the suite's own .config, one commit at
    a time in the suite's worktree (the source path of every suite build,
    so ccache entries are shared with the suite and with bisect runs) and
    a build directory of its own, so the suite's incremental build is not
    touched. The worktree is put back on the series afterwards."""
    cache = cache_dir()
    wt = base.run_tree(cache)
    seed = os.path.join(cache, 'build', 'kunit-x86_64', '.config')
    bdir = os.path.join(cache, 'build', 'each-x86_64')
    commits = base.git(wt, 'rev-list', '--reverse',
                       '%s..%s' % (base.BASE_TAG, base.RUN_BRANCH)).stdout.split()
    if not commits:
        print('build-each: no commits between %s and %s; run ./run_tests.sh first'
              % (base.BASE_TAG, base.RUN_BRANCH))
        return 6
    os.makedirs(bdir, exist_ok=True)
    verified_path = os.path.join(bdir, 'verified')
    verified = set()
    if os.path.exists(verified_path):
        with open(verified_path) as f:
            verified = set(f.read().split())
    todo = [c for c in commits if c not in verified]
    if not todo:
        print('build-each: all %d commits already verified' % len(commits))
        return 0
    if not os.path.exists(seed):
        print('build-each: no %s yet; run ./run_tests.sh --arch x86_64 first' % seed)
        return 7
    try:
        base.refuse_to_discard(wt, base.RUN_BRANCH, (commits[-1],))
    except SuiteError as e:
        print('build-each: ' + e.msg)
        return e.code
    try:
        return _build_each(wt, cache, seed, bdir, commits, verified, verified_path)
    finally:
        base.git(wt, 'checkout', '-q', base.RUN_BRANCH, check=False)


def _build_each(wt, cache, seed, bdir, commits, verified, verified_path):
    import kbuild
    env = kbuild._env(cache)
    jobs = str((os.cpu_count() or 2) + 1)
    failed = 0
    logf = os.path.join(bdir, 'build-each.log')
    for i, c in enumerate(commits, 1):
        subject = base.git(wt, 'log', '-1', '--format=%s', c).stdout.strip()
        if c in verified:
            print('build-each: [%d/%d] %s %s: ok (verified before)' % (i, len(commits),
                                                                       c[:12], subject))
            continue
        # A commit that changes only selftest files builds the same kernel
        # as its parent: verified with it. (bzImage never built selftests.)
        files = base.git(wt, 'diff', '--name-only', c + '^', c).stdout.split()
        if i > 1 and commits[i - 2] in verified and files and \
                all(f.startswith('tools/testing/selftests/') for f in files):
            print('build-each: [%d/%d] %s %s: ok (only selftests change; the kernel '
                  'is that of the commit before)' % (i, len(commits), c[:12], subject))
            verified.add(c)
            with open(verified_path, 'w') as f:
                f.write('\n'.join(sorted(verified)) + '\n')
            continue
        base.git(wt, 'checkout', '-q', '--detach', c)
        # The suite's config, reapplied at every commit: olddefconfig drops
        # the test options a commit does not define yet, and they must come
        # back at the commit that adds them.
        shutil.copy(seed, os.path.join(bdir, '.config'))
        t0 = time.monotonic()
        with open(logf, 'w') as log:
            rc = subprocess.call(['make', '-s', 'ARCH=x86_64', 'O=' + bdir, 'olddefconfig'],
                                 cwd=wt,
                                 stdout=log, stderr=subprocess.STDOUT, env=env)
            if rc == 0:
                # ARCH and CC as kunit.py passes them, for ccache hits.
                rc = subprocess.call(['make', '-s', 'ARCH=x86_64', 'O=' + bdir, '-j' + jobs,
                                      'CC=ccache gcc', 'bzImage'], cwd=wt,
                                     stdout=log, stderr=subprocess.STDOUT, env=env)
        with open(logf, errors='replace') as f:
            out = f.read()
        warnings = [ln for ln in out.splitlines() if 'warning:' in ln]
        secs = time.monotonic() - t0
        if rc or warnings:
            failed += 1
            print('build-each: [%d/%d] %s %s: %s after %.0f s' % (
                i, len(commits), c[:12], subject,
                'BUILD FAILED' if rc else '%d warning(s)' % len(warnings), secs))
            print('  ' + '\n  '.join((warnings or out.splitlines())[-15:]))
            break
        print('build-each: [%d/%d] %s %s: ok in %.0f s' % (i, len(commits), c[:12],
                                                           subject, secs), flush=True)
        verified.add(c)
        with open(verified_path, 'w') as f:
            f.write('\n'.join(sorted(verified)) + '\n')
    return 8 if failed else 0


# Configurations the suite does not boot but the series must build on:
# (name, ARCH, CROSS_COMPILE, Debian package, defconfig, scripts/config
# arguments, make targets). ppc64le: HPAGE_PMD_NR is chosen at boot
# there (radix or hash MMU), so it cannot size an array.
MATRIX = [
    # HPAGE_PMD_NR is a run-time value on book3s64 (radix or hash MMU).
    ('ppc64le-thp', 'powerpc', 'powerpc64le-linux-gnu-', 'gcc-powerpc64le-linux-gnu',
     'ppc64le_defconfig',
     ['-e', 'TRANSPARENT_HUGEPAGE', '-e', 'PPC_RADIX_MMU', '-e', 'PPC_64S_HASH_MMU'],
     ['mm/']),
    # PT reclaim frees tables through the paravirt hooks Xen PV needs.
    ('x86_64-xenpv', 'x86_64', '', 'gcc',
     'x86_64_defconfig',
     ['-e', 'HYPERVISOR_GUEST', '-e', 'PARAVIRT', '-e', 'XEN', '-e', 'XEN_PV',
      '-e', 'TRANSPARENT_HUGEPAGE', '-e', 'PT_RECLAIM'],
     ['mm/', 'arch/x86/mm/', 'arch/x86/kernel/paravirt.o', 'arch/x86/xen/']),
    # arch_tlbbatch_add_pending() of the third architecture with batched
    # unmap TLB flushes.
    ('riscv64', 'riscv', 'riscv64-linux-gnu-', 'gcc-riscv64-linux-gnu',
     'defconfig', ['-e', 'TRANSPARENT_HUGEPAGE'],
     ['mm/', 'arch/riscv/mm/']),
    # __HAVE_ARCH_UNMAP_ONE: ADI tags saved per page of a swap-out batch.
    ('sparc64', 'sparc', 'sparc64-linux-gnu-', 'gcc-sparc64-linux-gnu',
     'sparc64_defconfig', ['-e', 'SWAP', '-e', 'TRANSPARENT_HUGEPAGE'],
     ['mm/']),
    # Page sizes the suite does not boot: PMD_SIZE, PTRS_PER_PTE and the
    # mTHP orders differ (2048 and 8192 PTEs per table).
    ('arm64-16k', 'arm64', 'aarch64-linux-gnu-', 'gcc-aarch64-linux-gnu',
     'defconfig', ['-e', 'ARM64_16K_PAGES', '-e', 'TRANSPARENT_HUGEPAGE'],
     ['mm/', 'arch/arm64/mm/']),
    ('arm64-64k', 'arm64', 'aarch64-linux-gnu-', 'gcc-aarch64-linux-gnu',
     'defconfig', ['-e', 'ARM64_64K_PAGES', '-e', 'TRANSPARENT_HUGEPAGE'],
     ['mm/', 'arch/arm64/mm/']),
    # Options the series' code must build without.
    ('x86_64-nothp', 'x86_64', '', 'gcc', 'x86_64_defconfig',
     ['-d', 'TRANSPARENT_HUGEPAGE', '-e', 'PT_RECLAIM'], ['mm/']),
    ('x86_64-noswap-nouffd', 'x86_64', '', 'gcc', 'x86_64_defconfig',
     ['-d', 'SWAP', '-d', 'USERFAULTFD', '-e', 'TRANSPARENT_HUGEPAGE'], ['mm/']),
]


COMPILER_WARNING = re.compile(r'\.[chS]:\d+(:\d+)?: warning:')
BASE_MATRIX_TREE = 'linux-6.12.117-deb-base'


def warning_key(line, tree):
    """A warning without its tree prefix and line numbers: the same
    warning in the base and the series' build compares equal even when the
    series moved the lines around it."""
    line = line.replace(tree.rstrip('/') + '/', '')
    return re.sub(r'^(\S+?\.[chS]):\d+(:\d+)?:', r'\1:', line.strip())


def new_warnings(warnings, tree, base_warnings, base_tree_path):
    """The warnings of the series' build that the base's build in the same
    configuration does not have (as many times as they are extra)."""
    left = collections.Counter(warning_key(w, base_tree_path) for w in base_warnings)
    out = []
    for w in warnings:
        k = warning_key(w, tree)
        if left.get(k):
            left[k] -= 1
        else:
            out.append(w)
    return out


def _matrix_build(wt, bdir, arch, cross, defconfig, options, targets, env, jobs, logf):
    """Configure and build one MATRIX entry in bdir; (rc, compiler warnings, log lines)."""
    os.makedirs(bdir, exist_ok=True)
    mk = ['make', '-s', 'ARCH=' + arch, 'O=' + bdir, 'CC=ccache %sgcc' % cross]
    if cross:
        mk.append('CROSS_COMPILE=' + cross)
    with open(logf, 'w') as log:
        # The configuration is made again every time: cheap, and a
        # series that adds a Kconfig symbol gets it.
        rc = subprocess.call(mk + [defconfig], cwd=wt, stdout=log,
                             stderr=subprocess.STDOUT, env=env)
        if rc == 0:
            rc = subprocess.call([os.path.join(wt, 'scripts', 'config'), '--file',
                                  os.path.join(bdir, '.config')] + options,
                                 stdout=log, stderr=subprocess.STDOUT)
        if rc == 0:
            rc = subprocess.call(mk + ['olddefconfig'], cwd=wt, stdout=log,
                                 stderr=subprocess.STDOUT, env=env)
        if rc == 0:
            # Objects of the targets are rebuilt every time (ccache hits,
            # which replay the compiler's warnings), so a rerun reports
            # what the last run did instead of passing on an up-to-date
            # build.
            for t in targets:
                if t.endswith('/'):
                    for o in glob.glob(os.path.join(bdir, t, '**', '*.o'), recursive=True):
                        os.unlink(o)
                elif os.path.exists(os.path.join(bdir, t)):
                    os.unlink(os.path.join(bdir, t))
            rc = subprocess.call(mk + [jobs, 'W=1'] + targets, cwd=wt, stdout=log,
                                 stderr=subprocess.STDOUT, env=env)
    with open(logf, errors='replace') as f:
        out = f.read().splitlines()
    # Compiler and kernel-doc warnings; bison's notes on scripts/genksyms are not ours.
    return rc, [ln for ln in out if COMPILER_WARNING.search(ln)], out


def cmd_build_matrix():
    """Build MATRIX in the suite's worktree at the series' tip."""
    import deps
    import kbuild
    cache = cache_dir()
    try:
        deps.ensure([m[3] for m in MATRIX] + ['ccache'])
    except SuiteError as e:
        print('build-matrix: ' + e.msg)
        return e.code
    wt = base.run_tree(cache)
    os.makedirs(os.path.join(cache, 'build'), exist_ok=True)
    try:
        # The series of this checkout, as every run builds it (no-op when
        # the worktree already holds it; refuses rather than lose work).
        base.apply_series(wt, base.read_series(PATCHES), base.BASE_TAG,
                          os.path.join(cache, 'build', 'build-matrix-apply.log'))
    except SuiteError as e:
        print('build-matrix: ' + e.msg)
        return e.code
    env = kbuild._env(cache)
    jobs = '-j%d' % ((os.cpu_count() or 2) + 1)
    failed = 0
    for name, arch, cross, _, defconfig, options, targets in MATRIX:
        bdir = os.path.join(cache, 'build', 'matrix-' + name)
        logf = os.path.join(bdir, 'build-matrix.log')
        t0 = time.monotonic()
        rc, warnings, out = _matrix_build(wt, bdir, arch, cross, defconfig, options, targets,
                                          env, jobs, logf)
        known = 0
        if not rc and warnings:
            # Only what the series adds counts: build the base the same way.
            btree = base.detached_worktree(cache, BASE_MATRIX_TREE)
            bbdir = bdir + '-base'
            brc, bwarn, _ = _matrix_build(btree, bbdir, arch, cross, defconfig, options,
                                          targets, env, jobs,
                                          os.path.join(bbdir, 'build-matrix.log'))
            if brc:
                print('build-matrix: %s: the base does not build in this configuration '
                      '(log: %s); counting every warning' % (name, os.path.join(
                          bbdir, 'build-matrix.log')))
            else:
                fresh = new_warnings(warnings, wt, bwarn, btree)
                known = len(warnings) - len(fresh)
                warnings = fresh
        errors = [ln for ln in out if 'error:' in ln] or out[-10:]
        secs = time.monotonic() - t0
        extra = ' (%d warning(s) the base has too)' % known if known else ''
        if rc or warnings:
            failed += 1
            print('build-matrix: %s (%s): %s after %.0f s%s (log: %s)' % (
                name, ' '.join(targets), 'BUILD FAILED' if rc else
                '%d new warning(s)' % len(warnings), secs, extra, logf))
            print('  ' + '\n  '.join((errors if rc else warnings)[:15]))
        else:
            print('build-matrix: %s (%s): ok in %.0f s%s' % (name, ' '.join(targets), secs,
                                                           extra), flush=True)
    return 8 if failed else 0




def main(argv):
    if len(argv) < 1 or argv[0] not in ('export', 'check', 'build-each', 'build-matrix'):
        print(__doc__)
        return 2
    tree = os.path.abspath(argv[1]) if len(argv) > 1 else None
    if argv[0] == 'export':
        if not tree:
            print('export needs TREE')
            return 2
        cmd_export(tree)
        return 0
    if argv[0] == 'build-each':
        if tree:
            print('build-each takes no TREE: it builds the series in the suite\'s worktree')
            return 2
        return cmd_build_each(tree)
    if argv[0] == 'build-matrix':
        if tree:
            print('build-matrix takes no TREE: it builds the series in the suite\'s worktree')
            return 2
        return cmd_build_matrix()
    return cmd_check(tree)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
