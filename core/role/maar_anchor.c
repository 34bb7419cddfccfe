/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAAR as anchor (RFC 8885 §3.3, §3.5; docs/dmm-protocol.md §2.3, §4, §5,
 * §6): the binding cache of prefixes anchored here, one entry per
 * prefix, and what their intents do: deliver on the MN's access link
 * while it is here, tunnel to its S-MAAR when it is elsewhere, buffer in
 * between. PBUs come only from the CMD: they name the MN's S-MAAR
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

const char *maar_anchor_mode_name(uint8_t mode)
{
	static const char *const n[] = {"none", "deliver", "tunnel", "buffer"};

	return mode < 4 ? n[mode] : "?";
}

struct dmm_bcache_entry *maar_anchor_new(struct dmm_maar *m, const struct dmm_mnid *id,
					 const struct dmm_prefix *p, const struct dmm_addr *serving,
					 bool remote, dmm_time_t now)
{
	struct dmm_bcache_entry *a = dmm_bcache_add(m->bc, id, NULL);
	struct maar_ax *x;

	if (!a)
		return NULL;
	if (dmm_bcache_add_prefix(m->bc, a, p) != 0) {
		dmm_bcache_del(m->bc, a);
		return NULL;
	}
	x = maar_axof(m, a);
	memset(x, 0, sizeof(*x));
	x->remote = remote;
	a->proxy = true;
	a->pcoa = *serving;
	a->created = a->updated = now;
	a->lifetime = (dmm_time_t)m->cfg.lifetime_s * DMM_SECOND;
	return a;
}

struct dmm_bcache_entry *maar_anchor_of_mn(struct dmm_maar *m, const struct dmm_mnid *id)
{
	for (struct dmm_bcache_entry *a = dmm_bcache_find_mnid(m->bc, id); a;
	     a = dmm_bcache_find_mnid_next(m->bc, a))
		if (!maar_axof(m, a)->remote && a->n_hnp)
			return a;
	return NULL;
}

static void intents_del(struct dmm_maar *m, struct dmm_bcache_entry *a)
{
	struct maar_ax *x = maar_axof(m, a);

	for (unsigned k = 0; k < x->nid; k++)
		dmm_fm_del(m->base.fm, x->id[k]);
	x->nid = 0;
}

static void intent(struct dmm_maar *m, struct dmm_bcache_entry *a, uint8_t match, uint8_t action,
		   dmm_time_t now)
{
	struct maar_ax *x = maar_axof(m, a);
	struct dmm_intent in;
	int r;

	memset(&in, 0, sizeof(in));
	in.precedence = MAAR_INTENT_PRECEDENCE;
	in.prefix = a->hnp[0];
	in.owner = a->handle;
	in.match = match;
	in.action = action;
	if (action == DMM_FM_DELIVER)
		in.link = x->link;
	if (action == DMM_FM_ENCAP || action == DMM_FM_DECAP) {
		in.local = m->cfg.addr;
		in.peer = a->pcoa;
	}
	r = maar_intent_add(m, &in, now);
	if (r > 0 && x->nid < 2)
		x->id[x->nid++] = (uint32_t)r;
}

void maar_anchor_set(struct dmm_maar *m, struct dmm_bcache_entry *a, uint8_t mode, uint32_t link,
		     const struct dmm_addr *serving, dmm_time_t now, const char *reason)
{
	struct maar_ax *x = maar_axof(m, a);
	uint8_t from = x->mode;
	struct maar_who w;

	const struct dmm_addr *s = mode == AM_TUNNEL ? serving : &m->cfg.addr;

	if (from == mode && dmm_addr_eq(&a->pcoa, s) && (mode != AM_DELIVER || x->link == link))
		return; /* nothing changes */
	a->pcoa = *s;
	intents_del(m, a);
	if (from == AM_TUNNEL) {
		m->ctr.tunnels_down++;
		m->base.stats.tunnels_released++;
	}
	x->mode = mode;
	x->link = mode == AM_DELIVER ? link : 0;
	switch (mode) {
	case AM_DELIVER:
		/* docs/dmm-protocol.md §1.4: a plain router for its own prefix. */
		intent(m, a, DMM_FM_DST, DMM_FM_DELIVER, now);
		break;
	case AM_TUNNEL:
		/* §2.3: downlink into the tunnel to the S-MAAR, uplink out of it. */
		intent(m, a, DMM_FM_DST, DMM_FM_ENCAP, now);
		intent(m, a, DMM_FM_SRC, DMM_FM_DECAP, now);
		m->ctr.tunnels_up++;
		m->base.stats.tunnels_established++;
		a->handovers++;
		break;
	case AM_BUFFER:
		/* §2.5: hold the MN's packets until the CMD names its next S-MAAR. */
		intent(m, a, DMM_FM_DST, DMM_FM_BUFFER, now);
		break;
	default:
		break;
	}
	if (maar_log_on(m, DMM_LOG_INFO))
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "maar: anchor %s: %s -> %s (%s)",
			 maar_who(&a->mnid, &a->hnp[0], "serving", &a->pcoa, &w), maar_anchor_mode_name(from),
			 maar_anchor_mode_name(mode), reason);
}

void maar_anchor_release(struct dmm_maar *m, struct dmm_bcache_entry *a, dmm_time_t now, const char *reason)
{
	struct maar_ax *x = maar_axof(m, a);
	struct dmm_prefix p = a->hnp[0];
	struct maar_who w;

	(void)now;
	intents_del(m, a);
	if (x->mode == AM_TUNNEL) {
		m->ctr.tunnels_down++;
		m->base.stats.tunnels_released++;
	}
	if (maar_log_on(m, DMM_LOG_INFO))
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "maar: anchor %s: %s -> released (%s)",
			 maar_who(&a->mnid, &p, "serving", &a->pcoa, &w), maar_anchor_mode_name(x->mode),
			 reason);
	memset(x, 0, sizeof(*x));
	dmm_bcache_del(m->bc, a);
	(void)dmm_pool_release(m->pool, &p);
	m->ctr.anchors_released++;
}

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
	struct maar_who w;

	/* A retransmitted request gets the prefix already anchored for it. */
	for (a = dmm_bcache_find_mnid(m->bc, &p->mnid); a; a = dmm_bcache_find_mnid_next(m->bc, a))
		if (maar_axof(m, a)->remote && dmm_addr_eq(&a->pcoa, s))
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
		a = maar_anchor_new(m, &p->mnid, &pf, s, true, now);
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
	struct maar_who w;

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

		if (e && !maar_sxof(m, e)->detached && e->state != DMM_BUL_DEREG_WAIT)
			maar_anchor_set(m, a, AM_DELIVER, e->ifindex, NULL, now, "CMD: MN served here");
		else
			maar_anchor_set(m, a, AM_BUFFER, 0, NULL, now,
					"CMD: MN served here, not attached yet");
	} else {
		struct dmm_bul_entry *e = dmm_bul_find_mnid(m->bul, &a->mnid);

		maar_anchor_set(m, a, AM_TUNNEL, 0, &p.serving->u.serving_maar, now,
				"CMD: MN served elsewhere");
		/* The MN left us and has its next S-MAAR: our serving entry ends without a de-registration. */
		if (e && maar_sxof(m, e)->detached)
			maar_serving_release(m, e, false, now, "MN moved to its next S-MAAR");
	}
	send_apba(m, &p, DMM_BA_ACCEPTED, &a->hnp[0]);
}
