// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for folio_dup_swap() and folio_put_swap(), which take and drop
 * the swap map references of a range of a folio's swap entries in one lock
 * round per cluster. mm/swapfile.c #includes this file when the test is
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
		folio_clear_swapcache(ctx->folio);
		folio_clear_swapbacked(ctx->folio);
		ctx->folio->swap.val = 0;
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
 * A folio of @order that looks like one in the swap cache, its entries
 * starting at @offset (aligned, as the swap allocator gives them), each entry
 * with the swap cache reference plus @count map references.
 */
static struct folio *swap_kunit_folio(struct kunit *test, unsigned int order,
				      unsigned long offset, unsigned char count)
{
	struct swap_kunit_ctx *ctx = test->priv;
	unsigned char *map = swap_kunit_map(test);
	struct folio *folio;
	unsigned long i;

	KUNIT_ASSERT_EQ(test, offset % (1UL << order), 0);
	folio = folio_alloc(GFP_KERNEL, order);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	__folio_set_swapbacked(folio);
	folio_set_swapcache(folio);
	folio->swap = swap_kunit_entry(test, offset);
	ctx->folio = folio;
	for (i = 0; i < (1UL << order); i++)
		map[offset + i] = SWAP_HAS_CACHE | count;
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

	KUNIT_ASSERT_EQ(test, folio_dup_swap(folio, folio_page(folio, 0), nr), 0);
	expect_counts(test, off, nr, after);
	/* Entries of the neighbours are untouched. */
	KUNIT_EXPECT_EQ(test, map[off - 1], 0);
	KUNIT_EXPECT_EQ(test, map[off + nr], 0);

	folio_put_swap(folio, folio_page(folio, 0), nr);
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

	KUNIT_ASSERT_EQ(test, folio_dup_swap(folio, folio_page(folio, 3), 7), 0);
	expect_counts(test, off, 16, want);

	folio_put_swap(folio, folio_page(folio, 3), 7);
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

	KUNIT_ASSERT_EQ(test, folio_dup_swap(folio, folio_page(folio, 0), nr), 0);
	expect_counts(test, off, nr, after);
	KUNIT_EXPECT_EQ(test, swp_swapcount(swap_kunit_entry(test, off + 2)),
			SWAP_MAP_MAX + 1);
	KUNIT_EXPECT_EQ(test, swp_swapcount(swap_kunit_entry(test, off + 3)), 2);

	folio_put_swap(folio, folio_page(folio, 0), nr);
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
 * fails the batch before anything changes, whatever its position.
 */
static void swap_dup_invalid_entry(struct kunit *test)
{
	static const unsigned char bad[] = { 0, SWAP_MAP_BAD, SWAP_MAP_SHMEM };
	const unsigned long off = 384, nr = 8;
	unsigned char *map = swap_kunit_map(test);
	unsigned char before[8];
	struct folio *folio;
	unsigned int b, pos;

	folio = swap_kunit_folio(test, 3, off, 1);
	for (b = 0; b < ARRAY_SIZE(bad); b++) {
		for (pos = 0; pos < nr; pos += 3) {
			unsigned long i;
			int err;

			for (i = 0; i < nr; i++)
				map[off + i] = SWAP_HAS_CACHE | 1;
			map[off + pos] = bad[b];
			memcpy(before, map + off, nr);
			/* Like swap_duplicate(): 0, but nothing taken. */
			err = folio_dup_swap(folio, folio_page(folio, 0), nr);
			KUNIT_EXPECT_EQ(test, err, 0);
			expect_counts(test, off, nr, before);
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

kunit_test_suite(swap_dup_suite);
