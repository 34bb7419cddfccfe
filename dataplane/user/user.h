/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user-space data plane's internals (user.c has the design), in
 * one-way layers: each file calls only files below it.
 *
 *   user.c     the dmm_dp_ops table: open, close, install, remove, ...
 *   tun.c      the TUN device, the raw socket and the batched packet path
 *   rtnl.c     the kernel's routes, rules and links (rtnetlink, ../nl.h)
 *   offload.c  finishing checksums and GSO packets of decapsulated packets
 *   buffer.c   the pool of packets held by BUFFER intents
 *   table.c    the intent table: slots, free list, hash indexes, longest-prefix lookup
 *
 * Internal to dataplane/user.
 */
#ifndef DMM_DP_USER_H
#define DMM_DP_USER_H

#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "dmm/dataplane.h"

#include "../nl.h"

#define DP_BATCH 32	     /* packets per read/recvmmsg/sendmmsg round */
#define DP_POLL_BUDGET 1024  /* packets per poll() call, both directions */
#define DP_HDR 40	     /* outer IPv6 header */
#define DP_TUN_MTU 1460	     /* 1500 on the underlay minus the outer header */
#define DP_SEG_MAX 1500	     /* the largest inner packet an ordinary host link sends */
#define DP_TX_BUF 2048	     /* headroom + one TUN packet (MTU DP_TUN_MTU) */
#define DP_RX_BUF 65536	     /* one raw datagram: anything a peer may send */
#define DP_BUF_PACKETS 1024  /* buffer pool, shared by all BUFFER intents */
#define DP_BUF_PER_INTENT 64 /* packets one BUFFER intent holds at most */
#define DP_BUF_SIZE DP_TX_BUF
#define DP_HOP_LIMIT 64
#define NONE UINT32_MAX
#define DPU_CHUNK_SHIFT 8 /* slots come in chunks of 256: growing never moves a slot */
#define DPU_CHUNK (1u << DPU_CHUNK_SHIFT)
#define DPU_MIGRATE 4		    /* buckets of the old index moved to the new one per table change */
#define DPU_NOTAG UINT32_MAX	    /* a batched request whose refusal refuses no intent (a delete) */
#define DPU_TAG_EXIST_OK (1u << 31) /* in a tag: EEXIST is no refusal (a shared rule) */

enum { DPU_BY_PREFIX, DPU_BY_ID }; /* the two hash indexes of the intent table */

struct slot {
	bool used;
	struct dmm_intent in; /* prefix masked */
	int ifindex;	      /* link's interface (SRC, DELIVER) */
	char ifname[DMM_DP_IFNAMSIZ];
	uint64_t seq; /* install order: newest wins a tie */
	uint64_t packets, bytes;
	/* Hash chains, doubly linked so that removing is O(1): [DPU_BY_PREFIX], [DPU_BY_ID]. NONE ends
	 * a chain; prev NONE: first in its bucket. A free slot is on the free list by next[DPU_BY_ID]. */
	uint32_t next[2], prev[2];
	uint32_t bhead, btail, bcount; /* held packets (pool indices) */
};

/* An install or replace queued between begin and commit; err: the first refusal of its requests. */
struct dpu_pend {
	uint32_t id;
	uint64_t seq; /* its slot's install order: a later install of the same id is another intent */
	int err;
};

struct bufpkt {
	uint32_t next;
	uint32_t len;
	uint8_t data[DP_BUF_SIZE];
};

struct dmm_dp {
	struct dmm_dp_cfg cfg;
	int tun, raw, ep;
	int tun_ifindex;
	bool table_route; /* default dev tun in table_base installed */
	struct dmm_nl *nl;
	char *nlbuf;
	/*
	 * Between begin and commit (user.c): the table changes at once, the
	 * rtnetlink requests wait in batch; one pending entry per install or
	 * replace, and tag: the entry the requests being queued belong to.
	 */
	bool batching;
	struct dmm_nl_batch batch;
	struct dpu_pend *pend;
	uint32_t npend, cappend;
	uint32_t tag;

	struct slot **chunk; /* slot i: chunk[i >> DPU_CHUNK_SHIFT][i % DPU_CHUNK] */
	uint32_t nchunk, chunk_cap;
	uint32_t cap, nused; /* cap: nchunk * DPU_CHUNK */
	uint32_t free_head;  /* free list of slots (next[DPU_BY_ID]); NONE: full */
	uint32_t *bucket[2]; /* [DPU_BY_PREFIX], [DPU_BY_ID]: nbucket heads each */
	uint32_t nbucket;    /* at least 2*cap, a power of two */
	/*
	 * The index before its last doubling, while its chains move over,
	 * DPU_MIGRATE buckets per install, replace or remove (old_nbucket 0:
	 * none). Old buckets below moved are empty: their chains are in the
	 * new index. No change of the table walks over all of it.
	 */
	uint32_t *old_bucket[2];
	uint32_t old_nbucket, moved;
	uint64_t seq;
	/* prefix lengths in use per match kind, longest first */
	uint16_t lencount[2][129];
	uint8_t lens[2][129];
	uint8_t nlens[2];

	/* batches */
	uint8_t (*txbuf)[DP_TX_BUF];
	uint8_t (*rxbuf)[DP_RX_BUF];
	struct mmsghdr txmsg[DP_BATCH], rxmsg[DP_BATCH];
	struct iovec txiov[DP_BATCH], rxiov[DP_BATCH];
	struct sockaddr_in6 txaddr[DP_BATCH], rxaddr[DP_BATCH];
	uint32_t txslot[DP_BATCH];
	uint32_t txlen[DP_BATCH];

	/* buffer pool */
	struct bufpkt *pool;
	uint32_t pool_free;

	/* drops not attributable to an intent (counters id 0) */
	uint64_t drop_packets, drop_bytes;
};

/* Fill err[0..len) (either may be 0/NULL: no message) like snprintf. */
__attribute__((format(printf, 3, 4))) static inline void dpu_seterr(char *err, size_t len, const char *fmt,
								    ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* The slot of index i (below cap). */
static inline struct slot *dpu_slot(const struct dmm_dp *dp, uint32_t i)
{
	return &dp->chunk[i >> DPU_CHUNK_SHIFT][i & (DPU_CHUNK - 1)];
}

/* A packet dropped for no intent's reason: counters(id 0). */
static inline void dpu_drop(struct dmm_dp *dp, size_t len)
{
	dp->drop_packets++;
	dp->drop_bytes += len;
}

/* One packet of len bytes handled by the intent in slot s. */
static inline void dpu_count(struct slot *s, size_t len)
{
	s->packets++;
	s->bytes += len;
}

/* The actions whose packets the kernel routes to the TUN. */
static inline bool dpu_to_tun(uint8_t action)
{
	return action == DMM_FM_ENCAP || action == DMM_FM_BUFFER || action == DMM_FM_DROP;
}

/* Whether slot s is in use with that match kind and (masked) prefix. */
static inline bool dpu_slot_is(const struct slot *s, uint8_t match, const struct dmm_prefix *p)
{
	return s->used && s->in.match == match && s->in.prefix.len == p->len &&
	       dmm_addr_eq(&s->in.prefix.addr, &p->addr);
}

/* ---- table.c ---- */

/*
 * Add a chunk of DPU_CHUNK slots (on the free list; no slot moves), and
 * double the hash indexes when the slots outnumber half their buckets:
 * the old index's chains then move over a few buckets per later change
 * (old_bucket). 0 or -ENOMEM.
 */
int dpu_table_grow(struct dmm_dp *dp);

/* Free the slots and the indexes (close). */
void dpu_table_free(struct dmm_dp *dp);

/*
 * Put intent c (prefix masked, id not in the table) in a free slot (the
 * head of the free list), with its link's interface. The slot index, or
 * -ENOMEM.
 */
int dpu_table_add(struct dmm_dp *dp, const struct dmm_intent *c, int ifindex,
		  const char ifname[DMM_DP_IFNAMSIZ]);

/*
 * Take slot i out of the indexes and put it on the free list. Its intent,
 * interface and held packets stay on it until the next dpu_table_add().
 */
void dpu_table_del(struct dmm_dp *dp, uint32_t i);

/*
 * Swap the forwarding of the intent in slot i for c (same id, prefix
 * masked), in place: the slot, its counters, its install order and its
 * held packets stay; only a change of match or prefix moves it between
 * prefix chains. A lookup meets the old intent or the new one, never
 * neither.
 */
void dpu_table_replace(struct dmm_dp *dp, uint32_t i, const struct dmm_intent *c, int ifindex,
		       const char ifname[DMM_DP_IFNAMSIZ]);

/* The slot of intent id, or NONE. */
uint32_t dpu_find_id(const struct dmm_dp *dp, uint32_t id);

/* The first slot on the hash chain (next[DPU_BY_PREFIX]) of match and prefix p; NONE if empty. */
uint32_t dpu_chain(const struct dmm_dp *dp, uint8_t match, const struct dmm_prefix *p);

/* Whether a beats b (NULL: anything does): lower precedence, then newer. */
bool dpu_better(const struct slot *a, const struct slot *b);

/*
 * The intent of kind match whose prefix holds addr, longest prefix first,
 * with an action in actmask and (when peer is given) that peer. NONE if
 * there is none.
 */
uint32_t dpu_lookup(const struct dmm_dp *dp, uint8_t match, const struct dmm_addr *addr, unsigned actmask,
		    const struct dmm_addr *peer);

/* The intent a packet from the TUN follows: DST intents, then SRC intents (ENCAP/BUFFER/DROP). */
uint32_t dpu_classify(const struct dmm_dp *dp, const uint8_t *pkt);

/* ---- buffer.c ---- */

/* Allocate the pool (DP_BUF_PACKETS packets). 0 or -ENOMEM. */
int dpu_buf_init(struct dmm_dp *dp);

/* Hold a copy of pkt on slot s (a BUFFER intent) and count it; full: drop it. */
void dpu_buf_hold(struct dmm_dp *dp, struct slot *s, const uint8_t *pkt, size_t len);

/* Take every packet held on slot i off it: the first pool index of the chain (next), or NONE. */
uint32_t dpu_buf_take(struct dmm_dp *dp, uint32_t i);

/* Give pool packet b back. */
void dpu_buf_put(struct dmm_dp *dp, uint32_t b);

/* ---- offload.c ---- */

enum { L4_PASS, L4_GSO, L4_DROP };

/*
 * Look at the TCP or UDP packet inside a decapsulated packet p[0..len)
 * (user.c, "Checksum and segmentation offload"): finish a checksum left
 * partial by the sender's offload, or set vh up to have the kernel
 * segment a TCP super-packet. L4_PASS (write it as it is now), L4_GSO
 * (write it behind vh) or L4_DROP.
 */
int dpu_l4_fixup(uint8_t *p, size_t len, struct virtio_net_hdr *vh);

/* ---- rtnl.c ---- */

/*
 * Add (replace) or delete the route prefix in table: dev oif, ours by
 * rt_proto. Between begin and commit only queued (an add tagged with
 * dp->tag). 0 or -errno.
 */
int dpu_rt_route(struct dmm_dp *dp, bool add, uint32_t table, const struct dmm_prefix *p, int oif);

/* Add or delete the rule "from p iif lookup table_base"; queued like dpu_rt_route(). 0 or -errno. */
int dpu_rt_rule(struct dmm_dp *dp, bool add, const struct dmm_prefix *p, const char *iif);

/* Dump kind (RTM_GETROUTE / RTM_GETRULE) and delete what carries our protocol marker. 0 or -errno. */
int dpu_rt_flush(struct dmm_dp *dp, uint16_t kind);

/* Delete a leftover device called name when it is a TUN. 0, -EEXIST if it is something else, -errno. */
int dpu_rt_remove_stale_tun(struct dmm_dp *dp, const char *name);

/* No IPv6 link-local address (and so no RS/MLD) on the TUN, MTU, queue, then up. 0 or -errno. */
int dpu_rt_tun_setup(struct dmm_dp *dp);

/* Remove every route and rule the intents in the table installed (close). */
void dpu_rt_remove_all(struct dmm_dp *dp);

/*
 * The interface of link id: from the link table, or with no table
 * (nlinks 0) id is the interface index itself (dataplane.h). 0 or -ENODEV.
 */
int dpu_link_resolve(const struct dmm_dp *dp, uint32_t id, char ifname[DMM_DP_IFNAMSIZ], int *ifindex);

/*
 * Make the main-table route of DST prefix p follow the best remaining DST
 * intent that needs one (ENCAP/BUFFER/DROP: dev tun; DELIVER: dev link);
 * delete it when none is left. 0 or -errno.
 */
int dpu_sync_dst_route(struct dmm_dp *dp, const struct dmm_prefix *p);

enum { DPU_RULE_DEL, DPU_RULE_ADD, DPU_RULE_ENSURE };

/*
 * Rule "from p iif link lookup table_base" while a SRC intent needing the
 * TUN uses it. how: DPU_RULE_ADD after a user was added (the first adds
 * the rule), DPU_RULE_DEL after one was taken out (the last deletes it),
 * DPU_RULE_ENSURE to make the kernel follow the users whatever it holds.
 * 0 or -errno.
 */
int dpu_sync_src_rule(struct dmm_dp *dp, const struct dmm_prefix *p, const char *ifname, int ifindex,
		      int how);

/* ---- tun.c ---- */

/* Create the TUN device cfg.tun_name (IFF_VNET_HDR, no offloads). 0, or -1 with err filled and errno set. */
int dpu_tun_open(struct dmm_dp *dp, char *err, size_t errlen);

/* The raw protocol-41 socket bound to cfg.local. 0, or -1 with err filled and errno set. */
int dpu_raw_open(struct dmm_dp *dp, char *err, size_t errlen);

/* Allocate the batch buffers. 0 or -ENOMEM. */
int dpu_batch_init(struct dmm_dp *dp);

/* Send the packets held on slot i where the intents now say (BUFFER released). */
void dpu_buf_release(struct dmm_dp *dp, uint32_t i);

/* TUN → peers: one batch. Returns packets read. */
int dpu_tun_round(struct dmm_dp *dp);

/* Peers → TUN: one batch. Returns datagrams received. */
int dpu_raw_round(struct dmm_dp *dp);

#endif
