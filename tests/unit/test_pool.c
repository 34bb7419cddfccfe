/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prefix pool: ranges, exhaustion, release, reserve, random ops vs a shadow. */
#include <stdlib.h>

#include "check.h"
#include "dmm/err.h"
#include "dmm/pool.h"
#include "helpers.h"

static const struct dmm_alloc A = {t_zalloc, t_free, NULL};

static uint64_t rng_state = 0x0123456789abcdefULL;

static uint64_t rnd(void)
{
	return xorshift64s(&rng_state);
}

/* 2001:db8:<a>:<b>::/len */
static struct dmm_prefix P(uint16_t a, uint16_t b, uint8_t len) {
	struct dmm_prefix p = {.len = len};

	p.addr.b[0] = 0x20;
	p.addr.b[1] = 0x01;
	p.addr.b[2] = 0x0d;
	p.addr.b[3] = 0xb8;
	p.addr.b[4] = (uint8_t)(a >> 8);
	p.addr.b[5] = (uint8_t)a;
	p.addr.b[6] = (uint8_t)(b >> 8);
	p.addr.b[7] = (uint8_t)b;
	return p;
}

static void
test_ranges(void)
{
	static const struct {
		uint16_t a, b;
		uint8_t len;
		int ret;
	} rows[] = {
		{1, 0, 48, 0},			/* 65536 /64s */
		{1, 0x100, 56, DMM_ERR_EXISTS}, /* inside the /48 */
		{0, 0, 32, DMM_ERR_PREFIX_LEN}, /* 2^32 prefixes: too many */
		{0, 0, 16, DMM_ERR_PREFIX_LEN},
		{2, 0, 65, DMM_ERR_PREFIX_LEN}, /* longer than plen */
		{2, 1, 48, DMM_ERR_INVAL},	/* bits past the length */
		{2, 0, 56, 0},			/* 256 more */
		{2, 0, 48, DMM_ERR_EXISTS},	/* covers the /56 */
		{3, 0, 48, DMM_ERR_NOMEM},	/* beyond capacity */
		{3, 0, 60, 0},			/* 16 more: exactly full */
		{4, 0, 64, DMM_ERR_NOMEM},
	};
	struct dmm_pool *pool = dmm_pool_new(&A, 65536 + 256 + 16, 64);
	struct dmm_prefix p;

	CHECK(pool != NULL);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		p = P(rows[i].a, rows[i].b, rows[i].len);
		CHECK_EQ(dmm_pool_add_range(pool, &p), rows[i].ret);
	}
	CHECK_EQ(dmm_pool_size(pool), 65536 + 256 + 16);
	CHECK_EQ(dmm_pool_used(pool), 0);
	p = P(2, 0x00ff, 64);
	CHECK(dmm_pool_contains(pool, &p));
	p = P(2, 0x0100, 64);
	CHECK(!dmm_pool_contains(pool, &p));
	p = P(1, 0xffff, 64);
	CHECK(dmm_pool_contains(pool, &p));
	p = P(1, 0xffff, 63);
	CHECK(!dmm_pool_contains(pool, &p));
	p = P(1, 7, 64);
	p.addr.b[15] = 1; /* interface bits set: not a pool prefix */
	CHECK(!dmm_pool_contains(pool, &p));

	/* First allocations come in order from the first range. */
	CHECK_EQ(dmm_pool_alloc(pool, &p), 0);
	{
		struct dmm_prefix want = P(1, 0, 64);

		CHECK(p.len == 64 && dmm_addr_eq(&p.addr, &want.addr));
	}
	CHECK_EQ(dmm_pool_alloc(pool, &p), 0);
	{
		struct dmm_prefix want = P(1, 1, 64);

		CHECK(dmm_addr_eq(&p.addr, &want.addr));
		CHECK(dmm_pool_is_used(pool, &want));
	}
	/* Reserve: a fixed prefix from a policy profile. */
	p = P(2, 0x10, 64);
	CHECK_EQ(dmm_pool_reserve(pool, &p), 0);
	CHECK_EQ(dmm_pool_reserve(pool, &p), DMM_ERR_EXISTS);
	CHECK(dmm_pool_is_used(pool, &p));
	p = P(9, 0, 64);
	CHECK_EQ(dmm_pool_reserve(pool, &p), DMM_ERR_NOTFOUND);
	CHECK_EQ(dmm_pool_release(pool, &p), DMM_ERR_NOTFOUND);
	p = P(1, 0, 64);
	CHECK_EQ(dmm_pool_reserve(pool, &p), DMM_ERR_EXISTS); /* allocated */
	CHECK_EQ(dmm_pool_used(pool), 3);

	/* Exhaustion, then release makes room; the reserved one never comes out. */
	{
		unsigned bad = 0;
		struct dmm_prefix r = P(2, 0x10, 64);

		while (dmm_pool_alloc(pool, &p) == 0)
			bad += dmm_addr_eq(&p.addr, &r.addr);
		CHECK_EQ(bad, 0);
	}
	CHECK_EQ(dmm_pool_used(pool), dmm_pool_size(pool));
	CHECK_EQ(dmm_pool_alloc(pool, &p), DMM_ERR_NOMEM);
	p = P(3, 5, 64);
	CHECK_EQ(dmm_pool_release(pool, &p), 0);
	CHECK_EQ(dmm_pool_release(pool, &p), DMM_ERR_INVAL);
	CHECK(!dmm_pool_is_used(pool, &p));
	{
		struct dmm_prefix q, r = P(2, 0x10, 64);

		CHECK_EQ(dmm_pool_release(pool, &r), 0);
		/* FIFO: the first released comes out first. */
		CHECK_EQ(dmm_pool_alloc(pool, &q), 0);
		CHECK(dmm_addr_eq(&q.addr, &p.addr));
		CHECK_EQ(dmm_pool_alloc(pool, &q), 0);
		CHECK(dmm_addr_eq(&q.addr, &r.addr));
	}
	CHECK_EQ(dmm_pool_alloc(pool, &p), DMM_ERR_NOMEM);
	CHECK(dmm_pool_bytes(pool) > 0);
	dmm_pool_free(pool);
	dmm_pool_free(NULL);
	CHECK(dmm_pool_new(&A, 0, 64) == NULL);
	CHECK(dmm_pool_new(&A, 4, 0) == NULL);
	CHECK(dmm_pool_new(&A, 4, 129) == NULL);
}

/* Other prefix lengths: /56s out of a /48, /128 out of a /120. */
static void test_lengths(void)
{
	struct dmm_pool *pool = dmm_pool_new(&A, 512, 56);
	struct dmm_prefix r = P(7, 0, 48), p;

	CHECK_EQ(dmm_pool_add_range(pool, &r), 0);
	CHECK_EQ(dmm_pool_size(pool), 256);
	CHECK_EQ(dmm_pool_alloc(pool, &p), 0);
	CHECK_EQ(dmm_pool_alloc(pool, &p), 0);
	CHECK_EQ(p.len, 56);
	CHECK_EQ(p.addr.b[6], 1);
	CHECK_EQ(p.addr.b[7], 0);
	dmm_pool_free(pool);

	pool = dmm_pool_new(&A, 256, 128);
	r = P(7, 0, 120);
	CHECK_EQ(dmm_pool_add_range(pool, &r), 0);
	for (int i = 0; i < 256; i++)
		CHECK_EQ(dmm_pool_alloc(pool, &p), 0);
	CHECK_EQ(p.addr.b[15], 255);
	CHECK_EQ(dmm_pool_alloc(pool, &p), DMM_ERR_NOMEM);
	dmm_pool_free(pool);
}

/* Random alloc/release/reserve against a shadow bitmap. */
static void test_random(void)
{
	/* Ranges 2001:db8:1:0::/54 (1024) and 2001:db8:2:0::/56 (256). */
	static bool used[2][1024];
	struct dmm_pool *pool = dmm_pool_new(&A, 1280, 64);
	struct dmm_prefix r1 = P(1, 0, 54), r2 = P(2, 0, 56), p;
	unsigned bad = 0, nused = 0, allocs = 0, fulls = 0;

	CHECK_EQ(dmm_pool_add_range(pool, &r1), 0);
	CHECK_EQ(dmm_pool_add_range(pool, &r2), 0);
	for (int op = 0; op < 200000; op++) {
		uint64_t r = rnd() % 100;
		/* Bias towards a full pool half of the time. */
		uint64_t alloc_share = (op / 20000) % 2 ? 70 : 45;

		if (r < alloc_share) {
			int ret = dmm_pool_alloc(pool, &p);

			if (nused == 1280) {
				bad += ret != DMM_ERR_NOMEM;
				fulls++;
				continue;
			}
			if (ret) {
				bad++;
				continue;
			}
			{
				unsigned a = p.addr.b[5], b = (unsigned)p.addr.b[6] << 8 | p.addr.b[7];

				if (p.len != 64 || (a != 1 && a != 2) || b >= (a == 1 ? 1024u : 256u) ||
				    used[a - 1][b]) {
					bad++;
					continue;
				}
				used[a - 1][b] = true;
				nused++;
				allocs++;
			}
		} else {
			unsigned a = 1 + (unsigned)(rnd() % 2), b = (unsigned)(rnd() % 1024);
			int want;

			p = P((uint16_t)a, (uint16_t)b, 64);
			if (a == 2 && b >= 256) {
				bad += dmm_pool_contains(pool, &p);
				bad += dmm_pool_release(pool, &p) != DMM_ERR_NOTFOUND;
				continue;
			}
			if (r < 90) {
				want = used[a - 1][b] ? 0 : DMM_ERR_INVAL;
				bad += dmm_pool_release(pool, &p) != want;
				if (!want) {
					used[a - 1][b] = false;
					nused--;
				}
			} else {
				want = used[a - 1][b] ? DMM_ERR_EXISTS : 0;
				bad += dmm_pool_reserve(pool, &p) != want;
				if (!want) {
					used[a - 1][b] = true;
					nused++;
				}
			}
			bad += dmm_pool_is_used(pool, &p) != used[a - 1][b];
		}
		bad += dmm_pool_used(pool) != nused;
		if (bad)
			break;
	}
	CHECK_EQ(bad, 0);
	CHECK(allocs > 10000);
	CHECK(fulls > 100);
	dmm_pool_free(pool);
}

int main(void)
{
	test_ranges();
	test_lengths();
	test_random();
	return check_report("test_pool");
}
