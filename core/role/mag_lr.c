/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAG: localized routing (RFC 6705), scenario A12 (§7): two MNs attached
 * to this MAG and anchored at different LMAs. Only the MAG can see that
 * (§3.1: the MAG MUST initiate LR in that case and in no other), so when
 * an MN's registration is accepted, the MAG pairs it with every other MN
 * registered here at another LMA and asks both LMAs with an LRI (§7
 * Figure 6, §10.1: [MN-ID, HNPs] of the LMA's own MN first, then the
 * other's). Once both LRAs carry status 0, the traffic between the two
 * MNs is forwarded at this MAG: a DMM_FM_LOCAL intent per direction
 * (packets to the other MN's HNP arriving on this MN's access link are
 * routed by destination, ahead of the uplink into the tunnel).
 *
 * Timers (kind MAG_TIMER_LR, one per pair):
 *  - WAIT: no LRA from one of the LMAs within LRA_WAIT_TIME: the LRI goes
 *    again, up to LRI_RETRIES times (§10.1, §12); then the pair is given
 *    up (the tunnels carry its traffic).
 *  - ON with a finite lifetime: at 80% of it both LRIs go again (REFRESH);
 *    at its end without both LRAs the LREs go (§4: "upon expiry, the
 *    forwarding MUST revert to using bidirectional tunneling").
 * When either MN leaves this MAG or loses its binding (mag_lr_gone(),
 * from mag_intents_del()), the LREs go at once (§7.1) and both LMAs get
 * an LRI with lifetime 0 (§4, §8: the initiator tears it down).
 *
 * Scenario A11 (§5), both MNs here and at the same LMA: only that LMA
 * initiates (§3.1, §3.2). Its LRI names both MNs; the MAG verifies both
 * are attached here (through that LMA) and that EnableMAGLocalRouting
 * (cfg.lr.local_routing) is set, else LRA 128 (§5) or 129 (§10.2); then
 * installs the same LREs and answers LRA 0 with the tuples echoed
 * (MAG_LR_BY_LMA pairs, mag_lr_recv_lri()). The LMA refreshes it before
 * the LRI's lifetime ends; without that the LREs go at its end (§4); an
 * LRI with lifetime 0 ends it at once. When either MN leaves, the LREs
 * go at once (§5: the MAG "MUST fall back to using the BUL entry"), and
 * it is the LMA, the initiator, that sends the LRI with lifetime 0.
 * §5 also lets a MAG "statically initiate LR based on the
 * EnableMAGLocalRouting configuration variable" without an LRI: with
 * cfg.lr.same_lma, two MNs here at one LMA are routed here at once
 * (MAG_LR_STATIC pairs, RFC 5213 §6.10.3), with no message at all.
 *
 * The pairs live in a small fixed table (MAG_LR_MAX_PAIRS); pairing
 * reads the binding update list once per accepted first registration,
 * which is why MAG-initiated localized routing is off unless configured.
 */
#include <string.h>

#include "dmm/err.h"
#include "mag_int.h"

static const char *const lr_state_names[] = {"free", "wait", "on", "refresh", "refused"};

static struct dmm_handle pair_handle(const struct dmm_mag *mag, const struct mag_lr_pair *p)
{
	return (struct dmm_handle){.idx = (uint32_t)(p - mag->lr.pair), .gen = p->gen};
}

static void pair_state(struct dmm_mag *mag, struct mag_lr_pair *p, uint8_t to, const char *reason)
{
	char a[DMM_MNID_STRLEN], b[DMM_MNID_STRLEN];
	struct dmm_bul_entry *ea = dmm_bul_get(mag->bul, p->mn[0]);
	struct dmm_bul_entry *eb = dmm_bul_get(mag->bul, p->mn[1]);

	if (mag_log_on(mag, DMM_LOG_INFO))
		dmm_logf(mag->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "mag: LR %s <-> %s: %s -> %s (%s)",
			 ea ? dmm_mnid_str(&ea->mnid, a) : "-", eb ? dmm_mnid_str(&eb->mnid, b) : "-",
			 lr_state_names[p->state], lr_state_names[to], reason);
	p->state = to;
}

/* Encode m and send it from the MAG's address to dst (as mag_tx(), which sits in the layer above). */
static void lr_tx(struct dmm_mag *mag, const struct dmm_addr *dst, const struct dmm_mh_msg *m)
{
	uint8_t buf[DMM_MH_MAX_LEN];

	dmm_role_base_send(&mag->base, buf, sizeof(buf), "mag: ", &mag->cfg.addr, dst, m);
}

/* One [MN-ID, HNP...] tuple of e (RFC 6705 §10.1). */
static void add_tuple(struct dmm_mh_msg *m, const struct dmm_bul_entry *e)
{
	struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_MNID);

	if (!o)
		return;
	o->u.mnid.subtype = e->mnid.subtype;
	o->u.mnid.id.len = e->mnid.len;
	memcpy(o->u.mnid.id.b, e->mnid.id, e->mnid.len);
	for (unsigned i = 0; i < e->n_hnp; i++) {
		o = dmm_mh_add_opt(m, DMM_OPT_HNP);
		if (o)
			o->u.hnp = e->hnp[i];
	}
}

/* The LRI for side k of p (to the LMA of p->mn[k]), with lifetime lt seconds. */
static void send_lri(struct dmm_mag *mag, struct mag_lr_pair *p, unsigned k, uint16_t lt)
{
	struct dmm_bul_entry *e = dmm_bul_get(mag->bul, p->mn[k]);
	struct dmm_bul_entry *o = dmm_bul_get(mag->bul, p->mn[!k]);
	struct dmm_mh_msg m;

	if (!e || !o)
		return;
	dmm_mh_init(&m, DMM_MH_LRI);
	p->seq[k] = ++mag->lr.seq;
	m.u.lr.seq = p->seq[k];
	m.u.lr.lifetime = lt;
	add_tuple(&m, e); /* §10.1: the LMA's own MN first */
	add_tuple(&m, o);
	lr_tx(mag, &p->lma[k], &m);
	mag->lr.ctr.lri_sent++;
}

static uint16_t lr_lifetime(const struct dmm_mag *mag)
{
	return mag->cfg.lr.lifetime_s ? mag->cfg.lr.lifetime_s : DMM_LR_LIFETIME_INFINITE;
}

static void send_both(struct dmm_mag *mag, struct mag_lr_pair *p, dmm_time_t now)
{
	p->acked = 0;
	p->sent = now;
	for (unsigned k = 0; k < 2; k++)
		send_lri(mag, p, k, lr_lifetime(mag));
	dmm_timers_set(mag->base.timers, MAG_TIMER_LR, pair_handle(mag, p), now + mag->cfg.lr.lra_wait);
}

/*
 * The LREs of p on (both LRAs said 0) or off: per direction k, packets to
 * each HNP of the other MN arriving on mn[k]'s access link are routed
 * here (DMM_FM_LOCAL), owned by mn[k]'s entry, so that they go with it.
 */
static void lre_set(struct dmm_mag *mag, struct mag_lr_pair *p, bool on, dmm_time_t now)
{
	for (unsigned k = 0; k < 2; k++) {
		const struct dmm_bul_entry *e = dmm_bul_get(mag->bul, p->mn[k]);
		const struct dmm_bul_entry *o = dmm_bul_get(mag->bul, p->mn[!k]);

		for (unsigned h = 0; h < MAG_LR_HNP; h++) {
			struct dmm_intent in;
			int r;

			if (p->lre[k][h]) {
				dmm_fm_del(mag->base.fm, p->lre[k][h]);
				p->lre[k][h] = 0;
			}
			if (!on || !e || !o || h >= o->n_hnp || !mag_bx(mag, e)->intents)
				continue;
			memset(&in, 0, sizeof(in));
			in.match = DMM_FM_DST;
			in.action = DMM_FM_LOCAL;
			in.precedence = MAG_LR_PRECEDENCE;
			in.prefix = o->hnp[h];
			in.link = e->ifindex;
			in.owner = e->handle;
			r = dmm_fm_add(mag->base.fm, &in, now);
			if (r < 0) {
				mag->ctr.intents_failed++;
				dmm_logf(mag->base.env.log, DMM_LOG_ERR, DMM_LC_DP,
					 "mag: LR intent refused: %s", dmm_strerror(r));
				continue;
			}
			p->lre[k][h] = (uint32_t)r;
		}
	}
}

static bool pair_has(const struct mag_lr_pair *p, struct dmm_handle h)
{
	for (unsigned k = 0; k < 2; k++)
		if (p->mn[k].idx == h.idx && p->mn[k].gen == h.gen)
			return true;
	return false;
}

static struct mag_lr_pair *pair_find(struct dmm_mag *mag, struct dmm_handle a, struct dmm_handle b)
{
	for (unsigned i = 0; i < MAG_LR_MAX_PAIRS; i++) {
		struct mag_lr_pair *p = &mag->lr.pair[i];

		if (p->state != MAG_LR_FREE && pair_has(p, a) && pair_has(p, b))
			return p;
	}
	return NULL;
}

static struct mag_lr_pair *pair_new(struct dmm_mag *mag, const struct dmm_bul_entry *a,
				    const struct dmm_bul_entry *b)
{
	for (unsigned i = 0; i < MAG_LR_MAX_PAIRS; i++) {
		struct mag_lr_pair *p = &mag->lr.pair[i];
		uint32_t gen = p->gen + 1;

		if (p->state != MAG_LR_FREE)
			continue;
		memset(p, 0, sizeof(*p));
		p->gen = gen ? gen : 1;
		p->mn[0] = a->handle;
		p->mn[1] = b->handle;
		p->lma[0] = a->lmaa;
		p->lma[1] = b->lmaa;
		return p;
	}
	mag->lr.ctr.table_full++;
	return NULL;
}

static bool same_lma_static(const struct dmm_mag *mag)
{
	return mag->cfg.lr.same_lma && mag->cfg.lr.local_routing;
}

/* §3.1: both MNs attached here, anchored at different LMAs (A12); or at one (A11) with the static rule. */
static bool lr_candidate(const struct dmm_mag *mag, const struct dmm_bul_entry *a,
			 const struct dmm_bul_entry *b)
{
	if (a == b || b->state != DMM_BUL_REGISTERED || !b->n_hnp || !a->n_hnp)
		return false;
	return dmm_addr_eq(&a->lmaa, &b->lmaa) ? same_lma_static(mag) : mag->cfg.lr.enabled;
}

/* The pair's LREs on now, no signalling (A11, from an LMA's LRI or the static rule). */
static void pair_on(struct dmm_mag *mag, struct mag_lr_pair *p, const char *reason, dmm_time_t now)
{
	mag->lr.ctr.started++;
	mag->lr.ctr.active++;
	pair_state(mag, p, MAG_LR_ON, reason);
	lre_set(mag, p, true, now);
}

void mag_lr_registered(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	if ((!mag->cfg.lr.enabled && !same_lma_static(mag)) || e->state != DMM_BUL_REGISTERED)
		return;
	for (struct dmm_bul_entry *o = dmm_bul_next(mag->bul, NULL); o; o = dmm_bul_next(mag->bul, o)) {
		struct mag_lr_pair *p;

		if (!lr_candidate(mag, e, o) || pair_find(mag, e->handle, o->handle))
			continue;
		p = pair_new(mag, e, o);
		if (!p)
			return;
		if (dmm_addr_eq(&e->lmaa, &o->lmaa)) {
			p->kind = MAG_LR_STATIC;
			pair_on(mag, p, "both MNs here at one LMA, EnableMAGLocalRouting (RFC 6705 §5)", now);
			continue;
		}
		pair_state(mag, p, MAG_LR_WAIT, "both MNs here, anchored at different LMAs (RFC 6705 §3.1)");
		send_both(mag, p, now);
	}
}

/* Tear p down: its LREs go at once (§7.1), and when tell, both LMAs get an LRI with lifetime 0 (§4). */
static void pair_end(struct dmm_mag *mag, struct mag_lr_pair *p, bool tell, const char *reason,
		     dmm_time_t now)
{
	uint8_t was = p->state;

	pair_state(mag, p, MAG_LR_FREE, reason);
	dmm_timers_cancel(mag->base.timers, MAG_TIMER_LR, pair_handle(mag, p));
	lre_set(mag, p, false, now);
	if (was == MAG_LR_ON || was == MAG_LR_REFRESH) {
		mag->lr.ctr.ended++;
		mag->lr.ctr.active--;
	}
	if (tell && was != MAG_LR_REFUSED && p->kind == MAG_LR_ASK) /* §4: only the initiator */
		for (unsigned k = 0; k < 2; k++)
			send_lri(mag, p, k, 0);
}

void mag_lr_gone(struct dmm_mag *mag, const struct dmm_bul_entry *e, dmm_time_t now)
{
	for (unsigned i = 0; i < MAG_LR_MAX_PAIRS; i++) {
		struct mag_lr_pair *p = &mag->lr.pair[i];

		if (p->state != MAG_LR_FREE && pair_has(p, e->handle))
			pair_end(mag, p, true, "an MN left or lost its binding (RFC 6705 §5, §7.1)", now);
	}
}

void mag_lr_keep(const struct dmm_mag *mag, const struct dmm_bul_entry *e, uint32_t *keep, unsigned *n)
{
	for (unsigned i = 0; i < MAG_LR_MAX_PAIRS; i++) {
		const struct mag_lr_pair *p = &mag->lr.pair[i];

		if (p->state == MAG_LR_FREE || !pair_has(p, e->handle))
			continue;
		for (unsigned h = 0; h < MAG_LR_HNP; h++) {
			uint32_t id = p->lre[p->mn[0].idx == e->handle.idx ? 0 : 1][h];

			if (id)
				keep[(*n)++] = id;
		}
	}
}

/* The tuples of an LRA with status 0 name the pair's MNs (§10.2: as in the LRI). */
static bool lra_names(struct dmm_mag *mag, const struct mag_lr_pair *p, unsigned k,
		      const struct dmm_mh_msg *m)
{
	const struct dmm_mh_opt *o = dmm_mh_find_opt(m, DMM_OPT_MNID, NULL);
	const struct dmm_bul_entry *e = dmm_bul_get(mag->bul, p->mn[k]);

	return o && e && o->u.mnid.subtype == e->mnid.subtype && o->u.mnid.id.len == e->mnid.len &&
	       memcmp(o->u.mnid.id.b, e->mnid.id, e->mnid.len) == 0 && dmm_mh_count_opt(m, DMM_OPT_MNID) == 2;
}

/* RFC 6705 §7, §10.2: the LRA of one of the two LMAs. */
void mag_lr_recv_lra(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		     dmm_time_t now)
{
	for (unsigned i = 0; i < MAG_LR_MAX_PAIRS; i++) {
		struct mag_lr_pair *p = &mag->lr.pair[i];

		for (unsigned k = 0; k < 2; k++) {
			if ((p->state != MAG_LR_WAIT && p->state != MAG_LR_REFRESH) ||
			    p->kind != MAG_LR_ASK || p->seq[k] != m->u.lr.seq ||
			    !dmm_addr_eq(&p->lma[k], src))
				continue;
			mag->lr.ctr.lra_received++;
			if (m->u.lr.status >= 128 || !lra_names(mag, p, k, m)) {
				mag->lr.ctr.refused++;
				pair_end(mag, p, false,
					 m->u.lr.status >= 128 ? "an LMA refused (LRA status >= 128)"
							       : "LRA names other MNs",
					 now);
				p->state = MAG_LR_REFUSED; /* not asked again while both stay */
				return;
			}
			p->acked |= (uint8_t)(1u << k);
			if (p->acked != 3)
				return;
			p->expires = m->u.lr.lifetime == DMM_LR_LIFETIME_INFINITE
					     ? DMM_TIME_NEVER
					     : p->sent + (dmm_time_t)m->u.lr.lifetime * DMM_SECOND;
			dmm_timers_cancel(mag->base.timers, MAG_TIMER_LR, pair_handle(mag, p));
			if (p->expires != DMM_TIME_NEVER)
				dmm_timers_set(mag->base.timers, MAG_TIMER_LR, pair_handle(mag, p),
					       p->sent + (p->expires - p->sent) / 5 * 4);
			if (p->state == MAG_LR_WAIT) {
				mag->lr.ctr.started++;
				mag->lr.ctr.active++;
				pair_state(mag, p, MAG_LR_ON, "both LMAs answered status 0 (RFC 6705 §7)");
				lre_set(mag, p, true, now);
			} else {
				p->state = MAG_LR_ON;
			}
			return;
		}
	}
	mag->base.stats.rx_unexpected++;
}

void mag_lr_on_timer(struct dmm_mag *mag, struct dmm_handle h, dmm_time_t now)
{
	struct mag_lr_pair *p = h.idx < MAG_LR_MAX_PAIRS ? &mag->lr.pair[h.idx] : NULL;

	if (!p || p->gen != h.gen || p->state == MAG_LR_FREE || p->state == MAG_LR_REFUSED)
		return;
	if (p->kind == MAG_LR_BY_LMA) {
		/* §4: the lifetime the LMA's LRI gave ran out without a new LRI. */
		mag->lr.ctr.no_answer++;
		pair_end(mag, p, false, "lifetime over, no LRI from the LMA (RFC 6705 §4)", now);
		return;
	}
	if (p->state == MAG_LR_ON) {
		/* 80% of the lifetime: ask again, keep forwarding until it ends. */
		pair_state(mag, p, MAG_LR_REFRESH, "lifetime 80% over");
		p->acked = 0;
		p->tries = 0;
		p->sent = now;
		for (unsigned k = 0; k < 2; k++)
			send_lri(mag, p, k, lr_lifetime(mag));
		dmm_timers_set(mag->base.timers, MAG_TIMER_LR, h, p->expires);
		return;
	}
	if (p->state == MAG_LR_REFRESH || p->tries >= mag->cfg.lr.retries) {
		mag->lr.ctr.no_answer++;
		pair_end(mag, p, false, p->state == MAG_LR_REFRESH ? "lifetime over (RFC 6705 §4)" : "no LRA",
			 now);
		return;
	}
	/* §10.1: LRI again after LRA_WAIT_TIME to the LMAs that did not answer. */
	p->tries++;
	for (unsigned k = 0; k < 2; k++)
		if (!(p->acked & (1u << k)))
			send_lri(mag, p, k, lr_lifetime(mag));
	dmm_timers_set(mag->base.timers, MAG_TIMER_LR, h, now + mag->cfg.lr.lra_wait);
}

/*
 * The BUL entry of the MN named by the MN-ID option o of an LMA's LRI:
 * registered here through that LMA (src), and every HNP of the tuple
 * (the options after o up to the next MN-ID) one of its own. NULL: the
 * MN is not attached here (§5: "verify the attachment status of the two
 * MNs locally"; §10.2 status 129).
 */
static struct dmm_bul_entry *lri_mn(struct dmm_mag *mag, const struct dmm_addr *src,
				    const struct dmm_mh_msg *m, const struct dmm_mh_opt *o)
{
	struct dmm_bul_entry *e;
	struct dmm_mnid id;

	pmip_mnid_of_opt(o, &id);
	for (e = dmm_bul_find_mnid(mag->bul, &id); e; e = dmm_bul_find_mnid_next(mag->bul, e))
		if (e->state == DMM_BUL_REGISTERED && dmm_addr_eq(&e->lmaa, src) && mag_bx(mag, e)->intents)
			break;
	if (!e)
		return NULL;
	for (const struct dmm_mh_opt *h = o + 1; h < m->opts + m->nopts && h->type == DMM_OPT_HNP; h++)
		if (dmm_bul_find_prefix(mag->bul, &h->u.hnp) != e)
			return NULL;
	return e;
}

/* §5: check the LRI, set the pair up or refresh or end it; the LRA's status. */
static uint8_t lri_take(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m,
			dmm_time_t now)
{
	const struct dmm_mh_opt *o1 = dmm_mh_find_opt(m, DMM_OPT_MNID, NULL);
	const struct dmm_mh_opt *o2 = o1 ? dmm_mh_find_opt(m, DMM_OPT_MNID, o1) : NULL;
	struct dmm_bul_entry *a, *b;
	struct mag_lr_pair *p;

	if (!pmip_lr_shape(m))
		return DMM_LRA_NOT_ALLOWED; /* not the two tuples of §10.1 */
	a = lri_mn(mag, src, m, o1);
	b = lri_mn(mag, src, m, o2);
	p = a && b ? pair_find(mag, a->handle, b->handle) : NULL;
	if (m->u.lr.lifetime == 0) {
		/* §4: the initiator ends it; acknowledged also when it is gone already. */
		if (p && p->kind == MAG_LR_BY_LMA)
			pair_end(mag, p, false, "the LMA's LRI with lifetime 0 (RFC 6705 §4)", now);
		return DMM_LRA_SUCCESS;
	}
	/* §5: EnableMAGLocalRouting off: "MUST reject the LRI ... Localized Routing Not Allowed". */
	if (!mag->cfg.lr.local_routing)
		return DMM_LRA_NOT_ALLOWED;
	if (!a || !b || a == b)
		return DMM_LRA_MN_NOT_ATTACHED;
	if (!p) {
		p = pair_new(mag, a, b);
		if (!p)
			return DMM_LRA_NOT_ALLOWED; /* no room: the tunnel carries it */
		p->kind = MAG_LR_BY_LMA;
		pair_on(mag, p, "the LMA's LRI (RFC 6705 §5)", now);
	}
	p->kind = MAG_LR_BY_LMA; /* a static pair is the LMA's from now on */
	p->lma[0] = p->lma[1] = *src;
	p->seq[0] = m->u.lr.seq;
	p->expires = m->u.lr.lifetime == DMM_LR_LIFETIME_INFINITE
			     ? DMM_TIME_NEVER
			     : now + (dmm_time_t)m->u.lr.lifetime * DMM_SECOND;
	dmm_timers_cancel(mag->base.timers, MAG_TIMER_LR, pair_handle(mag, p));
	if (p->expires != DMM_TIME_NEVER)
		dmm_timers_set(mag->base.timers, MAG_TIMER_LR, pair_handle(mag, p), p->expires);
	return DMM_LRA_SUCCESS;
}

/*
 * RFC 6705 §5 (scenario A11), §10.1, §10.2: an LMA's LRI for two MNs
 * here, answered with an LRA (status 0: "MUST also include the MN-ID and
 * the HNP for each of the communicating MNs", in the LRI's order).
 */
void mag_lr_recv_lri(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		     dmm_time_t now)
{
	struct dmm_mh_msg a;
	uint8_t st = lri_take(mag, src, m, now);

	dmm_mh_init(&a, DMM_MH_LRA);
	a.u.lr.seq = m->u.lr.seq;
	a.u.lr.status = st;
	a.u.lr.lifetime = m->u.lr.lifetime;
	for (unsigned i = 0; st == DMM_LRA_SUCCESS && i < m->nopts; i++)
		if (m->opts[i].type == DMM_OPT_MNID || m->opts[i].type == DMM_OPT_HNP) {
			struct dmm_mh_opt *o = dmm_mh_add_opt(&a, m->opts[i].type);

			if (o)
				*o = m->opts[i];
		}
	lr_tx(mag, src, &a);
	if (st == DMM_LRA_SUCCESS)
		mag->lr.ctr.lri_taken++;
	else
		mag->lr.ctr.lri_refused++;
	if (mag_log_on(mag, DMM_LOG_INFO)) {
		char ps[DMM_ADDR_STRLEN];

		dmm_logf(mag->base.env.log, DMM_LOG_INFO, DMM_LC_MH,
			 "mag: LRI from LMA %s, lifetime %u: LRA status %u", dmm_addr_str(src, ps),
			 m->u.lr.lifetime, st);
	}
}

const struct dmm_mag_lr_counters *dmm_mag_lr_counters(const struct dmm_mag *mag)
{
	return &mag->lr.ctr;
}
