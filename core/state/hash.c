/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Seeded hashing and the open-addressing index of the state tables.
 *
 * SipHash-1-3 (Aumasson, Bernstein) because MN-IDs and prefixes arrive
 * from the network: with a secret per-table seed a peer cannot build keys
 * that all land in one probe chain. The seed is an argument; core/ draws
 * no randomness itself (ARCHITECTURE.md rule 1).
 */
#include <string.h>

#include "dmm/hash.h"
#include "dmm/err.h"

static inline uint64_t rotl64(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(&v, p, 8);
#else
	v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
#endif
	return v;
}

#define SIPROUND                                                                                             \
	do {                                                                                                 \
		v0 += v1;                                                                                    \
		v1 = rotl64(v1, 13);                                                                         \
		v1 ^= v0;                                                                                    \
		v0 = rotl64(v0, 32);                                                                         \
		v2 += v3;                                                                                    \
		v3 = rotl64(v3, 16);                                                                         \
		v3 ^= v2;                                                                                    \
		v0 += v3;                                                                                    \
		v3 = rotl64(v3, 21);                                                                         \
		v3 ^= v0;                                                                                    \
		v2 += v1;                                                                                    \
		v1 = rotl64(v1, 17);                                                                         \
		v1 ^= v2;                                                                                    \
		v2 = rotl64(v2, 32);                                                                         \
	} while (0)

/* n <= 8 octets of the stream a (alen) then b from position i, into blk. */
static inline void gather(uint8_t *blk, const uint8_t *a, size_t alen, const uint8_t *b, size_t i, size_t n)
{
	size_t k = i >= alen ? 0 : alen - i < n ? alen - i : n;

	if (k)
		memcpy(blk, a + i, k);
	if (n > k)
		memcpy(blk + k, b + (i + k - alen), n - k);
}

/*
 * Two streams: the prefix of bytes a (alen) then b (blen), hashed as one
 * message, so a subtype octet or a length can lead the key without a copy.
 * Eight octets at a time (a word per round, not an octet per loop turn).
 */
static uint64_t siphash13_2(uint64_t seed, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	/* A 128-bit key from the 64-bit seed: k1 is a fixed odd multiple. */
	uint64_t k0 = seed, k1 = rotl64(seed, 29) * 0x9e3779b97f4a7c15ULL + 1;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	size_t len = alen + blen, i = 0;
	uint8_t blk[8];
	uint64_t m;

	for (; len - i >= 8; i += 8) {
		gather(blk, a, alen, b, i, 8);
		m = load_le64(blk);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	memset(blk, 0, sizeof(blk));
	gather(blk, a, alen, b, i, len - i);
	m = load_le64(blk) | (uint64_t)(len & 0xff) << 56;
	v3 ^= m;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t dmm_hash_bytes(uint64_t seed, const void *p, size_t len)
{
	return siphash13_2(seed, p, len, NULL, 0);
}

uint64_t dmm_hash_mnid(uint64_t seed, const struct dmm_mnid *id)
{
	return siphash13_2(seed, &id->subtype, 1, id->id, id->len);
}

uint64_t dmm_hash_mnid_bytes(uint64_t seed, uint8_t subtype, const uint8_t *id, size_t len)
{
	return siphash13_2(seed, &subtype, 1, id, len);
}

uint64_t dmm_hash_prefix(uint64_t seed, const struct dmm_prefix *p)
{
	return siphash13_2(seed, &p->len, 1, p->addr.b, 16);
}

uint64_t dmm_hash_addr(uint64_t seed, const struct dmm_addr *a)
{
	return siphash13_2(seed, a->b, 16, NULL, 0);
}

int dmm_hidx_init(struct dmm_hidx *x, const struct dmm_alloc *a, uint32_t max_refs)
{
	uint64_t n;

	x->slot = NULL;
	x->n = x->count = x->limit = 0;
	if (max_refs == 0 || max_refs > (1u << 30))
		return DMM_ERR_INVAL;
	/* Load factor <= 2/3 keeps linear-probe chains short; one slot stays empty at least. */
	n = (3 * (uint64_t)max_refs + 1) / 2;
	if (n <= max_refs)
		n = max_refs + 1;
	x->slot = a->zalloc(a->ctx, (size_t)n * sizeof(*x->slot));
	if (!x->slot)
		return DMM_ERR_NOMEM;
	x->n = (uint32_t)n;
	x->limit = max_refs;
	return 0;
}

void dmm_hidx_fini(struct dmm_hidx *x, const struct dmm_alloc *a)
{
	if (x->slot)
		a->free(a->ctx, x->slot);
	x->slot = NULL;
	x->n = x->count = x->limit = 0;
}

size_t dmm_hidx_bytes(const struct dmm_hidx *x)
{
	return x->slot ? (size_t)x->n * sizeof(*x->slot) : 0;
}

static inline uint32_t step(const struct dmm_hidx *x, uint32_t i)
{
	return i + 1 == x->n ? 0 : i + 1;
}

/* Slots from a forward to b, around the end. */
static inline uint32_t dist(const struct dmm_hidx *x, uint32_t a, uint32_t b)
{
	return b >= a ? b - a : b + x->n - a;
}

int dmm_hidx_insert(struct dmm_hidx *x, uint32_t hash, uint32_t ref)
{
	uint32_t i;

	if (x->count >= x->limit)
		return DMM_ERR_NOMEM;
	i = dmm_hidx_home(x, hash);
	while (x->slot[i].ref1)
		i = step(x, i);
	x->slot[i].ref1 = ref + 1;
	x->slot[i].hash = hash;
	x->count++;
	return 0;
}

int dmm_hidx_remove(struct dmm_hidx *x, uint32_t hash, uint32_t ref)
{
	uint32_t i, j;

	if (!x->slot)
		return DMM_ERR_NOTFOUND;
	for (i = dmm_hidx_home(x, hash);; i = step(x, i)) {
		if (!x->slot[i].ref1)
			return DMM_ERR_NOTFOUND;
		if (x->slot[i].ref1 == ref + 1 && x->slot[i].hash == hash)
			break;
	}
	/*
	 * Backward-shift deletion: move later members of the cluster into the
	 * hole when their home slot is not cyclically within (i, j].
	 */
	for (j = step(x, i); x->slot[j].ref1; j = step(x, j)) {
		if (dist(x, dmm_hidx_home(x, x->slot[j].hash), j) >= dist(x, i, j)) {
			x->slot[i] = x->slot[j];
			i = j;
		}
	}
	x->slot[i].ref1 = 0;
	x->slot[i].hash = 0;
	x->count--;
	return 0;
}

uint32_t dmm_hidx_next(const struct dmm_hidx *x, uint32_t hash, uint32_t *pos)
{
	uint32_t i = *pos;

	if (!x->slot || i >= x->n)
		return DMM_HIDX_NONE;
	while (x->slot[i].ref1) {
		const struct dmm_hidx_slot *s = &x->slot[i];

		i = step(x, i);
		if (s->hash == hash) {
			*pos = i;
			return s->ref1 - 1;
		}
	}
	*pos = i;
	return DMM_HIDX_NONE;
}
