// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for folio_try_share_anon_rmap_ptes(), which marks a range of
 * exclusive anonymous pages of a large folio possibly shared before reclaim
 * turns their PTEs into swap PTEs. The rule under test: all or nothing. If
 * the folio may be pinned, no page of the range loses PageAnonExclusive and
 * the caller restores every PTE; otherwise every page of the range loses it
 * and no page outside the range does.
 *
 * The helper only looks at folio and page flags and the folio's pin count,
 * so each case uses a folio of its own that is made to look anonymous
 * (PAGE_MAPPING_ANON, no anon_vma) and is never mapped; a pin is the pin
 * count a FOLL_PIN would raise on a large folio.
 */

#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/rmap.h>

#define SHARE_ORDER	4		/* 16 pages, an mTHP on 4K pages */
#define SHARE_NR	BIT(SHARE_ORDER)

struct share_case {
	const char *desc;
	unsigned int first, nr;		/* the range passed to the helper */
	bool pinned;
};

static const struct share_case share_cases[] = {
	{ "whole folio, not pinned: all shared", 0, SHARE_NR, false },
	{ "range inside the folio: only it is shared", 5, 7, false },
	{ "one page: only it is shared", SHARE_NR - 1, 1, false },
	{ "whole folio, pinned: none shared", 0, SHARE_NR, true },
	{ "range away from the pinned page: none shared", 8, 8, true },
};

KUNIT_ARRAY_PARAM_DESC(share, share_cases, desc);

static void share_release(void *data)
{
	struct folio *folio = data;
	unsigned int i;

	for (i = 0; i < SHARE_NR; i++)
		ClearPageAnonExclusive(folio_page(folio, i));
	folio->mapping = NULL;
	folio_put(folio);
}

static void share_ptes(struct kunit *test)
{
	const struct share_case *c = test->param_value;
	struct folio *folio;
	unsigned int i;
	bool in_range;
	int ret;

	folio = folio_alloc(GFP_KERNEL, SHARE_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	/* An anonymous folio with every page exclusive, as after a fault. */
	folio->mapping = (struct address_space *)PAGE_MAPPING_ANON;
	for (i = 0; i < SHARE_NR; i++)
		SetPageAnonExclusive(folio_page(folio, i));
	ret = kunit_add_action_or_reset(test, share_release, folio);
	KUNIT_ASSERT_EQ(test, ret, 0);
	if (c->pinned)
		atomic_add(1, &folio->_pincount);

	ret = folio_try_share_anon_rmap_ptes(folio, folio_page(folio, c->first),
					     c->nr);
	if (c->pinned)
		atomic_sub(1, &folio->_pincount);

	KUNIT_EXPECT_EQ(test, ret, c->pinned ? -EBUSY : 0);
	for (i = 0; i < SHARE_NR; i++) {
		in_range = i >= c->first && i < c->first + c->nr;
		KUNIT_EXPECT_EQ_MSG(test, PageAnonExclusive(folio_page(folio, i)),
				    c->pinned || !in_range,
				    "page %u of the folio", i);
	}
}

static struct kunit_case share_anon_rmap_cases[] = {
	KUNIT_CASE_PARAM(share_ptes, share_gen_params),
	{}
};

static struct kunit_suite share_anon_rmap_suite = {
	.name = "mm_share_anon_rmap",
	.test_cases = share_anon_rmap_cases,
};

kunit_test_suite(share_anon_rmap_suite);

MODULE_DESCRIPTION("KUnit tests for folio_try_share_anon_rmap_ptes()");
MODULE_LICENSE("GPL");
