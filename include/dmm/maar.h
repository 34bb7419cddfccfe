/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Mobility Anchor and Access Router of RFC 8885: an access router
 * that anchors the prefixes it hands out from its own pool and is the
 * MAG of the hosts attached to it. As serving MAAR (S-MAAR) it registers
 * its MNs at the CMD with D-flagged PBUs and tunnels the MNs' older
 * prefixes to the MAARs that anchor them; as previous MAAR (P-MAAR) it
 * keeps anchoring the prefixes it allocated and tunnels them to the
 * MN's current S-MAAR. It releases idle old prefixes (GAP2-1) and asks
 * the CMD for an anchor when its own pool is full (GAP1-3).
 * docs/dmm-protocol.md fixes the flows.
 */
#ifndef DMM_MAAR_H
#define DMM_MAAR_H

#include "dmm/bcache.h"
#include "dmm/bul.h"
#include "dmm/fm.h"
#include "dmm/mag.h" /* struct dmm_mag_fho_cfg, dmm_mag_fho_counters: RFC 5949 as a MAG runs it */
#include "dmm/peer.h"
#include "dmm/policy.h"
#include "dmm/pool.h"
#include "dmm/role.h"
#include "dmm/stats.h"

/*
 * Per-prefix mobility policy (GAP2-1), after the address types of
 * RFC 8653 §3.2. A prefix takes the kind of the longest configured range
 * that holds it; DMM_PREFIX_SESSIONS when none does.
 */
enum dmm_prefix_kind {
	DMM_PREFIX_SESSIONS = 0, /* Session-Lasting: anchored while sessions use it (the default) */
	DMM_PREFIX_FIXED,	 /* Fixed: always anchored, never released */
	DMM_PREFIX_NOMADIC,	 /* Nonpersistent: local only, never tunnelled after a move */
};
#define DMM_MAAR_MAX_PREFIX_POLICY 16

struct dmm_prefix_policy {
	struct dmm_prefix range;
	uint8_t kind; /* enum dmm_prefix_kind */
};

/* The kind of prefix p under the n ranges of pol (longest match), SESSIONS when none holds it. */
enum dmm_prefix_kind dmm_prefix_kind_of(const struct dmm_prefix_policy *pol, unsigned n,
					const struct dmm_prefix *p);

struct dmm_maar_cfg {
	struct dmm_addr addr;	   /* signalling and tunnel address */
	struct dmm_addr cmd;	   /* the CMD */
	struct dmm_policy *policy; /* borrowed: which MNs may attach; NULL: any */
	struct dmm_prefix pool[4]; /* prefixes this MAAR anchors (/64s carved out) */
	uint8_t npool;
	uint8_t hnp_len;       /* 64 */
	bool anchor_locally;   /* false: always ask the CMD for an anchor (HNP ::/0) */
	uint32_t max_mns;      /* MNs attached here (serving entries) */
	uint32_t max_anchored; /* prefixes anchored here; also the advertised Maximum Sessions */
	uint16_t priority;     /* RFC 6463 Load Information priority (lower is better) */
	/*
	 * The link-local address the MN sees as its router on the access link:
	 * the shared one of RFC 5213 §6.8 (dmmd's link-local-address), sent as
	 * the DLIF Link-Local Address (RFC 8885 §4.7). fe80::1; zero: not sent.
	 */
	struct dmm_addr access_lla;
	uint32_t lifetime_s;			      /* asked for in PBUs, 600 */
	dmm_time_t initial_bindack_timeout;	      /* 1 s */
	dmm_time_t initial_bindack_timeout_first_reg; /* 1.5 s */
	dmm_time_t max_bindack_timeout;		      /* 32 s */
	uint8_t max_retransmissions;		      /* 5 */
	uint32_t refresh_margin_pct;		      /* 20 */
	/*
	 * Valid lifetime advertised for every prefix (RAs repeat it). Short, so
	 * a released prefix really goes: RFC 4862 §5.5.3 (e) lets a host ignore
	 * a valid lifetime of 0 while more than 2 hours are not left, so only
	 * letting the address run out removes it. 0: the binding lifetime.
	 */
	uint32_t prefix_valid_s;
	dmm_time_t idle_release; /* GAP2-1: release an old prefix idle this long; 0: never */
	dmm_time_t idle_check;	 /* how often counters are looked at, 1 s */
	/*
	 * GAP2-1 judged by sessions: an old prefix is idle when the host's
	 * connection tracking has shown no session on it (dmm_maar_sessions())
	 * for idle_release since its tunnel came up, whatever its counters say.
	 * false: by the intents' counters (the rule at the top of maar.c).
	 */
	bool release_by_sessions;
	struct dmm_prefix_policy prefix_policy[DMM_MAAR_MAX_PREFIX_POLICY];
	uint8_t nprefix_policy;
	/*
	 * GAP1-1 (docs/dmm-protocol.md §11): an old prefix whose tunnel has
	 * carried traffic for this long since the MN came here is asked to be
	 * relocated here (to the CMD); 0: never.
	 */
	dmm_time_t relocate_after;
	dmm_time_t detach_grace; /* keep a detached MN's anchor waiting for its next S-MAAR, 10 s */
	/*
	 * RFC 5949 fast handover between MAARs (the MAG's fields: enabled,
	 * reactive, early_reg, hold, hi_wait, mn_wait, the neighbours a new
	 * MAAR asks for an unknown MN's context); all 0 (the default): off.
	 */
	struct dmm_mag_fho_cfg fho;
	bool timestamp_based;	       /* Timestamp option in PBUs, default true */
	dmm_time_t heartbeat_interval; /* RFC 5847: with the CMD; 0 disables */
	uint8_t missing_heartbeats_allowed;
	uint32_t restart_counter;
};

void dmm_maar_cfg_defaults(struct dmm_maar_cfg *cfg);

struct dmm_maar;

struct dmm_maar *dmm_maar_new(const struct dmm_env *env, const struct dmm_maar_cfg *cfg, dmm_time_t now);
void dmm_maar_free(struct dmm_maar *m);
int dmm_maar_reconfigure(struct dmm_maar *m, const struct dmm_maar_cfg *cfg, dmm_time_t now);

/* An MN attached on link (as dmm_mag_attach); registers at the CMD. */
int dmm_maar_attach(struct dmm_maar *m, const struct dmm_mnid *mnid, uint32_t link, const uint8_t *ll,
		    uint8_t ll_len, uint8_t att, dmm_time_t now);
/* The MN left: tunnels of prefixes anchored elsewhere go; local anchors wait detach_grace. */
int dmm_maar_detach(struct dmm_maar *m, const struct dmm_mnid *mnid, dmm_time_t now);

void dmm_maar_recv(struct dmm_maar *m, const struct dmm_addr *src, const struct dmm_addr *dst,
		   const uint8_t *buf, size_t len, dmm_time_t now);

/*
 * Read access. Serving entries (MNs attached here) live in a binding
 * update list whose anchors field lists the MN's old (anchor, prefix)
 * pairs; anchored prefixes live in a binding cache whose pcoa is the MN's
 * current S-MAAR (this MAAR's own address while the MN is here).
 */
const struct dmm_bul *dmm_maar_serving(const struct dmm_maar *m);
const struct dmm_bcache *dmm_maar_anchored(const struct dmm_maar *m);
const struct dmm_pool *dmm_maar_pool(const struct dmm_maar *m);

/*
 * Relocation (docs/dmm-protocol.md §11): dmmd saw the routing system
 * install (present) or remove a route for prefix p in its routed table:
 * while present, the network's best route for p is another MAAR's
 * announcement. A prefix this MAAR is handing over is released once
 * present; anything else is only noted. Returns 1 when p was released,
 * else 0.
 */
int dmm_maar_routed(struct dmm_maar *m, const struct dmm_prefix *p, bool present, dmm_time_t now);

/*
 * Session-based release (GAP2-1, GAP2-3). dmm_maar_session_prefixes()
 * copies into out (up to cap) the old prefixes tunnelled here whose
 * release the sessions decide (kind SESSIONS) and returns how many there
 * are; dmmd counts the sessions of each in the kernel's connection
 * tracking and reports each prefix that has one with dmm_maar_sessions(),
 * which keeps it for idle_release more. Returns 0, or DMM_ERR_NOTFOUND for a
 * prefix not tunnelled here. All pointers borrowed.
 */
unsigned dmm_maar_session_prefixes(const struct dmm_maar *m, struct dmm_prefix *out, unsigned cap);
int dmm_maar_sessions(struct dmm_maar *m, const struct dmm_prefix *p, unsigned nsessions, dmm_time_t now);

/* DMM-specific counters. */
struct dmm_maar_counters {
	uint64_t local_anchors;	     /* prefixes allocated here */
	uint64_t remote_anchor_asks; /* PBUs with HNP ::/0 (own pool full or anchor_locally off) */
	uint64_t prefixes_released;  /* old prefixes released idle (S-MAAR side) */
	uint64_t nomadic_released;   /* of them, nomadic ones released on arrival, never tunnelled */
	uint64_t anchors_released;   /* anchored prefixes returned to the pool (P-MAAR side) */
	uint64_t tunnels_up, tunnels_down;
};
const struct dmm_maar_counters *dmm_maar_counters(const struct dmm_maar *m);

/*
 * RFC 5949 fast handover between MAARs. dmm_maar_handover() is the
 * Handover indication of §3 (the access network tells this MAAR that the
 * MN attached here is about to move to the MAAR at to): an HI with the
 * MN's context (its prefixes, each with the MAAR anchoring it) goes to
 * to; once acknowledged, the MN's downlink goes there (the prefixes
 * anchored here through their anchor tunnel, the others through a
 * temporary one), and to buffers it until the MN arrives. Returns 0,
 * DMM_ERR_NOTFOUND (no such MN), DMM_ERR_INVAL (fast handover off, to is
 * this MAAR, or the MN is not registered here) or DMM_ERR_EXISTS (a
 * handover of this MN is under way).
 */
int dmm_maar_handover(struct dmm_maar *m, const struct dmm_mnid *mnid, const struct dmm_addr *to,
		      dmm_time_t now);

/* The fast-handover counters (RFC 5949), as the MAG keeps them. */
const struct dmm_mag_fho_counters *dmm_maar_fho_counters(const struct dmm_maar *m);

extern const struct dmm_role_ops dmm_maar_ops;

#endif
