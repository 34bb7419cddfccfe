/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAG: fast handover for Proxy Mobile IPv6 (RFC 5949): Handover Initiate
 * and Handover Acknowledge between the previous MAG (PMAG) and the new
 * one (NMAG) with the MN's context (§6.2), and a temporary tunnel from
 * the PMAG to the NMAG for the MN's downlink (§4.2), in both modes of
 * §4.1. The LMA sees nothing new (§4.1: "transparent to the LMA").
 *
 * One state per BUL entry (struct fho_rec in mag_bx, enum fho_state)
 * and one timer, MAG_TIMER_FHO. The rules:
 *
 *   PMAG, predictive (§4.1 Figure 2): dmm_mag_handover() (the Handover
 *     indication of step b) sends HI {P U F, Code 3} with MN-ID, HNPs,
 *     LMAA, MN-LLID and ATT (step c) -> P_HI_SENT, timer hi_wait. F offers
 *     the forwarding of step f and U asks the NMAG to buffer what it gets,
 *     so steps c-f take one round trip. A HAck below 128 -> P_FORWARD,
 *     timer mn_wait: the MN's downlink goes into the tunnel to the NMAG
 *     at once (step f comes before the MN is told to move, step g), and
 *     the NMAG buffers it until the MN is there; when the MN leaves,
 *     timer hold. Nothing is sent onto a link that is about to go: a
 *     closing device drops what is queued on it, and its leaving is seen
 *     only afterwards. A refusal or no HAck in time -> back to delivering
 *     (or, if the MN left meanwhile, the plain de-registration). The MN
 *     leaving in P_HI_SENT buffers its downlink until the HAck; the MN not
 *     leaving within mn_wait ends the handover (NONE).
 *   PMAG, reactive (Figure 3): with fho.reactive, an MN that leaves is not
 *     de-registered: its downlink is buffered (P_BUFFER, timer hold) for an
 *     NMAG's HI. That HI {P U} gets HAck {U P, Code 6} with the context
 *     and the buffering goes on (an MN whose detach was not seen yet is
 *     buffered from then on); the NMAG's HI {P F} that follows puts the
 *     buffer into the tunnel (P_FORWARD). No HI in time: the plain
 *     de-registration (RFC 5213 §6.9.1.4).
 *   P_FORWARD ends with the hold timer after the LMA's BRI (RFC 5846: the
 *     binding moved to the NMAG; without one, mn_wait after the MN left):
 *     HI {P F, Code 2} ("forwarding done", §4.1) tells the NMAG to drop its
 *     end of the tunnel, and the entry goes without a de-registration: the
 *     binding is the NMAG's now. The BRI is answered and the forwarding
 *     goes on until then.
 *   NMAG, predictive: an HI with HNPs creates the entry without an access
 *     link, accepts the PMAG's tunnel, buffers the downlink and answers
 *     HAck {P, U F echoed, Code 5} -> N_WAIT_MN, timer mn_wait. The MN's
 *     attach completes it: delivery on its link replaces the buffer (the
 *     data plane flushes it in order) and the PBU with the HNPs and HI 3
 *     follows (step k); meanwhile the downlink comes through the PMAG.
 *     With fho.early_reg the PBU goes at once, before the MN arrives (the
 *     LMA then sends the downlink here, buffered until the MN comes: no
 *     registration on the path, but a buffer as long as the lead time).
 *     The MN not arriving in time: the plain de-registration.
 *   NMAG, reactive: an unknown MN that attaches when neighbours are
 *     configured is not registered yet: HI {P U} with a Context Request
 *     (HNP, MN-LLID, LMAA) goes to each neighbour (the PMAG is learnt
 *     from this MAG's own table: its neighbours are asked, §4.1 leaves the
 *     way open) -> N_HI_SENT, timer hi_wait. The first HAck with HNPs
 *     gives the prefixes and the LMA; the PMAG's tunnel is accepted and
 *     delivery set up, and only then HI {P F} asks for the forwarding
 *     (§4.1: U and F may come at different times), so no forwarded packet
 *     arrives before this end of the tunnel exists -> N_FWD_WAIT, timer
 *     hi_wait; its HAck (behind the buffer on the same path) or the timer
 *     -> NONE and the PBU (steps g-h), so the LMA's switch does not let
 *     its packets overtake the buffer. All refusing, or none in time: the plain PBU (HI 4,
 *     RFC 5213 §6.9.1.1).
 *
 * Not done: retransmission of HI (one HI, then the fallback), the uplink
 * reverse tunnel NMAG -> PMAG of step j (the NMAG sends uplink to the LMA
 * itself), GRE keys and IPv4 (§6.2.6, §6.2.7), IPsec for HI/HAck (§7).
 */
#include <string.h>

#include "dmm/err.h"
#include "mag_int.h"

static dmm_time_t hold_of(const struct dmm_mag *mag)
{
	return mag->cfg.fho.hold ? mag->cfg.fho.hold : 1 * DMM_SECOND;
}

static dmm_time_t hi_wait_of(const struct dmm_mag *mag)
{
	return mag->cfg.fho.hi_wait ? mag->cfg.fho.hi_wait : 200 * DMM_MSEC;
}

static dmm_time_t mn_wait_of(const struct dmm_mag *mag)
{
	return mag->cfg.fho.mn_wait ? mag->cfg.fho.mn_wait : 5 * DMM_SECOND;
}

static dmm_time_t order_wait_of(const struct dmm_mag *mag)
{
	return mag->cfg.fho.order_wait ? mag->cfg.fho.order_wait : 5 * DMM_MSEC;
}

static void set_fho(struct dmm_mag *mag, struct dmm_bul_entry *e, uint8_t to, const char *reason)
{
	struct fho_rec *f = &mag_bx(mag, e)->fho;

	if (mag_log_on(mag, DMM_LOG_INFO)) {
		char ps[DMM_ADDR_STRLEN];
		struct bulc_who w;

		dmm_logf(mag->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "mag: fho %s peer %s: %s -> %s (%s)",
			 mag_who(e, &w), dmm_addr_str(&f->peer, ps), fho_state_name(f->state),
			 fho_state_name(to), reason);
	}
	f->state = to;
}

static void arm(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t at)
{
	dmm_timers_set(mag->base.timers, MAG_TIMER_FHO, e->handle, at);
}

static void disarm(void *self, const struct dmm_bul_entry *e)
{
	struct dmm_mag *mag = self;

	dmm_timers_cancel(mag->base.timers, MAG_TIMER_FHO, e->handle);
}

/* Install e's intents again: mag_fho_dst() picks delivery, buffer or tunnel. */
static void reinstall(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	if (e->n_hnp)
		mag_intents_install(mag, e, now);
}

/* --- messages (§6.1, §6.2) --- */

/* §6.2: the context of e: HNPs (§6.2.4), LMAA (§6.2.2), MN-LLID when valid, ATT (fho.c). */
static void add_context(struct dmm_mh_msg *m, const struct dmm_bul_entry *e)
{
	fho_add_context(m, e, &e->lmaa);
}

/* An HI about e to dst; a new sequence number unless again (the same HI to another neighbour). */
static void send_hi(struct dmm_mag *mag, struct dmm_bul_entry *e, const struct dmm_addr *dst, uint8_t flags,
		    uint8_t code, bool again, dmm_time_t now)
{
	struct fho_rec *f = &mag_bx(mag, e)->fho;
	struct dmm_mh_msg m;

	if (!again)
		f->seq = ++mag->fho_seq;
	fho_hi_init(&m, f->seq, flags, code, &e->mnid); /* §6.1.1: P and the MN-ID */
	if (code == DMM_HI_CODE_ALL_SENT)
		add_context(&m, e);
	else if (code == DMM_HI_CODE_NONE && !(flags & DMM_HI_F))
		fho_add_ctx_req(
			&m); /* §6.2.1: the defaults, HNP and MN-LLID, and the LMA it is registered with */
	f->hi_sent = now;
	mag->fho.hi_sent++;
	mag_tx(mag, dst, &m);
}

/* §6.1.2: same sequence number, the MN-ID copied; the context of e when given. */
static void send_hack(void *self, const struct dmm_addr *dst, const struct dmm_mh_msg *hi, uint8_t flags,
		      uint8_t code, const struct dmm_bul_entry *e)
{
	struct dmm_mag *mag = self;
	struct dmm_mh_msg m;

	fho_hack_init(&m, hi, flags, code);
	if (e)
		add_context(&m, e);
	if (code >= 128)
		mag->fho.refused++;
	mag->fho.hack_sent++;
	mag_tx(mag, dst, &m);
}

/* --- NMAG --- */

/* The LMA of an HI or HAck's LMAA option (§6.2.2, IPv6 only), else the MN's LMA by policy or default. */
static bool lma_of(const struct dmm_mag *mag, const struct dmm_mh_msg *m, const struct dmm_mnid *id,
		   struct dmm_addr *out)
{
	const struct dmm_mh_opt *o = dmm_mh_find_opt(m, DMM_OPT_LMAA, NULL);

	if (o && o->u.lmaa.code == DMM_LMAA_IPV6) {
		memcpy(out->b, o->u.lmaa.addr.b, 16);
		return true;
	}
	*out = mag->cfg.default_lma;
	if (mag->cfg.policy) {
		const struct dmm_policy_profile *pr = dmm_policy_lookup(mag->cfg.policy, id);

		if (pr && pr->n_lma)
			*out = pr->lma[0];
	}
	return !dmm_addr_is_zero(out);
}

/* Take the HNPs, MN-LLID and ATT of m (an HI or HAck) into e. */
static void take_context(struct dmm_mag *mag, struct dmm_bul_entry *e, const struct dmm_mh_msg *m)
{
	const struct dmm_mh_opt *o = NULL;

	while ((o = dmm_mh_find_opt(m, DMM_OPT_HNP, o)) != NULL)
		if (o->u.hnp.len && dmm_bul_add_prefix(mag->bul, e, &o->u.hnp) < 0)
			break;
	fho_take_link(e, m);
}

/* The first PBU of e, with the prefixes it holds (RFC 5949 §4.1 step k). */
static void register_now(struct dmm_mag *mag, struct dmm_bul_entry *e, uint8_t hi, const char *reason,
			 dmm_time_t now)
{
	bulc_set_state(&mag->cl, e, DMM_BUL_WAIT_PBA, reason);
	bulc_start(&mag->cl, e, BULC_REG, hi, now);
}

/*
 * The NMAG registers with the PMAG's tunnel on and the MN here (§4.1
 * Figure 3 after step e, the PMAG's buffer through): once the LMA switches, its
 * packets come straight here, ahead of the last ones it sent the PMAG,
 * which take two passes through the PMAG. N_ORDER holds the downlink
 * (the PMAG's packets released first, fm.h) until order_wait after the
 * PBA (mag_fho_registered), or hi_wait without one.
 */
static void register_ordered(struct dmm_mag *mag, struct dmm_bul_entry *e, const char *reason, dmm_time_t now)
{
	set_fho(mag, e, FHO_N_ORDER, reason);
	reinstall(mag, e, now);
	arm(mag, e, now + hi_wait_of(mag));
	register_now(mag, e, DMM_HI_BETWEEN_MAGS, reason, now);
}

/* May the MN named id be served here (RFC 5213 §6.2, the MAG's policy)? */
static bool may_serve(const struct dmm_mag *mag, const struct dmm_mnid *id)
{
	const struct dmm_policy_profile *pr;

	if (!mag->cfg.policy)
		return true;
	pr = dmm_policy_lookup(mag->cfg.policy, id);
	return pr && pr->may_register;
}

/* §4.1 Figure 2 steps c-d at the NMAG: the PMAG's HI with the context. */
static void nmag_prepare(void *self, const struct dmm_addr *src, const struct dmm_mh_msg *m,
			 const struct dmm_mnid *id, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct dmm_mag *mag = self;
	uint8_t echo = m->u.hi.flags & (DMM_HI_U | DMM_HI_F), flags = 0;
	struct dmm_addr lma;
	struct fho_rec *f;

	if (e) {
		/* A repeated HI (our HAck was lost) is answered again; anything else is refused. */
		f = &mag_bx(mag, e)->fho;
		if (f->state == FHO_N_WAIT_MN && dmm_addr_eq(&f->peer, src))
			send_hack(mag, src, m, (uint8_t)(echo >> 1), DMM_HACK_CTX_OK, NULL);
		else
			send_hack(mag, src, m, 0, DMM_HACK_NOT_ACCEPTED, NULL);
		return;
	}
	if (!may_serve(mag, id)) {
		send_hack(mag, src, m, 0, DMM_HACK_PROHIBITED, NULL);
		return;
	}
	if (!lma_of(mag, m, id, &lma) || !(e = bulc_add(&mag->cl, id))) {
		send_hack(mag, src, m, 0, DMM_HACK_NO_RESOURCES, NULL);
		return;
	}
	memset(mag_bx(mag, e), 0, sizeof(struct mag_bx));
	e->lmaa = lma;
	e->pcoa = mag->cfg.addr;
	e->ifindex = 0;
	e->lifetime_req = (dmm_time_t)mag->cfg.lifetime_s * DMM_SECOND;
	e->attached = now;
	take_context(mag, e, m);
	if (!e->att)
		e->att = mag->cfg.att;
	f = &mag_bx(mag, e)->fho;
	f->peer = *src;
	f->tunnel = (echo & DMM_HI_F) != 0;
	f->hi_rcvd = now;
	f->nolink = true;
	set_fho(mag, e, FHO_N_WAIT_MN, "context from the PMAG (RFC 5949 §4.1 step c)");
	mag_intents_install(mag, e, now); /* the tunnel accepted, the downlink buffered */
	/* §6.1.2: Code 5; U and F echoed, our acceptance of buffering and forwarding. */
	if (echo & DMM_HI_U)
		flags |= DMM_HACK_U;
	if (echo & DMM_HI_F)
		flags |= DMM_HACK_F;
	send_hack(mag, src, m, flags, DMM_HACK_CTX_OK, NULL);
	/* Step k before the MN arrives, when so configured: HI 3, a handoff between MAGs, the PMAG's HNPs. */
	if (mag->cfg.fho.early_reg)
		register_now(mag, e, DMM_HI_BETWEEN_MAGS, "registering ahead of the MN (RFC 5949)", now);
	arm(mag, e, now + mn_wait_of(mag));
}

/* HI {F, Code 2} from the PMAG (§4.1): its forwarding is done, our end of the tunnel goes. */
static void nmag_fwd_done(void *self, const struct dmm_addr *src, const struct dmm_mh_msg *m,
			  struct dmm_bul_entry *e, dmm_time_t now)
{
	struct dmm_mag *mag = self;
	struct fho_rec *f = e ? &mag_bx(mag, e)->fho : NULL;

	if (!f || !f->tunnel || !dmm_addr_eq(&f->peer, src)) {
		send_hack(mag, src, m, 0, DMM_HACK_NOT_ACCEPTED, NULL);
		return;
	}
	f->tunnel = false;
	if (f->state == FHO_N_ORDER) { /* nothing more comes from the PMAG */
		disarm(mag, e);
		set_fho(mag, e, FHO_NONE, "forwarding done (RFC 5949 §4.1)");
	}
	reinstall(mag, e, now);
	send_hack(mag, src, m, DMM_HACK_F, DMM_HACK_OK, NULL);
}

/* --- PMAG --- */

/* §4.1 Figure 3 steps c-e at the PMAG: the NMAG asks for the context and the forwarding. */
static void pmag_give(void *self, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		      struct dmm_bul_entry *e, dmm_time_t now)
{
	struct dmm_mag *mag = self;
	struct fho_rec *f = e ? &mag_bx(mag, e)->fho : NULL;
	uint8_t flags = 0;

	if (!e || !e->n_hnp || e->state == DMM_BUL_IDLE || e->state == DMM_BUL_DEREG_WAIT ||
	    (f->state != FHO_NONE && f->state != FHO_P_BUFFER && !dmm_addr_eq(&f->peer, src))) {
		send_hack(mag, src, m, 0, DMM_HACK_CTX_UNAVAILABLE, NULL);
		return;
	}
	if (!(m->u.hi.flags & DMM_HI_F) && (m->u.hi.flags & DMM_HI_U)) {
		/*
		 * §4.1 "U ... earlier if the timing of buffering is different from
		 * that of forwarding": buffer (go on buffering) for this NMAG, the
		 * forwarding comes with its HI {F}, once its end of the tunnel is
		 * there (what we forwarded before would find none).
		 */
		flags |= DMM_HACK_U;
		f->peer = *src;
		if (f->state == FHO_NONE) {
			f->gone = true; /* at the NMAG before its detach was seen here */
			f->gone_at = now;
			bulc_timers_detached(&mag->cl, e);
			set_fho(mag, e, FHO_P_BUFFER, "the NMAG asked to buffer (RFC 5949 §4.1, U)");
			reinstall(mag, e, now);
		}
		arm(mag, e, now + hold_of(mag));
	} else if (m->u.hi.flags & DMM_HI_F) {
		if (f->state == FHO_P_BUFFER)
			flags |= DMM_HACK_U; /* what was buffered follows */
		flags |= DMM_HACK_F;
		f->peer = *src;
		if (!f->gone)
			f->gone_at = now;
		f->gone = true; /* the MN is at the NMAG, whether or not its detach was seen here */
		bulc_timers_detached(&mag->cl, e);
		set_fho(mag, e, FHO_P_FORWARD, "the NMAG asked (RFC 5949 §4.1 Figure 3)");
		reinstall(mag, e, now); /* the buffer goes into the tunnel */
		arm(mag, e, now + hold_of(mag));
		mag->fho.forwarded_out++;
	}
	send_hack(mag, src, m, flags, DMM_HACK_CTX_ALL, e);
}

/* The PMAG's HI was refused (§4.1 Figure 2 step d): the MN gone, or delivered here again. */
static void pmag_refused(void *self, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct dmm_mag *mag = self;

	set_fho(mag, e, FHO_NONE, "HAck refused");
	if (mag_bx(mag, e)->fho.gone)
		mag_deregister(mag, e, now);
	else
		reinstall(mag, e, now);
}

/* No neighbour had the context (§4.1 Figure 3 step d): the MN registers as a new one. */
static void nmag_none(void *self, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct dmm_mag *mag = self;

	set_fho(mag, e, FHO_NONE, "no neighbour has the context");
	register_now(mag, e, DMM_HI_UNKNOWN, "MN attached", now);
}

/* The PMAG's HI was accepted (§4.1 Figure 2 step d). */
static void pmag_acked(void *self, struct dmm_bul_entry *e, const struct dmm_mh_msg *m, dmm_time_t now)
{
	struct dmm_mag *mag = self;
	struct fho_rec *f = &mag_bx(mag, e)->fho;

	(void)m;
	set_fho(mag, e, FHO_P_FORWARD, "HAck (RFC 5949 §4.1 step f)");
	if (f->gone) {
		bulc_timers_detached(&mag->cl, e); /* the NMAG registers: no refresh from here */
		arm(mag, e, now + hold_of(mag));
	} else {
		arm(mag, e, now + mn_wait_of(mag)); /* the MN not leaving in time: delivered here again */
	}
	reinstall(mag, e, now);
	mag->fho.forwarded_out++;
}

/* A neighbour answered the NMAG's reactive HI (§4.1 Figure 3 step d). */
static void nmag_acked(void *self, const struct dmm_addr *src, struct dmm_bul_entry *e,
		       const struct dmm_mh_msg *m, dmm_time_t now)
{
	struct dmm_mag *mag = self;
	struct fho_rec *f = &mag_bx(mag, e)->fho;
	struct dmm_addr lma;

	if (lma_of(mag, m, &e->mnid, &lma))
		e->lmaa = lma;
	take_context(mag, e, m);
	f->peer = *src;
	f->tunnel = true;
	set_fho(mag, e, FHO_N_FWD_WAIT, "context from the PMAG (RFC 5949 §4.1 Figure 3 step d)");
	reinstall(mag, e, now); /* the PMAG's tunnel accepted, delivery here */
	/*
	 * Step e, now that our end of the tunnel is there: the PMAG's buffer
	 * and what follows. The PBU waits for the HAck, which comes behind the
	 * buffer on the same path: the LMA's own packets, once it switches,
	 * would otherwise overtake the buffer still in the tunnel.
	 */
	send_hi(mag, e, src, DMM_HI_F, DMM_HI_CODE_NONE, false, now);
	arm(mag, e, now + hi_wait_of(mag));
}

/* The answer to our HI {F} (reactive): the buffer is through, step g. */
static void nmag_forwarded(void *self, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct dmm_mag *mag = self;

	register_ordered(mag, e,
			 "forwarding on (RFC 5949 §4.1 Figure 3 step e): MN attached, context from the PMAG",
			 now);
}

static struct fho_rec *rec_of(void *self, const struct dmm_bul_entry *e)
{
	return &mag_bx(self, e)->fho;
}

static const struct fho_ops mag_fho_ops = {
	.rec = rec_of,
	.send_hack = send_hack,
	.fwd_done = nmag_fwd_done,
	.prepare = nmag_prepare,
	.give = pmag_give,
	.disarm = disarm,
	.p_acked = pmag_acked,
	.p_refused = pmag_refused,
	.n_acked = nmag_acked,
	.n_none = nmag_none,
	.n_forwarded = nmag_forwarded,
};

/* The MAG as fho.c receives HI and HAck for it. */
static struct fho_role role_of(struct dmm_mag *mag)
{
	return (struct fho_role){.ops = &mag_fho_ops,
				 .self = mag,
				 .bul = mag->bul,
				 .cnt = &mag->fho,
				 .rx_unexpected = &mag->base.stats.rx_unexpected,
				 .enabled = mag->cfg.fho.enabled};
}

/* §6.1.1 HI, §6.1.2 HAck (§4.1 Figures 2 and 3): fho.c checks them and calls the rules above. */
void mag_fho_recv(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m, dmm_time_t now)
{
	struct fho_role r = role_of(mag);

	fho_recv(&r, src, m, now);
}

/* --- the hooks of mag.c, mag_state.c and mag_lma.c --- */

int dmm_mag_handover(struct dmm_mag *mag, const struct dmm_mnid *mnid, const struct dmm_addr *nmag,
		     dmm_time_t now)
{
	struct dmm_bul_entry *e;
	struct fho_rec *f;

	if (!mnid || !nmag || !mag->cfg.fho.enabled || dmm_addr_eq(nmag, &mag->cfg.addr) ||
	    dmm_addr_is_zero(nmag))
		return DMM_ERR_INVAL;
	e = dmm_bul_find_mnid(mag->bul, mnid);
	if (!e)
		return DMM_ERR_NOTFOUND;
	if (e->state != DMM_BUL_REGISTERED || !e->n_hnp)
		return DMM_ERR_INVAL;
	f = &mag_bx(mag, e)->fho;
	if (f->state != FHO_NONE)
		return DMM_ERR_EXISTS;
	f->peer = *nmag;
	f->gone = false;
	set_fho(mag, e, FHO_P_HI_SENT, "handover indication (RFC 5949 §4.1 step b)");
	/* Step c: P, U (buffer at the NMAG until the MN is there), F (forward from the HAck on). */
	send_hi(mag, e, nmag, DMM_HI_U | DMM_HI_F, DMM_HI_CODE_ALL_SENT, false, now);
	arm(mag, e, now + hi_wait_of(mag));
	return 0;
}

bool mag_fho_arrived(struct dmm_mag *mag, struct dmm_bul_entry *e, uint32_t link, dmm_time_t now)
{
	struct fho_rec *f = &mag_bx(mag, e)->fho;

	if (f->state != FHO_N_WAIT_MN)
		return false;
	disarm(mag, e);
	e->ifindex = link;
	e->attached = now;
	f->nolink = false;
	mag->fho.predictive++;
	mag->fho.last_attach = now - f->hi_rcvd;
	if (e->state == DMM_BUL_REGISTERED)
		mag->fho.last_reg = e->reg_time;
	mag->fho.last_ready = 0;
	/*
	 * Step k: HI 3, with the PMAG's HNPs, in N_ORDER where the backend
	 * passes the PMAG's packets while it holds the LMA's (fm.h
	 * DMM_FM_CAP_PASS); elsewhere holding the whole downlink for the
	 * registration's round trip would cost more than the race it orders.
	 * Early registration has no such race here: the buffer orders it.
	 */
	if (e->state != DMM_BUL_REGISTERED && e->state != DMM_BUL_WAIT_PBA &&
	    dmm_fm_can(mag->base.fm, DMM_FM_CAP_PASS)) {
		register_ordered(mag, e, "MN attached (RFC 5949 §4.1 step h), prepared by the PMAG", now);
		return true;
	}
	set_fho(mag, e, FHO_NONE, "MN attached (RFC 5949 §4.1 step h)");
	reinstall(mag, e, now); /* delivery replaces the buffer, which the data plane flushes in order */
	if (e->state == DMM_BUL_REGISTERED)
		mag_emit(mag, DMM_MN_REGISTERED, 0, e);
	else if (e->state != DMM_BUL_WAIT_PBA)
		register_now(mag, e, DMM_HI_BETWEEN_MAGS, "MN attached, prepared by the PMAG", now);
	return true;
}

bool mag_fho_ask(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct fho_rec *f = &mag_bx(mag, e)->fho;
	unsigned n = 0;

	if (!mag->cfg.fho.enabled || !mag->cfg.fho.n_neighbour)
		return false;
	bulc_set_state(&mag->cl, e, DMM_BUL_WAIT_PBA, "MN attached, context asked (RFC 5949)");
	set_fho(mag, e, FHO_N_HI_SENT, "unknown MN: neighbours asked (RFC 5949 §4.1 Figure 3 step c)");
	for (unsigned i = 0; i < mag->cfg.fho.n_neighbour && i < DMM_MAG_FHO_MAX_NEIGHBOUR; i++) {
		const struct dmm_addr *nb = &mag->cfg.fho.neighbour[i];

		if (dmm_addr_eq(nb, &mag->cfg.addr))
			continue;
		/* One sequence number for all: each neighbour answers the same HI. */
		send_hi(mag, e, nb, DMM_HI_U, DMM_HI_CODE_NONE, n > 0, now);
		n++;
	}
	f->asked = (uint8_t)n;
	arm(mag, e, now + hi_wait_of(mag));
	return true;
}

bool mag_fho_detached(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct fho_rec *f = &mag_bx(mag, e)->fho;

	if (f->gone)
		return false; /* the hold ended: the plain de-registration */
	switch (f->state) {
	case FHO_P_HI_SENT:
		f->gone = true;
		f->gone_at = now;
		reinstall(mag, e, now); /* buffered until the HAck */
		return true;
	case FHO_P_FORWARD:
		/* §4.1 step f: from now on the downlink goes into the tunnel, for hold. */
		f->gone = true;
		f->gone_at = now;
		bulc_timers_detached(&mag->cl, e);
		reinstall(mag, e, now);
		arm(mag, e, now + hold_of(mag));
		return true;
	case FHO_N_HI_SENT:
	case FHO_N_FWD_WAIT:
	case FHO_N_ORDER:
		disarm(mag, e);
		f->state = FHO_NONE;
		return false;
	case FHO_NONE:
		if (!mag->cfg.fho.enabled || !mag->cfg.fho.reactive || e->state != DMM_BUL_REGISTERED ||
		    !e->n_hnp)
			return false;
		f->gone = true;
		f->gone_at = now;
		bulc_timers_detached(&mag->cl, e);
		set_fho(mag, e, FHO_P_BUFFER, "MN left: downlink held for the NMAG (RFC 5949 §4.1 Figure 3)");
		reinstall(mag, e, now);
		arm(mag, e, now + hold_of(mag));
		return true;
	default:
		return false;
	}
}

void mag_fho_registered(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	/* The LMA switched before it sent the PBA: what it sent the PMAG is on its way here. */
	if (mag_bx(mag, e)->fho.state == FHO_N_ORDER)
		arm(mag, e, now + order_wait_of(mag));
}

bool mag_fho_revoked(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct fho_rec *f = &mag_bx(mag, e)->fho;

	(void)now;
	/* The NMAG's registration moved the binding; the tunnel carries what is still on its way here. */
	if (f->state != FHO_P_FORWARD && f->state != FHO_P_HI_SENT)
		return false;
	f->revoked = true;
	return true;
}

void mag_fho_on_timer(struct dmm_mag *mag, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_bul_entry *e = dmm_bul_get(mag->bul, h);
	struct fho_rec *f;

	if (!e)
		return;
	f = &mag_bx(mag, e)->fho;
	switch (f->state) {
	case FHO_P_HI_SENT:
		mag->fho.no_answer++;
		set_fho(mag, e, FHO_NONE, "no HAck");
		if (f->gone)
			mag_deregister(mag, e, now);
		else
			reinstall(mag, e, now);
		break;
	case FHO_P_BUFFER:
		set_fho(mag, e, FHO_NONE, "no HI from an NMAG");
		mag_deregister(mag, e, now);
		break;
	case FHO_P_FORWARD:
		if (!f->gone) {
			/* The MN never left: no handover after all; it is served here as before. */
			set_fho(mag, e, FHO_NONE, "the MN did not leave");
			reinstall(mag, e, now);
			break;
		}
		/*
		 * The LMA has not moved the binding yet (no BRI: the NMAG's PBU
		 * is being retransmitted): its downlink still comes here, so the
		 * tunnel stays, up to mn_wait after the MN left.
		 */
		if (!f->revoked && now - f->gone_at < mn_wait_of(mag)) {
			arm(mag, e, now + hold_of(mag));
			break;
		}
		/* §4.1: forwarding done; the binding is the NMAG's, so no de-registration. */
		send_hi(mag, e, &f->peer, DMM_HI_F, DMM_HI_CODE_FWD_DONE, false, now);
		set_fho(mag, e, FHO_NONE, "forwarding done");
		mag_emit(mag, DMM_MN_DEREGISTERED, 0, e);
		mag_release(mag, e, now, "handed over (RFC 5949)");
		break;
	case FHO_N_WAIT_MN:
		mag->fho.no_answer++;
		f->nolink = false;
		f->gone = true;
		set_fho(mag, e, FHO_NONE, "the MN did not arrive");
		if (e->state == DMM_BUL_IDLE)
			mag_release(mag, e, now, "prepared, the MN did not arrive"); /* never registered */
		else
			mag_deregister(mag, e, now);
		break;
	case FHO_N_HI_SENT:
		mag->fho.no_answer++;
		set_fho(mag, e, FHO_NONE, "no HAck from a neighbour");
		register_now(mag, e, DMM_HI_UNKNOWN, "MN attached", now);
		break;
	case FHO_N_FWD_WAIT:
		mag->fho.no_answer++;
		register_ordered(mag, e, "no HAck to HI {F}: registering anyway", now);
		break;
	case FHO_N_ORDER:
		set_fho(mag, e, FHO_NONE, "the LMA's packets go on behind the PMAG's");
		reinstall(mag, e, now); /* delivery replaces the buffer: the PMAG's packets first */
		break;
	default:
		break;
	}
}

const struct dmm_mag_fho_counters *dmm_mag_fho_counters(const struct dmm_mag *mag)
{
	return &mag->fho;
}

size_t mag_fho_role_counters(const void *inst, struct dmm_role_counter *out, size_t max)
{
	const struct dmm_mag *mag = inst;

	return fho_counters(&mag->fho, mag->cfg.fho.enabled, out, max);
}
