/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The intent table of one role instance (ARCHITECTURE.md rule 3).
 *
 * Intents live in a preallocated slot array. An id carries its slot + 1
 * in the low slot_bits bits and the slot's generation above them, up to
 * bit 30: the low part is never 0, so no id is 0, and bit 31 stays clear,
 * so dmm_fm_add() can return every id as a positive int. An id that was
 * removed names no later intent until its slot has been reused
 * 2^(31 - slot_bits) times (at least 64, at the largest capacity). The
 * owner index (a hash multimap from owner handle to slot) lets a
 * binding's intents go with it.
 */
#include <string.h>

#include "dmm/err.h"
#include "dmm/fm.h"
#include "dmm/hash.h"

struct fm_slot {
	struct dmm_intent in; /* in.id == 0: free */
	uint32_t next_free;
};

struct dmm_fm {
	struct dmm_alloc alloc;
	struct dmm_fm_ops ops;
	struct fm_slot *slot;
	uint32_t capacity, count, free_head;
	uint32_t *gen;
	unsigned slot_bits;
	struct dmm_hidx owners;
};

static uint32_t owner_hash(struct dmm_handle h)
{
	return (uint32_t)dmm_hash_u64((uint64_t)h.gen << 32 | h.idx);
}

struct dmm_fm *dmm_fm_new(const struct dmm_alloc *a, uint32_t capacity, const struct dmm_fm_ops *ops)
{
	struct dmm_fm *fm;

	if (!a || !ops || !ops->install || !ops->remove || capacity == 0 || capacity > (1u << 24))
		return NULL;
	fm = a->zalloc(a->ctx, sizeof(*fm));
	if (!fm)
		return NULL;
	fm->alloc = *a;
	fm->ops = *ops;
	fm->capacity = capacity;
	fm->slot = a->zalloc(a->ctx, sizeof(*fm->slot) * capacity);
	if (!fm->slot)
		goto err_slot;
	fm->gen = a->zalloc(a->ctx, sizeof(*fm->gen) * capacity);
	if (!fm->gen)
		goto err_gen;
	if (dmm_hidx_init(&fm->owners, a, capacity) != 0)
		goto err_hidx;
	while ((1u << fm->slot_bits) <= capacity)
		fm->slot_bits++;
	for (uint32_t i = 0; i < capacity; i++)
		fm->slot[i].next_free = i + 1 < capacity ? i + 1 : UINT32_MAX;
	fm->free_head = 0;
	return fm;

err_hidx:
	a->free(a->ctx, fm->gen);
err_gen:
	a->free(a->ctx, fm->slot);
err_slot:
	a->free(a->ctx, fm);
	return NULL;
}

void dmm_fm_free(struct dmm_fm *fm)
{
	if (!fm)
		return;
	/* One pass over the slots: removing never moves another intent. */
	for (uint32_t i = 0; i < fm->capacity; i++)
		if (fm->slot[i].in.id)
			dmm_fm_del(fm, fm->slot[i].in.id);
	dmm_hidx_fini(&fm->owners, &fm->alloc);
	fm->alloc.free(fm->alloc.ctx, fm->gen);
	fm->alloc.free(fm->alloc.ctx, fm->slot);
	fm->alloc.free(fm->alloc.ctx, fm);
}

static struct fm_slot *slot_of(const struct dmm_fm *fm, uint32_t id)
{
	uint32_t i = (id & ((1u << fm->slot_bits) - 1)) - 1;

	if (id == 0 || i >= fm->capacity || fm->slot[i].in.id != id)
		return NULL;
	return &fm->slot[i];
}

int dmm_fm_add(struct dmm_fm *fm, const struct dmm_intent *in, dmm_time_t now)
{
	uint32_t i = fm->free_head;
	struct fm_slot *s;
	int err;

	if (i == UINT32_MAX)
		return DMM_ERR_NOMEM;
	s = &fm->slot[i];
	s->in = *in;
	/*
	 * The generation lives above the slot bits, masked to stay below bit
	 * 31; the slot part (i + 1, never 0) keeps every id non-zero.
	 */
	fm->gen[i] = (fm->gen[i] + 1) & ((1u << (31 - fm->slot_bits)) - 1);
	s->in.id = (fm->gen[i] << fm->slot_bits) | (i + 1);
	s->in.packets = s->in.bytes = 0;
	s->in.last_active = now;
	err = fm->ops.install(fm->ops.ctx, &s->in);
	if (err < 0) {
		s->in.id = 0;
		return err;
	}
	if (dmm_hidx_insert(&fm->owners, owner_hash(in->owner), i) != 0) {
		fm->ops.remove(fm->ops.ctx, &s->in);
		s->in.id = 0;
		return DMM_ERR_NOMEM;
	}
	fm->free_head = s->next_free;
	fm->count++;
	return (int)s->in.id;
}

/* Free s's slot without a backend call. */
static void drop_slot(struct dmm_fm *fm, struct fm_slot *s)
{
	uint32_t i = (uint32_t)(s - fm->slot);

	dmm_hidx_remove(&fm->owners, owner_hash(s->in.owner), i);
	s->in.id = 0;
	s->next_free = fm->free_head;
	fm->free_head = i;
	fm->count--;
}

int dmm_fm_del(struct dmm_fm *fm, uint32_t id)
{
	struct fm_slot *s = slot_of(fm, id);

	if (!s)
		return DMM_ERR_NOTFOUND;
	fm->ops.remove(fm->ops.ctx, &s->in);
	drop_slot(fm, s);
	return 0;
}

const struct dmm_intent *dmm_fm_next_owned(const struct dmm_fm *fm, struct dmm_handle owner,
					   const struct dmm_intent *prev)
{
	uint32_t h = owner_hash(owner), pos, ref;
	bool past = prev == NULL;

	for (ref = dmm_hidx_first(&fm->owners, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&fm->owners, h, &pos)) {
		const struct dmm_intent *in = &fm->slot[ref].in;

		if (in->owner.idx != owner.idx || in->owner.gen != owner.gen)
			continue;
		if (past)
			return in;
		if (in == prev)
			past = true;
	}
	return NULL;
}

unsigned dmm_fm_del_owner(struct dmm_fm *fm, struct dmm_handle owner)
{
	const struct dmm_intent *in;
	unsigned n = 0;

	while ((in = dmm_fm_next_owned(fm, owner, NULL)) != NULL) {
		dmm_fm_del(fm, in->id);
		n++;
	}
	return n;
}

static bool same_owner(struct dmm_handle a, struct dmm_handle b)
{
	return a.idx == b.idx && a.gen == b.gen;
}

bool dmm_fm_same(const struct dmm_intent *a, const struct dmm_intent *b)
{
	return same_owner(a->owner, b->owner) && a->match == b->match && a->action == b->action &&
	       a->precedence == b->precedence && a->link == b->link &&
	       dmm_prefix_eq(&a->prefix, &b->prefix) && dmm_addr_eq(&a->local, &b->local) &&
	       dmm_addr_eq(&a->peer, &b->peer);
}

/*
 * Whether a and b claim the same place in a backend: one route per
 * destination and precedence (the kernel's NLM_F_EXCL refuses a second
 * one), while decapsulation is per peer, so two DECAPs from different
 * peers live side by side.
 */
static bool same_place(const struct dmm_intent *a, const struct dmm_intent *b)
{
	bool da = a->action == DMM_FM_DECAP, db = b->action == DMM_FM_DECAP;

	return a->match == b->match && a->precedence == b->precedence && da == db &&
	       dmm_prefix_eq(&a->prefix, &b->prefix) && (!da || dmm_addr_eq(&a->peer, &b->peer));
}

/*
 * One backend call swaps old's forwarding for in's: the slot, the id and
 * the owner chain stay; the counters start again (a new forwarding).
 */
static int replace_in_place(struct dmm_fm *fm, const struct dmm_intent *old, const struct dmm_intent *in,
			    dmm_time_t now)
{
	struct fm_slot *s = slot_of(fm, old->id);
	struct dmm_intent next = *in;
	int err;

	next.id = old->id;
	next.packets = next.bytes = 0;
	next.last_active = now;
	err = fm->ops.replace(fm->ops.ctx, &s->in, &next);
	if (err < 0) {
		drop_slot(fm, s);
		return err;
	}
	s->in = next;
	return (int)next.id;
}

int dmm_fm_ensure(struct dmm_fm *fm, const struct dmm_intent *in, dmm_time_t now)
{
	const struct dmm_intent *old = NULL;

	for (const struct dmm_intent *x = dmm_fm_next_owned(fm, in->owner, NULL); x;
	     x = dmm_fm_next_owned(fm, in->owner, x)) {
		if (dmm_fm_same(x, in))
			return (int)x->id; /* nothing changes: no backend call */
		if (!old && same_place(x, in))
			old = x;
	}
	if (old && fm->ops.replace)
		return replace_in_place(fm, old, in, now);
	if (old)
		dmm_fm_del(fm, old->id); /* its slot is the next one dmm_fm_add() takes */
	return dmm_fm_add(fm, in, now);
}

static bool kept(uint32_t id, const uint32_t *keep, unsigned nkeep)
{
	for (unsigned i = 0; i < nkeep; i++)
		if (keep[i] == id)
			return true;
	return false;
}

unsigned dmm_fm_del_owner_except(struct dmm_fm *fm, struct dmm_handle owner, const uint32_t *keep,
				 unsigned nkeep)
{
	const struct dmm_intent *in = NULL;
	unsigned n = 0;

	/* Removing never moves another intent, but it may reorder the owner chain: start over. */
	while ((in = dmm_fm_next_owned(fm, owner, in)) != NULL) {
		if (kept(in->id, keep, nkeep))
			continue;
		dmm_fm_del(fm, in->id);
		n++;
		in = NULL;
	}
	return n;
}

const struct dmm_intent *dmm_fm_get(const struct dmm_fm *fm, uint32_t id)
{
	struct fm_slot *s = slot_of(fm, id);

	return s ? &s->in : NULL;
}

const struct dmm_intent *dmm_fm_next(const struct dmm_fm *fm, const struct dmm_intent *prev)
{
	uint32_t i = prev ? (uint32_t)((const struct fm_slot *)(const void *)prev - fm->slot) + 1 : 0;

	for (; i < fm->capacity; i++)
		if (fm->slot[i].in.id)
			return &fm->slot[i].in;
	return NULL;
}

int dmm_fm_report(struct dmm_fm *fm, uint32_t id, uint64_t packets, uint64_t bytes, dmm_time_t now)
{
	struct fm_slot *s = slot_of(fm, id);

	if (!s)
		return DMM_ERR_NOTFOUND;
	if (packets != s->in.packets)
		s->in.last_active = now;
	s->in.packets = packets;
	s->in.bytes = bytes;
	return 0;
}

uint32_t dmm_fm_count(const struct dmm_fm *fm)
{
	return fm->count;
}

const char *dmm_fm_action_name(uint8_t action)
{
	static const char *const n[] = {"encap", "decap", "deliver", "buffer", "drop"};

	return action < 5 ? n[action] : "?";
}

const char *dmm_fm_match_name(uint8_t match)
{
	return match == DMM_FM_DST ? "dst" : match == DMM_FM_SRC ? "src" : "?";
}
