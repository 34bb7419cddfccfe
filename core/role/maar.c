/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Mobility Anchor and Access Router of RFC 8885, as
 * docs/dmm-protocol.md runs it.
 *
 * Files: this one (life cycle, attach/detach, PBU sending, timers, idle
 * release, receive dispatch, heartbeat events), maar_pba.c (the CMD's
 * PBAs: this MAAR as S-MAAR), maar_anchor.c (the prefixes anchored here:
 * PBUs from the CMD, intents, PBAs back), maar_int.h (shared internals).
 *
 * Two tables. The binding update list holds one serving entry per MN
 * attached here (lmaa = the CMD); next to it, struct maar_sx lists the
 * prefixes the MN gets here (its own prefix first, then the old ones with
 * the MAAR anchoring each, mirrored in the entry's hnp and anchors
 * fields). The binding cache holds one entry per prefix anchored here;
 * its pcoa is the MN's S-MAAR (our own address while the MN is here) and
 * struct maar_ax says what its intents do: deliver on the access link,
 * tunnel to the S-MAAR, or buffer while the MN is between MAARs.
 *
 * THE TIMERS (all of them; a timer names its object by handle, a stale
 * handle is ignored):
 *
 *   PBU_RETX(serving)    as in the MAG (mag.c): armed whenever a PBU to
 *                        the CMD awaits its PBA; first timeout
 *                        initial_bindack_timeout_first_reg for a first
 *                        registration, else initial_bindack_timeout,
 *                        doubling to max_bindack_timeout, at most
 *                        max_retransmissions retries with fresh sequence
 *                        numbers and timestamps. Then: a registration
 *                        never granted is refused (DMM_MN_REFUSED, status
 *                        DMM_MN_STATUS_NO_ANSWER) and a freshly allocated
 *                        prefix goes back to the pool; a granted one waits
 *                        for BUL_EXPIRE. A de-registration is not retried.
 *   BUL_REFRESH(serving) at registered + lifetime * (100 - refresh_margin_pct)%:
 *                        a refreshing PBU (HI 5, the own prefix).
 *   BUL_EXPIRE(serving)  at registered + lifetime: the registration lapsed;
 *                        the MN loses its prefixes, tunnels go, an own
 *                        prefix anchored here goes back to the pool.
 *   GRACE(serving)       at detach + detach_grace while the MN is away and
 *                        no PBU from the CMD named its next S-MAAR: the
 *                        MAAR de-registers the MN (PBU lifetime 0, HNP =
 *                        the own prefix) and releases its local prefix.
 *   IDLE(MAAR)           every idle_check while some MN attached here has
 *                        an old prefix tunnelled from another MAAR and
 *                        idle_release is set: the GAP2-1 check below.
 *   HEARTBEAT(peer)      core/role/peer.c (RFC 5847), with the CMD while
 *                        at least one MN is registered through it.
 *
 * Anchored entries have no expiry timer: RFC 8885 §3.5's first solution
 * (docs/dmm-protocol.md §4): once the CMD named a serving MAAR for the
 * prefix, only the CMD (lifetime 0) or our own de-registration ends it;
 * while the MN is here its lifetime is the serving entry's.
 *
 * GAP2-1, the idle rule. A counter that never moves proves nothing when
 * the data plane keeps no counters (dmm_fm_report is never called, or
 * reports zeros). So the MAAR trusts counters only once the data plane
 * has shown a packet count above zero on any of its intents (dp_counts,
 * sticky for the instance's life); before that, nothing is released. A
 * tunnelled old prefix is idle when none of its intents became active
 * (last_active, moved by dmm_fm_report when packets grow; the creation
 * time before that) within idle_release. A prefix whose intents counted
 * packets within idle_release is never released. The rule is per MAAR,
 * not per intent, so that a prefix that carried no packet at all after
 * the move is released too, which is the point of GAP2-1.
 */
#include <stddef.h>
#include <string.h>

#include "dmm/err.h"
#include "maar_int.h"

/* base.h: the peer hooks and on_timer() get the base as the MAAR. */
_Static_assert(offsetof(struct dmm_maar, base) == 0, "the role base must be the first member");

/* --- small helpers --- */

static void str_cat(char *dst, size_t cap, size_t *i, const char *s)
{
	while (*s && *i + 1 < cap)
		dst[(*i)++] = *s++;
	dst[*i] = 0;
}

const char *maar_who(const struct dmm_mnid *id, const struct dmm_prefix *p, const char *via,
		     const struct dmm_addr *peer, struct maar_who *w)
{
	char ms[DMM_MNID_STRLEN], ps[DMM_PREFIX_STRLEN], as[DMM_ADDR_STRLEN];
	size_t i = 0;

	w->s[0] = 0;
	str_cat(w->s, sizeof(w->s), &i, "mn ");
	str_cat(w->s, sizeof(w->s), &i, id ? dmm_mnid_str(id, ms) : "-");
	str_cat(w->s, sizeof(w->s), &i, " prefix ");
	str_cat(w->s, sizeof(w->s), &i, p ? dmm_prefix_str(p, ps) : "-");
	if (peer) {
		str_cat(w->s, sizeof(w->s), &i, " ");
		str_cat(w->s, sizeof(w->s), &i, via);
		str_cat(w->s, sizeof(w->s), &i, " ");
		str_cat(w->s, sizeof(w->s), &i, dmm_addr_str(peer, as));
	}
	return w->s;
}

const char *maar_who_e(const struct dmm_maar *m, const struct dmm_bul_entry *e, struct maar_who *w)
{
	const struct maar_sx *x = &m->sx[e->handle.idx];
	const struct dmm_prefix *p = NULL;

	for (unsigned i = 0; i < x->nsp && !p; i++)
		if (x->sp[i].own)
			p = &x->sp[i].p;
	return maar_who(&e->mnid, p, "cmd", &e->lmaa, w);
}

void maar_set_state(struct dmm_maar *m, struct dmm_bul_entry *e, enum dmm_bul_state to, const char *reason)
{
	enum dmm_bul_state from = dmm_bul_set_state(m->bul, e, to);
	struct maar_who w;

	if (maar_log_on(m, DMM_LOG_INFO))
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "maar: %s: %s -> %s (%s)",
			 maar_who_e(m, e, &w), dmm_bul_state_name(from), dmm_bul_state_name(to), reason);
}

void maar_tx(struct dmm_maar *m, const struct dmm_addr *dst, const struct dmm_mh_msg *msg)
{
	dmm_role_base_send(&m->base, m->buf, sizeof(m->buf), "maar: ", &m->cfg.addr, dst, msg);
}

void maar_add_load(struct dmm_maar *m, struct dmm_mh_msg *msg)
{
	struct dmm_mh_opt *o = dmm_mh_add_opt(msg, DMM_OPT_LOAD);

	if (!o)
		return;
	/* RFC 6463 §4.3; docs/dmm-protocol.md §6: sessions are prefixes anchored here. */
	o->u.load.priority = m->cfg.priority;
	o->u.load.sessions_in_use = dmm_bcache_count(m->bc);
	o->u.load.max_sessions = m->max_anchored;
}

int maar_intent_add(struct dmm_maar *m, const struct dmm_intent *in, dmm_time_t now)
{
	int r = dmm_fm_add(m->base.fm, in, now);

	if (r < 0) {
		char ps[DMM_PREFIX_STRLEN];

		dmm_logf(m->base.env.log, DMM_LOG_ERR, DMM_LC_DP, "maar: prefix %s: intent %s/%s refused: %s",
			 dmm_prefix_str(&in->prefix, ps), dmm_fm_match_name(in->match),
			 dmm_fm_action_name(in->action), dmm_strerror(r));
	}
	return r;
}

/* --- the prefixes of a serving entry --- */

static uint32_t granted_s(const struct dmm_bul_entry *e)
{
	return (uint32_t)(e->lifetime / DMM_SECOND);
}

void maar_emit_registered(struct dmm_maar *m, const struct dmm_bul_entry *e,
			  const struct dmm_prefix *released, unsigned nreleased)
{
	const struct maar_sx *x = &m->sx[e->handle.idx];
	struct dmm_mn_event ev;
	uint32_t lt = granted_s(e), adv = lt;
	const struct maar_sp *own = NULL;

	if (!m->base.env.mn_event)
		return;
	/* What the RAs advertise: short, so a released prefix leaves the host (RFC 4862 §5.5.3 e). */
	if (m->cfg.prefix_valid_s && m->cfg.prefix_valid_s < adv)
		adv = m->cfg.prefix_valid_s;
	for (unsigned i = 0; i < x->nsp && !own; i++)
		if (x->sp[i].own)
			own = &x->sp[i];
	pmip_mn_event_init(&ev, DMM_MN_REGISTERED, 0, e, lt, own ? &own->anchor : &m->cfg.addr);
	/* RFC 8885 §3.3, §3.7: the own prefix preferred, the old ones deprecated. */
	if (own)
		pmip_mn_event_add(&ev, &own->p, adv, adv, &own->anchor);
	for (unsigned i = 0; i < x->nsp; i++)
		if (!x->sp[i].own)
			pmip_mn_event_add(&ev, &x->sp[i].p, adv, 0, &x->sp[i].anchor);
	for (unsigned i = 0; i < nreleased; i++)
		pmip_mn_event_add(&ev, &released[i], 0, 0, NULL); /* GAP2-1: once, valid 0 */
	m->base.env.mn_event(m->base.env.ctx, &ev);
}

void maar_emit(struct dmm_maar *m, uint8_t type, uint8_t status, const struct dmm_bul_entry *e)
{
	const struct maar_sx *x = &m->sx[e->handle.idx];
	struct dmm_mn_event ev;

	if (!m->base.env.mn_event)
		return;
	pmip_mn_event_init(&ev, type, status, e, 0, &m->cfg.addr);
	for (unsigned i = 0; i < x->nsp; i++)
		pmip_mn_event_add(&ev, &x->sp[i].p, 0, 0, &x->sp[i].anchor);
	m->base.env.mn_event(m->base.env.ctx, &ev);
}

struct maar_sp *maar_own(struct dmm_maar *m, const struct dmm_bul_entry *e)
{
	struct maar_sx *x = maar_sxof(m, e);

	for (unsigned i = 0; i < x->nsp; i++)
		if (x->sp[i].own)
			return &x->sp[i];
	return NULL;
}

int maar_sp_find(struct dmm_maar *m, const struct dmm_bul_entry *e, const struct dmm_prefix *p)
{
	struct maar_sx *x = maar_sxof(m, e);

	for (unsigned i = 0; i < x->nsp; i++)
		if (dmm_prefix_eq(&x->sp[i].p, p))
			return (int)i;
	return -1;
}

static void sp_tunnel_del(struct dmm_maar *m, struct maar_sp *sp)
{
	if (!sp->nid)
		return;
	for (unsigned k = 0; k < sp->nid; k++)
		dmm_fm_del(m->base.fm, sp->id[k]);
	sp->nid = 0;
	m->ctr.tunnels_down++;
	m->base.stats.tunnels_released++;
}

/*
 * docs/dmm-protocol.md §2.4: for a prefix Q anchored at A, on link L:
 * SRC Q on L -> tunnel to A; the tunnel from A carrying Q is accepted;
 * DST Q -> deliver on L.
 */
static void sp_tunnel_add(struct dmm_maar *m, const struct dmm_bul_entry *e, struct maar_sp *sp,
			  dmm_time_t now)
{
	struct dmm_intent in;
	static const uint8_t match[3] = {DMM_FM_SRC, DMM_FM_DST, DMM_FM_DST};
	static const uint8_t action[3] = {DMM_FM_ENCAP, DMM_FM_DECAP, DMM_FM_DELIVER};

	sp_tunnel_del(m, sp);
	for (unsigned k = 0; k < 3; k++) {
		int r;

		memset(&in, 0, sizeof(in));
		in.precedence = MAAR_INTENT_PRECEDENCE;
		in.prefix = sp->p;
		in.owner.idx = e->handle.idx | MAAR_OWNER_SERVING;
		in.owner.gen = e->handle.gen;
		in.match = match[k];
		in.action = action[k];
		if (action[k] == DMM_FM_DELIVER || match[k] == DMM_FM_SRC)
			in.link = e->ifindex;
		if (action[k] != DMM_FM_DELIVER) {
			in.local = m->cfg.addr;
			in.peer = sp->anchor;
		}
		r = maar_intent_add(m, &in, now);
		if (r > 0)
			sp->id[sp->nid++] = (uint32_t)r;
	}
	m->ctr.tunnels_up++;
	m->base.stats.tunnels_established++;
	maar_idle_arm(m, now);
}

int maar_sp_add(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_prefix *p,
		const struct dmm_addr *anchor, bool own, dmm_time_t now)
{
	struct maar_sx *x = maar_sxof(m, e);
	struct maar_sp *sp;
	int r;

	if (x->nsp >= DMM_BUL_MAX_HNP)
		return -1;
	r = dmm_bul_add_prefix(m->bul, e, p);
	if (r < 0 && r != DMM_ERR_EXISTS) {
		char ps[DMM_PREFIX_STRLEN];

		dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_BC, "maar: prefix %s not kept: %s",
			 dmm_prefix_str(p, ps), dmm_strerror(r));
		return -1;
	}
	sp = &x->sp[x->nsp];
	memset(sp, 0, sizeof(*sp));
	sp->p = *p;
	sp->anchor = *anchor;
	sp->own = own;
	sp->local = dmm_addr_eq(anchor, &m->cfg.addr);
	if (!own)
		(void)dmm_anchor_list_add(&e->anchors, anchor, p);
	if (!sp->local)
		sp_tunnel_add(m, e, sp, now);
	return x->nsp++;
}

void maar_sp_del(struct dmm_maar *m, struct dmm_bul_entry *e, unsigned i)
{
	struct maar_sx *x = maar_sxof(m, e);
	struct maar_sp *sp = &x->sp[i];

	sp_tunnel_del(m, sp);
	(void)dmm_bul_del_prefix(m->bul, e, &sp->p);
	if (!sp->own)
		(void)dmm_anchor_list_del(&e->anchors, &sp->anchor, &sp->p);
	for (unsigned k = i + 1; k < x->nsp; k++)
		x->sp[k - 1] = x->sp[k];
	x->nsp--;
}

/* --- PBUs to the CMD --- */

/*
 * The CMD refuses a Timestamp not above the last it accepted for the MN
 * (RFC 5213 §5.5, 157): two PBUs of one MN in the same clock tick (a
 * registration and a release) get strictly increasing values.
 */
static void stamp(struct dmm_maar *m, struct dmm_bul_entry *e, struct dmm_mh_msg *msg)
{
	struct maar_sx *x = maar_sxof(m, e);
	struct dmm_mh_opt *o = NULL;

	for (unsigned i = 0; i < msg->nopts && !o; i++)
		if (msg->opts[i].type == DMM_OPT_TIMESTAMP)
			o = &msg->opts[i];
	if (!o)
		return;
	if (e->timestamp <= x->last_ts)
		e->timestamp = x->last_ts + 1;
	x->last_ts = e->timestamp;
	o->u.timestamp.seconds = e->timestamp >> 16;
	o->u.timestamp.fraction = (uint16_t)e->timestamp;
}

static void send_pbu(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct maar_sx *x = maar_sxof(m, e);
	struct maar_sp *own = maar_own(m, e);
	struct dmm_mh_msg *msg = &m->tx;
	uint16_t lt =
		x->kind == MPBU_DEREG ? 0 : dmm_lifetime_units((uint32_t)(e->lifetime_req / DMM_SECOND));

	e->seq = m->seq++;
	/* docs/dmm-protocol.md §1.2, §6: HNP = the own prefix, or ::/0 to ask for an anchor. */
	pmip_pbu_build(msg, e, e->seq, DMM_BU_A | DMM_BU_P | DMM_BU_D, lt, own ? &own->p : NULL, own ? 1 : 0,
		       m->cfg.timestamp_based, m->base.env.wall_offset, now);
	stamp(m, e, msg);
	maar_add_load(m, msg);
	e->sent = now;
	maar_tx(m, &e->lmaa, msg);
}

void maar_start_attempt(struct dmm_maar *m, struct dmm_bul_entry *e, uint8_t kind, uint8_t hi, dmm_time_t now)
{
	struct maar_sx *x = maar_sxof(m, e);

	x->kind = kind;
	x->outstanding = true;
	x->seq_first = m->seq;
	e->hi = hi;
	e->retx = 0;
	e->backoff =
		pmip_backoff_first(x->first_reg && kind == MPBU_REG, m->cfg.initial_bindack_timeout_first_reg,
				   m->cfg.initial_bindack_timeout);
	send_pbu(m, e, now);
	dmm_timers_set(m->base.timers, DMM_TIMER_PBU_RETX, e->handle, now + e->backoff);
}

void maar_retry_now(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct maar_sx *x = maar_sxof(m, e);

	x->seq_first = m->seq;
	send_pbu(m, e, now);
	dmm_timers_set(m->base.timers, DMM_TIMER_PBU_RETX, e->handle, now + e->backoff);
}

void maar_send_release(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_prefix *p, unsigned n,
		       dmm_time_t now)
{
	struct maar_sx *x = maar_sxof(m, e);
	struct dmm_mh_msg *msg = &m->tx;

	/* docs/dmm-protocol.md §5 step 3: flags A P D, lifetime 0, one HNP per released prefix. */
	x->rel_seq = m->seq++;
	pmip_pbu_build(msg, e, x->rel_seq, DMM_BU_A | DMM_BU_P | DMM_BU_D, 0, p, n, m->cfg.timestamp_based,
		       m->base.env.wall_offset, now);
	stamp(m, e, msg);
	maar_add_load(m, msg);
	maar_tx(m, &e->lmaa, msg);
}

/* --- serving entries --- */

static void timers_cancel_all(struct dmm_maar *m, const struct dmm_bul_entry *e)
{
	dmm_timers_cancel(m->base.timers, DMM_TIMER_PBU_RETX, e->handle);
	dmm_timers_cancel(m->base.timers, DMM_TIMER_BUL_REFRESH, e->handle);
	dmm_timers_cancel(m->base.timers, DMM_TIMER_BUL_EXPIRE, e->handle);
	dmm_timers_cancel(m->base.timers, MAAR_TIMER_GRACE, e->handle);
}

static void peer_unref(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct maar_sx *x = maar_sxof(m, e);
	struct dmm_peer *p;

	if (!x->peer_ref)
		return;
	p = dmm_peers_get(m->base.peers, &e->lmaa, false);
	if (p)
		dmm_peers_ref(m->base.peers, p, -1, now);
	x->peer_ref = false;
}

void maar_serving_release(struct dmm_maar *m, struct dmm_bul_entry *e, bool drop_local, dmm_time_t now,
			  const char *reason)
{
	struct maar_sx *x = maar_sxof(m, e);

	if (e->state != DMM_BUL_IDLE)
		maar_set_state(m, e, DMM_BUL_IDLE,
			       reason); /* logged while the entry still names its prefix */
	while (x->nsp) {
		struct maar_sp *sp = &x->sp[x->nsp - 1];

		if (sp->local && drop_local) {
			struct dmm_bcache_entry *a = dmm_bcache_find_prefix(m->bc, &sp->p);

			/* Not while it is tunnelled to the MN's next S-MAAR: that one serves it now. */
			if (a && dmm_mnid_eq(&a->mnid, &e->mnid) && maar_axof(m, a)->mode != AM_TUNNEL)
				maar_anchor_release(m, a, now, reason);
		}
		maar_sp_del(m, e, x->nsp - 1u);
	}
	timers_cancel_all(m, e);
	peer_unref(m, e, now);
	memset(x, 0, sizeof(*x));
	dmm_bul_del(m->bul, e);
}

/* --- attach / detach --- */

static int attach_new(struct dmm_maar *m, const struct dmm_mnid *mnid, struct dmm_bul_entry **out,
		      dmm_time_t now)
{
	char ms[DMM_MNID_STRLEN];
	struct dmm_bul_entry *e;
	struct dmm_bcache_entry *a;
	struct maar_sx *x;

	/* RFC 5213 §6.2: the MN's policy profile decides whether it may attach. */
	if (m->cfg.policy) {
		const struct dmm_policy_profile *pr = dmm_policy_lookup(m->cfg.policy, mnid);

		if (!pr || !pr->may_register) {
			if (maar_log_on(m, DMM_LOG_WARN))
				dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
					 "maar: mn %s: attach refused by policy", dmm_mnid_str(mnid, ms));
			return DMM_ERR_INVAL;
		}
	}
	e = dmm_bul_add(m->bul, mnid, NULL);
	if (!e) {
		if (maar_log_on(m, DMM_LOG_WARN))
			dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
				 "maar: mn %s: attach refused: serving table full", dmm_mnid_str(mnid, ms));
		return DMM_ERR_NOMEM;
	}
	x = maar_sxof(m, e);
	memset(x, 0, sizeof(*x));
	x->first_reg = true;
	e->lmaa = m->cfg.cmd;
	e->pcoa = m->cfg.addr;
	/*
	 * docs/dmm-protocol.md §2.1: a prefix this MAAR anchors for the MN
	 * already (it comes back) is used again; else a new one from the
	 * pool; else (pool full, anchoring off) the CMD chooses (§6).
	 */
	a = maar_anchor_of_mn(m, mnid);
	if (a) {
		maar_sp_add(m, e, &a->hnp[0], &m->cfg.addr, true, now);
	} else {
		struct dmm_prefix p;
		bool room = m->cfg.anchor_locally && dmm_bcache_count(m->bc) < m->max_anchored;

		if (room && dmm_pool_alloc(m->pool, &p) == 0) {
			a = maar_anchor_new(m, mnid, &p, &m->cfg.addr, false, now);
			if (!a) {
				(void)dmm_pool_release(m->pool, &p);
			} else {
				m->ctr.local_anchors++;
				x->own_fresh = true;
				maar_sp_add(m, e, &p, &m->cfg.addr, true, now);
			}
		} else if (m->cfg.anchor_locally) {
			m->base.stats.pool_exhausted++;
		}
		if (!a) {
			x->asked = true;
			m->ctr.remote_anchor_asks++;
		}
	}
	*out = e;
	return 0;
}

int dmm_maar_attach(struct dmm_maar *m, const struct dmm_mnid *mnid, uint32_t link, const uint8_t *ll,
		    uint8_t ll_len, uint8_t att, dmm_time_t now)
{
	struct dmm_bul_entry *e;
	struct maar_sx *x;
	bool again;
	int r;

	if (!m || !mnid || mnid->len == 0 || ll_len > DMM_LLID_MAX || (ll_len && !ll))
		return DMM_ERR_INVAL;
	e = dmm_bul_find_mnid(m->bul, mnid);
	if (e && e->state == DMM_BUL_DEREG_WAIT) {
		/* Back after the de-registration went out: start afresh. */
		maar_serving_release(m, e, true, now, "MN attached during de-registration");
		e = NULL;
	}
	if (e && !maar_sxof(m, e)->detached && e->ifindex == link &&
	    (e->state == DMM_BUL_WAIT_PBA || e->state == DMM_BUL_REGISTERED)) {
		/* A repeated attach (another RS): nothing to signal. */
		if (e->state == DMM_BUL_REGISTERED)
			maar_emit_registered(m, e, NULL, 0);
		return 0;
	}
	again = e != NULL;
	if (!e) {
		r = attach_new(m, mnid, &e, now);
		if (r < 0)
			return r;
	} else {
		/*
		 * The MN came back within detach_grace, or moved to another
		 * link of this MAAR: old tunnels are rebuilt from the PBA.
		 */
		struct maar_sx *xx = maar_sxof(m, e);

		for (unsigned i = xx->nsp; i-- > 0;)
			if (!xx->sp[i].own)
				maar_sp_del(m, e, i);
		dmm_timers_cancel(m->base.timers, MAAR_TIMER_GRACE, e->handle);
		dmm_timers_cancel(m->base.timers, DMM_TIMER_BUL_REFRESH, e->handle);
		xx->detached = false;
	}
	x = maar_sxof(m, e);
	e->ifindex = link;
	e->llid.len = ll_len;
	if (ll_len)
		memcpy(e->llid.b, ll, ll_len);
	e->att = att ? att : DMM_ATT_8023;
	e->lifetime_req = (dmm_time_t)m->cfg.lifetime_s * DMM_SECOND;
	e->attached = now; /* rule 8: handover timing starts here */
	x->ts_resynced = x->seq_resynced = false;
	/* A local own prefix's intents follow the MN to this link when the PBA comes (maar_pba.c). */
	maar_set_state(m, e, DMM_BUL_WAIT_PBA, again ? "MN attached again" : "MN attached");
	maar_start_attempt(m, e, MPBU_REG, again ? DMM_HI_NO_CHANGE : DMM_HI_NEW_IF, now);
	return 0;
}

int dmm_maar_detach(struct dmm_maar *m, const struct dmm_mnid *mnid, dmm_time_t now)
{
	struct dmm_bul_entry *e;
	struct maar_sx *x;
	struct maar_who w;

	if (!m || !mnid || mnid->len == 0)
		return DMM_ERR_INVAL;
	e = dmm_bul_find_mnid(m->bul, mnid);
	if (!e)
		return DMM_ERR_NOTFOUND;
	x = maar_sxof(m, e);
	if (x->detached || e->state == DMM_BUL_DEREG_WAIT || e->state == DMM_BUL_IDLE)
		return 0;
	maar_emit(m, DMM_MN_DEREGISTERED, 0, e);
	if (x->first_reg) {
		/* Never registered: nothing at the CMD to keep; a fresh prefix goes back. */
		maar_serving_release(m, e, x->own_fresh, now, "MN detached before registration");
		return 0;
	}
	/*
	 * docs/dmm-protocol.md §2.5: tunnels of prefixes anchored elsewhere
	 * go; prefixes anchored here wait (BUFFER) for the CMD to name the
	 * next S-MAAR, at most detach_grace.
	 */
	for (unsigned i = x->nsp; i-- > 0;) {
		struct maar_sp *sp = &x->sp[i];

		if (sp->local) {
			struct dmm_bcache_entry *a = dmm_bcache_find_prefix(m->bc, &sp->p);

			if (a && dmm_mnid_eq(&a->mnid, &e->mnid) && maar_axof(m, a)->mode == AM_DELIVER)
				maar_anchor_set(m, a, AM_BUFFER, 0, NULL, now, "MN detached");
		}
		if (sp->own)
			sp_tunnel_del(m, sp);
		else
			maar_sp_del(m, e, i);
	}
	x->outstanding = false;
	x->kind = MPBU_NONE;
	dmm_timers_cancel(m->base.timers, DMM_TIMER_PBU_RETX, e->handle);
	dmm_timers_cancel(m->base.timers, DMM_TIMER_BUL_REFRESH, e->handle);
	x->detached = true;
	dmm_timers_set(m->base.timers, MAAR_TIMER_GRACE, e->handle, now + m->cfg.detach_grace);
	if (maar_log_on(m, DMM_LOG_INFO))
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
			 "maar: %s: detached, waiting up to %llu ms for the next S-MAAR",
			 maar_who_e(m, e, &w), (unsigned long long)(m->cfg.detach_grace / DMM_MSEC));
	return 0;
}

/* --- idle release (GAP2-1, docs/dmm-protocol.md §5) --- */

void maar_idle_arm(struct dmm_maar *m, dmm_time_t now)
{
	struct dmm_handle h = {0, 1};

	if (!m->cfg.idle_release || !m->cfg.idle_check)
		return;
	if (dmm_timers_get(m->base.timers, MAAR_TIMER_IDLE, h) == DMM_TIME_NEVER)
		dmm_timers_set(m->base.timers, MAAR_TIMER_IDLE, h, now + m->cfg.idle_check);
}

static bool dp_counts(struct dmm_maar *m)
{
	if (!m->dp_counts)
		for (const struct dmm_intent *in = dmm_fm_next(m->base.fm, NULL); in && !m->dp_counts;
		     in = dmm_fm_next(m->base.fm, in))
			m->dp_counts = in->packets > 0;
	return m->dp_counts;
}

/*
 * Release the n old prefixes of e at indexes idx (descending): advertise
 * them once with valid 0, remove their intents, tell the CMD in one PBU.
 */
static void release_old(struct dmm_maar *m, struct dmm_bul_entry *e, const unsigned *idx, unsigned n,
			dmm_time_t now)
{
	struct maar_sx *x = maar_sxof(m, e);
	struct dmm_prefix p[DMM_BUL_MAX_HNP];
	struct maar_who w;

	for (unsigned k = 0; k < n; k++) {
		struct dmm_addr anchor = x->sp[idx[k]].anchor;

		p[k] = x->sp[idx[k]].p;
		maar_sp_del(m, e, idx[k]);
		if (x->nrel == MAAR_MAX_RELEASED) {
			memmove(&x->rel[0], &x->rel[1], sizeof(x->rel[0]) * (MAAR_MAX_RELEASED - 1));
			x->nrel--;
		}
		x->rel[x->nrel++] = p[k];
		m->ctr.prefixes_released++;
		if (maar_log_on(m, DMM_LOG_INFO))
			dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
				 "maar: %s: idle for %llu s: released",
				 maar_who(&e->mnid, &p[k], "anchor", &anchor, &w),
				 (unsigned long long)(m->cfg.idle_release / DMM_SECOND));
	}
	maar_emit_registered(m, e, p, n);
	x->rel_retried = false;
	maar_send_release(m, e, p, n, now);
}

static void on_idle(struct dmm_maar *m, dmm_time_t now)
{
	bool any = false, counts = dp_counts(m);

	for (struct dmm_bul_entry *e = dmm_bul_next(m->bul, NULL); e; e = dmm_bul_next(m->bul, e)) {
		struct maar_sx *x = maar_sxof(m, e);

		if (x->detached || e->state != DMM_BUL_REGISTERED)
			continue;
		unsigned idx[DMM_BUL_MAX_HNP], n = 0;

		for (unsigned i = x->nsp; i-- > 0;) {
			struct maar_sp *sp = &x->sp[i];
			dmm_time_t last = 0;

			if (sp->own || sp->local || sp->nid == 0)
				continue;
			for (unsigned k = 0; k < sp->nid; k++) {
				const struct dmm_intent *in = dmm_fm_get(m->base.fm, sp->id[k]);

				if (in && in->last_active > last)
					last = in->last_active;
			}
			if (counts && now >= last && now - last >= m->cfg.idle_release)
				idx[n++] = i;
			else
				any = true;
		}
		if (n)
			release_old(m, e, idx, n, now);
	}
	if (any)
		maar_idle_arm(m, now);
}

/* --- receive --- */

static bool rl_allow(struct dmm_maar *m, dmm_time_t now)
{
	if (now - m->rl_start >= DMM_SECOND || now < m->rl_start) {
		m->rl_start = now;
		m->rl_count = 0;
	}
	return m->rl_count++ < MAAR_RL_PER_SECOND;
}

void dmm_maar_recv(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_addr *dst,
		   const uint8_t *buf, size_t len, dmm_time_t now)
{
	char as[DMM_ADDR_STRLEN];
	int n;

	/* Rule 5: decode and validate the whole message before any state changes. */
	n = dmm_mh_decode(&m->rx, buf, len);
	if (n == DMM_ERR_UNKNOWN_TYPE) {
		struct dmm_mh_msg *be = &m->tx;

		m->base.stats.rx_unknown_type++;
		if (rl_allow(m, now))
			dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_MH,
				 "maar: unknown MH type %u from %s: BE 2", len > 2 ? buf[2] : 0,
				 dmm_addr_str(src, as));
		/* RFC 6275 §9.2 */
		dmm_mh_init(be, DMM_MH_BE);
		be->u.be.status = DMM_BE_UNKNOWN_MH_TYPE;
		maar_tx(m, src, be);
		return;
	}
	if (n < 0) {
		if (-n < DMM_STATS_MAX_ERR)
			m->base.stats.rx_malformed[-n]++;
		if (rl_allow(m, now))
			dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_MH, "maar: malformed MH from %s: %s",
				 dmm_addr_str(src, as), dmm_strerror(n));
		return;
	}
	m->base.stats.rx_by_type[m->rx.type & 31]++;
	switch (m->rx.type) {
	case DMM_MH_BU:
		maar_recv_pbu(m, src, dst, now);
		break;
	case DMM_MH_BA:
		maar_recv_pba(m, src, &m->rx, now);
		break;
	case DMM_MH_HB:
	case DMM_MH_BE:
		dmm_peers_recv(m->base.peers, src, &m->rx, now);
		break;
	default:
		m->base.stats.rx_unexpected++;
		dmm_logf(m->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH, "maar: MH type %u from %s not handled",
			 m->rx.type, dmm_addr_str(src, as));
		break;
	}
}

/* --- timers --- */

static void on_retx(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct maar_sx *x = maar_sxof(m, e);
	struct maar_who w;

	if (!x->outstanding)
		return;
	if (x->kind == MPBU_DEREG) {
		maar_serving_release(m, e, true, now, "no PBA for the de-registration");
		return;
	}
	if (e->retx < m->cfg.max_retransmissions) {
		e->retx++;
		m->base.stats.pbu_retransmissions++;
		e->backoff = pmip_backoff_next(e->backoff, m->cfg.max_bindack_timeout);
		send_pbu(m, e, now);
		dmm_timers_set(m->base.timers, DMM_TIMER_PBU_RETX, e->handle, now + e->backoff);
		return;
	}
	m->base.stats.pbu_give_ups++;
	x->outstanding = false;
	x->kind = MPBU_NONE;
	if (maar_log_on(m, DMM_LOG_WARN))
		dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
			 "maar: %s: no PBA after %u retransmissions", maar_who_e(m, e, &w), e->retx);
	if (e->state == DMM_BUL_REGISTERED)
		return; /* the granted registration stands until BUL_EXPIRE */
	maar_refuse(m, e, DMM_MN_STATUS_NO_ANSWER, now, "no PBA");
}

static void on_refresh(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct maar_sx *x = maar_sxof(m, e);

	if (e->state != DMM_BUL_REGISTERED || x->outstanding || x->detached)
		return;
	e->lifetime_req = (dmm_time_t)m->cfg.lifetime_s * DMM_SECOND;
	maar_start_attempt(m, e, MPBU_REFRESH, DMM_HI_NO_CHANGE, now);
}

static void on_expire(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	if (e->state != DMM_BUL_REGISTERED)
		return;
	maar_emit(m, DMM_MN_DEREGISTERED, 0, e);
	maar_serving_release(m, e, true, now, "lifetime expired");
}

/* docs/dmm-protocol.md §2.5: no S-MAAR named within detach_grace: de-register the MN. */
static void on_grace(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct maar_sx *x = maar_sxof(m, e);

	if (!x->detached || e->state != DMM_BUL_REGISTERED)
		return;
	dmm_timers_cancel(m->base.timers, DMM_TIMER_BUL_EXPIRE, e->handle);
	m->base.stats.deregistrations++;
	maar_set_state(m, e, DMM_BUL_DEREG_WAIT, "no next S-MAAR within detach grace");
	/* §4: only the S-MAAR de-registers: lifetime 0, HNP = its own prefix; one timeout, no retry. */
	maar_start_attempt(m, e, MPBU_DEREG, DMM_HI_UNKNOWN, now);
	for (unsigned i = x->nsp; i-- > 0;) {
		struct maar_sp *sp = &x->sp[i];

		if (sp->local) {
			struct dmm_bcache_entry *a = dmm_bcache_find_prefix(m->bc, &sp->p);

			if (a && dmm_mnid_eq(&a->mnid, &e->mnid) && maar_axof(m, a)->mode != AM_TUNNEL)
				maar_anchor_release(m, a, now, "MN de-registered");
		}
	}
}

/* The idle check, or a timer of a serving entry (heartbeats are run by base.c). */
static void on_timer(struct dmm_role_base *b, unsigned kind, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_maar *m = (struct dmm_maar *)b;
	struct dmm_bul_entry *e;

	if (kind == MAAR_TIMER_IDLE) {
		on_idle(m, now);
		return;
	}
	e = dmm_bul_get(m->bul, h);
	if (!e)
		return; /* stale: the entry went */
	switch (kind) {
	case DMM_TIMER_PBU_RETX:
		on_retx(m, e, now);
		break;
	case DMM_TIMER_BUL_REFRESH:
		on_refresh(m, e, now);
		break;
	case DMM_TIMER_BUL_EXPIRE:
		on_expire(m, e, now);
		break;
	case MAAR_TIMER_GRACE:
		on_grace(m, e, now);
		break;
	default:
		break;
	}
}

void dmm_maar_expire(struct dmm_maar *m, dmm_time_t now)
{
	dmm_role_base_expire(&m->base, now, on_timer);
}

dmm_time_t dmm_maar_next_deadline(const struct dmm_maar *m)
{
	return dmm_role_base_next_deadline(&m->base);
}

/* --- heartbeat events (RFC 5847) --- */

static void peer_down(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_maar *m = ctx;
	char as[DMM_ADDR_STRLEN];

	(void)now;
	/* §5.2: registrations stand; they refresh (and retry) when the CMD answers again. */
	dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_FSM, "maar: peer %s down", dmm_addr_str(&p->addr, as));
}

static void peer_up(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_maar *m = ctx;
	char as[DMM_ADDR_STRLEN];

	(void)now;
	dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "maar: peer %s up again",
		 dmm_addr_str(&p->addr, as));
}

/* §5.3: the CMD lost its state: register every MN attached here again, at once. */
static void peer_restarted(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_maar *m = ctx;
	char as[DMM_ADDR_STRLEN];
	unsigned n = 0;

	if (!dmm_addr_eq(&p->addr, &m->cfg.cmd))
		return;
	for (struct dmm_bul_entry *e = dmm_bul_next(m->bul, NULL); e; e = dmm_bul_next(m->bul, e)) {
		struct maar_sx *x = maar_sxof(m, e);

		if (x->detached || (e->state != DMM_BUL_REGISTERED && e->state != DMM_BUL_WAIT_PBA))
			continue;
		maar_start_attempt(m, e, MPBU_REG, DMM_HI_NO_CHANGE, now);
		n++;
	}
	dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_FSM, "maar: CMD %s restarted: %u MNs registered again",
		 dmm_addr_str(&p->addr, as), n);
}

/* --- life cycle --- */

void dmm_maar_cfg_defaults(struct dmm_maar_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->hnp_len = 64;
	cfg->anchor_locally = true;
	cfg->max_mns = 1024;
	cfg->max_anchored = 0; /* the pool's size */
	cfg->lifetime_s = 600;
	cfg->initial_bindack_timeout = 1 * DMM_SECOND;		  /* RFC 6275 §13 */
	cfg->initial_bindack_timeout_first_reg = 1500 * DMM_MSEC; /* RFC 5213 §6.9.4 */
	cfg->max_bindack_timeout = 32 * DMM_SECOND;
	cfg->max_retransmissions = 5;
	cfg->refresh_margin_pct = 20;
	cfg->prefix_valid_s = 0; /* the binding lifetime; dmmd sets a short one for real hosts */
	cfg->idle_release = 0;	 /* GAP2-1 release off unless configured */
	cfg->idle_check = 1 * DMM_SECOND;
	cfg->detach_grace = 10 * DMM_SECOND;
	cfg->timestamp_based = true;
	cfg->heartbeat_interval = 60 * DMM_SECOND; /* RFC 5847 §5 */
	cfg->missing_heartbeats_allowed = 3;
	cfg->restart_counter = 1;
}

static bool cfg_ok(const struct dmm_maar_cfg *c)
{
	return c && c->max_mns > 0 && c->max_mns <= (1u << 22) && c->npool <= 4 && c->hnp_len >= 1 &&
	       c->hnp_len <= 128 && c->lifetime_s > 0 && c->lifetime_s <= 0xffffu * 4u &&
	       c->initial_bindack_timeout > 0 && c->max_bindack_timeout >= c->initial_bindack_timeout &&
	       c->max_bindack_timeout >= c->initial_bindack_timeout_first_reg &&
	       c->refresh_margin_pct < 100 && (c->idle_release == 0 || c->idle_check > 0) &&
	       !dmm_addr_is_zero(&c->addr) && !dmm_addr_is_zero(&c->cmd);
}

/* Prefixes in the configured ranges (each capped as the pool caps it). */
static uint32_t pool_capacity(const struct dmm_maar_cfg *c)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < c->npool; i++) {
		unsigned bits = c->pool[i].len >= c->hnp_len ? 0 : c->hnp_len - c->pool[i].len;

		n += bits > DMM_POOL_MAX_RANGE_BITS ? 1u << DMM_POOL_MAX_RANGE_BITS : 1u << bits;
	}
	return n == 0 ? 1 : n > (1u << 24) ? 1u << 24 : (uint32_t)n;
}

static struct dmm_peer_cfg peer_cfg(const struct dmm_maar_cfg *c)
{
	return dmm_role_peer_cfg(&c->addr, c->heartbeat_interval, c->missing_heartbeats_allowed,
				 c->restart_counter);
}

struct dmm_maar *dmm_maar_new(const struct dmm_env *env, const struct dmm_maar_cfg *cfg, dmm_time_t now)
{
	const struct dmm_alloc *a;
	struct dmm_maar *m;
	struct dmm_peer_cfg pc;
	struct dmm_peer_ops po = {NULL, peer_down, peer_restarted, peer_up, NULL};
	struct dmm_role_caps caps;
	uint32_t cap;

	if (!env || !env->alloc || !env->send || !env->fm.install || !env->fm.remove || !cfg_ok(cfg))
		return NULL;
	a = env->alloc;
	m = a->zalloc(a->ctx, sizeof(*m));
	if (!m)
		return NULL;
	m->cfg = *cfg;
	cap = pool_capacity(cfg);
	m->pool = dmm_pool_new(a, cap, cfg->hnp_len);
	if (!m->pool)
		goto err_pool;
	for (unsigned i = 0; i < cfg->npool; i++)
		if (dmm_pool_add_range(m->pool, &cfg->pool[i]) != 0)
			goto err_range;
	m->max_anchored = dmm_pool_size(m->pool);
	if (cfg->max_anchored && cfg->max_anchored < m->max_anchored)
		m->max_anchored = cfg->max_anchored;
	if (m->max_anchored > (1u << 22))
		m->max_anchored = 1u << 22;
	m->bul = dmm_bul_new(a, cfg->max_mns, cfg->max_mns * 4, env->seed ^ 0x6d616172);
	if (!m->bul)
		goto err_range;
	m->sx = a->zalloc(a->ctx, sizeof(*m->sx) * cfg->max_mns);
	if (!m->sx)
		goto err_sx;
	cap = m->max_anchored ? m->max_anchored : 1;
	m->bc = dmm_bcache_new(a, cap, cap, env->seed ^ 0x616e63686f72);
	if (!m->bc)
		goto err_bc;
	m->ax = a->zalloc(a->ctx, sizeof(*m->ax) * cap);
	if (!m->ax)
		goto err_ax;
	caps.timers = cfg->max_mns * 4 + 64 + 8;
	caps.peers = 64;
	/* Three intents per old prefix, three old prefixes per MN on average; two per anchored prefix. */
	caps.intents = cfg->max_mns * 9 + cap * 2 + 16;
	pc = peer_cfg(cfg);
	if (dmm_role_base_init(&m->base, env, &caps, &pc, &po) != 0)
		goto err_base;
	m->seq = (uint16_t)dmm_hash_u64(env->seed ^ 0x6d61617200000000ull);
	m->rl_start = now;
	/* RFC 5847 §5.3: after our own restart, tell the CMD at once. */
	if (cfg->restart_counter > 1 && cfg->heartbeat_interval) {
		struct dmm_peer *p = dmm_peers_get(m->base.peers, &cfg->cmd, true);

		if (p)
			dmm_peers_announce(m->base.peers, p);
	}
	return m;

err_base:
	a->free(a->ctx, m->ax);
err_ax:
	dmm_bcache_free(m->bc);
err_bc:
	a->free(a->ctx, m->sx);
err_sx:
	dmm_bul_free(m->bul);
err_range:
	dmm_pool_free(m->pool);
err_pool:
	a->free(a->ctx, m);
	return NULL;
}

void dmm_maar_free(struct dmm_maar *m)
{
	const struct dmm_alloc *a;

	if (!m)
		return;
	a = m->base.env.alloc;
	dmm_role_base_fini(&m->base); /* removes every intent through the data plane */
	a->free(a->ctx, m->ax);
	dmm_bcache_free(m->bc);
	a->free(a->ctx, m->sx);
	dmm_bul_free(m->bul);
	dmm_pool_free(m->pool);
	a->free(a->ctx, m);
}

int dmm_maar_reconfigure(struct dmm_maar *m, const struct dmm_maar_cfg *cfg, dmm_time_t now)
{
	struct dmm_peer_cfg pc;

	(void)now;
	/* Capacities, the pool and the addresses are fixed for the instance's life. */
	if (!cfg_ok(cfg) || cfg->max_mns != m->cfg.max_mns || cfg->max_anchored != m->cfg.max_anchored ||
	    cfg->npool != m->cfg.npool || cfg->hnp_len != m->cfg.hnp_len ||
	    !dmm_addr_eq(&cfg->addr, &m->cfg.addr) || !dmm_addr_eq(&cfg->cmd, &m->cfg.cmd))
		return DMM_ERR_INVAL;
	for (unsigned i = 0; i < cfg->npool; i++)
		if (!dmm_prefix_eq(&cfg->pool[i], &m->cfg.pool[i]))
			return DMM_ERR_INVAL;
	m->cfg = *cfg;
	pc = peer_cfg(cfg);
	dmm_peers_reconfigure(m->base.peers, &pc);
	return 0;
}

const struct dmm_bul *dmm_maar_serving(const struct dmm_maar *m)
{
	return m->bul;
}

const struct dmm_bcache *dmm_maar_anchored(const struct dmm_maar *m)
{
	return m->bc;
}

struct dmm_peers *dmm_maar_peers(struct dmm_maar *m)
{
	return m->base.peers;
}

const struct dmm_fm *dmm_maar_fm(const struct dmm_maar *m)
{
	return m->base.fm;
}

struct dmm_fm *dmm_maar_fm_mut(struct dmm_maar *m)
{
	return m->base.fm;
}

const struct dmm_pmip_stats *dmm_maar_stats(const struct dmm_maar *m)
{
	return &m->base.stats;
}

const struct dmm_pool *dmm_maar_pool(const struct dmm_maar *m)
{
	return m->pool;
}

const struct dmm_maar_counters *dmm_maar_counters(const struct dmm_maar *m)
{
	return &m->ctr;
}

/* --- ops table --- */

static void *ops_create(const struct dmm_env *env, const void *cfg, dmm_time_t now)
{
	return dmm_maar_new(env, cfg, now);
}

static void ops_destroy(void *inst)
{
	dmm_maar_free(inst);
}

static int ops_reconfigure(void *inst, const void *cfg, dmm_time_t now)
{
	return dmm_maar_reconfigure(inst, cfg, now);
}

static void ops_recv(void *inst, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		     size_t len, dmm_time_t now)
{
	dmm_maar_recv(inst, src, dst, buf, len, now);
}

static void ops_expire(void *inst, dmm_time_t now)
{
	dmm_maar_expire(inst, now);
}

static dmm_time_t ops_next_deadline(const void *inst)
{
	return dmm_maar_next_deadline(inst);
}

static int ops_attach(void *inst, const struct dmm_mnid *mnid, uint32_t link, const uint8_t *ll,
		      uint8_t ll_len, uint8_t att, dmm_time_t now)
{
	return dmm_maar_attach(inst, mnid, link, ll, ll_len, att, now);
}

static int ops_detach(void *inst, const struct dmm_mnid *mnid, dmm_time_t now)
{
	return dmm_maar_detach(inst, mnid, now);
}

static size_t ops_tables(const void *inst, struct dmm_role_table *out, size_t max)
{
	/* RFC 8885: MNs served here, then prefixes anchored here (peer = the MN's S-MAAR). */
	if (max < 2)
		return 0;
	out[0] = (struct dmm_role_table){.kind = "serving", .bul = dmm_maar_serving(inst)};
	out[1] = (struct dmm_role_table){.kind = "anchored", .bcache = dmm_maar_anchored(inst)};
	return 2;
}

static size_t ops_counters(const void *inst, struct dmm_role_counter *out, size_t max)
{
	const struct dmm_maar_counters *m = dmm_maar_counters(inst);
	const struct dmm_role_counter all[] = {
		{"local-anchors", m->local_anchors},
		{"remote-anchor-asks", m->remote_anchor_asks},
		{"prefixes-released", m->prefixes_released},
		{"anchors-released", m->anchors_released},
		{"tunnels-up", m->tunnels_up},
		{"tunnels-down", m->tunnels_down},
	};
	size_t n = sizeof(all) / sizeof(all[0]) < max ? sizeof(all) / sizeof(all[0]) : max;

	memcpy(out, all, n * sizeof(all[0]));
	return n;
}

const struct dmm_role_ops dmm_maar_ops = {
	.name = "maar",
	.create = ops_create,
	.destroy = ops_destroy,
	.reconfigure = ops_reconfigure,
	.recv = ops_recv,
	.expire = ops_expire,
	.next_deadline = ops_next_deadline,
	.attach = ops_attach,
	.detach = ops_detach,
	.tables = ops_tables,
	.counters = ops_counters,
};
