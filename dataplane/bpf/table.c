/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eBPF data plane's intent table (bpfdp.h): slots in one array sized
 * like the maps, a free list, and two hash indexes (dmm_hidx): by id, and
 * by key, the (map, prefix, peer or link) that intents compete for. No
 * operation walks over the intents: the best of a key looks only at the
 * intents of that key.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common.h"
#include "bpfdp.h"

uint8_t bdp_kind(const struct dmm_intent *in)
{
	if (in->action == DMM_FM_DECAP)
		return in->match == DMM_FM_DST ? BDP_DECAP_DST : BDP_DECAP_SRC;
	return in->match == DMM_FM_DST ? BDP_DST : BDP_SRC;
}

/* The key of an intent, packed for hashing and comparing. */
struct key {
	uint8_t kind, len;
	uint8_t addr[16];
	uint8_t peer[16];
	uint32_t ifindex;
};

static struct key key_of(const struct bdp_slot *s)
{
	struct key k;

	memset(&k, 0, sizeof(k));
	k.kind = s->kind;
	k.len = s->in.prefix.len;
	memcpy(k.addr, s->in.prefix.addr.b, 16);
	if (s->kind == BDP_DECAP_DST || s->kind == BDP_DECAP_SRC)
		memcpy(k.peer, s->in.peer.b, 16);
	if (s->kind == BDP_SRC)
		k.ifindex = s->ifindex;
	return k;
}

static uint32_t key_hash(const struct bdp_table *t, const struct bdp_slot *s)
{
	struct key k = key_of(s);

	return (uint32_t)dmm_hash_bytes(t->seed, &k, sizeof(k));
}

static bool same_key(const struct bdp_slot *a, const struct bdp_slot *b)
{
	struct key x = key_of(a), y = key_of(b);

	return memcmp(&x, &y, sizeof(x)) == 0;
}

/* Ids from the fm table spread in their low bits (core/fm.c): a multiply keeps them apart. */
static uint32_t id_hash(uint32_t id)
{
	return id * 0x9e3779b1u;
}

int bdp_table_init(struct bdp_table *t, uint32_t cap)
{
	memset(t, 0, sizeof(*t));
	t->slot = calloc(cap, sizeof(*t->slot));
	if (!t->slot || dmm_hidx_init(&t->by_id, &dmm_dp_heap, cap) < 0 ||
	    dmm_hidx_init(&t->by_key, &dmm_dp_heap, cap) < 0) {
		bdp_table_fini(t);
		return -ENOMEM;
	}
	t->cap = cap;
	for (uint32_t i = 0; i < cap; i++)
		t->slot[i].next_free = i + 1 < cap ? i + 1 : BDP_NONE;
	t->free_head = 0;
	t->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
	return 0;
}

void bdp_table_fini(struct bdp_table *t)
{
	dmm_hidx_fini(&t->by_id, &dmm_dp_heap);
	dmm_hidx_fini(&t->by_key, &dmm_dp_heap);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

int bdp_table_add(struct bdp_table *t, const struct dmm_intent *c, uint32_t ifindex)
{
	uint32_t i = t->free_head;
	struct bdp_slot *s;

	if (i == BDP_NONE)
		return -ENOSPC;
	s = &t->slot[i];
	t->free_head = s->next_free;
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->in = *c;
	s->kind = bdp_kind(c);
	s->ifindex = ifindex;
	s->seq = ++t->seq;
	s->next_free = BDP_NONE;
	dmm_hidx_insert(&t->by_id, id_hash(c->id), i); /* room: as many as slots */
	dmm_hidx_insert(&t->by_key, key_hash(t, s), i);
	t->nused++;
	return (int)i;
}

void bdp_table_del(struct bdp_table *t, uint32_t i)
{
	struct bdp_slot *s = &t->slot[i];

	dmm_hidx_remove(&t->by_id, id_hash(s->in.id), i);
	dmm_hidx_remove(&t->by_key, key_hash(t, s), i);
	s->used = false;
	s->next_free = t->free_head;
	t->free_head = i;
	t->nused--;
}

void bdp_table_set(struct bdp_table *t, uint32_t i, const struct dmm_intent *c, uint32_t ifindex)
{
	struct bdp_slot *s = &t->slot[i];

	dmm_hidx_remove(&t->by_key, key_hash(t, s), i);
	s->in = *c;
	s->kind = bdp_kind(c);
	s->ifindex = ifindex;
	dmm_hidx_insert(&t->by_key, key_hash(t, s), i);
}

uint32_t bdp_find_id(const struct bdp_table *t, uint32_t id)
{
	uint32_t pos, i;

	for (i = dmm_hidx_first(&t->by_id, id_hash(id), &pos); i != DMM_HIDX_NONE;
	     i = dmm_hidx_next(&t->by_id, id_hash(id), &pos))
		if (t->slot[i].used && t->slot[i].in.id == id)
			return i;
	return BDP_NONE;
}

uint32_t bdp_best(const struct bdp_table *t, const struct bdp_slot *s)
{
	uint32_t h = key_hash(t, s), pos, i, best = BDP_NONE;

	for (i = dmm_hidx_first(&t->by_key, h, &pos); i != DMM_HIDX_NONE;
	     i = dmm_hidx_next(&t->by_key, h, &pos)) {
		const struct bdp_slot *c = &t->slot[i];

		if (!c->used || !same_key(c, s))
			continue;
		if (best == BDP_NONE || c->in.precedence < t->slot[best].in.precedence ||
		    (c->in.precedence == t->slot[best].in.precedence && c->seq > t->slot[best].seq))
			best = i;
	}
	return best;
}
