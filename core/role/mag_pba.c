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
	struct mag_bx *x = mag_bx(mag, e);
	const struct dmm_mh_opt *upa = dmm_mh_find_opt(m, DMM_OPT_LMA_UPA, NULL);
	bool had_binding = !mag_at(mag, e)->first_reg, changed, upa_changed = false;

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
	bulc_pba_accepted(&mag->cl, e, m->u.ba.lifetime, now);
	mag_fho_registered(mag, e, now); /* RFC 5949: the LMA switched */
	if (!x->intents || changed || upa_changed) {
		mag_intents_install(mag, e, now);
		bulc_peer_hold(&mag->cl, e, now);
		bulc_registered(&mag->cl, e, had_binding, -1, now);
		mag_lr_registered(mag, e, now); /* RFC 6705 §3.1 */
	} else {
		bulc_peer_hold(&mag->cl, e, now);
		bulc_registered(&mag->cl, e, had_binding, -1, now);
	}
	mag_emit(mag, DMM_MN_REGISTERED, 0, e);
}

void mag_recv_pba(struct dmm_mag *mag, const struct dmm_addr *src, const struct dmm_mh_msg *m, dmm_time_t now)
{
	struct dmm_bul_entry *e;
	const struct pmip_status *row;
	uint8_t status = m->u.ba.status;

	if (!(m->u.ba.flags & DMM_BA_P)) {
		mag->base.stats.rx_unexpected++; /* a MIPv6 BA: not for a MAG */
		return;
	}
	/*
	 * RFC 8885 §4.2: the D flag says the sender is a MAAR or a CMD; a MAG
	 * without the DMM extensions ignores the PBA. The PMIPv6 messages give
	 * a MAG no error to send back (a Binding Error's statuses are about
	 * Home Address options and MH types), so the error is our counter and
	 * log line; the PBU's retransmissions go on.
	 */
	if (m->u.ba.flags & DMM_BA_D) {
		char as[DMM_ADDR_STRLEN];

		mag->ctr.pba_d_flag++;
		mag->base.stats.rx_unexpected++;
		dmm_logf(mag->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH,
			 "mag: PBA seq %u from %s has the D flag (a MAAR or CMD): ignored", m->u.ba.seq,
			 dmm_addr_str(src, as));
		return;
	}
	e = bulc_pba_match(&mag->cl, src, m);
	if (!e) {
		mag->base.stats.rx_unexpected++;
		dmm_logf(mag->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH,
			 "mag: PBA seq %u status %u matches no PBU: ignored", m->u.ba.seq, status);
		return;
	}
	/* §6.9.1.2 item 6: a PBA that does not echo the PBU is ignored; the retransmissions go on. */
	if (!bulc_pba_echo_ok(&mag->cl, e, m, &mag->ctr.pba_echo_mismatch))
		return;
	if (mag_redirect_pba(mag, e, m, now))
		return; /* RFC 6463 §5.2: registered at the r2LMA, or registering there */
	if (mag_at(mag, e)->kind == BULC_DEREG) {
		/* §6.9.1.4: the answer (whatever its status) completes the de-registration. */
		mag_release(mag, e, now,
			    status < 128 ? "de-registration acknowledged" : "de-registration refused");
		return;
	}
	if (status < 128) {
		if (!bulc_pba_hnps_ok(&mag->cl, e, m))
			return;
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
	if (bulc_pba_refused(&mag->cl, e, m, &mag->ctr.ts_resyncs, &mag->ctr.seq_resyncs, now))
		return;
	mag_refuse(mag, e, status, row->action == PMIP_ST_BLOCK, now, row->name);
}
