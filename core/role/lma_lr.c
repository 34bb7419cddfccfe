/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LMA: localized routing (RFC 6705), the LMA's part of scenario A12
 * (§7): a MAG that holds two MNs anchored at different LMAs asks each LMA
 * with an LRI whether their traffic may be routed at the MAG; each LMA
 * decides by its own policy and MUST answer with an LRA (§7). The
 * forwarding at the LMA does not change (the MAG keeps the tunnel for
 * everything else), so the LMA keeps no state for it: it checks that the
 * first [MN-ID, HNP] tuple names a binding of its own at that MAG and
 * answers:
 *   0    Success: both tuples echoed in the same order (§10.2);
 *   128  Localized Routing Not Allowed: the policy (localized_routing
 *        off), or an LRI whose options are not two tuples (§10.1);
 *   129  MN Not Attached: no binding for the MN here, not at that MAG,
 *        or the HNPs are not its own.
 * An LRI with lifetime 0 ends localized routing (§4) and is acknowledged
 * with status 0.
 */
#include <string.h>

#include "dmm/err.h"
#include "lma_int.h"

/* The options of a well-formed LRI: two MN-IDs, each followed by one or more HNPs (§10.1). */
static bool lri_shape(const struct dmm_mh_msg *m)
{
	unsigned ids = 0, hnps = 0;

	for (unsigned i = 0; i < m->nopts; i++) {
		uint8_t t = m->opts[i].type;

		if (t == DMM_OPT_MNID) {
			if (ids && !hnps)
				return false;
			ids++;
			hnps = 0;
		} else if (t == DMM_OPT_HNP) {
			if (!ids)
				return false;
			hnps++;
		}
	}
	return ids == 2 && hnps > 0;
}

/* The first tuple names a binding of this LMA at src, with HNPs of its own. */
static uint8_t lri_status(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_mh_msg *m)
{
	const struct dmm_mh_opt *o = dmm_mh_find_opt(m, DMM_OPT_MNID, NULL);
	struct dmm_bcache_entry *e;
	struct dmm_mnid id;

	if (!lma->cfg.localized_routing || !lri_shape(m))
		return DMM_LRA_NOT_ALLOWED;
	memset(&id, 0, sizeof(id));
	id.subtype = o->u.mnid.subtype;
	id.len = o->u.mnid.id.len;
	memcpy(id.id, o->u.mnid.id.b, id.len);
	e = dmm_bcache_find_mnid(lma->bc, &id);
	if (!e || e->state != DMM_BCE_ACTIVE || !dmm_addr_eq(&e->pcoa, src))
		return DMM_LRA_MN_NOT_ATTACHED;
	for (const struct dmm_mh_opt *h = o + 1; h < m->opts + m->nopts && h->type == DMM_OPT_HNP; h++) {
		const struct dmm_bcache_entry *b = dmm_bcache_find_prefix(lma->bc, &h->u.hnp);

		if (b != e)
			return DMM_LRA_MN_NOT_ATTACHED;
	}
	return DMM_LRA_SUCCESS;
}

void lma_recv_lri(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const struct dmm_mh_msg *m)
{
	struct dmm_mh_msg *a = &lma->tx;
	uint8_t st = m->u.lr.lifetime == 0 && lri_shape(m) ? DMM_LRA_SUCCESS : lri_status(lma, src, m);
	char ps[DMM_ADDR_STRLEN];

	dmm_mh_init(a, DMM_MH_LRA);
	a->u.lr.seq = m->u.lr.seq;
	a->u.lr.status = st;
	a->u.lr.lifetime = m->u.lr.lifetime;
	/* §10.2: with status 0 the tuples in the LRI's order; otherwise only those supported (none). */
	for (unsigned i = 0; st == DMM_LRA_SUCCESS && i < m->nopts; i++)
		if (m->opts[i].type == DMM_OPT_MNID || m->opts[i].type == DMM_OPT_HNP) {
			struct dmm_mh_opt *o = dmm_mh_add_opt(a, m->opts[i].type);

			if (o)
				*o = m->opts[i];
		}
	if (st == DMM_LRA_SUCCESS)
		lma->lr_accepted++;
	else
		lma->lr_refused++;
	dmm_logf(lma->base.env.log, DMM_LOG_INFO, DMM_LC_MH,
		 "lma: LRI from MAG %s, lifetime %u: LRA status %u", dmm_addr_str(src, ps), m->u.lr.lifetime,
		 st);
	lma_send_msg(lma, dst, src, a);
}

size_t lma_role_counters(const void *inst, struct dmm_role_counter *out, size_t max)
{
	const struct dmm_lma *lma = inst;
	size_t n = 0;

	if (n < max)
		out[n++] = (struct dmm_role_counter){"lr-accepted", lma->lr_accepted};
	if (n < max)
		out[n++] = (struct dmm_role_counter){"lr-refused", lma->lr_refused};
	if (n < max)
		out[n++] = (struct dmm_role_counter){"redirected", lma->redirected};
	return n;
}
