// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for folio_pte_batch().
 *
 * The PTEs live in a page-aligned, page-sized array laid out like a real
 * PTE table (arm64's pte_batch_hint() derives the contpte block from the
 * table offset), but the table is never installed in any mm: the function
 * under test only reads entries and compares them, so no TLB or rmap state
 * is involved. The folios are real large folios from the page allocator.
 */

#include <kunit/test.h>
#include <kunit/resource.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/pgtable.h>

#include "../internal.h"

/* 32 pages: two arm64 contpte blocks with 4K pages. */
#define FPB_NR		32
#define FPB_ORDER	ilog2(FPB_NR)
#define FPB_IGNORE_BOTH	(FPB_IGNORE_DIRTY | FPB_IGNORE_SOFT_DIRTY)

struct fpb_fixture {
	struct folio *folio;	/* the folio being batched */
	struct folio *other;	/* a second folio, for "another folio" */
	pte_t *table;		/* one page of PTE slots */
	pgprot_t prot;		/* base protection of every entry */
};

/* How the table is altered after it has been filled. */
enum fpb_alter {
	FPB_NONE,
	FPB_PFN_GAP,		/* slot maps the folio page after the expected one */
	FPB_OTHER_FOLIO,	/* slot maps a page of another folio */
	FPB_NEXT_PFN,		/* slot maps the page physically after the folio */
	FPB_DIRTY,
	FPB_SOFT_DIRTY,
	FPB_WRITE,
	FPB_YOUNG,
	FPB_UFFD_WP,
	FPB_EXEC,		/* different protection bits */
};

struct fpb_case {
	const char *desc;
	unsigned int first;	/* folio page mapped by slot 0 */
	unsigned int nr_ptes;	/* slots filled with consecutive pages */
	int max_nr;
	fpb_t flags;
	enum fpb_alter alter;
	unsigned int alter_slot;
	int expect_nr;
	bool expect_writable;
	bool expect_young;
	bool expect_dirty;
};

static void fpb_free_table(void *table)
{
	free_page((unsigned long)table);
}

KUNIT_DEFINE_ACTION_WRAPPER(fpb_folio_put, folio_put, struct folio *);

static int fpb_init(struct kunit *test)
{
	struct fpb_fixture *fx;

	fx = kunit_kzalloc(test, sizeof(*fx), GFP_KERNEL);
	if (!fx)
		return -ENOMEM;
	test->priv = fx;

	fx->folio = folio_alloc(GFP_KERNEL, FPB_ORDER);
	if (!fx->folio || kunit_add_action_or_reset(test, fpb_folio_put, fx->folio))
		return -ENOMEM;
	fx->other = folio_alloc(GFP_KERNEL, FPB_ORDER);
	if (!fx->other || kunit_add_action_or_reset(test, fpb_folio_put, fx->other))
		return -ENOMEM;
	fx->table = (pte_t *)get_zeroed_page(GFP_KERNEL);
	if (!fx->table || kunit_add_action_or_reset(test, fpb_free_table, fx->table))
		return -ENOMEM;
	fx->prot = vm_get_page_prot(VM_READ);
	return 0;
}

/*
 * A write-protected, clean, old entry. It is made writable and then
 * write-protected again, the way a PTE is after fork or mprotect: on UML
 * pte_wrprotect() of a writable entry also sets _PAGE_NEWPROT, which a
 * never-writable entry lacks, and the batch compares write-protected
 * entries.
 */
static pte_t fpb_mkpte(struct page *page, pgprot_t prot)
{
	pte_t pte = pte_wrprotect(pte_mkwrite_novma(mk_pte(page, prot)));

	return pte_mkold(pte_mkclean(pte));
}

static pte_t fpb_pte(struct fpb_fixture *fx, struct folio *folio, unsigned int idx)
{
	return fpb_mkpte(folio_page(folio, idx), fx->prot);
}

static void fpb_fill(struct fpb_fixture *fx, unsigned int first, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		fx->table[i] = fpb_pte(fx, fx->folio, first + i);
}

/* Apply @alter to slot @slot; skip the case if the arch cannot express it. */
static void fpb_alter_slot(struct kunit *test, struct fpb_fixture *fx,
			   const struct fpb_case *c)
{
	pte_t *ptep = &fx->table[c->alter_slot];
	pte_t pte = *ptep;
	pte_t exec;

	switch (c->alter) {
	case FPB_NONE:
		return;
	case FPB_PFN_GAP:
		pte = fpb_pte(fx, fx->folio, c->first + c->alter_slot + 1);
		break;
	case FPB_OTHER_FOLIO:
		pte = fpb_pte(fx, fx->other, c->first + c->alter_slot);
		break;
	case FPB_NEXT_PFN:
		/* Consecutive PFN, but the page is not part of the folio. */
		pte = pte_advance_pfn(fx->table[c->alter_slot - 1], 1);
		break;
	case FPB_DIRTY:
		pte = pte_mkdirty(pte);
		break;
	case FPB_SOFT_DIRTY:
		if (!IS_ENABLED(CONFIG_MEM_SOFT_DIRTY))
			kunit_skip(test, "CONFIG_MEM_SOFT_DIRTY is not set");
		pte = pte_mksoft_dirty(pte);
		break;
	case FPB_WRITE:
		pte = pte_mkwrite_novma(pte);
		break;
	case FPB_YOUNG:
		pte = pte_mkyoung(pte);
		break;
	case FPB_UFFD_WP:
		if (!IS_ENABLED(CONFIG_HAVE_ARCH_USERFAULTFD_WP))
			kunit_skip(test, "the arch has no uffd-wp PTE bit");
		pte = pte_mkuffd_wp(pte);
		break;
	case FPB_EXEC:
		exec = fpb_mkpte(pte_page(pte), vm_get_page_prot(VM_READ | VM_EXEC));
		if (pte_same(exec, pte))
			kunit_skip(test, "VM_EXEC does not change the PTE on this arch");
		pte = exec;
		break;
	}
	KUNIT_ASSERT_FALSE_MSG(test, pte_same(pte, *ptep),
			       "alteration %d left slot %u unchanged",
			       c->alter, c->alter_slot);
	*ptep = pte;
}

static const struct fpb_case fpb_cases[] = {
	{ .desc = "full folio is one batch",
	  .nr_ptes = FPB_NR, .max_nr = FPB_NR, .expect_nr = FPB_NR },
	{ .desc = "stops at end of folio although the next PFN follows",
	  .nr_ptes = FPB_NR + 1, .max_nr = 64, .alter = FPB_NEXT_PFN,
	  .alter_slot = FPB_NR, .expect_nr = FPB_NR },
	{ .desc = "batch from the middle of the folio ends at folio end",
	  .first = 5, .nr_ptes = FPB_NR - 5, .max_nr = 64, .expect_nr = FPB_NR - 5 },
	{ .desc = "stops at max_nr",
	  .nr_ptes = FPB_NR, .max_nr = 7, .expect_nr = 7 },
	{ .desc = "max_nr of one is a batch of one",
	  .nr_ptes = FPB_NR, .max_nr = 1, .expect_nr = 1 },
	{ .desc = "stops at a PFN gap",
	  .nr_ptes = FPB_NR, .max_nr = FPB_NR, .alter = FPB_PFN_GAP,
	  .alter_slot = 10, .expect_nr = 10 },
	{ .desc = "stops at a page of another folio",
	  .nr_ptes = FPB_NR, .max_nr = FPB_NR, .alter = FPB_OTHER_FOLIO,
	  .alter_slot = 12, .expect_nr = 12 },
	{ .desc = "dirty difference breaks the batch",
	  .nr_ptes = FPB_NR, .max_nr = FPB_NR, .alter = FPB_DIRTY,
	  .alter_slot = 9, .expect_nr = 9 },
	/* x86's pte_mkdirty() also sets soft-dirty: ignore both, as fork does. */
	{ .desc = "dirty difference ignored with FPB_IGNORE_DIRTY",
	  .nr_ptes = FPB_NR, .max_nr = FPB_NR, .flags = FPB_IGNORE_BOTH,
	  .alter = FPB_DIRTY, .alter_slot = 9, .expect_nr = FPB_NR,
	  .expect_dirty = true },
	{ .desc = "dirty first entry is not reported in any_dirty",
	  .nr_ptes = FPB_NR, .max_nr = FPB_NR, .flags = FPB_IGNORE_BOTH,
	  .alter = FPB_DIRTY, .alter_slot = 0, .expect_nr = FPB_NR },
	{ .desc = "soft-dirty difference breaks the batch",
	  .nr_ptes = FPB_NR, .max_nr = FPB_NR, .alter = FPB_SOFT_DIRTY,
	  .alter_slot = 4, .expect_nr = 4 },
	{ .desc = "soft-dirty difference ignored with FPB_IGNORE_SOFT_DIRTY",
	  .nr_ptes = FPB_NR, .max_nr = FPB_NR, .flags = FPB_IGNORE_SOFT_DIRTY,
	  .alter = FPB_SOFT_DIRTY, .alter_slot = 4, .expect_nr = FPB_NR },
	{ .desc = "writable entry is accumulated, not a break",
	  .nr_ptes = FPB_NR, .max_nr = FPB_NR, .alter = FPB_WRITE,
	  .alter_slot = 20, .expect_nr = FPB_NR, .expect_writable = true },
	{ .desc = "young entry is accumulated, not a break",
	  .nr_ptes = FPB_NR, .max_nr = FPB_NR, .alter = FPB_YOUNG,
	  .alter_slot = 3, .expect_nr = FPB_NR, .expect_young = true },
	{ .desc = "writable entry beyond max_nr is not accumulated",
	  .nr_ptes = FPB_NR, .max_nr = 8, .alter = FPB_WRITE,
	  .alter_slot = 20, .expect_nr = 8 },
	{ .desc = "uffd-wp difference breaks the batch",
	  .nr_ptes = FPB_NR, .max_nr = FPB_NR, .alter = FPB_UFFD_WP,
	  .alter_slot = 6, .expect_nr = 6 },
	{ .desc = "protection difference breaks the batch",
	  .nr_ptes = FPB_NR, .max_nr = FPB_NR, .alter = FPB_EXEC,
	  .alter_slot = 15, .expect_nr = 15 },
};

KUNIT_ARRAY_PARAM_DESC(fpb, fpb_cases, desc);

static void folio_pte_batch_table(struct kunit *test)
{
	const struct fpb_case *c = test->param_value;
	struct fpb_fixture *fx = test->priv;
	bool writable = true, young = true, dirty = true;
	int nr;

	KUNIT_ASSERT_LE(test, c->first + c->nr_ptes, FPB_NR + 1);
	/* Slots past the folio stay pte_none() unless the case alters them. */
	fpb_fill(fx, c->first, min_t(unsigned int, c->nr_ptes, FPB_NR - c->first));
	fpb_alter_slot(test, fx, c);

	nr = folio_pte_batch(fx->folio, 0, fx->table, ptep_get(fx->table),
			     c->max_nr, c->flags, &writable, &young, &dirty);

	KUNIT_EXPECT_EQ(test, nr, c->expect_nr);
	KUNIT_EXPECT_EQ(test, writable, c->expect_writable);
	KUNIT_EXPECT_EQ(test, young, c->expect_young);
	KUNIT_EXPECT_EQ(test, dirty, c->expect_dirty);
}

/* The accumulators are optional: NULL must be accepted and change nothing. */
static void folio_pte_batch_null_accumulators(struct kunit *test)
{
	struct fpb_fixture *fx = test->priv;

	fpb_fill(fx, 0, FPB_NR);
	fx->table[3] = pte_mkdirty(fx->table[3]);
	KUNIT_EXPECT_EQ(test, folio_pte_batch(fx->folio, 0, fx->table,
					      ptep_get(fx->table), FPB_NR,
					      FPB_IGNORE_BOTH, NULL, NULL, NULL),
			FPB_NR);
}

#ifdef CONFIG_ARM64_CONTPTE
/*
 * arm64 contpte: entries of a CONT_PTES block carry PTE_CONT and the
 * batch advances a whole block at a time, reading young/dirty from the
 * block as a whole (contpte_ptep_get()).
 */
static void fpb_fill_cont(struct fpb_fixture *fx, unsigned int nr)
{
	unsigned int i;

	fpb_fill(fx, 0, nr);
	for (i = 0; i < nr; i++)
		fx->table[i] = pte_mkcont(fx->table[i]);
}

static void folio_pte_batch_contpte_blocks(struct kunit *test)
{
	struct fpb_fixture *fx = test->priv;

	fpb_fill_cont(fx, FPB_NR);
	KUNIT_EXPECT_EQ(test, folio_pte_batch(fx->folio, 0, fx->table,
					      ptep_get(fx->table), FPB_NR, 0,
					      NULL, NULL, NULL), FPB_NR);
	/* Starting inside a block: the hint covers the rest of that block. */
	KUNIT_EXPECT_EQ(test, folio_pte_batch(fx->folio, 3 * PAGE_SIZE,
					      &fx->table[3], ptep_get(&fx->table[3]),
					      FPB_NR - 3, 0, NULL, NULL, NULL),
			FPB_NR - 3);
	/* max_nr inside a block still clamps the result. */
	KUNIT_EXPECT_EQ(test, folio_pte_batch(fx->folio, 0, fx->table,
					      ptep_get(fx->table), 5, 0,
					      NULL, NULL, NULL), 5);
}

static void folio_pte_batch_contpte_gathers_dirty_young(struct kunit *test)
{
	struct fpb_fixture *fx = test->priv;
	bool writable, young, dirty;
	int nr;

	fpb_fill_cont(fx, FPB_NR);
	/* Not the first entry of the second block: only the gather sees it. */
	fx->table[CONT_PTES + 5] = pte_mkdirty(fx->table[CONT_PTES + 5]);
	fx->table[CONT_PTES + 7] = pte_mkyoung(fx->table[CONT_PTES + 7]);

	nr = folio_pte_batch(fx->folio, 0, fx->table, ptep_get(fx->table),
			     FPB_NR, FPB_IGNORE_BOTH, &writable, &young, &dirty);
	KUNIT_EXPECT_EQ(test, nr, FPB_NR);
	KUNIT_EXPECT_TRUE(test, dirty);
	KUNIT_EXPECT_TRUE(test, young);
	KUNIT_EXPECT_FALSE(test, writable);

	/* Without FPB_IGNORE_DIRTY the dirty block breaks the batch. */
	nr = folio_pte_batch(fx->folio, 0, fx->table, ptep_get(fx->table),
			     FPB_NR, 0, NULL, NULL, NULL);
	KUNIT_EXPECT_EQ(test, nr, CONT_PTES);
}

static void folio_pte_batch_contpte_then_other_folio(struct kunit *test)
{
	struct fpb_fixture *fx = test->priv;
	unsigned int i;

	fpb_fill_cont(fx, CONT_PTES);
	for (i = CONT_PTES; i < FPB_NR; i++)
		fx->table[i] = fpb_pte(fx, fx->other, i);
	KUNIT_EXPECT_EQ(test, folio_pte_batch(fx->folio, 0, fx->table,
					      ptep_get(fx->table), FPB_NR, 0,
					      NULL, NULL, NULL), CONT_PTES);
}
#endif /* CONFIG_ARM64_CONTPTE */

static struct kunit_case folio_pte_batch_cases[] = {
	KUNIT_CASE_PARAM(folio_pte_batch_table, fpb_gen_params),
	KUNIT_CASE(folio_pte_batch_null_accumulators),
#ifdef CONFIG_ARM64_CONTPTE
	KUNIT_CASE(folio_pte_batch_contpte_blocks),
	KUNIT_CASE(folio_pte_batch_contpte_gathers_dirty_young),
	KUNIT_CASE(folio_pte_batch_contpte_then_other_folio),
#endif
	{}
};

static struct kunit_suite folio_pte_batch_suite = {
	.name = "mm_folio_pte_batch",
	.init = fpb_init,
	.test_cases = folio_pte_batch_cases,
};

kunit_test_suite(folio_pte_batch_suite);

MODULE_DESCRIPTION("KUnit tests for folio_pte_batch()");
MODULE_LICENSE("GPL");
