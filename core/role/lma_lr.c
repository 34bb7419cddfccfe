/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LMA: localized routing (RFC 6705), both of the LMA's parts.
 *
 * 1. Scenario A12 (§7): a MAG that holds two MNs anchored at different
 *    LMAs asks each LMA with an LRI whether their traffic may be routed
 *    at the MAG; each LMA decides by its own policy and MUST answer with
 *    an LRA (§7). The forwarding at the LMA does not change, so the LMA
 *    keeps no state for it: it checks that the first [MN-ID, HNP] tuple
 *    names a binding of its own at that MAG and answers:
 *      0    Success: both tuples echoed in the same order (§10.2);
 *      128  Localized Routing Not Allowed: the policy (localized_routing
 *           off), or an LRI whose options are not two tuples (§10.1);
 *      129  MN Not Attached: no binding for the MN here, not at that MAG,
 *           or the HNPs are not its own.
 *    An LRI with lifetime 0 ends localized routing (§4) and is
 *    acknowledged with status 0.
 *
 * 2. Scenario A11 (§5), LMA-initiated (§3.2: "The LMA MUST initiate LR if
 *    both of the communicating MNs are anchored to it"): the trigger is
 *    left to implementations (§5); here it is configured policy
 *    (cfg.lr: on, and optionally prefix pairs): when a binding is
 *    accepted at a MAG (lma_lr_bound(), after the PBA), every other
 *    binding at that MAG that the policy pairs it with gets a pair
 *    record and the MAG an LRI naming both ([MN1-ID, MN1-HNP...],
 *    [MN2-ID, MN2-HNP...], §5 Figure 2, §10.1). The MAG answers with an
 *    LRA; status 0 sets the pair ON (§5: "the LMA sets a flag in the BCE
 *    ... that localized routing is in progress"); >= 128 leaves it
 *    REFUSED (not asked again while both stay there), except 129 while
 *    waiting: asked again (see lma_lr_recv_lra()).
 *
 *    Finding the other bindings at a MAG costs no walk of the cache: the
 *    bindings that hold a reference on a MAG's peer are a list threaded
 *    through lma->lrx (per binding slot), its head in lma->mag_head (per
 *    peer slot), kept by lma_peer_hold()/lma_peer_release() (lma_state.c
 *    calls lma_lr_at_mag()/lma_lr_left()): pairing costs the bindings at
 *    that one MAG, and stops once the pair table is full. A binding's
 *    pairs are a list too (lrx->pair, pair->next[k]); an LRA finds its
 *    pair by its sequence number (low LMA_LR_BITS bits: the record).
 *
 *    Timers (LMA_TIMER_LR, one per pair, lma_timers.c):
 *     - WAIT: no LRA within LRA_WAIT_TIME: the LRI again, up to
 *       LRI_RETRIES times (§10.1, §12); then the pair is given up;
 *     - ON with a finite lifetime: at 80% of it the LRI again (REFRESH),
 *       at its end without an LRA the pair ends (§4).
 *     Either end also sends the MAG an LRI with lifetime 0: it may have
 *     taken an LRI whose LRA was lost.
 *    When either MN leaves the MAG (handoff: the binding's reference
 *    moves to the new MAG's peer; de-registration; deletion), its pairs
 *    end at once, and the MAG gets an LRI with lifetime 0 (§4: the
 *    initiator ends LR; §5.1: "update the LR state of pMAG"). The MAG has
 *    already dropped its LREs when the MN left it (§5: it "MUST fall back
 *    to using the BUL entry"), and the LMA forwards by the binding, which
 *    it never stopped doing. After a handoff, the new MAG gets the LRIs
 *    for the MN's pairs there (§5.1, as A11 again; §6's A21, across two
 *    MAGs, is not done: no MAG IPv6 Address option, §11.1).
 */
#include <string.h>

#include "dmm/err.h"
#include "lma_int.h"

static const char *const lr_state_names[] = {"free", "wait", "on", "refresh", "refused"};

/* Send m from the LMA's address to dst (as lma_send_msg(), which sits in the layer above). */
static void lr_tx(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const struct dmm_mh_msg *m)
{
	dmm_role_base_send(&lma->base, lma->buf, sizeof(lma->buf), "", src, dst, m);
}

/* --- part 1: a MAG's LRI (§7, scenario A12) --- */

/* The first tuple names a binding of this LMA at src, with HNPs of its own. */
static uint8_t lri_status(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_mh_msg *m)
{
	const struct dmm_mh_opt *o = dmm_mh_find_opt(m, DMM_OPT_MNID, NULL);
	struct dmm_bcache_entry *e;
	struct dmm_mnid id;

	if (!lma->cfg.localized_routing || !pmip_lr_shape(m))
		return DMM_LRA_NOT_ALLOWED;
	pmip_mnid_of_opt(o, &id);
	e = dmm_bcache_find_mnid(lma->bc, &id);
	if (!e || e->state != DMM_BCE_ACTIVE || !dmm_addr_eq(dmm_bce_pcoa(e), src))
		return DMM_LRA_MN_NOT_ATTACHED;
	for (const struct dmm_mh_opt *h = o + 1; h < m->opts + m->nopts && h->type == DMM_OPT_HNP; h++) {
		const struct dmm_bcache_entry *b = dmm_bcache_find_prefix(lma->bc, &h->u.hnp);

		if (b != e)
			return DMM_LRA_MN_NOT_ATTACHED;
	}
	return DMM_LRA_SUCCESS;
}

/* RFC 6705 §7, §10.1, §10.2: a MAG's LRI, answered with an LRA. */
void lma_recv_lri(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const struct dmm_mh_msg *m)
{
	struct dmm_mh_msg *a = &lma->tx;
	uint8_t st = m->u.lr.lifetime == 0 && pmip_lr_shape(m) ? DMM_LRA_SUCCESS : lri_status(lma, src, m);
	char ps[DMM_ADDR_STRLEN];

	dmm_mh_init(a, DMM_MH_LRA);
	a->u.lr.seq = m->u.lr.seq;
	a->u.lr.status = st;
	a->u.lr.lifetime = m->u.lr.lifetime;
	/* §10.2: with status 0 the tuples in the LRI's order; otherwise only those supported (none). */
	for (unsigned i = 0; st == DMM_LRA_SUCCESS && i < m->nopts; i++)
		if (m->opts[i].type == DMM_OPT_MNID || m->opts[i].type == DMM_OPT_HNP) {
			struct dmm_mh_opt *o = dmm_mh_add_opt(a, m->opts[i].type);

			if (o)
				*o = m->opts[i];
		}
	if (st == DMM_LRA_SUCCESS)
		lma->lr_accepted++;
	else
		lma->lr_refused++;
	dmm_logf(lma->base.env.log, DMM_LOG_INFO, DMM_LC_MH,
		 "lma: LRI from MAG %s, lifetime %u: LRA status %u", dmm_addr_str(src, ps), m->u.lr.lifetime,
		 st);
	lr_tx(lma, dst, src, a);
}

/* --- part 2: LMA-initiated, scenario A11 (§3.2, §5) --- */

static struct lma_lrx *lrx_of(struct dmm_lma *lma, const struct dmm_bcache_entry *e)
{
	return &lma->lrx[e->handle.idx];
}

static struct dmm_handle pair_handle(const struct dmm_lma *lma, const struct lma_lr_pair *p)
{
	return (struct dmm_handle){.idx = (uint32_t)(p - lma->lr), .gen = p->gen};
}

/* The MAG of p (its peer's address), or NULL when that peer is gone. */
static const struct dmm_addr *pair_mag(struct dmm_lma *lma, const struct lma_lr_pair *p)
{
	const struct dmm_peer *q = p->mag ? dmm_peers_at(lma->base.peers, p->mag - 1) : NULL;

	return q ? &q->addr : NULL;
}

static void pair_state(struct dmm_lma *lma, struct lma_lr_pair *p, uint8_t to, const char *reason)
{
	char a[DMM_MNID_STRLEN], b[DMM_MNID_STRLEN], m[DMM_ADDR_STRLEN];
	const struct dmm_bcache_entry *ea = dmm_bcache_get(lma->bc, p->mn[0]);
	const struct dmm_bcache_entry *eb = dmm_bcache_get(lma->bc, p->mn[1]);
	const struct dmm_addr *mag = pair_mag(lma, p);

	if (dmm_role_base_log_on(&lma->base, DMM_LOG_INFO))
		dmm_logf(lma->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
			 "lma: LR %s <-> %s at mag %s: %s -> %s (%s)",
			 ea ? dmm_mnid_str(DMM_BCE_MNID(ea), a) : "-",
			 eb ? dmm_mnid_str(DMM_BCE_MNID(eb), b) : "-", mag ? dmm_addr_str(mag, m) : "-",
			 lr_state_names[p->state], lr_state_names[to], reason);
	p->state = to;
}

/* One [MN-ID, HNP...] tuple of e (§10.1). */
static void add_tuple(struct dmm_mh_msg *m, const struct dmm_bcache_entry *e)
{
	struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_MNID);

	if (!o)
		return;
	o->u.mnid.subtype = DMM_BCE_MNID(e)->subtype;
	o->u.mnid.id.len = (uint8_t)dmm_bce_mnid_len(e);
	memcpy(o->u.mnid.id.b, dmm_bce_mnid_bytes(e), dmm_bce_mnid_len(e));
	for (unsigned i = 0; i < e->n_hnp; i++) {
		o = dmm_mh_add_opt(m, DMM_OPT_HNP);
		if (o)
			o->u.hnp = *dmm_bce_hnp(e, i);
	}
}

static uint16_t lr_lifetime(const struct dmm_lma *lma)
{
	return lma->cfg.lr.lifetime_s ? lma->cfg.lr.lifetime_s : DMM_LR_LIFETIME_INFINITE;
}

/* §5 Figure 2: LRI(MN1-ID, MN1-HNP, MN2-ID, MN2-HNP) to the MAG of p, lifetime lt; a new sequence number. */
static void send_lri(struct dmm_lma *lma, struct lma_lr_pair *p, uint16_t lt)
{
	const struct dmm_bcache_entry *a = dmm_bcache_get(lma->bc, p->mn[0]);
	const struct dmm_bcache_entry *b = dmm_bcache_get(lma->bc, p->mn[1]);
	const struct dmm_addr *mag = pair_mag(lma, p);
	struct dmm_mh_msg *m = &lma->tx;

	if (!a || !b || !mag)
		return;
	lma->lr_seq++;
	p->seq = (uint16_t)(lma->lr_seq << LMA_LR_BITS | (uint16_t)(p - lma->lr));
	dmm_mh_init(m, DMM_MH_LRI);
	m->u.lr.seq = p->seq;
	m->u.lr.lifetime = lt;
	add_tuple(m, a);
	add_tuple(m, b);
	lr_tx(lma, &lma->cfg.addr, mag, m);
}

/* p leaves the pair list of the binding on side k. */
static void pair_unlist(struct dmm_lma *lma, struct lma_lr_pair *p, unsigned k)
{
	const struct dmm_bcache_entry *e = dmm_bcache_get(lma->bc, p->mn[k]);
	uint32_t me = (uint32_t)(p - lma->lr) + 1;
	uint32_t *at;

	if (!e)
		return;
	for (at = &lrx_of(lma, e)->pair; *at;) {
		struct lma_lr_pair *q = &lma->lr[*at - 1];

		if (*at == me) {
			*at = p->next[k];
			return;
		}
		at = &q->next[q->mn[0].idx == e->handle.idx ? 0 : 1];
	}
}

/* End p: its timer, its lists; when tell, the MAG hears lifetime 0 (§4). */
static void pair_end(struct dmm_lma *lma, struct lma_lr_pair *p, bool tell, const char *reason)
{
	uint8_t was = p->state;

	if (tell && (was == LMA_LR_ON || was == LMA_LR_REFRESH || was == LMA_LR_WAIT))
		send_lri(lma, p, 0);
	if (was == LMA_LR_ON || was == LMA_LR_REFRESH)
		lma->lr_ended++;
	pair_state(lma, p, LMA_LR_FREE, reason);
	lma_timers_lr_stop(lma, pair_handle(lma, p));
	pair_unlist(lma, p, 0);
	pair_unlist(lma, p, 1);
}

/* An HNP of e inside pf. */
static bool covers(const struct dmm_prefix *pf, const struct dmm_bcache_entry *e)
{
	for (unsigned i = 0; i < e->n_hnp; i++) {
		const struct dmm_prefix *h = dmm_bce_hnp(e, i);

		if (h->len >= pf->len && dmm_prefix_contains(pf, &h->addr))
			return true;
	}
	return false;
}

/* The configured policy pairs a and b (none listed: every pair). */
static bool policy_pairs(const struct dmm_lma *lma, const struct dmm_bcache_entry *a,
			 const struct dmm_bcache_entry *b)
{
	const struct dmm_lma_lr_cfg *c = &lma->cfg.lr;

	if (!c->npairs)
		return true;
	for (unsigned i = 0; i < c->npairs; i++)
		if ((covers(&c->pair[i].a, a) && covers(&c->pair[i].b, b)) ||
		    (covers(&c->pair[i].a, b) && covers(&c->pair[i].b, a)))
			return true;
	return false;
}

/* e and o have a pair already (a walk of e's pairs). */
static bool paired(struct dmm_lma *lma, const struct dmm_bcache_entry *e, const struct dmm_bcache_entry *o)
{
	for (uint32_t r = lrx_of(lma, e)->pair; r;) {
		const struct lma_lr_pair *q = &lma->lr[r - 1];
		unsigned k = q->mn[0].idx == e->handle.idx ? 0 : 1;

		if (q->mn[!k].idx == o->handle.idx && q->mn[!k].gen == o->handle.gen)
			return true;
		r = q->next[k];
	}
	return false;
}

static struct lma_lr_pair *pair_new(struct dmm_lma *lma, struct dmm_bcache_entry *a,
				    struct dmm_bcache_entry *b)
{
	for (unsigned i = 0; i < LMA_LR_MAX_PAIRS; i++) {
		struct lma_lr_pair *p = &lma->lr[i];
		uint32_t gen = p->gen + 1;

		if (p->state != LMA_LR_FREE)
			continue;
		memset(p, 0, sizeof(*p));
		p->gen = gen ? gen : 1;
		p->mn[0] = a->handle;
		p->mn[1] = b->handle;
		p->mag = lma_bx_of(lma, a)->peer;
		p->next[0] = lrx_of(lma, a)->pair;
		lrx_of(lma, a)->pair = i + 1;
		p->next[1] = lrx_of(lma, b)->pair;
		lrx_of(lma, b)->pair = i + 1;
		return p;
	}
	return NULL;
}

/* The binding e left the list of its MAG (or is about to join another): its pairs end (§4, §5.1). */
void lma_lr_left(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now)
{
	struct lma_lrx *x;

	(void)now;
	if (!lma->lrx)
		return; /* no lists, no pairs (lma.c lr_lists()) */
	x = lrx_of(lma, e);
	while (x->pair)
		pair_end(lma, &lma->lr[x->pair - 1], true, "an MN left the MAG (RFC 6705 §4, §5.1)");
	if (!x->mag)
		return;
	if (x->prev)
		lma->lrx[x->prev - 1].next = x->next;
	else
		lma->mag_head[x->mag - 1] = x->next;
	if (x->next)
		lma->lrx[x->next - 1].prev = x->prev;
	x->next = x->prev = x->mag = 0;
}

/* e holds a reference on the peer lma_bx_of(e)->peer: it joins that MAG's list. */
void lma_lr_at_mag(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now)
{
	uint32_t m = lma_bx_of(lma, e)->peer - 1; /* held: peer is its slot + 1 */
	struct lma_lrx *x;

	if (!lma->lrx || !lma_bx_of(lma, e)->peer || m >= lma->mag_cap)
		return; /* no lists (lma.c lr_lists()) */
	x = lrx_of(lma, e);
	if (x->mag == m + 1)
		return; /* the same MAG: its pairs stay */
	lma_lr_left(lma, e, now);
	x->mag = m + 1;
	x->gen = e->handle.gen;
	x->prev = 0;
	x->next = lma->mag_head[m];
	if (x->next)
		lma->lrx[x->next - 1].prev = e->handle.idx + 1;
	lma->mag_head[m] = e->handle.idx + 1;
}

static void send_wait(struct dmm_lma *lma, struct lma_lr_pair *p, dmm_time_t now)
{
	p->sent = now;
	send_lri(lma, p, lr_lifetime(lma));
	lma_timers_lr_set(lma, pair_handle(lma, p), now + lma->cfg.lr.lra_wait);
}

/* §3.2, §5: e was accepted at its MAG (the PBA went out): an LRI for each new pair there. */
void lma_lr_bound(struct dmm_lma *lma, struct dmm_bcache_entry *e, dmm_time_t now)
{
	struct lma_lrx *x;

	if (!lma->cfg.lr.initiate || !lma->lrx || e->state != DMM_BCE_ACTIVE || !e->n_hnp)
		return;
	x = lrx_of(lma, e);
	if (!x->mag)
		return;
	for (uint32_t r = lma->mag_head[x->mag - 1]; r;) {
		struct dmm_bcache_entry *o =
			dmm_bcache_get(lma->bc, (struct dmm_handle){r - 1, lma->lrx[r - 1].gen});
		struct lma_lr_pair *p;

		r = lma->lrx[r - 1].next;
		if (!o || o == e || o->state != DMM_BCE_ACTIVE || !o->n_hnp || !policy_pairs(lma, o, e) ||
		    paired(lma, e, o))
			continue;
		p = pair_new(lma, o, e); /* the MN that was there first is MN1 */
		if (!p)
			return; /* full: the tunnels carry the rest */
		pair_state(lma, p, LMA_LR_WAIT, "both MNs anchored here, at one MAG (RFC 6705 §3.2, §5)");
		send_wait(lma, p, now);
	}
}

/* The LRA's tuples name p's MNs, in order (§10.2: as in the LRI). */
static bool lra_names(struct dmm_lma *lma, const struct lma_lr_pair *p, const struct dmm_mh_msg *m)
{
	const struct dmm_mh_opt *o = NULL;

	if (!pmip_lr_shape(m))
		return false;
	for (unsigned k = 0; k < 2; k++) {
		const struct dmm_bcache_entry *e = dmm_bcache_get(lma->bc, p->mn[k]);
		struct dmm_mnid id;

		o = dmm_mh_find_opt(m, DMM_OPT_MNID, o);
		if (!o || !e)
			return false;
		pmip_mnid_of_opt(o, &id);
		if (!dmm_bce_mnid_eq(e, &id))
			return false;
	}
	return true;
}

/* RFC 6705 §5, §10.2: the MAG's LRA to our LRI. */
void lma_lr_recv_lra(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		     dmm_time_t now)
{
	struct lma_lr_pair *p = &lma->lr[m->u.lr.seq & (LMA_LR_MAX_PAIRS - 1)];
	const struct dmm_addr *mag = pair_mag(lma, p);

	if (m->u.lr.lifetime == 0)
		return; /* the answer to an LRI that ended a pair (§4): nothing left to do */
	if ((p->state != LMA_LR_WAIT && p->state != LMA_LR_REFRESH) || p->seq != m->u.lr.seq || !mag ||
	    !dmm_addr_eq(mag, src)) {
		lma->base.stats.rx_unexpected++;
		return;
	}
	/*
	 * Choice: 129 (MN Not Attached) while WAIT is taken as "not yet": the
	 * LRI goes right after the PBA and may overtake it, and a MAG that has
	 * not taken the PBA yet knows no such MN. The LRI goes again after
	 * LRA_WAIT_TIME, within LRI_RETRIES (the timer that is already armed).
	 */
	if (m->u.lr.status == DMM_LRA_MN_NOT_ATTACHED && p->state == LMA_LR_WAIT &&
	    p->tries < lma->cfg.lr.retries)
		return;
	if (m->u.lr.status >= 128 || !lra_names(lma, p, m)) {
		lma->lr_lri_refused++;
		if (p->state == LMA_LR_REFRESH)
			lma->lr_ended++;
		lma_timers_lr_stop(lma, pair_handle(lma, p));
		pair_state(lma, p, LMA_LR_REFUSED,
			   m->u.lr.status >= 128 ? "the MAG refused (LRA status >= 128)"
						 : "LRA names other MNs");
		return; /* kept, not asked again while both stay at that MAG */
	}
	p->expires = m->u.lr.lifetime == DMM_LR_LIFETIME_INFINITE
			     ? DMM_TIME_NEVER
			     : p->sent + (dmm_time_t)m->u.lr.lifetime * DMM_SECOND;
	lma_timers_lr_stop(lma, pair_handle(lma, p));
	if (p->expires != DMM_TIME_NEVER)
		lma_timers_lr_set(lma, pair_handle(lma, p), p->sent + (p->expires - p->sent) / 5 * 4);
	if (p->state == LMA_LR_WAIT)
		lma->lr_started++;
	pair_state(lma, p, LMA_LR_ON,
		   p->state == LMA_LR_WAIT ? "the MAG answered status 0 (RFC 6705 §5)" : "refreshed");
	(void)now;
}

void lma_lr_timer(struct dmm_lma *lma, struct dmm_handle h, dmm_time_t now)
{
	struct lma_lr_pair *p = h.idx < LMA_LR_MAX_PAIRS ? &lma->lr[h.idx] : NULL;

	if (!p || p->gen != h.gen || p->state == LMA_LR_FREE || p->state == LMA_LR_REFUSED)
		return;
	if (p->state == LMA_LR_ON) {
		/* 80% of the lifetime: ask again; the MAG keeps its LREs until the lifetime ends. */
		pair_state(lma, p, LMA_LR_REFRESH, "lifetime 80% over");
		p->tries = 0;
		p->sent = now;
		send_lri(lma, p, lr_lifetime(lma));
		lma_timers_lr_set(lma, h, p->expires);
		return;
	}
	if (p->state == LMA_LR_REFRESH || p->tries >= lma->cfg.lr.retries) {
		/*
		 * §4: the last LRI gave the MAG a lifetime that has not run out,
		 * and its LRA may be what was lost: the initiator ends LR "before
		 * the expiry of the lifetime specified in the LRI" with lifetime 0.
		 */
		pair_end(lma, p, true, p->state == LMA_LR_REFRESH ? "lifetime over (RFC 6705 §4)" : "no LRA");
		return;
	}
	/* §10.1: the LRI again after LRA_WAIT_TIME, up to LRI_RETRIES times. */
	p->tries++;
	send_wait(lma, p, now);
}

size_t lma_role_counters(const void *inst, struct dmm_role_counter *out, size_t max)
{
	const struct dmm_lma *lma = inst;
	struct dmm_role_counter c[] = {
		{"lr-accepted", lma->lr_accepted},	 {"lr-refused", lma->lr_refused},
		{"lr-started", lma->lr_started},	 {"lr-ended", lma->lr_ended},
		{"lr-lri-refused", lma->lr_lri_refused}, {"lr-active", lma->lr_started - lma->lr_ended},
		{"redirected", lma->redirected},
	};
	size_t n = 0;

	for (; n < max && n < sizeof(c) / sizeof(c[0]); n++)
		out[n] = c[n];
	return n;
}
