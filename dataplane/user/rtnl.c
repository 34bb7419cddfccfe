/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user data plane's kernel state (user.c has the mapping): the routes
 * and rules that send an intent's packets to the TUN or a link, the
 * leftovers of an earlier run, and the TUN device's link settings, all
 * through rtnetlink (../nl.h). Every route and rule carries cfg.rt_proto,
 * so a later run finds exactly ours.
 */
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>

#include "user.h"

/*
 * A change: queued between begin and commit (an add tagged with the
 * current pending entry, and extra tag bits; a delete refuses nothing),
 * else sent at once. 0 or -errno.
 */
static int rt_send(struct dmm_dp *dp, struct nlmsghdr *nlh, bool add, uint32_t extra)
{
	uint32_t tag = add && dp->tag != DPU_NOTAG ? dp->tag | extra : DPU_NOTAG;

	if (!dp->batching)
		return dmm_nl_request(dp->nl, nlh);
	return dmm_nl_batch_add(&dp->batch, nlh, tag);
}

static struct nlmsghdr *route_msg(struct dmm_dp *dp, bool add, uint32_t table, const struct dmm_prefix *p,
				  int oif)
{
	struct nlmsghdr *nlh = dmm_nl_msg(dp->nlbuf, add ? RTM_NEWROUTE : RTM_DELROUTE,
					  add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = p->len;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = dp->cfg.rt_proto;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, 16, p->addr.b);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (add && oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return nlh;
}

int dpu_rt_route(struct dmm_dp *dp, bool add, uint32_t table, const struct dmm_prefix *p, int oif)
{
	return rt_send(dp, route_msg(dp, add, table, p, oif), add, 0);
}

/*
 * The blackhole under a DELIVER route: "blackhole p metric DPU_GUARD_METRIC"
 * in the main table. The kernel deletes "p dev link" when the link goes
 * (a host's link moved away, before the daemon has seen the detach); p's
 * packets would then follow the default route back to the anchor, which
 * tunnels them here again, round and round until their hop limit runs
 * out, and a buffer installed meanwhile catches them in whatever order
 * they come round. The blackhole drops them instead: they are the packets
 * sent onto a link already gone, before the daemon knew, and on a real
 * access link they would be lost there too. RFC 5213 §6.10.5: a MAG that
 * "cannot find the connected interface for that destination address ...
 * MUST silently drop the packet".
 */
int dpu_rt_guard(struct dmm_dp *dp, bool add, const struct dmm_prefix *p)
{
	struct nlmsghdr *nlh = route_msg(dp, add, RT_TABLE_MAIN, p, 0);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	uint32_t tag = dp->tag;
	int r;

	rtm->rtm_type = RTN_BLACKHOLE;
	mnl_attr_put_u32(nlh, RTA_PRIORITY, DPU_GUARD_METRIC);
	dp->tag = DPU_NOTAG; /* its refusal refuses no intent: the link's route is what delivers */
	r = rt_send(dp, nlh, add, 0);
	dp->tag = tag;
	return r;
}

int dpu_rt_rule(struct dmm_dp *dp, bool add, const struct dmm_prefix *p, const char *iif)
{
	struct nlmsghdr *nlh =
		dmm_nl_msg(dp->nlbuf, add ? RTM_NEWRULE : RTM_DELRULE, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct fib_rule_hdr *fr = mnl_nlmsg_put_extra_header(nlh, sizeof(*fr));

	fr->family = AF_INET6;
	fr->src_len = p->len;
	fr->action = FR_ACT_TO_TBL;
	fr->table = dp->cfg.table_base < 256 ? (uint8_t)dp->cfg.table_base : RT_TABLE_UNSPEC;
	mnl_attr_put(nlh, FRA_SRC, 16, p->addr.b);
	mnl_attr_put_strz(nlh, FRA_IIFNAME, iif);
	mnl_attr_put_u32(nlh, FRA_TABLE, dp->cfg.table_base);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, dp->cfg.rule_prio);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, dp->cfg.rt_proto);
	/* The rule is shared by the SRC intents of its prefix and link: one already there is no refusal. */
	return rt_send(dp, nlh, add, DPU_TAG_EXIST_OK);
}

int dpu_rt_local_rule(struct dmm_dp *dp, bool add, const struct dmm_prefix *p, const char *iif)
{
	struct nlmsghdr *nlh =
		dmm_nl_msg(dp->nlbuf, add ? RTM_NEWRULE : RTM_DELRULE, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct fib_rule_hdr *fr = mnl_nlmsg_put_extra_header(nlh, sizeof(*fr));

	fr->family = AF_INET6;
	fr->dst_len = p->len;
	fr->action = FR_ACT_TO_TBL;
	fr->table = RT_TABLE_MAIN;
	mnl_attr_put(nlh, FRA_DST, 16, p->addr.b);
	mnl_attr_put_strz(nlh, FRA_IIFNAME, iif);
	mnl_attr_put_u32(nlh, FRA_TABLE, RT_TABLE_MAIN);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, dp->cfg.rule_prio - 1);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, dp->cfg.rt_proto);
	return rt_send(dp, nlh, add, 0);
}

int dpu_rt_iif_rule(struct dmm_dp *dp, bool add, uint32_t table, uint32_t prio)
{
	struct nlmsghdr *nlh = dmm_nl_msg(dp->nlbuf, add ? RTM_NEWRULE : RTM_DELRULE, 0);
	struct fib_rule_hdr *fr = mnl_nlmsg_put_extra_header(nlh, sizeof(*fr));

	fr->family = AF_INET6;
	fr->action = FR_ACT_TO_TBL;
	fr->table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	mnl_attr_put_strz(nlh, FRA_IIFNAME, dp->cfg.tun_name);
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, dp->cfg.rt_proto);
	return dmm_nl_request(dp->nl, nlh);
}

struct flush_ctx {
	struct dmm_dp *dp;
	uint16_t kind;
	struct dmm_nl_list list; /* copies of the messages to delete */
};

static int flush_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t <= FRA_MAX)
		tb[t] = a;
	return MNL_CB_OK;
}

static int flush_cb(const struct nlmsghdr *nlh, void *data)
{
	struct flush_ctx *fc = data;
	uint8_t proto;

	if (fc->kind == RTM_GETROUTE) {
		const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

		proto = rtm->rtm_protocol;
	} else {
		const struct nlattr *tb[FRA_MAX + 1] = {0};

		mnl_attr_parse(nlh, sizeof(struct fib_rule_hdr), flush_attr_cb, tb);
		proto = tb[FRA_PROTOCOL] ? mnl_attr_get_u8(tb[FRA_PROTOCOL]) : 0;
	}
	if (proto != fc->dp->cfg.rt_proto)
		return MNL_CB_OK;
	return dmm_nl_list_add(&fc->list, nlh);
}

int dpu_rt_flush(struct dmm_dp *dp, uint16_t kind)
{
	struct flush_ctx fc = {.dp = dp, .kind = kind};
	struct nlmsghdr *nlh = dmm_nl_msg(dp->nlbuf, kind, 0);
	unsigned sent;
	int r;

	if (kind == RTM_GETROUTE) {
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

		rtm->rtm_family = AF_INET6;
	} else {
		struct fib_rule_hdr *fr = mnl_nlmsg_put_extra_header(nlh, sizeof(*fr));

		fr->family = AF_INET6;
	}
	r = dmm_nl_dump(dp->nl, nlh, flush_cb, &fc);
	if (r == 0) {
		sent = dmm_nl_list_send(dp->nl, &fc.list, kind == RTM_GETROUTE ? RTM_DELROUTE : RTM_DELRULE);
		if (sent != fc.list.count)
			r = -EIO;
	}
	dmm_nl_list_free(&fc.list);
	return r;
}

/* IFLA_INFO_KIND inside IFLA_LINKINFO. */
static int link_kind_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IFLA_INFO_KIND)
		*(const char **)data = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

struct link_ctx {
	bool found, is_tun;
	int ifindex;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_ctx *lc = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	lc->found = true;
	lc->ifindex = ifi->ifi_index;
	mnl_attr_for_each(a, nlh, sizeof(*ifi))
	{
		if (mnl_attr_get_type(a) == IFLA_LINKINFO) {
			const char *kind = NULL;

			mnl_attr_parse_nested(a, link_kind_cb, &kind);
			lc->is_tun = kind && strcmp(kind, "tun") == 0;
		}
	}
	return MNL_CB_OK;
}

int dpu_rt_remove_stale_tun(struct dmm_dp *dp, const char *name)
{
	struct nlmsghdr *nlh = dmm_nl_msg(dp->nlbuf, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct link_ctx lc = {0};
	int r;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	r = dmm_nl_talk(dp->nl, nlh, link_cb, &lc);
	if (r < 0)
		return r == -ENODEV ? 0 : r;
	if (!lc.found)
		return 0;
	if (!lc.is_tun)
		return -EEXIST;
	nlh = dmm_nl_msg(dp->nlbuf, RTM_DELLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = lc.ifindex;
	return dmm_nl_request(dp->nl, nlh);
}

int dpu_rt_tun_setup(struct dmm_dp *dp)
{
	struct nlmsghdr *nlh = dmm_nl_msg(dp->nlbuf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *af, *in6;
	int r;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = dp->tun_ifindex;
	mnl_attr_put_u32(nlh, IFLA_MTU, DP_TUN_MTU);
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, 1000);
	af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	in6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, in6);
	mnl_attr_nest_end(nlh, af);
	r = dmm_nl_request(dp->nl, nlh);
	if (r < 0)
		return r;
	return dmm_nl_link_up(dp->nl, dp->tun_ifindex);
}

void dpu_rt_remove_all(struct dmm_dp *dp)
{
	/* Remove exactly what we installed; shared routes and rules go once. */
	for (uint32_t i = 0; i < dp->cap; i++) {
		struct slot *s = dpu_slot(dp, i);

		if (!s->used)
			continue;
		if (s->in.match == DMM_FM_DST && (dpu_to_tun(s->in.action) || s->in.action == DMM_FM_DELIVER))
			dpu_rt_route(dp, false, RT_TABLE_MAIN, &s->in.prefix, 0);
		if (s->in.match == DMM_FM_DST && s->in.action == DMM_FM_DELIVER)
			dpu_rt_guard(dp, false, &s->in.prefix);
		else if (s->in.match == DMM_FM_SRC && dpu_to_tun(s->in.action))
			dpu_rt_rule(dp, false, &s->in.prefix, s->ifname);
		else if (s->in.action == DMM_FM_LOCAL)
			dpu_rt_local_rule(dp, false, &s->in.prefix, s->ifname);
	}
	if (dp->table_route) {
		struct dmm_prefix any = {0};

		dpu_rt_route(dp, false, dp->cfg.table_base, &any, 0);
	}
}

int dpu_link_resolve(const struct dmm_dp *dp, uint32_t id, char ifname[DMM_DP_IFNAMSIZ], int *ifindex)
{
	char name[IF_NAMESIZE];

	for (unsigned i = 0; i < dp->cfg.nlinks; i++)
		if (dp->cfg.link[i].id == id) {
			memcpy(ifname, dp->cfg.link[i].ifname, DMM_DP_IFNAMSIZ);
			*ifindex = (int)if_nametoindex(ifname);
			return *ifindex ? 0 : -ENODEV;
		}
	if (dp->cfg.nlinks || !id || !if_indextoname(id, name) || strlen(name) >= DMM_DP_IFNAMSIZ)
		return -ENODEV;
	memcpy(ifname, name, strlen(name) + 1);
	*ifindex = (int)id;
	return 0;
}

int dpu_sync_dst_route(struct dmm_dp *dp, const struct dmm_prefix *p)
{
	const struct slot *best = NULL;

	for (uint32_t i = dpu_chain(dp, DMM_FM_DST, p); i != NONE; i = dpu_slot(dp, i)->next[DPU_BY_PREFIX]) {
		const struct slot *s = dpu_slot(dp, i);

		if (!dpu_slot_is(s, DMM_FM_DST, p))
			continue;
		if ((dpu_to_tun(s->in.action) || s->in.action == DMM_FM_DELIVER) && dpu_better(s, best))
			best = s;
	}
	if (!best || best->in.action != DMM_FM_DELIVER)
		dpu_rt_guard(dp, false, p); /* none there is no error */
	if (!best) {
		int r = dpu_rt_route(dp, false, RT_TABLE_MAIN, p, 0);

		return r == -ESRCH || r == -ENOENT ? 0 : r;
	}
	if (best->in.action == DMM_FM_DELIVER)
		dpu_rt_guard(dp, true, p); /* best effort: without it the link's route alone, as before */
	return dpu_rt_route(dp, true, RT_TABLE_MAIN, p,
			    best->in.action == DMM_FM_DELIVER ? best->ifindex : dp->tun_ifindex);
}

/* The table route "default dev tun" that the rules lead to, added once, at once (also in a batch). */
static int table_route(struct dmm_dp *dp)
{
	struct dmm_prefix any = {0};
	int r;

	if (dp->table_route)
		return 0;
	r = dmm_nl_request(dp->nl, route_msg(dp, true, dp->cfg.table_base, &any, dp->tun_ifindex));
	if (r == 0)
		dp->table_route = true;
	return r;
}

int dpu_sync_src_rule(struct dmm_dp *dp, const struct dmm_prefix *p, const char *ifname, int ifindex, int how)
{
	unsigned users = 0;
	int r;

	for (uint32_t i = dpu_chain(dp, DMM_FM_SRC, p); i != NONE; i = dpu_slot(dp, i)->next[DPU_BY_PREFIX]) {
		const struct slot *s = dpu_slot(dp, i);

		if (dpu_slot_is(s, DMM_FM_SRC, p) && dpu_to_tun(s->in.action) && s->ifindex == ifindex)
			users++;
	}
	if (users && (how == DPU_RULE_ENSURE || (how == DPU_RULE_ADD && users == 1))) {
		r = table_route(dp);
		if (r < 0)
			return r;
		r = dpu_rt_rule(dp, true, p, ifname);
		return r == -EEXIST ? 0 : r;
	}
	if (!users && how != DPU_RULE_ADD) {
		r = dpu_rt_rule(dp, false, p, ifname);
		return how == DPU_RULE_ENSURE && r == -ENOENT ? 0 : r;
	}
	return 0;
}
