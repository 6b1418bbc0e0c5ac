// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for swap_dup_folio_range() and swap_put_folio_range(), which
 * take and drop the swap map references of a range of a folio's swap
 * entries in one lock round per cluster. mm/swapfile.c #includes this file when the test is
 * configured, so the cases can reach the static helpers too.
 *
 * Each case owns a swap area of its own: a swap_info_struct from
 * alloc_swap_info() with a swap map and clusters but no backing file. It is
 * never on the swap lists, so nothing allocates from it and nothing is
 * written to it; the cases set the map counts they need by hand and only take
 * and drop references. Every entry a case uses keeps its swap cache
 * reference, as the entries of a folio being swapped out do, so no count
 * reaches zero and no slot is handed back to the allocator. The area is
 * registered like a swap device while a case runs: the suite is meant to run
 * built in, at boot, before anything reads /proc/swaps.
 */

#include <kunit/test.h>

#define SWAP_KUNIT_CLUSTERS	4
#define SWAP_KUNIT_PAGES	(SWAP_KUNIT_CLUSTERS * SWAPFILE_CLUSTER)

struct swap_kunit_ctx {
	struct swap_info_struct *si;
	struct folio *folio;		/* a fake swap cache folio, or NULL */
};

/* Take a folio out of a swap cache set up by swap_kunit_set_cache(). */
static void swap_kunit_clear_cache(struct folio *folio)
{
	folio_clear_swapcache(folio);
	folio->swap.val = 0;
}

static int swap_kunit_init(struct kunit *test)
{
	struct swap_kunit_ctx *ctx;
	struct swap_info_struct *si;
	int i;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	si = alloc_swap_info();
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(si), "no free swap type");

	/* vmalloc'ed, like swapon's: continuation pages hang off its pages. */
	si->swap_map = vzalloc(SWAP_KUNIT_PAGES);
	si->cluster_info = kvcalloc(SWAP_KUNIT_CLUSTERS,
				    sizeof(*si->cluster_info), GFP_KERNEL);
	if (!si->swap_map || !si->cluster_info) {
		vfree(si->swap_map);
		kvfree(si->cluster_info);
		spin_lock(&swap_lock);
		si->flags = 0;
		spin_unlock(&swap_lock);
		KUNIT_FAIL(test, "cannot allocate the swap map");
		return -ENOMEM;
	}
	for (i = 0; i < SWAP_KUNIT_CLUSTERS; i++)
		spin_lock_init(&si->cluster_info[i].lock);
	si->max = SWAP_KUNIT_PAGES;
	/* Let get_swap_device() find the area, as swapon does. */
	percpu_ref_resurrect(&si->users);

	ctx->si = si;
	test->priv = ctx;
	return 0;
}

static void swap_kunit_exit(struct kunit *test)
{
	struct swap_kunit_ctx *ctx = test->priv;
	struct swap_info_struct *si = ctx->si;
	struct swap_cluster_info *ci;
	unsigned char *map;

	if (ctx->folio) {
		swap_kunit_clear_cache(ctx->folio);
		folio_clear_swapbacked(ctx->folio);
		folio_put(ctx->folio);
	}

	/* Take the area down the way swapoff does. */
	percpu_ref_kill(&si->users);
	synchronize_rcu();
	wait_for_completion(&si->comp);
	free_swap_count_continuations(si);

	spin_lock(&swap_lock);
	spin_lock(&si->lock);
	map = si->swap_map;
	ci = si->cluster_info;
	si->swap_map = NULL;
	si->cluster_info = NULL;
	si->max = 0;
	si->flags = 0;
	spin_unlock(&si->lock);
	spin_unlock(&swap_lock);
	vfree(map);
	kvfree(ci);
}

static swp_entry_t swap_kunit_entry(struct kunit *test, unsigned long offset)
{
	struct swap_kunit_ctx *ctx = test->priv;

	return swp_entry(ctx->si->type, offset);
}

static unsigned char *swap_kunit_map(struct kunit *test)
{
	struct swap_kunit_ctx *ctx = test->priv;

	return ctx->si->swap_map;
}

/*
 * Make @folio look like one in the swap cache of the test's area, its
 * entries starting at @offset (aligned, as the swap allocator gives them),
 * each entry with the swap cache reference plus @count map references.
 * There is no swap cache behind it: nothing may look the entries up.
 */
static void swap_kunit_set_cache(struct kunit *test, struct folio *folio,
				 unsigned long offset, unsigned char count)
{
	unsigned char *map = swap_kunit_map(test);
	unsigned long i;

	KUNIT_ASSERT_EQ(test, offset % folio_nr_pages(folio), 0);
	folio_set_swapcache(folio);
	folio->swap = swap_kunit_entry(test, offset);
	for (i = 0; i < folio_nr_pages(folio); i++)
		map[offset + i] = SWAP_HAS_CACHE | count;
}

/* A new folio of @order in the test's swap cache, as swap_kunit_set_cache(). */
static struct folio *swap_kunit_folio(struct kunit *test, unsigned int order,
				      unsigned long offset, unsigned char count)
{
	struct swap_kunit_ctx *ctx = test->priv;
	struct folio *folio;

	folio = folio_alloc(GFP_KERNEL, order);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	/* The exit handler puts it, also when an assertion below fails. */
	ctx->folio = folio;
	__folio_set_swapbacked(folio);
	swap_kunit_set_cache(test, folio, offset, count);
	return folio;
}

static void expect_counts(struct kunit *test, unsigned long offset,
			  unsigned long nr, const unsigned char *want)
{
	unsigned char *map = swap_kunit_map(test);
	unsigned long i;

	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_EQ_MSG(test, map[offset + i], want[i],
				    "swap map of entry %lu", offset + i);
}

/* Every entry of the range gains exactly one reference, and loses it again. */
static void swap_dup_whole_folio(struct kunit *test)
{
	const unsigned long off = 64, nr = 16;
	unsigned char *map = swap_kunit_map(test);
	unsigned char before[16], after[16];
	struct folio *folio;
	unsigned long i;

	folio = swap_kunit_folio(test, 4, off, 0);
	/* Some entries are shared already: a fork, or an earlier unmap. */
	map[off + 3] = SWAP_HAS_CACHE | 1;
	map[off + 15] = SWAP_HAS_CACHE | 5;
	for (i = 0; i < nr; i++) {
		before[i] = map[off + i];
		after[i] = map[off + i] + 1;
	}

	KUNIT_ASSERT_EQ(test, swap_dup_folio_range(folio, folio_page(folio, 0), nr), 0);
	expect_counts(test, off, nr, after);
	/* Entries of the neighbours are untouched. */
	KUNIT_EXPECT_EQ(test, map[off - 1], 0);
	KUNIT_EXPECT_EQ(test, map[off + nr], 0);

	swap_put_folio_range(folio, folio_page(folio, 0), nr);
	expect_counts(test, off, nr, before);
}

/* A range inside the folio: only its entries change. */
static void swap_dup_part_of_folio(struct kunit *test)
{
	const unsigned long off = 128;
	unsigned char want[16];
	struct folio *folio;
	unsigned long i;

	folio = swap_kunit_folio(test, 4, off, 0);
	for (i = 0; i < 16; i++)
		want[i] = SWAP_HAS_CACHE | (i >= 3 && i < 10);

	KUNIT_ASSERT_EQ(test, swap_dup_folio_range(folio, folio_page(folio, 3), 7), 0);
	expect_counts(test, off, 16, want);

	swap_put_folio_range(folio, folio_page(folio, 3), 7);
	memset(want, SWAP_HAS_CACHE, sizeof(want));
	expect_counts(test, off, 16, want);
}

/* A batch that spans two clusters takes both, and all or nothing. */
static void swap_dup_across_clusters(struct kunit *test)
{
	struct swap_kunit_ctx *ctx = test->priv;
	const unsigned long off = SWAPFILE_CLUSTER - 8, nr = 16;
	swp_entry_t entry = swap_kunit_entry(test, off);
	unsigned char *map = swap_kunit_map(test);
	unsigned char want[16];
	unsigned long i;

	for (i = 0; i < nr; i++) {
		map[off + i] = SWAP_HAS_CACHE;
		want[i] = SWAP_HAS_CACHE | 1;
	}
	KUNIT_ASSERT_EQ(test, swap_dup_entries(ctx->si, entry, nr), 0);
	expect_counts(test, off, nr, want);
	swap_free_nr(entry, nr);

	/* A free entry in the second cluster: the first is rolled back. */
	map[SWAPFILE_CLUSTER + 3] = 0;
	memcpy(want, map + off, nr);
	KUNIT_EXPECT_EQ(test, swap_dup_entries(ctx->si, entry, nr), -ENOENT);
	expect_counts(test, off, nr, want);
}

/*
 * An entry at SWAP_MAP_MAX needs a count continuation page: the batch adds
 * one and carries on, and the put takes the count back below it.
 */
static void swap_dup_needs_continuation(struct kunit *test)
{
	const unsigned long off = 256, nr = 8;
	unsigned char *map = swap_kunit_map(test);
	unsigned char before[8], after[8];
	struct folio *folio;
	unsigned long i;

	folio = swap_kunit_folio(test, 3, off, 1);
	map[off + 2] = SWAP_HAS_CACHE | SWAP_MAP_MAX;
	for (i = 0; i < nr; i++) {
		before[i] = map[off + i];
		after[i] = map[off + i] + 1;
	}
	after[2] = SWAP_HAS_CACHE | COUNT_CONTINUED;

	KUNIT_ASSERT_EQ(test, swap_dup_folio_range(folio, folio_page(folio, 0), nr), 0);
	expect_counts(test, off, nr, after);
	KUNIT_EXPECT_EQ(test, swp_swapcount(swap_kunit_entry(test, off + 2)),
			SWAP_MAP_MAX + 1);
	KUNIT_EXPECT_EQ(test, swp_swapcount(swap_kunit_entry(test, off + 3)), 2);

	swap_put_folio_range(folio, folio_page(folio, 0), nr);
	expect_counts(test, off, nr, before);
	KUNIT_EXPECT_EQ(test, swp_swapcount(swap_kunit_entry(test, off + 2)),
			SWAP_MAP_MAX);
}

/*
 * An entry at SWAP_MAP_MAX without a continuation page stops the batch in
 * the middle: the references already taken are dropped again.
 */
static void swap_dup_rollback_on_continuation(struct kunit *test)
{
	struct swap_kunit_ctx *ctx = test->priv;
	const unsigned long off = 320, nr = 8;
	unsigned char *map = swap_kunit_map(test);
	unsigned char before[8];
	int need_cont = -1;
	unsigned long i;

	for (i = 0; i < nr; i++)
		map[off + i] = SWAP_HAS_CACHE | (i + 1);
	map[off + 5] = SWAP_HAS_CACHE | SWAP_MAP_MAX;
	memcpy(before, map + off, nr);

	KUNIT_EXPECT_EQ(test, swap_dup_cluster_locked(ctx->si, off, nr,
						      &need_cont), -ENOMEM);
	KUNIT_EXPECT_EQ(test, need_cont, 5);
	expect_counts(test, off, nr, before);
}

/*
 * An entry that cannot take a map reference (free, bad, or owned by shmem)
 * fails the batch with its error before anything changes, at positions 0,
 * 3 and 6 of an 8-entry batch. For a folio's range, swap_dup_folio_range()
 * returns that error (not 0, as swap_duplicate() would), so that its
 * caller keeps the PTEs. No folio spans two clusters, so the batch that
 * fails in its second cluster, after the first took its references, is
 * run through swap_dup_entries().
 */
static void swap_dup_invalid_entry(struct kunit *test)
{
	static const struct {
		unsigned char count;
		int err;
	} bad[] = {
		{ 0, -ENOENT },
		{ SWAP_MAP_BAD, -ENOENT },
		{ SWAP_MAP_SHMEM, -EINVAL },
	};
	const unsigned long off = 384, across = SWAPFILE_CLUSTER - 4, nr = 8;
	struct swap_kunit_ctx *ctx = test->priv;
	unsigned char *map = swap_kunit_map(test);
	swp_entry_t entry = swap_kunit_entry(test, across);
	unsigned char before[8];
	struct folio *folio;
	unsigned int b, pos;
	unsigned long i;

	folio = swap_kunit_folio(test, 3, off, 1);
	for (b = 0; b < ARRAY_SIZE(bad); b++) {
		for (pos = 0; pos < nr; pos += 3) {
			for (i = 0; i < nr; i++) {
				map[off + i] = SWAP_HAS_CACHE | 1;
				map[across + i] = SWAP_HAS_CACHE | 1;
			}
			map[off + pos] = bad[b].count;
			map[across + pos] = bad[b].count;

			memcpy(before, map + off, nr);
			KUNIT_EXPECT_EQ_MSG(test,
					    swap_dup_folio_range(folio, folio_page(folio, 0),
								 nr),
					    bad[b].err, "folio, bad entry %u", pos);
			expect_counts(test, off, nr, before);

			memcpy(before, map + across, nr);
			KUNIT_EXPECT_EQ_MSG(test, swap_dup_entries(ctx->si, entry, nr),
					    bad[b].err, "across clusters, bad entry %u", pos);
			expect_counts(test, across, nr, before);
		}
	}
}

static struct kunit_case swap_dup_cases[] = {
	KUNIT_CASE(swap_dup_whole_folio),
	KUNIT_CASE(swap_dup_part_of_folio),
	KUNIT_CASE(swap_dup_across_clusters),
	KUNIT_CASE(swap_dup_needs_continuation),
	KUNIT_CASE(swap_dup_rollback_on_continuation),
	KUNIT_CASE(swap_dup_invalid_entry),
	{}
};

static struct kunit_suite swap_dup_suite = {
	.name = "mm_swap_dup",
	.init = swap_kunit_init,
	.exit = swap_kunit_exit,
	.test_cases = swap_dup_cases,
};

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
#define SWAP_UNMAP_ORDER	4
#define SWAP_UNMAP_NR		BIT(SWAP_UNMAP_ORDER)
#define SWAP_UNMAP_PINNED	5	/* the page a "driver" pins */

/*
 * An RSS counter of @mm, summed over the CPUs: get_mm_counter() reads only
 * the shared part, and a change of 16 can sit in one CPU's batch. Not
 * get_mm_counter_sum(): it clamps at zero and would hide an underflow.
 */
static long swap_unmap_rss(struct mm_struct *mm, int member)
{
	return percpu_counter_sum(&mm->rss_stat[member]);
}

/* Read the PTEs that map [addr, addr + SWAP_UNMAP_NR pages), under the PTL. */
static void swap_unmap_read_ptes(struct mm_struct *mm, unsigned long addr,
				 pte_t *ptes)
{
	spinlock_t *ptl;	/* the page table lock */
	unsigned long i;
	pte_t *ptep;

	ptep = pte_offset_map_lock(mm, pmd_off(mm, addr), addr, &ptl);
	for (i = 0; i < SWAP_UNMAP_NR; i++)
		ptes[i] = ptep_get(ptep + i);
	pte_unmap_unlock(ptep, ptl);
}

/*
 * Take out the swap PTEs of our area that an unmap left behind, as a zap
 * would, but without looking the entries up in a swap cache: the area has
 * none. Returns how many there were.
 */
static unsigned long swap_unmap_clear_swap_ptes(struct kunit *test,
						struct mm_struct *mm,
						unsigned long addr)
{
	struct swap_kunit_ctx *ctx = test->priv;
	unsigned char *map = swap_kunit_map(test);
	unsigned long i, cleared = 0;
	swp_entry_t entry;
	spinlock_t *ptl;	/* the page table lock */
	pte_t *ptep, pte;

	ptep = pte_offset_map_lock(mm, pmd_off(mm, addr), addr, &ptl);
	for (i = 0; i < SWAP_UNMAP_NR; i++) {
		pte = ptep_get(ptep + i);
		if (pte_none(pte) || pte_present(pte))
			continue;
		entry = pte_to_swp_entry(pte);
		if (swp_type(entry) != ctx->si->type)
			continue;
		pte_clear(mm, addr + i * PAGE_SIZE, ptep + i);
		if (swap_count(map[swp_offset(entry)]))
			map[swp_offset(entry)]--;
		add_mm_counter(mm, MM_SWAPENTS, -1);
		cleared++;
	}
	pte_unmap_unlock(ptep, ptl);
	return cleared;
}

/*
 * try_to_unmap() of a PTE-mapped mTHP in the swap cache, one of its pages
 * pinned by GUP. The unmap clears a batch of PTEs and takes the swap
 * references before it can try to share the anon-exclusive pages; a pin
 * makes that fail for the whole folio, and the batch must then be put back
 * as it was, with its swap references dropped. Reclaim checks for pins only
 * before add_to_swap(), so a folio pinned once it is in the swap cache does
 * get here. After the unpin, the same call swaps out every page.
 */
static void swap_unmap_pinned_mthp(struct kunit *test)
{
	const unsigned long size = PAGE_SIZE << SWAP_UNMAP_ORDER, off = 512;
	struct swap_kunit_ctx *ctx = test->priv;
	unsigned char *map = swap_kunit_map(test);
	pte_t before[SWAP_UNMAP_NR], after[SWAP_UNMAP_NR];
	unsigned char want[SWAP_UNMAP_NR];
	unsigned long start, addr, i, left;
	long anon0, swapents0;
	struct folio *folio;
	struct mm_struct *mm;
	struct page *page;
	bool enabled;
	int pinned;

	start = kunit_vm_mmap(test, NULL, 0, 2 * size, PROT_READ | PROT_WRITE,
			      MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, start, 0, "kunit_vm_mmap failed");
	mm = current->mm;
	addr = ALIGN(start, size);
	KUNIT_ASSERT_EQ(test, do_madvise(mm, addr, size, MADV_HUGEPAGE), 0);

	/* Fault in one mTHP of the size, then give the setting back. */
	enabled = test_and_set_bit(SWAP_UNMAP_ORDER, &huge_anon_orders_madvise);
	for (i = 0; i < SWAP_UNMAP_NR; i++)
		if (put_user(i, (unsigned long __user *)(addr + i * PAGE_SIZE)))
			break;
	if (!enabled)
		clear_bit(SWAP_UNMAP_ORDER, &huge_anon_orders_madvise);
	KUNIT_ASSERT_EQ_MSG(test, i, SWAP_UNMAP_NR, "write fault failed");

	pinned = pin_user_pages_fast(addr + SWAP_UNMAP_PINNED * PAGE_SIZE, 1,
				     FOLL_WRITE, &page);
	KUNIT_ASSERT_EQ(test, pinned, 1);
	folio = page_folio(page);
	if (folio_order(folio) != SWAP_UNMAP_ORDER ||
	    folio_page_idx(folio, page) != SWAP_UNMAP_PINNED) {
		unpin_user_page(page);
		KUNIT_FAIL(test, "no %lu kB mTHP at %lx: the fault gave order %u",
			   size >> 10, addr, folio_order(folio));
		return;
	}

	swap_unmap_read_ptes(mm, addr, before);
	for (i = 0; i < SWAP_UNMAP_NR; i++) {
		KUNIT_EXPECT_TRUE(test, pte_present(before[i]));
		KUNIT_EXPECT_EQ(test, pte_pfn(before[i]), folio_pfn(folio) + i);
		KUNIT_EXPECT_TRUE(test, PageAnonExclusive(folio_page(folio, i)));
	}
	anon0 = swap_unmap_rss(mm, MM_ANONPAGES);
	swapents0 = swap_unmap_rss(mm, MM_SWAPENTS);

	/* Reclaim's part: isolate, lock, and the folio is in the swap cache. */
	lru_add_drain_all();
	if (!folio_isolate_lru(folio)) {
		unpin_user_page(page);
		KUNIT_FAIL(test, "the mTHP is not on an LRU list");
		return;
	}
	folio_lock(folio);
	swap_kunit_set_cache(test, folio, off, 0);

	/* Pinned: nothing may change. */
	try_to_unmap(folio, 0);
	KUNIT_EXPECT_EQ_MSG(test, folio_mapcount(folio), (int)SWAP_UNMAP_NR,
			    "pinned mTHP was unmapped");
	swap_unmap_read_ptes(mm, addr, after);
	for (i = 0; i < SWAP_UNMAP_NR; i++) {
		KUNIT_EXPECT_TRUE_MSG(test, pte_present(after[i]),
				      "PTE %lu of a pinned mTHP not restored", i);
		if (!pte_present(after[i]))
			continue;
		KUNIT_EXPECT_EQ(test, pte_pfn(after[i]), pte_pfn(before[i]));
		KUNIT_EXPECT_EQ_MSG(test, pte_write(after[i]), pte_write(before[i]),
				    "PTE %lu lost its write bit", i);
		KUNIT_EXPECT_TRUE_MSG(test, PageAnonExclusive(folio_page(folio, i)),
				      "page %lu of a pinned mTHP was shared", i);
	}
	memset(want, SWAP_HAS_CACHE, sizeof(want));
	expect_counts(test, off, SWAP_UNMAP_NR, want);
	KUNIT_EXPECT_EQ(test, swap_unmap_rss(mm, MM_ANONPAGES), anon0);
	KUNIT_EXPECT_EQ(test, swap_unmap_rss(mm, MM_SWAPENTS), swapents0);

	/* Unpinned: every page becomes an exclusive swap PTE of its entry. */
	unpin_user_page(page);
	try_to_unmap(folio, 0);
	KUNIT_EXPECT_FALSE_MSG(test, folio_mapped(folio),
			       "unpinned mTHP is still mapped");
	swap_unmap_read_ptes(mm, addr, after);
	for (i = 0; i < SWAP_UNMAP_NR; i++) {
		swp_entry_t entry = pte_to_swp_entry(after[i]);

		KUNIT_EXPECT_TRUE_MSG(test, is_swap_pte(after[i]),
				      "PTE %lu is not a swap PTE", i);
		if (!is_swap_pte(after[i]))
			continue;
		KUNIT_EXPECT_EQ(test, swp_type(entry), ctx->si->type);
		KUNIT_EXPECT_EQ(test, swp_offset(entry), off + i);
		KUNIT_EXPECT_TRUE(test, pte_swp_exclusive(after[i]));
	}
	memset(want, SWAP_HAS_CACHE | 1, sizeof(want));
	expect_counts(test, off, SWAP_UNMAP_NR, want);
	KUNIT_EXPECT_EQ(test, swap_unmap_rss(mm, MM_ANONPAGES),
			anon0 - (long)SWAP_UNMAP_NR);
	KUNIT_EXPECT_EQ(test, swap_unmap_rss(mm, MM_SWAPENTS),
			swapents0 + (long)SWAP_UNMAP_NR);

	/*
	 * Undo by hand what a zap and the end of reclaim would do, before the
	 * area goes away: nothing else may look these entries up.
	 */
	left = swap_unmap_clear_swap_ptes(test, mm, addr);
	KUNIT_EXPECT_EQ(test, left, SWAP_UNMAP_NR);
	for (i = 0; i < SWAP_UNMAP_NR; i++)
		map[off + i] = 0;
	swap_kunit_clear_cache(folio);
	folio_unlock(folio);
	folio_putback_lru(folio);
}
#else
static void swap_unmap_pinned_mthp(struct kunit *test)
{
	kunit_skip(test, "CONFIG_TRANSPARENT_HUGEPAGE is not set");
}
#endif

static struct kunit_case swap_unmap_cases[] = {
	KUNIT_CASE(swap_unmap_pinned_mthp),
	{}
};

static struct kunit_suite swap_unmap_suite = {
	.name = "mm_swap_unmap",
	.init = swap_kunit_init,
	.exit = swap_kunit_exit,
	.test_cases = swap_unmap_cases,
};

kunit_test_suites(&swap_dup_suite, &swap_unmap_suite);
