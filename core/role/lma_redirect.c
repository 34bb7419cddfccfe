/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LMA: runtime LMA assignment (RFC 6463 §5.3), the rfLMA's decision. An
 * LMA with EnableLMARedirectFunction (§7) that carries redirect_load
 * bindings or more sends a new session elsewhere: when the PBU carries
 * the Redirect-Capability option (§4.1: the MAG can be assigned another
 * LMA), the PBA says success and carries the Redirect option (§4.2) with
 * the r2LMA's address, of the transport's family (§5.3: IPv6).
 *
 * This rfLMA has no interface to the r2LMA (neither §5.3.1's co-location
 * nor §5.3.2's proxy-MAG): it creates no session anywhere, and its PBA
 * carries the PBU's own HNPs (ALL_ZERO) with lifetime 0, so the MAG
 * registers at the r2LMA itself with a fresh PBU, which §5.2 allows ("not
 * required"); dmm's MAG does so (mag_redirect.c). A MAG without the
 * Redirect-Capability, and refreshes, handoffs and de-registrations of
 * sessions bound here, are served as in RFC 5213 (§5.3: "Otherwise, the
 * rfLMA MUST act as a normal LMA").
 */
#include "dmm/bcache.h"
#include "lma_int.h"

const struct dmm_addr *lma_redirect_to(const struct dmm_lma *lma, const struct dmm_mh_msg *m)
{
	const struct dmm_lma_cfg *c = &lma->cfg;

	if (!c->redirect_load || dmm_addr_is_zero(&c->redirect_to) || dmm_addr_eq(&c->redirect_to, &c->addr))
		return NULL;
	if (!dmm_mh_find_opt(m, DMM_OPT_REDIR_CAP, NULL))
		return NULL;
	return dmm_bcache_count(lma->bc) >= c->redirect_load ? &c->redirect_to : NULL;
}
