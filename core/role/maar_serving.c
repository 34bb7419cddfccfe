/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MAAR as S-MAAR, the serving entries (one per MN attached here): the
 * prefixes each MN gets here with their tunnels (docs/dmm-protocol.md
 * §2.4), the release and the refusal of an entry, and what the MAAR
 * plugs into its BUL client: the PBU's contents (§1.2, §6), the release
 * PBU of GAP2-1 (§5), the give-up and expiry actions. Calls maar_state.c,
 * maar_timers.c and bul_client.c, never upwards.
 */
#include <string.h>

#include "dmm/err.h"
#include "maar_int.h"

/* --- the prefixes of a serving entry --- */

struct maar_sp *maar_own(struct dmm_maar *m, const struct dmm_bul_entry *e)
{
	struct maar_bx *x = maar_bx(m, e);

	for (unsigned i = 0; i < x->nsp; i++)
		if (x->sp[i].own)
			return &x->sp[i];
	return NULL;
}

int maar_sp_find(struct dmm_maar *m, const struct dmm_bul_entry *e, const struct dmm_prefix *p)
{
	struct maar_bx *x = maar_bx(m, e);

	for (unsigned i = 0; i < x->nsp; i++)
		if (dmm_prefix_eq(&x->sp[i].p, p))
			return (int)i;
	return -1;
}

void maar_sp_tunnel_del(struct dmm_maar *m, struct maar_sp *sp)
{
	if (!sp->nid)
		return;
	for (unsigned k = 0; k < sp->nid; k++)
		dmm_fm_del(m->base.fm, sp->id[k]);
	sp->nid = 0;
	m->ctr.tunnels_down++;
	m->base.stats.tunnels_released++;
}

/*
 * docs/dmm-protocol.md §2.4: for a prefix Q anchored at A, on link L:
 * SRC Q on L -> tunnel to A; the tunnel from A carrying Q is accepted;
 * DST Q -> deliver on L.
 */
static void sp_tunnel_add(struct dmm_maar *m, const struct dmm_bul_entry *e, struct maar_sp *sp,
			  dmm_time_t now)
{
	struct dmm_intent in;
	static const uint8_t match[3] = {DMM_FM_SRC, DMM_FM_DST, DMM_FM_DST};
	static const uint8_t action[3] = {DMM_FM_ENCAP, DMM_FM_DECAP, DMM_FM_DELIVER};

	maar_sp_tunnel_del(m, sp);
	for (unsigned k = 0; k < 3; k++) {
		int r;

		memset(&in, 0, sizeof(in));
		in.precedence = MAAR_INTENT_PRECEDENCE;
		in.prefix = sp->p;
		in.owner.idx = e->handle.idx | MAAR_OWNER_SERVING;
		in.owner.gen = e->handle.gen;
		in.match = match[k];
		in.action = action[k];
		if (action[k] == DMM_FM_DELIVER || match[k] == DMM_FM_SRC)
			in.link = e->ifindex;
		if (action[k] != DMM_FM_DELIVER) {
			in.local = m->cfg.addr;
			in.peer = sp->anchor;
		}
		r = maar_intent_add(m, &in, now);
		if (r > 0)
			sp->id[sp->nid++] = (uint32_t)r;
	}
	sp->since = now;
	m->ctr.tunnels_up++;
	m->base.stats.tunnels_established++;
	maar_timers_idle_arm(m, now);
}

int maar_sp_add(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_prefix *p,
		const struct dmm_addr *anchor, bool own, dmm_time_t now)
{
	struct maar_bx *x = maar_bx(m, e);
	struct maar_sp *sp;
	int r;

	if (x->nsp >= DMM_BUL_MAX_HNP)
		return -1;
	r = dmm_bul_add_prefix(m->bul, e, p);
	if (r < 0 && r != DMM_ERR_EXISTS) {
		char ps[DMM_PREFIX_STRLEN];

		dmm_logf(m->base.env.log, DMM_LOG_WARN, DMM_LC_BC, "maar: prefix %s not kept: %s",
			 dmm_prefix_str(p, ps), dmm_strerror(r));
		return -1;
	}
	sp = &x->sp[x->nsp];
	memset(sp, 0, sizeof(*sp));
	sp->p = *p;
	sp->anchor = *anchor;
	sp->own = own;
	sp->local = dmm_addr_eq(anchor, &m->cfg.addr);
	if (!own)
		(void)dmm_anchor_list_add(&e->anchors, anchor, p);
	if (!sp->local)
		sp_tunnel_add(m, e, sp, now);
	return x->nsp++;
}

void maar_sp_del(struct dmm_maar *m, struct dmm_bul_entry *e, unsigned i)
{
	struct maar_bx *x = maar_bx(m, e);
	struct maar_sp *sp = &x->sp[i];

	maar_sp_tunnel_del(m, sp);
	(void)dmm_bul_del_prefix(m->bul, e, &sp->p);
	if (!sp->own)
		(void)dmm_anchor_list_del(&e->anchors, &sp->anchor, &sp->p);
	for (unsigned k = i + 1; k < x->nsp; k++)
		x->sp[k - 1] = x->sp[k];
	x->nsp--;
}

/* --- PBUs to the CMD --- */

/*
 * The CMD refuses a Timestamp not above the last it accepted for the MN
 * (RFC 5213 §5.5, 157): two PBUs of one MN in the same clock tick (a
 * registration and a release) get strictly increasing values.
 */
static void stamp(struct dmm_maar *m, struct dmm_bul_entry *e, struct dmm_mh_msg *msg)
{
	struct maar_bx *x = maar_bx(m, e);
	struct dmm_mh_opt *o = NULL;

	for (unsigned i = 0; i < msg->nopts && !o; i++)
		if (msg->opts[i].type == DMM_OPT_TIMESTAMP)
			o = &msg->opts[i];
	if (!o)
		return;
	if (e->timestamp <= x->last_ts)
		e->timestamp = x->last_ts + 1;
	x->last_ts = e->timestamp;
	o->u.timestamp.seconds = e->timestamp >> 16;
	o->u.timestamp.fraction = (uint16_t)e->timestamp;
}

/* docs/dmm-protocol.md §1.2, §6: flags A P D, HNP = the own prefix, or ::/0 to ask for an anchor. */
static void ops_send_pbu(void *role, struct dmm_bul_entry *e, uint16_t lifetime_units, dmm_time_t now)
{
	struct dmm_maar *m = role;
	struct maar_sp *own = maar_own(m, e);
	struct dmm_mh_msg *msg = &m->tx;
	uint16_t flags = DMM_BU_A | DMM_BU_P | DMM_BU_D;

	/*
	 * RFC 7161 §4.2.1.1: S, we take the MN's multicast subscription from
	 * its previous MAAR (docs/dmm-protocol.md §14). Not in a
	 * de-registration, where S would announce a context (§4.2.1.2).
	 */
	if (m->base.env.mcast_put && lifetime_units)
		flags |= DMM_BU_S;
	pmip_pbu_build(msg, e, e->seq, flags, lifetime_units, own ? &own->p : NULL, own ? 1 : 0,
		       m->cfg.timestamp_based, m->base.env.wall_offset, now);
	stamp(m, e, msg);
	maar_add_load(m, msg);
	maar_tx(m, &e->lmaa, msg);
}

void maar_send_release(struct dmm_maar *m, struct dmm_bul_entry *e, const struct dmm_prefix *p, unsigned n,
		       dmm_time_t now)
{
	struct maar_bx *x = maar_bx(m, e);
	struct dmm_mh_msg *msg = &m->tx;

	/* docs/dmm-protocol.md §5 step 3: flags A P D, lifetime 0, one HNP per released prefix. */
	x->rel_seq = m->cl.seq++;
	pmip_pbu_build(msg, e, x->rel_seq, DMM_BU_A | DMM_BU_P | DMM_BU_D, 0, p, n, m->cfg.timestamp_based,
		       m->base.env.wall_offset, now);
	stamp(m, e, msg);
	maar_add_load(m, msg);
	maar_tx(m, &e->lmaa, msg);
}

/* --- the end of a serving entry --- */

void maar_serving_release(struct dmm_maar *m, struct dmm_bul_entry *e, bool drop_local, dmm_time_t now,
			  const char *reason)
{
	struct maar_bx *x = maar_bx(m, e);

	bulc_set_state(&m->cl, e, DMM_FSM_NONE, reason); /* logged while the entry still names its prefix */
	while (x->nsp) {
		struct maar_sp *sp = &x->sp[x->nsp - 1];

		if (sp->local && drop_local) {
			struct dmm_bcache_entry *a = maar_anchor_mine(m, e, &sp->p);

			/* Not while it is tunnelled to the MN's next S-MAAR: that one serves it now. */
			if (a && maar_ax(m, a)->mode != AM_TUNNEL)
				maar_anchor_release(m, a, now, reason);
		}
		maar_sp_del(m, e, x->nsp - 1u);
	}
	maar_timers_attached(m, e);
	memset(x, 0, sizeof(*x));
	bulc_del(&m->cl, e, now);
}

void maar_refuse(struct dmm_maar *m, struct dmm_bul_entry *e, uint8_t status, dmm_time_t now,
		 const char *reason)
{
	maar_emit(m, DMM_MN_REFUSED, status, e);
	/* A prefix allocated for this registration goes back to the pool; one tunnelled elsewhere stays. */
	maar_serving_release(m, e, true, now, reason);
}

/* --- what the BUL client asks of the MAAR (bul_client.h) --- */

static const char *ops_who(void *role, const struct dmm_bul_entry *e, struct bulc_who *w)
{
	return maar_who_e(role, e, w);
}

static void ops_tx(void *role, const struct dmm_addr *dst, const struct dmm_mh_msg *msg)
{
	maar_tx(role, dst, msg);
}

static void ops_dereg_lost(void *role, struct dmm_bul_entry *e, dmm_time_t now)
{
	maar_serving_release(role, e, true, now, "no PBA for the de-registration");
}

static void ops_give_up(void *role, struct dmm_bul_entry *e, dmm_time_t now)
{
	maar_refuse(role, e, DMM_MN_STATUS_NO_ANSWER, now, "no PBA");
}

/* A detached MN's registration is not refreshed: it waits for the next S-MAAR (GRACE). */
static bool ops_may_refresh(void *role, const struct dmm_bul_entry *e)
{
	return !maar_bx(role, e)->detached;
}

static void ops_expired(void *role, struct dmm_bul_entry *e, dmm_time_t now)
{
	maar_emit(role, DMM_MN_DEREGISTERED, 0, e);
	maar_serving_release(role, e, true, now, "lifetime expired");
}

const struct bulc_ops maar_bulc_ops = {
	.name = "maar",
	.who = ops_who,
	.send_pbu = ops_send_pbu,
	.tx = ops_tx,
	.dereg_lost = ops_dereg_lost,
	.give_up = ops_give_up,
	.may_refresh = ops_may_refresh,
	.expired = ops_expired,
};
