/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eBPF data plane's routes (bpfdp.h): packets this node sends itself
 * pass no ingress hook, so every DST prefix with an intent also gets a
 * route in the main table (protocol cfg.rt_proto), as the kernel and user
 * backends install one:
 *
 *   ENCAP      P dev D encap bpf xmit dmm_local: the program (dmm.bpf.c)
 *              pushes the outer header and has the kernel route the outer
 *              packet (BPF_LWT_REROUTE). D is the interface of the route
 *              to the peer when the intent came; any device would do, the
 *              outer packet is routed again.
 *   DELIVER    P dev L encap bpf xmit dmm_local: counted, then out of L
 *              (the kernel resolves the neighbour).
 *   BUFFER     P dev dmmh<N>, the hold device (bpf.c), when there is one:
 *              this node's own packets are held too;
 *   DROP, BUFFER  blackhole P.
 *
 * A packet forwarded by the stack (one the ingress program leaves to it,
 * or one from an interface without the hook) takes the same route.
 * A route the kernel refuses does not refuse the intent: the packets that
 * arrive are still forwarded by the ingress program. Route changes are
 * therefore sent without asking for an acknowledgement (rtnetlink handles
 * a request within the send, so the route is there when it returns; a
 * refusal's error message is read and dropped before the next send):
 * waiting for the answer would double an install's time.
 *
 * Between begin() and commit() (dmmd's burst of Mobility Headers) the
 * messages are queued and go in one send at commit: the kernel takes
 * them in order from the one buffer (rtnetlink handles each message of
 * a send in turn), and the install's own time is the map update and the
 * message's construction. The forwarding itself is the map update, done
 * at once; the route serves only the node's own packets.
 *
 * At close the routes go; open() removes what a killed run left (routes
 * of our protocol that are blackholes or carry a BPF program).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/lwtunnel.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../hold.h"
#include "../nl.h"
#include "bpfdp.h"

#define OIF_NS 1000000000ull /* how long the interface to a peer is believed */
#define RBATCH (256u << 10)  /* route messages queued before a send of their own */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int oif_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct rtmsg))
	{
		if (mnl_attr_get_type(a) == RTA_OIF)
			*(int *)data = (int)mnl_attr_get_u32(a);
	}
	return MNL_CB_OK;
}

/* The interface of the route to peer (asked once per peer and second), or 0. */
static int peer_oif(struct dmm_dp *dp, const struct dmm_addr *peer)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct bdp_oif *o = &dp->oif[peer->b[15] % BDP_OIF_SLOTS];
	uint64_t t = now_ns();
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int oif = 0;

	if (o->ns && t - o->ns < OIF_NS && memcmp(&o->peer, peer, sizeof(*peer)) == 0)
		return o->oif;
	nlh = dmm_nl_msg(buf, RTM_GETROUTE, 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = 128;
	mnl_attr_put(nlh, RTA_DST, 16, peer->b);
	if (dmm_nl_talk(dp->rnl, nlh, oif_cb, &oif) < 0)
		oif = 0;
	*o = (struct bdp_oif){.peer = *peer, .oif = oif, .ns = t};
	return oif;
}

static struct nlmsghdr *route_msg(const struct dmm_dp *dp, char *buf, uint16_t type, uint16_t flags,
				  const struct dmm_prefix *p, uint8_t rtype)
{
	struct nlmsghdr *nlh = dmm_nl_msg(buf, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = p->len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = dp->cfg.rt_proto;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = rtype;
	mnl_attr_put(nlh, RTA_DST, 16, p->addr.b);
	return nlh;
}

/* Read what refusals came back (no NLM_F_ACK: only they do), counting them. */
static void route_refusals(struct dmm_dp *dp)
{
	char junk[512];

	while (recv(dp->rsk, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		dp->route_refused++;
}

/* Send what is queued, in one send. */
static void route_flush(struct dmm_dp *dp)
{
	if (!dp->rlen)
		return;
	route_refusals(dp);
	if (send(dp->rsk, dp->rbuf, dp->rlen, 0) < 0)
		dp->route_refused++;
	dp->rlen = 0;
}

/* Send nlh on the route socket (or queue it, between begin and commit), no acknowledgement asked. */
static void route_send(struct dmm_dp *dp, struct nlmsghdr *nlh)
{
	size_t len = NLMSG_ALIGN(nlh->nlmsg_len);

	nlh->nlmsg_flags |= NLM_F_REQUEST;
	nlh->nlmsg_seq = ++dp->route_seq;
	if (dp->batching && dp->rbuf && len <= RBATCH) {
		if (dp->rlen + len > RBATCH)
			route_flush(dp);
		memcpy(dp->rbuf + dp->rlen, nlh, nlh->nlmsg_len);
		memset(dp->rbuf + dp->rlen + nlh->nlmsg_len, 0, len - nlh->nlmsg_len);
		dp->rlen += len;
		return;
	}
	/* Refusals read every 64 requests, not one recv per request. */
	if (dp->route_seq % 64 == 0)
		route_refusals(dp);
	if (send(dp->rsk, nlh, nlh->nlmsg_len, 0) < 0)
		dp->route_refused++;
}

void bdp_route_begin(struct dmm_dp *dp)
{
	dp->batching = true;
}

void bdp_route_commit(struct dmm_dp *dp)
{
	if (dp->rsk >= 0)
		route_flush(dp);
	dp->batching = false;
}

void bdp_route_send_now(struct dmm_dp *dp)
{
	if (dp->rsk >= 0)
		route_flush(dp);
}

void bdp_route_sync(struct dmm_dp *dp, const struct dmm_prefix *p, const struct bdp_slot *best)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *enc, *xmit;
	int dev;

	if (dp->rsk < 0)
		return;
	if (!best) {
		route_send(dp, route_msg(dp, buf, RTM_DELROUTE, 0, p, RTN_UNSPEC));
		return;
	}
	if (best->in.action == DMM_FM_BUFFER && dp->hold) {
		nlh = route_msg(dp, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, p, RTN_UNICAST);
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)dmm_hold_ifindex(dp->hold));
		route_send(dp, nlh);
		return;
	}
	if (best->in.action == DMM_FM_DROP || best->in.action == DMM_FM_BUFFER) {
		route_send(dp,
			   route_msg(dp, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, p, RTN_BLACKHOLE));
		return;
	}
	dev = best->in.action == DMM_FM_DELIVER ? (int)best->ifindex : peer_oif(dp, &best->in.peer);
	if (dev <= 0) {
		route_send(dp, route_msg(dp, buf, RTM_DELROUTE, 0, p, RTN_UNSPEC));
		return; /* no way to the peer now: arriving packets still meet the ingress program */
	}
	nlh = route_msg(dp, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, p, RTN_UNICAST);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)dev);
	mnl_attr_put_u16(nlh, RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_BPF);
	enc = mnl_attr_nest_start(nlh, RTA_ENCAP);
	xmit = mnl_attr_nest_start(nlh, LWT_BPF_XMIT);
	mnl_attr_put_u32(nlh, LWT_BPF_PROG_FD, (uint32_t)dp->lwt_fd);
	mnl_attr_put_strz(nlh, LWT_BPF_PROG_NAME, "dmm_local");
	mnl_attr_nest_end(nlh, xmit);
	mnl_attr_put_u32(nlh, LWT_BPF_XMIT_HEADROOM, 40);
	mnl_attr_nest_end(nlh, enc);
	route_send(dp, nlh);
}

struct leftover {
	uint8_t proto;
	struct dmm_nl_list dels;
};

static int leftover_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct leftover *l = data;
	bool bpf = false;
	struct nlattr *a;

	if (rtm->rtm_protocol != l->proto || rtm->rtm_table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm))
	{
		if (mnl_attr_get_type(a) == RTA_ENCAP_TYPE && mnl_attr_get_u16(a) == LWTUNNEL_ENCAP_BPF)
			bpf = true;
	}
	if (bpf || rtm->rtm_type == RTN_BLACKHOLE)
		return dmm_nl_list_add(&l->dels, nlh);
	return MNL_CB_OK;
}

int bdp_route_open(struct dmm_dp *dp)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct leftover l = {.proto = dp->cfg.rt_proto};
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int one = 1, sz = 2 * RBATCH;

	dp->rnl = dmm_nl_open(NETLINK_ROUTE);
	dp->rbuf = malloc(RBATCH);
	if (!dp->rnl)
		return -errno;
	dp->rsk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (dp->rsk < 0 || bind(dp->rsk, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	/* A refusal comes back without the request. */
	setsockopt(dp->rsk, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(dp->rsk, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(dp->rsk, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	nlh = dmm_nl_msg(buf, RTM_GETROUTE, 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	dmm_nl_dump(dp->rnl, nlh, leftover_cb, &l);
	dmm_nl_list_send(dp->rnl, &l.dels, RTM_DELROUTE);
	dmm_nl_list_free(&l.dels);
	return 0;
}

void bdp_route_close(struct dmm_dp *dp)
{
	if (!dp->rnl && dp->rsk < 0)
		return;
	dp->batching = false;
	if (dp->rsk >= 0)
		route_flush(dp);
	for (uint32_t i = 0; dp->t.slot && i < dp->t.cap; i++) {
		const struct bdp_slot *s = &dp->t.slot[i];

		if (s->used && s->kind == BDP_DST && bdp_best(&dp->t, s) == i)
			bdp_route_sync(dp, &s->in.prefix, NULL);
	}
	dmm_nl_close(dp->rnl);
	dp->rnl = NULL;
	if (dp->rsk >= 0)
		close(dp->rsk);
	dp->rsk = -1;
	free(dp->rbuf);
	dp->rbuf = NULL;
	dp->rlen = 0;
}
