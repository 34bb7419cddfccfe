/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every timer of a role instance lives here.
 *
 * THE RULE: a timer refers to its object by handle {idx, gen}, never by
 * pointer. When a timer fires, the role resolves the handle in its table;
 * a stale handle (the object was deleted, maybe its slot reused) resolves
 * to NULL and the expiry is ignored. So deleting an object need not
 * cancel its timers, and no timer can touch freed or reused memory.
 * Each object has at most one timer per kind; arming it again replaces
 * the deadline.
 *
 * The PMIPv6/DMM kinds (enum dmm_timer_kind) and their rules:
 *   BCE_EXPIRE          LMA, armed at every accepted PBU to the granted
 *                       lifetime; fires: delete the entry, release its
 *                       prefixes (RFC 5213 §5.3.3).
 *   BCE_DEREG_DELAY     LMA, armed at a de-registration PBU to
 *                       MinDelayBeforeBCEDelete; a PBU from the new MAG
 *                       cancels it; fires: delete the entry (§5.3.5).
 *   BCE_HANDOFF_DELAY   LMA, armed when handoff state is unknown to
 *                       MaxDelayBeforeNewBCEAssign; a de-registration from
 *                       the old MAG cancels it; fires: treat the request as
 *                       a new mobility session (§5.4.1.2, §5.4.1.3).
 *   PBU_RETX            MAG, armed when a PBU is sent to the current
 *                       back-off (InitialBindackTimeoutFirstReg, doubled
 *                       up to MaxBindackTimeout); a matching PBA cancels
 *                       it; fires: resend or give up (§6.9.4).
 *   BUL_REFRESH         MAG, armed at a successful PBA a little before the
 *                       granted lifetime ends; fires: send a refreshing PBU
 *                       (§6.9.1.5).
 *   BUL_EXPIRE          MAG, armed at a successful PBA to the granted
 *                       lifetime; fires: the binding is gone, remove the
 *                       entry and its routes.
 *   HEARTBEAT           per peer, RFC 5847 §3: send a Heartbeat Request;
 *                       missing responses count towards a failure.
 *
 * Structure: a hierarchical timing wheel (Varghese and Lauck) with an
 * exact order. Time is cut into ticks of 2^20 ns (about 1 ms); the wheel
 * has NLEVEL levels of 256 buckets, level L covering 256^L ticks per
 * bucket. cur is the wheel's tick: every timer whose tick is at most cur
 * waits in the ready list, sorted by (deadline, sequence of setting) and
 * linked through the records as the buckets are, which holds only the
 * timers of one tick (or overdue); every later one is in the bucket of
 * the highest 8-bit digit in which its tick differs from cur (the Linux
 * kernel's placement), in a doubly linked list. Setting, replacing and
 * cancelling a timer is O(1): it is unlinked and linked again, whatever
 * the number of timers; a timer set into the current tick goes to an
 * incoming list, unsorted, which the next dmm_timers_next() or pop
 * sorts into the ready list (flush()). A deadline
 * that moves later (a binding's lifetime extended) does not even move:
 * the timer stays in its bucket, which comes first, and finds its place
 * when that bucket is reached; so a refresh touches the timer's record
 * only, not its neighbours in a list. When the
 * ready list is empty and time has reached the first occupied bucket
 * (a bitmap per level finds it), cur moves to that bucket's start and its
 * timers go down a level, or, at level 0 (one tick), into the ready list
 * (through the incoming list: a merge sort, O(k log k) for k timers).
 * So the timers come out in exactly the order of one heap
 * ordered by (deadline, sequence): equal deadlines in setting order.
 * Each bucket keeps its earliest deadline; when that very timer leaves
 * (cancelled, or moved later) the bucket is marked stale, and
 * dmm_timers_next() finding the first bucket stale advances the wheel to
 * it (below) rather than searching it, so it is O(1) amortized too. The
 * wheel's tick may then be ahead of the clock: a timer set before it
 * goes to the ready list in its order.
 *
 * The records (32 octets) are preallocated, the free records linked (no
 * array for the ready timers: their list is in the records, as a bucket's
 * is; 4 octets a timer less than a heap's array); a dmm_hidx from (kind, idx) to
 * record finds an armed timer in O(1).
 *
 * Direct records (dmm_timers_make_direct()): the first ndirect records
 * belong to the objects of slots 0..ndirect-1, one each, for the kinds of
 * a mask (the LMA: a binding's lifetime or deletion delay). A timer of
 * such a kind for such a slot takes the slot's record when it is free, so
 * finding it costs no hash and no index line: the record is at a place
 * the handle names (and dmm_timers_prefetch() fetches it). Only when the
 * slot's record holds another kind does the timer take a shared record
 * through the index; the direct record counts those (spill), so a
 * lookup that misses the direct record reads the index only when one
 * spilled. dmm_timers_make_direct_kinds() gives each kind of the mask a
 * record of its own per slot, side by side (record idx * nkinds +
 * kind_rank: the timers of one object in one or two cache lines), so
 * the kinds of one slot never share a record and nothing spills.
 */
#include <string.h>

#include "dmm/timers.h"
#include "dmm/err.h"
#include "dmm/hash.h"

#define TIMER_NONE UINT32_MAX
#define TICK_SHIFT 20 /* a tick is 2^20 ns */
#define NLEVEL 6      /* 6 x 8 bits: every tick of a 64-bit time (44 bits) */
#define NSLOT 256
#define B_READY 0xffffu	   /* bucket of a record in the ready list */
#define B_INCOMING 0xfffdu /* bucket of a record due in the current tick, not yet in the ready list */
#define B_FREE 0xfffeu	   /* bucket of a free record */

struct timer_rec {
	dmm_time_t deadline;
	uint32_t seq;	     /* tie-break: equal deadlines fire in setting order */
	uint32_t next, prev; /* the bucket's or the ready list; free: next links */
	struct dmm_handle h; /* the object */
	uint8_t kind;	     /* <= DMM_TIMER_KIND_MAX */
	uint8_t direct;	     /* a direct record: bit 0 armed, the bits above its spilled timers */
	uint16_t bucket;     /* level * NSLOT + slot, B_READY, B_INCOMING or B_FREE */
};

_Static_assert(sizeof(struct timer_rec) == 32, "a timer record is 32 octets");

struct dmm_timers {
	struct dmm_alloc alloc;
	uint32_t capacity;
	uint32_t n;	    /* armed timers */
	uint32_t free_head; /* the first freed record (its next links the next), or TIMER_NONE */
	uint32_t fresh;	    /* records [fresh, capacity) were never used: free, off the list */
	uint32_t seq;
	uint64_t work;	       /* records moved in bulk (dmm_timers_work()) */
	uint32_t nready;       /* timers in the ready list */
	uint32_t rhead, rtail; /* the ready list, earliest first, or TIMER_NONE */
	uint32_t ihead, nin;   /* the incoming list (due, not sorted yet) and its length */
	uint32_t ndirect;      /* slots 0..ndirect-1 have direct records */
	uint32_t dkinds;       /* the kinds (bit numbers) that use direct records */
	uint32_t ndrec;	       /* records [0, ndrec) are direct: ndirect, or ndirect a kind (per_kind) */
	bool per_kind;	       /* a record per slot for each kind of dkinds, side by side in kind order */
	uint8_t nplane;	       /* per_kind: the kinds of dkinds */
	uint8_t plane[32];     /* per_kind: the rank of each kind of dkinds */
	uint64_t cur;	       /* the wheel's tick */
	struct timer_rec *rec;
	struct dmm_hidx idx;
	uint32_t head[NLEVEL * NSLOT];	    /* first record of each bucket, or TIMER_NONE */
	dmm_time_t bmin[NLEVEL * NSLOT];    /* each bucket's earliest deadline, unless stale */
	uint64_t occ[NLEVEL][NSLOT / 64];   /* buckets that hold a timer */
	uint64_t stale[NLEVEL][NSLOT / 64]; /* buckets whose bmin left */
};

static inline uint32_t key_hash(unsigned kind, uint32_t idx)
{
	return (uint32_t)dmm_hash_u64(((uint64_t)kind << 32) | idx);
}

/* a fires before b. Sequence numbers compare with wrap-around. */
static inline bool before(const struct timer_rec *a, const struct timer_rec *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return (int32_t)(a->seq - b->seq) < 0;
}

static inline void bit_set(uint64_t m[][NSLOT / 64], unsigned b, bool on)
{
	uint64_t bit = 1ull << (b % 64);

	if (on)
		m[b / NSLOT][b % NSLOT / 64] |= bit;
	else
		m[b / NSLOT][b % NSLOT / 64] &= ~bit;
}

static inline bool bit_get(const uint64_t m[][NSLOT / 64], unsigned b)
{
	return (m[b / NSLOT][b % NSLOT / 64] >> (b % 64)) & 1;
}

/* The bucket of a tick later than cur: the highest 8-bit digit where they differ. */
static unsigned bucket_of(const struct dmm_timers *t, uint64_t tick)
{
	unsigned lvl = (unsigned)(63 - __builtin_clzll(tick ^ t->cur)) / 8;

	return lvl * NSLOT + (unsigned)((tick >> (8 * lvl)) & (NSLOT - 1));
}

static void bucket_link(struct dmm_timers *t, uint32_t r, unsigned b)
{
	struct timer_rec *x = &t->rec[r];

	x->bucket = (uint16_t)b;
	x->prev = TIMER_NONE;
	x->next = t->head[b];
	t->head[b] = r;
	if (x->next != TIMER_NONE) {
		t->rec[x->next].prev = r;
		if (x->deadline < t->bmin[b])
			t->bmin[b] = x->deadline;
		return;
	}
	bit_set(t->occ, b, true);
	bit_set(t->stale, b, false);
	t->bmin[b] = x->deadline;
}

/* Ready record r goes after ready record p (TIMER_NONE: first). */
static void ready_insert_after(struct dmm_timers *t, uint32_t r, uint32_t p)
{
	struct timer_rec *x = &t->rec[r];

	x->bucket = B_READY;
	x->prev = p;
	x->next = p == TIMER_NONE ? t->rhead : t->rec[p].next;
	if (p == TIMER_NONE)
		t->rhead = r;
	else
		t->rec[p].next = r;
	if (x->next == TIMER_NONE)
		t->rtail = r;
	else
		t->rec[x->next].prev = r;
	t->nready++;
}

/* Take r out of the ready list or the incoming list. */
static void ready_unlink(struct dmm_timers *t, uint32_t r)
{
	struct timer_rec *x = &t->rec[r];
	bool in = x->bucket == B_INCOMING;

	if (x->prev == TIMER_NONE)
		*(in ? &t->ihead : &t->rhead) = x->next;
	else
		t->rec[x->prev].next = x->next;
	if (x->next != TIMER_NONE)
		t->rec[x->next].prev = x->prev;
	else if (!in)
		t->rtail = x->prev;
	if (in)
		t->nin--;
	else
		t->nready--;
}

/* Due in the current tick (or overdue): into the incoming list, unsorted (flush() sorts it in). */
static void incoming_link(struct dmm_timers *t, uint32_t r)
{
	struct timer_rec *x = &t->rec[r];

	x->bucket = B_INCOMING;
	x->prev = TIMER_NONE;
	x->next = t->ihead;
	if (x->next != TIMER_NONE)
		t->rec[x->next].prev = r;
	t->ihead = r;
	t->nin++;
}

/*
 * The chain of records from a (linked by next, n of them) sorted by
 * before(): a merge sort, stable, O(n log n). Returns its first record.
 */
static uint32_t sort_chain(struct dmm_timers *t, uint32_t a, uint32_t n)
{
	uint32_t last = a, b, head = TIMER_NONE, *tail = &head;

	if (n < 2)
		return a;
	/* Cut after the first n / 2 (last), sort both halves, merge them. */
	for (uint32_t i = 1; i < n / 2; i++)
		last = t->rec[last].next;
	b = t->rec[last].next;
	t->rec[last].next = TIMER_NONE;
	b = sort_chain(t, b, n - n / 2);
	a = sort_chain(t, a, n / 2);
	while (a != TIMER_NONE && b != TIMER_NONE) {
		uint32_t *from = before(&t->rec[b], &t->rec[a]) ? &b : &a;

		*tail = *from;
		tail = &t->rec[*from].next;
		*from = t->rec[*from].next;
	}
	*tail = a != TIMER_NONE ? a : b;
	return head;
}

/*
 * The incoming timers join the ready list in its order: sorted, then
 * from the largest down, each after the last ready one that fires before
 * it, walking back from the list's end once: O(m log m + k) for m
 * incoming and k ready ones, O(1) a timer when they come after the
 * ready ones (the common case: one set into the current tick).
 */
static void flush(struct dmm_timers *t)
{
	uint32_t x, next, desc = TIMER_NONE, p = t->rtail, n = t->nin;

	if (!n)
		return;
	t->work += n;
	/* Sorted ascending, then reversed into desc (largest first). */
	for (x = sort_chain(t, t->ihead, n); x != TIMER_NONE; x = next) {
		next = t->rec[x].next;
		t->rec[x].next = desc;
		desc = x;
	}
	t->ihead = TIMER_NONE;
	t->nin = 0;
	for (x = desc; x != TIMER_NONE; x = next) {
		next = t->rec[x].next;
		while (p != TIMER_NONE && before(&t->rec[x], &t->rec[p]))
			p = t->rec[p].prev;
		ready_insert_after(t, x, p);
	}
}

/* Record r (armed) goes where its deadline says. */
static void place(struct dmm_timers *t, uint32_t r)
{
	uint64_t tick = t->rec[r].deadline >> TICK_SHIFT;

	if (tick <= t->cur)
		incoming_link(t, r);
	else
		bucket_link(t, r, bucket_of(t, tick));
}

/* Take record r out of its list. */
static void unlink_rec(struct dmm_timers *t, uint32_t r)
{
	struct timer_rec *x = &t->rec[r];
	unsigned b = x->bucket;

	if (b == B_READY || b == B_INCOMING) {
		ready_unlink(t, r);
		return;
	}
	if (x->next != TIMER_NONE)
		t->rec[x->next].prev = x->prev;
	if (x->prev != TIMER_NONE)
		t->rec[x->prev].next = x->next;
	else
		t->head[b] = x->next;
	if (t->head[b] == TIMER_NONE)
		bit_set(t->occ, b, false);
	else if (x->deadline == t->bmin[b])
		bit_set(t->stale, b, true);
}

/* The first occupied bucket: the lowest level, the lowest slot (all are after cur); -1 when none. */
static int first_bucket(const struct dmm_timers *t)
{
	for (unsigned lvl = 0; lvl < NLEVEL; lvl++)
		for (unsigned w = 0; w < NSLOT / 64; w++)
			if (t->occ[lvl][w])
				return (int)(lvl * NSLOT + w * 64 +
					     (unsigned)__builtin_ctzll(t->occ[lvl][w]));
	return -1;
}

/* The first tick bucket b covers. */
static uint64_t bucket_start(const struct dmm_timers *t, unsigned b)
{
	unsigned lvl = b / NSLOT, shift = 8 * lvl;
	uint64_t high = shift + 8 >= 64 ? 0 : t->cur >> (shift + 8) << (shift + 8);

	return high | ((uint64_t)(b % NSLOT) << shift);
}

/*
 * The ready list is empty: cur moves to the start of the first occupied
 * bucket b, whose timers go down a level, those of tick cur to the
 * incoming list (the caller flushes it into the ready list).
 */
static void advance(struct dmm_timers *t, unsigned b)
{
	uint32_t x = t->head[b], next;

	t->cur = bucket_start(t, b);
	t->head[b] = TIMER_NONE;
	bit_set(t->occ, b, false);
	for (; x != TIMER_NONE; x = next) {
		next = t->rec[x].next;
		place(t, x);
		t->work++;
	}
}

/* True when the (kind, idx) timer belongs in idx's direct record. */
static inline bool is_direct(const struct dmm_timers *t, unsigned kind, uint32_t idx)
{
	return idx < t->ndirect && kind < 32 && ((t->dkinds >> kind) & 1);
}

/* The direct record of a direct (kind, idx): idx, or kind's record among idx's. */
static inline uint32_t drec(const struct dmm_timers *t, unsigned kind, uint32_t idx)
{
	if (!t->per_kind)
		return idx;
	return idx * t->nplane + t->plane[kind];
}

static void remove_rec(struct dmm_timers *t, uint32_t r)
{
	struct timer_rec *x = &t->rec[r];

	unlink_rec(t, r);
	t->n--;
	if (r < t->ndrec) {
		x->direct &= (uint8_t)~1u; /* free; the count of spilled ones stays */
		x->bucket = B_FREE;
		return;
	}
	dmm_hidx_remove(&t->idx, key_hash(x->kind, x->h.idx), r);
	if (is_direct(t, x->kind, x->h.idx)) {
		struct timer_rec *d = &t->rec[drec(t, x->kind, x->h.idx)];

		d->direct = (uint8_t)(d->direct - 2);
	}
	x->bucket = B_FREE;
	x->next = t->free_head;
	t->free_head = r;
}

/* Record of the (kind, idx) timer, or DMM_HIDX_NONE. */
static uint32_t find(const struct dmm_timers *t, unsigned kind, uint32_t idx)
{
	uint32_t h, pos, r;

	if (is_direct(t, kind, idx)) {
		uint32_t dr = drec(t, kind, idx);
		const struct timer_rec *d = &t->rec[dr];

		if ((d->direct & 1) && d->kind == kind)
			return dr;
		if (d->direct < 2)
			return DMM_HIDX_NONE; /* none of this slot spilled: no index line to read */
	}
	h = key_hash(kind, idx);
	for (r = dmm_hidx_first(&t->idx, h, &pos); r != DMM_HIDX_NONE; r = dmm_hidx_next(&t->idx, h, &pos))
		if (t->rec[r].kind == kind && t->rec[r].h.idx == idx)
			return r;
	return DMM_HIDX_NONE;
}

struct dmm_timers *dmm_timers_new(const struct dmm_alloc *a, uint32_t capacity)
{
	struct dmm_timers *t;

	if (!a || !a->zalloc || !a->free || capacity == 0 || capacity > (1u << 30))
		return NULL;
	t = a->zalloc(a->ctx, sizeof(*t));
	if (!t)
		goto err_t;
	t->alloc = *a;
	t->capacity = capacity;
	t->rec = a->zalloc(a->ctx, (size_t)capacity * sizeof(*t->rec));
	if (!t->rec)
		goto err_rec;
	if (dmm_hidx_init(&t->idx, a, capacity))
		goto err_idx;
	t->fresh = 0;
	/* No loop over the records: they are taken in order as needed (fresh), so start-up touches no page of them. */
	for (unsigned b = 0; b < NLEVEL * NSLOT; b++)
		t->head[b] = TIMER_NONE;
	t->free_head = TIMER_NONE;
	t->rhead = t->rtail = t->ihead = TIMER_NONE;
	return t;

err_idx:
	a->free(a->ctx, t->rec);
err_rec:
	a->free(a->ctx, t);
err_t:
	return NULL;
}

static int make_direct(struct dmm_timers *t, uint32_t capacity, uint32_t ndirect, uint32_t kinds,
		       bool per_kind)
{
	const struct dmm_alloc *a = &t->alloc;
	uint8_t plane[32] = {0}, nplane = 0;
	uint64_t ndrec;
	struct timer_rec *rec;
	struct dmm_hidx idx;

	for (unsigned k = 0; per_kind && k < 32; k++)
		if ((kinds >> k) & 1)
			plane[k] = nplane++;
	ndrec = per_kind ? (uint64_t)ndirect * nplane : ndirect;

	if (t->n || capacity == 0 || capacity > (1u << 30) || ndrec >= capacity)
		return DMM_ERR_INVAL;
	rec = a->zalloc(a->ctx, (size_t)capacity * sizeof(*rec));
	if (!rec || dmm_hidx_init(&idx, a, capacity - (uint32_t)ndrec) != 0) {
		if (rec)
			a->free(a->ctx, rec);
		return DMM_ERR_NOMEM;
	}
	dmm_hidx_fini(&t->idx, a);
	a->free(a->ctx, t->rec);
	t->rec = rec; /* zeroed: every direct record free */
	t->idx = idx;
	t->capacity = capacity;
	t->ndirect = ndirect;
	t->dkinds = kinds;
	t->ndrec = (uint32_t)ndrec;
	t->per_kind = per_kind;
	memcpy(t->plane, plane, sizeof(plane));
	t->nplane = nplane;
	t->fresh = (uint32_t)ndrec; /* the shared records follow the direct ones */
	t->free_head = TIMER_NONE;
	return 0;
}

int dmm_timers_make_direct(struct dmm_timers *t, uint32_t capacity, uint32_t ndirect, uint32_t kinds)
{
	return make_direct(t, capacity, ndirect, kinds, false);
}

int dmm_timers_make_direct_kinds(struct dmm_timers *t, uint32_t capacity, uint32_t ndirect, uint32_t kinds)
{
	if (kinds == 0)
		return DMM_ERR_INVAL;
	return make_direct(t, capacity, ndirect, kinds, true);
}

void dmm_timers_free(struct dmm_timers *t)
{
	struct dmm_alloc a;

	if (!t)
		return;
	a = t->alloc;
	dmm_hidx_fini(&t->idx, &a);
	a.free(a.ctx, t->rec);
	a.free(a.ctx, t);
}

/* A record for a new (kind, idx) timer: its slot's direct record, or one in the index; TIMER_NONE when full. */
static uint32_t rec_take(struct dmm_timers *t, unsigned kind, uint32_t idx)
{
	bool direct = is_direct(t, kind, idx);
	uint32_t d = direct ? drec(t, kind, idx) : 0, r;

	if (direct && !(t->rec[d].direct & 1)) {
		t->rec[d].direct |= 1;
		t->rec[d].kind = (uint8_t)kind;
		t->n++;
		return d;
	}
	/* A freed record first, newest first; then the next one never used. */
	if (t->free_head == TIMER_NONE && t->fresh == t->capacity)
		return TIMER_NONE;
	r = t->free_head != TIMER_NONE ? t->free_head : t->fresh;
	/* Cannot fail: the index holds a reference for every shared record. */
	if (dmm_hidx_insert(&t->idx, key_hash(kind, idx), r))
		return TIMER_NONE;
	if (r == t->free_head)
		t->free_head = t->rec[r].next;
	else
		t->fresh++;
	if (direct)
		t->rec[d].direct = (uint8_t)(t->rec[d].direct + 2);
	t->rec[r].kind = (uint8_t)kind;
	t->rec[r].direct = 0;
	t->n++;
	return r;
}

/*
 * Timer r, in bucket b of the wheel, moves to a later deadline: it stays
 * in b (the bucket comes no later than the deadline), whose earliest
 * deadline is recomputed when it was r's.
 */
static void set_later(struct dmm_timers *t, uint32_t r, struct dmm_handle h, dmm_time_t deadline)
{
	struct timer_rec *x = &t->rec[r];

	if (x->deadline == t->bmin[x->bucket])
		bit_set(t->stale, x->bucket, true);
	x->h = h;
	x->deadline = deadline;
	x->seq = t->seq++;
}

int dmm_timers_set(struct dmm_timers *t, unsigned kind, struct dmm_handle h, dmm_time_t deadline)
{
	uint32_t r;

	if (kind > DMM_TIMER_KIND_MAX)
		return DMM_ERR_INVAL;
	r = find(t, kind, h.idx);
	if (deadline == DMM_TIME_NEVER) {
		if (r != DMM_HIDX_NONE)
			remove_rec(t, r);
		return 0;
	}
	if (r != DMM_HIDX_NONE && t->rec[r].bucket < NLEVEL * NSLOT && deadline >= t->rec[r].deadline) {
		set_later(t, r, h, deadline);
		return 0;
	}
	if (r == DMM_HIDX_NONE) {
		r = rec_take(t, kind, h.idx);
		if (r == TIMER_NONE)
			return DMM_ERR_NOMEM;
	} else {
		unlink_rec(t, r);
	}
	t->rec[r].h = h;
	t->rec[r].deadline = deadline;
	t->rec[r].seq = t->seq++;
	place(t, r);
	return 0;
}

int dmm_timers_cancel(struct dmm_timers *t, unsigned kind, struct dmm_handle h)
{
	uint32_t r;

	if (kind > DMM_TIMER_KIND_MAX)
		return DMM_ERR_NOTFOUND;
	r = find(t, kind, h.idx);
	if (r == DMM_HIDX_NONE || t->rec[r].h.gen != h.gen)
		return DMM_ERR_NOTFOUND;
	remove_rec(t, r);
	return 0;
}

void dmm_timers_prefetch(const struct dmm_timers *t, unsigned kind, uint32_t idx)
{
	if (is_direct(t, kind, idx))
		__builtin_prefetch(&t->rec[drec(t, kind, idx)]);
	else
		dmm_hidx_prefetch(&t->idx, key_hash(kind, idx));
}

dmm_time_t dmm_timers_get(const struct dmm_timers *t, unsigned kind, struct dmm_handle h)
{
	uint32_t r;

	if (kind > DMM_TIMER_KIND_MAX)
		return DMM_TIME_NEVER;
	r = find(t, kind, h.idx);
	if (r == DMM_HIDX_NONE || t->rec[r].h.gen != h.gen)
		return DMM_TIME_NEVER;
	return t->rec[r].deadline;
}

dmm_time_t dmm_timers_next(const struct dmm_timers *ct)
{
	/* The table was made writable (dmm_timers_new()): incoming timers are sorted in, a stale first bucket advanced to. */
	struct dmm_timers *t = (struct dmm_timers *)(uintptr_t)ct;
	int b;

	/*
	 * The first bucket's minimum left it (a refresh moved that timer
	 * later, or it was cancelled): instead of searching the bucket for the
	 * new minimum, which costs every timer in it each time (and refreshes
	 * in the order of expiry make it stale at every ask), the wheel
	 * advances to that bucket, as time reaching it would: cur moves to its
	 * start, its timers go down a level or into the ready list, each
	 * placed by its deadline now. No timer is earlier than that bucket, so
	 * the order is kept; a timer moves down at most NLEVEL times between
	 * two settings.
	 */
	for (;;) {
		flush(t);
		if (t->nready)
			return t->rec[t->rhead].deadline;
		b = first_bucket(t);
		if (b < 0)
			return DMM_TIME_NEVER;
		if (!bit_get(t->stale, (unsigned)b))
			return t->bmin[b];
		advance(t, (unsigned)b);
	}
}

int dmm_timers_pop_expired(struct dmm_timers *t, dmm_time_t now, unsigned *kind, struct dmm_handle *h)
{
	uint32_t r;
	int b;

	flush(t);
	while (!t->nready) {
		b = first_bucket(t);
		if (b < 0 || bucket_start(t, (unsigned)b) > now >> TICK_SHIFT)
			return 0;
		advance(t, (unsigned)b);
		flush(t);
	}
	r = t->rhead;
	if (t->rec[r].deadline > now)
		return 0;
	if (kind)
		*kind = t->rec[r].kind;
	if (h)
		*h = t->rec[r].h;
	remove_rec(t, r);
	return 1;
}

uint32_t dmm_timers_count(const struct dmm_timers *t)
{
	return t->n;
}

uint64_t dmm_timers_work(const struct dmm_timers *t)
{
	return t->work;
}

uint32_t dmm_timers_capacity(const struct dmm_timers *t)
{
	return t->capacity;
}

size_t dmm_timers_bytes(const struct dmm_timers *t)
{
	return sizeof(*t) + (size_t)t->capacity * sizeof(*t->rec) + dmm_hidx_bytes(&t->idx);
}
