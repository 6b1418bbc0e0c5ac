// SPDX-License-Identifier: GPL-2.0
/*
 * MADV_FREE on base pages, PMD-sized THP and every mTHP size the kernel
 * offers, followed (or not) by memcg-driven reclaim.
 *
 * The MADV_FREE contract checked byte by byte, page by page:
 *  - a page not written after MADV_FREE may be discarded by reclaim; once
 *    discarded it reads back as zeroes, and it must not have been swapped
 *    out to get there;
 *  - a page written after MADV_FREE keeps what was written;
 *  - without reclaim nothing is lost.
 * Every page is filled with a pattern that encodes its index, so a page
 * from the wrong place, a partially cleared page or a stale page is told
 * apart from both the expected data and zeroes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../kselftest.h"
#include "vm_util.h"
#include "thp_settings.h"
#include "folio_util.h"
#include "../../../../mm/gup_test.h"

#define KPF_SWAPBACKED		14

#define MAX_SIZES		(NR_ORDERS + 1)
/*
 * memcg reclaim swappiness: 0 keeps reclaim off the anon LRU, so nothing
 * but lazyfree folios (which live on the file LRU) can go; the redirtied
 * folios it finds there are moved back to the anon LRU.
 */
#define LAZYFREE_ONLY		0

enum page_state { PAGE_PATTERN, PAGE_ZERO, PAGE_OTHER };

static size_t pagesize;
static size_t pmdsize;
static int pagemap_fd = -1;
static int kpageflags_fd = -1;
static bool have_thp;
static const char *memcg_missing;	/* why reclaim cases are skipped */
static int gup_fd = -1;			/* /sys/kernel/debug/gup_test */
static bool have_swap;
static bool have_soft_dirty;

static uint64_t pattern_word(unsigned int seed, size_t page, size_t word)
{
	/* Never zero: bit 63 is always set. */
	return (1ULL << 63) | ((uint64_t)seed << 56) | ((uint64_t)page << 20) | word;
}

static void fill_page(char *p, unsigned int seed, size_t idx)
{
	uint64_t *w = (uint64_t *)p;
	size_t i;

	for (i = 0; i < pagesize / sizeof(*w); i++)
		w[i] = pattern_word(seed, idx, i);
}

static enum page_state page_state(const char *p, unsigned int seed, size_t idx)
{
	const uint64_t *w = (const uint64_t *)p;
	bool pattern = true, zero = true;
	size_t i;

	for (i = 0; i < pagesize / sizeof(*w) && (pattern || zero); i++) {
		if (w[i] != pattern_word(seed, idx, i))
			pattern = false;
		if (w[i])
			zero = false;
	}
	return pattern ? PAGE_PATTERN : zero ? PAGE_ZERO : PAGE_OTHER;
}

/* One folio of @size at @addr (folio_util's check, with this test's files). */
static bool backed_by_folio(char *addr, size_t size, char *why, size_t len)
{
	return range_is_one_folio(pagemap_fd, kpageflags_fd, addr, size, why, len);
}

/* ------------------------------------------------------------------ */
/* THP settings and the memory cgroup; both restored on every exit path */

static void cleanup(void)
{
	if (have_thp)
		thp_restore_settings();
	memcg_leave();
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A /proc/vmstat counter. */
static unsigned long read_vmstat(const char *name)
{
	char key[64];
	unsigned long val;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		ksft_exit_fail_msg("/proc/vmstat: %s\n", strerror(errno));
	while (fscanf(f, "%63s %lu", key, &val) == 2) {
		if (!strcmp(key, name)) {
			fclose(f);
			return val;
		}
	}
	fclose(f);
	ksft_exit_fail_msg("no %s in /proc/vmstat\n", name);
	return 0;
}

static bool swap_configured(void)
{
	char buf[4096];

	/* The header line, then one line per swap area. */
	return read_file("/proc/swaps", buf, sizeof(buf)) && strchr(buf, '\n') &&
	       strchr(strchr(buf, '\n') + 1, '/');
}

/* ------------------------------------------------------------------ */

struct region {
	char *mem;		/* folio-aligned start */
	size_t len;
	size_t folio;		/* folio size the region is backed by */
	void *map;
	size_t maplen;
};

static void set_thp_size(size_t size)
{
	struct thp_settings s;
	int order;

	if (!have_thp)
		return;
	s = *thp_current_settings();
	s.thp_enabled = THP_NEVER;
	for (order = 0; order < NR_ORDERS; order++)
		s.hugepages[order].enabled = THP_NEVER;
	if (size > pagesize) {
		order = __builtin_ctzll(size / pagesize);
		s.hugepages[order].enabled = THP_ALWAYS;
		if (size == pmdsize)
			s.thp_enabled = THP_ALWAYS;
	}
	thp_push_settings(&s);
}

/* Map and fill a region backed by folios of @size; false + reason if not. */
static bool region_populate(struct region *r, size_t size, char *why, size_t len)
{
	size_t i, align = size > pmdsize ? size : pmdsize;

	r->folio = size;
	r->len = 2 * (pmdsize ? pmdsize : 2UL << 20);
	r->maplen = r->len + align;
	r->map = mmap(NULL, r->maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->map == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	r->mem = (char *)(((uintptr_t)r->map + align - 1) & ~(align - 1));
	if (size > pagesize)
		madvise(r->mem, r->len, MADV_HUGEPAGE);
	else
		madvise(r->mem, r->len, MADV_NOHUGEPAGE);

	set_thp_size(size);
	for (i = 0; i < r->len / pagesize; i++)
		fill_page(r->mem + i * pagesize, 1, i);
	if (have_thp)
		thp_pop_settings();

	for (i = 0; i < r->len; i += size)
		if (!backed_by_folio(r->mem + i, size, why, len))
			return false;
	return true;
}

static void region_free(struct region *r)
{
	munmap(r->map, r->maplen);
}

static bool run_madv_free(struct region *r)
{
	if (madvise(r->mem, r->len, MADV_FREE)) {
		ksft_print_msg("MADV_FREE: %s\n", strerror(errno));
		return false;
	}
	return true;
}

/* Clean lazyfree folios are discarded by reclaim, not swapped out. */
static bool case_reclaim_discards(struct region *r)
{
	size_t i, nr = r->len / pagesize, present = 0, swapped = 0, bad = 0;
	unsigned long rss_before, rss_after;
	uint64_t ent;

	unsigned long split_pmd = read_vmstat("thp_split_pmd");
	unsigned long lazyfreed = read_vmstat("pglazyfreed");
	long split = mthp_stat_get(r->folio, "split");
	bool ok = true;

	if (!run_madv_free(r))
		return false;
	rss_before = rss_anon();
	memcg_reclaim(r->len, LAZYFREE_ONLY);
	rss_after = rss_anon();

	/* Discarding needs no split: of the PMD, nor of the folio. */
	if (r->folio == pmdsize && read_vmstat("thp_split_pmd") != split_pmd) {
		ksft_print_msg("thp_split_pmd +%lu: the PMD was split on the way to discard\n",
			       read_vmstat("thp_split_pmd") - split_pmd);
		ok = false;
	}
	if (r->folio > pagesize && split >= 0 && mthp_stat_get(r->folio, "split") != split) {
		ksft_print_msg("hugepages-%zukB/stats/split +%ld: folio split before discard\n",
			       r->folio >> 10, mthp_stat_get(r->folio, "split") - split);
		ok = false;
	}
	if (read_vmstat("pglazyfreed") - lazyfreed < nr) {
		ksft_print_msg("pglazyfreed +%lu, expected at least %zu\n",
			       read_vmstat("pglazyfreed") - lazyfreed, nr);
		ok = false;
	}

	for (i = 0; i < nr; i++) {
		ent = pagemap_get_entry(pagemap_fd, r->mem + i * pagesize);
		if (ent & PM_PRESENT)
			present++;
		if (ent & PM_SWAP)
			swapped++;
	}
	if (present || swapped) {
		ksft_print_msg("after reclaim %zu of %zu pages still present, %zu swapped out\n",
			       present, nr, swapped);
		return false;
	}
	/* 64 kB of slack for our own stack and libc touching new pages. */
	if (rss_before < rss_after + (r->len >> 10) - 64) {
		ksft_print_msg("RssAnon %lu kB -> %lu kB, expected a drop of %zu kB\n",
			       rss_before, rss_after, r->len >> 10);
		return false;
	}
	for (i = 0; i < nr; i++) {
		if (page_state(r->mem + i * pagesize, 1, i) != PAGE_ZERO) {
			bad++;
			if (bad <= 4)
				ksft_print_msg("page %zu: not zero after discard\n", i);
		}
	}
	return ok && !bad;
}

/* A page written after MADV_FREE keeps the new data through reclaim. */
static bool case_reclaim_keeps_written(struct region *r)
{
	size_t i, nr = r->len / pagesize, per_folio = r->folio / pagesize;
	size_t bad = 0, kept = 0, dropped = 0;
	enum page_state st;
	bool written;

	if (!run_madv_free(r))
		return false;
	/*
	 * Rewrite the middle page of every other folio; the folios in
	 * between are left untouched, so both kinds meet reclaim.
	 */
	for (i = per_folio / 2; i < nr; i += 2 * per_folio)
		fill_page(r->mem + i * pagesize, 2, i);
	memcg_reclaim(r->len, LAZYFREE_ONLY);

	for (i = 0; i < nr; i++) {
		written = i % (2 * per_folio) == per_folio / 2;
		st = page_state(r->mem + i * pagesize, written ? 2 : 1, i);
		/* Untouched pages may go or stay, but never change. */
		if (st == PAGE_OTHER || (written && st != PAGE_PATTERN)) {
			bad++;
			if (bad <= 4)
				ksft_print_msg("page %zu (%s): %s\n", i,
					       written ? "written after MADV_FREE" : "untouched",
					       st == PAGE_ZERO ? "zeroed" : "corrupted");
		} else if (written) {
			kept++;
		} else if (st == PAGE_ZERO) {
			dropped++;
		}
	}
	if (!bad)
		ksft_print_msg("%zu rewritten pages kept, %zu untouched discarded\n",
			       kept, dropped);
	return !bad;
}

/*
 * Soft-dirty and write-protection are per PTE, also in a folio that reclaim
 * keeps because it was written after MADV_FREE and puts back. In every
 * folio, page 1 is written before clear_refs (dirty, but no longer
 * soft-dirty) and the middle page after it (soft-dirty); page 0 is left
 * clean, so the walk meets a run of clean and dirty pages that are not
 * soft-dirty before it meets the written one. The region is made
 * read-only, so that neither the write bit nor the dirty bit tells the
 * pages apart. After reclaim only the middle pages may be soft-dirty,
 * every page keeps its data, and once the region is writable again a
 * page not written since clear_refs must fault (still write-protected)
 * and become soft-dirty. A PMD-mapped THP is tracked per PMD, so there
 * only the written pages and the data are checked; with base pages every
 * page is written after clear_refs.
 */
static bool case_reclaim_keeps_soft_dirty(struct region *r)
{
	size_t i, nr = r->len / pagesize, per_folio = r->folio / pagesize;
	size_t lost = 0, spurious = 0, unprotected = 0, bad = 0, backed = 0;
	bool per_pte = r->folio < pmdsize || !pmdsize;
	bool *written, *early, ok = false;
	uint64_t ent;

	written = calloc(nr, sizeof(*written));
	early = calloc(nr, sizeof(*early));
	if (!written || !early)
		ksft_exit_fail_msg("calloc: %s\n", strerror(errno));
	if (!run_madv_free(r))
		goto out;
	for (i = 0; i < nr; i++) {
		written[i] = i % per_folio == per_folio / 2;
		early[i] = !written[i] && i % per_folio == 1;
		if (early[i])
			fill_page(r->mem + i * pagesize, 2, i);
	}
	clear_softdirty();
	for (i = 0; i < nr; i++)
		if (written[i])
			fill_page(r->mem + i * pagesize, 2, i);
	if (mprotect(r->mem, r->len, PROT_READ))
		ksft_exit_fail_msg("mprotect: %s\n", strerror(errno));
	memcg_reclaim(r->len, LAZYFREE_ONLY);

	/* pagemap first: reading a discarded page would map a new one. */
	for (i = 0; i < nr; i++) {
		ent = pagemap_get_entry(pagemap_fd, r->mem + i * pagesize);
		if (!(ent & PM_PRESENT))
			continue;
		if (i % per_folio == 0 &&
		    (kpageflags_get(kpageflags_fd, PAGEMAP_PFN(ent)) & (1ULL << KPF_SWAPBACKED)))
			backed++;
		if (written[i] && !(ent & PM_SOFT_DIRTY)) {
			if (++lost <= 4)
				ksft_print_msg("page %zu: written, not soft-dirty after reclaim\n",
					       i);
		} else if (per_pte && !written[i] && (ent & PM_SOFT_DIRTY)) {
			if (++spurious <= 4)
				ksft_print_msg("page %zu: %s, soft-dirty after reclaim\n", i,
					       early[i] ? "written before clear" : "not written");
		}
	}
	/* Every folio was written, so reclaim keeps every page. */
	for (i = 0; i < nr; i++) {
		if (page_state(r->mem + i * pagesize, written[i] || early[i] ? 2 : 1, i) !=
		    PAGE_PATTERN && ++bad <= 4)
			ksft_print_msg("page %zu: wrong data after reclaim\n", i);
	}
	if (mprotect(r->mem, r->len, PROT_READ | PROT_WRITE))
		ksft_exit_fail_msg("mprotect: %s\n", strerror(errno));
	/* A page that stayed write-protected becomes soft-dirty when written. */
	for (i = 0; per_pte && i < nr; i++) {
		if (written[i] || !pagemap_is_populated(pagemap_fd, r->mem + i * pagesize))
			continue;
		if (pagemap_get_entry(pagemap_fd, r->mem + i * pagesize) & PM_SOFT_DIRTY)
			continue;	/* counted above */
		fill_page(r->mem + i * pagesize, 3, i);
		if (!pagemap_is_softdirty(pagemap_fd, r->mem + i * pagesize) &&
		    ++unprotected <= 4)
			ksft_print_msg("page %zu: written without a fault after reclaim\n",
				       i);
	}
	/* Made swap-backed: reclaim reached the folio and put it back. */
	if (!backed)
		ksft_print_msg("no folio was made swap-backed: reclaim did not reach them\n");
	ok = backed && !lost && !spurious && !unprotected && !bad;
out:
	free(written);
	free(early);
	return ok;
}

/* Without reclaim, MADV_FREE loses nothing. */
static bool case_no_reclaim_keeps_all(struct region *r)
{
	size_t i, nr = r->len / pagesize, bad = 0;

	if (!run_madv_free(r))
		return false;
	for (i = 0; i < nr; i++) {
		if (!pagemap_is_populated(pagemap_fd, r->mem + i * pagesize) ||
		    page_state(r->mem + i * pagesize, 1, i) != PAGE_PATTERN) {
			bad++;
			if (bad <= 4)
				ksft_print_msg("page %zu lost its data without reclaim\n", i);
		}
	}
	return !bad;
}

/*
 * Move the region so that its first folio straddles a page-table
 * boundary: half of it is mapped by the last PTEs of one table, half by
 * the first PTEs of the next (a PMD THP ends up PTE-mapped). Reclaim
 * must handle the folio across both tables without losing data.
 */
static bool case_straddle_page_table(struct region *r)
{
	size_t span = r->len + 2 * pmdsize, half = r->folio / 2;
	char *area, *dst;

	if (!pmdsize || r->folio == pagesize)
		return case_reclaim_keeps_written(r);
	area = mmap(NULL, span + pmdsize, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	dst = (char *)(((uintptr_t)area + 2 * pmdsize - 1) & ~(pmdsize - 1)) - half;
	if (mremap(r->mem, r->len, r->len, MREMAP_MAYMOVE | MREMAP_FIXED, dst) != dst)
		ksft_exit_fail_msg("mremap: %s\n", strerror(errno));
	munmap(r->map, r->maplen);
	r->map = area;
	r->maplen = span + pmdsize;
	r->mem = dst;
	return case_reclaim_keeps_written(r);
}

static bool pin(char *addr, size_t len)
{
	struct pin_longterm_test args = { .addr = (uintptr_t)addr, .size = len };

	if (ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args)) {
		ksft_print_msg("PIN_LONGTERM_TEST_START: %s\n", strerror(errno));
		return false;
	}
	return true;
}

static void unpin(void)
{
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
		ksft_exit_fail_msg("PIN_LONGTERM_TEST_STOP: %s\n", strerror(errno));
}

/* Present pages of [addr, addr + len), and whether any is swap-backed. */
static size_t present_pages(char *addr, size_t len, bool *swapbacked)
{
	size_t i, n = 0;
	uint64_t ent;

	*swapbacked = false;
	for (i = 0; i < len / pagesize; i++) {
		ent = pagemap_get_entry(pagemap_fd, addr + i * pagesize);
		if (!(ent & PM_PRESENT))
			continue;
		n++;
		if (kpageflags_get(kpageflags_fd, PAGEMAP_PFN(ent)) & (1ULL << KPF_SWAPBACKED))
			*swapbacked = true;
	}
	return n;
}

/*
 * A long-term pin on one page of a clean lazyfree folio: reclaim must
 * keep the whole folio with its data and leave it lazyfree (not
 * swap-backed, it is not dirty); once unpinned, reclaim discards it.
 */
static bool case_pinned_lazyfree(struct region *r)
{
	size_t per_folio = r->folio / pagesize, i, n;
	char *target = r->mem + (per_folio / 2) * pagesize;
	bool swapbacked, ok = true;
	int tries;

	if (!run_madv_free(r) || !pin(target, pagesize))
		return false;
	memcg_reclaim(r->len, LAZYFREE_ONLY);

	n = present_pages(r->mem, r->folio, &swapbacked);
	if (n != per_folio) {
		ksft_print_msg("pinned folio: %zu of %zu pages left mapped\n", n, per_folio);
		ok = false;
	}
	if (swapbacked) {
		ksft_print_msg("pinned clean folio was made swap-backed\n");
		ok = false;
	}
	if (present_pages(r->mem + r->folio, r->len - r->folio, &swapbacked) ==
	    (r->len - r->folio) / pagesize) {
		ksft_print_msg("reclaim discarded none of the unpinned folios\n");
		ok = false;
	}
	for (i = 0; i < per_folio; i++) {
		if (page_state(r->mem + i * pagesize, 1, i) != PAGE_PATTERN) {
			ksft_print_msg("pinned folio page %zu lost its data\n", i);
			ok = false;
			break;
		}
	}
	unpin();
	if (!ok)
		return false;

	/* Reading above did not redirty it: it is still discardable. */
	for (tries = 0; tries < 8; tries++) {
		memcg_reclaim(r->folio, LAZYFREE_ONLY);
		if (!present_pages(r->mem, r->folio, &swapbacked))
			break;
	}
	n = present_pages(r->mem, r->folio, &swapbacked);
	if (n) {
		ksft_print_msg("after unpin, %zu pages of the folio survive reclaim%s\n", n,
			       swapbacked ? " (swap-backed)" : "");
		return false;
	}
	for (i = 0; i < per_folio; i++)
		if (page_state(r->mem + i * pagesize, 1, i) != PAGE_ZERO)
			return false;
	return true;
}

/* MADV_PAGEOUT of memory with a pinned page: nothing is lost. */
static bool case_pageout_pinned(struct region *r)
{
	size_t per_folio = r->folio / pagesize, nr = r->len / pagesize, i, bad = 0;
	bool swapbacked;

	if (!pin(r->mem + (per_folio / 2) * pagesize, pagesize))
		return false;
	if (madvise(r->mem, r->len, MADV_PAGEOUT)) {
		unpin();
		ksft_print_msg("MADV_PAGEOUT: %s\n", strerror(errno));
		return false;
	}
	if (present_pages(r->mem, r->folio, &swapbacked) != per_folio) {
		ksft_print_msg("pinned folio was unmapped by MADV_PAGEOUT\n");
		bad++;
	}
	for (i = 0; i < nr; i++) {
		if (page_state(r->mem + i * pagesize, 1, i) != PAGE_PATTERN) {
			if (++bad <= 4)
				ksft_print_msg("page %zu changed across MADV_PAGEOUT\n", i);
		}
	}
	unpin();
	return !bad;
}

#define NEEDS_RECLAIM	0x1
#define NEEDS_GUP_TEST	0x2
#define NEEDS_SWAP	0x4
#define NEEDS_SOFT_DIRTY	0x8

struct test_case {
	const char *name;
	bool (*fn)(struct region *r);
	unsigned int needs;
};

static const struct test_case cases[] = {
	{ "MADV_FREE then reclaim discards clean pages without swap-out",
	  case_reclaim_discards, NEEDS_RECLAIM },
	{ "MADV_FREE then reclaim keeps pages written after MADV_FREE",
	  case_reclaim_keeps_written, NEEDS_RECLAIM },
	{ "MADV_FREE, clear_refs and reclaim keep soft-dirty per page",
	  case_reclaim_keeps_soft_dirty, NEEDS_RECLAIM | NEEDS_SOFT_DIRTY },
	{ "MADV_FREE without reclaim keeps every page",
	  case_no_reclaim_keeps_all, 0 },
	{ "MADV_FREE and reclaim across a page-table boundary keep data",
	  case_straddle_page_table, NEEDS_RECLAIM },
	{ "pinned lazyfree folio is kept, stays lazyfree, goes after unpin",
	  case_pinned_lazyfree, NEEDS_RECLAIM | NEEDS_GUP_TEST },
	{ "MADV_PAGEOUT with a pinned page keeps all data",
	  case_pageout_pinned, NEEDS_GUP_TEST | NEEDS_SWAP },
};

static void run_case(const struct test_case *tc, size_t size)
{
	struct region r;
	char why[128];
	char desc[160];

	snprintf(desc, sizeof(desc), "%s (%s %zu kB)", tc->name,
		 size == pagesize ? "base pages" : size == pmdsize ? "PMD THP" : "mTHP",
		 size >> 10);
	if ((tc->needs & NEEDS_RECLAIM) && memcg_missing) {
		ksft_test_result_skip("%s: %s\n", desc, memcg_missing);
		return;
	}
	if ((tc->needs & NEEDS_GUP_TEST) && gup_fd < 0) {
		ksft_test_result_skip("%s: no /sys/kernel/debug/gup_test (CONFIG_GUP_TEST)\n",
				      desc);
		return;
	}
	if ((tc->needs & NEEDS_SOFT_DIRTY) && !have_soft_dirty) {
		ksft_test_result_skip("%s: no soft-dirty tracking (CONFIG_MEM_SOFT_DIRTY)\n",
				      desc);
		return;
	}
	if ((tc->needs & NEEDS_SWAP) && !have_swap) {
		ksft_test_result_skip("%s: no swap configured\n", desc);
		return;
	}
	if (!region_populate(&r, size, why, sizeof(why))) {
		/* The kernel offers this size and it is enabled: not getting it is a failure. */
		ksft_print_msg("%zu kB folios requested, %s\n", size >> 10, why);
		ksft_test_result_fail("%s\n", desc);
		region_free(&r);
		return;
	}
	ksft_test_result(tc->fn(&r), "%s\n", desc);
	region_free(&r);
}

int main(int argc, char **argv)
{
	size_t sizes[MAX_SIZES];
	unsigned long orders;
	int nr_sizes = 0, i, c;

	ksft_print_header();
	pagesize = getpagesize();
	if (geteuid())
		ksft_exit_skip("needs root for THP sysfs, memcg and /proc/kpageflags\n");

	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	kpageflags_fd = open("/proc/kpageflags", O_RDONLY);
	if (pagemap_fd < 0 || kpageflags_fd < 0)
		ksft_exit_skip("no pagemap or kpageflags (CONFIG_PROC_PAGE_MONITOR)\n");

	sizes[nr_sizes++] = pagesize;
	pmdsize = read_pmd_pagesize();
	have_thp = pmdsize != 0;
	if (have_thp) {
		orders = thp_supported_orders() | (1UL << __builtin_ctzll(pmdsize / pagesize));
		for (i = 1; i < NR_ORDERS && nr_sizes < MAX_SIZES; i++)
			if (orders & (1UL << i))
				sizes[nr_sizes++] = pagesize << i;
	} else {
		ksft_print_msg("[INFO] no THP support: base pages only\n");
	}
	for (i = 0; i < nr_sizes; i++)
		ksft_print_msg("[INFO] testing %zu kB folios\n", sizes[i] >> 10);

	if (have_thp) {
		struct thp_settings cur;

		thp_save_settings();
		thp_read_settings(&cur);
		thp_push_settings(&cur);
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	memcg_missing = memcg_enter("madv_free_thp");
	gup_fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	have_swap = swap_configured();
	have_soft_dirty = softdirty_supported();

	ksft_set_plan(nr_sizes * ARRAY_SIZE(cases));
	for (i = 0; i < nr_sizes; i++)
		for (c = 0; c < (int)ARRAY_SIZE(cases); c++)
			run_case(&cases[c], sizes[i]);

	ksft_finished();
}
