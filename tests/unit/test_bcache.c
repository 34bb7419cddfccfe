/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Binding cache: RFC 5213 §5.1 entries, handles, MN-ID and prefix lookup. */
#include <stdlib.h>

#include "check.h"
#include "dmm/bcache.h"
#include "dmm/err.h"
#include "helpers.h"

/* Fails after ctx's countdown reaches zero, to test the unwind ladder. */
static void *t_zalloc_limited(void *ctx, size_t n)
{
	int *left = ctx;

	if ((*left)-- <= 0)
		return NULL;
	return calloc(1, n);
}

static const struct dmm_alloc A = {t_zalloc, t_free, NULL};

static void test_basic(void)
{
	static const struct {
		const char *nai;
		uint32_t prefix;
		uint8_t att;
	} rows[] = {
		{"mn1@example.net", 1, 4},
		{"mn2@example.net", 2, 3},
		{"a", 3, 1},
		{"a-much-longer-network-access-identifier@operator.example.com", 4, 7},
	};
	const size_t n = sizeof(rows) / sizeof(rows[0]);
	struct dmm_handle h[4];
	struct dmm_bcache *bc = dmm_bcache_new(&A, 8, 32, 0x1234);
	struct dmm_bcache_entry *e;

	CHECK(bc != NULL);
	CHECK_EQ(dmm_bcache_capacity(bc), 8);
	CHECK(dmm_bcache_bytes(bc) >= 8 * sizeof(struct dmm_bcache_entry));
	for (size_t i = 0; i < n; i++) {
		struct dmm_mnid m = nai(rows[i].nai);
		struct dmm_prefix p = prefix_n(rows[i].prefix, 64);

		e = dmm_bcache_add(bc, &m, &h[i]);
		CHECK(e != NULL);
		CHECK(h[i].gen != 0);
		CHECK_EQ(e->state, DMM_BCE_ACTIVE);
		e->att = rows[i].att;
		e->proxy = true;
		CHECK_EQ(dmm_bcache_add_prefix(bc, e, &p), 0);
	}
	CHECK_EQ(dmm_bcache_count(bc), n);
	for (size_t i = 0; i < n; i++) {
		struct dmm_mnid m = nai(rows[i].nai);
		struct dmm_prefix p = prefix_n(rows[i].prefix, 64);
		struct dmm_prefix p48 = prefix_n(rows[i].prefix, 48);

		e = dmm_bcache_find_mnid(bc, &m);
		CHECK(e != NULL && e == dmm_bcache_get(bc, h[i]));
		CHECK(e && e->att == rows[i].att);
		CHECK(dmm_bcache_find_prefix(bc, &p) == e);
		/* Exact match on (prefix, length). */
		CHECK(dmm_bcache_find_prefix(bc, &p48) == NULL);
		CHECK(dmm_bcache_find_mnid_next(bc, e) == NULL);
	}
	/* Same bytes, other subtype: a different MN-ID. */
	{
		struct dmm_mnid m = nai("a");

		m.subtype = 2;
		CHECK(dmm_bcache_find_mnid(bc, &m) == NULL);
		m = nai("mn1@example.ne");
		CHECK(dmm_bcache_find_mnid(bc, &m) == NULL);
	}

	/* Prefix rules. */
	e = dmm_bcache_get(bc, h[0]);
	{
		struct dmm_prefix p2 = prefix_n(2, 64), bad = prefix_n(9, 129), p;

		CHECK_EQ(dmm_bcache_add_prefix(bc, e, &p2), DMM_ERR_EXISTS);
		CHECK_EQ(dmm_bcache_add_prefix(bc, e, &bad), DMM_ERR_PREFIX_LEN);
		for (uint32_t i = 0; i < DMM_BCE_MAX_HNP - 1; i++) {
			p = prefix_n(100 + i, 64);
			CHECK_EQ(dmm_bcache_add_prefix(bc, e, &p), 0);
		}
		CHECK_EQ(e->n_hnp, DMM_BCE_MAX_HNP);
		p = prefix_n(200, 64);
		CHECK_EQ(dmm_bcache_add_prefix(bc, e, &p), DMM_ERR_NOMEM);
		p = prefix_n(103, 64);
		CHECK(dmm_bcache_find_prefix(bc, &p) == e);
		CHECK_EQ(dmm_bcache_del_prefix(bc, e, &p), 0);
		CHECK_EQ(dmm_bcache_del_prefix(bc, e, &p), DMM_ERR_NOTFOUND);
		CHECK(dmm_bcache_find_prefix(bc, &p) == NULL);
		CHECK_EQ(e->n_hnp, DMM_BCE_MAX_HNP - 1);
		p = prefix_n(104, 64);
		CHECK(dmm_prefix_eq(dmm_bce_hnp(e, 4), &p)); /* order kept */
	}

	/* States. */
	CHECK_EQ(dmm_bcache_set_state(bc, e, DMM_BCE_DEREG_WAIT), DMM_BCE_ACTIVE);
	CHECK_EQ(dmm_bcache_count_state(bc, DMM_BCE_DEREG_WAIT), 1);
	CHECK_EQ(dmm_bcache_count_state(bc, DMM_BCE_ACTIVE), n - 1);
	CHECK(strcmp(dmm_bce_state_name(DMM_BCE_HANDOFF_WAIT), "HANDOFF_WAIT") == 0);
	CHECK(strcmp(dmm_bce_state_name((enum dmm_bce_state)99), "?") == 0);

	/* Stale handle after delete; the slot's next entry gets a new generation. */
	dmm_bcache_del(bc, e);
	CHECK(dmm_bcache_get(bc, h[0]) == NULL);
	CHECK_EQ(dmm_bcache_count_state(bc, DMM_BCE_DEREG_WAIT), 0);
	{
		struct dmm_mnid m = nai(rows[0].nai);
		struct dmm_prefix p = prefix_n(100, 64);
		struct dmm_handle h2;

		CHECK(dmm_bcache_find_mnid(bc, &m) == NULL);
		CHECK(dmm_bcache_find_prefix(bc, &p) == NULL);
		e = dmm_bcache_add(bc, &m, &h2);
		CHECK(e != NULL);
		CHECK_EQ(h2.idx, h[0].idx);
		CHECK(h2.gen != h[0].gen);
		CHECK(dmm_bcache_get(bc, h[0]) == NULL);
		CHECK(dmm_bcache_get(bc, h2) == e);
		CHECK_EQ(e->n_hnp, 0);
		h[0] = h2;
	}
	{
		struct dmm_handle out = {.idx = 1000, .gen = 1};

		CHECK(dmm_bcache_get(bc, out) == NULL);
		out.idx = h[1].idx;
		out.gen = 0;
		CHECK(dmm_bcache_get(bc, out) == NULL);
	}

	/* Multihomed MN: two entries under one MN-ID (RFC 5213 §5.4.1). */
	{
		struct dmm_mnid m = nai(rows[1].nai);
		struct dmm_bcache_entry *first = dmm_bcache_find_mnid(bc, &m), *second, *x;
		int seen = 0;

		second = dmm_bcache_add(bc, &m, NULL);
		CHECK(second != NULL && second != first);
		for (x = dmm_bcache_find_mnid(bc, &m); x; x = dmm_bcache_find_mnid_next(bc, x)) {
			CHECK(x == first || x == second);
			seen++;
		}
		CHECK_EQ(seen, 2);
		dmm_bcache_del(bc, first);
		CHECK(dmm_bcache_find_mnid(bc, &m) == second);
	}

	/* Iteration, deleting as we go. */
	{
		int seen = 0;

		for (e = dmm_bcache_next(bc, NULL); e; e = dmm_bcache_next(bc, e)) {
			seen++;
			dmm_bcache_del(bc, e);
		}
		CHECK_EQ(seen, n);
		CHECK_EQ(dmm_bcache_count(bc), 0);
		CHECK(dmm_bcache_next(bc, NULL) == NULL);
	}

	/* Full table. */
	for (uint32_t i = 0; i < 8; i++) {
		struct dmm_mnid m = eui48(i);

		CHECK(dmm_bcache_add(bc, &m, NULL) != NULL);
	}
	{
		struct dmm_mnid m = eui48(99), empty = {.subtype = 1};

		CHECK(dmm_bcache_add(bc, &m, NULL) == NULL);
		CHECK(dmm_bcache_add(bc, &empty, NULL) == NULL);
	}
	dmm_bcache_free(bc);
	dmm_bcache_free(NULL);
}

static void test_prefix_capacity(void)
{
	struct dmm_bcache *bc = dmm_bcache_new(&A, 4, 2, 7);
	struct dmm_mnid m = eui48(1);
	struct dmm_bcache_entry *e = dmm_bcache_add(bc, &m, NULL);
	struct dmm_prefix p1 = prefix_n(1, 64), p2 = prefix_n(2, 64), p3 = prefix_n(3, 64);

	CHECK_EQ(dmm_bcache_add_prefix(bc, e, &p1), 0);
	CHECK_EQ(dmm_bcache_add_prefix(bc, e, &p2), 0);
	CHECK_EQ(dmm_bcache_add_prefix(bc, e, &p3), DMM_ERR_NOMEM);
	CHECK_EQ(e->n_hnp, 2);
	dmm_bcache_del(bc, e);
	e = dmm_bcache_add(bc, &m, NULL);
	CHECK_EQ(dmm_bcache_add_prefix(bc, e, &p3), 0);
	dmm_bcache_free(bc);
}

static void test_pmaar(void)
{
	struct dmm_anchor_list l = {0};
	struct dmm_addr m1 = addr_last(1), m2 = addr_last(2);
	struct dmm_prefix p1 = prefix_n(1, 64), p2 = prefix_n(2, 64);

	CHECK_EQ(dmm_anchor_list_add(&l, &m1, &p1), 0);
	CHECK_EQ(dmm_anchor_list_add(&l, &m2, &p2), 0);
	CHECK_EQ(dmm_anchor_list_find(&l, &m2, &p2), 1);
	CHECK_EQ(dmm_anchor_list_find(&l, &m2, &p1), -1);
	/* Seen again: moves to the end, no duplicate. */
	CHECK_EQ(dmm_anchor_list_add(&l, &m1, &p1), 0);
	CHECK_EQ(l.n, 2);
	CHECK_EQ(dmm_anchor_list_find(&l, &m1, &p1), 1);
	CHECK_EQ(dmm_anchor_list_del(&l, &m2, &p2), 0);
	CHECK_EQ(dmm_anchor_list_del(&l, &m2, &p2), DMM_ERR_NOTFOUND);
	CHECK_EQ(l.n, 1);
	for (uint8_t i = 0; i < DMM_BCE_MAX_PMAAR - 1; i++) {
		struct dmm_addr a = addr_last(10 + i);

		CHECK_EQ(dmm_anchor_list_add(&l, &a, &p1), 0);
	}
	CHECK_EQ(dmm_anchor_list_add(&l, &m2, &p2), DMM_ERR_NOMEM);
	CHECK_EQ(l.n, DMM_BCE_MAX_PMAAR);
}

static void test_alloc_failure(void)
{
	/* Every failure point of the constructor unwinds without a leak. */
	for (int ok = 0; ok < 11; ok++) {
		int left = ok;
		struct dmm_alloc a = {t_zalloc_limited, t_free, &left};

		CHECK(dmm_bcache_new(&a, 16, 0, 1) == NULL);
	}
	{
		int left = 11;
		struct dmm_alloc a = {t_zalloc_limited, t_free, &left};
		struct dmm_bcache *bc = dmm_bcache_new(&a, 16, 0, 1);

		CHECK(bc != NULL);
		dmm_bcache_free(bc);
	}
	CHECK(dmm_bcache_new(&A, 0, 0, 1) == NULL);
	CHECK(dmm_bcache_new(NULL, 4, 0, 1) == NULL);
}

/* 10^5 entries: insert, delete half, reinsert; check every index. */
static void test_churn(void)
{
	enum { N = 100000 };
	struct dmm_bcache *bc = dmm_bcache_new(&A, N, 0, 0xfeedface);
	struct dmm_handle *h = calloc(N, sizeof(*h));
	unsigned bad = 0;

	for (uint32_t i = 0; i < N; i++) {
		struct dmm_mnid m = eui48(i);
		struct dmm_prefix p = prefix_n(i, 64);
		struct dmm_bcache_entry *e = dmm_bcache_add(bc, &m, &h[i]);

		if (!e || dmm_bcache_add_prefix(bc, e, &p))
			bad++;
		else
			e->seq = (uint16_t)i;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(dmm_bcache_count(bc), N);
	for (uint32_t i = 0; i < N; i += 2)
		dmm_bcache_del(bc, dmm_bcache_get(bc, h[i]));
	CHECK_EQ(dmm_bcache_count(bc), N / 2);
	for (uint32_t i = 0; i < N; i++) {
		struct dmm_mnid m = eui48(i);
		struct dmm_prefix p = prefix_n(i, 64);
		struct dmm_bcache_entry *a = dmm_bcache_find_mnid(bc, &m);
		struct dmm_bcache_entry *b = dmm_bcache_find_prefix(bc, &p);
		struct dmm_bcache_entry *c = dmm_bcache_get(bc, h[i]);

		if (i % 2 == 0)
			bad += a || b || c;
		else
			bad += !a || a != b || a != c || a->seq != (uint16_t)i;
	}
	CHECK_EQ(bad, 0);
	for (uint32_t i = 0; i < N; i += 2) {
		struct dmm_mnid m = eui48(i);
		struct dmm_prefix p = prefix_n(i + N, 64);
		struct dmm_handle old = h[i];
		struct dmm_bcache_entry *e = dmm_bcache_add(bc, &m, &h[i]);

		if (!e || dmm_bcache_add_prefix(bc, e, &p) || dmm_bcache_get(bc, old))
			bad++;
		else
			e->seq = (uint16_t)i;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(dmm_bcache_count(bc), N);
	for (uint32_t i = 0; i < N; i++) {
		struct dmm_mnid m = eui48(i);
		struct dmm_prefix p = prefix_n(i % 2 ? i : i + N, 64), gone = prefix_n(i, 64);
		struct dmm_bcache_entry *a = dmm_bcache_find_mnid(bc, &m);

		bad += !a || a != dmm_bcache_find_prefix(bc, &p) || a != dmm_bcache_get(bc, h[i]) ||
		       a->seq != (uint16_t)i || dmm_bcache_find_mnid_next(bc, a) != NULL;
		if (i % 2 == 0)
			bad += dmm_bcache_find_prefix(bc, &gone) != NULL;
	}
	CHECK_EQ(bad, 0);
	{
		uint32_t seen = 0;

		for (struct dmm_bcache_entry *e = dmm_bcache_next(bc, NULL); e; e = dmm_bcache_next(bc, e))
			seen++;
		CHECK_EQ(seen, N);
	}
	{
		struct dmm_mnid m = eui48(N);

		CHECK(dmm_bcache_add(bc, &m, NULL) == NULL); /* full */
	}
	free(h);
	dmm_bcache_free(bc);
}

int main(void)
{
	test_basic();
	test_prefix_capacity();
	test_pmaar();
	test_alloc_failure();
	test_churn();
	return check_report("test_bcache");
}
