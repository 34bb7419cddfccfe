/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mobility peers (MAG <-> LMA) and their liveness: the heartbeat of
 * RFC 5847 with the Restart Counter option, shared by every role.
 *
 * A peer is heartbeated every interval while it has bindings (§3). A
 * request whose response has not come when the next is due counts as
 * missed; when the misses in a row exceed missing_allowed, the peer is
 * down (§3.1, §5): with 3 allowed, the fourth miss. A response carrying
 * a restart counter other than the one seen before means the peer
 * restarted (§3.2). A Binding Error with status 2 in answer to a
 * heartbeat means the peer lacks support: stop for good (§3).
 *
 * Requests are always answered, with our own restart counter, from any
 * source and whether or not the table holds (or has room for) an entry
 * for it (§3). Receiving never allocates: entries are made only by
 * dmm_peers_get(create) when a role needs one for a binding.
 *
 * Heartbeat can be turned off per peer address, for implementations
 * without RFC 5847 that break on its messages: such a peer is in state
 * NO_HEARTBEAT ("no-heartbeat"), is sent no request and no unsolicited
 * response, never goes down for missed responses, and still has its
 * requests answered. The set of such addresses is kept by the table,
 * apart from its entries, so it holds for entries made later: give it
 * at creation (dmm_peer_cfg.no_heartbeat), replace it on a reload
 * (dmm_peers_set_no_heartbeat) or change one address
 * (dmm_peers_set_heartbeat).
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
	uint32_t bindings;   /* heartbeats run while this is above 0 */
	bool hb_off;	     /* heartbeat turned off for this address by configuration */
	bool hb_unsupported; /* it answered a heartbeat with Binding Error status 2 (§3) */
	dmm_time_t last_heard;
	uint64_t restarts, downs;
};

struct dmm_peer_cfg {
	struct dmm_addr self;	  /* our address, the source of heartbeats */
	dmm_time_t interval;	  /* HEARTBEAT_INTERVAL, 60 s by default (§5); 0: none */
	uint8_t missing_allowed;  /* MISSING_HEARTBEATS_ALLOWED, 3 by default (§5) */
	uint32_t restart_counter; /* ours: bumped by the caller on every start */
	/*
	 * Peer addresses with heartbeat off (at most the table's capacity).
	 * Read by dmm_peers_new only, which copies them (borrowed for the
	 * call); dmm_peers_reconfigure ignores them: change the set later
	 * with dmm_peers_set_no_heartbeat, which takes the time.
	 */
	const struct dmm_addr *no_heartbeat;
	uint32_t n_no_heartbeat;
};

struct dmm_peer_ops {
	void (*send)(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		     size_t len);
	void (*down)(void *ctx, struct dmm_peer *p, dmm_time_t now);	  /* §3.1 */
	void (*restarted)(void *ctx, struct dmm_peer *p, dmm_time_t now); /* §3.2 */
	void (*up)(void *ctx, struct dmm_peer *p, dmm_time_t now);	  /* heard again after down */
	void *ctx;
};

struct dmm_peers;

/*
 * A peer table for up to capacity peers; heartbeat timers go into timers
 * (kind DMM_TIMER_HEARTBEAT), which must outlive the table. stats and log
 * may be NULL. cfg->no_heartbeat is copied. Returns NULL on bad arguments
 * (more than capacity no-heartbeat addresses among them) or memory.
 */
struct dmm_peers *dmm_peers_new(const struct dmm_alloc *a, uint32_t capacity, struct dmm_timers *timers,
				const struct dmm_peer_cfg *cfg, const struct dmm_peer_ops *ops,
				struct dmm_pmip_stats *stats, const struct dmm_log *log);
void dmm_peers_free(struct dmm_peers *ps);

/*
 * Change interval, missed count, restart counter or our address; running
 * timers keep their deadline. The no-heartbeat set is left as it is.
 */
void dmm_peers_reconfigure(struct dmm_peers *ps, const struct dmm_peer_cfg *cfg);

/*
 * The peer at addr, created if create (state UNKNOWN, or NO_HEARTBEAT when
 * heartbeat is off for addr); NULL if absent or the table is full. Create
 * only for a binding the role is setting up, never to check a message.
 */
struct dmm_peer *dmm_peers_get(struct dmm_peers *ps, const struct dmm_addr *addr, bool create);
/* True when addr has an entry or dmm_peers_get(create) would make one. Allocates nothing. */
bool dmm_peers_has_room(const struct dmm_peers *ps, const struct dmm_addr *addr);
/* The peer named by h, or NULL when stale. */
struct dmm_peer *dmm_peers_by_handle(struct dmm_peers *ps, struct dmm_handle h);

/*
 * The peer in slot idx (its handle.idx), or NULL when the slot is free or
 * out of range. A peer keeps its slot for the life of the table (none is
 * ever freed), so a holder of a reference may keep the slot alone.
 */
struct dmm_peer *dmm_peers_at(struct dmm_peers *ps, uint32_t idx);
/* Iterate peers: the one after prev (NULL: first), or NULL. */
struct dmm_peer *dmm_peers_next(struct dmm_peers *ps, struct dmm_peer *prev);

/* One binding more (+1) or less (-1) with p; heartbeats start at the first and stop after the last. */
void dmm_peers_ref(struct dmm_peers *ps, struct dmm_peer *p, int delta, dmm_time_t now);

/*
 * A decoded Heartbeat (or a Binding Error about one) from src. Answers
 * every request, from any source (§3); matches responses and detects
 * restarts (§3.2) only for peers in the table. Never makes an entry.
 * Returns 0, or DMM_ERR_INVAL if m is neither.
 */
int dmm_peers_recv(struct dmm_peers *ps, const struct dmm_addr *src, const struct dmm_mh_msg *m,
		   dmm_time_t now);

/* The DMM_TIMER_HEARTBEAT timer of peer h fired. */
void dmm_peers_timer(struct dmm_peers *ps, struct dmm_handle h, dmm_time_t now);

/*
 * Send an unsolicited heartbeat response (U=1) to p, after our own restart
 * (§3.2); nothing when p is in state NO_HEARTBEAT.
 */
void dmm_peers_announce(struct dmm_peers *ps, struct dmm_peer *p);

/*
 * Heartbeat on or off for the peer at addr, now and for an entry made
 * later. Off: the entry (if any) goes NO_HEARTBEAT, its timer and any
 * outstanding request are dropped. On: it goes UNKNOWN and, if it has
 * bindings, its first request is due at now + interval; a peer that
 * answered with Binding Error status 2 stays NO_HEARTBEAT (§3).
 * Returns 0, or DMM_ERR_NOMEM when capacity addresses are off already.
 */
int dmm_peers_set_heartbeat(struct dmm_peers *ps, const struct dmm_addr *addr, bool on, dmm_time_t now);

/*
 * Make addrs[0..n) exactly the addresses with heartbeat off (a reload of
 * the configuration): each entry whose setting changes changes as with
 * dmm_peers_set_heartbeat; the others are untouched (no state line).
 * addrs is borrowed for the call; NULL with n 0 turns every one back on.
 * Returns 0, or DMM_ERR_NOMEM (nothing changed) when n > capacity.
 */
int dmm_peers_set_no_heartbeat(struct dmm_peers *ps, const struct dmm_addr *addrs, uint32_t n,
			       dmm_time_t now);

/*
 * Name the role in the table's state lines ("lma: peer ADDR: up -> down
 * (...)"); role is borrowed and must outlive the table. "peers" until set.
 */
void dmm_peers_set_role(struct dmm_peers *ps, const char *role);

/* "unknown", "up", "down", "no-heartbeat" (fsm.c, DMM_FSM_PEER), or "?". */
const char *dmm_peer_state_name(uint8_t state);

#endif
