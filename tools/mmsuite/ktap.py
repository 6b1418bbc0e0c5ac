# SPDX-License-Identifier: GPL-2.0
"""A small KTAP / TAP13 parser for KUnit console logs and kselftest output.

Nesting is by indentation (four spaces a level), as KTAP specifies. Lines
that are not KTAP (kernel messages interleaved on the console, printk
timestamps) are ignored, so the same parser reads a raw console log.
"""

import re

PASS, FAIL, SKIP, ERROR = 'pass', 'fail', 'skip', 'error'

_TS = re.compile(r'^\[\s*\d+\.\d+\]\s?')
_RESULT = re.compile(r'^(ok|not ok)\s+(\d+)\s*(?:-\s*)?(.*?)\s*(?:#\s*(.*))?$')
_PLAN = re.compile(r'^1\.\.(\d+)')
_SUBTEST = re.compile(r'^#\s*Subtest:\s*(.*)$')
_TIME = re.compile(r'^#\s*time:\s*(\S+)\s+([\d.]+)')


class Test:
    def __init__(self, name, status, directive='', number=0):
        self.name = name
        self.status = status
        self.directive = directive
        self.number = number
        self.children = []
        self.diag = []          # diagnostic lines seen before the result
        self.time = None
        self.plan = None

    def __repr__(self):
        return 'Test(%r, %r, %d children)' % (self.name, self.status, len(self.children))

    def leaves(self, prefix=''):
        """Yield (path, status, detail) for every leaf case under this test.

        A parent that failed although none of its children did (a crash
        after the last case, a short plan) counts as one failure itself.
        """
        path = prefix + self.name
        if not self.children:
            yield path, self.status, self.detail()
            return
        child_failed = False
        for c in self.children:
            for leaf in c.leaves(path + '.'):
                if leaf[1] in (FAIL, ERROR):
                    child_failed = True
                yield leaf
        # A program that skipped as a whole may stop before its plan.
        if (self.plan is not None and self.plan != len(self.children) and
                self.status != SKIP):
            child_failed = True
            yield (path + '.<plan>', ERROR,
                   'plan announced %d results, got %d' % (self.plan, len(self.children)))
        if self.status in (FAIL, ERROR) and not child_failed:
            yield (path + ('.<exit>' if self.status == FAIL else '.<incomplete>'),
                   self.status, self.detail())

    def detail(self):
        d = [x for x in self.diag[-12:]]
        if self.directive:
            d.append('# ' + self.directive)
        return '\n'.join(d)


def _strip(line):
    line = line.rstrip('\r\n')
    line = _TS.sub('', line)
    return line.expandtabs(4)


def _status(okword, directive):
    d = (directive or '').strip().upper()
    if d.startswith('SKIP'):
        return SKIP
    if okword == 'ok':
        return PASS
    return FAIL


def parse(text):
    """Parse text; return the list of top-level Test nodes.

    Tests whose result line never came (the kernel died mid-suite) are
    returned as ERROR nodes holding what was seen.
    """
    pending = {}        # level -> list of finished tests at that level
    plans = {}          # level -> announced plan
    diag = {}           # level -> diagnostics since the last result
    names = {}          # level -> "# Subtest:" name
    times = {}
    started = False
    for raw in text.splitlines():
        line = _strip(raw)
        body = line.lstrip(' ')
        level = (len(line) - len(body)) // 4
        if body.startswith('KTAP version') or body.startswith('TAP version'):
            started = True
            # A new document at this level resets its plan.
            plans.pop(level, None)
            continue
        if not started:
            continue
        m = _TIME.match(body)
        if m:
            times[m.group(1)] = float(m.group(2))
            continue
        m = _SUBTEST.match(body)
        if m:
            names[level] = m.group(1).strip()
            continue
        m = _PLAN.match(body)
        if m:
            plans[level] = int(m.group(1))
            continue
        m = _RESULT.match(body)
        if m:
            t = Test(m.group(3) or names.get(level + 1, ''), _status(m.group(1), m.group(4)),
                     (m.group(4) or '').strip(), int(m.group(2)))
            t.children = pending.pop(level + 1, [])
            t.plan = plans.pop(level + 1, None) if t.children or (level + 1) in plans else None
            t.diag = diag.pop(level + 1, []) + diag.pop(level, [])
            for deeper in [k for k in pending if k > level]:
                pending.pop(deeper)
            names.pop(level + 1, None)
            pending.setdefault(level, []).append(t)
            continue
        if body.startswith('#'):
            diag.setdefault(level, []).append(body)
    # Results that never got their parent's result line: the run was cut.
    levels = sorted(pending)
    while levels and levels[-1] > 0:
        lv = levels.pop()
        orphans = pending.pop(lv)
        parent = Test(names.get(lv, '<incomplete>'), ERROR,
                      'no result line: the run was cut short')
        parent.children = orphans
        pending.setdefault(lv - 1, []).append(parent)
        if lv - 1 not in levels:
            levels.append(lv - 1)
            levels.sort()
    top = pending.get(0, [])
    top_plan = plans.get(0)
    for t in top:
        if t.name in times:
            t.time = times[t.name]
    return top, top_plan


def summarize(test):
    """Counts of leaf cases by status for one top-level test."""
    counts = {PASS: 0, FAIL: 0, SKIP: 0, ERROR: 0}
    cases = []
    for path, status, detail in test.leaves():
        counts[status] += 1
        cases.append({'name': path, 'status': status, 'detail': detail})
    return counts, cases
