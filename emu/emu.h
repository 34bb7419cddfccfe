/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmm-emu: a deterministic discrete-event emulator that drives the
 * unmodified core roles (struct dmm_lma, struct dmm_mag) over virtual
 * links, with a virtual clock, an in-memory data plane executing the
 * forwarding intents, and a model of moving MNs with data streams.
 *
 * Determinism: every random draw comes from one seeded xoshiro256**
 * stream, events with equal times run in insertion order, and no wall
 * clock enters the simulation or the deterministic part of the report.
 *
 * Files: engine.c (PRNG, event heap, durations), topo.c (scenario JSON,
 * shortest paths), roles.c (struct dmm_env callbacks, role timers,
 * Mobility Header transport, kills), dp.c (data plane), mn.c (mobility
 * and traffic), report.c (text, JSON, CSV), main.c (command line).
 */
#ifndef DMM_EMU_H
#define DMM_EMU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dmm/fm.h"
#include "dmm/hash.h"
#include "dmm/cmd.h"
#include "dmm/lma.h"
#include "dmm/maar.h"
#include "dmm/mag.h"
#include "dmm/policy.h"
#include "dmm/role.h"

/* ---- PRNG: splitmix64 seeds xoshiro256** (engine.c) ---- */

struct emu_rng {
	uint64_t s[4];
};

void emu_rng_seed(struct emu_rng *r, uint64_t seed);
uint64_t emu_rng_next(struct emu_rng *r);
/* Uniform in [0, 1). */
double emu_rng_unit(struct emu_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t emu_rng_below(struct emu_rng *r, uint64_t n);

/* ---- durations: "2ms", "1.5s", "250us", "10ns", "1m"; a bare number is seconds ---- */

int emu_parse_duration(const char *s, dmm_time_t *out);

/*
 * A zeroed table of n elements of size elem, as calloc() gives it; one of
 * EMU_TABLE_POPULATE bytes or more has its pages mapped at once, in one
 * call. The tables of the roles and of the data plane are touched all
 * over as the run goes on; a page the run touches first costs a page
 * fault each time (about 10 us on a virtual machine), one mapped at
 * creation about a hundredth of that. Pages never used then take memory
 * too: at 10^5 MNs the peak RSS grows by about a quarter, and the CPU
 * time goes down by a sixth to a fifth.
 */
#define EMU_TABLE_POPULATE (64 * 1024)
void *emu_table(size_t n, size_t elem);

/*
 * Room for one more element in a growing array of elements of size elem
 * holding *cap (starting at first): the same array or a larger copy, with
 * *cap updated; NULL (and *cap unchanged) when memory runs out.
 */
void *emu_grow(void *arr, size_t *cap, size_t elem, size_t first);

/* ---- events ---- */

enum emu_ev_type {
	EV_ROLE_TIMER, /* node, gen */
	EV_MH,	       /* a Mobility Header arrives at node */
	EV_PKT,	       /* a data packet arrives at node */
	EV_FLUSH,      /* re-run the buffered packets of node */
	EV_MN_DETACH,  /* mn leaves its MAG */
	EV_MN_ATTACH,  /* mn attaches to node */
	EV_DOWNLINK,   /* the CN of mn sends the next packet */
	EV_UPLINK,     /* mn sends the next packet */
	EV_KILL,       /* node stops */
	EV_STOP,
	EV_SESS_START, /* mn opens its next session */
	EV_SESS_END,   /* session mn (an index into e->sess) ends */
	EV_SESS_DL,    /* the CN of session mn sends the next packet */
	EV_SESS_UL,    /* session mn sends the next packet */
	EV_SAMPLE,     /* count the tunnels alive */
	EV_ROUTE,      /* a prefix's announcement takes effect, or a MAAR sees the route (reloc.c) */
};

/* A data packet: the inner IPv6 header, and the outer one while tunnelled. */
struct emu_pkt {
	struct dmm_addr src, dst;
	struct dmm_addr osrc, odst;
	dmm_time_t sent;
	uint32_t flow;	  /* MN index */
	uint32_t sess;	  /* session index + 1, or 0 for the per-MN streams */
	uint32_t id;	  /* sequence number within the flow and direction */
	uint32_t in_link; /* access link it came in on (uplink at the MAG), else 0 */
	uint16_t size;	  /* inner packet bytes */
	uint16_t src_node;
	uint16_t anchor; /* node that encapsulated it first (the LMA), or UINT16_MAX */
	uint8_t tunnelled;
	uint8_t uplink;
	uint8_t decapped; /* came out of a tunnel at this node */
	uint8_t ntun;	  /* tunnels entered so far */
};

struct emu_event {
	uint8_t type;
	uint32_t node;
	uint32_t mn;
	uint64_t gen;
	union {
		struct emu_pkt pkt;
		struct {
			uint8_t *buf;
			uint16_t len;
			uint32_t from; /* sending node */
			struct dmm_addr src, dst;
		} mh;
	} u;
};

struct emu_heap_ent {
	dmm_time_t at;
	uint64_t seq;
	uint32_t slot;
};

/*
 * A calendar queue: time is cut into buckets of 2^EMU_BUCKET_SHIFT ns. The
 * bucket being run is a binary heap ordered by (time, sequence); the next
 * EMU_RING buckets, in a ring, are lists of chunks of entries in the order
 * scheduled (a bitmap marks the non-empty ones); events further ahead wait
 * in a second binary heap.
 */
#define EMU_BUCKET_SHIFT 20
#define EMU_RING (1u << 18)
#define EMU_CHUNK 10
#define EMU_NONE UINT32_MAX

struct emu_chunk {
	struct emu_heap_ent v[EMU_CHUNK];
	uint32_t n, next; /* entries used; the next chunk of the bucket, or the next free one */
};

struct emu_engine {
	dmm_time_t now;
	uint64_t seq;
	uint64_t processed;
	struct emu_heap_ent *heap; /* the current bucket */
	uint32_t n, cap;
	uint64_t cur;		  /* absolute index of the current bucket */
	uint32_t *ring_head;	  /* EMU_RING buckets after cur: first chunk, or EMU_NONE */
	uint32_t *ring_tail;	  /* last chunk */
	uint64_t *ring_bits;	  /* non-empty ring buckets */
	uint64_t ring_count;	  /* events in the ring */
	struct emu_chunk *chunks; /* by index */
	uint32_t chunk_free, chunk_hwm, chunk_cap;
	struct emu_heap_ent *far; /* beyond the ring */
	uint32_t nfar, far_cap;
	struct emu_event *slab; /* events by slot */
	uint32_t *free_slots;
	uint32_t nfree, slab_cap;
};

int emu_engine_init(struct emu_engine *e);
void emu_engine_fini(struct emu_engine *e);
/* Schedule a copy of ev at time at (not before now). Returns 0 or -1 (memory). */
int emu_schedule(struct emu_engine *e, dmm_time_t at, const struct emu_event *ev);
/* The same with the sequence number seq, taken from e->seq earlier (the event keeps that place among equal times). */
int emu_schedule_seq(struct emu_engine *e, dmm_time_t at, uint64_t seq, const struct emu_event *ev);
/* Take the earliest event into *out, advance now; false when none is left. */
bool emu_next(struct emu_engine *e, struct emu_event *out);
/* The next event of the current bucket (the one emu_next() takes next), or NULL. */
const struct emu_event *emu_peek(const struct emu_engine *e);

/* ---- topology ---- */

/* Role kinds first: emu_is_role() is kind <= EMU_CMD. */
enum emu_kind { EMU_LMA, EMU_MAG, EMU_MAAR, EMU_CMD, EMU_CN, EMU_ROUTER };

static inline bool emu_is_role(unsigned kind)
{
	return kind <= EMU_CMD;
}

/* a == b, as two 64-bit compares (dmm_addr_eq() compares octet by octet). */
static inline bool emu_addr_eq(const struct dmm_addr *a, const struct dmm_addr *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}

/* MNs attach to these. */
static inline bool emu_is_access(unsigned kind)
{
	return kind == EMU_MAG || kind == EMU_MAAR;
}

/*
 * Which roles a scenario with MAARs and a CMD runs as: distributed (CMD and
 * MAARs; an "lma" node is a plain router), or centralized PMIPv6 (one LMA:
 * the "lma" node, else the CMD re-instantiated as an LMA with the CMD's
 * "pool"; MAGs where the MAARs are). A scenario without MAARs runs as
 * written (NATIVE).
 */
enum emu_variant { EMU_VAR_NATIVE, EMU_VAR_DMM, EMU_VAR_PMIP };

struct emu;

/*
 * The emulator's copy of an installed intent: what forwarding reads, and
 * its counters; one cache line. Tunnel ends are interned addresses
 * (emu_addr_intern).
 */
struct emu_dp_ent {
	struct dmm_addr pfx; /* the prefix's address */
	uint64_t packets, bytes;
	uint32_t id; /* 0: a free slot */
	uint32_t link;
	uint32_t local, peer; /* interned */
	uint32_t next;	      /* the next of the same bucket, or of the free list */
	uint16_t precedence;
	uint8_t plen, match, action;
};

/* A slot of an open-addressing map from a non-zero 32-bit key. */
struct emu_map_ent {
	uint32_t key;
	uint32_t val;
};

/* Lookup classes: an intent is found only by lookups of its own class. */
enum { EMU_DP_DST, EMU_DP_SRC, EMU_DP_DECAP, EMU_DP_NCLASS };

struct emu_dp {
	struct emu_dp_ent *v;
	uint32_t cap, count, free_head;
	uint32_t hwm; /* slots from here on were never used */
	/* id -> slot */
	struct emu_map_ent *ids;
	/* hash of (class, upper 64 bits of a /64) -> first slot of the bucket */
	struct emu_map_ent *pfx;
	uint32_t mask;
	uint32_t other_head[EMU_DP_NCLASS]; /* intents whose prefix is not a /64, by class */
	/* BUFFER: packets held until the next install */
	struct emu_pkt *buf;
	uint32_t nbuf, buf_cap;
	bool flush_pending;
	uint64_t installs, removes;
};

/* An address an intent names as a tunnel end, and the node that has it. */
struct emu_iaddr {
	struct dmm_addr a;
	uint32_t node; /* UINT32_MAX: none */
};

struct emu_node {
	struct emu *emu;
	uint32_t idx;
	char name[32];
	uint8_t kind;
	struct dmm_addr addr;
	uint8_t decl_kind; /* as written in the scenario */
	/* role instance: driven through ops; the typed pointer is the same object */
	const struct dmm_role_ops *ops;
	void *inst;
	struct dmm_lma *lma;
	struct dmm_mag *mag;
	struct dmm_maar *maar;
	struct dmm_cmd *cmd;
	struct dmm_env env;
	struct dmm_log log;
	dmm_time_t timer_at; /* the role's deadline, as last asked */
	/*
	 * Its timer event (roles.c): the one the order of events has (time
	 * lt_at, sequence lt_seq), and the one in the queue (ph_*, generation
	 * timer_gen), never later.
	 */
	dmm_time_t lt_at, ph_at;
	uint64_t lt_seq, ph_seq, timer_gen;
	bool lt_live, ph_live;
	bool dead;
	dmm_time_t killed_at;
	/* LMA */
	struct dmm_prefix pool[4];
	uint8_t npool;
	struct dmm_policy *policy; /* owned (LMA) */
	uint32_t bindings_peak;
	uint32_t homed; /* MNs anchored here */
	/* MAG */
	uint32_t default_lma; /* node index or UINT32_MAX */
	uint64_t peers_down_seen;
	/* MAAR */
	uint32_t cmd_node; /* the CMD it registers at */
	uint32_t max_anchored;
	uint16_t priority;
	bool anchor_locally;
	uint32_t anchored_peak; /* prefixes anchored here (pool in use), highest seen */
	/* CMD */
	uint8_t cmd_mode; /* enum dmm_cmd_mode */
	dmm_time_t relay_timeout;
	/* user traffic whose MN-side address is in this node's pool */
	uint64_t carried_pkts, carried_bytes;
	/* per-node settings from the scenario */
	dmm_time_t hb_interval;
	int missing_allowed; /* -1: default */
	struct emu_dp dp;
	uint64_t mh_sent, mh_rcvd;
};

struct emu_link {
	uint32_t a, b;
	dmm_time_t delay, jitter;
	double loss;
};

/* Shortest paths between every pair of nodes (Dijkstra on base delays). */
struct emu_paths {
	uint32_t n;
	dmm_time_t *delay;   /* n*n; DMM_TIME_NEVER when unreachable */
	uint16_t *hops;	     /* n*n */
	uint32_t *pred_link; /* n*n: last link on the path src -> dst */
	dmm_time_t max_delay;
};

/* ---- mobile nodes ---- */

/* A prefix an MN has an address from. */
struct emu_mn_pfx {
	struct dmm_prefix p;
	uint32_t anchor; /* node whose pool holds p, or UINT32_MAX */
	bool preferred;
	uint32_t active;      /* sessions using it */
	dmm_time_t idle_from; /* last session end, or the advertisement at this attach */
	dmm_time_t added;     /* first advertised */
};

struct emu_mn {
	uint32_t idx;	      /* 1-based: also its access link id */
	uint32_t home_lma;    /* node index */
	uint32_t cn;	      /* node index */
	int32_t mag;	      /* node where it is attached (L2 up), or -1 */
	int32_t last_mag;     /* node it left, or -1 */
	const uint32_t *path; /* MAG sequence (borrowed), or NULL: random */
	uint32_t path_len, path_pos;
	dmm_time_t start;
	bool moving;	 /* between detach and attach */
	bool registered; /* REGISTERED seen at the current MAG */
	bool has_prefix;
	struct dmm_prefix hnp;
	struct dmm_addr addr; /* hnp + interface id from the MN-ID */
	uint32_t prefix_changes;
	/* streams */
	bool stream;
	bool stream_started;
	uint32_t dl_next_id, ul_next_id;
	uint64_t *dl_seen; /* bitmap of delivered downlink ids */
	uint32_t dl_seen_words;
	uint32_t cur_ho; /* index of the current handover record, or UINT32_MAX */
	/* the trace: draws of its own, so every variant sees the same moves and sessions */
	struct emu_rng mob_rng, ses_rng;
	uint32_t first_ar;   /* index into e->mag_list */
	uint32_t attach_seq; /* attachments so far */
	bool reg_seen;	     /* a REGISTERED event since the current attach */
	/* addresses from the router advertisements (MN events), up to DMM_MN_EVENT_MAX_PREFIX */
	struct emu_mn_pfx *pfx;
	uint8_t npfx, pfx_cap;
	dmm_time_t attached_at;
	/* RFC 5949 predictive mode: the handover indication went out; the MAG it named */
	bool fho_announced;
	uint32_t fho_next;
	uint64_t sig_initial; /* MH messages before the first move */
	bool initial_done;
};

struct emu_ho {
	uint32_t mn;
	uint32_t from, to; /* node indexes */
	dmm_time_t detach, attach, registered, first_rx;
	uint32_t id_detach, id_first_rx;
	uint32_t sig; /* MH messages naming this MN from detach to the next detach */
	bool has_attach, has_reg, has_rx;
	bool involves_dead; /* a prefix of the MN was anchored at a dead node at attach */
};

struct emu_kill {
	uint32_t node;
	dmm_time_t at;
	bool done;
	/* MAGs that had registered bindings with the node when it died */
	uint32_t *mags;
	dmm_time_t *detected; /* DMM_TIME_NEVER until the peer went DOWN */
	uint32_t nmags;
};

struct emu_dist {
	double *v;
	size_t n, cap;
};

/* Counters of the data plane, by direction. */
struct emu_flow_stats {
	uint64_t sent, delivered, bytes_delivered;
	uint64_t lost_link, lost_not_attached, lost_no_intent, lost_drop, lost_buffer_full, lost_dead,
		lost_no_route, lost_no_decap;
	dmm_time_t delay_sum;
};

/* A session (flow) of an MN with one CN, from one source address for its whole life. */
struct emu_sess {
	uint32_t mn;	 /* 1-based */
	uint32_t cn;	 /* node */
	uint32_t anchor; /* node whose pool holds the source prefix, or UINT32_MAX */
	uint32_t attach_seq;
	struct dmm_prefix prefix;
	struct dmm_addr addr;
	dmm_time_t start, end;
	uint32_t dl_next, ul_next;
	uint64_t dl_delivered, ul_delivered;
	bool active;
	/* relocation (reloc.c): the last downlink delivery; at risk when its anchor died under it */
	dmm_time_t dl_last, killed_at;
	bool at_risk, resumed, via_dead;
	dmm_time_t quiet_at; /* no packets from then on, the session still open (DMM_TIME_NEVER: never) */
};

/* A prefix withdrawn with valid lifetime 0 (GAP2-1), seen by its MN. */
struct emu_release {
	uint32_t mn, anchor;
	struct dmm_prefix p;
	dmm_time_t at, lag; /* lag: since the prefix went idle */
	uint32_t active;    /* sessions still using it: must be 0 */
};

/* Path stretch of delivered downlink packets, for one class of sessions. */
struct emu_stretch {
	double hops_anchor, hops_direct, delay_anchor, delay_direct, ratio_sum;
	uint64_t n;
};

struct emu_cfg {
	char name[64];
	dmm_time_t duration;
	/* mobility */
	bool dwell_exp;
	dmm_time_t dwell_mean, dwell_min;
	dmm_time_t l2_gap;
	dmm_time_t mobility_until; /* no moves start after this; DMM_TIME_NEVER */
	dmm_time_t initial_spread;
	/* traffic */
	double dl_pps, ul_pps, stream_fraction;
	uint16_t pkt_size;
	uint32_t buffer_cap;
	/* defaults applied to links without their own values */
	dmm_time_t link_delay, link_jitter;
	double link_loss;
	double loss_override; /* >= 0: every link gets this loss (--loss) */
	/* role settings */
	dmm_time_t hb_interval;
	int missing_allowed;
	uint32_t lifetime_s;
	uint32_t mag_max_mns, lma_max_bindings; /* 0: sized from the MN count */
	/* DMM */
	dmm_time_t idle_release, idle_check, detach_grace;
	bool compare;
	/* sessions: none when ses_interval is 0 */
	bool ses_interval_exp, ses_duration_exp;
	dmm_time_t ses_interval, ses_interval_min, ses_duration, ses_duration_min;
	double ses_dl_pps, ses_ul_pps;
	double ses_quiet_fraction; /* sessions that go quiet (open, no packets) ... */
	dmm_time_t ses_quiet_after,
		ses_stray; /* ... this long after they start; stray downlink after the end */
	uint16_t ses_pkt_size;
	dmm_time_t sample_every;
};

/*
 * GAP1-1 relocation (reloc.c, the scenario's "relocation"): the routing
 * system carries the prefixes a MAAR took over (dmm_env.anchored). An
 * announcement or a withdrawal takes effect in the network convergence
 * after it is made; the network's route for a prefix is then the
 * effective announcement of highest rank, else the pool that holds it.
 */
struct emu_route {
	struct dmm_prefix p;
	uint32_t node, rank;
	bool effective;
};

struct emu_reloc {
	bool model;	 /* the scenario has "relocation" and MAARs: the routing system is modelled */
	bool on;	 /* relocation on: the relocate-after policy and re-anchoring on failure */
	bool compare;	 /* run with relocation off and on, side by side */
	bool on_failure; /* re-anchor the prefixes of a MAAR declared down */
	dmm_time_t convergence, after, window;
	struct emu_route *rt;
	uint32_t nrt;
	size_t rt_cap;
	uint64_t announces, withdrawals, route_changes, taken_over, drained;
	double tun_sum[2]; /* tunnels crossed by delivered downlink packets of new [0] and old [1] sessions */
	uint64_t tun_n[2];
	uint32_t at_risk, resumed, at_risk_routed, resumed_routed;
	double gap_sum, gap_max; /* seconds from the last delivery before a kill to the first after */
};

/* RFC 5949 fast handover between the MAGs (--fho): none, predictive or reactive. */
enum emu_fho { EMU_FHO_NONE, EMU_FHO_PREDICTIVE, EMU_FHO_REACTIVE };

struct emu_svg;
struct emu_mcast;
struct emu_lr;
struct emu_relm;

struct emu {
	struct emu_engine eng;
	struct emu_reloc reloc;
	struct emu_mcast *mcast; /* the scenario's "multicast" (mcast.c), or NULL */
	struct emu_lr *lr;	 /* the scenario's "localized_routing" (lr.c), or NULL */
	struct emu_relm *relm;	 /* the scenario's "release" (release.c), or NULL */
	uint32_t mn_override;	 /* > 0: the first generator's mn_count (--multicast compare) */
	struct emu_svg *svg;	 /* --svg: what the pictures need, sampled during the run (svg.c); NULL */
	uint8_t fho;		 /* enum emu_fho */
	dmm_time_t fho_lead;	 /* predictive: the handover indication this long before the detach */
	uint8_t variant;	 /* enum emu_variant */
	bool has_dmm;		 /* the scenario has MAARs */
	struct emu_rng rng;
	uint64_t seed;
	int verbose;
	struct emu_cfg cfg;
	struct emu_node *nodes;
	uint32_t nnodes;
	struct emu_link *links;
	uint32_t nlinks;
	struct emu_paths paths;
	/* address -> node */
	uint64_t *addr_keys;
	uint32_t *addr_vals;
	uint32_t addr_mask;
	struct emu_mn *mns;
	uint32_t nmns;
	uint32_t *mag_list; /* node indexes of the MAGs */
	uint32_t nmags;
	uint32_t *path_store; /* MAG sequences of the listed MNs */
	uint32_t npath_store;
	struct dmm_policy *mag_policy; /* shared by every MAG: MN-ID -> LMA */
	struct dmm_alloc alloc;
	struct dmm_log log;
	/* records */
	struct emu_ho *ho;
	uint32_t nho;
	size_t ho_cap;
	struct emu_dist init_reg; /* initial attach -> REGISTERED, ns */
	struct emu_kill *kills;
	uint32_t nkills;
	uint64_t mn_registered_events, mn_refused_events, mn_dereg_events;
	/* signalling */
	uint64_t mh_total, mh_bytes, mh_lost, mh_unroutable, mh_to_dead;
	uint64_t mh_by_type[32];
	uint64_t mh_no_mnid, mh_initial;
	uint64_t role_timer_stalls;
	/* data plane */
	struct emu_flow_stats dl, ul;
	double stretch_hops_anchor, stretch_hops_direct, stretch_delay_anchor, stretch_delay_direct;
	double stretch_ratio_sum;
	uint64_t stretch_n;
	uint64_t moves;
	uint64_t attach_failures, detach_failures;
	/* sessions */
	struct emu_sess *sess;
	uint32_t nsess;
	size_t sess_cap;
	uint64_t sess_no_address, sess_on_released;
	struct emu_stretch stretch_cls[2]; /* [0] new sessions, [1] old ones */
	/* tunnels alive: ENCAP intents over all nodes, sampled */
	uint32_t encap_now;
	struct emu_dist tunnels;
	/* GAP2-1 */
	struct emu_release *rel;
	uint32_t nrel;
	size_t rel_cap;
	dmm_time_t max_any_delay;  /* largest one-way path delay between any two nodes, jitter included */
	uint32_t cmd_idx, lma_idx; /* UINT32_MAX when none */
	double cpu_setup, cpu_run; /* CPU seconds: loading and creating, then the events (--cost) */
	void *mh_free;		   /* Mobility Header buffers of EMU_MH_BUF bytes for reuse, chained */
	bool stop_set;		   /* EV_STOP is in the queue */
	/* tunnel ends named by intents, interned (dp.c) */
	struct emu_iaddr *ia;
	uint32_t nia, ia_cap, ia_last, ia_prev; /* the last one looked up, and the one before it */
	uint32_t *ia_map;			/* index + 1, open addressing */
	uint32_t ia_mask;
};

/* Mobility Header buffers up to this size are kept for reuse (roles.c); larger ones are allocated. */
#define EMU_MH_BUF 256

/* topo.c */
/* Load the scenario as variant (enum emu_variant; NATIVE: DMM when it has MAARs). */
int emu_load(struct emu *e, const char *path, int variant, char *err, size_t errlen);
struct emu_node *emu_node_by_addr(struct emu *e, const struct dmm_addr *a);
struct emu_node *emu_node_by_name(struct emu *e, const char *name);
/* The LMA whose pool holds a, or NULL. */
struct emu_node *emu_anchor_of(struct emu *e, const struct dmm_addr *a);
int emu_paths_compute(struct emu *e);
/*
 * One traversal from node a to node b: the path delay with a jitter draw
 * per link, or DMM_TIME_NEVER when a loss draw fails on some link or b is
 * unreachable (*lost_link tells which).
 */
dmm_time_t emu_path_draw(struct emu *e, uint32_t a, uint32_t b, bool *lost_link);
static inline dmm_time_t emu_path_delay(const struct emu *e, uint32_t a, uint32_t b)
{
	return e->paths.delay[(size_t)a * e->paths.n + b];
}
static inline uint32_t emu_path_hops(const struct emu *e, uint32_t a, uint32_t b)
{
	return e->paths.hops[(size_t)a * e->paths.n + b];
}
void emu_mn_mnid(uint32_t idx, struct dmm_mnid *id);
/* The MN index named by an EUI-48 MN-ID of our form, or 0. */
uint32_t emu_mn_from_mnid(const struct dmm_mnid *id);

/* roles.c */
int emu_roles_create(struct emu *e);
void emu_roles_destroy(struct emu *e);
void emu_role_resched(struct emu *e, struct emu_node *n);
/* After any input to node n: peaks, kill watch, timer. */
void emu_role_after_input(struct emu *e, struct emu_node *n);
void emu_on_role_timer(struct emu *e, const struct emu_event *ev);
void emu_on_mh(struct emu *e, struct emu_event *ev);
void emu_on_kill(struct emu *e, const struct emu_event *ev);
/* After any input to MAG n: watch for peers going DOWN after a kill. */
void emu_watch_kills(struct emu *e, struct emu_node *n);
bool emu_mn_registered_both(struct emu *e, const struct emu_mn *m);

/* dp.c */
int emu_dp_init(struct emu_dp *dp, uint32_t cap, uint32_t buffer_cap);
void emu_dp_fini(struct emu_dp *dp);
/* The interned tunnel end addresses (emu_roles_destroy). */
void emu_iaddr_fini(struct emu *e);
int emu_dp_install(void *ctx, const struct dmm_intent *in);
void emu_dp_remove(void *ctx, const struct dmm_intent *in);
/* A packet arrives at node n (event EV_PKT, or from the MN's access link). */
void emu_dp_arrive(struct emu *e, struct emu_node *n, struct emu_pkt *p);
void emu_dp_flush(struct emu *e, struct emu_node *n);
/* Report the counters of every intent of the LMAs and MAGs to their roles (end of the run). */
void emu_dp_sync(struct emu *e);
/* Start loading what event ev will read: its MN, or its packet's bucket in the node's data plane. */
void emu_prefetch(struct emu *e, const struct emu_event *ev);
/*
 * ev is about to run, its MN loaded (emu_prefetch() of the event before):
 * start loading the data plane buckets of that MN's prefix at the node
 * where the event installs or removes its intents, so that the roles'
 * work before the install overlaps the load.
 */
void emu_prefetch_run(struct emu *e, const struct emu_event *ev);
/* Node n routes packets to dst arriving on access link link locally (a DMM_FM_LOCAL intent, RFC 6705). */
bool emu_dp_local(struct emu *e, struct emu_node *n, uint32_t link, const struct dmm_addr *dst);
/* Send a plain packet from node n towards the owner of its destination. */
void emu_dp_route(struct emu *e, struct emu_node *n, struct emu_pkt *p);

/* mn.c */
int emu_mns_start(struct emu *e);
void emu_on_mn_event(void *ctx, const struct dmm_mn_event *ev);
void emu_on_detach(struct emu *e, const struct emu_event *ev);
void emu_on_attach(struct emu *e, const struct emu_event *ev);
void emu_on_downlink(struct emu *e, const struct emu_event *ev);
void emu_on_uplink(struct emu *e, const struct emu_event *ev);
void emu_mn_delivered(struct emu *e, struct emu_mn *m, const struct emu_pkt *p, struct emu_node *mag);
/* Count the message buf for the MN it names; returns that MN's index in e->mns, or EMU_NONE. */
uint32_t emu_mn_attribute_mh(struct emu *e, const uint8_t *buf, size_t len);
void emu_mns_fini(struct emu *e);
void emu_on_sess_start(struct emu *e, const struct emu_event *ev);
void emu_on_sess_end(struct emu *e, const struct emu_event *ev);
void emu_on_sess_dl(struct emu *e, const struct emu_event *ev);
void emu_on_sess_ul(struct emu *e, const struct emu_event *ev);
void emu_on_sample(struct emu *e);
/* The anchor of m's oldest prefix (its mobility anchor: the LMA, or a MAAR), or UINT32_MAX (none, or dead). */
uint32_t emu_mn_anchor(const struct emu *e, const struct emu_mn *m);
/* m's oldest prefix with a known, live anchor, or NULL. */
const struct emu_mn_pfx *emu_mn_oldest(const struct emu *e, const struct emu_mn *m);
/* A session packet reached its MN (downlink) or its CN (uplink). */
void emu_sess_delivered(struct emu *e, const struct emu_pkt *p, struct emu_node *at);
/* The fm table of a role node with a data plane, or NULL. */
struct dmm_fm *emu_node_fm(struct emu_node *n);

/* report.c */
enum emu_format { EMU_FMT_TEXT, EMU_FMT_JSON, EMU_FMT_CSV };
int emu_report(struct emu *e, FILE *out, enum emu_format fmt, bool list_handovers);
/* The report as JSON (the caller owns it). */
struct json_t *emu_report_json(struct emu *e, bool list_handovers);
/* --compare: the distributed run d and the centralized run c side by side. */
int emu_report_compare(struct emu *d, struct emu *c, FILE *out, enum emu_format fmt);
/* A report's JSON document as every report prints it (2-space indent, order kept, 12 digits). */
void emu_print_json(FILE *out, const struct json_t *r);
/* One row of a two-run table: its label, the key of its value in each run's object, a printf format. */
struct emu_row {
	const char *label, *key, *fmt;
};
/* The table of two runs: a header line (ha, hb) then one line per row; lw and cw are the column widths. */
void emu_print_rows2(FILE *out, const struct emu_row *rows, size_t n, const struct json_t *a,
		     const struct json_t *b, int lw, int cw, const char *ha, const char *hb);
void emu_dist_add(struct emu_dist *d, double v);

/* reloc.c */
/* The "relocation" section of the scenario root (a json_t *); off: the relocation policies off. */
int emu_reloc_load(struct emu *e, void *root, int force, char *err, size_t errlen);
/* Node n's env.anchored, when the routing system is modelled. */
void emu_reloc_env(struct emu *e, struct emu_node *n);
void emu_on_route(struct emu *e, const struct emu_event *ev);
/* The node the network routes a to after a takeover, or NULL (then the pool that holds it). */
struct emu_node *emu_reloc_route(struct emu *e, const struct dmm_addr *a);
/* Node n anchors a by a takeover (it announces it). */
bool emu_reloc_announces(const struct emu *e, const struct emu_node *n, const struct dmm_addr *a);
void emu_reloc_kill(struct emu *e, const struct emu_node *dead);
void emu_reloc_delivered(struct emu *e, struct emu_sess *s, const struct emu_pkt *p, int cls);
/* The "relocation" section of the JSON report (a json_t *), or NULL when not modelled. */
struct json_t *emu_reloc_json(struct emu *e);
/* Relocation off (a) and on (b), side by side. */
int emu_report_reloc(struct emu *a, struct emu *b, FILE *out, enum emu_format fmt);

/* mcast.c: multicast replication, via the anchor (RFC 6224) and direct (REQ8) */
/* The scenario's "multicast" section (root: a json_t *); none: e->mcast stays NULL. */
int emu_mcast_load(struct emu *e, void *root, char *err, size_t errlen);
/* The listener counts the scenario lists, up to max, into out; how many. */
uint32_t emu_mcast_listeners(const struct emu *e, uint32_t *out, uint32_t max);
/* After the MNs are created: the tables. 0 or -1 (memory). */
int emu_mcast_start(struct emu *e);
/* Before each event: samples both modes when due (reads only). */
void emu_mcast_tick(struct emu *e);
/* The "multicast" section of the report (a json_t *). */
void *emu_mcast_json(struct emu *e);
void emu_mcast_free(struct emu *e);
/* --multicast: runs[i] with counts[i] listeners side by side; mode "via-anchor", "direct" or "compare". */
int emu_report_mcast(struct emu **runs, const uint32_t *counts, uint32_t n, const char *mode, FILE *out,
		     enum emu_format fmt);

/* lr.c: localized routing (RFC 6705) for pairs of MNs talking */
/* The scenario's "localized_routing" (root: a json_t *); none: e->lr stays NULL. */
int emu_lr_load(struct emu *e, void *root, char *err, size_t errlen);
/* Before each event: samples the pairs when due (reads only). */
void emu_lr_tick(struct emu *e);
bool emu_lr_compare(const struct emu *e);
/* Localized routing on in this run (the MAGs initiate it, the LMAs allow it), as set by emu_lr_set(). */
bool emu_lr_on(const struct emu *e);
/* ... and with the scenario's "a11": the LMAs initiate too (RFC 6705 §5). */
bool emu_lr_a11(const struct emu *e);
void emu_lr_set(struct emu *e, bool on);
/* The "localized_routing" section of the report (a json_t *). */
void *emu_lr_json(struct emu *e);
/* Without (a) and with (b) localized routing, side by side. */
int emu_report_lr(struct emu *a, struct emu *b, FILE *out, enum emu_format fmt);
void emu_lr_free(struct emu *e);

/* release.c: old prefixes released by the idle timer or by the sessions (GAP2-1, GAP2-3) */
/* The scenario's "release" (root: a json_t *), DMM runs only; none: e->relm stays NULL. */
int emu_release_load(struct emu *e, void *root, char *err, size_t errlen);
/* Sessions (true) or the idle timer: also sets cfg.idle_release (before the roles are created). */
void emu_release_mode(struct emu *e, bool sessions);
/* The MAARs release old prefixes by the sessions (dmm_maar_cfg.release_by_sessions). */
bool emu_release_by_sessions(const struct emu *e);
/* Before each event: feeds the sessions to the MAARs and samples, when due. */
void emu_release_tick(struct emu *e);
bool emu_release_compare(const struct emu *e);
/* The "release" section of the report (a json_t *). */
void *emu_release_json(struct emu *e);
/* The idle timer (a) and the sessions (b), side by side. */
int emu_report_release(struct emu *a, struct emu *b, FILE *out, enum emu_format fmt);
void emu_release_free(struct emu *e);

/* svg.c: pictures of a run (--svg DIR) */
/* Start recording for the pictures: the topology at time at (DMM_TIME_NEVER: the end), time series. */
int emu_svg_init(struct emu *e, dmm_time_t at);
/* Before each event: samples the state when due (reads only; the run is unchanged). */
void emu_svg_tick(struct emu *e);
/* After the run: the last sample, and the topology if its time never came. */
void emu_svg_finish(struct emu *e);
void emu_svg_free(struct emu *e);
/*
 * Write the pictures of runs[0..n) (labels name them: "dmm", "pmipv6", "off", "on"; one run: NULL)
 * into dir, created when missing; the files written are listed on log. 0, or -1 with a message.
 */
int emu_svg_write(const char *dir, struct emu **runs, const char *const *labels, int n, FILE *log);

#endif
