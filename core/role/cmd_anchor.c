/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CMD's table of MAARs (GAP1-3, docs/dmm-protocol.md §6): load and
 * capacity from Load Information (RFC 6463 §4.3), liveness from the
 * heartbeat (RFC 5847), counts of MNs served and prefixes anchored, and
 * the choice of an anchor for a MAAR that cannot anchor.
 *
 * States, one set_state() through which every change is counted and
 * logged (dmm_fsm_note(), DMM_FSM_ANCHOR); a row comes from and goes to
 * DMM_FSM_NONE:
 *   UNKNOWN  never heard (a row exists only once a MAAR was heard, so
 *            this is the state of a row that has not been filled yet)
 *   UP       heard; sessions in use below the maximum (or no load known)
 *   FULL     Load Information says sessions in use >= maximum sessions
 *            (a maximum of 0: configured not to anchor)
 *   DOWN     the heartbeat declared the MAAR unreachable (RFC 5847 §3.1)
 * Choice: any accepted PBU or matched PBA from a MAAR proves it alive
 * and brings a DOWN row back to UP/FULL at once, without waiting for the
 * next heartbeat response.
 */
#include <string.h>

#include "cmd_int.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "fsm.h"

static uint32_t addr_hash(const struct dmm_cmd *c, const struct dmm_addr *a)
{
	return (uint32_t)dmm_hash_addr(c->base.env.seed ^ 0xa5c4, a);
}

const char *dmm_anchor_state_name(uint8_t state)
{
	return dmm_fsm_state_name(DMM_FSM_ANCHOR, state); /* the names live in fsm.c */
}

/* Count and log the change of row x from -> to (DMM_FSM_NONE: the row is made or reused). */
static void note(struct dmm_cmd *c, const struct cmd_anchor *x, int from, int to, const char *reason)
{
	char a[DMM_ADDR_STRLEN], who[DMM_ADDR_STRLEN + 8] = "maar ";

	strcat(who, dmm_addr_str(&x->pub.addr, a));
	dmm_fsm_note(&c->base.stats, c->base.env.log, DMM_FSM_ANCHOR, from, to, "cmd", who, reason);
}

/* The one place a row changes state. */
static void set_state(struct dmm_cmd *c, struct cmd_anchor *x, uint8_t to, const char *reason)
{
	uint8_t from = x->pub.state;

	if (from == to)
		return;
	x->pub.state = to;
	note(c, x, from, to, reason);
}

/* UP or FULL from the load; DOWN wins while the heartbeat says so. */
static void recompute(struct dmm_cmd *c, struct cmd_anchor *x, const char *reason)
{
	if (x->down)
		set_state(c, x, DMM_ANCHOR_DOWN, reason);
	else if (x->pub.load_known && x->pub.sessions_in_use >= x->pub.max_sessions)
		set_state(c, x, DMM_ANCHOR_FULL, reason);
	else
		set_state(c, x, DMM_ANCHOR_UP, reason);
}

struct cmd_anchor *cmd_anchor_find(struct dmm_cmd *c, const struct dmm_addr *a)
{
	uint32_t h = addr_hash(c, a), pos, ref;

	for (ref = dmm_hidx_first(&c->anchor_idx, h, &pos); ref != DMM_HIDX_NONE;
	     ref = dmm_hidx_next(&c->anchor_idx, h, &pos))
		if (c->anchor[ref].used && dmm_addr_eq(&c->anchor[ref].pub.addr, a))
			return &c->anchor[ref];
	return NULL;
}

/* A row that may be reused: nothing served, nothing anchored, no reference held. */
static bool idle_row(const struct cmd_anchor *x)
{
	return !x->used || (x->pub.serving == 0 && x->pub.anchored == 0 && !x->held);
}

/* The slot for a new row: a free one, else the idle row heard longest ago; -1 if none. */
static int64_t free_slot(const struct dmm_cmd *c)
{
	int64_t best = -1;

	for (uint32_t i = 0; i < c->cfg.max_maars; i++) {
		const struct cmd_anchor *x = &c->anchor[i];

		if (!x->used)
			return i;
		if (idle_row(x) && (best < 0 || x->last_heard < c->anchor[best].last_heard))
			best = i;
	}
	return best;
}

/*
 * True when a has a row or one can be made, and a heartbeat peer exists or
 * can be made. Allocates nothing: cmd_anchor_adjust() makes the peer.
 */
bool cmd_anchor_room(struct dmm_cmd *c, const struct dmm_addr *a)
{
	if (!dmm_peers_has_room(c->base.peers, a) || !dmm_bcache_pcoa_room(c->bc, a))
		return false;
	return cmd_anchor_find(c, a) || free_slot(c) >= 0;
}

static struct cmd_anchor *get_or_add(struct dmm_cmd *c, const struct dmm_addr *a)
{
	struct cmd_anchor *x = cmd_anchor_find(c, a);
	int64_t i;

	if (x)
		return x;
	i = free_slot(c);
	if (i < 0)
		return NULL;
	x = &c->anchor[i];
	if (x->used) {
		note(c, x, x->pub.state, DMM_FSM_NONE, "row reused (idle)");
		dmm_hidx_remove(&c->anchor_idx, addr_hash(c, &x->pub.addr), (uint32_t)i);
	}
	if (dmm_hidx_insert(&c->anchor_idx, addr_hash(c, a), (uint32_t)i) != 0) {
		x->used = false;
		return NULL;
	}
	memset(x, 0, sizeof(*x));
	x->used = true;
	x->pub.addr = *a;
	x->pub.state = DMM_ANCHOR_UNKNOWN;
	note(c, x, DMM_FSM_NONE, DMM_ANCHOR_UNKNOWN, "heard");
	return x;
}

/*
 * A PBU or PBA from MAAR a was accepted or matched: it is alive, and its
 * Load Information (RFC 6463 §4.3), when m carries one, is its load now.
 */
struct cmd_anchor *cmd_anchor_heard(struct dmm_cmd *c, const struct dmm_addr *a, const struct dmm_mh_msg *m,
				    dmm_time_t now)
{
	struct cmd_anchor *x = get_or_add(c, a);
	const struct dmm_mh_opt *o = m ? dmm_mh_find_opt(m, DMM_OPT_LOAD, NULL) : NULL;

	if (!x)
		return NULL;
	x->last_heard = now;
	x->down = false;
	if (o) {
		x->pub.load_known = true;
		x->pub.priority = o->u.load.priority;
		x->pub.sessions_in_use = o->u.load.sessions_in_use;
		x->pub.max_sessions = o->u.load.max_sessions;
		x->pub.used_capacity = o->u.load.used_capacity;
		x->pub.max_capacity = o->u.load.max_capacity;
		x->pub.load_updated = now;
	}
	recompute(c, x, o ? "load information" : "heard");
	return x;
}

/*
 * Change the counts of MAAR a and keep one heartbeat reference on it
 * while it serves or anchors anything (RFC 5847 §3).
 */
void cmd_anchor_adjust(struct dmm_cmd *c, const struct dmm_addr *a, int dserving, int danchored,
		       dmm_time_t now)
{
	struct cmd_anchor *x = get_or_add(c, a);
	struct dmm_peer *p;
	bool need;

	if (!x)
		return; /* checked by cmd_anchor_room() before acting */
	x->pub.serving = (uint32_t)((int64_t)x->pub.serving + dserving);
	x->pub.anchored = (uint32_t)((int64_t)x->pub.anchored + danchored);
	need = x->pub.serving + x->pub.anchored > 0;
	if (need == x->held)
		return;
	p = dmm_peers_get(c->base.peers, a, true);
	if (!p)
		return;
	x->held = need;
	dmm_peers_ref(c->base.peers, p, need ? +1 : -1, now);
}

/*
 * Is x a better anchor than y (docs/dmm-protocol.md §6)? Lower sessions
 * in use / maximum sessions first. Choice: a MAAR that never sent Load
 * Information ranks after every MAAR whose load is known (a known free
 * anchor is the safer bet), not at a guessed ratio. Then lower priority
 * value (RFC 6463: lower is better), then the lower address.
 */
static bool better(const struct cmd_anchor *x, const struct cmd_anchor *y)
{
	if (!y)
		return true;
	if (x->pub.load_known != y->pub.load_known)
		return x->pub.load_known;
	if (x->pub.load_known) {
		/* x.s / x.m < y.s / y.m without division; both maxima are > 0 (not FULL). */
		uint64_t l = (uint64_t)x->pub.sessions_in_use * y->pub.max_sessions;
		uint64_t r = (uint64_t)y->pub.sessions_in_use * x->pub.max_sessions;

		if (l != r)
			return l < r;
	}
	if (x->pub.priority != y->pub.priority)
		return x->pub.priority < y->pub.priority;
	return memcmp(x->pub.addr.b, y->pub.addr.b, 16) < 0;
}

struct cmd_anchor *cmd_anchor_best(struct dmm_cmd *c, const struct dmm_addr *exclude,
				   const struct dmm_addr *tried, unsigned ntried)
{
	struct cmd_anchor *best = NULL;

	for (uint32_t i = 0; i < c->cfg.max_maars; i++) {
		struct cmd_anchor *x = &c->anchor[i];
		bool skip = false;

		/* §6: UP only (not DOWN, not FULL, heard), not the sender, authorised. */
		if (!x->used || x->pub.state != DMM_ANCHOR_UP || dmm_addr_eq(&x->pub.addr, exclude))
			continue;
		for (unsigned k = 0; k < ntried && !skip; k++)
			skip = dmm_addr_eq(&tried[k], &x->pub.addr);
		if (skip || !dmm_policy_mag_allowed(c->cfg.policy, &x->pub.addr))
			continue;
		if (better(x, best))
			best = x;
	}
	return best;
}

const struct dmm_cmd_anchor *dmm_cmd_anchor_next(const struct dmm_cmd *c, const struct dmm_cmd_anchor *prev)
{
	uint32_t i = prev ? (uint32_t)((const struct cmd_anchor *)prev - c->anchor) + 1 : 0;

	for (; i < c->cfg.max_maars; i++)
		if (c->anchor[i].used)
			return &c->anchor[i].pub;
	return NULL;
}

/* --- heartbeat events (RFC 5847) --- */

/*
 * §5.2: unreachable. Choice: the MNs and pairs stay (the path may come
 * back, and each MN's lifetime bounds the wait); the MAAR is no longer
 * chosen as an anchor while DOWN.
 */
void cmd_peer_down(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_cmd *c = ctx;
	struct cmd_anchor *x = cmd_anchor_find(c, &p->addr);

	(void)now;
	if (!x)
		return;
	x->down = true;
	recompute(c, x, "heartbeat lost");
}

void cmd_peer_up(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_cmd *c = ctx;
	struct cmd_anchor *x = cmd_anchor_find(c, &p->addr);

	(void)now;
	if (!x)
		return;
	x->down = false;
	recompute(c, x, "heartbeat answered");
}
