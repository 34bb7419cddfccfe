/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Central Mobility Database of RFC 8885, sans-IO: the top layer of
 * the role (cmd_int.h lists the layers). Here: the receive dispatch, the
 * timer dispatch, a restarted MAAR (RFC 5847), creation,
 * reconfiguration and the ops table. The flows of docs/dmm-protocol.md
 * §1-§6 are in cmd_pbu.c, the table of MAARs in cmd_anchor.c, the timer
 * rules at the top of cmd_timers.c.
 */
#include <stddef.h>
#include <string.h>

#include "cmd_int.h"
#include "dmm/arena.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "pmip_common.h"

/* base.h: the peer hooks and cmd_timer() get the base as the CMD. */
_Static_assert(offsetof(struct dmm_cmd, base) == 0, "the role base must be the first member");

#define CMD_MAX_LIFETIME_S (0xffffu * 4u)

/* --- entry points --- */

void dmm_cmd_recv(struct dmm_cmd *c, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const uint8_t *buf, size_t len, dmm_time_t now)
{
	int n = dmm_mh_decode(&c->rx, buf, len);

	if (n < 0) {
		struct pmip_bad_rx bad = {src, dst, buf, len, n};
		uint16_t seq;

		if (pmip_malformed(&c->base, &c->rl, &c->tx, c->buf, sizeof(c->buf), &bad, false, now, &seq))
			cmd_pbu_malformed(c, src, dst, seq, now);
		return;
	}
	dmm_role_base_rx_ok(&c->base, "cmd", src, &c->rx);
	switch (c->rx.type) {
	case DMM_MH_BU:
		cmd_recv_pbu(c, src, dst, now);
		return;
	case DMM_MH_BA:
		cmd_recv_pba(c, src, now);
		return;
	case DMM_MH_HB:
	case DMM_MH_BE:
		dmm_peers_recv(c->base.peers, src, &c->rx, now);
		return;
	default:
		break;
	}
	c->base.stats.rx_unexpected++;
	dmm_logf(c->base.env.log, DMM_LOG_DEBUG, DMM_LC_MH, "MH type %u not handled by a CMD", c->rx.type);
}

/* A timer of an MN or of an update (heartbeats are run by base.c). */
static void cmd_timer(struct dmm_role_base *b, unsigned kind, struct dmm_handle h, dmm_time_t now)
{
	struct dmm_cmd *c = (struct dmm_cmd *)b;
	struct dmm_bcache_entry *e;

	switch (kind) {
	case DMM_TIMER_BCE_EXPIRE:
		e = dmm_bcache_get(c->bc, h);
		if (e)
			cmd_mn_delete(c, e, true, "lifetime expired", now);
		break;
	case DMM_TIMER_BCE_DEREG_DELAY: /* RFC 5213 §5.3.5 step 2: no new registration in the wait */
		e = dmm_bcache_get(c->bc, h);
		if (e)
			cmd_mn_delete(c, e, true, "de-registration", now);
		break;
	case CMD_TIMER_RELAY:
		cmd_relay_timer(c, h, now);
		break;
	case CMD_TIMER_UPD_RETX:
		cmd_upd_timer(c, h, now);
		break;
	default:
		break;
	}
}

/* --- peer events (RFC 5847): down and up are in cmd_anchor.c --- */

/*
 * RFC 5847 §3.2: the MAAR restarted without its session state, so its
 * entries here are invalid (§3: mark them so). Choice:
 *  - every (MAAR, prefix) pair it anchored is dropped: its pool forgot
 *    the prefix; the S-MAAR's tunnel to it carries nothing and is
 *    released idle (a release of an unknown pair is answered 0);
 *  - every MN it served is removed as by a de-registration: the
 *    previous MAARs get lifetime 0 and give their prefixes back. When the
 *    MN attaches again, the MAAR registers it afresh.
 */
static void peer_restarted(void *ctx, struct dmm_peer *p, dmm_time_t now)
{
	struct dmm_cmd *c = ctx;
	struct dmm_addr maar = p->addr;
	struct dmm_bcache_entry *e, *next;
	unsigned mns = 0, pairs = 0;
	char a[DMM_ADDR_STRLEN];

	for (e = dmm_bcache_next(c->bc, NULL); e; e = next) {
		next = dmm_bcache_next(c->bc, e);
		if (dmm_addr_eq(dmm_bce_pcoa(e), &maar)) {
			cmd_mn_delete(c, e, true, "serving maar restarted", now);
			mns++;
			continue;
		}
		for (unsigned i = dmm_bce_pmaar(e)->n; i-- > 0;)
			if (dmm_addr_eq(&dmm_bce_pmaar(e)->a[i].addr, &maar)) {
				cmd_pair_drop(c, e, i, "anchoring maar restarted", now);
				pairs++;
			}
		if (dmm_bce_pmaar(e)->n == 0)
			cmd_mn_delete(c, e, false, "no prefix left", now);
	}
	dmm_logf(c->base.env.log, DMM_LOG_WARN, DMM_LC_FSM,
		 "maar %s restarted: %u MNs removed, %u pairs dropped", dmm_addr_str(&maar, a), mns, pairs);
}

/* --- creation --- */

void dmm_cmd_cfg_defaults(struct dmm_cmd_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = DMM_CMD_PROXY;
	cfg->relay_timeout = DMM_SECOND;
	cfg->max_mns = 1024;
	cfg->max_maars = 64;
	cfg->max_lifetime_s = CMD_MAX_LIFETIME_S;
	cfg->initial_bindack_timeout = DMM_SECOND; /* RFC 6275 §13 INITIAL_BINDACK_TIMEOUT */
	cfg->max_bindack_timeout = 32 * DMM_SECOND;
	cfg->max_retransmissions = 3;
	cfg->timestamp_validity_window = 300 * DMM_MSEC; /* RFC 5213 §9.1 */
	cfg->timestamp_based = true;
	cfg->min_delay_before_bce_delete = 10 * DMM_SECOND; /* RFC 5213 §9.1 (10000 ms) */
	cfg->pbu_pacing = 100 * DMM_USEC;		    /* RFC 8885 §3.2 */
	cfg->max_update_rate = 1000; /* RFC 8885 §3.6; RFC 6275's MAX_UPDATE_RATE (3) is one MN's limit */
	cfg->heartbeat_interval = 60 * DMM_SECOND; /* RFC 5847 §5 */
	cfg->missing_heartbeats_allowed = 3;
}

static bool cfg_ok(const struct dmm_cmd_cfg *cfg)
{
	return cfg->policy && !dmm_addr_is_zero(&cfg->addr) && cfg->max_mns > 0 &&
	       cfg->max_mns <= (1u << 22) && cfg->max_maars > 0 && cfg->max_maars <= (1u << 16) &&
	       cfg->max_pending_updates <= (1u << 23) && cfg->initial_bindack_timeout > 0 &&
	       cfg->max_bindack_timeout >= cfg->initial_bindack_timeout &&
	       (cfg->mode == DMM_CMD_PROXY || (cfg->mode == DMM_CMD_RELAY && cfg->relay_timeout > 0));
}

static void peer_cfg(const struct dmm_cmd_cfg *cfg, struct dmm_peer_cfg *pc)
{
	*pc = dmm_role_peer_cfg(&cfg->addr, cfg->heartbeat_interval, cfg->missing_heartbeats_allowed,
				cfg->restart_counter);
}

/*
 * Choice: an update lives only while its PBU/PBA exchange is in flight
 * (a handover tells the previous anchors, RFC 8885 §3.2), so most MNs
 * have none pending. An eighth of the MNs plus a floor of 4096 covers a
 * burst (a MAAR restart releases all it anchored); a small CMD keeps two
 * per MN. When the table is full, registrations that would need one are
 * answered 130 (cmd_pbu.c); no binding is dropped for want of a slot.
 */
static uint32_t upd_capacity(const struct dmm_cmd_cfg *cfg)
{
	uint64_t all = 2 * (uint64_t)cfg->max_mns + 64, some = cfg->max_mns / 8 + 4096;

	if (cfg->max_pending_updates)
		return cfg->max_pending_updates;
	return (uint32_t)(some < all ? some : all);
}

struct dmm_cmd *dmm_cmd_new(const struct dmm_env *env, const struct dmm_cmd_cfg *cfg, dmm_time_t now)
{
	const struct dmm_alloc *a = env ? env->alloc : NULL;
	struct dmm_peer_ops pops = {NULL, cmd_reloc_peer_down, peer_restarted, cmd_peer_up, NULL};
	struct dmm_peer_cfg pc;
	struct dmm_role_caps caps;
	struct dmm_cmd *c;
	uint32_t cap;

	(void)now;
	if (!env || !a || !env->send || !cfg || !cfg_ok(cfg))
		return NULL;
	cap = cfg->max_mns;
	c = a->zalloc(a->ctx, sizeof(*c));
	if (!c)
		return NULL;
	c->cfg = *cfg;
	c->seq = (uint16_t)(env->seed >> 24); /* a fresh start for our sequence numbers */
	c->upd_cap = upd_capacity(cfg);
	/* As dmm_bcache_new(), with the Proxy-CoAs (S-MAARs) bounded by the anchor rows (cmd_anchor_room()). */
	c->bc = dmm_bcache_new_sized(
		a,
		&(struct dmm_bcache_sizes){cap, cap * DMM_BCE_MAX_PMAAR, cap * DMM_BCE_MAX_PMAAR,
					   (size_t)cap * 64 + 16 * DMM_ARENA_MAX, true, cfg->max_maars + 64},
		env->seed);
	if (!c->bc)
		goto err_bc;
	c->bx = a->zalloc(a->ctx, sizeof(*c->bx) * cap);
	if (!c->bx)
		goto err_bx;
	caps.timers = 2 * cap + c->upd_cap + cfg->max_maars + 16;
	caps.peers = cfg->max_maars;
	caps.intents = 0; /* location only: no data plane */
	caps.timer = cmd_timer;
	peer_cfg(cfg, &pc);
	if (dmm_role_base_init(&c->base, env, &caps, &pc, &pops) != 0)
		goto err_base;
	dmm_peers_set_role(c->base.peers, "cmd");
	c->anchor = a->zalloc(a->ctx, sizeof(*c->anchor) * cfg->max_maars);
	if (!c->anchor)
		goto err_anchor;
	if (dmm_hidx_init(&c->anchor_idx, a, cfg->max_maars) != 0)
		goto err_aidx;
	c->upd = a->zalloc(a->ctx, sizeof(*c->upd) * c->upd_cap);
	if (!c->upd)
		goto err_upd;
	c->upd_gen = a->zalloc(a->ctx, sizeof(*c->upd_gen) * c->upd_cap);
	if (!c->upd_gen)
		goto err_gen;
	if (dmm_hidx_init(&c->upd_idx, a, c->upd_cap) != 0)
		goto err_uidx;
	if (dmm_hidx_init(&c->choose_idx, a, c->upd_cap) != 0)
		goto err_cidx;
	return c;

err_cidx:
	dmm_hidx_fini(&c->upd_idx, a);
err_uidx:
	a->free(a->ctx, c->upd_gen);
err_gen:
	a->free(a->ctx, c->upd);
err_upd:
	dmm_hidx_fini(&c->anchor_idx, a);
err_aidx:
	a->free(a->ctx, c->anchor);
err_anchor:
	dmm_role_base_fini(&c->base);
err_base:
	a->free(a->ctx, c->bx);
err_bx:
	dmm_bcache_free(c->bc);
err_bc:
	a->free(a->ctx, c);
	return NULL;
}

void dmm_cmd_free(struct dmm_cmd *c)
{
	const struct dmm_alloc *a;

	if (!c)
		return;
	a = c->base.env.alloc;
	dmm_hidx_fini(&c->choose_idx, a);
	dmm_hidx_fini(&c->upd_idx, a);
	a->free(a->ctx, c->upd_gen);
	a->free(a->ctx, c->upd);
	dmm_hidx_fini(&c->anchor_idx, a);
	a->free(a->ctx, c->anchor);
	dmm_role_base_fini(&c->base);
	a->free(a->ctx, c->bx);
	dmm_bcache_free(c->bc);
	a->free(a->ctx, c);
}

int dmm_cmd_reconfigure(struct dmm_cmd *c, const struct dmm_cmd_cfg *cfg, dmm_time_t now)
{
	struct dmm_peer_cfg pc;

	(void)now;
	if (!cfg || !cfg_ok(cfg) || cfg->max_mns != c->cfg.max_mns || cfg->max_maars != c->cfg.max_maars ||
	    cfg->max_pending_updates != c->cfg.max_pending_updates)
		return DMM_ERR_INVAL; /* capacities are fixed at creation */
	c->cfg = *cfg;
	peer_cfg(cfg, &pc);
	dmm_peers_reconfigure(c->base.peers, &pc);
	return 0;
}

const struct dmm_bcache *dmm_cmd_bcache(const struct dmm_cmd *c)
{
	return c->bc;
}

const struct dmm_cmd_counters *dmm_cmd_counters(const struct dmm_cmd *c)
{
	return &c->ctr;
}

/* --- the role ops table --- */

DMM_ROLE_OPS_ADAPTERS(cmd)

static size_t ops_tables(const void *inst, struct dmm_role_table *out, size_t max)
{
	if (max < 1)
		return 0;
	out[0] = (struct dmm_role_table){.bcache = dmm_cmd_bcache(inst)};
	return 1;
}

static size_t ops_counters(const void *inst, struct dmm_role_counter *out, size_t max)
{
	const struct dmm_cmd_counters *m = dmm_cmd_counters(inst);
	const struct dmm_role_counter all[] = {
		{"handovers", m->handovers},
		{"pmaar-updates", m->pmaar_updates},
		{"pmaar-give-ups", m->pmaar_give_ups},
		{"partial-pbas", m->partial_pbas},
		{"releases", m->releases},
		{"anchor-choices", m->anchor_choices},
		{"no-anchor", m->no_anchor},
	};
	return dmm_role_counters_copy(out, max, all, sizeof(all) / sizeof(all[0]));
}

/* GAP1-3: the MAARs as the CMD sees them (dmmctl show anchors). */
static size_t ops_rows(const void *inst, const void **cursor, struct dmm_role_field *out, size_t max)
{
	const struct dmm_cmd_anchor *a = dmm_cmd_anchor_next(inst, *cursor);
	const struct dmm_role_field f[] = {
		{.name = "state", .is_str = true, .known = true},
		{.name = "priority", .num = a ? a->priority : 0, .known = a && a->load_known},
		{.name = "sessions-in-use", .num = a ? a->sessions_in_use : 0, .known = a && a->load_known},
		{.name = "max-sessions", .num = a ? a->max_sessions : 0, .known = a && a->load_known},
		{.name = "serving", .num = a ? a->serving : 0, .known = true},
		{.name = "anchored", .num = a ? a->anchored : 0, .known = true},
		{.name = "chosen", .num = a ? (int64_t)a->chosen : 0, .known = true},
	};
	size_t n = 1 + sizeof(f) / sizeof(f[0]);
	const char *st = a ? dmm_anchor_state_name(a->state) : "";

	if (!a || max < n)
		return 0;
	*cursor = a;
	out[0] = (struct dmm_role_field){.name = "address", .is_str = true, .known = true};
	dmm_addr_str(&a->addr, out[0].str);
	memcpy(out + 1, f, sizeof(f));
	memcpy(out[1].str, st, strlen(st) + 1); /* a short static name */
	return n;
}

const struct dmm_role_ops dmm_cmd_ops = {
	DMM_ROLE_OPS_COMMON("cmd"),
	.counters = ops_counters,
	/* no access links; its own table is the anchors (GAP1-3) */
	.rows = ops_rows,
	.rows_name = "anchors",
};
