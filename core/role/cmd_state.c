/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CMD's MN entries (cmd_int.h lists the layers): creation and
 * removal, each counted and logged through note() (fsm.h), the (anchor,
 * prefix) pairs of an MN with the counts of the table of MAARs, and the
 * end of a relay transaction. Nothing here handles a message.
 */
#include <string.h>

#include "cmd_int.h"
#include "dmm/err.h"

/* The one way an MN entry comes and goes: counted and logged "from -> to (reason)". */
static void note(struct dmm_cmd *c, const struct dmm_mnid *id, const struct dmm_prefix *p,
		 const struct dmm_addr *maar, int from, int to, const char *reason)
{
	char who[DMM_CMD_WHO_LEN];

	pmip_bce_note(&c->base.stats, c->base.env.log, "cmd", cmd_who(who, id, p, maar), from, to, reason);
}

struct dmm_bcache_entry *cmd_mn_add(struct dmm_cmd *c, const struct dmm_mnid *mnid, const struct dmm_addr *s,
				    const struct dmm_prefix *p, dmm_time_t now)
{
	struct dmm_bcache_entry *e = dmm_bcache_add(c->bc, mnid, NULL);

	if (!e)
		return NULL;
	if (dmm_bcache_set_pcoa(c->bc, e, s) != 0) {
		dmm_bcache_del(c->bc, e); /* checked by cmd_anchor_room(): cannot happen */
		return NULL;
	}
	memset(cmd_bx_of(c, e), 0, sizeof(struct cmd_bx));
	e->proxy = true;
	cmd_anchor_adjust(c, s, +1, 0, now);
	note(c, mnid, p, s, DMM_FSM_NONE, (int)e->state, "initial registration");
	return e;
}

/* --- pairs (anchor, prefix) of an MN --- */

int cmd_pair_add(struct dmm_cmd *c, struct dmm_bcache_entry *e, const struct dmm_addr *a,
		 const struct dmm_prefix *p, dmm_time_t expires, dmm_time_t now)
{
	struct cmd_bx *x = cmd_bx_of(c, e);
	int r;

	if (dmm_bcache_find_prefix(c->bc, p) == e)
		return 0; /* the MN came back (or a refresh): no duplicate, and the order (oldest first) stays */
	if (dmm_bce_pmaar(e)->n >= DMM_BCE_MAX_PMAAR)
		return DMM_ERR_NOMEM;
	r = dmm_bcache_add_prefix(c->bc, e, p);
	if (r != 0)
		return r;
	(void)dmm_anchor_list_add(dmm_bce_pmaar(e), a, p); /* room checked above */
	memset(&x->px[dmm_bce_pmaar(e)->n - 1], 0, sizeof(x->px[0]));
	x->px[dmm_bce_pmaar(e)->n - 1].expires = expires;
	cmd_anchor_adjust(c, a, 0, +1, now);
	cmd_log_mn(c, DMM_LOG_INFO, DMM_BCE_MNID(e), p, a, "pair added");
	return 0;
}

/*
 * docs/dmm-protocol.md §11: pair pr (with px) of e ends; when its prefix
 * was relocated away from the MAAR whose pool it came from, that MAAR
 * gets a lifetime-0 PBU for it (the prefix goes back to its pool) unless
 * it anchors it again itself.
 */
static void origin_release(struct dmm_cmd *c, struct dmm_bcache_entry *e, const struct cmd_pair_x *px,
			   const struct dmm_anchor *pr, dmm_time_t now)
{
	const struct cmd_anchor *o =
		px->origin && px->origin <= c->cfg.max_maars ? &c->anchor[px->origin - 1] : NULL;

	if (o && o->used && !dmm_addr_eq(&o->pub.addr, &pr->addr))
		cmd_release_at(c, DMM_BCE_MNID(e), &o->pub.addr, &pr->prefix, dmm_bce_pcoa(e), e->hi, e->att,
			       now);
}

void cmd_pair_drop(struct dmm_cmd *c, struct dmm_bcache_entry *e, unsigned i, const char *reason,
		   dmm_time_t now)
{
	struct cmd_bx *x = cmd_bx_of(c, e);
	struct dmm_anchor pr = dmm_bce_pmaar(e)->a[i];
	struct cmd_pair_x px = x->px[i];
	struct cmd_upd *u = cmd_upd_get(c, x->px[i].upd);
	char what[96];

	if (u)
		cmd_upd_free(c, u);
	if (x->relay_open && x->px[i].relay == RELAY_WAITING && x->relay_waiting)
		x->relay_waiting--;
	memmove(&x->px[i], &x->px[i + 1], sizeof(x->px[0]) * (dmm_bce_pmaar(e)->n - i - 1u));
	(void)dmm_anchor_list_del(dmm_bce_pmaar(e), &pr.addr, &pr.prefix);
	(void)dmm_bcache_del_prefix(c->bc, e, &pr.prefix);
	if (x->has_current && dmm_prefix_eq(&x->current, &pr.prefix))
		x->has_current = false;
	cmd_anchor_adjust(c, &pr.addr, 0, -1, now);
	origin_release(c, e, &px, &pr, now);
	memcpy(what, "pair removed (", 14);
	what[14] = 0;
	strncat(what, reason, sizeof(what) - 16);
	strcat(what, ")");
	cmd_log_mn(c, DMM_LOG_INFO, DMM_BCE_MNID(e), &pr.prefix, &pr.addr, what);
}

/* --- relay transactions (§2.2 relay mode) --- */

void cmd_relay_close(struct dmm_cmd *c, struct dmm_bcache_entry *e)
{
	struct cmd_bx *x = cmd_bx_of(c, e);

	x->relay_open = false;
	x->relay_done = false;
	x->relay_waiting = 0;
	for (unsigned i = 0; i < dmm_bce_pmaar(e)->n; i++)
		x->px[i].relay = RELAY_NONE;
	cmd_timers_relay_closed(c, e);
}

/* --- the end of an MN --- */

void cmd_mn_dereg_wait(struct dmm_cmd *c, struct dmm_bcache_entry *e, dmm_time_t now)
{
	struct cmd_bx *x = cmd_bx_of(c, e);

	if (c->cfg.min_delay_before_bce_delete == 0) {
		cmd_mn_delete(c, e, true, "de-registration", now);
		return;
	}
	cmd_relay_close(c, e);
	note(c, DMM_BCE_MNID(e), x->has_current ? &x->current : NULL, dmm_bce_pcoa(e), (int)e->state,
	     DMM_BCE_DEREG_WAIT, "de-registration");
	dmm_bcache_set_state(c->bc, e, DMM_BCE_DEREG_WAIT);
	cmd_timers_mn_dereg_wait(c, e, now);
}

void cmd_mn_reactivate(struct dmm_cmd *c, struct dmm_bcache_entry *e)
{
	struct cmd_bx *x = cmd_bx_of(c, e);

	if (e->state == DMM_BCE_ACTIVE)
		return;
	note(c, DMM_BCE_MNID(e), x->has_current ? &x->current : NULL, dmm_bce_pcoa(e), (int)e->state,
	     DMM_BCE_ACTIVE, "registered again in the wait");
	dmm_bcache_set_state(c->bc, e, DMM_BCE_ACTIVE);
}

void cmd_mn_delete(struct dmm_cmd *c, struct dmm_bcache_entry *e, bool notify, const char *reason,
		   dmm_time_t now)
{
	struct dmm_addr serving = *dmm_bce_pcoa(e);

	note(c, DMM_BCE_MNID(e), cmd_bx_of(c, e)->has_current ? &cmd_bx_of(c, e)->current : NULL, &serving,
	     (int)e->state, DMM_FSM_NONE, reason);
	cmd_relay_close(c, e);
	/* §4: every previous MAAR gets lifetime 0 with Serving MAAR = the S-MAAR. */
	for (unsigned i = 0; i < dmm_bce_pmaar(e)->n; i++) {
		struct cmd_upd *u = cmd_upd_get(c, cmd_bx_of(c, e)->px[i].upd);

		if (u)
			cmd_upd_free(c, u);
		cmd_bx_of(c, e)->px[i].upd = (struct dmm_handle){0, 0};
		if (notify && !dmm_addr_eq(&dmm_bce_pmaar(e)->a[i].addr, &serving))
			cmd_release_at(c, DMM_BCE_MNID(e), &dmm_bce_pmaar(e)->a[i].addr,
				       &dmm_bce_pmaar(e)->a[i].prefix, &serving, e->hi, e->att, now);
		if (notify)
			origin_release(c, e, &cmd_bx_of(c, e)->px[i], &dmm_bce_pmaar(e)->a[i], now);
		cmd_anchor_adjust(c, &dmm_bce_pmaar(e)->a[i].addr, 0, -1, now);
	}
	cmd_anchor_adjust(c, &serving, -1, 0, now);
	cmd_timers_mn_removed(c, e);
	dmm_bcache_del(c->bc, e);
}

void dmm_cmd_memory(const struct dmm_cmd *c, struct dmm_cmd_memory *out)
{
	out->mns = dmm_bcache_bytes(c->bc) + sizeof(*c->bx) * c->cfg.max_mns;
	out->updates = (sizeof(*c->upd) + sizeof(*c->upd_gen)) * c->upd_cap + dmm_hidx_bytes(&c->upd_idx) +
		       dmm_hidx_bytes(&c->choose_idx);
	out->timers = dmm_timers_bytes(c->base.timers);
	out->other = sizeof(*c) + sizeof(*c->anchor) * c->cfg.max_maars + dmm_hidx_bytes(&c->anchor_idx);
}
