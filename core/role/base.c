/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The part every role instance holds alike (base.h): environment, timers,
 * peer table, intent table, counters, and the timer loop that serves the
 * heartbeats of all of them.
 */
#include <string.h>

#include "base.h"
#include "dmm/err.h"
#include "dmm/log.h"
#include "dmm/fmt.h"
#include "dmm/mh.h"

/* Heartbeats leave through the role's environment like every other message. */
static void base_peer_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst,
			   const uint8_t *buf, size_t len)
{
	struct dmm_role_base *b = ctx;

	b->env.send(b->env.ctx, src, dst, buf, len);
}

int dmm_role_base_init(struct dmm_role_base *b, const struct dmm_env *env, const struct dmm_role_caps *caps,
		       const struct dmm_peer_cfg *cfg, const struct dmm_peer_ops *ops)
{
	const struct dmm_alloc *a = env->alloc;
	struct dmm_peer_ops po = *ops;
	struct dmm_peer_cfg pc;

	b->env = *env;
	b->env.no_heartbeat = NULL; /* borrowed for create only (role.h) */
	b->env.n_no_heartbeat = 0;
	b->timer = caps->timer;
	po.send = base_peer_send;
	po.ctx = b;
	b->timers = dmm_timers_new(a, caps->timers);
	if (!b->timers)
		goto err_timers;
	pc = *cfg;
	pc.no_heartbeat = env->no_heartbeat;
	pc.n_no_heartbeat = env->n_no_heartbeat;
	b->peers = dmm_peers_new(a, caps->peers, b->timers, &pc, &po, &b->stats, env->log);
	if (!b->peers)
		goto err_peers;
	if (caps->intents) {
		b->fm = dmm_fm_new(a, caps->intents, &env->fm);
		if (!b->fm)
			goto err_fm;
	}
	return 0;

err_fm:
	dmm_peers_free(b->peers);
	b->peers = NULL;
err_peers:
	dmm_timers_free(b->timers);
	b->timers = NULL;
err_timers:
	return DMM_ERR_NOMEM;
}

void dmm_role_base_fini(struct dmm_role_base *b)
{
	dmm_fm_free(b->fm); /* removes every intent through the data plane */
	dmm_peers_free(b->peers);
	dmm_timers_free(b->timers);
	b->fm = NULL;
	b->peers = NULL;
	b->timers = NULL;
}

void dmm_role_base_expire(struct dmm_role_base *b, dmm_time_t now, dmm_role_timer_fn fn)
{
	unsigned kind;
	struct dmm_handle h;

	while (dmm_timers_pop_expired(b->timers, now, &kind, &h)) {
		if (kind == DMM_TIMER_HEARTBEAT)
			dmm_peers_timer(b->peers, h, now);
		else
			fn(b, kind, h, now);
	}
}

dmm_time_t dmm_role_base_next_deadline(const struct dmm_role_base *b)
{
	return dmm_timers_next(b->timers);
}

struct dmm_peer_cfg dmm_role_peer_cfg(const struct dmm_addr *self, dmm_time_t interval,
				      uint8_t missing_allowed, uint32_t restart_counter)
{
	struct dmm_peer_cfg pc;

	memset(&pc, 0, sizeof(pc));
	pc.self = *self;
	pc.interval = interval;
	pc.missing_allowed = missing_allowed;
	pc.restart_counter = restart_counter;
	return pc;
}

void dmm_role_base_send(struct dmm_role_base *b, uint8_t *buf, size_t cap, const char *prefix,
			const struct dmm_addr *src, const struct dmm_addr *dst, const struct dmm_mh_msg *m)
{
	int n = dmm_mh_encode(buf, cap, m);

	if (n < 0) {
		dmm_logf(b->env.log, DMM_LOG_ERR, DMM_LC_MH, "%scannot encode MH type %u: %s", prefix,
			 m->type, dmm_strerror(n));
		return;
	}
	b->stats.tx_by_type[m->type & 31]++;
	b->env.send(b->env.ctx, src, dst, buf, (size_t)n);
}

/* The base is the first member of every role (base.h), so inst points at it. */
const struct dmm_pmip_stats *dmm_role_stats(const void *inst)
{
	return &((const struct dmm_role_base *)inst)->stats;
}

struct dmm_peers *dmm_role_peers(const void *inst)
{
	return ((const struct dmm_role_base *)inst)->peers;
}

struct dmm_fm *dmm_role_fm(const void *inst)
{
	return ((const struct dmm_role_base *)inst)->fm;
}

size_t dmm_role_counters_copy(struct dmm_role_counter *out, size_t max, const struct dmm_role_counter *all,
			      size_t n)
{
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*all));
	return n;
}

void dmm_role_expire(void *inst, dmm_time_t now)
{
	struct dmm_role_base *b = inst;

	dmm_role_base_expire(b, now, b->timer);
}

dmm_time_t dmm_role_next_deadline(const void *inst)
{
	return dmm_role_base_next_deadline(inst);
}

void dmm_role_base_rx_ok(struct dmm_role_base *b, const char *prefix, const struct dmm_addr *src,
			 const struct dmm_mh_msg *m)
{
	char notes[96], a[DMM_ADDR_STRLEN];

	b->stats.rx_by_type[m->type & 31]++;
	if (!m->notes)
		return;
	for (unsigned i = 0; i < 8; i++)
		if (m->notes & (1u << i))
			b->stats.rx_tolerated[i]++;
	if (dmm_role_base_log_on(b, DMM_LOG_DEBUG))
		dmm_logf(b->env.log, DMM_LOG_DEBUG, DMM_LC_MH, "%s: MH type %u from %s accepted with: %s",
			 prefix, m->type, dmm_addr_str(src, a),
			 dmm_mh_note_names(m->notes, notes, sizeof(notes)));
}

size_t dmm_role_no_counters(const void *inst, struct dmm_role_counter *out, size_t max)
{
	(void)inst;
	(void)out;
	(void)max;
	return 0;
}
