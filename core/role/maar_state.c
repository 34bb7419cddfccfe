/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAAR, lower layer: the names of log lines, sending, forwarding intents,
 * the MN events of a serving entry, and the anchored entries: the
 * binding cache of prefixes anchored here (RFC 8885 §3.2, §3.4, §3.5), one
 * entry per prefix, with what their intents do (deliver on the MN's
 * access link while it is here, tunnel to its S-MAAR when it is
 * elsewhere, buffer in between) and their one set_state (fsm.h,
 * DMM_FSM_BCE: created, deleted). Calls only maar_timers.c and what is
 * below the role.
 */
#include <string.h>

#include "dmm/err.h"
#include "fsm.h"
#include "maar_int.h"

/* --- small helpers --- */

static void str_cat(char *dst, size_t cap, size_t *i, const char *s)
{
	while (*s && *i + 1 < cap)
		dst[(*i)++] = *s++;
	dst[*i] = 0;
}

const char *maar_who(const struct dmm_mnid *id, const struct dmm_prefix *p, const char *via,
		     const struct dmm_addr *peer, struct bulc_who *w)
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

const char *maar_who_e(const struct dmm_maar *m, const struct dmm_bul_entry *e, struct bulc_who *w)
{
	const struct maar_bx *x = maar_bx(m, e);
	const struct dmm_prefix *p = NULL;

	for (unsigned i = 0; i < x->nsp && !p; i++)
		if (x->sp[i].own)
			p = &x->sp[i].p;
	return maar_who(&e->mnid, p, "cmd", &e->lmaa, w);
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
	int r = dmm_fm_ensure(m->base.fm, in, now);

	if (r < 0) {
		char ps[DMM_PREFIX_STRLEN];

		dmm_logf(m->base.env.log, DMM_LOG_ERR, DMM_LC_DP, "maar: prefix %s: intent %s/%s refused: %s",
			 dmm_prefix_str(&in->prefix, ps), dmm_fm_match_name(in->match),
			 dmm_fm_action_name(in->action), dmm_strerror(r));
	}
	return r;
}

/* --- MN events of a serving entry --- */

static uint32_t granted_s(const struct dmm_bul_entry *e)
{
	return (uint32_t)(e->lifetime / DMM_SECOND);
}

void maar_emit_registered(struct dmm_maar *m, const struct dmm_bul_entry *e,
			  const struct dmm_prefix *released, unsigned nreleased)
{
	const struct maar_bx *x = maar_bx(m, e);
	struct dmm_mn_event ev;
	uint32_t lt = granted_s(e), adv = lt;
	const struct maar_sp *own = NULL;

	if (!m->base.env.mn_event || maar_fho_quiet(m, e)) /* RFC 5949: no link for the MN yet */
		return;
	/* What the RAs advertise: short, so a released prefix leaves the host (RFC 4862 §5.5.3 e). */
	if (m->cfg.prefix_valid_s && m->cfg.prefix_valid_s < adv)
		adv = m->cfg.prefix_valid_s;
	for (unsigned i = 0; i < x->nsp && !own; i++)
		if (x->sp[i].own)
			own = &x->sp[i];
	pmip_mn_event_init(&ev, DMM_MN_REGISTERED, 0, e, lt, own ? &own->anchor : &m->cfg.addr);
	/* RFC 8885 §3.7: the own prefix preferred, the old ones deprecated. */
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
	const struct maar_bx *x = maar_bx(m, e);
	struct dmm_mn_event ev;

	if (!m->base.env.mn_event || maar_fho_quiet(m, e))
		return;
	pmip_mn_event_init(&ev, type, status, e, 0, &m->cfg.addr);
	for (unsigned i = 0; i < x->nsp; i++)
		pmip_mn_event_add(&ev, &x->sp[i].p, 0, 0, &x->sp[i].anchor);
	m->base.env.mn_event(m->base.env.ctx, &ev);
}

/* --- anchored entries --- */

/*
 * The one place an anchored entry changes state: to is a state of enum
 * dmm_bce_state, or DMM_FSM_NONE when it is about to be deleted; the
 * first change of a new entry is from DMM_FSM_NONE.
 */
static void anchor_set_state(struct dmm_maar *m, struct dmm_bcache_entry *a, int to, const char *reason)
{
	struct maar_ax *x = maar_ax(m, a);
	int from = x->noted ? (int)a->state : DMM_FSM_NONE;
	bool on = maar_log_on(m, DMM_LOG_INFO);
	struct bulc_who w;

	if (to != DMM_FSM_NONE && to != (int)a->state)
		(void)dmm_bcache_set_state(m->bc, a, (enum dmm_bce_state)to);
	x->noted = to != DMM_FSM_NONE;
	/* docs/dmm-protocol.md §11: the routing system carries what is anchored here. */
	if (m->base.env.anchored && (from == DMM_FSM_NONE) != (to == DMM_FSM_NONE))
		m->base.env.anchored(m->base.env.ctx, dmm_bce_hnp(a, 0), to != DMM_FSM_NONE, x->taken);
	dmm_fsm_note(&m->base.stats, on ? m->base.env.log : NULL, DMM_FSM_BCE, from, to, "maar",
		     on ? maar_who(DMM_BCE_MNID(a), dmm_bce_hnp(a, 0), "serving", dmm_bce_pcoa(a), &w) : "",
		     reason);
}

const char *maar_anchor_mode_name(uint8_t mode)
{
	static const char *const n[] = {"none", "deliver", "tunnel", "buffer"};

	return mode < 4 ? n[mode] : "?";
}

struct dmm_bcache_entry *maar_anchor_new(struct dmm_maar *m, const struct dmm_mnid *id,
					 const struct dmm_prefix *p, const struct dmm_addr *serving,
					 bool remote, dmm_time_t now, const char *reason)
{
	struct dmm_bcache_entry *a = dmm_bcache_add(m->bc, id, NULL);
	struct maar_ax *x;

	(void)now; /* the entry keeps no creation time */
	if (!a)
		return NULL;
	if (dmm_bcache_add_prefix(m->bc, a, p) != 0) {
		dmm_bcache_del(m->bc, a);
		return NULL;
	}
	x = maar_ax(m, a);
	memset(x, 0, sizeof(*x));
	x->remote = remote;
	x->taken = m->taking; /* maar_reloc_take(): announced as the newer anchor */
	a->proxy = true;
	(void)dmm_bcache_set_pcoa(m->bc, a, serving); /* cannot fail: a table of entries + 1 (maar.c) */
	a->lifetime_s = m->cfg.lifetime_s;
	anchor_set_state(m, a, DMM_BCE_ACTIVE, reason);
	return a;
}

struct dmm_bcache_entry *maar_anchor_of_mn(struct dmm_maar *m, const struct dmm_mnid *id)
{
	for (struct dmm_bcache_entry *a = dmm_bcache_find_mnid(m->bc, id); a;
	     a = dmm_bcache_find_mnid_next(m->bc, a))
		if (!maar_ax(m, a)->remote && a->n_hnp)
			return a;
	return NULL;
}

static void intents_del(struct dmm_maar *m, struct dmm_bcache_entry *a)
{
	struct maar_ax *x = maar_ax(m, a);

	for (unsigned k = 0; k < x->nid; k++)
		dmm_fm_del(m->base.fm, x->id[k]);
	x->nid = 0;
}

/*
 * Ensure one intent of anchor a (fm.h: no backend call when it is in
 * place already) and note its id in x->id; the ids of the previous
 * forwarding stay in old until maar_anchor_set() removes what is left.
 */
static void intent(struct dmm_maar *m, struct dmm_bcache_entry *a, uint8_t match, uint8_t action,
		   const struct dmm_addr *first, dmm_time_t now)
{
	struct maar_ax *x = maar_ax(m, a);
	struct dmm_intent in;
	int r;

	memset(&in, 0, sizeof(in));
	in.precedence = MAAR_INTENT_PRECEDENCE;
	in.prefix = *dmm_bce_hnp(a, 0);
	in.owner = a->handle;
	in.match = match;
	in.action = action;
	if (action == DMM_FM_DELIVER)
		in.link = x->link;
	if (action == DMM_FM_ENCAP || action == DMM_FM_DECAP) {
		in.local = m->cfg.addr;
		in.peer = *dmm_bce_pcoa(a);
	}
	if (action == DMM_FM_BUFFER && first)
		in.peer = *first; /* its packets released first (fm.h) */
	r = maar_intent_add(m, &in, now);
	if (r > 0 && x->nid < 2)
		x->id[x->nid++] = (uint32_t)r;
}

/* The anchor's intents of its previous forwarding that intent() did not keep. */
static void intents_del_old(struct dmm_maar *m, struct dmm_bcache_entry *a, const uint32_t *old,
			    unsigned nold)
{
	struct maar_ax *x = maar_ax(m, a);

	for (unsigned k = 0; k < nold; k++) {
		bool kept = false;

		for (unsigned j = 0; j < x->nid; j++)
			kept |= x->id[j] == old[k];
		if (!kept)
			dmm_fm_del(m->base.fm, old[k]); /* NOTFOUND when replaced in place already */
	}
}

void maar_anchor_set(struct dmm_maar *m, struct dmm_bcache_entry *a, uint8_t mode, uint32_t link,
		     const struct dmm_addr *serving, dmm_time_t now, const char *reason)
{
	struct maar_ax *x = maar_ax(m, a);
	uint8_t from = x->mode;
	struct bulc_who w;
	const struct dmm_addr *s;
	uint32_t old[2];
	unsigned nold = x->nid;

	mode = maar_sess_anchor_mode(m, dmm_bce_hnp(a, 0), mode); /* nomadic: never tunnelled (GAP2-1) */
	s = mode == AM_TUNNEL ? serving : &m->cfg.addr;
	if (from == mode && dmm_addr_eq(dmm_bce_pcoa(a), s) && (mode != AM_DELIVER || x->link == link) &&
	    (mode != AM_BUFFER || !serving))
		return; /* nothing changes (a BUFFER naming a peer goes to the data plane, which keeps what is equal) */
	(void)dmm_bcache_set_pcoa(m->bc, a, s); /* cannot fail: a table of entries + 1 (maar.c) */
	/*
	 * Only what differs reaches the data plane (fm.h dmm_fm_ensure): the
	 * downlink is replaced in place, a new uplink is accepted before the
	 * old one goes (docs/dmm-protocol.md §2.3: no instant without a way).
	 */
	memcpy(old, x->id, sizeof(old));
	x->nid = 0;
	if (from == AM_TUNNEL) {
		m->ctr.tunnels_down++;
		m->base.stats.tunnels_released++;
	}
	x->mode = mode;
	x->link = mode == AM_DELIVER ? link : 0;
	switch (mode) {
	case AM_DELIVER:
		/* docs/dmm-protocol.md §1.4: a plain router for its own prefix. */
		intent(m, a, DMM_FM_DST, DMM_FM_DELIVER, NULL, now);
		maar_timers_anchor_held(m, a); /* the MN's serving entry decides its lifetime now */
		break;
	case AM_TUNNEL:
		/* §2.3: downlink into the tunnel to the S-MAAR, uplink out of it. */
		intent(m, a, DMM_FM_DST, DMM_FM_ENCAP, NULL, now);
		intent(m, a, DMM_FM_SRC, DMM_FM_DECAP, NULL, now);
		m->ctr.tunnels_up++;
		m->base.stats.tunnels_established++;
		a->handovers++;
		break;
	case AM_BUFFER:
		/*
		 * §2.5: hold the MN's packets until the CMD names its next S-MAAR;
		 * with serving (RFC 5949 reactive at the NMAAR), what comes from it
		 * is released first.
		 */
		intent(m, a, DMM_FM_DST, DMM_FM_BUFFER, serving, now);
		break;
	default:
		break;
	}
	intents_del_old(m, a, old, nold);
	if (maar_log_on(m, DMM_LOG_INFO))
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "maar: anchor %s: %s -> %s (%s)",
			 maar_who(DMM_BCE_MNID(a), dmm_bce_hnp(a, 0), "serving", dmm_bce_pcoa(a), &w),
			 maar_anchor_mode_name(from), maar_anchor_mode_name(mode), reason);
}

void maar_anchor_release(struct dmm_maar *m, struct dmm_bcache_entry *a, dmm_time_t now, const char *reason)
{
	struct maar_ax *x = maar_ax(m, a);
	struct dmm_prefix p = *dmm_bce_hnp(a, 0);
	struct bulc_who w;
	bool moved;

	(void)now;
	intents_del(m, a);
	maar_timers_anchor_held(m, a);
	if (x->mode == AM_TUNNEL) {
		m->ctr.tunnels_down++;
		m->base.stats.tunnels_released++;
	}
	if (maar_log_on(m, DMM_LOG_INFO))
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "maar: anchor %s: %s -> released (%s)",
			 maar_who(DMM_BCE_MNID(a), &p, "serving", dmm_bce_pcoa(a), &w),
			 maar_anchor_mode_name(x->mode), reason);
	anchor_set_state(m, a, DMM_FSM_NONE, reason);
	moved = x->moving;
	memset(x, 0, sizeof(*x));
	dmm_bcache_del(m->bc, a);
	if (!moved) /* §11: a prefix handed over stays in use at its new anchor */
		(void)dmm_pool_release(m->pool, &p);
	m->ctr.anchors_released++;
}

struct dmm_bcache_entry *maar_anchor_mine(struct dmm_maar *m, const struct dmm_bul_entry *e,
					  const struct dmm_prefix *p)
{
	struct dmm_bcache_entry *a = dmm_bcache_find_prefix(m->bc, p);

	return a && dmm_bce_mnid_eq(a, &e->mnid) ? a : NULL;
}
