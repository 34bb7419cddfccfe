/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eBPF data plane's hooks in the kernel (bpfdp.h): our program on
 * the clsact ingress hook of the interfaces, with our own filter handle
 * and priority (cfg.rt_proto) so that a later run replaces a filter an
 * earlier one left behind; and this node's IPv6 addresses in the local
 * map, followed through rtnetlink (RTMGRP_IPV6_IFADDR).
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if_arp.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../nl.h"
#include "bpfdp.h"

#define TC_PRIO 0xd3

static bool is_ether(int ifindex)
{
	struct ifreq ifr;
	int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = false;

	memset(&ifr, 0, sizeof(ifr));
	if (s >= 0 && if_indextoname((unsigned)ifindex, ifr.ifr_name) && ioctl(s, SIOCGIFHWADDR, &ifr) == 0)
		ok = ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER;
	if (s >= 0)
		close(s);
	return ok;
}

static int linkinfo_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IFLA_INFO_KIND && strcmp(mnl_attr_get_str(a), "veth") == 0)
		*(bool *)data = true;
	return MNL_CB_OK;
}

struct link_kind {
	bool veth, other_ns;
};

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct link_kind *k = data;

	if (mnl_attr_get_type(a) == IFLA_LINK_NETNSID)
		k->other_ns = true; /* the peer's namespace, given only when it is not ours */
	else if (mnl_attr_get_type(a) == IFLA_LINKINFO)
		mnl_attr_parse_nested(a, linkinfo_cb, &k->veth);
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr_cb, data);
}

/*
 * Whether ifindex is a veth whose peer is in another namespace: the
 * program then hands packets for it straight to the peer's receive path
 * (bpf_redirect_peer), skipping the veth's transmit and the backlog
 * queue (and with them this side's egress hooks and captures).
 */
static bool veth_to_other_ns(int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct dmm_nl *nl = dmm_nl_open(NETLINK_ROUTE);
	struct nlmsghdr *nlh = dmm_nl_msg(buf, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct link_kind k = {false, false};

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (nl && dmm_nl_talk(nl, nlh, link_cb, &k) < 0)
		k.veth = false;
	dmm_nl_close(nl);
	return k.veth && k.other_ns;
}

/*
 * DMM_BPF_REDIRECT_PEER=0 in the environment keeps packets on the veth's
 * transmit path, where a capture on the sending side sees them (tests
 * that capture there, tests/dp/mixed-bpf.sh).
 */
static bool peer_wanted(void)
{
	const char *e = getenv("DMM_BPF_REDIRECT_PEER");

	return !e || strcmp(e, "0") != 0;
}

/* The entry of ifindex in dp->hook (a new one at the end), or NULL when full. */
static struct bdp_hook *hook_entry(struct dmm_dp *dp, int ifindex)
{
	for (unsigned i = 0; i < dp->nhook; i++)
		if (dp->hook[i].ifindex == ifindex)
			return &dp->hook[i];
	if (dp->nhook == BDP_MAX_ATTACH)
		return NULL;
	dp->hook[dp->nhook] = (struct bdp_hook){.ifindex = ifindex};
	return &dp->hook[dp->nhook++];
}

/*
 * Asked of the kernel every time, not of dp->hook alone: an access link
 * that moved to another namespace and back (a handover in the lab) lost
 * its qdisc, and so our filter, on the way.
 */
int bdp_tc_attach(struct dmm_dp *dp, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = dp->cfg.rt_proto, .priority = TC_PRIO);
	struct bdp_hook *h;
	bool leftover;
	int r;

	if (!is_ether(ifindex))
		return -EOPNOTSUPP; /* the program reads an Ethernet header */
	leftover = bpf_tc_query(&hook, &opts) == 0;
	if (leftover && opts.prog_id == dp->prog_id)
		return 0;
	h = hook_entry(dp, ifindex);
	if (!h)
		return -ENOSPC;
	/* A filter of ours from an earlier run came with the qdisc that run added. */
	r = bpf_tc_hook_create(&hook);
	if (r < 0 && r != -EEXIST)
		return r;
	h->created = h->created || r == 0 || leftover;
	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.handle = dp->cfg.rt_proto;
	opts.priority = TC_PRIO;
	opts.prog_fd = dp->prog_fd;
	opts.flags = BPF_TC_F_REPLACE;
	r = bpf_tc_attach(&hook, &opts);
	if (r == 0 && peer_wanted() && veth_to_other_ns(ifindex)) {
		uint32_t ifx = (uint32_t)ifindex;
		uint8_t one = 1;

		bpf_map_update_elem(dp->fd_veth_peer, &ifx, &one, BPF_ANY);
	}
	return r;
}

int bdp_tc_attach_all(struct dmm_dp *dp, char *err, size_t errlen)
{
	struct if_nameindex *ifs = if_nameindex(), *p;
	int r = 0;

	if (!ifs) {
		dmm_dp_seterr(err, errlen, "listing interfaces: %s", strerror(errno));
		return -errno;
	}
	for (p = ifs; p->if_index; p++) {
		if (!is_ether((int)p->if_index))
			continue;
		r = bdp_tc_attach(dp, (int)p->if_index);
		if (r < 0) {
			dmm_dp_seterr(err, errlen, "%s: tc ingress: %s", p->if_name, strerror(-r));
			break;
		}
	}
	if_freenameindex(ifs);
	return r;
}

void bdp_tc_detach_all(struct dmm_dp *dp)
{
	for (unsigned i = 0; i < dp->nhook; i++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = dp->hook[i].ifindex,
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = dp->cfg.rt_proto, .priority = TC_PRIO);

		bpf_tc_detach(&hook, &opts); /* the interface may have gone, and our filter with it */
		if (dp->hook[i].created) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS; /* the clsact qdisc */
			bpf_tc_hook_destroy(&hook);
		}
	}
	dp->nhook = 0;
}

static void local_set(struct dmm_dp *dp, const void *addr, bool add)
{
	uint8_t one = 1;

	if (add)
		bpf_map_update_elem(dp->fd_local, addr, &one, BPF_ANY);
	else
		bpf_map_delete_elem(dp->fd_local, addr);
}

int bdp_local_open(struct dmm_dp *dp)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV6_IFADDR};
	struct ifaddrs *ifa, *p;

	dp->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (dp->nl < 0)
		return -errno;
	if (bind(dp->nl, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	/* Subscribed first, then listed: a change in between is in both, and applying it twice is harmless. */
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (p = ifa; p; p = p->ifa_next)
		if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET6)
			local_set(dp, &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, true);
	freeifaddrs(ifa);
	return 0;
}

int bdp_local_poll(struct dmm_dp *dp)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	int handled = 0;
	ssize_t n;

	while ((n = recv(dp->nl, buf, sizeof(buf), 0)) > 0) {
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n);
		     h = NLMSG_NEXT(h, n)) {
			struct ifaddrmsg *ifa = NLMSG_DATA(h);
			int len = (int)IFA_PAYLOAD(h);

			if ((h->nlmsg_type != RTM_NEWADDR && h->nlmsg_type != RTM_DELADDR) ||
			    ifa->ifa_family != AF_INET6)
				continue;
			for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len))
				if ((a->rta_type == IFA_ADDRESS || a->rta_type == IFA_LOCAL) &&
				    RTA_PAYLOAD(a) == 16)
					local_set(dp, RTA_DATA(a), h->nlmsg_type == RTM_NEWADDR);
			handled++;
		}
	}
	return handled;
}
