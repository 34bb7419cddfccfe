/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The intent table of one role instance (ARCHITECTURE.md rule 3).
 *
 * Intents live in a preallocated slot array of struct dmm_intent, the
 * record the backends and dmm_fm_get() see, with nothing beside it but
 * two links per slot. An id carries its slot + 1 in the low slot_bits
 * bits and the slot's generation above them, up to bit 30: the low part
 * is never 0, so no id is 0, and bit 31 stays clear, so dmm_fm_add() can
 * return every id as a positive int. An id that was removed names no
 * later intent until its slot has been reused 2^(31 - slot_bits) times
 * (at least 64, at the largest capacity).
 *
 * The intents of one owner form a chain through the links, oldest first
 * (the head's prev is the tail), and a hash index holds one entry per
 * owner: its head. So finding an owner's first intent, the next one,
 * adding and removing are O(1), whatever the number of intents an owner
 * holds. A free slot's links hold the free list and its last generation.
 * When the owners are the handles of one table (dmm_fm_new_indexed()),
 * the index is a plain array by the owner's slot instead.
 */
#include <string.h>

#include "dmm/err.h"
#include "dmm/fm.h"
#include "dmm/hash.h"

#define FM_NONE UINT32_MAX

/* An intent slot's links: its owner's chain, or (free slot) the free list and the last generation. */
struct fm_link {
	uint32_t next; /* the owner's next intent (FM_NONE: the last); free: the next free slot */
	uint32_t prev; /* the previous intent (at the head: the tail); free: the slot's generation */
};

struct dmm_fm {
	struct dmm_alloc alloc;
	struct dmm_fm_ops ops;
	struct dmm_intent *slot; /* id == 0: free */
	struct fm_link *link;
	uint32_t capacity, count, free_head;
	uint32_t fresh; /* slots [fresh, capacity) were never used: free, off the list */
	unsigned slot_bits;
	struct dmm_hidx owners; /* owner hash -> the slot of its oldest intent */
	uint32_t *head;		/* instead of owners (dmm_fm_new_indexed): owner.idx -> that slot */
	uint32_t nhead;
};

static uint32_t owner_hash(struct dmm_handle h)
{
	return (uint32_t)dmm_hash_u64((uint64_t)h.gen << 32 | h.idx);
}

static bool same_owner(struct dmm_handle a, struct dmm_handle b)
{
	return a.idx == b.idx && a.gen == b.gen;
}

struct dmm_fm *dmm_fm_new_owners(const struct dmm_alloc *a, uint32_t capacity, uint32_t max_owners,
				 const struct dmm_fm_ops *ops)
{
	struct dmm_fm *fm;

	if (!a || !ops || !ops->install || !ops->remove || capacity == 0 || capacity > (1u << 24))
		return NULL;
	if (max_owners == 0 || max_owners > capacity)
		max_owners = capacity;
	fm = a->zalloc(a->ctx, sizeof(*fm));
	if (!fm)
		return NULL;
	fm->alloc = *a;
	fm->ops = *ops;
	fm->capacity = capacity;
	fm->slot = a->zalloc(a->ctx, sizeof(*fm->slot) * capacity);
	if (!fm->slot)
		goto err_slot;
	fm->link = a->zalloc(a->ctx, sizeof(*fm->link) * capacity);
	if (!fm->link)
		goto err_link;
	if (dmm_hidx_init(&fm->owners, a, max_owners) != 0)
		goto err_hidx;
	while ((1u << fm->slot_bits) <= capacity)
		fm->slot_bits++;
	/* No loop over the slots: they join the free list one at a time, in order (dmm_fm_add()). */
	fm->free_head = FM_NONE;
	return fm;

err_hidx:
	a->free(a->ctx, fm->link);
err_link:
	a->free(a->ctx, fm->slot);
err_slot:
	a->free(a->ctx, fm);
	return NULL;
}

struct dmm_fm *dmm_fm_new_indexed(const struct dmm_alloc *a, uint32_t capacity, uint32_t owner_slots,
				  const struct dmm_fm_ops *ops)
{
	struct dmm_fm *fm;

	if (owner_slots == 0 || owner_slots > (1u << 30))
		return NULL;
	fm = dmm_fm_new_owners(a, capacity, 1, ops); /* an owner index of one entry, unused */
	if (!fm)
		return NULL;
	fm->head = a->zalloc(a->ctx, sizeof(*fm->head) * (size_t)owner_slots);
	if (!fm->head) {
		dmm_fm_free(fm);
		return NULL;
	}
	fm->nhead = owner_slots; /* zeroed: no owner has a head */
	return fm;
}

struct dmm_fm *dmm_fm_new(const struct dmm_alloc *a, uint32_t capacity, const struct dmm_fm_ops *ops)
{
	return dmm_fm_new_owners(a, capacity, capacity, ops);
}

void dmm_fm_free(struct dmm_fm *fm)
{
	if (!fm)
		return;
	/* One pass over the slots ever used: removing never moves another intent. */
	for (uint32_t i = 0; i < fm->fresh; i++)
		if (fm->slot[i].id)
			dmm_fm_del(fm, fm->slot[i].id);
	dmm_hidx_fini(&fm->owners, &fm->alloc);
	if (fm->head)
		fm->alloc.free(fm->alloc.ctx, fm->head);
	fm->alloc.free(fm->alloc.ctx, fm->link);
	fm->alloc.free(fm->alloc.ctx, fm->slot);
	fm->alloc.free(fm->alloc.ctx, fm);
}

size_t dmm_fm_bytes(const struct dmm_fm *fm)
{
	return sizeof(*fm) + ((size_t)sizeof(*fm->slot) + sizeof(*fm->link)) * fm->capacity +
	       dmm_hidx_bytes(&fm->owners) + sizeof(*fm->head) * (size_t)fm->nhead;
}

size_t dmm_fm_bytes_per_intent(const struct dmm_fm *fm)
{
	return (dmm_fm_bytes(fm) + fm->capacity - 1) / fm->capacity;
}

static struct dmm_intent *slot_of(const struct dmm_fm *fm, uint32_t id)
{
	uint32_t i = (id & ((1u << fm->slot_bits) - 1)) - 1;

	if (id == 0 || i >= fm->capacity || fm->slot[i].id != id)
		return NULL;
	return &fm->slot[i];
}

/* The slot of owner's oldest intent, or FM_NONE. */
static uint32_t head_of(const struct dmm_fm *fm, struct dmm_handle owner)
{
	uint32_t h = owner_hash(owner), pos, ref;

	if (fm->head) {
		/* head[] holds the slot + 1, 0 for none, so that zeroed memory is an empty index. */
		ref = owner.idx < fm->nhead ? fm->head[owner.idx] - 1 : FM_NONE;
		return ref != FM_NONE && same_owner(fm->slot[ref].owner, owner) ? ref : FM_NONE;
	}
	for (ref = dmm_hidx_first(&fm->owners, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&fm->owners, h, &pos))
		if (same_owner(fm->slot[ref].owner, owner))
			return ref;
	return FM_NONE;
}

/*
 * Make slot i the head of its owner in the index; DMM_ERR_NOMEM when there
 * is no room (an indexed table: the owner's slot is out of range or
 * still held by another generation).
 */
static int index_put(struct dmm_fm *fm, struct dmm_handle owner, uint32_t i)
{
	if (!fm->head)
		return dmm_hidx_insert(&fm->owners, owner_hash(owner), i) == 0 ? 0 : DMM_ERR_NOMEM;
	if (owner.idx >= fm->nhead || fm->head[owner.idx] != 0)
		return DMM_ERR_NOMEM;
	fm->head[owner.idx] = i + 1;
	return 0;
}

static void index_del(struct dmm_fm *fm, struct dmm_handle owner, uint32_t i)
{
	if (fm->head)
		fm->head[owner.idx] = 0;
	else
		(void)dmm_hidx_remove(&fm->owners, owner_hash(owner), i);
}

/* Append slot i to its owner's chain; DMM_ERR_NOMEM when it is a new owner and there is no room. */
static int chain_add(struct dmm_fm *fm, uint32_t i)
{
	struct dmm_handle owner = fm->slot[i].owner;
	uint32_t head = head_of(fm, owner), tail;

	fm->link[i].next = FM_NONE;
	if (head == FM_NONE) {
		if (index_put(fm, owner, i) != 0)
			return DMM_ERR_NOMEM;
		fm->link[i].prev = i;
		return 0;
	}
	tail = fm->link[head].prev;
	fm->link[tail].next = i;
	fm->link[i].prev = tail;
	fm->link[head].prev = i;
	return 0;
}

/* Take slot i out of its owner's chain (the index follows a new head). */
static void chain_del(struct dmm_fm *fm, uint32_t i)
{
	struct dmm_handle owner = fm->slot[i].owner;
	uint32_t next = fm->link[i].next, prev = fm->link[i].prev, head;

	if (fm->link[prev].next != i) {
		/* i is the head: its successor (if any) becomes the head and keeps the tail. */
		index_del(fm, owner, i);
		if (next != FM_NONE) {
			fm->link[next].prev = prev;
			(void)index_put(fm, owner, next); /* room: one was just removed */
		}
		return;
	}
	fm->link[prev].next = next;
	if (next != FM_NONE) {
		fm->link[next].prev = prev;
		return;
	}
	head = head_of(fm, owner); /* i was the tail */
	fm->link[head].prev = prev;
}

int dmm_fm_add(struct dmm_fm *fm, const struct dmm_intent *in, dmm_time_t now)
{
	uint32_t i, next_free, gen;
	struct dmm_intent *s;
	int err;

	if (fm->free_head == FM_NONE && fm->fresh < fm->capacity) {
		/* The next slot never used joins the free list (its link is zeroed: generation 0). */
		fm->link[fm->fresh].next = FM_NONE;
		fm->free_head = fm->fresh++;
	}
	i = fm->free_head;
	if (i == FM_NONE)
		return DMM_ERR_NOMEM;
	s = &fm->slot[i];
	next_free = fm->link[i].next;
	/*
	 * The generation lives above the slot bits, masked to stay below bit
	 * 31; the slot part (i + 1, never 0) keeps every id non-zero.
	 */
	gen = (fm->link[i].prev + 1) & ((1u << (31 - fm->slot_bits)) - 1);
	*s = *in;
	s->id = (gen << fm->slot_bits) | (i + 1);
	s->packets = s->bytes = 0;
	s->last_active = now;
	err = fm->ops.install(fm->ops.ctx, s);
	if (err >= 0 && chain_add(fm, i) != 0) {
		fm->ops.remove(fm->ops.ctx, s);
		err = DMM_ERR_NOMEM;
	}
	if (err < 0) {
		s->id = 0;
		fm->link[i] = (struct fm_link){next_free, gen};
		return err;
	}
	fm->free_head = next_free;
	fm->count++;
	return (int)s->id;
}

/* Free slot s without a backend call. */
static void drop_slot(struct dmm_fm *fm, struct dmm_intent *s)
{
	uint32_t i = (uint32_t)(s - fm->slot);

	chain_del(fm, i);
	fm->link[i] = (struct fm_link){fm->free_head, s->id >> fm->slot_bits};
	s->id = 0;
	fm->free_head = i;
	fm->count--;
}

int dmm_fm_del(struct dmm_fm *fm, uint32_t id)
{
	struct dmm_intent *s = slot_of(fm, id);

	if (!s)
		return DMM_ERR_NOTFOUND;
	fm->ops.remove(fm->ops.ctx, s);
	drop_slot(fm, s);
	return 0;
}

const struct dmm_intent *dmm_fm_next_owned(const struct dmm_fm *fm, struct dmm_handle owner,
					   const struct dmm_intent *prev)
{
	uint32_t i;

	if (!prev)
		i = head_of(fm, owner);
	else if (same_owner(prev->owner, owner) && prev->id)
		i = fm->link[prev - fm->slot].next;
	else
		return NULL;
	return i == FM_NONE ? NULL : &fm->slot[i];
}

unsigned dmm_fm_del_owner(struct dmm_fm *fm, struct dmm_handle owner)
{
	const struct dmm_intent *in;
	unsigned n = 0;

	/* Oldest first; each removal makes the next one the head. */
	while ((in = dmm_fm_next_owned(fm, owner, NULL)) != NULL) {
		dmm_fm_del(fm, in->id);
		n++;
	}
	return n;
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
 * the owner chain stay; the counters start again (a new forwarding): a
 * backend's counters of the id start from 0 after a replace.
 */
static int replace_in_place(struct dmm_fm *fm, const struct dmm_intent *old, const struct dmm_intent *in,
			    dmm_time_t now)
{
	struct dmm_intent *s = slot_of(fm, old->id);
	struct dmm_intent next = *in;
	int err;

	next.id = old->id;
	next.packets = next.bytes = 0;
	next.last_active = now;
	err = fm->ops.replace(fm->ops.ctx, s, &next);
	if (err < 0) {
		drop_slot(fm, s);
		return err;
	}
	*s = next; /* the same owner: the chain stays */
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
	const struct dmm_intent *in, *next;
	unsigned n = 0;

	/* Removing one intent leaves the links of the others in place: the walk goes on from its successor. */
	for (in = dmm_fm_next_owned(fm, owner, NULL); in; in = next) {
		next = dmm_fm_next_owned(fm, owner, in);
		if (kept(in->id, keep, nkeep))
			continue;
		dmm_fm_del(fm, in->id);
		n++;
	}
	return n;
}

const struct dmm_intent *dmm_fm_get(const struct dmm_fm *fm, uint32_t id)
{
	return slot_of(fm, id);
}

const struct dmm_intent *dmm_fm_next(const struct dmm_fm *fm, const struct dmm_intent *prev)
{
	uint32_t i = prev ? (uint32_t)(prev - fm->slot) + 1 : 0;

	for (; i < fm->capacity; i++)
		if (fm->slot[i].id)
			return &fm->slot[i];
	return NULL;
}

int dmm_fm_report(struct dmm_fm *fm, uint32_t id, uint64_t packets, uint64_t bytes, dmm_time_t now)
{
	struct dmm_intent *s = slot_of(fm, id);

	if (!s)
		return DMM_ERR_NOTFOUND;
	if (packets != s->packets)
		s->last_active = now;
	s->packets = packets;
	s->bytes = bytes;
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
