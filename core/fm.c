/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The intent table of one role instance (ARCHITECTURE.md rule 3).
 *
 * Intents live in a preallocated array of compact records (struct
 * fm_rec, 48 octets against the 96 of struct dmm_intent and its 8 of
 * links before): the tunnel ends are numbers in a table of addresses
 * (each address once, counted by the records that name it), the match
 * and the action share an octet, the links of the owner's chain are in
 * the record. The counters (24 octets) are in an array beside the
 * records, only in a table that keeps them (not an indexed one). A struct dmm_intent is built from a record when a backend
 * is called (on the stack, valid during the call) and when a caller asks
 * (dmm_fm_get() and the walks: into one of a few views of the table).
 *
 * An id carries its slot + 1 in the low slot_bits bits and the slot's
 * generation above them, up to bit 30: the low part is never 0, so no id
 * is 0, and bit 31 stays clear, so dmm_fm_add() can return every id as a
 * positive int. An id that was removed names no later intent until its
 * slot has been reused 2^(31 - slot_bits) times (at least 32, at the
 * largest capacity).
 *
 * The intents of one owner form a chain through the records, oldest first
 * (the head's prev is the tail), and a hash index holds one entry per
 * owner: its head. So finding an owner's first intent, the next one,
 * adding and removing are O(1), whatever the number of intents an owner
 * holds. A free slot's links hold the free list and its last generation.
 *
 * When the owners are the handles of one table (dmm_fm_new_indexed()),
 * each owner slot has a home (struct fm_home, 32 octets, two to a line):
 * room for FM_HOME intents of the owner with the prefix the owner names
 * for its home (an LMA's downlink and uplink of a binding's first HNP:
 * the binding cache entry holds it, so the home does not), with no
 * links, owner, prefix, full id or counters of their own: 10 octets an
 * intent instead of a record's 48. Such a table
 * keeps no counters (its owner, the LMA, has no rule that reads them; the
 * data planes count per intent and dmmd reads them there): its intents
 * read 0 packets, 0 bytes and last_active 0, and dmm_fm_report() only
 * checks the id. An intent goes to its owner's home
 * when there is room there, its prefix is the home's and its link is 0,
 * else to a record. When a place of the home is free again, the first
 * record of the owner that fits moves in (an LMA's handoff adds the new
 * uplink to a record before the old one leaves the home): the records
 * stay free for what they are for. An owner's intents are its home's
 * first, then those of its chain of records, oldest first. The home
 * holds the head of that chain: no index, no other line to read.
 *
 * There an id names the owner slot (its low slot_bits bits, the slot + 1)
 * and a generation drawn from the slot's home (seq) that no other live
 * intent of the owner has, so an intent keeps its id when it moves into
 * the home; finding an id reads the owner's few intents. The walks go
 * owner by owner: the home's intents, then the records. Slots [0,
 * capacity) are the records, slot capacity + FM_HOME * owner slot + k is
 * place k of that owner's home.
 */
#include <string.h>

#include "dmm/addrtab.h"
#include "dmm/err.h"
#include "dmm/fm.h"
#include "dmm/hash.h"

#define FM_NONE UINT32_MAX
#define FM_VIEWS 4		  /* intents built for callers at a time (fm.h) */
#define FM_ADDR_MAX 65535u	  /* addresses a table holds at most (a 16-bit number, 0 for none) */
#define FM_HOME 2		  /* intents an owner's home holds */
#define FM_INDEXED_MAX (1u << 24) /* owner slots of an indexed table at most: ids keep 5 bits of generation */
#define FM_LINE 64		  /* a cache line */

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
};

_Static_assert(sizeof(struct fm_rec) == 48, "an intent record is 48 octets");

/*
 * The counters of a record (dmm_fm_report()), in an array beside the
 * records, only in a table that keeps them (not an indexed one).
 */
struct fm_cnt {
	uint64_t packets, bytes;
	dmm_time_t last_active;
};

/*
 * An intent in its owner's home. Its id is gen << slot_bits | (owner
 * slot + 1) (owner_id(): a generation from the home's 16-bit seq), so
 * the generation alone is kept.
 */
struct fm_small {
	uint16_t gen;
	uint8_t ma; /* as in a record */
	uint8_t spare;
	uint16_t precedence;
	uint16_t local, peer;
};

/*
 * The home of one owner slot: intents of one generation of the owner,
 * with the prefix its owner names (dmm_fm_home_prefix_fn), which is not
 * kept here.
 */
struct fm_home {
	uint32_t gen; /* the owner's generation, while used */
	uint8_t used; /* bit k: r[k] holds an intent */
	uint8_t spare;
	uint16_t seq;  /* the generation of the slot's last id */
	uint32_t head; /* the owner's oldest record: its slot + 1, 0 for none (zeroed: none) */
	struct fm_small r[FM_HOME];
};

_Static_assert(sizeof(struct fm_small) == 10 && sizeof(struct fm_home) == 32, "a home is 32 octets");

struct dmm_fm {
	struct dmm_alloc alloc;
	struct dmm_fm_ops ops;
	struct fm_rec *rec;
	struct fm_cnt *cnt; /* per record, or NULL (indexed: no counters) */
	uint32_t capacity, count, free_head;
	uint32_t fresh; /* slots [fresh, capacity) were never used: free, off the list */
	uint32_t nrec;	/* records that hold an intent */
	unsigned slot_bits;
	struct dmm_hidx
		owners; /* owner hash -> the slot of its oldest intent; indexed: the homes' head instead */
	uint32_t nhead; /* indexed: owner slots */
	struct fm_home *home; /* indexed: one per owner slot, from a line's start (home_mem as allocated) */
	void *home_mem;
	uint32_t home_hi;		   /* homes [home_hi, nhead) were never used */
	dmm_fm_home_prefix_fn home_prefix; /* indexed: the prefix of an owner's home */
	const void *home_ctx;
	/* The addresses of the tunnel ends: each once, with the records that name it (keys from trusted peers). */
	struct dmm_addrtab addrs;
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

/* Indexed: the oldest record of owner slot o's owner (one generation at a time has any, owner_fits()), or FM_NONE. */
static uint32_t rec_head(const struct dmm_fm *fm, uint32_t o)
{
	return fm->home[o].head ? fm->home[o].head - 1 : FM_NONE;
}

/* Indexed: the prefix of owner's home, as its owner says (fm.h dmm_fm_home_prefix_fn), or NULL. */
static const struct dmm_prefix *owner_prefix(const struct dmm_fm *fm, struct dmm_handle owner)
{
	return fm->home_prefix(fm->home_ctx, owner);
}

/* --- the address table (addrtab.h) --- */

static const struct dmm_addr *addr_of(const struct dmm_fm *fm, uint16_t n)
{
	return dmm_addrtab_get(&fm->addrs, n);
}

/* One more record names a: its number (0 for the zero address), or FM_NONE when the table is full. */
static uint32_t addr_hold(struct dmm_fm *fm, const struct dmm_addr *a)
{
	uint32_t n = dmm_addrtab_hold(&fm->addrs, a);

	return n == DMM_ADDRTAB_FULL ? FM_NONE : n;
}

/* A record that named address n is gone. */
static void addr_drop(struct dmm_fm *fm, uint16_t n)
{
	dmm_addrtab_drop(&fm->addrs, n);
}

/* --- slots: records and home places --- */

static bool is_home(const struct dmm_fm *fm, uint32_t i)
{
	return i >= fm->capacity;
}

static struct fm_home *home_of(const struct dmm_fm *fm, uint32_t i)
{
	return &fm->home[(i - fm->capacity) / FM_HOME];
}

static struct fm_small *small_of(const struct dmm_fm *fm, uint32_t i)
{
	return &home_of(fm, i)->r[(i - fm->capacity) % FM_HOME];
}

static unsigned place_of(const struct dmm_fm *fm, uint32_t i)
{
	return (i - fm->capacity) % FM_HOME;
}

/* The id of home place i (live). */
static uint32_t small_id(const struct dmm_fm *fm, uint32_t i)
{
	return (uint32_t)small_of(fm, i)->gen << fm->slot_bits | ((i - fm->capacity) / FM_HOME + 1);
}

/* Whether slot i holds an intent. */
static bool slot_live(const struct dmm_fm *fm, uint32_t i)
{
	return is_home(fm, i) ? (home_of(fm, i)->used >> place_of(fm, i)) & 1 : fm->rec[i].id != 0;
}

/* The id of slot i (live, or the last one it had). */
static uint32_t slot_id(const struct dmm_fm *fm, uint32_t i)
{
	return is_home(fm, i) ? small_id(fm, i) : fm->rec[i].id;
}

/* The owner of slot i (live). */
static struct dmm_handle slot_owner(const struct dmm_fm *fm, uint32_t i)
{
	if (is_home(fm, i))
		return (struct dmm_handle){(i - fm->capacity) / FM_HOME, home_of(fm, i)->gen};
	return fm->rec[i].owner;
}

/* The intent slot i holds, into out. */
static void build(const struct dmm_fm *fm, uint32_t i, struct dmm_intent *out)
{
	const struct fm_rec *r = &fm->rec[i];
	const struct fm_small *s;
	const struct dmm_prefix *p;

	memset(out, 0, sizeof(*out));
	if (!is_home(fm, i)) {
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
		if (fm->cnt) { /* an indexed table keeps no counters */
			out->packets = fm->cnt[i].packets;
			out->bytes = fm->cnt[i].bytes;
			out->last_active = fm->cnt[i].last_active;
		}
		return;
	}
	s = small_of(fm, i);
	out->id = small_id(fm, i);
	out->match = s->ma & 1;
	out->action = s->ma >> 1;
	out->precedence = s->precedence;
	out->local = *addr_of(fm, s->local);
	out->peer = *addr_of(fm, s->peer);
	out->owner = slot_owner(fm, i);
	p = owner_prefix(fm, out->owner); /* not NULL while the home holds an intent (fm.h) */
	if (p)
		out->prefix = *p;
}

/* The intent of slot i in the next view (fm.h: valid for the next FM_VIEWS - 1 calls). */
static const struct dmm_intent *view(const struct dmm_fm *fm, uint32_t i)
{
	struct dmm_fm *w = (struct dmm_fm *)(uintptr_t)fm; /* made writable by dmm_fm_new_owners() */
	struct dmm_intent *v = &w->views[w->view_next++ % FM_VIEWS];

	build(fm, i, v);
	return v;
}

/* in's tunnel ends held: their numbers into *local and *peer; DMM_ERR_NOMEM when the address table is full. */
static int addrs_hold(struct dmm_fm *fm, const struct dmm_intent *in, uint32_t *local, uint32_t *peer)
{
	*local = addr_hold(fm, &in->local);
	if (*local == FM_NONE)
		return DMM_ERR_NOMEM;
	*peer = addr_hold(fm, &in->peer);
	if (*peer == FM_NONE) {
		addr_drop(fm, (uint16_t)*local);
		return DMM_ERR_NOMEM;
	}
	return 0;
}

/* What in says into record r, its addresses held; DMM_ERR_NOMEM when the address table is full. */
static int rec_fill(struct dmm_fm *fm, struct fm_rec *r, const struct dmm_intent *in)
{
	uint32_t local, peer;

	if (addrs_hold(fm, in, &local, &peer) != 0)
		return DMM_ERR_NOMEM;
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

/* The address table and the views: 0 or DMM_ERR_NOMEM. addrs: the intents the table holds at most. */
static int alloc_addrs(struct dmm_fm *fm, const struct dmm_alloc *a, uint64_t intents)
{
	uint32_t cap = intents + 2 < FM_ADDR_MAX ? (uint32_t)intents + 2 : FM_ADDR_MAX;

	fm->views = a->zalloc(a->ctx, sizeof(*fm->views) * FM_VIEWS);
	if (!fm->views || dmm_addrtab_init(&fm->addrs, a, cap, 0) != 0)
		return DMM_ERR_NOMEM;
	return 0;
}

static void free_parts(struct dmm_fm *fm)
{
	const struct dmm_alloc *a = &fm->alloc;

	dmm_addrtab_fini(&fm->addrs, a);
	dmm_hidx_fini(&fm->owners, a);
	if (fm->views)
		a->free(a->ctx, fm->views);
	if (fm->home_mem)
		a->free(a->ctx, fm->home_mem);
	if (fm->cnt)
		a->free(a->ctx, fm->cnt);
	if (fm->rec)
		a->free(a->ctx, fm->rec);
	a->free(a->ctx, fm);
}

/*
 * A table of capacity records; with owner_slots, indexed by owner slot
 * with a home per slot, else with a hash index of max_owners owners.
 */
static struct dmm_fm *create(const struct dmm_alloc *a, uint32_t capacity, uint32_t max_owners,
			     uint32_t owner_slots, const struct dmm_fm_ops *ops)
{
	uint64_t slots = capacity + (uint64_t)FM_HOME * owner_slots; /* intents at most */
	struct dmm_fm *fm = a->zalloc(a->ctx, sizeof(*fm));
	int err = 0;

	if (!fm)
		return NULL;
	fm->alloc = *a;
	fm->ops = *ops;
	fm->capacity = capacity;
	fm->rec = a->zalloc(a->ctx, sizeof(*fm->rec) * capacity);
	if (!owner_slots)
		fm->cnt = a->zalloc(a->ctx, sizeof(*fm->cnt) * capacity);
	if (owner_slots) {
		/* From a line's start: a home (32 octets) is within one line. */
		fm->home_mem = a->zalloc(a->ctx, sizeof(*fm->home) * (size_t)owner_slots + FM_LINE);
		fm->home = fm->home_mem ? (struct fm_home *)(((uintptr_t)fm->home_mem + FM_LINE - 1) &
							     ~(uintptr_t)(FM_LINE - 1))
					: NULL;
		fm->nhead = owner_slots; /* zeroed: no owner has records, no home is used */
		err = !fm->home;
	} else {
		err = dmm_hidx_init(&fm->owners, a, max_owners);
	}
	if (!fm->rec || err || (!owner_slots && !fm->cnt) || alloc_addrs(fm, a, slots) != 0) {
		/* One step: free_parts() skips what was not allocated (zeroed header). */
		free_parts(fm);
		return NULL;
	}
	/* An id names a record, or in an indexed table an owner slot. */
	while ((1ull << fm->slot_bits) <= (owner_slots ? owner_slots : capacity))
		fm->slot_bits++;
	/* No loop over the slots: they join the free list one at a time, in order (dmm_fm_add()). */
	fm->free_head = FM_NONE;
	return fm;
}

struct dmm_fm *dmm_fm_new_owners(const struct dmm_alloc *a, uint32_t capacity, uint32_t max_owners,
				 const struct dmm_fm_ops *ops)
{
	if (!a || !ops || !ops->install || !ops->remove || capacity == 0 || capacity > (1u << 24))
		return NULL;
	if (max_owners == 0 || max_owners > capacity)
		max_owners = capacity;
	return create(a, capacity, max_owners, 0, ops);
}

struct dmm_fm *dmm_fm_new_indexed(const struct dmm_alloc *a, uint32_t capacity, uint32_t owner_slots,
				  const struct dmm_fm_ops *ops, dmm_fm_home_prefix_fn home_prefix,
				  const void *home_ctx)
{
	struct dmm_fm *fm;

	if (!a || !ops || !ops->install || !ops->remove || !home_prefix || capacity == 0 ||
	    capacity > (1u << 24) || owner_slots == 0 || owner_slots > FM_INDEXED_MAX)
		return NULL;
	fm = create(a, capacity, 0, owner_slots, ops);
	if (fm) {
		fm->home_prefix = home_prefix;
		fm->home_ctx = home_ctx;
	}
	return fm;
}

struct dmm_fm *dmm_fm_new(const struct dmm_alloc *a, uint32_t capacity, const struct dmm_fm_ops *ops)
{
	return dmm_fm_new_owners(a, capacity, capacity, ops);
}

/* Not indexed: the first record at or after slot i that holds an intent, or FM_NONE. */
static uint32_t live_from(const struct dmm_fm *fm, uint32_t i)
{
	for (; i < fm->fresh; i++)
		if (fm->rec[i].id)
			return i;
	return FM_NONE;
}

/* Indexed: the first intent of owner slot o or a later one (its home's, then its records), or FM_NONE. */
static uint32_t owners_from(const struct dmm_fm *fm, uint32_t o)
{
	for (; o < fm->home_hi; o++) {
		for (unsigned k = 0; k < FM_HOME; k++)
			if ((fm->home[o].used >> k) & 1)
				return fm->capacity + FM_HOME * o + k;
		if (fm->home[o].head)
			return fm->home[o].head - 1;
	}
	return FM_NONE;
}

/* Indexed: the intent after slot i (live) in the walk, or FM_NONE. */
static uint32_t walk_after(const struct dmm_fm *fm, uint32_t i)
{
	uint32_t o;

	if (!is_home(fm, i))
		return fm->rec[i].next != FM_NONE ? fm->rec[i].next
						  : owners_from(fm, fm->rec[i].owner.idx + 1);
	o = (i - fm->capacity) / FM_HOME;
	for (unsigned k = place_of(fm, i) + 1; k < FM_HOME; k++)
		if ((fm->home[o].used >> k) & 1)
			return fm->capacity + FM_HOME * o + k;
	return fm->home[o].head ? fm->home[o].head - 1 : owners_from(fm, o + 1);
}

size_t dmm_fm_bytes(const struct dmm_fm *fm)
{
	return sizeof(*fm) + (sizeof(*fm->rec) + (fm->cnt ? sizeof(*fm->cnt) : 0)) * (size_t)fm->capacity +
	       dmm_hidx_bytes(&fm->owners) +
	       (fm->home ? sizeof(*fm->home) * (size_t)fm->nhead + FM_LINE : 0) +
	       dmm_addrtab_bytes(&fm->addrs) + sizeof(*fm->views) * FM_VIEWS;
}

size_t dmm_fm_bytes_per_intent(const struct dmm_fm *fm)
{
	uint64_t n = fm->capacity + (fm->home ? (uint64_t)FM_HOME * fm->nhead : 0);

	return (size_t)((dmm_fm_bytes(fm) + n - 1) / n);
}

/* The slot (indexed: the owner slot) an id names in its low bits, live or not, or FM_NONE when out of range. */
static uint32_t slot_num(const struct dmm_fm *fm, uint32_t id)
{
	uint32_t i = (id & ((1u << fm->slot_bits) - 1)) - 1;

	return id == 0 || i >= (fm->home ? fm->nhead : fm->capacity) ? FM_NONE : i;
}

/* The slot of live intent id, or FM_NONE. */
static uint32_t slot_of(const struct dmm_fm *fm, uint32_t id)
{
	uint32_t i = slot_num(fm, id);
	const struct fm_home *h;

	if (i == FM_NONE || !fm->home)
		return i == FM_NONE || fm->rec[i].id != id ? FM_NONE : i;
	/* Indexed: one of owner slot i's intents. */
	h = &fm->home[i];
	for (unsigned k = 0; k < FM_HOME; k++)
		if (((h->used >> k) & 1) && h->r[k].gen == id >> fm->slot_bits)
			return fm->capacity + FM_HOME * i + k;
	for (uint32_t r = rec_head(fm, i); r != FM_NONE; r = fm->rec[r].next)
		if (fm->rec[r].id == id)
			return r;
	return FM_NONE;
}

/* The record of owner's oldest intent in its chain of records, or FM_NONE. */
static uint32_t head_of(const struct dmm_fm *fm, struct dmm_handle owner)
{
	uint32_t h = owner_hash(owner), pos, ref;

	if (fm->home) {
		ref = owner.idx < fm->nhead ? rec_head(fm, owner.idx) : FM_NONE;
		return ref != FM_NONE && same_owner(fm->rec[ref].owner, owner) ? ref : FM_NONE;
	}
	for (ref = dmm_hidx_first(&fm->owners, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&fm->owners, h, &pos))
		if (same_owner(fm->rec[ref].owner, owner))
			return ref;
	return FM_NONE;
}

/* The first used place of home slot i's home from place k on (as a slot), else owner's first record. */
static uint32_t home_from(const struct dmm_fm *fm, struct dmm_handle owner, unsigned k)
{
	const struct fm_home *h = &fm->home[owner.idx];

	for (; h->used && h->gen == owner.gen && k < FM_HOME; k++)
		if ((h->used >> k) & 1)
			return fm->capacity + FM_HOME * owner.idx + k;
	return head_of(fm, owner);
}

/* The slot of owner's first intent: in its home, else its oldest record; FM_NONE when none. */
static uint32_t first_owned(const struct dmm_fm *fm, struct dmm_handle owner)
{
	if (fm->home && owner.idx < fm->nhead)
		return home_from(fm, owner, 0);
	return head_of(fm, owner);
}

/* The slot of owner's intent after slot prev (FM_NONE: its first), or FM_NONE. */
static uint32_t next_owned(const struct dmm_fm *fm, struct dmm_handle owner, uint32_t prev)
{
	if (prev == FM_NONE)
		return first_owned(fm, owner);
	if (!slot_live(fm, prev) || !same_owner(slot_owner(fm, prev), owner))
		return FM_NONE;
	if (is_home(fm, prev))
		return home_from(fm, owner, place_of(fm, prev) + 1);
	return fm->rec[prev].next;
}

/*
 * Make slot i the head of its owner in the index; DMM_ERR_NOMEM when there
 * is no room (an indexed table: the owner's slot is out of range or
 * still held by another generation).
 */
static int index_put(struct dmm_fm *fm, struct dmm_handle owner, uint32_t i)
{
	if (!fm->home)
		return dmm_hidx_insert(&fm->owners, owner_hash(owner), i) == 0 ? 0 : DMM_ERR_NOMEM;
	if (owner.idx >= fm->nhead || fm->home[owner.idx].head != 0)
		return DMM_ERR_NOMEM;
	fm->home[owner.idx].head = i + 1;
	return 0;
}

static void index_del(struct dmm_fm *fm, struct dmm_handle owner, uint32_t i)
{
	if (fm->home)
		fm->home[owner.idx].head = 0;
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

/*
 * Whether an indexed table takes an intent of owner: its slot is in range
 * and no other generation of it holds intents there (in its home or its
 * records). Checked before the backend is called; any other table: true.
 */
static bool owner_fits(const struct dmm_fm *fm, struct dmm_handle owner)
{
	const struct fm_home *h;
	uint32_t r;

	if (!fm->home)
		return true;
	if (owner.idx >= fm->nhead)
		return false;
	h = &fm->home[owner.idx];
	r = rec_head(fm, owner.idx);
	return (!h->used || h->gen == owner.gen) && (r == FM_NONE || same_owner(fm->rec[r].owner, owner));
}

/*
 * The free place of in's owner's home that in may take (as a slot), or
 * FM_NONE: none, a prefix other than the home's, a link.
 */
static uint32_t home_place(const struct dmm_fm *fm, const struct dmm_intent *in)
{
	const struct fm_home *h;
	const struct dmm_prefix *p;

	if (!fm->home || in->link != 0 || in->owner.idx >= fm->nhead)
		return FM_NONE;
	h = &fm->home[in->owner.idx];
	if (h->used && h->gen != in->owner.gen)
		return FM_NONE;
	p = owner_prefix(fm, in->owner);
	if (!p || !dmm_prefix_eq(p, &in->prefix))
		return FM_NONE;
	for (unsigned k = 0; k < FM_HOME; k++)
		if (!((h->used >> k) & 1))
			return fm->capacity + FM_HOME * in->owner.idx + k;
	return FM_NONE;
}

/*
 * The id of slot i after one whose generation was last_gen: the
 * generation lives above the slot bits, masked to stay below bit 31; the
 * slot part (i + 1, never 0) keeps every id non-zero.
 */
static uint32_t next_id(const struct dmm_fm *fm, uint32_t i, uint32_t last_gen)
{
	uint32_t gen = (last_gen + 1) & ((1u << (31 - fm->slot_bits)) - 1);

	return gen << fm->slot_bits | (i + 1);
}

/*
 * Indexed: a new id for an intent of owner slot o, the home's next
 * generation that no live intent of o has; 0 when every one is taken
 * (more intents of one owner than generations).
 */
static uint32_t owner_id(struct dmm_fm *fm, uint32_t o)
{
	struct fm_home *h = &fm->home[o];
	uint32_t id;

	for (uint32_t tries = 0; tries <= 0xffffu; tries++) {
		h->seq++;
		id = next_id(fm, o, (uint32_t)h->seq - 1);
		if (slot_of(fm, id) == FM_NONE)
			return id;
	}
	return 0;
}

static uint8_t ma_of(const struct dmm_intent *in)
{
	return (uint8_t)((in->match & 1) | in->action << 1);
}

/* in into home place i (free), its addresses held, with a new id: 0 or DMM_ERR_NOMEM. */
static int home_fill(struct dmm_fm *fm, uint32_t i, const struct dmm_intent *in)
{
	struct fm_home *h = home_of(fm, i);
	struct fm_small *s = small_of(fm, i);
	uint32_t local, peer, id = owner_id(fm, in->owner.idx);

	if (id == 0 || addrs_hold(fm, in, &local, &peer) != 0)
		return DMM_ERR_NOMEM;
	if (!h->used)
		h->gen = in->owner.gen;
	s->gen = (uint16_t)(id >> fm->slot_bits);
	s->ma = ma_of(in);
	s->precedence = in->precedence;
	s->local = (uint16_t)local;
	s->peer = (uint16_t)peer;
	h->used |= (uint8_t)(1u << place_of(fm, i));
	return 0;
}

/* Home place i lets its intent go, without a backend call. */
static void home_free(struct dmm_fm *fm, uint32_t i)
{
	struct fm_small *s = small_of(fm, i);

	addr_drop(fm, s->local);
	addr_drop(fm, s->peer);
	s->local = s->peer = 0;
	home_of(fm, i)->used &= (uint8_t) ~(1u << place_of(fm, i));
}

/* Free record i (its links: the free list and its generation) without a backend call. */
static void free_slot(struct dmm_fm *fm, uint32_t i, uint32_t gen)
{
	struct fm_rec *r = &fm->rec[i];

	rec_release(fm, r);
	fm->nrec--;
	r->id = 0;
	r->next = fm->free_head;
	r->prev = gen;
	fm->free_head = i;
}

/* A free record with in in it (addresses held, a new id, not in a chain yet): its slot, or FM_NONE. */
static uint32_t rec_take(struct dmm_fm *fm, const struct dmm_intent *in, dmm_time_t now)
{
	uint32_t i, id = fm->home ? owner_id(fm, in->owner.idx) : 1;
	struct fm_rec *r;

	if (id == 0)
		return FM_NONE;
	if (fm->free_head == FM_NONE && fm->fresh < fm->capacity) {
		/* The next slot never used joins the free list (zeroed: generation 0). */
		fm->rec[fm->fresh].next = FM_NONE;
		fm->free_head = fm->fresh++;
	}
	i = fm->free_head;
	if (i == FM_NONE)
		return FM_NONE;
	r = &fm->rec[i];
	if (rec_fill(fm, r, in) != 0)
		return FM_NONE;
	fm->free_head = r->next;
	fm->nrec++;
	r->id = fm->home ? id : next_id(fm, i, r->prev);
	if (fm->cnt)
		fm->cnt[i] = (struct fm_cnt){0, 0, now};
	return i;
}

/*
 * Place i of owner's home is free: the owner's first record that fits
 * (its prefix the home's, link 0) moves in with its id and addresses,
 * and its record is free.
 */
static void home_adopt(struct dmm_fm *fm, uint32_t i, struct dmm_handle owner)
{
	struct fm_home *h = home_of(fm, i);
	struct fm_small *s = small_of(fm, i);
	const struct dmm_prefix *p;
	struct fm_rec *r = NULL;
	uint32_t x = head_of(fm, owner);

	p = x != FM_NONE ? owner_prefix(fm, owner) : NULL;
	for (; p && x != FM_NONE; x = fm->rec[x].next) {
		if (fm->rec[x].link == 0 && fm->rec[x].plen == p->len &&
		    memcmp(fm->rec[x].prefix, p->addr.b, 16) == 0) {
			r = &fm->rec[x];
			break;
		}
	}
	if (!r)
		return;
	if (!h->used)
		h->gen = owner.gen;
	s->gen = (uint16_t)(r->id >> fm->slot_bits);
	s->ma = r->ma;
	s->precedence = r->precedence;
	s->local = r->local;
	s->peer = r->peer;
	h->used |= (uint8_t)(1u << place_of(fm, i));
	chain_del(fm, x);
	r->local = r->peer = 0; /* the home holds them now */
	free_slot(fm, x, 0);
}

/* Slot i lets its intent go, without a backend call. */
static void drop_slot(struct dmm_fm *fm, uint32_t i)
{
	struct dmm_handle owner;

	if (is_home(fm, i)) {
		owner = slot_owner(fm, i);
		home_free(fm, i);
		home_adopt(fm, i, owner);
	} else {
		chain_del(fm, i);
		free_slot(fm, i, fm->rec[i].id >> fm->slot_bits);
	}
	fm->count--;
}

int dmm_fm_add(struct dmm_fm *fm, const struct dmm_intent *in, dmm_time_t now)
{
	struct dmm_intent full;
	uint32_t i;
	int err;

	if (!owner_fits(fm, in->owner))
		return DMM_ERR_NOMEM;
	if (fm->home && in->owner.idx >= fm->home_hi)
		fm->home_hi = in->owner.idx + 1; /* the walks go this far */
	/* The owner's home when in fits there, else a record. */
	i = home_place(fm, in);
	if (i != FM_NONE ? home_fill(fm, i, in) != 0 : (i = rec_take(fm, in, now)) == FM_NONE)
		return DMM_ERR_NOMEM;
	build(fm, i, &full);
	err = fm->ops.install(fm->ops.ctx, &full);
	if (err >= 0 && !is_home(fm, i) && chain_add(fm, i) != 0) {
		fm->ops.remove(fm->ops.ctx, &full);
		err = DMM_ERR_NOMEM;
	}
	if (err < 0) {
		if (is_home(fm, i))
			home_free(fm, i);
		else
			free_slot(fm, i, full.id >> fm->slot_bits);
		return err;
	}
	fm->count++;
	return (int)full.id;
}

int dmm_fm_del(struct dmm_fm *fm, uint32_t id)
{
	uint32_t i = slot_of(fm, id);
	struct dmm_intent full;

	if (i == FM_NONE)
		return DMM_ERR_NOTFOUND;
	build(fm, i, &full);
	fm->ops.remove(fm->ops.ctx, &full);
	drop_slot(fm, i);
	return 0;
}

void dmm_fm_free(struct dmm_fm *fm)
{
	if (!fm)
		return;
	/* One pass over the slots ever used (indexed: owner by owner, each one's first until none). */
	if (fm->home)
		for (uint32_t o = 0, i; (i = owners_from(fm, o)) != FM_NONE;) {
			o = slot_owner(fm, i).idx;
			dmm_fm_del(fm, slot_id(fm, i));
		}
	else
		for (uint32_t i = live_from(fm, 0); i != FM_NONE; i = live_from(fm, i + 1))
			dmm_fm_del(fm, slot_id(fm, i));
	free_parts(fm);
}

const struct dmm_intent *dmm_fm_next_owned(const struct dmm_fm *fm, struct dmm_handle owner,
					   const struct dmm_intent *prev)
{
	uint32_t i = FM_NONE;

	if (prev) {
		i = slot_of(fm, prev->id);
		if (i == FM_NONE)
			return NULL;
	}
	i = next_owned(fm, owner, i);
	return i == FM_NONE ? NULL : view(fm, i);
}

unsigned dmm_fm_del_owner(struct dmm_fm *fm, struct dmm_handle owner)
{
	uint32_t i;
	unsigned n = 0;

	/* Its home first, then its records oldest first; each removal makes the next one the first. */
	while ((i = first_owned(fm, owner)) != FM_NONE) {
		dmm_fm_del(fm, slot_id(fm, i));
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
 * Whether intent a and in claim the same place in a backend: one route
 * per destination and precedence (the kernel's NLM_F_EXCL refuses a
 * second one), while decapsulation is per peer, so two DECAPs from
 * different peers live side by side.
 */
static bool same_place(const struct dmm_intent *a, const struct dmm_intent *in)
{
	bool da = a->action == DMM_FM_DECAP, db = in->action == DMM_FM_DECAP;

	return a->match == in->match && a->precedence == in->precedence && da == db &&
	       dmm_prefix_eq(&a->prefix, &in->prefix) && (!da || dmm_addr_eq(&a->peer, &in->peer));
}

/*
 * Slot i (live) forwards as in now: the same owner, and for a home place
 * the same prefix and no link (dmm_fm_ensure() sees to it); the counters
 * start again. Its new addresses are held before the old ones go, so an
 * address they share stays in place. 0 or DMM_ERR_NOMEM (slot unchanged).
 */
static int refill(struct dmm_fm *fm, uint32_t i, const struct dmm_intent *in, dmm_time_t now)
{
	uint32_t local, peer;
	struct fm_small *s;
	struct fm_rec *r;

	if (addrs_hold(fm, in, &local, &peer) != 0)
		return DMM_ERR_NOMEM;
	if (is_home(fm, i)) {
		s = small_of(fm, i);
		addr_drop(fm, s->local);
		addr_drop(fm, s->peer);
		s->ma = ma_of(in);
		s->precedence = in->precedence;
		s->local = (uint16_t)local;
		s->peer = (uint16_t)peer;
		return 0;
	}
	r = &fm->rec[i];
	rec_release(fm, r);
	r->ma = ma_of(in);
	r->precedence = in->precedence;
	memcpy(r->prefix, in->prefix.addr.b, 16);
	r->plen = in->prefix.len;
	r->link = in->link;
	r->local = (uint16_t)local;
	r->peer = (uint16_t)peer;
	if (fm->cnt)
		fm->cnt[i] = (struct fm_cnt){0, 0, now};
	return 0;
}

/*
 * One backend call swaps the forwarding of slot i for in's: the slot, the
 * id and the owner chain stay; the counters start again (a new
 * forwarding): a backend's counters of the id start from 0 after a
 * replace.
 */
static int replace_in_place(struct dmm_fm *fm, uint32_t i, const struct dmm_intent *in, dmm_time_t now)
{
	struct dmm_intent old, next = *in;
	int err;

	build(fm, i, &old);
	next.id = old.id;
	next.packets = next.bytes = 0;
	next.last_active = now;
	err = fm->ops.replace(fm->ops.ctx, &old, &next);
	if (err >= 0 && refill(fm, i, &next, now) != 0) {
		fm->ops.remove(fm->ops.ctx, &next);
		err = DMM_ERR_NOMEM;
	}
	if (err < 0) {
		drop_slot(fm, i);
		return err;
	}
	return (int)old.id;
}

/*
 * Whether slot i (live) may hold in or in's place (dmm_fm_same() or
 * same_place()), from its match, action and precedence alone: both ask
 * for the same match and precedence and both for a DECAP or neither.
 */
static bool may_be_same_place(const struct dmm_fm *fm, uint32_t i, const struct dmm_intent *in)
{
	uint8_t ma;
	uint16_t prec;

	if (is_home(fm, i)) {
		ma = small_of(fm, i)->ma;
		prec = small_of(fm, i)->precedence;
	} else {
		ma = fm->rec[i].ma;
		prec = fm->rec[i].precedence;
	}
	return (ma & 1) == in->match && prec == in->precedence &&
	       ((ma >> 1) == DMM_FM_DECAP) == (in->action == DMM_FM_DECAP);
}

int dmm_fm_ensure(struct dmm_fm *fm, const struct dmm_intent *in, dmm_time_t now)
{
	struct dmm_intent cur;
	uint32_t old = FM_NONE;

	for (uint32_t i = first_owned(fm, in->owner); i != FM_NONE; i = next_owned(fm, in->owner, i)) {
		if (!may_be_same_place(fm, i, in))
			continue; /* neither the same intent nor its place: no need to build it */
		build(fm, i, &cur);
		if (dmm_fm_same(&cur, in))
			return (int)cur.id; /* nothing changes: no backend call */
		if (old == FM_NONE && same_place(&cur, in))
			old = i;
	}
	/* A home place holds no link: an intent with one goes to a record. */
	if (old != FM_NONE && fm->ops.replace && !(is_home(fm, old) && in->link))
		return replace_in_place(fm, old, in, now);
	if (old != FM_NONE)
		dmm_fm_del(fm, slot_id(fm, old)); /* its slot is free for dmm_fm_add() */
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

	/*
	 * Removing one intent leaves the others' links in place: the walk
	 * goes on from its successor; but one may move into a home place
	 * that came free (indexed), so there it starts again.
	 */
	for (i = first_owned(fm, owner); i != FM_NONE; i = next) {
		next = next_owned(fm, owner, i);
		if (kept(slot_id(fm, i), keep, nkeep))
			continue;
		if (is_home(fm, i))
			next = FM_NONE;
		dmm_fm_del(fm, slot_id(fm, i));
		n++;
		if (next == FM_NONE)
			next = first_owned(fm, owner);
	}
	return n;
}

const struct dmm_intent *dmm_fm_get(const struct dmm_fm *fm, uint32_t id)
{
	uint32_t i = slot_of(fm, id);

	return i == FM_NONE ? NULL : view(fm, i);
}

const struct dmm_intent *dmm_fm_next(const struct dmm_fm *fm, const struct dmm_intent *prev)
{
	uint32_t i = 0, o;

	if (fm->home) {
		/* Owner by owner; after an intent that is gone, from the next owner on. */
		o = prev ? slot_num(fm, prev->id) : 0;
		i = prev ? slot_of(fm, prev->id) : FM_NONE;
		if (o == FM_NONE)
			return NULL;
		i = i != FM_NONE ? walk_after(fm, i) : owners_from(fm, prev ? o + 1 : 0);
		return i == FM_NONE ? NULL : view(fm, i);
	}
	if (prev) {
		i = slot_num(fm, prev->id);
		if (i == FM_NONE)
			return NULL;
		i++;
	}
	i = live_from(fm, i);
	return i == FM_NONE ? NULL : view(fm, i);
}

int dmm_fm_report(struct dmm_fm *fm, uint32_t id, uint64_t packets, uint64_t bytes, dmm_time_t now)
{
	uint32_t i = slot_of(fm, id);
	struct fm_cnt *c;

	if (i == FM_NONE)
		return DMM_ERR_NOTFOUND;
	if (!fm->cnt)
		return 0; /* an indexed table keeps no counters */
	c = &fm->cnt[i];
	if (packets != c->packets)
		c->last_active = now;
	c->packets = packets;
	c->bytes = bytes;
	return 0;
}

bool dmm_fm_counts(const struct dmm_fm *fm)
{
	return !fm->home;
}

bool dmm_fm_can(const struct dmm_fm *fm, unsigned cap)
{
	return (fm->ops.caps & cap) == cap;
}

uint32_t dmm_fm_records_room(const struct dmm_fm *fm)
{
	return fm->capacity - fm->nrec;
}

uint32_t dmm_fm_count(const struct dmm_fm *fm)
{
	return fm->count;
}

const char *dmm_fm_action_name(uint8_t action)
{
	static const char *const n[] = {"encap", "decap", "deliver", "buffer", "drop", "local"};

	return action < 6 ? n[action] : "?";
}

const char *dmm_fm_match_name(uint8_t match)
{
	return match == DMM_FM_DST ? "dst" : match == DMM_FM_SRC ? "src" : "?";
}
