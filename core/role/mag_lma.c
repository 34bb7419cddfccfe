/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAG: what the LMA starts. Binding Revocation Indications (RFC 5846
 * §9.1) and the heartbeat events of the peer table (RFC 5847 §3.1, §3.2).
 */
#include <string.h>

#include "dmm/err.h"
#include "mag_int.h"

/* --- Binding Revocation (RFC 5846 §9.1) --- */

/* Revoke e: its intents and entry go, the MN loses its prefixes. */
static void revoke(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	if (mag_fho_revoked(mag, e, now))
		return; /* RFC 5949: the MN moved to an NMAG this MAG forwards to */
	mag_emit(mag, DMM_MN_DEREGISTERED, 0, e);
	mag_release(mag, e, now, "binding revoked by the LMA");
}

/* Does e (bound to src) hold every HNP of m? */
static bool holds_hnps(const struct dmm_bul_entry *e, const struct dmm_mh_msg *m)
{
	const struct dmm_mh_opt *o = NULL;

	while ((o = dmm_mh_find_opt(m, DMM_OPT_HNP, o)) != NULL) {
		bool found = false;

		for (unsigned i = 0; i < e->n_hnp && !found; i++)
			found = dmm_prefix_eq(&e->hnp[i], &o->u.hnp);
		if (!found)
			return false;
	}
	return true;
}

/*
 * §9.1: act on the BRI m from src and return the BRA status. With V
 * (revoke only the IPv4 proxy HoA binding) nothing is revoked: this MAG
 * holds no IPv4 proxy HoA (RFC 5844 is not supported) and the IPv6
 * binding must stay, so the answer is 128, Binding Does NOT Exist.
 */
static uint8_t bri_apply(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m,
			 const struct dmm_mnid *id, dmm_time_t now)
{
	uint16_t flags = m->u.br.flags;
	bool v = (flags & DMM_BR_V) != 0;
	uint8_t status = DMM_BRA_NO_BINDING;
	struct dmm_bul_entry *e, *next;

	if (!(flags & DMM_BR_P))
		return DMM_BRA_FUNCTION_NOT_SUPPORTED; /* a MAG has no MIPv6 bindings to revoke */
	if (flags & DMM_BR_G) {
		/* Global revocation: every binding with this LMA, or all of one MN. */
		if (m->u.br.code == DMM_BRI_TRIGGER_PER_PEER) {
			if (m->nopts)
				return DMM_BRA_GLOBAL_NOT_AUTHORIZED;
			for (e = dmm_bul_next(mag->bul, NULL); e && !v; e = next) {
				next = dmm_bul_next(mag->bul, e);
				if (e->state != DMM_BUL_IDLE && dmm_addr_eq(&e->lmaa, src))
					revoke(mag, e, now);
			}
			return v ? DMM_BRA_NO_BINDING : DMM_BRA_SUCCESS;
		}
		if (m->u.br.code != DMM_BRI_TRIGGER_REALM)
			return DMM_BRA_TRIGGER_NOT_SUPPORTED;
		status = DMM_BRA_IDENTITY_REQUIRED;
		for (e = id ? dmm_bul_find_mnid(mag->bul, id) : NULL; e; e = next) {
			next = dmm_bul_find_mnid_next(mag->bul, e);
			if (e->state != DMM_BUL_IDLE && dmm_addr_eq(&e->lmaa, src)) {
				if (!v)
					revoke(mag, e, now);
				status = v ? DMM_BRA_NO_BINDING : DMM_BRA_SUCCESS;
			}
		}
		return status;
	}
	if (!id)
		return DMM_BRA_IDENTITY_REQUIRED;
	/*
	 * Per-MN revocation. For the inter-MAG handover triggers §9.1 asks to
	 * check that the MN is gone; attachment is io/'s knowledge, and the
	 * LMA already saw the MN at another MAG, so the binding is released.
	 */
	for (e = dmm_bul_find_mnid(mag->bul, id); e && !v; e = next) {
		next = dmm_bul_find_mnid_next(mag->bul, e);
		if (e->state != DMM_BUL_IDLE && dmm_addr_eq(&e->lmaa, src) && e->n_hnp && holds_hnps(e, m)) {
			revoke(mag, e, now);
			status = DMM_BRA_SUCCESS;
		}
	}
	return status;
}

void mag_recv_bri(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m, dmm_time_t now)
{
	uint16_t flags = m->u.br.flags;
	struct dmm_mnid id;
	bool have_id = pmip_mnid_of(m, &id);
	uint8_t status;
	struct dmm_mh_msg a;

	mag->base.stats.bri_received++;
	status = bri_apply(mag, src, m, have_id ? &id : NULL, now);
	if (mag_log_on(mag, DMM_LOG_INFO)) {
		char as[DMM_ADDR_STRLEN], ms[DMM_MNID_STRLEN];

		dmm_logf(mag->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
			 "mag: BRI seq %u trigger %u for %s from %s: BRA %u", m->u.br.seq, m->u.br.code,
			 have_id ? dmm_mnid_str(&id, ms) : "-", dmm_addr_str(src, as), status);
	}
	/* RFC 5846 §6.1.2: same sequence number, P, G and V echoed. */
	dmm_mh_init(&a, DMM_MH_BR);
	a.u.br.br_type = DMM_BR_BRA;
	a.u.br.code = status;
	a.u.br.seq = m->u.br.seq;
	a.u.br.flags = flags & (DMM_BR_P | DMM_BR_G | DMM_BR_V);
	if (have_id && !(flags & DMM_BR_G)) {
		struct dmm_mh_opt *o = dmm_mh_add_opt(&a, DMM_OPT_MNID);

		o->u.mnid.subtype = id.subtype;
		o->u.mnid.id.len = id.len;
		memcpy(o->u.mnid.id.b, id.id, id.len);
	}
	mag->base.stats.bra_sent++;
	mag_tx(mag, src, &a);
}

/* --- heartbeat callbacks (RFC 5847) --- */

/* §5.2: the path to the LMA is down. Bindings are marked, not deleted: they may come back. */
void mag_peer_down(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_mag *mag = ctx;
	char as[DMM_ADDR_STRLEN];
	unsigned n = 0;

	(void)now;
	for (struct dmm_bul_entry *e = dmm_bul_next(mag->bul, NULL); e; e = dmm_bul_next(mag->bul, e)) {
		if (e->state == DMM_BUL_IDLE || !dmm_addr_eq(&e->lmaa, &p->addr))
			continue;
		mag_bx(mag, e)->lma_down = true;
		n++;
	}
	mag->ctr.bindings_marked_down += n;
	dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM, "mag: LMA %s down: %u bindings marked",
		 dmm_addr_str(&p->addr, as), n);
}

void mag_peer_up(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_mag *mag = ctx;
	char as[DMM_ADDR_STRLEN];

	(void)now;
	for (struct dmm_bul_entry *e = dmm_bul_next(mag->bul, NULL); e; e = dmm_bul_next(mag->bul, e))
		if (dmm_addr_eq(&e->lmaa, &p->addr))
			mag_bx(mag, e)->lma_down = false;
	dmm_logf(mag->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "mag: LMA %s up again",
		 dmm_addr_str(&p->addr, as));
}

/* §5.3: the LMA lost its bindings; register every MN it served again, at once. */
void mag_peer_restarted(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_mag *mag = ctx;
	char as[DMM_ADDR_STRLEN];
	unsigned n = 0;

	for (struct dmm_bul_entry *e = dmm_bul_next(mag->bul, NULL); e; e = dmm_bul_next(mag->bul, e)) {
		if (!dmm_addr_eq(&e->lmaa, &p->addr))
			continue;
		if (e->state != DMM_BUL_REGISTERED && e->state != DMM_BUL_WAIT_PBA)
			continue;
		mag_bx(mag, e)->lma_down = false;
		/* §6.9.1.1 item 4: as on attach, 4 while the entry has no prefix. */
		bulc_start(&mag->cl, e, BULC_REG, e->n_hnp ? DMM_HI_NO_CHANGE : DMM_HI_UNKNOWN, now);
		n++;
	}
	mag->ctr.rereg_after_restart += n;
	dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
		 "mag: LMA %s restarted: %u MNs registered again", dmm_addr_str(&p->addr, as), n);
}
