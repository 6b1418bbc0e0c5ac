# SPDX-License-Identifier: GPL-2.0
"""Summary table, JSON summary and JUnit XML from the parsed results."""

import json
import re
import os
import xml.etree.ElementTree as ET

import ktap


class Row:
    """One (suite, arch) line of the summary."""

    def __init__(self, suite, arch, kind, counts=None, cases=None, seconds=None,
                 error=None):
        self.suite = suite
        self.arch = arch
        self.kind = kind            # kunit | kselftest | infra
        self.counts = counts or {ktap.PASS: 0, ktap.FAIL: 0, ktap.SKIP: 0, ktap.ERROR: 0}
        self.cases = cases or []
        self.seconds = seconds
        self.error = error          # infrastructure problem, if any
        self.flaky = []             # case names with mixed results over --repeat
        self.runs = 1

    @property
    def verdict(self):
        if self.error or self.counts[ktap.ERROR]:
            return 'ERROR'
        if self.counts[ktap.FAIL]:
            return 'FAIL'
        if not self.counts[ktap.PASS] and self.counts[ktap.SKIP]:
            return 'SKIP'
        if not any(self.counts.values()):
            return 'ERROR'
        return 'PASS'

    def to_json(self):
        return {'suite': self.suite, 'arch': self.arch, 'kind': self.kind,
                'verdict': self.verdict, 'pass': self.counts[ktap.PASS],
                'fail': self.counts[ktap.FAIL], 'skip': self.counts[ktap.SKIP],
                'error': self.counts[ktap.ERROR], 'seconds': self.seconds,
                'problem': self.error, 'cases': self.cases, 'flaky': self.flaky,
                'runs': self.runs}


def rows_from_ktap(text, arch, kind, expected=(), seconds=None):
    """Rows for every top-level test in text; expected suites that are
    missing get an ERROR row of their own."""
    tops, _ = ktap.parse(text)
    rows = []
    for t in tops:
        counts, cases = ktap.summarize(t)
        rows.append(Row(t.name, arch, kind, counts, cases,
                        t.time if t.time is not None else seconds))
    seen = {r.suite for r in rows}
    for s in expected:
        if s not in seen:
            rows.append(Row(s, arch, kind, error='suite %s reported no results' % s))
    return rows


def table(rows):
    head = ('suite', 'arch', 'result', 'pass', 'fail', 'skip', 'time')
    body = []
    for r in rows:
        body.append((r.suite, r.arch, r.verdict, str(r.counts[ktap.PASS]),
                     str(r.counts[ktap.FAIL] + r.counts[ktap.ERROR]),
                     str(r.counts[ktap.SKIP]),
                     '%.1fs' % r.seconds if r.seconds is not None else '-'))
    w = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    fmt = '  '.join('%%-%ds' % n for n in w)
    out = [fmt % head, fmt % tuple('-' * n for n in w)]
    out += [fmt % b for b in body]
    runs = max([r.runs for r in rows] or [1])
    if runs > 1:
        flaky = sum(len(r.flaky) for r in rows)
        out.append('(%d runs each; %s)' % (runs, '%d flaky case(s)' % flaky if flaky
                                           else 'no flaky case'))
    for r in rows:
        if r.error:
            out.append('  %s/%s: %s' % (r.suite, r.arch, r.error))
        for c in r.cases:
            if c['name'] in r.flaky:
                out.append('  %s FLAKY: %s (%s)' % (r.arch, c['name'],
                                                    c['detail'].split(';')[0][7:]))
            elif c['status'] in (ktap.FAIL, ktap.ERROR):
                out.append('  %s %s: %s' % (r.arch, c['status'].upper(), c['name']))
    return '\n'.join(out)


def write_json(path, rows, meta, exit_code):
    doc = dict(meta)
    doc['exit_code'] = exit_code
    doc['verdict'] = 'pass' if exit_code == 0 else 'fail' if exit_code == 1 else 'error'
    doc['rows'] = [r.to_json() for r in rows]
    with open(path, 'w') as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write('\n')


def write_junit(path, rows):
    root = ET.Element('testsuites')
    for r in rows:
        ts = ET.SubElement(root, 'testsuite', name='%s.%s' % (r.suite, r.arch),
                           tests=str(max(1, len(r.cases))),
                           failures=str(r.counts[ktap.FAIL]),
                           errors=str(r.counts[ktap.ERROR] + (1 if r.error else 0)),
                           skipped=str(r.counts[ktap.SKIP]),
                           time='%.3f' % (r.seconds or 0))
        if r.error:
            tc = ET.SubElement(ts, 'testcase', classname='%s.%s' % (r.suite, r.arch),
                               name=r.suite)
            ET.SubElement(tc, 'error', message=r.error)
        for c in r.cases:
            tc = ET.SubElement(ts, 'testcase', classname='%s.%s' % (r.suite, r.arch),
                               name=c['name'])
            if c['status'] == ktap.FAIL:
                ET.SubElement(tc, 'failure', message='failed').text = c['detail']
            elif c['status'] == ktap.ERROR:
                ET.SubElement(tc, 'error', message='error').text = c['detail']
            elif c['status'] == ktap.SKIP:
                ET.SubElement(tc, 'skipped', message=c['detail'] or 'skipped')
    ET.ElementTree(root).write(path, encoding='unicode', xml_declaration=True)


def exit_code(rows, infra_codes):
    """1 if anything failed; else the first infrastructure error code; else 0."""
    if any(r.verdict == 'FAIL' for r in rows):
        return 1
    if infra_codes:
        return infra_codes[0]
    if any(r.verdict == 'ERROR' for r in rows):
        return 1
    return 0


def ensure_dir(d):
    os.makedirs(d, exist_ok=True)
    return d


# --- Markdown for a cover letter, KCIDB for a KernelCI instance ---

def _cell(r):
    c = r.counts
    total = c[ktap.PASS] + c[ktap.FAIL] + c[ktap.SKIP] + c[ktap.ERROR]
    if r.error:
        return 'ERROR'
    if r.verdict == 'PASS':
        s = '%d/%d pass' % (c[ktap.PASS], total)
        return s + (', %d skip' % c[ktap.SKIP] if c[ktap.SKIP] else '')
    if r.verdict == 'SKIP':
        return 'skip (%d)' % c[ktap.SKIP]
    return '**%s** %d/%d pass' % (r.verdict, c[ktap.PASS], total)


def markdown(rows, meta):
    """A short report with one column per arch, for a cover letter."""
    arches = []
    suites = []
    for r in rows:
        if r.arch not in arches:
            arches.append(r.arch)
        if r.suite not in suites:
            suites.append(r.suite)
    by = {(r.suite, r.arch): r for r in rows}
    out = ['### mm-suite results', '']
    if meta.get('head'):
        out.append('Tree: `%s`' % meta['head'])
    if meta.get('base_commit'):
        out.append('base-commit: `%s`' % meta['base_commit'])
    if meta.get('debug'):
        out.append('Debug kernel (KASAN, lockdep, DEBUG_VM)')
    out += ['', '| suite | ' + ' | '.join(arches) + ' |',
            '|---|' + '---|' * len(arches)]
    for s in suites:
        out.append('| %s | %s |' % (s, ' | '.join(
            _cell(by[(s, a)]) if (s, a) in by else '-' for a in arches)))
    bad = [(r, c) for r in rows for c in r.cases if c['status'] in (ktap.FAIL, ktap.ERROR)]
    bad_rows = [r for r in rows if r.error]
    if bad or bad_rows:
        out += ['', 'Failures:', '']
        out += ['- %s: %s' % (r.arch, r.error) for r in bad_rows]
        out += ['- %s: %s' % (r.arch, c['name']) for r, c in bad]
    return '\n'.join(out) + '\n'


KCIDB_ORIGIN = 'mmsuite'
_KCIDB_STATUS = {ktap.PASS: 'PASS', ktap.FAIL: 'FAIL', ktap.SKIP: 'SKIP', ktap.ERROR: 'ERROR'}


def _kcidb_path(*parts):
    s = '.'.join(parts)
    return re.sub(r'[^A-Za-z0-9_.-]+', '_', s).strip('._')


def kcidb(rows, meta):
    """The run in the KCIDB v4.3 I/O schema: one checkout, one build per
    arch, one test per case. Ids are stable for a given tree and run."""
    run_id = meta.get('started', 'run')
    commit = meta.get('head_commit') or ''
    checkout_id = '%s:%s-%s' % (KCIDB_ORIGIN, commit[:12] or 'tree', run_id)
    checkout = {'id': checkout_id, 'origin': KCIDB_ORIGIN, 'tree_name': 'mm-suite',
                'valid': True, 'comment': meta.get('head', '')}
    if re.fullmatch(r'[0-9a-f]{40}', commit):
        checkout['git_commit_hash'] = commit
    if meta.get('patchset_hash') is not None:
        checkout['patchset_hash'] = meta['patchset_hash']
    builds, tests = {}, []
    for r in rows:
        bid = '%s:%s-%s-%s' % (KCIDB_ORIGIN, commit[:12] or 'tree', run_id, r.arch)
        if r.arch not in builds:
            builds[r.arch] = {'id': bid, 'origin': KCIDB_ORIGIN, 'checkout_id': checkout_id,
                              'architecture': r.arch, 'valid': True,
                              'config_name': 'mm-suite' + ('-debug' if meta.get('debug')
                                                           else '')}
        if r.kind == 'infra' and r.suite == 'build':
            builds[r.arch]['valid'] = False
            continue
        if r.error:
            tests.append({'id': '%s.%s' % (bid, _kcidb_path(r.suite)), 'origin': KCIDB_ORIGIN,
                          'build_id': bid, 'path': _kcidb_path(r.suite),
                          'status': 'MISS' if r.kind == 'infra' else 'ERROR',
                          'log_excerpt': r.error[:16384]})
            continue
        for c in r.cases:
            path = _kcidb_path(r.suite, c['name'][len(r.suite) + 1:]
                               if c['name'].startswith(r.suite + '.') else c['name'])
            t = {'id': '%s.%s' % (bid, path), 'origin': KCIDB_ORIGIN, 'build_id': bid,
                 'path': path, 'status': _KCIDB_STATUS[c['status']]}
            if c.get('detail'):
                t['log_excerpt'] = c['detail'][:16384]
            tests.append(t)
    return {'version': {'major': 4, 'minor': 3}, 'checkouts': [checkout],
            'builds': list(builds.values()), 'tests': tests}


def write_all(res, rows, meta, code):
    """Every report of a run: summary.txt/.json/.md, junit.xml, kcidb.json."""
    text = table(rows)
    with open(os.path.join(res, 'summary.txt'), 'w') as f:
        f.write(text + '\n')
    write_json(os.path.join(res, 'summary.json'), rows, meta, code)
    write_junit(os.path.join(res, 'junit.xml'), rows)
    with open(os.path.join(res, 'summary.md'), 'w') as f:
        f.write(markdown(rows, meta))
    with open(os.path.join(res, 'kcidb.json'), 'w') as f:
        json.dump(kcidb(rows, meta), f, indent=1, sort_keys=True)
        f.write('\n')
    return text


def merge_runs(runs):
    """One list of rows from the rows of N runs of the same tests.

    A case with the same status in every run keeps it. A case that passed
    in some runs and failed in others is FLAKY: it counts as a failure and
    its detail says how often it passed. A suite missing from some runs
    keeps the error of the run it was missing from.
    """
    if len(runs) == 1:
        return runs[0]
    order, rows = [], {}
    for i, run in enumerate(runs):
        for r in run:
            key = (r.suite, r.arch, r.kind)
            if key not in rows:
                order.append(key)
                rows[key] = []
            rows[key].append((i, r))
    out = []
    n = len(runs)
    for key in order:
        seen = rows[key]
        first = seen[0][1]
        err = next(('run %d: %s' % (i + 1, r.error) for i, r in seen if r.error), None)
        if len(seen) < n and not err:
            err = 'reported in %d of %d runs' % (len(seen), n)
        names, statuses, details = [], {}, {}
        for i, r in seen:
            for c in r.cases:
                if c['name'] not in statuses:
                    names.append(c['name'])
                    statuses[c['name']] = []
                statuses[c['name']].append(c['status'])
                if c['status'] in (ktap.FAIL, ktap.ERROR) and c['name'] not in details:
                    details[c['name']] = 'run %d: %s' % (i + 1, c['detail'] or '')
        counts = {ktap.PASS: 0, ktap.FAIL: 0, ktap.SKIP: 0, ktap.ERROR: 0}
        cases, flaky = [], []
        for name in names:
            st = statuses[name]
            kinds = set(st)
            if len(kinds) == 1 and len(st) == len(seen):
                status = st[0]
                detail = details.get(name, '')
            elif ktap.PASS in kinds and kinds & {ktap.FAIL, ktap.ERROR}:
                status = ktap.FAIL
                flaky.append(name)
                detail = 'FLAKY: passed in %d of %d runs; %s' % (
                    st.count(ktap.PASS), n, details.get(name, ''))
            else:
                # e.g. skip in one run, fail in another, or missing from some.
                bad = [x for x in st if x in (ktap.FAIL, ktap.ERROR)]
                status = bad[0] if bad else st[0]
                detail = details.get(name, '') or 'statuses over %d runs: %s' % (
                    n, ','.join(st))
            counts[status] += 1
            cases.append({'name': name, 'status': status, 'detail': detail})
        secs = [r.seconds for _, r in seen if r.seconds is not None]
        row = Row(first.suite, first.arch, first.kind, counts, cases,
                  sum(secs) / len(secs) if secs else None, err)
        row.flaky = flaky
        row.runs = n
        out.append(row)
    return out
