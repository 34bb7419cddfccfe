/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CMD's message handlers (cmd_int.h lists the layers): PBUs from
 * MAARs (RFC 8885 §4.1, docs/dmm-protocol.md §1-§6), the PBAs that answer
 * our updates, relay transactions (§2.2) and the choice of an anchor
 * (§6), and what the timers do when they fire (the rules are in
 * cmd_timers.c).
 *
 * A PBU is decoded completely, then check_pbu() reads state and ends in
 * a verdict; only an accepted verdict changes anything (rule 5).
 *
 * Decisions where RFC 8885 or the flows page leave a choice are marked
 * "Choice:".
 */
#include <string.h>

#include "cmd_int.h"
#include "dmm/err.h"
#include "pmip_common.h"

static uint64_t wall_ns(const struct dmm_cmd *c, dmm_time_t now)
{
	return pmip_wall_ns(c->base.env.wall_offset, now);
}

/* --- relay transactions (§2.2 relay mode) --- */

static void relay_pba(struct dmm_cmd *c, struct dmm_bcache_entry *e, dmm_time_t now)
{
	struct cmd_bx *x = cmd_bx_of(c, e);
	struct dmm_anchor_list l = {0};

	for (unsigned i = 0; i < dmm_bce_pmaar(e)->n; i++)
		if (x->px[i].relay == RELAY_ACCEPTED)
			l.a[l.n++] = dmm_bce_pmaar(e)->a[i];
	cmd_send_pba(c, &x->relay_req, DMM_BCE_MNID(e), DMM_BA_ACCEPTED, x->relay_req.lifetime_s, &l, now);
	x->relay_done = true;
}

/* The anchor of pair i answered (accepted or not) or was given up. */
static void relay_answer(struct dmm_cmd *c, struct dmm_bcache_entry *e, unsigned i, bool accepted,
			 dmm_time_t now)
{
	struct cmd_bx *x = cmd_bx_of(c, e);

	if (!x->relay_open || x->px[i].relay != RELAY_WAITING)
		return;
	x->px[i].relay = accepted ? RELAY_ACCEPTED : RELAY_FAILED;
	if (x->relay_waiting)
		x->relay_waiting--;
	if (x->relay_done && accepted) {
		/* §2.2: a late answer: an unsolicited PBA, same seq, with only the late Previous MAAR. */
		struct dmm_anchor_list l = {.n = 1};

		l.a[0] = dmm_bce_pmaar(e)->a[i];
		cmd_log_mn(c, DMM_LOG_INFO, DMM_BCE_MNID(e), &l.a[0].prefix, &l.a[0].addr,
			   "follow-up PBA to the S-MAAR");
		cmd_send_pba(c, &x->relay_req, DMM_BCE_MNID(e), DMM_BA_ACCEPTED, x->relay_req.lifetime_s, &l,
			     now);
	} else if (!x->relay_done && (x->relay_waiting == 0 || c->mcast_from)) {
		/* §14: a subscription does not wait for the other anchors; they follow as late ones. */
		relay_pba(c, e, now);
	}
	if (x->relay_waiting == 0)
		cmd_relay_close(c, e);
}

void cmd_relay_timer(struct dmm_cmd *c, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_bcache_entry *e = dmm_bcache_get(c->bc, h);
	struct cmd_bx *x;

	if (!e)
		return;
	x = cmd_bx_of(c, e);
	if (!x->relay_open || x->relay_done)
		return;
	/* §2.2 relay mode: a partial PBA; the late ones follow when they answer. */
	c->ctr.partial_pbas++;
	cmd_log_mn(c, DMM_LOG_WARN, DMM_BCE_MNID(e), x->has_current ? &x->current : NULL, dmm_bce_pcoa(e),
		   "relay timeout: partial PBA to the S-MAAR");
	relay_pba(c, e, now);
}

/* --- PBU processing --- */

enum pbu_case {
	PBU_REFUSE,   /* PBA with the status, nothing changes */
	PBU_NOOP,     /* PBA 0, nothing changes (lifetime 0 for what is already gone) */
	PBU_IGNORE,   /* no PBA, nothing changes (RFC 5213 §5.3.5 step 1) */
	PBU_ABSORB,   /* a retransmission during a pending transaction: only its seq is taken */
	PBU_REGISTER, /* initial registration, refresh or handover */
	PBU_DEREG,    /* §4 */
	PBU_RELEASE,  /* §5 */
	PBU_CHOOSE,   /* §6: HNP ::/0 */
};

struct pbu {
	struct cmd_req r;
	uint16_t flags, lifetime_units;
	bool has_mnid;
	struct dmm_mnid mnid;
	const struct dmm_mh_opt *ts;
	unsigned n_hnp; /* HNP options in the request (r.hnp holds the first DMM_BCE_MAX_HNP) */
	unsigned n_zero;
};

struct verdict {
	enum pbu_case what;
	uint8_t status;
	struct dmm_bcache_entry *e;
	struct cmd_upd *pending; /* PBU_ABSORB of a choice */
};

static void read_pbu(struct dmm_cmd *c, struct pbu *p, const struct dmm_addr *src, const struct dmm_addr *dst)
{
	const struct dmm_mh_msg *m = &c->rx;
	const struct dmm_mh_opt *o;

	memset(p, 0, sizeof(*p));
	p->r.smaar = *src;
	p->r.dst = *dst;
	p->r.seq = m->u.bu.seq;
	p->flags = m->u.bu.flags;
	p->r.mcast = (m->u.bu.flags & DMM_BU_S) != 0;
	p->lifetime_units = m->u.bu.lifetime;
	p->r.lifetime_s = dmm_lifetime_seconds(p->lifetime_units);
	p->has_mnid = pmip_mnid_of(m, &p->mnid);
	p->ts = dmm_mh_find_opt(m, DMM_OPT_TIMESTAMP, NULL);
	if (p->ts) {
		p->r.has_ts = true;
		p->r.ts = pmip_ts_value(p->ts);
	}
	if ((o = dmm_mh_find_opt(m, DMM_OPT_HI, NULL)) != NULL) {
		p->r.has_hi = true;
		p->r.hi = o->u.hi.value;
	}
	if ((o = dmm_mh_find_opt(m, DMM_OPT_ATT, NULL)) != NULL) {
		p->r.has_att = true;
		p->r.att = o->u.att.value;
	}
	/* Choice: an MN-LLID longer than DMM_LLID_MAX (none in use is) is not kept, so not echoed. */
	o = dmm_mh_find_opt(m, DMM_OPT_MNLLID, NULL);
	if (o && o->u.mnllid.len <= DMM_LLID_MAX) {
		p->r.llid.len = o->u.mnllid.len;
		memcpy(p->r.llid.b, o->u.mnllid.b, o->u.mnllid.len);
	}
	for (o = dmm_mh_find_opt(m, DMM_OPT_HNP, NULL); o; o = dmm_mh_find_opt(m, DMM_OPT_HNP, o)) {
		if (p->r.n_hnp < DMM_BCE_MAX_HNP)
			p->r.hnp[p->r.n_hnp++] = o->u.hnp;
		p->n_hnp++;
		if (cmd_prefix_is_zero(&o->u.hnp))
			p->n_zero++;
	}
}

/* Is prefix pf of MN e anchored at a MAAR other than s? -1: not a pair of e. */
static int anchored_elsewhere(const struct dmm_bcache_entry *e, const struct dmm_prefix *pf,
			      const struct dmm_addr *s)
{
	for (unsigned i = 0; i < dmm_bce_pmaar(e)->n; i++)
		if (dmm_prefix_eq(&dmm_bce_pmaar(e)->a[i].prefix, pf))
			return !dmm_addr_eq(&dmm_bce_pmaar(e)->a[i].addr, s);
	return -1;
}

/* Update slots needed to tell every anchor of e except s. */
static unsigned others(const struct dmm_bcache_entry *e, const struct dmm_addr *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < dmm_bce_pmaar(e)->n; i++)
		n += !dmm_addr_eq(&dmm_bce_pmaar(e)->a[i].addr, s);
	return n;
}

/*
 * RFC 8885 §4.1 and RFC 5213 §5.3.1 steps 4-10 for the request itself,
 * with e the MN's entry (or NULL). false with v->status set when a step
 * refuses.
 */
static bool check_request(struct dmm_cmd *c, const struct pbu *p, struct dmm_bcache_entry *e,
			  struct verdict *v, dmm_time_t now)
{
	const struct dmm_addr *s = &p->r.smaar;
	const struct dmm_policy_profile *prof;

	/* RFC 8885 §4.1: a PBU to the CMD has the D flag (and P); else "reject", 128. */
	if (!(p->flags & DMM_BU_D) || !(p->flags & DMM_BU_P)) {
		v->status = DMM_BA_UNSPECIFIED;
		return false;
	}
	/* Steps 4-8 as the LMA does them; the MAAR is the peer. */
	v->status = pmip_check_mn(c->cfg.policy, &c->cfg.addr, s, p->has_mnid ? &p->mnid : NULL, &prof);
	if (v->status)
		return false;
	/*
	 * Step 9, RFC 5213 §5.5: with a Timestamp the seq is ignored (rule 5),
	 * whatever timestamp_based says of our own PBUs; without one, the
	 * seq, against the same S-MAAR only.
	 */
	if (p->ts) {
		v->status = pmip_check_ts(p->ts, wall_ns(c, now), c->cfg.timestamp_validity_window, e != NULL,
					  e ? e->timestamp : 0);
		if (v->status)
			return false;
	} else if (e && dmm_addr_eq(dmm_bce_pcoa(e), s) && !dmm_seq_lt(e->seq, p->r.seq)) {
		/*
		 * Choice: the seq spaces of different MAARs are unrelated, so a
		 * PBU from another MAAR is never refused for its seq.
		 */
		v->status = DMM_BA_SEQ_OUT_OF_WINDOW;
		return false;
	}
	if (p->n_hnp == 0)
		v->status = DMM_BA_MISSING_HNP; /* step 10 */
	else if (!p->r.has_hi)
		v->status = DMM_BA_MISSING_HI; /* step 11 */
	else if (!p->r.has_att)
		v->status = DMM_BA_MISSING_ATT; /* step 12 */
	else if (p->n_zero && p->n_hnp > 1)
		v->status = DMM_BA_UNSPECIFIED; /* Choice: ::/0 asks for an anchor and comes alone */
	else if (p->n_hnp > DMM_BCE_MAX_HNP)
		v->status = DMM_BA_INSUFFICIENT_RESOURCES;
	return v->status == 0;
}

/* RFC 5213 §5.4.1.1 step 3: a prefix held by another MN is not this MN's. */
static bool prefixes_of_other_mn(struct dmm_cmd *c, const struct pbu *p, const struct dmm_bcache_entry *e)
{
	for (unsigned i = 0; i < p->r.n_hnp; i++) {
		struct dmm_bcache_entry *o =
			cmd_prefix_is_zero(&p->r.hnp[i]) ? NULL : dmm_bcache_find_prefix(c->bc, &p->r.hnp[i]);

		if (o && o != e)
			return true;
	}
	return false;
}

/* Lifetime 0 from S-MAAR s: a de-registration (§4), a release (§5), or nothing to do. */
static void check_lifetime0(struct dmm_cmd *c, const struct pbu *p, struct verdict *v)
{
	const struct dmm_addr *s = &p->r.smaar;
	struct dmm_bcache_entry *e = v->e;
	struct cmd_bx *x;
	bool own = false;

	/*
	 * Choice: a lifetime-0 PBU for an MN we do not have changes nothing
	 * but is answered 0: the sender holds nothing for the MN as far as
	 * the CMD is concerned.
	 */
	if (!e) {
		v->what = PBU_NOOP;
		return;
	}
	/*
	 * RFC 5213 §5.3.5 step 1 (RFC 8885 §3.5: only the S-MAAR
	 * de-registers): from a MAAR that does not serve the MN it is
	 * ignored: no PBA, no status.
	 */
	if (!dmm_addr_eq(dmm_bce_pcoa(e), s)) {
		v->what = PBU_IGNORE;
		return;
	}
	x = cmd_bx_of(c, e);
	/* §4 vs §5: its own prefix (or ::/0, or the one chosen for it) de-registers; else a release. */
	for (unsigned i = 0; i < p->r.n_hnp && !own; i++)
		own = cmd_prefix_is_zero(&p->r.hnp[i]) || anchored_elsewhere(e, &p->r.hnp[i], s) == 0 ||
		      (x->has_current && dmm_prefix_eq(&x->current, &p->r.hnp[i]));
	if (own) {
		/* Choice: the MN goes even when update slots are short; those anchors' entries lapse. */
		v->what = PBU_DEREG;
		return;
	}
	if (c->upd_cap - c->upd_used < p->r.n_hnp) {
		v->status = DMM_BA_INSUFFICIENT_RESOURCES;
		return;
	}
	v->what = PBU_RELEASE;
}

/* HNPs the S-MAAR anchors itself, or the prefix chosen for it (its refresh): room and ownership. */
static void check_own_prefixes(struct dmm_cmd *c, const struct pbu *p, struct verdict *v)
{
	const struct dmm_addr *s = &p->r.smaar;
	struct dmm_bcache_entry *e = v->e;
	struct cmd_bx *x;
	unsigned add = 0;

	if (!e) {
		if (dmm_bcache_count(c->bc) >= dmm_bcache_capacity(c->bc))
			v->status = DMM_BA_INSUFFICIENT_RESOURCES;
		else
			v->what = PBU_REGISTER;
		return;
	}
	x = cmd_bx_of(c, e);
	for (unsigned i = 0; i < p->r.n_hnp; i++) {
		int w = anchored_elsewhere(e, &p->r.hnp[i], s);

		if (w < 0)
			add++;
		else if (w == 1 && !(dmm_addr_eq(dmm_bce_pcoa(e), s) && x->has_current &&
				     dmm_prefix_eq(&x->current, &p->r.hnp[i]))) {
			v->status = DMM_BA_NOT_AUTHORIZED_FOR_HNP; /* anchored at another MAAR */
			return;
		}
	}
	if (dmm_bce_pmaar(e)->n + add > DMM_BCE_MAX_PMAAR || c->upd_cap - c->upd_used < others(e, s)) {
		v->status = DMM_BA_INSUFFICIENT_RESOURCES;
		return;
	}
	v->what = PBU_REGISTER;
}

/* A registration (lifetime > 0): absorbed, an anchor to choose (§6), or a register. */
static void check_register(struct dmm_cmd *c, const struct pbu *p, struct verdict *v)
{
	const struct dmm_addr *s = &p->r.smaar;
	struct dmm_bcache_entry *e = v->e;
	struct cmd_bx *x = e ? cmd_bx_of(c, e) : NULL;

	/* A retransmission from the S-MAAR while its relay PBA or anchor choice is pending. */
	if (e && x->relay_open && !x->relay_done && dmm_addr_eq(dmm_bce_pcoa(e), s)) {
		v->what = PBU_ABSORB;
		return;
	}
	v->pending = cmd_choose_pending(c, &p->mnid);
	if (v->pending && dmm_addr_eq(&v->pending->req.smaar, s)) {
		v->what = PBU_ABSORB;
		return;
	}
	if (!cmd_anchor_room(c, s)) {
		v->status = DMM_BA_INSUFFICIENT_RESOURCES;
		return;
	}
	if (!p->n_zero) {
		check_own_prefixes(c, p, v);
		return;
	}
	/* The S-MAAR already got an anchor for its current prefix: a refresh of that one. */
	if (e && dmm_addr_eq(dmm_bce_pcoa(e), s) && x->has_current) {
		v->what = PBU_REGISTER;
		return;
	}
	if (c->upd_used >= c->upd_cap || (!e && dmm_bcache_count(c->bc) >= dmm_bcache_capacity(c->bc))) {
		v->status = DMM_BA_INSUFFICIENT_RESOURCES;
		return;
	}
	v->what = PBU_CHOOSE;
}

/* Read state, change nothing, end in a verdict (rule 5). */
static void check_pbu(struct dmm_cmd *c, const struct pbu *p, struct verdict *v, dmm_time_t now)
{
	struct dmm_bcache_entry *e;

	memset(v, 0, sizeof(*v));
	v->what = PBU_REFUSE;
	/* Step 4 comes before the lookup: without an MN-ID there is nothing to look up. */
	e = p->has_mnid ? dmm_bcache_find_mnid(c->bc, &p->mnid) : NULL;
	if (!check_request(c, p, e, v, now))
		return;
	if (prefixes_of_other_mn(c, p, e)) {
		v->status = DMM_BA_NOT_AUTHORIZED_FOR_HNP;
		return;
	}
	v->e = e;
	if (p->lifetime_units == 0)
		check_lifetime0(c, p, v);
	else
		check_register(c, p, v);
}

/*
 * Accept a registration of r for mnid at S-MAAR r->smaar: initial (e
 * NULL), refresh, or handover. New HNPs become pairs anchored at
 * `anchor` (the S-MAAR, or the MAAR chosen for it, whose entry lasts
 * until chosen_exp). Then the previous MAARs are told and the S-MAAR gets
 * its PBA (at once, or in relay mode after the answers).
 */
static void apply_register(struct dmm_cmd *c, struct dmm_bcache_entry *e, const struct dmm_mnid *mnid,
			   const struct cmd_req *r, const struct dmm_addr *anchor, dmm_time_t chosen_exp,
			   dmm_time_t now)
{
	uint32_t lifetime_s = r->lifetime_s > c->cfg.max_lifetime_s ? c->cfg.max_lifetime_s : r->lifetime_s;
	const struct dmm_addr *s = &r->smaar;
	struct dmm_anchor_list prev;
	struct dmm_addr old;
	bool handover = false, relay;
	struct cmd_bx *x;

	if (!e) {
		e = cmd_mn_add(c, mnid, s, &r->hnp[0], now);
		if (!e)
			return; /* checked: cannot happen */
		c->base.stats.initial_registrations++;
	} else if (!dmm_addr_eq(dmm_bce_pcoa(e), s)) {
		old = *dmm_bce_pcoa(e);
		handover = true;
		if (cmd_bx_of(c, e)->relay_open) {
			/* The MN moved on during a relay wait: the old S-MAAR gets what is known now. */
			if (!cmd_bx_of(c, e)->relay_done)
				relay_pba(c, e, now);
			cmd_relay_close(c, e);
		}
		(void)dmm_bcache_set_pcoa(c->bc, e, s); /* cannot fail: cmd_anchor_room() checked */
		e->handovers++;
		cmd_anchor_adjust(c, s, +1, 0, now);
		cmd_anchor_adjust(c, &old, -1, 0, now);
		c->base.stats.handoffs++;
		c->base.stats.lifetime_ext_after_handoff++;
		c->ctr.handovers++;
		{
			char a[DMM_ADDR_STRLEN], what[80] = "handover from ";

			strcat(what, dmm_addr_str(&old, a));
			cmd_log_mn(c, DMM_LOG_INFO, mnid, &r->hnp[0], s, what);
		}
	} else {
		c->base.stats.lifetime_ext_no_handoff++;
		cmd_log_mn(c, DMM_LOG_DEBUG, mnid, &r->hnp[0], s, "ACTIVE -> ACTIVE (refresh)");
	}
	x = cmd_bx_of(c, e);
	x->mcast = r->mcast;
	cmd_mn_reactivate(c, e); /* RFC 5213 §5.3.5 step 2: a registration ends the wait */
	e->seq = r->seq;
	if (r->has_ts)
		e->timestamp = r->ts;
	e->hi = r->hi;
	e->att = r->att;
	/* An MN-LLID beyond DMM_BCE_LLID_INLINE octets with no arena block is not kept (bcache.h). */
	(void)dmm_bcache_set_llid(c->bc, e, r->llid.b, r->llid.len);
	e->lifetime_s = lifetime_s;
	e->expires = now + (dmm_time_t)e->lifetime_s * DMM_SECOND;
	for (unsigned i = 0; i < r->n_hnp; i++)
		if (cmd_pair_add(c, e, anchor, &r->hnp[i], dmm_addr_eq(anchor, s) ? 0 : chosen_exp, now) != 0)
			cmd_log_mn(c, DMM_LOG_ERR, mnid, &r->hnp[i], anchor, "pair not added");
	x->has_current = true;
	x->current = r->hnp[0];
	cmd_timers_mn_registered(c, e);
	/*
	 * §2.2: on a handover every other anchor learns the new S-MAAR. §3:
	 * on a refresh only those whose entry would lapse before the MN's.
	 * The chosen anchor of this request knows already.
	 */
	relay = handover && c->cfg.mode == DMM_CMD_RELAY;
	if (relay) {
		x->relay_open = true;
		x->relay_done = false;
		x->relay_waiting = 0;
		x->relay_req = *r;
		x->relay_req.lifetime_s = lifetime_s;
	}
	for (unsigned i = 0; i < dmm_bce_pmaar(e)->n; i++) {
		bool chosen = !dmm_addr_eq(anchor, s) && dmm_addr_eq(&dmm_bce_pmaar(e)->a[i].addr, anchor) &&
			      dmm_prefix_eq(&dmm_bce_pmaar(e)->a[i].prefix, &r->hnp[0]);

		if (dmm_addr_eq(&dmm_bce_pmaar(e)->a[i].addr, s))
			continue;
		if (chosen) {
			x->px[i].relay = relay ? RELAY_ACCEPTED : RELAY_NONE;
			continue;
		}
		if (!handover && x->px[i].expires >= e->expires)
			continue;
		if (cmd_notify_pair(c, e, i, lifetime_s, relay, now) && relay) {
			x->px[i].relay = RELAY_WAITING;
			x->relay_waiting++;
		}
	}
	if (relay && x->relay_waiting) {
		cmd_timers_relay_waiting(c, e, now);
		return;
	}
	if (relay)
		cmd_relay_close(c, e);
	cmd_prev_all(e, &prev);
	cmd_send_pba(c, r, DMM_BCE_MNID(e), DMM_BA_ACCEPTED, lifetime_s, &prev, now);
}

/* RFC 5213 §5.3.5 step 2: PBA 0 at once; the entry goes after MinDelayBeforeBCEDelete. */
static void apply_dereg(struct dmm_cmd *c, const struct pbu *p, struct dmm_bcache_entry *e, dmm_time_t now)
{
	cmd_send_pba(c, &p->r, &p->mnid, DMM_BA_ACCEPTED, 0, NULL, now);
	if (e->state == DMM_BCE_DEREG_WAIT)
		return; /* a retransmission: the wait goes on */
	c->base.stats.deregistrations++;
	e->seq = p->r.seq;
	if (p->r.has_ts)
		e->timestamp = p->r.ts;
	cmd_mn_dereg_wait(c, e, now);
}

static void apply_release(struct dmm_cmd *c, const struct pbu *p, struct dmm_bcache_entry *e, dmm_time_t now)
{
	e->seq = p->r.seq;
	if (p->r.has_ts)
		e->timestamp = p->r.ts;
	for (unsigned k = 0; k < p->r.n_hnp; k++) {
		for (unsigned i = 0; i < dmm_bce_pmaar(e)->n; i++) {
			struct dmm_anchor pr = dmm_bce_pmaar(e)->a[i];

			if (!dmm_prefix_eq(&pr.prefix, &p->r.hnp[k]))
				continue;
			/* §5: the anchor gives the prefix back to its pool. */
			cmd_pair_drop(c, e, i, "released idle", now);
			cmd_release_at(c, DMM_BCE_MNID(e), &pr.addr, &pr.prefix, dmm_bce_pcoa(e), p->r.hi,
				       p->r.att, now);
			c->ctr.releases++;
			break;
		}
	}
	cmd_send_pba(c, &p->r, &p->mnid, DMM_BA_ACCEPTED, 0, NULL, now);
}

/* --- anchor choice (§6) --- */

/* Send the choice of u to the next candidate, or answer 130 when none is left. */
static void choose_next(struct dmm_cmd *c, struct cmd_upd *u, dmm_time_t now)
{
	struct cmd_anchor *a =
		u->ntried < CMD_MAX_TRIES ? cmd_anchor_best(c, &u->req.smaar, u->tried, u->ntried) : NULL;

	if (!a) {
		c->ctr.no_anchor++;
		cmd_log_mn(c, DMM_LOG_WARN, &u->mnid, NULL, &u->req.smaar, "no MAAR can anchor: PBA 130");
		cmd_send_pba(c, &u->req, &u->mnid, DMM_BA_INSUFFICIENT_RESOURCES, 0, NULL, now);
		cmd_upd_free(c, u);
		return;
	}
	u->tried[u->ntried++] = a->pub.addr;
	if (u->sent)
		cmd_upd_reseq(c, u);
	u->sent = 0;
	u->maar = a->pub.addr;
	u->delay = c->cfg.initial_bindack_timeout;
	cmd_log_mn(c, DMM_LOG_INFO, &u->mnid, &u->prefix, &u->maar, "anchor candidate asked");
	cmd_upd_send(c, u, now);
}

static void apply_choose(struct dmm_cmd *c, const struct pbu *p, struct verdict *v, dmm_time_t now)
{
	struct cmd_upd *u;

	if (v->pending) {
		/* The MN left the MAAR that asked before: that choice is dropped, a late prefix given back. */
		v->pending->abandoned = true;
		dmm_hidx_remove(&c->choose_idx, cmd_mnid_hash(c, &v->pending->mnid), v->pending->h.idx);
		v->pending->kind =
			UPD_DEREG; /* out of the choice index; its answer is handled as abandoned */
		cmd_timers_upd_abandoned(c, v->pending, now);
	}
	u = cmd_upd_new(c, UPD_CHOOSE, &p->mnid);
	if (!u) {
		cmd_send_pba(c, &p->r, &p->mnid, DMM_BA_INSUFFICIENT_RESOURCES, 0, NULL, now);
		return;
	}
	u->req = p->r;
	u->serving = p->r.smaar;
	u->hi = p->r.hi;
	u->att = p->r.att;
	u->lifetime_units = p->lifetime_units;
	choose_next(c, u, now);
}

/* The candidate of u answered. */
static void choose_answer(struct dmm_cmd *c, struct cmd_upd *u, const struct dmm_mh_msg *m, dmm_time_t now)
{
	const struct dmm_mh_opt *h = dmm_mh_find_opt(m, DMM_OPT_HNP, NULL);
	struct dmm_bcache_entry *e = dmm_bcache_find_mnid(c->bc, &u->mnid);
	struct cmd_req r = u->req;
	struct dmm_addr anchor = u->maar;
	bool ok = m->u.ba.status < 128 && h && !cmd_prefix_is_zero(&h->u.hnp) &&
		  !dmm_bcache_find_prefix(c->bc, &h->u.hnp);

	if (ok && e &&
	    (dmm_bce_pmaar(e)->n >= DMM_BCE_MAX_PMAAR || c->upd_cap - c->upd_used + 1 < others(e, &r.smaar)))
		ok = false;
	if (ok && !e && dmm_bcache_count(c->bc) >= dmm_bcache_capacity(c->bc))
		ok = false;
	if (!ok) {
		cmd_log_mn(c, DMM_LOG_INFO, &u->mnid, h ? &h->u.hnp : NULL, &anchor,
			   "anchor candidate refused");
		if (m->u.ba.status < 128 && h && !cmd_prefix_is_zero(&h->u.hnp))
			cmd_release_at(c, &u->mnid, &anchor, &h->u.hnp, &r.smaar, u->hi, u->att,
				       now); /* not usable: give it back */
		choose_next(c, u, now);
		return;
	}
	c->ctr.anchor_choices++;
	if (cmd_anchor_find(c, &anchor))
		cmd_anchor_find(c, &anchor)->pub.chosen++;
	r.n_hnp = 1;
	r.hnp[0] = h->u.hnp;
	{
		struct dmm_mnid id = u->mnid;
		dmm_time_t exp = now + (dmm_time_t)dmm_lifetime_seconds(u->lifetime_units) * DMM_SECOND;

		cmd_upd_free(c, u);
		cmd_log_mn(c, DMM_LOG_INFO, &id, &r.hnp[0], &anchor, "chosen as anchor");
		apply_register(c, e, &id, &r, &anchor, exp, now);
	}
}

static void choose_timeout(struct dmm_cmd *c, struct cmd_upd *u, dmm_time_t now)
{
	struct cmd_upd *late = cmd_upd_new(c, UPD_DEREG, &u->mnid);

	cmd_log_mn(c, DMM_LOG_WARN, &u->mnid, NULL, &u->maar, "anchor candidate silent: next one");
	if (late) {
		/* Keep the old seq on a record of its own, so a late prefix is given back. */
		uint16_t s = late->seq;

		dmm_hidx_remove(&c->upd_idx, cmd_seq_hash(late->seq), late->h.idx);
		dmm_hidx_remove(&c->upd_idx, cmd_seq_hash(u->seq), u->h.idx);
		late->seq = u->seq;
		u->seq = s;
		(void)dmm_hidx_insert(&c->upd_idx, cmd_seq_hash(late->seq), late->h.idx);
		(void)dmm_hidx_insert(&c->upd_idx, cmd_seq_hash(u->seq), u->h.idx);
		late->abandoned = true;
		late->maar = u->maar;
		late->serving = u->req.smaar;
		late->hi = u->hi;
		late->att = u->att;
		cmd_timers_upd_abandoned(c, late, now);
		u->sent = 0; /* already has a fresh seq */
	}
	choose_next(c, u, now);
}

/* --- PBU entry --- */

static void refuse(struct dmm_cmd *c, const struct pbu *p, uint8_t status, dmm_time_t now)
{
	char m[DMM_MNID_STRLEN], a[DMM_ADDR_STRLEN];

	dmm_logf(c->base.env.log, DMM_LOG_INFO, DMM_LC_MH, "PBU seq %u mn %s from maar %s refused: status %u",
		 p->r.seq, p->has_mnid ? dmm_mnid_str(&p->mnid, m) : "-", dmm_addr_str(&p->r.smaar, a),
		 status);
	cmd_send_pba(c, &p->r, p->has_mnid ? &p->mnid : NULL, status, 0, NULL, now);
}

void cmd_recv_pbu(struct dmm_cmd *c, const struct dmm_addr *src, const struct dmm_addr *dst, dmm_time_t now)
{
	struct pbu p;
	struct verdict v;

	read_pbu(c, &p, src, dst);
	if (p.has_mnid && c->rx.u.bu.lifetime && dmm_mh_find_opt(&c->rx, DMM_OPT_ANCHORED_PREFIX, NULL)) {
		/* docs/dmm-protocol.md §11: an S-MAAR asks for one of its MN's old prefixes. */
		cmd_reloc_request(c, &p.r, &p.mnid, now);
		return;
	}
	check_pbu(c, &p, &v, now);
	if (v.what != PBU_REFUSE && v.what != PBU_IGNORE)
		cmd_anchor_heard(c, src, &c->rx, now);
	switch (v.what) {
	case PBU_REFUSE:
		refuse(c, &p, v.status, now);
		return;
	case PBU_IGNORE:
		c->base.stats.rx_unexpected++;
		cmd_log_mn(c, DMM_LOG_DEBUG, &p.mnid, &p.r.hnp[0], src,
			   "lifetime 0 from a MAAR that does not serve the MN: ignored");
		return;
	case PBU_NOOP:
		cmd_log_mn(c, DMM_LOG_DEBUG, &p.mnid, &p.r.hnp[0], src,
			   "lifetime 0 for nothing held: PBA 0, no change");
		cmd_send_pba(c, &p.r, &p.mnid, DMM_BA_ACCEPTED, 0, NULL, now);
		return;
	case PBU_ABSORB:
		if (v.pending) {
			v.pending->req.seq = p.r.seq;
			v.pending->req.has_ts = p.r.has_ts;
			v.pending->req.ts = p.r.ts;
		} else {
			cmd_bx_of(c, v.e)->relay_req.seq = p.r.seq;
			cmd_bx_of(c, v.e)->relay_req.has_ts = p.r.has_ts;
			cmd_bx_of(c, v.e)->relay_req.ts = p.r.ts;
		}
		cmd_log_mn(c, DMM_LOG_DEBUG, &p.mnid, &p.r.hnp[0], src,
			   "retransmission while the answer is pending");
		return;
	case PBU_REGISTER:
		if (p.n_zero) {
			/* ::/0 from the S-MAAR that has a chosen prefix: refresh that one. */
			p.r.hnp[0] = cmd_bx_of(c, v.e)->current;
			apply_register(c, v.e, &p.mnid, &p.r, src, 0, now);
			return;
		}
		apply_register(c, v.e, &p.mnid, &p.r, src, 0, now);
		return;
	case PBU_DEREG:
		apply_dereg(c, &p, v.e, now);
		return;
	case PBU_RELEASE:
		apply_release(c, &p, v.e, now);
		return;
	case PBU_CHOOSE:
		apply_choose(c, &p, &v, now);
		return;
	}
}

/* --- PBAs from MAARs --- */

/*
 * docs/dmm-protocol.md §14 (RFC 7161 §4.2.1): anchor pair i of e returned
 * the MN's multicast subscription (c->mcast_from) after the S-MAAR had its
 * PBA (proxy mode, or a relay already answered): a follow-up PBA as the
 * late answers of §2.2 have, with the S-MAAR's last sequence number, the
 * echoes it checks (HI, ATT, MN-LLID, Timestamp), its prefix, the pair's
 * Previous MAAR option and the subscription.
 */
static void mcast_follow_up(struct dmm_cmd *c, struct dmm_bcache_entry *e, unsigned i, dmm_time_t now)
{
	struct cmd_bx *x = cmd_bx_of(c, e);
	struct cmd_req r = {.smaar = *dmm_bce_pcoa(e),
			    .dst = c->cfg.addr,
			    .seq = e->seq,
			    .has_hi = true,
			    .has_att = true};
	struct dmm_anchor_list l = {.n = 1};

	if (!x->has_current || !x->mcast) {
		c->mcast_from = NULL;
		return;
	}
	r.has_ts = e->timestamp != 0;
	r.ts = e->timestamp;
	r.hi = e->hi;
	r.att = e->att;
	r.llid = *DMM_BCE_LLID(e);
	r.n_hnp = 1;
	r.hnp[0] = x->current;
	l.a[0] = dmm_bce_pmaar(e)->a[i];
	cmd_log_mn(c, DMM_LOG_INFO, DMM_BCE_MNID(e), &l.a[0].prefix, &l.a[0].addr,
		   "multicast subscription of the previous MAAR to the S-MAAR");
	cmd_send_pba(c, &r, DMM_BCE_MNID(e), DMM_BA_ACCEPTED, e->lifetime_s, &l, now);
}

void cmd_recv_pba(struct dmm_cmd *c, const struct dmm_addr *src, dmm_time_t now)
{
	const struct dmm_mh_msg *m = &c->rx;
	struct cmd_upd *u = cmd_upd_match(c, m->u.ba.seq, src);
	struct dmm_bcache_entry *e;
	char a[DMM_ADDR_STRLEN];
	bool sub;
	int i;

	if (!u) {
		c->base.stats.rx_unexpected++;
		dmm_logf(c->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH, "PBA seq %u from %s matches no PBU",
			 m->u.ba.seq, dmm_addr_str(src, a));
		return;
	}
	cmd_anchor_heard(c, src, m, now);
	if (u->abandoned) {
		const struct dmm_mh_opt *h = dmm_mh_find_opt(m, DMM_OPT_HNP, NULL);
		struct dmm_mnid id = u->mnid;
		struct dmm_addr serving = u->serving;
		uint8_t hi = u->hi, att = u->att;

		cmd_upd_free(c, u);
		if (m->u.ba.status < 128 && h && !cmd_prefix_is_zero(&h->u.hnp))
			cmd_release_at(c, &id, src, &h->u.hnp, &serving, hi, att,
				       now); /* a late anchor: give the prefix back */
		return;
	}
	switch (u->kind) {
	case UPD_CHOOSE:
		choose_answer(c, u, m, now);
		return;
	case UPD_TAKE:
	case UPD_MOVED:
		cmd_reloc_answer(c, u, m->u.ba.status, now);
		return;
	case UPD_DEREG:
		cmd_log_mn(c, DMM_LOG_DEBUG, &u->mnid, &u->prefix, src, "anchor acknowledged lifetime 0");
		cmd_upd_free(c, u);
		return;
	default:
		break;
	}
	e = dmm_bcache_get(c->bc, u->mn);
	i = e ? dmm_anchor_list_find(dmm_bce_pmaar(e), &u->maar, &u->prefix) : -1;
	sub = u->mcast && m->u.ba.status < 128 && (m->u.ba.flags & DMM_BA_S) &&
	      dmm_mh_find_opt(m, DMM_OPT_MCAST_SUB, NULL);
	cmd_upd_free(c, u);
	if (i < 0)
		return;
	cmd_bx_of(c, e)->px[i].upd = (struct dmm_handle){0, 0};
	c->mcast_from = sub ? m : NULL; /* §14: the next PBA to the S-MAAR carries the subscription */
	relay_answer(c, e, (unsigned)i, m->u.ba.status < 128, now);
	if (c->mcast_from)
		mcast_follow_up(c, e, (unsigned)i, now);
	c->mcast_from = NULL;
	if (m->u.ba.status >= 128) {
		/* Choice: an anchor that refuses does not anchor the prefix any more: the pair goes. */
		cmd_pair_drop(c, e, (unsigned)i, "anchor refused", now);
		if (dmm_bce_pmaar(e)->n == 0)
			cmd_mn_delete(c, e, false, "no prefix left", now);
	} else {
		cmd_log_mn(c, DMM_LOG_DEBUG, DMM_BCE_MNID(e), &dmm_bce_pmaar(e)->a[i].prefix, src,
			   "anchor acknowledged the S-MAAR");
	}
}

void cmd_upd_timer(struct dmm_cmd *c, struct dmm_handle h, dmm_time_t now)
{
	struct cmd_upd *u = cmd_upd_get(c, h);
	struct dmm_bcache_entry *e;
	int i;

	if (!u)
		return;
	if (u->abandoned) {
		cmd_upd_free(c, u);
		return;
	}
	if (u->queued) { /* its slot came (RFC 8885 §3.2, §3.6) */
		cmd_upd_send_queued(c, u, now);
		return;
	}
	if (u->kind == UPD_CHOOSE) {
		choose_timeout(c, u, now);
		return;
	}
	if (u->sent <= c->cfg.max_retransmissions) {
		/* RFC 6275 §11.8: a new PBU (new seq, cmd_upd_send), the timeout doubled. */
		u->delay = pmip_backoff_next(u->delay, c->cfg.max_bindack_timeout);
		cmd_upd_send(c, u, now);
		return;
	}
	/* RFC 6275 §11.8: given up. Choice: the pair stays until the MN goes; the path may come back. */
	c->ctr.pmaar_give_ups++;
	cmd_log_mn(c, DMM_LOG_WARN, &u->mnid, &u->prefix, &u->maar, "anchor never answered: given up");
	e = u->kind == UPD_SERVING ? dmm_bcache_get(c->bc, u->mn) : NULL;
	i = e ? dmm_anchor_list_find(dmm_bce_pmaar(e), &u->maar, &u->prefix) : -1;
	cmd_upd_free(c, u);
	if (i >= 0) {
		cmd_bx_of(c, e)->px[i].upd = (struct dmm_handle){0, 0};
		relay_answer(c, e, (unsigned)i, false, now);
	}
}

/* --- malformed input (rule 5, malformed.c) --- */

/*
 * The fixed part of a BU decoded but an option did not: 128 with the seq
 * and, RFC 5213 §5.3.6, every option that decoded before the bad one
 * (the decoder leaves them in c->rx), so that the MAAR can match it.
 */
void cmd_pbu_malformed(struct dmm_cmd *c, const struct dmm_addr *src, const struct dmm_addr *dst,
		       uint16_t seq, dmm_time_t now)
{
	struct pbu p;

	if (c->rx.type != DMM_MH_BU || c->rx.u.bu.seq != seq) {
		c->rx.nopts = 0; /* nothing of it is known to have decoded */
		c->rx.type = DMM_MH_BU;
		c->rx.u.bu.seq = seq;
	}
	read_pbu(c, &p, src, dst);
	cmd_send_pba(c, &p.r, p.has_mnid ? &p.mnid : NULL, DMM_BA_UNSPECIFIED, 0, NULL, now);
}
