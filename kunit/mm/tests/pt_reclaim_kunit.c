// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for try_reclaim_pte_table(): which PTE tables it frees.
 *
 * MADV_DONTNEED calls it after zapping the whole range of a table, but with
 * the PTL dropped in between, so the table it finds may have been refilled
 * by a fault, or hold entries the zap left (uffd-wp markers). Each case
 * gets a real address space (kunit_vm_mmap()), faults a base page in to
 * create a PTE table, arranges the table's entries and calls the function
 * as zap_pmd_range() does, with an mmu_gather and the mmap_lock held for
 * read. A table must be freed exactly when no entry is left in it.
 */

#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/uaccess.h>
#include <asm/tlb.h>

#include "../internal.h"

enum ptr_entry {
	PTR_EMPTY,		/* the page zapped: nothing left */
	PTR_PRESENT,		/* the page still (or again) mapped */
	PTR_MARKER,		/* the page zapped, a uffd-wp marker left */
};

struct ptr_case {
	const char *desc;
	unsigned int idx;	/* the entry the case sets up */
	enum ptr_entry entry;
	bool freed;
};

#define PTR_LAST	(PTRS_PER_PTE - 1)

static const struct ptr_case ptr_cases[] = {
	{ "empty table is freed", 0, PTR_EMPTY, true },
	{ "empty table is freed (last entry zapped)", PTR_LAST, PTR_EMPTY, true },
	{ "refilled first entry keeps the table", 0, PTR_PRESENT, false },
	{ "refilled entry in the middle keeps the table", 200, PTR_PRESENT, false },
	{ "refilled last entry keeps the table", PTR_LAST, PTR_PRESENT, false },
	{ "uffd-wp marker keeps the table", 7, PTR_MARKER, false },
	{ "uffd-wp marker in the last entry keeps the table", PTR_LAST,
	  PTR_MARKER, false },
};

KUNIT_ARRAY_PARAM_DESC(ptr, ptr_cases, desc);

static const char ptr_data[] = "mm-suite pt_reclaim";

static pmd_t ptr_read_pmd(struct mm_struct *mm, pmd_t *pmd)
{
	spinlock_t *pml = pmd_lock(mm, pmd);
	pmd_t val = pmdp_get(pmd);

	spin_unlock(pml);
	return val;
}

/* Put a uffd-wp marker in the none entry for @addr; false if not none. */
static bool ptr_set_marker(struct mm_struct *mm, pmd_t *pmd,
			   unsigned long addr)
{
	spinlock_t *ptl;	/* the PTL of the table, taken by pte_offset_map_lock() */
	bool none;
	pte_t *pte;

	pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!pte)
		return false;
	none = pte_none(ptep_get(pte));
	if (none)
		set_pte_at(mm, addr, pte, make_pte_marker(PTE_MARKER_UFFD_WP));
	pte_unmap_unlock(pte, ptl);
	return none;
}

/*
 * As zap_pmd_range() calls it: mmap_lock for read, an mmu_gather. Returns
 * whether @table went to the gather's table batch: a freed table must go
 * through pte_free_tlb() and tlb_remove_table(), as the tables munmap
 * frees do, so that the architecture's hooks run (Xen PV's
 * paravirt_release_pte() on x86) and it is freed after the flush and a
 * grace period. (Should the batch page not be allocated, GFP_NOWAIT, the
 * table would go alone; a KUnit guest does not run that low.)
 */
static bool ptr_call(struct mm_struct *mm, pmd_t *pmd, unsigned long addr,
		     pgtable_t table)
{
	struct mmu_gather tlb;
	bool queued;

	tlb_gather_mmu(&tlb, mm);
	try_reclaim_pte_table(&tlb, pmd, addr);
	queued = tlb.batch && tlb.batch->nr &&
		 tlb.batch->tables[tlb.batch->nr - 1] == (void *)table;
	tlb_finish_mmu(&tlb);
	return queued;
}

static void pt_reclaim_table(struct kunit *test)
{
	const struct ptr_case *c = test->param_value;
	unsigned long start, base, addr, bytes;
	struct vm_area_struct *vma;
	char buf[sizeof(ptr_data)];
	struct mm_struct *mm;
	bool set = true, queued = false;
	pmd_t *pmd, val;

	start = kunit_vm_mmap(test, NULL, 0, 2 * PMD_SIZE,
			      PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, start, 0, "kunit_vm_mmap failed");
	mm = current->mm;
	base = ALIGN(start, PMD_SIZE);
	addr = base + c->idx * PAGE_SIZE;
	/* A PTE table, not a THP; fails harmlessly without THP. */
	do_madvise(mm, base, PMD_SIZE, MADV_NOHUGEPAGE);

	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr, ptr_data,
					   sizeof(ptr_data)), 0);
	pmd = pmd_off(mm, base);
	val = ptr_read_pmd(mm, pmd);
	KUNIT_ASSERT_TRUE(test, pmd_present(val) && !pmd_leaf(val));

	/* No assertion may fail with the mmap_lock held. */
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && c->entry != PTR_PRESENT)
		/* No zap_details: the zap itself frees nothing. */
		zap_page_range_single(vma, addr, PAGE_SIZE, NULL);
	if (vma && c->entry == PTR_MARKER)
		set = ptr_set_marker(mm, pmd, addr);
	bytes = mm_pgtables_bytes(mm);
	if (vma && set)
		queued = ptr_call(mm, pmd, base, pmd_pgtable(val));
	mmap_read_unlock(mm);
	KUNIT_ASSERT_NOT_NULL(test, vma);
	KUNIT_ASSERT_TRUE_MSG(test, set, "could not set the marker");

	val = ptr_read_pmd(mm, pmd);
	if (c->freed) {
		KUNIT_EXPECT_TRUE_MSG(test, pmd_none(val), "table not freed");
		KUNIT_EXPECT_EQ(test, mm_pgtables_bytes(mm), bytes - PAGE_SIZE);
		KUNIT_EXPECT_TRUE_MSG(test, queued,
				      "table not freed through the mmu_gather's table batch");
	} else {
		KUNIT_EXPECT_TRUE_MSG(test, pmd_present(val) && !pmd_leaf(val),
				      "table freed with an entry in it");
		KUNIT_EXPECT_EQ(test, mm_pgtables_bytes(mm), bytes);
		KUNIT_EXPECT_FALSE(test, queued);
	}

	/* What the entry stood for is still there, through a new table. */
	KUNIT_ASSERT_EQ(test, copy_from_user(buf, (void __user *)addr,
					     sizeof(buf)), 0);
	if (c->entry == PTR_PRESENT)
		KUNIT_EXPECT_MEMEQ(test, buf, ptr_data, sizeof(buf));
	else
		KUNIT_EXPECT_EQ(test, buf[0], 0);
}

/* A PMD that no longer points to a table is left alone. */
static void pt_reclaim_pmd_none(struct kunit *test)
{
	unsigned long start, base, near, bytes;
	struct mm_struct *mm;
	pmd_t *pmd;

	start = kunit_vm_mmap(test, NULL, 0, 3 * PMD_SIZE,
			      PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, start, 0, "kunit_vm_mmap failed");
	mm = current->mm;
	base = ALIGN(start, PMD_SIZE) + PMD_SIZE;
	do_madvise(mm, start, 3 * PMD_SIZE, MADV_NOHUGEPAGE);
	/*
	 * Fault in a page of a neighbouring table under the same PUD, so that
	 * the PMD level above @base exists while its own PMD stays none.
	 */
	near = IS_ALIGNED(base, PUD_SIZE) ? base + PMD_SIZE : base - PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)near, ptr_data, 1), 0);
	pmd = pmd_off(mm, base);
	KUNIT_ASSERT_TRUE(test, pmd_none(ptr_read_pmd(mm, pmd)));

	mmap_read_lock(mm);
	bytes = mm_pgtables_bytes(mm);
	ptr_call(mm, pmd, base, NULL);
	mmap_read_unlock(mm);
	KUNIT_EXPECT_TRUE(test, pmd_none(ptr_read_pmd(mm, pmd)));
	KUNIT_EXPECT_EQ(test, mm_pgtables_bytes(mm), bytes);
}

static struct kunit_case pt_reclaim_cases[] = {
	KUNIT_CASE_PARAM(pt_reclaim_table, ptr_gen_params),
	KUNIT_CASE(pt_reclaim_pmd_none),
	{}
};

static struct kunit_suite pt_reclaim_suite = {
	.name = "mm_pt_reclaim",
	.test_cases = pt_reclaim_cases,
};

kunit_test_suite(pt_reclaim_suite);
