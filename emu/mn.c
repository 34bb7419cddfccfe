/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mobile nodes: attachment, movement, and their data streams.
 *
 * An MN attaches to a MAG (dmm_mag_attach: MN-ID EUI-48 from its index,
 * access link id = its index, ATT 802.11), dwells (fixed, or min plus an
 * exponential draw so that the mean stays the configured mean), detaches
 * (dmm_mag_detach), waits out the L2 gap and attaches to the next MAG of
 * its path, or to a random other MAG. A handover record runs from one
 * detach to the next: attach time, REGISTERED at the new MAG (the PBA
 * accepted there), first downlink packet delivered, and the Mobility
 * Header messages that name the MN in that span.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dmm/mh.h"
#include "emu.h"

#define NO_HO UINT32_MAX

static struct emu_mn *mn_of(struct emu *e, uint32_t idx)
{
	return idx >= 1 && idx <= e->nmns ? &e->mns[idx - 1] : NULL;
}

static dmm_time_t dwell(struct emu *e)
{
	const struct emu_cfg *c = &e->cfg;

	if (c->dwell_exp) {
		double span = c->dwell_mean > c->dwell_min ? (double)(c->dwell_mean - c->dwell_min) : 0;
		double u = emu_rng_unit(&e->rng);

		return c->dwell_min + (dmm_time_t)(-span * log1p(-u));
	}
	return c->dwell_mean;
}

static void schedule(struct emu *e, dmm_time_t at, uint8_t type, uint32_t mn, uint32_t node)
{
	struct emu_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.mn = mn;
	ev.node = node;
	emu_schedule(&e->eng, at, &ev);
}

int emu_mns_start(struct emu *e)
{
	bool any_stream = e->cfg.dl_pps > 0 || e->cfg.ul_pps > 0;

	for (uint32_t i = 0; i < e->nmns; i++) {
		struct emu_mn *m = &e->mns[i];
		uint32_t first;
		dmm_time_t at = m->start;

		m->mag = m->last_mag = -1;
		m->cur_ho = NO_HO;
		if (m->path) {
			first = m->path[0];
		} else {
			first = e->mag_list[emu_rng_below(&e->rng, e->nmags)];
			if (e->cfg.initial_spread)
				at += (dmm_time_t)(emu_rng_unit(&e->rng) * (double)e->cfg.initial_spread);
		}
		m->stream = any_stream &&
			    (e->cfg.stream_fraction >= 1 || emu_rng_unit(&e->rng) < e->cfg.stream_fraction);
		schedule(e, at, EV_MN_ATTACH, i, first);
	}
	return 0;
}

void emu_mns_fini(struct emu *e)
{
	for (uint32_t i = 0; i < e->nmns; i++)
		free(e->mns[i].dl_seen);
}

void emu_on_attach(struct emu *e, const struct emu_event *ev)
{
	struct emu_mn *m = &e->mns[ev->mn];
	struct emu_node *n = &e->nodes[ev->node];
	dmm_time_t now = e->eng.now, next;
	struct dmm_mnid id;

	m->mag = (int32_t)n->idx;
	m->moving = false;
	m->registered = false;
	m->attached_at = now;
	if (m->cur_ho != NO_HO) {
		struct emu_ho *h = &e->ho[m->cur_ho];

		h->to = n->idx;
		h->attach = now;
		h->has_attach = true;
	}
	if (!n->dead) {
		emu_mn_mnid(m->idx, &id);
		if (dmm_mag_attach(n->mag, &id, m->idx, id.id, 6, DMM_ATT_80211, now) < 0)
			e->attach_failures++;
		emu_role_after_input(e, n);
	}
	next = now + dwell(e);
	if ((e->cfg.mobility_until == DMM_TIME_NEVER || next < e->cfg.mobility_until) &&
	    next < e->cfg.duration && e->nmags > 1)
		schedule(e, next, EV_MN_DETACH, ev->mn, n->idx);
}

static uint32_t next_mag(struct emu *e, struct emu_mn *m, uint32_t cur)
{
	uint32_t r, pos = 0;

	if (m->path) {
		m->path_pos = (m->path_pos + 1) % m->path_len;
		return m->path[m->path_pos];
	}
	for (uint32_t i = 0; i < e->nmags; i++)
		if (e->mag_list[i] == cur)
			pos = i;
	r = (uint32_t)emu_rng_below(&e->rng, e->nmags - 1);
	return e->mag_list[r >= pos ? r + 1 : r];
}

void emu_on_detach(struct emu *e, const struct emu_event *ev)
{
	struct emu_mn *m = &e->mns[ev->mn];
	struct emu_node *n;
	struct emu_ho *h;
	struct dmm_mnid id;
	dmm_time_t now = e->eng.now;

	if (m->mag < 0)
		return;
	n = &e->nodes[m->mag];
	if (e->nho == e->ho_cap) {
		uint32_t nc = e->ho_cap ? e->ho_cap * 2 : 1024;
		struct emu_ho *nh = realloc(e->ho, sizeof(*nh) * nc);

		if (!nh)
			return;
		e->ho = nh;
		e->ho_cap = nc;
	}
	/* The record exists before the detach so its de-registration counts. */
	h = &e->ho[e->nho];
	memset(h, 0, sizeof(*h));
	h->mn = m->idx;
	h->from = n->idx;
	h->to = UINT32_MAX;
	h->detach = now;
	h->id_detach = m->dl_next_id;
	m->cur_ho = e->nho++;
	e->moves++;
	if (!n->dead) {
		emu_mn_mnid(m->idx, &id);
		if (dmm_mag_detach(n->mag, &id, now) < 0)
			e->detach_failures++;
		emu_role_after_input(e, n);
	}
	m->last_mag = m->mag;
	m->mag = -1;
	m->registered = false;
	m->moving = true;
	schedule(e, now + e->cfg.l2_gap, EV_MN_ATTACH, ev->mn, next_mag(e, m, n->idx));
}

static void set_addr(struct emu_mn *m, const struct dmm_prefix *p)
{
	struct dmm_mnid id;

	emu_mn_mnid(m->idx, &id);
	m->hnp = *p;
	m->addr = p->addr;
	/* Modified EUI-64 interface identifier from the EUI-48 (RFC 4291 App. A). */
	m->addr.b[8] = id.id[0] ^ 0x02;
	m->addr.b[9] = id.id[1];
	m->addr.b[10] = id.id[2];
	m->addr.b[11] = 0xff;
	m->addr.b[12] = 0xfe;
	m->addr.b[13] = id.id[3];
	m->addr.b[14] = id.id[4];
	m->addr.b[15] = id.id[5];
}

void emu_on_mn_event(void *ctx, const struct dmm_mn_event *ev)
{
	struct emu_node *n = ctx;
	struct emu *e = n->emu;
	struct emu_mn *m = ev->mnid ? mn_of(e, emu_mn_from_mnid(ev->mnid)) : NULL;
	dmm_time_t now = e->eng.now;

	if (!m)
		m = mn_of(e, ev->link);
	switch (ev->type) {
	case DMM_MN_REGISTERED:
		e->mn_registered_events++;
		if (!m || m->mag != (int32_t)n->idx || m->registered)
			break;
		m->registered = true;
		if (ev->nprefix) {
			if (!m->has_prefix) {
				set_addr(m, &ev->prefix[0]);
				m->has_prefix = true;
			} else if (!dmm_prefix_eq(&m->hnp, &ev->prefix[0])) {
				/* The session's address is gone: RFC 5213 keeps the HNP across MAGs. */
				m->prefix_changes++;
				set_addr(m, &ev->prefix[0]);
			}
		}
		if (m->cur_ho != NO_HO) {
			struct emu_ho *h = &e->ho[m->cur_ho];

			if (h->has_attach && !h->has_reg && h->to == n->idx) {
				h->registered = now;
				h->has_reg = true;
			}
		} else if (!m->initial_done) {
			m->initial_done = true;
			emu_dist_add(&e->init_reg, (double)(now - m->attached_at));
		}
		if (m->stream && !m->stream_started && m->has_prefix) {
			m->stream_started = true;
			if (e->cfg.dl_pps > 0)
				schedule(e, now, EV_DOWNLINK, m->idx - 1, m->cn);
			if (e->cfg.ul_pps > 0)
				schedule(e, now, EV_UPLINK, m->idx - 1, m->cn);
		}
		break;
	case DMM_MN_REFUSED:
		e->mn_refused_events++;
		break;
	case DMM_MN_DEREGISTERED:
		e->mn_dereg_events++;
		if (m && m->mag == (int32_t)n->idx)
			m->registered = false;
		break;
	}
}

static bool mark_sent(struct emu_mn *m, uint32_t id)
{
	uint32_t w = id / 64;

	if (w >= m->dl_seen_words) {
		uint32_t nw = m->dl_seen_words ? m->dl_seen_words * 2 : 4;
		uint64_t *nb;

		while (nw <= w)
			nw *= 2;
		nb = realloc(m->dl_seen, sizeof(*nb) * nw);
		if (!nb)
			return false;
		memset(nb + m->dl_seen_words, 0, sizeof(*nb) * (nw - m->dl_seen_words));
		m->dl_seen = nb;
		m->dl_seen_words = nw;
	}
	return true;
}

void emu_on_downlink(struct emu *e, const struct emu_event *ev)
{
	struct emu_mn *m = &e->mns[ev->mn];
	struct emu_node *cn = &e->nodes[m->cn];
	struct emu_pkt p;
	dmm_time_t now = e->eng.now, gap = (dmm_time_t)(1e9 / e->cfg.dl_pps);

	if (m->has_prefix && mark_sent(m, m->dl_next_id)) {
		memset(&p, 0, sizeof(p));
		p.src = cn->addr;
		p.dst = m->addr;
		p.sent = now;
		p.flow = m->idx;
		p.id = m->dl_next_id++;
		p.size = e->cfg.pkt_size;
		p.src_node = (uint16_t)cn->idx;
		p.anchor = UINT16_MAX;
		e->dl.sent++;
		emu_dp_arrive(e, cn, &p);
	}
	if (now + gap < e->cfg.duration)
		schedule(e, now + (gap ? gap : 1), EV_DOWNLINK, ev->mn, ev->node);
}

void emu_on_uplink(struct emu *e, const struct emu_event *ev)
{
	struct emu_mn *m = &e->mns[ev->mn];
	struct emu_pkt p;
	dmm_time_t now = e->eng.now, gap = (dmm_time_t)(1e9 / e->cfg.ul_pps);

	/* Without a link or an address the MN cannot send. */
	if (m->mag >= 0 && m->registered && m->has_prefix) {
		memset(&p, 0, sizeof(p));
		p.src = m->addr;
		p.dst = e->nodes[m->cn].addr;
		p.sent = now;
		p.flow = m->idx;
		p.id = m->ul_next_id++;
		p.size = e->cfg.pkt_size;
		p.in_link = m->idx;
		p.uplink = 1;
		p.src_node = (uint16_t)m->mag;
		p.anchor = UINT16_MAX;
		e->ul.sent++;
		emu_dp_arrive(e, &e->nodes[m->mag], &p);
	}
	if (now + gap < e->cfg.duration)
		schedule(e, now + (gap ? gap : 1), EV_UPLINK, ev->mn, ev->node);
}

void emu_mn_delivered(struct emu *e, struct emu_mn *m, const struct emu_pkt *p, struct emu_node *mag)
{
	dmm_time_t now = e->eng.now;

	if (p->id / 64 < m->dl_seen_words)
		m->dl_seen[p->id / 64] |= 1ULL << (p->id % 64);
	e->dl.delivered++;
	e->dl.bytes_delivered += p->size;
	e->dl.delay_sum += now - p->sent;
	if (m->cur_ho != NO_HO) {
		struct emu_ho *h = &e->ho[m->cur_ho];

		if (h->has_attach && !h->has_rx && h->to == mag->idx) {
			h->has_rx = true;
			h->first_rx = now;
			h->id_first_rx = m->dl_next_id;
		}
	}
	if (p->anchor != UINT16_MAX) {
		/* Path stretch: CN -> anchor -> MAG against CN -> MAG directly. */
		uint32_t cn = p->src_node, a = p->anchor, g = mag->idx;
		double ha = emu_path_hops(e, cn, a) + emu_path_hops(e, a, g), hd = emu_path_hops(e, cn, g);
		double da = (double)(emu_path_delay(e, cn, a) + emu_path_delay(e, a, g)),
		       dd = (double)emu_path_delay(e, cn, g);

		e->stretch_hops_anchor += ha;
		e->stretch_hops_direct += hd;
		e->stretch_delay_anchor += da;
		e->stretch_delay_direct += dd;
		if (dd > 0)
			e->stretch_ratio_sum += da / dd;
		e->stretch_n++;
	}
}

void emu_mn_attribute_mh(struct emu *e, const uint8_t *buf, size_t len)
{
	static struct dmm_mh_msg msg;
	const struct dmm_mh_opt *o;
	struct dmm_mnid id;
	struct emu_mn *m;

	/* Heartbeats name no MN: skip decoding them. */
	if (len < 3 || buf[2] == DMM_MH_HB || dmm_mh_decode(&msg, buf, len) < 0 ||
	    !(o = dmm_mh_find_opt(&msg, DMM_OPT_MNID, NULL))) {
		e->mh_no_mnid++;
		return;
	}
	id.subtype = o->u.mnid.subtype;
	id.len = o->u.mnid.id.len;
	memcpy(id.id, o->u.mnid.id.b, id.len);
	m = mn_of(e, emu_mn_from_mnid(&id));
	if (!m) {
		e->mh_no_mnid++;
		return;
	}
	if (m->cur_ho != NO_HO) {
		e->ho[m->cur_ho].sig++;
	} else {
		m->sig_initial++;
		e->mh_initial++;
	}
}
