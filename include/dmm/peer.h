/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mobility peers (MAG <-> LMA) and their liveness: the heartbeat of
 * RFC 5847 with the Restart Counter option, shared by every role.
 *
 * A peer is heartbeated every interval while it has bindings (§5.1). A
 * request whose response has not come when the next is due counts as
 * missed; more than missing_allowed misses in a row declare the peer
 * down (§5.2). A response carrying a restart counter other than the one
 * seen before means the peer restarted (§5.3). Requests are always
 * answered, with our own restart counter. A Binding Error with status 2
 * in answer to a heartbeat means the peer lacks support: stop (§5.1).
 */
#ifndef DMM_PEER_H
#define DMM_PEER_H

#include "dmm/alloc.h"
#include "dmm/log.h"
#include "dmm/mh.h"
#include "dmm/stats.h"
#include "dmm/timers.h"
#include "dmm/types.h"

enum dmm_peer_state { DMM_PEER_UNKNOWN, DMM_PEER_UP, DMM_PEER_DOWN, DMM_PEER_NO_HEARTBEAT };

struct dmm_peer {
	struct dmm_handle handle;
	struct dmm_addr addr;
	uint8_t state; /* enum dmm_peer_state */
	bool rc_known;
	uint32_t restart_counter; /* the peer's, from its last response */
	uint32_t seq;		  /* last request sent */
	bool outstanding;	  /* a request is waiting for its response */
	uint8_t missed;
	uint32_t bindings; /* heartbeats run while this is above 0 */
	dmm_time_t last_heard;
	uint64_t restarts, downs;
};

struct dmm_peer_cfg {
	struct dmm_addr self;	  /* our address, the source of heartbeats */
	dmm_time_t interval;	  /* HEARTBEAT_INTERVAL, 60 s by default (§6) */
	uint8_t missing_allowed;  /* MISSING_HEARTBEATS_ALLOWED, 3 by default */
	uint32_t restart_counter; /* ours: bumped by the caller on every start */
};

struct dmm_peer_ops {
	void (*send)(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		     size_t len);
	void (*down)(void *ctx, struct dmm_peer *p, dmm_time_t now);	  /* §5.2 */
	void (*restarted)(void *ctx, struct dmm_peer *p, dmm_time_t now); /* §5.3 */
	void (*up)(void *ctx, struct dmm_peer *p, dmm_time_t now);	  /* heard again after down */
	void *ctx;
};

struct dmm_peers;

/*
 * A peer table for up to capacity peers; heartbeat timers go into timers
 * (kind DMM_TIMER_HEARTBEAT), which must outlive the table. stats and log
 * may be NULL. Returns NULL on bad arguments or memory.
 */
struct dmm_peers *dmm_peers_new(const struct dmm_alloc *a, uint32_t capacity, struct dmm_timers *timers,
				const struct dmm_peer_cfg *cfg, const struct dmm_peer_ops *ops,
				struct dmm_pmip_stats *stats, const struct dmm_log *log);
void dmm_peers_free(struct dmm_peers *ps);

/* Change interval, missed count or our address; running timers keep their deadline. */
void dmm_peers_reconfigure(struct dmm_peers *ps, const struct dmm_peer_cfg *cfg);

/* The peer at addr, created (state UNKNOWN) if create; NULL if absent or the table is full. */
struct dmm_peer *dmm_peers_get(struct dmm_peers *ps, const struct dmm_addr *addr, bool create);
/* The peer named by h, or NULL when stale. */
struct dmm_peer *dmm_peers_by_handle(struct dmm_peers *ps, struct dmm_handle h);
/* Iterate peers: the one after prev (NULL: first), or NULL. */
struct dmm_peer *dmm_peers_next(struct dmm_peers *ps, struct dmm_peer *prev);

/* One binding more (+1) or less (-1) with p; heartbeats start at the first and stop after the last. */
void dmm_peers_ref(struct dmm_peers *ps, struct dmm_peer *p, int delta, dmm_time_t now);

/*
 * A decoded Heartbeat (or a Binding Error about one) from src. Answers
 * requests, matches responses, detects restarts. Returns 0, or
 * DMM_ERR_INVAL if m is neither.
 */
int dmm_peers_recv(struct dmm_peers *ps, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		   dmm_time_t now);

/* The DMM_TIMER_HEARTBEAT timer of peer h fired. */
void dmm_peers_timer(struct dmm_peers *ps, struct dmm_handle h, dmm_time_t now);

/* Send an unsolicited heartbeat response (U=1) to p, after our own restart (§5.3). */
void dmm_peers_announce(struct dmm_peers *ps, struct dmm_peer *p);

/*
 * Name the role in the table's state lines ("lma: peer ADDR: up -> down
 * (...)"); role is borrowed and must outlive the table. "peers" until set.
 */
void dmm_peers_set_role(struct dmm_peers *ps, const char *role);

/* "unknown", "up", "down", "no-heartbeat" (fsm.c, DMM_FSM_PEER), or "?". */
const char *dmm_peer_state_name(uint8_t state);

#endif
