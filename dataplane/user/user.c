/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * User-space data plane: one TUN device and one raw IPv6 socket for
 * protocol 41 (IPv6-in-IPv6, RFC 2473).
 *
 *   kernel ──route/rule──► TUN queue i ──read──► classify, segment ──sendmmsg──► raw socket i ─► peer
 *   peer ──► raw socket i ──recvmmsg──► check peer+prefix, merge ──writev──► TUN queue i ──► kernel
 *   (one worker thread per core, each its queue and raw socket: user.h)
 *
 * What goes to the TUN, per intent:
 *   DST P ENCAP/BUFFER/DROP   route P dev <tun> (main table)
 *   DST P DELIVER link L      route P dev <L>   (main table)
 *   SRC P link L ENCAP/...    rule "from P iif <L> lookup table_base";
 *                             table_base holds one route: default dev <tun>
 *   DECAP (DST or SRC)        nothing in the kernel: the raw socket
 *
 * DROP goes to the TUN rather than to a blackhole route so that its
 * counters are exact, and so that a prefix moving between ENCAP, BUFFER
 * and DROP never changes a kernel route.
 *
 * On the wire (byte-compatible with the kernel backend's encap.red with one
 * segment): outer src = cfg.local, dst = the intent's peer, next header
 * 41, hop limit 64, traffic class and flow label 0, no extension headers.
 * The socket uses IPV6_HDRINCL so these bytes are ours, not the stack's
 * (the stack would add an automatic flow label otherwise).
 *
 * In user space, a packet read from the TUN is matched first against DST
 * intents (longest prefix, then lowest precedence, then the newest) and
 * then against SRC intents. The access link of a SRC intent is checked
 * by the kernel's rule (only packets from that link reach the TUN that
 * way); user space cannot see the input interface of a TUN packet.
 *
 * A packet from the raw socket (the kernel strips the outer header; the
 * outer source comes in msg_name) is accepted when a DECAP intent names
 * its outer source as peer and holds the inner destination (DST intents)
 * or the inner source (SRC intents, the uplink at an anchor); anything
 * else is dropped and counted under id 0.
 *
 * BUFFER keeps up to cfg.buf_packets packets per intent in a pool
 * preallocated at open(). When the intent is removed, or an ENCAP or
 * DELIVER intent for the same match and prefix is installed, the held
 * packets are classified again and go where the new intents say (a
 * DELIVER destination: written to the TUN for the kernel's route).
 *
 * Counters are exact and count inner packets and inner bytes: ENCAP what
 * was sent, DECAP what was accepted and written to the TUN, BUFFER what
 * was held, DROP what was discarded, DELIVER what was decapsulated here
 * and handed to the kernel for that prefix. counters(id 0) gives the
 * packets and bytes the backend dropped for any other reason.
 *
 * Checksum and segmentation offload. A peer's kernel may hand us packets
 * whose inner TCP or UDP checksum is not finished: a packet sent with
 * checksum offload over veth (CHECKSUM_PARTIAL) and encapsulated by a
 * kernel (seg6, ip6tnl) stays partial on the wire between namespaces,
 * and a raw socket copies it as it is, with only the pseudo-header sum in
 * the checksum field; GRO on the receiving interface produces the same
 * state. Such a packet may also be a GSO/GRO super-packet of up to 64 KB
 * (TSO over veth, or GRO merging tunnelled TCP segments). The raw socket
 * says neither, so each decapsulated TCP or UDP packet is looked at:
 *   - a checksum field holding exactly the pseudo-header sum of a packet
 *     whose checksum does not verify is finished here (any other bad
 *     checksum is left for the receiver to reject);
 *   - a TCP packet longer than the TUN MTU is written to the TUN as one
 *     GSO packet (IFF_VNET_HDR: virtio_net_hdr with NEEDS_CSUM, GSO TCPV6,
 *     segments of the TUN MTU): the kernel segments it, or passes it on
 *     to a device that takes GSO, and finishes the checksums;
 *   - a partial UDP packet longer than DP_SEG_MAX is a UDP GSO
 *     super-packet whose datagram boundaries the raw socket lost: dropped
 *     and counted under id 0 rather than delivered as one merged datagram.
 * Packets from the kernel, the other way, arrive with offloads
 * (TUNSETOFFLOAD): partial checksums and TCP super-packets, finished and
 * segmented here before they are encapsulated; and the workers, threads
 * of this backend, run the packet path (user.h: "Threads", "GSO from the
 * TUN", "GRO to the TUN"). fd() is -1: the owner has nothing to poll.
 *
 * Batches (dataplane.h begin/commit): between begin and commit an
 * install, replace or remove changes the table at once, and its routes
 * and rules wait in one netlink batch (../nl.h) that commit sends; until
 * then a packet for a prefix without its route simply does not reach the
 * TUN yet. An install or replace the kernel refused is reported, taken
 * out of the table, and its prefix's route made to follow the intents
 * left (a refusal for want of memory is tried again first, for a while).
 * Outside a batch every op has reached the kernel when it returns.
 *
 * No allocation per packet: batch buffers (per worker) and the buffer
 * pool are allocated at open(); the intent table grows on install.
 *
 * This file is the ops table; user.h lists the files below it (intent
 * table, buffer pool, offload repair, rtnetlink, TUN and packet path).
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dmm/fmt.h"
#include "../neigh.h"
#include "user.h"

static void user_close(struct dmm_dp *dp);
static int user_commit(struct dmm_dp *dp, void (*refused)(void *ctx, uint32_t id, int err), void *ctx);

static void cfg_defaults(struct dmm_dp_cfg *c)
{
	if (!c->tun_name[0])
		snprintf(c->tun_name, sizeof(c->tun_name), "dmm0");
	if (!c->table_base)
		c->table_base = 1000;
	if (!c->rule_prio)
		c->rule_prio = 1000;
	if (!c->rt_proto)
		c->rt_proto = 0xd3;
}

/*
 * The rtnetlink socket, the links of the link table, then the leftovers
 * of an earlier run: the TUN, then routes and rules with our marker.
 * 0, or -1 with err filled and errno set.
 */
static int kernel_prepare(struct dmm_dp *dp, char *err, size_t errlen)
{
	int r;

	dp->nlbuf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (dp->nlbuf)
		dp->nl = dmm_nl_open(NETLINK_ROUTE);
	if (!dp->nlbuf || !dp->nl) {
		dmm_dp_seterr(err, errlen, "rtnetlink: %s", strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < dp->cfg.nlinks; i++)
		if (!if_nametoindex(dp->cfg.link[i].ifname)) {
			dmm_dp_seterr(err, errlen, "link %u: no interface %s", dp->cfg.link[i].id,
				      dp->cfg.link[i].ifname);
			errno = ENODEV;
			return -1;
		}
	r = dpu_rt_remove_stale_tun(dp, dp->cfg.tun_name);
	if (r < 0) {
		dmm_dp_seterr(err, errlen, "%s: %s", dp->cfg.tun_name,
			      r == -EEXIST ? "exists and is not a TUN device" : strerror(-r));
		errno = -r;
		return -1;
	}
	if ((r = dpu_rt_flush(dp, RTM_GETRULE)) < 0 || (r = dpu_rt_flush(dp, RTM_GETROUTE)) < 0) {
		dmm_dp_seterr(err, errlen, "removing leftover routes and rules (protocol %u): %s",
			      dp->cfg.rt_proto, strerror(-r));
		errno = -r;
		return -1;
	}
	return 0;
}

/* The TUN device, created and up. 0, or -1 with err filled and errno set. */
static int tun_up(struct dmm_dp *dp, char *err, size_t errlen)
{
	int r = 0;

	if (dpu_tun_open(dp, err, errlen) < 0)
		return -1;
	dp->tun_ifindex = (int)if_nametoindex(dp->cfg.tun_name);
	if (!dp->tun_ifindex || (r = dpu_rt_tun_setup(dp)) < 0) {
		dmm_dp_seterr(err, errlen, "setting %s up: %s", dp->cfg.tun_name,
			      strerror(dp->tun_ifindex ? -r : errno));
		if (dp->tun_ifindex)
			errno = -r;
		return -1;
	}
	return 0;
}

/* Each worker's raw socket. 0, or -1 with err filled and errno set. */
static int raw_up(struct dmm_dp *dp, char *err, size_t errlen)
{
	for (unsigned i = 0; i < dp->nworkers; i++)
		if (dpu_raw_open(dp, &dp->w[i], err, errlen) < 0)
			return -1;
	return 0;
}

static struct dmm_dp *user_open(const struct dmm_dp_cfg *cfg, char *err, size_t errlen)
{
	struct dmm_dp *dp = calloc(1, sizeof(*dp));
	int r;

	if (!dp) {
		dmm_dp_seterr(err, errlen, "out of memory");
		return NULL;
	}
	dp->cfg = *cfg;
	cfg_defaults(&dp->cfg);
	dp->pool_free = NONE;
	dp->tag = DPU_NOTAG;
	r = dpu_workers_alloc(dp);
	if (r < 0) {
		dmm_dp_seterr(err, errlen, "workers: %s", strerror(-r));
		errno = -r;
		goto err;
	}
	if (kernel_prepare(dp, err, errlen) < 0 || tun_up(dp, err, errlen) < 0 || raw_up(dp, err, errlen) < 0)
		goto err;
	if (dpu_buf_init(dp) < 0 || dpu_table_grow(dp) < 0) {
		dmm_dp_seterr(err, errlen, "out of memory");
		errno = ENOMEM;
		goto err;
	}
	r = dpu_workers_start(dp);
	if (r < 0) {
		dmm_dp_seterr(err, errlen, "starting the workers: %s", strerror(-r));
		errno = -r;
		goto err;
	}
	return dp;
err:
	r = errno;
	user_close(dp);
	errno = r;
	return NULL;
}

/*
 * The route "p dev ifindex" in table_base + 1 (add) or its removal, with
 * the rule "iif <tun>" that selects it added first, sent at once even in
 * a batch. 0 or -errno.
 */
static int tun_route(struct dmm_dp *dp, bool add, const struct dmm_prefix *p, int ifindex)
{
	bool batching = dp->batching;
	int r;

	if (add && !dp->flush_rule &&
	    dpu_rt_iif_rule(dp, true, dp->cfg.table_base + 1, dp->cfg.rule_prio - 1) < 0)
		return -EIO;
	dp->flush_rule |= add;
	dp->batching = false;
	r = dpu_rt_route(dp, add, dp->cfg.table_base + 1, p, ifindex);
	dp->batching = batching;
	return r;
}

/* A DST BUFFER passing its peer's packets on its link (fm.h DMM_FM_CAP_PASS): they take tun_route(). */
static bool passes(const struct dmm_intent *c)
{
	return c->match == DMM_FM_DST && c->action == DMM_FM_BUFFER && c->link && !dmm_addr_is_zero(&c->peer);
}

static void user_close(struct dmm_dp *dp)
{
	if (!dp)
		return;
	user_commit(dp, NULL, NULL);
	for (uint32_t i = 0; dp->nl && i < dp->cap; i++)
		if (dpu_slot(dp, i)->used && passes(&dpu_slot(dp, i)->in))
			tun_route(dp, false, &dpu_slot(dp, i)->in.prefix, 0);
	if (dp->nl && dp->tun_ifindex)
		dpu_rt_remove_all(dp);
	if (dp->flush_rule)
		dpu_rt_iif_rule(dp, false, dp->cfg.table_base + 1, dp->cfg.rule_prio - 1);
	free(dp->flush);
	dpu_workers_free(dp); /* the threads stop; the TUN device goes with its last queue */
	dmm_nl_close(dp->nl);
	free(dp->nlbuf);
	dmm_nl_batch_free(&dp->batch);
	free(dp->pend);
	dpu_table_free(dp);
	dmm_neigh_hosts_free(&dp->hosts);
	free(dp->pool);
	free(dp);
}

static bool needs_route(const struct dmm_intent *c)
{
	return c->match == DMM_FM_DST && (dpu_to_tun(c->action) || c->action == DMM_FM_DELIVER);
}

static bool needs_rule(const struct dmm_intent *c)
{
	return c->match == DMM_FM_SRC && dpu_to_tun(c->action);
}

/* The kernel route or rule intent c (in slot i) needs, made to follow the table. 0 or -errno. */
static int sync_kernel(struct dmm_dp *dp, const struct dmm_intent *c, uint32_t i, bool adding)
{
	const struct slot *s = dpu_slot(dp, i);

	if (passes(c) && (!adding || tun_route(dp, true, &c->prefix, s->ifindex) < 0))
		tun_route(dp, false, &c->prefix, 0); /* gone, or no way to pass: all held */
	if (needs_route(c))
		return dpu_sync_dst_route(dp, &c->prefix);
	if (needs_rule(c))
		return dpu_sync_src_rule(dp, &c->prefix, s->ifname, s->ifindex,
					 adding ? DPU_RULE_ADD : DPU_RULE_DEL);
	if (c->action == DMM_FM_LOCAL)
		return dpu_rt_local_rule(dp, adding, &c->prefix, s->ifname);
	return 0;
}

/* A new way out (ENCAP, DELIVER) for prefix c: release what BUFFER intents on it hold. */
static void release_buffered(struct dmm_dp *dp, const struct dmm_intent *c)
{
	for (uint32_t j = dpu_chain(dp, c->match, &c->prefix); j != NONE;
	     j = dpu_slot(dp, j)->next[DPU_BY_PREFIX]) {
		const struct slot *b = dpu_slot(dp, j);

		if (b->in.action == DMM_FM_BUFFER && b->bcount && dpu_slot_is(b, c->match, &c->prefix))
			dpu_buf_release(dp, j);
	}
}

/* Whether in can be executed; its link's interface when it needs one. 0 or -errno. */
static int check_intent(const struct dmm_dp *dp, const struct dmm_intent *in, char ifname[DMM_DP_IFNAMSIZ],
			int *ifindex)
{
	if (in->match > DMM_FM_SRC || in->action > DMM_FM_LOCAL || in->prefix.len > 128)
		return -EINVAL;
	if (in->action == DMM_FM_LOCAL) /* RFC 6705: a rule per (destination, access link) */
		return in->match == DMM_FM_DST && in->link ? dpu_link_resolve(dp, in->link, ifname, ifindex)
							   : -EINVAL;
	if ((in->action == DMM_FM_ENCAP || in->action == DMM_FM_DECAP) && dmm_addr_is_zero(&in->peer))
		return -EINVAL;
	if (in->action == DMM_FM_DELIVER && in->match != DMM_FM_DST)
		return -EOPNOTSUPP;
	if (in->action == DMM_FM_DELIVER || (in->match == DMM_FM_SRC && dpu_to_tun(in->action)) ||
	    (in->action == DMM_FM_BUFFER && in->link)) /* a BUFFER passing its peer's packets (fm.h) */
		/* A SRC intent on "any link" (0) would need a rule without iif: not offered. */
		return dpu_link_resolve(dp, in->link, ifname, ifindex);
	return 0;
}

/*
 * Between begin and commit: a pending entry for the intent in slot i, made
 * current (dp->tag) for the requests its install or replace queues. With
 * no room for it the requests go untagged and a refusal of them refuses
 * nothing (the kernel lacks a route, the intent stays).
 */
static void pend_add(struct dmm_dp *dp, uint32_t i)
{
	const struct slot *s = dpu_slot(dp, i);

	if (!dp->batching)
		return;
	if (dp->npend == dp->cappend) {
		uint32_t cap = dp->cappend ? dp->cappend * 2 : 256;
		struct dpu_pend *p = realloc(dp->pend, cap * sizeof(*p));

		if (!p)
			return;
		dp->pend = p;
		dp->cappend = cap;
	}
	dp->tag = dp->npend;
	dp->pend[dp->npend++] = (struct dpu_pend){.id = s->in.id, .seq = s->seq};
}

static int user_install(struct dmm_dp *dp, const struct dmm_intent *in)
{
	struct dmm_intent c = *in;
	char ifname[DMM_DP_IFNAMSIZ] = "";
	int ifindex = 0, i, r;

	if (!in->id || dpu_find_id(dp, in->id) != NONE)
		return -EEXIST;
	r = check_intent(dp, in, ifname, &ifindex);
	if (r < 0)
		return r;
	dmm_prefix_mask(&c.prefix);
	dpu_wlock(dp);
	i = dpu_table_add(dp, &c, ifindex, ifname);
	dpu_wunlock(dp);
	if (i < 0)
		return i;
	pend_add(dp, (uint32_t)i);
	r = sync_kernel(dp, &c, (uint32_t)i, true);
	dp->tag = DPU_NOTAG;
	if (r < 0) {
		dpu_wlock(dp);
		dpu_table_del(dp, (uint32_t)i);
		dpu_wunlock(dp);
		if (c.match == DMM_FM_DST)
			dpu_sync_dst_route(dp, &c.prefix);
		return r;
	}
	if (c.action == DMM_FM_ENCAP || c.action == DMM_FM_DELIVER)
		release_buffered(dp, &c);
	return 0;
}

/* Take slot i out (its kernel route or rule follows) and send on what it held. */
static void drop_slot(struct dmm_dp *dp, uint32_t i)
{
	struct dmm_intent c = dpu_slot(dp, i)->in;

	dpu_wlock(dp);
	dpu_table_del(dp, i);
	dpu_wunlock(dp);
	sync_kernel(dp, &c, i, false);
	if (dpu_slot(dp, i)->bcount)
		dpu_buf_release(dp, i);
}

/*
 * The kernel state of slot i after its intent went from was (on the link
 * wasname/wasindex) to what the slot holds now: the new route or rule
 * first, then the old one's removal when nothing uses it any more, so
 * that the kernel never lacks both. A DST route on the same prefix
 * changes in one RTM_NEWROUTE with NLM_F_REPLACE. 0 or -errno.
 */
static int sync_replaced(struct dmm_dp *dp, uint32_t i, const struct dmm_intent *was, const char *wasname,
			 int wasindex)
{
	const struct slot *s = dpu_slot(dp, i);
	bool same_prefix = dmm_prefix_eq(&was->prefix, &s->in.prefix);
	int r = sync_kernel(dp, &s->in, i, true);

	if (r < 0)
		return r;
	if (passes(was) && !(passes(&s->in) && same_prefix && s->ifindex == wasindex))
		tun_route(dp, false, &was->prefix, 0); /* at a release, flush_done() removes it too */
	if (needs_route(was) && !(needs_route(&s->in) && same_prefix))
		return dpu_sync_dst_route(dp, &was->prefix);
	if (needs_rule(was) && !(needs_rule(&s->in) && same_prefix && s->ifindex == wasindex))
		return dpu_sync_src_rule(dp, &was->prefix, wasname, wasindex, DPU_RULE_DEL);
	if (was->action == DMM_FM_LOCAL &&
	    !(s->in.action == DMM_FM_LOCAL && same_prefix && s->ifindex == wasindex))
		return dpu_rt_local_rule(dp, false, &was->prefix, wasname);
	return 0;
}

/*
 * A BUFFER slot with held packets becoming DELIVER on ifindex: in order
 * (buffer.c) means the held packets leave before the main route of p
 * switches from the TUN to the link, so they need a way of their own
 * there: the flush route "p dev link" in table_base + 1, which the rule
 * "iif <tun>" (rule_prio - 1, added at the first flush) selects, sent at
 * once even in a batch. Whether it is there.
 */
static bool flush_begin(struct dmm_dp *dp, const struct dmm_prefix *p, int ifindex)
{
	if (dp->nflush == dp->capflush) {
		uint32_t cap = dp->capflush ? 2 * dp->capflush : 16;
		struct dmm_prefix *f = realloc(dp->flush, cap * sizeof(*f));

		if (!f)
			return false;
		dp->flush = f;
		dp->capflush = cap;
	}
	if (tun_route(dp, true, p, ifindex) < 0)
		return false;
	dp->flush[dp->nflush] = *p;
	__atomic_store_n(&dp->nflush, dp->nflush + 1, __ATOMIC_RELAXED);
	return true;
}

/* Once the main routes switched (at once, or at commit): the flush routes go. */
static void flush_done(struct dmm_dp *dp)
{
	if (dp->batching || !dp->nflush)
		return;
	for (uint32_t k = 0; k < dp->nflush; k++)
		dpu_rt_route(dp, false, dp->cfg.table_base + 1, &dp->flush[k], 0);
	__atomic_store_n(&dp->nflush, 0, __ATOMIC_RELAXED);
}

#define DRAIN_ROUNDS 64 /* batches read per TUN queue and raw socket by drain_queues */

/*
 * Read every worker's raw socket, then its TUN queue, and treat what they
 * have as the worker would (a BUFFER's packets held behind the others), up
 * to DRAIN_ROUNDS batches each. Workers locked out (dpu_wlock): before a
 * BUFFER is released (buffer.c). The raw sockets first: the message that
 * ends a buffer (a HAck, a PBA) reaches dmmd's own socket while packets
 * that came before it on the same path may still wait in a worker's, and
 * what they decapsulate goes through the TUN.
 */
static void drain_queues(struct dmm_dp *dp)
{
	for (unsigned k = 0; k < dp->nworkers; k++)
		for (unsigned n = 0; n < DRAIN_ROUNDS && dpu_raw_round(&dp->w[k]) > 0; n++)
			;
	for (unsigned k = 0; k < dp->nworkers; k++)
		for (unsigned n = 0; n < DRAIN_ROUNDS && dpu_tun_round(&dp->w[k]) > 0; n++)
			;
}

/*
 * A released BUFFER's main route goes from the TUN to the link at once,
 * also in a batch, the workers still out (buffer.c): what came into the
 * TUN's queues during the release is read first (delivered by the flush
 * route), then the route is replaced and what the kernel routed to the
 * TUN meanwhile is read; a newer packet can overtake only one routed to
 * the TUN during the replace itself. Were the switch left to the commit,
 * every packet still in a queue when it comes would be overtaken.
 */
static int switch_now(struct dmm_dp *dp, uint32_t i, const struct dmm_intent *was, const char *wasname,
		      int wasindex)
{
	bool batching = dp->batching;
	int r;

	drain_queues(dp);
	dp->batching = false;
	r = sync_replaced(dp, i, was, wasname, wasindex);
	dp->batching = batching;
	drain_queues(dp);
	return r;
}

#define RESOLVE_DSTS 4	     /* held destinations resolved before a release onto a link */
#define RESOLVE_MAX_US 20000 /* how long the release waits for them (the daemon thread) */

/* The destinations slot i holds packets for, resolved on ifindex (neigh.h), up to RESOLVE_MAX_US. */
static void resolve_held(struct dmm_dp *dp, uint32_t i, int ifindex)
{
	uint8_t dst[RESOLVE_DSTS][16];
	unsigned n = dpu_buf_dsts(dp, i, dst, RESOLVE_DSTS);

	if (n)
		dp->unresolved += n - dmm_neigh_resolve(dp->nl, &dp->hosts, ifindex, dst, n, RESOLVE_MAX_US);
}

/*
 * A handoff (dataplane.h replace): the slot of old->id takes in's
 * forwarding in place, keeping its id (counters from 0), so no packet meets a
 * missing intent; then the kernel follows (sync_replaced). After an
 * error old is no longer executed either (fm.h).
 */
static int user_replace(struct dmm_dp *dp, const struct dmm_intent *old, const struct dmm_intent *in)
{
	uint32_t i = dpu_find_id(dp, old->id);
	struct dmm_intent c = *in, was;
	char ifname[DMM_DP_IFNAMSIZ] = "", wasname[DMM_DP_IFNAMSIZ];
	int ifindex = 0, wasindex, r;
	bool in_order, pass;

	if (i == NONE)
		return in->id == old->id || dpu_find_id(dp, in->id) == NONE ? user_install(dp, in) : -EEXIST;
	r = in->id == old->id ? check_intent(dp, in, ifname, &ifindex) : -EINVAL;
	if (r < 0) {
		drop_slot(dp, i);
		return r;
	}
	was = dpu_slot(dp, i)->in;
	wasindex = dpu_slot(dp, i)->ifindex;
	memcpy(wasname, dpu_slot(dp, i)->ifname, sizeof(wasname));
	dmm_prefix_mask(&c.prefix);
	/*
	 * BUFFER no more: what it held goes first, before a worker sees the
	 * new intent, behind what the TUN's queues still had for it, and the
	 * flush route only once the workers are out (buffer.c). Delivered on
	 * a link: the host's addresses resolved first (neigh.h), the workers
	 * still running meanwhile (they keep buffering).
	 */
	pass = was.action == DMM_FM_BUFFER && passes(&c) && !passes(&was);
	if (was.action == DMM_FM_BUFFER && (c.action == DMM_FM_DELIVER || pass) && dpu_slot(dp, i)->bcount)
		resolve_held(dp, i, ifindex);
	dpu_wlock(dp);
	if (was.action == DMM_FM_BUFFER && (c.action == DMM_FM_ENCAP || c.action == DMM_FM_DELIVER || pass))
		drain_queues(dp);
	/* Passing from now on: the peer's packets held so far go first, by the same route (fm.h). */
	pass = pass && tun_route(dp, true, &c.prefix, ifindex) == 0;
	in_order = was.action == DMM_FM_BUFFER && dpu_slot(dp, i)->bcount &&
		   (c.action == DMM_FM_ENCAP ||
		    (c.action == DMM_FM_DELIVER && flush_begin(dp, &c.prefix, ifindex)));
	dpu_table_replace(dp, i, &c, ifindex, ifname);
	if (in_order)
		dpu_buf_release(dp, i);
	if (pass)
		dpu_buf_pass_first(dp, i);
	if (in_order && c.action == DMM_FM_DELIVER) {
		r = switch_now(dp, i, &was, wasname, wasindex);
		dpu_wunlock(dp);
	} else {
		dpu_wunlock(dp);
		pend_add(dp, i);
		r = sync_replaced(dp, i, &was, wasname, wasindex);
		dp->tag = DPU_NOTAG;
	}
	if (r < 0) {
		drop_slot(dp, i);
		return r;
	}
	flush_done(dp);
	if (dpu_slot(dp, i)->bcount && c.action != DMM_FM_BUFFER)
		dpu_buf_release(dp, i); /* BUFFER no more: what it held goes where the intents now say */
	if (c.action == DMM_FM_ENCAP || c.action == DMM_FM_DELIVER)
		release_buffered(dp, &c);
	return 0;
}

static void user_remove(struct dmm_dp *dp, const struct dmm_intent *in)
{
	uint32_t i = dpu_find_id(dp, in->id);

	if (i != NONE)
		drop_slot(dp, i);
}

/* ---- batches (dataplane.h begin/commit) ---- */

static void user_begin(struct dmm_dp *dp)
{
	if (dp->batching)
		return;
	dp->batching = true;
	dp->tag = DPU_NOTAG;
	dmm_nl_batch_clear(&dp->batch);
	dp->npend = 0;
}

/* The slot of pending entry p while it still holds that intent (not removed, nor installed anew), or NONE. */
static uint32_t pend_slot(const struct dmm_dp *dp, const struct dpu_pend *p)
{
	uint32_t i = dpu_find_id(dp, p->id);

	return i != NONE && dpu_slot(dp, i)->seq == p->seq ? i : NONE;
}

/* Each pending entry's first refusal (an existing shared rule is none). */
static void batch_errors(struct dmm_dp *dp)
{
	for (unsigned k = 0; k < dp->batch.n; k++) {
		const struct dmm_nl_bent *e = &dp->batch.ent[k];
		uint32_t t = e->tag & ~DPU_TAG_EXIST_OK;

		if (e->tag == DPU_NOTAG || t >= dp->npend || !e->err)
			continue;
		if (e->err == -EEXIST && (e->tag & DPU_TAG_EXIST_OK))
			continue;
		if (!dp->pend[t].err)
			dp->pend[t].err = e->err;
	}
}

/* The kernel route or rule of slot i made to follow the table, at once (after a batch). 0 or -errno. */
static int resync(struct dmm_dp *dp, uint32_t i)
{
	const struct slot *s = dpu_slot(dp, i);

	if (needs_route(&s->in))
		return dpu_sync_dst_route(dp, &s->in.prefix);
	if (needs_rule(&s->in))
		return dpu_sync_src_rule(dp, &s->in.prefix, s->ifname, s->ifindex, DPU_RULE_ENSURE);
	return 0;
}

/* A request refused with ENOMEM, made again as the table now says (nl.h, dmm_nl_nomem_pause). */
static int retry_nomem(struct dmm_dp *dp, uint32_t i, unsigned *budget_us)
{
	int err = -ENOMEM;

	for (unsigned pause = 0; err == -ENOMEM && dmm_nl_nomem_pause(&pause, budget_us);)
		err = resync(dp, i);
	return err;
}

/*
 * Take a refused intent out of slot i, and whatever of it the kernel
 * took: its route now follows the intents left on its prefix (or goes),
 * and its rule stays only while another intent of the batch uses it.
 */
static void undo(struct dmm_dp *dp, uint32_t i)
{
	struct slot *s = dpu_slot(dp, i);
	struct dmm_intent c = s->in;
	char ifname[DMM_DP_IFNAMSIZ];
	int ifindex = s->ifindex;

	memcpy(ifname, s->ifname, sizeof(ifname));
	drop_slot(dp, i);
	if (needs_rule(&c))
		dpu_sync_src_rule(dp, &c.prefix, ifname, ifindex, DPU_RULE_ENSURE);
}

static int user_commit(struct dmm_dp *dp, void (*refused)(void *ctx, uint32_t id, int err), void *ctx)
{
	unsigned budget_us = DMM_NL_NOMEM_BUDGET_US;
	int ret = 0;

	if (!dp->batching)
		return 0;
	dp->batching = false;
	dp->tag = DPU_NOTAG;
	if (dp->batch.n)
		ret = dmm_nl_batch_send(dp->nl, &dp->batch);
	batch_errors(dp);
	for (uint32_t k = 0; k < dp->npend; k++) {
		struct dpu_pend *p = &dp->pend[k];
		uint32_t i = p->err ? pend_slot(dp, p) : NONE;

		/* An intent removed again in the same batch is nobody's refusal. */
		if (i == NONE)
			continue;
		if (p->err == -ENOMEM)
			p->err = retry_nomem(dp, i, &budget_us);
		if (!p->err)
			continue;
		undo(dp, i);
		if (refused)
			refused(ctx, p->id, p->err);
	}
	dmm_nl_batch_clear(&dp->batch);
	dp->npend = 0;
	flush_done(dp); /* the main routes switched: the flush routes go */
	return ret;
}

static int user_counters(struct dmm_dp *dp, uint32_t id, uint64_t *packets, uint64_t *bytes)
{
	uint32_t i;

	if (id == 0) {
		*packets = __atomic_load_n(&dp->drop_packets, __ATOMIC_RELAXED);
		*bytes = __atomic_load_n(&dp->drop_bytes, __ATOMIC_RELAXED);
		return 0;
	}
	i = dpu_find_id(dp, id);
	if (i == NONE)
		return -ENOENT;
	*packets = __atomic_load_n(&dpu_slot(dp, i)->packets, __ATOMIC_RELAXED);
	*bytes = __atomic_load_n(&dpu_slot(dp, i)->bytes, __ATOMIC_RELAXED);
	return 0;
}

/* The workers wait on their own descriptors: nothing for the owner to watch. */
static int user_fd(struct dmm_dp *dp)
{
	(void)dp;
	return -1;
}

static int user_poll(struct dmm_dp *dp)
{
	(void)dp;
	return 0;
}

/* dataplane.h host: kept for resolve_held (neigh.h); a link gone is forgotten by index. */
static int user_host(struct dmm_dp *dp, uint32_t link, const uint8_t *lladdr, unsigned len)
{
	char ifname[DMM_DP_IFNAMSIZ];
	int ifindex = (int)link;

	if (dp->cfg.nlinks && dpu_link_resolve(dp, link, ifname, &ifindex) < 0)
		return len ? -ENODEV : 0;
	return dmm_neigh_host_set(&dp->hosts, ifindex, lladdr, len);
}

const struct dmm_dp_ops dmm_dp_user = {
	.name = "user",
	.fm_caps = DMM_FM_CAP_PASS,
	.open = user_open,
	.close = user_close,
	.install = user_install,
	.remove = user_remove,
	.replace = user_replace,
	.begin = user_begin,
	.commit = user_commit,
	.counters = user_counters,
	.fd = user_fd,
	.poll = user_poll,
	.buf_stats = dpu_buf_stats,
	.host = user_host,
};
