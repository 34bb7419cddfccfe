/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel data plane: forwarding intents as rtnetlink objects (libmnl).
 *
 * Mapping (every route carries rtm_protocol = cfg.rt_proto, every rule
 * FRA_PROTOCOL = cfg.rt_proto, so a later run can find and remove them):
 *
 *   DST P -> ENCAP peer    route P in main, encap seg6 mode encap.red with
 *                          the single segment peer. With one segment the
 *                          kernel writes no SRH: plain IPv6-in-IPv6 (RFC
 *                          2473, next header 41). The outer source is the
 *                          per-netns seg6 tunnel source, set to cfg.local
 *                          at open() (this kernel has no per-route source).
 *   DST P -> DELIVER L     route P dev L (on link), and under it, once
 *                          per prefix however many DELIVER intents it
 *                          has, "blackhole P metric 1025" (guard_route):
 *                          when L goes, the kernel deletes "P dev L" with
 *                          it, and until the intent is replaced P's
 *                          packets are dropped, not sent up the default
 *                          route into a loop through the anchor.
 *   DST P -> DROP          route type blackhole P (drops silently: no ICMPv6
 *                          unreachable, unlike "unreachable"/"prohibit").
 *   DST P -> BUFFER        route P dev dmmh<N>, a TUN whose packets dmmd
 *                          holds within the configured bounds (hold.c),
 *                          and delivers in order when the intent is
 *                          replaced: through a flush route for P in
 *                          table cfg.table_base, which the rule "iif
 *                          dmmh<N> lookup base" (rule_prio-2) selects,
 *                          before P's main route changes. Without the
 *                          TUN (no /dev/net/tun), and for a SRC BUFFER,
 *                          blackhole as DROP.
 *   SRC P [iif L] -> X     the source-specific route "default from P"
 *                          (an IPv6 subtree) doing X, metric as for DST,
 *                          in the table of link L: one table per access
 *                          link (cfg.table_base+1+slot, made at its first
 *                          SRC intent, gone with its last), selected by
 *                          one rule "iif L lookup T_L" at cfg.rule_prio,
 *                          and one table of SRC intents without a link,
 *                          "lookup T" at cfg.rule_prio+1 (after them).
 *                          Within a table the kernel picks the longest
 *                          source prefix, then the lowest metric; a packet
 *                          from no such prefix finds no route there and
 *                          goes on to the next rule. So a packet passes a
 *                          rule per access link, not per intent, and an
 *                          install or a handoff is one route message
 *                          (NLM_F_REPLACE on the same link; on another,
 *                          the new link's route before the old one goes).
 *   DST P iif L -> LOCAL   localized routing (RFC 6705): the rule "to P iif L
 *                          lookup main" at rule_prio-1, ahead of L's SRC
 *                          table, so a packet from one access link to an
 *                          MN on another is routed by its destination (the
 *                          DELIVER route of P) instead of being tunnelled.
 *                          No counter.
 *   * -> DECAP peer        the decapsulation machinery, refcounted over
 *                          DECAP intents, plus one rule per peer:
 *       table cfg.table_base:  local/128 encap seg6local End.DT6 table 254
 *       rule rule_prio-2:      from peer to local/128 ipproto 41 lookup base
 *       rule rule_prio-1:      lookup local   (moved from priority 0)
 *     cfg.local also receives the Mobility Header (135) and everything
 *     else; only protocol 41 from a known peer is decapsulated. The local
 *     table rule has to move below the decap rule, because at priority 0
 *     it would deliver the tunnelled packets locally before any other rule
 *     is consulted (and no ip6tnl exists to take them). The SRC rules stay
 *     after it, so packets from an MN to the gateway itself are delivered.
 *     End.DT6 looks up table 254 only: an inner packet addressed to this
 *     node itself is not delivered (environment.md §1a); gateways forward.
 *
 * Counters: plain routes and rules have none in the kernel, so each
 * intent also gets a counter in a table of the backend's own, "inet
 * dmm_<rt_proto>": an element of an nftables set, so that a packet costs
 * a few set lookups however many intents there are (nft.c says where
 * each one counts).
 * Without nf_tables the backend still forwards, and counters() returns
 * -ENOTSUP.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/genetlink.h>
#include <linux/lwtunnel.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/seg6.h>
#include <linux/seg6_genl.h>
#include <linux/seg6_iptunnel.h>
#include <linux/seg6_local.h>

#include "dmm/dataplane.h"
#include "dmm/fmt.h"
#include "../nl.h"
#include "kernel.h"
#include "../neigh.h"
#include "../hold.h"
#include "ktable.h"
#include "nft.h"

#ifndef SEG6_IPTUN_MODE_ENCAP_RED
#define SEG6_IPTUN_MODE_ENCAP_RED 3 /* Linux 5.19+ */
#endif
#ifndef IPV6_SRCRT_TYPE_4
#define IPV6_SRCRT_TYPE_4 4
#endif

#define KDP_DEFAULT_TABLE_BASE 1000
#define KDP_DEFAULT_RULE_PRIO 1000
#define KDP_DEFAULT_PROTO 0xd3
#define KDP_MAIN_TABLE RT_TABLE_MAIN

/* Tag of a queued message whose failure refuses nothing (a delete). */
#define KDP_NOTAG UINT32_MAX

/*
 * The metric of the blackhole under DELIVER routes (guard_route): worse
 * than every intent's route (1 + precedence: at most 256 for dmmd's
 * precedences) and than the kernel's own routes (1024), so it decides
 * only when nothing else routes the prefix. The user data plane's
 * DPU_GUARD_METRIC.
 */
#define KDP_GUARD_METRIC 1025

/*
 * The device of the route to a tunnel peer, as the kernel said at ns
 * (CLOCK_MONOTONIC), kept KDP_OIF_NS: an encap route needs a real device,
 * but the packet is routed again after encapsulation, so a device that
 * is no longer the best one still forwards right. Asking once per peer
 * and second, not per install, saves a round trip from most installs.
 */
#define KDP_OIF_SLOTS 256
#define KDP_OIF_NS 1000000000ull
struct kdp_oif {
	struct dmm_addr peer;
	int oif; /* 0: none */
	uint64_t ns;
};

/* An install or replace queued in the batch; err: the first refusal of its messages. */
struct kdp_pend {
	uint32_t id;
	bool replace;
	struct kdp_intent old; /* replace: what was installed before */
	int err;
};

/*
 * The table of the SRC intents of one access link (ifindex 0: of any
 * link), table_base + 1 + its slot, with the rule that selects it.
 */
struct kdp_slink {
	int ifindex; /* -1: slot free */
	uint32_t refs;
	char ifname[IF_NAMESIZE];
};

struct dmm_dp {
	struct dmm_dp_cfg cfg;
	struct dmm_nl *nl;	      /* NETLINK_ROUTE */
	struct dmm_neigh_hosts hosts; /* the host on each access link (neigh.h) */
	struct dmm_nl *genl;	      /* NETLINK_GENERIC, for the seg6 tunnel source */
	uint16_t seg6_family;
	bool tunsrc_set; /* we changed it; restore old_tunsrc at close */
	struct dmm_addr old_tunsrc;
	struct kdp_itab t; /* intents by id, SRC tables, peers by address */
	uint32_t decap_refs;
	int decap_ifindex;
	struct kdp_nft *nft;   /* NULL: no counters */
	struct dmm_hold *hold; /* NULL: BUFFER is a blackhole */
	bool hold_rule;	       /* "iif dmmh<N> lookup table_base" installed (at the first BUFFER) */
	bool closing;
	/* Between begin and commit: the intents' messages wait in batch, one pending entry per intent. */
	bool batching;
	struct dmm_nl_batch batch;
	struct kdp_pend *pend;
	uint32_t npend, cappend;
	uint32_t tag; /* the pending entry the messages being queued belong to */
	struct kdp_oif oifs[KDP_OIF_SLOTS];
	struct kdp_slink *slinks; /* SRC tables, by slot */
	uint32_t nslinks;
	char nft_why[256]; /* why there is no nft */
	char lasterr[256];
};

__attribute__((format(printf, 2, 3))) static void set_err(struct dmm_dp *dp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dp->lasterr, sizeof(dp->lasterr), fmt, ap);
	va_end(ap);
}

const char *dmm_dp_kernel_last_error(const struct dmm_dp *dp)
{
	return dp->lasterr;
}

/* ---- netlink request / reply ---- */

/*
 * dmm_nl_talk() on sk (dp->nl or dp->genl). Returns 0 or -errno; on
 * failure the kernel's message (or the socket error) is in lasterr.
 */
static int nl_talk(struct dmm_dp *dp, struct dmm_nl *sk, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	int ret = dmm_nl_talk(sk, nlh, cb, data);

	if (ret < 0)
		set_err(dp, "%s", dmm_nl_error(sk));
	return ret;
}

/*
 * A change for an intent: queued in the batch between begin and commit
 * (tagged with the current pending entry when a refusal of it refuses
 * the intent), else sent at once. 0 or -errno.
 */
static int req(struct dmm_dp *dp, struct nlmsghdr *nlh, bool tagged)
{
	if (!dp->batching)
		return nl_talk(dp, dp->nl, nlh, NULL, NULL);
	if (dmm_nl_batch_add(&dp->batch, nlh, tagged ? dp->tag : KDP_NOTAG) < 0) {
		set_err(dp, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* ---- message builders ---- */

static void put_prefix(struct nlmsghdr *nlh, uint16_t type, const struct dmm_prefix *p)
{
	if (p->len)
		mnl_attr_put(nlh, type, 16, p->addr.b);
}

static struct nlmsghdr *route_msg(struct dmm_dp *dp, char *buf, uint16_t type, uint16_t flags, uint32_t table,
				  const struct dmm_prefix *dst, uint8_t rtype, uint32_t metric)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = dst->len;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = dp->cfg.rt_proto;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = rtype;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	put_prefix(nlh, RTA_DST, dst);
	if (metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
	return nlh;
}

/* encap seg6 mode encap.red segs <peer>: one segment, so no SRH on the wire. */
static void put_encap_red(struct nlmsghdr *nlh, const struct dmm_addr *peer)
{
	char b[sizeof(struct seg6_iptunnel_encap) + sizeof(struct ipv6_sr_hdr) + 16] = {0};
	struct seg6_iptunnel_encap *t = (struct seg6_iptunnel_encap *)b;
	struct ipv6_sr_hdr *srh = t->srh;
	struct nlattr *nest;

	t->mode = SEG6_IPTUN_MODE_ENCAP_RED;
	srh->hdrlen = (sizeof(*srh) + 16) / 8 - 1;
	srh->type = IPV6_SRCRT_TYPE_4;
	srh->segments_left = 0;
	srh->first_segment = 0;
	memcpy(&srh->segments[0], peer->b, 16);
	nest = mnl_attr_nest_start(nlh, RTA_ENCAP);
	mnl_attr_put(nlh, SEG6_IPTUNNEL_SRH, sizeof(b), b);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u16(nlh, RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_SEG6);
}

static void put_end_dt6(struct nlmsghdr *nlh, uint32_t table)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, RTA_ENCAP);

	mnl_attr_put_u32(nlh, SEG6_LOCAL_ACTION, SEG6_LOCAL_ACTION_END_DT6);
	mnl_attr_put_u32(nlh, SEG6_LOCAL_TABLE, table);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u16(nlh, RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_SEG6_LOCAL);
}

struct rule_spec {
	uint32_t prio;
	uint32_t table;
	const struct dmm_prefix *src, *dst; /* NULL: any */
	int iif;			    /* 0: any */
	const char *iifname;		    /* instead of iif */
	uint8_t ipproto;		    /* 0: any */
	bool marked;			    /* FRA_PROTOCOL = rt_proto */
};

static struct nlmsghdr *rule_msg(struct dmm_dp *dp, char *buf, uint16_t type, uint16_t flags,
				 const struct rule_spec *s)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;
	char ifname[IF_NAMESIZE];

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_INET6;
	frh->action = FR_ACT_TO_TBL;
	frh->table = s->table < 256 ? (uint8_t)s->table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_TABLE, s->table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, s->prio);
	if (s->src) {
		frh->src_len = s->src->len;
		put_prefix(nlh, FRA_SRC, s->src);
	}
	if (s->dst) {
		frh->dst_len = s->dst->len;
		put_prefix(nlh, FRA_DST, s->dst);
	}
	if (s->iifname)
		mnl_attr_put_strz(nlh, FRA_IIFNAME, s->iifname);
	else if (s->iif && if_indextoname((unsigned)s->iif, ifname))
		mnl_attr_put_strz(nlh, FRA_IIFNAME, ifname);
	if (s->ipproto)
		mnl_attr_put_u8(nlh, FRA_IP_PROTO, s->ipproto);
	if (s->marked)
		mnl_attr_put_u8(nlh, FRA_PROTOCOL, dp->cfg.rt_proto);
	return nlh;
}

static int rule_do(struct dmm_dp *dp, uint16_t type, const struct rule_spec *s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint16_t flags = type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0;

	return nl_talk(dp, dp->nl, rule_msg(dp, buf, type, flags, s), NULL, NULL);
}

/* ---- route lookups ---- */

static int cb_oif(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr;
	int *oif = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(struct rtmsg))
	{
		if (mnl_attr_get_type(attr) == RTA_OIF && mnl_attr_get_payload_len(attr) == 4)
			*oif = (int)mnl_attr_get_u32(attr);
	}
	return MNL_CB_OK;
}

/* The interface the kernel would send to addr on; 0 or -errno. */
static int route_get_oif_now(struct dmm_dp *dp, const struct dmm_addr *addr, int *oif)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = 128;
	mnl_attr_put(nlh, RTA_DST, 16, addr->b);
	*oif = 0;
	return nl_talk(dp, dp->nl, nlh, cb_oif, oif);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* route_get_oif_now(), asked once per peer and KDP_OIF_NS (the lookup is a round trip). */
static int route_get_oif(struct dmm_dp *dp, const struct dmm_addr *addr, int *oif)
{
	uint64_t h = 0, now = mono_ns();
	struct kdp_oif *c;
	int ret;

	for (int i = 0; i < 16; i += 8) {
		uint64_t w;

		memcpy(&w, addr->b + i, 8);
		h ^= w;
	}
	c = &dp->oifs[dmm_hash_u64(h) % KDP_OIF_SLOTS];
	if (c->oif && dmm_addr_eq(&c->peer, addr) && now - c->ns < KDP_OIF_NS) {
		*oif = c->oif;
		return 0;
	}
	ret = route_get_oif_now(dp, addr, oif);
	*c = (struct kdp_oif){.peer = *addr, .oif = ret == 0 ? *oif : 0, .ns = now};
	return ret;
}

/*
 * A device for a route whose lwtunnel decides where packets go. It must
 * not be a loopback device: the kernel turns routes via lo into rejects.
 * The interface holding cfg.local if it is not lo, else the first up,
 * non-loopback interface.
 */
static int pick_dev(const struct dmm_addr *local)
{
	struct ifaddrs *ifa, *i;
	int first = 0, owner = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 || (i->ifa_flags & IFF_LOOPBACK) ||
		    !(i->ifa_flags & IFF_UP))
			continue;
		if (!first)
			first = (int)if_nametoindex(i->ifa_name);
		if (!memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, local->b, 16))
			owner = (int)if_nametoindex(i->ifa_name);
	}
	freeifaddrs(ifa);
	return owner ? owner : first;
}

/* ---- seg6 tunnel source (generic netlink family "SEG6") ---- */

static int cb_family(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr;
	uint16_t *id = data;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
	{
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID && mnl_attr_get_payload_len(attr) == 2)
			*id = mnl_attr_get_u16(attr);
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *genl_msg(char *buf, uint16_t family, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

static int seg6_family(struct dmm_dp *dp)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = genl_msg(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	int ret;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, SEG6_GENL_NAME);
	ret = nl_talk(dp, dp->genl, nlh, cb_family, &dp->seg6_family);
	if (ret == 0 && !dp->seg6_family)
		ret = -ENOENT;
	return ret;
}

static int cb_tunsrc(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
	{
		if (mnl_attr_get_type(attr) == SEG6_ATTR_DST && mnl_attr_get_payload_len(attr) == 16)
			memcpy(data, mnl_attr_get_payload(attr), 16);
	}
	return MNL_CB_OK;
}

static int tunsrc_get(struct dmm_dp *dp, struct dmm_addr *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	memset(a, 0, sizeof(*a));
	return nl_talk(dp, dp->genl, genl_msg(buf, dp->seg6_family, SEG6_CMD_GET_TUNSRC, SEG6_GENL_VERSION),
		       cb_tunsrc, a->b);
}

static int tunsrc_set(struct dmm_dp *dp, const struct dmm_addr *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = genl_msg(buf, dp->seg6_family, SEG6_CMD_SET_TUNSRC, SEG6_GENL_VERSION);

	mnl_attr_put(nlh, SEG6_ATTR_DST, 16, a->b);
	return nl_talk(dp, dp->genl, nlh, NULL, NULL);
}

/* ---- leftovers of an earlier run: dump, collect, delete ---- */

struct collect {
	struct dmm_dp *dp;
	struct dmm_nl_list list; /* netlink messages to send back as deletes */
	bool moved_local;	 /* one of ours was the moved "lookup local" rule */
};

static int cb_rule_leftover(const struct nlmsghdr *nlh, void *data)
{
	struct collect *c = data;
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	bool ours = false;
	uint32_t table = frh->table;

	if (nlh->nlmsg_type != RTM_NEWRULE)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*frh))
	{
		if (mnl_attr_get_type(attr) == FRA_PROTOCOL && mnl_attr_get_u8(attr) == c->dp->cfg.rt_proto)
			ours = true;
		if (mnl_attr_get_type(attr) == FRA_TABLE)
			table = mnl_attr_get_u32(attr);
	}
	if (!ours)
		return MNL_CB_OK;
	if (table == RT_TABLE_LOCAL)
		c->moved_local = true;
	return dmm_nl_list_add(&c->list, nlh);
}

/* Only the keys ip6_route_del() matches on, so no attribute of the dump is misread. */
static int cb_route_leftover(const struct nlmsghdr *nlh, void *data)
{
	struct collect *c = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *del;
	struct rtmsg *drtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_protocol != c->dp->cfg.rt_proto ||
	    (rtm->rtm_flags & RTM_F_CLONED))
		return MNL_CB_OK;
	del = mnl_nlmsg_put_header(buf);
	del->nlmsg_type = RTM_DELROUTE;
	drtm = mnl_nlmsg_put_extra_header(del, sizeof(*drtm));
	*drtm = *rtm;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm))
	{
		switch (mnl_attr_get_type(attr)) {
		case RTA_TABLE:
		case RTA_DST:
		case RTA_SRC:
		case RTA_PRIORITY:
		case RTA_OIF:
			mnl_attr_put(del, mnl_attr_get_type(attr), mnl_attr_get_payload_len(attr),
				     mnl_attr_get_payload(attr));
			break;
		default:
			break;
		}
	}
	return dmm_nl_list_add(&c->list, del);
}

static int local_rule_at0(struct dmm_dp *dp, uint16_t type)
{
	struct rule_spec s = {.prio = 0, .table = RT_TABLE_LOCAL};

	return rule_do(dp, type, &s);
}

/* Remove every rule and route that carries our marker. Returns how many went, or -errno. */
static int sweep(struct dmm_dp *dp)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct collect c = {.dp = dp};
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	int ret, n = 0;

	nlh = dmm_nl_msg(buf, RTM_GETRULE, 0);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(struct fib_rule_hdr));
	g->rtgen_family = AF_INET6;
	ret = dmm_nl_dump(dp->nl, nlh, cb_rule_leftover, &c);
	if (ret < 0)
		goto out;
	/* Put the local table back at priority 0 before removing our copy of it. */
	if (c.moved_local) {
		ret = local_rule_at0(dp, RTM_NEWRULE);
		if (ret < 0 && ret != -EEXIST)
			goto out;
	}
	n += (int)dmm_nl_list_send(dp->nl, &c.list, RTM_DELRULE);

	dmm_nl_list_clear(&c.list);
	nlh = dmm_nl_msg(buf, RTM_GETROUTE, 0);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(struct rtmsg));
	g->rtgen_family = AF_INET6;
	ret = dmm_nl_dump(dp->nl, nlh, cb_route_leftover, &c);
	if (ret < 0)
		goto out;
	n += (int)dmm_nl_list_send(dp->nl, &c.list, RTM_DELROUTE);
	ret = n;
out:
	if (ret < 0)
		set_err(dp, "%s", dmm_nl_error(dp->nl));
	dmm_nl_list_free(&c.list);
	return ret;
}

/* ---- decapsulation machinery ---- */

static struct dmm_prefix host(const struct dmm_addr *a)
{
	struct dmm_prefix p = {.addr = *a, .len = 128};

	return p;
}

static int decap_route(struct dmm_dp *dp, uint16_t type)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct dmm_prefix l = host(&dp->cfg.local);
	struct nlmsghdr *nlh = route_msg(dp, buf, type, type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0,
					 dp->cfg.table_base, &l, RTN_UNICAST, 0);

	if (type == RTM_NEWROUTE) {
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)dp->decap_ifindex);
		put_end_dt6(nlh, RT_TABLE_MAIN);
	}
	return nl_talk(dp, dp->nl, nlh, NULL, NULL);
}

static int peer_rule(struct dmm_dp *dp, uint16_t type, const struct dmm_addr *peer)
{
	struct dmm_prefix l = host(&dp->cfg.local), p = host(peer);
	struct rule_spec s = {.prio = dp->cfg.rule_prio - 2,
			      .table = dp->cfg.table_base,
			      .src = &p,
			      .dst = &l,
			      .ipproto = IPPROTO_IPV6,
			      .marked = true};

	return rule_do(dp, type, &s);
}

static int local_rule_moved(struct dmm_dp *dp, uint16_t type)
{
	struct rule_spec s = {.prio = dp->cfg.rule_prio - 1, .table = RT_TABLE_LOCAL, .marked = true};

	return rule_do(dp, type, &s);
}

/* The device of the End.DT6 route, chosen once: its ifindex, 0 while there is none. */
static int decap_dev(struct dmm_dp *dp)
{
	if (!dp->decap_ifindex)
		dp->decap_ifindex = pick_dev(&dp->cfg.local);
	return dp->decap_ifindex;
}

/*
 * The kernel data plane needs SRv6 lightweight tunnels (encap.red and
 * End.DT6, CONFIG_IPV6_SEG6_LWTUNNEL). A kernel built without them has the
 * seg6 generic netlink family but refuses every such route: find out at
 * open, with the decapsulation route put in and taken out again, rather
 * than at the first PBU.
 */
static int lwt_probe(struct dmm_dp *dp)
{
	int ret;

	if (dp->cfg.no_intents || !decap_dev(dp))
		return 0; /* no link yet: decap_up() reports it later */
	ret = decap_route(dp, RTM_NEWROUTE);
	if (ret == -EOPNOTSUPP || ret == -EAFNOSUPPORT) {
		set_err(dp, "this kernel has no SRv6 lightweight tunnels (CONFIG_IPV6_SEG6_LWTUNNEL); "
			    "use the user or bpf data plane");
		return ret;
	}
	if (ret == 0)
		decap_route(dp, RTM_DELROUTE);
	return 0;
}

static int decap_up(struct dmm_dp *dp)
{
	int ret;

	if (!decap_dev(dp)) {
		set_err(dp, "no non-loopback interface for the End.DT6 route");
		return -ENODEV;
	}
	ret = decap_route(dp, RTM_NEWROUTE);
	if (ret < 0)
		return ret;
	/* Add the moved copy first, so local delivery never has a gap. */
	ret = local_rule_moved(dp, RTM_NEWRULE);
	if (ret < 0)
		goto err_route;
	ret = local_rule_at0(dp, RTM_DELRULE);
	if (ret < 0 && ret != -ENOENT)
		goto err_rule;
	return 0;
err_rule:
	local_rule_moved(dp, RTM_DELRULE);
err_route:
	decap_route(dp, RTM_DELROUTE);
	return ret;
}

static void decap_down(struct dmm_dp *dp)
{
	int ret = local_rule_at0(dp, RTM_NEWRULE);

	if (ret == 0 || ret == -EEXIST)
		local_rule_moved(dp, RTM_DELRULE);
	decap_route(dp, RTM_DELROUTE);
}

static int decap_get(struct dmm_dp *dp, const struct dmm_addr *peer)
{
	struct kdp_peer *p = kdp_itab_peer(&dp->t, peer);
	int ret;

	if (dp->decap_refs == 0) {
		ret = decap_up(dp);
		if (ret < 0)
			return ret;
	}
	if (!p) {
		ret = peer_rule(dp, RTM_NEWRULE, peer);
		if (ret < 0) {
			if (dp->decap_refs == 0)
				decap_down(dp);
			return ret;
		}
		p = kdp_itab_peer_add(&dp->t, peer);
	}
	p->refs++;
	dp->decap_refs++;
	return 0;
}

static void decap_put(struct dmm_dp *dp, const struct dmm_addr *peer)
{
	struct kdp_peer *p = kdp_itab_peer(&dp->t, peer);

	if (!p)
		return;
	if (--p->refs == 0) {
		peer_rule(dp, RTM_DELRULE, peer);
		kdp_itab_peer_del(&dp->t, p);
	}
	if (--dp->decap_refs == 0)
		decap_down(dp);
}

/* ---- intents ---- */

static int link_ifindex(struct dmm_dp *dp, uint32_t link, int *ifindex)
{
	char name[IF_NAMESIZE];

	/* No link table: link ids are interface indexes (dmmd's access links come and go). */
	if (dp->cfg.nlinks == 0) {
		if (!if_indextoname(link, name)) {
			set_err(dp, "link %u: no interface with that index", link);
			return -ENODEV;
		}
		*ifindex = (int)link;
		return 0;
	}
	for (unsigned i = 0; i < dp->cfg.nlinks; i++) {
		if (dp->cfg.link[i].id != link)
			continue;
		*ifindex = (int)if_nametoindex(dp->cfg.link[i].ifname);
		if (!*ifindex) {
			set_err(dp, "link %u: no interface %s", link, dp->cfg.link[i].ifname);
			return -ENODEV;
		}
		return 0;
	}
	set_err(dp, "link %u is not configured", link);
	return -ENODEV;
}

/* Whether k's packets go to the hold device (a DST BUFFER, with the device there). */
static bool held(const struct dmm_dp *dp, const struct kdp_intent *k)
{
	return dp->hold && k->match == DMM_FM_DST && k->action == DMM_FM_BUFFER;
}

/* The rule that sends what the hold device gives back to the flush routes in table_base. */
static int hold_rule(struct dmm_dp *dp, uint16_t type)
{
	struct rule_spec s = {.prio = dp->cfg.rule_prio - 2,
			      .table = dp->cfg.table_base,
			      .iif = dmm_hold_ifindex(dp->hold),
			      .marked = true};

	return rule_do(dp, type, &s);
}

/* k (a held BUFFER) starts holding; the first one adds the rule, at once (also in a batch). 0 or -errno. */
static int hold_start(struct dmm_dp *dp, const struct kdp_intent *k)
{
	if (!dp->hold_rule) {
		int ret = hold_rule(dp, RTM_NEWRULE);

		if (ret < 0 && ret != -EEXIST)
			return ret;
		dp->hold_rule = true;
	}
	return dmm_hold_start(dp->hold, k->id, &k->prefix, NULL);
}

/*
 * The route doing k's action for dst in table (DST: P in main; SRC: ::/0
 * in its table): RTM_DELROUTE, or RTM_NEWROUTE adding it (replace false)
 * or replacing the route of the same destination and metric in one step
 * (NLM_F_REPLACE: no instant without a route).
 */
static int action_route(struct dmm_dp *dp, const struct kdp_intent *k, uint16_t type, bool replace,
			const struct dmm_prefix *dst)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	bool hold = held(dp, k);
	uint8_t rtype = k->action == DMM_FM_DROP || (k->action == DMM_FM_BUFFER && !hold) ? RTN_BLACKHOLE
											  : RTN_UNICAST;
	uint16_t flags = type != RTM_NEWROUTE ? 0
			 : replace	      ? NLM_F_CREATE | NLM_F_REPLACE
					      : NLM_F_CREATE | NLM_F_EXCL;
	struct nlmsghdr *nlh = route_msg(dp, buf, type, flags, k->table, dst, rtype, k->metric);
	int oif = 0, ret;

	if (k->match == DMM_FM_SRC && k->prefix.len) {
		/* A source-specific route (IPv6 subtree): default from P. */
		((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_src_len = k->prefix.len;
		mnl_attr_put(nlh, RTA_SRC, 16, k->prefix.addr.b);
	}

	if (type == RTM_NEWROUTE && k->action == DMM_FM_ENCAP) {
		/* The outer packet is routed again after encapsulation; the device only has to be real. */
		ret = route_get_oif(dp, &k->peer, &oif);
		if (ret < 0 || !oif)
			oif = pick_dev(&dp->cfg.local);
		if (!oif) {
			set_err(dp, "no route to the tunnel peer");
			return -ENETUNREACH;
		}
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
		put_encap_red(nlh, &k->peer);
	} else if (k->action == DMM_FM_DELIVER) {
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)k->out_ifindex);
	} else if (hold) {
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)dmm_hold_ifindex(dp->hold));
	}
	return req(dp, nlh, type == RTM_NEWROUTE);
}

/*
 * The blackhole under the DELIVER routes of p, "blackhole p metric
 * KDP_GUARD_METRIC" in main. RFC 5213 §6.10.5: a packet from the
 * tunnel goes out on the interface where its destination prefix is
 * hosted, and "if the mobile access gateway cannot find the connected
 * interface for that destination address, it MUST silently drop the
 * packet", not send it back up. When the link goes (the host moved away), the kernel deletes
 * "p dev link" with it; until dmmd sees the detach and replaces the
 * intent, p's packets would take the default route back to the anchor,
 * which still tunnels them here: a loop until their hop limit runs out,
 * and a buffer installed meanwhile catches them in whatever order they
 * come round (docs/dmm-protocol.md §12). The blackhole drops them: they
 * were sent onto a link already gone, where they would be lost too.
 * NLM_F_REPLACE: one left there is no error. Queued untagged: a refused
 * blackhole refuses no intent, the link's route is what delivers.
 */
static int guard_route(struct dmm_dp *dp, uint16_t type, const struct dmm_prefix *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint16_t flags = type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	struct nlmsghdr *nlh =
		route_msg(dp, buf, type, flags, KDP_MAIN_TABLE, p, RTN_BLACKHOLE, KDP_GUARD_METRIC);

	return req(dp, nlh, false);
}

/*
 * k starts (d 1) or stops (d -1) counting among the DELIVER intents of
 * its prefix, if it is a DST DELIVER: the first adds the blackhole, the
 * last takes it. The count is ktable's, by prefix: one lookup, however
 * many intents there are. Best effort: without the blackhole the link's
 * route delivers alone, as before.
 */
static void guard_ref(struct dmm_dp *dp, const struct kdp_intent *k, int d)
{
	uint32_t n;

	if (k->match != DMM_FM_DST || k->action != DMM_FM_DELIVER)
		return;
	n = kdp_itab_guard_ref(&dp->t, &k->prefix, d);
	if (d > 0 && n == 1)
		guard_route(dp, RTM_NEWROUTE, &k->prefix);
	else if (d < 0 && n == 0)
		guard_route(dp, RTM_DELROUTE, &k->prefix);
}

/*
 * The slot of the SRC table of link ifindex (0: any link), made with its
 * rule "iif L lookup T" at rule_prio ("lookup T" at rule_prio+1 for any
 * link, so an intent of the link comes first) when there is none: sent
 * at once, also in a batch. 0 or -errno; *table its number.
 */
static int slink_table(struct dmm_dp *dp, int ifindex, uint32_t *table)
{
	struct rule_spec s = {.prio = dp->cfg.rule_prio + (ifindex ? 0 : 1), .marked = true};
	uint32_t i, fr = UINT32_MAX;
	struct kdp_slink *l;
	int ret;

	for (i = 0; i < dp->nslinks; i++) {
		if (dp->slinks[i].ifindex == ifindex) {
			*table = dp->cfg.table_base + 1 + i;
			return 0;
		}
		if (dp->slinks[i].ifindex < 0 && fr == UINT32_MAX)
			fr = i;
	}
	if (fr == UINT32_MAX) {
		l = realloc(dp->slinks, (dp->nslinks + 1) * sizeof(*l));
		if (!l)
			return -ENOMEM;
		dp->slinks = l;
		fr = dp->nslinks++;
		dp->slinks[fr].ifindex = -1;
	}
	l = &dp->slinks[fr];
	l->ifname[0] = '\0';
	if (ifindex && !if_indextoname((unsigned)ifindex, l->ifname)) {
		set_err(dp, "link %d: no interface with that index", ifindex);
		return -ENODEV;
	}
	s.table = dp->cfg.table_base + 1 + fr;
	s.iifname = ifindex ? l->ifname : NULL;
	ret = rule_do(dp, RTM_NEWRULE, &s);
	if (ret < 0)
		return ret;
	l->ifindex = ifindex;
	l->refs = 0;
	*table = s.table;
	return 0;
}

/* Take d references to link ifindex's SRC table; with none left its rule goes (at once). */
static void slink_ref(struct dmm_dp *dp, int ifindex, int d)
{
	struct rule_spec s = {.prio = dp->cfg.rule_prio + (ifindex ? 0 : 1), .marked = true};

	for (uint32_t i = 0; i < dp->nslinks; i++) {
		struct kdp_slink *l = &dp->slinks[i];

		if (l->ifindex != ifindex)
			continue;
		l->refs = (uint32_t)((int)l->refs + d);
		if (l->refs)
			return;
		s.table = dp->cfg.table_base + 1 + i;
		s.iifname = ifindex ? l->ifname : NULL;
		rule_do(dp, RTM_DELRULE, &s);
		l->ifindex = -1;
		return;
	}
}

/*
 * The counter of k. Its failure does not stop forwarding: counters()
 * then reports the error for that intent rather than a count that never
 * grows. Every intent is counted: reading one counter costs the same
 * however many there are (nft.c).
 */
static void count_add(struct dmm_dp *dp, struct kdp_intent *k)
{
	char iif[IF_NAMESIZE], oif[IF_NAMESIZE];
	struct kdp_nft_spec s = {.id = k->id,
				 .match = k->match,
				 .action = k->action,
				 .prefix = k->prefix,
				 .local = dp->cfg.local,
				 .peer = k->peer};

	if (!dp->nft) {
		k->nft_err = -ENOTSUP;
		return;
	}
	if (k->ifindex && if_indextoname((unsigned)k->ifindex, iif))
		s.iif = iif;
	if (k->out_ifindex && if_indextoname((unsigned)k->out_ifindex, oif))
		s.oif = oif;
	k->nft_err = kdp_nft_add(dp->nft, &s);
}

static void count_del(struct dmm_dp *dp, const struct kdp_intent *k)
{
	/* At close, deleting the table takes every rule at once. */
	if (dp->nft && !k->nft_err && !dp->closing)
		kdp_nft_del(dp->nft, k->id, k->action);
}

/* The rule of a LOCAL intent (RFC 6705 localized routing): "to P iif L lookup main". 0 or -errno. */
static int local_rule(struct dmm_dp *dp, const struct kdp_intent *k, uint16_t type)
{
	struct rule_spec s = {.prio = dp->cfg.rule_prio - 1,
			      .table = KDP_MAIN_TABLE,
			      .dst = &k->prefix,
			      .iif = k->ifindex,
			      .marked = true};

	return rule_do(dp, type, &s);
}

/* A SRC intent other than DECAP holds a table of its own. */
static bool is_src_table(const struct kdp_intent *k)
{
	return k->action != DMM_FM_DECAP && k->match == DMM_FM_SRC;
}

/* The intent in as the backend keeps it (no table yet), after checking it. 0 or -errno. */
static int fill_intent(struct dmm_dp *dp, const struct dmm_intent *in, struct kdp_intent *k)
{
	int ret;

	memset(k, 0, sizeof(*k));
	if (!in->id || in->prefix.len > 128 || in->match > DMM_FM_SRC || in->action > DMM_FM_LOCAL ||
	    (in->action == DMM_FM_LOCAL && (in->match != DMM_FM_DST || !in->link))) {
		set_err(dp, "invalid intent");
		return -EINVAL;
	}
	if (in->action == DMM_FM_ENCAP && dmm_addr_is_zero(&in->peer)) {
		set_err(dp, "encap without a peer");
		return -EINVAL;
	}
	k->id = in->id;
	k->match = in->match;
	k->action = in->action;
	k->prefix = in->prefix;
	dmm_prefix_mask(&k->prefix);
	k->peer = in->peer;
	/* Lower precedence wins, like a lower metric; below the kernel's 256 for connected routes. */
	k->metric = 1u + in->precedence;
	if (k->action == DMM_FM_DELIVER) {
		ret = link_ifindex(dp, in->link, &k->out_ifindex);
		if (ret < 0)
			return ret;
	}
	if ((k->match == DMM_FM_SRC || k->action == DMM_FM_LOCAL) && in->link) {
		ret = link_ifindex(dp, in->link, &k->ifindex);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* A pending entry for intent id (between begin and commit), made current for the messages that follow. */
static int pend_add(struct dmm_dp *dp, uint32_t id, const struct kdp_intent *old)
{
	if (!dp->batching)
		return 0;
	if (dp->npend == dp->cappend) {
		uint32_t cap = dp->cappend ? dp->cappend * 2 : 256;
		struct kdp_pend *p = realloc(dp->pend, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		dp->pend = p;
		dp->cappend = cap;
	}
	dp->tag = dp->npend;
	dp->pend[dp->npend++] = (struct kdp_pend){
		.id = id, .replace = old != NULL, .old = old ? *old : (struct kdp_intent){0}};
	return 0;
}

/* Forget the pending entry just made (the intent failed before anything of it was queued). */
static void pend_drop(struct dmm_dp *dp)
{
	if (dp->batching && dp->npend)
		dp->npend--;
}

static int k_install(struct dmm_dp *dp, const struct dmm_intent *in)
{
	static const struct dmm_prefix any = {.len = 0};
	struct kdp_intent k;
	int ret;

	dp->lasterr[0] = '\0';
	ret = fill_intent(dp, in, &k);
	if (ret < 0)
		return ret;
	if (kdp_itab_find(&dp->t, in->id))
		return -EEXIST;
	if (kdp_itab_reserve(&dp->t) < 0 || pend_add(dp, k.id, NULL) < 0)
		return -ENOMEM;

	/* Count from the first packet the intent handles. */
	if (k.action == DMM_FM_LOCAL)
		k.nft_err = -ENOTSUP;
	else
		count_add(dp, &k);
	if (k.action == DMM_FM_LOCAL) {
		ret = local_rule(dp, &k, RTM_NEWRULE);
	} else if (k.action == DMM_FM_DECAP) {
		ret = decap_get(dp, &k.peer);
	} else if (k.match == DMM_FM_DST) {
		k.table = KDP_MAIN_TABLE;
		ret = action_route(dp, &k, RTM_NEWROUTE, false, &k.prefix);
	} else {
		ret = slink_table(dp, k.ifindex, &k.table);
		if (ret == 0)
			ret = action_route(dp, &k, RTM_NEWROUTE, false, &any);
	}
	if (ret == 0 && held(dp, &k))
		ret = hold_start(dp, &k);
	if (ret < 0) {
		if (is_src_table(&k))
			slink_ref(dp, k.ifindex, 0); /* a table made for it goes again */
		count_del(dp, &k);
		pend_drop(dp);
		return ret;
	}
	kdp_itab_add(&dp->t, &k, false, dp->cfg.table_base);
	if (is_src_table(&k))
		slink_ref(dp, k.ifindex, 1);
	guard_ref(dp, &k, 1); /* after its route, and only once it is in the table */
	return 0;
}

/* Delete the route and rule of k (errors ignored: some may not be there). */
static void routes_del(struct dmm_dp *dp, const struct kdp_intent *k)
{
	static const struct dmm_prefix any = {.len = 0};

	if (k->action == DMM_FM_LOCAL) {
		local_rule(dp, k, RTM_DELRULE);
	} else if (k->match == DMM_FM_DST) {
		action_route(dp, k, RTM_DELROUTE, false, &k->prefix);
	} else {
		action_route(dp, k, RTM_DELROUTE, false, &any);
	}
}

static void k_remove(struct dmm_dp *dp, const struct dmm_intent *in)
{
	struct kdp_intent *k = kdp_itab_find(&dp->t, in->id);
	int src_link;

	if (!k)
		return;
	src_link = is_src_table(k) ? k->ifindex : -1;
	if (k->action == DMM_FM_DECAP)
		decap_put(dp, &k->peer);
	else
		routes_del(dp, k);
	if (held(dp, k))
		dmm_hold_end(dp->hold, k->id); /* what it held goes where the kernel's routes say now */
	count_del(dp, k);
	guard_ref(dp, k, -1); /* after its route: the blackhole alone rather than nothing */
	kdp_itab_del(&dp->t, k, false, dp->cfg.table_base);
	if (src_link >= 0)
		slink_ref(dp, src_link, -1);
}

/*
 * The route of cur becomes that of k, which has the same id, match,
 * prefix and precedence: NLM_F_REPLACE, so the destination never lacks a
 * route; a SRC intent keeps its table, and a rule for another access
 * link is added before the old one goes. 0 or -errno.
 */
static int replace_routes(struct dmm_dp *dp, struct kdp_intent *cur, struct kdp_intent *k)
{
	static const struct dmm_prefix any = {.len = 0};
	int ret;

	k->table = cur->table;
	if (k->match == DMM_FM_DST)
		return action_route(dp, k, RTM_NEWROUTE, true, &k->prefix);
	if (k->ifindex == cur->ifindex)
		return action_route(dp, k, RTM_NEWROUTE, true, &any);
	/* Another access link: its table gets the route before the old one loses it. */
	ret = slink_table(dp, k->ifindex, &k->table);
	if (ret == 0)
		ret = action_route(dp, k, RTM_NEWROUTE, true, &any);
	if (ret == 0)
		action_route(dp, cur, RTM_DELROUTE, false, &any);
	return ret;
}

/*
 * The flush route of k (hold.c): P doing k's action in table_base, where
 * packets written back to the hold device are looked up. Sent at once,
 * also between begin and commit: the held packets need it now.
 */
static int flush_route(struct dmm_dp *dp, const struct kdp_intent *k, uint16_t type)
{
	struct kdp_intent f = *k;
	bool batching = dp->batching;
	int ret;

	f.table = dp->cfg.table_base;
	dp->batching = false;
	ret = action_route(dp, &f, type, type == RTM_NEWROUTE, &f.prefix);
	dp->batching = batching;
	return ret;
}

/*
 * A BUFFER intent cur becomes k (hold.c, steps 1 to 4), all at once, also
 * between begin and commit: the flush route, the held packets written
 * back and the device read until it is empty, the main route replaced,
 * the device read again, the flush route gone. Only what the kernel
 * routes to the device during the replace itself can be overtaken, so
 * the replace is not left to wait in the batch (where every packet of
 * the wait would be). 0 or -errno of the replace.
 */
static int flush_replace(struct dmm_dp *dp, struct kdp_intent *cur, struct kdp_intent *k)
{
	bool batching = dp->batching;
	int ret;

	/* Onto a link: the host's addresses resolved first, so no held packet waits in a neighbour queue (neigh.h). */
	if (k->action == DMM_FM_DELIVER)
		dmm_hold_resolve(dp->hold, k->id, dp->nl, &dp->hosts,
				 k->out_ifindex ? k->out_ifindex : k->ifindex);
	if (flush_route(dp, k, RTM_NEWROUTE) < 0) {
		dmm_hold_end(dp->hold, k->id); /* no way for them yet: to whatever the kernel has */
		return replace_routes(dp, cur, k);
	}
	dmm_hold_flush(dp->hold, k->id);
	dp->batching = false;
	ret = replace_routes(dp, cur, k);
	dp->batching = batching;
	dmm_hold_end(dp->hold, k->id);
	flush_route(dp, k, RTM_DELROUTE);
	return ret;
}

/*
 * Replace old's forwarding by in's in one step (dataplane.h). Where that
 * has no single kernel object to swap (a DECAP on either side, another
 * match), old is removed and in installed. After an error old is gone.
 */
static int k_replace(struct dmm_dp *dp, const struct dmm_intent *old, const struct dmm_intent *in)
{
	struct kdp_intent *cur = kdp_itab_find(&dp->t, old->id);
	struct kdp_intent k, was;
	int ret;

	dp->lasterr[0] = '\0';
	if (!cur || in->id != old->id || cur->action == DMM_FM_DECAP || in->action == DMM_FM_DECAP ||
	    cur->action == DMM_FM_LOCAL || in->action == DMM_FM_LOCAL || cur->match != in->match) {
		k_remove(dp, old);
		return k_install(dp, in);
	}
	ret = fill_intent(dp, in, &k);
	if (ret == 0 && (!dmm_prefix_eq(&k.prefix, &cur->prefix) || k.metric != cur->metric)) {
		/* Another route altogether: nothing to swap in place. */
		k_remove(dp, old);
		return k_install(dp, in);
	}
	if (ret == 0 && pend_add(dp, k.id, cur) < 0)
		ret = -ENOMEM;
	if (ret < 0) {
		k_remove(dp, old);
		return ret;
	}
	was = *cur;
	count_del(dp, cur);
	count_add(dp, &k);
	if (held(dp, &was) && !held(dp, &k))
		ret = flush_replace(dp, cur, &k);
	else
		ret = replace_routes(dp, cur, &k);
	*cur = k;
	/* Into or out of DELIVER (same prefix here): k counts before was stops, so a blackhole kept stays. */
	guard_ref(dp, &k, 1);
	guard_ref(dp, &was, -1);
	if (is_src_table(&k) && k.ifindex != was.ifindex) {
		slink_ref(dp, k.ifindex, 1); /* none if its table could not be made */
		slink_ref(dp, was.ifindex, -1);
	}
	if (!held(dp, &was) && held(dp, &k) && ret == 0)
		ret = hold_start(dp, &k);
	if (ret < 0) {
		pend_drop(dp);
		routes_del(dp, &was);
		k_remove(dp, old);
	}
	return ret;
}

/* ---- batches ---- */

static void k_begin(struct dmm_dp *dp)
{
	if (dp->batching)
		return;
	dp->batching = true;
	dmm_nl_batch_clear(&dp->batch);
	dp->npend = 0;
	if (dp->nft)
		kdp_nft_begin(dp->nft);
}

/* nftables refused the counter of intent id: it forwards without one. */
static void nft_failed(void *ctx, uint32_t id, int err)
{
	struct dmm_dp *dp = ctx;
	struct kdp_intent *k = kdp_itab_find(&dp->t, id);

	if (k)
		k->nft_err = err;
}

/* A message refused with ENOMEM, sent again on its own (nl.h, dmm_nl_nomem_pause). */
static int retry_nomem(struct dmm_dp *dp, unsigned i, unsigned *budget_us)
{
	int err = -ENOMEM;

	for (unsigned pause = 0; err == -ENOMEM && dmm_nl_nomem_pause(&pause, budget_us);)
		err = nl_talk(dp, dp->nl, dmm_nl_batch_msg(&dp->batch, i), NULL, NULL);
	return err;
}

/* Each pending intent's first refusal, after retry_nomem for ENOMEM (if its intent is still there). */
static void batch_errors(struct dmm_dp *dp)
{
	unsigned budget_us = DMM_NL_NOMEM_BUDGET_US;

	for (unsigned i = 0; i < dp->batch.n; i++) {
		struct dmm_nl_bent *e = &dp->batch.ent[i];
		struct kdp_pend *p;

		if (e->tag == KDP_NOTAG || e->tag >= dp->npend)
			continue;
		p = &dp->pend[e->tag];
		if (e->err == -ENOMEM && kdp_itab_find(&dp->t, p->id))
			e->err = retry_nomem(dp, i, &budget_us);
		if (e->err && !p->err)
			p->err = e->err;
	}
}

/* Take back what is left of a refused intent: its bookkeeping, and whatever of it the kernel took. */
static void undo(struct dmm_dp *dp, const struct kdp_pend *p)
{
	struct dmm_intent in = {.id = p->id};

	if (p->replace)
		routes_del(dp, &p->old);
	k_remove(dp, &in);
}

static int k_commit(struct dmm_dp *dp, void (*refused)(void *ctx, uint32_t id, int err), void *ctx)
{
	int ret = 0;

	if (!dp->batching)
		return 0;
	dp->batching = false;
	if (dp->nft)
		kdp_nft_commit(dp->nft, nft_failed, dp);
	if (dp->batch.n)
		ret = dmm_nl_batch_send(dp->nl, &dp->batch);
	batch_errors(dp);
	for (uint32_t i = 0; i < dp->npend; i++) {
		const struct kdp_pend *p = &dp->pend[i];

		/* An intent removed again in the same batch is nobody's refusal. */
		if (!p->err || !kdp_itab_find(&dp->t, p->id))
			continue;
		memset(dp->oifs, 0, sizeof(dp->oifs)); /* a device may be gone: ask again */
		undo(dp, p);
		if (refused)
			refused(ctx, p->id, p->err);
	}
	if (ret < 0)
		set_err(dp, "%s", dmm_nl_error(dp->nl));
	dmm_nl_batch_clear(&dp->batch);
	dp->npend = 0;
	return ret;
}

/* The counts of the intent's nftables counter (nft.c: one element read from the kernel). */
static int k_counters(struct dmm_dp *dp, uint32_t id, uint64_t *packets, uint64_t *bytes)
{
	const struct kdp_intent *k = kdp_itab_find(&dp->t, id);
	int ret;

	*packets = 0;
	*bytes = 0;
	dp->lasterr[0] = '\0';
	if (!k)
		return -ENOENT;
	if (!dp->nft) {
		set_err(dp, "%s", dp->nft_why);
		return -ENOTSUP;
	}
	if (k->nft_err) {
		set_err(dp, "intent %u has no counter", id);
		return k->nft_err;
	}
	ret = kdp_nft_read(dp->nft, k->id, k->action, packets, bytes);
	if (ret < 0)
		set_err(dp, "%s", kdp_nft_error(dp->nft));
	return ret;
}

static int k_fd(struct dmm_dp *dp)
{
	return dp->hold ? dmm_hold_fd(dp->hold) : -1;
}

static int k_poll(struct dmm_dp *dp)
{
	return dp->hold ? dmm_hold_poll(dp->hold) : 0;
}

static int k_buf_stats(struct dmm_dp *dp, struct dmm_dp_buf_stats *st)
{
	if (!dp->hold)
		return -ENOTSUP;
	dmm_hold_stats(dp->hold, st);
	return 0;
}

/*
 * The hold device, up (its rule comes with the first BUFFER). Optional:
 * without it BUFFER is a blackhole (the reason is in lasterr until the
 * first intent).
 */
static void hold_open(struct dmm_dp *dp)
{
	char why[200];

	dp->hold = dmm_hold_open(&dp->cfg, why, sizeof(why));
	if (!dp->hold) {
		set_err(dp, "%s", why);
		return;
	}
	if (dmm_nl_link_up(dp->nl, dmm_hold_ifindex(dp->hold)) < 0) {
		set_err(dp, "hold device: %s", dmm_nl_error(dp->nl));
		dmm_hold_close(dp->hold);
		dp->hold = NULL;
	}
}

/* ---- open / close ---- */

static void k_close(struct dmm_dp *dp)
{
	if (!dp)
		return;
	k_commit(dp, NULL, NULL);
	dp->closing = true;
	k_begin(dp); /* the routes and rules left go in batches */
	while (dp->t.n) {
		struct dmm_intent in = {.id = dp->t.in[dp->t.n - 1].id};

		k_remove(dp, &in);
	}
	k_commit(dp, NULL, NULL);
	kdp_nft_close(dp->nft);
	if (dp->hold_rule)
		hold_rule(dp, RTM_DELRULE);
	dmm_hold_close(dp->hold);
	if (dp->tunsrc_set)
		tunsrc_set(dp, &dp->old_tunsrc);
	dmm_nl_close(dp->genl);
	dmm_nl_close(dp->nl);
	kdp_itab_fini(&dp->t);
	dmm_neigh_hosts_free(&dp->hosts);
	free(dp->slinks);
	dmm_nl_batch_free(&dp->batch);
	free(dp->pend);
	free(dp);
}

/* A seed for the peer hash that differs per run. */
static uint64_t seed_of(const void *p)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return dmm_hash_u64((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)(uintptr_t)p);
}

static struct dmm_dp *k_open(const struct dmm_dp_cfg *cfg, char *err, size_t errlen)
{
	struct dmm_dp *dp = calloc(1, sizeof(*dp));
	struct dmm_addr cur;
	int ret;

	if (!dp) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	dp->cfg = *cfg;
	kdp_itab_init(&dp->t, seed_of(dp));
	if (!dp->cfg.table_base)
		dp->cfg.table_base = KDP_DEFAULT_TABLE_BASE;
	if (!dp->cfg.rule_prio)
		dp->cfg.rule_prio = KDP_DEFAULT_RULE_PRIO;
	if (!dp->cfg.rt_proto)
		dp->cfg.rt_proto = KDP_DEFAULT_PROTO;
	if (dp->cfg.rule_prio < 2 || dp->cfg.table_base == RT_TABLE_MAIN ||
	    dp->cfg.table_base >= 0xfffffff0u || dmm_addr_is_zero(&dp->cfg.local)) {
		snprintf(err, errlen, "kernel dp: needs local, rule_prio >= 2 and a free table_base");
		ret = -EINVAL;
		goto err_free;
	}
	dp->nl = dmm_nl_open(NETLINK_ROUTE);
	if (!dp->nl) {
		ret = -errno;
		snprintf(err, errlen, "kernel dp: rtnetlink socket: %s", strerror(errno));
		goto err_free;
	}
	dp->genl = dmm_nl_open(NETLINK_GENERIC);
	if (!dp->genl) {
		ret = -errno;
		snprintf(err, errlen, "kernel dp: generic netlink socket: %s", strerror(errno));
		goto err_close;
	}
	/* A crashed run left objects with our marker behind: remove them first. */
	ret = sweep(dp);
	if (ret < 0) {
		snprintf(err, errlen, "kernel dp: removing leftovers: %s", dp->lasterr);
		goto err_close;
	}
	ret = seg6_family(dp);
	if (ret == 0)
		ret = tunsrc_get(dp, &cur);
	if (ret < 0) {
		snprintf(err, errlen, "kernel dp: seg6 genetlink: %s", dp->lasterr);
		goto err_close;
	}
	ret = lwt_probe(dp);
	if (ret < 0) {
		snprintf(err, errlen, "kernel dp: %s", dp->lasterr);
		goto err_close;
	}
	if (!dmm_addr_eq(&cur, &dp->cfg.local)) {
		ret = tunsrc_set(dp, &dp->cfg.local);
		if (ret < 0) {
			snprintf(err, errlen, "kernel dp: setting the seg6 tunnel source: %s", dp->lasterr);
			goto err_close;
		}
		dp->old_tunsrc = cur;
		dp->tunsrc_set = true;
	}
	/* Counters are extra: without nf_tables the intents still forward. */
	dp->nft = kdp_nft_open(dp->cfg.rt_proto, dp->nft_why, sizeof(dp->nft_why));
	dp->lasterr[0] = '\0';
	hold_open(dp);
	return dp;
err_close:
	k_close(dp);
	errno = -ret;
	return NULL;
err_free:
	free(dp);
	errno = -ret;
	return NULL;
}

/* dataplane.h host: kept for flush_replace's resolution (neigh.h); a link gone is forgotten by index. */
static int k_host(struct dmm_dp *dp, uint32_t link, const uint8_t *lladdr, unsigned len)
{
	int ifindex = (int)link;

	if (dp->cfg.nlinks && link_ifindex(dp, link, &ifindex) < 0)
		return len ? -ENODEV : 0;
	return dmm_neigh_host_set(&dp->hosts, ifindex, lladdr, len);
}

const struct dmm_dp_ops dmm_dp_kernel = {
	.name = "kernel",
	.open = k_open,
	.close = k_close,
	.install = k_install,
	.remove = k_remove,
	.replace = k_replace,
	.begin = k_begin,
	.commit = k_commit,
	.counters = k_counters,
	.fd = k_fd,
	.poll = k_poll,
	.buf_stats = k_buf_stats,
	.host = k_host,
};
