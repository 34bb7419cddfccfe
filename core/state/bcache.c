/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding cache (RFC 5213 §5.1) with the RFC 8885 §3.2 list of previous
 * MAARs (the anchor list functions below).
 * The table itself (slots, handles, MN-ID and prefix indexes) is the
 * shared keyed table of keyed.c; this file adds the entry type and the
 * per-state counts.
 */
#include <stddef.h>

#include "dmm/bcache.h"
#include "dmm/err.h"
#include "keyed.h"

struct dmm_bcache {
	struct keyed k;
	uint32_t state_count[DMM_BCE_NSTATES];
};

static const struct keyed_layout layout = {
	.size = sizeof(struct dmm_bcache_entry),
	.off_handle = offsetof(struct dmm_bcache_entry, handle),
	.off_mnid = offsetof(struct dmm_bcache_entry, mnid),
	.off_nhnp = offsetof(struct dmm_bcache_entry, n_hnp),
	.off_hnp = offsetof(struct dmm_bcache_entry, hnp),
	.max_hnp = DMM_BCE_MAX_HNP,
};

int dmm_anchor_list_find(const struct dmm_anchor_list *l, const struct dmm_addr *addr,
			 const struct dmm_prefix *prefix)
{
	for (int i = 0; i < l->n; i++)
		if (dmm_addr_eq(&l->a[i].addr, addr) && dmm_prefix_eq(&l->a[i].prefix, prefix))
			return i;
	return -1;
}

static void anchor_list_remove_at(struct dmm_anchor_list *l, int i)
{
	for (; i + 1 < l->n; i++)
		l->a[i] = l->a[i + 1];
	l->n--;
}

int dmm_anchor_list_add(struct dmm_anchor_list *l, const struct dmm_addr *addr,
			const struct dmm_prefix *prefix)
{
	int i = dmm_anchor_list_find(l, addr, prefix);

	/* Newest last: a MAAR seen again moves to the end (RFC 8885 §3.2). */
	if (i >= 0)
		anchor_list_remove_at(l, i);
	else if (l->n >= DMM_BCE_MAX_PMAAR)
		return DMM_ERR_NOMEM;
	l->a[l->n].addr = *addr;
	l->a[l->n].prefix = *prefix;
	l->n++;
	return 0;
}

int dmm_anchor_list_del(struct dmm_anchor_list *l, const struct dmm_addr *addr,
			const struct dmm_prefix *prefix)
{
	int i = dmm_anchor_list_find(l, addr, prefix);

	if (i < 0)
		return DMM_ERR_NOTFOUND;
	anchor_list_remove_at(l, i);
	return 0;
}

struct dmm_bcache *dmm_bcache_new(const struct dmm_alloc *a, uint32_t capacity, uint32_t prefix_capacity,
				  uint64_t seed)
{
	struct dmm_bcache *t;

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

void dmm_bcache_free(struct dmm_bcache *t)
{
	struct dmm_alloc a;

	if (!t)
		return;
	a = t->k.alloc;
	keyed_fini(&t->k);
	a.free(a.ctx, t);
}

struct dmm_bcache_entry *dmm_bcache_add(struct dmm_bcache *t, const struct dmm_mnid *mnid,
					struct dmm_handle *out)
{
	struct dmm_bcache_entry *e = keyed_add(&t->k, mnid, out);

	if (e)
		t->state_count[DMM_BCE_ACTIVE]++; /* zeroed: state DMM_BCE_ACTIVE */
	return e;
}

void dmm_bcache_del(struct dmm_bcache *t, struct dmm_bcache_entry *e)
{
	if (!keyed_live(&t->k, e))
		return;
	t->state_count[e->state]--;
	keyed_del(&t->k, e);
}

struct dmm_bcache_entry *dmm_bcache_get(const struct dmm_bcache *t, struct dmm_handle h)
{
	return keyed_get(&t->k, h);
}

struct dmm_bcache_entry *dmm_bcache_find_mnid(const struct dmm_bcache *t, const struct dmm_mnid *mnid)
{
	return keyed_find_mnid(&t->k, mnid);
}

struct dmm_bcache_entry *dmm_bcache_find_mnid_next(const struct dmm_bcache *t,
						   const struct dmm_bcache_entry *cur)
{
	return keyed_find_mnid_next(&t->k, cur);
}

struct dmm_bcache_entry *dmm_bcache_find_prefix(const struct dmm_bcache *t, const struct dmm_prefix *prefix)
{
	return keyed_find_prefix(&t->k, prefix);
}

int dmm_bcache_add_prefix(struct dmm_bcache *t, struct dmm_bcache_entry *e, const struct dmm_prefix *prefix)
{
	return keyed_add_prefix(&t->k, e, prefix);
}

int dmm_bcache_del_prefix(struct dmm_bcache *t, struct dmm_bcache_entry *e, const struct dmm_prefix *prefix)
{
	return keyed_del_prefix(&t->k, e, prefix);
}

enum dmm_bce_state dmm_bcache_set_state(struct dmm_bcache *t, struct dmm_bcache_entry *e,
					enum dmm_bce_state to)
{
	enum dmm_bce_state old = e->state;

	if ((unsigned)to >= DMM_BCE_NSTATES)
		return old;
	t->state_count[old]--;
	t->state_count[to]++;
	e->state = to;
	return old;
}

const char *dmm_bce_state_name(enum dmm_bce_state s)
{
	static const char *const names[DMM_BCE_NSTATES] = {
		[DMM_BCE_ACTIVE] = "ACTIVE",
		[DMM_BCE_DEREG_WAIT] = "DEREG_WAIT",
		[DMM_BCE_HANDOFF_WAIT] = "HANDOFF_WAIT",
	};

	return (unsigned)s < DMM_BCE_NSTATES ? names[s] : "?";
}

struct dmm_bcache_entry *dmm_bcache_next(const struct dmm_bcache *t, const struct dmm_bcache_entry *prev)
{
	return keyed_next(&t->k, prev);
}

uint32_t dmm_bcache_count(const struct dmm_bcache *t)
{
	return t->k.count;
}

uint32_t dmm_bcache_count_state(const struct dmm_bcache *t, enum dmm_bce_state s)
{
	return (unsigned)s < DMM_BCE_NSTATES ? t->state_count[s] : 0;
}

uint32_t dmm_bcache_capacity(const struct dmm_bcache *t)
{
	return t->k.capacity;
}

uint32_t dmm_bcache_prefix_room(const struct dmm_bcache *t)
{
	const struct dmm_hidx *x = &t->k.by_prefix;

	return x->limit > x->count ? x->limit - x->count : 0;
}

size_t dmm_bcache_bytes(const struct dmm_bcache *t)
{
	return sizeof(*t) + keyed_bytes(&t->k);
}
