/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * User-space data plane: one TUN device and one raw IPv6 socket for
 * protocol 41 (IPv6-in-IPv6, RFC 2473).
 *
 *   kernel ──route/rule──► TUN ──read──► classify ──sendmmsg──► raw socket ─► peer
 *   peer ──► raw socket ──recvmmsg──► check peer+prefix ──write──► TUN ──► kernel
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
 * BUFFER keeps up to DP_BUF_PER_INTENT packets per intent in a pool
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
 * The TUN offers no offloads to the kernel (no TUNSETOFFLOAD), so what we
 * read from it is segmented and checksummed already and fits DP_TUN_MTU.
 *
 * No allocation per packet: batch buffers and the buffer pool are
 * allocated at open(); the intent table grows on install.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "dmm/dataplane.h"
#include "dmm/fmt.h"

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

#define DP_BATCH 32	     /* packets per read/recvmmsg/sendmmsg round */
#define DP_POLL_BUDGET 1024  /* packets per poll() call, both directions */
#define DP_HDR 40	     /* outer IPv6 header */
#define DP_TUN_MTU 1460	     /* 1500 on the underlay minus the outer header */
#define DP_SEG_MAX 1500	     /* the largest inner packet an ordinary host link sends */
#define DP_TX_BUF 2048	     /* headroom + one TUN packet (MTU DP_TUN_MTU) */
#define DP_RX_BUF 65536	     /* one raw datagram: anything a peer may send */
#define DP_BUF_PACKETS 1024  /* buffer pool, shared by all BUFFER intents */
#define DP_BUF_PER_INTENT 64 /* packets one BUFFER intent holds at most */
#define DP_BUF_SIZE DP_TX_BUF
#define DP_HOP_LIMIT 64
#define NONE UINT32_MAX

struct slot {
	bool used;
	struct dmm_intent in; /* prefix masked */
	int ifindex;	      /* link's interface (SRC, DELIVER) */
	char ifname[DMM_DP_IFNAMSIZ];
	uint64_t seq; /* install order: newest wins a tie */
	uint64_t packets, bytes;
	uint32_t pnext;		       /* prefix hash chain */
	uint32_t inext;		       /* id hash chain */
	uint32_t bhead, btail, bcount; /* held packets (pool indices) */
};

struct bufpkt {
	uint32_t next;
	uint32_t len;
	uint8_t data[DP_BUF_SIZE];
};

struct dmm_dp {
	struct dmm_dp_cfg cfg;
	int tun, raw, ep;
	int tun_ifindex;
	bool table_route; /* default dev tun in table_base installed */
	struct mnl_socket *nl;
	uint32_t nlseq;
	char *nlbuf;

	struct slot *slot;
	uint32_t cap, nused, free_hint;
	uint32_t *pbucket, *ibucket; /* 2*cap each */
	uint32_t nbucket;
	uint64_t seq;
	/* prefix lengths in use per match kind, longest first */
	uint16_t lencount[2][129];
	uint8_t lens[2][129];
	uint8_t nlens[2];

	/* batches */
	uint8_t (*txbuf)[DP_TX_BUF];
	uint8_t (*rxbuf)[DP_RX_BUF];
	struct mmsghdr txmsg[DP_BATCH], rxmsg[DP_BATCH];
	struct iovec txiov[DP_BATCH], rxiov[DP_BATCH];
	struct sockaddr_in6 txaddr[DP_BATCH], rxaddr[DP_BATCH];
	uint32_t txslot[DP_BATCH];
	uint32_t txlen[DP_BATCH];

	/* buffer pool */
	struct bufpkt *pool;
	uint32_t pool_free;

	/* drops not attributable to an intent (counters id 0) */
	uint64_t drop_packets, drop_bytes;
};

/* ---- helpers ---- */

static void seterr(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static void drop(struct dmm_dp *dp, size_t len)
{
	dp->drop_packets++;
	dp->drop_bytes += len;
}

static uint32_t hash_prefix(uint8_t match, const struct dmm_addr *a, uint8_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)match << 8) ^ len;

	for (int i = 0; i < 16; i += 8) {
		uint64_t w;

		memcpy(&w, a->b + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 33;
	}
	return (uint32_t)h;
}

static uint32_t hash_id(uint32_t id)
{
	return id * 0x9e3779b1u;
}

static void mask_addr(struct dmm_addr *out, const struct dmm_addr *a, uint8_t len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;

		out->b[i] = bits >= 8 ? a->b[i] : (uint8_t)(a->b[i] & (0xff00u >> bits));
	}
}

static void lens_rebuild(struct dmm_dp *dp, int m)
{
	dp->nlens[m] = 0;
	for (int l = 128; l >= 0; l--)
		if (dp->lencount[m][l])
			dp->lens[m][dp->nlens[m]++] = (uint8_t)l;
}

/* ---- intent table ---- */

static void table_link(struct dmm_dp *dp, uint32_t i)
{
	struct slot *s = &dp->slot[i];
	uint32_t hb = hash_prefix(s->in.match, &s->in.prefix.addr, s->in.prefix.len) & (dp->nbucket - 1);
	uint32_t ib = hash_id(s->in.id) & (dp->nbucket - 1);

	s->pnext = dp->pbucket[hb];
	dp->pbucket[hb] = i;
	s->inext = dp->ibucket[ib];
	dp->ibucket[ib] = i;
}

static void table_unlink(struct dmm_dp *dp, uint32_t i)
{
	struct slot *s = &dp->slot[i];
	uint32_t hb = hash_prefix(s->in.match, &s->in.prefix.addr, s->in.prefix.len) & (dp->nbucket - 1);
	uint32_t ib = hash_id(s->in.id) & (dp->nbucket - 1);
	uint32_t *p;

	for (p = &dp->pbucket[hb]; *p != NONE; p = &dp->slot[*p].pnext)
		if (*p == i) {
			*p = s->pnext;
			break;
		}
	for (p = &dp->ibucket[ib]; *p != NONE; p = &dp->slot[*p].inext)
		if (*p == i) {
			*p = s->inext;
			break;
		}
}

static int table_grow(struct dmm_dp *dp)
{
	uint32_t ncap = dp->cap ? dp->cap * 2 : 256;
	struct slot *ns = realloc(dp->slot, ncap * sizeof(*ns));
	uint32_t *pb, *ib;

	if (!ns)
		return -ENOMEM;
	dp->slot = ns;
	memset(ns + dp->cap, 0, (ncap - dp->cap) * sizeof(*ns));
	pb = malloc(2 * ncap * sizeof(*pb));
	ib = malloc(2 * ncap * sizeof(*ib));
	if (!pb || !ib) {
		free(pb);
		free(ib);
		return -ENOMEM;
	}
	free(dp->pbucket);
	free(dp->ibucket);
	dp->pbucket = pb;
	dp->ibucket = ib;
	dp->nbucket = 2 * ncap;
	for (uint32_t b = 0; b < dp->nbucket; b++)
		pb[b] = ib[b] = NONE;
	dp->cap = ncap;
	for (uint32_t i = 0; i < dp->cap; i++)
		if (dp->slot[i].used)
			table_link(dp, i);
	return 0;
}

static uint32_t find_id(const struct dmm_dp *dp, uint32_t id)
{
	if (!dp->nbucket)
		return NONE;
	for (uint32_t i = dp->ibucket[hash_id(id) & (dp->nbucket - 1)]; i != NONE; i = dp->slot[i].inext)
		if (dp->slot[i].in.id == id)
			return i;
	return NONE;
}

/* Better candidate: lower precedence, then newer. */
static bool better(const struct slot *a, const struct slot *b)
{
	if (!b)
		return true;
	if (a->in.precedence != b->in.precedence)
		return a->in.precedence < b->in.precedence;
	return a->seq > b->seq;
}

/*
 * The intent of kind match whose prefix holds addr, longest prefix first,
 * with an action in actmask and (when peer is given) that peer. NONE if
 * there is none.
 */
static uint32_t lookup(const struct dmm_dp *dp, uint8_t match, const struct dmm_addr *addr, unsigned actmask,
		       const struct dmm_addr *peer)
{
	for (unsigned k = 0; k < dp->nlens[match]; k++) {
		uint8_t len = dp->lens[match][k];
		struct dmm_addr key;
		const struct slot *best = NULL;
		uint32_t besti = NONE;

		mask_addr(&key, addr, len);
		for (uint32_t i = dp->pbucket[hash_prefix(match, &key, len) & (dp->nbucket - 1)]; i != NONE;
		     i = dp->slot[i].pnext) {
			const struct slot *s = &dp->slot[i];

			if (s->in.match != match || s->in.prefix.len != len ||
			    !dmm_addr_eq(&s->in.prefix.addr, &key) || !(actmask & (1u << s->in.action)))
				continue;
			if (peer && !dmm_addr_eq(&s->in.peer, peer))
				continue;
			if (better(s, best)) {
				best = s;
				besti = i;
			}
		}
		if (besti != NONE)
			return besti;
	}
	return NONE;
}

/* ---- rtnetlink ---- */

static int nl_talk(struct dmm_dp *dp, struct nlmsghdr *nlh)
{
	uint32_t seq = nlh->nlmsg_seq = ++dp->nlseq;
	uint32_t portid = mnl_socket_get_portid(dp->nl);
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(dp->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		char buf[MNL_SOCKET_BUFFER_SIZE];
		int r;

		n = mnl_socket_recvfrom(dp->nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL);
		if (r < 0)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *nl_start(struct dmm_dp *dp, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(dp->nlbuf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

/* Add (replace) or delete the route prefix in table: dev oif, ours by rt_proto. */
static int nl_route(struct dmm_dp *dp, bool add, uint32_t table, const struct dmm_prefix *p, int oif)
{
	struct nlmsghdr *nlh =
		nl_start(dp, add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = p->len;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = dp->cfg.rt_proto;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, 16, p->addr.b);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (add)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return nl_talk(dp, nlh);
}

static int nl_rule(struct dmm_dp *dp, bool add, const struct dmm_prefix *p, const char *iif)
{
	struct nlmsghdr *nlh =
		nl_start(dp, add ? RTM_NEWRULE : RTM_DELRULE, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
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
	return nl_talk(dp, nlh);
}

/* Dump kind (RTM_GETROUTE / RTM_GETRULE) and delete what carries our protocol marker. */
struct flush_ctx {
	struct dmm_dp *dp;
	uint16_t kind;
	char *list; /* copies of the messages to delete */
	size_t len, cap;
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
	if (fc->len + nlh->nlmsg_len > fc->cap) {
		size_t ncap = (fc->cap + nlh->nlmsg_len) * 2;
		char *n = realloc(fc->list, ncap);

		if (!n)
			return MNL_CB_ERROR;
		fc->list = n;
		fc->cap = ncap;
	}
	memcpy(fc->list + fc->len, nlh, nlh->nlmsg_len);
	fc->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return MNL_CB_OK;
}

static int nl_flush(struct dmm_dp *dp, uint16_t kind)
{
	struct flush_ctx fc = {.dp = dp, .kind = kind};
	struct nlmsghdr *nlh = nl_start(dp, kind, NLM_F_DUMP);
	uint32_t portid = mnl_socket_get_portid(dp->nl);
	uint32_t seq;
	int r = 0, nfail = 0;

	if (kind == RTM_GETROUTE) {
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

		rtm->rtm_family = AF_INET6;
	} else {
		struct fib_rule_hdr *fr = mnl_nlmsg_put_extra_header(nlh, sizeof(*fr));

		fr->family = AF_INET6;
	}
	seq = nlh->nlmsg_seq = ++dp->nlseq;
	if (mnl_socket_sendto(dp->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		char buf[MNL_SOCKET_BUFFER_SIZE];
		ssize_t n = mnl_socket_recvfrom(dp->nl, buf, sizeof(buf));

		if (n < 0) {
			r = -errno;
			break;
		}
		r = mnl_cb_run(buf, (size_t)n, seq, portid, flush_cb, &fc);
		if (r <= MNL_CB_STOP) {
			r = r < 0 ? -errno : 0;
			break;
		}
	}
	for (size_t off = 0; r == 0 && off < fc.len;) {
		struct nlmsghdr *m = (struct nlmsghdr *)(fc.list + off);
		size_t mlen = m->nlmsg_len;

		memcpy(dp->nlbuf, m, mlen);
		m = (struct nlmsghdr *)dp->nlbuf;
		m->nlmsg_type = kind == RTM_GETROUTE ? RTM_DELROUTE : RTM_DELRULE;
		m->nlmsg_flags = NLM_F_REQUEST;
		if (nl_talk(dp, m) < 0)
			nfail++;
		off += NLMSG_ALIGN(mlen);
	}
	free(fc.list);
	return r < 0 ? r : (nfail ? -EIO : 0);
}

/* Delete a leftover device called name when it is a TUN; -EEXIST if it is something else. */
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

static int remove_stale_tun(struct dmm_dp *dp, const char *name)
{
	struct nlmsghdr *nlh = nl_start(dp, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct link_ctx lc = {0};
	uint32_t portid = mnl_socket_get_portid(dp->nl);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;
	uint32_t seq;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	seq = nlh->nlmsg_seq = ++dp->nlseq;
	if (mnl_socket_sendto(dp->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(dp->nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if (mnl_cb_run(buf, (size_t)n, seq, portid, link_cb, &lc) < 0)
		return errno == ENODEV ? 0 : -errno;
	if (!lc.found)
		return 0;
	if (!lc.is_tun)
		return -EEXIST;
	nlh = nl_start(dp, RTM_DELLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = lc.ifindex;
	return nl_talk(dp, nlh);
}

/* No IPv6 link-local address (and so no RS/MLD) on the TUN, MTU, queue, then up. */
static int tun_setup(struct dmm_dp *dp)
{
	struct nlmsghdr *nlh = nl_start(dp, RTM_NEWLINK, 0);
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
	r = nl_talk(dp, nlh);
	if (r < 0)
		return r;
	nlh = nl_start(dp, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = dp->tun_ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_talk(dp, nlh);
}

/* ---- kernel state per intent ---- */

static bool to_tun(uint8_t action)
{
	return action == DMM_FM_ENCAP || action == DMM_FM_BUFFER || action == DMM_FM_DROP;
}

/*
 * The interface of link id: from the link table, or with no table
 * (nlinks 0) id is the interface index itself (dataplane.h). 0 or -ENODEV.
 */
static int link_resolve(const struct dmm_dp *dp, uint32_t id, char ifname[DMM_DP_IFNAMSIZ], int *ifindex)
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

/*
 * Make the main-table route of DST prefix p follow the best remaining DST
 * intent that needs one (ENCAP/BUFFER/DROP: dev tun; DELIVER: dev link);
 * delete it when none is left.
 */
static int sync_dst_route(struct dmm_dp *dp, const struct dmm_prefix *p)
{
	const struct slot *best = NULL;

	for (uint32_t i = dp->pbucket[hash_prefix(DMM_FM_DST, &p->addr, p->len) & (dp->nbucket - 1)];
	     i != NONE; i = dp->slot[i].pnext) {
		const struct slot *s = &dp->slot[i];

		if (!s->used || s->in.match != DMM_FM_DST || s->in.prefix.len != p->len ||
		    !dmm_addr_eq(&s->in.prefix.addr, &p->addr))
			continue;
		if ((to_tun(s->in.action) || s->in.action == DMM_FM_DELIVER) && better(s, best))
			best = s;
	}
	if (!best) {
		int r = nl_route(dp, false, RT_TABLE_MAIN, p, 0);

		return r == -ESRCH || r == -ENOENT ? 0 : r;
	}
	return nl_route(dp, true, RT_TABLE_MAIN, p,
			best->in.action == DMM_FM_DELIVER ? best->ifindex : dp->tun_ifindex);
}

/* Rule "from p iif link lookup table_base" while a SRC intent needing the TUN uses it. */
static int sync_src_rule(struct dmm_dp *dp, const struct dmm_prefix *p, const char *ifname, int ifindex,
			 bool adding)
{
	unsigned users = 0;
	int r;

	for (uint32_t i = dp->pbucket[hash_prefix(DMM_FM_SRC, &p->addr, p->len) & (dp->nbucket - 1)];
	     i != NONE; i = dp->slot[i].pnext) {
		const struct slot *s = &dp->slot[i];

		if (s->used && s->in.match == DMM_FM_SRC && s->in.prefix.len == p->len &&
		    dmm_addr_eq(&s->in.prefix.addr, &p->addr) && to_tun(s->in.action) &&
		    s->ifindex == ifindex)
			users++;
	}
	if (adding && users == 1) {
		if (!dp->table_route) {
			struct dmm_prefix any = {0};

			r = nl_route(dp, true, dp->cfg.table_base, &any, dp->tun_ifindex);
			if (r < 0)
				return r;
			dp->table_route = true;
		}
		r = nl_rule(dp, true, p, ifname);
		return r == -EEXIST ? 0 : r;
	}
	if (!adding && users == 0)
		return nl_rule(dp, false, p, ifname);
	return 0;
}

/* ---- buffering ---- */

static void classify_and_send_one(struct dmm_dp *dp, const uint8_t *pkt, size_t len);

static void buf_hold(struct dmm_dp *dp, struct slot *s, const uint8_t *pkt, size_t len)
{
	uint32_t b = dp->pool_free;

	if (b == NONE || s->bcount >= DP_BUF_PER_INTENT || len > DP_BUF_SIZE) {
		drop(dp, len);
		return;
	}
	dp->pool_free = dp->pool[b].next;
	dp->pool[b].next = NONE;
	dp->pool[b].len = (uint32_t)len;
	memcpy(dp->pool[b].data, pkt, len);
	if (s->btail == NONE)
		s->bhead = b;
	else
		dp->pool[s->btail].next = b;
	s->btail = b;
	s->bcount++;
	s->packets++;
	s->bytes += len;
}

/* Take the held packets off slot i, then send each where the intents now say. */
static void buf_flush(struct dmm_dp *dp, uint32_t i)
{
	uint32_t b = dp->slot[i].bhead;

	dp->slot[i].bhead = dp->slot[i].btail = NONE;
	dp->slot[i].bcount = 0;
	while (b != NONE) {
		uint32_t next = dp->pool[b].next;

		classify_and_send_one(dp, dp->pool[b].data, dp->pool[b].len);
		dp->pool[b].next = dp->pool_free;
		dp->pool_free = b;
		b = next;
	}
}

/* ---- ops ---- */

static void user_close(struct dmm_dp *dp);

static struct dmm_dp *user_open(const struct dmm_dp_cfg *cfg, char *err, size_t errlen)
{
	struct dmm_dp *dp = calloc(1, sizeof(*dp));
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	struct ifreq ifr = {0};
	struct epoll_event ev = {.events = EPOLLIN};
	int one = 1, zero = 0, r;

	if (!dp) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	dp->cfg = *cfg;
	if (!dp->cfg.tun_name[0])
		snprintf(dp->cfg.tun_name, sizeof(dp->cfg.tun_name), "dmm0");
	if (!dp->cfg.table_base)
		dp->cfg.table_base = 1000;
	if (!dp->cfg.rule_prio)
		dp->cfg.rule_prio = 1000;
	if (!dp->cfg.rt_proto)
		dp->cfg.rt_proto = 0xd3;
	dp->tun = dp->raw = dp->ep = -1;
	dp->pool_free = NONE;

	dp->nlbuf = malloc(MNL_SOCKET_BUFFER_SIZE);
	dp->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!dp->nlbuf || !dp->nl || mnl_socket_bind(dp->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		seterr(err, errlen, "rtnetlink: %s", strerror(errno));
		goto err;
	}
	dp->nlseq = (uint32_t)time(NULL);
	for (unsigned i = 0; i < dp->cfg.nlinks; i++)
		if (!if_nametoindex(dp->cfg.link[i].ifname)) {
			seterr(err, errlen, "link %u: no interface %s", dp->cfg.link[i].id,
			       dp->cfg.link[i].ifname);
			errno = ENODEV;
			goto err;
		}

	/* Leftovers of an earlier run: the TUN, then routes and rules with our marker. */
	r = remove_stale_tun(dp, dp->cfg.tun_name);
	if (r < 0) {
		seterr(err, errlen, "%s: %s", dp->cfg.tun_name,
		       r == -EEXIST ? "exists and is not a TUN device" : strerror(-r));
		errno = -r;
		goto err;
	}
	if ((r = nl_flush(dp, RTM_GETRULE)) < 0 || (r = nl_flush(dp, RTM_GETROUTE)) < 0) {
		seterr(err, errlen, "removing leftover routes and rules (protocol %u): %s", dp->cfg.rt_proto,
		       strerror(-r));
		errno = -r;
		goto err;
	}

	dp->tun = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (dp->tun < 0) {
		seterr(err, errlen, "/dev/net/tun: %s", strerror(errno));
		goto err;
	}
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, dp->cfg.tun_name, sizeof(ifr.ifr_name) - 1);
	if (ioctl(dp->tun, TUNSETIFF, &ifr) < 0) {
		seterr(err, errlen, "TUNSETIFF %s: %s", dp->cfg.tun_name, strerror(errno));
		goto err;
	}
	{
		int hsz = (int)sizeof(struct virtio_net_hdr);

		if (ioctl(dp->tun, TUNSETVNETHDRSZ, &hsz) < 0) {
			seterr(err, errlen, "TUNSETVNETHDRSZ %s: %s", dp->cfg.tun_name, strerror(errno));
			goto err;
		}
	}
	dp->tun_ifindex = (int)if_nametoindex(dp->cfg.tun_name);
	if (!dp->tun_ifindex || (r = tun_setup(dp)) < 0) {
		seterr(err, errlen, "setting %s up: %s", dp->cfg.tun_name,
		       strerror(dp->tun_ifindex ? -r : errno));
		goto err;
	}

	dp->raw = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPV6);
	if (dp->raw < 0) {
		seterr(err, errlen, "raw socket (protocol 41): %s", strerror(errno));
		goto err;
	}
	/* Tolerate a local address still in DAD; we write the outer header. */
	setsockopt(dp->raw, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	setsockopt(dp->raw, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &zero, sizeof(zero));
	memcpy(&sa.sin6_addr, cfg->local.b, 16);
	if (setsockopt(dp->raw, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one)) < 0 ||
	    bind(dp->raw, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		seterr(err, errlen, "raw socket: %s", strerror(errno));
		goto err;
	}
	{
		int sz = 4 << 20;

		if (setsockopt(dp->raw, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(dp->raw, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		if (setsockopt(dp->raw, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(dp->raw, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}

	dp->ep = epoll_create1(EPOLL_CLOEXEC);
	if (dp->ep < 0) {
		seterr(err, errlen, "epoll: %s", strerror(errno));
		goto err;
	}
	ev.data.fd = dp->tun;
	if (epoll_ctl(dp->ep, EPOLL_CTL_ADD, dp->tun, &ev) < 0)
		goto err_epoll;
	ev.data.fd = dp->raw;
	if (epoll_ctl(dp->ep, EPOLL_CTL_ADD, dp->raw, &ev) < 0)
		goto err_epoll;

	dp->txbuf = malloc(DP_BATCH * sizeof(*dp->txbuf));
	dp->rxbuf = malloc(DP_BATCH * sizeof(*dp->rxbuf));
	dp->pool = malloc(DP_BUF_PACKETS * sizeof(*dp->pool));
	if (!dp->txbuf || !dp->rxbuf || !dp->pool || table_grow(dp) < 0) {
		seterr(err, errlen, "out of memory");
		errno = ENOMEM;
		goto err;
	}
	for (uint32_t b = 0; b < DP_BUF_PACKETS; b++) {
		dp->pool[b].next = dp->pool_free;
		dp->pool_free = b;
	}
	for (int i = 0; i < DP_BATCH; i++) {
		dp->rxiov[i].iov_base = dp->rxbuf[i];
		dp->rxiov[i].iov_len = DP_RX_BUF;
	}
	return dp;

err_epoll:
	seterr(err, errlen, "epoll_ctl: %s", strerror(errno));
err:
	r = errno;
	user_close(dp);
	errno = r;
	return NULL;
}

static void user_close(struct dmm_dp *dp)
{
	if (!dp)
		return;
	if (dp->nl && dp->tun_ifindex) {
		/* Remove exactly what we installed; shared routes and rules go once. */
		for (uint32_t i = 0; i < dp->cap; i++) {
			struct slot *s = &dp->slot[i];

			if (!s->used)
				continue;
			if (s->in.match == DMM_FM_DST &&
			    (to_tun(s->in.action) || s->in.action == DMM_FM_DELIVER))
				nl_route(dp, false, RT_TABLE_MAIN, &s->in.prefix, 0);
			else if (s->in.match == DMM_FM_SRC && to_tun(s->in.action))
				nl_rule(dp, false, &s->in.prefix, s->ifname);
		}
		if (dp->table_route) {
			struct dmm_prefix any = {0};

			nl_route(dp, false, dp->cfg.table_base, &any, 0);
		}
	}
	if (dp->ep >= 0)
		close(dp->ep);
	if (dp->raw >= 0)
		close(dp->raw);
	if (dp->tun >= 0)
		close(dp->tun); /* not persistent: the device goes with the fd */
	if (dp->nl)
		mnl_socket_close(dp->nl);
	free(dp->nlbuf);
	free(dp->slot);
	free(dp->pbucket);
	free(dp->ibucket);
	free(dp->txbuf);
	free(dp->rxbuf);
	free(dp->pool);
	free(dp);
}

static int user_install(struct dmm_dp *dp, const struct dmm_intent *in)
{
	struct dmm_intent c = *in;
	char ifname[DMM_DP_IFNAMSIZ] = "";
	int ifindex = 0;
	uint32_t i;
	struct slot *s;
	int r = 0;

	if (!in->id || find_id(dp, in->id) != NONE)
		return -EEXIST;
	if (in->match > DMM_FM_SRC || in->action > DMM_FM_DROP || in->prefix.len > 128)
		return -EINVAL;
	if ((in->action == DMM_FM_ENCAP || in->action == DMM_FM_DECAP) && dmm_addr_is_zero(&in->peer))
		return -EINVAL;
	if (in->action == DMM_FM_DELIVER && in->match != DMM_FM_DST)
		return -EOPNOTSUPP;
	if (in->action == DMM_FM_DELIVER || (in->match == DMM_FM_SRC && to_tun(in->action))) {
		/* A SRC intent on "any link" (0) would need a rule without iif: not offered. */
		r = link_resolve(dp, in->link, ifname, &ifindex);
		if (r < 0)
			return r;
	}
	dmm_prefix_mask(&c.prefix);
	if (dp->nused == dp->cap && (r = table_grow(dp)) < 0)
		return r;
	for (i = dp->free_hint; dp->slot[i].used; i = (i + 1) % dp->cap)
		;
	s = &dp->slot[i];
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->in = c;
	s->in.packets = s->in.bytes = 0;
	s->ifindex = ifindex;
	memcpy(s->ifname, ifname, sizeof(s->ifname));
	s->seq = ++dp->seq;
	s->bhead = s->btail = NONE;
	table_link(dp, i);
	dp->nused++;
	if (!dp->lencount[c.match][c.prefix.len]++)
		lens_rebuild(dp, c.match);

	if (c.match == DMM_FM_DST && (to_tun(c.action) || c.action == DMM_FM_DELIVER))
		r = sync_dst_route(dp, &c.prefix);
	else if (c.match == DMM_FM_SRC && to_tun(c.action))
		r = sync_src_rule(dp, &c.prefix, s->ifname, s->ifindex, true);
	if (r < 0) {
		table_unlink(dp, i);
		s->used = false;
		dp->nused--;
		if (!--dp->lencount[c.match][c.prefix.len])
			lens_rebuild(dp, c.match);
		if (c.match == DMM_FM_DST)
			sync_dst_route(dp, &c.prefix);
		return r;
	}
	/* A new way out for a buffered prefix: release what was held. */
	if (c.action == DMM_FM_ENCAP || c.action == DMM_FM_DELIVER)
		for (uint32_t j = dp->pbucket[hash_prefix(c.match, &c.prefix.addr, c.prefix.len) &
					      (dp->nbucket - 1)];
		     j != NONE; j = dp->slot[j].pnext) {
			struct slot *b = &dp->slot[j];

			if (b->in.action == DMM_FM_BUFFER && b->in.match == c.match && b->bcount &&
			    b->in.prefix.len == c.prefix.len &&
			    dmm_addr_eq(&b->in.prefix.addr, &c.prefix.addr))
				buf_flush(dp, j);
		}
	return 0;
}

static void user_remove(struct dmm_dp *dp, const struct dmm_intent *in)
{
	uint32_t i = find_id(dp, in->id);
	struct slot *s;
	struct dmm_intent c;

	if (i == NONE)
		return;
	s = &dp->slot[i];
	c = s->in;
	table_unlink(dp, i);
	s->used = false;
	dp->nused--;
	dp->free_hint = i;
	if (!--dp->lencount[c.match][c.prefix.len])
		lens_rebuild(dp, c.match);
	if (c.match == DMM_FM_DST && (to_tun(c.action) || c.action == DMM_FM_DELIVER))
		sync_dst_route(dp, &c.prefix);
	else if (c.match == DMM_FM_SRC && to_tun(c.action))
		sync_src_rule(dp, &c.prefix, s->ifname, s->ifindex, false);
	if (s->bcount)
		buf_flush(dp, i);
}

static int user_counters(struct dmm_dp *dp, uint32_t id, uint64_t *packets, uint64_t *bytes)
{
	uint32_t i;

	if (id == 0) {
		*packets = dp->drop_packets;
		*bytes = dp->drop_bytes;
		return 0;
	}
	i = find_id(dp, id);
	if (i == NONE)
		return -ENOENT;
	*packets = dp->slot[i].packets;
	*bytes = dp->slot[i].bytes;
	return 0;
}

static int user_fd(struct dmm_dp *dp)
{
	return dp->ep;
}

/* ---- packet path ---- */

static bool ipv6_ok(const uint8_t *p, size_t len)
{
	return len >= DP_HDR && (p[0] >> 4) == 6 && (size_t)((p[4] << 8) | p[5]) + DP_HDR <= len;
}

/*
 * Write one packet to the TUN behind its virtio_net_hdr (vh NULL: a plain
 * packet, checksums complete). True when all of it went.
 */
static bool tun_write(struct dmm_dp *dp, const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len)
{
	static const struct virtio_net_hdr plain = {.gso_type = VIRTIO_NET_HDR_GSO_NONE};
	struct iovec iov[2] = {
		{.iov_base = (void *)(vh ? vh : &plain), .iov_len = sizeof(*vh)},
		{.iov_base = (void *)pkt, .iov_len = len},
	};

	return writev(dp->tun, iov, 2) == (ssize_t)(sizeof(*vh) + len);
}

/* Ones' complement sum of len bytes (big-endian 16-bit words), added to sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;

	for (; len >= 2; p += 2, len -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		s += (uint32_t)(p[0] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

static uint16_t csum_fold16(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

enum { L4_PASS, L4_GSO, L4_DROP };

/*
 * Look at the TCP or UDP packet inside a decapsulated packet (see the
 * header comment): finish a checksum left partial by the sender's offload,
 * or set vh up to have the kernel segment a TCP super-packet. L4_PASS
 * (written as it is now), L4_GSO (written with vh) or L4_DROP.
 */
static int l4_fixup(uint8_t *p, size_t len, struct virtio_net_hdr *vh)
{
	size_t off = DP_HDR, l4len, coff;
	uint8_t nh = p[6];
	uint32_t pseudo;
	uint16_t field, psum;
	bool partial;

	/* Hop-by-hop and destination options only: a routing header changes
	 * the pseudo-header's destination, a fragment has no whole L4 header. */
	while (nh == IPPROTO_HOPOPTS || nh == IPPROTO_DSTOPTS) {
		if (off + 8 > len)
			return L4_PASS;
		nh = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
	}
	if (off >= len || (nh != IPPROTO_TCP && nh != IPPROTO_UDP))
		return L4_PASS;
	l4len = len - off;
	coff = off + (nh == IPPROTO_TCP ? 16 : 6);
	if (l4len < (nh == IPPROTO_TCP ? 20u : 8u))
		return L4_PASS;
	pseudo = csum_add(0, p + 8, 32);
	pseudo += (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff) + nh;
	psum = csum_fold16(pseudo);
	field = (uint16_t)(p[coff] << 8 | p[coff + 1]);

	if (nh == IPPROTO_TCP && len > DP_TUN_MTU) {
		size_t thl = (size_t)(p[off + 12] >> 4) * 4;

		if (thl < 20 || off + thl >= len || off + thl + 8 > DP_TUN_MTU)
			return L4_PASS;
		/* The kernel computes every segment's checksum from the
		 * pseudo-header sum, as a CHECKSUM_PARTIAL packet carries it. */
		p[coff] = (uint8_t)(psum >> 8);
		p[coff + 1] = (uint8_t)psum;
		memset(vh, 0, sizeof(*vh));
		vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
		if (p[off + 13] & 0x80) /* CWR: on the first segment only */
			vh->gso_type |= VIRTIO_NET_HDR_GSO_ECN;
		vh->hdr_len = (uint16_t)(off + thl);
		vh->gso_size = (uint16_t)(DP_TUN_MTU - off - thl);
		vh->csum_start = (uint16_t)off;
		vh->csum_offset = 16;
		return L4_GSO;
	}
	/* Partial: the field holds the pseudo-header sum (0 and 0xffff are
	 * the same number) and the whole does not verify. */
	partial = field % 0xffff == psum % 0xffff && csum_fold16(csum_add(pseudo, p + off, l4len)) != 0xffff;
	if (!partial)
		return L4_PASS;
	if (nh == IPPROTO_UDP && len > DP_SEG_MAX)
		return L4_DROP;
	{
		uint16_t c = (uint16_t)~csum_fold16(csum_add(0, p + off, l4len));

		if (nh == IPPROTO_UDP && c == 0)
			c = 0xffff;
		p[coff] = (uint8_t)(c >> 8);
		p[coff + 1] = (uint8_t)c;
	}
	return L4_PASS;
}

static void outer_header(uint8_t *h, const struct dmm_addr *src, const struct dmm_addr *dst, size_t inner)
{
	h[0] = 0x60; /* version 6, traffic class 0, flow label 0 */
	h[1] = h[2] = h[3] = 0;
	h[4] = (uint8_t)(inner >> 8);
	h[5] = (uint8_t)inner;
	h[6] = IPPROTO_IPV6;
	h[7] = DP_HOP_LIMIT;
	memcpy(h + 8, src->b, 16);
	memcpy(h + 24, dst->b, 16);
}

/* The intent a packet from the TUN follows: DST intents, then SRC intents. */
static uint32_t classify(const struct dmm_dp *dp, const uint8_t *pkt)
{
	const unsigned mask = 1u << DMM_FM_ENCAP | 1u << DMM_FM_BUFFER | 1u << DMM_FM_DROP;
	struct dmm_addr src, dst;
	uint32_t i;

	memcpy(src.b, pkt + 8, 16);
	memcpy(dst.b, pkt + 24, 16);
	i = lookup(dp, DMM_FM_DST, &dst, mask, NULL);
	if (i == NONE)
		i = lookup(dp, DMM_FM_SRC, &src, mask, NULL);
	return i;
}

static void send_batch(struct dmm_dp *dp, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		int r = sendmmsg(dp->raw, dp->txmsg + done, n - done, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* This one failed (unreachable peer, full queue): count it, go on. */
			drop(dp, dp->txlen[done]);
			done++;
			continue;
		}
		for (int k = 0; k < r; k++) {
			struct slot *s = &dp->slot[dp->txslot[done + (unsigned)k]];

			s->packets++;
			s->bytes += dp->txlen[done + (unsigned)k];
		}
		done += (unsigned)r;
	}
}

/* Queue one ENCAP packet whose inner bytes sit at buf + DP_HDR. */
static void queue_encap(struct dmm_dp *dp, unsigned k, uint32_t si, size_t len)
{
	uint8_t *buf = dp->txbuf[k];
	struct slot *s = &dp->slot[si];

	outer_header(buf, &dp->cfg.local, &s->in.peer, len);
	memset(&dp->txaddr[k], 0, sizeof(dp->txaddr[k]));
	dp->txaddr[k].sin6_family = AF_INET6;
	memcpy(&dp->txaddr[k].sin6_addr, s->in.peer.b, 16);
	dp->txiov[k].iov_base = buf;
	dp->txiov[k].iov_len = len + DP_HDR;
	memset(&dp->txmsg[k], 0, sizeof(dp->txmsg[k]));
	dp->txmsg[k].msg_hdr.msg_name = &dp->txaddr[k];
	dp->txmsg[k].msg_hdr.msg_namelen = sizeof(dp->txaddr[k]);
	dp->txmsg[k].msg_hdr.msg_iov = &dp->txiov[k];
	dp->txmsg[k].msg_hdr.msg_iovlen = 1;
	dp->txslot[k] = si;
	dp->txlen[k] = (uint32_t)len;
}

/* A packet held by BUFFER, released: classify again, one at a time. */
static void classify_and_send_one(struct dmm_dp *dp, const uint8_t *pkt, size_t len)
{
	const unsigned deliver = 1u << DMM_FM_DELIVER;
	uint32_t si = classify(dp, pkt);
	struct dmm_addr dst;

	if (si == NONE) {
		/* Destination now delivered here: the kernel's route takes it. */
		memcpy(dst.b, pkt + 24, 16);
		si = lookup(dp, DMM_FM_DST, &dst, deliver, NULL);
		if (si != NONE && tun_write(dp, NULL, pkt, len)) {
			dp->slot[si].packets++;
			dp->slot[si].bytes += len;
		} else {
			drop(dp, len);
		}
		return;
	}
	switch (dp->slot[si].in.action) {
	case DMM_FM_ENCAP:
		memcpy(dp->txbuf[0] + DP_HDR, pkt, len);
		queue_encap(dp, 0, si, len);
		send_batch(dp, 1);
		break;
	case DMM_FM_BUFFER:
		buf_hold(dp, &dp->slot[si], pkt, len);
		break;
	default:
		dp->slot[si].packets++;
		dp->slot[si].bytes += len;
		break;
	}
}

/* TUN → peers. Returns packets read. */
static int tun_round(struct dmm_dp *dp)
{
	unsigned nread = 0, nq = 0;

	while (nread < DP_BATCH) {
		uint8_t *buf = dp->txbuf[nq];
		struct virtio_net_hdr vh;
		struct iovec iov[2] = {
			{.iov_base = &vh, .iov_len = sizeof(vh)},
			{.iov_base = buf + DP_HDR, .iov_len = DP_TX_BUF - DP_HDR},
		};
		ssize_t n = readv(dp->tun, iov, 2);
		uint32_t si;

		if (n < 0)
			break; /* EAGAIN, or the device went */
		nread++;
		/* No offloads offered: never GSO, never a partial checksum. */
		if (n < (ssize_t)sizeof(vh) || vh.gso_type != VIRTIO_NET_HDR_GSO_NONE ||
		    (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
			drop(dp, n > (ssize_t)sizeof(vh) ? (size_t)n - sizeof(vh) : 0);
			continue;
		}
		n -= (ssize_t)sizeof(vh);
		if (!ipv6_ok(buf + DP_HDR, (size_t)n)) {
			drop(dp, (size_t)n);
			continue;
		}
		si = classify(dp, buf + DP_HDR);
		if (si == NONE) {
			drop(dp, (size_t)n);
			continue;
		}
		switch (dp->slot[si].in.action) {
		case DMM_FM_ENCAP:
			queue_encap(dp, nq, si, (size_t)n);
			nq++;
			break;
		case DMM_FM_BUFFER:
			buf_hold(dp, &dp->slot[si], buf + DP_HDR, (size_t)n);
			break;
		default: /* DROP */
			dp->slot[si].packets++;
			dp->slot[si].bytes += (uint64_t)n;
			break;
		}
	}
	if (nq)
		send_batch(dp, nq);
	return (int)nread;
}

/* Peers → TUN. Returns datagrams received. */
static int raw_round(struct dmm_dp *dp)
{
	const unsigned decap = 1u << DMM_FM_DECAP, deliver = 1u << DMM_FM_DELIVER;
	int n;

	for (int i = 0; i < DP_BATCH; i++) {
		memset(&dp->rxmsg[i], 0, sizeof(dp->rxmsg[i]));
		dp->rxmsg[i].msg_hdr.msg_name = &dp->rxaddr[i];
		dp->rxmsg[i].msg_hdr.msg_namelen = sizeof(dp->rxaddr[i]);
		dp->rxmsg[i].msg_hdr.msg_iov = &dp->rxiov[i];
		dp->rxmsg[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(dp->raw, dp->rxmsg, DP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		uint8_t *p = dp->rxbuf[i];
		size_t len = dp->rxmsg[i].msg_len;
		struct dmm_addr peer, src, dst;
		struct virtio_net_hdr vh;
		uint32_t si;
		int how;

		if ((dp->rxmsg[i].msg_hdr.msg_flags & MSG_TRUNC) || !ipv6_ok(p, len)) {
			drop(dp, len);
			continue;
		}
		len = (size_t)((p[4] << 8) | p[5]) + DP_HDR;
		memcpy(peer.b, &dp->rxaddr[i].sin6_addr, 16);
		memcpy(src.b, p + 8, 16);
		memcpy(dst.b, p + 24, 16);
		si = lookup(dp, DMM_FM_DST, &dst, decap, &peer);
		if (si == NONE)
			si = lookup(dp, DMM_FM_SRC, &src, decap, &peer);
		if (si == NONE) {
			drop(dp, len);
			continue;
		}
		how = l4_fixup(p, len, &vh);
		if (how == L4_DROP || !tun_write(dp, how == L4_GSO ? &vh : NULL, p, len)) {
			drop(dp, len);
			continue;
		}
		dp->slot[si].packets++;
		dp->slot[si].bytes += len;
		if (dp->slot[si].in.match == DMM_FM_DST) {
			uint32_t d = lookup(dp, DMM_FM_DST, &dst, deliver, NULL);

			if (d != NONE) {
				dp->slot[d].packets++;
				dp->slot[d].bytes += len;
			}
		}
	}
	return n;
}

static int user_poll(struct dmm_dp *dp)
{
	int total = 0;

	for (;;) {
		int a = tun_round(dp);
		int b = raw_round(dp);

		total += a + b;
		if ((a < DP_BATCH && b < DP_BATCH) || total >= DP_POLL_BUDGET)
			break;
	}
	return total;
}

const struct dmm_dp_ops dmm_dp_user = {
	.name = "user",
	.open = user_open,
	.close = user_close,
	.install = user_install,
	.remove = user_remove,
	.counters = user_counters,
	.fd = user_fd,
	.poll = user_poll,
};
