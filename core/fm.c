/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The intent table of one role instance (ARCHITECTURE.md rule 3).
 *
 * Intents live in a preallocated array of compact records (struct
 * fm_rec, 72 octets against the 96 of struct dmm_intent and its 8 of
 * links before): the tunnel ends are numbers in a table of addresses
 * (each address once, counted by the records that name it), the match
 * and the action share an octet, the links of the owner's chain are in
 * the record. A struct dmm_intent is built from a record when a backend
 * is called (on the stack, valid during the call) and when a caller asks
 * (dmm_fm_get() and the walks: into one of a few views of the table).
 *
 * An id carries its slot + 1 in the low slot_bits bits and the slot's
 * generation above them, up to bit 30: the low part is never 0, so no id
 * is 0, and bit 31 stays clear, so dmm_fm_add() can return every id as a
 * positive int. An id that was removed names no later intent until its
 * slot has been reused 2^(31 - slot_bits) times (at least 64, at the
 * largest capacity).
 *
 * The intents of one owner form a chain through the records, oldest first
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
#define FM_VIEWS 4	   /* intents built for callers at a time (fm.h) */
#define FM_ADDR_MAX 65535u /* addresses a table holds at most (a 16-bit number, 0 for none) */

/* One intent. A free record: id 0, next the next free slot, prev the slot's last generation. */
struct fm_rec {
	uint32_t id;
	uint32_t next; /* the owner's next intent (FM_NONE: the last) */
	uint32_t prev; /* the previous intent (at the head: the tail) */
	uint32_t link;
	uint8_t prefix[16];
	struct dmm_handle owner;
	uint8_t ma; /* match (bit 0) and action (the bits above) */
	uint8_t plen;
	uint16_t precedence;
	uint16_t local, peer; /* address numbers: 0 the zero address, else the table's slot + 1 */
	uint64_t packets, bytes;
	dmm_time_t last_active;
};

_Static_assert(sizeof(struct fm_rec) == 72, "an intent record is 72 octets");

struct dmm_fm {
	struct dmm_alloc alloc;
	struct dmm_fm_ops ops;
	struct fm_rec *rec;
	uint32_t capacity, count, free_head;
	uint32_t fresh; /* slots [fresh, capacity) were never used: free, off the list */
	unsigned slot_bits;
	struct dmm_hidx owners; /* owner hash -> the slot of its oldest intent */
	uint32_t *head;		/* instead of owners (dmm_fm_new_indexed): owner.idx -> that slot */
	uint32_t nhead;
	/* The addresses of the tunnel ends: each once, with the records that name it. */
	struct dmm_addr *addr;
	uint32_t *addr_refs; /* 0: free slot */
	uint32_t addr_cap, addr_free, addr_fresh;
	struct dmm_hidx addr_idx;
	/* What dmm_fm_get() and the walks return: a few intents built from records, in turn. */
	struct dmm_intent *views;
	unsigned view_next;
};

static uint32_t owner_hash(struct dmm_handle h)
{
	return (uint32_t)dmm_hash_u64((uint64_t)h.gen << 32 | h.idx);
}

static bool same_owner(struct dmm_handle a, struct dmm_handle b)
{
	return a.idx == b.idx && a.gen == b.gen;
}

/* --- the address table --- */

static uint32_t addr_hash(const struct dmm_addr *a)
{
	uint64_t hi, lo;

	memcpy(&hi, a->b, 8);
	memcpy(&lo, a->b + 8, 8);
	return (uint32_t)dmm_hash_u64(hi ^ dmm_hash_u64(lo));
}

static const struct dmm_addr *addr_of(const struct dmm_fm *fm, uint16_t n)
{
	static const struct dmm_addr zero;

	return n ? &fm->addr[n - 1] : &zero;
}

/* The number of address a, 0 for the zero address, or FM_NONE when it is not in the table. */
static uint32_t addr_find(const struct dmm_fm *fm, const struct dmm_addr *a)
{
	uint32_t h, pos, r;

	if (dmm_addr_is_zero(a))
		return 0;
	h = addr_hash(a);
	for (r = dmm_hidx_first(&fm->addr_idx, h, &pos); r != DMM_HIDX_NONE;
	     r = dmm_hidx_next(&fm->addr_idx, h, &pos))
		if (dmm_addr_eq(&fm->addr[r], a))
			return r + 1;
	return FM_NONE;
}

/* One more record names a: its number (0 for the zero address), or FM_NONE when the table is full. */
static uint32_t addr_hold(struct dmm_fm *fm, const struct dmm_addr *a)
{
	uint32_t n = addr_find(fm, a), r;

	if (n == 0)
		return 0;
	if (n != FM_NONE) {
		fm->addr_refs[n - 1]++;
		return n;
	}
	if (fm->addr_free == FM_NONE && fm->addr_fresh < fm->addr_cap) {
		/* The next slot never used joins the free list: its octets link none after it. */
		r = fm->addr_fresh++;
		memcpy(fm->addr[r].b, &fm->addr_free, sizeof(fm->addr_free));
		fm->addr_free = r;
	}
	r = fm->addr_free;
	if (r == FM_NONE || dmm_hidx_insert(&fm->addr_idx, addr_hash(a), r) != 0)
		return FM_NONE;
	/* A free slot's address octets hold the next free one. */
	memcpy(&fm->addr_free, fm->addr[r].b, sizeof(fm->addr_free));
	fm->addr[r] = *a;
	fm->addr_refs[r] = 1;
	return r + 1;
}

/* A record that named address n is gone. */
static void addr_drop(struct dmm_fm *fm, uint16_t n)
{
	uint32_t r = (uint32_t)n - 1;

	if (n == 0 || --fm->addr_refs[r])
		return;
	(void)dmm_hidx_remove(&fm->addr_idx, addr_hash(&fm->addr[r]), r);
	memset(&fm->addr[r], 0, sizeof(fm->addr[r]));
	memcpy(fm->addr[r].b, &fm->addr_free, sizeof(fm->addr_free));
	fm->addr_free = r;
}

/* --- records and intents --- */

/* The intent record r holds, into out. */
static void build(const struct dmm_fm *fm, const struct fm_rec *r, struct dmm_intent *out)
{
	memset(out, 0, sizeof(*out));
	out->id = r->id;
	out->match = r->ma & 1;
	out->action = r->ma >> 1;
	out->precedence = r->precedence;
	memcpy(out->prefix.addr.b, r->prefix, 16);
	out->prefix.len = r->plen;
	out->link = r->link;
	out->local = *addr_of(fm, r->local);
	out->peer = *addr_of(fm, r->peer);
	out->owner = r->owner;
	out->packets = r->packets;
	out->bytes = r->bytes;
	out->last_active = r->last_active;
}

/* The intent of record r in the next view (fm.h: valid for the next FM_VIEWS - 1 calls). */
static const struct dmm_intent *view(const struct dmm_fm *fm, const struct fm_rec *r)
{
	struct dmm_fm *w = (struct dmm_fm *)(uintptr_t)fm; /* made writable by dmm_fm_new_owners() */
	struct dmm_intent *v = &w->views[w->view_next++ % FM_VIEWS];

	build(fm, r, v);
	return v;
}

/* True when record r forwards as in does (dmm_fm_same() on the record). */
static bool rec_same(const struct dmm_fm *fm, const struct fm_rec *r, const struct dmm_intent *in)
{
	return same_owner(r->owner, in->owner) && (r->ma & 1) == in->match && (r->ma >> 1) == in->action &&
	       r->precedence == in->precedence && r->link == in->link && r->plen == in->prefix.len &&
	       memcmp(r->prefix, in->prefix.addr.b, 16) == 0 &&
	       dmm_addr_eq(addr_of(fm, r->local), &in->local) && dmm_addr_eq(addr_of(fm, r->peer), &in->peer);
}

/* What in says into record r, its addresses held; DMM_ERR_NOMEM when the address table is full. */
static int rec_fill(struct dmm_fm *fm, struct fm_rec *r, const struct dmm_intent *in)
{
	uint32_t local = addr_hold(fm, &in->local), peer;

	if (local == FM_NONE)
		return DMM_ERR_NOMEM;
	peer = addr_hold(fm, &in->peer);
	if (peer == FM_NONE) {
		addr_drop(fm, (uint16_t)local);
		return DMM_ERR_NOMEM;
	}
	r->ma = (uint8_t)((in->match & 1) | in->action << 1);
	r->precedence = in->precedence;
	memcpy(r->prefix, in->prefix.addr.b, 16);
	r->plen = in->prefix.len;
	r->link = in->link;
	r->owner = in->owner;
	r->local = (uint16_t)local;
	r->peer = (uint16_t)peer;
	return 0;
}

/* Record r no longer names its addresses. */
static void rec_release(struct dmm_fm *fm, struct fm_rec *r)
{
	addr_drop(fm, r->local);
	addr_drop(fm, r->peer);
	r->local = r->peer = 0;
}

/* The address table and the views: 0 or DMM_ERR_NOMEM. */
static int alloc_addrs(struct dmm_fm *fm, const struct dmm_alloc *a)
{
	fm->addr_cap = fm->capacity + 2 < FM_ADDR_MAX ? fm->capacity + 2 : FM_ADDR_MAX;
	fm->addr = a->zalloc(a->ctx, sizeof(*fm->addr) * fm->addr_cap);
	fm->addr_refs = a->zalloc(a->ctx, sizeof(*fm->addr_refs) * fm->addr_cap);
	fm->views = a->zalloc(a->ctx, sizeof(*fm->views) * FM_VIEWS);
	if (!fm->addr || !fm->addr_refs || !fm->views || dmm_hidx_init(&fm->addr_idx, a, fm->addr_cap) != 0)
		return DMM_ERR_NOMEM;
	fm->addr_free = FM_NONE;
	return 0;
}

static void free_parts(struct dmm_fm *fm)
{
	const struct dmm_alloc *a = &fm->alloc;

	dmm_hidx_fini(&fm->addr_idx, a);
	dmm_hidx_fini(&fm->owners, a);
	if (fm->views)
		a->free(a->ctx, fm->views);
	if (fm->addr_refs)
		a->free(a->ctx, fm->addr_refs);
	if (fm->addr)
		a->free(a->ctx, fm->addr);
	if (fm->head)
		a->free(a->ctx, fm->head);
	if (fm->rec)
		a->free(a->ctx, fm->rec);
	a->free(a->ctx, fm);
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
	fm->rec = a->zalloc(a->ctx, sizeof(*fm->rec) * capacity);
	if (!fm->rec || dmm_hidx_init(&fm->owners, a, max_owners) != 0 || alloc_addrs(fm, a) != 0) {
		/* One step: free_parts() skips what was not allocated (zeroed header). */
		free_parts(fm);
		return NULL;
	}
	while ((1u << fm->slot_bits) <= capacity)
		fm->slot_bits++;
	/* No loop over the slots: they join the free list one at a time, in order (dmm_fm_add()). */
	fm->free_head = FM_NONE;
	return fm;
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
		if (fm->rec[i].id)
			dmm_fm_del(fm, fm->rec[i].id);
	free_parts(fm);
}

size_t dmm_fm_bytes(const struct dmm_fm *fm)
{
	return sizeof(*fm) + sizeof(*fm->rec) * (size_t)fm->capacity + dmm_hidx_bytes(&fm->owners) +
	       sizeof(*fm->head) * (size_t)fm->nhead +
	       (sizeof(*fm->addr) + sizeof(*fm->addr_refs)) * (size_t)fm->addr_cap +
	       dmm_hidx_bytes(&fm->addr_idx) + sizeof(*fm->views) * FM_VIEWS;
}

size_t dmm_fm_bytes_per_intent(const struct dmm_fm *fm)
{
	return (dmm_fm_bytes(fm) + fm->capacity - 1) / fm->capacity;
}

/* The slot an id names (its low bits), live or not, or FM_NONE when out of range. */
static uint32_t slot_num(const struct dmm_fm *fm, uint32_t id)
{
	uint32_t i = (id & ((1u << fm->slot_bits) - 1)) - 1;

	return id == 0 || i >= fm->capacity ? FM_NONE : i;
}

static struct fm_rec *slot_of(const struct dmm_fm *fm, uint32_t id)
{
	uint32_t i = slot_num(fm, id);

	return i == FM_NONE || fm->rec[i].id != id ? NULL : &fm->rec[i];
}

/* The slot of owner's oldest intent, or FM_NONE. */
static uint32_t head_of(const struct dmm_fm *fm, struct dmm_handle owner)
{
	uint32_t h = owner_hash(owner), pos, ref;

	if (fm->head) {
		/* head[] holds the slot + 1, 0 for none, so that zeroed memory is an empty index. */
		ref = owner.idx < fm->nhead ? fm->head[owner.idx] - 1 : FM_NONE;
		return ref != FM_NONE && same_owner(fm->rec[ref].owner, owner) ? ref : FM_NONE;
	}
	for (ref = dmm_hidx_first(&fm->owners, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&fm->owners, h, &pos))
		if (same_owner(fm->rec[ref].owner, owner))
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
	struct dmm_handle owner = fm->rec[i].owner;
	uint32_t head = head_of(fm, owner), tail;

	fm->rec[i].next = FM_NONE;
	if (head == FM_NONE) {
		if (index_put(fm, owner, i) != 0)
			return DMM_ERR_NOMEM;
		fm->rec[i].prev = i;
		return 0;
	}
	tail = fm->rec[head].prev;
	fm->rec[tail].next = i;
	fm->rec[i].prev = tail;
	fm->rec[head].prev = i;
	return 0;
}

/* Take slot i out of its owner's chain (the index follows a new head). */
static void chain_del(struct dmm_fm *fm, uint32_t i)
{
	struct dmm_handle owner = fm->rec[i].owner;
	uint32_t next = fm->rec[i].next, prev = fm->rec[i].prev, head;

	if (fm->rec[prev].next != i) {
		/* i is the head: its successor (if any) becomes the head and keeps the tail. */
		index_del(fm, owner, i);
		if (next != FM_NONE) {
			fm->rec[next].prev = prev;
			(void)index_put(fm, owner, next); /* room: one was just removed */
		}
		return;
	}
	fm->rec[prev].next = next;
	if (next != FM_NONE) {
		fm->rec[next].prev = prev;
		return;
	}
	head = head_of(fm, owner); /* i was the tail */
	fm->rec[head].prev = prev;
}

/* Free slot i (its links: the free list and its generation) without a backend call. */
static void free_slot(struct dmm_fm *fm, uint32_t i, uint32_t gen)
{
	struct fm_rec *r = &fm->rec[i];

	rec_release(fm, r);
	r->id = 0;
	r->next = fm->free_head;
	r->prev = gen;
	fm->free_head = i;
}

int dmm_fm_add(struct dmm_fm *fm, const struct dmm_intent *in, dmm_time_t now)
{
	uint32_t i, gen;
	struct dmm_intent full;
	struct fm_rec *r;
	int err;

	if (fm->free_head == FM_NONE && fm->fresh < fm->capacity) {
		/* The next slot never used joins the free list (zeroed: generation 0). */
		fm->rec[fm->fresh].next = FM_NONE;
		fm->free_head = fm->fresh++;
	}
	i = fm->free_head;
	if (i == FM_NONE)
		return DMM_ERR_NOMEM;
	r = &fm->rec[i];
	/*
	 * The generation lives above the slot bits, masked to stay below bit
	 * 31; the slot part (i + 1, never 0) keeps every id non-zero.
	 */
	gen = (r->prev + 1) & ((1u << (31 - fm->slot_bits)) - 1);
	if (rec_fill(fm, r, in) != 0)
		return DMM_ERR_NOMEM;
	fm->free_head = r->next;
	r->id = (gen << fm->slot_bits) | (i + 1);
	r->packets = r->bytes = 0;
	r->last_active = now;
	build(fm, r, &full);
	err = fm->ops.install(fm->ops.ctx, &full);
	if (err >= 0 && chain_add(fm, i) != 0) {
		fm->ops.remove(fm->ops.ctx, &full);
		err = DMM_ERR_NOMEM;
	}
	if (err < 0) {
		free_slot(fm, i, gen);
		return err;
	}
	fm->count++;
	return (int)r->id;
}

/* Free slot r without a backend call. */
static void drop_slot(struct dmm_fm *fm, struct fm_rec *r)
{
	uint32_t i = (uint32_t)(r - fm->rec);

	chain_del(fm, i);
	free_slot(fm, i, r->id >> fm->slot_bits);
	fm->count--;
}

int dmm_fm_del(struct dmm_fm *fm, uint32_t id)
{
	struct fm_rec *r = slot_of(fm, id);
	struct dmm_intent full;

	if (!r)
		return DMM_ERR_NOTFOUND;
	build(fm, r, &full);
	fm->ops.remove(fm->ops.ctx, &full);
	drop_slot(fm, r);
	return 0;
}

/* The slot of owner's intent after slot prev (FM_NONE: its first), or FM_NONE. */
static uint32_t next_owned(const struct dmm_fm *fm, struct dmm_handle owner, uint32_t prev)
{
	if (prev == FM_NONE)
		return head_of(fm, owner);
	return fm->rec[prev].id && same_owner(fm->rec[prev].owner, owner) ? fm->rec[prev].next : FM_NONE;
}

const struct dmm_intent *dmm_fm_next_owned(const struct dmm_fm *fm, struct dmm_handle owner,
					   const struct dmm_intent *prev)
{
	uint32_t i = FM_NONE;

	if (prev) {
		i = slot_num(fm, prev->id);
		if (i == FM_NONE || fm->rec[i].id != prev->id)
			return NULL;
	}
	i = next_owned(fm, owner, i);
	return i == FM_NONE ? NULL : view(fm, &fm->rec[i]);
}

unsigned dmm_fm_del_owner(struct dmm_fm *fm, struct dmm_handle owner)
{
	uint32_t i;
	unsigned n = 0;

	/* Oldest first; each removal makes the next one the head. */
	while ((i = head_of(fm, owner)) != FM_NONE) {
		dmm_fm_del(fm, fm->rec[i].id);
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
 * Whether record r and in claim the same place in a backend: one route
 * per destination and precedence (the kernel's NLM_F_EXCL refuses a
 * second one), while decapsulation is per peer, so two DECAPs from
 * different peers live side by side.
 */
static bool same_place(const struct dmm_fm *fm, const struct fm_rec *r, const struct dmm_intent *in)
{
	bool da = (r->ma >> 1) == DMM_FM_DECAP, db = in->action == DMM_FM_DECAP;

	return (r->ma & 1) == in->match && r->precedence == in->precedence && da == db &&
	       r->plen == in->prefix.len && memcmp(r->prefix, in->prefix.addr.b, 16) == 0 &&
	       (!da || dmm_addr_eq(addr_of(fm, r->peer), &in->peer));
}

/*
 * One backend call swaps the forwarding of slot r for in's: the slot, the
 * id and the owner chain stay; the counters start again (a new
 * forwarding): a backend's counters of the id start from 0 after a
 * replace.
 */
static int replace_in_place(struct dmm_fm *fm, struct fm_rec *r, const struct dmm_intent *in, dmm_time_t now)
{
	struct dmm_intent old, next = *in;
	struct fm_rec was = *r;
	int err;

	build(fm, r, &old);
	next.id = r->id;
	next.packets = next.bytes = 0;
	next.last_active = now;
	err = fm->ops.replace(fm->ops.ctx, &old, &next);
	if (err >= 0 && rec_fill(fm, r, &next) != 0) {
		fm->ops.remove(fm->ops.ctx, &next);
		err = DMM_ERR_NOMEM;
	}
	if (err < 0) {
		*r = was;
		drop_slot(fm, r);
		return err;
	}
	rec_release(fm, &was); /* after the new ones are held: a shared address stays in place */
	r->packets = r->bytes = 0;
	r->last_active = now;
	return (int)r->id;
}

int dmm_fm_ensure(struct dmm_fm *fm, const struct dmm_intent *in, dmm_time_t now)
{
	uint32_t old = FM_NONE;

	for (uint32_t i = head_of(fm, in->owner); i != FM_NONE; i = fm->rec[i].next) {
		if (rec_same(fm, &fm->rec[i], in))
			return (int)fm->rec[i].id; /* nothing changes: no backend call */
		if (old == FM_NONE && same_place(fm, &fm->rec[i], in))
			old = i;
	}
	if (old != FM_NONE && fm->ops.replace)
		return replace_in_place(fm, &fm->rec[old], in, now);
	if (old != FM_NONE)
		dmm_fm_del(fm, fm->rec[old].id); /* its slot is the next one dmm_fm_add() takes */
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
	uint32_t i, next;
	unsigned n = 0;

	/* Removing one intent leaves the links of the others in place: the walk goes on from its successor. */
	for (i = head_of(fm, owner); i != FM_NONE; i = next) {
		next = fm->rec[i].next;
		if (kept(fm->rec[i].id, keep, nkeep))
			continue;
		dmm_fm_del(fm, fm->rec[i].id);
		n++;
	}
	return n;
}

const struct dmm_intent *dmm_fm_get(const struct dmm_fm *fm, uint32_t id)
{
	const struct fm_rec *r = slot_of(fm, id);

	return r ? view(fm, r) : NULL;
}

const struct dmm_intent *dmm_fm_next(const struct dmm_fm *fm, const struct dmm_intent *prev)
{
	uint32_t i = 0;

	if (prev) {
		i = slot_num(fm, prev->id);
		if (i == FM_NONE)
			return NULL;
		i++;
	}
	for (; i < fm->fresh; i++)
		if (fm->rec[i].id)
			return view(fm, &fm->rec[i]);
	return NULL;
}

int dmm_fm_report(struct dmm_fm *fm, uint32_t id, uint64_t packets, uint64_t bytes, dmm_time_t now)
{
	struct fm_rec *r = slot_of(fm, id);

	if (!r)
		return DMM_ERR_NOTFOUND;
	if (packets != r->packets)
		r->last_active = now;
	r->packets = packets;
	r->bytes = bytes;
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
