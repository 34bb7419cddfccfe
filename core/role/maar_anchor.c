/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAAR as anchor (RFC 8885 §3.3, §3.5; docs/dmm-protocol.md §2.3, §4, §5,
 * §6): the PBUs from the CMD about the prefixes anchored here (the
 * anchored entries themselves and their intents are maar_state.c's).
 * PBUs come only from the CMD: they name the MN's S-MAAR
 * (Serving MAAR option), release a prefix (lifetime 0), or ask this MAAR
 * to anchor a prefix for an MN served elsewhere (HNP ::/0, GAP1-3).
 *
 * Every PBU is checked completely before anything changes (rule 5); a
 * refused PBU changes nothing but counters and gets a PBA with the
 * status. Choices: a PBU from any address but the configured CMD gets
 * 154 (not authorised for proxy registration), one without the D flag
 * 129; the sequence number is echoed but not ordered (the CMD is the
 * only sender and answers are idempotent).
 */
#include <string.h>

#include "dmm/err.h"
#include "maar_int.h"

/* --- PBUs from the CMD --- */

/* A PBU, decoded and checked, before anything changes. */
struct apbu {
	const struct dmm_addr *src, *dst;
	uint16_t seq;
	uint32_t lifetime_s;
	bool has_mnid;
	struct dmm_mnid mnid;
	const struct dmm_mh_opt *hnp, *serving, *ts;
	uint8_t status; /* 0: accepted so far */
};

/* docs/dmm-protocol.md §2.3: PBA with P and D, the seq, MN-ID, HNP, Load Information, DLIF LLA. */
static void send_apba(struct dmm_maar *m, const struct apbu *p, uint8_t status, const struct dmm_prefix *hnp)
{
	struct dmm_mh_msg *msg = &m->tx;
	struct dmm_mh_opt *o;

	dmm_mh_init(msg, DMM_MH_BA);
	msg->u.ba.status = status;
	msg->u.ba.flags = DMM_BA_P | DMM_BA_D;
	msg->u.ba.seq = p->seq;
	msg->u.ba.lifetime = status < 128 ? dmm_lifetime_units(p->lifetime_s) : 0;
	if (p->has_mnid)
		pmip_add_mnid(msg, &p->mnid);
	o = dmm_mh_add_opt(msg, DMM_OPT_HNP);
	if (hnp)
		o->u.hnp = *hnp;
	else if (p->hnp)
		o->u.hnp = p->hnp->u.hnp;
	if (p->ts)
		*dmm_mh_add_opt(msg, DMM_OPT_TIMESTAMP) = *p->ts; /* RFC 5213 §5.5 rule 7: echoed */
	maar_add_load(m, msg);
	if (status < 128) {
		/* RFC 8885 §4.7: our link-local address on the MN's link, fe80::/64 + our interface id. */
		o = dmm_mh_add_opt(msg, DMM_OPT_DLIF_LLA);
		memset(&o->u.dlif_lla, 0, sizeof(o->u.dlif_lla));
		o->u.dlif_lla.b[0] = 0xfe;
		o->u.dlif_lla.b[1] = 0x80;
		memcpy(o->u.dlif_lla.b + 8, m->cfg.addr.b + 8, 8);
	}
	m->base.stats.binding_acks++;
	m->base.stats.ba_status[status]++;
	maar_tx(m, p->src, msg);
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
		if (maar_ax(m, a)->remote && dmm_addr_eq(&a->pcoa, s))
			break;
	if (!a) {
		if (dmm_bcache_count(m->bc) >= m->max_anchored || dmm_pool_alloc(m->pool, &pf) != 0) {
			m->base.stats.pool_exhausted++;
			dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
				 "maar: %s: cannot anchor: pool full",
				 maar_who(&p->mnid, NULL, "serving", s, &w));
			send_apba(m, p, DMM_BA_INSUFFICIENT_RESOURCES, NULL);
			return;
		}
		a = maar_anchor_new(m, &p->mnid, &pf, s, true, now, "anchored for another S-MAAR");
		if (!a) {
			(void)dmm_pool_release(m->pool, &pf);
			send_apba(m, p, DMM_BA_INSUFFICIENT_RESOURCES, NULL);
			return;
		}
		m->ctr.local_anchors++;
		maar_anchor_set(m, a, AM_TUNNEL, 0, s, now, "anchored for another S-MAAR");
	}
	a->seq = p->seq;
	a->lifetime = (dmm_time_t)p->lifetime_s * DMM_SECOND;
	a->updated = now;
	send_apba(m, p, DMM_BA_ACCEPTED, &a->hnp[0]);
}

void maar_recv_pbu(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_addr *dst, dmm_time_t now)
{
	struct apbu p;
	struct dmm_bcache_entry *a;
	struct bulc_who w;

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
	a = p.status ? NULL : dmm_bcache_find_prefix(m->bc, &p.hnp->u.hnp);
	if (!p.status && a && !dmm_mnid_eq(&a->mnid, &p.mnid))
		p.status = DMM_BA_NOT_AUTHORIZED_FOR_HNP; /* the prefix is another MN's */
	if (!p.status && !a && p.lifetime_s && !dmm_addr_is_zero(&p.hnp->u.hnp.addr))
		p.status = DMM_BA_NOT_AUTHORIZED_FOR_HNP; /* not anchored here */
	if (p.status) {
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_MH, "maar: PBU seq %u %s refused: status %u",
			 p.seq,
			 maar_who(p.has_mnid ? &p.mnid : NULL, p.hnp ? &p.hnp->u.hnp : NULL, "from", src, &w),
			 p.status);
		send_apba(m, &p, p.status, NULL);
		return;
	}
	if (p.lifetime_s == 0) {
		/* §4, §5: de-registration or release: the prefix goes back to the pool. */
		if (a)
			maar_anchor_release(m, a, now, "released by the CMD");
		send_apba(m, &p, DMM_BA_ACCEPTED, NULL);
		return;
	}
	if (dmm_addr_is_zero(&p.hnp->u.hnp.addr)) {
		anchor_for_other(m, &p, now);
		return;
	}
	a->seq = p.seq;
	a->lifetime = (dmm_time_t)p.lifetime_s * DMM_SECOND;
	a->updated = now;
	if (dmm_addr_eq(&p.serving->u.serving_maar, &m->cfg.addr)) {
		/* §2.3: the MN came back: deliver on its link if it is attached, else hold. */
		struct dmm_bul_entry *e = dmm_bul_find_mnid(m->bul, &a->mnid);

		if (e && !maar_bx(m, e)->detached && e->state != DMM_BUL_DEREG_WAIT)
			maar_anchor_set(m, a, AM_DELIVER, e->ifindex, NULL, now, "CMD: MN served here");
		else
			maar_anchor_set(m, a, AM_BUFFER, 0, NULL, now,
					"CMD: MN served here, not attached yet");
	} else {
		struct dmm_bul_entry *e = dmm_bul_find_mnid(m->bul, &a->mnid);

		maar_anchor_set(m, a, AM_TUNNEL, 0, &p.serving->u.serving_maar, now,
				"CMD: MN served elsewhere");
		/* The MN left us and has its next S-MAAR: our serving entry ends without a de-registration. */
		if (e && maar_bx(m, e)->detached)
			maar_serving_release(m, e, false, now, "MN moved to its next S-MAAR");
	}
	send_apba(m, &p, DMM_BA_ACCEPTED, &a->hnp[0]);
}
