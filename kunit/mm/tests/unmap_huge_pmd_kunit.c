// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for unmap_huge_pmd_locked(): discarding a lazyfree
 * PMD-mapped THP in one step, and the cases where it must be kept.
 *
 * Each case gets a real address space (kunit_vm_mmap()), faults a PMD THP
 * into a PMD-aligned anonymous range, marks it lazyfree with MADV_FREE as
 * userspace would, and then plays reclaim's part: it isolates the folio
 * from the LRU (as shrink_folio_list() only sees isolated folios; setting
 * swap-backed on a folio still on the file LRU would corrupt the LRU size
 * accounting), holds the folio lock, takes the PMD lock and calls the
 * function under test.
 */

#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/swap.h>
#include <linux/uaccess.h>

#include "../internal.h"

struct uhp_fixture {
	struct mm_struct *mm;
	unsigned long addr;	/* PMD-aligned start of the THP */
	struct folio *folio;	/* isolated by us while set */
	bool locked;		/* we hold the folio lock */
};

enum uhp_setup {
	UHP_CLEAN,		/* MADV_FREE and nothing else */
	UHP_PMD_DIRTY,		/* written to after MADV_FREE */
	UHP_FOLIO_DIRTY,	/* folio flag set, PMD still clean */
	UHP_EXTRA_REF,		/* a reference beyond the mapping: a GUP pin */
};

struct uhp_case {
	const char *desc;
	enum uhp_setup setup;
	bool discarded;
	bool swapbacked;	/* after the call, if not discarded */
};

static const struct uhp_case uhp_cases[] = {
	{ "clean and unreferenced is discarded", UHP_CLEAN, true, false },
	{ "redirtied PMD is kept and made swap-backed", UHP_PMD_DIRTY, false, true },
	{ "dirty folio is kept and made swap-backed", UHP_FOLIO_DIRTY, false, true },
	{ "extra reference is kept and stays lazyfree", UHP_EXTRA_REF, false, false },
};

KUNIT_ARRAY_PARAM_DESC(uhp, uhp_cases, desc);

static void uhp_release(void *data)
{
	struct uhp_fixture *fx = data;

	if (fx->locked)
		folio_unlock(fx->folio);
	/* Drops the isolation reference, the only one the test holds. */
	if (fx->folio)
		folio_putback_lru(fx->folio);
}

static pmd_t *uhp_pmd(struct uhp_fixture *fx)
{
	return pmd_off(fx->mm, fx->addr);
}

/* The PMD, read under its lock. */
static pmd_t uhp_read_pmd(struct uhp_fixture *fx)
{
	spinlock_t *ptl = pmd_lock(fx->mm, uhp_pmd(fx));
	pmd_t pmd = *uhp_pmd(fx);

	spin_unlock(ptl);
	return pmd;
}

static int uhp_write(struct uhp_fixture *fx, unsigned long off)
{
	static const char data[] = "mm-suite";

	return copy_to_user((void __user *)(fx->addr + off), data, sizeof(data));
}

/*
 * Map 2 PMDs' worth, fault a THP into the aligned PMD inside, MADV_FREE
 * it and take reclaim's reference and lock.
 */
static int uhp_init(struct kunit *test)
{
	struct uhp_fixture *fx;
	struct folio *folio;
	unsigned long start;
	bool isolated;
	pmd_t pmd;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		kunit_skip(test, "CONFIG_TRANSPARENT_HUGEPAGE is not set");
	fx = kunit_kzalloc(test, sizeof(*fx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fx);
	test->priv = fx;

	start = kunit_vm_mmap(test, NULL, 0, 2 * HPAGE_PMD_SIZE,
			      PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, start, 0, "kunit_vm_mmap failed");
	fx->mm = current->mm;
	fx->addr = ALIGN(start, HPAGE_PMD_SIZE);

	KUNIT_ASSERT_EQ(test, do_madvise(fx->mm, fx->addr, HPAGE_PMD_SIZE,
					 MADV_HUGEPAGE), 0);
	KUNIT_ASSERT_EQ(test, uhp_write(fx, 0), 0);
	pmd = uhp_read_pmd(fx);
	KUNIT_ASSERT_TRUE_MSG(test, pmd_trans_huge(pmd),
			      "no PMD THP at %lx: THP allocation failed", fx->addr);

	KUNIT_ASSERT_EQ(test, do_madvise(fx->mm, fx->addr, HPAGE_PMD_SIZE,
					 MADV_FREE), 0);
	/* MADV_FREE moves the folio through a per-CPU batch. */
	lru_add_drain_all();

	folio = page_folio(pmd_page(uhp_read_pmd(fx)));
	folio_get(folio);
	isolated = folio_isolate_lru(folio);
	folio_put(folio);
	KUNIT_ASSERT_TRUE_MSG(test, isolated, "THP is not on an LRU list");
	fx->folio = folio;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, uhp_release, fx), 0);
	folio_lock(fx->folio);
	fx->locked = true;

	KUNIT_ASSERT_TRUE(test, folio_test_anon(fx->folio));
	KUNIT_ASSERT_FALSE_MSG(test, folio_test_swapbacked(fx->folio),
			       "MADV_FREE did not make the THP lazyfree");
	KUNIT_ASSERT_FALSE(test, pmd_dirty(uhp_read_pmd(fx)));
	return 0;
}

static bool uhp_call(struct uhp_fixture *fx)
{
	struct vm_area_struct *vma;
	spinlock_t *ptl;	/* the PMD lock, as the rmap walk holds it */
	bool ret;

	mmap_read_lock(fx->mm);
	vma = vma_lookup(fx->mm, fx->addr);
	ptl = pmd_lock(fx->mm, uhp_pmd(fx));
	ret = unmap_huge_pmd_locked(vma, fx->addr, uhp_pmd(fx), fx->folio);
	spin_unlock(ptl);
	mmap_read_unlock(fx->mm);
	return ret;
}

static void unmap_huge_pmd_locked_lazyfree(struct kunit *test)
{
	const struct uhp_case *c = test->param_value;
	struct uhp_fixture *fx = test->priv;
	unsigned long rss;
	bool ret;

	switch (c->setup) {
	case UHP_CLEAN:
		break;
	case UHP_PMD_DIRTY:
		/* Not under the folio lock: a write fault may want it. */
		folio_unlock(fx->folio);
		fx->locked = false;
		KUNIT_ASSERT_EQ(test, uhp_write(fx, PAGE_SIZE), 0);
		folio_lock(fx->folio);
		fx->locked = true;
		KUNIT_ASSERT_TRUE(test, pmd_dirty(uhp_read_pmd(fx)));
		break;
	case UHP_FOLIO_DIRTY:
		folio_mark_dirty(fx->folio);
		break;
	case UHP_EXTRA_REF:
		folio_get(fx->folio);
		break;
	}

	rss = get_mm_counter(fx->mm, MM_ANONPAGES);
	ret = uhp_call(fx);
	if (c->setup == UHP_EXTRA_REF)
		folio_put(fx->folio);

	KUNIT_EXPECT_EQ(test, ret, c->discarded);
	if (c->discarded) {
		KUNIT_EXPECT_TRUE(test, pmd_none(uhp_read_pmd(fx)));
		KUNIT_EXPECT_EQ(test, get_mm_counter(fx->mm, MM_ANONPAGES),
				rss - HPAGE_PMD_NR);
		KUNIT_EXPECT_FALSE(test, folio_mapped(fx->folio));
		/* Only the isolation reference is left: putback frees it. */
		KUNIT_EXPECT_EQ(test, folio_ref_count(fx->folio), 1);
	} else {
		KUNIT_EXPECT_TRUE(test, pmd_trans_huge(uhp_read_pmd(fx)));
		KUNIT_EXPECT_EQ(test, get_mm_counter(fx->mm, MM_ANONPAGES), rss);
		KUNIT_EXPECT_TRUE(test, folio_mapped(fx->folio));
		KUNIT_EXPECT_EQ(test, folio_test_swapbacked(fx->folio), c->swapbacked);
		/* Kept for being written: the folio carries the PMD's dirty bit. */
		KUNIT_EXPECT_EQ(test, folio_test_dirty(fx->folio), c->swapbacked);
	}
}

/*
 * Reclaim's whole path for an mlocked VMA: try_to_unmap() must leave the
 * THP mapped by its PMD, and mlock it (the mlock "which got missed").
 */
static void try_to_unmap_keeps_mlocked_thp(struct kunit *test)
{
	struct uhp_fixture *fx = test->priv;
	struct vm_area_struct *vma;

	mmap_write_lock(fx->mm);
	vma = vma_lookup(fx->mm, fx->addr);
	/* What mlock_fixup() does for the flags and the accounting. */
	vm_flags_set(vma, VM_LOCKED);
	fx->mm->locked_vm += vma_pages(vma);
	mmap_write_unlock(fx->mm);

	try_to_unmap(fx->folio, TTU_SPLIT_HUGE_PMD);

	KUNIT_EXPECT_TRUE(test, pmd_trans_huge(uhp_read_pmd(fx)));
	KUNIT_EXPECT_TRUE(test, folio_mapped(fx->folio));
	KUNIT_EXPECT_TRUE(test, folio_test_mlocked(fx->folio));
}

/*
 * Through try_to_unmap(), as reclaim calls it: a clean lazyfree THP goes
 * without a split. Had the PMD been split first, it would now point to a
 * PTE table (of none entries) instead of being none.
 */
static void try_to_unmap_discards_without_split(struct kunit *test)
{
	struct uhp_fixture *fx = test->priv;

	try_to_unmap(fx->folio, TTU_SPLIT_HUGE_PMD);

	KUNIT_EXPECT_TRUE(test, pmd_none(uhp_read_pmd(fx)));
	KUNIT_EXPECT_FALSE(test, folio_mapped(fx->folio));
	KUNIT_EXPECT_EQ(test, folio_nr_pages(fx->folio), HPAGE_PMD_NR);
}

static struct kunit_case unmap_huge_pmd_cases[] = {
	KUNIT_CASE_PARAM(unmap_huge_pmd_locked_lazyfree, uhp_gen_params),
	KUNIT_CASE(try_to_unmap_keeps_mlocked_thp),
	KUNIT_CASE(try_to_unmap_discards_without_split),
	{}
};

static struct kunit_suite unmap_huge_pmd_suite = {
	.name = "mm_unmap_huge_pmd",
	.init = uhp_init,
	.test_cases = unmap_huge_pmd_cases,
};

kunit_test_suite(unmap_huge_pmd_suite);

MODULE_DESCRIPTION("KUnit tests for unmap_huge_pmd_locked()");
MODULE_LICENSE("GPL");
