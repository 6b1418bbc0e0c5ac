// SPDX-License-Identifier: GPL-2.0
/*
 * Swap-out of anonymous large folios, which reclaim unmaps in batches of
 * PTEs, and what a batch must keep, for base pages, every mTHP size the
 * kernel offers and PMD THP:
 *  - data: a range swapped out with MADV_PAGEOUT holds a swap entry with a
 *    swap map reference for every page, and reads back exactly;
 *  - page-table boundaries: a folio moved to straddle one is swapped out by
 *    memcg reclaim (MADV_PAGEOUT would split it) and reads back exactly;
 *  - uffd-wp: with part of each folio write-protected, every protected page
 *    keeps the uffd-wp bit across swap-out and swap-in, no other page gets
 *    it, and a write to a protected page raises the uffd-wp fault;
 *  - uffd-wp markers: MADV_DONTNEED on a write-protected shmem range leaves
 *    a marker on every protected page and on no other;
 *  - pins: a folio with a GUP-pinned page stays mapped through MADV_PAGEOUT
 *    with its data; once unpinned it swaps out;
 * and, once, that hugetlb is left alone: MADV_FREE and MADV_PAGEOUT refuse
 * a hugetlb mapping and its data stays; with -d (destructive: the poisoned
 * huge page is lost until reboot), memory failure on one huge page unmaps
 * that page only.
 *
 * Every THP setting and nr_hugepages is restored on exit, also on a signal.
 * A case skips only when the kernel does not offer what it needs (swap,
 * uffd-wp, gup_test, hugetlb pages, memory failure), and says which.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/userfaultfd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../kselftest.h"
#include "vm_util.h"
#include "thp_settings.h"
#include "folio_util.h"
#include "../../../../mm/gup_test.h"

#define MAX_SIZES	(NR_ORDERS + 1)
#define NR_HUGE		2		/* hugetlb pages the hugetlb cases use */

static size_t pagesize, pmdsize;
static int pagemap_fd = -1, kpageflags_fd = -1, gup_fd = -1;
static bool have_thp, have_swap, settings_saved, destructive;
static uint64_t uffd_features;		/* what UFFDIO_API offers */
static long saved_nr_hugepages = -1;
static const char *memcg_missing;	/* why memcg reclaim cannot be used */

/* ------------------------------------------------------------------ */
/* Data pattern: never zero, different for every page and word. */

static uint64_t pattern_word(size_t page, size_t word)
{
	return (1ULL << 63) | ((uint64_t)page << 24) | word;
}

static void fill(char *mem, size_t len)
{
	size_t i, w;

	for (i = 0; i < len / pagesize; i++)
		for (w = 0; w < pagesize / 8; w++)
			((uint64_t *)(mem + i * pagesize))[w] = pattern_word(i, w);
}

/* Index of the first page that does not hold its pattern, or -1. */
static long first_bad_page(const char *mem, size_t len)
{
	size_t i, w;

	for (i = 0; i < len / pagesize; i++)
		for (w = 0; w < pagesize / 8; w++)
			if (((const uint64_t *)(mem + i * pagesize))[w] !=
			    pattern_word(i, w))
				return i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Settings, restored on every exit path */

static void restore_all(void)
{
	char buf[32];

	if (settings_saved)
		thp_restore_settings();
	settings_saved = false;
	memcg_leave();
	if (saved_nr_hugepages >= 0) {
		snprintf(buf, sizeof(buf), "%ld", saved_nr_hugepages);
		write_file("/proc/sys/vm/nr_hugepages", buf, strlen(buf) + 1);
		saved_nr_hugepages = -1;
	}
}

static void on_signal(int sig)
{
	restore_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Anonymous (and shmem) folios of @size only, at fault time. */
static void push_size(size_t size)
{
	struct thp_settings s;
	int order, want = -1;

	if (!have_thp)
		return;
	if (size > pagesize)
		want = __builtin_ctzll(size / pagesize);
	s = *thp_current_settings();
	s.thp_enabled = size == pmdsize ? THP_ALWAYS : THP_NEVER;
	s.shmem_enabled = size == pmdsize ? SHMEM_ALWAYS : SHMEM_NEVER;
	for (order = 0; order < NR_ORDERS; order++) {
		s.hugepages[order].enabled = order == want ? THP_ALWAYS : THP_NEVER;
		s.shmem_hugepages[order].enabled = order == want ? SHMEM_ALWAYS :
						   SHMEM_NEVER;
	}
	thp_push_settings(&s);
}

static void pop_size(void)
{
	if (have_thp)
		thp_pop_settings();
}

/* Sum of the "Used" column of /proc/swaps, in kB; -1 without swap. */
static long swap_used_kb(void)
{
	char line[512];
	long used, total = -1;
	FILE *f;

	f = fopen("/proc/swaps", "r");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %ld", &used) == 1)
			total = (total < 0 ? 0 : total) + used;
	}
	fclose(f);
	return total;
}

/* ------------------------------------------------------------------ */
/* A region of two PMD ranges backed by folios of one size */

struct region {
	char *mem;		/* aligned to the folio and PMD size */
	size_t len;
	size_t folio;
	void *map;
	size_t maplen;
	bool shared;		/* MAP_SHARED: shmem */
};

static bool region_populate(struct region *r, size_t size, bool shared,
			    char *why, size_t len)
{
	size_t align = pmdsize ? pmdsize : 2UL << 20, i;

	memset(r, 0, sizeof(*r));
	r->folio = size;
	r->shared = shared;
	r->len = 2 * align;
	r->maplen = r->len + align;
	r->map = mmap(NULL, r->maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->map == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	r->mem = (char *)(((uintptr_t)r->map + align - 1) & ~(align - 1));
	/*
	 * shmem places a large folio only where the file offset is aligned
	 * like the address: map it at the aligned start, offset 0.
	 */
	if (shared && mmap(r->mem, r->len, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
			   -1, 0) != r->mem)
		ksft_exit_fail_msg("mmap shared: %s\n", strerror(errno));
	madvise(r->mem, r->len, size > pagesize ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);

	push_size(size);
	fill(r->mem, r->len);
	pop_size();

	for (i = 0; i < r->len; i += size)
		if (!range_is_one_folio(pagemap_fd, kpageflags_fd, r->mem + i,
					size, why, len))
			return false;
	return true;
}

static void region_free(struct region *r)
{
	if (r->map && r->map != MAP_FAILED)
		munmap(r->map, r->maplen);
}

static bool pageout(char *mem, size_t len)
{
	if (madvise(mem, len, MADV_PAGEOUT)) {
		ksft_print_msg("MADV_PAGEOUT: %s\n", strerror(errno));
		return false;
	}
	return true;
}

/* How many pages of [mem, mem + len) pagemap reports with @bits all set. */
static size_t count_pages(char *mem, size_t len, uint64_t bits)
{
	size_t i, n = 0;

	for (i = 0; i < len / pagesize; i++)
		n += (pagemap_get_entry(pagemap_fd, mem + i * pagesize) & bits) == bits;
	return n;
}

/*
 * Which pages of a folio of @nr pages the uffd-wp cases protect: the middle
 * half, so that every folio has protected and unprotected runs and a batch
 * that mixed them would show; every other page for base pages.
 */
static bool protected_page(size_t idx, size_t nr)
{
	if (nr < 4)
		return idx & 1;
	idx %= nr;
	return idx >= nr / 4 && idx < 3 * nr / 4;
}

/* ------------------------------------------------------------------ */
/* userfaultfd */

static int uffd_open(uint64_t features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd;

	fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool uffd_wp_range(int uffd, char *addr, size_t len, bool protect)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp)) {
		ksft_print_msg("UFFDIO_WRITEPROTECT: %s\n", strerror(errno));
		return false;
	}
	return true;
}

/* Register @r for uffd-wp and protect protected_page() of every folio. */
static int uffd_protect_region(struct region *r, uint64_t features)
{
	size_t nr = r->folio / pagesize, i, start;
	int uffd;

	uffd = uffd_open(features);
	if (uffd < 0) {
		ksft_print_msg("userfaultfd: %s\n", strerror(errno));
		return -1;
	}
	if (uffd_register(uffd, r->mem, r->len, false, true, false)) {
		ksft_print_msg("UFFDIO_REGISTER (wp): %s\n", strerror(errno));
		close(uffd);
		return -1;
	}
	for (i = 0; i < r->len / pagesize; i = start) {
		for (start = i; start < r->len / pagesize &&
		     protected_page(start, nr) == protected_page(i, nr); start++)
			;
		if (protected_page(i, nr) &&
		    !uffd_wp_range(uffd, r->mem + i * pagesize,
				   (start - i) * pagesize, true)) {
			close(uffd);
			return -1;
		}
	}
	return uffd;
}

/*
 * Pages whose pagemap uffd-wp bit is not what protected_page() says, or that
 * are not present (@want_present 1) or are (0); -1: either.
 */
static size_t wrong_wp_bits(struct region *r, int want_present)
{
	size_t nr = r->folio / pagesize, i, bad = 0;
	uint64_t ent;

	for (i = 0; i < r->len / pagesize; i++) {
		ent = pagemap_get_entry(pagemap_fd, r->mem + i * pagesize);
		if (!!(ent & PM_UFFD_WP) != protected_page(i, nr) ||
		    (want_present >= 0 && !!(ent & PM_PRESENT) != want_present)) {
			if (bad++ < 4)
				ksft_print_msg("page %zu: pagemap %#llx, expected uffd-wp %d%s\n",
					       i, (unsigned long long)ent,
					       protected_page(i, nr),
					       want_present < 0 ? "" : want_present ?
					       ", present" : ", not present");
		}
	}
	return bad;
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(sigbus_jmp, 1);
}

/* Write to @p; true if that raised SIGBUS (a uffd-wp fault, with SIGBUS). */
static bool write_faults(char *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1)) {
		sigaction(SIGBUS, &old, NULL);
		return true;
	}
	/* A store the compiler must emit. */
	__atomic_store_n((uint64_t *)p, pattern_word(0, 0), __ATOMIC_RELAXED);
	sigaction(SIGBUS, &old, NULL);
	return false;
}

/* ------------------------------------------------------------------ */
/* The cases. Each returns KSFT_PASS, KSFT_FAIL or KSFT_SKIP. */

static const char *skip_reason;

static int skip(const char *why)
{
	skip_reason = why;
	return KSFT_SKIP;
}

/* Swap out, check every page has a swap entry and a reference, read back. */
static int case_data(struct region *r)
{
	size_t nr_pages = r->len / pagesize;
	long used0, used1, out0, out1;
	size_t swapped;
	long bad;

	if (!have_swap)
		return skip("no swap configured");
	used0 = swap_used_kb();
	out0 = r->folio > pagesize ? mthp_stat_get(r->folio, "swpout") : -1;
	if (!pageout(r->mem, r->len))
		return KSFT_FAIL;
	used1 = swap_used_kb();
	out1 = r->folio > pagesize ? mthp_stat_get(r->folio, "swpout") : -1;

	swapped = count_pages(r->mem, r->len, PM_SWAP);
	if (swapped != nr_pages) {
		ksft_print_msg("%zu of %zu pages swapped out\n", swapped, nr_pages);
		return KSFT_FAIL;
	}
	/*
	 * Every swap PTE holds a reference on its swap entry: had the unmap
	 * taken fewer, the entries would have been freed with the swap cache
	 * and reading the pages back would find nothing.
	 */
	if (used1 - used0 < (long)(r->len >> 10)) {
		/*
		 * Swap PTEs without their references: reading them back, here
		 * or in a later case, finds freed entries and does not end.
		 */
		ksft_test_result_fail("swap in use grew by %ld kB for %zu kB swapped out\n",
				      used1 - used0, r->len >> 10);
		ksft_exit_fail_msg("swap map references lost: stopping before any swap-in\n");
	}
	if (out0 >= 0 && out1 >= 0)
		ksft_print_msg("%ld folios of %zu kB swapped out whole\n",
			       out1 - out0, r->folio >> 10);
	bad = first_bad_page(r->mem, r->len);
	if (bad >= 0) {
		ksft_print_msg("page %ld read back wrong after swap-in\n", bad);
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

/*
 * The first folio moved to straddle a page-table boundary, then swapped out
 * by memcg reclaim: its unmap must stop each batch at the end of a table.
 * Every page must come back; the straddling folio, the coldest, must have
 * been swapped out whole.
 */
static int case_straddle(struct region *r)
{
	size_t span = r->len + 2 * pmdsize, nr = r->folio / pagesize, i, lost = 0;
	char *area, *dst;
	long bad;

	if (!have_swap)
		return skip("no swap configured");
	if (memcg_missing)
		return skip(memcg_missing);
	if (r->folio > pagesize) {
		area = mmap(NULL, span + pmdsize, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (area == MAP_FAILED)
			ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
		/* The middle of the first folio lands on a PMD boundary. */
		dst = (char *)(((uintptr_t)area + 2 * pmdsize - 1) & ~(pmdsize - 1)) -
		      r->folio / 2;
		if (mremap(r->mem, r->len, r->len, MREMAP_MAYMOVE | MREMAP_FIXED,
			   dst) != dst)
			ksft_exit_fail_msg("mremap: %s\n", strerror(errno));
		munmap(r->map, r->maplen);
		r->map = area;
		r->maplen = span + pmdsize;
		r->mem = dst;
	}
	memcg_reclaim(r->len, 200);
	for (i = 0; i < r->len / pagesize; i++) {
		uint64_t ent = pagemap_get_entry(pagemap_fd, r->mem + i * pagesize);

		lost += !(ent & (PM_SWAP | PM_PRESENT));
	}
	if (lost) {
		ksft_print_msg("%zu pages neither present nor swapped\n", lost);
		return KSFT_FAIL;
	}
	if (count_pages(r->mem, r->folio, PM_SWAP) != nr) {
		ksft_print_msg("%zu of %zu pages of the straddling folio swapped out\n",
			       count_pages(r->mem, r->folio, PM_SWAP), nr);
		return KSFT_FAIL;
	}
	bad = first_bad_page(r->mem, r->len);
	if (bad >= 0) {
		ksft_print_msg("page %ld read back wrong after swap-in\n", bad);
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

/*
 * uffd-wp bits survive swap-out and swap-in, and still fault on write. The
 * folios are swapped out by memcg reclaim: MADV_PAGEOUT splits a folio whose
 * PTEs differ in uffd-wp, and the point is to see a folio's protected and
 * unprotected runs unmapped as separate batches.
 */
static int case_uffd_wp(struct region *r)
{
	size_t nr = r->folio / pagesize, i, swapped;
	int uffd, ret = KSFT_FAIL;
	long bad;

	if (!have_swap)
		return skip("no swap configured");
	if (memcg_missing)
		return skip(memcg_missing);
	if (!(uffd_features & UFFD_FEATURE_PAGEFAULT_FLAG_WP) ||
	    !(uffd_features & UFFD_FEATURE_SIGBUS))
		return skip("userfaultfd has no write-protect or SIGBUS mode");
	uffd = uffd_protect_region(r, UFFD_FEATURE_PAGEFAULT_FLAG_WP |
				   UFFD_FEATURE_SIGBUS);
	if (uffd < 0)
		return KSFT_FAIL;
	if (wrong_wp_bits(r, 1)) {
		ksft_print_msg("uffd-wp bits wrong before swap-out\n");
		goto out;
	}
	memcg_reclaim(r->len, 200);
	swapped = count_pages(r->mem, r->len, PM_SWAP);
	ksft_print_msg("%zu of %zu pages swapped out\n", swapped, r->len / pagesize);
	/* The first folio is the coldest: it must have gone. */
	if (count_pages(r->mem, r->folio, PM_SWAP) != nr) {
		ksft_print_msg("the first folio was not swapped out\n");
		goto out;
	}
	if (wrong_wp_bits(r, -1)) {
		ksft_print_msg("swap entries carry the wrong uffd-wp bits\n");
		goto out;
	}
	bad = first_bad_page(r->mem, r->len);
	if (bad >= 0) {
		ksft_print_msg("page %ld read back wrong after swap-in\n", bad);
		goto out;
	}
	if (wrong_wp_bits(r, 1)) {
		ksft_print_msg("uffd-wp bits wrong after swap-in\n");
		goto out;
	}
	/* One protected and one unprotected page of every folio. */
	for (i = 0; i < r->len / pagesize; i += nr < 4 ? 2 : nr) {
		size_t wp = nr < 4 ? i + 1 : i + nr / 4;

		if (!write_faults(r->mem + wp * pagesize) ||
		    first_bad_page(r->mem, r->len) >= 0) {
			ksft_print_msg("write to protected page %zu did not fault\n", wp);
			goto out;
		}
		if (write_faults(r->mem + i * pagesize)) {
			ksft_print_msg("write to unprotected page %zu faulted\n", i);
			goto out;
		}
		/* Put the pattern back for the next check. */
		*(uint64_t *)(r->mem + i * pagesize) = pattern_word(i, 0);
	}
	ret = KSFT_PASS;
out:
	close(uffd);
	return ret;
}

/* MADV_DONTNEED of write-protected shmem leaves markers exactly there. */
static int case_uffd_wp_markers(struct region *r)
{
	int uffd, ret = KSFT_FAIL;
	long bad;

	if (!(uffd_features & UFFD_FEATURE_WP_HUGETLBFS_SHMEM))
		return skip("userfaultfd cannot write-protect shmem");
	uffd = uffd_protect_region(r, UFFD_FEATURE_PAGEFAULT_FLAG_WP |
				   UFFD_FEATURE_WP_HUGETLBFS_SHMEM);
	if (uffd < 0)
		return KSFT_FAIL;
	if (madvise(r->mem, r->len, MADV_DONTNEED)) {
		ksft_print_msg("MADV_DONTNEED: %s\n", strerror(errno));
		goto out;
	}
	if (wrong_wp_bits(r, 0)) {
		ksft_print_msg("uffd-wp markers wrong after MADV_DONTNEED\n");
		goto out;
	}
	/* shmem keeps the data; faulting it back keeps the protection. */
	bad = first_bad_page(r->mem, r->len);
	if (bad >= 0) {
		ksft_print_msg("page %ld read back wrong\n", bad);
		goto out;
	}
	if (wrong_wp_bits(r, 1)) {
		ksft_print_msg("uffd-wp bits wrong after faulting back\n");
		goto out;
	}
	ret = KSFT_PASS;
out:
	close(uffd);
	return ret;
}

/* A pinned folio stays mapped through MADV_PAGEOUT; unpinned, it goes. */
static int case_pinned(struct region *r)
{
	size_t nr = r->folio / pagesize, i;
	struct pin_longterm_test args = {
		.addr = (uintptr_t)(r->mem + (nr / 2) * pagesize),
		.size = pagesize,
	};
	unsigned long pfn0;
	int ret = KSFT_FAIL;
	long bad;

	if (!have_swap)
		return skip("no swap configured");
	if (gup_fd < 0)
		return skip("no /sys/kernel/debug/gup_test (CONFIG_GUP_TEST)");
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args)) {
		ksft_print_msg("PIN_LONGTERM_TEST_START: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	pfn0 = pagemap_get_pfn(pagemap_fd, r->mem);
	if (!pageout(r->mem, r->len))
		goto unpin;
	for (i = 0; i < nr; i++) {
		if (pagemap_get_pfn(pagemap_fd, r->mem + i * pagesize) != pfn0 + i) {
			ksft_print_msg("page %zu of the pinned folio was unmapped\n", i);
			goto unpin;
		}
	}
	if (count_pages(r->mem + r->folio, r->len - r->folio, PM_SWAP) !=
	    (r->len - r->folio) / pagesize) {
		ksft_print_msg("the unpinned folios were not all swapped out\n");
		goto unpin;
	}
	ret = KSFT_PASS;
unpin:
	if (ioctl(gup_fd, PIN_LONGTERM_TEST_STOP))
		ksft_exit_fail_msg("PIN_LONGTERM_TEST_STOP: %s\n", strerror(errno));
	if (ret != KSFT_PASS)
		return ret;
	if (!pageout(r->mem, r->folio))
		return KSFT_FAIL;
	if (count_pages(r->mem, r->folio, PM_SWAP) != nr) {
		ksft_print_msg("after unpin, %zu of %zu pages swapped out\n",
			       count_pages(r->mem, r->folio, PM_SWAP), nr);
		return KSFT_FAIL;
	}
	bad = first_bad_page(r->mem, r->len);
	if (bad >= 0) {
		ksft_print_msg("page %ld read back wrong\n", bad);
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

struct test_case {
	const char *name;
	int (*fn)(struct region *r);
	bool shared;
};

static const struct test_case cases[] = {
	{ "MADV_PAGEOUT swaps every page out and reads back exact", case_data, false },
	{ "memcg reclaim across a page-table boundary reads back exact", case_straddle,
	  false },
	{ "uffd-wp bits kept across reclaim and swap-in", case_uffd_wp, false },
	{ "MADV_DONTNEED leaves uffd-wp markers on protected shmem", case_uffd_wp_markers,
	  true },
	{ "a pinned folio stays mapped, swaps out once unpinned", case_pinned, false },
};

static void run_case(const struct test_case *tc, size_t size)
{
	char why[128], desc[192];
	struct region r;
	int ret;

	snprintf(desc, sizeof(desc), "%s (%s %zu kB)", tc->name,
		 size == pagesize ? "base pages" : size == pmdsize ? "PMD THP" : "mTHP",
		 size >> 10);
	if (tc->shared && size > pagesize &&
	    !(thp_shmem_supported_orders() & (1UL << __builtin_ctzll(size / pagesize))) &&
	    size != pmdsize) {
		ksft_test_result_skip("%s: no shmem folios of this size\n", desc);
		return;
	}
	if (!region_populate(&r, size, tc->shared, why, sizeof(why))) {
		/* The kernel offers the size and it is enabled: a failure. */
		ksft_print_msg("%zu kB folios requested, %s\n", size >> 10, why);
		ksft_test_result_fail("%s\n", desc);
		region_free(&r);
		return;
	}
	ret = tc->fn(&r);
	region_free(&r);
	if (ret == KSFT_SKIP)
		ksft_test_result_skip("%s: %s\n", desc, skip_reason);
	else
		ksft_test_result(ret == KSFT_PASS, "%s\n", desc);
}

/* ------------------------------------------------------------------ */
/* hugetlb: refused by MADV_FREE and MADV_PAGEOUT; memory failure */

static char *map_hugetlb(size_t *hsize)
{
	char buf[32];
	char *mem;

	*hsize = default_huge_page_size();
	if (!*hsize)
		return NULL;
	if (saved_nr_hugepages < 0) {
		if (!read_file("/proc/sys/vm/nr_hugepages", buf, sizeof(buf)))
			return NULL;
		saved_nr_hugepages = atol(buf);
	}
	snprintf(buf, sizeof(buf), "%ld", saved_nr_hugepages + NR_HUGE);
	write_file("/proc/sys/vm/nr_hugepages", buf, strlen(buf) + 1);
	mem = mmap(NULL, NR_HUGE * *hsize, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	fill(mem, NR_HUGE * *hsize);
	return mem;
}

static void test_hugetlb_refused(void)
{
	const char *desc = "hugetlb: MADV_FREE and MADV_PAGEOUT refused, data kept";
	unsigned long pfn;
	size_t hsize;
	bool ok = true;
	char *mem;

	mem = map_hugetlb(&hsize);
	if (!mem) {
		ksft_test_result_skip("%s: no free hugetlb pages\n", desc);
		return;
	}
	pfn = pagemap_get_pfn(pagemap_fd, mem);
	if (!madvise(mem, NR_HUGE * hsize, MADV_FREE) || errno != EINVAL) {
		ksft_print_msg("MADV_FREE on hugetlb: %s, expected EINVAL\n",
			       strerror(errno));
		ok = false;
	}
	if (!madvise(mem, NR_HUGE * hsize, MADV_PAGEOUT) || errno != EINVAL) {
		ksft_print_msg("MADV_PAGEOUT on hugetlb: %s, expected EINVAL\n",
			       strerror(errno));
		ok = false;
	}
	if (pagemap_get_pfn(pagemap_fd, mem) != pfn) {
		ksft_print_msg("hugetlb page moved or was unmapped\n");
		ok = false;
	}
	if (first_bad_page(mem, NR_HUGE * hsize) >= 0) {
		ksft_print_msg("hugetlb data changed\n");
		ok = false;
	}
	munmap(mem, NR_HUGE * hsize);
	ksft_test_result(ok, "%s\n", desc);
}

/*
 * MADV_HWPOISON a page we map: memory failure sends us SIGBUS (action
 * required) as it unmaps the page, which is expected. Returns madvise()'s
 * result.
 */
static int poison(char *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	int ret = 0;

	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(sigbus_jmp, 1))
		ret = madvise(p, pagesize, MADV_HWPOISON);
	sigaction(SIGBUS, &old, NULL);
	return ret;
}

/*
 * Memory failure on a page of the second huge page (the one path by which
 * try_to_unmap() sees a hugetlb folio) unmaps that huge page, which then
 * raises SIGBUS, and leaves the first one mapped with its data.
 */
static void test_hugetlb_poison(void)
{
	const char *desc = "hugetlb: memory failure unmaps the poisoned huge page only";
	unsigned long pfn;
	size_t hsize;
	bool ok = true;
	char *mem;

	if (!destructive) {
		ksft_test_result_skip("%s: poisons memory, needs -d\n", desc);
		return;
	}
	mem = map_hugetlb(&hsize);
	if (!mem) {
		ksft_test_result_skip("%s: no free hugetlb pages\n", desc);
		return;
	}
	pfn = pagemap_get_pfn(pagemap_fd, mem);
	if (poison(mem + hsize)) {
		munmap(mem, NR_HUGE * hsize);
		if (errno == EINVAL)
			ksft_test_result_skip("%s: no MADV_HWPOISON (CONFIG_MEMORY_FAILURE)\n",
					      desc);
		else
			ksft_test_result_fail("%s: MADV_HWPOISON: %s\n", desc,
					      strerror(errno));
		return;
	}
	if (pagemap_get_entry(pagemap_fd, mem + hsize) & PM_PRESENT) {
		ksft_print_msg("poisoned huge page is still mapped\n");
		ok = false;
	}
	if (!write_faults(mem + hsize)) {
		ksft_print_msg("access to the poisoned huge page did not raise SIGBUS\n");
		ok = false;
	}
	if (pagemap_get_pfn(pagemap_fd, mem) != pfn ||
	    first_bad_page(mem, hsize) >= 0) {
		ksft_print_msg("the other huge page lost its mapping or data\n");
		ok = false;
	}
	munmap(mem, NR_HUGE * hsize);
	ksft_test_result(ok, "%s\n", desc);
}

int main(int argc, char **argv)
{
	size_t sizes[MAX_SIZES];
	unsigned long orders;
	int nr_sizes = 0, i, c, fd;
	struct uffdio_api api = { .api = UFFD_API };
	struct thp_settings cur;

	while ((c = getopt(argc, argv, "d")) != -1) {
		if (c != 'd')
			ksft_exit_fail_msg("usage: %s [-d]\n", argv[0]);
		destructive = true;
	}
	ksft_print_header();
	pagesize = getpagesize();
	if (geteuid())
		ksft_exit_skip("needs root for THP sysfs, pagemap PFNs and kpageflags\n");
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	kpageflags_fd = open("/proc/kpageflags", O_RDONLY);
	if (pagemap_fd < 0 || kpageflags_fd < 0)
		ksft_exit_skip("no pagemap or kpageflags (CONFIG_PROC_PAGE_MONITOR)\n");

	sizes[nr_sizes++] = pagesize;
	pmdsize = read_pmd_pagesize();
	have_thp = pmdsize != 0;
	if (have_thp) {
		orders = thp_supported_orders() |
			 (1UL << __builtin_ctzll(pmdsize / pagesize));
		for (i = 1; i < NR_ORDERS && nr_sizes < MAX_SIZES; i++)
			if (orders & (1UL << i))
				sizes[nr_sizes++] = pagesize << i;
		thp_save_settings();
		settings_saved = true;
		/* push_size() starts from the settings on top of the stack. */
		thp_read_settings(&cur);
		thp_push_settings(&cur);
	} else {
		ksft_print_msg("[INFO] no THP support: base pages only\n");
	}
	atexit(restore_all);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	have_swap = swap_used_kb() >= 0;
	memcg_missing = memcg_enter("swapout_mthp");
	gup_fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	fd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (fd >= 0) {
		if (!ioctl(fd, UFFDIO_API, &api))
			uffd_features = api.features;
		close(fd);
	}
	for (i = 0; i < nr_sizes; i++)
		ksft_print_msg("[INFO] testing %zu kB folios\n", sizes[i] >> 10);

	ksft_set_plan(nr_sizes * ARRAY_SIZE(cases) + 2);
	for (i = 0; i < nr_sizes; i++)
		for (c = 0; c < (int)ARRAY_SIZE(cases); c++)
			run_case(&cases[c], sizes[i]);
	test_hugetlb_refused();
	test_hugetlb_poison();
	ksft_finished();
}
