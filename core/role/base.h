/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every role instance (LMA, MAG, MAAR, CMD) holds in the same way:
 * its copy of the environment, its timers, its peer table (RFC 5847
 * heartbeats), its forwarding intents and its counters. Not a public
 * header: the roles embed struct dmm_role_base and keep their own
 * tables beside it.
 *
 * The base is the role's first member. The peer table calls the role's
 * down/restarted/up hooks with the base as ctx, which therefore is also a
 * pointer to the role (C11 6.7.2.1: a struct and its first member share
 * an address); each role checks the offset with a static assertion.
 */
#ifndef DMM_CORE_ROLE_BASE_H
#define DMM_CORE_ROLE_BASE_H

#include "dmm/fm.h"
#include "dmm/peer.h"
#include "dmm/role.h"
#include "dmm/stats.h"
#include "dmm/timers.h"

struct dmm_role_base;
/* What the role does with a timer of its own kind (anything but DMM_TIMER_HEARTBEAT). */
typedef void (*dmm_role_timer_fn)(struct dmm_role_base *b, unsigned kind, struct dmm_handle h,
				  dmm_time_t now);

struct dmm_role_base {
	struct dmm_env env;
	struct dmm_timers *timers;
	struct dmm_peers *peers;
	struct dmm_fm *fm; /* NULL for a role without a data plane (the CMD) */
	struct dmm_pmip_stats stats;
	dmm_role_timer_fn timer; /* the role's own timer kinds (dmm_role_expire) */
};

struct dmm_role_caps {
	uint32_t timers;	 /* pending timers */
	uint32_t peers;		 /* peer table */
	uint32_t intents;	 /* forwarding intents; 0: no intent table */
	dmm_role_timer_fn timer; /* what the role does with a timer of its own kind */
};

/*
 * Set up b, which the caller zeroed: copy env, create the timers, the peer
 * table with cfg and the hooks of ops (ops->send and ops->ctx are ignored:
 * heartbeats go out through env->send, the hooks get b as ctx) and, when
 * caps->intents is not 0, the intent table on env->fm. Returns 0 or
 * DMM_ERR_NOMEM, having freed what it made.
 */
int dmm_role_base_init(struct dmm_role_base *b, const struct dmm_env *env, const struct dmm_role_caps *caps,
		       const struct dmm_peer_cfg *cfg, const struct dmm_peer_ops *ops);

/* Remove every intent through the data plane, then free the peers and the timers. */
void dmm_role_base_fini(struct dmm_role_base *b);

/*
 * Run every timer due at or before now, in deadline order: heartbeats go
 * to the peer table (RFC 5847 §3), every other kind to fn.
 */
void dmm_role_base_expire(struct dmm_role_base *b, dmm_time_t now, dmm_role_timer_fn fn);

/* The earliest pending deadline, or DMM_TIME_NEVER. */
dmm_time_t dmm_role_base_next_deadline(const struct dmm_role_base *b);

/* A peer config from the role's address and heartbeat settings (RFC 5847 §5). */
struct dmm_peer_cfg dmm_role_peer_cfg(const struct dmm_addr *self, dmm_time_t interval,
				      uint8_t missing_allowed, uint32_t restart_counter);

/*
 * Encode m into buf (cap bytes), count it and send it from src to dst
 * through env.send. An encoding failure is logged, with prefix before the
 * message ("" or "mag: "), and nothing is sent.
 */
void dmm_role_base_send(struct dmm_role_base *b, uint8_t *buf, size_t cap, const char *prefix,
			const struct dmm_addr *src, const struct dmm_addr *dst, const struct dmm_mh_msg *m);

/*
 * The ops entries that only adapt a role's typed entry points
 * (dmm_<role>_new, _free, _reconfigure, _recv,
 * and _attach, _detach for the access-side roles) to the void * of struct
 * dmm_role_ops, written once here. A macro writes them because C has no
 * other way to adapt parameter types: calling through a cast between
 * function-pointer types is undefined (C11 6.3.2.3 p8).
 */
#define DMM_ROLE_OPS_ADAPTERS(role)                                                                          \
	static void *ops_create(const struct dmm_env *env, const void *cfg, dmm_time_t now)                  \
	{                                                                                                    \
		return dmm_##role##_new(env, cfg, now);                                                      \
	}                                                                                                    \
	static void ops_destroy(void *inst)                                                                  \
	{                                                                                                    \
		dmm_##role##_free(inst);                                                                     \
	}                                                                                                    \
	static int ops_reconfigure(void *inst, const void *cfg, dmm_time_t now)                              \
	{                                                                                                    \
		return dmm_##role##_reconfigure(inst, cfg, now);                                             \
	}                                                                                                    \
	static void ops_recv(void *inst, const struct dmm_addr *src, const struct dmm_addr *dst,             \
			     const uint8_t *buf, size_t len, dmm_time_t now)                                 \
	{                                                                                                    \
		dmm_##role##_recv(inst, src, dst, buf, len, now);                                            \
	}

#define DMM_ROLE_OPS_ACCESS_ADAPTERS(role)                                                                   \
	static int ops_attach(void *inst, const struct dmm_mnid *mnid, uint32_t link, const uint8_t *ll,     \
			      uint8_t ll_len, uint8_t att, dmm_time_t now)                                   \
	{                                                                                                    \
		return dmm_##role##_attach(inst, mnid, link, ll, ll_len, att, now);                          \
	}                                                                                                    \
	static int ops_detach(void *inst, const struct dmm_mnid *mnid, dmm_time_t now)                       \
	{                                                                                                    \
		return dmm_##role##_detach(inst, mnid, now);                                                 \
	}

/*
 * The entries every ops table has alike: the adapters above, the base's
 * timer loop, and the role's ops_tables.
 */
#define DMM_ROLE_OPS_COMMON(role_name)                                                                       \
	.name = role_name, .create = ops_create, .destroy = ops_destroy, .reconfigure = ops_reconfigure,     \
	.recv = ops_recv, .expire = dmm_role_expire, .next_deadline = dmm_role_next_deadline,                \
	.tables = ops_tables

/* ops->counters of a role that has no counters of its own: 0. */
size_t dmm_role_no_counters(const void *inst, struct dmm_role_counter *out, size_t max);

/* Copy the first max of a role's n counters all to out (ops->counters); returns how many. */
size_t dmm_role_counters_copy(struct dmm_role_counter *out, size_t max, const struct dmm_role_counter *all,
			      size_t n);

/*
 * A message from src decoded: count it by type, and count and log (at
 * debug level) what the decoder tolerated (m->notes: misaligned options,
 * reserved values), which the RFCs put on the sender (RFC 6275 §6.2.1,
 * RFC 5213 §8.5). prefix names the role in the log line ("lma").
 */
void dmm_role_base_rx_ok(struct dmm_role_base *b, const char *prefix, const struct dmm_addr *src,
			 const struct dmm_mh_msg *m);

/* True when a log line at lvl would be written. */
static inline bool dmm_role_base_log_on(const struct dmm_role_base *b, enum dmm_log_level lvl)
{
	return b->env.log && b->env.log->fn && lvl <= b->env.log->max_level;
}

#endif
