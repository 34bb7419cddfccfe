/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The next hop of each peer, for sending tunnelled packets through a
 * packet socket (user.h, "Sending through a packet socket"): the
 * interface and gateway of the kernel's route to the peer
 * (RTM_GETROUTE) and the gateway's link-layer address from the
 * neighbour table (RTM_GETNEIGH), on the worker's own netlink socket.
 * Each worker keeps a small cache of them; an entry lives DPU_NH_TTL_NS,
 * an unresolved one DPU_NH_RETRY_NS, and whatever cannot be resolved
 * (no route, no neighbour entry yet, a device with no 6-byte link-layer
 * address) goes through the raw socket, which also has the kernel
 * resolve or re-probe the neighbour.
 */
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <string.h>
#include <time.h>

#include "user.h"

struct route_ans {
	int oif;
	bool gw;
	uint8_t via[16];
};

static int route_attr(const struct nlattr *a, void *data)
{
	struct route_ans *r = data;

	if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_get_payload_len(a) == 4)
		r->oif = (int)mnl_attr_get_u32(a);
	else if (mnl_attr_get_type(a) == RTA_GATEWAY && mnl_attr_get_payload_len(a) == 16) {
		memcpy(r->via, mnl_attr_get_payload(a), 16);
		r->gw = true;
	}
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWROUTE)
		mnl_attr_parse(nlh, sizeof(struct rtmsg), route_attr, data);
	return MNL_CB_OK;
}

struct neigh_ans {
	bool ok;
	uint8_t mac[6];
};

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
	const unsigned valid = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;
	struct neigh_ans *n = data;
	struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || !(nd->ndm_state & valid))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*nd))
	{
		if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == 6) {
			memcpy(n->mac, mnl_attr_get_payload(a), 6);
			n->ok = true;
		}
	}
	return MNL_CB_OK;
}

/* Resolve e->peer into e->ll: route, then neighbour. True when it can go through the packet socket. */
static bool nh_resolve(struct dpu_worker *w, struct dpu_nh *e)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct route_ans r = {0};
	struct neigh_ans n = {0};
	struct nlmsghdr *nlh = dmm_nl_msg(buf, RTM_GETROUTE, 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct ndmsg *nd;

	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = 128;
	mnl_attr_put(nlh, RTA_DST, 16, e->peer.b);
	mnl_attr_put(nlh, RTA_SRC, 16, w->dp->cfg.local.b);
	rtm->rtm_src_len = 128;
	if (dmm_nl_talk(w->nl, nlh, route_cb, &r) < 0 || r.oif <= 0)
		return false;
	nlh = dmm_nl_msg(buf, RTM_GETNEIGH, 0);
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = AF_INET6;
	nd->ndm_ifindex = r.oif;
	mnl_attr_put(nlh, NDA_DST, 16, r.gw ? r.via : e->peer.b);
	if (dmm_nl_talk(w->nl, nlh, neigh_cb, &n) < 0 || !n.ok)
		return false;
	memset(&e->ll, 0, sizeof(e->ll));
	e->ll.sll_family = AF_PACKET;
	e->ll.sll_protocol = htons(ETH_P_IPV6);
	e->ll.sll_ifindex = r.oif;
	e->ll.sll_halen = 6;
	memcpy(e->ll.sll_addr, n.mac, 6);
	return true;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const struct sockaddr_ll *dpu_nh_get(struct dpu_worker *w, const struct dmm_addr *peer)
{
	uint32_t h = 0;
	struct dpu_nh *e;

	if (w->pkt < 0 || !w->nl)
		return NULL;
	for (int i = 0; i < 16; i += 4)
		h ^= (uint32_t)peer->b[i] << 24 | (uint32_t)peer->b[i + 1] << 16 | peer->b[i + 2] << 8 |
		     peer->b[i + 3];
	e = &w->nh[(h ^ (h >> 16)) % DPU_NH_SLOTS];
	if (!w->now)
		w->now = now_ns();
	if (e->used && dmm_addr_eq(&e->peer, peer) && w->now < e->expires)
		return e->ok ? &e->ll : NULL;
	e->used = true;
	e->peer = *peer;
	e->ok = nh_resolve(w, e);
	e->expires = w->now + (e->ok ? DPU_NH_TTL_NS : DPU_NH_RETRY_NS);
	/* This packet goes through the raw socket: the kernel's neighbour entry is used and kept fresh. */
	return NULL;
}

int dpu_nh_open(struct dpu_worker *w)
{
	int sz = 4 << 20;

	/* Protocol 0: it sends only. Through the device's queue (no PACKET_QDISC_BYPASS): a bypass also skips
	 * the taps, and a capture on the sending side (tcpdump) would see none of its packets. */
	w->pkt = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->pkt < 0)
		return -errno;
	if (setsockopt(w->pkt, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(w->pkt, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	w->nl = dmm_nl_open(NETLINK_ROUTE);
	return w->nl ? 0 : -errno;
}

void dpu_nh_close(struct dpu_worker *w)
{
	if (w->pkt >= 0)
		close(w->pkt);
	w->pkt = -1;
	dmm_nl_close(w->nl);
	w->nl = NULL;
}
