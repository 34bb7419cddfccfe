/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulator's data plane: the backend that executes forwarding intents
 * (fm.h) in memory. Per node a table of installed intents of one cache
 * line each, looked up by id and by prefix: a hash of the upper 64 bits
 * of a /64 and the lookup class (DECAP, SRC, DST: the intents a packet
 * can match at that step), a list per class for the other lengths. A
 * packet arriving at a node:
 *
 *   tunnelled to this node  -> DECAP intent from that peer whose prefix
 *                              holds the inner destination or source;
 *                              none: lost; else go on with the inner packet
 *   from an access link     -> SRC intent for (source, link)
 *   otherwise               -> DST intent for the destination
 *                              (lowest precedence, then longest prefix)
 *   ENCAP -> to the node owning the peer address, over the path
 *   DELIVER -> to MN 'link' iff it is attached here now, else lost
 *   BUFFER -> held until the next install at this node; DROP -> lost
 *   no intent -> routed on by the graph unless the destination is this
 *                anchor's own pool (then lost: no binding); at a MAG,
 *                lost; at a MAAR, uplink from its own pool is routed
 *                (a local prefix needs no tunnel, RFC 8885 §3.1) and
 *                uplink from another prefix is lost (ingress filtering)
 *
 * Counters per intent are reported back to the role (dmm_fm_report): at
 * once at a MAAR, whose idle release (GAP2-1) watches them; at an LMA or
 * a MAG, which never read them, once at the end of the run
 * (emu_dp_sync), as a daemon reports them now and then.
 */
#include <stdlib.h>
#include <string.h>

#include "dmm/fmt.h"
#include "emu.h"

#define NONE UINT32_MAX

/* The first 64 bits of a, as a number to hash (in host order: only equality matters). */
static uint64_t upper64(const struct dmm_addr *a)
{
	uint64_t v;

	memcpy(&v, a->b, sizeof(v));
	return v;
}

/*
 * The bucket key of a /64 in a class: a hash of the /64 with the class + 1
 * in its two low bits, never 0. The keys of one /64 have neighbouring
 * home slots: the intents a role installs together for a prefix touch
 * one cache line of the map. Two keys may collide: a bucket then holds
 * intents of both, and every lookup checks each intent it meets against
 * the packet, so only the time changes.
 */
static uint32_t pfx_key(int cls, const struct dmm_addr *a)
{
	return ((uint32_t)(dmm_hash_u64(upper64(a)) >> 32) & ~3u) | (uint32_t)(cls + 1);
}

static int class_of(uint8_t match, uint8_t action)
{
	if (action == DMM_FM_DECAP)
		return EMU_DP_DECAP;
	return match == DMM_FM_SRC ? EMU_DP_SRC : EMU_DP_DST;
}

int emu_dp_init(struct emu_dp *dp, uint32_t cap, uint32_t buffer_cap)
{
	uint32_t size = 16;

	memset(dp, 0, sizeof(*dp));
	/* Maps at most 80 % full when every slot is used (Robin Hood keeps the probes short). */
	while (size < cap + cap / 4)
		size <<= 1;
	dp->cap = cap;
	/* Zeroed, mapped at once (emu_table()) and filled from the front. */
	dp->v = emu_table(cap, sizeof(*dp->v));
	dp->ids = emu_table(size, sizeof(*dp->ids));
	dp->pfx = emu_table(size, sizeof(*dp->pfx));
	dp->buf_cap = buffer_cap;
	dp->buf = calloc(buffer_cap + 1, sizeof(*dp->buf));
	if (!dp->v || !dp->ids || !dp->pfx || !dp->buf)
		return -1;
	dp->mask = size - 1;
	dp->free_head = NONE;
	for (int c = 0; c < EMU_DP_NCLASS; c++)
		dp->other_head[c] = NONE;
	return 0;
}

void emu_dp_fini(struct emu_dp *dp)
{
	free(dp->v);
	free(dp->ids);
	free(dp->pfx);
	free(dp->buf);
	memset(dp, 0, sizeof(*dp));
}

/*
 * Open addressing, Robin Hood: keys are never 0, a key's home slot is
 * key & mask, and along a run of occupied slots the homes never go down
 * (an insert passes every key no farther from its home than itself). So
 * a search ends at a key nearer its home than the search has come, and a
 * deletion shifts back only the keys behind it that are away from home,
 * stopping at the first one at home. The id map's keys are the ids
 * themselves: fm.c keeps an id's slot index in its low bits, so live ids
 * sit in long runs, each key at its home, and no operation walks a run.
 */
static uint32_t dist(uint32_t mask, uint32_t i, uint32_t k)
{
	return (i - k) & mask;
}

/* The slot of key k, or of the first key nearer its home than k would be there (where k belongs). */
static uint32_t map_seek(const struct emu_map_ent *m, uint32_t mask, uint32_t k)
{
	uint32_t i = k & mask;

	for (uint32_t d = 0; m[i].key && m[i].key != k && dist(mask, i, m[i].key) >= d; d++)
		i = (i + 1) & mask;
	return i;
}

static uint32_t *map_find(struct emu_map_ent *m, uint32_t mask, uint32_t k)
{
	uint32_t i = map_seek(m, mask, k);

	return m[i].key == k ? &m[i].val : NULL;
}

/* The value of key k, added with value v when k is new. */
static uint32_t *map_get(struct emu_map_ent *m, uint32_t mask, uint32_t k, uint32_t v)
{
	uint32_t i = map_seek(m, mask, k), at = i;
	struct emu_map_ent cur = {k, v};

	if (m[i].key == k)
		return &m[i].val;
	/* k goes at i; the keys from i to the next free slot move up by one. */
	while (cur.key) {
		struct emu_map_ent t = m[i];

		m[i] = cur;
		cur = t;
		i = (i + 1) & mask;
	}
	return &m[at].val;
}

static void map_del(struct emu_map_ent *m, uint32_t mask, uint32_t k)
{
	uint32_t i = map_seek(m, mask, k), j;

	if (m[i].key != k)
		return;
	for (j = (i + 1) & mask; m[j].key && dist(mask, j, m[j].key) > 0; j = (j + 1) & mask) {
		m[i] = m[j];
		i = j;
	}
	m[i].key = 0;
}

/* ---- tunnel ends: the few addresses intents name, each with its node ---- */

static uint32_t ia_hash(const struct dmm_addr *a)
{
	uint64_t lo;

	memcpy(&lo, a->b + 8, sizeof(lo));
	return (uint32_t)(dmm_hash_u64(upper64(a) * 31 + lo) >> 32);
}

static int ia_grow(struct emu *e)
{
	uint32_t size = e->ia_mask ? (e->ia_mask + 1) * 2 : 64;
	uint32_t *map = calloc(size, sizeof(*map));
	struct emu_iaddr *v = realloc(e->ia, sizeof(*v) * size / 2);

	if (!map || !v) {
		free(map);
		if (v)
			e->ia = v;
		return -1;
	}
	e->ia = v;
	e->ia_cap = size / 2;
	free(e->ia_map);
	e->ia_map = map;
	e->ia_mask = size - 1;
	for (uint32_t k = 0; k < e->nia; k++) {
		uint32_t i = ia_hash(&e->ia[k].a) & e->ia_mask;

		while (map[i])
			i = (i + 1) & e->ia_mask;
		map[i] = k + 1;
	}
	return 0;
}

/* The index of address a among the interned ones (added when new), or NONE (memory). */
static uint32_t emu_addr_intern(struct emu *e, const struct dmm_addr *a)
{
	uint32_t i;
	struct emu_node *n;

	/* An install names two addresses (its local and its peer end): the last two looked up first. */
	if (e->nia && emu_addr_eq(&e->ia[e->ia_last].a, a))
		return e->ia_last;
	if (e->nia && emu_addr_eq(&e->ia[e->ia_prev].a, a)) {
		i = e->ia_prev;
		e->ia_prev = e->ia_last;
		return e->ia_last = i;
	}
	if (e->nia == e->ia_cap && ia_grow(e))
		return NONE;
	e->ia_prev = e->ia_last;
	for (i = ia_hash(a) & e->ia_mask; e->ia_map[i]; i = (i + 1) & e->ia_mask)
		if (emu_addr_eq(&e->ia[e->ia_map[i] - 1].a, a))
			return e->ia_last = e->ia_map[i] - 1;
	n = emu_node_by_addr(e, a);
	e->ia[e->nia] = (struct emu_iaddr){.a = *a, .node = n ? n->idx : NONE};
	e->ia_map[i] = ++e->nia;
	return e->ia_last = e->nia - 1;
}

void emu_iaddr_fini(struct emu *e)
{
	free(e->ia);
	free(e->ia_map);
	e->ia = NULL;
	e->ia_map = NULL;
	e->nia = e->ia_cap = e->ia_mask = e->ia_last = e->ia_prev = 0;
}

/* ---- install and remove ---- */

/* The head of the bucket x belongs in: a map value, or an "other" list. */
static uint32_t *bucket(struct emu_dp *dp, const struct emu_dp_ent *x, bool add)
{
	int cls = class_of(x->match, x->action);
	uint32_t k;

	if (x->plen != 64)
		return &dp->other_head[cls];
	k = pfx_key(cls, &x->pfx);
	return add ? map_get(dp->pfx, dp->mask, k, NONE) : map_find(dp->pfx, dp->mask, k);
}

int emu_dp_install(void *ctx, const struct dmm_intent *in)
{
	struct emu_node *n = ctx;
	struct emu *e = n->emu;
	struct emu_dp *dp = &n->dp;
	uint32_t s = dp->free_head, *head, local, peer;
	struct emu_dp_ent *x;

	if (in->match > DMM_FM_SRC || in->action > DMM_FM_LOCAL || in->prefix.len > 128)
		return -2; /* DMM_ERR_INVAL */
	if (s == NONE && dp->hwm == dp->cap)
		return -3; /* DMM_ERR_NOMEM */
	local = emu_addr_intern(e, &in->local);
	peer = emu_addr_intern(e, &in->peer);
	if (local == NONE || peer == NONE)
		return -3;
	if (s == NONE)
		s = dp->hwm++;
	else
		dp->free_head = dp->v[s].next;
	x = &dp->v[s];
	*x = (struct emu_dp_ent){.pfx = in->prefix.addr,
				 .id = in->id,
				 .link = in->link,
				 .local = local,
				 .peer = peer,
				 .precedence = in->precedence,
				 .plen = in->prefix.len,
				 .match = in->match,
				 .action = in->action};
	*map_get(dp->ids, dp->mask, in->id, s) = s;
	head = bucket(dp, x, true);
	x->next = *head;
	*head = s;
	dp->count++;
	dp->installs++;
	if (in->action == DMM_FM_ENCAP)
		e->encap_now++;
	/* A new intent may be what buffered packets wait for. */
	if (dp->nbuf && !dp->flush_pending) {
		struct emu_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.type = EV_FLUSH;
		ev.node = n->idx;
		dp->flush_pending = true;
		emu_schedule(&e->eng, e->eng.now, &ev);
	}
	return 0;
}

/* Take slot s out of its bucket (newest first, so it is near the head). */
static void unlink_slot(struct emu_dp *dp, uint32_t s)
{
	struct emu_dp_ent *x = &dp->v[s];
	uint32_t *head = bucket(dp, x, false), *h = head;

	while (*h != s)
		h = &dp->v[*h].next;
	*h = x->next;
	if (*head == NONE && x->plen == 64)
		map_del(dp->pfx, dp->mask, pfx_key(class_of(x->match, x->action), &x->pfx));
}

void emu_dp_remove(void *ctx, const struct dmm_intent *in)
{
	struct emu_node *n = ctx;
	struct emu_dp *dp = &n->dp;
	uint32_t *sp = map_find(dp->ids, dp->mask, in->id), s;
	struct emu_dp_ent *x;

	if (!sp)
		return;
	s = *sp;
	x = &dp->v[s];
	map_del(dp->ids, dp->mask, in->id);
	unlink_slot(dp, s);
	if (x->action == DMM_FM_ENCAP)
		n->emu->encap_now--;
	x->id = 0;
	x->next = dp->free_head;
	dp->free_head = s;
	dp->count--;
	dp->removes++;
}

/* ---- lookup ---- */

static bool contains(const struct emu_dp_ent *x, const struct dmm_addr *a)
{
	struct dmm_prefix p = {.addr = x->pfx, .len = x->plen};

	if (x->plen == 64)
		return !memcmp(x->pfx.b, a->b, 8);
	return dmm_prefix_contains(&p, a);
}

/* Is ent a better match than best? PDR precedence, then the longer prefix. */
static bool better(const struct emu_dp_ent *ent, const struct emu_dp_ent *best)
{
	if (!best)
		return true;
	if (ent->precedence != best->precedence)
		return ent->precedence < best->precedence;
	return ent->plen > best->plen;
}

typedef bool (*match_fn)(const struct emu *e, const struct emu_dp_ent *x, const struct emu_pkt *p);

static struct emu_dp_ent *scan(const struct emu *e, struct emu_dp *dp, uint32_t s, match_fn fn,
			       const struct emu_pkt *p, struct emu_dp_ent *best)
{
	for (; s != NONE; s = dp->v[s].next)
		if (fn(e, &dp->v[s], p) && better(&dp->v[s], best))
			best = &dp->v[s];
	return best;
}

/*
 * The best intent of class cls for a packet whose key address is key: the
 * bucket of key's /64, then the intents of other lengths. In each, newer
 * intents come first and win ties, as they always have.
 */
static struct emu_dp_ent *lookup(const struct emu *e, struct emu_dp *dp, int cls, const struct dmm_addr *key,
				 match_fn fn, const struct emu_pkt *p)
{
	uint32_t *head = map_find(dp->pfx, dp->mask, pfx_key(cls, key));
	struct emu_dp_ent *best = NULL;

	if (head)
		best = scan(e, dp, *head, fn, p, best);
	return scan(e, dp, dp->other_head[cls], fn, p, best);
}

static bool m_decap(const struct emu *e, const struct emu_dp_ent *x, const struct emu_pkt *p)
{
	return x->action == DMM_FM_DECAP && emu_addr_eq(&e->ia[x->peer].a, &p->osrc) &&
	       (contains(x, &p->dst) || contains(x, &p->src));
}

static bool m_src(const struct emu *e, const struct emu_dp_ent *x, const struct emu_pkt *p)
{
	(void)e;
	return x->match == DMM_FM_SRC && x->action != DMM_FM_DECAP &&
	       (x->link == 0 || x->link == p->in_link) && contains(x, &p->src);
}

static bool m_dst(const struct emu *e, const struct emu_dp_ent *x, const struct emu_pkt *p)
{
	(void)e;
	/* A localized routing intent (RFC 6705) is for packets from its access link only (emu_dp_local). */
	return x->match == DMM_FM_DST && x->action != DMM_FM_DECAP && x->action != DMM_FM_LOCAL &&
	       contains(x, &p->dst);
}

static bool m_local(const struct emu *e, const struct emu_dp_ent *x, const struct emu_pkt *p)
{
	(void)e;
	return x->action == DMM_FM_LOCAL && x->link == p->in_link && contains(x, &p->dst);
}

bool emu_dp_local(struct emu *e, struct emu_node *n, uint32_t link, const struct dmm_addr *dst)
{
	struct emu_pkt p;

	memset(&p, 0, sizeof(p));
	p.in_link = link;
	p.dst = *dst;
	return !n->dead && lookup(e, &n->dp, EMU_DP_DST, dst, m_local, &p) != NULL;
}

static struct emu_flow_stats *fs(struct emu *e, const struct emu_pkt *p)
{
	return p->uplink ? &e->ul : &e->dl;
}

static void count(struct emu *e, struct emu_node *n, struct emu_dp_ent *x, const struct emu_pkt *p)
{
	x->packets++;
	x->bytes += p->size + (x->action == DMM_FM_ENCAP ? 40u : 0u);
	/* A MAAR sees its counters move: its idle release (GAP2-1) depends on it. */
	if (n->maar)
		dmm_fm_report(dmm_role_fm(n->maar), x->id, x->packets, x->bytes, e->eng.now);
}

void emu_dp_sync(struct emu *e)
{
	for (uint32_t i = 0; i < e->nnodes; i++) {
		struct emu_node *n = &e->nodes[i];
		struct dmm_fm *fm = n->maar ? NULL : emu_node_fm(n);

		for (uint32_t s = 0; fm && s < n->dp.hwm; s++) {
			struct emu_dp_ent *x = &n->dp.v[s];

			if (x->id && x->packets)
				dmm_fm_report(fm, x->id, x->packets, x->bytes, e->eng.now);
		}
	}
}

void emu_prefetch(struct emu *e, const struct emu_event *ev)
{
	const struct emu_pkt *p = &ev->u.pkt;
	const struct emu_dp *dp;

	switch (ev->type) {
	case EV_MH:
	case EV_MN_ATTACH:
	case EV_MN_DETACH:
	case EV_DOWNLINK:
	case EV_UPLINK:
		if (ev->mn < e->nmns)
			__builtin_prefetch(&e->mns[ev->mn]);
		return;
	case EV_PKT:
		dp = &e->nodes[ev->node].dp;
		if (p->flow >= 1 && p->flow <= e->nmns)
			__builtin_prefetch(&e->mns[p->flow - 1]);
		if (!dp->pfx)
			return;
		if (p->tunnelled)
			__builtin_prefetch(&dp->pfx[pfx_key(EMU_DP_DECAP, &p->dst) & dp->mask]);
		else if (p->in_link)
			__builtin_prefetch(&dp->pfx[pfx_key(EMU_DP_SRC, &p->src) & dp->mask]);
		else
			__builtin_prefetch(&dp->pfx[pfx_key(EMU_DP_DST, &p->dst) & dp->mask]);
		return;
	default:
		return;
	}
}

/* The map line of the /64 buckets of prefix p at node n (the classes' keys of a /64 are neighbours). */
static void prefetch_pfx(const struct emu_node *n, const struct dmm_prefix *p)
{
	const struct emu_dp *dp = &n->dp;

	if (dp->pfx && p->len == 64)
		__builtin_prefetch(&dp->pfx[pfx_key(EMU_DP_DST, &p->addr) & dp->mask]);
}

void emu_prefetch_run(struct emu *e, const struct emu_event *ev)
{
	const struct emu_mn *m;

	if (ev->mn >= e->nmns || (ev->type != EV_MH && ev->type != EV_MN_DETACH && ev->type != EV_MN_ATTACH))
		return;
	m = &e->mns[ev->mn];
	if (!m->has_prefix)
		return;
	if (ev->type == EV_MN_DETACH) {
		if (m->mag >= 0)
			prefetch_pfx(&e->nodes[m->mag], &m->hnp);
		return;
	}
	if (ev->node < e->nnodes)
		prefetch_pfx(&e->nodes[ev->node], &m->hnp);
}

/* Send p from node a to node b over the path (it arrives as EV_PKT). */
static void travel(struct emu *e, uint32_t a, uint32_t b, const struct emu_pkt *p)
{
	struct emu_event ev;
	bool lost;
	dmm_time_t t = emu_path_draw(e, a, b, &lost);

	if (t == DMM_TIME_NEVER) {
		if (lost)
			fs(e, p)->lost_link++;
		else
			fs(e, p)->lost_no_route++;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = EV_PKT;
	ev.node = b;
	ev.u.pkt = *p;
	emu_schedule(&e->eng, e->eng.now + t, &ev);
}

void emu_dp_route(struct emu *e, struct emu_node *n, struct emu_pkt *p)
{
	struct emu_node *to = emu_node_by_addr(e, &p->dst);

	if (!to && e->reloc.nrt)
		to = emu_reloc_route(e, &p->dst);
	if (!to)
		to = emu_anchor_of(e, &p->dst);
	if (!to) {
		fs(e, p)->lost_no_route++;
		return;
	}
	if (to == n) {
		if (n->kind == EMU_CN && p->uplink) {
			e->ul.delivered++;
			e->ul.bytes_delivered += p->size;
			e->ul.delay_sum += e->eng.now - p->sent;
			if (p->sess)
				emu_sess_delivered(e, p, n);
		} else {
			fs(e, p)->lost_no_intent++;
		}
		return;
	}
	travel(e, n->idx, to->idx, p);
}

static void deliver(struct emu *e, struct emu_node *n, uint32_t link, struct emu_pkt *p)
{
	struct emu_mn *m = link >= 1 && link <= e->nmns ? &e->mns[link - 1] : NULL;

	if (!m || m->mag != (int32_t)n->idx || p->uplink) {
		fs(e, p)->lost_not_attached++;
		return;
	}
	emu_mn_delivered(e, m, p, n);
}

static void buffer(struct emu *e, struct emu_node *n, const struct emu_pkt *p)
{
	if (n->dp.nbuf >= n->dp.buf_cap) {
		fs(e, p)->lost_buffer_full++;
		return;
	}
	n->dp.buf[n->dp.nbuf++] = *p;
}

static bool own_pool(const struct emu_node *n, const struct dmm_addr *a)
{
	for (unsigned k = 0; k < n->npool; k++)
		if (dmm_prefix_contains(&n->pool[k], a))
			return true;
	return false;
}

static void forward(struct emu *e, struct emu_node *n, struct emu_pkt *p)
{
	struct emu_dp_ent *x;
	struct emu_node *peer;

	if (p->in_link)
		x = lookup(e, &n->dp, EMU_DP_SRC, &p->src, m_src, p);
	else
		x = lookup(e, &n->dp, EMU_DP_DST, &p->dst, m_dst, p);
	if (!x) {
		/* No intent. An anchor owns its pool: no binding means no route. */
		if (own_pool(n, &p->dst)) {
			fs(e, p)->lost_no_intent++;
			return;
		}
		if (n->kind == EMU_MAG ||
		    (p->in_link &&
		     !(n->kind == EMU_MAAR &&
		       (own_pool(n, &p->src) || (e->reloc.nrt && emu_reloc_announces(e, n, &p->src)))))) {
			fs(e, p)->lost_no_intent++;
			return;
		}
		emu_dp_route(e, n, p);
		return;
	}
	count(e, n, x, p);
	switch (x->action) {
	case DMM_FM_ENCAP:
		if (e->ia[x->peer].node == NONE) {
			fs(e, p)->lost_no_route++;
			return;
		}
		peer = &e->nodes[e->ia[x->peer].node];
		p->osrc = dmm_addr_is_zero(&e->ia[x->local].a) ? n->addr : e->ia[x->local].a;
		p->odst = e->ia[x->peer].a;
		p->tunnelled = 1;
		p->in_link = 0;
		p->ntun++;
		if (p->anchor == UINT16_MAX &&
		    (n->kind == EMU_LMA ||
		     (n->kind == EMU_MAAR &&
		      (own_pool(n, &p->dst) || (e->reloc.nrt && emu_reloc_announces(e, n, &p->dst))))))
			p->anchor = (uint16_t)n->idx;
		travel(e, n->idx, peer->idx, p);
		return;
	case DMM_FM_DELIVER:
		deliver(e, n, x->link, p);
		return;
	case DMM_FM_BUFFER:
		buffer(e, n, p);
		return;
	case DMM_FM_DROP:
		fs(e, p)->lost_drop++;
		return;
	default:
		fs(e, p)->lost_no_intent++;
		return;
	}
}

void emu_dp_arrive(struct emu *e, struct emu_node *n, struct emu_pkt *p)
{
	if (n->dead) {
		fs(e, p)->lost_dead++;
		return;
	}
	/* Traffic carried by each anchor: the MN-side address is in its pool. */
	if (n->npool && own_pool(n, p->uplink ? &p->src : &p->dst)) {
		n->carried_pkts++;
		n->carried_bytes += p->size;
	}
	if (n->kind == EMU_CN || n->kind == EMU_ROUTER || n->kind == EMU_CMD) {
		p->tunnelled = 0;
		emu_dp_route(e, n, p);
		return;
	}
	if (p->tunnelled) {
		struct emu_dp_ent *x = lookup(e, &n->dp, EMU_DP_DECAP, &p->dst, m_decap, p);

		if (!x)
			x = lookup(e, &n->dp, EMU_DP_DECAP, &p->src, m_decap, p);
		if (!x) {
			fs(e, p)->lost_no_decap++;
			return;
		}
		count(e, n, x, p);
		p->tunnelled = 0;
		p->decapped = 1;
	}
	forward(e, n, p);
}

void emu_dp_flush(struct emu *e, struct emu_node *n)
{
	uint32_t k = n->dp.nbuf;
	struct emu_pkt *held;

	n->dp.flush_pending = false;
	if (!k)
		return;
	held = malloc(sizeof(*held) * k);
	if (!held)
		return;
	memcpy(held, n->dp.buf, sizeof(*held) * k);
	n->dp.nbuf = 0;
	for (uint32_t i = 0; i < k; i++) {
		if (n->dead)
			fs(e, &held[i])->lost_dead++;
		else
			forward(e, n, &held[i]);
	}
	free(held);
}
