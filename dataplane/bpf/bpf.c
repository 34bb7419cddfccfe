/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * eBPF data plane: forwarding intents as entries of BPF maps, executed
 * by one TC program (dmm.bpf.c) on the clsact ingress hook of every
 * Ethernet interface of the node (those there at open(), and an access
 * link a SRC intent names later).
 *
 *   DST P -> ENCAP/DELIVER/DROP/BUFFER   dst[P] (LPM trie)
 *   SRC P link L -> ENCAP/DROP/BUFFER    src[L, P] (LPM; L 0: any link)
 *   DST P <- DECAP peer                  decap_dst[peer, P] (LPM)
 *   SRC P <- DECAP peer                  decap_src[peer, P] (LPM)
 *
 * Intents that share a key (the same map, prefix and peer or link) are
 * kept in user space (table.c); the map holds the best of them (lowest
 * precedence, then the newest), as the other backends keep one route
 * per destination. Installing an intent is one map update (and the
 * reset of its counters); a DST intent's prefix also gets a route
 * (route.c), for the packets this node sends itself.
 *
 * On the wire: the bytes of the user backend. Outer source cfg.local,
 * destination the peer, traffic class and flow label 0, hop limit 64,
 * next header 41, no extension header; the inner hop limit is
 * decremented first (RFC 2473 §3.1), as the kernel's forwarding does
 * before the user backend's TUN. bpf_skb_adjust_room() with
 * BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 keeps a TCP GSO packet one packet, marked
 * IPXIP6, so it is segmented (or offloaded) after encapsulation, and
 * with BPF_F_ADJ_ROOM_DECAP_L3_IPV6 the receiving end clears that mark.
 *
 * After encapsulation the program looks the outer destination up in the
 * kernel's FIB (bpf_fib_lookup) and redirects the packet to the
 * interface it names (bpf_redirect with the neighbour's address, or
 * bpf_redirect_neigh while the neighbour is unresolved), rather than
 * handing it back to the stack: the routing pass a returned packet would
 * take again costs the time the program saves, and that pass would
 * decrement the outer hop limit we wrote. The FIB lookup also gives the
 * path MTU: a packet that does not fit the tunnel draws an ICMPv6 Packet
 * Too Big with the tunnel MTU from the tunnel address (RFC 2473 §7.1,
 * RFC 4443 §3.2), as the user backend's TUN makes the kernel send.
 *
 * A decapsulated packet goes to its link if a DELIVER intent holds its
 * destination (bpf_redirect_neigh: the destination is the neighbour),
 * else along the FIB; the stack gets it when the FIB does not forward it.
 * DELIVER also applies to packets that arrive unencapsulated. Packets
 * this node sends itself pass no ingress hook: the route of their DST
 * prefix takes them, with the program dmm_local at its transmit (route.c).
 * Between veths whose peer is in another namespace the program redirects
 * to the peer's receive path (bpf_redirect_peer, tc.c's veth_peer map).
 *
 * BUFFER (a DST one: the downlink of a detached MN) sends the prefix's
 * packets to the hold device, a TUN device whose reader (dataplane/hold.c,
 * shared with the kernel backend) keeps them per intent within the
 * configured bounds: the map entry carries the device (hold), and the
 * program redirects what it meets there, decapsulated packets too; the
 * prefix's route points at the device for this node's own packets. The
 * packets stay in the kernel until the program sees them and in dmmd
 * only for the detached window. Without the device (it could not be
 * made) BUFFER drops and counts, as SRC BUFFER always does.
 *
 * The release (a held BUFFER replaced by forwarding, RFC 5949 §4.1 at a
 * previous or new MAG, RFC 8885 §3.5 at an anchor), in order:
 *   1. the map entry takes the new action and keeps the hold device: what
 *      arrives still goes to the device, behind what is held;
 *   2. the prefix's route takes the new action, sent at once (also in a
 *      burst): it is what forwards packets written back to the device;
 *   3. onto a link: the held destinations made valid neighbours (neigh.h);
 *   4. the held packets are written back, oldest first, then what the
 *      device has, until it is empty (the kernel forwards each within
 *      the write, by that route: one forwarding, one hop);
 *   5. the map entry loses the device: new packets go straight;
 *   6. the device is read once more and what came is written back.
 * Only a packet redirected during step 5's map update and not yet read
 * when a newer one goes straight can be overtaken: the window of one
 * map update.
 *
 * A SRC intent leaves link-local and multicast destinations (ND, RS,
 * MLD) and this node's own addresses (the local map, following
 * rtnetlink) to the stack, as the kernel backend's rules after the local
 * table do.
 *
 * Counters: per intent and per CPU (a PERCPU_ARRAY indexed by slot),
 * inner packets and inner bytes, summed by counters(); id 0 counts the
 * tunnelled packets from no known peer and the packets with no way to
 * their peer, which are dropped. A GSO packet counts once.
 *
 * At close every filter goes, with the clsact qdiscs we added; the
 * program and maps are not pinned, so they go with the last reference.
 * A run that was killed leaves its filters (and so its program) on the
 * interfaces; the next open() replaces them, and its close removes them.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <sys/epoll.h>

#include "dmm/fmt.h"
#include "../hold.h"
#include "../nl.h"
#include "bpfdp.h"
#include "dmm.skel.h"

static void bdp_close(struct dmm_dp *dp);

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("DMM_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int load(struct dmm_dp *dp, char *err, size_t errlen)
{
	int r;

	libbpf_set_print(quiet);
	dp->skel = dmm_bpf__open();
	if (!dp->skel) {
		dmm_dp_seterr(err, errlen, "opening the BPF object: %s", strerror(errno));
		return -errno;
	}
	memcpy((void *)dp->skel->rodata->local_addr, dp->cfg.local.b, 16);
	r = dmm_bpf__load(dp->skel);
	if (r < 0) {
		dmm_dp_seterr(err, errlen, "loading the BPF program: %s (DMM_BPF_DEBUG=1 shows the verifier)",
			      strerror(-r));
		return r;
	}
	dp->prog_fd = bpf_program__fd(dp->skel->progs.dmm_ingress);
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(dp->prog_fd, &info, &len) < 0) {
		dmm_dp_seterr(err, errlen, "the BPF program's id: %s", strerror(errno));
		return -errno;
	}
	dp->prog_id = info.id;
	dp->fd_dst = bpf_map__fd(dp->skel->maps.dst);
	dp->fd_src = bpf_map__fd(dp->skel->maps.src);
	dp->fd_decap_dst = bpf_map__fd(dp->skel->maps.decap_dst);
	dp->fd_decap_src = bpf_map__fd(dp->skel->maps.decap_src);
	dp->fd_local = bpf_map__fd(dp->skel->maps.local);
	dp->fd_veth_peer = bpf_map__fd(dp->skel->maps.veth_peer);
	dp->lwt_fd = bpf_program__fd(dp->skel->progs.dmm_local);
	dp->fd_counters = bpf_map__fd(dp->skel->maps.counters);
	return 0;
}

/*
 * The hold device, up. Optional: without it BUFFER drops and counts
 * (DMM_BPF_DEBUG=1 says why it could not be made).
 */
static void hold_open(struct dmm_dp *dp)
{
	char why[200];

	dp->hold = dmm_hold_open(&dp->cfg, why, sizeof(why));
	if (dp->hold && dmm_nl_link_up(dp->rnl, dmm_hold_ifindex(dp->hold)) < 0) {
		snprintf(why, sizeof(why), "hold device up: %s", dmm_nl_error(dp->rnl));
		dmm_hold_close(dp->hold);
		dp->hold = NULL;
	}
	if (!dp->hold && getenv("DMM_BPF_DEBUG"))
		fprintf(stderr, "bpf data plane: BUFFER drops: %s\n", why);
}

/* One descriptor for fd(): the address socket and the hold device. 0 or -errno. */
static int events_open(struct dmm_dp *dp)
{
	struct epoll_event ev = {.events = EPOLLIN};

	dp->efd = epoll_create1(EPOLL_CLOEXEC);
	if (dp->efd < 0)
		return -errno;
	ev.data.fd = dp->nl;
	if (epoll_ctl(dp->efd, EPOLL_CTL_ADD, dp->nl, &ev) < 0)
		return -errno;
	if (!dp->hold)
		return 0;
	ev.data.fd = dmm_hold_fd(dp->hold);
	return epoll_ctl(dp->efd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0 ? -errno : 0;
}

static struct dmm_dp *bdp_open(const struct dmm_dp_cfg *cfg, char *err, size_t errlen)
{
	struct dmm_dp *dp = calloc(1, sizeof(*dp));
	int r;

	if (!dp) {
		dmm_dp_seterr(err, errlen, "out of memory");
		return NULL;
	}
	dp->cfg = *cfg;
	if (!dp->cfg.rt_proto)
		dp->cfg.rt_proto = 0xd3;
	dp->nl = -1;
	dp->rsk = -1;
	dp->efd = -1;
	dp->releasing = BDP_NONE;
	dp->ncpu = libbpf_num_possible_cpus();
	r = dp->ncpu > 0 ? 0 : -ENOMEM;
	if (r == 0 && (!(dp->percpu = calloc((size_t)dp->ncpu, sizeof(*dp->percpu))) ||
		       !(dp->counted = calloc(DMM_BPF_MAX_INTENTS, 1)) ||
		       bdp_table_init(&dp->t, DMM_BPF_MAX_INTENTS) < 0))
		r = -ENOMEM;
	if (r < 0) {
		dmm_dp_seterr(err, errlen, "out of memory");
		goto err;
	}
	for (unsigned i = 0; i < dp->cfg.nlinks; i++)
		if (!if_nametoindex(dp->cfg.link[i].ifname)) {
			dmm_dp_seterr(err, errlen, "link %u: no interface %s", dp->cfg.link[i].id,
				      dp->cfg.link[i].ifname);
			r = -ENODEV;
			goto err;
		}
	if ((r = load(dp, err, errlen)) < 0)
		goto err;
	if ((r = bdp_local_open(dp)) < 0) {
		dmm_dp_seterr(err, errlen, "this node's addresses: %s", strerror(-r));
		goto err;
	}
	if ((r = bdp_route_open(dp)) < 0) {
		dmm_dp_seterr(err, errlen, "rtnetlink: %s", strerror(-r));
		goto err;
	}
	hold_open(dp);
	if ((r = events_open(dp)) < 0) {
		dmm_dp_seterr(err, errlen, "epoll: %s", strerror(-r));
		goto err;
	}
	if ((r = bdp_tc_attach_all(dp, err, errlen)) < 0)
		goto err;
	return dp;
err:
	bdp_close(dp);
	errno = -r;
	return NULL;
}

static void bdp_close(struct dmm_dp *dp)
{
	if (!dp)
		return;
	bdp_tc_detach_all(dp);
	bdp_route_close(dp);
	dmm_hold_close(dp->hold);
	dmm_neigh_hosts_free(&dp->hosts);
	dmm_bpf__destroy(dp->skel);
	if (dp->efd >= 0)
		close(dp->efd);
	if (dp->nl >= 0)
		close(dp->nl);
	bdp_table_fini(&dp->t);
	free(dp->percpu);
	free(dp->counted);
	free(dp);
}

/* The interface of link id: from the link table, or the interface index itself (dataplane.h). */
static int link_resolve(const struct dmm_dp *dp, uint32_t id, uint32_t *ifindex)
{
	char name[IF_NAMESIZE];

	for (unsigned i = 0; i < dp->cfg.nlinks; i++)
		if (dp->cfg.link[i].id == id) {
			*ifindex = if_nametoindex(dp->cfg.link[i].ifname);
			return *ifindex ? 0 : -ENODEV;
		}
	if (dp->cfg.nlinks || !id || !if_indextoname(id, name))
		return -ENODEV;
	*ifindex = id;
	return 0;
}

/* Whether in can be executed; the interface of its link when it names one. 0 or -errno. */
static int check_intent(struct dmm_dp *dp, const struct dmm_intent *in, uint32_t *ifindex)
{
	int r;

	*ifindex = 0;
	if (!in->id || in->match > DMM_FM_SRC || in->action > DMM_FM_DROP || in->prefix.len > 128)
		return -EINVAL;
	if ((in->action == DMM_FM_ENCAP || in->action == DMM_FM_DECAP) && dmm_addr_is_zero(&in->peer))
		return -EINVAL;
	if (in->action == DMM_FM_DELIVER && in->match != DMM_FM_DST)
		return -EOPNOTSUPP;
	if (in->action == DMM_FM_DELIVER ||
	    (in->match == DMM_FM_SRC && in->action != DMM_FM_DECAP && in->link)) {
		r = link_resolve(dp, in->link, ifindex);
		if (r < 0)
			return r;
	}
	if (in->match == DMM_FM_SRC && *ifindex)
		return bdp_tc_attach(dp, (int)*ifindex); /* an access link that came after open() */
	return 0;
}

/* The map of kind, and the key of slot s in it (size returned). */
static int map_key(const struct dmm_dp *dp, const struct bdp_slot *s, void *key, size_t *size)
{
	const struct dmm_intent *in = &s->in;

	if (s->kind == BDP_DST) {
		struct dmm_bpf_dst_key *k = key;

		k->prefixlen = in->prefix.len;
		memcpy(k->addr, in->prefix.addr.b, 16);
		*size = sizeof(*k);
		return dp->fd_dst;
	}
	if (s->kind == BDP_SRC) {
		struct dmm_bpf_src_key *k = key;
		uint32_t l = s->ifindex;

		k->prefixlen = 32 + in->prefix.len;
		k->ifindex[0] = (uint8_t)(l >> 24), k->ifindex[1] = (uint8_t)(l >> 16);
		k->ifindex[2] = (uint8_t)(l >> 8), k->ifindex[3] = (uint8_t)l;
		memcpy(k->addr, in->prefix.addr.b, 16);
		*size = sizeof(*k);
		return dp->fd_src;
	}
	struct dmm_bpf_decap_key *k = key;

	k->prefixlen = 128 + in->prefix.len;
	memcpy(k->peer, in->peer.b, 16);
	memcpy(k->addr, in->prefix.addr.b, 16);
	*size = sizeof(*k);
	return s->kind == BDP_DECAP_DST ? dp->fd_decap_dst : dp->fd_decap_src;
}

/* Whether s's packets go to the hold device: a DST BUFFER, with the device there. */
static bool held(const struct dmm_dp *dp, const struct bdp_slot *s)
{
	return dp->hold && s->kind == BDP_DST && s->in.action == DMM_FM_BUFFER;
}

/* The map entry of s's key made to follow b, the best intent left with that key (BDP_NONE: none). 0 or -errno. */
static int map_sync(struct dmm_dp *dp, const struct bdp_slot *s, uint32_t b)
{
	union {
		struct dmm_bpf_dst_key d;
		struct dmm_bpf_src_key s;
		struct dmm_bpf_decap_key x;
	} key;
	int fd, r;
	size_t ksize;

	memset(&key, 0, sizeof(key));
	fd = map_key(dp, s, &key, &ksize);
	if (b == BDP_NONE) {
		r = bpf_map_delete_elem(fd, &key);
		return r < 0 && errno != ENOENT ? -errno : 0;
	}
	const struct bdp_slot *w = &dp->t.slot[b];

	if (w->kind == BDP_DECAP_DST || w->kind == BDP_DECAP_SRC) {
		uint32_t slot = b + 1;

		r = bpf_map_update_elem(fd, &key, &slot, BPF_ANY);
	} else {
		struct dmm_bpf_fwd f = {.slot = b + 1, .action = w->in.action, .ifindex = w->ifindex};

		if (held(dp, w) || b == dp->releasing)
			f.hold = (uint32_t)dmm_hold_ifindex(dp->hold);
		memcpy(f.peer, w->in.peer.b, 16);
		r = bpf_map_update_elem(fd, &key, &f, BPF_ANY);
	}
	return r < 0 ? -errno : 0;
}

/* The map entry and route of s's key made to follow the best intent left with that key. 0 or -errno. */
static int sync_key(struct dmm_dp *dp, const struct bdp_slot *s)
{
	uint32_t b = bdp_best(&dp->t, s);

	if (s->kind == BDP_DST)
		bdp_route_sync(dp, &s->in.prefix, b == BDP_NONE ? NULL : &dp->t.slot[b]);
	return map_sync(dp, s, b);
}

/* s into its key's map entry and route, its hold entry made first when it holds. 0 or -errno. */
static int hold_and_sync(struct dmm_dp *dp, const struct bdp_slot *s)
{
	int r = held(dp, s) ? dmm_hold_start(dp->hold, s->in.id, &s->in.prefix, &s->in.peer) : 0;

	return r < 0 ? r : sync_key(dp, s);
}

/* A new forwarding counts from 0. */
static void reset_counters(struct dmm_dp *dp, uint32_t i)
{
	uint32_t k = i + 1;

	memset(dp->percpu, 0, (size_t)dp->ncpu * sizeof(*dp->percpu));
	bpf_map_update_elem(dp->fd_counters, &k, dp->percpu, BPF_ANY);
}

static int bdp_install(struct dmm_dp *dp, const struct dmm_intent *in)
{
	struct dmm_intent c = *in;
	uint32_t ifindex;
	int i, r;

	if (!in->id || bdp_find_id(&dp->t, in->id) != BDP_NONE)
		return -EEXIST;
	r = check_intent(dp, in, &ifindex);
	if (r < 0)
		return r;
	dmm_prefix_mask(&c.prefix);
	i = bdp_table_add(&dp->t, &c, ifindex);
	if (i < 0)
		return i;
	/* A slot never installed before counts from 0 already (the map starts zeroed): one update less. */
	if (dp->counted[i])
		reset_counters(dp, (uint32_t)i);
	dp->counted[i] = 1;
	r = hold_and_sync(dp, &dp->t.slot[i]);
	if (r < 0) {
		bdp_table_del(&dp->t, (uint32_t)i);
		sync_key(dp, &dp->t.slot[i]);
		if (held(dp, &dp->t.slot[i]))
			dmm_hold_end(dp->hold, c.id);
	}
	return r;
}

static void bdp_remove(struct dmm_dp *dp, const struct dmm_intent *in)
{
	uint32_t i = bdp_find_id(&dp->t, in->id);

	if (i == BDP_NONE)
		return;
	bdp_table_del(&dp->t, i);
	sync_key(dp, &dp->t.slot[i]);
	if (held(dp, &dp->t.slot[i]))
		dmm_hold_end(dp->hold, in->id); /* what it held goes where the kernel's route says now */
}

/*
 * Slot i, a held BUFFER before (was), now forwards: its held packets
 * go first, in order (steps 1 to 6 of the design above), all at once,
 * also in a burst. 0 or -errno of the map update.
 */
static int release(struct dmm_dp *dp, uint32_t i, const struct bdp_slot *was)
{
	const struct bdp_slot *s = &dp->t.slot[i];
	uint32_t id = s->in.id;
	int r;

	dp->releasing = i;
	r = sync_key(dp, s);
	sync_key(dp, was); /* the old key: its next best, or nothing (the same key: unchanged) */
	bdp_route_send_now(dp);
	if (s->in.action == DMM_FM_DELIVER) /* no held packet waits in a neighbour queue (neigh.h) */
		dmm_hold_resolve(dp->hold, id, dp->rnl, &dp->hosts, (int)s->ifindex);
	dmm_hold_flush(dp->hold, id);
	dp->releasing = BDP_NONE;
	if (r == 0)
		r = map_sync(dp, s, bdp_best(&dp->t, s));
	dmm_hold_end(dp->hold, id);
	return r;
}

/*
 * A handoff (dataplane.h replace): the slot of old->id takes in's
 * forwarding, keeping its id (counters from 0); the map entry of the new
 * key is written before the old key's entry follows, so a packet meets
 * the old forwarding or the new one. After an error old is gone too.
 */
static int bdp_replace(struct dmm_dp *dp, const struct dmm_intent *old, const struct dmm_intent *in)
{
	uint32_t i = bdp_find_id(&dp->t, old->id), ifindex;
	struct dmm_intent c = *in;
	struct bdp_slot was;
	int r;

	if (i == BDP_NONE)
		return in->id == old->id || bdp_find_id(&dp->t, in->id) == BDP_NONE ? bdp_install(dp, in)
										    : -EEXIST;
	r = in->id == old->id ? check_intent(dp, in, &ifindex) : -EINVAL;
	if (r < 0) {
		bdp_remove(dp, old);
		return r;
	}
	was = dp->t.slot[i];
	dmm_prefix_mask(&c.prefix);
	bdp_table_set(&dp->t, i, &c, ifindex);
	reset_counters(dp, i);
	if (held(dp, &was) && !held(dp, &dp->t.slot[i])) {
		r = release(dp, i, &was);
	} else {
		r = hold_and_sync(dp, &dp->t.slot[i]);
		sync_key(dp, &was); /* the old key: its next best, or nothing (the same key: unchanged) */
	}
	if (r < 0)
		bdp_remove(dp, in);
	return r;
}

static int bdp_counters(struct dmm_dp *dp, uint32_t id, uint64_t *packets, uint64_t *bytes)
{
	uint32_t i = id ? bdp_find_id(&dp->t, id) : BDP_NONE, k;

	if (id && i == BDP_NONE)
		return -ENOENT;
	k = id ? i + 1 : 0;
	if (bpf_map_lookup_elem(dp->fd_counters, &k, dp->percpu) < 0)
		return -errno;
	*packets = *bytes = 0;
	for (int c = 0; c < dp->ncpu; c++) {
		*packets += dp->percpu[c].packets;
		*bytes += dp->percpu[c].bytes;
	}
	return 0;
}

static int bdp_fd(struct dmm_dp *dp)
{
	return dp->efd;
}

/*
 * The address changes, and what the hold device has (held, or written
 * back once released): both read without blocking, so fd() (level
 * triggered) is ready again only while one of them has more.
 */
static int bdp_poll(struct dmm_dp *dp)
{
	return bdp_local_poll(dp) + (dp->hold ? dmm_hold_poll(dp->hold) : 0);
}

/* dataplane.h host: kept for the release's resolution (neigh.h); a link gone is forgotten by index. */
static int bdp_host(struct dmm_dp *dp, uint32_t link, const uint8_t *lladdr, unsigned len)
{
	uint32_t ifindex;

	if (link_resolve(dp, link, &ifindex) < 0)
		return len ? -ENODEV : 0;
	return dmm_neigh_host_set(&dp->hosts, (int)ifindex, lladdr, len);
}

/* dataplane.h access_link: the hook goes on while the link is down (tc.c). */
static int bdp_access_link(struct dmm_dp *dp, uint32_t link)
{
	uint32_t ifindex;

	if (link_resolve(dp, link, &ifindex) < 0)
		return -ENODEV;
	return bdp_tc_attach(dp, (int)ifindex);
}

static int bdp_buf_stats(struct dmm_dp *dp, struct dmm_dp_buf_stats *st)
{
	if (!dp->hold)
		return -ENOTSUP;
	dmm_hold_stats(dp->hold, st);
	return 0;
}

/* A burst of intents (dataplane.h): the map updates at once, their routes in one send at commit (route.c). */
static void bdp_begin(struct dmm_dp *dp)
{
	bdp_route_begin(dp);
}

static int bdp_commit(struct dmm_dp *dp, void (*refused)(void *ctx, uint32_t id, int err), void *ctx)
{
	(void)refused;
	(void)ctx;
	bdp_route_commit(dp);
	return 0;
}

const struct dmm_dp_ops dmm_dp_bpf = {
	.name = "bpf",
	.open = bdp_open,
	.close = bdp_close,
	.install = bdp_install,
	.remove = bdp_remove,
	.replace = bdp_replace,
	.begin = bdp_begin,
	.commit = bdp_commit,
	.counters = bdp_counters,
	.fd = bdp_fd,
	.poll = bdp_poll,
	.host = bdp_host,
	.access_link = bdp_access_link,
	.buf_stats = bdp_buf_stats,
};
