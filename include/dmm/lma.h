/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Local Mobility Anchor of Proxy Mobile IPv6 (RFC 5213 §5) as a
 * sans-IO state machine: PBU processing in the order of §5.3.1 with its
 * status codes, new registration, lifetime extension, handoff between
 * MAGs (§5.4.1) with a Binding Revocation Indication to the previous MAG
 * (RFC 5846 §8.1), de-registration with MinDelayBeforeBCEDelete (§5.3.5),
 * the Timestamp checks of §5.5, heartbeats with every MAG that has
 * bindings (RFC 5847), and forwarding intents for every binding.
 */
#ifndef DMM_LMA_H
#define DMM_LMA_H

#include "dmm/bcache.h"
#include "dmm/fm.h"
#include "dmm/peer.h"
#include "dmm/policy.h"
#include "dmm/pool.h"
#include "dmm/role.h"
#include "dmm/stats.h"

#define DMM_LMA_LR_MAX_POLICY 8 /* prefix pairs of the localized-routing policy */

struct dmm_lma_cfg {
	struct dmm_addr addr;	   /* LMAA: the address MAGs send PBUs to */
	struct dmm_addr upa;	   /* user-plane (tunnel) address; :: = addr (RFC 7389) */
	uint32_t max_bindings;	   /* binding cache capacity */
	uint32_t max_peers;	   /* MAGs */
	struct dmm_prefix pool[4]; /* HNP ranges to allocate /64s from */
	uint8_t npool;
	uint8_t hnp_len;	   /* allocated prefix length, 64 by default */
	struct dmm_policy *policy; /* borrowed: MN profiles and authorised MAGs; must outlive the LMA */
	dmm_time_t min_delay_before_bce_delete; /* 10 s (§9.1) */
	dmm_time_t
		max_delay_before_new_bce_assign; /* 1.5 s; 0: HI 4 starts a new session at once (§5.4.1.3) */
	dmm_time_t timestamp_validity_window;	 /* 300 ms */
	bool timestamp_based;			 /* TimestampBasedApproachInUse, default true */
	uint32_t max_lifetime_s;		 /* cap on the granted lifetime */
	dmm_time_t heartbeat_interval;		 /* RFC 5847: 60 s; 0 disables */
	uint8_t missing_heartbeats_allowed;	 /* 3 */
	uint32_t restart_counter;		 /* ours, bumped by the caller at every start */
	bool revoke_on_handoff;			 /* send a BRI to the previous MAG (RFC 5846), default true */
	uint32_t max_sessions_advertised;	 /* for the Load Information option (RFC 6463); 0: off */
	uint8_t bri_max_retries;		 /* BRIMaxRetriesNumber (RFC 5846 §11): 1 */
	/*
	 * Domain-wide-LMA-UPA-Support (RFC 7389 §5), default false: the
	 * LMA-UPA goes into a PBA only when the PBU carried the option.
	 */
	bool domain_wide_lma_upa_support;
	/* RFC 6705 §7: accept a MAG's LRI for MNs bound here (policy), default false: status 128. */
	bool localized_routing;
	/*
	 * RFC 6705 §3.2, §5 (scenario A11): when two MNs bound here are at
	 * the same MAG, send that MAG an LRI naming both (policy below), keep
	 * it alive and end it when either leaves. Off by default. Its
	 * per-MAG lists of bindings (20 octets a binding) exist only in an
	 * LMA made with it on: one made without refuses a reconfiguration
	 * that turns it on (DMM_ERR_INVAL).
	 */
	struct dmm_lma_lr_cfg {
		bool initiate;
		uint16_t lifetime_s; /* asked for in LRIs; 0: infinite (0xffff, §10.1) */
		dmm_time_t lra_wait; /* LRA_WAIT_TIME, 3 s (§12) */
		uint8_t retries;     /* LRI_RETRIES, 3 (§12) */
		/*
		 * Which pairs: none listed, any two MNs at one MAG; otherwise only
		 * an MN with an HNP inside pair[i].a with one with an HNP inside
		 * pair[i].b (either way round).
		 */
		uint8_t npairs;
		struct dmm_lma_lr_pair {
			struct dmm_prefix a, b;
		} pair[DMM_LMA_LR_MAX_POLICY];
	} lr;
	/*
	 * RFC 6463 runtime LMA assignment (EnableLMARedirectFunction, §7): with
	 * redirect_load bindings or more, a new session whose PBU carries the
	 * Redirect-Capability option is answered with the Redirect option
	 * naming redirect_to (lma_redirect.c). 0 or :: : off.
	 */
	uint32_t redirect_load;
	struct dmm_addr redirect_to;
};

/* Defaults of RFC 5213 §9 and RFC 5847 §5 for the fields that have them. */
void dmm_lma_cfg_defaults(struct dmm_lma_cfg *cfg);

struct dmm_lma;

/* Create an LMA; env is copied (its alloc must outlive the LMA). NULL on bad config or memory. */
struct dmm_lma *dmm_lma_new(const struct dmm_env *env, const struct dmm_lma_cfg *cfg, dmm_time_t now);

/* Remove every intent, free everything; accepts NULL. */
void dmm_lma_free(struct dmm_lma *lma);

/* Apply a new config (timers, policy, windows); pools and capacities cannot change. 0 or DMM_ERR_*. */
int dmm_lma_reconfigure(struct dmm_lma *lma, const struct dmm_lma_cfg *cfg, dmm_time_t now);

/*
 * A Mobility Header from src to dst. Parses fully, then acts (rule 5):
 * malformed input is counted and logged, and answered where an RFC says
 * so (PBA with a status, BE status 2 for an unknown type); no binding is
 * changed by a message that is refused.
 */
void dmm_lma_recv(struct dmm_lma *lma, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const uint8_t *buf, size_t len, dmm_time_t now);

/* Run the timers due at now; the earliest deadline left. */

/* Read access for show commands, reports and tests. */
const struct dmm_bcache *dmm_lma_bcache(const struct dmm_lma *lma);
const struct dmm_pool *dmm_lma_pool(const struct dmm_lma *lma);

/* Bytes an LMA allocated, by table (all at creation). */
struct dmm_lma_memory {
	size_t bcache;	/* the binding cache */
	size_t intents; /* the forwarding intent table (fm.h) */
	size_t timers;	/* every pending timer's room (timers.h) */
	size_t pool;	/* the HNP pool */
	size_t lma;	/* the instance and its per-binding state beside the cache */
};

void dmm_lma_memory(const struct dmm_lma *lma, struct dmm_lma_memory *out);

extern const struct dmm_role_ops dmm_lma_ops;

#endif
