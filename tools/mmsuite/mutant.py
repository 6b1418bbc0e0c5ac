# SPDX-License-Identifier: GPL-2.0
"""Deliberate bugs put back into the series, for checking that the suite
(and a bisection with it) catches them.

A mutant is a text replacement in one file, made in the commit of the
patch that introduces the code and carried through every later commit,
as a developer's bug in that patch would be. The commits before it are
the series' own (same ids), so their builds are ccache hits; from the
mutated patch on, only the mutated file differs from the series.
"""

import fnmatch
import glob
import hashlib
import json
import os
import subprocess
import sys

import base
from common import EXIT_USAGE, REPO, SuiteError

MUTANT_BRANCH = 'mm-suite-mutant'
CATALOG = os.path.join(REPO, 'mutants')
FEATURES = ('lazyfree-pmd', 'lazyfree-mthp', 'pte-batch', 'swapout', 'swap-count',
            'anon-exclusive', 'uffd-wp', 'pt-reclaim', 'collapse')
_FIELDS = {'feature': False, 'patch': False, 'file': False, 'class': False,
           'models': False, 'expect': True, 'arch': False, 'ci': False,
           'equivalent': False}
_REQUIRED = ('feature', 'patch', 'file', 'class', 'models', 'expect')


class Mutant:
    """One catalog entry (see mutants/README.md)."""

    def __init__(self, path):
        self.path = path
        self.id = os.path.basename(path)[:-len('.mutant')]
        self.fields = {}
        self.edits = []         # [(old, new)]
        with open(path) as f:
            text = f.read()
        self.digest = hashlib.sha256(text.encode()).hexdigest()
        head, sep, body = text.partition('\n@@ old\n')
        if not sep:
            self._bad('no "@@ old" section')
        for n, ln in enumerate(head.splitlines(), 1):
            if not ln.strip() or ln.startswith('#'):
                continue
            key, colon, val = ln.partition(':')
            key = key.strip().lower()
            if not colon or key not in _FIELDS:
                self._bad('line %d: expected "Field: value" with a field of %s'
                          % (n, ', '.join(_FIELDS)))
            val = val.strip()
            if _FIELDS[key]:
                self.fields.setdefault(key, []).append(val)
            elif key in self.fields:
                self._bad('line %d: %s given twice' % (n, key))
            else:
                self.fields[key] = val
        for key in _REQUIRED:
            if not self.fields.get(key):
                self._bad('no %s: field' % key.capitalize())
        if self.fields['feature'] not in FEATURES:
            self._bad('Feature %s is not one of %s' % (self.fields['feature'],
                                                       ', '.join(FEATURES)))
        rest = '@@ old\n' + body
        while rest:
            if not rest.startswith('@@ old\n'):
                self._bad('expected "@@ old" after a "@@ new" section')
            old, sep, rest = rest[len('@@ old\n'):].partition('@@ new\n')
            if not sep:
                self._bad('an "@@ old" section without its "@@ new"')
            k = rest.find('@@ old\n')
            new, rest = (rest, '') if k < 0 else (rest[:k], rest[k:])
            if not old.strip():
                self._bad('an empty "@@ old" section')
            if old == new:
                self._bad('"@@ new" is the same as "@@ old"')
            self.edits.append((old, new))

    def _bad(self, why):
        raise SuiteError(EXIT_USAGE, 'mutant %s (%s): %s' % (
            getattr(self, 'id', '?'), self.path, why))

    feature = property(lambda self: self.fields['feature'])
    subject = property(lambda self: self.fields['patch'])
    file = property(lambda self: self.fields['file'])
    expect = property(lambda self: self.fields['expect'])
    arch = property(lambda self: self.fields.get('arch', 'x86_64'))
    ci = property(lambda self: self.fields.get('ci', 'no').lower() == 'yes')
    equivalent = property(lambda self: self.fields.get('equivalent', ''))

    def suites(self):
        """The suites to run: the SUITE part of every Expect pattern."""
        return sorted({e.split('.', 1)[0] for e in self.expect})

    def apply(self, text):
        for old, new in self.edits:
            text = _mutate(text, old, new, '%s in %s' % (self.file, self.id))
        return text


def load(patterns=None, catalog=CATALOG):
    """The catalog's mutants, or those whose id matches one of patterns
    (shell globs); a pattern that matches none is an error."""
    paths = sorted(glob.glob(os.path.join(catalog, '*.mutant')))
    muts = [Mutant(p) for p in paths]
    if not patterns:
        return muts
    out = []
    for pat in patterns:
        hit = [m for m in muts if fnmatch.fnmatchcase(m.id, pat)]
        if not hit:
            raise SuiteError(EXIT_USAGE, 'no mutant matches %s (ids: %s)' % (
                pat, ' '.join(m.id for m in muts) or 'none: the catalog is empty'))
        out += [m for m in hit if m not in out]
    return out


def known_suites():
    """Every suite an Expect pattern may name: KUnit suites and kselftest
    programs of the suite."""
    names = set()
    with open(os.path.join(REPO, 'kunit', 'suites')) as f:
        for ln in f:
            ln = ln.split('#', 1)[0].split()
            if ln:
                names.add(ln[0])
    with open(os.path.join(REPO, 'kselftests', 'tests.list')) as f:
        for ln in f:
            ln = ln.split('#', 1)[0].split()
            if ln:
                names.add(ln[0])
    return names


def check(mut, tree, ref=base.RUN_BRANCH, subjects=None):
    """Raise SuiteError unless mut applies to ref of tree: its patch is in
    the series, its file exists and every old text occurs once."""
    if subjects is None:
        subjects = series_subjects(tree, ref)
    if mut.subject not in subjects:
        mut._bad('Patch "%s" is not a patch of the series' % mut.subject)
    r = base.git(tree, 'show', '%s:%s' % (ref, mut.file), check=False)
    if r.returncode:
        mut._bad('File %s is not in the patched tree' % mut.file)
    mut.apply(r.stdout)
    names = known_suites()
    for e in mut.expect:
        if e.split('.', 1)[0] not in names:
            mut._bad('Expect %s names no suite of kunit/suites or kselftests/tests.list'
                     % e)
    if mut.arch not in ('x86_64', 'arm64'):
        mut._bad('Arch %s: mutants run on x86_64 or arm64' % mut.arch)


def series_subjects(tree, ref=base.RUN_BRANCH):
    return set(base.git(tree, 'log', '--format=%s', '%s..%s' % (base.BASE_TAG, ref))
               .stdout.splitlines())


def _mutate(text, old, new, where):
    n = text.count(old)
    if n != 1:
        raise SuiteError(EXIT_USAGE, 'mutant: %s has %d copies of the text to replace, '
                         'expected 1 (is the mutant out of date?):\n%s' % (where, n, old))
    return text.replace(old, new)


def make_branch(tree, mut, branch=MUTANT_BRANCH):
    """Branch = base.RUN_BRANCH with the commit of mut's patch, and every
    later one, changed by mut (a developer's bug made in that patch).
    Returns (mutated commit of that patch, tip of the branch)."""
    subject, path = mut.subject, mut.file
    commits = base.git(tree, 'rev-list', '--reverse', '%s..%s' % (
        base.BASE_TAG, base.RUN_BRANCH)).stdout.split()
    subjects = [base.git(tree, 'log', '-1', '--format=%s', c).stdout.strip() for c in commits]
    if subject not in subjects:
        raise SuiteError(EXIT_USAGE, 'mutant: no commit "%s" in %s' % (subject,
                                                                        base.RUN_BRANCH))
    k = subjects.index(subject)
    parent = commits[k - 1] if k else base.base_commit(tree)
    index = os.path.join(base.git_dir(tree), 'mm-suite-mutant.index')
    first = None
    try:
        for c in commits[k:]:
            text = base.git(tree, 'show', '%s:%s' % (c, path)).stdout
            blob = subprocess.run(['git', '-C', tree, 'hash-object', '-w', '--stdin'],
                                  input=mut.apply(text),
                                  stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
            env = dict(base.git_env(), GIT_INDEX_FILE=index)
            for args in (['read-tree', c],
                         ['update-index', '--cacheinfo', '100644,%s,%s' % (blob, path)]):
                subprocess.run(['git', '-C', tree] + args, env=env, check=True)
            newtree = subprocess.run(['git', '-C', tree, 'write-tree'], env=env, check=True,
                                     stdout=subprocess.PIPE, text=True).stdout.strip()
            fmt = base.git(tree, 'log', '-1', '--format=%an%x00%ae%x00%aD%x00%cD%x00%B',
                           c).stdout
            an, ae, ad, cd, msg = fmt.split('\0', 4)
            env.update(GIT_AUTHOR_NAME=an, GIT_AUTHOR_EMAIL=ae, GIT_AUTHOR_DATE=ad,
                       GIT_COMMITTER_DATE=cd)
            parent = subprocess.run(['git', '-C', tree, 'commit-tree', newtree, '-p', parent],
                                    input=msg, env=env, stdout=subprocess.PIPE, text=True,
                                    check=True).stdout.strip()
            first = first or parent
    finally:
        if os.path.exists(index):
            os.unlink(index)
    base.git(tree, 'branch', '-f', branch, parent)
    return first, parent


# --- ./run_tests.sh --mutants -------------------------------------------

# Bump when what a verdict means changes, so cached verdicts are redone.
VERDICT_VERSION = 1
KILLED, SURVIVED, INVALID, EQUIVALENT, ERROR = (
    'killed', 'survived', 'invalid', 'equivalent', 'error')


def select(patterns):
    """Mutants for --mutants: every one, the ids matching patterns, or
    with @ci the fixed CI subset (CI: yes)."""
    ci = '@ci' in patterns
    rest = [p for p in patterns if p != '@ci']
    muts = load(rest or None)
    if ci:
        muts = [m for m in (load() if not rest else muts) if m.ci]
    return muts


def tip_branch(tree, mut, ref=base.RUN_BRANCH, branch=MUTANT_BRANCH):
    """Branch = ref plus one commit that applies mut; returns its id."""
    text = base.git(tree, 'show', '%s:%s' % (ref, mut.file)).stdout
    blob = subprocess.run(['git', '-C', tree, 'hash-object', '-w', '--stdin'],
                          input=mut.apply(text), stdout=subprocess.PIPE, text=True,
                          check=True).stdout.strip()
    index = os.path.join(base.git_dir(tree), 'mm-suite-mutant.index')
    env = dict(base.git_env(), GIT_INDEX_FILE=index)
    try:
        for args in (['read-tree', ref],
                     ['update-index', '--cacheinfo', '100644,%s,%s' % (blob, mut.file)]):
            subprocess.run(['git', '-C', tree] + args, env=env, check=True)
        newtree = subprocess.run(['git', '-C', tree, 'write-tree'], env=env, check=True,
                                 stdout=subprocess.PIPE, text=True).stdout.strip()
    finally:
        if os.path.exists(index):
            os.unlink(index)
    tip = subprocess.run(['git', '-C', tree, 'commit-tree', newtree, '-p', ref],
                         input='mutant: %s\n\n%s\n' % (mut.id, mut.fields['class']),
                         env=base.git_env(), stdout=subprocess.PIPE, text=True,
                         check=True).stdout.strip()
    base.git(tree, 'branch', '-f', branch, tip)
    return tip


def _sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode())
        h.update(b'\0')
    return h.hexdigest()


def series_hash(tree, ref=base.RUN_BRANCH):
    """What the kernel build sees of the series: its diff from the base,
    without the kselftest copies (the suite runs kselftests/)."""
    d = base.git(tree, 'diff', '--binary', base.BASE_TAG, ref, '--', '.',
                 ':(exclude)tools/testing/selftests').stdout
    return _sha(d)


def _repo_file(rel):
    try:
        with open(os.path.join(REPO, rel), 'rb') as f:
            return f.read()
    except OSError:
        return b''


def suite_hash(mut):
    """The test side of a verdict: the kselftest sources the mutant runs,
    the guest init, the configs, the lists of suites and tests."""
    progs = []
    with open(os.path.join(REPO, 'kselftests', 'tests.list')) as f:
        progs = [ln.split()[0] for ln in f if ln.split() and not ln.startswith('#')]
    parts = [str(VERDICT_VERSION), mut.arch]
    rels = ['kunit/suites', 'kselftests/tests.list', 'tools/guest/init.c']
    rels += sorted('configs/' + c for c in os.listdir(os.path.join(REPO, 'configs')))
    if any(s in progs for s in mut.suites()):
        rels += ['kselftests/folio_util.c', 'kselftests/folio_util.h']
    rels += ['kselftests/%s.c' % s for s in mut.suites() if s in progs]
    for rel in rels:
        parts += [rel, _repo_file(rel)]
    return _sha(*parts)


class Verdicts:
    """cache/mutants/verdicts.json: key -> record of an earlier run."""

    def __init__(self, cache):
        self.path = os.path.join(cache, 'mutants', 'verdicts.json')
        try:
            with open(self.path) as f:
                self.data = json.load(f)
        except (OSError, ValueError):
            self.data = {}

    @staticmethod
    def key(mut, series, suite):
        return _sha(mut.digest, series, suite)

    def get(self, key):
        return self.data.get(key)

    def put(self, key, rec):
        self.data[key] = rec
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = self.path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.data, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)


def judge(mut, rows, infra):
    """(verdict, killing cases, note) from one run's rows."""
    from common import EXIT_BUILD
    if EXIT_BUILD in infra:
        return INVALID, [], next((r.error for r in rows if r.kind == 'infra'), '')
    failed = []
    for r in rows:
        if r.kind == 'infra':
            failed.append('%s: %s' % (r.suite, r.error))
            continue
        if r.error:
            failed.append('%s: %s' % (r.suite, r.error))
        failed += [c['name'] for c in r.cases if c['status'] in ('fail', 'error')]
    if infra and not failed:
        return ERROR, [], 'the run ended with exit %s and no failed case' % infra
    if failed:
        # A program failfast stopped also misses its plan: not a finding.
        real = [c for c in failed if not c.endswith('.<plan>')]
        return KILLED, real or failed, ''
    if mut.equivalent:
        return EQUIVALENT, [], mut.equivalent
    return SURVIVED, [], ''


def _restore(tree):
    """Back on the series branch, and the mutant branch gone."""
    base.git(tree, 'checkout', '-q', base.RUN_BRANCH, check=False)
    base.git(tree, 'branch', '-q', '-D', MUTANT_BRANCH, check=False)


def run_catalog(a, tree, cache, res, run_suite):
    """./run_tests.sh --mutants: returns the exit code."""
    import copy
    import time
    import arches
    import report
    from common import EXIT_BUILD, EXIT_PATCH, EXIT_TEST_FAILED, log
    muts = select(a.mutants)
    subjects_in_order = base.git(tree, 'log', '--reverse', '--format=%s', '%s..%s' % (
        base.BASE_TAG, base.RUN_BRANCH)).stdout.splitlines()
    number = {subj: i + 1 for i, subj in enumerate(subjects_in_order)}
    for m in muts:
        try:
            check(m, tree, subjects=set(subjects_in_order))
        except SuiteError as e:
            raise SuiteError(EXIT_PATCH, '%s\nThe mutant no longer matches the series: '
                             'update mutants/%s.mutant (nothing was built).'
                             % (e.msg, m.id))
    want = {x.name for x in a.arches}
    shash = series_hash(tree)
    verdicts = Verdicts(cache)
    kunit_names = {n for n in known_suites()} - {
        ln.split()[0] for ln in open(os.path.join(REPO, 'kselftests', 'tests.list'))
        if ln.split() and not ln.startswith('#')}
    recs = []
    log('mutants: %d selected; series %s' % (len(muts), shash[:12]))
    try:
        for i, m in enumerate(muts, 1):
            rec = {'id': m.id, 'feature': m.feature, 'patch': m.subject,
                   'patch_number': number.get(m.subject), 'file': m.file,
                   'class': m.fields['class'], 'arch': m.arch, 'expect': m.expect,
                   'ci': m.ci}
            if m.arch not in want:
                rec.update(verdict='not run', note='Arch %s is not in --arch' % m.arch)
                recs.append(rec)
                continue
            key = Verdicts.key(m, shash, suite_hash(m))
            old = None if a.mutants_rerun else verdicts.get(key)
            if old:
                rec.update({k: old.get(k) for k in ('verdict', 'killed_by', 'note',
                                                    'seconds')},
                           cached=True)
                rec['killed_by'] = [c for c in rec['killed_by'] or []
                                    if not c.endswith('.<plan>')] or rec['killed_by']
                rec['as_expected'] = expected_hit(m, rec['killed_by'] or [])
                log('mutants: [%d/%d] %s: %s (cached)' % (i, len(muts), m.id, old['verdict']))
                recs.append(rec)
                continue
            log('mutants: [%d/%d] %s (%s, patch %s): building and running %s'
                % (i, len(muts), m.id, m.arch, number.get(m.subject), ' '.join(m.suites())))
            t0 = time.monotonic()
            tip_branch(tree, m)
            r = base.git(tree, 'checkout', '-q', MUTANT_BRANCH, check=False)
            if r.returncode:
                raise SuiteError(EXIT_PATCH, '%s: cannot check out %s: %s'
                                 % (tree, MUTANT_BRANCH, r.stderr.strip()))
            b = copy.copy(a)
            b.arches = [arches.ARCHES[m.arch]]
            b.only, b.only_suites = None, m.suites()
            b.failfast = True
            b.no_kunit = not any(s in kunit_names for s in m.suites())
            b.no_kselftest = all(s in kunit_names for s in m.suites())
            sub = report.ensure_dir(os.path.join(res, m.id))
            rows, infra = run_suite(b, tree, cache, sub)
            report.write_all(sub, rows, {'mutant': m.id, 'arches': [m.arch]},
                             report.exit_code(rows, infra))
            verdict, killed_by, note = judge(m, rows, infra)
            rec.update(verdict=verdict, killed_by=killed_by, note=note,
                       seconds=round(time.monotonic() - t0), cached=False)
            rec['as_expected'] = expected_hit(m, killed_by)
            if verdict == KILLED and m.equivalent:
                rec['note'] = 'marked Equivalent but killed: drop the Equivalent line'
            log('mutants: [%d/%d] %s: %s%s' % (i, len(muts), m.id, verdict,
                                              ' by ' + killed_by[0] if killed_by else ''))
            _restore(tree)
            if verdict != ERROR:
                verdicts.put(key, {k: rec[k] for k in
                                   ('verdict', 'killed_by', 'note', 'seconds')})
            recs.append(rec)
    finally:
        _restore(tree)
    write_reports(res, recs, shash)
    with open(os.path.join(res, 'mutants.txt')) as f:
        print(f.read(), end='')
    verdicts_seen = {r['verdict'] for r in recs}
    if SURVIVED in verdicts_seen:
        code = EXIT_TEST_FAILED
    elif INVALID in verdicts_seen:
        code = EXIT_BUILD
    elif ERROR in verdicts_seen:
        code = EXIT_TEST_FAILED
    else:
        code = 0
    print('\nmutants: %s (exit %d); reports: %s/mutants.{txt,json,md}'
          % ('every mutant run was killed' if code == 0 else 'NOT every mutant was killed',
             code, res))
    return code


def expected_hit(mut, cases):
    """Whether a killing case is one the mutant's Expect names: a case
    pattern matches it, or a suite pattern names its suite."""
    for c in cases:
        for e in mut.expect:
            if '.' in e:
                hit = fnmatch.fnmatchcase(c, e) or fnmatch.fnmatchcase(c, e + '.*')
            else:
                hit = fnmatch.fnmatchcase(c.split('.', 1)[0], e)
            if hit:
                return True
    return False


def _short(cases, n=2):
    if not cases:
        return '-'
    more = ' (+%d more)' % (len(cases) - n) if len(cases) > n else ''
    return '; '.join(c if len(c) <= 90 else c[:87] + '...' for c in cases[:n]) + more


def write_reports(res, recs, shash):
    """mutants.txt (matrix), mutants.json, mutants.md (cover letter)."""
    with open(os.path.join(res, 'mutants.json'), 'w') as f:
        json.dump({'series_hash': shash, 'mutants': recs}, f, indent=1, sort_keys=True)
        f.write('\n')
    head = ('mutant', 'patch', 'verdict', 'time', 'expected', 'killed by')
    body = []
    for r in recs:
        t = '-' if r.get('seconds') is None else '%ds%s' % (r['seconds'],
                                                             '*' if r.get('cached') else '')
        exp = '-' if r['verdict'] != KILLED else 'yes' if r.get('as_expected') else 'no'
        body.append((r['id'], '%04d' % r['patch_number'] if r.get('patch_number') else '?',
                     r['verdict'], t, exp, _short(r.get('killed_by')) if r.get('killed_by')
                     else r.get('note') or '-'))
    w = [max(len(x[i]) for x in [head] + body) for i in range(len(head) - 1)]
    fmt = '  '.join('%%-%ds' % n for n in w) + '  %s'
    lines = [fmt % head, fmt % tuple('-' * n for n in w + [9])]
    # expected: whether a killing case is one the mutant's Expect names.
    lines += [fmt % b for b in body]
    lines.append('(* a verdict cached from an earlier run of the same mutant, series '
                 'and tests)')
    lines.append('')
    lines += ['%-15s %s' % (feat + ':', rate) for feat, rate in per_feature(recs)]
    with open(os.path.join(res, 'mutants.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    md = ['| mutant | patch | feature | bug class | verdict | killed by |',
          '|---|---|---|---|---|---|']
    for r in recs:
        md.append('| `%s` | %s | %s | %s | %s | %s |' % (
            r['id'], '%04d' % r['patch_number'] if r.get('patch_number') else '?',
            r['feature'], r['class'].replace('|', '/'), r['verdict'],
            _short(r.get('killed_by'), 1).replace('|', '/') if r.get('killed_by')
            else (r.get('note') or '').replace('|', '/')))
    md.append('')
    md += ['- %s: %s' % (feat, rate) for feat, rate in per_feature(recs)]
    with open(os.path.join(res, 'mutants.md'), 'w') as f:
        f.write('\n'.join(md) + '\n')


def per_feature(recs):
    """[(feature, 'killed K of N run[, E equivalent][, S not run]')]."""
    out = []
    for feat in FEATURES + ('all',):
        rs = [r for r in recs if feat in ('all', r['feature'])]
        if not rs:
            continue
        ran = [r for r in rs if r['verdict'] not in ('not run', EQUIVALENT)]
        k = sum(r['verdict'] == KILLED for r in ran)
        extra = ''
        e = sum(r['verdict'] == EQUIVALENT for r in rs)
        n = sum(r['verdict'] == 'not run' for r in rs)
        if e:
            extra += ', %d equivalent' % e
        if n:
            extra += ', %d not run' % n
        out.append((feat, 'killed %d of %d%s' % (k, len(ran), extra)))
    return out


def lint(argv):
    """python3 tools/mmsuite/mutant.py lint [FILE...]: check catalog
    entries against the series tip of the suite's worktree, read only."""
    from common import cache_dir
    tree = os.path.join(cache_dir(), 'src', base.RUN_TREE_NAME)
    paths = argv or sorted(glob.glob(os.path.join(CATALOG, '*.mutant')))
    subjects = series_subjects(tree)
    bad = 0
    for p in paths:
        try:
            m = Mutant(os.path.abspath(p))
            check(m, tree, subjects=subjects)
            print('ok   %-40s %-14s %s' % (m.id, m.feature, m.subject))
        except SuiteError as e:
            print('BAD  ' + e.msg)
            bad += 1
    print('%d mutants, %d bad' % (len(paths), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    if sys.argv[1:2] == ['lint']:
        sys.exit(lint(sys.argv[2:]))
    sys.exit('usage: mutant.py lint [FILE...]')
