/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Seeded hashing and the hash index (core/state/hash.c).
 *
 * SipHash: a reference implementation here, written from the paper with
 * the round counts as parameters, is pinned to the published SipHash-2-4
 * vectors (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * appendix A, and the reference code's vectors.h) and then run as
 * SipHash-1-3 with the key the core derives from its 64-bit seed
 * (k0 = seed, k1 = rotl(seed, 29) * 0x9e3779b97f4a7c15 + 1). No published
 * SipHash-1-3 vector with that key exists, so the core is checked against
 * the pinned reference for many seeds and every length 0..64.
 *
 * The index: insertion into a probe chain, lookup of every reference
 * under a hash, backward-shift deletion (inside a chain and across the
 * end of the table), the limit, and random churn against a shadow list.
 */
#include "check.h"
#include "dmm/err.h"
#include "dmm/hash.h"
#include "helpers.h"

static const struct dmm_alloc A = {t_zalloc, t_free, NULL};

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

/* SipHash-c-d of m[0..len) under the key (k0, k1), as in the paper. */
static uint64_t ref_siphash(int c, int d, uint64_t k0, uint64_t k1, const uint8_t *m, size_t len)
{
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
			 k1 ^ 0x7465646279746573ULL};
	size_t i = 0;

	for (;;) {
		uint64_t w = 0;
		size_t n = len - i < 8 ? len - i : 8;

		for (size_t j = 0; j < n; j++)
			w |= (uint64_t)m[i + j] << (8 * j);
		if (n < 8)
			w |= (uint64_t)(len & 0xff) << 56; /* the last word carries the length */
		v[3] ^= w;
		for (int r = 0; r < c; r++)
			sipround(v);
		v[0] ^= w;
		i += n;
		if (n < 8)
			break;
	}
	v[2] ^= 0xff;
	for (int r = 0; r < d; r++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static uint64_t core_k1(uint64_t seed)
{
	return rotl(seed, 29) * 0x9e3779b97f4a7c15ULL + 1;
}

static void test_reference(void)
{
	/* Key 00 01 .. 0f; message 00 01 .. (len - 1). */
	static const struct {
		size_t len;
		uint64_t want;
	} rows[] = {
		{0, 0x726fdb47dd0e0e31ULL},  /* vectors.h, first entry: 31 0e 0e dd 47 db 6f 72 */
		{15, 0xa129ca6149be45e5ULL}, /* the paper's appendix A */
	};
	uint8_t m[16];

	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_EQ(ref_siphash(2, 4, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL, m, rows[i].len),
			 rows[i].want);
}

static void test_siphash13(void)
{
	static const uint64_t seeds[] = {0, 1, 0x0706050403020100ULL, 0xffffffffffffffffULL,
					 0x9e3779b97f4a7c15ULL};
	struct check_loop same = CHECK_LOOP_INIT("dmm_hash_bytes is SipHash-1-3 with the derived key");
	uint8_t m[64];

	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i * 7 + 3);
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++)
		for (size_t len = 0; len <= sizeof(m); len++)
			if (!CHECK_LOOP(same, dmm_hash_bytes(seeds[s], m, len) ==
						      ref_siphash(1, 3, seeds[s], core_k1(seeds[s]), m, len)))
				fprintf(stderr, "seed %zu len %zu\n", s, len);
	CHECK_LOOP_END(same);
}

/* The typed hashes are the byte hash of their documented key octets. */
static void test_typed(void)
{
	const uint64_t seed = 0x1234567890abcdefULL;
	struct dmm_mnid id = nai("mn1@example.com");
	struct dmm_prefix p = prefix_of("2001:db8:aaa:1::/64");
	struct dmm_addr a = addr_of("2001:db8::1");
	uint8_t buf[1 + DMM_MNID_MAX];

	buf[0] = id.subtype;
	memcpy(buf + 1, id.id, id.len);
	CHECK_EQ(dmm_hash_mnid(seed, &id), dmm_hash_bytes(seed, buf, 1 + (size_t)id.len));
	buf[0] = p.len;
	memcpy(buf + 1, p.addr.b, 16);
	CHECK_EQ(dmm_hash_prefix(seed, &p), dmm_hash_bytes(seed, buf, 17));
	CHECK_EQ(dmm_hash_addr(seed, &a), dmm_hash_bytes(seed, a.b, 16));

	/* Deterministic; the seed, the subtype, the length all matter. */
	CHECK_EQ(dmm_hash_mnid(seed, &id), dmm_hash_mnid(seed, &id));
	CHECK(dmm_hash_mnid(seed, &id) != dmm_hash_mnid(seed + 1, &id));
	CHECK(dmm_hash_addr(seed, &a) != dmm_hash_addr(~seed, &a));
	struct dmm_mnid other = id;
	other.subtype++;
	CHECK(dmm_hash_mnid(seed, &id) != dmm_hash_mnid(seed, &other));
	struct dmm_prefix shorter = p;
	shorter.len = 48;
	CHECK(dmm_hash_prefix(seed, &p) != dmm_hash_prefix(seed, &shorter));
	/* A zero octet more is a different message (the length is hashed). */
	uint8_t z[2] = {0, 0};
	CHECK(dmm_hash_bytes(seed, z, 1) != dmm_hash_bytes(seed, z, 2));
	CHECK(dmm_hash_bytes(seed, NULL, 0) != dmm_hash_bytes(seed + 1, NULL, 0));
}

/* The references stored under hash, in probe order, into out; returns how many. */
static unsigned walk(const struct dmm_hidx *x, uint32_t hash, uint32_t *out, unsigned cap)
{
	uint32_t pos, ref;
	unsigned n = 0;

	for (ref = dmm_hidx_first(x, hash, &pos); ref != DMM_HIDX_NONE; ref = dmm_hidx_next(x, hash, &pos))
		if (n < cap)
			out[n++] = ref;
	return n;
}

/* The k-th hash (k small) whose home slot in x is home. */
static uint32_t at(const struct dmm_hidx *x, uint32_t home, uint32_t k)
{
	return (uint32_t)((((uint64_t)home << 32) + x->n - 1) / x->n) + k;
}

static void test_hidx_table(void)
{
	struct dmm_hidx x;
	uint32_t got[8];

	CHECK_EQ(dmm_hidx_init(&x, &A, 0), DMM_ERR_INVAL);
	CHECK_EQ(dmm_hidx_init(&x, &A, (1u << 30) + 1), DMM_ERR_INVAL);
	CHECK_EQ(dmm_hidx_init(&x, &A, 4), 0);
	CHECK_EQ(x.n, 6); /* 3/2 * 4 slots: load factor 2/3 */
	CHECK_EQ(dmm_hidx_bytes(&x), 6 * sizeof(struct dmm_hidx_slot));
	for (uint32_t h = 0; h < 6; h++)
		CHECK(dmm_hidx_home(&x, at(&x, h, 0)) == h && dmm_hidx_home(&x, at(&x, h, 0) - 1) != h);

	/* Three under home slot 1, one under home 2: slots 1, 2, 3 and 4. */
	const struct {
		uint32_t hash, ref, slot;
	} ins[] = {
		{at(&x, 1, 0), 10, 1}, {at(&x, 1, 1), 11, 2}, {at(&x, 2, 0), 12, 3}, {at(&x, 1, 2), 13, 4}};
	for (size_t i = 0; i < 4; i++) {
		CHECK_EQ(dmm_hidx_insert(&x, ins[i].hash, ins[i].ref), 0);
		CHECK_EQ(x.slot[ins[i].slot].ref1, ins[i].ref + 1);
	}
	CHECK_EQ(dmm_hidx_insert(&x, at(&x, 5, 0), 14), DMM_ERR_NOMEM); /* limit 4 */
	CHECK_EQ(x.count, 4);
	CHECK_EQ(walk(&x, at(&x, 1, 1), got, 8), 1);
	CHECK_EQ(got[0], 11);
	CHECK_EQ(walk(&x, at(&x, 2, 0), got, 8), 1);
	CHECK_EQ(got[0], 12);
	CHECK_EQ(walk(&x, at(&x, 3, 0), got, 8), 0);
	CHECK_EQ(dmm_hidx_remove(&x, at(&x, 1, 0), 11), DMM_ERR_NOTFOUND); /* right ref, wrong hash */
	CHECK_EQ(dmm_hidx_remove(&x, at(&x, 5, 0), 10), DMM_ERR_NOTFOUND);

	/* Removing the head of the chain shifts 11 back to slot 1, 12 to its home slot 2, 13 to slot 3. */
	CHECK_EQ(dmm_hidx_remove(&x, at(&x, 1, 0), 10), 0);
	CHECK_EQ(x.slot[1].ref1, 11 + 1);
	CHECK_EQ(x.slot[2].ref1, 12 + 1);
	CHECK_EQ(x.slot[3].ref1, 13 + 1);
	CHECK_EQ(x.slot[4].ref1, 0);
	CHECK_EQ(walk(&x, at(&x, 1, 2), got, 8), 1);
	CHECK_EQ(got[0], 13);
	CHECK_EQ(walk(&x, at(&x, 2, 0), got, 8), 1);
	CHECK_EQ(x.count, 3);
	dmm_hidx_fini(&x, &A);
	CHECK_EQ(dmm_hidx_bytes(&x), 0);
	dmm_hidx_fini(&x, &A); /* twice is harmless */

	/* Across the end: three under home 5 (the last slot) take slots 5, 0 and 1. */
	CHECK_EQ(dmm_hidx_init(&x, &A, 4), 0);
	CHECK_EQ(dmm_hidx_insert(&x, at(&x, 5, 0), 1), 0);
	CHECK_EQ(dmm_hidx_insert(&x, at(&x, 5, 1), 2), 0);
	CHECK_EQ(dmm_hidx_insert(&x, at(&x, 5, 0), 3), 0); /* a duplicate hash: a multimap */
	CHECK_EQ(dmm_hidx_insert(&x, at(&x, 0, 0), 4), 0); /* home 0, pushed to slot 2 */
	CHECK_EQ(x.slot[0].ref1, 2 + 1);
	CHECK_EQ(x.slot[1].ref1, 3 + 1);
	CHECK_EQ(x.slot[2].ref1, 4 + 1);
	CHECK_EQ(walk(&x, at(&x, 5, 0), got, 8), 2);
	CHECK(got[0] == 1 && got[1] == 3);
	CHECK_EQ(dmm_hidx_remove(&x, at(&x, 5, 0), 1), 0);
	CHECK_EQ(x.slot[5].ref1, 2 + 1); /* shifted back across the end */
	CHECK_EQ(x.slot[0].ref1, 3 + 1);
	CHECK_EQ(x.slot[1].ref1, 4 + 1); /* home 0 is occupied by 3... */
	CHECK_EQ(x.slot[2].ref1, 0);
	CHECK_EQ(walk(&x, at(&x, 0, 0), got, 8), 1);
	CHECK_EQ(got[0], 4);
	CHECK_EQ(dmm_hidx_remove(&x, at(&x, 5, 1), 2), 0);
	CHECK_EQ(x.slot[5].ref1, 3 + 1);
	CHECK_EQ(x.slot[0].ref1, 4 + 1); /* ...and now sits at home */
	CHECK_EQ(walk(&x, at(&x, 5, 0), got, 8), 1);
	CHECK_EQ(walk(&x, at(&x, 0, 0), got, 8), 1);
	dmm_hidx_fini(&x, &A);
}

/* Random inserts and removes with colliding hashes, against a shadow list. */
static void test_hidx_churn(void)
{
	enum { MAX = 64, OPS = 5000 };
	static uint32_t sh_hash[MAX], sh_ref[MAX];
	unsigned n = 0;
	uint64_t st = 0x5eed5eed5eedULL;
	struct dmm_hidx x;
	struct check_loop agree = CHECK_LOOP_INIT("the index agrees with a shadow list under churn");

	CHECK_EQ(dmm_hidx_init(&x, &A, MAX), 0);
	for (uint32_t op = 0; op < OPS; op++) {
		uint64_t r = xorshift64s(&st);
		uint32_t hash = (uint32_t)(r >> 32) % 40; /* few hashes: long chains, many wraps */

		if (n < MAX && (n == 0 || r % 3)) {
			CHECK_LOOP(agree, dmm_hidx_insert(&x, hash, op) == 0);
			sh_hash[n] = hash;
			sh_ref[n++] = op;
		} else {
			unsigned k = (unsigned)(r % n);

			CHECK_LOOP(agree, dmm_hidx_remove(&x, sh_hash[k], sh_ref[k]) == 0);
			sh_hash[k] = sh_hash[--n];
			sh_ref[k] = sh_ref[n];
		}
		/* Every stored reference is found under its hash, once. */
		for (unsigned i = 0; i < n; i++) {
			uint32_t got[MAX];
			unsigned m = walk(&x, sh_hash[i], got, MAX), seen = 0, want = 0;

			for (unsigned j = 0; j < m; j++)
				seen += got[j] == sh_ref[i];
			for (unsigned j = 0; j < n; j++)
				want += sh_hash[j] == sh_hash[i];
			if (!CHECK_LOOP(agree, seen == 1 && m == want))
				fprintf(stderr, "op %u: ref %u hash %u seen %u, %u of %u\n", op, sh_ref[i],
					sh_hash[i], seen, m, want);
		}
		CHECK_LOOP(agree, x.count == n);
	}
	CHECK_LOOP_END(agree);
	dmm_hidx_fini(&x, &A);
}

int main(void)
{
	test_reference();
	test_siphash13();
	test_typed();
	test_hidx_table();
	test_hidx_churn();
	return check_report("test_hash");
}
