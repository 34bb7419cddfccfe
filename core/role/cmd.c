/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Central Mobility Database of RFC 8885, sans-IO: the flows of
 * docs/dmm-protocol.md §1-§6. The table of MAARs and anchor selection
 * are in cmd_anchor.c; PBAs and the updates to anchors in cmd_upd.c.
 *
 * A PBU is decoded completely, then check_pbu() reads state and ends in
 * a verdict; only an accepted verdict changes anything (rule 5).
 *
 * Timers, in one place (STYLE.md):
 *   DMM_TIMER_BCE_EXPIRE (MN)   the S-MAAR's lifetime ran out: remove the
 *                               MN as on a de-registration (§4).
 *   CMD_TIMER_RELAY (MN)        relay_timeout after the PBUs of a relay
 *                               handover: send the S-MAAR the (partial)
 *                               PBA with the answers so far.
 *   CMD_TIMER_UPD_RETX (update) a PBU to a MAAR unanswered: retransmit
 *                               after initial_bindack_timeout, doubling up
 *                               to max_bindack_timeout, max_retransmissions
 *                               times, then give up (RFC 6275 §11.8). For
 *                               an anchor candidate (HNP ::/0): one try of
 *                               initial_bindack_timeout, then the next
 *                               candidate; the silent one is remembered
 *                               for max_bindack_timeout so that a late
 *                               prefix it allocated is given back.
 *   DMM_TIMER_HEARTBEAT (peer)  core/role/peer.c (RFC 5847).
 *
 * Decisions where RFC 8885 or the flows page leave a choice are marked
 * "Choice:".
 */
#include <stddef.h>
#include <string.h>

#include "cmd_int.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "pmip_common.h"

/* base.h: the peer hooks and cmd_timer() get the base as the CMD. */
_Static_assert(offsetof(struct dmm_cmd, base) == 0, "the role base must be the first member");

#define CMD_MAX_LIFETIME_S (0xffffu * 4u)

/* --- small helpers --- */

static uint64_t wall_ns(const struct dmm_cmd *c, dmm_time_t now)
{
	int64_t w = (int64_t)now + c->base.env.wall_offset;

	return w < 0 ? 0 : (uint64_t)w;
}

/* --- pairs (anchor, prefix) of an MN --- */

static int pair_add(struct dmm_cmd *c, struct dmm_bcache_entry *e, const struct dmm_addr *a,
		    const struct dmm_prefix *p, dmm_time_t expires, dmm_time_t now)
{
	struct cmd_mx *x = cmd_mx_of(c, e);
	int r;

	if (dmm_bcache_find_prefix(c->bc, p) == e)
		return 0; /* the MN came back (or a refresh): no duplicate, and the order (oldest first) stays */
	if (e->pmaar.n >= DMM_BCE_MAX_PMAAR)
		return DMM_ERR_NOMEM;
	r = dmm_bcache_add_prefix(c->bc, e, p);
	if (r != 0)
		return r;
	(void)dmm_anchor_list_add(&e->pmaar, a, p); /* room checked above */
	memset(&x->px[e->pmaar.n - 1], 0, sizeof(x->px[0]));
	x->px[e->pmaar.n - 1].expires = expires;
	cmd_anchor_adjust(c, a, 0, +1, now);
	cmd_log_mn(c, DMM_LOG_INFO, &e->mnid, p, a, "pair added");
	return 0;
}

/* Remove pair i of e with its pending update (no message). */
void cmd_pair_drop(struct dmm_cmd *c, struct dmm_bcache_entry *e, unsigned i, const char *reason,
		   dmm_time_t now)
{
	struct cmd_mx *x = cmd_mx_of(c, e);
	struct dmm_anchor pr = e->pmaar.a[i];
	struct cmd_upd *u = cmd_upd_get(c, x->px[i].upd);
	char what[96];

	if (u)
		cmd_upd_free(c, u);
	if (x->relay_open && x->px[i].relay == RELAY_WAITING && x->relay_waiting)
		x->relay_waiting--;
	memmove(&x->px[i], &x->px[i + 1], sizeof(x->px[0]) * (e->pmaar.n - i - 1u));
	(void)dmm_anchor_list_del(&e->pmaar, &pr.addr, &pr.prefix);
	(void)dmm_bcache_del_prefix(c->bc, e, &pr.prefix);
	if (x->has_current && dmm_prefix_eq(&x->current, &pr.prefix))
		x->has_current = false;
	cmd_anchor_adjust(c, &pr.addr, 0, -1, now);
	memcpy(what, "pair removed (", 14);
	what[14] = 0;
	strncat(what, reason, sizeof(what) - 16);
	strcat(what, ")");
	cmd_log_mn(c, DMM_LOG_INFO, &e->mnid, &pr.prefix, &pr.addr, what);
}

/* --- relay transactions (§2.2 relay mode) --- */

static void relay_close(struct dmm_cmd *c, struct dmm_bcache_entry *e)
{
	struct cmd_mx *x = cmd_mx_of(c, e);

	x->relay_open = false;
	x->relay_done = false;
	x->relay_waiting = 0;
	for (unsigned i = 0; i < e->pmaar.n; i++)
		x->px[i].relay = RELAY_NONE;
	dmm_timers_cancel(c->base.timers, CMD_TIMER_RELAY, e->handle);
}

/* The PBA of the transaction with the pairs that accepted so far. */
static void relay_pba(struct dmm_cmd *c, struct dmm_bcache_entry *e, dmm_time_t now)
{
	struct cmd_mx *x = cmd_mx_of(c, e);
	struct dmm_anchor_list l = {0};

	for (unsigned i = 0; i < e->pmaar.n; i++)
		if (x->px[i].relay == RELAY_ACCEPTED)
			l.a[l.n++] = e->pmaar.a[i];
	cmd_send_pba(c, &x->relay_req, &e->mnid, DMM_BA_ACCEPTED, x->relay_req.lifetime_s, &l, now);
	x->relay_done = true;
}

/* The anchor of pair i answered (accepted or not) or was given up. */
static void relay_answer(struct dmm_cmd *c, struct dmm_bcache_entry *e, unsigned i, bool accepted,
			 dmm_time_t now)
{
	struct cmd_mx *x = cmd_mx_of(c, e);

	if (!x->relay_open || x->px[i].relay != RELAY_WAITING)
		return;
	x->px[i].relay = accepted ? RELAY_ACCEPTED : RELAY_FAILED;
	if (x->relay_waiting)
		x->relay_waiting--;
	if (x->relay_done && accepted) {
		/* §2.2: a late answer: an unsolicited PBA, same seq, with only the late Previous MAAR. */
		struct dmm_anchor_list l = {.n = 1};

		l.a[0] = e->pmaar.a[i];
		cmd_log_mn(c, DMM_LOG_INFO, &e->mnid, &l.a[0].prefix, &l.a[0].addr,
			   "follow-up PBA to the S-MAAR");
		cmd_send_pba(c, &x->relay_req, &e->mnid, DMM_BA_ACCEPTED, x->relay_req.lifetime_s, &l, now);
	} else if (!x->relay_done && x->relay_waiting == 0) {
		relay_pba(c, e, now);
	}
	if (x->relay_waiting == 0)
		relay_close(c, e);
}

static void relay_timer(struct dmm_cmd *c, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_bcache_entry *e = dmm_bcache_get(c->bc, h);
	struct cmd_mx *x;

	if (!e)
		return;
	x = cmd_mx_of(c, e);
	if (!x->relay_open || x->relay_done)
		return;
	/* §2.2 relay mode: a partial PBA; the late ones follow when they answer. */
	c->ctr.partial_pbas++;
	cmd_log_mn(c, DMM_LOG_WARN, &e->mnid, x->has_current ? &x->current : NULL, &e->pcoa,
		   "relay timeout: partial PBA to the S-MAAR");
	relay_pba(c, e, now);
}

/* --- MN lifecycle --- */

void cmd_mn_delete(struct dmm_cmd *c, struct dmm_bcache_entry *e, bool notify, const char *reason,
		   dmm_time_t now)
{
	struct dmm_addr serving = e->pcoa;

	cmd_log_mn(c, DMM_LOG_INFO, &e->mnid, cmd_mx_of(c, e)->has_current ? &cmd_mx_of(c, e)->current : NULL,
		   &serving, reason);
	relay_close(c, e);
	/* §4: every previous MAAR gets lifetime 0 with Serving MAAR = the S-MAAR. */
	for (unsigned i = 0; i < e->pmaar.n; i++) {
		struct cmd_upd *u = cmd_upd_get(c, cmd_mx_of(c, e)->px[i].upd);

		if (u)
			cmd_upd_free(c, u);
		cmd_mx_of(c, e)->px[i].upd = (struct dmm_handle){0, 0};
		if (notify && !dmm_addr_eq(&e->pmaar.a[i].addr, &serving))
			cmd_release_at(c, &e->mnid, &e->pmaar.a[i].addr, &e->pmaar.a[i].prefix, &serving,
				       now);
		cmd_anchor_adjust(c, &e->pmaar.a[i].addr, 0, -1, now);
	}
	cmd_anchor_adjust(c, &serving, -1, 0, now);
	dmm_timers_cancel(c->base.timers, DMM_TIMER_BCE_EXPIRE, e->handle);
	dmm_bcache_del(c->bc, e);
}

/* --- PBU processing --- */

enum pbu_case {
	PBU_REFUSE,   /* PBA with the status, nothing changes */
	PBU_NOOP,     /* PBA 0, nothing changes (lifetime 0 for what is already gone) */
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

	memset(p, 0, sizeof(*p));
	p->r.smaar = *src;
	p->r.dst = *dst;
	p->r.seq = m->u.bu.seq;
	p->flags = m->u.bu.flags;
	p->lifetime_units = m->u.bu.lifetime;
	p->r.lifetime_s = dmm_lifetime_seconds(p->lifetime_units);
	p->has_mnid = pmip_mnid_of(m, &p->mnid);
	p->ts = dmm_mh_find_opt(m, DMM_OPT_TIMESTAMP, NULL);
	if (p->ts) {
		p->r.has_ts = true;
		p->r.ts = p->ts->u.timestamp.seconds << 16 | p->ts->u.timestamp.fraction;
	}
	for (const struct dmm_mh_opt *o = dmm_mh_find_opt(m, DMM_OPT_HNP, NULL); o;
	     o = dmm_mh_find_opt(m, DMM_OPT_HNP, o)) {
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
	for (unsigned i = 0; i < e->pmaar.n; i++)
		if (dmm_prefix_eq(&e->pmaar.a[i].prefix, pf))
			return !dmm_addr_eq(&e->pmaar.a[i].addr, s);
	return -1;
}

/* Update slots needed to tell every anchor of e except s. */
static unsigned others(const struct dmm_bcache_entry *e, const struct dmm_addr *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < e->pmaar.n; i++)
		n += !dmm_addr_eq(&e->pmaar.a[i].addr, s);
	return n;
}

static void check_pbu(struct dmm_cmd *c, const struct pbu *p, struct verdict *v, dmm_time_t now)
{
	const struct dmm_addr *s = &p->r.smaar;
	const struct dmm_policy_profile *prof;
	struct dmm_bcache_entry *e;
	struct cmd_mx *x;

	memset(v, 0, sizeof(*v));
	v->what = PBU_REFUSE;
	/* RFC 8885 §4.1: a PBU to the CMD has the D flag (and P); else "reject", 128. */
	if (!(p->flags & DMM_BU_D) || !(p->flags & DMM_BU_P)) {
		v->status = DMM_BA_UNSPECIFIED;
		return;
	}
	if (!p->has_mnid) {
		v->status = DMM_BA_MISSING_MN_ID; /* RFC 5213 §5.3.1 step 4 */
		return;
	}
	/* Steps 5-8 as the LMA does them; the MAAR is the peer. */
	v->status = pmip_authorize(c->cfg.policy, &c->cfg.addr, s, &p->mnid, &prof);
	if (v->status)
		return;
	e = dmm_bcache_find_mnid(c->bc, &p->mnid);
	/* Step 9, RFC 5213 §5.5. Without a Timestamp: the seq, against the same S-MAAR only. */
	if (c->cfg.timestamp_based && p->ts) {
		if (!pmip_ts_in_window(p->ts, wall_ns(c, now), c->cfg.timestamp_validity_window)) {
			v->status = DMM_BA_TIMESTAMP_MISMATCH;
			return;
		}
		if (e && p->r.ts <= e->timestamp) {
			v->status = DMM_BA_TIMESTAMP_LOWER_THAN_PREV;
			return;
		}
	} else if (e && dmm_addr_eq(&e->pcoa, s) && !dmm_seq_lt(e->seq, p->r.seq)) {
		/*
		 * Choice: the seq spaces of different MAARs are unrelated, so a
		 * PBU from another MAAR is never refused for its seq.
		 */
		v->status = DMM_BA_SEQ_OUT_OF_WINDOW;
		return;
	}
	if (p->n_hnp == 0) {
		v->status = DMM_BA_MISSING_HNP; /* step 10 */
		return;
	}
	/* Choice: ::/0 asks for an anchor and comes alone; with other HNPs it is refused. */
	if (p->n_zero && p->n_hnp > 1) {
		v->status = DMM_BA_UNSPECIFIED;
		return;
	}
	if (p->n_hnp > DMM_BCE_MAX_HNP) {
		v->status = DMM_BA_INSUFFICIENT_RESOURCES;
		return;
	}
	/* A prefix held by another MN is not this MN's (RFC 5213 §5.4.1.1 step 3). */
	for (unsigned i = 0; i < p->r.n_hnp; i++) {
		struct dmm_bcache_entry *o =
			cmd_prefix_is_zero(&p->r.hnp[i]) ? NULL : dmm_bcache_find_prefix(c->bc, &p->r.hnp[i]);

		if (o && o != e) {
			v->status = DMM_BA_NOT_AUTHORIZED_FOR_HNP;
			return;
		}
	}
	v->e = e;
	x = e ? cmd_mx_of(c, e) : NULL;
	if (p->lifetime_units == 0) {
		bool own = false;

		/*
		 * Choice: a lifetime-0 PBU for an MN we do not have, or from a
		 * MAAR that does not serve it (§4: only the S-MAAR
		 * de-registers), changes nothing but is answered 0: the sender
		 * holds nothing for the MN as far as the CMD is concerned.
		 */
		if (!e || !dmm_addr_eq(&e->pcoa, s)) {
			v->what = PBU_NOOP;
			return;
		}
		/* §4 vs §5: its own prefix (or ::/0, or the one chosen for it) de-registers; else a release. */
		for (unsigned i = 0; i < p->r.n_hnp && !own; i++)
			own = cmd_prefix_is_zero(&p->r.hnp[i]) ||
			      anchored_elsewhere(e, &p->r.hnp[i], s) == 0 ||
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
		return;
	}
	/* A retransmission from the S-MAAR while its relay PBA or anchor choice is pending. */
	if (e && x->relay_open && !x->relay_done && dmm_addr_eq(&e->pcoa, s)) {
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
	if (p->n_zero) {
		/* The S-MAAR already got an anchor for its current prefix: a refresh of that one. */
		if (e && dmm_addr_eq(&e->pcoa, s) && x->has_current) {
			v->what = PBU_REGISTER;
			return;
		}
		if (c->upd_used >= c->upd_cap ||
		    (!e && dmm_bcache_count(c->bc) >= dmm_bcache_capacity(c->bc))) {
			v->status = DMM_BA_INSUFFICIENT_RESOURCES;
			return;
		}
		v->what = PBU_CHOOSE;
		return;
	}
	/* HNPs the S-MAAR anchors itself, or the prefix chosen for it (its refresh). */
	if (e) {
		unsigned add = 0;

		for (unsigned i = 0; i < p->r.n_hnp; i++) {
			int w = anchored_elsewhere(e, &p->r.hnp[i], s);

			if (w < 0)
				add++;
			else if (w == 1 && !(dmm_addr_eq(&e->pcoa, s) && x->has_current &&
					     dmm_prefix_eq(&x->current, &p->r.hnp[i]))) {
				v->status = DMM_BA_NOT_AUTHORIZED_FOR_HNP; /* anchored at another MAAR */
				return;
			}
		}
		if (e->pmaar.n + add > DMM_BCE_MAX_PMAAR || c->upd_cap - c->upd_used < others(e, s)) {
			v->status = DMM_BA_INSUFFICIENT_RESOURCES;
			return;
		}
	} else if (dmm_bcache_count(c->bc) >= dmm_bcache_capacity(c->bc)) {
		v->status = DMM_BA_INSUFFICIENT_RESOURCES;
		return;
	}
	v->what = PBU_REGISTER;
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
	struct cmd_mx *x;

	if (!e) {
		e = dmm_bcache_add(c->bc, mnid, NULL);
		if (!e)
			return; /* checked: cannot happen */
		memset(cmd_mx_of(c, e), 0, sizeof(struct cmd_mx));
		e->proxy = true;
		e->created = now;
		e->pcoa = *s;
		cmd_anchor_adjust(c, s, +1, 0, now);
		c->base.stats.initial_registrations++;
		cmd_log_mn(c, DMM_LOG_INFO, mnid, &r->hnp[0], s, "none -> registered (initial registration)");
	} else if (!dmm_addr_eq(&e->pcoa, s)) {
		old = e->pcoa;
		handover = true;
		if (cmd_mx_of(c, e)->relay_open) {
			/* The MN moved on during a relay wait: the old S-MAAR gets what is known now. */
			if (!cmd_mx_of(c, e)->relay_done)
				relay_pba(c, e, now);
			relay_close(c, e);
		}
		e->pcoa = *s;
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
		cmd_log_mn(c, DMM_LOG_DEBUG, mnid, &r->hnp[0], s, "registered -> registered (refresh)");
	}
	x = cmd_mx_of(c, e);
	e->seq = r->seq;
	if (r->has_ts)
		e->timestamp = r->ts;
	e->lifetime = (dmm_time_t)lifetime_s * DMM_SECOND;
	e->expires = now + e->lifetime;
	e->updated = now;
	for (unsigned i = 0; i < r->n_hnp; i++)
		if (pair_add(c, e, anchor, &r->hnp[i], dmm_addr_eq(anchor, s) ? 0 : chosen_exp, now) != 0)
			cmd_log_mn(c, DMM_LOG_ERR, mnid, &r->hnp[i], anchor, "pair not added");
	x->has_current = true;
	x->current = r->hnp[0];
	dmm_timers_set(c->base.timers, DMM_TIMER_BCE_EXPIRE, e->handle, e->expires);
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
	for (unsigned i = 0; i < e->pmaar.n; i++) {
		bool chosen = !dmm_addr_eq(anchor, s) && dmm_addr_eq(&e->pmaar.a[i].addr, anchor) &&
			      dmm_prefix_eq(&e->pmaar.a[i].prefix, &r->hnp[0]);

		if (dmm_addr_eq(&e->pmaar.a[i].addr, s))
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
		dmm_timers_set(c->base.timers, CMD_TIMER_RELAY, e->handle, now + c->cfg.relay_timeout);
		return;
	}
	if (relay)
		relay_close(c, e);
	cmd_prev_all(e, &prev);
	cmd_send_pba(c, r, &e->mnid, DMM_BA_ACCEPTED, lifetime_s, &prev, now);
}

static void apply_dereg(struct dmm_cmd *c, const struct pbu *p, struct dmm_bcache_entry *e, dmm_time_t now)
{
	c->base.stats.deregistrations++;
	cmd_send_pba(c, &p->r, &p->mnid, DMM_BA_ACCEPTED, 0, NULL, now);
	cmd_mn_delete(c, e, true, "registered -> none (de-registration)", now);
}

static void apply_release(struct dmm_cmd *c, const struct pbu *p, struct dmm_bcache_entry *e, dmm_time_t now)
{
	e->seq = p->r.seq;
	if (p->r.has_ts)
		e->timestamp = p->r.ts;
	for (unsigned k = 0; k < p->r.n_hnp; k++) {
		for (unsigned i = 0; i < e->pmaar.n; i++) {
			struct dmm_anchor pr = e->pmaar.a[i];

			if (!dmm_prefix_eq(&pr.prefix, &p->r.hnp[k]))
				continue;
			/* §5: the anchor gives the prefix back to its pool. */
			cmd_pair_drop(c, e, i, "released idle", now);
			cmd_release_at(c, &e->mnid, &pr.addr, &pr.prefix, &e->pcoa, now);
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
	dmm_timers_set(c->base.timers, CMD_TIMER_UPD_RETX, u->h, now + u->delay);
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
		dmm_timers_set(c->base.timers, CMD_TIMER_UPD_RETX, v->pending->h,
			       now + c->cfg.max_bindack_timeout);
	}
	u = cmd_upd_new(c, UPD_CHOOSE, &p->mnid);
	if (!u) {
		cmd_send_pba(c, &p->r, &p->mnid, DMM_BA_INSUFFICIENT_RESOURCES, 0, NULL, now);
		return;
	}
	u->req = p->r;
	u->serving = p->r.smaar;
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
	    (e->pmaar.n >= DMM_BCE_MAX_PMAAR || c->upd_cap - c->upd_used + 1 < others(e, &r.smaar)))
		ok = false;
	if (ok && !e && dmm_bcache_count(c->bc) >= dmm_bcache_capacity(c->bc))
		ok = false;
	if (!ok) {
		cmd_log_mn(c, DMM_LOG_INFO, &u->mnid, h ? &h->u.hnp : NULL, &anchor,
			   "anchor candidate refused");
		if (m->u.ba.status < 128 && h && !cmd_prefix_is_zero(&h->u.hnp))
			cmd_release_at(c, &u->mnid, &anchor, &h->u.hnp, &r.smaar,
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
		dmm_timers_set(c->base.timers, CMD_TIMER_UPD_RETX, late->h, now + c->cfg.max_bindack_timeout);
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

static void recv_pbu(struct dmm_cmd *c, const struct dmm_addr *src, const struct dmm_addr *dst,
		     dmm_time_t now)
{
	struct pbu p;
	struct verdict v;

	read_pbu(c, &p, src, dst);
	check_pbu(c, &p, &v, now);
	if (v.what != PBU_REFUSE)
		cmd_anchor_heard(c, src, &c->rx, now);
	switch (v.what) {
	case PBU_REFUSE:
		refuse(c, &p, v.status, now);
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
			cmd_mx_of(c, v.e)->relay_req.seq = p.r.seq;
			cmd_mx_of(c, v.e)->relay_req.has_ts = p.r.has_ts;
			cmd_mx_of(c, v.e)->relay_req.ts = p.r.ts;
		}
		cmd_log_mn(c, DMM_LOG_DEBUG, &p.mnid, &p.r.hnp[0], src,
			   "retransmission while the answer is pending");
		return;
	case PBU_REGISTER:
		if (p.n_zero) {
			/* ::/0 from the S-MAAR that has a chosen prefix: refresh that one. */
			p.r.hnp[0] = cmd_mx_of(c, v.e)->current;
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

static void recv_pba(struct dmm_cmd *c, const struct dmm_addr *src, dmm_time_t now)
{
	const struct dmm_mh_msg *m = &c->rx;
	struct cmd_upd *u = cmd_upd_match(c, m->u.ba.seq, src);
	struct dmm_bcache_entry *e;
	char a[DMM_ADDR_STRLEN];
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

		cmd_upd_free(c, u);
		if (m->u.ba.status < 128 && h && !cmd_prefix_is_zero(&h->u.hnp))
			cmd_release_at(c, &id, src, &h->u.hnp, &serving,
				       now); /* a late anchor: give the prefix back */
		return;
	}
	switch (u->kind) {
	case UPD_CHOOSE:
		choose_answer(c, u, m, now);
		return;
	case UPD_DEREG:
		cmd_log_mn(c, DMM_LOG_DEBUG, &u->mnid, &u->prefix, src, "anchor acknowledged lifetime 0");
		cmd_upd_free(c, u);
		return;
	default:
		break;
	}
	e = dmm_bcache_get(c->bc, u->mn);
	i = e ? dmm_anchor_list_find(&e->pmaar, &u->maar, &u->prefix) : -1;
	cmd_upd_free(c, u);
	if (i < 0)
		return;
	cmd_mx_of(c, e)->px[i].upd = (struct dmm_handle){0, 0};
	relay_answer(c, e, (unsigned)i, m->u.ba.status < 128, now);
	if (m->u.ba.status >= 128) {
		/* Choice: an anchor that refuses does not anchor the prefix any more: the pair goes. */
		cmd_pair_drop(c, e, (unsigned)i, "anchor refused", now);
		if (e->pmaar.n == 0)
			cmd_mn_delete(c, e, false, "no prefix left", now);
	} else {
		cmd_log_mn(c, DMM_LOG_DEBUG, &e->mnid, &e->pmaar.a[i].prefix, src,
			   "anchor acknowledged the S-MAAR");
	}
}

static void upd_timer(struct dmm_cmd *c, struct dmm_handle h, dmm_time_t now)
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
	if (u->kind == UPD_CHOOSE) {
		choose_timeout(c, u, now);
		return;
	}
	if (u->sent <= c->cfg.max_retransmissions) {
		cmd_upd_send(c, u, now);
		u->delay = pmip_backoff_next(u->delay, c->cfg.max_bindack_timeout);
		dmm_timers_set(c->base.timers, CMD_TIMER_UPD_RETX, u->h, now + u->delay);
		return;
	}
	/* RFC 6275 §11.8: given up. Choice: the pair stays until the MN goes; the path may come back. */
	c->ctr.pmaar_give_ups++;
	cmd_log_mn(c, DMM_LOG_WARN, &u->mnid, &u->prefix, &u->maar, "anchor never answered: given up");
	e = u->kind == UPD_SERVING ? dmm_bcache_get(c->bc, u->mn) : NULL;
	i = e ? dmm_anchor_list_find(&e->pmaar, &u->maar, &u->prefix) : -1;
	cmd_upd_free(c, u);
	if (i >= 0) {
		cmd_mx_of(c, e)->px[i].upd = (struct dmm_handle){0, 0};
		relay_answer(c, e, (unsigned)i, false, now);
	}
}

/* --- malformed input (rule 5), as the LMA --- */

static void send_be(struct dmm_cmd *c, const struct dmm_addr *src, const struct dmm_addr *dst, uint8_t status)
{
	struct dmm_mh_msg *m = &c->tx;

	dmm_mh_init(m, DMM_MH_BE);
	m->u.be.status = status;
	cmd_send_msg(c, dst, src, m);
}

static void malformed(struct dmm_cmd *c, const struct dmm_addr *src, const struct dmm_addr *dst,
		      const uint8_t *buf, size_t len, int err, dmm_time_t now)
{
	char a[DMM_ADDR_STRLEN];

	if (-err > 0 && -err < DMM_STATS_MAX_ERR)
		c->base.stats.rx_malformed[-err]++;
	dmm_logf(c->base.env.log, DMM_LOG_WARN, DMM_LC_MH, "malformed MH (type %d, %zu bytes) from %s: %s",
		 len > 2 ? buf[2] : -1, len, dmm_addr_str(src, a), dmm_strerror(err));
	switch (err) {
	case DMM_ERR_UNKNOWN_TYPE:
		c->base.stats.rx_unknown_type++;
		send_be(c, src, dst, DMM_BE_UNKNOWN_MH_TYPE); /* RFC 6275 §9.2 */
		return;
	case DMM_ERR_PAYLOAD_PROTO:
	case DMM_ERR_HDR_LEN:
	case DMM_ERR_TRUNCATED:
	case DMM_ERR_TOO_LONG:
	case DMM_ERR_BR_TYPE:
	case DMM_ERR_CHECKSUM:
		return;
	default:
		break;
	}
	/* The fixed part of a BU decoded but an option did not: 128 with the seq, no options trusted. */
	if (len >= 12 && buf[2] == DMM_MH_BU && ((size_t)buf[1] + 1) * 8 >= 12) {
		struct cmd_req r;

		memset(&r, 0, sizeof(r));
		r.smaar = *src;
		r.dst = *dst;
		r.seq = (uint16_t)(buf[6] << 8 | buf[7]);
		cmd_send_pba(c, &r, NULL, DMM_BA_UNSPECIFIED, 0, NULL, now);
	}
}

/* --- entry points --- */

void dmm_cmd_recv(struct dmm_cmd *c, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const uint8_t *buf, size_t len, dmm_time_t now)
{
	int n = dmm_mh_decode(&c->rx, buf, len);

	if (n < 0) {
		malformed(c, src, dst, buf, len, n, now);
		return;
	}
	c->base.stats.rx_by_type[c->rx.type & 31]++;
	switch (c->rx.type) {
	case DMM_MH_BU:
		recv_pbu(c, src, dst, now);
		return;
	case DMM_MH_BA:
		recv_pba(c, src, now);
		return;
	case DMM_MH_HB:
	case DMM_MH_BE:
		dmm_peers_recv(c->base.peers, src, &c->rx, now);
		return;
	default:
		break;
	}
	c->base.stats.rx_unexpected++;
	dmm_logf(c->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH, "MH type %u not handled by a CMD", c->rx.type);
}

/* A timer of an MN or of an update (heartbeats are run by base.c). */
static void cmd_timer(struct dmm_role_base *b, unsigned kind, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_cmd *c = (struct dmm_cmd *)b;
	struct dmm_bcache_entry *e;

	switch (kind) {
	case DMM_TIMER_BCE_EXPIRE:
		e = dmm_bcache_get(c->bc, h);
		if (e)
			cmd_mn_delete(c, e, true, "registered -> none (lifetime expired)", now);
		break;
	case CMD_TIMER_RELAY:
		relay_timer(c, h, now);
		break;
	case CMD_TIMER_UPD_RETX:
		upd_timer(c, h, now);
		break;
	default:
		break;
	}
}

void dmm_cmd_expire(struct dmm_cmd *c, dmm_time_t now)
{
	dmm_role_base_expire(&c->base, now, cmd_timer);
}

dmm_time_t dmm_cmd_next_deadline(const struct dmm_cmd *c)
{
	return dmm_role_base_next_deadline(&c->base);
}

/* --- creation --- */

void dmm_cmd_cfg_defaults(struct dmm_cmd_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = DMM_CMD_PROXY;
	cfg->relay_timeout = DMM_SECOND;
	cfg->max_mns = 1024;
	cfg->max_maars = 64;
	cfg->max_lifetime_s = CMD_MAX_LIFETIME_S;
	cfg->initial_bindack_timeout = DMM_SECOND; /* RFC 6275 §13 INITIAL_BINDACK_TIMEOUT */
	cfg->max_bindack_timeout = 32 * DMM_SECOND;
	cfg->max_retransmissions = 3;
	cfg->timestamp_validity_window = 300 * DMM_MSEC; /* RFC 5213 §9.1 */
	cfg->timestamp_based = true;
	cfg->heartbeat_interval = 60 * DMM_SECOND; /* RFC 5847 §5 */
	cfg->missing_heartbeats_allowed = 3;
}

static bool cfg_ok(const struct dmm_cmd_cfg *cfg)
{
	return cfg->policy && !dmm_addr_is_zero(&cfg->addr) && cfg->max_mns > 0 &&
	       cfg->max_mns <= (1u << 22) && cfg->max_maars > 0 && cfg->max_maars <= (1u << 16) &&
	       cfg->initial_bindack_timeout > 0 && cfg->max_bindack_timeout >= cfg->initial_bindack_timeout &&
	       (cfg->mode == DMM_CMD_PROXY || (cfg->mode == DMM_CMD_RELAY && cfg->relay_timeout > 0));
}

static void peer_cfg(const struct dmm_cmd_cfg *cfg, struct dmm_peer_cfg *pc)
{
	*pc = dmm_role_peer_cfg(&cfg->addr, cfg->heartbeat_interval, cfg->missing_heartbeats_allowed,
				cfg->restart_counter);
}

struct dmm_cmd *dmm_cmd_new(const struct dmm_env *env, const struct dmm_cmd_cfg *cfg, dmm_time_t now)
{
	const struct dmm_alloc *a = env ? env->alloc : NULL;
	struct dmm_peer_ops pops = {NULL, cmd_peer_down, cmd_peer_restarted, cmd_peer_up, NULL};
	struct dmm_peer_cfg pc;
	struct dmm_role_caps caps;
	struct dmm_cmd *c;
	uint32_t cap;

	(void)now;
	if (!env || !a || !env->send || !cfg || !cfg_ok(cfg))
		return NULL;
	cap = cfg->max_mns;
	c = a->zalloc(a->ctx, sizeof(*c));
	if (!c)
		return NULL;
	c->cfg = *cfg;
	c->seq = (uint16_t)(env->seed >> 24); /* a fresh start for our sequence numbers */
	/*
	 * Choice: room for two pending updates per MN on average (a handover
	 * tells a few anchors, most MNs have none pending) plus slack.
	 */
	c->upd_cap = 2 * cap + 64;
	c->bc = dmm_bcache_new(a, cap, cap * DMM_BCE_MAX_PMAAR, env->seed);
	if (!c->bc)
		goto err_bc;
	c->mx = a->zalloc(a->ctx, sizeof(*c->mx) * cap);
	if (!c->mx)
		goto err_mx;
	caps.timers = 2 * cap + c->upd_cap + cfg->max_maars + 16;
	caps.peers = cfg->max_maars;
	caps.intents = 0; /* location only: no data plane */
	peer_cfg(cfg, &pc);
	if (dmm_role_base_init(&c->base, env, &caps, &pc, &pops) != 0)
		goto err_base;
	c->anchor = a->zalloc(a->ctx, sizeof(*c->anchor) * cfg->max_maars);
	if (!c->anchor)
		goto err_anchor;
	if (dmm_hidx_init(&c->anchor_idx, a, cfg->max_maars) != 0)
		goto err_aidx;
	c->upd = a->zalloc(a->ctx, sizeof(*c->upd) * c->upd_cap);
	if (!c->upd)
		goto err_upd;
	c->upd_gen = a->zalloc(a->ctx, sizeof(*c->upd_gen) * c->upd_cap);
	if (!c->upd_gen)
		goto err_gen;
	if (dmm_hidx_init(&c->upd_idx, a, c->upd_cap) != 0)
		goto err_uidx;
	if (dmm_hidx_init(&c->choose_idx, a, c->upd_cap) != 0)
		goto err_cidx;
	return c;

err_cidx:
	dmm_hidx_fini(&c->upd_idx, a);
err_uidx:
	a->free(a->ctx, c->upd_gen);
err_gen:
	a->free(a->ctx, c->upd);
err_upd:
	dmm_hidx_fini(&c->anchor_idx, a);
err_aidx:
	a->free(a->ctx, c->anchor);
err_anchor:
	dmm_role_base_fini(&c->base);
err_base:
	a->free(a->ctx, c->mx);
err_mx:
	dmm_bcache_free(c->bc);
err_bc:
	a->free(a->ctx, c);
	return NULL;
}

void dmm_cmd_free(struct dmm_cmd *c)
{
	const struct dmm_alloc *a;

	if (!c)
		return;
	a = c->base.env.alloc;
	dmm_hidx_fini(&c->choose_idx, a);
	dmm_hidx_fini(&c->upd_idx, a);
	a->free(a->ctx, c->upd_gen);
	a->free(a->ctx, c->upd);
	dmm_hidx_fini(&c->anchor_idx, a);
	a->free(a->ctx, c->anchor);
	dmm_role_base_fini(&c->base);
	a->free(a->ctx, c->mx);
	dmm_bcache_free(c->bc);
	a->free(a->ctx, c);
}

int dmm_cmd_reconfigure(struct dmm_cmd *c, const struct dmm_cmd_cfg *cfg, dmm_time_t now)
{
	struct dmm_peer_cfg pc;

	(void)now;
	if (!cfg || !cfg_ok(cfg) || cfg->max_mns != c->cfg.max_mns || cfg->max_maars != c->cfg.max_maars)
		return DMM_ERR_INVAL; /* capacities are fixed at creation */
	c->cfg = *cfg;
	peer_cfg(cfg, &pc);
	dmm_peers_reconfigure(c->base.peers, &pc);
	return 0;
}

const struct dmm_bcache *dmm_cmd_bcache(const struct dmm_cmd *c)
{
	return c->bc;
}

struct dmm_peers *dmm_cmd_peers(struct dmm_cmd *c)
{
	return c->base.peers;
}

const struct dmm_pmip_stats *dmm_cmd_stats(const struct dmm_cmd *c)
{
	return &c->base.stats;
}

const struct dmm_cmd_counters *dmm_cmd_counters(const struct dmm_cmd *c)
{
	return &c->ctr;
}

/* --- the role ops table --- */

static void *ops_create(const struct dmm_env *env, const void *cfg, dmm_time_t now)
{
	return dmm_cmd_new(env, cfg, now);
}

static void ops_destroy(void *inst)
{
	dmm_cmd_free(inst);
}

static int ops_reconfigure(void *inst, const void *cfg, dmm_time_t now)
{
	return dmm_cmd_reconfigure(inst, cfg, now);
}

static void ops_recv(void *inst, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		     size_t len, dmm_time_t now)
{
	dmm_cmd_recv(inst, src, dst, buf, len, now);
}

static void ops_expire(void *inst, dmm_time_t now)
{
	dmm_cmd_expire(inst, now);
}

static dmm_time_t ops_next_deadline(const void *inst)
{
	return dmm_cmd_next_deadline(inst);
}

static size_t ops_tables(const void *inst, struct dmm_role_table *out, size_t max)
{
	if (max < 1)
		return 0;
	out[0] = (struct dmm_role_table){.bcache = dmm_cmd_bcache(inst)};
	return 1;
}

static size_t ops_counters(const void *inst, struct dmm_role_counter *out, size_t max)
{
	const struct dmm_cmd_counters *m = dmm_cmd_counters(inst);
	const struct dmm_role_counter all[] = {
		{"handovers", m->handovers},
		{"pmaar-updates", m->pmaar_updates},
		{"pmaar-give-ups", m->pmaar_give_ups},
		{"partial-pbas", m->partial_pbas},
		{"releases", m->releases},
		{"anchor-choices", m->anchor_choices},
		{"no-anchor", m->no_anchor},
	};
	size_t n = sizeof(all) / sizeof(all[0]) < max ? sizeof(all) / sizeof(all[0]) : max;

	memcpy(out, all, n * sizeof(all[0]));
	return n;
}

/* GAP1-3: the MAARs as the CMD sees them (dmmctl show anchors). */
static size_t ops_rows(const void *inst, const void **cursor, struct dmm_role_field *out, size_t max)
{
	const struct dmm_cmd_anchor *a = dmm_cmd_anchor_next(inst, *cursor);
	const struct dmm_role_field f[] = {
		{.name = "state", .is_str = true, .known = true},
		{.name = "priority", .num = a ? a->priority : 0, .known = a && a->load_known},
		{.name = "sessions-in-use", .num = a ? a->sessions_in_use : 0, .known = a && a->load_known},
		{.name = "max-sessions", .num = a ? a->max_sessions : 0, .known = a && a->load_known},
		{.name = "serving", .num = a ? a->serving : 0, .known = true},
		{.name = "anchored", .num = a ? a->anchored : 0, .known = true},
		{.name = "chosen", .num = a ? (int64_t)a->chosen : 0, .known = true},
	};
	size_t n = 1 + sizeof(f) / sizeof(f[0]);
	const char *st = a ? dmm_anchor_state_name(a->state) : "";

	if (!a || max < n)
		return 0;
	*cursor = a;
	out[0] = (struct dmm_role_field){.name = "address", .is_str = true, .known = true};
	dmm_addr_str(&a->addr, out[0].str);
	memcpy(out + 1, f, sizeof(f));
	memcpy(out[1].str, st, strlen(st) + 1); /* a short static name */
	return n;
}

const struct dmm_role_ops dmm_cmd_ops = {
	.name = "cmd",
	.create = ops_create,
	.destroy = ops_destroy,
	.reconfigure = ops_reconfigure,
	.recv = ops_recv,
	.expire = ops_expire,
	.next_deadline = ops_next_deadline,
	.attach = NULL, /* the CMD has no access links */
	.detach = NULL,
	.tables = ops_tables,
	.counters = ops_counters,
	.rows = ops_rows,
	.rows_name = "anchors",
};
