/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Central Mobility Database of RFC 8885: location only. Per MN it
 * keeps the serving MAAR and the list of (anchoring MAAR, prefix) pairs
 * (§3.2); on a handover it tells the serving MAAR where the old prefixes
 * are anchored and tells each previous MAAR where the MN is now, as proxy
 * (answer at once) or relay (gather the previous MAARs' answers), chosen
 * by config. It also keeps a table of MAARs with their load, capacity
 * and liveness and chooses an anchor for a MAAR that cannot anchor
 * (GAP1-3). docs/dmm-protocol.md fixes the flows.
 */
#ifndef DMM_CMD_H
#define DMM_CMD_H

#include "dmm/bcache.h"
#include "dmm/fm.h"
#include "dmm/peer.h"
#include "dmm/policy.h"
#include "dmm/role.h"
#include "dmm/stats.h"

enum dmm_cmd_mode { DMM_CMD_PROXY, DMM_CMD_RELAY };

struct dmm_cmd_cfg {
	struct dmm_addr addr;
	struct dmm_policy *policy; /* borrowed: authorised MAARs (dmm_policy_mag_allowed) and MN profiles */
	enum dmm_cmd_mode mode;
	dmm_time_t relay_timeout; /* relay mode: longest wait for the previous MAARs, 1 s */
	uint32_t max_mns;
	uint32_t max_maars;
	/*
	 * PBUs to MAARs in flight at once (RFC 8885 §3.2); 0: max_mns / 8 +
	 * 4096, at most 2 * max_mns + 64. A registration that would need more
	 * is refused with status 130 (Insufficient resources); no binding is
	 * lost.
	 */
	uint32_t max_pending_updates;
	uint32_t max_lifetime_s;
	dmm_time_t initial_bindack_timeout;   /* PBUs to previous MAARs: 1 s, doubling */
	dmm_time_t max_bindack_timeout;	      /* 32 s */
	uint8_t max_retransmissions;	      /* 3 */
	dmm_time_t timestamp_validity_window; /* 300 ms, RFC 5213 §5.5 */
	bool timestamp_based;
	dmm_time_t min_delay_before_bce_delete; /* RFC 5213 §5.3.5, §9.1: 10 s */
	dmm_time_t pbu_pacing;	  /* RFC 8885 §3.2: least gap between two PBUs we send, 100 us */
	uint32_t max_update_rate; /* RFC 8885 §3.6: PBUs per second to one MAAR, 1000; 0: no limit */
	dmm_time_t heartbeat_interval;
	uint8_t missing_heartbeats_allowed;
	uint32_t restart_counter;
	/*
	 * GAP1-1 (docs/dmm-protocol.md §11): when a MAAR is declared down by
	 * heartbeat, every prefix it anchors for an MN attached elsewhere is
	 * re-anchored at that MN's S-MAAR. Default false.
	 */
	bool reanchor_on_failure;
};

void dmm_cmd_cfg_defaults(struct dmm_cmd_cfg *cfg);

struct dmm_cmd;

struct dmm_cmd *dmm_cmd_new(const struct dmm_env *env, const struct dmm_cmd_cfg *cfg, dmm_time_t now);
void dmm_cmd_free(struct dmm_cmd *c);
int dmm_cmd_reconfigure(struct dmm_cmd *c, const struct dmm_cmd_cfg *cfg, dmm_time_t now);
void dmm_cmd_recv(struct dmm_cmd *c, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const uint8_t *buf, size_t len, dmm_time_t now);

/* The MN table: pcoa = serving MAAR, pmaar = every (anchor, prefix) pair, oldest first. */
const struct dmm_bcache *dmm_cmd_bcache(const struct dmm_cmd *c);

/* One MAAR as the CMD sees it (GAP1-3). */
enum dmm_anchor_state { DMM_ANCHOR_UNKNOWN, DMM_ANCHOR_UP, DMM_ANCHOR_FULL, DMM_ANCHOR_DOWN };

struct dmm_cmd_anchor {
	struct dmm_addr addr;
	uint8_t state; /* enum dmm_anchor_state */
	bool load_known;
	uint16_t priority;
	uint32_t sessions_in_use, max_sessions;
	uint32_t used_capacity, max_capacity;
	uint32_t serving;  /* MNs attached there now */
	uint32_t anchored; /* (anchor, prefix) pairs the CMD holds for it */
	dmm_time_t load_updated;
	uint64_t chosen; /* times chosen as anchor for another MAAR */
};

/* Iterate MAARs: the one after prev (NULL: first), or NULL. */
const struct dmm_cmd_anchor *dmm_cmd_anchor_next(const struct dmm_cmd *c, const struct dmm_cmd_anchor *prev);
const char *dmm_anchor_state_name(uint8_t state);

struct dmm_cmd_counters {
	uint64_t handovers;	 /* serving MAAR changed */
	uint64_t pmaar_updates;	 /* PBUs with Serving MAAR sent */
	uint64_t pmaar_give_ups; /* previous MAARs that never answered */
	uint64_t partial_pbas;	 /* relay mode: PBAs sent without every previous MAAR */
	uint64_t releases;	 /* prefixes released (GAP2-1) */
	uint64_t anchor_choices; /* anchors chosen for another MAAR (GAP1-3) */
	uint64_t no_anchor;	 /* PBA 130: no MAAR could anchor */
};
const struct dmm_cmd_counters *dmm_cmd_counters(const struct dmm_cmd *c);

/*
 * Relocation (RFC 7429 GAP1-1, docs/dmm-protocol.md §11): move the
 * anchoring of prefix p to its MN's S-MAAR, make-before-break. to, when
 * given (not NULL or zero), must be that S-MAAR. Returns 0 (started),
 * DMM_ERR_NOTFOUND (no MN has p), DMM_ERR_INVAL (to is not the MN's
 * S-MAAR, p is anchored there already, or the MN is de-registering),
 * DMM_ERR_NOMEM (no room for the update).
 */
int dmm_cmd_relocate(struct dmm_cmd *c, const struct dmm_prefix *p, const struct dmm_addr *to,
		     dmm_time_t now);
/* Relocate every prefix anchored at maar whose MN is served elsewhere; how many were started. */
unsigned dmm_cmd_drain(struct dmm_cmd *c, const struct dmm_addr *maar, dmm_time_t now);

/* Bytes a CMD allocated, by table (all at creation). */
struct dmm_cmd_memory {
	size_t mns;	/* the MN table (binding cache) and the state kept beside it per MN */
	size_t updates; /* the pending PBUs to MAARs (RFC 8885 §3.2) and their indexes */
	size_t timers;	/* every pending timer's room (timers.h) */
	size_t other;	/* the instance and the table of MAARs */
};

void dmm_cmd_memory(const struct dmm_cmd *c, struct dmm_cmd_memory *out);

extern const struct dmm_role_ops dmm_cmd_ops;

#endif
