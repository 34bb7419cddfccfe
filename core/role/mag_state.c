/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAG, bottom layer: the names of log lines, the forwarding intents of
 * an entry (RFC 5213 §6.10.5, ARCHITECTURE rule 3), the MN events, the
 * release and the refusal of an entry, and what the MAG plugs into its
 * binding update list client (the PBU's contents, RFC 5213 §6.9.1.5).
 * Calls only bul_client.c and the shared helpers below it.
 */
#include <string.h>

#include "dmm/err.h"
#include "mag_int.h"

const char *mag_who(const struct dmm_bul_entry *e, struct bulc_who *w)
{
	char m[DMM_MNID_STRLEN], p[DMM_PREFIX_STRLEN], a[DMM_ADDR_STRLEN];
	size_t i = 0;
	const char *parts[5];

	dmm_mnid_str(&e->mnid, m);
	if (e->n_hnp)
		dmm_prefix_str(&e->hnp[0], p);
	else
		memcpy(p, "-", 2);
	dmm_addr_str(&e->lmaa, a);
	parts[0] = m;
	parts[1] = " prefix ";
	parts[2] = p;
	parts[3] = " lma ";
	parts[4] = a;
	for (int k = 0; k < 5; k++)
		for (const char *c = parts[k]; *c && i + 1 < sizeof(w->s); c++)
			w->s[i++] = *c;
	w->s[i] = 0;
	return w->s;
}

void mag_tx(struct dmm_mag *mag, const struct dmm_addr *dst, const struct dmm_mh_msg *m)
{
	uint8_t buf[DMM_MH_MAX_LEN];

	dmm_role_base_send(&mag->base, buf, sizeof(buf), "mag: ", &mag->cfg.addr, dst, m);
}

void mag_emit(struct dmm_mag *mag, uint8_t type, uint8_t status, const struct dmm_bul_entry *e)
{
	struct dmm_mn_event ev;
	uint32_t lt = type == DMM_MN_REGISTERED ? (uint32_t)(e->lifetime / DMM_SECOND) : 0;

	if (!mag->base.env.mn_event || mag_fho_quiet(mag, e))
		return;
	pmip_mn_event_init(&ev, type, status, e, lt, &e->lmaa);
	for (unsigned i = 0; i < e->n_hnp; i++)
		if (!pmip_mn_event_add(&ev, &e->hnp[i], lt, lt, &e->lmaa))
			break;
	mag->base.env.mn_event(mag->base.env.ctx, &ev);
}

/* --- intents (RFC 5213 §6.10.5, ARCHITECTURE rule 3) --- */

void mag_intents_del(struct dmm_mag *mag, struct dmm_bul_entry *e)
{
	struct mag_bx *x = mag_bx(mag, e);

	if (!x->intents)
		return;
	/* RFC 6705 §7.1: the pair's LREs go first (the latest time the entry saw stands for now). */
	mag_lr_gone(mag, e, e->sent > e->attached ? e->sent : e->attached);
	dmm_fm_del_owner(mag->base.fm, e->handle);
	x->intents = false;
	mag->base.stats.tunnels_released++;
}

/* Ensure one intent (fm.h: no backend call when it is in place already); its id into keep. */
static void intent_put(struct dmm_mag *mag, const struct dmm_intent *in, dmm_time_t now, uint32_t *keep,
		       unsigned *nkeep)
{
	int r = dmm_fm_ensure(mag->base.fm, in, now);

	if (r < 0) {
		mag->ctr.intents_failed++;
		dmm_logf(mag->base.env.log, DMM_LOG_ERR, DMM_LC_DP, "mag: intent %s/%s refused: %s",
			 dmm_fm_match_name(in->match), dmm_fm_action_name(in->action), dmm_strerror(r));
		return;
	}
	keep[(*nkeep)++] = (uint32_t)r;
}

/*
 * Per HNP P on access link L with LMA tunnel end A (§6.9.1.2 items 12-13,
 * §6.10.5): from the MN, source P on L -> tunnel to A; from the LMA, the
 * tunnel from A carrying P is accepted; destination P -> deliver on L.
 * Only what differs from the installed intents reaches the data plane
 * (fm.h dmm_fm_ensure): a new tunnel end replaces the uplink in place and
 * accepts the new downlink before the old one goes; the delivery on the
 * link stays as it is.
 */
void mag_intents_install(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct mag_bx *x = mag_bx(mag, e);
	const struct dmm_addr *peer = x->has_upa ? &x->upa : &e->lmaa;
	uint32_t keep[4 * DMM_BUL_MAX_HNP + MAG_LR_KEEP];
	unsigned n = 0;

	for (unsigned i = 0; i < e->n_hnp; i++) {
		struct dmm_intent in;

		memset(&in, 0, sizeof(in));
		in.precedence = MAG_INTENT_PRECEDENCE;
		in.prefix = e->hnp[i];
		in.owner = e->handle;
		in.match = DMM_FM_SRC;
		in.link = e->ifindex;
		in.action = DMM_FM_ENCAP;
		in.local = mag->cfg.addr;
		in.peer = *peer;
		if (!mag_fho_quiet(mag, e)) /* RFC 5949: a prepared MN has no link to send from yet */
			intent_put(mag, &in, now, keep, &n);
		in.match = DMM_FM_DST;
		in.link = 0;
		in.action = DMM_FM_DECAP;
		intent_put(mag, &in, now, keep, &n);
		memset(&in.local, 0, sizeof(in.local));
		memset(&in.peer, 0, sizeof(in.peer));
		in.action = DMM_FM_DELIVER;
		in.link = e->ifindex;
		mag_fho_dst(mag, e, &in); /* RFC 5949: buffered or tunnelled to the NMAG during a handover */
		intent_put(mag, &in, now, keep, &n);
		if (x->fho.tunnel) {
			/* RFC 5949 §4.2: the PMAG's tunnel into this NMAG, for the packets it forwards. */
			in.action = DMM_FM_DECAP;
			in.link = 0;
			in.local = mag->cfg.addr;
			in.peer = x->fho.peer;
			intent_put(mag, &in, now, keep, &n);
		}
	}
	mag_lr_keep(mag, e, keep, &n); /* RFC 6705: the LREs of e's pairs stay */
	dmm_fm_del_owner_except(mag->base.fm, e->handle, keep, n);
	/* As before: a change of the intents counts as the tunnel released and set up again. */
	if (x->intents)
		mag->base.stats.tunnels_released++;
	x->intents = true;
	mag->base.stats.tunnels_established++;
}

/* --- the end of an entry --- */

void mag_release(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now, const char *reason)
{
	mag_intents_del(mag, e);
	dmm_timers_cancel(mag->base.timers, MAG_TIMER_FHO, e->handle);
	bulc_set_state(&mag->cl, e, DMM_FSM_NONE, reason);
	memset(mag_bx(mag, e), 0, sizeof(struct mag_bx));
	bulc_del(&mag->cl, e, now);
}

/* The MN left (§6.9.1.4): its forwarding goes, its binding is de-registered. */
void mag_deregister(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	mag_intents_del(mag, e);
	bulc_timers_detached(&mag->cl, e);
	mag_emit(mag, DMM_MN_DEREGISTERED, 0, e);
	mag->base.stats.deregistrations++;
	if (e->n_hnp == 0) {
		/*
		 * Never granted a prefix: there is nothing to name in a
		 * de-registration (§6.9.1.4 item 2 needs the HNPs). If the LMA
		 * did create a binding, it lapses with its lifetime.
		 */
		mag_release(mag, e, now, "MN detached before registration");
		return;
	}
	/* §6.9.1.4: lifetime 0, the HNPs, HI 4; one timeout and no retry. */
	bulc_set_state(&mag->cl, e, DMM_BUL_DEREG_WAIT, "MN detached");
	bulc_start(&mag->cl, e, BULC_DEREG, DMM_HI_UNKNOWN, now);
}

/*
 * e keeps its entry but nothing else: its timers, prefixes, LMA peer and
 * outstanding PBU go (its intents are the caller's, removed before).
 */
void mag_strip(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	bulc_timers_cancel_all(&mag->cl, e);
	while (e->n_hnp) {
		struct dmm_prefix p = e->hnp[e->n_hnp - 1];

		dmm_bul_del_prefix(mag->bul, e, &p);
	}
	bulc_peer_release(&mag->cl, e, now);
	mag_at(mag, e)->outstanding = false;
}

/* The MN gets no (more) service (§6.9.1.2 item 11). */
void mag_refuse(struct dmm_mag *mag, struct dmm_bul_entry *e, uint8_t status, bool block, dmm_time_t now,
		const char *reason)
{
	mag_emit(mag, DMM_MN_REFUSED, status, e);
	if (!block) {
		mag_release(mag, e, now, reason);
		return;
	}
	/* Kept in IDLE, without prefixes, as the marker that blocks the MN. */
	mag_intents_del(mag, e);
	mag_strip(mag, e, now);
	mag_bx(mag, e)->blocked = true;
	bulc_set_state(&mag->cl, e, DMM_BUL_IDLE, reason);
}

/* --- what the BUL client asks of the MAG (bul_client.h) --- */

static const char *ops_who(void *role, const struct dmm_bul_entry *e, struct bulc_who *w)
{
	(void)role;
	return mag_who(e, w);
}

/* RFC 5213 §6.9.1.5: flags A and P, every HNP the entry holds (none: one ALL_ZERO, §6.9.1.1 item 3). */
static void ops_send_pbu(void *role, struct dmm_bul_entry *e, uint16_t lifetime_units, dmm_time_t now)
{
	struct dmm_mag *mag = role;
	struct dmm_mh_msg m;

	pmip_pbu_build(&m, e, e->seq, DMM_BU_A | DMM_BU_P, lifetime_units, e->hnp, e->n_hnp,
		       mag->cfg.timestamp_based, mag->base.env.wall_offset, now);
	/* RFC 6463 §5.2: Redirect-Capability in the PBUs of a new session (no prefix yet). */
	mag_bx(mag, e)->redir_cap =
		mag->cfg.redirect && !mag_bx(mag, e)->redirected && e->n_hnp == 0 && lifetime_units;
	if (mag_bx(mag, e)->redir_cap)
		dmm_mh_add_opt(&m, DMM_OPT_REDIR_CAP);
	mag_tx(mag, &e->lmaa, &m);
}

static void ops_tx(void *role, const struct dmm_addr *dst, const struct dmm_mh_msg *m)
{
	mag_tx(role, dst, m);
}

static void ops_dereg_lost(void *role, struct dmm_bul_entry *e, dmm_time_t now)
{
	mag_release(role, e, now, "no PBA for the de-registration");
}

static void ops_give_up(void *role, struct dmm_bul_entry *e, dmm_time_t now)
{
	if (mag_disc_give_up(role, e, now))
		return; /* RFC 6097: the next address of the LMA name */
	mag_refuse(role, e, DMM_MN_STATUS_NO_ANSWER, false, now, "no PBA");
}

/* No PBU: the LMA's binding lapsed at the same time. */
static void ops_expired(void *role, struct dmm_bul_entry *e, dmm_time_t now)
{
	mag_emit(role, DMM_MN_DEREGISTERED, 0, e);
	mag_release(role, e, now, "lifetime expired");
}

const struct bulc_ops mag_bulc_ops = {
	.name = "mag",
	.who = ops_who,
	.send_pbu = ops_send_pbu,
	.tx = ops_tx,
	.dereg_lost = ops_dereg_lost,
	.give_up = ops_give_up,
	.may_refresh = NULL,
	.expired = ops_expired,
};
