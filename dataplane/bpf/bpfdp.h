/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eBPF data plane's internals (bpf.c has the design), in one-way
 * layers: each file calls only files below it.
 *
 *   bpf.c    the dmm_dp_ops table: open, close, install, remove, counters;
 *            the release of held packets (with dataplane/hold.c)
 *   route.c  the routes of DST prefixes, for packets this node sends
 *   tc.c     the TC hooks (clsact ingress) and this node's addresses
 *   table.c  the intent table: slots, id and key indexes, best of a key
 *   dmm.bpf.c  the program (clang -target bpf), embedded as a skeleton
 *
 * Internal to dataplane/bpf.
 */
#ifndef DMM_DP_BPFDP_H
#define DMM_DP_BPFDP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dmm/dataplane.h"
#include "dmm/hash.h"

#include "../common.h"
#include "../neigh.h"

#include "maps.h"

#define BDP_NONE UINT32_MAX
#define BDP_MAX_ATTACH 256 /* interfaces with our TC hook */

/* Which map an intent's key lives in (and so which intents compete for it). */
enum { BDP_DST, BDP_SRC, BDP_DECAP_DST, BDP_DECAP_SRC };

struct bdp_slot {
	bool used;
	uint8_t kind;	      /* BDP_* */
	struct dmm_intent in; /* prefix masked */
	uint32_t ifindex;     /* SRC: the access link (0: any); DELIVER: the link */
	uint64_t seq;	      /* install order: newest wins a tie */
	uint32_t next_free;
};

/* Intents by slot; slot i counts in counters[i + 1] (0: no intent). */
struct bdp_table {
	struct bdp_slot *slot;
	uint32_t cap, nused, free_head;
	struct dmm_hidx by_id, by_key;
	uint64_t seq, seed;
};

struct bdp_hook {
	int ifindex;
	bool created; /* the clsact qdisc is ours: it goes at close */
};

struct dmm_bpf;
struct dmm_nl;

#define BDP_OIF_SLOTS 16
struct bdp_oif {
	struct dmm_addr peer;
	int oif; /* 0: none */
	uint64_t ns;
};

struct dmm_dp {
	struct dmm_dp_cfg cfg;
	struct dmm_bpf *skel;
	int fd_dst, fd_src, fd_decap_dst, fd_decap_src, fd_local, fd_veth_peer, fd_counters, prog_fd;
	uint32_t prog_id;
	int ncpu;
	struct dmm_bpf_ctr *percpu; /* ncpu counters: a read or a reset */
	uint8_t *counted;	    /* per slot: installed before, so its counters may not be 0 */
	struct bdp_table t;
	struct bdp_hook hook[BDP_MAX_ATTACH];
	unsigned nhook;
	int nl;		    /* rtnetlink, subscribed to IPv6 address changes (fd()) */
	int lwt_fd;	    /* dmm_local, the program of our routes */
	struct dmm_nl *rnl; /* rtnetlink requests that wait for the answer */
	int rsk;	    /* rtnetlink, route changes sent without waiting (route.c) */
	uint32_t route_seq, route_refused;
	/* Between begin() and commit(): route messages queued, sent in one send (route.c). */
	bool batching;
	char *rbuf;
	size_t rlen;
	struct bdp_oif oif[BDP_OIF_SLOTS];
	/* DST BUFFER intents: the hold device (dataplane/hold.c; NULL: BUFFER drops). */
	struct dmm_hold *hold;
	uint32_t releasing;	      /* the slot whose held packets are being written back, or BDP_NONE */
	struct dmm_neigh_hosts hosts; /* the host on each access link (neigh.h) */
	int efd;		      /* epoll of nl and the hold device: what fd() gives */
};

/* ---- table.c ---- */

/* Room for cap intents. 0 or -ENOMEM. */
int bdp_table_init(struct bdp_table *t, uint32_t cap);
void bdp_table_fini(struct bdp_table *t);

/* The map an intent's key lives in. */
uint8_t bdp_kind(const struct dmm_intent *in);

/* Put c (prefix masked, id not in the table) in a free slot. The slot, or -ENOSPC. */
int bdp_table_add(struct bdp_table *t, const struct dmm_intent *c, uint32_t ifindex);

/* Take slot i out; its contents stay readable until the next add. */
void bdp_table_del(struct bdp_table *t, uint32_t i);

/* Slot i now holds c (same id) instead: it moves to c's key. */
void bdp_table_set(struct bdp_table *t, uint32_t i, const struct dmm_intent *c, uint32_t ifindex);

/* The slot of intent id, or BDP_NONE. */
uint32_t bdp_find_id(const struct bdp_table *t, uint32_t id);

/*
 * The best intent with the key of s (kind, prefix, and the peer of a
 * DECAP or the link of a SRC): lowest precedence, then the newest.
 * BDP_NONE when none is left.
 */
uint32_t bdp_best(const struct bdp_table *t, const struct bdp_slot *s);

/* ---- route.c ---- */

/* The rtnetlink socket (dp->rnl), and the routes a killed run left gone. 0 or -errno. */
int bdp_route_open(struct dmm_dp *dp);

/* The route of DST prefix p made to follow best, its best intent (NULL: none left, no route). */
void bdp_route_sync(struct dmm_dp *dp, const struct dmm_prefix *p, const struct bdp_slot *best);

/* Every route of ours gone, and the socket. */
void bdp_route_close(struct dmm_dp *dp);

/* From now on queue route messages; commit sends what is queued in one send. */
void bdp_route_begin(struct dmm_dp *dp);
void bdp_route_commit(struct dmm_dp *dp);

/* Send what is queued now, batching or not: the kernel has those routes when this returns. */
void bdp_route_send_now(struct dmm_dp *dp);

/* ---- tc.c ---- */

/*
 * Our program on the clsact ingress hook of ifindex (an Ethernet
 * device), unless it is there: replaces what an earlier run left with
 * our handle. 0 or -errno.
 */
int bdp_tc_attach(struct dmm_dp *dp, int ifindex);

/* On every Ethernet interface there is now. 0 or -errno (err filled). */
int bdp_tc_attach_all(struct dmm_dp *dp, char *err, size_t errlen);

/* Our filters off, and the qdiscs we added. */
void bdp_tc_detach_all(struct dmm_dp *dp);

/* This node's addresses into the local map, and a socket that follows their changes (dp->nl). 0 or -errno. */
int bdp_local_open(struct dmm_dp *dp);

/* Apply the address changes waiting on dp->nl; returns messages handled. */
int bdp_local_poll(struct dmm_dp *dp);

#endif
