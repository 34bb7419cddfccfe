/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAAR as anchor (RFC 8885 §3.2 steps 2-3, §3.4, §3.5;
 * docs/dmm-protocol.md §2.3, §4, §5, §6): the PBUs from the CMD about
 * the prefixes anchored here (the anchored entries themselves and their
 * intents are maar_state.c's). PBUs come only from the CMD: they name
 * the MN's S-MAAR
 * (Serving MAAR option), release a prefix (lifetime 0), or ask this MAAR
 * to anchor a prefix for an MN served elsewhere (HNP ::/0, GAP1-3).
 *
 * Every PBU is checked completely before anything changes (rule 5); a
 * refused PBU changes nothing but counters and gets a PBA with the
 * status. Choices: a PBU from any address but the configured CMD gets
 * 154 (not authorised for proxy registration), one without the D flag
 * 129.
 *
 * Order (RFC 5213 §5.5, RFC 6275 §9.5.1): the CMD's PBUs about one
 * anchored prefix (a mobility session: the MN and that prefix) are
 * applied in the order the CMD sent them, so that a late, older PBU does
 * not move the tunnel back. With a Timestamp option the timestamp must
 * be above the last accepted one (§5.5 rules 5-8; the sequence number is
 * then only echoed), else 157 with our time of day; without one the
 * sequence number must be above the last accepted one modulo 2^16, else
 * 135 carrying the last accepted number. Choices: a repeat of the last
 * accepted PBU (same sequence number and Timestamp) is answered 0 and
 * changes nothing (a duplicated datagram must not undo a later local
 * change); the first PBU about an entry is taken whatever its numbers
 * (RFC 6275 §9.5.1: no binding yet); the Timestamp is not checked
 * against our clock (no TimestampValidityWindow here: the CMD's clock is
 * the only one that orders these PBUs).
 *
 * Lifetime (RFC 6275 §9.5.2, issue 9 §2.15): an anchored prefix whose MN
 * is served elsewhere lives as long as the CMD's last PBU granted
 * (ANCHOR_EXPIRE, maar_timers.c); the CMD refreshes it with the MN's
 * registration. When it runs out (a release the CMD gave up on) the
 * prefix goes back to the pool.
 */
#include <string.h>

#include "dmm/err.h"
#include "maar_int.h"
#include "mcast_ctx.h"
#include "reloc_usage.h"

/* --- PBUs from the CMD --- */

/* A PBU, decoded and checked, before anything changes. */
struct apbu {
	const struct dmm_addr *src, *dst;
	uint16_t seq;
	uint32_t lifetime_s;
	bool has_mnid;
	struct dmm_mnid mnid;
	const struct dmm_mh_opt *hnp, *serving, *ts;
	const struct dmm_mh_opt *anch;	/* Anchored Prefix: a relocation (§11) */
	const struct dmm_mh_opt *usage; /* §11.1 Anchor Usage from the old anchor, through the CMD */
	bool has_out;			/* the PBA carries out: our usage, handed over (§11.1) */
	struct dmm_usage out;
	struct dmm_mcast_groups sub; /* RFC 7161: the MN's subscription here, for the PBA (n 0: none) */
	uint8_t status;		     /* 0: accepted so far */
	uint16_t ba_seq; /* the PBA's sequence number: the PBU's, or the last accepted one for 135 */
};

/*
 * docs/dmm-protocol.md §2.3: PBA with P and D, the seq, MN-ID, HNP,
 * Timestamp, Serving MAAR, Load Information, DLIF LLA.
 */
static void send_apba(struct dmm_maar *m, const struct apbu *p, uint8_t status, const struct dmm_prefix *hnp,
		      dmm_time_t now)
{
	struct dmm_mh_msg *msg = &m->tx;
	struct dmm_mh_opt *o;

	dmm_mh_init(msg, DMM_MH_BA);
	msg->u.ba.status = status;
	msg->u.ba.flags = DMM_BA_P | DMM_BA_D;
	msg->u.ba.seq = p->ba_seq;
	msg->u.ba.lifetime = status < 128 ? dmm_lifetime_units(p->lifetime_s) : 0;
	if (p->has_mnid)
		pmip_add_mnid(msg, &p->mnid);
	o = dmm_mh_add_opt(msg, DMM_OPT_HNP);
	if (hnp)
		o->u.hnp = *hnp;
	else if (p->hnp)
		o->u.hnp = p->hnp->u.hnp;
	if (status == DMM_BA_TIMESTAMP_LOWER_THAN_PREV) /* RFC 5213 §5.5 rule 8: our time of day */
		pmip_add_timestamp(msg, pmip_wall_timestamp(m->base.env.wall_offset, now));
	else if (p->ts)
		*dmm_mh_add_opt(msg, DMM_OPT_TIMESTAMP) = *p->ts; /* rule 7: echoed */
	/* RFC 8885 §3.2 step 3: the P-MAAR's PBA carries the Serving MAAR option of the PBU. */
	if (p->serving)
		*dmm_mh_add_opt(msg, DMM_OPT_SERVING_MAAR) = *p->serving;
	if (p->anch) /* §11: the relocation's prefix echoed */
		*dmm_mh_add_opt(msg, DMM_OPT_ANCHORED_PREFIX) = *p->anch;
	if (p->has_out && status < 128) /* §11.1: the usage so far, for the new anchor */
		reloc_usage_add(msg, &p->out);
	/* RFC 7161 §4.2.1.1: S and the subscription when the MN has one, else S 0. */
	if (status < 128 && p->sub.n && mcast_ctx_add(msg, &p->sub))
		msg->u.ba.flags |= DMM_BA_S;
	maar_add_load(m, msg);
	if (status < 128 && !dmm_addr_is_zero(&m->cfg.access_lla)) {
		/*
		 * RFC 8885 §4.7, §3.7: the link-local address of the router the MN
		 * sees on its link, which the S-MAAR shows it in turn: the shared
		 * one of RFC 5213 §6.8 that every MAAR of the domain uses.
		 */
		dmm_mh_add_opt(msg, DMM_OPT_DLIF_LLA)->u.dlif_lla = m->cfg.access_lla;
	}
	m->base.stats.binding_acks++;
	m->base.stats.ba_status[status]++;
	maar_tx(m, p->src, msg);
}

/*
 * RFC 5213 §5.5, RFC 6275 §9.5.1: is p newer than the last PBU accepted
 * for a? Sets p->status (157, 135 with p->ba_seq the last accepted seq)
 * when it is older; returns true when p repeats the last accepted PBU.
 */
static bool order_check(struct dmm_maar *m, struct apbu *p, const struct dmm_bcache_entry *a)
{
	const struct maar_ax *x = maar_ax(m, a);

	if (!x->ordered)
		return false; /* no PBU from the CMD about a yet: any numbers */
	if (p->ts) {
		uint64_t ts = pmip_ts_value(p->ts);

		if (x->has_ts && ts == a->timestamp && p->seq == a->seq)
			return true;
		if (x->has_ts && ts <= a->timestamp)
			p->status = DMM_BA_TIMESTAMP_LOWER_THAN_PREV; /* rules 6 and 8 */
		return false;
	}
	if (!x->has_ts && p->seq == a->seq)
		return true;
	if (!dmm_seq_lt(a->seq, p->seq)) {
		p->status = DMM_BA_SEQ_OUT_OF_WINDOW;
		p->ba_seq = a->seq; /* RFC 6275 §9.5.1: the last accepted number */
	}
	return false;
}

/* p was accepted for a: its numbers order the next PBUs, its lifetime is a's (RFC 6275 §9.5.2). */
static void note_accepted(struct dmm_maar *m, const struct apbu *p, struct dmm_bcache_entry *a,
			  dmm_time_t now)
{
	struct maar_ax *x = maar_ax(m, a);

	x->ordered = true;
	x->has_ts = p->ts != NULL;
	a->seq = p->seq;
	if (p->ts)
		a->timestamp = pmip_ts_value(p->ts);
	a->lifetime_s = p->lifetime_s;
	/* While the MN is attached here its serving entry decides (maar_anchor_set cancelled it). */
	if (x->mode != AM_DELIVER)
		maar_timers_anchor_granted(m, a, now);
}

static void read_apbu(struct dmm_maar *m, struct apbu *p, const struct dmm_addr *src,
		      const struct dmm_addr *dst)
{
	const struct dmm_mh_msg *msg = &m->rx;

	memset(p, 0, sizeof(*p));
	p->src = src;
	p->dst = dst;
	p->seq = msg->u.bu.seq;
	p->lifetime_s = dmm_lifetime_seconds(msg->u.bu.lifetime);
	p->has_mnid = pmip_mnid_of(msg, &p->mnid);
	p->hnp = dmm_mh_find_opt(msg, DMM_OPT_HNP, NULL);
	p->serving = dmm_mh_find_opt(msg, DMM_OPT_SERVING_MAAR, NULL);
	p->ts = dmm_mh_find_opt(msg, DMM_OPT_TIMESTAMP, NULL);
	p->anch = dmm_mh_find_opt(msg, DMM_OPT_ANCHORED_PREFIX, NULL);
	p->usage = p->anch ? reloc_usage_find(msg) : NULL;
	p->ba_seq = p->seq;
	if (!dmm_addr_eq(src, &m->cfg.cmd))
		p->status = DMM_BA_MAG_NOT_AUTHORIZED; /* only the CMD tells an anchor where the MN is */
	else if (!(msg->u.bu.flags & DMM_BU_D))
		p->status = DMM_BA_PROHIBITED; /* plain PMIPv6: a MAAR is no LMA */
	else if (!p->has_mnid)
		p->status = DMM_BA_MISSING_MN_ID;
	else if (!p->hnp || dmm_mh_count_opt(msg, DMM_OPT_HNP) != 1)
		p->status = DMM_BA_MISSING_HNP; /* one prefix per anchored session */
	else if (p->lifetime_s && (!p->serving || dmm_addr_is_zero(&p->serving->u.serving_maar)))
		p->status = DMM_BA_UNSPECIFIED; /* where to send the traffic? */
	else if (p->lifetime_s && dmm_addr_is_zero(&p->hnp->u.hnp.addr) &&
		 dmm_addr_eq(&p->serving->u.serving_maar, &m->cfg.addr))
		p->status = DMM_BA_UNSPECIFIED; /* an anchor for ourselves is ours to pick */
}

/* GAP1-3: anchor a new prefix for an MN served at another MAAR (HNP ::/0). */
static void anchor_for_other(struct dmm_maar *m, const struct apbu *p, dmm_time_t now)
{
	const struct dmm_addr *s = &p->serving->u.serving_maar;
	struct dmm_bcache_entry *a;
	struct dmm_prefix pf;
	struct bulc_who w;

	/* A retransmitted request gets the prefix already anchored for it. */
	for (a = dmm_bcache_find_mnid(m->bc, &p->mnid); a; a = dmm_bcache_find_mnid_next(m->bc, a))
		if (maar_ax(m, a)->remote && dmm_addr_eq(dmm_bce_pcoa(a), s))
			break;
	if (!a) {
		if (dmm_bcache_count(m->bc) >= m->max_anchored || dmm_pool_alloc(m->pool, &pf) != 0) {
			m->base.stats.pool_exhausted++;
			dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
				 "maar: %s: cannot anchor: pool full",
				 maar_who(&p->mnid, NULL, "serving", s, &w));
			send_apba(m, p, DMM_BA_INSUFFICIENT_RESOURCES, NULL, now);
			return;
		}
		a = maar_anchor_new(m, &p->mnid, &pf, s, true, now, "anchored for another S-MAAR");
		if (!a) {
			(void)dmm_pool_release(m->pool, &pf);
			send_apba(m, p, DMM_BA_INSUFFICIENT_RESOURCES, NULL, now);
			return;
		}
		m->ctr.local_anchors++;
		maar_anchor_set(m, a, AM_TUNNEL, 0, s, now, "anchored for another S-MAAR");
	}
	note_accepted(m, p, a, now);
	send_apba(m, p, DMM_BA_ACCEPTED, dmm_bce_hnp(a, 0), now);
}

/* §2.3: the CMD names the S-MAAR of a's MN (lifetime > 0); a's intents follow. */
static void apply_serving(struct dmm_maar *m, struct apbu *p, struct dmm_bcache_entry *a, dmm_time_t now)
{
	struct dmm_bul_entry *e = dmm_bul_find_mnid(m->bul, DMM_BCE_MNID(a));

	if (dmm_addr_eq(&p->serving->u.serving_maar, &m->cfg.addr)) {
		/* The MN came back: deliver on its link if it is attached, else hold. */
		if (e && !maar_bx(m, e)->detached && e->state != DMM_BUL_DEREG_WAIT && !maar_fho_quiet(m, e))
			maar_anchor_set(m, a, AM_DELIVER, e->ifindex, NULL, now, "CMD: MN served here");
		else
			maar_anchor_set(m, a, AM_BUFFER, 0, NULL, now,
					"CMD: MN served here, not attached yet");
	} else {
		/*
		 * docs/dmm-protocol.md §14 (RFC 7161 §4.2.1.2, the pMAG's context):
		 * the MN's groups on the link it had here go back in the PBA when
		 * the S flag says its next S-MAAR takes them.
		 */
		if (e && (m->rx.u.bu.flags & DMM_BU_S) && m->base.env.mcast_get)
			m->base.env.mcast_get(m->base.env.ctx, &e->mnid, e->ifindex, &p->sub);
		maar_anchor_set(m, a, AM_TUNNEL, 0, &p->serving->u.serving_maar, now,
				"CMD: MN served elsewhere");
		/* RFC 5949: a handover to it under way; the MN may not have left yet. */
		if (e)
			maar_bx(m, e)->fho.revoked = true;
		/* The MN left us and has its next S-MAAR: our serving entry ends without a de-registration. */
		if (e && maar_bx(m, e)->detached)
			maar_serving_release(m, e, false, now, "MN moved to its next S-MAAR");
	}
	note_accepted(m, p, a, now);
}

/*
 * docs/dmm-protocol.md §11: a PBU with an Anchored Prefix option equal
 * to its HNP relocates that prefix: to us when the Serving MAAR option
 * names us (we take it over), away from us otherwise (we forward to the
 * new anchor it names until the network routes the prefix there). The
 * relocation does not apply to a release (lifetime 0: refused 128).
 */
static void reloc_pbu(struct dmm_maar *m, struct apbu *p, dmm_time_t now)
{
	const struct dmm_prefix *hnp = &p->hnp->u.hnp;
	const struct dmm_addr *to = &p->serving->u.serving_maar;
	bool here = dmm_addr_eq(to, &m->cfg.addr), repeat = false;
	struct dmm_bcache_entry *a = NULL;
	struct bulc_who w;

	if (!p->lifetime_s || !dmm_prefix_eq(&p->anch->u.anchored_prefix, hnp) ||
	    dmm_addr_is_zero(&hnp->addr))
		p->status = DMM_BA_UNSPECIFIED;
	else if ((a = dmm_bcache_find_prefix(m->bc, hnp)) != NULL && !dmm_bce_mnid_eq(a, &p->mnid))
		p->status = DMM_BA_NOT_AUTHORIZED_FOR_HNP; /* another MN's */
	else if (!a && (!here || p->usage))
		p->status = DMM_BA_NOT_AUTHORIZED_FOR_HNP; /* handed over, or a usage for nothing here */
	if (!p->status && a)
		repeat = order_check(m, p, a);
	if (!p->status && !a && !(a = maar_reloc_take(m, &p->mnid, hnp, p->src, now)))
		p->status = DMM_BA_INSUFFICIENT_RESOURCES;
	if (p->status) {
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_MH,
			 "maar: relocation PBU seq %u %s refused: status %u", p->seq,
			 maar_who(&p->mnid, hnp, "to", to, &w), p->status);
		send_apba(m, p, p->status, NULL, now);
		return;
	}
	if (!repeat)
		note_accepted(m, p, a, now);
	if (!repeat && here && p->usage)
		maar_reloc_continue(m, a, p->usage); /* §11.1 step 5: the old anchor's usage */
	if (!here) /* §11.1: the usage so far goes back with the PBA (again for a repeat) */
		p->has_out = maar_reloc_usage(m, a, to, &p->out);
	if (!repeat && !here)
		maar_reloc_moving(m, a, to, now); /* may release a at once: answer with the PBU's prefix */
	send_apba(m, p, DMM_BA_ACCEPTED, hnp, now);
}

void maar_recv_pbu(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_addr *dst, dmm_time_t now)
{
	struct apbu p;
	struct dmm_bcache_entry *a;
	struct bulc_who w;
	bool repeat = false;

	if (!(m->rx.u.bu.flags & DMM_BU_P)) {
		/* A Mobile IPv6 BU: not for a MAAR. */
		struct dmm_mh_msg *msg = &m->tx;

		dmm_mh_init(msg, DMM_MH_BA);
		msg->u.ba.status = DMM_BA_PROHIBITED;
		msg->u.ba.seq = m->rx.u.bu.seq;
		m->base.stats.ba_status[DMM_BA_PROHIBITED]++;
		maar_tx(m, src, msg);
		return;
	}
	read_apbu(m, &p, src, dst);
	if (!p.status && p.anch) {
		reloc_pbu(m, &p, now);
		return;
	}
	a = p.status ? NULL : dmm_bcache_find_prefix(m->bc, &p.hnp->u.hnp);
	if (!p.status && a && !dmm_bce_mnid_eq(a, &p.mnid))
		p.status = DMM_BA_NOT_AUTHORIZED_FOR_HNP; /* the prefix is another MN's */
	if (!p.status && !a && p.lifetime_s && !dmm_addr_is_zero(&p.hnp->u.hnp.addr))
		p.status = DMM_BA_NOT_AUTHORIZED_FOR_HNP; /* not anchored here */
	if (!p.status && a)
		repeat = order_check(m, &p, a);
	if (p.status) {
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_MH, "maar: PBU seq %u %s refused: status %u",
			 p.seq,
			 maar_who(p.has_mnid ? &p.mnid : NULL, p.hnp ? &p.hnp->u.hnp : NULL, "from", src, &w),
			 p.status);
		send_apba(m, &p, p.status, NULL, now);
		return;
	}
	if (repeat) {
		/* The last accepted PBU again: its answer again, nothing applied twice. */
		send_apba(m, &p, DMM_BA_ACCEPTED, dmm_bce_hnp(a, 0), now);
		return;
	}
	if (p.lifetime_s == 0) {
		/* §4, §5: de-registration or release: the prefix goes back to the pool. */
		if (a)
			maar_anchor_release(m, a, now, "released by the CMD");
		else
			maar_reloc_returned(m, &p.mnid, &p.hnp->u.hnp); /* §11: handed over, ended there */
		send_apba(m, &p, DMM_BA_ACCEPTED, NULL, now);
		return;
	}
	if (dmm_addr_is_zero(&p.hnp->u.hnp.addr)) {
		anchor_for_other(m, &p, now);
		return;
	}
	apply_serving(m, &p, a, now);
	send_apba(m, &p, DMM_BA_ACCEPTED, dmm_bce_hnp(a, 0), now);
}
