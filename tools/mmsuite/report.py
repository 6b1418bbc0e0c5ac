# SPDX-License-Identifier: GPL-2.0
"""Summary table, JSON summary and JUnit XML from the parsed results."""

import json
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
                'problem': self.error, 'cases': self.cases}


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
    for r in rows:
        if r.error:
            out.append('  %s/%s: %s' % (r.suite, r.arch, r.error))
        for c in r.cases:
            if c['status'] in (ktap.FAIL, ktap.ERROR):
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
