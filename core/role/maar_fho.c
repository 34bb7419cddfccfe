/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAAR: fast handover between MAARs, RFC 5949 run on RFC 8885's
 * distributed anchors (docs/dmm-protocol.md §14). The previous MAAR
 * (PMAAR) anchors the prefix the MN got there; the new one (NMAAR) serves
 * the MN next, anchors a prefix of its own for it and registers with the
 * CMD, which then tells every anchor of the MN's older prefixes to tunnel
 * them to the NMAAR (RFC 8885 §3.2). RFC 5949's HI and HAck move the MN's
 * context ahead of that registration, so that its downlink is held and
 * forwarded, not lost, while it moves. The CMD sees nothing new.
 *
 * The context (§6.2) is the MAG's (MN-ID, HNPs, LMAA = the CMD, MN-LLID,
 * ATT) with one Previous MAAR option (RFC 8885 §4.5) per prefix naming
 * the MAAR that anchors it: the NMAAR needs each prefix's anchor to build
 * its tunnels, which a single LMAA cannot say. An HNP without one is
 * taken as anchored at the MAAR that sent it.
 *
 * The temporary tunnel of §4.2 is, for a prefix the PMAAR anchors, its
 * anchor tunnel to the NMAAR, set up ahead of the CMD's update (the CMD's
 * PBU later finds it in place); for a prefix anchored elsewhere the PMAAR
 * re-tunnels what it still receives (maar_fho_dst()). The NMAAR accepts
 * the PMAAR's tunnel for every prefix the PMAAR does not anchor (fho_id of
 * the prefix) until "forwarding done" (HI Code 2) or hold after the MN
 * arrived.
 *
 * One state per serving entry (struct fho_rec in maar_bx, enum fho_state
 * of fho.h) and one timer, MAAR_TIMER_FHO. The rules:
 *
 *   PMAAR, predictive (§4.1 Figure 2): dmm_maar_handover() sends HI
 *     {P U F, Code 3} with the context -> P_HI_SENT, timer hi_wait. A
 *     HAck below 128 -> P_FORWARD: the prefixes anchored here are
 *     tunnelled to the NMAAR at once (as the MAG does: nothing is sent
 *     onto a link about to go), the others re-tunnelled; the NMAAR
 *     buffers them until the MN is there. Our registration is not
 *     refreshed any more (the NMAAR's replaces it). Timer mn_wait; when
 *     the MN leaves, hold. A refusal or no HAck: back to delivering (or,
 *     the MN gone, the plain detach of docs/dmm-protocol.md §2.5).
 *   PMAAR, reactive (Figure 3): with fho.reactive an MN that leaves is
 *     held (P_BUFFER, timer hold): every prefix of it is buffered, also
 *     those tunnelled here from other anchors. An NMAAR's HI {P U} gets
 *     HAck {U P, Code 6} with the context; its HI {P F} puts the buffers
 *     into the tunnels (P_FORWARD). No HI in time: the plain detach.
 *   P_FORWARD ends when the CMD names the NMAAR (its PBU releases our
 *     serving entry, maar_anchor.c) or, the MN gone, with the hold timer
 *     after the CMD did so or mn_wait after the MN left: HI {P F, Code 2}
 *     and the entry goes, without a de-registration (the MN is the
 *     NMAAR's). The MN not leaving within mn_wait: delivered here again
 *     and registered again (the NMAAR may have registered it).
 *   NMAAR, predictive: an HI with HNPs creates the serving entry without
 *     an access link: its own prefix (the one anchored here for the MN,
 *     else a new one), the older ones tunnelled from their anchors, every
 *     downlink buffered, the PMAAR's tunnel accepted; HAck {P, U F
 *     echoed, Code 5} -> N_WAIT_MN, timer mn_wait. The MN's attach
 *     delivers the buffers on its link and registers (HI 3), unless
 *     fho.early_reg registered at the HI already. No MN in time: the
 *     prefixes anchored here go back to the PMAAR's tunnel and the entry
 *     goes without a de-registration (the PMAAR registers again).
 *   NMAAR, reactive: a new MN, with neighbours configured, is not
 *     registered yet: HI {P U} with a Context Request to each neighbour
 *     -> N_HI_SENT, timer hi_wait. The first HAck with HNPs gives the
 *     older prefixes and their anchors: tunnels from the anchors, the
 *     PMAAR's tunnel accepted, the prefixes anchored here delivered on
 *     the link; then HI {P F} -> N_FWD_WAIT. With its HAck (behind the
 *     PMAAR's buffers where the data plane keeps them in order) the MN
 *     registers (HI 3). None answering with a context: the plain
 *     registration (HI 4). Not done: what the PMAAR held of a prefix
 *     anchored here arrives after what the anchor delivered meanwhile
 *     (reordered; keeping the prefix tunnelled to the PMAAR until the
 *     HAck loops those packets between the two instead).
 *
 * Not done: retransmission of HI (one HI, then the fallback), IPsec for
 * HI/HAck (RFC 5949 §7), GRE keys and IPv4 (§6.2.6, §6.2.7).
 */
#include <string.h>

#include "dmm/err.h"
#include "maar_int.h"

static dmm_time_t hold_of(const struct dmm_maar *m)
{
	return m->cfg.fho.hold ? m->cfg.fho.hold : 1 * DMM_SECOND;
}

static dmm_time_t hi_wait_of(const struct dmm_maar *m)
{
	return m->cfg.fho.hi_wait ? m->cfg.fho.hi_wait : 200 * DMM_MSEC;
}

static dmm_time_t mn_wait_of(const struct dmm_maar *m)
{
	return m->cfg.fho.mn_wait ? m->cfg.fho.mn_wait : 5 * DMM_SECOND;
}

static struct fho_rec *fho_of(void *self, const struct dmm_bul_entry *e)
{
	return &maar_bx(self, e)->fho;
}

static void set_fho(struct dmm_maar *m, struct dmm_bul_entry *e, uint8_t to, const char *reason)
{
	struct fho_rec *f = fho_of(m, e);

	if (maar_log_on(m, DMM_LOG_INFO)) {
		char ps[DMM_ADDR_STRLEN];
		struct bulc_who w;

		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "maar: fho %s peer %s: %s -> %s (%s)",
			 maar_who_e(m, e, &w), dmm_addr_str(&f->peer, ps), fho_state_name(f->state),
			 fho_state_name(to), reason);
	}
	f->state = to;
}

static void arm(struct dmm_maar *m, const struct dmm_bul_entry *e, dmm_time_t at)
{
	dmm_timers_set(m->base.timers, MAAR_TIMER_FHO, e->handle, at);
}

static void disarm(void *self, const struct dmm_bul_entry *e)
{
	struct dmm_maar *m = self;

	dmm_timers_cancel(m->base.timers, MAAR_TIMER_FHO, e->handle);
}

/* The first PBU of e (RFC 5949 §4.1 step k), with hi. */
static void register_now(struct dmm_maar *m, struct dmm_bul_entry *e, uint8_t hi, const char *reason,
			 dmm_time_t now)
{
	bulc_set_state(&m->cl, e, DMM_BUL_WAIT_PBA, reason);
	bulc_start(&m->cl, e, BULC_REG, hi, now);
}

/* Every prefix of e anchored here: its anchored entry to mode (on link, or tunnelled to peer). */
static void local_anchors(struct dmm_maar *m, struct dmm_bul_entry *e, uint8_t mode,
			  const struct dmm_addr *peer, dmm_time_t now, const char *reason)
{
	struct maar_bx *x = maar_bx(m, e);

	for (unsigned i = 0; i < x->nsp; i++) {
		struct dmm_bcache_entry *a = x->sp[i].local ? maar_anchor_mine(m, e, &x->sp[i].p) : NULL;

		if (!a)
			continue;
		maar_anchor_set(m, a, mode, mode == AM_DELIVER ? e->ifindex : 0, peer, now, reason);
		if (mode == AM_TUNNEL) /* until the CMD's PBU grants it a lifetime */
			maar_timers_anchor_granted(m, a, now);
	}
}

/* --- messages (§6.1, §6.2) --- */

/* §6.2 and RFC 8885 §4.5: the context of e, each prefix with its anchor in a Previous MAAR option. */
static void add_context(struct dmm_maar *m, struct dmm_mh_msg *msg, const struct dmm_bul_entry *e)
{
	const struct maar_bx *x = maar_bx(m, e);

	fho_add_context(msg, e, &m->cfg.cmd);
	for (unsigned i = 0; i < x->nsp; i++) {
		struct dmm_mh_opt *o = dmm_mh_add_opt(msg, DMM_OPT_PREV_MAAR);

		if (!o)
			break;
		o->u.prev_maar.maar = x->sp[i].anchor;
		o->u.prev_maar.hnp = x->sp[i].p;
	}
}

/* An HI about e to dst; a new sequence number unless again (the same HI to another neighbour). */
static void send_hi(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_addr *dst, uint8_t flags,
		    uint8_t code, bool again, dmm_time_t now)
{
	struct fho_rec *f = fho_of(m, e);
	struct dmm_mh_msg *msg = &m->tx;

	if (!again)
		f->seq = ++m->fho_seq;
	fho_hi_init(msg, f->seq, flags, code, &e->mnid);
	if (code == DMM_HI_CODE_ALL_SENT)
		add_context(m, msg, e);
	else if (code == DMM_HI_CODE_NONE && !(flags & DMM_HI_F))
		fho_add_ctx_req(msg); /* §6.2.1: HNP, MN-LLID and the LMAA */
	f->hi_sent = now;
	m->fho.hi_sent++;
	maar_tx(m, dst, msg);
}

/* §6.1.2: the answer to hi, with the context of e when given. */
static void send_hack(void *self, const struct dmm_addr *dst, const struct dmm_mh_msg *hi, uint8_t flags,
		      uint8_t code, const struct dmm_bul_entry *e)
{
	struct dmm_maar *m = self;
	struct dmm_mh_msg *msg = &m->tx;

	fho_hack_init(msg, hi, flags, code);
	if (e)
		add_context(m, msg, e);
	if (code >= 128)
		m->fho.refused++;
	m->fho.hack_sent++;
	maar_tx(m, dst, msg);
}

/* --- NMAAR --- */

/* The anchor msg names for prefix q (a Previous MAAR option), else dflt (the MAAR that sent it). */
static const struct dmm_addr *anchor_in(const struct dmm_mh_msg *msg, const struct dmm_prefix *q,
					const struct dmm_addr *dflt)
{
	for (const struct dmm_mh_opt *o = NULL; (o = dmm_mh_find_opt(msg, DMM_OPT_PREV_MAAR, o)) != NULL;)
		if (dmm_prefix_eq(&o->u.prev_maar.hnp, q) && !dmm_addr_is_zero(&o->u.prev_maar.maar))
			return &o->u.prev_maar.maar;
	return dflt;
}

/* The HNPs of msg (an HI or HAck from src) into e, each tunnelled from its anchor (or anchored here). */
static void take_prefixes(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_mh_msg *msg,
			  const struct dmm_addr *src, dmm_time_t now)
{
	for (const struct dmm_mh_opt *o = NULL; (o = dmm_mh_find_opt(msg, DMM_OPT_HNP, o)) != NULL;) {
		const struct dmm_prefix *q = &o->u.hnp;
		const struct dmm_addr *a = anchor_in(msg, q, src);
		struct bulc_who w;

		if (q->len == 0 || q->len > 128 || dmm_addr_is_zero(&q->addr) || maar_sp_find(m, e, q) >= 0)
			continue;
		if (dmm_addr_eq(a, &m->cfg.addr)) {
			struct dmm_bcache_entry *an = dmm_bcache_find_prefix(m->bc, q);

			if (!an || !dmm_bce_mnid_eq(an, &e->mnid)) {
				dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_MH,
					 "maar: fho %s: the context names us as anchor, but we do not anchor "
					 "it",
					 maar_who(&e->mnid, q, "from", src, &w));
				continue;
			}
		}
		(void)maar_sp_add(m, e, q, a, false, now);
	}
}

/* §4.2: the PMAAR's tunnel accepted for every prefix of e it does not anchor itself. */
static void accept_tunnel(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct maar_bx *x = maar_bx(m, e);
	struct dmm_intent in;

	x->fho.tunnel = true;
	for (unsigned i = 0; i < x->nsp; i++) {
		struct maar_sp *sp = &x->sp[i];
		int r;

		if (sp->fho_id || dmm_addr_eq(&sp->anchor, &x->fho.peer))
			continue; /* the anchor's own tunnel carries it */
		memset(&in, 0, sizeof(in));
		in.precedence = MAAR_INTENT_PRECEDENCE;
		in.prefix = sp->p;
		in.owner.idx = e->handle.idx | MAAR_OWNER_SERVING;
		in.owner.gen = e->handle.gen;
		in.match = DMM_FM_DST;
		in.action = DMM_FM_DECAP;
		in.local = m->cfg.addr;
		in.peer = x->fho.peer;
		r = maar_intent_add(m, &in, now);
		if (r > 0)
			sp->fho_id = (uint32_t)r;
	}
}

/* The PMAAR's tunnel is not needed any more. */
static void drop_tunnel(struct dmm_maar *m, struct dmm_bul_entry *e)
{
	struct maar_bx *x = maar_bx(m, e);

	x->fho.tunnel = false;
	for (unsigned i = 0; i < x->nsp; i++)
		if (x->sp[i].fho_id) {
			dmm_fm_del(m->base.fm, x->sp[i].fho_id);
			x->sp[i].fho_id = 0;
		}
}

/* May the MN named id be served here (RFC 5213 §6.2, the MAAR's policy)? */
static bool may_serve(const struct dmm_maar *m, const struct dmm_mnid *id)
{
	const struct dmm_policy_profile *pr;

	if (!m->cfg.policy)
		return true;
	pr = dmm_policy_lookup(m->cfg.policy, id);
	return pr && pr->may_register;
}

/* A new serving entry for MN id, prepared by the PMAAR src without a link (NULL: no room). */
static struct dmm_bul_entry *prepared_entry(struct dmm_maar *m, const struct dmm_addr *src,
					    const struct dmm_mh_msg *msg, const struct dmm_mnid *id,
					    dmm_time_t now)
{
	struct dmm_bul_entry *e = bulc_add(&m->cl, id);
	struct fho_rec *f;

	if (!e)
		return NULL;
	memset(maar_bx(m, e), 0, sizeof(struct maar_bx));
	e->lmaa = m->cfg.cmd;
	e->pcoa = m->cfg.addr;
	e->ifindex = 0;
	e->lifetime_req = (dmm_time_t)m->cfg.lifetime_s * DMM_SECOND;
	e->attached = now;
	fho_take_link(e, msg);
	if (!e->att)
		e->att = DMM_ATT_8023;
	f = fho_of(m, e);
	f->peer = *src;
	f->hi_rcvd = now;
	f->nolink = true; /* before any intent: the downlink is buffered, no uplink */
	return e;
}

/* §4.1 Figure 2 steps c-d at the NMAAR: the PMAAR's HI with the context. */
static void nmaar_prepare(void *self, const struct dmm_addr *src, const struct dmm_mh_msg *msg,
			  const struct dmm_mnid *id, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct dmm_maar *m = self;
	uint8_t echo = msg->u.hi.flags & (DMM_HI_U | DMM_HI_F), flags = 0;

	if (e && maar_bx(m, e)->detached && (fho_of(m, e)->state == FHO_NONE || fho_of(m, e)->gone)) {
		/* The MN left here earlier and the CMD has not ended its entry yet: it does now. */
		maar_serving_release(m, e, false, now, "MN coming back (RFC 5949)");
		e = NULL;
	}
	if (e) {
		/* A repeated HI (our HAck was lost) is answered again; anything else is refused. */
		struct fho_rec *f = fho_of(m, e);

		if (f->state == FHO_N_WAIT_MN && dmm_addr_eq(&f->peer, src))
			send_hack(m, src, msg, (uint8_t)(echo >> 1), DMM_HACK_CTX_OK, NULL);
		else
			send_hack(m, src, msg, 0, DMM_HACK_NOT_ACCEPTED, NULL);
		return;
	}
	if (!may_serve(m, id)) {
		send_hack(m, src, msg, 0, DMM_HACK_PROHIBITED, NULL);
		return;
	}
	if (!(e = prepared_entry(m, src, msg, id, now))) {
		send_hack(m, src, msg, 0, DMM_HACK_NO_RESOURCES, NULL);
		return;
	}
	maar_serving_own(m, e, now);
	set_fho(m, e, FHO_N_WAIT_MN, "context from the PMAAR (RFC 5949 §4.1 step c)");
	take_prefixes(m, e, msg, src, now);
	local_anchors(m, e, AM_BUFFER, NULL, now, "the MN is coming (RFC 5949)");
	accept_tunnel(m, e, now);
	/* §6.1.2: Code 5; U and F echoed, our acceptance of buffering and forwarding. */
	if (echo & DMM_HI_U)
		flags |= DMM_HACK_U;
	if (echo & DMM_HI_F)
		flags |= DMM_HACK_F;
	send_hack(m, src, msg, flags, DMM_HACK_CTX_OK, NULL);
	if (m->cfg.fho.early_reg)
		register_now(m, e, DMM_HI_BETWEEN_MAGS, "registering ahead of the MN (RFC 5949)", now);
	arm(m, e, now + mn_wait_of(m));
}

/* HI {F, Code 2} from the PMAAR (§4.1): its forwarding is done, our end of its tunnel goes. */
static void nmaar_fwd_done(void *self, const struct dmm_addr *src, const struct dmm_mh_msg *msg,
			   struct dmm_bul_entry *e, dmm_time_t now)
{
	struct dmm_maar *m = self;
	struct fho_rec *f = e ? fho_of(m, e) : NULL;

	(void)now;
	if (!f || !f->tunnel || !dmm_addr_eq(&f->peer, src)) {
		send_hack(m, src, msg, 0, DMM_HACK_NOT_ACCEPTED, NULL);
		return;
	}
	drop_tunnel(m, e);
	send_hack(m, src, msg, DMM_HACK_F, DMM_HACK_OK, NULL);
}

/* --- PMAAR --- */

/* The MN left e during a handover: no uplink, no refresh; the handover's timer decides, not GRACE. */
static void gone_here(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct fho_rec *f = fho_of(m, e);

	if (!f->gone)
		f->gone_at = now;
	f->gone = true;
	maar_bx(m, e)->detached = true; /* the CMD's PBU naming the NMAAR ends the entry (maar_anchor.c) */
	bulc_stop(&m->cl, e);
	bulc_timers_no_refresh(&m->cl, e);
	maar_timers_attached(m, e);
}

/* §4.1 Figure 3: e's downlink held for the NMAAR (P_BUFFER), every prefix of it. */
static void hold_here(struct dmm_maar *m, struct dmm_bul_entry *e, const char *reason, dmm_time_t now)
{
	if (fho_of(m, e)->tunnel)
		drop_tunnel(m, e); /* the last handover's, to here */
	gone_here(m, e, now);
	set_fho(m, e, FHO_P_BUFFER, reason);
	local_anchors(m, e, AM_BUFFER, NULL, now, "MN detached, held for the NMAAR (RFC 5949)");
	maar_sp_reinstall(m, e, now);
	arm(m, e, now + hold_of(m));
}

/* §4.1 step f: e's downlink into the tunnels to the NMAAR (their buffers first). */
static void forward(struct dmm_maar *m, struct dmm_bul_entry *e, const char *reason, dmm_time_t now)
{
	struct fho_rec *f = fho_of(m, e);

	set_fho(m, e, FHO_P_FORWARD, reason);
	local_anchors(m, e, AM_TUNNEL, &f->peer, now, "forwarded to the NMAAR (RFC 5949)");
	maar_sp_reinstall(m, e, now);
	bulc_timers_no_refresh(&m->cl, e); /* the NMAAR registers the MN */
	m->fho.forwarded_out++;
}

/* The handover did not happen: e as before the plain detach (the MN gone) or delivered here again. */
static void fall_back(struct dmm_maar *m, struct dmm_bul_entry *e, const char *reason, dmm_time_t now)
{
	set_fho(m, e, FHO_NONE, reason);
	if (fho_of(m, e)->gone) {
		maar_serving_detached(m, e, now); /* docs/dmm-protocol.md §2.5 */
		return;
	}
	local_anchors(m, e, AM_DELIVER, NULL, now, "the MN stayed (RFC 5949)");
	maar_sp_reinstall(m, e, now);
}

/* §4.1 Figure 3 steps c-e at the PMAAR: the NMAAR asks for the context and the forwarding. */
static void pmaar_give(void *self, const struct dmm_addr *src, const struct dmm_mh_msg *msg,
		       struct dmm_bul_entry *e, dmm_time_t now)
{
	struct dmm_maar *m = self;
	struct fho_rec *f = e ? fho_of(m, e) : NULL;
	uint8_t flags = 0;

	if (!e || !e->n_hnp || e->state == DMM_BUL_IDLE || e->state == DMM_BUL_DEREG_WAIT ||
	    (f->state != FHO_NONE && f->state != FHO_P_BUFFER && !dmm_addr_eq(&f->peer, src))) {
		send_hack(m, src, msg, 0, DMM_HACK_CTX_UNAVAILABLE, NULL);
		return;
	}
	if (f->state == FHO_NONE && !maar_bx(m, e)->detached)
		hold_here(m, e, "the NMAAR has the MN (RFC 5949 §4.1)",
			  now); /* its detach not seen here yet */
	f->peer = *src;
	if (!(msg->u.hi.flags & DMM_HI_F) && (msg->u.hi.flags & DMM_HI_U)) {
		/* §4.1 "U ... earlier if the timing of buffering is different from that of forwarding". */
		flags |= DMM_HACK_U;
		arm(m, e, now + hold_of(m));
	} else if (msg->u.hi.flags & DMM_HI_F) {
		if (f->state == FHO_P_BUFFER)
			flags |= DMM_HACK_U; /* what was buffered follows */
		flags |= DMM_HACK_F;
		gone_here(m, e, now); /* the MN is at the NMAAR, whether or not its detach was seen here */
		forward(m, e, "the NMAAR asked (RFC 5949 §4.1 Figure 3)", now);
		arm(m, e, now + hold_of(m));
	}
	send_hack(m, src, msg, flags, DMM_HACK_CTX_ALL, e);
}

/* The PMAAR's HI was refused (§4.1 Figure 2 step d). */
static void pmaar_refused(void *self, struct dmm_bul_entry *e, dmm_time_t now)
{
	fall_back(self, e, "HAck refused", now);
}

/* No neighbour had the context (§4.1 Figure 3 step d): the MN registers as a new one. */
static void nmaar_none(void *self, struct dmm_bul_entry *e, dmm_time_t now)
{
	set_fho(self, e, FHO_NONE, "no neighbour has the context");
	register_now(self, e, DMM_HI_UNKNOWN, "MN attached", now);
}

/* The PMAAR's HI was accepted (§4.1 Figure 2 step d). */
static void pmaar_acked(void *self, struct dmm_bul_entry *e, const struct dmm_mh_msg *msg, dmm_time_t now)
{
	struct dmm_maar *m = self;
	struct fho_rec *f = fho_of(m, e);

	(void)msg;
	forward(m, e, "HAck (RFC 5949 §4.1 step f)", now);
	/* The MN not leaving in time: delivered here again. */
	arm(m, e, now + (f->gone ? hold_of(m) : mn_wait_of(m)));
}

/* A neighbour answered the NMAAR's reactive HI (§4.1 Figure 3 step d). */
static void nmaar_acked(void *self, const struct dmm_addr *src, struct dmm_bul_entry *e,
			const struct dmm_mh_msg *msg, dmm_time_t now)
{
	struct dmm_maar *m = self;
	struct fho_rec *f = fho_of(m, e);

	f->peer = *src;
	fho_take_link(e, msg);
	take_prefixes(m, e, msg, src, now);
	accept_tunnel(m, e, now);
	/*
	 * What is anchored here is held here until the PMAAR's buffers are
	 * through (its HAck to our HI {F}), what they bring released ahead of
	 * what came here meanwhile (fm.h, a BUFFER naming the PMAAR). Kept
	 * tunnelled to the PMAAR, what it held would come back here only to be
	 * tunnelled there again (the lab lost those packets in that loop);
	 * delivered at once, it came a round trip late, behind the newer ones.
	 */
	local_anchors(m, e, AM_BUFFER, src, now,
		      "MN attached, context from the PMAAR: its packets first (RFC 5949)");
	set_fho(m, e, FHO_N_FWD_WAIT, "context from the PMAAR (RFC 5949 §4.1 Figure 3 step d)");
	/* Step e, now that our end of the tunnel is there: the PMAAR's buffers and what follows. */
	send_hi(m, e, src, DMM_HI_F, DMM_HI_CODE_NONE, false, now);
	arm(m, e, now + hi_wait_of(m));
}

/* The answer to our HI {F} (reactive), behind the PMAAR's buffers: step g. */
static void nmaar_forwarded(struct dmm_maar *m, struct dmm_bul_entry *e, const char *reason, dmm_time_t now)
{
	set_fho(m, e, FHO_NONE, reason);
	local_anchors(m, e, AM_DELIVER, NULL, now, "MN attached, context from the PMAAR (RFC 5949)");
	register_now(m, e, DMM_HI_BETWEEN_MAGS, "MN attached, context from the PMAAR", now);
	arm(m, e, now + hold_of(m)); /* then our end of the PMAAR's tunnel goes */
}

/* The answer to our HI {F} (reactive), as fho.c's HAck dispatch calls it. */
static void nmaar_hack_f(void *self, struct dmm_bul_entry *e, dmm_time_t now)
{
	nmaar_forwarded(self, e, "forwarding on (RFC 5949 §4.1 Figure 3 step e)", now);
}

static const struct fho_ops maar_fho_ops = {
	.rec = fho_of,
	.send_hack = send_hack,
	.fwd_done = nmaar_fwd_done,
	.prepare = nmaar_prepare,
	.give = pmaar_give,
	.disarm = disarm,
	.p_acked = pmaar_acked,
	.p_refused = pmaar_refused,
	.n_acked = nmaar_acked,
	.n_none = nmaar_none,
	.n_forwarded = nmaar_hack_f,
};

/* The MAAR as fho.c receives HI and HAck for it. */
static struct fho_role role_of(struct dmm_maar *m)
{
	return (struct fho_role){.ops = &maar_fho_ops,
				 .self = m,
				 .bul = m->bul,
				 .cnt = &m->fho,
				 .rx_unexpected = &m->base.stats.rx_unexpected,
				 .enabled = m->cfg.fho.enabled};
}

/* §6.1.1 HI, §6.1.2 HAck (§4.1 Figures 2 and 3): fho.c checks them and calls the rules above. */
void maar_fho_recv(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_mh_msg *msg,
		   dmm_time_t now)
{
	struct fho_role r = role_of(m);

	fho_recv(&r, src, msg, now);
}

/* --- the hooks of maar.c --- */

int dmm_maar_handover(struct dmm_maar *m, const struct dmm_mnid *mnid, const struct dmm_addr *to,
		      dmm_time_t now)
{
	struct dmm_bul_entry *e;
	struct fho_rec *f;

	if (!m || !mnid || !to || !m->cfg.fho.enabled || dmm_addr_eq(to, &m->cfg.addr) ||
	    dmm_addr_is_zero(to))
		return DMM_ERR_INVAL;
	e = dmm_bul_find_mnid(m->bul, mnid);
	if (!e)
		return DMM_ERR_NOTFOUND;
	if (e->state != DMM_BUL_REGISTERED || !e->n_hnp || maar_bx(m, e)->detached || maar_fho_quiet(m, e))
		return DMM_ERR_INVAL;
	f = fho_of(m, e);
	if (f->state != FHO_NONE)
		return DMM_ERR_EXISTS;
	if (f->tunnel)
		drop_tunnel(m, e); /* the last handover's, to here */
	f->peer = *to;
	f->gone = f->revoked = false;
	set_fho(m, e, FHO_P_HI_SENT, "handover indication (RFC 5949 §4.1 step b)");
	/* Step c: P, U (buffer at the NMAAR until the MN is there), F (forward from the HAck on). */
	send_hi(m, e, to, DMM_HI_U | DMM_HI_F, DMM_HI_CODE_ALL_SENT, false, now);
	arm(m, e, now + hi_wait_of(m));
	return 0;
}

bool maar_fho_arrived(struct dmm_maar *m, struct dmm_bul_entry *e, uint32_t link, dmm_time_t now)
{
	struct fho_rec *f = fho_of(m, e);

	if (f->state != FHO_N_WAIT_MN) {
		/* Back where a handover from here has not ended yet: that entry goes, the MN attaches afresh. */
		if (m->cfg.fho.enabled && maar_bx(m, e)->detached && f->state != FHO_NONE)
			maar_serving_release(m, e, false, now, "MN back (RFC 5949)");
		return false;
	}
	disarm(m, e);
	e->ifindex = link;
	e->attached = now;
	f->nolink = false;
	m->fho.predictive++;
	m->fho.last_attach = now - f->hi_rcvd;
	if (e->state == DMM_BUL_REGISTERED)
		m->fho.last_reg = e->reg_time;
	set_fho(m, e, FHO_NONE, "MN attached (RFC 5949 §4.1 step h)");
	/* Delivery replaces the buffers, which the data plane flushes in order. */
	local_anchors(m, e, AM_DELIVER, NULL, now, "MN attached, prepared (RFC 5949)");
	maar_sp_reinstall(m, e, now);
	if (f->tunnel)
		arm(m, e, now + hold_of(m)); /* then our end of the PMAAR's tunnel goes */
	if (e->state == DMM_BUL_REGISTERED)
		maar_emit_registered(m, e, NULL, 0);
	else if (e->state != DMM_BUL_WAIT_PBA) /* step k: HI 3 */
		register_now(m, e, DMM_HI_BETWEEN_MAGS, "MN attached, prepared by the PMAAR", now);
	return true;
}

bool maar_fho_ask(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct fho_rec *f = fho_of(m, e);
	unsigned n = 0;

	if (!m->cfg.fho.enabled || !m->cfg.fho.n_neighbour)
		return false;
	set_fho(m, e, FHO_N_HI_SENT, "new MN: neighbours asked (RFC 5949 §4.1 Figure 3 step c)");
	for (unsigned i = 0; i < m->cfg.fho.n_neighbour && i < DMM_MAG_FHO_MAX_NEIGHBOUR; i++) {
		const struct dmm_addr *nb = &m->cfg.fho.neighbour[i];

		if (dmm_addr_eq(nb, &m->cfg.addr))
			continue;
		/* One sequence number for all: each neighbour answers the same HI. */
		send_hi(m, e, nb, DMM_HI_U, DMM_HI_CODE_NONE, n > 0, now);
		n++;
	}
	if (!n) {
		f->state = FHO_NONE;
		return false;
	}
	f->asked = (uint8_t)n;
	arm(m, e, now + hi_wait_of(m));
	return true;
}

bool maar_fho_detached(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct fho_rec *f = fho_of(m, e);

	switch (f->state) {
	case FHO_P_HI_SENT:
		gone_here(m, e, now); /* held until the HAck */
		local_anchors(m, e, AM_BUFFER, NULL, now, "MN detached, HAck awaited (RFC 5949)");
		maar_sp_reinstall(m, e, now);
		return true;
	case FHO_P_FORWARD:
		/* §4.1 step f: the downlink goes on into the tunnels, for hold. */
		gone_here(m, e, now);
		maar_sp_reinstall(m, e, now);
		arm(m, e, now + hold_of(m));
		return true;
	case FHO_N_HI_SENT:
	case FHO_N_FWD_WAIT:
		disarm(m, e);
		f->state = FHO_NONE;
		return false;
	case FHO_NONE:
		if (!m->cfg.fho.enabled || !m->cfg.fho.reactive || e->state != DMM_BUL_REGISTERED ||
		    !e->n_hnp)
			return false;
		hold_here(m, e, "MN left: downlink held for the NMAAR (RFC 5949 §4.1 Figure 3)", now);
		return true;
	default:
		return false;
	}
}

/* P_FORWARD's timer: the MN stayed, the forwarding goes on, or it is done. */
static void forward_timer(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct fho_rec *f = fho_of(m, e);

	if (!f->gone) {
		/* The MN never left: served here as before, and registered again (the NMAAR may have). */
		fall_back(m, e, "the MN did not leave", now);
		register_now(m, e, DMM_HI_NO_CHANGE, "the MN stayed (RFC 5949)", now);
		return;
	}
	/* The CMD has not named the NMAAR yet: what still comes here goes on into the tunnels. */
	if (!f->revoked && now - f->gone_at < mn_wait_of(m)) {
		arm(m, e, now + hold_of(m));
		return;
	}
	/* §4.1: forwarding done; the MN is the NMAAR's, so no de-registration. */
	send_hi(m, e, &f->peer, DMM_HI_F, DMM_HI_CODE_FWD_DONE, false, now);
	set_fho(m, e, FHO_NONE, "forwarding done");
	maar_serving_release(m, e, false, now, "handed over (RFC 5949)");
}

/* N_WAIT_MN's timer: the MN did not come; what is anchored here goes back to the PMAAR's tunnel. */
static void no_mn_timer(struct dmm_maar *m, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct maar_bx *x = maar_bx(m, e);
	struct fho_rec *f = &x->fho;

	m->fho.no_answer++;
	set_fho(m, e, FHO_NONE, "the MN did not arrive");
	for (unsigned i = 0; i < x->nsp; i++) {
		struct dmm_bcache_entry *a = x->sp[i].local ? maar_anchor_mine(m, e, &x->sp[i].p) : NULL;

		if (a && !(x->sp[i].own && x->own_fresh)) {
			maar_anchor_set(m, a, AM_TUNNEL, 0, &f->peer, now,
					"the MN did not arrive (RFC 5949)");
			maar_timers_anchor_granted(m, a, now);
		}
	}
	f->nolink = false;
	maar_serving_release(m, e, true, now, "prepared, the MN did not arrive (RFC 5949)");
}

void maar_fho_on_timer(struct dmm_maar *m, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_bul_entry *e = dmm_bul_get(m->bul, h);
	struct fho_rec *f;

	if (!e)
		return;
	f = fho_of(m, e);
	switch (f->state) {
	case FHO_P_HI_SENT:
		m->fho.no_answer++;
		fall_back(m, e, "no HAck", now);
		break;
	case FHO_P_BUFFER:
		fall_back(m, e, "no HI from an NMAAR", now);
		break;
	case FHO_P_FORWARD:
		forward_timer(m, e, now);
		break;
	case FHO_N_WAIT_MN:
		no_mn_timer(m, e, now);
		break;
	case FHO_N_HI_SENT:
		m->fho.no_answer++;
		set_fho(m, e, FHO_NONE, "no HAck from a neighbour");
		register_now(m, e, DMM_HI_UNKNOWN, "MN attached", now);
		break;
	case FHO_N_FWD_WAIT:
		m->fho.no_answer++;
		nmaar_forwarded(m, e, "no HAck to HI {F}: registering anyway", now);
		break;
	default:
		if (f->tunnel)
			drop_tunnel(m, e); /* hold after the MN arrived */
		break;
	}
}

const struct dmm_mag_fho_counters *dmm_maar_fho_counters(const struct dmm_maar *m)
{
	return &m->fho;
}

size_t maar_fho_role_counters(const struct dmm_maar *m, struct dmm_role_counter *out, size_t max)
{
	return fho_counters(&m->fho, m->cfg.fho.enabled, out, max);
}
