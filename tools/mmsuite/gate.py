# SPDX-License-Identifier: GPL-2.0
"""Gate a series: run the suite before and after it, report what changed.

The two sides run one after the other in the same tree and build
directories (a branch switch, then an incremental build), so a gate costs
one rebuild of what the series touches, not two cold builds.
"""

import json
import os
import re

import base
import ktap
from common import (EXIT_GATE_SIDE, EXIT_NAMES, EXIT_PATCH, EXIT_USAGE, SuiteError,
                    log)

BAD = (ktap.FAIL, ktap.ERROR)
# A suite's time changed "beyond noise" when it moved by this factor and
# by at least this many seconds (TCG timings wobble by ~20% run to run).
TIME_FACTOR = 1.5
TIME_MIN_DELTA = 5.0

GATE_BRANCH = 'mm-suite-gate'


def cases_of(rows):
    """(arch, name) -> (status, detail) for every case; a row that could not
    report (build failure, missing suite, hung VM) is one ERROR case."""
    out = {}
    for r in rows:
        if r.error:
            out[(r.arch, r.suite)] = (ktap.ERROR, r.error)
            continue
        for c in r.cases:
            out[(r.arch, c['name'])] = (c['status'], c.get('detail') or '')
    return out


NUMBER = re.compile(r'\d+(?:\.\d+)?')


def pair_renamed(b, a):
    """Some upstream cases print a measured value in their name
    ("transact_test Extra pages 145 (0.3%)"), so the same case has another
    name on each side. A case only in `b` and one only in `a` whose names
    differ in numbers alone, and are the only such pair, are one case:
    rename the before one. Cases whose numbers tell them apart ("order 4",
    "order 5") are on both sides and are never paired."""
    def shape(key):
        return (key[0], NUMBER.sub('#', key[1]))
    renamed = []
    only_b, only_a = {}, {}
    for key in set(b) - set(a):
        only_b.setdefault(shape(key), []).append(key)
    for key in set(a) - set(b):
        only_a.setdefault(shape(key), []).append(key)
    for s, keys in only_b.items():
        if len(keys) == 1 and len(only_a.get(s, ())) == 1:
            new = only_a[s][0]
            b[new] = b.pop(keys[0])
            renamed.append({'arch': new[0], 'name': new[1], 'before': keys[0][1],
                            'after': new[1], 'detail': ''})
    return b, sorted(renamed, key=lambda x: x['name'])


def compare(before, after):
    """What the series changed. Returns a dict of lists of
    {'arch', 'name', 'before', 'after', 'detail'} plus 'timing'."""
    b, a = cases_of(before), cases_of(after)
    b, renamed = pair_renamed(b, a)
    out = {'regressions': [], 'fixes': [], 'new_skips': [], 'new_tests': [],
           'gone': [], 'timing': [], 'renamed': renamed}
    for key in sorted(set(b) | set(a)):
        arch, name = key
        sb = b.get(key, (None, ''))[0]
        sa, detail = a.get(key, (None, ''))
        item = {'arch': arch, 'name': name, 'before': sb or 'absent',
                'after': sa or 'absent', 'detail': detail}
        if sb == sa:
            continue
        if sa in BAD:
            out['regressions'].append(item)
        elif sa is None:
            # A skip that is gone is not news (a suite absent before, say,
            # now reports its cases). A test that ran before and is gone
            # now hides whatever it checked: the gate fails.
            if sb != ktap.SKIP:
                out['gone'].append(item)
        elif sb in BAD and sa == ktap.PASS:
            out['fixes'].append(item)
        elif sa == ktap.SKIP:
            out['new_skips'].append(item)
        elif sb is None:
            out['new_tests'].append(item)
        else:
            out['fixes'].append(item)
    tb = {(r.arch, r.suite): r.seconds for r in before if r.seconds}
    for r in after:
        t0, t1 = tb.get((r.arch, r.suite)), r.seconds
        if not t0 or not t1:
            continue
        if max(t0, t1) / min(t0, t1) >= TIME_FACTOR and abs(t1 - t0) >= TIME_MIN_DELTA:
            out['timing'].append({'arch': r.arch, 'name': r.suite, 'before': t0,
                                  'after': t1})
    return out


def failed(diff):
    return bool(diff['regressions'] or diff['gone'])


def verdict(diff, sides):
    """(exit code, messages) of a gate. sides: label -> (rows, infra codes).
    A side that could not be built, booted or run gives no comparison:
    EXIT_GATE_SIDE, with what broke on which side, whatever the diff says
    (its tests would all look gone or failed)."""
    broken = []
    for label in ('before', 'after'):
        rows, infra = sides[label]
        for r in rows:
            if r.kind == 'infra':
                broken.append('gate: the %s side could not be built or run: %s %s: %s'
                              % (label, r.arch, r.suite, r.error))
        if infra and not any(r.kind == 'infra' for r in rows):
            broken.append('gate: the %s side could not be built or run (%s)'
                          % (label, ', '.join(EXIT_NAMES.get(c, str(c)) for c in infra)))
    if broken:
        broken.append('gate: no comparison made; per-side logs are in before/ and after/')
        return EXIT_GATE_SIDE, broken
    return (1 if failed(diff) else 0), []


def text(diff, labels=('before', 'after')):
    lines = []
    titles = [('regressions', 'New failures'), ('gone', 'Tests that no longer report'),
              ('new_skips', 'Now skipped'), ('fixes', 'New passes'),
              ('new_tests', 'New tests'),
              ('renamed', 'Compared across a number in the name (before name -> after name)')]
    for key, title in titles:
        items = diff[key]
        if not items:
            continue
        lines.append('%s (%d):' % (title, len(items)))
        for it in items:
            if key == 'renamed':
                lines.append('  %s %s -> %s' % (it['arch'], it['before'], it['after']))
                continue
            lines.append('  %s %s: %s -> %s' % (it['arch'], it['name'], it['before'],
                                                it['after']))
            if key == 'regressions' and it['detail']:
                lines.append('      ' + it['detail'].strip().splitlines()[0][:200])
    if diff['timing']:
        lines.append('Timing beyond noise (x%.1f and %.0f s):' % (TIME_FACTOR, TIME_MIN_DELTA))
        for it in diff['timing']:
            lines.append('  %s %s: %.1fs -> %.1fs' % (it['arch'], it['name'], it['before'],
                                                      it['after']))
    if not lines:
        lines.append('No change: every test has the same result %s and %s.' % labels)
    return '\n'.join(lines)


def markdown(diff, meta):
    if meta.get('error'):
        return ('### mm-suite gate\n\n' + '\n'.join('- ' + e for e in meta['error']) +
                '\n\nVerdict: ERROR (no comparison made)\n')
    out = ['### mm-suite gate', '', 'Before: `%s`' % meta.get('before', '?'),
           'After: `%s`' % meta.get('after', '?'), '']
    out.append('| change | arch | test | before | after |')
    out.append('|---|---|---|---|---|')
    for key in ('regressions', 'gone', 'new_skips', 'fixes', 'new_tests', 'renamed'):
        for it in diff[key]:
            out.append('| %s | %s | %s | %s | %s |' % (key.replace('_', ' '), it['arch'],
                                                       it['name'], it['before'], it['after']))
    for it in diff['timing']:
        out.append('| timing | %s | %s | %.1fs | %.1fs |' % (it['arch'], it['name'],
                                                            it['before'], it['after']))
    out.append('')
    out.append('Verdict: %s' % ('REGRESSED' if failed(diff) else 'no regression'))
    return '\n'.join(out) + '\n'


def write(res, diff, meta, code):
    with open(os.path.join(res, 'gate.txt'), 'w') as f:
        f.write(('\n'.join(meta['error']) if meta.get('error') else text(diff)) + '\n')
    with open(os.path.join(res, 'gate.md'), 'w') as f:
        f.write(markdown(diff, meta))
    doc = dict(meta)
    doc.update({'exit_code': code, 'regressed': failed(diff) and not meta.get('error'),
                'changes': diff})
    with open(os.path.join(res, 'gate.json'), 'w') as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write('\n')


# --- the candidate side ---

def patches_of(spec):
    """The patch files of a gate spec that is a directory or a file."""
    if os.path.isdir(spec):
        if os.path.exists(os.path.join(spec, 'series')):
            return base.read_series(spec)
        out = sorted(os.path.join(spec, f) for f in os.listdir(spec)
                     if f.endswith('.patch') and not f.startswith('0000-'))
        if not out:
            raise SuiteError(EXIT_USAGE, '--gate %s: no series file and no *.patch files'
                             % spec)
        return out
    if os.path.isfile(spec):
        return [spec]       # an mbox: git am takes every message in it
    raise SuiteError(EXIT_USAGE, '--gate %s: not a patch directory, an mbox or a git '
                     'range A..B' % spec)


def is_range(spec):
    return '..' in spec and not os.path.exists(spec)


def resolve_range(tree, spec):
    a, b = spec.split('..', 1)
    ids = []
    for ref in (a, b or 'HEAD'):
        r = base.git(tree, 'rev-parse', '--verify', '-q', ref + '^{commit}', check=False)
        if r.returncode:
            raise SuiteError(EXIT_USAGE, '--gate %s: %s is not a commit in %s'
                             % (spec, ref, tree))
        ids.append(r.stdout.strip())
    return ids


def make_candidate(tree, before, patches, logfile):
    """Branch GATE_BRANCH = before + patches; returns its commit."""
    r = base.git(tree, 'checkout', '-q', '--no-overwrite-ignore', '-B', GATE_BRANCH, before,
                 check=False)
    if r.returncode:
        raise SuiteError(EXIT_USAGE, '--gate: cannot check out %s in %s: %s'
                         % (before[:12], tree, r.stderr.strip()))
    for p in patches:
        r = base.git(tree, 'am', '-q', '-3', p, check=False)
        if r.returncode:
            with open(logfile, 'a') as f:
                f.write(r.stdout + r.stderr)
            base.git(tree, 'am', '--abort', check=False)
            raise SuiteError(EXIT_PATCH, '--gate: %s does not apply on %s:\n%s'
                             % (p, before[:12], (r.stdout + r.stderr).strip()[:2000]))
    head = base.git(tree, 'rev-parse', 'HEAD').stdout.strip()
    log('gate: %d patch file(s) applied on %s -> %s' % (len(patches), before[:12], head[:12]))
    return head


def current_ref(tree):
    """What to check out again afterwards: the branch, or the commit."""
    r = base.git(tree, 'symbolic-ref', '-q', '--short', 'HEAD', check=False)
    if r.returncode == 0 and r.stdout.strip():
        return r.stdout.strip()
    return base.git(tree, 'rev-parse', 'HEAD').stdout.strip()


def checkout(tree, ref):
    # The tree was clean when the gate started and builds go to O=: no -f,
    # so nothing of the user's in the way is overwritten.
    base.git(tree, 'checkout', '-q', '--no-overwrite-ignore', ref)


def require_clean(tree):
    base.refuse_if_busy(tree)
    if base.git(tree, 'status', '--porcelain', '-uno').stdout.strip():
        raise SuiteError(EXIT_USAGE, '--gate: %s has uncommitted changes; commit or stash '
                         'them first' % tree)
