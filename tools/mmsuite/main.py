# SPDX-License-Identifier: GPL-2.0
"""mm-suite: build the pinned base with the series, run KUnit and kselftests.

Called by run_tests.sh; see README.md for the user-facing description.
"""

import argparse
import datetime
import fnmatch
import hashlib
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import arches  # noqa: E402
import base  # noqa: E402
import deps  # noqa: E402
import gate  # noqa: E402
import kbuild  # noqa: E402
import ktap  # noqa: E402
import mutant  # noqa: E402
import report  # noqa: E402
import splat  # noqa: E402
import vm  # noqa: E402
from common import (EXIT_NAMES, EXIT_USAGE, EXIT_VM, REPO, SuiteError,  # noqa: E402
                    cache_dir, log, run)

BOOT_ALLOWANCE = {'x86_64': 240, 'arm64': 480}
# A debug kernel (KASAN, lockdep) under TCG runs the same tests this much slower.
DEBUG_SLOWDOWN = 4


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog='run_tests.sh',
        description='Build the pinned Debian 6.12 base with kernel-patches/ applied, '
        'run the KUnit suites and the kselftests, report one verdict.',
        epilog='Exit status: ' + '; '.join('%d %s' % kv for kv in sorted(EXIT_NAMES.items())))
    p.add_argument('--arch', default=None,
                   help='comma-separated list of %s, or "all" (default: %s; with '
                   '--mutants: x86_64)' % (', '.join(arches.ARCHES),
                                           ','.join(arches.DEFAULT_ARCHES)))
    p.add_argument('--kernel-src', metavar='DIR',
                   help='run on this kernel tree instead of the pinned base; used as is '
                   'unless --apply-series is given')
    p.add_argument('--apply-series', action='store_true',
                   help='with --kernel-src: git am the series onto the tree (branch mm-suite)')
    p.add_argument('--series', metavar='DIR', default=os.path.join(REPO, 'kernel-patches'),
                   help='patch directory with a series file (default: kernel-patches/)')
    p.add_argument('--no-series', action='store_true',
                   help='run on the pinned base without the series (the features are absent)')
    p.add_argument('--results-dir', metavar='DIR',
                   help='where logs and reports go (default: $MMSUITE_CACHE/results/<time>)')
    p.add_argument('--no-kunit', action='store_true', help='skip the KUnit suites')
    p.add_argument('--no-kselftest', action='store_true', help='skip the VM kselftests')
    p.add_argument('--no-install', action='store_true',
                   help='never apt-get install; report missing packages instead')
    p.add_argument('--jobs', type=int, default=(os.cpu_count() or 2) + 1,
                   help='make -j for kernel builds (default: CPUs + 1)')
    p.add_argument('--vm-timeout', type=int, default=0,
                   help='kill a guest after this many seconds (default: boot allowance '
                   'plus the sum of test timeouts)')
    p.add_argument('--upstream-mm', action='store_true',
                   help='also run the upstream mm selftests of the tree in the VM '
                   '(kselftests/upstream-mm.list)')
    p.add_argument('--debug', action='store_true',
                   help='build debug kernels (configs/debug*.config: KASAN, lockdep, '
                   'DEBUG_VM, ...) in their own build directories; any splat fails the run')
    p.add_argument('--repeat', type=int, default=1, metavar='N',
                   help='boot (UML: run KUnit) N times; a case that both passes and fails '
                   'is reported FLAKY and fails the run')
    p.add_argument('--only', metavar='SUITE[.CASE]',
                   help='run only matching suites (KUnit suite names, kselftest program '
                   'names; shell globs) and report only matching cases')
    p.add_argument('--gate', metavar='SERIES',
                   help='gate a series: a patch directory (series file or *.patch), an mbox, '
                   'or a git range A..B of the tree; runs the suite before and after it and '
                   'reports only what changed; exit 0 when nothing regressed')
    p.add_argument('--peer', action='store_true',
                   help='peer-suite mode: the upstream mm selftests (and ours) on the pinned '
                   'base and on the patched tree; reports tests that pass on base and fail '
                   'patched (implies --upstream-mm)')
    p.add_argument('--mutants', nargs='*', metavar='ID|GLOB|@ci',
                   help='mutation testing: build each mutant of mutants/ (all, the ids '
                   'given, or @ci: the CI subset) on the series and run the tests it '
                   'names; exit 1 if any survives (README "Mutation testing")')
    p.add_argument('--mutants-rerun', action='store_true',
                   help='with --mutants: ignore cached verdicts')
    p.add_argument('--prepare-only', action='store_true',
                   help='set up the tree (and packages) and stop')
    a = p.parse_args(argv)
    if a.arch is None:
        a.arch = 'x86_64' if a.mutants is not None else ','.join(arches.DEFAULT_ARCHES)
    names = list(arches.ARCHES) if a.arch == 'all' else [x for x in a.arch.split(',') if x]
    bad = [n for n in names if n not in arches.ARCHES]
    if bad or not names:
        p.error('unknown --arch %s (choose from %s or all)' % (','.join(bad), ', '.join(arches.ARCHES)))
    a.arches = [arches.ARCHES[n] for n in names]
    # git am runs inside the tree: make the user's paths absolute first.
    a.series = os.path.abspath(a.series)
    if a.gate and os.path.exists(a.gate):
        a.gate = os.path.abspath(a.gate)
    if a.gate and a.peer:
        p.error('--gate and --peer are separate modes')
    if a.peer:
        if a.kernel_src or a.no_series:
            p.error('--peer compares the pinned base with the series; no --kernel-src/--no-series')
        a.upstream_mm = True
    if a.repeat < 1:
        p.error('--repeat must be at least 1')
    if a.apply_series and not a.kernel_src:
        p.error('--apply-series needs --kernel-src')
    if a.mutants is not None:
        if a.kernel_src or a.no_series or a.gate or a.peer or a.only or a.repeat > 1:
            p.error('--mutants runs on the pinned base with the series; it takes no '
                    '--kernel-src, --no-series, --gate, --peer, --only or --repeat')
    elif a.mutants_rerun:
        p.error('--mutants-rerun goes with --mutants')
    a.only_suites = None
    a.failfast = False
    return a


def prepare_tree(a, cache, logfile):
    patches = [] if a.no_series else base.read_series(a.series)
    if a.kernel_src:
        tree = os.path.abspath(a.kernel_src)
        base.check_kernel_tree(tree)
        if a.apply_series:
            if not os.path.isdir(os.path.join(tree, '.git')) and \
                    not os.path.isfile(os.path.join(tree, '.git')):
                raise SuiteError(EXIT_USAGE, '--apply-series: %s is not a git repository' % tree)
            # Onto what the series was applied on last time, else HEAD.
            rec = base._read_marker(base._marker(tree, base.BRANCH))
            onto = rec[0] if rec else 'HEAD'
            base.apply_series(tree, patches, onto, logfile, branch=base.BRANCH)
        return tree, None
    # The pinned base: always in the suite's own worktree, never in the
    # tree users edit (README).
    tree = base.run_tree(cache)
    base.check_kernel_tree(tree)
    tip = base.apply_series(tree, patches, base.BASE_TAG, logfile)
    if patches:
        base.offer_series(cache, tip)
    return tree, base.base_commit(tree)


def check_only(a):
    """--only must be able to match something: a KUnit suite of
    kunit/suites or a kselftest program (tests.list, and upstream-mm.list
    with --upstream-mm). A typo would otherwise run an empty guest and
    pass, and mark every bisect step good."""
    if not a.only:
        return
    names = sorted({s for x in a.arches for s, _ in expected_suites(x.name)})
    ours = [n for n, _, _ in kbuild.read_test_list()]
    progs = list(ours)
    if a.upstream_mm:
        progs += [n for n, _, _ in kbuild.read_test_list('upstream-mm.list')]
    if not any(x.target_cc for x in a.arches):
        progs = []      # kselftests run in a QEMU guest only
    if a.no_kunit:
        names = []
    if a.no_kselftest:
        progs = [p for p in progs if p not in ours]
    if not selected(a, names + progs):
        raise SuiteError(EXIT_USAGE, '--only %s matches no test to run. It is SUITE or '
                         'SUITE.CASE (shell globs) where SUITE is one of:\n  KUnit: %s\n  '
                         'kselftest: %s' % (a.only, ' '.join(names) or '(none: --no-kunit)',
                                            ' '.join(progs) or '(none: --no-kselftest)'))


def expected_suites(arch):
    """[(suite, Kconfig symbol)] from kunit/suites for arch (None: any)."""
    out = []
    with open(os.path.join(REPO, 'kunit', 'suites')) as f:
        for ln in f:
            ln = ln.split('#', 1)[0].split()
            if ln and (arch is None or arch in ln[2:]):
                out.append((ln[0], ln[1]))
    return out


def kunit_expectations(a, arch, bdir):
    """(suites that must report, skip rows for suites this tree lacks)."""
    want, absent = [], []
    for suite, sym in expected_suites(arch):
        if not selected(a, [suite]):
            continue
        if kbuild.config_has(bdir, 'CONFIG_' + sym):
            want.append(suite)
        else:
            why = 'this tree does not define CONFIG_%s' % sym
            absent.append(report.Row(suite, arch, 'kunit',
                                     {ktap.PASS: 0, ktap.FAIL: 0, ktap.SKIP: 1, ktap.ERROR: 0},
                                     [{'name': suite, 'status': ktap.SKIP, 'detail': why}]))
    return want, absent


def build_dir(a, arch):
    return os.path.join(a.build_root, 'kunit-' + arch.name + ('-debug' if a.debug else ''))


def extra_configs(a, arch):
    return list(arch.debug_configs) if a.debug else []


def console_row(text, arch, kernel_only):
    """One 'kernel-log' row per kernel: FAIL with one case per splat."""
    new, known = splat.find(text, arch, kernel_only=kernel_only)
    for s in known:
        log('%s: known splat, not counted (see tools/mmsuite/splat.py): %s' % (arch, s.title))
    cases = [{'name': s.title, 'status': ktap.FAIL, 'detail': s.text} for s in new]
    if not new:
        cases = [{'name': 'kernel-log.no splat', 'status': ktap.PASS, 'detail': ''}]
    counts = {ktap.PASS: 0 if new else 1, ktap.FAIL: len(new), ktap.SKIP: 0,
              ktap.ERROR: 0}
    return report.Row('kernel-log', arch, 'console', counts, cases)


def run_um(a, tree, cache, res):
    arch = arches.ARCHES['um']
    bdir = build_dir(a, arch)
    logf = os.path.join(res, 'um-build.log')
    kbuild.build_kernel(tree, arch, cache, bdir, logf, a.jobs, extra_configs(a, arch))
    runs = []
    for i in range(a.repeat):
        log('um: running KUnit' + (' (run %d of %d)' % (i + 1, a.repeat) if a.repeat > 1 else ''))
        t0 = time.monotonic()
        raw = os.path.join(res, 'um-kunit%s.log' % run_suffix(a, i))
        cmd = kbuild.kunit_cmd(tree, arch, bdir, 'exec', a.jobs) + ['--raw_output=all',
                                                                   '--timeout', '300']
        if a.only:
            cmd.append(kunit_glob(a.only))
        run(cmd, cwd=tree, logfile=raw, check=False, quiet=True)
        secs = time.monotonic() - t0
        with open(raw, errors='replace') as f:
            text = f.read()
        want, absent = kunit_expectations(a, 'um', bdir)
        rows = report.rows_from_ktap(text, 'um', 'kunit', want, secs) + absent
        rows.append(console_row(text, 'um', kernel_only=False))
        runs.append(rows)
    return report.merge_runs(runs), []


def run_suffix(a, i):
    return '.%d' % (i + 1) if a.repeat > 1 else ''


def kunit_glob(only):
    """kunit.py's filter glob (suite[.case]) for --only."""
    return only


def selected(a, names):
    """Suite names that --only can match (all without --only); a mutant's
    run sets a.only_suites instead."""
    pats = a.only_suites
    if pats is None:
        if not a.only:
            return list(names)
        pats = [a.only.split('.', 1)[0]]
    return [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in pats)]


def kunit_filter(a):
    """The kunit.filter_glob for the guest, or None for every suite."""
    if a.only:
        return kunit_glob(a.only)
    if a.only_suites is not None:
        names = selected(a, [s for s, _ in expected_suites(None)])
        if len(names) == 1:
            return names[0]
    return None


def filter_rows(a, rows):
    """With --only SUITE.CASE, keep only the matching cases of each row."""
    if not a.only or '.' not in a.only:
        return rows
    out = []
    for r in rows:
        if r.kind in ('infra', 'console') or r.error:
            out.append(r)
            continue
        cases = [c for c in r.cases if fnmatch.fnmatchcase(c['name'], a.only) or
                 fnmatch.fnmatchcase(c['name'], a.only + '.*')]
        if not cases:
            continue
        counts = {ktap.PASS: 0, ktap.FAIL: 0, ktap.SKIP: 0, ktap.ERROR: 0}
        for c in cases:
            counts[c['status']] += 1
        out.append(report.Row(r.suite, r.arch, r.kind, counts, cases, r.seconds))
    if not any(r.kind not in ('infra', 'console') for r in out):
        out.append(report.Row(a.only, rows[0].arch if rows else '?', 'kunit',
                              error='no test case matches --only %s' % a.only))
    return out


def run_qemu_arch(a, arch, tree, cache, res):
    bdir = build_dir(a, arch)
    logf = os.path.join(res, arch.name + '-build.log')
    kbuild.build_kernel(tree, arch, cache, bdir, logf, a.jobs, extra_configs(a, arch))
    ours = kbuild.read_test_list()
    if a.debug:
        ours = [(n, t * DEBUG_SLOWDOWN, args) for n, t, args in ours]
    tests = [] if a.no_kselftest else ours
    tests = [t for t in tests if t[0] in set(selected(a, [n for n, _, _ in tests]))]
    log('%s: building guest programs' % arch.name)
    hdr = kbuild.build_headers(tree, arch, bdir, logf)
    gdir = os.path.join(a.build_root, 'guest-' + arch.name)
    progs = kbuild.build_guest_programs(tree, arch, hdr, gdir, logf, tests)
    if a.upstream_mm:
        wanted = kbuild.read_test_list('upstream-mm.list')
        built = kbuild.build_upstream_mm(tree, arch, hdr, os.path.join(gdir, 'upstream'),
                                         os.path.join(res, arch.name + '-upstream-mm-build.log'),
                                         wanted)
        progs.update(built)
        if a.debug:
            wanted = [(n, t * DEBUG_SLOWDOWN, args) for n, t, args in wanted]
        tests = tests + [t for t in wanted if t[0] in built]
    keep = set(selected(a, [n for n, _, _ in tests]))
    tests = [t for t in tests if t[0] in keep]
    initrd = os.path.join(gdir, 'initramfs.cpio')
    kbuild.write_initramfs(initrd, progs, tests, kbuild.kernel_config(bdir))

    boot_allowance = BOOT_ALLOWANCE[arch.name] * (DEBUG_SLOWDOWN if a.debug else 1)
    timeout = a.vm_timeout or boot_allowance + sum(t for _, t, _ in tests)
    append = 'kunit.filter_glob=%s' % kunit_filter(a) if kunit_filter(a) else ''
    if a.no_kunit:
        append = 'kunit.enable=0'
    if a.failfast:
        # The guest's init stops at the first failed kselftest case.
        append = (append + ' mmsuite.failfast').strip()
    runs, infra = [], []
    for i in range(a.repeat):
        rows, bad = boot_once(a, arch, bdir, initrd, tests, ours, res, timeout, append,
                              run_suffix(a, i), '' if a.repeat == 1 else
                              ' (run %d of %d)' % (i + 1, a.repeat))
        runs.append(rows)
        infra += bad
    return report.merge_runs(runs), infra


def boot_once(a, arch, bdir, initrd, tests, ours, res, timeout, append, suffix, what):
    console = os.path.join(res, '%s-console%s.log' % (arch.name, suffix))
    results = os.path.join(res, '%s-kselftest%s.ktap' % (arch.name, suffix))
    log('%s: booting %s in QEMU (TCG), timeout %d s%s' % (
        arch.name, kbuild.kernel_release(bdir), timeout, what))
    info = {}
    status, secs = vm.boot(arch, os.path.join(bdir, arch.kernel_image), initrd,
                           console, results, timeout, info=info, append=append)
    log('%s: guest finished: %s after %.0f s' % (arch.name, status, secs))
    with open(console, errors='replace') as f:
        con = f.read()
    rows = []
    if not a.no_kunit:
        # KUnit ran at boot, before init: its KTAP is on the console.
        kunit_text = con.split('mmsuite-init:', 1)[0]
        # Time: boot plus KUnit, until our init first spoke.
        want, absent = kunit_expectations(a, arch.name, bdir)
        rows += report.rows_from_ktap(kunit_text, arch.name, 'kunit', want,
                                      info.get('init_at')) + absent
    ktext = ''
    if os.path.exists(results):
        with open(results, errors='replace') as f:
            ktext = f.read()
    our_names = {n for n, _, _ in ours}
    for r in report.rows_from_ktap(ktext, arch.name, 'kselftest',
                                   [n for n, _, _ in tests], None):
        if r.suite not in our_names:
            r.kind = 'upstream-mm'
        rows.append(r)
    rows.append(console_row(con, arch.name, kernel_only=True))
    infra = []
    if status != vm.OK:
        msg = {vm.HANG: 'guest hung: killed after %d s' % timeout,
               vm.PANIC: 'guest kernel panicked',
               vm.NO_VERDICT: 'guest powered off without a verdict',
               vm.QEMU_ERROR: 'QEMU failed to run the guest'}[status]
        rows.append(report.Row('vm', arch.name, 'infra', seconds=secs,
                               error='%s (console: %s)' % (msg, console)))
        infra.append(EXIT_VM)
    return rows, infra


def series_files(a):
    if a.no_series or (a.kernel_src and not a.apply_series):
        return []
    return base.read_series(a.series)


def patchset_hash(paths):
    """KCIDB's patchset hash: sha256 over the newline-terminated sha256 of
    each patch, in order; '' for none."""
    if not paths:
        return ''
    h = hashlib.sha256()
    for p in paths:
        with open(p, 'rb') as f:
            h.update((hashlib.sha256(f.read()).hexdigest() + '\n').encode())
    return h.hexdigest()


def run_suite(a, tree, cache, res):
    """Build and run every arch on the tree as it is checked out."""
    rows, infra = [], []
    for arch in a.arches:
        t0 = time.monotonic()
        try:
            if arch.name == 'um':
                if a.no_kunit:
                    continue
                r, i = run_um(a, tree, cache, res)
                rows += filter_rows(a, r)
                infra += i
            else:
                r, i = run_qemu_arch(a, arch, tree, cache, res)
                rows += filter_rows(a, r)
                infra += i
        except SuiteError as e:
            log('error: ' + e.msg)
            rows.append(report.Row('build', arch.name, 'infra',
                                   seconds=time.monotonic() - t0, error=e.msg.splitlines()[0]))
            infra.append(e.code)
        log('%s: done in %.0f s' % (arch.name, time.monotonic() - t0))

    return rows, infra


def run_gate(a, tree, cache, res, meta):
    """--gate / --peer: the suite before and after, and what changed."""
    setup_log = os.path.join(res, 'setup.log')
    try:
        gate.require_clean(tree)
        restore = gate.current_ref(tree)
        head = kbuild.git_head(tree)
        if a.peer:
            before = base.git(tree, 'rev-parse', base.BASE_TAG + '^{commit}').stdout.strip()
            after = head
        elif gate.is_range(a.gate):
            before, after = gate.resolve_range(tree, a.gate)
        else:
            before = head
            extra = gate.patches_of(a.gate)
            try:
                after = gate.make_candidate(tree, before, extra, setup_log)
            finally:
                # Applied or not, the tree goes back to what it was; the
                # sides are checked out by commit id below.
                gate.checkout(tree, restore)
    except SuiteError as e:
        log('error: ' + e.msg)
        report.write_json(os.path.join(res, 'summary.json'), [], meta, e.code)
        return e.code
    sides = {}
    hashes = {'before': meta.get('patchset_hash', ''), 'after': meta.get('patchset_hash', '')}
    if a.peer:
        hashes['before'] = ''
    elif not gate.is_range(a.gate):
        hashes['after'] = patchset_hash(series_files(a) + extra)
    try:
        for label, ref in (('before', before), ('after', after)):
            gate.checkout(tree, ref)
            sub = report.ensure_dir(os.path.join(res, label))
            m = dict(meta, head=kbuild.git_describe(tree), head_commit=ref, side=label,
                     patchset_hash=hashes[label])
            log('gate: === %s: %s' % (label, m['head']))
            rows, infra = run_suite(a, tree, cache, sub)
            code = report.exit_code(rows, infra)
            report.write_all(sub, rows, m, code)
            sides[label] = (rows, infra, m['head'])
            log('gate: %s: exit %d (%s)' % (label, code, EXIT_NAMES.get(code, '?')))
    finally:
        gate.checkout(tree, restore)
    diff = gate.compare(sides['before'][0], sides['after'][0])
    code, broken = gate.verdict(diff, {k: (v[0], v[1]) for k, v in sides.items()})
    gmeta = dict(meta, before=sides['before'][2], after=sides['after'][2],
                 mode='peer' if a.peer else 'gate', error=broken)
    gate.write(res, diff, gmeta, code)
    print('before: %s\nafter:  %s\n' % (gmeta['before'], gmeta['after']))
    if broken:
        print('\n'.join(broken))
    else:
        print(gate.text(diff))
    print('\ngate: %s (exit %d: %s); per-side reports in %s/{before,after}; diff: %s'
          % ('REGRESSED' if code == 1 else 'OK' if code == 0 else 'ERROR', code,
             EXIT_NAMES.get(code, '?'), res, os.path.join(res, 'gate.txt')))
    return code


def prune_results(parent, keep=20):
    """Keep the newest runs in the default results directory."""
    if not parent or not os.path.isdir(parent):
        return
    runs = sorted(d for d in os.listdir(parent) if d[:2] == '20')
    for d in runs[:-keep]:
        shutil.rmtree(os.path.join(parent, d), ignore_errors=True)


def main(argv):
    a = parse_args(argv)
    cache = cache_dir()
    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    res = os.path.abspath(a.results_dir or os.path.join(cache, 'results', stamp))
    report.ensure_dir(res)
    setup_log = os.path.join(res, 'setup.log')
    log('mm-suite: results in %s' % res)
    meta = {'arches': [x.name for x in a.arches], 'started': stamp, 'debug': a.debug}
    try:
        check_only(a)
        if a.mutants is not None:
            mutant.select(a.mutants)
        # Inputs first (cheap, and the user's mistake is the likelier one),
        # then the packages the builds need.
        deps.ensure(['git', 'xz-utils'], install=not a.no_install, logfile=setup_log)
        tree, base_id = prepare_tree(a, cache, setup_log)
        # One set of build directories per source tree, so that runs on a
        # user's tree do not throw away the incremental state of the base's.
        a.build_root = os.path.join(cache, 'build')
        if a.kernel_src and tree != os.path.join(cache, 'src', base.RUN_TREE_NAME):
            tag = hashlib.sha1(tree.encode()).hexdigest()[:10]
            a.build_root = os.path.join(cache, 'build', 'src-' + tag)
        pkgs = set()
        for x in a.arches:
            pkgs.update(x.packages)
        deps.ensure(pkgs, install=not a.no_install, logfile=setup_log)
        meta.update({'tree': tree, 'base_commit': base_id,
                     'head': kbuild.git_describe(tree),
                     'head_commit': kbuild.git_head(tree),
                     'patchset_hash': patchset_hash(series_files(a))})
        log('tree: %s (%s)' % (tree, meta['head']))
        if a.prepare_only:
            return 0
    except SuiteError as e:
        log('error: ' + e.msg)
        report.write_json(os.path.join(res, 'summary.json'), [], meta, e.code)
        return e.code

    if a.mutants is not None:
        code = mutant.run_catalog(a, tree, cache, res, run_suite)
        prune_results(os.path.dirname(res) if not a.results_dir else None)
        return code
    if a.gate or a.peer:
        code = run_gate(a, tree, cache, res, meta)
        prune_results(os.path.dirname(res) if not a.results_dir else None)
        return code
    rows, infra = run_suite(a, tree, cache, res)
    prune_results(os.path.dirname(res) if not a.results_dir else None)
    code = report.exit_code(rows, infra)
    text = report.write_all(res, rows, meta, code)
    print(text)
    print('\nverdict: %s (exit %d: %s); results: %s'
          % ('PASS' if code == 0 else 'FAIL' if code == 1 else 'ERROR', code,
             EXIT_NAMES.get(code, '?'), res))
    return code


def _terminated(signo, frame):
    # A CI timeout or kill: unwind like Ctrl-C, so that modes which change
    # the suite's worktree (--gate, --mutants) put it back.
    raise KeyboardInterrupt


if __name__ == '__main__':
    import signal
    signal.signal(signal.SIGTERM, _terminated)
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, _terminated)
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        log('interrupted')
        sys.exit(130)
