/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 7161 §4.1 Active Multicast Subscription options from and to the
 * group lists the MAAR's environment speaks (mcast_ctx.h). The codec
 * (core/wire/mh_opt.c) has checked each record's framing already.
 */
#include <string.h>

#include "mcast_ctx.h"

#define MLD_V1_REPORT 131 /* RFC 2710 §3.6 */
#define MLD_V2_REPORT 143 /* RFC 3810 §5.2 */
enum { REC_IS_IN = 1, REC_IS_EX = 2, REC_TO_IN = 3, REC_TO_EX = 4, REC_ALLOW = 5 };

unsigned mcast_ctx_add(struct dmm_mh_msg *m, const struct dmm_mcast_groups *g)
{
	unsigned n = 0;

	for (unsigned i = 0; i < g->n && i < DMM_MCAST_GROUPS_MAX; i++) {
		struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_MCAST_SUB);

		if (!o)
			break;
		o->u.mcast_sub.type = MLD_V2_REPORT;
		o->u.mcast_sub.rec.len = 20; /* Record Type, Aux Data Len 0, 0 sources, the address */
		o->u.mcast_sub.rec.b[0] = REC_IS_EX;
		memcpy(o->u.mcast_sub.rec.b + 4, g->group[i].b, 16);
		n++;
	}
	return n;
}

/* RFC 3810 §6.1: does the record ask for traffic of its group? */
static bool wants(const struct dmm_mh_opt *o)
{
	const uint8_t *c = o->u.mcast_sub.rec.b;
	unsigned nsrc = (unsigned)c[2] << 8 | c[3];

	if (o->u.mcast_sub.type == MLD_V1_REPORT)
		return true;
	switch (c[0]) {
	case REC_IS_EX:
	case REC_TO_EX:
		return true;
	case REC_IS_IN:
	case REC_TO_IN:
	case REC_ALLOW:
		return nsrc > 0;
	default:
		return false; /* BLOCK: no change of interest */
	}
}

unsigned mcast_ctx_of(const struct dmm_mh_msg *m, struct dmm_mcast_groups *g)
{
	const struct dmm_mh_opt *o = NULL;
	unsigned n = 0;

	g->n = 0;
	while ((o = dmm_mh_find_opt(m, DMM_OPT_MCAST_SUB, o)) != NULL) {
		struct dmm_addr a;
		bool dup = false;

		n++;
		if (!wants(o) || g->n >= DMM_MCAST_GROUPS_MAX)
			continue;
		memcpy(a.b, o->u.mcast_sub.rec.b + 4, 16);
		for (unsigned i = 0; i < g->n && !dup; i++)
			dup = dmm_addr_eq(&g->group[i], &a);
		if (!dup)
			g->group[g->n++] = a;
	}
	return n;
}

unsigned mcast_ctx_copy(struct dmm_mh_msg *to, const struct dmm_mh_msg *from)
{
	const struct dmm_mh_opt *o = NULL;
	unsigned n = 0;

	while ((o = dmm_mh_find_opt(from, DMM_OPT_MCAST_SUB, o)) != NULL) {
		struct dmm_mh_opt *d = dmm_mh_add_opt(to, DMM_OPT_MCAST_SUB);

		if (!d)
			break;
		*d = *o;
		n++;
	}
	return n;
}
