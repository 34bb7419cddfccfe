/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAAR: relocation of an anchored prefix (RFC 7429 GAP1-1,
 * docs/dmm-protocol.md §11), make-before-break. The CMD's PBUs carrying
 * an Anchored Prefix option (RFC 8885 §4.3) move the anchoring of one
 * prefix P from its anchor A to the MN's S-MAAR B:
 *
 *   at B, maar_reloc_take(): a new anchored entry for P, announced as the
 *     newer anchor (dmm_env.anchored, taken_over), delivered on the MN's
 *     link; the serving entry's tunnel to A loses its uplink and its
 *     delivery and keeps its decapsulation, so packets A still forwards
 *     arrive;
 *   at A, maar_reloc_moving(): P is tunnelled to B (as to any S-MAAR) and
 *     marked moving; A still announces P, which the routing system now
 *     prefers at B;
 *   at A, dmm_maar_routed(): dmmd saw the routing system install a route
 *     for P in its routed table (the network's best route for P is B's
 *     announcement): A releases P, its tunnel and its announcement. The
 *     prefix stays out of A's pool while B uses it: the CMD's release of
 *     it, when its pair ends, puts it back (maar_reloc_returned());
 *   the usage (§11.1): A's PBA to the CMD carries P's usage so far
 *     (maar_reloc_usage(), env.usage_get), which the CMD passes on to B
 *     in another relocation PBU (maar_reloc_continue(), env.usage_continue).
 *
 * The route can come before the CMD's PBU to A does (routing may be
 * faster than signalling): the entry remembers it (routed) and the PBU
 * releases at once. Calls maar_serving.c and maar_state.c.
 */
#include <string.h>

#include "dmm/err.h"
#include "maar_int.h"
#include "reloc_usage.h"

/*
 * The serving entry's prefix sp becomes local: its uplink into the tunnel
 * to the old anchor and its delivery go (the anchored entry delivers);
 * the decapsulation of what the old anchor forwards stays as long as sp.
 */
static void sp_localise(struct dmm_maar *m, struct dmm_bul_entry *e, struct maar_sp *sp)
{
	unsigned keep = 0;

	for (unsigned k = 0; k < sp->nid; k++) {
		const struct dmm_intent *in = dmm_fm_get(m->base.fm, sp->id[k]);

		if (in && in->action == DMM_FM_DECAP)
			sp->id[keep++] = sp->id[k];
		else
			dmm_fm_del(m->base.fm, sp->id[k]);
	}
	sp->nid = (uint8_t)keep;
	(void)dmm_anchor_list_del(&e->anchors, &sp->anchor, &sp->p);
	sp->anchor = m->cfg.addr;
	sp->local = true;
	(void)dmm_anchor_list_add(&e->anchors, &sp->anchor, &sp->p);
}

struct dmm_bcache_entry *maar_reloc_take(struct dmm_maar *m, const struct dmm_mnid *id,
					 const struct dmm_prefix *p, const struct dmm_addr *by,
					 dmm_time_t now)
{
	struct dmm_bul_entry *e = dmm_bul_find_mnid(m->bul, id);
	struct dmm_bcache_entry *a;
	struct bulc_who w;
	int i;

	if (dmm_bcache_count(m->bc) >= m->max_anchored)
		return NULL;
	m->taking = true;
	a = maar_anchor_new(m, id, p, &m->cfg.addr, false, now, "taken over from its anchor");
	m->taking = false;
	if (!a)
		return NULL;
	m->ctr.local_anchors++;
	i = e ? maar_sp_find(m, e, p) : -1;
	if (e && !maar_bx(m, e)->detached && e->state != DMM_BUL_DEREG_WAIT) {
		if (i >= 0 && !maar_bx(m, e)->sp[i].local)
			sp_localise(m, e, &maar_bx(m, e)->sp[i]);
		maar_anchor_set(m, a, AM_DELIVER, e->ifindex, NULL, now, "taken over: MN served here");
	} else {
		maar_anchor_set(m, a, AM_BUFFER, 0, NULL, now, "taken over: MN not attached");
	}
	if (maar_log_on(m, DMM_LOG_INFO))
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM, "maar: %s: relocated here",
			 maar_who(id, p, "by", by, &w));
	return a;
}

void maar_reloc_moving(struct dmm_maar *m, struct dmm_bcache_entry *a, const struct dmm_addr *to,
		       dmm_time_t now)
{
	struct maar_ax *x = maar_ax(m, a);

	maar_anchor_set(m, a, AM_TUNNEL, 0, to, now, "handed over: forwarding until the network routes it");
	x->moving = true;
	if (x->routed)
		maar_anchor_release(m, a, now, "handed over, and the network routes it to its new anchor");
}

bool maar_reloc_usage(struct dmm_maar *m, struct dmm_bcache_entry *a, const struct dmm_addr *to,
		      struct dmm_usage *u)
{
	memset(u, 0, sizeof(*u));
	return m->base.env.usage_get &&
	       m->base.env.usage_get(m->base.env.ctx, a->handle, dmm_bce_hnp(a, 0), to, u) == 0;
}

void maar_reloc_continue(struct dmm_maar *m, struct dmm_bcache_entry *a, const struct dmm_mh_opt *o)
{
	struct dmm_usage u;
	struct bulc_who w;

	reloc_usage_get(o, &u);
	if (m->base.env.usage_continue)
		m->base.env.usage_continue(m->base.env.ctx, a->handle, dmm_bce_hnp(a, 0), &u);
	if (maar_log_on(m, DMM_LOG_INFO))
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
			 "maar: %s: usage of the old anchor continued (%llu/%llu packets up/down)",
			 maar_who(DMM_BCE_MNID(a), dmm_bce_hnp(a, 0), "serving", dmm_bce_pcoa(a), &w),
			 (unsigned long long)u.up_packets, (unsigned long long)u.down_packets);
}

void maar_reloc_returned(struct dmm_maar *m, const struct dmm_mnid *id, const struct dmm_prefix *p)
{
	struct bulc_who w;

	/* Allocated and anchored here go together (maar.c, maar_anchor.c): with no entry it was handed over. */
	if (dmm_addr_is_zero(&p->addr) || dmm_pool_release(m->pool, p) != 0)
		return;
	if (maar_log_on(m, DMM_LOG_INFO))
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
			 "maar: %s: ended at the anchor it was handed over to: back in the pool",
			 maar_who(id, p, NULL, NULL, &w));
}

int dmm_maar_routed(struct dmm_maar *m, const struct dmm_prefix *p, bool present, dmm_time_t now)
{
	struct dmm_bcache_entry *a = m && p ? dmm_bcache_find_prefix(m->bc, p) : NULL;
	struct maar_ax *x;

	if (!a)
		return 0;
	x = maar_ax(m, a);
	x->routed = present;
	if (!present || !x->moving)
		return 0;
	maar_anchor_release(m, a, now, "the network routes it to its new anchor");
	return 1;
}

/*
 * §11 policy (relocate_after): an old prefix that still carries traffic
 * (its tunnel's intents were active within the last idle_check) this
 * long after its tunnel came up is asked for: PBU to the CMD, flags A P
 * D, MN-ID, HNP = Anchored Prefix = the prefix, the MN's lifetime, Load
 * Information. The CMD answers with a PBA and relocates it here (the
 * relocation PBU of §11 step 1). Asked once per tunnel.
 */
void maar_reloc_policy(struct dmm_maar *m, struct dmm_bul_entry *e, struct maar_sp *sp, dmm_time_t last,
		       dmm_time_t now)
{
	struct dmm_mh_msg *msg = &m->tx;
	struct bulc_who w;

	if (sp->reloc_asked || now < sp->since + m->cfg.relocate_after || last + 2 * m->cfg.idle_check < now)
		return;
	sp->reloc_asked = true;
	pmip_pbu_build(msg, e, m->cl.seq++, DMM_BU_A | DMM_BU_P | DMM_BU_D,
		       dmm_lifetime_units((uint32_t)(e->lifetime / DMM_SECOND)), &sp->p, 1, false,
		       m->base.env.wall_offset, now);
	dmm_mh_add_opt(msg, DMM_OPT_ANCHORED_PREFIX)->u.anchored_prefix = sp->p;
	maar_add_load(m, msg);
	maar_tx(m, &e->lmaa, msg);
	if (maar_log_on(m, DMM_LOG_INFO))
		dmm_logf(m->base.env.log, DMM_LOG_INFO, DMM_LC_FSM,
			 "maar: %s: carried traffic for %llu s after the move: relocation asked",
			 maar_who(&e->mnid, &sp->p, "anchor", &sp->anchor, &w),
			 (unsigned long long)((now - sp->since) / DMM_SECOND));
}
