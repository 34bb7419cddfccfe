/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CMD: relocation of an anchored prefix (RFC 7429 GAP1-1,
 * docs/dmm-protocol.md §11). The CMD mediates every relocation, so its
 * record follows: it asks the new anchor B (the MN's S-MAAR) to take the
 * prefix P over (UPD_TAKE: PBU A P D with HNP P, Anchored Prefix P,
 * Serving MAAR B, the MN's remaining lifetime). Once B accepted, the pair
 * (A, P) becomes (B, P) and the old anchor A learns that P is B's now
 * (UPD_MOVED: the same PBU to A with Serving MAAR B); A forwards to B
 * until the routing system routes P to B, then releases it. A that is
 * down (heartbeat, RFC 5847) is not told. A's answer carries P's usage
 * (§11.1), passed on to B in another PBU like the first. The pair
 * remembers its first anchor (the pool P came from: px->origin), which
 * gets P back when the pair ends (cmd_state.c).
 *
 * Triggers: dmm_cmd_relocate() (operator), dmm_cmd_drain() (every
 * prefix anchored at a MAAR), and a MAAR declared down when
 * reanchor_on_failure is set (cmd_reloc_peer_down()). Only the MN's
 * S-MAAR can be the new anchor: it delivers P on the MN's link itself.
 * Calls cmd_state.c, cmd_upd.c and cmd_anchor.c.
 */
#include <string.h>

#include "dmm/err.h"
#include "cmd_int.h"

/* The MN's remaining lifetime in seconds, at least 1. */
static uint32_t remaining_s(const struct dmm_bcache_entry *e, dmm_time_t now)
{
	dmm_time_t left = e->expires > now ? e->expires - now : 0;
	uint64_t s = left / DMM_SECOND;

	return s == 0 ? 1 : s > 0xffffu * 4u ? 0xffffu * 4u : (uint32_t)s;
}

/*
 * One relocation PBU (kind UPD_TAKE or UPD_MOVED) about pair i of e to
 * maar; with usage (an Anchor Usage option, §11.1), a PBU passing it on.
 */
static int reloc_send(struct dmm_cmd *c, struct dmm_bcache_entry *e, unsigned i, uint8_t kind,
		      const struct dmm_addr *maar, const struct dmm_addr *from,
		      const struct dmm_mh_opt *usage, dmm_time_t now)
{
	struct cmd_upd *u = cmd_upd_new(c, kind, DMM_BCE_MNID(e));

	if (!u) {
		cmd_log_mn(c, DMM_LOG_ERR, DMM_BCE_MNID(e), &dmm_bce_pmaar(e)->a[i].prefix, maar,
			   "no room for an update: not relocated");
		return DMM_ERR_NOMEM;
	}
	u->mn = e->handle;
	u->maar = *maar;
	u->from = *from;
	u->prefix = dmm_bce_pmaar(e)->a[i].prefix;
	u->serving = *dmm_bce_pcoa(e);
	u->lifetime_units = dmm_lifetime_units(remaining_s(e, now));
	u->delay = c->cfg.initial_bindack_timeout;
	u->hi = e->hi;
	u->att = e->att;
	if (usage) {
		u->has_usage = true;
		memcpy(u->usage, usage->u.vsm.data.b, RELOC_USAGE_LEN);
	}
	cmd_log_mn(c, DMM_LOG_INFO, DMM_BCE_MNID(e), &u->prefix, maar,
		   usage	      ? "relocation: the old anchor's usage to the new anchor"
		   : kind == UPD_TAKE ? "relocation: PBU with Anchored Prefix to the new anchor"
				      : "relocation: PBU with Anchored Prefix to the old anchor");
	cmd_upd_send(c, u, now);
	return 0;
}

/* Relocate pair i of e to its S-MAAR. */
static int reloc_pair(struct dmm_cmd *c, struct dmm_bcache_entry *e, unsigned i, dmm_time_t now)
{
	const struct dmm_addr *from = &dmm_bce_pmaar(e)->a[i].addr;

	if (e->state != DMM_BCE_ACTIVE || dmm_addr_eq(from, dmm_bce_pcoa(e)))
		return DMM_ERR_INVAL; /* de-registering, or anchored at the S-MAAR already */
	return reloc_send(c, e, i, UPD_TAKE, dmm_bce_pcoa(e), from, NULL, now);
}

int dmm_cmd_relocate(struct dmm_cmd *c, const struct dmm_prefix *p, const struct dmm_addr *to, dmm_time_t now)
{
	struct dmm_bcache_entry *e = c && p ? dmm_bcache_find_prefix(c->bc, p) : NULL;
	int i = -1;

	if (!e)
		return DMM_ERR_NOTFOUND;
	for (unsigned k = 0; k < dmm_bce_pmaar(e)->n && i < 0; k++)
		if (dmm_prefix_eq(&dmm_bce_pmaar(e)->a[k].prefix, p))
			i = (int)k;
	if (i < 0)
		return DMM_ERR_NOTFOUND;
	if (to && !dmm_addr_is_zero(to) && !dmm_addr_eq(to, dmm_bce_pcoa(e)))
		return DMM_ERR_INVAL; /* only the MN's S-MAAR takes a prefix over */
	return reloc_pair(c, e, (unsigned)i, now);
}

/* Every pair anchored at maar whose MN is served elsewhere (and, when up_only, at a MAAR not DOWN). */
static unsigned reloc_all(struct dmm_cmd *c, const struct dmm_addr *maar, bool up_only, dmm_time_t now)
{
	unsigned n = 0;

	for (struct dmm_bcache_entry *e = dmm_bcache_next(c->bc, NULL); e; e = dmm_bcache_next(c->bc, e)) {
		const struct cmd_anchor *s = cmd_anchor_find(c, dmm_bce_pcoa(e));

		if (up_only && s && s->down)
			continue;
		for (unsigned i = 0; i < dmm_bce_pmaar(e)->n; i++)
			if (dmm_addr_eq(&dmm_bce_pmaar(e)->a[i].addr, maar) && reloc_pair(c, e, i, now) == 0)
				n++;
	}
	return n;
}

unsigned dmm_cmd_drain(struct dmm_cmd *c, const struct dmm_addr *maar, dmm_time_t now)
{
	return c && maar ? reloc_all(c, maar, false, now) : 0;
}

void cmd_reloc_peer_down(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_cmd *c = ctx;
	char as[DMM_ADDR_STRLEN];
	unsigned n;

	cmd_peer_down(ctx, p, now);
	if (!c->cfg.reanchor_on_failure || !cmd_anchor_find(c, &p->addr))
		return;
	n = reloc_all(c, &p->addr, true, now);
	dmm_logf(c->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
		 "cmd: anchor %s down: %u prefixes re-anchored at their MNs' serving MAARs",
		 dmm_addr_str(&p->addr, as), n);
}

void cmd_reloc_request(struct dmm_cmd *c, const struct cmd_req *r, const struct dmm_mnid *mnid,
		       dmm_time_t now)
{
	const struct dmm_mh_opt *o = dmm_mh_find_opt(&c->rx, DMM_OPT_ANCHORED_PREFIX, NULL);
	struct dmm_bcache_entry *e = dmm_bcache_find_prefix(c->bc, &o->u.anchored_prefix);
	uint8_t status = DMM_BA_ACCEPTED;
	int rc;

	/* The Anchored Prefix must be the one HNP; only the MN's S-MAAR asks, for its own MN. */
	if (r->n_hnp != 1 || !dmm_prefix_eq(&r->hnp[0], &o->u.anchored_prefix))
		status = DMM_BA_UNSPECIFIED;
	else if (!e || !dmm_bce_mnid_eq(e, mnid) || !dmm_addr_eq(dmm_bce_pcoa(e), &r->smaar))
		status = DMM_BA_NOT_AUTHORIZED_FOR_HNP;
	else if ((rc = dmm_cmd_relocate(c, &o->u.anchored_prefix, &r->smaar, now)) == DMM_ERR_NOMEM)
		status = DMM_BA_INSUFFICIENT_RESOURCES;
	cmd_log_mn(c, status ? DMM_LOG_INFO : DMM_LOG_DEBUG, mnid, &o->u.anchored_prefix, &r->smaar,
		   status ? "relocation request refused" : "relocation requested by the S-MAAR");
	cmd_send_pba(c, r, mnid, status, status ? 0 : r->lifetime_s, NULL, now);
}

/* The new anchor accepted: the pair moves to it, and the old anchor (if up) is told. */
static void take_accepted(struct dmm_cmd *c, const struct cmd_upd *u, dmm_time_t now)
{
	struct dmm_bcache_entry *e = dmm_bcache_get(c->bc, u->mn);
	int i = e ? dmm_anchor_list_find(dmm_bce_pmaar(e), &u->from, &u->prefix) : -1;
	const struct cmd_anchor *old = cmd_anchor_find(c, &u->from);
	struct cmd_pair_x *px;
	struct cmd_upd *pending;

	if (i < 0)
		return; /* the MN or the pair went meanwhile */
	px = &cmd_bx_of(c, e)->px[i];
	pending = cmd_upd_get(c, px->upd);
	if (pending)
		cmd_upd_free(c, pending);
	px->upd = (struct dmm_handle){0, 0};
	if (!px->origin && old && old - c->anchor < 0xffff) /* the first move: the pool it came from */
		px->origin = (uint16_t)(old - c->anchor + 1);
	dmm_bce_pmaar(e)->a[i].addr = u->maar;
	px->expires =
		dmm_addr_eq(&u->maar, dmm_bce_pcoa(e)) ? 0 : now + (dmm_time_t)e->lifetime_s * DMM_SECOND;
	cmd_anchor_adjust(c, &u->from, 0, -1, now);
	cmd_anchor_adjust(c, &u->maar, 0, +1, now);
	cmd_log_mn(c, DMM_LOG_INFO, DMM_BCE_MNID(e), &u->prefix, &u->maar, "relocated: pair moved");
	if (!old || !old->down)
		(void)reloc_send(c, e, (unsigned)i, UPD_MOVED, &u->from, &u->maar, NULL, now);
}

/*
 * §11.1: the old anchor accepted and sent its usage (u: the UPD_MOVED):
 * passed on to the new anchor, if the pair is still there.
 */
static void usage_pass_on(struct dmm_cmd *c, const struct cmd_upd *u, dmm_time_t now)
{
	const struct dmm_mh_opt *o = reloc_usage_find(&c->rx);
	struct dmm_bcache_entry *e = o ? dmm_bcache_get(c->bc, u->mn) : NULL;
	int i = e ? dmm_anchor_list_find(dmm_bce_pmaar(e), &u->from, &u->prefix) : -1;

	if (i >= 0)
		(void)reloc_send(c, e, (unsigned)i, UPD_TAKE, &u->from, &u->maar, o, now);
}

void cmd_reloc_answer(struct dmm_cmd *c, struct cmd_upd *u, uint8_t status, dmm_time_t now)
{
	struct cmd_upd copy = *u;

	cmd_upd_free(c, u);
	if (copy.has_usage) { /* the new anchor has the old one's usage (or refused it): done */
		cmd_log_mn(c, status >= 128 ? DMM_LOG_WARN : DMM_LOG_DEBUG, &copy.mnid, &copy.prefix,
			   &copy.maar,
			   status >= 128 ? "relocation: usage refused by the new anchor"
					 : "relocation: the new anchor continues the old one's usage");
		return;
	}
	if (status >= 128) {
		cmd_log_mn(c, DMM_LOG_WARN, &copy.mnid, &copy.prefix, &copy.maar,
			   copy.kind == UPD_TAKE ? "relocation refused by the new anchor"
						 : "relocation refused by the old anchor");
		return;
	}
	if (copy.kind == UPD_TAKE)
		take_accepted(c, &copy, now);
	else {
		cmd_log_mn(c, DMM_LOG_DEBUG, &copy.mnid, &copy.prefix, &copy.maar,
			   "relocation: old anchor forwards until the network routes the prefix");
		usage_pass_on(c, &copy, now);
	}
}
