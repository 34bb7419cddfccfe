/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAG: LMA discovery by name (RFC 6097; RFC 5213 §5.7 leaves open how
 * the MAG learns the LMA address, §6.9.1.1 only says it is the MN's LMA).
 * Below mag_state.c (it calls only bul_client.c and the base); the move of
 * a binding, which needs mag_state.c, is mag.c's lma_move().
 * The daemon resolves the configured name (AAAA) and hands the answer in
 * through dmm_mag_set_lmas(); this file decides what the addresses mean:
 *
 *  - a new MN without an LMA in its policy profile registers at disc.cur,
 *    the first address of the answer, or the address a failed
 *    registration moved on to while the answer stays the same;
 *  - a registration whose PBUs all went unanswered (RFC 5213 §6.9.4:
 *    InitialBindackTimeoutFirstReg, doubling, max retransmissions) starts
 *    again at the next address of the answer, each address once, before
 *    the MN is refused; new MNs then start at that address too;
 *  - an answer with the same addresses in another order (a server's
 *    round robin) changes nothing;
 *  - a new answer that still holds an entry's LMA leaves the entry alone;
 *    one that no longer does (the operator moved the name) moves the
 *    entry at its next refresh (cfg.lma_moves): a de-registration PBU to
 *    the old LMA (§6.9.1.4, not waited for: the binding there lapses with
 *    its lifetime if it is lost) and a new registration at the new one,
 *    which assigns the prefixes (§6.9.1.1: a new session, HI 4). Moving
 *    at the refresh spreads the load over a lifetime instead of sending
 *    every PBU at once, and no binding is dropped before the new LMA is
 *    asked.
 */
#include <string.h>

#include "dmm/err.h"
#include "mag_int.h"

/* The index of a in the list, or -1. */
static int disc_find(const struct mag_disc *d, const struct dmm_addr *a)
{
	for (unsigned i = 0; i < d->n; i++)
		if (dmm_addr_eq(&d->a[i], a))
			return (int)i;
	return -1;
}

int dmm_mag_set_lmas(struct dmm_mag *mag, const struct dmm_addr *a, unsigned n, dmm_time_t now)
{
	struct mag_disc *d = &mag->disc;
	char as[DMM_ADDR_STRLEN];
	bool same;

	(void)now;
	if (!mag->cfg.lma_by_name || !a || n == 0)
		return DMM_ERR_INVAL;
	if (n > DMM_MAG_MAX_LMA_ADDRS)
		n = DMM_MAG_MAX_LMA_ADDRS;
	/*
	 * The same addresses in another order are no change: a server that
	 * rotates its answers (round robin) must not make the MAG forget
	 * the address a failed registration moved on to.
	 */
	same = n == d->n;
	for (unsigned i = 0; i < n && same; i++)
		same = disc_find(d, &a[i]) >= 0;
	if (same)
		return 0;
	memcpy(d->a, a, n * sizeof(*a));
	d->n = (uint8_t)n;
	d->cur = 0;
	dmm_logf(mag->base.env.log, DMM_LOG_INFO, DMM_LC_CFG,
		 "mag: LMA name now names %u address%s, first %s", n, n == 1 ? "" : "es",
		 dmm_addr_str(&a[0], as));
	return 1;
}

unsigned dmm_mag_lmas(const struct dmm_mag *mag, const struct dmm_addr **a, unsigned *cur)
{
	if (a)
		*a = mag->disc.a;
	if (cur)
		*cur = mag->disc.cur;
	return mag->disc.n;
}

bool mag_disc_lma(struct dmm_mag *mag, struct dmm_addr *out)
{
	if (!mag->disc.n) {
		mag->ctr.attach_no_lma++;
		return false;
	}
	*out = mag->disc.a[mag->disc.cur];
	return true;
}

bool mag_disc_give_up(struct dmm_mag *mag, struct dmm_bul_entry *e, dmm_time_t now)
{
	struct mag_disc *d = &mag->disc;
	struct mag_bx *x = mag_bx(mag, e);
	char as[DMM_ADDR_STRLEN], bs[DMM_ADDR_STRLEN];
	int i;

	if (!x->by_name || x->redirected || e->n_hnp || d->n < 2)
		return false;
	x->tried++;
	if (x->tried >= d->n)
		return false; /* every address had its turn */
	i = disc_find(d, &e->lmaa);
	i = (i < 0 ? (int)d->cur : i + 1) % d->n;
	dmm_logf(mag->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
		 "mag: %s: LMA %s did not answer, trying the next address of the LMA name, %s",
		 dmm_mnid_str(&e->mnid, (char[DMM_MNID_STRLEN]){0}), dmm_addr_str(&e->lmaa, as),
		 dmm_addr_str(&d->a[i], bs));
	mag->ctr.lma_next_address++;
	if (dmm_addr_eq(&d->a[d->cur], &e->lmaa))
		d->cur = (uint8_t)i; /* new MNs skip the silent address too */
	e->lmaa = d->a[i];
	bulc_set_state(&mag->cl, e, DMM_BUL_WAIT_PBA, "next address of the LMA name");
	bulc_start(&mag->cl, e, BULC_REG, DMM_HI_UNKNOWN, now);
	return true;
}

bool mag_disc_stale(struct dmm_mag *mag, struct dmm_bul_entry *e)
{
	const struct mag_bx *x = mag_bx(mag, e);

	return mag->cfg.lma_moves && mag->disc.n && e->state == DMM_BUL_REGISTERED &&
	       !mag_at(mag, e)->outstanding && x->by_name && !x->redirected && x->fho.state == FHO_NONE &&
	       disc_find(&mag->disc, &e->lmaa) < 0;
}
