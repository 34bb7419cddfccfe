/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user-space data plane's internals (user.c has the design), in
 * one-way layers: each file calls only files below it.
 *
 *   user.c     the dmm_dp_ops table: open, close, install, remove, ...
 *   worker.c   the worker threads: one per core, each with its TUN queue and raw socket
 *   tun.c      the TUN device, the raw sockets and the batched packet path
 *   nh.c       the next hop of each peer (packet socket sends)
 *   rtnl.c     the kernel's routes, rules and links (rtnetlink, ../nl.h)
 *   offload.c  checksums, and segmenting GSO packets (ours) or repairing them (the peers')
 *   buffer.c   the pool of packets held by BUFFER intents
 *   table.c    the intent table: slots, free list, hash indexes, longest-prefix lookup
 *
 * Threads. open() starts one worker per online core (DMM_DP_USER_WORKERS
 * in the environment overrides it, 1..DP_MAX_WORKERS). Worker i owns TUN
 * queue i (IFF_MULTI_QUEUE: the kernel spreads flows over the queues by
 * their hash) and raw socket i; a raw socket would get a copy of every
 * protocol-41 packet, so each carries a classic BPF filter that accepts
 * only the packets whose inner flow (addresses and ports) hashes to i:
 * every packet reaches exactly one worker, and the packets of a flow stay
 * in order (a CPU-based split reordered TCP as the sender moved between
 * CPUs). The thread that calls the ops (the daemon's) is the only one
 * that changes the table; workers only read it.
 *
 * The table lock (tlock) is a readers-writer lock that prefers writers. A
 * worker takes it for reading once per round (one batch of up to
 * DP_BATCH reads or datagrams, lookups and sends), not per packet; the
 * daemon thread takes it for writing around each change of the table
 * (dpu_table_add/del/replace, which may also grow it or move hash
 * chains), never around a netlink exchange. Why not RCU or a seqlock: a
 * change relinks doubly linked hash chains in place, moves chains
 * between indexes and frees the old index, so a reader racing with it
 * could follow a freed chain; RCU would need every such change copied
 * and its memory reclaimed after a grace period, a seqlock would need
 * readers that survive torn chains. A lock taken once per batch costs two
 * atomic operations per 32 packets, and a change of the table waits at
 * most one round. The daemon's own reads need no lock: it is the only
 * writer.
 *
 * GSO from the TUN. The TUN offers the kernel partial checksums and TCP
 * segmentation over IPv6 (TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO6 |
 * TUN_F_TSO_ECN), so a host's TCP stream arrives as super-packets of up
 * to 64 KB (virtio_net_hdr gso_type TCPV6, gso_size the host's MSS): one
 * read instead of ~45. A partial checksum of a whole packet is finished
 * here (dpu_csum_finish). A super-packet is cut into segments here, in
 * user space (dpu_gso_next: each segment's inner IPv6 and TCP headers and
 * checksum its own, as the kernel's TCP segmentation makes them), and the
 * segments go out in one sendmmsg, each message two iovecs: its outer and
 * inner headers, and its payload read in place from the super-packet (no
 * copy). Handing the kernel the encapsulated super-packet to segment
 * instead does not give valid packets: the raw socket (IPV6_HDRINCL) has
 * no GSO at all; a packet socket or a TUN write with a virtio_net_hdr can
 * only say TCPV6, and the kernel's IPv6-in-IPv6 segmentation
 * (ip6ip6_gso_segment) refuses a packet without SKB_GSO_IPXIP6, which no
 * virtio_net_hdr gso_type sets. Tried on this kernel (6.18): a TUN write
 * of an encapsulated 10 KB TCP packet with gso_type TCPV6 is accepted,
 * forwarded, and dropped at the veth's transmit (tx_dropped), with the
 * veth's TSO on or off; nothing reaches the wire. So what
 * the user data plane puts on the wire is at most DP_TUN_MTU + DP_HDR per
 * packet. Counters count the segments: packets and inner bytes of each
 * segment, as the wire carries them (the same figures as without
 * offloads).
 *
 * Sending through a packet socket. The tunnelled packets (whole ones and
 * the segments of a super-packet) go out through each worker's
 * AF_PACKET socket (SOCK_DGRAM) with one sendmmsg
 * per batch, addressed to the next hop's link-layer address on the
 * route's interface (nh.c: the kernel's route to the peer and its
 * neighbour entry, looked up again every second). A raw socket send
 * (IPV6_HDRINCL) makes the kernel look the route up and, because a
 * header-including send names its next hop (FLOWI_FLAG_KNOWN_NH),
 * allocate and free a route clone for every packet, then run the IPv6
 * output path and the neighbour output; the packet socket hands the
 * packet to the device's transmit with only the link-layer header added.
 * The bytes of the IPv6 packet are the same (this code writes the whole
 * outer header either way). What goes through the raw socket still: the
 * first packet to a peer after each lookup (so the kernel's neighbour
 * entry stays in use and is probed again when it goes stale), packets
 * to a peer with no resolved neighbour or on a device without a 6-byte
 * link-layer address, and everything when the packet socket cannot be
 * opened or DMM_DP_USER_PACKET=0. A packet socket's sends go through
 * the device's qdisc and are seen by captures, but skip the netfilter
 * output hooks. (PACKET_QDISC_BYPASS would also skip the captures.)
 *
 * GRO to the TUN. Decapsulated TCP segments of one flow that arrive in
 * sequence in one recvmmsg batch, or UDP datagrams of one flow of one
 * size, are written to the TUN as one GSO packet (gso_type TCPV6 or
 * UDP_L4; dpu_gro_*: one writev of the merged header and each payload in
 * place), so the kernel forwards one packet where it would forward up to
 * DP_BATCH, and segments it again where the next link or the receiving
 * socket needs it, with the same boundaries (all of one size but the
 * last). Only packets whose checksum verifies or that a peer's kernel
 * left partial (its checksum offload: the field holds the pseudo-header
 * sum; the kernel writes every merged packet's checksums anyway, and a
 * partial one that merges with nothing is written with NEEDS_CSUM), and
 * TCP segments with no flag but ACK and PSH, join; the others go alone
 * as before (a peer's GRO packet repaired: dpu_l4_fixup). Counters count
 * the packets received.
 *
 * Counters are per slot and added atomically (relaxed), once per run of
 * packets of the same intent in a send batch; the daemon reads them with
 * atomic loads. The buffer pool (BUFFER intents) has its own mutex
 * (bufmu): a worker holds packets, the daemon thread releases them.
 *
 * Internal to dataplane/user.
 */
#ifndef DMM_DP_USER_H
#define DMM_DP_USER_H

#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "dmm/dataplane.h"

#include "../common.h"
#include "../neigh.h"
#include "../nl.h"

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* linux/virtio_net.h of 6.2 and later; the kernel takes it since 6.2 */
#endif

#define DP_BATCH 32		    /* TUN reads or recvmmsg datagrams per round */
#define DP_TXQ 64		    /* packets (segments) per sendmmsg */
#define DP_MAX_WORKERS 16	    /* worker threads at most */
#define DP_HDR 40		    /* outer IPv6 header */
#define DP_TUN_MTU 1460		    /* 1500 on the underlay minus the outer header */
#define DP_SEG_MAX 1500		    /* the largest inner packet an ordinary host link sends */
#define DP_SEG_HDR 256		    /* outer header + a segment's inner IPv6, extension and TCP headers */
#define DP_TUN_BUF (DP_HDR + 65600) /* headroom + one TUN packet: a GSO packet is up to 64 KB */
#define DP_TX_BUF 2048		    /* headroom + one packet of a released BUFFER */
#define DP_RX_BUF 65600		    /* one raw datagram: anything a peer may send */
#define DP_BUF_PACKETS 1024	    /* buffer pool, shared by all BUFFER intents: at least this */
#define DP_BUF_POOL_MAX (1u << 17)  /* and at most this (buffer.c) */
#define DP_BUF_PER_INTENT 256 /* packets one BUFFER intent holds at most, by default (cfg.buf_packets) */
#define DP_BUF_BYTES 393216   /* octets, by default (cfg.buf_bytes) */
#define DP_BUF_MS 2000	      /* age in ms, by default (cfg.buf_time_ms) */
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
	uint64_t seq;		 /* install order: newest wins a tie */
	uint64_t packets, bytes; /* atomic: workers add, the daemon thread reads */
	/* Hash chains, doubly linked so that removing is O(1): [DPU_BY_PREFIX], [DPU_BY_ID]. NONE ends
	 * a chain; prev NONE: first in its bucket. A free slot is on the free list by next[DPU_BY_ID]. */
	uint32_t next[2], prev[2];
	uint32_t bhead, btail, bcount; /* held packets (pool indices) */
	uint32_t bbytes;	       /* their octets */
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
	uint64_t t; /* held at, ns of CLOCK_MONOTONIC */
	bool first; /* came from the BUFFER's peer: released before the others (fm.h) */
	uint8_t data[DP_BUF_SIZE];
};

/*
 * Decapsulated TCP segments or UDP datagrams merged into one GSO packet
 * for the TUN, as the kernel's GRO would (tun.c raw round): consecutive
 * datagrams of one batch, same peer and flow (TCP: in sequence), all of
 * the first one's size but the last. Written with one writev: the merged header, then each
 * segment's payload where it was received (iov[1..n]).
 */
#define DPU_GRO_MAX DP_BATCH
struct dpu_gro {
	unsigned n; /* packets merged; 0: none open */
	uint8_t *first;
	size_t hl, mss, total; /* header length, segment payload size, payload bytes in all */
	uint64_t bytes;	       /* the packets' lengths, summed (counters) */
	uint32_t next_seq, si;
	bool udp, closed, psh; /* UDP (else TCP); no more may join (short or PSH); PSH seen */
	bool partial;	       /* the first packet's checksum is partial (its peer's offload) */
	struct dmm_addr peer;
	uint8_t hdr[DP_SEG_HDR];
	struct iovec iov[DPU_GRO_MAX + 1]; /* [0] the header, then the payloads; n 1: [1] the whole packet */
};

/*
 * The packets of one flush: a whole packet behind its headroom (1 iovec)
 * or a segment (2), each to the packet socket (pkt, ll: its next hop) or
 * to the raw socket (addr: its peer); a flush sends each run of one
 * socket with one sendmmsg.
 */
struct dpu_txq {
	unsigned n;
	struct mmsghdr msg[DP_TXQ];
	struct iovec iov[DP_TXQ][2];
	struct sockaddr_in6 addr[DP_TXQ];
	struct sockaddr_ll ll[DP_TXQ];
	bool pkt[DP_TXQ];
	uint8_t hdr[DP_TXQ][DP_SEG_HDR];    /* a segment's outer and inner headers */
	uint32_t slot[DP_TXQ], len[DP_TXQ]; /* its intent, its inner length */
};

/* A peer's next hop for the packet socket (nh.c); ok false: send through the raw socket. */
#define DPU_NH_SLOTS 16
#define DPU_NH_TTL_NS 1000000000ull  /* looked up again after a second */
#define DPU_NH_RETRY_NS 100000000ull /* unresolved: tried again after 100 ms */
struct dpu_nh {
	bool used, ok;
	struct dmm_addr peer;
	uint64_t expires; /* CLOCK_MONOTONIC ns */
	struct sockaddr_ll ll;
};

/* One worker thread (worker.c) and what it owns. */
struct dpu_worker {
	struct dmm_dp *dp;
	unsigned id;
	int tun, raw, ep;  /* TUN queue id, raw socket id, epoll over both and dp->stopfd */
	int pkt;	   /* packet socket for sending (-1: none, all through raw) */
	struct dmm_nl *nl; /* the worker's own rtnetlink socket (next hops) */
	struct dpu_nh nh[DPU_NH_SLOTS];
	uint64_t now; /* the round's clock (0: not read yet) */
	pthread_t thread;
	bool running;
	uint8_t (*tunbuf)[DP_TUN_BUF]; /* DP_BATCH TUN reads, each behind DP_HDR of headroom */
	uint8_t (*rxbuf)[DP_RX_BUF];   /* DP_BATCH datagrams */
	struct mmsghdr rxmsg[DP_BATCH];
	struct iovec rxiov[DP_BATCH];
	struct sockaddr_in6 rxaddr[DP_BATCH];
	struct dpu_txq tx;
	struct dpu_gro gro;
};

struct dmm_dp {
	struct dmm_dp_cfg cfg;
	unsigned nworkers;
	struct dpu_worker *w; /* nworkers; w[0] also sends what the daemon thread releases */
	int stopfd;	      /* eventfd: readable when the workers must stop */
	int stop;
	pthread_rwlock_t tlock;	   /* the table: workers read per round, the daemon thread writes */
	pthread_mutex_t bufmu;	   /* the buffer pool and the held chains of the slots */
	bool locks;		   /* tlock and bufmu initialised */
	uint8_t ctlbuf[DP_TX_BUF]; /* the daemon thread's send buffer (released packets) */
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

	/* buffer pool: pool_used is the bump index (pages touched as packets come), then the free list */
	struct bufpkt *pool;
	uint32_t pool_free, pool_n, pool_used;
	uint64_t buf_lim_ns;
	struct dmm_dp_buf_stats bst; /* under bufmu */
	uint64_t unresolved;	     /* released buffers' destinations not resolved in time (daemon thread) */
	struct dmm_neigh_hosts hosts; /* the host on each access link (neigh.h; daemon thread) */
	/*
	 * BUFFER slots becoming DELIVER (user.c flush_*): the flush routes
	 * (prefix dev link, table_base + 1) until the main routes switched;
	 * nflush is also read by workers (atomic): packets for a flushed
	 * prefix read from the TUN meanwhile are written back, not dropped.
	 */
	struct dmm_prefix *flush;
	uint32_t nflush, capflush;
	bool flush_rule; /* "iif <tun> lookup table_base + 1" installed */
	/*
	 * DST BUFFER slots with a peer (fm.h): while there are any (atomic,
	 * read by workers), a decapsulated packet for one is held at once
	 * (tun.c), knowing which path it came by, instead of going through
	 * the kernel and back.
	 */
	uint32_t nordered;

	/* drops not attributable to an intent (counters id 0); atomic */
	uint64_t drop_packets, drop_bytes;
};

/* The slot of index i (below cap). */
static inline struct slot *dpu_slot(const struct dmm_dp *dp, uint32_t i)
{
	return &dp->chunk[i >> DPU_CHUNK_SHIFT][i & (DPU_CHUNK - 1)];
}

/* A packet dropped for no intent's reason: counters(id 0). Any thread. */
static inline void dpu_drop(struct dmm_dp *dp, size_t len)
{
	__atomic_fetch_add(&dp->drop_packets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&dp->drop_bytes, (uint64_t)len, __ATOMIC_RELAXED);
}

/* n packets of bytes bytes in all handled by the intent in slot s. Any thread. */
static inline void dpu_count_n(struct slot *s, uint64_t n, uint64_t bytes)
{
	__atomic_fetch_add(&s->packets, n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->bytes, bytes, __ATOMIC_RELAXED);
}

/* One packet of len bytes handled by the intent in slot s. */
static inline void dpu_count(struct slot *s, size_t len)
{
	dpu_count_n(s, 1, len);
}

/* The daemon thread around a change of the table (see Threads above). */
static inline void dpu_wlock(struct dmm_dp *dp)
{
	if (dp->locks)
		pthread_rwlock_wrlock(&dp->tlock);
}

static inline void dpu_wunlock(struct dmm_dp *dp)
{
	if (dp->locks)
		pthread_rwlock_unlock(&dp->tlock);
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

/*
 * Allocate the pool (four intents' worth of cfg.buf_packets, within
 * DP_BUF_PACKETS..DP_BUF_POOL_MAX; untouched until used) and set the
 * bounds from cfg (0: DP_BUF_PER_INTENT, DP_BUF_BYTES, DP_BUF_MS). 0 or -ENOMEM.
 */
int dpu_buf_init(struct dmm_dp *dp);

/*
 * Hold a copy of the packet a[0..alen) followed by b[0..blen) (b may be
 * NULL) on slot s (a BUFFER intent) and count it. Over a bound of the
 * slot (packets, bytes) or of the pool, the slot's oldest is dropped to
 * make room; packets past the time bound are dropped first; all counted
 * (dpu_buf_stats). first: it came decapsulated from the slot's peer
 * (released ahead, fm.h). Any thread (bufmu).
 */
void dpu_buf_hold(struct dmm_dp *dp, struct slot *s, const uint8_t *a, size_t alen, const uint8_t *b,
		  size_t blen, bool first);

/*
 * Take every packet held on slot i off it: the first pool index of the
 * chain (next), or NONE, those held as first ahead of the others, each
 * part in arrival order; those past the time bound are dropped (counted),
 * the others counted as released. Takes bufmu.
 */
uint32_t dpu_buf_take(struct dmm_dp *dp, uint32_t i);

/*
 * Take the packets held as first off slot i, the others staying in their
 * order: the first pool index of their chain, or NONE. Takes bufmu.
 */
uint32_t dpu_buf_take_first(struct dmm_dp *dp, uint32_t i);

/*
 * A BUFFER slot i that now passes its peer's packets (fm.h
 * DMM_FM_CAP_PASS): those it held go on first, written to the TUN for the
 * route user.c tun_route() installed (daemon thread, workers locked out).
 */
void dpu_buf_pass_first(struct dmm_dp *dp, uint32_t i);

/*
 * The distinct destinations of the packets held on slot i, up to max of
 * them, into out (16 octets each); how many. Takes bufmu.
 */
unsigned dpu_buf_dsts(struct dmm_dp *dp, uint32_t i, uint8_t (*out)[16], unsigned max);

/* What BUFFER intents hold and dropped (dataplane.h buf_stats). Takes bufmu. */
int dpu_buf_stats(struct dmm_dp *dp, struct dmm_dp_buf_stats *st);

/* Give pool packet b back. Takes bufmu. */
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

/* sum plus the ones' complement sum of p[0..len) (as dmm_csum_add, 8 bytes per step). p at an even offset. */
uint32_t dpu_csum(uint32_t sum, const uint8_t *p, size_t len);

/*
 * Finish the checksum of packet p[0..len) that the TUN left partial
 * (VIRTIO_NET_HDR_F_NEEDS_CSUM): the ones' complement of the sum from
 * start to the end goes at start + off (a UDP 0 as 0xffff). 0, or -1 when
 * start and off do not fit the packet.
 */
int dpu_csum_finish(uint8_t *p, size_t len, size_t start, size_t off);

/*
 * A TCP GSO packet read from the TUN, cut into segments here (tun.c has
 * why): the inner IPv6 and TCP headers (hl bytes) of each segment are
 * written by dpu_gso_next(), its payload stays in the packet.
 */
struct dpu_gso {
	const uint8_t *p;
	size_t len, hl, mss, thoff, done;
	uint32_t seq, pseudo; /* first sequence number; the sum of both addresses */
	unsigned k, nseg;
};

/* Open a merge with p (from peer) when it can join one (TCP with ACK/PSH only, or UDP; valid checksum). */
bool dpu_gro_start(struct dpu_gro *g, uint8_t *p, size_t len, const struct dmm_addr *peer);

/* Add p to the open merge when it follows it; false: it does not (g unchanged). */
bool dpu_gro_add(struct dpu_gro *g, uint8_t *p, size_t len, const struct dmm_addr *peer);

/*
 * The vh of a merge of one packet, written as it came: a partial
 * checksum (a peer's offload) left for the kernel to finish
 * (VIRTIO_NET_HDR_F_NEEDS_CSUM), else none.
 */
void dpu_gro_lone(const struct dpu_gro *g, struct virtio_net_hdr *vh);

/* The merged header (iov[0]) and vh of a merge of n > 1 packets. */
void dpu_gro_finish(struct dpu_gro *g, struct virtio_net_hdr *vh);

/* Check the GSO packet p[0..len) behind vh (TCPV6, csum_start at its TCP header). 0 or -1. */
int dpu_gso_init(struct dpu_gso *g, const uint8_t *p, size_t len, const struct virtio_net_hdr *vh);

/*
 * The next segment: its inner headers (g->hl bytes, lengths, sequence
 * number, flags and checksum its own) written to hdr, its payload at
 * *pay; returns the payload length (0: no segment left).
 */
size_t dpu_gso_next(struct dpu_gso *g, uint8_t *hdr, const uint8_t **pay);

/* ---- rtnl.c ---- */

/*
 * Add (replace) or delete the route prefix in table: dev oif, ours by
 * rt_proto. Between begin and commit only queued (an add tagged with
 * dp->tag). 0 or -errno.
 */
int dpu_rt_route(struct dmm_dp *dp, bool add, uint32_t table, const struct dmm_prefix *p, int oif);

/* The metric of the blackhole under a DELIVER route (the kernel's default for IPv6 routes is 1024). */
#define DPU_GUARD_METRIC 1025
/* Add or delete that blackhole for p (rtnl.c); queued like dpu_rt_route(). 0 or -errno. */
int dpu_rt_guard(struct dmm_dp *dp, bool add, const struct dmm_prefix *p);

/* Add or delete the rule "from p iif lookup table_base"; queued like dpu_rt_route(). 0 or -errno. */
int dpu_rt_rule(struct dmm_dp *dp, bool add, const struct dmm_prefix *p, const char *iif);

/*
 * Add or delete the rule "to p iif lookup main" at rule_prio - 1, ahead of
 * the SRC rules: localized routing (RFC 6705, DMM_FM_LOCAL); queued like
 * dpu_rt_route(). 0 or -errno.
 */
int dpu_rt_local_rule(struct dmm_dp *dp, bool add, const struct dmm_prefix *p, const char *iif);

/* Add or delete the rule "iif <tun> lookup table" at prio, at once (not batched). 0 or -errno. */
int dpu_rt_iif_rule(struct dmm_dp *dp, bool add, uint32_t table, uint32_t prio);

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
 * intent that needs one (ENCAP/BUFFER/DROP: dev tun; DELIVER: dev link,
 * with the blackhole of dpu_rt_guard() under it); delete it when none is
 * left. 0 or -errno.
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

/* ---- nh.c ---- */

/*
 * Where a packet to peer goes: the packet socket's address of its next
 * hop, or NULL for the raw socket (none known yet, unresolved, or the
 * first packet after each lookup, which keeps the kernel's neighbour
 * entry in use). Worker thread.
 */
const struct sockaddr_ll *dpu_nh_get(struct dpu_worker *w, const struct dmm_addr *peer);

/* Worker w's packet socket and netlink socket. 0 or -errno (then: raw only). */
int dpu_nh_open(struct dpu_worker *w);

/* Close them (accepts a worker that has none). */
void dpu_nh_close(struct dpu_worker *w);

/* ---- tun.c ---- */

/*
 * Create the TUN device cfg.tun_name with one queue per worker
 * (IFF_MULTI_QUEUE, IFF_VNET_HDR) and offloads on (TUNSETOFFLOAD: partial
 * checksums and TCP GSO over IPv6). 0, or -1 with err filled and errno set.
 */
int dpu_tun_open(struct dmm_dp *dp, char *err, size_t errlen);

/*
 * Worker w's raw protocol-41 socket bound to cfg.local, with the filter
 * that gives it the packets of its CPUs. 0, or -1 with err filled and errno set.
 */
int dpu_raw_open(struct dmm_dp *dp, struct dpu_worker *w, char *err, size_t errlen);

/* Allocate worker w's batch buffers. 0 or -ENOMEM. */
int dpu_batch_init(struct dpu_worker *w);

/* Send the packets held on slot i where the intents now say (BUFFER released). Daemon thread. */
void dpu_buf_release(struct dmm_dp *dp, uint32_t i);

/* TUN → peers: one batch of worker w (table read-locked by the caller). Returns packets read. */
int dpu_tun_round(struct dpu_worker *w);

/* Peers → TUN: one batch of worker w (table read-locked by the caller). Returns datagrams received. */
int dpu_raw_round(struct dpu_worker *w);

/* ---- worker.c ---- */

/* How many workers: DMM_DP_USER_WORKERS, else the online cores (1..DP_MAX_WORKERS). */
unsigned dpu_nworkers(void);

/* Allocate dp->w (dp->nworkers, fds -1), the locks and the stop event. 0 or -errno. */
int dpu_workers_alloc(struct dmm_dp *dp);

/* Start every worker's thread (its TUN queue and raw socket open). 0 or -errno. */
int dpu_workers_start(struct dmm_dp *dp);

/* Stop and join the threads, close the workers' descriptors, free dp->w and the locks. */
void dpu_workers_free(struct dmm_dp *dp);

#endif
