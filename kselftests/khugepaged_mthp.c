// SPDX-License-Identifier: GPL-2.0
/*
 * khugepaged collapse to every anonymous THP size (mTHP), one size at a time
 * and all together, checked against the rules transhuge.rst gives:
 *  - a PMD range whose pages were faulted in as base pages is collapsed,
 *    range by range, into folios of the enabled size;
 *  - below PMD size, max_ptes_none has two meanings: HPAGE_PMD_NR - 1 (the
 *    default) lets one present page make a range collapse, any other value
 *    lets no none PTE be filled; so a collapse never makes the next size up
 *    qualify on a later scan (no "creep" from a few pages to a PMD);
 *  - a swap entry or a page shared with another process keeps its range
 *    from being collapsed;
 *  - with several sizes enabled, the walk takes the largest size that
 *    qualifies at each aligned index;
 *  - PMD-sized collapse still works.
 *
 * For every case the expected layout is computed from those rules, then
 * the test waits (bounded) for khugepaged to reach it, lets khugepaged do
 * more full scans (two, or enough for a creep through every size), and
 * checks from pagemap and kpageflags that every range is backed by exactly
 * the expected folio size (or is still base pages, a hole or a swap entry),
 * that no more pages are mapped than the rules predict, that the data is
 * unchanged and that the per-size "collapse" counter counted exactly the
 * expected collapses. Then it counts over exactly one more full scan of
 * khugepaged that the per-size collapse_exceed_* counters rose by exactly
 * one for every range of every enabled size that scan turned down for a
 * none, swap or shared entry. Other processes with MADV_HUGEPAGE memory
 * (or THP "always") would add to the counters: run it on a quiet system.
 *
 * The kernel claims the feature with the per-size counter
 * hugepages-<size>kB/stats/collapse. Without it the test skips, unless -f.
 * Every THP and khugepaged setting is restored on exit, also on a signal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest.h"
#include "vm_util.h"
#include "thp_settings.h"
#include "folio_util.h"

#define MAX_PMD_NR		512	/* PTEs per table handled by this test */
#define COLLAPSE_TIMEOUT_S	90	/* for khugepaged to reach the layout */
#define SETTLE_TIMEOUT_S	60	/* for the extra full scans */
#define MAX_ORDER_NR		10	/* orders 0..9: up to MAX_PMD_NR PTEs */
#define EXCEED_SLEEP_MS		500	/* between the scans check_exceed() counts */

static size_t pagesize, pmdsize;
static unsigned int pmd_order, pmd_nr;
static int pagemap_fd = -1, kpageflags_fd = -1;
static bool settings_saved, have_swap, force;
static pid_t sharer = -1;	/* child that keeps PAGE_SHARED pages mapped */

/* The per-size counters of a scan turning a range down, by reason. */
enum exceed { EXCEED_NONE, EXCEED_SWAP, EXCEED_SHARED, NR_EXCEED, EXCEED_NOT };
static const char * const exceed_name[NR_EXCEED] = {
	"collapse_exceed_none_pte", "collapse_exceed_swap_pte",
	"collapse_exceed_shared_pte",
};

/* What one page of the PMD range is set up as, before khugepaged runs. */
enum page_setup { PAGE_DATA, PAGE_HOLE, PAGE_SWAP, PAGE_SHARED };

/* A case: the sizes enabled, max_ptes_none, and the page set-up. */
struct layout {
	unsigned long orders;		/* enabled for khugepaged */
	unsigned int max_ptes_none;
	unsigned int settle_scans;	/* full scans after the layout is reached */
	enum page_setup page[MAX_PMD_NR];
	/* filled by expect_layout(): order of the folio at each index */
	int folio_order[MAX_PMD_NR];	/* -1: not the start of a collapse */
	unsigned int collapses[MAX_ORDER_NR];	/* expected, per order */
	/* filled by expect_exceed(): turn-downs of one scan once settled */
	unsigned int exceed[MAX_ORDER_NR][NR_EXCEED];
};

/* The PMD-size limits the test sets: the defaults, for any table size. */
static unsigned int max_ptes_swap(void)
{
	return pmd_nr / 8;
}

static unsigned int max_ptes_shared(void)
{
	return pmd_nr / 2;
}

/* ------------------------------------------------------------------ */
/* The rules of transhuge.rst, applied to a layout. */

static unsigned int count_setup(const struct layout *l, unsigned int idx,
				unsigned int nr, enum page_setup what)
{
	unsigned int i, n = 0;

	for (i = idx; i < idx + nr; i++)
		n += l->page[i] == what;
	return n;
}

static bool range_qualifies(const struct layout *l, unsigned int idx,
			    unsigned int order)
{
	unsigned int nr = 1U << order;
	unsigned int max_none = l->max_ptes_none;

	if (order != pmd_order)
		max_none = max_none == pmd_nr - 1 ? nr - 1 : 0;

	/* Every test range has data pages, all written and young. */
	if (count_setup(l, idx, nr, PAGE_DATA) == 0)
		return false;
	if (order != pmd_order && (count_setup(l, idx, nr, PAGE_SWAP) ||
				   count_setup(l, idx, nr, PAGE_SHARED)))
		return false;
	return count_setup(l, idx, nr, PAGE_HOLE) <= max_none;
}

static void expect_layout(struct layout *l)
{
	unsigned long mthp = l->orders & ~(1UL << pmd_order);
	unsigned int idx = 0, lowest;
	int order;

	memset(l->collapses, 0, sizeof(l->collapses));
	for (idx = 0; idx < pmd_nr; idx++)
		l->folio_order[idx] = -1;

	if ((l->orders & (1UL << pmd_order)) &&
	    count_setup(l, 0, pmd_nr, PAGE_SWAP) <= max_ptes_swap() &&
	    count_setup(l, 0, pmd_nr, PAGE_SHARED) <= max_ptes_shared() &&
	    range_qualifies(l, 0, pmd_order)) {
		l->folio_order[0] = pmd_order;
		l->collapses[pmd_order]++;
		return;
	}
	if (!mthp)
		return;
	lowest = __builtin_ctzl(mthp);
	idx = 0;
	while (idx < pmd_nr) {
		unsigned int step = 1U << lowest;

		for (order = pmd_order - 1; order >= (int)lowest; order--) {
			if (!(mthp & (1UL << order)) || idx % (1U << order))
				continue;
			if (range_qualifies(l, idx, order)) {
				l->folio_order[idx] = order;
				l->collapses[order]++;
				step = 1U << order;
				break;
			}
		}
		idx += step;
	}
}

/*
 * Why a scan of the settled range turns down the range at @idx for @order,
 * replaying the checks in the order the kernel makes them: the first entry
 * over its budget decides. A page in a collapsed folio is a data page.
 */
static enum exceed turned_down(const struct layout *l, const int *in_folio,
			       unsigned int idx, unsigned int order)
{
	unsigned int nr = 1U << order, none = 0, swap = 0, shared = 0, i;
	unsigned int max_none = l->max_ptes_none, max_swap = max_ptes_swap();
	unsigned int max_shared = max_ptes_shared();

	if (order != pmd_order) {
		max_none = max_none == pmd_nr - 1 ? nr - 1 : 0;
		max_swap = 0;
		max_shared = 0;
	}
	for (i = idx; i < idx + nr; i++) {
		enum page_setup p = in_folio[i] >= 0 ? PAGE_DATA : l->page[i];

		if (p == PAGE_SWAP && ++swap > max_swap)
			return EXCEED_SWAP;
		if (p == PAGE_HOLE && ++none > max_none)
			return EXCEED_NONE;
		if (p == PAGE_SHARED && ++shared > max_shared)
			return EXCEED_SHARED;
	}
	return EXCEED_NOT;
}

/*
 * The collapse_exceed_* counts of one full scan once the expected layout
 * is there: the PMD range first, then the walk over the smaller sizes,
 * which steps over every range that lies in one collapsed folio of that
 * size or larger.
 */
static void expect_exceed(struct layout *l)
{
	unsigned long mthp = l->orders & ~(1UL << pmd_order);
	int in_folio[MAX_PMD_NR];	/* order of the folio holding a page */
	unsigned int idx, i, lowest;
	enum exceed why;
	int order;

	memset(l->exceed, 0, sizeof(l->exceed));
	for (idx = 0; idx < pmd_nr; idx++)
		in_folio[idx] = -1;
	for (idx = 0; idx < pmd_nr; idx++)
		for (i = 0; l->folio_order[idx] >= 0 && i < 1U << l->folio_order[idx]; i++)
			in_folio[idx + i] = l->folio_order[idx];
	if (l->folio_order[0] == (int)pmd_order)
		return;		/* PMD-mapped: nothing left to scan */
	if (l->orders & (1UL << pmd_order)) {
		why = turned_down(l, in_folio, 0, pmd_order);
		if (why != EXCEED_NOT)
			l->exceed[pmd_order][why]++;
	}
	if (!mthp)
		return;
	lowest = __builtin_ctzl(mthp);
	for (idx = 0; idx < pmd_nr; ) {
		unsigned int step = 1U << lowest;

		for (order = pmd_order - 1; order >= (int)lowest; order--) {
			if (!(mthp & (1UL << order)) || idx % (1U << order))
				continue;
			if (in_folio[idx] >= order) {
				step = 1U << order;
				break;
			}
			why = turned_down(l, in_folio, idx, order);
			if (why == EXCEED_NOT) {
				/* settled, so another reason: PAGE_RO, say */
				continue;
			}
			l->exceed[order][why]++;
		}
		idx += step;
	}
}

/* ------------------------------------------------------------------ */
/* pagemap, kpageflags, sysfs */

/* One folio of @size at @addr (folio_util's check, with this test's files). */
static bool backed_by_folio(char *addr, size_t size, char *why, size_t len)
{
	return range_is_one_folio(pagemap_fd, kpageflags_fd, addr, size, why, len);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long read_full_scans(void)
{
	return read_num("/sys/kernel/mm/transparent_hugepage/khugepaged/full_scans");
}

/*
 * Wait until khugepaged has finished a full scan after the @n-th, and for
 * the rest of that wake-up (a tenth of its sleep); false on a timeout.
 */
static bool after_full_scan(unsigned long n)
{
	double start = now();

	while (read_full_scans() <= n) {
		if (now() - start > SETTLE_TIMEOUT_S)
			return false;
		usleep(5000);
	}
	usleep(EXCEED_SLEEP_MS * 100);
	return true;
}

/*
 * Count the collapse_exceed_* counters of every size over one full scan of
 * the settled range, and check that they rose by what @l predicts. With
 * pages_to_scan larger than every registered mm together, a wake-up that
 * starts at the head of khugepaged's list ends there after one full scan;
 * the counters are read while khugepaged sleeps before and after one.
 */
static bool check_exceed(const char *name, struct layout *l)
{
	long before[MAX_ORDER_NR][NR_EXCEED], after[MAX_ORDER_NR][NR_EXCEED];
	unsigned long scans;
	unsigned int order;
	bool pass = true;
	int e;

	expect_exceed(l);
	thp_write_num("khugepaged/pages_to_scan", pmd_nr * 64);
	thp_write_num("khugepaged/scan_sleep_millisecs", EXCEED_SLEEP_MS);
	/* The wake-up now may start in the middle of the list: skip it. */
	if (!after_full_scan(read_full_scans()))
		goto busy;
	scans = read_full_scans();
	for (order = 2; order <= pmd_order; order++)
		for (e = 0; e < NR_EXCEED; e++)
			before[order][e] = mthp_stat_get(pagesize << order, exceed_name[e]);
	if (!after_full_scan(scans))
		goto busy;
	for (order = 2; order <= pmd_order; order++)
		for (e = 0; e < NR_EXCEED; e++)
			after[order][e] = mthp_stat_get(pagesize << order, exceed_name[e]);
	if (read_full_scans() != scans + 1) {
		ksft_print_msg("%s: %lu full scans counted where one was expected\n", name,
			       read_full_scans() - scans);
		return false;
	}
	for (order = 2; order <= pmd_order; order++) {
		if (!(l->orders & (1UL << order)))
			continue;
		for (e = 0; e < NR_EXCEED; e++) {
			long got = after[order][e] - before[order][e];

			if (before[order][e] < 0 || after[order][e] < 0) {
				ksft_print_msg("%s: %zu kB %s missing\n", name,
					       (pagesize << order) >> 10, exceed_name[e]);
				pass = false;
			} else if (got != (long)l->exceed[order][e]) {
				ksft_print_msg("%s: one scan: %zu kB %s +%ld, expected +%u\n",
					       name, (pagesize << order) >> 10, exceed_name[e],
					       got, l->exceed[order][e]);
				pass = false;
			}
		}
	}
	return pass;
busy:
	ksft_print_msg("%s: khugepaged did not finish a full scan in %d s\n", name,
		       SETTLE_TIMEOUT_S);
	return false;
}

static bool swap_configured(void)
{
	char buf[4096];

	/* The header line, then one line per swap area. */
	return read_file("/proc/swaps", buf, sizeof(buf)) && strchr(buf, '\n') &&
	       strchr(strchr(buf, '\n') + 1, '/');
}

static void stop_sharer(void)
{
	if (sharer > 0) {
		kill(sharer, SIGKILL);
		waitpid(sharer, NULL, 0);
	}
	sharer = -1;
}

static void cleanup(void)
{
	stop_sharer();
	if (settings_saved)
		thp_restore_settings();
	settings_saved = false;
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Every size off, the top-level control off: faults get base pages and
 * khugepaged has nothing to do. @orders, if not zero, is then enabled for
 * VMAs with MADV_HUGEPAGE only, so nothing but the test range collapses.
 */
static void push_settings(unsigned long orders, unsigned int max_ptes_none)
{
	struct thp_settings s = *thp_current_settings();
	int order;

	s.thp_enabled = THP_NEVER;
	s.thp_defrag = THP_DEFRAG_MADVISE;
	for (order = 0; order < NR_ORDERS; order++)
		s.hugepages[order].enabled =
			orders & (1UL << order) ? THP_MADVISE : THP_NEVER;
	s.khugepaged.defrag = true;
	s.khugepaged.scan_sleep_millisecs = 10;
	s.khugepaged.alloc_sleep_millisecs = 10;
	s.khugepaged.pages_to_scan = pmd_nr * 8;
	s.khugepaged.max_ptes_none = max_ptes_none;
	s.khugepaged.max_ptes_swap = max_ptes_swap();
	s.khugepaged.max_ptes_shared = max_ptes_shared();
	thp_push_settings(&s);
}

/* ------------------------------------------------------------------ */

static uint64_t pattern(size_t page, size_t word)
{
	/* Never zero: bit 63 is set. */
	return (1ULL << 63) | ((uint64_t)page << 20) | word;
}

static void fill_page(char *mem, unsigned int i)
{
	uint64_t *w = (uint64_t *)(mem + i * pagesize);
	size_t k;

	for (k = 0; k < pagesize / sizeof(*w); k++)
		w[k] = pattern(i, k);
}

/*
 * Share the PAGE_SHARED pages with a child: it inherits the range, drops
 * every other page of it and waits to be killed. The parent writes its
 * other pages again, so that they are exclusive and writable once more.
 */
static void share_pages(const struct layout *l, char *mem)
{
	int pipefd[2];
	unsigned int i;
	char c = 0;

	if (pipe(pipefd))
		ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
	sharer = fork();
	if (sharer < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (!sharer) {
		for (i = 0; i < pmd_nr; i++)
			if (l->page[i] != PAGE_SHARED)
				madvise(mem + i * pagesize, pagesize, MADV_DONTNEED);
		if (write(pipefd[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	if (read(pipefd[0], &c, 1) != 1)
		ksft_exit_fail_msg("the sharing child died\n");
	close(pipefd[0]);
	close(pipefd[1]);
	for (i = 0; i < pmd_nr; i++)
		if (l->page[i] == PAGE_DATA)
			fill_page(mem, i);
}

/* Pages of the PMD range the rules say are mapped once khugepaged is done. */
static unsigned int expected_present(const struct layout *l)
{
	unsigned int i, n = 0;

	for (i = 0; i < pmd_nr; ) {
		if (l->folio_order[i] >= 0) {
			n += 1U << l->folio_order[i];
			i += 1U << l->folio_order[i];
			continue;
		}
		n += l->page[i] == PAGE_DATA || l->page[i] == PAGE_SHARED;
		i++;
	}
	return n;
}

static unsigned int count_present(char *mem)
{
	unsigned int i, n = 0;

	for (i = 0; i < pmd_nr; i++)
		n += !!PAGEMAP_PRESENT(pagemap_get_entry(pagemap_fd, mem + i * pagesize));
	return n;
}

/* Is every collapse of the expected layout there? Quietly. */
static bool layout_reached(const struct layout *l, char *mem)
{
	char why[160];
	unsigned int i;

	for (i = 0; i < pmd_nr; i++)
		if (l->folio_order[i] >= 0 &&
		    !backed_by_folio(mem + i * pagesize, pagesize << l->folio_order[i],
				     why, sizeof(why)))
			return false;
	return true;
}

/* Check every page against the expected layout; print the first misses. */
static bool check_layout(const struct layout *l, char *mem)
{
	unsigned int i, j, bad = 0;
	char why[160];

	for (i = 0; i < pmd_nr; ) {
		int order = l->folio_order[i];
		unsigned int nr = order >= 0 ? 1U << order : 1;
		char *p = mem + i * pagesize;
		bool ok = true;

		if (order >= 0) {
			ok = backed_by_folio(p, pagesize << order, why, sizeof(why));
			if (!ok)
				ksft_print_msg("pages %u-%u: expected one %zu kB folio: %s\n",
					       i, i + nr - 1, (pagesize << order) >> 10, why);
		} else if (l->page[i] == PAGE_HOLE) {
			if (PAGEMAP_PRESENT(pagemap_get_entry(pagemap_fd, p))) {
				ksft_print_msg("page %u: hole expected, but it is mapped\n", i);
				ok = false;
			}
		} else if (l->page[i] == PAGE_SWAP) {
			if (!pagemap_is_swapped(pagemap_fd, p)) {
				ksft_print_msg("page %u: swap entry expected\n", i);
				ok = false;
			}
		} else if (!backed_by_folio(p, pagesize, why, sizeof(why))) {
			ksft_print_msg("page %u: not collapsed by the rules, but %s\n", i, why);
			ok = false;
		}
		if (!ok && ++bad >= 8)
			break;
		/* The data of every page the test wrote, and the zeroes. */
		for (j = i; ok && j < i + nr; j++) {
			const uint64_t *w = (const uint64_t *)(mem + j * pagesize);
			size_t k;

			if (l->page[j] == PAGE_HOLE && order < 0)
				continue;
			for (k = 0; k < pagesize / sizeof(*w); k++) {
				uint64_t want = l->page[j] == PAGE_HOLE ? 0 : pattern(j, k);

				if (w[k] != want) {
					ksft_print_msg("page %u word %zu: %#llx, expected %#llx\n",
						       j, k, (unsigned long long)w[k],
						       (unsigned long long)want);
					ok = false;
					bad++;
					break;
				}
			}
		}
		i += nr;
	}
	return !bad;
}

/*
 * Set the range up as @l says with every size off, enable @l->orders, let
 * khugepaged work, and compare with what the rules predict.
 */
static void run_layout(const char *name, struct layout *l)
{
	long before[MAX_ORDER_NR], after[MAX_ORDER_NR];
	char *map, *mem;
	unsigned int i, order, present, pushed = 1;
	unsigned long scans;
	bool pass = true;
	double start, reached = -1;

	expect_layout(l);
	for (order = 2; order <= pmd_order; order++)
		before[order] = mthp_stat_get(pagesize << order, "collapse");

	push_settings(0, l->max_ptes_none);
	map = mmap(NULL, 2 * pmdsize, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	mem = (char *)(((uintptr_t)map + pmdsize - 1) & ~(pmdsize - 1));

	for (i = 0; i < pmd_nr; i++)
		if (l->page[i] != PAGE_HOLE)
			fill_page(mem, i);
	if (count_setup(l, 0, pmd_nr, PAGE_SHARED))
		share_pages(l, mem);
	for (i = 0; i < pmd_nr; i++) {
		if (l->page[i] != PAGE_SWAP)
			continue;
		if (madvise(mem + i * pagesize, pagesize, MADV_PAGEOUT))
			ksft_exit_fail_msg("MADV_PAGEOUT: %s\n", strerror(errno));
		if (!pagemap_is_swapped(pagemap_fd, mem + i * pagesize)) {
			ksft_print_msg("%s: page %u was not swapped out by MADV_PAGEOUT\n",
				       name, i);
			pass = false;
		}
	}
	for (i = 0; i < pmd_nr && pass; i++) {
		char why[160];

		if ((l->page[i] == PAGE_DATA || l->page[i] == PAGE_SHARED) &&
		    !backed_by_folio(mem + i * pagesize, pagesize, why, sizeof(why))) {
			ksft_print_msg("%s: set-up: page %u: %s\n", name, i, why);
			pass = false;
		}
	}

	/*
	 * Settings are only ever pushed while the range is mapped, and popped
	 * after munmap(): popping back to the boot settings in between could
	 * let khugepaged collapse the range under those.
	 */
	if (pass) {
		push_settings(l->orders, l->max_ptes_none);
		pushed++;
		/* Registers the mm with khugepaged, now that a size is on. */
		if (madvise(mem, pmdsize, MADV_HUGEPAGE))
			ksft_exit_fail_msg("MADV_HUGEPAGE: %s\n", strerror(errno));

		start = now();
		while (now() - start < COLLAPSE_TIMEOUT_S) {
			if (layout_reached(l, mem)) {
				reached = now() - start;
				break;
			}
			usleep(10000);
		}
		/* Full scans more: what must not collapse has had its chance. */
		scans = read_full_scans();
		start = now();
		while (read_full_scans() < scans + l->settle_scans &&
		       now() - start < SETTLE_TIMEOUT_S)
			usleep(50000);
		if (read_full_scans() < scans + l->settle_scans) {
			ksft_print_msg("%s: khugepaged did not finish %u full scans in %d s\n",
				       name, l->settle_scans, SETTLE_TIMEOUT_S);
			pass = false;
		}
		if (reached < 0)
			ksft_print_msg("%s: the expected layout was not reached in %d s\n",
				       name, COLLAPSE_TIMEOUT_S);
		else
			ksft_print_msg("%s: layout reached after %.2f s\n", name, reached);
		if (reached >= 0 && pass && !check_exceed(name, l))
			pass = false;

		/*
		 * Stop khugepaged before reading the data back: reading swaps
		 * pages in, which would make their ranges collapsible.
		 */
		for (order = 2; order <= pmd_order; order++)
			after[order] = mthp_stat_get(pagesize << order, "collapse");
		push_settings(0, l->max_ptes_none);
		pushed++;
		/* Before check_layout() reads swapped-out pages back in. */
		present = count_present(mem);
		if (present != expected_present(l)) {
			ksft_print_msg("%s: %u pages mapped, the rules predict %u\n",
				       name, present, expected_present(l));
			pass = false;
		}
		if (!check_layout(l, mem))
			pass = false;

		for (order = 2; order <= pmd_order; order++) {
			if (!(l->orders & (1UL << order)) && !l->collapses[order])
				continue;
			if (before[order] < 0 || after[order] < 0) {
				ksft_print_msg("%s: hugepages-%zukB/stats/collapse missing\n",
					       name, (pagesize << order) >> 10);
				pass = false;
			} else if (after[order] - before[order] != (long)l->collapses[order]) {
				ksft_print_msg("%s: %zu kB collapse count +%ld, expected +%u\n",
					       name, (pagesize << order) >> 10,
					       after[order] - before[order], l->collapses[order]);
				pass = false;
			}
		}
	}
	munmap(map, 2 * pmdsize);
	stop_sharer();
	while (pushed--)
		thp_pop_settings();
	ksft_test_result(pass, "%s\n", name);
}

/* ------------------------------------------------------------------ */

static struct layout layout;

static void reset_layout(unsigned long orders, unsigned int max_ptes_none)
{
	unsigned int i;

	layout.orders = orders;
	layout.max_ptes_none = max_ptes_none;
	layout.settle_scans = 2;
	for (i = 0; i < pmd_nr; i++)
		layout.page[i] = PAGE_DATA;
}

/* All pages written: every range becomes one folio of the size. */
static void case_full(unsigned int order)
{
	char name[64];

	snprintf(name, sizeof(name), "%zu kB: full range collapses",
		 (pagesize << order) >> 10);
	reset_layout(1UL << order, pmd_nr - 1);
	run_layout(name, &layout);
}

/*
 * max_ptes_none HPAGE_PMD_NR - 1: a range with one page written collapses
 * (its holes are filled with zeroes), a range with none stays empty.
 */
static void case_max_ptes_none(unsigned int order)
{
	unsigned int nr = 1U << order, r, i;
	char name[64];

	snprintf(name, sizeof(name), "%zu kB: max_ptes_none %u fills holes",
		 (pagesize << order) >> 10, pmd_nr - 1);
	reset_layout(1UL << order, pmd_nr - 1);
	for (r = 0; r < pmd_nr / nr; r++)
		for (i = 0; i < nr; i++)
			if ((r % 3 == 1 && i != nr - 1) || r % 3 == 2)
				layout.page[r * nr + i] = PAGE_HOLE;
	run_layout(name, &layout);
}

/*
 * Any other max_ptes_none, with every size on: below PMD size only ranges
 * with every page present collapse. With the limit scaled to each size
 * instead, a value from HPAGE_PMD_NR / 2 up let 3 pages written of the
 * first 4 collapse to 16 kB, which made 32 kB qualify on the next scan,
 * and so on up to a PMD: 2 MB mapped for 19 pages written. The settle
 * scans are enough for that to happen once per size.
 */
static void case_no_creep(unsigned long orders, unsigned int max_ptes_none)
{
	unsigned int i, chunk = pmd_nr / 8;
	char name[80];

	snprintf(name, sizeof(name), "all sizes: max_ptes_none %u does not creep",
		 max_ptes_none);
	reset_layout(orders, max_ptes_none);
	layout.settle_scans = pmd_order + 2;
	for (i = 0; i < pmd_nr; i++)
		if (i > 2 && (i < chunk || i >= chunk + 16))
			layout.page[i] = PAGE_HOLE;
	run_layout(name, &layout);
}

/* One page swapped out in every other range keeps that range as it is. */
static void case_swap(unsigned int order)
{
	unsigned int nr = 1U << order, r;
	char name[64];

	snprintf(name, sizeof(name), "%zu kB: a swap entry prevents collapse",
		 (pagesize << order) >> 10);
	if (!have_swap) {
		ksft_test_result_skip("%s (no swap area in /proc/swaps)\n", name);
		return;
	}
	reset_layout(1UL << order, pmd_nr - 1);
	for (r = 1; r < pmd_nr / nr; r += 2)
		layout.page[r * nr + nr / 2] = PAGE_SWAP;
	run_layout(name, &layout);
}

/* One page shared with a child in every other range keeps that range. */
static void case_shared(unsigned int order)
{
	unsigned int nr = 1U << order, r;
	char name[64];

	snprintf(name, sizeof(name), "%zu kB: a shared page prevents collapse",
		 (pagesize << order) >> 10);
	reset_layout(1UL << order, pmd_nr - 1);
	for (r = 1; r < pmd_nr / nr; r += 2)
		layout.page[r * nr] = PAGE_SHARED;
	run_layout(name, &layout);
}

/*
 * Every mTHP size on, max_ptes_none 0 and one hole: the walk takes the
 * largest size that fits at each index, so the range ends up as a
 * staircase of sizes around the hole.
 */
static void case_all_sizes(unsigned long mthp_orders)
{
	reset_layout(mthp_orders, 0);
	layout.page[5] = PAGE_HOLE;
	run_layout("all mTHP sizes: largest size first around a hole", &layout);
}

static void case_pmd(void)
{
	reset_layout(1UL << pmd_order, pmd_nr - 1);
	layout.page[7] = PAGE_HOLE;
	run_layout("PMD size: collapse still works", &layout);
}

/*
 * max_ptes_none values for case_no_creep(), in 512ths of the table: with
 * 512 PTEs, 64, 255, 256, 300 and 510.
 */
static const unsigned int creep_values[] = { 64, 255, 256, 300, 510 };

static void print_help(const char *prog)
{
	fprintf(stderr, "usage: %s [-f]\n"
		"  -f  run even if the kernel does not claim mTHP collapse\n", prog);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	unsigned long orders, mthp_orders;
	unsigned int order, nr_mthp;
	struct thp_settings cur;
	int c;

	while ((c = getopt(argc, argv, "f")) != -1) {
		if (c == 'f')
			force = true;
		else
			print_help(argv[0]);
	}

	ksft_print_header();
	pagesize = getpagesize();
	if (geteuid())
		ksft_exit_skip("needs root for the THP sysfs and /proc/kpageflags\n");
	pmdsize = read_pmd_pagesize();
	if (!pmdsize)
		ksft_exit_skip("no THP support (CONFIG_TRANSPARENT_HUGEPAGE)\n");
	pmd_order = __builtin_ctzll(pmdsize / pagesize);
	pmd_nr = 1U << pmd_order;
	if (pmd_nr > MAX_PMD_NR)
		ksft_exit_skip("%u PTEs per table; this test handles up to %d\n",
			       pmd_nr, MAX_PMD_NR);
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	kpageflags_fd = open("/proc/kpageflags", O_RDONLY);
	if (pagemap_fd < 0 || kpageflags_fd < 0)
		ksft_exit_skip("no pagemap or kpageflags (CONFIG_PROC_PAGE_MONITOR)\n");

	if (mthp_stat_get(pagesize << pmd_order, "collapse") < 0 && !force)
		ksft_exit_skip("no %zu kB collapse counter: no mTHP collapse (-f runs anyway)\n",
			       (pagesize << pmd_order) >> 10);

	orders = thp_supported_orders();
	mthp_orders = orders & ~(1UL << pmd_order) & ~3UL;
	if (!mthp_orders)
		ksft_exit_skip("the kernel offers no anonymous size below PMD size\n");
	nr_mthp = __builtin_popcountl(mthp_orders);
	for (order = 2; order < pmd_order; order++)
		if (mthp_orders & (1UL << order))
			ksft_print_msg("[INFO] testing %zu kB\n", (pagesize << order) >> 10);
	have_swap = swap_configured();

	thp_save_settings();
	thp_read_settings(&cur);
	thp_push_settings(&cur);
	settings_saved = true;
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	ksft_set_plan(4 * nr_mthp + 2 + ARRAY_SIZE(creep_values));
	for (order = 2; order < pmd_order; order++) {
		if (!(mthp_orders & (1UL << order)))
			continue;
		case_full(order);
		case_max_ptes_none(order);
		case_swap(order);
		case_shared(order);
	}
	case_all_sizes(mthp_orders);
	case_pmd();
	for (c = 0; c < (int)ARRAY_SIZE(creep_values); c++)
		case_no_creep(mthp_orders | (1UL << pmd_order),
			      creep_values[c] * pmd_nr / 512);
	ksft_finished();
}
