// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for skip_none_ptes(), the helper zap_pte_range() uses to
 * cross a run of none entries in one step, and try_reclaim_pte_table() to
 * see that a whole table is empty. It is a static inline of mm/internal.h;
 * mm/memory.c #includes this file when the test is configured.
 *
 * Each case fills a real PTE table (a page from pte_alloc_one_kernel(),
 * never linked into any page table tree) with none, present, swap and
 * uffd-wp marker entries and checks how many entries the helper skips
 * between a start and an end index.
 */

#include <kunit/test.h>
#include <linux/swapops.h>

enum snp_kind {
	SNP_NONE,
	SNP_PRESENT,
	SNP_SWAP,
	SNP_MARKER,		/* a uffd-wp PTE marker */
};

struct snp_entry {
	unsigned int idx;
	enum snp_kind kind;
};

struct snp_case {
	const char *desc;
	unsigned int start, end;	/* entry indices, end exclusive */
	struct snp_entry set[3];	/* non-none entries; kind 0 ends */
	unsigned int expect;
};

#define SNP_LAST	(PTRS_PER_PTE - 1)

static const struct snp_case snp_cases[] = {
	{ "all none: the whole table", 0, PTRS_PER_PTE, {}, PTRS_PER_PTE },
	{ "none, then a present entry", 0, PTRS_PER_PTE,
	  { { 5, SNP_PRESENT } }, 5 },
	{ "present first: nothing skipped", 0, PTRS_PER_PTE,
	  { { 0, SNP_PRESENT } }, 0 },
	{ "present at start, none before it", 10, 20,
	  { { 10, SNP_PRESENT } }, 0 },
	{ "none up to end, present right at end", 0, 8,
	  { { 8, SNP_PRESENT } }, 8 },
	{ "none up to end, none after end too", 100, 164, {}, 64 },
	{ "a uffd-wp marker stops the skip", 0, PTRS_PER_PTE,
	  { { 3, SNP_MARKER } }, 3 },
	{ "a swap entry stops the skip", 0, PTRS_PER_PTE,
	  { { 7, SNP_SWAP } }, 7 },
	{ "run ends exactly at the table end", PTRS_PER_PTE - 16, PTRS_PER_PTE,
	  {}, 16 },
	{ "last entry of the table present", PTRS_PER_PTE - 16, PTRS_PER_PTE,
	  { { SNP_LAST, SNP_PRESENT } }, 15 },
	{ "empty range", 40, 40, { { 41, SNP_PRESENT } }, 0 },
	{ "present entries before start are not looked at", 4, 12,
	  { { 0, SNP_PRESENT }, { 3, SNP_SWAP } }, 8 },
};

KUNIT_ARRAY_PARAM_DESC(snp, snp_cases, desc);

static pte_t snp_pte(enum snp_kind kind)
{
	switch (kind) {
	case SNP_PRESENT:
		/* Any PFN: the table is never walked by the MMU. */
		return pfn_pte(0x1234, PAGE_READONLY);
	case SNP_SWAP:
		return swp_entry_to_pte(swp_entry(0, 42));
	case SNP_MARKER:
		return make_pte_marker(PTE_MARKER_UFFD_WP);
	case SNP_NONE:
		break;
	}
	return __pte(0);
}

static void snp_free_table(void *table)
{
	pte_t *pte = table;
	int i;

	for (i = 0; i < PTRS_PER_PTE; i++)
		pte_clear(&init_mm, 0, pte + i);
	pte_free_kernel(&init_mm, pte);
}

static void skip_none_ptes_table(struct kunit *test)
{
	const struct snp_case *c = test->param_value;
	const struct snp_entry *e;
	pte_t *table;
	int i;

	table = pte_alloc_one_kernel(&init_mm);
	KUNIT_ASSERT_NOT_NULL(test, table);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, snp_free_table, table), 0);

	for (i = 0; i < PTRS_PER_PTE; i++)
		KUNIT_ASSERT_TRUE(test, pte_none(ptep_get(table + i)));
	for (e = c->set; e < c->set + ARRAY_SIZE(c->set) && e->kind; e++) {
		set_pte(table + e->idx, snp_pte(e->kind));
		KUNIT_ASSERT_FALSE(test, pte_none(ptep_get(table + e->idx)));
	}

	KUNIT_EXPECT_EQ(test, skip_none_ptes(table + c->start,
					     (unsigned long)c->start << PAGE_SHIFT,
					     (unsigned long)c->end << PAGE_SHIFT),
			c->expect);
}

static struct kunit_case skip_none_ptes_cases[] = {
	KUNIT_CASE_PARAM(skip_none_ptes_table, snp_gen_params),
	{}
};

static struct kunit_suite skip_none_ptes_suite = {
	.name = "mm_skip_none_ptes",
	.test_cases = skip_none_ptes_cases,
};

kunit_test_suite(skip_none_ptes_suite);
