/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAG: runtime LMA assignment (RFC 6463 §5.2). With redirect on
 * (EnableLMARedirectFunction, §7) the PBUs of a new session carry the
 * Redirect-Capability option (mag_state.c). A PBA with status below 128
 * and the Redirect option, answering such a PBU, moves the entry to the
 * r2LMA it names (the BULE "updated to contain the r2LMA address"):
 *  - a PBA that grants the session (its HNPs and a lifetime: the rfLMA
 *    set it up at the r2LMA, §5.3.1, §5.3.2) is accepted as it is, and
 *    everything after it (tunnel, refreshes, de-registration) goes to
 *    the r2LMA;
 *  - a PBA without a session (ALL_ZERO HNP or lifetime 0: an rfLMA that
 *    only points, lma_redirect.c) is followed by a fresh PBU to the
 *    r2LMA, which §5.2 does not require but allows.
 * A Redirect option the MAG did not ask for (no Redirect-Capability in
 * the PBU) is ignored (§5.2: "MUST ignore the option"); so is one naming
 * the LMA itself or no IPv6 address (the transport is IPv6, §4.2).
 */
#include <string.h>

#include "mag_int.h"

/* The r2LMA of m's Redirect option, when usable. */
static bool r2lma_of(const struct dmm_mh_msg *m, struct dmm_addr *out)
{
	const struct dmm_mh_opt *o = dmm_mh_find_opt(m, DMM_OPT_REDIRECT, NULL);

	if (!o || !(o->u.redirect.flags & DMM_REDIRECT_K) || o->u.redirect.r2lma.len != 16)
		return false;
	memcpy(out->b, o->u.redirect.r2lma.b, 16);
	return !dmm_addr_is_zero(out);
}

/* The PBA grants a session: a lifetime and no ALL_ZERO prefix. */
static bool grants(const struct dmm_mh_msg *m)
{
	const struct dmm_mh_opt *h = dmm_mh_find_opt(m, DMM_OPT_HNP, NULL);

	return m->u.ba.lifetime && h && h->u.hnp.len;
}

bool mag_redirect_pba(struct dmm_mag *mag, struct dmm_bul_entry *e, const struct dmm_mh_msg *m,
		      dmm_time_t now)
{
	struct mag_bx *x = mag_bx(mag, e);
	char as[DMM_ADDR_STRLEN], bs[DMM_ADDR_STRLEN];
	struct dmm_addr r2;

	if (!x->redir_cap || m->u.ba.status >= 128 || !r2lma_of(m, &r2) || dmm_addr_eq(&r2, &e->lmaa))
		return false;
	x->redir_cap = false;
	x->redirected = true;
	mag->ctr.redirected++;
	dmm_logf(mag->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
		 "mag: %s: redirected from LMA %s to %s (RFC 6463)",
		 dmm_mnid_str(&e->mnid, (char[DMM_MNID_STRLEN]){0}), dmm_addr_str(&e->lmaa, as),
		 dmm_addr_str(&r2, bs));
	if (grants(m)) {
		/* §5.2: the session exists at the r2LMA; the normal processing goes on with the BULE updated. */
		e->lmaa = r2;
		return false;
	}
	e->lmaa = r2;
	bulc_timers_cancel_all(&mag->cl, e);
	bulc_start(&mag->cl, e, BULC_REG, DMM_HI_UNKNOWN, now);
	return true;
}
