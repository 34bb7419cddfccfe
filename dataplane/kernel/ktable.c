/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel data plane's intents, SRC tables, decapsulation peers and
 * prefixes with DELIVER intents (ktable.h). Lookups by id, by peer
 * address and by prefix go through open-addressing indexes (dmm_hidx);
 * the table numbers through a bitmap with one summary
 * level per 64 words, so that "the lowest free table", what the backend
 * has always chosen, costs one step per level rather than a walk over
 * every intent for every candidate number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common.h"
#include "ktable.h"

static uint32_t id_hash(uint32_t id)
{
	return (uint32_t)dmm_hash_u64(id);
}

static uint32_t peer_hash(const struct kdp_itab *t, const struct dmm_addr *a)
{
	return (uint32_t)dmm_hash_addr(t->seed, a);
}

static uint32_t guard_hash(const struct kdp_itab *t, const struct dmm_prefix *p)
{
	return (uint32_t)dmm_hash_prefix(t->seed, p);
}

void kdp_itab_init(struct kdp_itab *t, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->seed = seed;
}

static void tables_free(struct kdp_tables *b)
{
	for (int l = 0; l < KDP_TLEVELS; l++)
		free(b->lv[l]);
	memset(b, 0, sizeof(*b));
}

void kdp_itab_fini(struct kdp_itab *t)
{
	free(t->in);
	free(t->peers);
	free(t->guards);
	dmm_hidx_fini(&t->byid, &dmm_dp_heap);
	dmm_hidx_fini(&t->bypeer, &dmm_dp_heap);
	dmm_hidx_fini(&t->byguard, &dmm_dp_heap);
	tables_free(&t->tables);
	memset(t, 0, sizeof(*t));
}

/* ---- table bitmap ---- */

static void bit_set(struct kdp_tables *b, uint32_t o)
{
	for (int l = 0; l < KDP_TLEVELS; l++, o /= 64) {
		b->lv[l][o / 64] |= 1ull << (o % 64);
		if (b->lv[l][o / 64] != ~0ull)
			return;
	}
}

static void bit_clear(struct kdp_tables *b, uint32_t o)
{
	for (int l = 0; l < KDP_TLEVELS; l++, o /= 64) {
		bool was_full = b->lv[l][o / 64] == ~0ull;

		b->lv[l][o / 64] &= ~(1ull << (o % 64));
		if (!was_full)
			return;
	}
}

/* Room for cap offsets, keeping those in use. 0 or -ENOMEM. */
static int tables_grow(struct kdp_tables *b, uint32_t cap)
{
	struct kdp_tables nb = {.cap = cap};
	uint32_t words = (cap + 63) / 64;

	for (int l = 0; l < KDP_TLEVELS; l++) {
		nb.nwords[l] = words;
		nb.lv[l] = calloc(words, sizeof(uint64_t));
		if (!nb.lv[l]) {
			tables_free(&nb);
			return -ENOMEM;
		}
		words = (words + 63) / 64;
	}
	for (uint32_t w = 0; w < b->nwords[0]; w++)
		for (uint64_t bits = b->lv[0][w]; bits; bits &= bits - 1)
			bit_set(&nb, w * 64 + (uint32_t)__builtin_ctzll(bits));
	tables_free(b);
	*b = nb;
	return 0;
}

uint32_t kdp_itab_table(const struct kdp_itab *t, uint32_t base)
{
	const struct kdp_tables *b = &t->tables;
	uint32_t w = 0;

	/* The top level is one word; a word with a free bit leads to a free offset below. */
	for (int l = KDP_TLEVELS - 1; l >= 0; l--)
		w = w * 64 + (uint32_t)__builtin_ctzll(~b->lv[l][w]);
	return base + 1 + w;
}

/* ---- growth ---- */

/* Index refs 0 .. n-1 of an array into a fresh x of max refs, hashing each with h. */
static int reindex(struct dmm_hidx *x, uint32_t max, uint32_t n,
		   uint32_t (*h)(const struct kdp_itab *, uint32_t), const struct kdp_itab *t)
{
	struct dmm_hidx nx;

	if (dmm_hidx_init(&nx, &dmm_dp_heap, max) != 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		dmm_hidx_insert(&nx, h(t, i), i);
	dmm_hidx_fini(x, &dmm_dp_heap);
	*x = nx;
	return 0;
}

static uint32_t hash_in(const struct kdp_itab *t, uint32_t i)
{
	return id_hash(t->in[i].id);
}

static uint32_t hash_peer(const struct kdp_itab *t, uint32_t i)
{
	return peer_hash(t, &t->peers[i].addr);
}

static uint32_t hash_guard(const struct kdp_itab *t, uint32_t i)
{
	return guard_hash(t, &t->guards[i].prefix);
}

int kdp_itab_reserve(struct kdp_itab *t)
{
	uint32_t cap;
	void *p;

	if (t->n < t->cap)
		return 0;
	cap = t->cap ? t->cap * 2 : 16;
	if (cap > (1u << 30))
		return -ENOMEM;
	p = realloc(t->in, cap * sizeof(*t->in));
	if (!p)
		return -ENOMEM;
	t->in = p;
	p = realloc(t->peers, cap * sizeof(*t->peers));
	if (!p)
		return -ENOMEM;
	t->peers = p;
	p = realloc(t->guards, cap * sizeof(*t->guards));
	if (!p)
		return -ENOMEM;
	t->guards = p;
	if (reindex(&t->byid, cap, t->n, hash_in, t) < 0 ||
	    reindex(&t->bypeer, cap, t->npeers, hash_peer, t) < 0 ||
	    reindex(&t->byguard, cap, t->nguards, hash_guard, t) < 0 || tables_grow(&t->tables, cap) < 0)
		return -ENOMEM;
	t->cap = cap;
	return 0;
}

/* ---- intents ---- */

struct kdp_intent *kdp_itab_find(const struct kdp_itab *t, uint32_t id)
{
	uint32_t h = id_hash(id), pos, r;

	if (!t->cap)
		return NULL;
	for (r = dmm_hidx_first(&t->byid, h, &pos); r != DMM_HIDX_NONE; r = dmm_hidx_next(&t->byid, h, &pos))
		if (t->in[r].id == id)
			return &t->in[r];
	return NULL;
}

struct kdp_intent *kdp_itab_add(struct kdp_itab *t, const struct kdp_intent *k, bool src_table, uint32_t base)
{
	struct kdp_intent *n = &t->in[t->n];

	*n = *k;
	dmm_hidx_insert(&t->byid, id_hash(k->id), t->n++);
	if (src_table)
		bit_set(&t->tables, k->table - base - 1);
	return n;
}

void kdp_itab_del(struct kdp_itab *t, struct kdp_intent *k, bool src_table, uint32_t base)
{
	uint32_t i = (uint32_t)(k - t->in), last = t->n - 1;

	if (src_table)
		bit_clear(&t->tables, k->table - base - 1);
	dmm_hidx_remove(&t->byid, id_hash(k->id), i);
	if (i != last) {
		dmm_hidx_remove(&t->byid, id_hash(t->in[last].id), last);
		dmm_hidx_insert(&t->byid, id_hash(t->in[last].id), i);
		t->in[i] = t->in[last];
	}
	t->n--;
}

/* ---- peers ---- */

struct kdp_peer *kdp_itab_peer(const struct kdp_itab *t, const struct dmm_addr *a)
{
	uint32_t h, pos, r;

	if (!t->cap)
		return NULL;
	h = peer_hash(t, a);
	for (r = dmm_hidx_first(&t->bypeer, h, &pos); r != DMM_HIDX_NONE;
	     r = dmm_hidx_next(&t->bypeer, h, &pos))
		if (dmm_addr_eq(&t->peers[r].addr, a))
			return &t->peers[r];
	return NULL;
}

struct kdp_peer *kdp_itab_peer_add(struct kdp_itab *t, const struct dmm_addr *a)
{
	struct kdp_peer *p = &t->peers[t->npeers];

	p->addr = *a;
	p->refs = 0;
	dmm_hidx_insert(&t->bypeer, peer_hash(t, a), t->npeers++);
	return p;
}

void kdp_itab_peer_del(struct kdp_itab *t, struct kdp_peer *p)
{
	uint32_t i = (uint32_t)(p - t->peers), last = t->npeers - 1;

	dmm_hidx_remove(&t->bypeer, peer_hash(t, &p->addr), i);
	if (i != last) {
		dmm_hidx_remove(&t->bypeer, peer_hash(t, &t->peers[last].addr), last);
		dmm_hidx_insert(&t->bypeer, peer_hash(t, &t->peers[last].addr), i);
		t->peers[i] = t->peers[last];
	}
	t->npeers--;
}

/* ---- guarded prefixes ---- */

static struct kdp_guard *guard_find(const struct kdp_itab *t, const struct dmm_prefix *p, uint32_t h)
{
	uint32_t pos, r;

	if (!t->cap)
		return NULL;
	for (r = dmm_hidx_first(&t->byguard, h, &pos); r != DMM_HIDX_NONE;
	     r = dmm_hidx_next(&t->byguard, h, &pos))
		if (dmm_prefix_eq(&t->guards[r].prefix, p))
			return &t->guards[r];
	return NULL;
}

/* Forget guard g (its count reached 0); the last one moves into its place. */
static void guard_del(struct kdp_itab *t, struct kdp_guard *g, uint32_t h)
{
	uint32_t i = (uint32_t)(g - t->guards), last = t->nguards - 1;

	dmm_hidx_remove(&t->byguard, h, i);
	if (i != last) {
		uint32_t lh = guard_hash(t, &t->guards[last].prefix);

		dmm_hidx_remove(&t->byguard, lh, last);
		dmm_hidx_insert(&t->byguard, lh, i);
		t->guards[i] = t->guards[last];
	}
	t->nguards--;
}

uint32_t kdp_itab_guard_ref(struct kdp_itab *t, const struct dmm_prefix *p, int d)
{
	uint32_t h = guard_hash(t, p);
	struct kdp_guard *g = guard_find(t, p, h);

	if (!g) {
		if (d < 0)
			return 0;
		/* At most one guard per intent, and the intent was reserved: there is room. */
		g = &t->guards[t->nguards];
		*g = (struct kdp_guard){.prefix = *p, .refs = 0};
		dmm_hidx_insert(&t->byguard, h, t->nguards++);
	}
	g->refs = (uint32_t)((int)g->refs + d);
	if (g->refs == 0) {
		guard_del(t, g, h);
		return 0;
	}
	return g->refs;
}
