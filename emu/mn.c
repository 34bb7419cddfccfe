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
 *
 * MAGs and MAARs are driven alike, through dmm_role_ops attach/detach.
 * Every draw of the mobility trace and of the session trace comes from
 * the MN's own two PRNG streams, seeded from the run's seed and the MN's
 * index: the distributed and the centralized run of --compare see the
 * same attach and detach times and the same session starts, ends and CNs.
 *
 * Sessions: an MN opens one every interval (fixed or exponential) to a
 * random CN, for the drawn duration. Its source address is the prefix
 * preferred when it starts (RFC 6724 rule 3: never a deprecated one), kept
 * for the session's life; in DMM that is the serving MAAR's own prefix,
 * so an old session's packets go through the tunnel to the anchor of its
 * prefix. The MN's address set follows the MN events (router
 * advertisements): a prefix advertised with valid lifetime 0 is released
 * (GAP2-1); the release is recorded with how long the prefix had been idle
 * and how many sessions still used it (which must be none).
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

/* min plus an exponential draw that keeps the mean at mean; or mean when fixed. */
static dmm_time_t draw(struct emu_rng *r, bool exp, dmm_time_t mean, dmm_time_t min)
{
	if (exp) {
		double span = mean > min ? (double)(mean - min) : 0;
		double u = emu_rng_unit(r);

		return min + (dmm_time_t)(-span * log1p(-u));
	}
	return mean;
}

static dmm_time_t dwell(struct emu *e, struct emu_mn *m)
{
	return draw(&m->mob_rng, e->cfg.dwell_exp, e->cfg.dwell_mean, e->cfg.dwell_min);
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

		/* Two streams per MN, independent of every other draw of the run. */
		emu_rng_seed(&m->mob_rng,
			     e->seed ^ (0x6d6f62ULL << 40) ^ ((uint64_t)m->idx * 0x9e3779b97f4a7c15ULL));
		emu_rng_seed(&m->ses_rng,
			     e->seed ^ (0x736573ULL << 40) ^ ((uint64_t)m->idx * 0xc2b2ae3d27d4eb4fULL));
		m->mag = m->last_mag = -1;
		m->cur_ho = NO_HO;
		if (m->path) {
			first = m->path[0];
		} else {
			first = e->mag_list[emu_rng_below(&m->mob_rng, e->nmags)];
			if (e->cfg.initial_spread)
				at += (dmm_time_t)(emu_rng_unit(&m->mob_rng) * (double)e->cfg.initial_spread);
		}
		m->stream = any_stream && (e->cfg.stream_fraction >= 1 ||
					   emu_rng_unit(&m->mob_rng) < e->cfg.stream_fraction);
		schedule(e, at, EV_MN_ATTACH, i, first);
		if (e->cfg.ses_interval) {
			dmm_time_t t = at + draw(&m->ses_rng, e->cfg.ses_interval_exp, e->cfg.ses_interval,
						 e->cfg.ses_interval_min);

			if (t < e->cfg.duration)
				schedule(e, t, EV_SESS_START, i, 0);
		}
	}
	if (e->cfg.sample_every)
		schedule(e, 0, EV_SAMPLE, 0, 0);
	return 0;
}

void emu_mns_fini(struct emu *e)
{
	for (uint32_t i = 0; i < e->nmns; i++) {
		free(e->mns[i].dl_seen);
		free(e->mns[i].pfx);
	}
	free(e->sess);
	free(e->rel);
	e->sess = NULL;
	e->rel = NULL;
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
	m->reg_seen = false;
	m->attach_seq++;
	m->attached_at = now;
	if (m->cur_ho != NO_HO) {
		struct emu_ho *h = &e->ho[m->cur_ho];

		h->to = n->idx;
		h->attach = now;
		h->has_attach = true;
		for (unsigned k = 0; k < m->npfx; k++)
			if (m->pfx[k].anchor != UINT32_MAX && e->nodes[m->pfx[k].anchor].dead)
				h->involves_dead = true;
	}
	if (!n->dead) {
		emu_mn_mnid(m->idx, &id);
		if (n->ops->attach(n->inst, &id, m->idx, id.id, 6, DMM_ATT_80211, now) < 0)
			e->attach_failures++;
		emu_role_after_input(e, n);
	}
	next = now + dwell(e, m);
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
	/* A random other access router; a dead one is skipped (a few more draws). */
	for (int tries = 0; tries < 16; tries++) {
		r = (uint32_t)emu_rng_below(&m->mob_rng, e->nmags - 1);
		r = e->mag_list[r >= pos ? r + 1 : r];
		if (!e->nodes[r].dead)
			break;
	}
	return r;
}

/*
 * RFC 5949 predictive mode (--fho predictive): the access network's
 * handover indication reaches the serving MAG fho_lead before the link
 * goes, naming the MAG (MAAR) the MN will attach to (dmm_mag_handover,
 * dmm_maar_handover). True
 * when it went out now and the detach is moved to fho_lead later.
 */
static bool fho_announce(struct emu *e, struct emu_mn *m, struct emu_node *n, dmm_time_t now)
{
	struct dmm_mnid id;

	if (e->fho != EMU_FHO_PREDICTIVE || m->fho_announced || n->dead ||
	    (n->kind != EMU_MAG && n->kind != EMU_MAAR))
		return false;
	m->fho_next = next_mag(e, m, n->idx);
	m->fho_announced = true;
	emu_mn_mnid(m->idx, &id);
	if (n->kind == EMU_MAG)
		(void)dmm_mag_handover(n->mag, &id, &e->nodes[m->fho_next].addr, now);
	else /* RFC 5949 between MAARs */
		(void)dmm_maar_handover(n->maar, &id, &e->nodes[m->fho_next].addr, now);
	emu_role_after_input(e, n);
	schedule(e, now + e->fho_lead, EV_MN_DETACH, (uint32_t)(m - e->mns), n->idx);
	return true;
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
	if (fho_announce(e, m, n, now))
		return; /* RFC 5949 predictive: the link goes fho_lead later */
	if (e->nho == e->ho_cap) {
		struct emu_ho *nh = emu_grow(e->ho, &e->ho_cap, sizeof(*nh), 1024);

		if (!nh)
			return;
		e->ho = nh;
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
		if (n->ops->detach(n->inst, &id, now) < 0)
			e->detach_failures++;
		emu_role_after_input(e, n);
	}
	m->last_mag = m->mag;
	m->mag = -1;
	m->registered = false;
	m->moving = true;
	schedule(e, now + e->cfg.l2_gap, EV_MN_ATTACH, ev->mn,
		 m->fho_announced ? m->fho_next : next_mag(e, m, n->idx));
	m->fho_announced = false;
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

static struct emu_mn_pfx *pfx_find(struct emu_mn *m, const struct dmm_prefix *p)
{
	for (unsigned k = 0; k < m->npfx; k++)
		if (dmm_prefix_eq(&m->pfx[k].p, p))
			return &m->pfx[k];
	return NULL;
}

static void record_release(struct emu *e, struct emu_mn *m, struct emu_mn_pfx *x)
{
	dmm_time_t now = e->eng.now;

	if (e->nrel == e->rel_cap) {
		struct emu_release *nr = emu_grow(e->rel, &e->rel_cap, sizeof(*nr), 256);

		if (!nr)
			return;
		e->rel = nr;
	}
	e->rel[e->nrel++] = (struct emu_release){
		.mn = m->idx,
		.anchor = x->anchor,
		.p = x->p,
		.at = now,
		.lag = x->active ? 0 : now - x->idle_from,
		.active = x->active,
	};
}

/* Room for one more prefix of m (most MNs only ever have one). */
static bool pfx_room(struct emu_mn *m)
{
	uint8_t cap = m->pfx_cap ? (uint8_t)(m->pfx_cap * 2) : 1;
	struct emu_mn_pfx *v;

	if (m->npfx < m->pfx_cap)
		return true;
	v = realloc(m->pfx, sizeof(*v) * cap);
	if (!v)
		return false;
	m->pfx = v;
	m->pfx_cap = cap;
	return true;
}

/* The router advertisement of ev: the MN's address set follows it. */
static void update_addresses(struct emu *e, struct emu_mn *m, const struct dmm_mn_event *ev, bool first)
{
	dmm_time_t now = e->eng.now;
	struct emu_node *a;

	/* A new attachment: the serving router's idle clocks start now (its intents are new). */
	if (first)
		for (unsigned k = 0; k < m->npfx; k++) {
			m->pfx[k].preferred = false;
			if (m->pfx[k].idle_from < now)
				m->pfx[k].idle_from = now;
		}
	for (unsigned i = 0; i < ev->nprefix && i < DMM_MN_EVENT_MAX_PREFIX; i++) {
		struct emu_mn_pfx *x = pfx_find(m, &ev->prefix[i]);

		if (ev->valid_s[i] == 0) {
			/* GAP2-1: the prefix goes (RFC 4862 §5.5.3: valid lifetime 0 removes it). */
			if (x) {
				record_release(e, m, x);
				*x = m->pfx[--m->npfx];
			}
			continue;
		}
		if (!x) {
			if (m->npfx == DMM_MN_EVENT_MAX_PREFIX || !pfx_room(m))
				continue;
			x = &m->pfx[m->npfx++];
			memset(x, 0, sizeof(*x));
			x->p = ev->prefix[i];
			a = emu_anchor_of(e, &x->p.addr);
			x->anchor = a ? a->idx : UINT32_MAX;
			x->idle_from = now;
			x->added = now;
		}
		x->preferred = ev->preferred_s[i] > 0;
	}
}

/* The preferred prefix (the last one advertised preferred), or NULL. */
static struct emu_mn_pfx *preferred(struct emu_mn *m)
{
	struct emu_mn_pfx *best = NULL;

	for (unsigned k = 0; k < m->npfx; k++)
		if (m->pfx[k].preferred)
			best = &m->pfx[k];
	return best;
}

void emu_on_mn_event(void *ctx, const struct dmm_mn_event *ev)
{
	struct emu_node *n = ctx;
	struct emu *e = n->emu;
	struct emu_mn *m = ev->mnid ? mn_of(e, emu_mn_from_mnid(ev->mnid)) : NULL;
	dmm_time_t now = e->eng.now;
	struct emu_mn_pfx *pref;
	bool first;

	if (!m)
		m = mn_of(e, ev->link);
	switch (ev->type) {
	case DMM_MN_REGISTERED:
		e->mn_registered_events++;
		if (!m || m->mag != (int32_t)n->idx)
			break;
		first = !m->reg_seen;
		m->reg_seen = true;
		m->registered = true;
		update_addresses(e, m, ev, first);
		pref = preferred(m);
		if (pref) {
			if (!m->has_prefix) {
				set_addr(m, &pref->p);
				m->has_prefix = true;
			} else if (!dmm_prefix_eq(&m->hnp, &pref->p)) {
				/*
				 * PMIPv6: the session's address is gone (RFC 5213 keeps the HNP
				 * across MAGs). DMM: a new local prefix per MAAR is the design.
				 */
				if (n->kind == EMU_MAG)
					m->prefix_changes++;
				set_addr(m, &pref->p);
			}
		}
		if (!first)
			break;
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

	if (p->sess) {
		e->dl.delivered++;
		e->dl.bytes_delivered += p->size;
		e->dl.delay_sum += now - p->sent;
		emu_sess_delivered(e, p, mag);
		return;
	}
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

/*
 * The MN a PBU or PBA names, from its bytes as the roles encoded them: six
 * octets of header and six of fixed part (RFC 6275 §6.1.7, §6.1.8), then
 * the options (§6.2); the first MN-ID option (RFC 4283) if it is one of
 * ours (emu_mn_from_mnid). 0 otherwise, and the decoder decides.
 */
static uint32_t raw_mn(const uint8_t *buf, size_t len)
{
	size_t total, off = 12;

	if (len < 12 || buf[0] != DMM_MH_PAYLOAD_PROTO || (buf[2] != DMM_MH_BU && buf[2] != DMM_MH_BA))
		return 0;
	total = ((size_t)buf[1] + 1) * 8;
	if (total > len)
		return 0;
	while (off < total) {
		const uint8_t *o = buf + off;

		if (o[0] == DMM_OPT_PAD1) {
			off++;
			continue;
		}
		if (total - off < 2 || total - off - 2 < o[1])
			return 0;
		if (o[0] == DMM_OPT_MNID) {
			if (o[1] != 7 || o[2] != DMM_MNID_EUI48 || o[3] != 0x02 || o[4] != 0)
				return 0;
			return (uint32_t)o[5] << 24 | (uint32_t)o[6] << 16 | (uint32_t)o[7] << 8 | o[8];
		}
		off += 2u + o[1];
	}
	return 0;
}

/* The MN a Mobility Header names, through the decoder; NULL when none of ours. */
static struct emu_mn *decoded_mn(struct emu *e, const uint8_t *buf, size_t len)
{
	static struct dmm_mh_msg msg;
	const struct dmm_mh_opt *o;
	struct dmm_mnid id;

	/* Heartbeats name no MN: skip decoding them. */
	if (len < 3 || buf[2] == DMM_MH_HB || dmm_mh_decode(&msg, buf, len) < 0 ||
	    !(o = dmm_mh_find_opt(&msg, DMM_OPT_MNID, NULL)))
		return NULL;
	id.subtype = o->u.mnid.subtype;
	id.len = o->u.mnid.id.len;
	memcpy(id.id, o->u.mnid.id.b, id.len);
	return mn_of(e, emu_mn_from_mnid(&id));
}

uint32_t emu_mn_attribute_mh(struct emu *e, const uint8_t *buf, size_t len)
{
	struct emu_mn *m = mn_of(e, raw_mn(buf, len));

	if (!m)
		m = decoded_mn(e, buf, len);
	if (!m) {
		e->mh_no_mnid++;
		return EMU_NONE;
	}
	if (m->cur_ho != NO_HO) {
		e->ho[m->cur_ho].sig++;
	} else {
		m->sig_initial++;
		e->mh_initial++;
	}
	return (uint32_t)(m - e->mns);
}

/* ---- sessions ---- */

static uint32_t random_cn(struct emu *e, struct emu_rng *r)
{
	uint32_t ncn = 0, k, i;

	for (i = 0; i < e->nnodes; i++)
		ncn += e->nodes[i].kind == EMU_CN;
	k = (uint32_t)emu_rng_below(r, ncn ? ncn : 1);
	for (i = 0; i < e->nnodes; i++)
		if (e->nodes[i].kind == EMU_CN && k-- == 0)
			return i;
	return 0;
}

void emu_on_sess_start(struct emu *e, const struct emu_event *ev)
{
	struct emu_mn *m = &e->mns[ev->mn];
	const struct emu_cfg *c = &e->cfg;
	dmm_time_t now = e->eng.now, dur, next;
	struct emu_mn_pfx *pref;
	struct emu_sess *s;
	struct dmm_mnid id;
	uint32_t cn;

	/* Every draw happens whatever the state of the MN: the trace stays the same. */
	dur = draw(&m->ses_rng, c->ses_duration_exp, c->ses_duration, c->ses_duration_min);
	cn = random_cn(e, &m->ses_rng);
	next = draw(&m->ses_rng, c->ses_interval_exp, c->ses_interval, c->ses_interval_min);
	if (now + next < c->duration)
		schedule(e, now + (next ? next : 1), EV_SESS_START, ev->mn, 0);
	pref = preferred(m);
	if (!pref) {
		e->sess_no_address++;
		return;
	}
	if (e->nsess == e->sess_cap) {
		struct emu_sess *ns = emu_grow(e->sess, &e->sess_cap, sizeof(*ns), 1024);

		if (!ns)
			return;
		e->sess = ns;
	}
	s = &e->sess[e->nsess];
	memset(s, 0, sizeof(*s));
	s->mn = m->idx;
	s->cn = cn;
	s->anchor = pref->anchor;
	s->attach_seq = m->attach_seq;
	s->prefix = pref->p;
	s->addr = pref->p.addr;
	/* Modified EUI-64 interface identifier, as set_addr(). */
	emu_mn_mnid(m->idx, &id);
	s->addr.b[8] = id.id[0] ^ 0x02;
	s->addr.b[9] = id.id[1];
	s->addr.b[10] = id.id[2];
	s->addr.b[11] = 0xff;
	s->addr.b[12] = 0xfe;
	s->addr.b[13] = id.id[3];
	s->addr.b[14] = id.id[4];
	s->addr.b[15] = id.id[5];
	s->start = now;
	s->end = now + dur;
	s->active = true;
	s->quiet_at = DMM_TIME_NEVER;
	/* A long idle connection (release.c): drawn only when asked for, the trace stays the same otherwise. */
	if (c->ses_quiet_fraction > 0 && emu_rng_unit(&m->ses_rng) < c->ses_quiet_fraction)
		s->quiet_at = now + c->ses_quiet_after;
	pref->active++;
	if (s->end < c->duration)
		schedule(e, s->end, EV_SESS_END, e->nsess, 0);
	if (c->ses_dl_pps > 0)
		schedule(e, now, EV_SESS_DL, e->nsess, cn);
	if (c->ses_ul_pps > 0)
		schedule(e, now, EV_SESS_UL, e->nsess, cn);
	e->nsess++;
}

void emu_on_sess_end(struct emu *e, const struct emu_event *ev)
{
	struct emu_sess *s = &e->sess[ev->mn];
	struct emu_mn *m = &e->mns[s->mn - 1];
	struct emu_mn_pfx *x = pfx_find(m, &s->prefix);

	s->active = false;
	if (x && x->active && --x->active == 0)
		x->idle_from = e->eng.now;
}

void emu_on_sess_dl(struct emu *e, const struct emu_event *ev)
{
	struct emu_sess *s = &e->sess[ev->mn];
	struct emu_node *cn = &e->nodes[s->cn];
	dmm_time_t now = e->eng.now, gap = (dmm_time_t)(1e9 / e->cfg.ses_dl_pps);
	struct emu_pkt p;

	/* Stray packets: the CN still sends stray_after_end after the session closed. */
	if (!s->active && now >= s->end + e->cfg.ses_stray)
		return;
	if (now >= s->quiet_at && s->active)
		goto next;
	memset(&p, 0, sizeof(p));
	p.src = cn->addr;
	p.dst = s->addr;
	p.sent = now;
	p.flow = s->mn;
	p.sess = ev->mn + 1;
	p.id = s->dl_next++;
	p.size = e->cfg.ses_pkt_size;
	p.src_node = (uint16_t)cn->idx;
	p.anchor = UINT16_MAX;
	e->dl.sent++;
	emu_dp_arrive(e, cn, &p);
next:
	if (now + gap < s->end + e->cfg.ses_stray && now + gap < e->cfg.duration)
		schedule(e, now + (gap ? gap : 1), EV_SESS_DL, ev->mn, ev->node);
}

void emu_on_sess_ul(struct emu *e, const struct emu_event *ev)
{
	struct emu_sess *s = &e->sess[ev->mn];
	struct emu_mn *m = &e->mns[s->mn - 1];
	dmm_time_t now = e->eng.now, gap = (dmm_time_t)(1e9 / e->cfg.ses_ul_pps);
	struct emu_pkt p;

	if (!s->active)
		return;
	/* With the link up and the address still valid, the host sends (not once the session is quiet). */
	if (m->mag >= 0 && pfx_find(m, &s->prefix) && now < s->quiet_at) {
		memset(&p, 0, sizeof(p));
		p.src = s->addr;
		p.dst = e->nodes[s->cn].addr;
		p.sent = now;
		p.flow = s->mn;
		p.sess = ev->mn + 1;
		p.id = s->ul_next++;
		p.size = e->cfg.ses_pkt_size;
		p.in_link = m->idx;
		p.uplink = 1;
		p.src_node = (uint16_t)m->mag;
		p.anchor = UINT16_MAX;
		e->ul.sent++;
		emu_dp_arrive(e, &e->nodes[m->mag], &p);
	}
	if (now + gap < s->end && now + gap < e->cfg.duration)
		schedule(e, now + (gap ? gap : 1), EV_SESS_UL, ev->mn, ev->node);
}

void emu_sess_delivered(struct emu *e, const struct emu_pkt *p, struct emu_node *at)
{
	struct emu_sess *s = &e->sess[p->sess - 1];
	struct emu_mn *m = &e->mns[s->mn - 1];
	struct emu_stretch *st;
	uint32_t cn = s->cn, a = s->anchor, g = at->idx;

	if (p->uplink) {
		s->ul_delivered++;
		return;
	}
	s->dl_delivered++;
	if (m->cur_ho != NO_HO) {
		struct emu_ho *h = &e->ho[m->cur_ho];

		/* attach -> first packet of a session that was going on across the handover */
		if (h->has_attach && !h->has_rx && h->to == g && s->start < h->detach) {
			h->has_rx = true;
			h->first_rx = e->eng.now;
		}
	}
	if (e->reloc.model) {
		/* Relocation moves the anchor: the one the packet went through, if any (reloc.c). */
		a = p->anchor == UINT16_MAX ? g : p->anchor;
		emu_reloc_delivered(e, s, p, s->attach_seq == m->attach_seq ? 0 : 1);
	}
	if (a == UINT32_MAX)
		return;
	/* Path stretch: CN -> anchor of the source prefix -> access router, against CN -> access router. */
	st = &e->stretch_cls[s->attach_seq == m->attach_seq ? 0 : 1];
	double ha = emu_path_hops(e, cn, a) + emu_path_hops(e, a, g), hd = emu_path_hops(e, cn, g);
	double da = (double)(emu_path_delay(e, cn, a) + emu_path_delay(e, a, g)),
	       dd = (double)emu_path_delay(e, cn, g);

	st->hops_anchor += ha;
	st->hops_direct += hd;
	st->delay_anchor += da;
	st->delay_direct += dd;
	if (dd > 0)
		st->ratio_sum += da / dd;
	st->n++;
}

const struct emu_mn_pfx *emu_mn_oldest(const struct emu *e, const struct emu_mn *m)
{
	const struct emu_mn_pfx *best = NULL;

	for (unsigned k = 0; k < m->npfx; k++)
		if (m->pfx[k].anchor != UINT32_MAX && (!best || m->pfx[k].added < best->added))
			best = &m->pfx[k];
	if (!best || e->nodes[best->anchor].dead)
		return NULL;
	return best;
}

uint32_t emu_mn_anchor(const struct emu *e, const struct emu_mn *m)
{
	const struct emu_mn_pfx *p = emu_mn_oldest(e, m);

	return p ? p->anchor : UINT32_MAX;
}

void emu_on_sample(struct emu *e)
{
	emu_dist_add(&e->tunnels, e->encap_now);
	if (e->eng.now + e->cfg.sample_every < e->cfg.duration)
		schedule(e, e->eng.now + e->cfg.sample_every, EV_SAMPLE, 0, 0);
}
