/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MAAR's prefixes in the routing system (docs/dmm-protocol.md §11,
 * RFC 7429 GAP1-1). dmmd speaks no routing protocol: it keeps every
 * prefix its MAAR anchors in a kernel routing table of its own (the
 * anchored table: one "unreachable" route per prefix, rtm_protocol =
 * the data plane's route protocol, 0xd3 by default), which the routing
 * daemon on the node (BIRD, lab/bird/) learns and announces; and it
 * watches the table in which the routing daemon installs the network's
 * best routes (the routed table): a route for a prefix there means the
 * network routes that prefix to another MAAR's announcement, which the
 * MAAR role takes as the end of a hand-over (dmm_maar_routed()).
 *
 * The route's metric ranks announcements of one prefix: 1 for the MAAR
 * that allocated it, and one more than the rank the routed table shows
 * for it (the current anchor's, as the routing daemon copies it there)
 * for a MAAR that takes it over; the routing daemon prefers the higher
 * rank (lab/bird/maar.conf), so the newer anchor wins everywhere while
 * both announce.
 *
 * One request per change, one multicast socket for the watch: no scans
 * per message. The anchored table is emptied of our routes at start
 * (leftovers of a killed run) and at stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../dataplane/nl.h"
#include "anchored.h"
#include "dmm/fmt.h"
#include "dmm/maar.h"
#include "dmmd.h"

#define RANK_OWN 1u

struct dmmd_anchored {
	struct dmmd *d;
	struct dmm_nl *nl;	  /* requests */
	struct mnl_socket *watch; /* RTNLGRP_IPV6_ROUTE, when a routed table is set */
	uint32_t atable, rtable;
	uint8_t proto;
	uint64_t added, removed, failed, seen;
	char rx[8192];
};

static void route_hdr(struct nlmsghdr *nlh, uint32_t table, uint8_t proto, const struct dmm_prefix *p)
{
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = p->len;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	rtm->rtm_protocol = proto;
	rtm->rtm_type = RTN_UNREACHABLE;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	mnl_attr_put(nlh, RTA_DST, 16, p->addr.b);
}

struct rank_q {
	const struct dmm_prefix *p;
	uint32_t table, rank;
	bool found;
};

static int rank_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rank_q *q = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	uint32_t table = rtm->rtm_table, prio = 0;
	bool dst_ok = false;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET6 || rtm->rtm_dst_len != q->p->len)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm))
	{
		if (mnl_attr_get_type(a) == RTA_TABLE && mnl_attr_get_payload_len(a) == 4)
			table = mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == RTA_DST && mnl_attr_get_payload_len(a) == 16)
			dst_ok = memcmp(mnl_attr_get_payload(a), q->p->addr.b, 16) == 0;
		else if (mnl_attr_get_type(a) == RTA_PRIORITY && mnl_attr_get_payload_len(a) == 4)
			prio = mnl_attr_get_u32(a);
	}
	if (dst_ok && table == q->table) {
		q->found = true;
		q->rank = prio;
	}
	return MNL_CB_OK;
}

/*
 * The rank the routed table shows for p (the current anchor's), 0 if
 * none. IPv6 route lookups ignore RTA_TABLE, so this is a dump of the
 * IPv6 routes, filtered here: once per take-over, never per message.
 */
static uint32_t routed_rank(struct dmmd_anchored *an, const struct dmm_prefix *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct rank_q q = {p, an->rtable, 0, false};

	if (!an->rtable)
		return 0;
	nlh = dmm_nl_msg(buf, RTM_GETROUTE, 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	if (dmm_nl_dump(an->nl, nlh, rank_cb, &q) < 0 || !q.found)
		return 0;
	return q.rank;
}

void dmmd_anchored_event(struct dmmd_anchored *an, const struct dmm_prefix *p, bool up, bool taken_over)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], ps[DMM_PREFIX_STRLEN];
	struct nlmsghdr *nlh;
	uint32_t rank = RANK_OWN;
	int rc;

	if (!an || !an->atable)
		return;
	if (up && taken_over) {
		uint32_t cur = routed_rank(an, p);

		rank = (cur > RANK_OWN ? cur : RANK_OWN) + 1;
	}
	nlh = dmm_nl_msg(buf, up ? RTM_NEWROUTE : RTM_DELROUTE, up ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	route_hdr(nlh, an->atable, an->proto, p);
	if (up)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, rank);
	rc = dmm_nl_request(an->nl, nlh);
	if (rc < 0 && !(rc == -ESRCH && !up)) {
		an->failed++;
		dmm_logf(&an->d->log, DMM_LOG_ERR, DMM_LC_DP, "anchored table %u: prefix %s %s: %s %s",
			 an->atable, dmm_prefix_str(p, ps), up ? "not added" : "not removed", strerror(-rc),
			 dmm_nl_error(an->nl));
		return;
	}
	up ? an->added++ : an->removed++;
	dmm_logf(&an->d->log, DMM_LOG_INFO, DMM_LC_DP, "anchored table %u: prefix %s %s (rank %u)",
		 an->atable, dmm_prefix_str(p, ps), up ? "announced" : "withdrawn", up ? rank : 0);
}

/* --- leftovers: our routes in the anchored table --- */

struct flush_q {
	uint8_t proto;
	uint32_t table;
	struct dmm_nl_list l;
};

/* The route's table: RTA_TABLE, else rtm_table. */
static uint32_t route_table(const struct nlmsghdr *nlh)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	uint32_t table = rtm->rtm_table;

	mnl_attr_for_each(a, nlh, sizeof(*rtm))
	{
		if (mnl_attr_get_type(a) == RTA_TABLE && mnl_attr_get_payload_len(a) == 4)
			table = mnl_attr_get_u32(a);
	}
	return table;
}

/* Dumps are not filtered by the kernel (no strict checking): only ours, in the anchored table. */
static int flush_cb(const struct nlmsghdr *nlh, void *data)
{
	struct flush_q *q = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET6 || rtm->rtm_protocol != q->proto ||
	    route_table(nlh) != q->table)
		return MNL_CB_OK;
	return dmm_nl_list_add(&q->l, nlh);
}

static void flush(struct dmmd_anchored *an)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = dmm_nl_msg(buf, RTM_GETROUTE, 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct flush_q q = {an->proto, an->atable, {0}};

	rtm->rtm_family = AF_INET6;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, RTA_TABLE, an->atable);
	if (dmm_nl_dump(an->nl, nlh, flush_cb, &q) == 0 && q.l.count) {
		unsigned n = dmm_nl_list_send(an->nl, &q.l, RTM_DELROUTE);

		dmm_logf(&an->d->log, DMM_LOG_INFO, DMM_LC_DP, "anchored table %u: %u routes removed",
			 an->atable, n);
	}
	dmm_nl_list_free(&q.l);
}

/* --- the routed table's changes --- */

static void routed_change(struct dmmd_anchored *an, const struct nlmsghdr *nlh)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	uint32_t table = rtm->rtm_table;
	struct dmm_prefix p;
	bool has_dst = false;

	if (rtm->rtm_family != AF_INET6 || rtm->rtm_protocol == an->proto)
		return;
	memset(&p, 0, sizeof(p));
	mnl_attr_for_each(a, nlh, sizeof(*rtm))
	{
		if (mnl_attr_get_type(a) == RTA_TABLE && mnl_attr_get_payload_len(a) == 4)
			table = mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == RTA_DST && mnl_attr_get_payload_len(a) == 16) {
			memcpy(p.addr.b, mnl_attr_get_payload(a), 16);
			has_dst = true;
		}
	}
	if (table != an->rtable || !has_dst)
		return;
	p.len = rtm->rtm_dst_len;
	an->seen++;
	if (an->d->cfg.role == DMMD_ROLE_MAAR &&
	    dmm_maar_routed(an->d->role, &p, nlh->nlmsg_type == RTM_NEWROUTE, dmm_io_now()) > 0)
		an->d->rearm(an->d);
}

static int watch_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWROUTE || nlh->nlmsg_type == RTM_DELROUTE)
		routed_change(data, nlh);
	return MNL_CB_OK;
}

static void on_watch(void *ctx, int fd, uint32_t ev)
{
	struct dmmd_anchored *an = ctx;
	ssize_t n;

	(void)fd;
	(void)ev;
	while ((n = mnl_socket_recvfrom(an->watch, an->rx, sizeof(an->rx))) > 0)
		(void)mnl_cb_run(an->rx, (size_t)n, 0, 0, watch_cb, an);
	if (n < 0 && errno == ENOBUFS)
		dmm_logf(&an->d->log, DMM_LOG_WARN, DMM_LC_DP, "routed table %u: route events lost",
			 an->rtable);
}

static int open_watch(struct dmmd_anchored *an)
{
	int fd;

	an->watch = mnl_socket_open(NETLINK_ROUTE);
	if (!an->watch || mnl_socket_bind(an->watch, 0, MNL_SOCKET_AUTOPID) < 0)
		return -1;
	fd = mnl_socket_get_fd(an->watch);
	if (mnl_socket_setsockopt(an->watch, NETLINK_ADD_MEMBERSHIP, &(int){RTNLGRP_IPV6_ROUTE},
				  sizeof(int)) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -1;
	return dmm_loop_add(an->d->loop, fd, on_watch, an);
}

struct dmmd_anchored *dmmd_anchored_open(struct dmmd *d, uint8_t proto)
{
	struct dmmd_anchored *an;

	if (!d->cfg.anchored_table && !d->cfg.routed_table)
		return NULL;
	an = calloc(1, sizeof(*an));
	if (!an)
		return NULL;
	an->d = d;
	an->atable = d->cfg.anchored_table;
	an->rtable = d->cfg.routed_table;
	an->proto = proto;
	an->nl = dmm_nl_open(NETLINK_ROUTE);
	if (!an->nl || (an->rtable && open_watch(an) < 0)) {
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_DP, "anchored/routed tables: netlink: %s",
			 strerror(errno));
		dmmd_anchored_close(an);
		return NULL;
	}
	if (an->atable)
		flush(an);
	dmm_logf(&d->log, DMM_LOG_INFO, DMM_LC_DP,
		 "anchored prefixes in table %u, network routes from table %u", an->atable, an->rtable);
	return an;
}

void dmmd_anchored_close(struct dmmd_anchored *an)
{
	if (!an)
		return;
	if (an->watch) {
		dmm_loop_del(an->d->loop, mnl_socket_get_fd(an->watch));
		mnl_socket_close(an->watch);
	}
	if (an->nl && an->atable)
		flush(an);
	dmm_nl_close(an->nl);
	free(an);
}

void dmmd_anchored_stats(const struct dmmd_anchored *an, uint64_t out[4])
{
	out[0] = an ? an->added : 0;
	out[1] = an ? an->removed : 0;
	out[2] = an ? an->failed : 0;
	out[3] = an ? an->seen : 0;
}
