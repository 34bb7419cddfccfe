/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CMD's messages to MAARs: PBAs to the S-MAAR and the updates (PBUs
 * from the CMD to anchors) with their index by seq. The rule of their
 * timer is at the top of cmd_timers.c.
 */
#include <stdio.h>
#include <string.h>

#include "cmd_int.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "mcast_ctx.h"
#include "pmip_common.h"

const char *cmd_who(char *who, const struct dmm_mnid *id, const struct dmm_prefix *p,
		    const struct dmm_addr *maar)
{
	char m[DMM_MNID_STRLEN], s[DMM_PREFIX_STRLEN], a[DMM_ADDR_STRLEN];

	snprintf(who, DMM_CMD_WHO_LEN, "mn %s prefix %s maar %s", id ? dmm_mnid_str(id, m) : "-",
		 p ? dmm_prefix_str(p, s) : "-", maar ? dmm_addr_str(maar, a) : "-");
	return who;
}

/* "mn M prefix P maar A: what" at INFO or the given level. */
void cmd_log_mn(struct dmm_cmd *c, enum dmm_log_level lvl, const struct dmm_mnid *id,
		const struct dmm_prefix *p, const struct dmm_addr *maar, const char *what)
{
	char who[DMM_CMD_WHO_LEN];

	if (!dmm_role_base_log_on(&c->base, lvl))
		return;
	dmm_logf(c->base.env.log, lvl, DMM_LC_FSM, "%s: %s", cmd_who(who, id, p, maar), what);
}

void cmd_send_msg(struct dmm_cmd *c, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const struct dmm_mh_msg *m)
{
	dmm_role_base_send(&c->base, c->buf, sizeof(c->buf), "", src, dst, m);
}

/* --- PBAs to the S-MAAR --- */

/*
 * RFC 8885 §4.2 keeps the RFC 5213 §5.3.6 and §8.2 format: flags P and
 * D, the request's seq; MN-ID (zero-length when the request had none,
 * step 4), its HNPs (one ALL_ZERO HNP when it had none), HI and ATT
 * (copied, or 0 when missing), the granted lifetime, the Timestamp
 * (echoed, or our time of day for 156/157, §5.5), MN-LLID when the
 * request had one; then one Previous MAAR option per pair in prev.
 */
void cmd_send_pba(struct dmm_cmd *c, const struct cmd_req *r, const struct dmm_mnid *mnid, uint8_t status,
		  uint32_t lifetime_s, const struct dmm_anchor_list *prev, dmm_time_t now)
{
	struct dmm_mh_msg *m = &c->tx;
	struct dmm_mh_opt *o;

	dmm_mh_init(m, DMM_MH_BA);
	m->u.ba.status = status;
	m->u.ba.flags = DMM_BA_P | DMM_BA_D;
	m->u.ba.seq = r->seq;
	/* §14: the subscription an anchor returned, with S (RFC 7161 §4.2.1.1). */
	if (c->mcast_from && status < 128 && mcast_ctx_copy(m, c->mcast_from))
		m->u.ba.flags |= DMM_BA_S;
	c->mcast_from = NULL;
	m->u.ba.lifetime = status < 128 ? dmm_lifetime_units(lifetime_s) : 0;
	if (mnid && mnid->len)
		pmip_add_mnid(m, mnid);
	else if ((o = dmm_mh_add_opt(m, DMM_OPT_MNID)) != NULL)
		o->u.mnid.subtype = DMM_MNID_NAI; /* §5.3.6: a zero-length identifier */
	for (unsigned i = 0; i < r->n_hnp; i++)
		dmm_mh_add_opt(m, DMM_OPT_HNP)->u.hnp = r->hnp[i];
	if (r->n_hnp == 0)
		dmm_mh_add_opt(m, DMM_OPT_HNP); /* ::/0 */
	dmm_mh_add_opt(m, DMM_OPT_HI)->u.hi.value = r->has_hi ? r->hi : 0;
	dmm_mh_add_opt(m, DMM_OPT_ATT)->u.att.value = r->has_att ? r->att : 0;
	if (status == DMM_BA_TIMESTAMP_MISMATCH || status == DMM_BA_TIMESTAMP_LOWER_THAN_PREV)
		pmip_add_timestamp(m, pmip_wall_timestamp(c->base.env.wall_offset, now));
	else if (r->has_ts)
		pmip_add_timestamp(m, r->ts);
	if (r->llid.len && (o = dmm_mh_add_opt(m, DMM_OPT_MNLLID)) != NULL) {
		o->u.mnllid.len = r->llid.len;
		memcpy(o->u.mnllid.b, r->llid.b, r->llid.len);
	}
	for (unsigned i = 0; prev && status < 128 && i < prev->n; i++) {
		o = dmm_mh_add_opt(m, DMM_OPT_PREV_MAAR);
		if (!o)
			break;
		o->u.prev_maar.hnp = prev->a[i].prefix;
		o->u.prev_maar.maar = prev->a[i].addr;
	}
	c->base.stats.binding_acks++;
	c->base.stats.ba_status[status]++;
	cmd_send_msg(c, &r->dst, &r->smaar, m);
}

/* Every pair of e not anchored at its S-MAAR (the Previous MAAR options of §2.2 proxy mode). */
void cmd_prev_all(const struct dmm_bcache_entry *e, struct dmm_anchor_list *l)
{
	l->n = 0;
	for (unsigned i = 0; i < dmm_bce_pmaar(e)->n; i++)
		if (!dmm_addr_eq(&dmm_bce_pmaar(e)->a[i].addr, dmm_bce_pcoa(e)))
			l->a[l->n++] = dmm_bce_pmaar(e)->a[i];
}

/* --- updates: PBUs from the CMD to MAARs --- */

uint32_t cmd_seq_hash(uint16_t seq)
{
	return (uint32_t)dmm_hash_u64(seq);
}

uint32_t cmd_mnid_hash(const struct dmm_cmd *c, const struct dmm_mnid *id)
{
	return (uint32_t)dmm_hash_mnid(c->base.env.seed, id);
}

struct cmd_upd *cmd_upd_get(struct dmm_cmd *c, struct dmm_handle h)
{
	if (h.gen == 0 || h.idx >= c->upd_cap || c->upd[h.idx].h.gen != h.gen)
		return NULL;
	return &c->upd[h.idx];
}

struct cmd_upd *cmd_upd_new(struct dmm_cmd *c, uint8_t kind, const struct dmm_mnid *mnid)
{
	/* The lowest free slot: every slot below upd_low is taken. */
	for (uint32_t i = c->upd_low; c->upd_used < c->upd_cap && i < c->upd_cap; i++) {
		struct cmd_upd *u = &c->upd[i];

		if (u->h.gen)
			continue;
		memset(u, 0, sizeof(*u));
		if (++c->upd_gen[i] == 0)
			c->upd_gen[i] = 1;
		u->h = (struct dmm_handle){i, c->upd_gen[i]};
		u->kind = kind;
		u->mnid = *mnid;
		u->seq = c->seq++;
		if (dmm_hidx_insert(&c->upd_idx, cmd_seq_hash(u->seq), i) != 0) {
			u->h.gen = 0;
			return NULL;
		}
		if (kind == UPD_CHOOSE && dmm_hidx_insert(&c->choose_idx, cmd_mnid_hash(c, mnid), i) != 0) {
			dmm_hidx_remove(&c->upd_idx, cmd_seq_hash(u->seq), i);
			u->h.gen = 0;
			return NULL;
		}
		c->upd_used++;
		c->upd_low = i + 1;
		return u;
	}
	return NULL;
}

void cmd_upd_free(struct dmm_cmd *c, struct cmd_upd *u)
{
	uint32_t i = u->h.idx;

	if (!u->h.gen)
		return;
	dmm_hidx_remove(&c->upd_idx, cmd_seq_hash(u->seq), i);
	if (u->kind == UPD_CHOOSE)
		dmm_hidx_remove(&c->choose_idx, cmd_mnid_hash(c, &u->mnid), i);
	cmd_timers_upd_freed(c, u);
	u->h.gen = 0;
	c->upd_used--;
	if (i < c->upd_low)
		c->upd_low = i;
}

/* A new seq for u (a new candidate), re-indexed. */
void cmd_upd_reseq(struct dmm_cmd *c, struct cmd_upd *u)
{
	dmm_hidx_remove(&c->upd_idx, cmd_seq_hash(u->seq), u->h.idx);
	u->seq = c->seq++;
	(void)dmm_hidx_insert(&c->upd_idx, cmd_seq_hash(u->seq), u->h.idx); /* the slot was just freed */
}

/* The update whose PBU had seq and went to src, or NULL. */
struct cmd_upd *cmd_upd_match(struct dmm_cmd *c, uint16_t seq, const struct dmm_addr *src)
{
	uint32_t h = cmd_seq_hash(seq), pos, ref;

	for (ref = dmm_hidx_first(&c->upd_idx, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&c->upd_idx, h, &pos))
		if (c->upd[ref].h.gen && c->upd[ref].seq == seq && dmm_addr_eq(&c->upd[ref].maar, src))
			return &c->upd[ref];
	return NULL;
}

/* The pending (not abandoned) anchor choice for mnid, or NULL. */
struct cmd_upd *cmd_choose_pending(struct dmm_cmd *c, const struct dmm_mnid *mnid)
{
	uint32_t h = cmd_mnid_hash(c, mnid), pos, ref;

	for (ref = dmm_hidx_first(&c->choose_idx, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&c->choose_idx, h, &pos)) {
		struct cmd_upd *u = &c->upd[ref];

		if (u->h.gen && u->kind == UPD_CHOOSE && !u->abandoned && dmm_mnid_eq(&u->mnid, mnid))
			return u;
	}
	return NULL;
}

/*
 * RFC 8885 §4.1 keeps the RFC 5213 §6.9.1.5 format: flags A P D, MN-ID,
 * HNP, HI and ATT (those of the S-MAAR's PBU, which §3.2 forwards),
 * Serving MAAR, lifetime, a Timestamp when timestamp_based. Each
 * transmission is a new PBU with a new seq (RFC 6275 §11.8: a
 * retransmission has a greater one; RFC 5213 §5.5).
 */
static void upd_transmit(struct dmm_cmd *c, struct cmd_upd *u, dmm_time_t now)
{
	struct dmm_mh_msg *m = &c->tx;

	if (u->sent)
		cmd_upd_reseq(c, u);
	dmm_mh_init(m, DMM_MH_BU);
	m->u.bu.seq = u->seq;
	m->u.bu.flags = DMM_BU_A | DMM_BU_P | DMM_BU_D;
	if (u->mcast && u->kind == UPD_SERVING) /* §14: S of the S-MAAR's PBU, forwarded */
		m->u.bu.flags |= DMM_BU_S;
	m->u.bu.lifetime = u->lifetime_units;
	pmip_add_mnid(m, &u->mnid);
	dmm_mh_add_opt(m, DMM_OPT_HNP)->u.hnp = u->prefix;
	dmm_mh_add_opt(m, DMM_OPT_HI)->u.hi.value = u->hi ? u->hi : DMM_HI_UNKNOWN;
	dmm_mh_add_opt(m, DMM_OPT_ATT)->u.att.value = u->att;
	dmm_mh_add_opt(m, DMM_OPT_SERVING_MAAR)->u.serving_maar = u->serving;
	if (u->kind == UPD_TAKE || u->kind == UPD_MOVED) /* docs/dmm-protocol.md §11: a relocation */
		dmm_mh_add_opt(m, DMM_OPT_ANCHORED_PREFIX)->u.anchored_prefix = u->prefix;
	if (u->has_usage) { /* §11.1: the old anchor's usage, passed on as it came */
		struct dmm_mh_opt *o = dmm_mh_add_opt(m, DMM_OPT_VSM);

		if (o) {
			o->u.vsm.vendor_id = RELOC_USAGE_VENDOR;
			o->u.vsm.subtype = RELOC_USAGE_SUBTYPE;
			o->u.vsm.data.len = RELOC_USAGE_LEN;
			memcpy(o->u.vsm.data.b, u->usage, RELOC_USAGE_LEN);
		}
	}
	if (c->cfg.timestamp_based) /* a fresh Timestamp on every transmission: an equal one gets 157 */
		pmip_add_timestamp(m, pmip_wall_timestamp(c->base.env.wall_offset, now));
	u->sent++;
	if (u->sent > 1)
		c->base.stats.pbu_retransmissions++;
	cmd_send_msg(c, &c->cfg.addr, &u->maar, m);
	cmd_timers_upd_sent(c, u, now);
}

/*
 * The earliest time a PBU to maar may go, from now, and that slot taken:
 * RFC 8885 §3.2 asks for pacing of the k PBUs one PBU triggers (pbu_pacing
 * between any two of ours), §3.6 for at most max_update_rate PBUs to one
 * MAAR in a second (spaced 1/max_update_rate apart, so no second, from
 * any instant on, holds more). Choice: the limit is per MAAR over all MNs and configurable;
 * RFC 6275's MAX_UPDATE_RATE (3) is a mobile node's own limit, and a CMD
 * speaks for many MNs.
 */
static dmm_time_t upd_slot(struct dmm_cmd *c, const struct dmm_addr *maar, dmm_time_t now)
{
	struct cmd_anchor *a = cmd_anchor_find(c, maar);
	dmm_time_t t = now > c->next_pbu ? now : c->next_pbu;

	if (a && c->cfg.max_update_rate && a->next_pbu > t)
		t = a->next_pbu;
	c->next_pbu = t + c->cfg.pbu_pacing;
	if (a && c->cfg.max_update_rate)
		a->next_pbu = t + DMM_SECOND / c->cfg.max_update_rate;
	return t;
}

void cmd_upd_send(struct dmm_cmd *c, struct cmd_upd *u, dmm_time_t now)
{
	dmm_time_t at = upd_slot(c, &u->maar, now);

	if (at <= now) {
		u->queued = false;
		upd_transmit(c, u, now);
		return;
	}
	u->queued = true;
	cmd_timers_upd_queued(c, u, at);
}

void cmd_upd_send_queued(struct dmm_cmd *c, struct cmd_upd *u, dmm_time_t now)
{
	u->queued = false;
	upd_transmit(c, u, now);
}

/*
 * Tell the anchor of pair i of e that the MN is served by *dmm_bce_pcoa(e) now,
 * for lifetime_s (0: the MN or the prefix is gone). A pending update of
 * the same pair is superseded. Returns false when no update slot is free.
 */
bool cmd_notify_pair(struct dmm_cmd *c, struct dmm_bcache_entry *e, unsigned i, uint32_t lifetime_s,
		     bool relay, dmm_time_t now)
{
	struct cmd_pair_x *px = &cmd_bx_of(c, e)->px[i];
	struct cmd_upd *u = cmd_upd_get(c, px->upd);

	if (u)
		cmd_upd_free(c, u);
	px->upd = (struct dmm_handle){0, 0};
	u = cmd_upd_new(c, lifetime_s ? UPD_SERVING : UPD_DEREG, DMM_BCE_MNID(e));
	if (!u) {
		cmd_log_mn(c, DMM_LOG_ERR, DMM_BCE_MNID(e), &dmm_bce_pmaar(e)->a[i].prefix,
			   &dmm_bce_pmaar(e)->a[i].addr, "no room for an update: anchor not told");
		return false;
	}
	u->relay = relay;
	u->mn = e->handle;
	u->maar = dmm_bce_pmaar(e)->a[i].addr;
	u->prefix = dmm_bce_pmaar(e)->a[i].prefix;
	u->serving = *dmm_bce_pcoa(e);
	u->lifetime_units = dmm_lifetime_units(lifetime_s);
	u->delay = c->cfg.initial_bindack_timeout;
	u->hi = e->hi;
	u->att = e->att;
	u->mcast = cmd_bx_of(c, e)->mcast;
	if (lifetime_s) {
		px->upd = u->h;
		px->expires = now + (dmm_time_t)lifetime_s * DMM_SECOND;
		c->ctr.pmaar_updates++;
	}
	cmd_log_mn(c, DMM_LOG_INFO, DMM_BCE_MNID(e), &u->prefix, &u->maar,
		   lifetime_s ? "PBU with Serving MAAR to the anchor" : "PBU lifetime 0 to the anchor");
	cmd_upd_send(c, u, now);
	return true;
}

/* A lifetime-0 PBU for (maar, prefix) not tied to a pair any more (a late prefix, a removed MN). */
void cmd_release_at(struct dmm_cmd *c, const struct dmm_mnid *mnid, const struct dmm_addr *maar,
		    const struct dmm_prefix *prefix, const struct dmm_addr *serving, uint8_t hi, uint8_t att,
		    dmm_time_t now)
{
	struct cmd_upd *u = cmd_upd_new(c, UPD_DEREG, mnid);

	if (!u) {
		cmd_log_mn(c, DMM_LOG_ERR, mnid, prefix, maar,
			   "no room for an update: prefix not given back");
		return;
	}
	u->maar = *maar;
	u->prefix = *prefix;
	u->serving = *serving;
	u->hi = hi;
	u->att = att;
	u->delay = c->cfg.initial_bindack_timeout;
	cmd_log_mn(c, DMM_LOG_INFO, mnid, prefix, maar, "PBU lifetime 0 to the anchor");
	cmd_upd_send(c, u, now);
}
