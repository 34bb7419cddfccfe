/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAAR as S-MAAR: the CMD's Proxy Binding Acknowledgements (RFC 8885
 * §3.1, §3.2 step 4, §3.4; docs/dmm-protocol.md §1.4, §2.4, §6):
 * matching a PBA to the PBU it answers, accepting a registration (the
 * own prefix delivered on the link, every Previous MAAR's prefix
 * tunnelled and deprecated, the MN event), late PBAs of a relaying CMD,
 * and refusals (RFC 5213 §6.9.1.2, the status table in pmip_common.c).
 */
#include <string.h>

#include "dmm/err.h"
#include "maar_int.h"
#include "mcast_ctx.h"

/*
 * A relaying CMD's later PBA for e, whose last attempt was already
 * answered: the Previous MAAR options of late P-MAARs
 * (docs/dmm-protocol.md §2.2, RFC 8885 §3.2). NULL when none.
 */
/*
 * docs/dmm-protocol.md §14 (RFC 7161 §4.2.1.1): the MN's subscription at
 * its previous MAAR, relayed by the CMD, goes to the access link at once.
 */
static void take_mcast(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_mh_msg *msg)
{
	struct dmm_mcast_groups g;
	struct bulc_who w;

	if (!(msg->u.ba.flags & DMM_BA_S) || !m->base.env.mcast_put || !mcast_ctx_of(msg, &g) || !g.n)
		return;
	if (maar_log_on(m, DMM_LOG_INFO))
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
			 "maar: %s: multicast subscription from the previous MAAR: %u groups",
			 maar_who_e(m, e, &w), g.n);
	m->base.env.mcast_put(m->base.env.ctx, &e->mnid, e->ifindex, &g);
}

static struct dmm_bul_entry *pba_match_late(struct dmm_maar *m, const struct dmm_addr *src,
					    const struct dmm_mh_msg *msg)
{
	struct dmm_mnid id;

	if (!dmm_addr_eq(src, &m->cfg.cmd) || !pmip_mnid_of(msg, &id))
		return NULL;
	for (struct dmm_bul_entry *e = dmm_bul_find_mnid(m->bul, &id); e;
	     e = dmm_bul_find_mnid_next(m->bul, e)) {
		const struct bulc_attempt *at = maar_at(m, e);

		if (!at->outstanding && pmip_seq_in_attempt(msg->u.ba.seq, at->seq_first, e->seq) &&
		    e->state == DMM_BUL_REGISTERED && !maar_bx(m, e)->detached)
			return e;
	}
	return NULL;
}

static bool released_before(const struct maar_bx *x, const struct dmm_prefix *p)
{
	for (unsigned i = 0; i < x->nrel; i++)
		if (dmm_prefix_eq(&x->rel[i], p))
			return true;
	return false;
}

/*
 * Take the Previous MAAR options of msg into e: a new (A, Q) is tunnelled
 * to A (or, anchored here, delivered on the link); a known prefix whose
 * anchor changed is tunnelled anew. Options only add: a partial PBA and
 * a later one complete each other. True when something changed.
 */
static bool merge_prev(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_mh_msg *msg,
		       dmm_time_t now)
{
	struct maar_bx *x = maar_bx(m, e);
	const struct dmm_mh_opt *o = NULL;
	bool changed = false;

	while ((o = dmm_mh_find_opt(msg, DMM_OPT_PREV_MAAR, o)) != NULL) {
		const struct dmm_prefix *q = &o->u.prev_maar.hnp;
		const struct dmm_addr *a = &o->u.prev_maar.maar;
		struct maar_sp *own = maar_own(m, e);
		struct bulc_who w;
		int i;

		if (q->len == 0 || q->len > 128 || dmm_addr_is_zero(&q->addr) || dmm_addr_is_zero(a))
			continue;
		if (own && dmm_prefix_eq(&own->p, q))
			continue;
		if (released_before(x, q)) {
			/* The CMD missed our release: say it again, do not take the prefix back. */
			maar_send_release(m, e, q, 1, now);
			continue;
		}
		if (!dmm_addr_eq(a, &m->cfg.addr) && maar_sess_nomadic(m, e, q, a))
			continue; /* GAP2-1 nomadic: never tunnelled (maar_sess.c) */
		i = maar_sp_find(m, e, q);
		if (i >= 0) {
			if (dmm_addr_eq(&x->sp[i].anchor, a))
				continue;
			maar_sp_del(m, e, (unsigned)i);
		}
		if (dmm_addr_eq(a, &m->cfg.addr)) {
			/* An old prefix anchored here: delivered on the link, no tunnel. */
			struct dmm_bcache_entry *an = dmm_bcache_find_prefix(m->bc, q);

			if (!an || !dmm_bce_mnid_eq(an, &e->mnid)) {
				dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_MH,
					 "maar: %s: Previous MAAR option names us, but we do not anchor it",
					 maar_who(&e->mnid, q, "anchor", a, &w));
				continue;
			}
			maar_anchor_set(m, an, AM_DELIVER, e->ifindex, NULL, now, "MN attached here");
		}
		if (maar_sp_add(m, e, q, a, false, now) < 0)
			continue;
		changed = true;
		if (maar_log_on(m, DMM_LOG_INFO))
			dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
				 "maar: %s: old prefix, deprecated", maar_who(&e->mnid, q, "anchor", a, &w));
	}
	return changed;
}

static bool pba_has_hnp(const struct dmm_mh_msg *msg, const struct dmm_prefix *p)
{
	for (const struct dmm_mh_opt *o = NULL; (o = dmm_mh_find_opt(msg, DMM_OPT_HNP, o)) != NULL;)
		if (dmm_prefix_eq(&o->u.hnp, p))
			return true;
	return false;
}

/*
 * GAP1-3 (docs/dmm-protocol.md §6): the CMD chose an anchor for the own
 * prefix; the PBA's HNP is that prefix and a Previous MAAR option names
 * its anchor. False when the PBA does not say where it is anchored.
 */
static bool take_chosen(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_mh_msg *msg,
			dmm_time_t now)
{
	const struct dmm_mh_opt *h = dmm_mh_find_opt(msg, DMM_OPT_HNP, NULL);
	const struct dmm_addr *anchor = NULL;
	struct bulc_who w;

	for (const struct dmm_mh_opt *o = NULL; (o = dmm_mh_find_opt(msg, DMM_OPT_PREV_MAAR, o)) != NULL;)
		if (dmm_prefix_eq(&o->u.prev_maar.hnp, &h->u.hnp) && !dmm_addr_is_zero(&o->u.prev_maar.maar))
			anchor = &o->u.prev_maar.maar;
	if (!anchor) {
		struct dmm_bcache_entry *a = dmm_bcache_find_prefix(m->bc, &h->u.hnp);

		if (!a || !dmm_bce_mnid_eq(a, &e->mnid))
			return false;
		anchor = &m->cfg.addr;
	}
	if (maar_sp_add(m, e, &h->u.hnp, anchor, true, now) < 0)
		return false;
	maar_bx(m, e)->asked = false;
	if (maar_log_on(m, DMM_LOG_INFO))
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "maar: %s: anchor chosen by the CMD",
			 maar_who(&e->mnid, &h->u.hnp, "anchor", anchor, &w));
	return true;
}

static void pba_accept(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_mh_msg *msg,
		       dmm_time_t now)
{
	struct maar_bx *x = maar_bx(m, e);
	bool had = !maar_at(m, e)->first_reg;
	struct maar_sp *own;
	struct bulc_who w;

	if (x->asked ? !take_chosen(m, e, msg, now) : !(own = maar_own(m, e)) || !pba_has_hnp(msg, &own->p)) {
		m->base.stats.rx_unexpected++;
		if (maar_log_on(m, DMM_LOG_WARN))
			dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_MH,
				 "maar: %s: accepting PBA without the prefix asked for (or its anchor): "
				 "ignored",
				 maar_who_e(m, e, &w));
		return;
	}
	own = maar_own(m, e);
	if (own->local) {
		struct dmm_bcache_entry *a = dmm_bcache_find_prefix(m->bc, &own->p);

		/* docs/dmm-protocol.md §1.4: the own prefix is delivered on the link, no tunnel. */
		if (a)
			maar_anchor_set(m, a, AM_DELIVER, e->ifindex, NULL, now, "MN registered here");
	}
	x->nrel_new = 0;
	merge_prev(m, e, msg, now);
	x->own_fresh = false;
	bulc_pba_accepted(&m->cl, e, msg->u.ba.lifetime, now);
	bulc_peer_hold(&m->cl, e, now);
	bulc_registered(&m->cl, e, had, (int)x->nsp - 1, now);
	/* Nomadic prefixes of the PBA: released to the CMD, and once with valid 0 to the MN. */
	unsigned nn = maar_sess_arrived(m, e, now);

	maar_emit_registered(m, e, nn ? &x->rel[x->nrel - nn] : NULL, nn);
	take_mcast(m, e, msg);
}

/*
 * A PBA that answers no registration: the answer to a release (GAP2-1),
 * or nothing we sent. A refused release is sent once more, with fresh
 * numbers, for every prefix released lately (a 156/157 or a lost race).
 */
static void recv_release_pba(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_mh_msg *msg,
			     dmm_time_t now)
{
	struct dmm_mnid id;
	struct dmm_bul_entry *e = NULL;
	struct maar_bx *x;
	uint8_t status = msg->u.ba.status;

	if (dmm_addr_eq(src, &m->cfg.cmd) && pmip_mnid_of(msg, &id))
		for (e = dmm_bul_find_mnid(m->bul, &id); e; e = dmm_bul_find_mnid_next(m->bul, e))
			if (maar_bx(m, e)->nrel && maar_bx(m, e)->rel_seq == msg->u.ba.seq)
				break;
	if (!e) {
		m->base.stats.rx_unexpected++;
		dmm_logf(m->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH,
			 "maar: PBA seq %u status %u matches no PBU: ignored", msg->u.ba.seq, status);
		return;
	}
	x = maar_bx(m, e);
	m->base.stats.binding_acks++;
	m->base.stats.ba_status[status]++;
	if (status < 128) {
		dmm_logf(m->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH, "maar: PBA seq %u acknowledges a release",
			 msg->u.ba.seq);
		return;
	}
	if (maar_log_on(m, DMM_LOG_WARN)) {
		struct bulc_who w;

		dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
			 "maar: %s: release refused, status %u %s%s", maar_who_e(m, e, &w), status,
			 pmip_status_row(status)->name, x->rel_retried ? "" : ": sent again");
	}
	if (x->rel_retried)
		return;
	x->rel_retried = true;
	if (status == DMM_BA_SEQ_OUT_OF_WINDOW)
		bulc_seq_above(&m->cl, msg->u.ba.seq);
	maar_send_release(m, e, x->rel, x->nrel, now);
}

void maar_recv_pba(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_mh_msg *msg,
		   dmm_time_t now)
{
	struct dmm_bul_entry *e;
	const struct pmip_status *row;
	uint8_t status = msg->u.ba.status;
	bool late = false;

	if (!(msg->u.ba.flags & DMM_BA_P)) {
		m->base.stats.rx_unexpected++; /* a MIPv6 BA: not for a MAAR */
		return;
	}
	/* §6.9.1.2 item 5; every serving entry's peer is the CMD. */
	e = bulc_pba_match(&m->cl, src, msg);
	if (!e)
		late = (e = pba_match_late(m, src, msg)) != NULL;
	if (!e) {
		recv_release_pba(m, src, msg, now);
		return;
	}
	/* As the MAG (mag_pba.c): ignored, and the retransmissions go on. */
	if (!bulc_pba_echo_ok(&m->cl, e, msg, NULL))
		return;
	if (late) {
		if (status < 128 && merge_prev(m, e, msg, now))
			maar_emit_registered(m, e, NULL, 0);
		if (status < 128)
			take_mcast(m, e, msg);
		return;
	}
	if (maar_at(m, e)->kind == BULC_DEREG) {
		maar_serving_release(m, e, true, now,
				     status < 128 ? "de-registration acknowledged"
						  : "de-registration refused");
		return;
	}
	if (status < 128) {
		if (!bulc_pba_hnps_ok(&m->cl, e, msg))
			return;
		if (msg->u.ba.lifetime == 0) {
			maar_emit(m, DMM_MN_DEREGISTERED, 0, e);
			maar_serving_release(m, e, true, now, "PBA granted lifetime 0");
			return;
		}
		pba_accept(m, e, msg, now);
		return;
	}
	row = pmip_status_row(status);
	/* 152 (PMIP_ST_BLOCK) refuses like the others: a MAAR keeps no block marker. */
	if (bulc_pba_refused(&m->cl, e, msg, NULL, NULL, now))
		return;
	maar_refuse(m, e, status, now, row->name);
}
