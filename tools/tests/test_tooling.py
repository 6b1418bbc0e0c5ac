# SPDX-License-Identifier: GPL-2.0
"""Tests of the runner itself: parsers against golden logs, exit-code mapping,
reports, the VM watchdog (with fake QEMUs) and bad input. No kernel needed."""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
from unittest import mock
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, 'tools', 'mmsuite'))

import abbench  # noqa: E402
import arches  # noqa: E402
import base  # noqa: E402
import common  # noqa: E402
import deps  # noqa: E402
import gate  # noqa: E402
import kbuild  # noqa: E402
import ktap  # noqa: E402
import main  # noqa: E402
import mutant  # noqa: E402
import report  # noqa: E402
import splat  # noqa: E402
import vm  # noqa: E402


def golden(name):
    with open(os.path.join(HERE, 'golden', name), errors='replace') as f:
        return f.read()


class KtapTest(unittest.TestCase):
    def test_kunit_pass(self):
        rows = report.rows_from_ktap(golden('um-kunit-pass.log'), 'um', 'kunit',
                                     ['mm_folio_pte_batch'])
        self.assertEqual(len(rows), 1)
        r = rows[0]
        self.assertEqual(r.suite, 'mm_folio_pte_batch')
        self.assertEqual(r.verdict, 'PASS')
        self.assertEqual(r.counts[ktap.PASS], 14)
        self.assertEqual(r.counts[ktap.SKIP], 4)
        self.assertEqual(r.counts[ktap.FAIL], 0)
        names = [c['name'] for c in r.cases]
        self.assertIn('mm_folio_pte_batch.folio_pte_batch_table.stops at a PFN gap', names)

    def test_kunit_fail_names_the_case(self):
        rows = report.rows_from_ktap(golden('um-kunit-fail.log'), 'um', 'kunit')
        r = rows[0]
        self.assertEqual(r.verdict, 'FAIL')
        self.assertEqual(r.counts[ktap.FAIL], 1)
        failed = [c for c in r.cases if c['status'] == ktap.FAIL]
        self.assertEqual(failed[0]['name'],
                         'mm_folio_pte_batch.folio_pte_batch_table.stops at a PFN gap')
        self.assertIn('EXPECTATION FAILED', failed[0]['detail'])

    def test_kunit_crash_is_an_error_not_a_pass(self):
        rows = report.rows_from_ktap(golden('um-kunit-crash.log'), 'um', 'kunit',
                                     ['mm_folio_pte_batch'])
        self.assertTrue(any(r.verdict == 'ERROR' for r in rows))
        self.assertEqual(report.exit_code(rows, []), 1)

    def test_missing_suite_fails(self):
        rows = report.rows_from_ktap(golden('um-kunit-pass.log'), 'um', 'kunit',
                                     ['mm_folio_pte_batch', 'mm_not_there'])
        missing = [r for r in rows if r.suite == 'mm_not_there']
        self.assertEqual(missing[0].verdict, 'ERROR')
        self.assertEqual(report.exit_code(rows, []), 1)

    def test_empty_output_is_not_a_pass(self):
        rows = report.rows_from_ktap('', 'x86_64', 'kselftest', ['madv_free_thp'])
        self.assertEqual(rows[0].verdict, 'ERROR')

    def test_kselftest_channel(self):
        rows = report.rows_from_ktap(golden('x86_64-kselftest.ktap'), 'x86_64', 'kselftest',
                                     ['madv_free_thp'])
        r = rows[0]
        self.assertEqual(r.suite, 'madv_free_thp')
        self.assertEqual(r.verdict, 'PASS')
        self.assertGreaterEqual(r.counts[ktap.PASS], 3)
        self.assertIsNotNone(r.seconds)

    def test_kunit_real_failure(self):
        # folio_pte_batch() without its clamp to the folio end, on UML.
        rows = report.rows_from_ktap(golden('um-kunit-fail-real.log'), 'um', 'kunit',
                                     ['mm_folio_pte_batch'])
        failed = [c['name'] for r in rows for c in r.cases if c['status'] == ktap.FAIL]
        self.assertEqual(failed, ['mm_folio_pte_batch.folio_pte_batch_table.'
                                  'stops at end of folio although the next PFN follows'])

    def test_kunit_in_vm_console(self):
        # KUnit KTAP between kernel messages, with the guest init after it.
        text = golden('x86_64-console.log').split('mmsuite-init:', 1)[0]
        rows = report.rows_from_ktap(text, 'x86_64', 'kunit', ['mm_folio_pte_batch'])
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0].verdict, 'PASS')
        self.assertEqual(rows[0].counts[ktap.PASS], 18)

    def test_kselftest_failures_are_per_case(self):
        # MADV_FREE made a no-op: exactly the discard case fails, per size.
        rows = report.rows_from_ktap(golden('x86_64-kselftest-madvfree-noop.ktap'),
                                     'x86_64', 'kselftest', ['madv_free_thp'])
        r = rows[0]
        self.assertEqual(r.verdict, 'FAIL')
        self.assertEqual(r.counts[ktap.FAIL], 9)
        self.assertEqual(r.counts[ktap.PASS], 18)
        for c in r.cases:
            if c['status'] == ktap.FAIL:
                self.assertIn('discards clean pages', c['name'])
                self.assertIn('still present', c['detail'])

    def test_kselftest_timeout_and_exit_status(self):
        text = ('KTAP version 1\n1..2\n    # Subtest: a\n    TAP version 13\n    1..2\n'
                '    ok 1 first\n    ok 2 second\nnot ok 1 a # exit status 1\n'
                '    # Subtest: b\n    TAP version 13\n    1..3\n    ok 1 x\n'
                'not ok 2 b # TIMEOUT after 5 s\n# mmsuite-verdict: done failed=2\n')
        rows = report.rows_from_ktap(text, 'x86_64', 'kselftest')
        by = {r.suite: r for r in rows}
        # a: every case passed but the program failed: one failure of its own.
        self.assertEqual(by['a'].counts[ktap.FAIL], 1)
        self.assertEqual(by['a'].counts[ktap.PASS], 2)
        # b: announced 3, ran 1, then timed out.
        self.assertEqual(by['b'].verdict, 'ERROR')

    def test_upstream_mm_peer_run(self):
        # --upstream-mm on the patched x86_64 kernel: TAP and non-TAP programs.
        rows = report.rows_from_ktap(golden('x86_64-upstream-mm.ktap'), 'x86_64', 'kselftest')
        by = {r.suite: r for r in rows}
        self.assertEqual(by['cow'].counts[ktap.PASS], 639)
        self.assertEqual(by['khugepaged'].verdict, 'PASS')
        self.assertEqual(by['ksm_functional_tests'].verdict, 'SKIP')
        self.assertEqual(report.exit_code(rows, []), 0)

    def test_whole_program_skip_with_short_plan(self):
        # ksm_functional_tests without CONFIG_KSM: plans 9, skips, exits 4.
        text = ('KTAP version 1\n1..1\n    # Subtest: ksm\n    TAP version 13\n'
                '    1..9\n    ok 2 # SKIP open("/sys/kernel/mm/ksm/run") failed\n'
                'ok 1 ksm # SKIP\n')
        rows = report.rows_from_ktap(text, 'x86_64', 'kselftest', ['ksm'])
        self.assertEqual(rows[0].verdict, 'SKIP')
        self.assertEqual(report.exit_code(rows, []), 0)

    def test_skip_directive(self):
        text = 'TAP version 13\n1..2\nok 1 one # SKIP no THP\nok 2 two\n'
        tops, plan = ktap.parse(text)
        self.assertEqual(plan, 2)
        self.assertEqual([t.status for t in tops], [ktap.SKIP, ktap.PASS])

    def test_timestamps_and_noise_are_ignored(self):
        text = ('[    0.100000] KTAP version 1\n[    0.100001] 1..1\n'
                '[    0.2] random: crng init done\n'
                '[    0.3]     KTAP version 1\n[    0.3]     # Subtest: s\n'
                '[    0.3]     1..1\n[    0.4]     ok 1 c\n[    0.5] ok 1 s\n')
        tops, _ = ktap.parse(text)
        self.assertEqual(len(tops), 1)
        self.assertEqual(tops[0].status, ktap.PASS)
        self.assertEqual(len(tops[0].children), 1)


class SplatTest(unittest.TestCase):
    def test_real_warning_is_found_with_its_context(self):
        new, known = splat.find(golden('x86_64-console-warning.log'), 'x86_64',
                                kernel_only=True)
        self.assertEqual(known, [])
        self.assertEqual(len(new), 1)
        self.assertIn('mm/memcontrol.c:1277', new[0].title)
        self.assertIn('mem_cgroup_update_lru_size', new[0].text)

    def test_program_output_is_not_a_kernel_splat(self):
        text = golden('x86_64-console-warning.log')
        new, _ = splat.find(text, 'x86_64', kernel_only=False)
        # Without the timestamp rule the test program's line would count.
        self.assertEqual(len(new), 2)

    def test_known_uml_warning_is_reported_apart(self):
        new, known = splat.find(golden('um-kunit-pass.log'), 'um')
        self.assertEqual(new, [])
        self.assertEqual(len(known), 1)
        # The same text on another arch is not excused.
        new, _ = splat.find(golden('um-kunit-pass.log'), 'x86_64')
        self.assertEqual(len(new), 1)

    def test_kinds_of_report(self):
        for line in ('BUG: KASAN: slab-out-of-bounds in zap_pte_range+0x1/0x2',
                     'WARNING: possible circular locking dependency detected',
                     'kernel BUG at mm/page_table_check.c:120!',
                     'BUG: Bad rss-counter state mm:0000 type:MM_ANONPAGES val:512',
                     'BUG: sleeping function called from invalid context at mm/x.c:1',
                     'Unable to handle kernel paging request at virtual address 0'):
            new, _ = splat.find('[    2.000001] ' + line + '\n', 'arm64', kernel_only=True)
            self.assertEqual([s.title for s in new], [line])
        self.assertEqual(splat.find('[    1.0] ok 1 no WARNING here\n')[0], [])

    def test_console_row_fails_the_run(self):
        row = main.console_row(golden('x86_64-console-warning.log'), 'x86_64', True)
        self.assertEqual(row.verdict, 'FAIL')
        self.assertEqual(report.exit_code([row], []), 1)
        row = main.console_row('[    1.000000] all quiet\n', 'x86_64', True)
        self.assertEqual(row.verdict, 'PASS')
        # Clean consoles merge to a pass over --repeat; a splat in one run is
        # a flaky kernel-log.
        [m] = report.merge_runs([[row], [row]])
        self.assertEqual(m.verdict, 'PASS')
        bad = main.console_row(golden('x86_64-console-warning.log'), 'x86_64', True)
        [m] = report.merge_runs([[row], [bad]])
        self.assertEqual(m.verdict, 'FAIL')


class ReportTest(unittest.TestCase):
    def test_exit_codes(self):
        ok = report.Row('s', 'um', 'kunit', {ktap.PASS: 1, ktap.FAIL: 0, ktap.SKIP: 0,
                                               ktap.ERROR: 0})
        bad = report.Row('s', 'um', 'kunit', {ktap.PASS: 1, ktap.FAIL: 1, ktap.SKIP: 0,
                                                ktap.ERROR: 0})
        self.assertEqual(report.exit_code([ok], []), 0)
        self.assertEqual(report.exit_code([ok, bad], []), 1)
        # A known failure wins over an infrastructure problem elsewhere.
        self.assertEqual(report.exit_code([bad], [common.EXIT_BUILD]), 1)
        self.assertEqual(report.exit_code([ok], [common.EXIT_VM]), common.EXIT_VM)
        # Exit codes are distinct.
        self.assertEqual(len(set(common.EXIT_NAMES)), len(common.EXIT_NAMES))

    def test_reports_are_well_formed(self):
        rows = report.rows_from_ktap(golden('um-kunit-fail.log'), 'um', 'kunit')
        d = tempfile.mkdtemp()
        try:
            report.write_junit(os.path.join(d, 'j.xml'), rows)
            report.write_json(os.path.join(d, 's.json'), rows, {'x': 1}, 1)
            root = ET.parse(os.path.join(d, 'j.xml')).getroot()
            ts = root.find('testsuite')
            self.assertEqual(ts.get('failures'), '1')
            self.assertEqual(len(root.findall('.//failure')), 1)
            with open(os.path.join(d, 's.json')) as f:
                doc = json.load(f)
            self.assertEqual(doc['verdict'], 'fail')
            self.assertEqual(doc['rows'][0]['fail'], 1)
        finally:
            shutil.rmtree(d)
        self.assertIn('FAIL', report.table(rows))


class AbbenchReportTest(unittest.TestCase):
    """The A/B table: medians, interquartile ranges, and whether they overlap."""

    @staticmethod
    def _ktap(times_by_kb):
        return ''.join('# bench size_kb=%d rep=%d mib=4 seconds=%.3f left_kb=0\n'
                       % (kb, i, t) for kb, ts in times_by_kb.items()
                       for i, t in enumerate(ts))

    def test_overlap_and_json(self):
        d = tempfile.mkdtemp()
        try:
            ktaps = {'base': self._ktap({64: [1.0, 1.1, 1.2, 1.3, 1.4],
                                         4: [1.0, 1.1, 1.2, 1.3, 1.4]}),
                     'patched': self._ktap({64: [0.5, 0.55, 0.6, 0.65, 0.7],
                                            4: [1.1, 1.2, 1.25, 1.3, 1.5]})}
            with mock.patch('sys.stdout'):
                rows = abbench.report(d, 'x', ktaps, {'arch': 'x86_64'})
            by = {r['size_kb']: r for r in rows}
            self.assertAlmostEqual(by[64]['change_pct'], -50.0)
            self.assertFalse(by[64]['iqr_overlap'])
            self.assertTrue(by[4]['iqr_overlap'])
            self.assertEqual(by[4]['reps'], 5)
            with open(os.path.join(d, 'bench-x.json')) as f:
                self.assertEqual(len(json.load(f)['rows']), 2)
        finally:
            shutil.rmtree(d)

    def test_cases_are_kept_apart(self):
        """collapse_bench.c tags lines with case=; size_kb=0 is 'all sizes'."""
        d = tempfile.mkdtemp()
        try:
            line = '# bench case=%s size_kb=%d rep=%d mib=4 seconds=%.3f left_kb=%d\n'
            ktaps = {v: ''.join(line % (c, kb, i, t, -4 if c == 'sparse' else 0)
                                for c, kb, t in (('dense', 64, 1.0), ('dense', 0, 2.0),
                                                 ('sparse', 0, f))
                                for i in range(3))
                     for v, f in (('base', 3.0), ('patched', 1.5))}
            with mock.patch('sys.stdout'):
                rows = abbench.report(d, 'x', ktaps, {})
            by = {(r['case'], r['size_kb']): r for r in rows}
            self.assertEqual(set(by), {('dense', 64), ('dense', 0), ('sparse', 0)})
            self.assertAlmostEqual(by[('sparse', 0)]['ratio'], 0.5)
            self.assertEqual(by[('sparse', 0)]['max_left_kb'], -4)
        finally:
            shutil.rmtree(d)

    def test_series_at_a_revision(self):
        d = tempfile.mkdtemp()
        try:
            got = abbench.series_at('HEAD', d)
            self.assertGreater(len(got), 1)
            self.assertTrue(all(p.startswith(d) and os.path.exists(p) for p in got))
            with self.assertRaises(common.SuiteError):
                abbench.series_at('no-such-revision', d)
        finally:
            shutil.rmtree(d)

    def test_no_measurement_is_an_error(self):
        with self.assertRaises(common.SuiteError):
            with mock.patch('sys.stdout'):
                abbench.report(tempfile.gettempdir(), 'x', {'base': '', 'patched': ''}, {})


def _row(suite, arch, statuses, kind='kselftest'):
    """A row with cases c0, c1, ... of the given statuses."""
    counts = {ktap.PASS: 0, ktap.FAIL: 0, ktap.SKIP: 0, ktap.ERROR: 0}
    cases = []
    for i, st in enumerate(statuses):
        counts[st] += 1
        cases.append({'name': '%s.c%d' % (suite, i), 'status': st,
                      'detail': 'why %d' % i if st == ktap.FAIL else ''})
    return report.Row(suite, arch, kind, counts, cases, 1.0)


class RepeatAndReportsTest(unittest.TestCase):
    def test_mixed_results_are_flaky_and_fail(self):
        P, F = ktap.PASS, ktap.FAIL
        runs = [[_row('t', 'x86_64', [P, P, F])], [_row('t', 'x86_64', [P, F, F])],
                [_row('t', 'x86_64', [P, P, F])]]
        [r] = report.merge_runs(runs)
        self.assertEqual(r.flaky, ['t.c1'])
        self.assertEqual(r.counts[P], 1)
        self.assertEqual(r.counts[F], 2)
        self.assertIn('passed in 2 of 3 runs', r.cases[1]['detail'])
        self.assertEqual(r.verdict, 'FAIL')
        self.assertIn('FLAKY: t.c1', report.table([r]))
        # The same failure every time is a failure, not a flake.
        self.assertNotIn('t.c2', r.flaky)

    def test_stable_runs_merge_to_one_pass(self):
        P = ktap.PASS
        [r] = report.merge_runs([[_row('t', 'um', [P, P])]] * 4)
        self.assertEqual((r.verdict, r.flaky, r.runs), ('PASS', [], 4))

    def test_suite_missing_from_one_run_is_an_error(self):
        P = ktap.PASS
        gone = report.Row('t', 'um', 'kunit', error='suite t reported no results')
        [r] = report.merge_runs([[_row('t', 'um', [P], 'kunit')], [gone]])
        self.assertEqual(r.verdict, 'ERROR')
        self.assertIn('run 2', r.error)

    def test_markdown_has_one_column_per_arch(self):
        P, F = ktap.PASS, ktap.FAIL
        rows = [_row('madv_free_thp', 'x86_64', [P, P]), _row('madv_free_thp', 'arm64', [P, F])]
        md = report.markdown(rows, {'head': 'abc subject', 'base_commit': '0' * 40})
        self.assertIn('| suite | x86_64 | arm64 |', md)
        self.assertIn('| madv_free_thp | 2/2 pass | **FAIL** 1/2 pass |', md)
        self.assertIn('- arm64: madv_free_thp.c1', md)

    def test_kcidb_follows_the_v4_schema(self):
        P, F, S = ktap.PASS, ktap.FAIL, ktap.SKIP
        rows = [_row('mm_folio_pte_batch', 'um', [P, S], 'kunit'),
                _row('madv_free_thp', 'x86_64', [P, F]),
                report.Row('build', 'arm64', 'infra', error='arm64: kernel build failed')]
        doc = report.kcidb(rows, {'started': '20261122-140000', 'head_commit': 'a' * 40,
                                  'patchset_hash': 'b' * 64})
        self.assertEqual(doc['version'], {'major': 4, 'minor': 3})
        self.assertEqual(doc['checkouts'][0]['git_commit_hash'], 'a' * 40)
        builds = {b['architecture']: b for b in doc['builds']}
        self.assertFalse(builds['arm64']['valid'])
        self.assertTrue(builds['x86_64']['valid'])
        allowed = {'checkouts': {'id', 'origin', 'tree_name', 'valid', 'comment',
                                 'git_commit_hash', 'patchset_hash'},
                   'builds': {'id', 'origin', 'checkout_id', 'architecture', 'valid',
                              'config_name'},
                   'tests': {'id', 'origin', 'build_id', 'path', 'status', 'log_excerpt'}}
        ids = set()
        for kind, keys in allowed.items():
            for obj in doc[kind]:
                self.assertLessEqual(set(obj), keys)
                self.assertRegex(obj['id'], r'^mmsuite:.+')
                self.assertNotIn(obj['id'], ids)
                ids.add(obj['id'])
        for t in doc['tests']:
            self.assertIn(t['status'], ('FAIL', 'ERROR', 'MISS', 'PASS', 'DONE', 'SKIP'))
            self.assertIn(t['build_id'], {b['id'] for b in doc['builds']})
            self.assertRegex(t['path'], r'^[A-Za-z0-9_.-]+$')
        self.assertEqual(sorted(t['status'] for t in doc['tests']),
                         ['FAIL', 'PASS', 'PASS', 'SKIP'])

    def test_write_all_writes_every_report(self):
        d = tempfile.mkdtemp()
        try:
            report.write_all(d, [_row('t', 'um', [ktap.PASS])], {'started': 'x'}, 0)
            self.assertEqual(sorted(os.listdir(d)), ['junit.xml', 'kcidb.json', 'summary.json',
                                                     'summary.md', 'summary.txt'])
        finally:
            shutil.rmtree(d)


class OnlyTest(unittest.TestCase):
    def args(self, *extra):
        return main.parse_args(['--arch', 'x86_64'] + list(extra))

    def test_only_selects_suites_and_cases(self):
        a = self.args('--only', 'madv_free_thp.c1')
        self.assertEqual(main.selected(a, ['madv_free_thp', 'mm_folio_pte_batch']),
                         ['madv_free_thp'])
        rows = main.filter_rows(a, [_row('madv_free_thp', 'x86_64',
                                         [ktap.PASS, ktap.FAIL, ktap.PASS])])
        self.assertEqual([c['name'] for c in rows[0].cases], ['madv_free_thp.c1'])
        self.assertEqual(rows[0].verdict, 'FAIL')

    def test_only_matching_nothing_is_an_error(self):
        a = self.args('--only', 'madv_free_thp.nosuch')
        rows = main.filter_rows(a, [_row('madv_free_thp', 'x86_64', [ktap.PASS])])
        self.assertEqual(report.exit_code(rows, []), 1)
        self.assertIn('no test case matches', rows[-1].error)

    def test_repeat_must_be_positive(self):
        with self.assertRaises(SystemExit):
            with mock.patch('sys.stderr'):
                self.args('--repeat', '0')


class GateTest(unittest.TestCase):
    def test_compare_reports_only_changes(self):
        P, F, S = ktap.PASS, ktap.FAIL, ktap.SKIP
        before = [_row('t', 'x86_64', [P, F, P, P, P]), _row('gone', 'x86_64', [P])]
        after = [_row('t', 'x86_64', [F, P, S, P, P, P])]
        after[0].seconds = 30.0
        d = gate.compare(before, after)
        self.assertEqual([x['name'] for x in d['regressions']], ['t.c0'])
        self.assertEqual([x['name'] for x in d['fixes']], ['t.c1'])
        self.assertEqual([x['name'] for x in d['new_skips']], ['t.c2'])
        self.assertEqual([x['name'] for x in d['new_tests']], ['t.c5'])
        self.assertEqual([x['name'] for x in d['gone']], ['gone.c0'])
        self.assertEqual([x['name'] for x in d['timing']], ['t'])
        self.assertTrue(gate.failed(d))
        self.assertIn('New failures (1):', gate.text(d))
        self.assertIn('| regressions | x86_64 | t.c0 | pass | fail |', gate.markdown(d, {}))
        # A suite skipped as absent before that reports cases now: only
        # its cases show up, as new tests.
        absent = report.Row('s', 'x86_64', 'kunit', {P: 0, F: 0, S: 1, ktap.ERROR: 0},
                            [{'name': 's', 'status': S, 'detail': 'no CONFIG_S'}])
        d = gate.compare([absent], [_row('s', 'x86_64', [P])])
        self.assertEqual((d['new_skips'], d['gone']), ([], []))
        self.assertEqual([x['name'] for x in d['new_tests']], ['s.c0'])

    def test_same_results_pass_the_gate(self):
        P, F = ktap.PASS, ktap.FAIL
        # A failure that was there before is not the series' doing.
        d = gate.compare([_row('t', 'um', [P, F])], [_row('t', 'um', [P, F])])
        self.assertFalse(gate.failed(d))
        self.assertIn('No change', gate.text(d))

    def test_build_failure_after_is_a_regression(self):
        before = [_row('madv_free_thp', 'x86_64', [ktap.PASS])]
        after = [report.Row('build', 'x86_64', 'infra', error='x86_64: kernel build failed')]
        d = gate.compare(before, after)
        self.assertEqual([x['name'] for x in d['regressions']], ['build'])
        self.assertTrue(gate.failed(d))

    def git(self, *args):
        subprocess.run(['git', '-C', self.d] + list(args), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def setUp(self):
        self.d = tempfile.mkdtemp()
        self.git('init', '-q', '-b', 'main')
        self.git('config', 'user.email', 't@example.invalid')
        self.git('config', 'user.name', 't')
        with open(os.path.join(self.d, 'f'), 'w') as f:
            f.write('one\n')
        self.git('add', 'f')
        self.git('commit', '-q', '-m', 'one')

    def tearDown(self):
        shutil.rmtree(self.d)

    def test_candidate_from_patches_and_range(self):
        with open(os.path.join(self.d, 'f'), 'w') as f:
            f.write('two\n')
        self.git('commit', '-q', '-am', 'two')
        pdir = os.path.join(self.d, 'p')
        os.mkdir(pdir)
        self.git('format-patch', '-q', '-o', pdir, 'HEAD~1')
        self.git('reset', '-q', '--hard', 'HEAD~1')
        first = kbuild.git_head(self.d)
        after = gate.make_candidate(self.d, first, gate.patches_of(pdir), os.devnull)
        self.assertNotEqual(after, first)
        self.assertEqual(gate.resolve_range(self.d, first + '..' + after), [first, after])
        with self.assertRaises(common.SuiteError) as e:
            gate.resolve_range(self.d, first + '..nosuchref')
        self.assertEqual(e.exception.code, common.EXIT_USAGE)

    def test_patch_that_does_not_apply(self):
        bad = os.path.join(self.d, 'bad.patch')
        with open(bad, 'w') as f:
            f.write('From 0 Mon Sep 17 00:00:00 2001\nFrom: x <x@example.invalid>\n'
                    'Subject: [PATCH] x\n\n---\n f | 1 +\n\n--- a/f\n+++ b/f\n'
                    '@@ -1 +1,2 @@\n nothere\n+x\n')
        with self.assertRaises(common.SuiteError) as e:
            gate.make_candidate(self.d, kbuild.git_head(self.d), [bad], os.devnull)
        self.assertEqual(e.exception.code, common.EXIT_PATCH)

    def test_dirty_tree_is_refused(self):
        with open(os.path.join(self.d, 'f'), 'w') as f:
            f.write('dirty\n')
        with self.assertRaises(common.SuiteError):
            gate.require_clean(self.d)


class GateVerdictTest(unittest.TestCase):
    def test_a_side_that_did_not_build_is_an_error_not_a_regression(self):
        ok = [_row('madv_free_thp', 'x86_64', [ktap.PASS])]
        broken = [report.Row('build', 'x86_64', 'infra',
                             error='x86_64: building guest program madv_free_thp failed')]
        for before, after, side in ((broken, ok, 'before'), (ok, broken, 'after')):
            d = gate.compare(before, after)
            code, msg = gate.verdict(d, {'before': (before, [8] if before is broken else []),
                                         'after': (after, [8] if after is broken else [])})
            self.assertEqual(code, common.EXIT_GATE_SIDE)
            self.assertIn('the %s side could not be built or run' % side, msg[0])
            self.assertIn('no comparison made', msg[-1])

    def test_a_hung_guest_is_an_error(self):
        ok = [_row('t', 'x86_64', [ktap.PASS])]
        code, _ = gate.verdict(gate.compare(ok, ok), {'before': (ok, []),
                                                     'after': (ok, [common.EXIT_VM])})
        self.assertEqual(code, common.EXIT_GATE_SIDE)

    def test_real_sides_give_the_diff_verdict(self):
        P, F = ktap.PASS, ktap.FAIL
        b, a = [_row('t', 'um', [P])], [_row('t', 'um', [F])]
        self.assertEqual(gate.verdict(gate.compare(b, a), {'before': (b, []),
                                                          'after': (a, [])}), (1, []))
        self.assertEqual(gate.verdict(gate.compare(b, b), {'before': (b, []),
                                                          'after': (b, [])}), (0, []))


class BuildMatrixTest(unittest.TestCase):
    """build-matrix fails on compiler warnings only, not on bison's notes."""

    def test_compiler_warning(self):
        sys.path.insert(0, os.path.join(REPO, 'tools'))
        import importlib
        series = importlib.import_module('series')
        w = series.COMPILER_WARNING
        self.assertTrue(w.search('/t/mm/khugepaged.c:117:31: warning: unused variable'))
        self.assertTrue(w.search('/t/include/linux/mm.h:5: warning: x'))
        self.assertFalse(w.search('/t/scripts/genksyms/parse.y: warning: 9 shift/reduce '
                                  'conflicts [-Wconflicts-sr]'))
        self.assertTrue(series.MATRIX and all(len(m) == 7 for m in series.MATRIX))

    def test_new_warnings(self):
        """Only warnings the base lacks count; line numbers may move."""
        sys.path.insert(0, os.path.join(REPO, 'tools'))
        import importlib
        series = importlib.import_module('series')
        base = ['/b/arch/x86/mm/pgtable.c:672: warning: Function parameter or struct '
                'member \'reserve\' not described in \'reserve_top_address\'',
                '/b/mm/rmap.c:10:3: warning: unused variable \'x\' [-Wunused-variable]']
        ours = ['/t/arch/x86/mm/pgtable.c:690: warning: Function parameter or struct '
                'member \'reserve\' not described in \'reserve_top_address\'',
                '/t/mm/rmap.c:12:3: warning: unused variable \'x\' [-Wunused-variable]',
                '/t/mm/rmap.c:40:3: warning: unused variable \'x\' [-Wunused-variable]',
                '/t/mm/pt_reclaim.c:5:1: warning: no previous prototype']
        self.assertEqual(series.new_warnings(ours, '/t', base, '/b'), ours[2:])
        self.assertEqual(series.new_warnings(ours[:2], '/t/', base, '/b/'), [])


class GateRenameTest(unittest.TestCase):
    """A case whose name carries a measured number is one case on both sides."""

    def rows(self, names, status):
        r = report.Row('pagemap_ioctl', 'arm64', 'kselftest')
        r.cases = [{'name': n, 'status': status} for n in names]
        return [r]

    def test_measured_number_in_a_name(self):
        P, F = ktap.PASS, ktap.FAIL
        b = self.rows(['transact_test Extra pages 145 (0.3%), extra thread faults 145.'], P)
        a = self.rows(['transact_test Extra pages 166 (0.3%), extra thread faults 166.'], P)
        d = gate.compare(b, a)
        self.assertFalse(gate.failed(d), d)
        self.assertEqual(d['new_tests'], [])
        a = self.rows(['transact_test Extra pages 166 (0.3%), extra thread faults 166.'], F)
        d = gate.compare(b, a)
        self.assertEqual([x['name'] for x in d['regressions']],
                         ['transact_test Extra pages 166 (0.3%), extra thread faults 166.'])
        self.assertEqual(d['regressions'][0]['before'], P)
        self.assertIn('Extra pages 145', gate.text(d))

    def test_numbers_that_tell_cases_apart_are_not_paired(self):
        P = ktap.PASS
        # order 4 vanished, order 5 appeared, order 6 on both sides: the
        # pair is unique, so it is taken as one renamed case...
        d = gate.compare(self.rows(['order 4', 'order 6'], P),
                         self.rows(['order 5', 'order 6'], P))
        self.assertFalse(gate.failed(d))
        self.assertEqual([(x['before'], x['after']) for x in d['renamed']],
                         [('order 4', 'order 5')])
        # ...but two gone and two new with the same shape are not guessed at.
        d = gate.compare(self.rows(['order 4', 'order 5'], P),
                         self.rows(['order 7', 'order 8'], P))
        self.assertEqual(len(d['gone']), 2)
        self.assertEqual(len(d['new_tests']), 2)


class OnlyMatchesNothingTest(unittest.TestCase):
    """--only that can match no suite or program is a usage error before
    anything is set up, with the names it could have matched."""

    def run_cmd(self, cmd, cwd=None):
        cache = tempfile.mkdtemp()
        try:
            return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, env=dict(os.environ, MMSUITE_CACHE=cache),
                                  timeout=60, cwd=cwd or cache)
        finally:
            shutil.rmtree(cache)

    def test_runner(self):
        for extra in ([], ['--no-kunit']):
            r = self.run_cmd([os.path.join(REPO, 'run_tests.sh'), '--arch', 'x86_64',
                              '--only', 'nomatch*'] + extra)
            self.assertEqual(r.returncode, common.EXIT_USAGE, r.stdout)
            self.assertIn('matches no test', r.stdout)
            self.assertIn('madv_free_thp', r.stdout)
            self.assertNotIn('configuring', r.stdout)

    def test_kselftest_only_with_no_kselftest(self):
        r = self.run_cmd([os.path.join(REPO, 'run_tests.sh'), '--arch', 'x86_64',
                          '--no-kselftest', '--only', 'madv_free_thp'])
        self.assertEqual(r.returncode, common.EXIT_USAGE, r.stdout)

    def test_a_real_name_is_accepted(self):
        for only in ('mm_swap_*.case', 'madv_free_thp.*written*'):
            main.check_only(main.parse_args(['--arch', 'x86_64', '--only', only]))

    def test_bisect_step_aborts(self):
        # From a (fake) kernel tree, so that only the --only check can abort.
        cache = tempfile.mkdtemp()
        try:
            t = os.path.join(cache, 'linux')
            for p in ('mm/memory.c', 'tools/testing/kunit/kunit.py', 'Kconfig',
                      'tools/testing/selftests/mm/Makefile'):
                os.makedirs(os.path.dirname(os.path.join(t, p)), exist_ok=True)
                open(os.path.join(t, p), 'w').close()
            with open(os.path.join(t, 'Makefile'), 'w') as f:
                f.write('VERSION = 6\nPATCHLEVEL = 12\n')
            r = subprocess.run([os.path.join(REPO, 'tools', 'bisect-step'), '--arch',
                                'x86_64', '--no-install', '--only', 'nomatch'], cwd=t,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=60, env=dict(os.environ, MMSUITE_CACHE=cache))
        finally:
            shutil.rmtree(cache)
        self.assertEqual(r.returncode, 128, r.stdout)
        self.assertIn('matches no test', r.stdout)


class TreeSafetyTest(unittest.TestCase):
    """No run discards a commit or an edit, in any tree."""

    def setUp(self):
        self.cache = tempfile.mkdtemp()
        self.repo = os.path.join(self.cache, 'src', base.TREE_NAME)
        for p in ('mm/memory.c', 'tools/testing/kunit/kunit.py',
                  'tools/testing/selftests/mm/Makefile', 'Kconfig'):
            os.makedirs(os.path.dirname(os.path.join(self.repo, p)), exist_ok=True)
            self.write(p, 'base\n')
        self.write('Makefile', 'VERSION = 6\nPATCHLEVEL = 12\n')
        base.git(self.repo, 'init', '-q', '-b', base.BRANCH)
        base.git(self.repo, 'add', '-A')
        base.git(self.repo, 'commit', '-q', '-m', 'base', fixed_date=True)
        base.git(self.repo, 'tag', base.BASE_TAG)
        # A one-patch series that changes Kconfig.
        self.series = os.path.join(self.cache, 'series')
        os.makedirs(self.series)
        self.write('Kconfig', 'series\n')
        base.git(self.repo, 'commit', '-q', '-am', 'the series', fixed_date=True)
        base.git(self.repo, 'format-patch', '-q', '-o', self.series, 'HEAD~1')
        base.git(self.repo, 'reset', '-q', '--hard', 'HEAD~1')
        with open(os.path.join(self.series, 'series'), 'w') as f:
            f.write(''.join(n + '\n' for n in sorted(os.listdir(self.series))
                            if n.endswith('.patch')))

    def tearDown(self):
        shutil.rmtree(self.cache)

    def write(self, path, text, mode='w'):
        with open(os.path.join(self.repo, path), mode) as f:
            f.write(text)

    def read(self, path, tree=None):
        with open(os.path.join(tree or self.repo, path)) as f:
            return f.read()

    def runner(self, *args, prog='run_tests.sh'):
        extra = ['--prepare-only'] if prog == 'run_tests.sh' else []
        return subprocess.run([os.path.join(REPO, prog), '--arch', 'um', '--no-install',
                               '--series', self.series] + extra + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=120, cwd=self.repo,
                              env=dict(os.environ, MMSUITE_CACHE=self.cache))

    def user_work(self):
        """A commit on branch mm-suite and an uncommitted edit, as README's
        workflow has them."""
        self.write('mm/memory.c', 'my commit\n')
        base.git(self.repo, 'commit', '-q', '-am', 'my work')
        self.write('mm/memory.c', 'my edit\n', 'a')
        return kbuild.git_head(self.repo)

    def assert_work_kept(self, head):
        self.assertEqual(kbuild.git_head(self.repo), head)
        self.assertEqual(base.git(self.repo, 'symbolic-ref', '--short', 'HEAD').stdout.strip(),
                         base.BRANCH)
        self.assertEqual(self.read('mm/memory.c'), 'my commit\nmy edit\n')

    def test_runs_on_the_base_leave_the_users_tree_alone(self):
        head = self.user_work()
        for extra in ([], ['--no-series'], []):
            r = self.runner(*extra)
            self.assertIn(r.returncode, (0, common.EXIT_MISSING_DEPS), r.stdout)
            self.assert_work_kept(head)
        # The runs happened in the suite's own worktree, with the series.
        wt = os.path.join(self.cache, 'src', base.RUN_TREE_NAME)
        self.assertEqual(self.read('Kconfig', wt), 'series\n')

    def test_an_untouched_user_branch_gets_the_series(self):
        r = self.runner()
        self.assertIn(r.returncode, (0, common.EXIT_MISSING_DEPS), r.stdout)
        self.assertEqual(self.read('Kconfig'), 'series\n')

    def test_apply_series_refuses_to_discard_an_edit_or_a_commit(self):
        r = self.runner('--kernel-src', self.repo, '--apply-series')
        self.assertIn(r.returncode, (0, common.EXIT_MISSING_DEPS), r.stdout)
        applied = kbuild.git_head(self.repo)
        # Applying the same series again is a no-op.
        r = self.runner('--kernel-src', self.repo, '--apply-series')
        self.assertIn('series already applied', r.stdout)
        # An uncommitted edit: refused, kept.
        self.write('mm/memory.c', 'my edit\n')
        r = self.runner('--kernel-src', self.repo, '--apply-series')
        self.assertEqual(r.returncode, common.EXIT_WORK, r.stdout)
        self.assertIn('uncommitted changes', r.stdout)
        self.assertIn('mm/memory.c', r.stdout)
        self.assertEqual(kbuild.git_head(self.repo), applied)
        self.assertEqual(self.read('mm/memory.c'), 'my edit\n')
        # Committed on the branch: refused, kept.
        base.git(self.repo, 'commit', '-q', '-am', 'my work')
        mine = kbuild.git_head(self.repo)
        r = self.runner('--kernel-src', self.repo, '--apply-series')
        self.assertEqual(r.returncode, common.EXIT_WORK, r.stdout)
        self.assertIn('my work', r.stdout)
        self.assertIn('tools/series.py export', r.stdout)
        self.assertEqual(kbuild.git_head(self.repo), mine)
        # A bisect step on such a tree aborts the bisection.
        r = self.runner('--apply-series', prog='tools/bisect-step')
        self.assertEqual(r.returncode, 128, r.stdout)
        self.assertEqual(kbuild.git_head(self.repo), mine)

    def test_a_patch_that_failed_leaves_no_refusal_behind(self):
        good = sorted(n for n in os.listdir(self.series) if n.endswith('.patch'))[0]
        bad = os.path.join(self.series, '0002-bad.patch')
        with open(bad, 'w') as f:
            f.write('From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n'
                    'From: x <x@example.invalid>\nDate: Sat, 1 Nov 2025 00:00:00 +0000\n'
                    'Subject: [PATCH] bad\n\n---\n'
                    '--- a/mm/memory.c\n+++ b/mm/memory.c\n@@ -1,1 +1,1 @@\n-nothing\n+else\n')
        with open(os.path.join(self.series, 'series'), 'w') as f:
            f.write(good + '\n0002-bad.patch\n')
        r = self.runner()
        self.assertEqual(r.returncode, common.EXIT_PATCH, r.stdout)
        # The series fixed: the suite's own half-applied branch is no obstacle.
        with open(os.path.join(self.series, 'series'), 'w') as f:
            f.write(good + '\n')
        r = self.runner()
        self.assertIn(r.returncode, (0, common.EXIT_MISSING_DEPS), r.stdout)

    def test_an_ignored_file_in_the_way_is_not_overwritten(self):
        # Debian's tree ignores every top-level path; a new file not yet
        # added is "ignored", and the series' version must not replace it.
        self.write('.gitignore', '/*\n')
        base.git(self.repo, 'add', '-f', '.gitignore')
        base.git(self.repo, 'commit', '-q', '-m', 'ignore all')
        base.git(self.repo, 'tag', '-f', base.BASE_TAG)
        os.makedirs(os.path.join(self.repo, 'new'))
        self.write('new/draft.c', 'my draft\n')
        wt = base.run_tree(self.cache)
        with open(os.path.join(self.cache, 'p.patch'), 'w') as f:
            f.write('From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n'
                    'From: x <x@example.invalid>\nDate: Sat, 1 Nov 2025 00:00:00 +0000\n'
                    'Subject: [PATCH] add\n\n---\n'
                    '--- /dev/null\n+++ b/new/draft.c\n@@ -0,0 +1 @@\n+series\n')
        tip = base.apply_series(wt, [os.path.join(self.cache, 'p.patch')], base.BASE_TAG,
                                os.devnull)
        base.offer_series(self.cache, tip)
        self.assertEqual(self.read('new/draft.c'), 'my draft\n')

    def mutant_file(self, name='kconfig-bug', old='series\n', new='bug\n', extra=''):
        d = os.path.join(self.cache, 'catalog')
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, name + '.mutant')
        with open(path, 'w') as f:
            f.write('# a test mutant\nFeature: pte-batch\nPatch: the series\nFile: Kconfig\n'
                    'Class: a test\nModels: nothing\nExpect: mm_folio_pte_batch\n%s\n'
                    '@@ old\n%s@@ new\n%s' % (extra, old, new))
        return path

    def test_mutant_branch(self):
        wt = base.run_tree(self.cache)
        base.apply_series(wt, base.read_series(self.series), base.BASE_TAG, os.devnull)
        m = mutant.Mutant(self.mutant_file())
        first, tip = mutant.make_branch(wt, m)
        self.assertEqual(first, tip)
        self.assertEqual(base.git(wt, 'show', tip + ':Kconfig').stdout, 'bug\n')
        self.assertEqual(base.git(wt, 'log', '-1', '--format=%s', tip).stdout.strip(),
                         'the series')
        self.assertEqual(base.git(wt, 'rev-parse', tip + '^').stdout.strip(),
                         base.base_commit(wt))
        bad = mutant.Mutant(self.mutant_file('gone', old='not there\n', new='x\n'))
        with self.assertRaises(common.SuiteError):
            mutant.make_branch(wt, bad)
        # --mutants: one commit on the series tip, the series branch untouched.
        series_tip = base.git(wt, 'rev-parse', base.RUN_BRANCH).stdout.strip()
        tip = mutant.tip_branch(wt, m)
        self.assertEqual(base.git(wt, 'rev-parse', tip + '^').stdout.strip(), series_tip)
        self.assertEqual(base.git(wt, 'show', tip + ':Kconfig').stdout, 'bug\n')
        self.assertEqual(base.git(wt, 'rev-parse', base.RUN_BRANCH).stdout.strip(),
                         series_tip)
        mutant.check(m, wt)
        with self.assertRaises(common.SuiteError) as e:
            mutant.check(bad, wt)
        self.assertIn('gone', e.exception.msg)

    def test_mutant_files(self):
        m = mutant.Mutant(self.mutant_file(extra='Expect: madv_free_thp.*kept*\nCI: yes\n'))
        self.assertEqual((m.id, m.feature, m.arch, m.ci), ('kconfig-bug', 'pte-batch',
                                                           'x86_64', True))
        self.assertEqual(m.suites(), ['madv_free_thp', 'mm_folio_pte_batch'])
        self.assertEqual(m.apply('a\nseries\nb\n'), 'a\nbug\nb\n')
        with self.assertRaises(common.SuiteError):
            m.apply('series\nseries\n')       # two copies: out of date
        two = mutant.Mutant(self.mutant_file('two', new='bug\n@@ old\nb\n@@ new\nc\n'))
        self.assertEqual(two.apply('series\nb\n'), 'bug\nc\n')
        for extra in ('Feature: nonsense\n', 'Colour: red\n', 'Patch: twice\n'):
            with self.assertRaises(common.SuiteError):
                mutant.Mutant(self.mutant_file('bad', extra=extra))
        with self.assertRaises(common.SuiteError):
            mutant.Mutant(self.mutant_file('same', new='series\n'))
        cat = os.path.dirname(m.path)
        os.unlink(os.path.join(cat, 'bad.mutant'))
        os.unlink(os.path.join(cat, 'same.mutant'))
        self.assertEqual([x.id for x in mutant.load(['t*'], catalog=cat)], ['two'])
        with self.assertRaises(common.SuiteError):
            mutant.load(['nothing-*'], catalog=cat)

    def test_mutant_verdicts(self):
        m = mutant.Mutant(self.mutant_file())
        ok = report.Row('mm_folio_pte_batch', 'x86_64', 'kunit', cases=[
            {'name': 'mm_folio_pte_batch.a', 'status': ktap.PASS, 'detail': ''}])
        bad = report.Row('mm_folio_pte_batch', 'x86_64', 'kunit', cases=[
            {'name': 'mm_folio_pte_batch.b', 'status': ktap.FAIL, 'detail': ''}])
        self.assertEqual(mutant.judge(m, [ok], [])[0], mutant.SURVIVED)
        self.assertEqual(mutant.judge(m, [ok, bad], [])[:2],
                         (mutant.KILLED, ['mm_folio_pte_batch.b']))
        build = report.Row('build', 'x86_64', 'infra', error='kernel build failed')
        self.assertEqual(mutant.judge(m, [build], [common.EXIT_BUILD])[0], mutant.INVALID)
        hang = report.Row('vm', 'x86_64', 'infra', error='guest hung')
        self.assertEqual(mutant.judge(m, [ok, hang], [common.EXIT_VM])[0], mutant.KILLED)
        eq = mutant.Mutant(self.mutant_file('eq', extra='Equivalent: TCG has no TLB\n'))
        self.assertEqual(mutant.judge(eq, [ok], [])[0], mutant.EQUIVALENT)
        v = mutant.Verdicts(self.cache)
        k = v.key(m, 'series', 'suite')
        self.assertNotEqual(k, v.key(m, 'series2', 'suite'))
        v.put(k, {'verdict': 'killed'})
        self.assertEqual(mutant.Verdicts(self.cache).get(k), {'verdict': 'killed'})


class BisectStepTest(unittest.TestCase):
    def setUp(self):
        import importlib.machinery
        import importlib.util
        path = os.path.join(REPO, 'tools', 'bisect-step')
        loader = importlib.machinery.SourceFileLoader('bisect_step', path)
        spec = importlib.util.spec_from_loader('bisect_step', loader)
        self.m = importlib.util.module_from_spec(spec)
        loader.exec_module(self.m)

    def test_exit_codes_for_git_bisect(self):
        v = self.m.verdict
        ok = {'rows': [{'kind': 'kselftest', 'verdict': 'PASS'}]}
        self.assertEqual(v(0, ok)[0], 0)
        self.assertEqual(v(1, ok)[0], 1)
        for code in (common.EXIT_BUILD, common.EXIT_CONFIG, common.EXIT_VM):
            self.assertEqual(v(code, None)[0], 125)
        for code in (common.EXIT_USAGE, common.EXIT_MISSING_DEPS, common.EXIT_NOT_KERNEL):
            self.assertEqual(v(code, None)[0], 128)

    def test_tests_absent_at_this_commit_are_untestable(self):
        absent = {'rows': [{'kind': 'kunit', 'verdict': 'SKIP'},
                           {'kind': 'console', 'verdict': 'PASS'}]}
        self.assertEqual(self.m.verdict(0, absent)[0], 125)


FAKE_QEMU = r'''#!/bin/sh
# Fake QEMU for the watchdog tests: behaviour chosen by $FAKE_QEMU_MODE.
res=
for a in "$@"; do
	case "$a" in file,id=mmsuite,path=*) res=${a#file,id=mmsuite,path=} ;; esac
done
case "$FAKE_QEMU_MODE" in
ok)	echo "booting"; printf 'KTAP version 1\n1..0\n# mmsuite-verdict: done failed=0\n' > "$res" ;;
hang)	echo "booting"; sleep 60 ;;
panic)	echo "Kernel panic - not syncing: VFS: Unable to mount root fs"; exit 0 ;;
silent)	echo "booting"; exit 0 ;;
esac
'''


class VmWatchdogTest(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp()
        q = os.path.join(self.d, 'qemu-fake')
        with open(q, 'w') as f:
            f.write(FAKE_QEMU)
        os.chmod(q, 0o755)
        self.arch = arches.ARCHES['x86_64']._replace(qemu=q)

    def tearDown(self):
        shutil.rmtree(self.d)

    def boot(self, mode, timeout=20):
        os.environ['FAKE_QEMU_MODE'] = mode
        return vm.boot(self.arch, 'k', 'i', os.path.join(self.d, 'con.log'),
                       os.path.join(self.d, 'res.ktap'), timeout)[0]

    def test_ok(self):
        self.assertEqual(self.boot('ok'), vm.OK)

    def test_hang_is_killed(self):
        self.assertEqual(self.boot('hang', timeout=2), vm.HANG)
        with open(os.path.join(self.d, 'con.log')) as f:
            self.assertIn('timeout', f.read())

    def test_panic(self):
        self.assertEqual(self.boot('panic'), vm.PANIC)

    def test_no_verdict(self):
        self.assertEqual(self.boot('silent'), vm.NO_VERDICT)


class BadInputTest(unittest.TestCase):
    def run_suite(self, *args, env=None):
        e = dict(os.environ)
        e['MMSUITE_CACHE'] = self.cache
        e.update(env or {})
        return subprocess.run([os.path.join(REPO, 'run_tests.sh')] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=e, timeout=120)

    def setUp(self):
        self.cache = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.cache)

    def fake_kernel(self):
        t = os.path.join(self.cache, 'linux')
        for p in ('mm/memory.c', 'tools/testing/kunit/kunit.py',
                  'tools/testing/selftests/mm/Makefile', 'Kconfig'):
            os.makedirs(os.path.dirname(os.path.join(t, p)), exist_ok=True)
            open(os.path.join(t, p), 'w').close()
        with open(os.path.join(t, 'Makefile'), 'w') as f:
            f.write('VERSION = 6\nPATCHLEVEL = 12\n')
        base.git(t, 'init', '-q')
        base.git(t, 'add', '-A')
        base.git(t, 'commit', '-q', '-m', 'fake', fixed_date=True)
        return t

    def test_gate_with_a_patch_that_does_not_apply(self):
        t = self.fake_kernel()
        bad = os.path.join(self.cache, 'bad.patch')
        with open(bad, 'w') as f:
            f.write('From 0 Mon Sep 17 00:00:00 2001\nFrom: x <x@example.invalid>\n'
                    'Subject: [PATCH] x\n\n---\n Kconfig | 1 +\n\n--- a/Kconfig\n'
                    '+++ b/Kconfig\n@@ -1 +1,2 @@\n nothere\n+x\n')
        branch = base.git(t, 'symbolic-ref', '--short', 'HEAD').stdout.strip()
        r = self.run_suite('--arch', 'x86_64', '--no-install', '--kernel-src', t,
                           '--gate', bad)
        self.assertEqual(r.returncode, common.EXIT_PATCH, r.stdout)
        self.assertIn('bad.patch does not apply', r.stdout)
        # The tree is left on the branch it was on.
        self.assertEqual(base.git(t, 'symbolic-ref', '--short', 'HEAD').stdout.strip(), branch)

    def test_gate_on_a_dirty_tree_is_refused(self):
        t = self.fake_kernel()
        with open(os.path.join(t, 'Kconfig'), 'w') as f:
            f.write('dirty\n')
        r = self.run_suite('--arch', 'x86_64', '--no-install', '--kernel-src', t,
                           '--gate', 'HEAD..HEAD')
        self.assertEqual(r.returncode, common.EXIT_USAGE, r.stdout)
        self.assertIn('uncommitted changes', r.stdout)

    def test_gate_side_that_does_not_build_is_exit_10(self):
        t = self.fake_kernel()
        # kunit.py that fails at config: neither side can be built.
        with open(os.path.join(t, 'tools/testing/kunit/kunit.py'), 'w') as f:
            f.write('import sys\nsys.exit(1)\n')
        base.git(t, 'commit', '-q', '-am', 'failing kunit.py')
        r = self.run_suite('--arch', 'x86_64', '--no-install', '--kernel-src', t,
                           '--gate', 'HEAD..HEAD')
        self.assertEqual(r.returncode, common.EXIT_GATE_SIDE, r.stdout)
        self.assertIn('the before side could not be built or run', r.stdout)
        self.assertNotIn('REGRESSED', r.stdout)

    def test_unknown_arch(self):
        r = self.run_suite('--arch', 'sparc')
        self.assertEqual(r.returncode, common.EXIT_USAGE, r.stdout)

    def test_not_a_kernel(self):
        r = self.run_suite('--kernel-src', self.cache, '--no-install')
        self.assertEqual(r.returncode, common.EXIT_NOT_KERNEL, r.stdout)
        self.assertIn('not a Linux kernel tree', r.stdout)

    def apply_series(self, names, files):
        """--apply-series of a series listing names, with files written."""
        t = self.fake_kernel()
        s = os.path.join(self.cache, 'series-dir')
        os.makedirs(s)
        for name, text in files.items():
            with open(os.path.join(s, name), 'w') as f:
                f.write(text)
        with open(os.path.join(s, 'series'), 'w') as f:
            f.write(''.join(n + '\n' for n in names))
        return self.run_suite('--kernel-src', t, '--apply-series', '--series', s,
                              '--no-install', '--prepare-only')

    def test_patch_that_does_not_apply_is_named(self):
        bad = ('From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n'
               'From: x <x@example.invalid>\nDate: Sat, 1 Nov 2025 00:00:00 +0000\n'
               'Subject: [PATCH] bad\n\n---\n'
               '--- a/mm/memory.c\n+++ b/mm/memory.c\n@@ -1,1 +1,1 @@\n-nothing\n+else\n')
        r = self.apply_series(['0001-bad.patch'], {'0001-bad.patch': bad})
        self.assertEqual(r.returncode, common.EXIT_PATCH, r.stdout)
        self.assertIn('0001-bad.patch', r.stdout)

    def test_series_naming_a_missing_file(self):
        r = self.apply_series(['0001-missing.patch'], {})
        self.assertEqual(r.returncode, common.EXIT_PATCH, r.stdout)
        self.assertIn('0001-missing.patch', r.stdout)

    def test_missing_package_prints_apt_line(self):
        with self.assertRaises(common.SuiteError) as cm:
            deps.ensure(['mm-suite-no-such-package'], install=False)
        self.assertEqual(cm.exception.code, common.EXIT_MISSING_DEPS)
        self.assertIn('apt-get install -y --no-install-recommends mm-suite-no-such-package',
                      cm.exception.msg)


class BaseAndBuildErrorTest(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.d)

    def fetch_offline(self):
        """fetch_tarball() with no installed package and apt-get failing;
        returns the exit code it stops with."""
        with mock.patch.object(base, '_installed_version', lambda: None), \
                mock.patch.object(base, 'run', lambda *a, **k: 100):
            with self.assertRaises(common.SuiteError) as cm:
                base.fetch_tarball(self.d)
        return cm.exception.code

    def test_base_that_cannot_be_fetched(self):
        self.assertEqual(self.fetch_offline(), common.EXIT_BASE)

    def test_corrupt_cached_tarball_is_not_used(self):
        os.makedirs(os.path.join(self.d, 'dl'))
        with open(os.path.join(self.d, 'dl', base.TARBALL), 'wb') as f:
            f.write(b'not the pinned tarball')
        self.assertEqual(self.fetch_offline(), common.EXIT_BASE)

    def fake_kunit(self, failing_step):
        tree = os.path.join(self.d, 'tree')
        os.makedirs(os.path.join(tree, 'tools/testing/kunit'))
        with open(os.path.join(tree, 'tools/testing/kunit/kunit.py'), 'w') as f:
            f.write('import sys\nprint("fake kunit.py", sys.argv[1])\n'
                    'sys.exit(1 if sys.argv[1] == %r else 0)\n' % failing_step)
        return tree

    def test_config_and_build_failures_are_distinct(self):
        for step, code in (('config', common.EXIT_CONFIG), ('build', common.EXIT_BUILD)):
            tree = self.fake_kunit(step)
            with self.assertRaises(common.SuiteError) as cm:
                kbuild.build_kernel(tree, arches.ARCHES['um'], self.d,
                                    os.path.join(self.d, 'b-' + step),
                                    os.path.join(self.d, step + '.log'), 1)
            self.assertEqual(cm.exception.code, code)
            shutil.rmtree(tree)


class KunitconfigTest(unittest.TestCase):
    def test_absent_test_symbols_are_left_out(self):
        d = tempfile.mkdtemp()
        try:
            os.makedirs(os.path.join(d, 'mm'))
            with open(os.path.join(d, 'mm', 'Kconfig'), 'w') as f:
                f.write('config FOLIO_PTE_BATCH_KUNIT_TEST\n\tbool "x"\n')
            path = kbuild.tree_kunitconfig(d, arches.ARCHES['x86_64'], os.path.join(d, 'b'))
            with open(path) as f:
                text = f.read()
            self.assertIn('\nCONFIG_FOLIO_PTE_BATCH_KUNIT_TEST=y', text)
            self.assertIn('# CONFIG_UNMAP_HUGE_PMD_KUNIT_TEST=y: not defined', text)
            # A series feature the tree lacks is dropped too ...
            self.assertIn('# CONFIG_PT_RECLAIM=y: not defined', text)
            # ... but options that are neither are never dropped.
            self.assertIn('\nCONFIG_ZRAM=y', text)

            # A tree that defines the feature gets it asked for.
            with open(os.path.join(d, 'mm', 'Kconfig'), 'a') as f:
                f.write('config PT_RECLAIM\n\tbool "y"\n')
            path = kbuild.tree_kunitconfig(d, arches.ARCHES['x86_64'], os.path.join(d, 'b'))
            with open(path) as f:
                self.assertIn('\nCONFIG_PT_RECLAIM=y', f.read())
        finally:
            shutil.rmtree(d)


class InitramfsTest(unittest.TestCase):
    def test_cpio_is_readable(self):
        if not shutil.which('cpio'):
            self.skipTest('cpio not installed')
        d = tempfile.mkdtemp()
        try:
            init = os.path.join(d, 'init-bin')
            with open(init, 'wb') as f:
                f.write(b'\x7fELF-not-really')
            out = os.path.join(d, 'i.cpio')
            kbuild.write_initramfs(out, {'init': init, 't1': init}, [('t1', 30, ['-v'])],
                                   ('6.12.0-t', b'CONFIG_PT_RECLAIM=y\n'))
            with open(out, 'rb') as inp:
                r = subprocess.run(['cpio', '-itv'], stdin=inp, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            for name in ('init', 'dev/console', 'mmsuite/bin/t1', 'mmsuite/tests.txt',
                         'boot/config-6.12.0-t'):
                self.assertIn(name, r.stdout)
            # The kernel config reads back as written.
            with open(out, 'rb') as inp:
                r = subprocess.run(['cpio', '-i', '--to-stdout', 'boot/config-6.12.0-t'],
                                   stdin=inp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.assertEqual(r.stdout, b'CONFIG_PT_RECLAIM=y\n')
            self.assertTrue(stat.S_ISREG(os.stat(out).st_mode))
        finally:
            shutil.rmtree(d)

    def test_test_list_parses(self):
        tests = kbuild.read_test_list()
        self.assertIn('madv_free_thp', [t[0] for t in tests])
        for name, timeout, _ in tests:
            self.assertTrue(os.path.exists(os.path.join(REPO, 'kselftests', name + '.c')), name)
            self.assertGreater(timeout, 0)


if __name__ == '__main__':
    unittest.main()
