/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-prefix mobility policy (RFC 8653 §3.2 address types, GAP2-1;
 * maar_sess.c says what each kind does). The lowest layer of the MAAR
 * role: calls nothing of it.
 */
#include "maar_int.h"

enum dmm_prefix_kind dmm_prefix_kind_of(const struct dmm_prefix_policy *pol, unsigned n,
					const struct dmm_prefix *p)
{
	int best = -1;

	for (unsigned i = 0; pol && i < n; i++) {
		const struct dmm_prefix *r = &pol[i].range;

		if (r->len <= p->len && dmm_prefix_contains(r, &p->addr) &&
		    (best < 0 || r->len > pol[best].range.len))
			best = (int)i;
	}
	return best < 0 ? DMM_PREFIX_SESSIONS : (enum dmm_prefix_kind)pol[best].kind;
}

uint8_t maar_sess_anchor_mode(const struct dmm_maar *m, const struct dmm_prefix *p, uint8_t mode)
{
	return mode == AM_TUNNEL && dmm_prefix_kind_of(m->cfg.prefix_policy, m->cfg.nprefix_policy, p) ==
					    DMM_PREFIX_NOMADIC
		       ? AM_BUFFER
		       : mode;
}
