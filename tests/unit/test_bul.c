/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Binding update list: RFC 5213 §6.1 entries, handles, MN-ID and prefix lookup. */
#include <stdlib.h>

#include "check.h"
#include "dmm/bul.h"
#include "dmm/err.h"
#include "helpers.h"

static const struct dmm_alloc A = {t_zalloc, t_free, NULL};

static void test_basic(void)
{
	/* MN, prefix, LMA (last octet), final state. */
	static const struct {
		uint32_t mn, prefix;
		uint8_t lma;
		enum dmm_bul_state state;
	} rows[] = {
		{1, 10, 1, DMM_BUL_WAIT_PBA},
		{2, 20, 1, DMM_BUL_REGISTERED},
		{3, 30, 2, DMM_BUL_REGISTERED},
		{1, 11, 2, DMM_BUL_DEREG_WAIT}, /* same MN, second LMA (DMM) */
	};
	enum { N = sizeof(rows) / sizeof(rows[0]) };
	struct dmm_bul *bul = dmm_bul_new(&A, 8, 16, 42);
	struct dmm_handle h[N];
	struct dmm_bul_entry *e;

	CHECK(bul != NULL);
	CHECK_EQ(dmm_bul_capacity(bul), 8);
	for (int i = 0; i < N; i++) {
		struct dmm_mnid m = eui48(rows[i].mn);
		struct dmm_prefix p = prefix_n(rows[i].prefix, 64);

		e = dmm_bul_add(bul, &m, &h[i]);
		CHECK(e != NULL);
		CHECK_EQ(e->state, DMM_BUL_IDLE);
		e->lmaa.b[15] = rows[i].lma;
		CHECK_EQ(dmm_bul_add_prefix(bul, e, &p), 0);
		CHECK_EQ(dmm_bul_set_state(bul, e, rows[i].state), DMM_BUL_IDLE);
	}
	CHECK_EQ(dmm_bul_count(bul), N);
	CHECK_EQ(dmm_bul_count_state(bul, DMM_BUL_REGISTERED), 2);
	CHECK_EQ(dmm_bul_count_state(bul, DMM_BUL_IDLE), 0);
	CHECK(strcmp(dmm_bul_state_name(DMM_BUL_WAIT_PBA), "WAIT_PBA") == 0);
	for (int i = 0; i < N; i++) {
		struct dmm_prefix p = prefix_n(rows[i].prefix, 64), p56 = prefix_n(rows[i].prefix, 56);

		e = dmm_bul_find_prefix(bul, &p);
		CHECK(e != NULL && e == dmm_bul_get(bul, h[i]));
		CHECK(e && e->lmaa.b[15] == rows[i].lma && e->state == rows[i].state);
		CHECK(dmm_bul_find_prefix(bul, &p56) == NULL);
	}
	{
		struct dmm_mnid m = eui48(1);
		int n = 0, lma_mask = 0;

		for (e = dmm_bul_find_mnid(bul, &m); e; e = dmm_bul_find_mnid_next(bul, e)) {
			n++;
			lma_mask |= 1 << e->lmaa.b[15];
		}
		CHECK_EQ(n, 2);
		CHECK_EQ(lma_mask, 6);
		m = eui48(4);
		CHECK(dmm_bul_find_mnid(bul, &m) == NULL);
	}
	{
		struct dmm_prefix p = prefix_n(20, 64);

		e = dmm_bul_get(bul, h[1]);
		CHECK_EQ(dmm_bul_add_prefix(bul, e, &p), DMM_ERR_EXISTS);
		p = prefix_n(21, 64);
		CHECK_EQ(dmm_bul_add_prefix(bul, e, &p), 0);
		CHECK_EQ(dmm_bul_del_prefix(bul, e, &p), 0);
		CHECK_EQ(dmm_bul_del_prefix(bul, e, &p), DMM_ERR_NOTFOUND);
		dmm_bul_del(bul, e);
		CHECK(dmm_bul_get(bul, h[1]) == NULL);
		p = prefix_n(20, 64);
		CHECK(dmm_bul_find_prefix(bul, &p) == NULL);
		CHECK_EQ(dmm_bul_count_state(bul, DMM_BUL_REGISTERED), 1);
	}
	/* Anchor list (DMM). */
	{
		struct dmm_prefix p = prefix_n(30, 64);

		e = dmm_bul_get(bul, h[2]);
		CHECK_EQ(dmm_anchor_list_add(&e->anchors, &e->lmaa, &p), 0);
		CHECK_EQ(dmm_anchor_list_find(&e->anchors, &e->lmaa, &p), 0);
	}
	{
		int n = 0;

		for (e = dmm_bul_next(bul, NULL); e; e = dmm_bul_next(bul, e)) {
			n++;
			dmm_bul_del(bul, e);
		}
		CHECK_EQ(n, N - 1);
		CHECK_EQ(dmm_bul_count(bul), 0);
	}
	CHECK(dmm_bul_bytes(bul) > 8 * sizeof(struct dmm_bul_entry));
	dmm_bul_free(bul);
	dmm_bul_free(NULL);
}

/* 10^5 entries: insert, delete half, reinsert; check every index. */
static void test_churn(void)
{
	enum { N = 100000 };
	struct dmm_bul *bul = dmm_bul_new(&A, N, 0, 99);
	struct dmm_handle *h = calloc(N, sizeof(*h)), *old = calloc(N, sizeof(*old));
	unsigned bad = 0;

	for (int round = 0; round < 2; round++) {
		for (uint32_t i = 0; i < N; i++) {
			struct dmm_mnid m = eui48(i);
			struct dmm_prefix p = prefix_n(i + (round && i % 2 == 0 ? N : 0), 64);
			struct dmm_bul_entry *e;

			if (round && i % 2)
				continue;
			old[i] = h[i];
			e = dmm_bul_add(bul, &m, &h[i]);
			if (!e || dmm_bul_add_prefix(bul, e, &p))
				bad++;
			else
				e->seq = (uint16_t)i;
			if (round)
				bad += dmm_bul_get(bul, old[i]) != NULL;
		}
		if (round == 0)
			for (uint32_t i = 0; i < N; i += 2)
				dmm_bul_del(bul, dmm_bul_get(bul, h[i]));
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(dmm_bul_count(bul), N);
	for (uint32_t i = 0; i < N; i++) {
		struct dmm_mnid m = eui48(i);
		struct dmm_prefix p = prefix_n(i % 2 ? i : i + N, 64), gone = prefix_n(i, 64);
		struct dmm_bul_entry *e = dmm_bul_find_mnid(bul, &m);

		bad += !e || e != dmm_bul_find_prefix(bul, &p) || e != dmm_bul_get(bul, h[i]) ||
		       e->seq != (uint16_t)i || dmm_bul_find_mnid_next(bul, e) != NULL;
		if (i % 2 == 0)
			bad += dmm_bul_find_prefix(bul, &gone) != NULL;
	}
	CHECK_EQ(bad, 0);
	free(h);
	free(old);
	dmm_bul_free(bul);
}

int main(void)
{
	test_basic();
	test_churn();
	return check_report("test_bul");
}
