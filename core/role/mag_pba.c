/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAG: receiving a Proxy Binding Acknowledgement (RFC 5213 §6.9.1.2):
 * matching it to the PBU it answers, accepting a binding (prefixes,
 * intents, timers, the MN event) and the action for every refusing status.
 */
#include <string.h>

#include "dmm/err.h"
#include "mag_int.h"

/* --- PBA (RFC 5213 §6.9.1.2); the status table is pmip_status_row() in pmip_common.c --- */

/* The entry m answers, or NULL (§6.9.1.2 item 5). */
static struct dmm_bul_entry *pba_match(struct dmm_mag *mag, const struct dmm_addr *src,
				       const struct dmm_mh_msg *m)
{
	struct dmm_mnid id;
	struct dmm_bul_entry *e;

	if (!pmip_mnid_of(m, &id))
		return NULL;
	for (e = dmm_bul_find_mnid(mag->bul, &id); e; e = dmm_bul_find_mnid_next(mag->bul, e)) {
		struct mag_x *x = mag_xof(mag, e);

		if (!x->outstanding || !dmm_addr_eq(&e->lmaa, src))
			continue;
		/* 135 carries the LMA's last accepted number, not ours (RFC 6275 §9.5.1). */
		if (m->u.ba.status == DMM_BA_SEQ_OUT_OF_WINDOW ||
		    pmip_seq_in_attempt(m->u.ba.seq, x->seq_first, e->seq))
			return e;
	}
	return NULL;
}

/* Make e's HNPs equal to the PBA's; true when they changed. */
static bool sync_prefixes(struct dmm_mag *mag, struct dmm_bul_entry *e, const struct dmm_mh_msg *m)
{
	const struct dmm_mh_opt *o;
	bool same = true;
	unsigned n = dmm_mh_count_opt(m, DMM_OPT_HNP);

	if (n != e->n_hnp)
		same = false;
	for (o = NULL; same && (o = dmm_mh_find_opt(m, DMM_OPT_HNP, o)) != NULL;) {
		bool found = false;

		for (unsigned i = 0; i < e->n_hnp && !found; i++)
			found = dmm_prefix_eq(&e->hnp[i], &o->u.hnp);
		same = found;
	}
	if (same)
		return false;
	while (e->n_hnp) {
		struct dmm_prefix p = e->hnp[e->n_hnp - 1];

		dmm_bul_del_prefix(mag->bul, e, &p);
	}
	for (o = NULL; (o = dmm_mh_find_opt(m, DMM_OPT_HNP, o)) != NULL;) {
		int r = dmm_bul_add_prefix(mag->bul, e, &o->u.hnp);

		if (r < 0) {
			char ps[DMM_PREFIX_STRLEN];

			dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_BC,
				 "mag: HNP %s from PBA not kept: %s", dmm_prefix_str(&o->u.hnp, ps),
				 dmm_strerror(r));
		}
	}
	return true;
}

static void pba_accept(struct dmm_mag *mag, struct dmm_bul_entry *e, const struct dmm_mh_msg *m,
		       dmm_time_t now)
{
	struct mag_x *x = mag_xof(mag, e);
	const struct dmm_mh_opt *upa = dmm_mh_find_opt(m, DMM_OPT_LMA_UPA, NULL);
	bool had_binding = !x->first_reg, changed, upa_changed = false;
	struct mag_who w;

	changed = sync_prefixes(mag, e, m);
	/* RFC 7389: the tunnel ends at the LMA's user-plane address when it gives one. */
	if (upa && upa->u.lma_upa.len == 16) {
		struct dmm_addr a;

		memcpy(a.b, upa->u.lma_upa.b, 16);
		upa_changed = !x->has_upa || !dmm_addr_eq(&a, &x->upa);
		x->has_upa = true;
		x->upa = a;
	} else if (x->has_upa) {
		upa_changed = true;
		x->has_upa = false;
	}
	x->outstanding = false;
	x->kind = PBU_NONE;
	x->first_reg = false;
	x->ts_resynced = x->seq_resynced = false;
	e->retx = 0;
	e->lifetime = (dmm_time_t)dmm_lifetime_seconds(m->u.ba.lifetime) * DMM_SECOND;
	/* ARCHITECTURE rule 8: the software measures attach -> registration itself. */
	if (e->registered < e->attached)
		e->reg_time = now - e->attached;
	e->registered = now;
	e->expires = now + e->lifetime;
	dmm_timers_cancel(mag->base.timers, DMM_TIMER_PBU_RETX, e->handle);
	if (!x->intents || changed || upa_changed)
		mag_intents_install(mag, e, now);
	if (!x->peer_ref) {
		struct dmm_peer *p = dmm_peers_get(mag->base.peers, &e->lmaa, true);

		if (p) {
			dmm_peers_ref(mag->base.peers, p, +1, now);
			x->peer_ref = true;
		}
	}
	if (had_binding && e->state == DMM_BUL_REGISTERED) {
		mag->base.stats.lifetime_ext_no_handoff++;
		if (mag_log_on(mag, DMM_LOG_DEBUG))
			dmm_logf(mag->base.env.log, DMM_LOG_DEBUG, DMM_LC_FSM,
				 "mag: %s: lifetime extended to %u s", mag_who(e, &w),
				 dmm_lifetime_seconds(m->u.ba.lifetime));
	} else {
		if (!had_binding)
			mag->base.stats.initial_registrations++;
		else
			mag->base.stats.lifetime_ext_after_handoff++;
		mag_set_state(mag, e, DMM_BUL_REGISTERED, "PBA accepted");
		/* Rule 8: attach seen -> registration acknowledged. */
		if (mag_log_on(mag, DMM_LOG_INFO))
			dmm_logf(mag->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
				 "mag: %s: registered %llu us after attach, lifetime %u s", mag_who(e, &w),
				 (unsigned long long)((now - e->attached) / DMM_USEC),
				 dmm_lifetime_seconds(m->u.ba.lifetime));
	}
	dmm_timers_set(mag->base.timers, DMM_TIMER_BUL_REFRESH, e->handle,
		       now + e->lifetime / 100 * (100 - mag->cfg.refresh_margin_pct));
	dmm_timers_set(mag->base.timers, DMM_TIMER_BUL_EXPIRE, e->handle, e->expires);
	mag_emit(mag, DMM_MN_REGISTERED, 0, e);
}

/* The MN gets no (more) service (§6.9.1.2 item 11). */
void mag_refuse(struct dmm_mag *mag, struct dmm_bul_entry *e, uint8_t status, bool block, dmm_time_t now,
		const char *reason)
{
	struct mag_x *x = mag_xof(mag, e);

	mag_emit(mag, DMM_MN_REFUSED, status, e);
	if (!block) {
		mag_release(mag, e, now, reason);
		return;
	}
	/* Kept in IDLE, without prefixes, as the marker that blocks the MN. */
	mag_intents_del(mag, e);
	mag_timers_cancel_all(mag, e);
	while (e->n_hnp) {
		struct dmm_prefix p = e->hnp[e->n_hnp - 1];

		dmm_bul_del_prefix(mag->bul, e, &p);
	}
	if (x->peer_ref) {
		struct dmm_peer *p = dmm_peers_get(mag->base.peers, &e->lmaa, false);

		if (p)
			dmm_peers_ref(mag->base.peers, p, -1, now);
		x->peer_ref = false;
	}
	x->outstanding = false;
	x->blocked = true;
	mag_set_state(mag, e, DMM_BUL_IDLE, reason);
}

void mag_recv_pba(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m, dmm_time_t now)
{
	struct dmm_bul_entry *e;
	struct mag_x *x;
	const struct pmip_status *row;
	uint8_t status = m->u.ba.status;
	struct mag_who w;

	if (!(m->u.ba.flags & DMM_BA_P)) {
		mag->base.stats.rx_unexpected++; /* a MIPv6 BA: not for a MAG */
		return;
	}
	e = pba_match(mag, src, m);
	if (!e) {
		mag->base.stats.rx_unexpected++;
		dmm_logf(mag->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH,
			 "mag: PBA seq %u status %u matches no PBU: ignored", m->u.ba.seq, status);
		return;
	}
	x = mag_xof(mag, e);
	if (!pmip_pba_echo_ok(e, m)) {
		/*
		 * §6.9.1.2 item 6 says ignore it and stop retransmitting. We
		 * ignore it but keep retransmitting: without IPsec a forged PBA
		 * would otherwise stop a registration.
		 */
		mag->ctr.pba_echo_mismatch++;
		mag->base.stats.rx_unexpected++;
		if (mag_log_on(mag, DMM_LOG_WARN))
			dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_MH,
				 "mag: %s: PBA ignored: HI/ATT/MN-LLID differ from the PBU", mag_who(e, &w));
		return;
	}
	mag->base.stats.binding_acks++;
	mag->base.stats.ba_status[status]++;
	if (x->kind == PBU_DEREG) {
		/* §6.9.1.4: the answer (whatever its status) completes the de-registration. */
		mag_release(mag, e, now,
			    status < 128 ? "de-registration acknowledged" : "de-registration refused");
		return;
	}
	if (status < 128) {
		if (!pmip_pba_hnps_ok(m)) {
			mag->base.stats.rx_unexpected++;
			if (mag_log_on(mag, DMM_LOG_WARN))
				dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_MH,
					 "mag: %s: accepting PBA without a usable HNP: ignored",
					 mag_who(e, &w));
			return;
		}
		if (m->u.ba.lifetime == 0) {
			/* Accepted with lifetime 0: the binding is already gone. */
			mag_emit(mag, DMM_MN_DEREGISTERED, 0, e);
			mag_release(mag, e, now, "PBA granted lifetime 0");
			return;
		}
		pba_accept(mag, e, m, now);
		return;
	}
	row = pmip_status_row(status);
	if (mag_log_on(mag, DMM_LOG_WARN))
		dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM, "mag: %s: PBA status %u %s",
			 mag_who(e, &w), status, row->name);
	switch (row->action) {
	case PMIP_ST_RESYNC_TS:
		if (!x->ts_resynced) {
			x->ts_resynced = true;
			mag->ctr.ts_resyncs++;
			mag_retry_now(mag, e, now);
			return;
		}
		break;
	case PMIP_ST_RESYNC_SEQ:
		if (!x->seq_resynced) {
			x->seq_resynced = true;
			mag->ctr.seq_resyncs++;
			/* RFC 6275 §11.7.1: resend with a number above the LMA's. */
			if (dmm_seq_lt(mag->seq, (uint16_t)(m->u.ba.seq + 1)))
				mag->seq = (uint16_t)(m->u.ba.seq + 1);
			mag_retry_now(mag, e, now);
			return;
		}
		break;
	default:
		break;
	}
	mag_refuse(mag, e, status, row->action == PMIP_ST_BLOCK, now, row->name);
}
