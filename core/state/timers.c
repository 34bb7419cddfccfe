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
 * Structure: a binary min-heap ordered by (deadline, sequence of setting)
 * over a preallocated array of records (the free ones linked through
 * their heap position), plus a dmm_hidx from (kind, idx) to record, so
 * set and cancel find an armed timer in O(1) and move it in O(log n).
 */
#include "dmm/timers.h"
#include "dmm/err.h"
#include "dmm/hash.h"

#define TIMER_NONE UINT32_MAX

struct heap_node {
	dmm_time_t deadline;
	uint32_t rec;
	uint32_t seq; /* tie-break: equal deadlines fire in setting order */
};

struct timer_rec {
	struct dmm_handle h;
	uint32_t pos; /* index in heap; a free record: the next free one */
	uint32_t kind;
};

struct dmm_timers {
	struct dmm_alloc alloc;
	uint32_t capacity;
	uint32_t n;	    /* heap size = armed timers */
	uint32_t free_head; /* the first freed record (its pos links the next), or TIMER_NONE */
	uint32_t fresh;	    /* records [fresh, capacity) were never used: free, off the list */
	uint32_t seq;
	struct heap_node *heap;
	struct timer_rec *rec;
	struct dmm_hidx idx;
};

static inline uint32_t key_hash(unsigned kind, uint32_t idx)
{
	return (uint32_t)dmm_hash_u64(((uint64_t)kind << 32) | idx);
}

/* a fires before b. Sequence numbers compare with wrap-around. */
static inline bool before(const struct heap_node *a, const struct heap_node *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return (int32_t)(a->seq - b->seq) < 0;
}

static inline void place(struct dmm_timers *t, uint32_t pos, struct heap_node node)
{
	t->heap[pos] = node;
	t->rec[node.rec].pos = pos;
}

static void sift_up(struct dmm_timers *t, uint32_t pos)
{
	struct heap_node node = t->heap[pos];

	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;

		if (!before(&node, &t->heap[parent]))
			break;
		place(t, pos, t->heap[parent]);
		pos = parent;
	}
	place(t, pos, node);
}

static void sift_down(struct dmm_timers *t, uint32_t pos)
{
	struct heap_node node = t->heap[pos];

	for (;;) {
		uint32_t c = 2 * pos + 1;

		if (c >= t->n)
			break;
		if (c + 1 < t->n && before(&t->heap[c + 1], &t->heap[c]))
			c++;
		if (!before(&t->heap[c], &node))
			break;
		place(t, pos, t->heap[c]);
		pos = c;
	}
	place(t, pos, node);
}

/* Record of the (kind, idx) timer, or DMM_HIDX_NONE. */
static uint32_t find(const struct dmm_timers *t, unsigned kind, uint32_t idx)
{
	uint32_t h = key_hash(kind, idx), pos, r;

	for (r = dmm_hidx_first(&t->idx, h, &pos); r != DMM_HIDX_NONE; r = dmm_hidx_next(&t->idx, h, &pos))
		if (t->rec[r].kind == kind && t->rec[r].h.idx == idx)
			return r;
	return DMM_HIDX_NONE;
}

static void remove_rec(struct dmm_timers *t, uint32_t r)
{
	uint32_t pos = t->rec[r].pos;

	dmm_hidx_remove(&t->idx, key_hash(t->rec[r].kind, t->rec[r].h.idx), r);
	t->rec[r].pos = t->free_head; /* pos is the free list's link while free */
	t->free_head = r;
	t->n--;
	if (pos != t->n) {
		uint32_t moved = t->heap[t->n].rec;

		/* The last node fills the hole; it may belong above or below. */
		place(t, pos, t->heap[t->n]);
		sift_up(t, pos);
		sift_down(t, t->rec[moved].pos);
	}
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
	t->heap = a->zalloc(a->ctx, (size_t)capacity * sizeof(*t->heap));
	if (!t->heap)
		goto err_heap;
	t->rec = a->zalloc(a->ctx, (size_t)capacity * sizeof(*t->rec));
	if (!t->rec)
		goto err_rec;
	if (dmm_hidx_init(&t->idx, a, capacity))
		goto err_idx;
	/* No loop over the records: they are taken in order as needed (fresh), so start-up touches no page of them. */
	t->free_head = TIMER_NONE;
	t->fresh = 0;
	return t;

err_idx:
	a->free(a->ctx, t->rec);
err_rec:
	a->free(a->ctx, t->heap);
err_heap:
	a->free(a->ctx, t);
err_t:
	return NULL;
}

void dmm_timers_free(struct dmm_timers *t)
{
	struct dmm_alloc a;

	if (!t)
		return;
	a = t->alloc;
	dmm_hidx_fini(&t->idx, &a);
	a.free(a.ctx, t->rec);
	a.free(a.ctx, t->heap);
	a.free(a.ctx, t);
}

int dmm_timers_set(struct dmm_timers *t, unsigned kind, struct dmm_handle h, dmm_time_t deadline)
{
	uint32_t r, pos;

	if (kind > DMM_TIMER_KIND_MAX)
		return DMM_ERR_INVAL;
	r = find(t, kind, h.idx);
	if (deadline == DMM_TIME_NEVER) {
		if (r != DMM_HIDX_NONE)
			remove_rec(t, r);
		return 0;
	}
	if (r == DMM_HIDX_NONE) {
		/* A freed record first, newest first; then the next one never used. */
		if (t->free_head == TIMER_NONE && t->fresh == t->capacity)
			return DMM_ERR_NOMEM;
		r = t->free_head != TIMER_NONE ? t->free_head : t->fresh;
		/* Cannot fail: the index holds capacity references. */
		if (dmm_hidx_insert(&t->idx, key_hash(kind, h.idx), r))
			return DMM_ERR_NOMEM;
		if (r == t->free_head)
			t->free_head = t->rec[r].pos;
		else
			t->fresh++;
		t->rec[r].kind = kind;
		pos = t->n++;
	} else {
		pos = t->rec[r].pos;
	}
	t->rec[r].h = h;
	place(t, pos, (struct heap_node){.deadline = deadline, .rec = r, .seq = t->seq++});
	/* A replaced timer may move either way; a new one only up. */
	sift_up(t, pos);
	sift_down(t, t->rec[r].pos);
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

dmm_time_t dmm_timers_get(const struct dmm_timers *t, unsigned kind, struct dmm_handle h)
{
	uint32_t r;

	if (kind > DMM_TIMER_KIND_MAX)
		return DMM_TIME_NEVER;
	r = find(t, kind, h.idx);
	if (r == DMM_HIDX_NONE || t->rec[r].h.gen != h.gen)
		return DMM_TIME_NEVER;
	return t->heap[t->rec[r].pos].deadline;
}

dmm_time_t dmm_timers_next(const struct dmm_timers *t)
{
	return t->n ? t->heap[0].deadline : DMM_TIME_NEVER;
}

int dmm_timers_pop_expired(struct dmm_timers *t, dmm_time_t now, unsigned *kind, struct dmm_handle *h)
{
	uint32_t r;

	if (!t->n || t->heap[0].deadline > now)
		return 0;
	r = t->heap[0].rec;
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

uint32_t dmm_timers_capacity(const struct dmm_timers *t)
{
	return t->capacity;
}

size_t dmm_timers_bytes(const struct dmm_timers *t)
{
	return sizeof(*t) + (size_t)t->capacity * (sizeof(*t->heap) + sizeof(*t->rec)) +
	       dmm_hidx_bytes(&t->idx);
}
