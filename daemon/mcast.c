/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MLD proxy of a MAG or MAAR (RFC 6224 §4; RFC 4605 §4), direct mode
 * (RFC 7429 REQ8): the access router itself subscribes upstream, so each
 * group packet reaches it once on its own link into the network and never
 * through a tunnel, whichever anchor its listeners' prefixes have.
 *
 * Downstream, on every access link (the access-interfaces patterns), dmmd
 * is the MLD querier (RFC 3810 §7): it joins ff02::16 to hear MLDv2
 * reports (MLDv1 ones carry a Router Alert and reach a multicast router
 * anyway), keeps the listener state of core/state/mld_tab.c and sends
 * General Queries, robustness of them QI/4 apart at carrier-up (§7.6.1's
 * startup queries: a host that just moved here reports at once instead of
 * at its next unsolicited report) and then every query interval, and
 * Multicast Address Specific Queries when a listener leaves (§7.6.3.1).
 *
 * Upstream, the kernel does the forwarding (the MRT6 socket API on the
 * same raw ICMPv6 socket, RFC 3542-style ancillary data): the upstream
 * link is MIF 0, each access link a MIF of its own. A group packet with no
 * forwarding entry raises MRT6MSG_NOCACHE; dmmd answers with an (S,G)
 * entry whose outgoing MIFs are the access links with listeners of G
 * (none: a negative entry, so the kernel drops without asking again). A
 * listener that comes or goes rewrites the entries of its group; the last
 * one deletes them. In direct mode the first listener of a group anywhere
 * joins it on the upstream link from a socket of this process, so the
 * kernel's own MLD host side reports it to the upstream router (RFC 4605
 * §4.1: the proxy's upstream membership is the union of its downstream
 * ones); the last one leaves. A link that goes away (a host's link moved
 * to another access router) leaves its groups at once.
 *
 * Handover context (docs/dmm-protocol.md §14, RFC 7161): when an access
 * link goes away its groups are kept for MALI, so that the previous
 * MAAR can hand them to the host's next one in its PBA
 * (dmmd_mcast_ctx_get); the next one installs them on the host's new
 * link the moment the PBA comes (dmmd_mcast_ctx_put), through the same
 * listener state as a report, so the stream resumes before the host has
 * answered a query.
 *
 * Limits: 32 MIFs per namespace (MAXMIFS), so 31 access links; forwarding
 * is per group (any source), as an MLD proxy forwards.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/if.h>
#include <linux/mroute6.h>
#include <linux/rtnetlink.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <jansson.h>

#include "dmm/bytes.h"
#include "dmm/csum.h"
#include "dmm/fmt.h"
#include "dmm/mld.h"
#include "../dataplane/nl.h"
#include "dmmd.h"
#include "mcast.h"
#include "mcast_tun.h"

#define MC_MFC_MAX 256
#define MC_CHANGES 128
#define MC_PEERS 16    /* via-anchor, at the anchor: serving nodes with a tunnel */
#define MC_TUN_LINK 64 /* listener table link id of tunnel peer i: MC_TUN_LINK + i */
#define MC_GONE 16     /* access links gone lately, whose groups a handover context asks for */
#define MC_MARKS 64    /* (link, group) learned from a handover context, not reported yet */

/* The groups of an access link that went away (a host that moved), for MALI. */
struct mc_gone {
	int ifindex; /* 0: free */
	dmm_time_t at;
	struct dmm_mcast_groups g;
};

struct mc_mark {
	bool used;
	unsigned mif;
	struct dmm_addr group;
};

/* A serving node that reached the anchor through the multicast tunnel. */
struct mc_peer {
	bool used;
	struct dmm_addr addr;
	uint64_t tx_packets, tx_bytes, reports;
};

struct mc_mif {
	bool used, access, up, tun;
	int ifindex;
	char name[IFNAMSIZ];
	uint8_t startup_left;  /* startup queries still to send (RFC 3810 §7.6.1) */
	dmm_time_t next_query; /* next General Query (DMM_TIME_NEVER: carrier down) */
};

struct mc_mfc {
	bool used;
	struct in6_addr src, grp;
	mifi_t parent;
	uint32_t oifs; /* bit per MIF */
};

struct dmmd_mcast {
	struct dmmd *d;
	int fd;	     /* MRT6 + MLD (raw ICMPv6) */
	int tfd;     /* timerfd: queries and listener timers */
	int join_fd; /* direct mode: the upstream memberships (a UDP socket that reads nothing) */
	struct mnl_socket *nl;
	struct mc_mif mif[MAXMIFS]; /* [0]: upstream */
	struct mc_mfc mfc[MC_MFC_MAX];
	struct dmm_mld_tab tab; /* link id: MIF index */
	struct dmm_mld_msg msg;
	/* via-anchor: the tunnel; at the anchor its MIF and the serving nodes behind it. */
	struct mctun *tun;
	bool anchor;
	unsigned tun_mif;
	struct mc_peer peer[MC_PEERS];
	dmm_time_t next_peer_query;
	uint64_t tun_rx, tun_tx;
	struct mc_gone gone[MC_GONE];
	struct mc_mark mark[MC_MARKS];
	uint64_t ctx_sent, ctx_groups_in;
	uint64_t queries_sent, reports, bad, upcalls, mfc_set, mfc_del, upstream_joins, upstream_leaves;
};

static void mc_log(struct dmmd_mcast *m, enum dmm_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mc_log(struct dmmd_mcast *m, enum dmm_log_level lvl, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dmm_logf(&m->d->log, lvl, DMM_LC_DP, "mcast: %s", buf);
}

static const char *grp_str(const void *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* --- the kernel's forwarding entries (MRT6) --- */

static uint32_t listeners_of(const struct dmmd_mcast *m, const struct in6_addr *g, mifi_t parent)
{
	uint32_t oifs = 0;

	for (unsigned i = 1; i < MAXMIFS; i++)
		if (m->mif[i].used && !m->mif[i].tun && i != parent &&
		    dmm_mld_listening(&m->tab, i, (const struct dmm_addr *)g))
			oifs |= 1u << i;
	if (parent != 0 && m->mif[0].used)
		oifs |= 1u; /* RFC 4605 §4.2: from a downstream link, also upstream */
	for (unsigned i = 0; m->anchor && i < MC_PEERS && parent != m->tun_mif; i++)
		if (m->peer[i].used &&
		    dmm_mld_listening(&m->tab, MC_TUN_LINK + i, (const struct dmm_addr *)g))
			oifs |= 1u << m->tun_mif;
	return oifs;
}

static int mfc_write(struct dmmd_mcast *m, const struct mc_mfc *e, bool del)
{
	struct mf6cctl c = {.mf6cc_parent = e->parent};

	c.mf6cc_origin.sin6_family = c.mf6cc_mcastgrp.sin6_family = AF_INET6;
	c.mf6cc_origin.sin6_addr = e->src;
	c.mf6cc_mcastgrp.sin6_addr = e->grp;
	for (unsigned i = 0; i < MAXMIFS; i++)
		if (e->oifs & (1u << i))
			IF_SET(i, &c.mf6cc_ifset);
	if (setsockopt(m->fd, IPPROTO_IPV6, del ? MRT6_DEL_MFC : MRT6_ADD_MFC, &c, sizeof(c)) < 0)
		return -errno;
	if (del)
		m->mfc_del++;
	else
		m->mfc_set++;
	return 0;
}

static void mfc_log(struct dmmd_mcast *m, const struct mc_mfc *e, const char *what)
{
	char s[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];

	mc_log(m, DMM_LOG_INFO, "(%s, %s) from %s %s, to %u access links (oifs 0x%x)", grp_str(&e->src, s),
	       grp_str(&e->grp, g), m->mif[e->parent].name, what, (unsigned)__builtin_popcount(e->oifs & ~1u),
	       e->oifs);
}

/* MRT6MSG_NOCACHE: the first packet of (src, grp) on mif; install the entry it lacks. */
static void on_nocache(struct dmmd_mcast *m, const struct in6_addr *src, const struct in6_addr *grp,
		       mifi_t mif)
{
	struct mc_mfc *e = NULL;
	int r;

	m->upcalls++;
	if (mif >= MAXMIFS || !m->mif[mif].used)
		return;
	for (unsigned i = 0; i < MC_MFC_MAX && !e; i++)
		if (!m->mfc[i].used)
			e = &m->mfc[i];
	if (!e) {
		mc_log(m, DMM_LOG_WARN, "forwarding table full (%d entries)", MC_MFC_MAX);
		return;
	}
	*e = (struct mc_mfc){.used = true, .src = *src, .grp = *grp, .parent = mif};
	e->oifs = listeners_of(m, grp, mif);
	if ((r = mfc_write(m, e, false)) < 0) {
		mc_log(m, DMM_LOG_WARN, "MRT6_ADD_MFC: %s", strerror(-r));
		e->used = false;
		return;
	}
	mfc_log(m, e, "installed");
}

/* Listeners of g changed: rewrite its entries, delete them when nobody listens any more. */
static void mfc_group_changed(struct dmmd_mcast *m, const struct dmm_addr *g)
{
	bool any = dmm_mld_any_listener(&m->tab, g);

	for (unsigned i = 0; i < MC_MFC_MAX; i++) {
		struct mc_mfc *e = &m->mfc[i];
		uint32_t oifs;

		if (!e->used || memcmp(&e->grp, g->b, 16) != 0)
			continue;
		if (!any && e->parent == 0) {
			mfc_write(m, e, true);
			mfc_log(m, e, "removed (no listener left)");
			e->used = false;
			continue;
		}
		oifs = listeners_of(m, &e->grp, e->parent);
		if (oifs == e->oifs)
			continue;
		e->oifs = oifs;
		mfc_write(m, e, false);
		mfc_log(m, e, "updated");
	}
}

/* A MIF went away (its link left the namespace): no entry may name it any more. */
static void mfc_mif_gone(struct dmmd_mcast *m, unsigned mif)
{
	for (unsigned i = 0; i < MC_MFC_MAX; i++) {
		struct mc_mfc *e = &m->mfc[i];

		if (!e->used)
			continue;
		if (e->parent == mif) {
			mfc_write(m, e, true);
			e->used = false;
		} else if (e->oifs & (1u << mif)) {
			e->oifs &= ~(1u << mif);
			mfc_write(m, e, false);
		}
	}
}

/* --- upstream membership (direct mode) --- */

static void upstream_member(struct dmmd_mcast *m, const struct dmm_addr *g, bool join)
{
	struct ipv6_mreq mr = {.ipv6mr_interface = (unsigned)m->mif[0].ifindex};
	char s[INET6_ADDRSTRLEN];

	memcpy(&mr.ipv6mr_multiaddr, g->b, 16);
	if (setsockopt(m->join_fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &mr, sizeof(mr)) <
	    0) {
		mc_log(m, DMM_LOG_WARN, "%s %s on %s: %s", join ? "join" : "leave", grp_str(g->b, s),
		       m->mif[0].name, strerror(errno));
		return;
	}
	if (join)
		m->upstream_joins++;
	else
		m->upstream_leaves++;
	mc_log(m, DMM_LOG_INFO, "upstream %s %s on %s", join ? "joined" : "left", grp_str(g->b, s),
	       m->mif[0].name);
}

/* --- MLD out: queries (RFC 3810 §5.1, §6.2 / §7.6) --- */

/*
 * An MLDv2 Query (RFC 3810 §5.1) into m->msg: General (group NULL, Maximum
 * Response from the Query Response Interval) or Multicast Address
 * Specific (from the Last Listener Query Interval, §7.6.3.1).
 */
static struct dmm_mld_msg *make_query(struct dmmd_mcast *m, const struct dmm_addr *group)
{
	const struct dmm_mld_timers *t = &m->tab.t;
	struct dmm_mld_msg *q = &m->msg;

	memset(q, 0, offsetof(struct dmm_mld_msg, rec));
	q->nsrc = 0;
	q->type = DMM_MLD_QUERY;
	q->version = 2;
	q->qrv = t->robustness <= 7 ? t->robustness : 0;
	q->qqic = dmm_mld_s_qqic((uint32_t)(t->query_interval / DMM_SECOND));
	q->max_resp_code = dmm_mld_ms_code((uint32_t)((group ? t->last_listener : t->response) / DMM_MSEC));
	if (group)
		q->group = *group;
	return q;
}

static void send_query(struct dmmd_mcast *m, unsigned mif, const struct dmm_addr *group)
{
	struct dmm_mld_msg *q = make_query(m, group);
	uint8_t buf[64];
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)m->mif[mif].ifindex};
	int n;

	if (group) /* §5.1.15: a Multicast Address Specific Query goes to the address itself */
		memcpy(&to.sin6_addr, group->b, 16);
	else /* a General Query to ff02::1 */
		inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	n = dmm_mld_encode(buf, sizeof(buf), q);
	if (n < 0)
		return;
	if (sendto(m->fd, buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		if (errno != ENETDOWN && errno != EADDRNOTAVAIL)
			mc_log(m, DMM_LOG_WARN, "query on %s: %s", m->mif[mif].name, strerror(errno));
		return;
	}
	m->queries_sent++;
}

/* --- via-anchor: the tunnel --- */

/*
 * A query to serving node i through the tunnel (RFC 6224 §4.2: the LMA
 * is the querier of its tunnels): IPv6 from fe80::1 to ff02::1 (or the
 * group), hop limit 1, Router Alert, as on a link.
 */
static void peer_query(struct dmmd_mcast *m, unsigned i, const struct dmm_addr *group)
{
	static const uint8_t hbh[8] = {58, 0, 5, 2, 0, 0, 1, 0};
	struct dmm_mld_msg *q = make_query(m, group);
	struct dmm_addr src = {{0xfe, 0x80, [15] = 1}}, dst = {{0xff, 0x02, [15] = 1}};
	uint8_t pkt[128] = {0x60};
	int n;

	if (group)
		dst = *group;
	n = dmm_mld_encode(pkt + 48, sizeof(pkt) - 48, q);
	if (n < 0)
		return;
	dmm_put_u16(pkt + 48 + 2, dmm_csum_ipv6(pkt + 48, (size_t)n, &src, &dst, 58, 2));
	dmm_put_u16(pkt + 4, (uint16_t)(8 + n));
	pkt[6] = 0; /* hop-by-hop */
	pkt[7] = 1;
	memcpy(pkt + 8, src.b, 16);
	memcpy(pkt + 24, dst.b, 16);
	memcpy(pkt + 40, hbh, 8);
	if (mctun_encap(m->tun, &m->peer[i].addr, pkt, (size_t)(48 + n)) == 0)
		m->queries_sent++;
}

static int peer_of(struct dmmd_mcast *m, const struct dmm_addr *a)
{
	int free_i = -1;

	for (int i = 0; i < MC_PEERS; i++) {
		if (m->peer[i].used && dmm_addr_eq(&m->peer[i].addr, a))
			return i;
		if (!m->peer[i].used && free_i < 0)
			free_i = i;
	}
	if (free_i >= 0) {
		char s[INET6_ADDRSTRLEN];

		m->peer[free_i] = (struct mc_peer){.used = true, .addr = *a};
		mc_log(m, DMM_LOG_INFO, "tunnel to %s (listener link %d)", grp_str(a->b, s),
		       MC_TUN_LINK + free_i);
	}
	return free_i;
}

static void apply(struct dmmd_mcast *m, const struct dmm_mld_change *c, int n);
static void arm(struct dmmd_mcast *m);

/* At the anchor: an MLD report of serving node src through the tunnel (inner packet pkt). */
static void peer_mld(struct dmmd_mcast *m, const struct dmm_addr *src, const uint8_t *pkt, size_t len)
{
	struct dmm_mld_change c[MC_CHANGES];
	size_t off = 40;
	uint8_t nh = pkt[6];
	int i, n;

	if (nh == 0 && len >= 48) { /* the Router Alert's hop-by-hop header */
		nh = pkt[40];
		off += 8u * (pkt[41] + 1u);
	}
	if (nh != 58 || off >= len || pkt[7] != 1 || pkt[off] == DMM_MLD_QUERY)
		return;
	if (dmm_mld_decode(&m->msg, pkt + off, len - off) < 0) {
		m->bad++;
		return;
	}
	if ((i = peer_of(m, src)) < 0)
		return;
	m->peer[i].reports++;
	m->reports++;
	n = dmm_mld_report(&m->tab, MC_TUN_LINK + (unsigned)i, &m->msg, dmm_io_now(), c, MC_CHANGES);
	if (n > 0)
		apply(m, c, n);
	arm(m);
}

/* Encapsulated, from the physical link: at a serving node the anchor's, at the anchor the serving nodes'. */
static void on_tunnel(void *ctx, const struct dmm_addr *src, const uint8_t *pkt, size_t len)
{
	struct dmmd_mcast *m = ctx;

	if (len < 40 || (pkt[0] >> 4) != 6)
		return;
	if (m->anchor) {
		peer_mld(m, src, pkt, len);
		return;
	}
	if (!dmm_addr_eq(src, &m->d->cfg.mcast.anchor))
		return;
	if (mctun_inject(m->tun, pkt, len) == 0) /* arrives on MIF 0: routed to the listeners */
		m->tun_rx++;
}

/* From the TUN device: at the anchor a group packet, once per tunnel with listeners; else to the anchor. */
static void on_tun(void *ctx, const struct dmm_addr *src, const uint8_t *pkt, size_t len)
{
	struct dmmd_mcast *m = ctx;

	(void)src;
	if (!m->anchor) {
		if (mctun_encap(m->tun, &m->d->cfg.mcast.anchor, pkt, len) == 0)
			m->tun_tx++;
		return;
	}
	for (unsigned i = 0; i < MC_PEERS; i++) {
		struct mc_peer *p = &m->peer[i];

		if (!p->used ||
		    !dmm_mld_listening(&m->tab, MC_TUN_LINK + i, (const struct dmm_addr *)(pkt + 24)))
			continue;
		if (mctun_encap(m->tun, &p->addr, pkt, len) == 0) {
			p->tx_packets++;
			p->tx_bytes += len;
		}
	}
}

/* (link, group) entries learned from a handover context, until a report confirms them. */

static void mark_clear(struct dmmd_mcast *m, unsigned mif, const struct dmm_addr *g)
{
	for (unsigned i = 0; i < MC_MARKS; i++)
		if (m->mark[i].used && m->mark[i].mif == mif && (!g || dmm_addr_eq(&m->mark[i].group, g)))
			m->mark[i].used = false;
}

static bool marked(const struct dmmd_mcast *m, unsigned mif, const struct dmm_addr *g)
{
	for (unsigned i = 0; i < MC_MARKS; i++)
		if (m->mark[i].used && m->mark[i].mif == mif && dmm_addr_eq(&m->mark[i].group, g))
			return true;
	return false;
}

/* --- the listener state's changes and timers --- */

static bool others_listen(const struct dmmd_mcast *m, unsigned mif, const struct dmm_addr *g)
{
	for (unsigned j = 1; j < MC_TUN_LINK + MC_PEERS; j++)
		if (j != mif && dmm_mld_listening(&m->tab, j, g))
			return true;
	return false;
}

static void apply(struct dmmd_mcast *m, const struct dmm_mld_change *c, int n)
{
	char s[INET6_ADDRSTRLEN];

	for (int i = 0; i < n; i++) {
		char pb[INET6_ADDRSTRLEN];
		const char *link = c[i].link >= MC_TUN_LINK
					   ? grp_str(m->peer[c[i].link - MC_TUN_LINK].addr.b, pb)
					   : m->mif[c[i].link].name;

		switch (c[i].what) {
		case DMM_MLD_SEND_GSQ:
			if (c[i].link >= MC_TUN_LINK)
				peer_query(m, c[i].link - MC_TUN_LINK, &c[i].group);
			else
				send_query(m, c[i].link, &c[i].group);
			break;
		case DMM_MLD_JOINED:
			mc_log(m, DMM_LOG_INFO, "%s: listener of %s", link, grp_str(c[i].group.b, s));
			if (!others_listen(m, c[i].link, &c[i].group))
				upstream_member(m, &c[i].group, true); /* the first listener anywhere */
			mfc_group_changed(m, &c[i].group);
			break;
		case DMM_MLD_LEFT:
			mc_log(m, DMM_LOG_INFO, "%s: no listener of %s left", link, grp_str(c[i].group.b, s));
			mark_clear(m, c[i].link, &c[i].group);
			if (!dmm_mld_any_listener(&m->tab, &c[i].group))
				upstream_member(m, &c[i].group, false);
			mfc_group_changed(m, &c[i].group);
			break;
		}
	}
}

static void arm(struct dmmd_mcast *m)
{
	dmm_time_t t = dmm_mld_next_expiry(&m->tab), now = dmm_io_now();
	struct itimerspec its = {0};

	for (unsigned i = 1; i < MAXMIFS; i++)
		if (m->mif[i].used && m->mif[i].next_query < t)
			t = m->mif[i].next_query;
	if (m->anchor && m->next_peer_query < t)
		t = m->next_peer_query;
	if (t != DMM_TIME_NEVER) {
		dmm_time_t in = t > now ? t - now : 1;

		its.it_value.tv_sec = (time_t)(in / DMM_SECOND);
		its.it_value.tv_nsec = (long)(in % DMM_SECOND);
	}
	timerfd_settime(m->tfd, 0, &its, NULL);
}

static void query_due(struct dmmd_mcast *m, unsigned i, dmm_time_t now)
{
	struct mc_mif *f = &m->mif[i];

	send_query(m, i, NULL);
	if (f->startup_left) { /* §9.6, §9.7: startup queries, QI/4 apart */
		f->startup_left--;
		f->next_query = now + m->tab.t.query_interval / 4;
	} else {
		f->next_query = now + m->tab.t.query_interval;
	}
}

static void on_timer(void *ctx, int fd, uint32_t ev)
{
	struct dmmd_mcast *m = ctx;
	struct dmm_mld_change c[MC_CHANGES];
	dmm_time_t now = dmm_io_now();
	uint64_t x;
	int n;

	(void)ev;
	if (read(fd, &x, sizeof(x)) < 0 && errno != EAGAIN)
		return;
	for (unsigned i = 1; i < MAXMIFS; i++)
		if (m->mif[i].used && m->mif[i].up && m->mif[i].next_query <= now)
			query_due(m, i, now);
	if (m->anchor && m->next_peer_query <= now) { /* §7.6: General Queries, every query interval */
		for (unsigned i = 0; i < MC_PEERS; i++)
			if (m->peer[i].used)
				peer_query(m, i, NULL);
		m->next_peer_query = now + m->tab.t.query_interval;
	}
	while ((n = dmm_mld_expire(&m->tab, now, c, MC_CHANGES)) > 0)
		apply(m, c, n);
	arm(m);
}

/* --- the handover context (docs/dmm-protocol.md §14, RFC 7161) --- */

static void groups_of(const struct dmmd_mcast *m, unsigned mif, struct dmm_mcast_groups *out)
{
	out->n = 0;
	for (unsigned i = 0; i < DMM_MLD_TAB_MAX && out->n < DMM_MCAST_GROUPS_MAX; i++)
		if (m->tab.e[i].link == mif && dmm_mld_listening(&m->tab, mif, &m->tab.e[i].group))
			out->group[out->n++] = m->tab.e[i].group;
}

/* Access link mif goes away: its groups are kept for MALI, for the host's next access router. */
static void gone_keep(struct dmmd_mcast *m, unsigned mif)
{
	struct mc_gone *slot = &m->gone[0];
	dmm_time_t now = dmm_io_now();

	for (unsigned i = 0; i < MC_GONE; i++) { /* a free slot, or the oldest */
		if (!m->gone[i].ifindex || m->gone[i].ifindex == m->mif[mif].ifindex) {
			slot = &m->gone[i];
			break;
		}
		if (m->gone[i].at < slot->at)
			slot = &m->gone[i];
	}
	groups_of(m, mif, &slot->g);
	slot->ifindex = slot->g.n ? m->mif[mif].ifindex : 0;
	slot->at = now;
}

void dmmd_mcast_ctx_get(struct dmmd_mcast *m, int ifindex, struct dmm_mcast_groups *out)
{
	dmm_time_t now = dmm_io_now();

	out->n = 0;
	if (!m)
		return;
	for (unsigned i = 1; i < MAXMIFS && !out->n; i++)
		if (m->mif[i].used && m->mif[i].access && m->mif[i].ifindex == ifindex)
			groups_of(m, i, out);
	for (unsigned i = 0; i < MC_GONE && !out->n; i++)
		if (m->gone[i].ifindex == ifindex && now - m->gone[i].at <= dmm_mld_mali(&m->tab.t))
			*out = m->gone[i].g;
	if (out->n) {
		m->ctx_sent++;
		mc_log(m, DMM_LOG_INFO,
		       "handover context: %u groups of link index %d to the next access router", out->n,
		       ifindex);
	}
}

void dmmd_mcast_ctx_put(struct dmmd_mcast *m, int ifindex, const struct dmm_mcast_groups *in)
{
	struct dmm_mld_change c[MC_CHANGES];
	struct dmm_mld_msg *r;
	unsigned mif = 0;
	int n;

	if (!m || !in->n)
		return;
	for (unsigned i = 1; i < MAXMIFS && !mif; i++)
		if (m->mif[i].used && m->mif[i].access && m->mif[i].ifindex == ifindex)
			mif = i;
	if (!mif) {
		mc_log(m, DMM_LOG_WARN, "handover context for link index %d: not an access link here",
		       ifindex);
		return;
	}
	/* The same listener state as a report: MODE_IS_EXCLUDE {} per group (RFC 3810 §6.1). */
	r = &m->msg;
	memset(r, 0, offsetof(struct dmm_mld_msg, rec));
	r->type = DMM_MLD_V2_REPORT;
	r->version = 2;
	r->nrec = 0;
	r->nsrc = 0;
	for (unsigned i = 0; i < in->n && i < DMM_MLD_MAX_REC; i++) {
		r->rec[r->nrec++] = (struct dmm_mld_rec){.type = DMM_MLD_IS_EX, .group = in->group[i]};
		if (!dmm_mld_listening(&m->tab, mif, &in->group[i]))
			for (unsigned k = 0; k < MC_MARKS; k++)
				if (!m->mark[k].used) {
					m->mark[k] = (struct mc_mark){true, mif, in->group[i]};
					break;
				}
	}
	m->ctx_groups_in += in->n;
	mc_log(m, DMM_LOG_INFO, "%s: %u groups from the handover context (mono %llu us)", m->mif[mif].name,
	       in->n, (unsigned long long)(dmm_io_now() / DMM_USEC));
	n = dmm_mld_report(&m->tab, mif, r, dmm_io_now(), c, MC_CHANGES);
	if (n > 0)
		apply(m, c, n);
	arm(m);
}

/* --- MLD and upcalls in --- */

static void on_mld(struct dmmd_mcast *m, const uint8_t *buf, size_t len, int ifindex, int hops,
		   const struct in6_addr *src)
{
	struct dmm_mld_change c[MC_CHANGES];
	unsigned mif = 0;
	int n;

	for (unsigned i = 1; i < MAXMIFS && !mif; i++)
		if (m->mif[i].used && m->mif[i].ifindex == ifindex)
			mif = i;
	if (!mif || buf[0] == DMM_MLD_QUERY)
		return; /* not an access link, or another querier (ours is the only router there) */
	/* RFC 3810 §5.2.13, RFC 2710 §5: hop limit 1, a link-local source (or ::, §5.2.13). */
	if (hops != 1 || !(IN6_IS_ADDR_LINKLOCAL(src) || IN6_IS_ADDR_UNSPECIFIED(src)) ||
	    dmm_mld_decode(&m->msg, buf, len) < 0) {
		m->bad++;
		return;
	}
	m->reports++;
	if (m->msg.type == DMM_MLD_V2_REPORT) /* the host confirms: no longer "context" */
		for (unsigned i = 0; i < m->msg.nrec; i++)
			mark_clear(m, mif, &m->msg.rec[i].group);
	else
		mark_clear(m, mif, &m->msg.group);
	n = dmm_mld_report(&m->tab, mif, &m->msg, dmm_io_now(), c, MC_CHANGES);
	if (n > 0)
		apply(m, c, n);
	arm(m);
}

static void on_sock(void *ctx, int fd, uint32_t ev)
{
	struct dmmd_mcast *m = ctx;
	uint8_t buf[2048], cbuf[256];
	struct sockaddr_in6 from;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr mh = {&from, sizeof(from), &iov, 1, cbuf, sizeof(cbuf), 0};
	ssize_t n;

	(void)ev;
	while ((n = recvmsg(fd, &mh, MSG_DONTWAIT)) >= 0) {
		int ifindex = 0, hops = -1;

		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
				ifindex = (int)((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_ifindex;
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&hops, CMSG_DATA(c), sizeof(hops));
		}
		if ((size_t)n >= sizeof(struct mrt6msg) && buf[0] == 0) { /* an upcall: im6_mbz is 0 */
			struct mrt6msg u;

			memcpy(&u, buf, sizeof(u));
			if (u.im6_msgtype == MRT6MSG_NOCACHE)
				on_nocache(m, &u.im6_src, &u.im6_dst, u.im6_mif);
		} else if (n > 0) {
			on_mld(m, buf, (size_t)n, ifindex, hops, &from.sin6_addr);
		}
		mh.msg_namelen = sizeof(from);
		mh.msg_controllen = sizeof(cbuf);
	}
}

/* --- links: MIFs --- */

static bool is_access(const struct dmmd_mcast *m, const char *name)
{
	for (uint32_t i = 0; i < m->d->cfg.naccess; i++)
		if (fnmatch(m->d->cfg.access[i], name, 0) == 0)
			return true;
	return false;
}

static int mif_add(struct dmmd_mcast *m, unsigned i, int ifindex, const char *name, bool access)
{
	struct mif6ctl c = {.mif6c_mifi = (mifi_t)i, .vifc_threshold = 1, .mif6c_pifi = (uint16_t)ifindex};
	struct ipv6_mreq mr = {.ipv6mr_interface = (unsigned)ifindex};

	if (setsockopt(m->fd, IPPROTO_IPV6, MRT6_ADD_MIF, &c, sizeof(c)) < 0) {
		mc_log(m, DMM_LOG_WARN, "MIF %u for %s: %s", i, name, strerror(errno));
		return -1;
	}
	m->mif[i] = (struct mc_mif){
		.used = true, .access = access, .ifindex = ifindex, .next_query = DMM_TIME_NEVER};
	mark_clear(m, i, NULL);
	for (unsigned k = 0; k < MC_GONE; k++) /* the link is back here: what it had is no context */
		if (m->gone[k].ifindex == ifindex)
			m->gone[k].ifindex = 0;
	snprintf(m->mif[i].name, sizeof(m->mif[i].name), "%s", name);
	/* MLDv2 reports go to ff02::16 (RFC 3810 §5.2.14). */
	inet_pton(AF_INET6, "ff02::16", &mr.ipv6mr_multiaddr);
	if (access && setsockopt(m->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) < 0)
		mc_log(m, DMM_LOG_WARN, "join ff02::16 on %s: %s", name, strerror(errno));
	mc_log(m, DMM_LOG_INFO, "%s link %s (index %d) is MIF %u", access ? "access" : "upstream", name,
	       ifindex, i);
	return 0;
}

static void carrier(struct dmmd_mcast *m, unsigned i, bool up)
{
	struct mc_mif *f = &m->mif[i];
	dmm_time_t now = dmm_io_now();

	if (f->up == up)
		return;
	f->up = up;
	f->next_query = DMM_TIME_NEVER;
	if (!up)
		return;
	/* §7.6.1: startup queries; the first at once, so a host that moved here reports now. */
	f->startup_left = (uint8_t)(m->tab.t.robustness - 1);
	mc_log(m, DMM_LOG_INFO, "%s carrier up: general query (mono %llu us)", f->name,
	       (unsigned long long)(now / DMM_USEC));
	query_due(m, i, now);
}

static void link_gone(struct dmmd_mcast *m, unsigned i)
{
	struct dmm_mld_change c[MC_CHANGES];
	struct mif6ctl mc = {.mif6c_mifi = (mifi_t)i};
	int n;

	gone_keep(m, i); /* before its state goes: the host's next access router may ask */
	mark_clear(m, i, NULL);
	n = dmm_mld_link_gone(&m->tab, i, c, MC_CHANGES);
	mc_log(m, DMM_LOG_INFO, "access link %s gone (MIF %u), %d groups left", m->mif[i].name, i, n);
	mfc_mif_gone(m, i);
	apply(m, c, n);
	/* The kernel dropped the MIF with its device; this only clears a leftover. */
	setsockopt(m->fd, IPPROTO_IPV6, MRT6_DEL_MIF, &mc, sizeof(mc));
	m->mif[i].used = false;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dmmd_mcast *m = data;
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const char *name = NULL;
	struct nlattr *attr;
	unsigned i, free_i = 0;

	mnl_attr_for_each(attr, nlh, sizeof(*ifi))
	{
		if (mnl_attr_get_type(attr) == IFLA_IFNAME)
			name = mnl_attr_get_str(attr);
	}
	for (i = 1; i < MAXMIFS; i++) {
		if (m->mif[i].used && m->mif[i].ifindex == ifi->ifi_index)
			break;
		if (!m->mif[i].used && !free_i)
			free_i = i;
	}
	if (i < MAXMIFS && m->mif[i].tun)
		return MNL_CB_OK; /* the tunnel's TUN device: dmmd's own */
	if (nlh->nlmsg_type == RTM_DELLINK) {
		if (i < MAXMIFS)
			link_gone(m, i);
		else if (m->mif[0].used && m->mif[0].ifindex == ifi->ifi_index)
			m->mif[0].used = false; /* the upstream: until it comes back */
		return MNL_CB_OK;
	}
	if (nlh->nlmsg_type != RTM_NEWLINK || !name)
		return MNL_CB_OK;
	if (!m->mif[0].used && strcmp(name, m->d->cfg.mcast.upstream) == 0) {
		mif_add(m, 0, ifi->ifi_index, name, false);
		return MNL_CB_OK;
	}
	if (i == MAXMIFS) {
		if (m->mif[0].used && m->mif[0].ifindex == ifi->ifi_index)
			return MNL_CB_OK;
		if (!is_access(m, name))
			return MNL_CB_OK;
		if (!free_i || mif_add(m, free_i, ifi->ifi_index, name, true) < 0)
			return MNL_CB_OK;
		i = free_i;
	}
	carrier(m, i, (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_LOWER_UP));
	return MNL_CB_OK;
}

static void on_netlink(void *ctx, int fd, uint32_t ev)
{
	struct dmmd_mcast *m = ctx;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	(void)fd;
	(void)ev;
	while ((n = recv(mnl_socket_get_fd(m->nl), buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		mnl_cb_run(buf, (size_t)n, 0, 0, link_cb, m);
	arm(m);
}

/* --- open and close --- */

static int open_sockets(struct dmmd_mcast *m)
{
	/* Hop-by-hop Router Alert (RFC 2711) with value 0, MLD (RFC 3810 §5), padded to 8 octets. */
	static const uint8_t hbh[8] = {0, 0, 5, 2, 0, 0, 1, 0};
	struct sock_filter none = {BPF_RET | BPF_K, 0, 0, 0};
	struct sock_fprog drop = {1, &none};
	struct icmp6_filter filt;
	int one = 1, v = 1, hops = 1;

	m->fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	m->join_fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	m->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->fd < 0 || m->join_fd < 0 || m->tfd < 0)
		return -1;
	if (setsockopt(m->fd, IPPROTO_IPV6, MRT6_INIT, &v, sizeof(v)) < 0) {
		mc_log(m, DMM_LOG_ERR, "MRT6_INIT: %s (another multicast router in this namespace?)",
		       strerror(errno));
		return -1;
	}
	ICMP6_FILTER_SETBLOCKALL(&filt);
	ICMP6_FILTER_SETPASS(DMM_MLD_V1_REPORT, &filt);
	ICMP6_FILTER_SETPASS(DMM_MLD_V1_DONE, &filt);
	ICMP6_FILTER_SETPASS(DMM_MLD_V2_REPORT, &filt);
	setsockopt(m->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt));
	setsockopt(m->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	setsockopt(m->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
	setsockopt(m->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops));
	setsockopt(m->fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &(int){0}, sizeof(int));
	if (setsockopt(m->fd, IPPROTO_IPV6, IPV6_HOPOPTS, hbh, sizeof(hbh)) < 0)
		mc_log(m, DMM_LOG_WARN, "Router Alert on queries: %s", strerror(errno));
	/* The upstream memberships' socket reads nothing: a filter drops what the groups bring. */
	setsockopt(m->join_fd, SOL_SOCKET, SO_ATTACH_FILTER, &drop, sizeof(drop));
	if (dmm_loop_add(m->d->loop, m->fd, on_sock, m) < 0 ||
	    dmm_loop_add(m->d->loop, m->tfd, on_timer, m) < 0)
		return -1;
	return 0;
}

/*
 * via-anchor: the anchor (this node's address) gets "mcdn", MIF 1, toward
 * its tunnels; a serving node gets "mcup" as its upstream, MIF 0.
 */
static int open_tunnel(struct dmmd_mcast *m)
{
	const struct dmmd_mcast_cfg *c = &m->d->cfg.mcast;
	const char *name;

	m->anchor = dmm_addr_eq(&c->anchor, &m->d->cfg.address);
	name = m->anchor ? "mcdn" : "mcup";
	m->tun = mctun_open(m->d->loop, name, c->upstream, on_tunnel, on_tun, m);
	m->tun_mif = m->anchor ? 1 : 0;
	if (!m->tun || mif_add(m, m->tun_mif, mctun_ifindex(m->tun), name, false) < 0)
		return -1;
	m->mif[m->tun_mif].tun = true;
	return 0;
}

static int dump_links(struct dmmd_mcast *m)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct dmm_nl *dump = dmm_nl_open(NETLINK_ROUTE);
	struct nlmsghdr *nlh;
	struct rtgenmsg *rt;
	int r;

	if (!dump)
		return -1;
	nlh = dmm_nl_msg(buf, RTM_GETLINK, 0);
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	r = dmm_nl_dump(dump, nlh, link_cb, m);
	dmm_nl_close(dump);
	return r < 0 ? -1 : 0;
}

struct dmmd_mcast *dmmd_mcast_open(struct dmmd *d)
{
	const struct dmmd_mcast_cfg *c = &d->cfg.mcast;
	struct dmmd_mcast *m = calloc(1, sizeof(*m));
	struct dmm_mld_timers t = {(uint8_t)c->robustness, c->query_interval, c->response, c->last_listener};

	if (!m)
		return NULL;
	m->d = d;
	m->fd = m->tfd = m->join_fd = -1;
	dmm_mld_tab_init(&m->tab, &t);
	if (open_sockets(m) < 0 || (c->mode == DMMD_MCAST_VIA_ANCHOR && open_tunnel(m) < 0))
		goto err;
	m->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!m->nl || mnl_socket_bind(m->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0 ||
	    dmm_loop_add(d->loop, mnl_socket_get_fd(m->nl), on_netlink, m) < 0 || dump_links(m) < 0)
		goto err;
	if (!m->mif[0].used) {
		mc_log(m, DMM_LOG_ERR, "upstream interface %s: no such link, or no MIF for it", c->upstream);
		goto err_quiet;
	}
	arm(m);
	mc_log(m, DMM_LOG_INFO, "MLD proxy up, %s, upstream %s",
	       c->mode == DMMD_MCAST_DIRECT ? "direct mode"
	       : m->anchor		    ? "via-anchor mode, the anchor"
					    : "via-anchor mode, serving",
	       m->mif[0].name);
	return m;
err:
	mc_log(m, DMM_LOG_ERR, "cannot start: %s", strerror(errno));
err_quiet:
	dmmd_mcast_close(m);
	return NULL;
}

void dmmd_mcast_close(struct dmmd_mcast *m)
{
	if (!m)
		return;
	if (m->nl) {
		dmm_loop_del(m->d->loop, mnl_socket_get_fd(m->nl));
		mnl_socket_close(m->nl);
	}
	if (m->fd >= 0) {
		dmm_loop_del(m->d->loop, m->fd);
		close(m->fd); /* MRT6_DONE on close: the kernel drops every MFC entry and MIF */
	}
	if (m->tfd >= 0) {
		dmm_loop_del(m->d->loop, m->tfd);
		close(m->tfd);
	}
	if (m->join_fd >= 0)
		close(m->join_fd); /* leaves every upstream group */
	mctun_close(m->tun);
	free(m);
}

json_t *dmmd_mcast_show(const struct dmmd_mcast *m)
{
	json_t *o = json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I}", "mode",
			      m->d->cfg.mcast.mode == DMMD_MCAST_DIRECT ? "direct" : "via-anchor", "anchor",
			      m->anchor, "queries-sent", (json_int_t)m->queries_sent, "reports",
			      (json_int_t)m->reports, "bad", (json_int_t)m->bad, "upcalls",
			      (json_int_t)m->upcalls, "tunnel-rx", (json_int_t)m->tun_rx, "tunnel-tx",
			      (json_int_t)m->tun_tx);
	json_t *mifs = json_array(), *groups = json_array(), *tunnels = json_array();
	char s[INET6_ADDRSTRLEN];

	for (unsigned i = 0; i < MAXMIFS; i++)
		if (m->mif[i].used)
			json_array_append_new(mifs, json_pack("{s:i,s:s,s:b,s:b}", "mif", (int)i, "name",
							      m->mif[i].name, "access", m->mif[i].access,
							      "tunnel", m->mif[i].tun));
	for (unsigned i = 0; i < DMM_MLD_TAB_MAX; i++) {
		const struct dmm_mld_entry *e = &m->tab.e[i];
		char pb[INET6_ADDRSTRLEN];

		if (!e->link)
			continue;
		json_array_append_new(groups,
				      json_pack("{s:s,s:s,s:s}", "link",
						e->link >= MC_TUN_LINK
							? grp_str(m->peer[e->link - MC_TUN_LINK].addr.b, pb)
							: m->mif[e->link].name,
						"group", grp_str(e->group.b, s), "source",
						marked(m, e->link, &e->group) ? "context" : "report"));
	}
	for (unsigned i = 0; i < MC_PEERS; i++)
		if (m->peer[i].used)
			json_array_append_new(tunnels, json_pack("{s:s,s:I,s:I,s:I}", "peer",
								 grp_str(m->peer[i].addr.b, s), "tx-packets",
								 (json_int_t)m->peer[i].tx_packets,
								 "tx-bytes", (json_int_t)m->peer[i].tx_bytes,
								 "reports", (json_int_t)m->peer[i].reports));
	json_object_set_new(o, "context-sent", json_integer((json_int_t)m->ctx_sent));
	json_object_set_new(o, "context-groups-in", json_integer((json_int_t)m->ctx_groups_in));
	json_object_set_new(o, "mifs", mifs);
	json_object_set_new(o, "groups", groups);
	json_object_set_new(o, "tunnels", tunnels);
	return o;
}
