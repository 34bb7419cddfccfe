/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding update list (RFC 5213 §6.1).
 * The table itself (slots, handles, MN-ID and prefix indexes) is the
 * shared keyed table of keyed.c; this file adds the entry type and the
 * per-state counts.
 */
#include <stddef.h>

#include "dmm/bul.h"
#include "dmm/err.h"
#include "keyed.h"

struct dmm_bul {
	struct keyed k;
	uint32_t state_count[DMM_BUL_NSTATES];
};

/* The second keep range runs to the end of the entry: nothing may follow the anchors but padding. */
_Static_assert(sizeof(struct dmm_bul_entry) - offsetof(struct dmm_bul_entry, anchors) -
			       sizeof(((struct dmm_bul_entry *)0)->anchors) <
		       _Alignof(struct dmm_bul_entry),
	       "anchors must be the last member of struct dmm_bul_entry");

static const struct keyed_layout layout = {
	.size = sizeof(struct dmm_bul_entry),
	.off_handle = offsetof(struct dmm_bul_entry, handle),
	.off_mnid = offsetof(struct dmm_bul_entry, mnid),
	.off_nhnp = offsetof(struct dmm_bul_entry, n_hnp),
	.off_hnp = offsetof(struct dmm_bul_entry, hnp),
	.max_hnp = DMM_BUL_MAX_HNP,
	.keep = {{offsetof(struct dmm_bul_entry, hnp), sizeof(((struct dmm_bul_entry *)0)->hnp)},
		 /* the anchors are the last member: their array and the padding after it */
		 {offsetof(struct dmm_bul_entry, anchors.a),
		  sizeof(struct dmm_bul_entry) - offsetof(struct dmm_bul_entry, anchors.a)}},
};

struct dmm_bul *dmm_bul_new(const struct dmm_alloc *a, uint32_t capacity, uint32_t prefix_capacity,
			    uint64_t seed)
{
	struct dmm_bul *t;

	if (!a || !a->zalloc || !a->free)
		return NULL;
	t = a->zalloc(a->ctx, sizeof(*t));
	if (!t)
		return NULL;
	if (keyed_init(&t->k, a, capacity, prefix_capacity, seed, &layout) != 0) {
		a->free(a->ctx, t);
		return NULL;
	}
	return t;
}

void dmm_bul_free(struct dmm_bul *t)
{
	struct dmm_alloc a;

	if (!t)
		return;
	a = t->k.alloc;
	keyed_fini(&t->k);
	a.free(a.ctx, t);
}

struct dmm_bul_entry *dmm_bul_add(struct dmm_bul *t, const struct dmm_mnid *mnid, struct dmm_handle *out)
{
	struct dmm_bul_entry *e = keyed_add(&t->k, mnid, out);

	if (e)
		t->state_count[DMM_BUL_IDLE]++; /* zeroed: state DMM_BUL_IDLE */
	return e;
}

void dmm_bul_del(struct dmm_bul *t, struct dmm_bul_entry *e)
{
	if (!keyed_live(&t->k, e))
		return;
	t->state_count[e->state]--;
	keyed_del(&t->k, e);
}

struct dmm_bul_entry *dmm_bul_get(const struct dmm_bul *t, struct dmm_handle h)
{
	return keyed_get(&t->k, h);
}

struct dmm_bul_entry *dmm_bul_find_mnid(const struct dmm_bul *t, const struct dmm_mnid *mnid)
{
	return keyed_find_mnid(&t->k, mnid);
}

struct dmm_bul_entry *dmm_bul_find_mnid_next(const struct dmm_bul *t, const struct dmm_bul_entry *cur)
{
	return keyed_find_mnid_next(&t->k, cur);
}

struct dmm_bul_entry *dmm_bul_find_prefix(const struct dmm_bul *t, const struct dmm_prefix *prefix)
{
	return keyed_find_prefix(&t->k, prefix);
}

int dmm_bul_add_prefix(struct dmm_bul *t, struct dmm_bul_entry *e, const struct dmm_prefix *prefix)
{
	return keyed_add_prefix(&t->k, e, prefix);
}

int dmm_bul_del_prefix(struct dmm_bul *t, struct dmm_bul_entry *e, const struct dmm_prefix *prefix)
{
	return keyed_del_prefix(&t->k, e, prefix);
}

enum dmm_bul_state dmm_bul_set_state(struct dmm_bul *t, struct dmm_bul_entry *e, enum dmm_bul_state to)
{
	enum dmm_bul_state old = e->state;

	if ((unsigned)to >= DMM_BUL_NSTATES)
		return old;
	t->state_count[old]--;
	t->state_count[to]++;
	e->state = to;
	return old;
}

const char *dmm_bul_state_name(enum dmm_bul_state s)
{
	static const char *const names[DMM_BUL_NSTATES] = {
		[DMM_BUL_IDLE] = "IDLE",
		[DMM_BUL_WAIT_PBA] = "WAIT_PBA",
		[DMM_BUL_REGISTERED] = "REGISTERED",
		[DMM_BUL_DEREG_WAIT] = "DEREG_WAIT",
	};

	return (unsigned)s < DMM_BUL_NSTATES ? names[s] : "?";
}

struct dmm_bul_entry *dmm_bul_next(const struct dmm_bul *t, const struct dmm_bul_entry *prev)
{
	return keyed_next(&t->k, prev);
}

uint32_t dmm_bul_count(const struct dmm_bul *t)
{
	return t->k.count;
}

uint32_t dmm_bul_count_state(const struct dmm_bul *t, enum dmm_bul_state s)
{
	return (unsigned)s < DMM_BUL_NSTATES ? t->state_count[s] : 0;
}

uint32_t dmm_bul_capacity(const struct dmm_bul *t)
{
	return t->k.capacity;
}

size_t dmm_bul_bytes(const struct dmm_bul *t)
{
	return sizeof(*t) + keyed_bytes(&t->k);
}
