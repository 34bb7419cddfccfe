/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulator's data plane: the backend that executes forwarding intents
 * (fm.h) in memory. Per node a table of installed intents, looked up by id
 * and by prefix (a hash on the upper 64 bits for /64s, a list for the
 * rest). A packet arriving at a node:
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

static uint64_t mix(uint64_t x)
{
	return dmm_hash_u64(x) | 1;
}

/*
 * The id map's key: the id itself, placed so that its home slot is id &
 * mask. Ids are never 0; a backend that reuses an id's low bits for the
 * next intent (fm.c keeps a slot index there) finds that slot still in
 * the cache.
 */
static uint64_t id_key(uint32_t id)
{
	return (uint64_t)id << 7;
}

static uint64_t upper64(const struct dmm_addr *a)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | a->b[i];
	return v;
}

int emu_dp_init(struct emu_dp *dp, uint32_t cap, uint32_t buffer_cap)
{
	uint32_t size = 16;

	memset(dp, 0, sizeof(*dp));
	while (size < cap * 2)
		size <<= 1;
	dp->cap = cap;
	/* Zeroed and filled from the front: pages never used stay untouched. */
	dp->v = calloc(cap, sizeof(*dp->v));
	dp->ids = calloc(size, sizeof(*dp->ids));
	dp->pfx = calloc(size, sizeof(*dp->pfx));
	dp->buf_cap = buffer_cap;
	dp->buf = calloc(buffer_cap + 1, sizeof(*dp->buf));
	if (!dp->v || !dp->ids || !dp->pfx || !dp->buf)
		return -1;
	dp->mask = size - 1;
	dp->free_head = NONE;
	dp->other_head = NONE;
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

/* Open addressing with backward-shift deletion; keys are never 0. */
static uint32_t *map_find(struct emu_map_ent *m, uint32_t mask, uint64_t k)
{
	for (uint32_t i = (uint32_t)(k >> 7) & mask;; i = (i + 1) & mask) {
		if (m[i].key == k)
			return &m[i].val;
		if (!m[i].key)
			return NULL;
	}
}

static void map_put(struct emu_map_ent *m, uint32_t mask, uint64_t k, uint32_t v)
{
	uint32_t i = (uint32_t)(k >> 7) & mask;

	while (m[i].key && m[i].key != k)
		i = (i + 1) & mask;
	m[i].key = k;
	m[i].val = v;
}

static void map_del(struct emu_map_ent *m, uint32_t mask, uint64_t k)
{
	uint32_t i = (uint32_t)(k >> 7) & mask, j;

	while (m[i].key != k) {
		if (!m[i].key)
			return;
		i = (i + 1) & mask;
	}
	m[i].key = 0;
	for (j = (i + 1) & mask; m[j].key; j = (j + 1) & mask) {
		uint32_t home = (uint32_t)(m[j].key >> 7) & mask;

		/* Move j back to the hole at i unless its home lies in (i, j]. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			m[i] = m[j];
			m[j].key = 0;
			i = j;
		}
	}
}

static bool is64(const struct dmm_intent *in)
{
	return in->prefix.len == 64;
}

int emu_dp_install(void *ctx, const struct dmm_intent *in)
{
	struct emu_node *n = ctx;
	struct emu_dp *dp = &n->dp;
	uint32_t s = dp->free_head, *head;
	struct emu_dp_ent *x;

	if (in->match > DMM_FM_SRC || in->action > DMM_FM_DROP || in->prefix.len > 128)
		return -2; /* DMM_ERR_INVAL */
	if (s == NONE && dp->hwm == dp->cap)
		return -3; /* DMM_ERR_NOMEM */
	if (s == NONE)
		s = dp->hwm++;
	else
		dp->free_head = dp->v[s].next;
	x = &dp->v[s];
	memset(x, 0, sizeof(*x));
	x->in = *in;
	x->used = true;
	map_put(dp->ids, dp->mask, id_key(in->id), s);
	if (is64(in)) {
		uint64_t k = mix(upper64(&in->prefix.addr));

		head = map_find(dp->pfx, dp->mask, k);
		x->next = head ? *head : NONE;
		x->prev = NONE;
		if (head)
			dp->v[*head].prev = s;
		map_put(dp->pfx, dp->mask, k, s);
	} else {
		x->next = dp->other_head;
		x->prev = NONE;
		if (dp->other_head != NONE)
			dp->v[dp->other_head].prev = s;
		dp->other_head = s;
	}
	dp->count++;
	dp->installs++;
	if (in->action == DMM_FM_ENCAP)
		n->emu->encap_now++;
	/* A new intent may be what buffered packets wait for. */
	if (dp->nbuf && !dp->flush_pending) {
		struct emu_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.type = EV_FLUSH;
		ev.node = n->idx;
		dp->flush_pending = true;
		emu_schedule(&n->emu->eng, n->emu->eng.now, &ev);
	}
	return 0;
}

void emu_dp_remove(void *ctx, const struct dmm_intent *in)
{
	struct emu_node *n = ctx;
	struct emu_dp *dp = &n->dp;
	uint32_t *sp = map_find(dp->ids, dp->mask, id_key(in->id)), s;
	struct emu_dp_ent *x;

	if (!sp)
		return;
	s = *sp;
	x = &dp->v[s];
	map_del(dp->ids, dp->mask, id_key(in->id));
	if (x->prev != NONE) {
		dp->v[x->prev].next = x->next;
	} else if (is64(&x->in)) {
		uint64_t k = mix(upper64(&x->in.prefix.addr));

		if (x->next != NONE)
			map_put(dp->pfx, dp->mask, k, x->next);
		else
			map_del(dp->pfx, dp->mask, k);
	} else {
		dp->other_head = x->next;
	}
	if (x->next != NONE)
		dp->v[x->next].prev = x->prev;
	if (x->in.action == DMM_FM_ENCAP)
		n->emu->encap_now--;
	x->used = false;
	x->next = dp->free_head;
	dp->free_head = s;
	dp->count--;
	dp->removes++;
}

/* Is ent a better match than best? PDR precedence, then the longer prefix. */
static bool better(const struct emu_dp_ent *ent, const struct emu_dp_ent *best)
{
	if (!best)
		return true;
	if (ent->in.precedence != best->in.precedence)
		return ent->in.precedence < best->in.precedence;
	return ent->in.prefix.len > best->in.prefix.len;
}

typedef bool (*match_fn)(const struct dmm_intent *in, const struct emu_pkt *p);

static struct emu_dp_ent *scan(struct emu_dp *dp, uint32_t s, match_fn fn, const struct emu_pkt *p,
			       struct emu_dp_ent *best)
{
	for (; s != NONE; s = dp->v[s].next)
		if (fn(&dp->v[s].in, p) && better(&dp->v[s], best))
			best = &dp->v[s];
	return best;
}

static struct emu_dp_ent *lookup(struct emu_dp *dp, const struct dmm_addr *key, match_fn fn,
				 const struct emu_pkt *p, struct emu_dp_ent *best)
{
	uint32_t *head = map_find(dp->pfx, dp->mask, mix(upper64(key)));

	if (head)
		best = scan(dp, *head, fn, p, best);
	return scan(dp, dp->other_head, fn, p, best);
}

static bool m_decap(const struct dmm_intent *in, const struct emu_pkt *p)
{
	return in->action == DMM_FM_DECAP && dmm_addr_eq(&in->peer, &p->osrc) &&
	       (dmm_prefix_contains(&in->prefix, &p->dst) || dmm_prefix_contains(&in->prefix, &p->src));
}

static bool m_src(const struct dmm_intent *in, const struct emu_pkt *p)
{
	return in->match == DMM_FM_SRC && in->action != DMM_FM_DECAP &&
	       (in->link == 0 || in->link == p->in_link) && dmm_prefix_contains(&in->prefix, &p->src);
}

static bool m_dst(const struct dmm_intent *in, const struct emu_pkt *p)
{
	return in->match == DMM_FM_DST && in->action != DMM_FM_DECAP &&
	       dmm_prefix_contains(&in->prefix, &p->dst);
}

static struct emu_flow_stats *fs(struct emu *e, const struct emu_pkt *p)
{
	return p->uplink ? &e->ul : &e->dl;
}

static void count(struct emu *e, struct emu_node *n, struct emu_dp_ent *x, const struct emu_pkt *p)
{
	x->packets++;
	x->bytes += p->size + (x->in.action == DMM_FM_ENCAP ? 40u : 0u);
	/* A MAAR sees its counters move: its idle release (GAP2-1) depends on it. */
	if (n->maar)
		dmm_fm_report(dmm_role_fm(n->maar), x->in.id, x->packets, x->bytes, e->eng.now);
}

void emu_dp_sync(struct emu *e)
{
	for (uint32_t i = 0; i < e->nnodes; i++) {
		struct emu_node *n = &e->nodes[i];
		struct dmm_fm *fm = n->maar ? NULL : emu_node_fm(n);

		for (uint32_t s = 0; fm && s < n->dp.hwm; s++) {
			struct emu_dp_ent *x = &n->dp.v[s];

			if (x->used && x->packets)
				dmm_fm_report(fm, x->in.id, x->packets, x->bytes, e->eng.now);
		}
	}
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
		x = lookup(&n->dp, &p->src, m_src, p, NULL);
	else
		x = lookup(&n->dp, &p->dst, m_dst, p, NULL);
	if (!x) {
		/* No intent. An anchor owns its pool: no binding means no route. */
		if (own_pool(n, &p->dst)) {
			fs(e, p)->lost_no_intent++;
			return;
		}
		if (n->kind == EMU_MAG || (p->in_link && !(n->kind == EMU_MAAR && own_pool(n, &p->src)))) {
			fs(e, p)->lost_no_intent++;
			return;
		}
		emu_dp_route(e, n, p);
		return;
	}
	count(e, n, x, p);
	switch (x->in.action) {
	case DMM_FM_ENCAP:
		peer = emu_node_by_addr(e, &x->in.peer);
		if (!peer) {
			fs(e, p)->lost_no_route++;
			return;
		}
		p->osrc = dmm_addr_is_zero(&x->in.local) ? n->addr : x->in.local;
		p->odst = x->in.peer;
		p->tunnelled = 1;
		p->in_link = 0;
		if (p->anchor == UINT16_MAX &&
		    (n->kind == EMU_LMA || (n->kind == EMU_MAAR && own_pool(n, &p->dst))))
			p->anchor = (uint16_t)n->idx;
		travel(e, n->idx, peer->idx, p);
		return;
	case DMM_FM_DELIVER:
		deliver(e, n, x->in.link, p);
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
		struct emu_dp_ent *x = lookup(&n->dp, &p->dst, m_decap, p, NULL);

		if (!x)
			x = lookup(&n->dp, &p->src, m_decap, p, NULL);
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
