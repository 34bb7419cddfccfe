/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Operations (RFC 7429 §5.6, GAP6-1): what dmmd tells the tools operators
 * run. Four files, called from main.c and ctl.c only, in one direction:
 *
 *   observe.c  learns of events where dmmd already sees them (the data
 *              plane calls of the intent table, Mobility Headers in and
 *              out, the peer table after each turn of the loop): keeps a
 *              session per binding owner, the histograms and the counts
 *              the metrics read, and hands events and records on;
 *   events.c   the event stream: a ring of the latest events and the
 *              control socket clients that follow it (dmmctl events);
 *   usage.c    usage records, one JSON line per ended binding or
 *              anchored prefix, to a file or syslog (GAP6);
 *   metrics.c  /metrics over HTTP (Prometheus text format) from its own
 *              thread, which reads a snapshot the loop fills on request.
 *
 * Everything here runs on the loop's thread except metrics.c's HTTP
 * thread, which touches nothing but the snapshot (under its lock).
 */
#ifndef DMMD_OPS_H
#define DMMD_OPS_H

#include <stdint.h>
#include <stdio.h>

#include "dmm/fm.h"
#include "dmm/mnid.h"
#include "dmm/role.h"
#include "dmm/types.h"

struct dmmd;

/* --- histograms (Prometheus: cumulative buckets, sum, count) --- */

#define DMMD_HIST_BUCKETS 14

/* Upper bounds in seconds; the last bucket is +Inf (count). */
static const double dmmd_hist_bounds[DMMD_HIST_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

struct dmmd_hist {
	uint64_t count;
	double sum;
	uint64_t le[DMMD_HIST_BUCKETS]; /* observations <= dmmd_hist_bounds[i], not cumulative */
};

enum dmmd_hist_id {
	DMMD_H_REG_ANCHOR,  /* PBU in -> PBA out (LMA, anchoring MAAR, CMD) */
	DMMD_H_REG_SERVING, /* PBU out -> PBA in (MAG, serving MAAR) */
	DMMD_H_INTERRUPT,   /* downlink forwarding of a prefix lost -> forwarding again */
	DMMD_H_N
};

/* --- observe.c --- */

#define DMMD_OBS_BUFFERS 256 /* BUFFER intents whose packets the metrics add up */

/* One binding owner (an entry of the role's binding table) with intents. */
struct dmmd_session {
	uint32_t gen; /* the owner handle's generation; 0: free */
	uint16_t nintents;
	uint16_t handovers;
	int64_t start_wall;					 /* ns since 1970 */
	uint64_t up_packets, up_bytes, down_packets, down_bytes; /* of intents gone or replaced */
	struct dmm_addr serving;				 /* peer of the downlink, or :: */
	uint32_t link;						 /* access link of the delivery, or 0 */
	/* docs/dmm-protocol.md §11.1: the usage a relocation brought (added to the record), the move */
	struct dmm_usage prior;
	bool relocated;		  /* the session ends because its prefix moved to another anchor */
	struct dmm_addr moved_to; /* that anchor */
};

/* Where a downlink lost its forwarding (handover interruption). */
struct dmmd_gap {
	struct dmm_prefix prefix; /* len 0: free */
	dmm_time_t since;
};

#define DMMD_OBS_GAPS 1024
#define DMMD_OBS_PENDING 1024

/* A PBU sent and not yet answered (serving side registration latency). */
struct dmmd_pending {
	struct dmm_addr peer;
	uint16_t seq;
	dmm_time_t sent; /* 0: free */
};

#define DMMD_OBS_PEERS 256

struct dmmd_obs {
	struct dmmd *d;
	struct dmmd_session *s; /* by owner idx */
	uint32_t scap;
	uint32_t sessions;		    /* live sessions */
	uint32_t by_action[8];		    /* live intents by enum dmm_fm_action */
	uint32_t buffers[DMMD_OBS_BUFFERS]; /* ids of live BUFFER intents (0: free) */
	struct dmmd_hist hist[DMMD_H_N];
	struct dmmd_gap gap[DMMD_OBS_GAPS];
	struct dmmd_pending pend[DMMD_OBS_PENDING];
	uint64_t usage_records, events;
	/* Peer states last seen (peer up/down events). */
	uint32_t npeer;
	struct {
		struct dmm_addr addr;
		uint8_t state;
	} peer[DMMD_OBS_PEERS];
	uint64_t peer_moves; /* sum of the peer machine's transition counts last seen */
	/* A CMD's anchors (MAARs) and their states last seen (anchor events, GAP1-3). */
	uint32_t nanchor;
	struct {
		char addr[48];
		char state[48];
	} anchor[DMMD_OBS_PEERS];
	uint64_t anchor_moves;
};

/* A zeroed observer for d (calloc'd; NULL on memory). Free with dmmd_obs_free (NULL ok). */
struct dmmd_obs *dmmd_obs_new(struct dmmd *d);
void dmmd_obs_free(struct dmmd_obs *o);

/*
 * The data plane calls of the intent table, each just before the backend
 * is called (so that a removed or replaced intent's counters are read
 * while it still has them; a replaced intent's counters start from 0,
 * dataplane.h). added after a successful install.
 */
void dmmd_obs_added(struct dmmd_obs *o, const struct dmm_intent *in, dmm_time_t now);
void dmmd_obs_replacing(struct dmmd_obs *o, const struct dmm_intent *old, const struct dmm_intent *in,
			dmm_time_t now);
void dmmd_obs_removing(struct dmmd_obs *o, const struct dmm_intent *in, dmm_time_t now);

/* A Mobility Header received from src (verified), before the role sees it. */
void dmmd_obs_mh_in(struct dmmd_obs *o, const struct dmm_addr *src, const uint8_t *buf, size_t len,
		    dmm_time_t now);
/* A Mobility Header sent to dst; rx_at: when the message it answers arrived (0: none). */
void dmmd_obs_mh_out(struct dmmd_obs *o, const struct dmm_addr *dst, const uint8_t *buf, size_t len,
		     dmm_time_t rx_at, dmm_time_t now);

/*
 * dmm_env.usage_get (docs/dmm-protocol.md §11.1): the usage so far of
 * owner's session (counters of its intents gone and live, the prior usage
 * it continued, its start) into u; the session is noted as relocated to
 * to, so that its end is an anchor-relocated event and a usage record
 * with reason "relocated". DMM_ERR_NOTFOUND when owner has no session.
 */
int dmmd_obs_usage_get(struct dmmd_obs *o, struct dmm_handle owner, const struct dmm_addr *to,
		       struct dmm_usage *u);
/* dmm_env.usage_continue: owner's session continues usage u (start and counters). */
void dmmd_obs_usage_continue(struct dmmd_obs *o, struct dmm_handle owner, const struct dmm_usage *u);

/*
 * After each turn of the loop: peers that went up or down, and a CMD's
 * anchors (MAARs) that changed state, since the last call.
 */
void dmmd_obs_peers(struct dmmd_obs *o);

/* --- events.c --- */

struct dmmd_events;
struct dmm_loop;

#define DMMD_EVENT_LEN 1024

/* The stream on loop (its followers' sockets are watched there). NULL on memory. */
struct dmmd_events *dmmd_events_new(struct dmm_loop *loop);
/* Close every follower and free; accepts NULL. */
void dmmd_events_free(struct dmmd_events *ev);

/*
 * Publish one event: type ("binding-created", ...) and fields, the
 * members of a JSON object without braces (may be ""), already escaped.
 * The stream adds "seq", "time" (RFC 3339) and "event".
 */
void dmmd_events_emit(struct dmmd_events *ev, const char *type, const char *fields);

/*
 * A control socket client follows the stream: fd (taken over) first gets
 * the last replay events kept, then every new one, a JSON object a line.
 * 0, or -1 when there are too many followers (fd closed).
 */
int dmmd_events_follow(struct dmmd_events *ev, int fd, unsigned replay);

/* Events published and followers now. */
uint64_t dmmd_events_count(const struct dmmd_events *ev);
unsigned dmmd_events_followers(const struct dmmd_events *ev);

/* --- usage.c --- */

struct dmmd_usage;

/*
 * Records to file (appended; reopened by dmmd_usage_reopen, for log
 * rotation) or, with file NULL, to syslog facility. NULL on error
 * (errno set).
 */
struct dmmd_usage *dmmd_usage_open(const char *file, int facility);
void dmmd_usage_close(struct dmmd_usage *u);
/* Reopen the file (SIGHUP); 0 or -1 with errno (the old stream stays). */
int dmmd_usage_reopen(struct dmmd_usage *u);

/* One usage record (GAP6); every string already JSON-escaped. */
struct dmmd_usage_rec {
	const char *kind; /* "binding" or "anchored-prefix" */
	const char *mnid;
	const char *prefixes; /* a JSON array */
	const char *anchor;
	const char *serving; /* a JSON array */
	int64_t start_wall, end_wall;
	uint64_t up_packets, up_bytes, down_packets, down_bytes;
	const char *reason;
};

/* Write r as one line. 0, or -1 when it could not be written (counted). */
int dmmd_usage_write(struct dmmd_usage *u, const struct dmmd_usage_rec *r);

/* RFC 3339 UTC with microseconds of wall ns into buf (at least 32 octets); returns buf. Loop thread only. */
char *dmmd_rfc3339(int64_t wall_ns, char *buf, size_t cap);

/* --- metrics.c --- */

struct dmmd_metrics;

/*
 * Serve /metrics on cfg's address and port from an HTTP thread of its
 * own; the loop fills a snapshot when a scrape asks for one. NULL on
 * error (message in err).
 */
struct dmmd_metrics *dmmd_metrics_start(struct dmmd *d, char *err, size_t errlen);
/* Stop the thread and free; accepts NULL. */
void dmmd_metrics_stop(struct dmmd_metrics *m);

#endif
