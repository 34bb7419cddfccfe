/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding cache sized at creation (dmm_bcache_new_sized()): short MN-IDs
 * in the entry, long ones in the arena, extra HNPs from the pool; running
 * out of arena or pool refuses the request and loses nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dmm/arena.h"
#include "dmm/bcache.h"
#include "dmm/err.h"
#include "helpers.h"

static const struct dmm_alloc A = {t_zalloc, t_free, NULL};

static void *t_zalloc_limited(void *ctx, size_t n)
{
	int *left = ctx;

	if ((*left)-- <= 0)
		return NULL;
	return calloc(1, n);
}

/* An NAI of len octets: a fixed 20-octet head (so long ones share their first 16), then tag. */
static struct dmm_mnid nai_len(unsigned len, char tag)
{
	struct dmm_mnid m = {.subtype = DMM_MNID_NAI, .len = (uint8_t)len};

	for (unsigned i = 0; i < len; i++)
		m.id[i] = i < 20 ? (uint8_t)('a' + i % 26) : (uint8_t)tag;
	if (len)
		m.id[len - 1] = (uint8_t)tag;
	return m;
}

/* e holds exactly m: through every accessor. */
static void check_mnid(const struct dmm_bcache_entry *e, const struct dmm_mnid *m)
{
	struct dmm_mnid copy;

	CHECK(e != NULL);
	if (!e)
		return;
	CHECK(dmm_bce_mnid_eq(e, m));
	CHECK(dmm_mnid_eq(dmm_bce_mnid(e, &copy), m));
	CHECK(dmm_mnid_eq(DMM_BCE_MNID(e), m));
	CHECK_EQ(dmm_bce_mnid_len(e), m->len);
	CHECK(memcmp(dmm_bce_mnid_bytes(e), m->id, m->len) == 0);
}

static void test_layout(void)
{
	CHECK_EQ(sizeof(struct dmm_bcache_entry), 96);
	CHECK_EQ(DMM_BCE_MNID_INLINE, 16);
	CHECK_EQ(DMM_BCE_LLID_INLINE, 8);
}

/* MN-LLIDs of up to 8 octets in the entry, longer ones in the arena; Proxy-CoAs as numbers, each held once. */
static void test_llid_pcoa(void)
{
	struct dmm_bcache_sizes sz = {.entries = 4, .prefixes = 4, .arena_bytes = 64, .addrs = 2};
	struct dmm_bcache *bc = dmm_bcache_new_sized(&A, &sz, 0x99);
	struct dmm_mnid m1 = eui48(1), m2 = eui48(2), m3 = eui48(3);
	struct dmm_bcache_entry *e1 = bc ? dmm_bcache_add(bc, &m1, NULL) : NULL;
	struct dmm_bcache_entry *e2 = bc ? dmm_bcache_add(bc, &m2, NULL) : NULL;
	struct dmm_bcache_entry *e3 = bc ? dmm_bcache_add(bc, &m3, NULL) : NULL;
	uint8_t ll[16];
	struct dmm_addr a1 = {{0x20, 1, [15] = 1}}, a2 = {{0x20, 1, [15] = 2}}, a3 = {{0x20, 1, [15] = 3}};

	CHECK(e1 && e2 && e3);
	if (!e1 || !e2 || !e3) {
		dmm_bcache_free(bc);
		return;
	}
	for (unsigned i = 0; i < sizeof(ll); i++)
		ll[i] = (uint8_t)(0xa0 + i);
	CHECK_EQ(DMM_BCE_LLID(e1)->len, 0);
	CHECK_EQ(dmm_bcache_set_llid(bc, e1, ll, 8), 0);
	CHECK_EQ(dmm_bcache_arena_used(bc), 0);
	CHECK(DMM_BCE_LLID(e1)->len == 8 && memcmp(DMM_BCE_LLID(e1)->b, ll, 8) == 0);
	CHECK_EQ(dmm_bcache_set_llid(bc, e2, ll, 16), 0);
	CHECK_EQ(dmm_bcache_arena_used(bc), 16);
	CHECK(DMM_BCE_LLID(e2)->len == 16 && memcmp(DMM_BCE_LLID(e2)->b, ll, 16) == 0);
	CHECK_EQ(dmm_bcache_set_llid(bc, e2, ll + 1, 3), 0); /* back inline: the block returns */
	CHECK_EQ(dmm_bcache_arena_used(bc), 0);
	CHECK(DMM_BCE_LLID(e2)->len == 3 && DMM_BCE_LLID(e2)->b[0] == 0xa1);
	CHECK_EQ(dmm_bcache_set_llid(bc, e3, ll, 12), 0);
	/* Proxy-CoAs: two distinct addresses fit, a third does not until one is let go. */
	CHECK(dmm_addr_is_zero(dmm_bce_pcoa(e1)));
	CHECK_EQ(dmm_bcache_set_pcoa(bc, e1, &a1), 0);
	CHECK_EQ(dmm_bcache_set_pcoa(bc, e2, &a1), 0);
	CHECK_EQ(dmm_bcache_set_pcoa(bc, e3, &a2), 0);
	CHECK(dmm_addr_eq(dmm_bce_pcoa(e1), &a1) && dmm_addr_eq(dmm_bce_pcoa(e2), &a1));
	CHECK(dmm_addr_eq(dmm_bce_pcoa(e3), &a2));
	CHECK(!dmm_bcache_pcoa_room(bc, &a3) && dmm_bcache_pcoa_room(bc, &a1));
	CHECK_EQ(dmm_bcache_set_pcoa(bc, e1, &a3), DMM_ERR_NOMEM);
	CHECK(dmm_addr_eq(dmm_bce_pcoa(e1), &a1));
	dmm_bcache_del(bc, e3); /* lets a2 go, and its MN-LLID's block */
	CHECK_EQ(dmm_bcache_arena_used(bc), 0);
	CHECK(dmm_bcache_pcoa_room(bc, &a3));
	CHECK_EQ(dmm_bcache_set_pcoa(bc, e1, &a3), 0);
	CHECK(dmm_addr_eq(dmm_bce_pcoa(e1), &a3) && dmm_addr_eq(dmm_bce_pcoa(e2), &a1));
	dmm_bcache_free(bc);
}

/* Lengths around the inline limit, and long IDs that share their first 20 octets. */
static void test_long_short(void)
{
	static const unsigned lens[] = {1, 6, 16, 17, 20, 31, 32, 33, 48, 100, 254, 255};
	const size_t n = sizeof(lens) / sizeof(lens[0]);
	struct dmm_bcache_sizes sz = {.entries = 32, .prefixes = 32, .more_prefixes = 0, .arena_bytes = 4096};
	struct dmm_bcache *bc = dmm_bcache_new_sized(&A, &sz, 0x77);
	size_t want = 0;

	CHECK(bc != NULL);
	for (size_t i = 0; i < n; i++) {
		struct dmm_mnid a = nai_len(lens[i], 'x'), b = nai_len(lens[i], 'y');
		struct dmm_prefix p = prefix_n((uint32_t)i, 64);
		struct dmm_bcache_entry *e = dmm_bcache_add(bc, &a, NULL);

		check_mnid(e, &a);
		CHECK(e && !dmm_bce_mnid_eq(e, &b));
		CHECK(e && dmm_bcache_add_prefix(bc, e, &p) == 0);
		check_mnid(dmm_bcache_add(bc, &b, NULL), &b);
		if (lens[i] > DMM_BCE_MNID_INLINE)
			want += 2 * dmm_arena_block(lens[i]);
	}
	CHECK_EQ(dmm_bcache_arena_used(bc), want);
	for (size_t i = 0; i < n; i++) {
		struct dmm_mnid a = nai_len(lens[i], 'x'), b = nai_len(lens[i], 'y');
		struct dmm_prefix p = prefix_n((uint32_t)i, 64);
		struct dmm_bcache_entry *e = dmm_bcache_find_mnid(bc, &a);

		check_mnid(e, &a);
		CHECK(dmm_bcache_find_prefix(bc, &p) == e);
		CHECK(e && dmm_bcache_find_mnid_next(bc, e) == NULL);
		check_mnid(dmm_bcache_find_mnid(bc, &b), &b);
	}
	/* Deleting every entry returns every arena block. */
	for (struct dmm_bcache_entry *e = dmm_bcache_next(bc, NULL); e; e = dmm_bcache_next(bc, e))
		dmm_bcache_del(bc, e);
	CHECK_EQ(dmm_bcache_count(bc), 0);
	CHECK_EQ(dmm_bcache_arena_used(bc), 0);
	dmm_bcache_free(bc);
}

/* A multihomed MN with a long MN-ID: two entries, walked with find_mnid_next. */
static void test_long_multihomed(void)
{
	struct dmm_bcache_sizes sz = {.entries = 4, .prefixes = 4, .arena_bytes = 1024};
	struct dmm_bcache *bc = dmm_bcache_new_sized(&A, &sz, 5);
	struct dmm_mnid m = nai_len(40, 'm'), other = nai_len(40, 'o');
	struct dmm_bcache_entry *e1, *e2, *x;
	int seen = 0;

	CHECK(bc != NULL);
	e1 = dmm_bcache_add(bc, &m, NULL);
	CHECK(dmm_bcache_add(bc, &other, NULL) != NULL);
	e2 = dmm_bcache_add(bc, &m, NULL);
	CHECK(e1 && e2 && e1 != e2);
	for (x = dmm_bcache_find_mnid(bc, &m); x; x = dmm_bcache_find_mnid_next(bc, x)) {
		CHECK(x == e1 || x == e2);
		seen++;
	}
	CHECK_EQ(seen, 2);
	dmm_bcache_free(bc);
}

/* Arena full: the long MN-ID is refused, nothing stored is lost, delete gives the room back. */
static void test_arena_exhaustion(void)
{
	struct dmm_bcache_sizes sz = {.entries = 4, .prefixes = 4, .arena_bytes = DMM_ARENA_MAX};
	struct dmm_bcache *bc = dmm_bcache_new_sized(&A, &sz, 9);
	struct dmm_mnid big = nai_len(255, 'b'), other = nai_len(200, 'o'), s[3];
	struct dmm_handle hb;
	struct dmm_bcache_entry *e;
	struct dmm_prefix p = prefix_n(1, 64);

	CHECK(bc != NULL);
	e = dmm_bcache_add(bc, &big, &hb);
	CHECK(e && dmm_bcache_add_prefix(bc, e, &p) == 0);
	CHECK_EQ(dmm_bcache_arena_used(bc), DMM_ARENA_MAX);
	CHECK(dmm_bcache_add(bc, &other, NULL) == NULL);
	CHECK_EQ(dmm_bcache_count(bc), 1);
	CHECK_EQ(dmm_bcache_count_state(bc, DMM_BCE_ACTIVE), 1);
	check_mnid(dmm_bcache_find_mnid(bc, &big), &big);
	CHECK(dmm_bcache_find_prefix(bc, &p) == e);
	CHECK(dmm_bcache_find_mnid(bc, &other) == NULL);
	/* The refused request took no slot: three short IDs still fit, then the cache is full. */
	for (int i = 0; i < 3; i++) {
		s[i] = eui48((uint32_t)i);
		check_mnid(dmm_bcache_add(bc, &s[i], NULL), &s[i]);
	}
	CHECK(dmm_bcache_add(bc, &s[0], NULL) == NULL);
	CHECK_EQ(dmm_bcache_count(bc), 4);
	/* Delete returns the block: the other long ID fits now. */
	dmm_bcache_del(bc, dmm_bcache_get(bc, hb));
	CHECK(dmm_bcache_get(bc, hb) == NULL);
	CHECK_EQ(dmm_bcache_arena_used(bc), 0);
	CHECK(dmm_bcache_find_prefix(bc, &p) == NULL);
	check_mnid(dmm_bcache_add(bc, &other, NULL), &other);
	CHECK_EQ(dmm_bcache_arena_used(bc), dmm_arena_block(200));
	for (int i = 0; i < 3; i++)
		check_mnid(dmm_bcache_find_mnid(bc, &s[i]), &s[i]);
	dmm_bcache_free(bc);

	/* No arena at all: only short IDs. */
	sz.arena_bytes = 0;
	bc = dmm_bcache_new_sized(&A, &sz, 9);
	CHECK(bc && dmm_bcache_add(bc, &big, NULL) == NULL && dmm_bcache_count(bc) == 0);
	CHECK(bc && dmm_bcache_add(bc, &s[0], NULL) != NULL);
	dmm_bcache_free(bc);
}

/* Extra HNPs: the pool runs out, the refusal changes nothing, deletes give nodes back. */
static void test_more_prefixes(void)
{
	struct dmm_bcache_sizes sz = {.entries = 4, .prefixes = 16, .more_prefixes = 2};
	struct dmm_bcache *bc = dmm_bcache_new_sized(&A, &sz, 11);
	struct dmm_mnid m1 = eui48(1), m2 = eui48(2);
	struct dmm_bcache_entry *e1 = bc ? dmm_bcache_add(bc, &m1, NULL) : NULL;
	struct dmm_bcache_entry *e2 = bc ? dmm_bcache_add(bc, &m2, NULL) : NULL;
	struct dmm_prefix p[6], got[DMM_BCE_MAX_HNP];

	CHECK(bc && e1 && e2);
	if (!e1 || !e2)
		return;
	for (uint32_t i = 0; i < 6; i++)
		p[i] = prefix_n(10 + i, 64);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(dmm_bcache_add_prefix(bc, e1, &p[i]), 0);
	CHECK_EQ(dmm_bcache_add_prefix(bc, e2, &p[3]), 0); /* first HNP: in the entry */
	CHECK_EQ(dmm_bcache_add_prefix(bc, e2, &p[4]), DMM_ERR_NOMEM);
	CHECK_EQ(e2->n_hnp, 1);
	CHECK(dmm_bcache_find_prefix(bc, &p[4]) == NULL);
	CHECK_EQ(dmm_bcache_prefix_room(bc), 12);
	CHECK_EQ(dmm_bce_hnps(e1, got), 3);
	for (int i = 0; i < 3; i++) {
		CHECK(dmm_prefix_eq(&got[i], &p[i]));
		CHECK(dmm_prefix_eq(dmm_bce_hnp(e1, (unsigned)i), &p[i]));
		CHECK(dmm_bcache_find_prefix(bc, &p[i]) == e1);
	}
	CHECK(dmm_bce_hnp(e1, 3) == NULL);
	/* Removing the first HNP moves the second into the entry and frees a node. */
	CHECK_EQ(dmm_bcache_del_prefix(bc, e1, &p[0]), 0);
	CHECK(e1->n_hnp == 2 && dmm_prefix_eq(dmm_bce_hnp(e1, 0), &p[1]) &&
	      dmm_prefix_eq(dmm_bce_hnp(e1, 1), &p[2]));
	CHECK_EQ(dmm_bcache_add_prefix(bc, e2, &p[4]), 0);
	CHECK_EQ(dmm_bcache_add_prefix(bc, e2, &p[5]), DMM_ERR_NOMEM);
	/* Deleting the entry returns its node. */
	dmm_bcache_del(bc, e1);
	CHECK(dmm_bcache_find_prefix(bc, &p[1]) == NULL && dmm_bcache_find_prefix(bc, &p[2]) == NULL);
	CHECK_EQ(dmm_bcache_add_prefix(bc, e2, &p[5]), 0);
	CHECK_EQ(dmm_bce_hnps(e2, got), 3);
	CHECK(dmm_prefix_eq(&got[0], &p[3]) && dmm_prefix_eq(&got[1], &p[4]) &&
	      dmm_prefix_eq(&got[2], &p[5]));
	CHECK_EQ(dmm_bcache_del_prefix(bc, e2, &p[4]), 0); /* from the middle */
	CHECK(e2->n_hnp == 2 && dmm_prefix_eq(dmm_bce_hnp(e2, 1), &p[5]));
	CHECK(dmm_bcache_find_prefix(bc, &p[5]) == e2 && dmm_bcache_find_prefix(bc, &p[4]) == NULL);
	dmm_bcache_free(bc);
}

static void test_sizes(void)
{
	const struct dmm_bcache_sizes bad[] = {
		{.entries = 0, .prefixes = 4},
		{.entries = 4, .prefixes = 0},
		{.entries = 4, .prefixes = 4, .more_prefixes = 5},
		{.entries = (1u << 30) + 1, .prefixes = 4},
	};
	/* The LMA's sizing: two HNPs and 32 arena octets per binding on average. */
	const struct dmm_bcache_sizes lma = {1024, 2048, 1024, 1024 * 32 + 4096, false, 64};
	struct dmm_bcache_sizes full = {8, 16, 16, 4096, true, 0};
	struct dmm_bcache *bc;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(dmm_bcache_new_sized(&A, &bad[i], 1) == NULL);
	CHECK(dmm_bcache_new_sized(&A, NULL, 1) == NULL);
	bc = dmm_bcache_new_sized(&A, &lma, 1);
	CHECK(bc != NULL);
	CHECK(bc && dmm_bcache_bytes(bc) / 1024 <= 320);
	if (bc) {
		struct dmm_mnid m = eui48(1);
		struct dmm_bcache_entry *e = dmm_bcache_add(bc, &m, NULL);

		CHECK(e && dmm_bce_pmaar(e) == NULL);
	}
	dmm_bcache_free(bc);
	/* Every failure point of the constructor unwinds without a leak (ASan). */
	for (int ok = 0; ok < 11; ok++) {
		int left = ok;
		struct dmm_alloc a = {t_zalloc_limited, t_free, &left};

		CHECK(dmm_bcache_new_sized(&a, &full, 1) == NULL);
	}
	{
		int left = 11;
		struct dmm_alloc a = {t_zalloc_limited, t_free, &left};

		bc = dmm_bcache_new_sized(&a, &full, 1);
		CHECK(bc != NULL);
		dmm_bcache_free(bc);
	}
}

int main(void)
{
	test_layout();
	test_llid_pcoa();
	test_long_short();
	test_long_multihomed();
	test_arena_exhaustion();
	test_more_prefixes();
	test_sizes();
	return check_report("test_bcache_compact");
}
