// SPDX-License-Identifier: GPL-2.0
/*
 * khugepaged collapse to every anonymous THP size (mTHP), one size at a time
 * and all together, checked against the rules transhuge.rst gives:
 *  - a PMD range whose pages were faulted in as base pages is collapsed,
 *    range by range, into folios of the enabled size;
 *  - below PMD size, max_ptes_none is scaled to the size
 *    (max_ptes_none >> (PMD order - order) none PTEs allowed per range);
 *  - a swap entry or a page shared with another process keeps its range
 *    from being collapsed;
 *  - with several sizes enabled, the walk takes the largest size that
 *    qualifies at each aligned index;
 *  - PMD-sized collapse still works.
 *
 * For every case the expected layout is computed from those rules, then
 * the test waits (bounded) for khugepaged to reach it, lets khugepaged do
 * two more full scans, and checks from pagemap and kpageflags that every
 * range is backed by exactly the expected folio size (or is still base
 * pages, a hole or a swap entry), that the data is unchanged and that the
 * per-size "collapse" counter counted exactly the expected collapses.
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
#define SETTLE_TIMEOUT_S	30	/* for the two extra full scans */

static size_t pagesize, pmdsize;
static unsigned int pmd_order, pmd_nr;
static int pagemap_fd = -1, kpageflags_fd = -1;
static bool settings_saved, have_swap, force;
static pid_t sharer = -1;	/* child that keeps PAGE_SHARED pages mapped */

/* What one page of the PMD range is set up as, before khugepaged runs. */
enum page_setup { PAGE_DATA, PAGE_HOLE, PAGE_SWAP, PAGE_SHARED };

/* A case: the sizes enabled, max_ptes_none, and the page set-up. */
struct layout {
	unsigned long orders;		/* enabled for khugepaged */
	unsigned int max_ptes_none;
	enum page_setup page[MAX_PMD_NR];
	/* filled by expect_layout(): order of the folio at each index */
	int folio_order[MAX_PMD_NR];	/* -1: not the start of a collapse */
	unsigned int collapses[MAX_PMD_NR + 1];	/* expected, per order */
};

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
	unsigned int max_none = order == pmd_order ? l->max_ptes_none :
				l->max_ptes_none >> (pmd_order - order);

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
	    count_setup(l, 0, pmd_nr, PAGE_SWAP) <= 64 &&
	    count_setup(l, 0, pmd_nr, PAGE_SHARED) <= 256 &&
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

/* ------------------------------------------------------------------ */
/* pagemap, kpageflags, sysfs */

/* One folio of @size at @addr (folio_util's check, with this test's files). */
static bool backed_by_folio(char *addr, size_t size, char *why, size_t len)
{
	return range_is_one_folio(pagemap_fd, kpageflags_fd, addr, size, why, len);
}

static unsigned long read_full_scans(void)
{
	return read_num("/sys/kernel/mm/transparent_hugepage/khugepaged/full_scans");
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
	s.khugepaged.max_ptes_swap = 64;
	s.khugepaged.max_ptes_shared = 256;
	thp_push_settings(&s);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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
	long before[MAX_PMD_NR + 1], after[MAX_PMD_NR + 1];
	char *map, *mem;
	unsigned int i, order, pushed = 1;
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
		/* Two full scans more: what must not collapse has had its chance. */
		scans = read_full_scans();
		start = now();
		while (read_full_scans() < scans + 2 && now() - start < SETTLE_TIMEOUT_S)
			usleep(50000);
		if (read_full_scans() < scans + 2) {
			ksft_print_msg("%s: khugepaged did not finish 2 full scans in %d s\n",
				       name, SETTLE_TIMEOUT_S);
			pass = false;
		}
		if (reached < 0)
			ksft_print_msg("%s: the expected layout was not reached in %d s\n",
				       name, COLLAPSE_TIMEOUT_S);
		else
			ksft_print_msg("%s: layout reached after %.2f s\n", name, reached);

		/*
		 * Stop khugepaged before reading the data back: reading swaps
		 * pages in, which would make their ranges collapsible.
		 */
		for (order = 2; order <= pmd_order; order++)
			after[order] = mthp_stat_get(pagesize << order, "collapse");
		push_settings(0, l->max_ptes_none);
		pushed++;
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
 * max_ptes_none scaled so that one none PTE per range is allowed: ranges
 * with 0 and 1 holes collapse, ranges with 2 holes stay base pages.
 */
static void case_max_ptes_none(unsigned int order)
{
	unsigned int nr = 1U << order, r;
	char name[64];

	snprintf(name, sizeof(name), "%zu kB: max_ptes_none scaled to the size",
		 (pagesize << order) >> 10);
	reset_layout(1UL << order, 1U << (pmd_order - order));
	for (r = 0; r < pmd_nr / nr; r++) {
		if (r % 3 >= 1)
			layout.page[r * nr + 1] = PAGE_HOLE;
		if (r % 3 == 2)
			layout.page[r * nr + nr - 1] = PAGE_HOLE;
	}
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

	ksft_set_plan(4 * nr_mthp + 2);
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
	ksft_finished();
}
