/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sessions per old prefix from the kernel's connection tracking
 * (GAP2-1, GAP2-3; docs/dmm-protocol.md §13), for the MAAR's
 * release-by "sessions".
 *
 * Why connection tracking. A traffic counter says when a prefix last
 * carried a packet, not whether anything still uses it: a long idle TCP
 * connection moves no counter, and a stray packet (a scan, a late probe
 * nobody answers) moves it. nf_conntrack knows the flows: a flow the
 * kernel saw answered is a session (IPS_ASSURED: answered, then used
 * again; for TCP IPS_SEEN_REPLY, in a state from ESTABLISHED to
 * LAST_ACK), and a TCP one ends with its FIN or RST (TIME_WAIT and CLOSE
 * are not sessions any more). The S-MAAR forwards every packet of the
 * MN's old prefixes, both ways, so its table holds them, from the first
 * packet it forwards after the move.
 *
 * One more kind counts: an ESTABLISHED TCP flow seen only one way, from
 * the MN's address. The kernel data plane's seg6 End.DT6 decapsulation
 * (legacy table mode) passes no netfilter hook, so the S-MAAR's conntrack
 * sees the MN's side of its connections only; an MN that sent on an
 * established connection has one (a stray packet comes from the other
 * side). Such an entry ends when the MN closes (FIN_WAIT) or after
 * nf_conntrack_tcp_timeout_unacknowledged (300 s) without a packet: a
 * longer idle connection loses its prefix with the kernel data plane;
 * with the user one, whose packets cross the kernel's forwarding path
 * both ways, it keeps it for the established timeout (5 days).
 *
 * Making the kernel look. Since Linux 4.10 connection tracking runs in a
 * namespace only once something there needs it. dmmd creates the table
 * "inet dmm_ct" with one rule that reads the ct state (nft_ct takes a
 * reference on conntrack for the namespace), and nothing else: no
 * verdict, no drop. The table is owned by dmmd's nftables socket (flags
 * owner), so it goes when dmmd goes, even when killed. Both data planes
 * pass the hooks: the user one hands packets to and from its TUN through
 * the kernel's forwarding path; the kernel one encapsulates with seg6
 * lightweight tunnels, whose packets pass the hooks only with
 * net.netfilter.nf_hooks_lwtunnel=1, which dmmd then sets (a kernel-wide
 * switch that cannot be turned off again), and decapsulates out of their
 * sight (above). The bpf data plane
 * redirects packets at tc, before netfilter: config.c refuses
 * release-by "sessions" with it.
 *
 * One dump (ctnetlink IPCTNL_MSG_CT_GET, NLM_F_DUMP, IPv6) per poll,
 * every second, only while old prefixes are tunnelled here; each entry
 * is matched against those prefixes by its original source and
 * destination. The dump is read on the loop's thread: its cost grows
 * with the namespace's table (figures in the lab note).
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dmm/fmt.h"
#include "dmm/maar.h"
#include "conntrack.h"
#include "dmmd.h"

struct dmmd_ct {
	struct dmmd *d;
	struct mnl_socket *nl;
	struct nft_ctx *nft; /* owns the table "inet dmm_ct" */
	uint32_t seq;
	unsigned np, cap; /* prefixes asked about; room in p and n (grows, never per poll) */
	struct dmm_prefix *p;
	unsigned *n;
	uint64_t polls, entries, in_use, errors;
	char buf[32768]; /* MNL_SOCKET_BUFFER_SIZE is not a constant */
};

static const char table_cmd[] = "add table inet dmm_ct\n"
				"delete table inet dmm_ct\n"
				"table inet dmm_ct {\n"
				"  flags owner\n"
				"  chain track {\n"
				"    type filter hook prerouting priority -150; policy accept;\n"
				"    ct state new counter\n"
				"  }\n"
				"}\n";

static int track(struct dmmd_ct *ct)
{
	ct->nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ct->nft)
		return -1;
	nft_ctx_buffer_error(ct->nft);
	if (nft_run_cmd_from_buffer(ct->nft, table_cmd) != 0) {
		dmm_logf(&ct->d->log, DMM_LOG_ERR, DMM_LC_DP, "conntrack: nftables table inet dmm_ct: %s",
			 nft_ctx_get_error_buffer(ct->nft));
		return -1;
	}
	if (strcmp(ct->d->cfg.dataplane, "kernel") == 0) {
		FILE *f = fopen("/proc/sys/net/netfilter/nf_hooks_lwtunnel", "w");

		if (!f || fputs("1\n", f) < 0 || fclose(f) != 0) {
			dmm_logf(&ct->d->log, DMM_LOG_ERR, DMM_LC_DP,
				 "conntrack: cannot set net.netfilter.nf_hooks_lwtunnel=1: %s",
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

struct dmmd_ct *dmmd_ct_open(struct dmmd *d)
{
	struct dmmd_ct *ct = calloc(1, sizeof(*ct));

	if (!ct)
		return NULL;
	ct->d = d;
	ct->seq = (uint32_t)time(NULL);
	ct->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!ct->nl || mnl_socket_bind(ct->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_DP, "conntrack: ctnetlink socket: %s", strerror(errno));
		goto err;
	}
	if (track(ct) < 0)
		goto err;
	dmm_logf(&d->log, DMM_LOG_INFO, DMM_LC_DP,
		 "conntrack: old prefixes are released by sessions (table inet dmm_ct tracks)");
	return ct;
err:
	dmmd_ct_close(ct);
	return NULL;
}

void dmmd_ct_close(struct dmmd_ct *ct)
{
	if (!ct)
		return;
	if (ct->nft) {
		(void)nft_run_cmd_from_buffer(ct->nft, "delete table inet dmm_ct\n");
		nft_ctx_free(ct->nft);
	}
	if (ct->nl)
		mnl_socket_close(ct->nl);
	free(ct->p);
	free(ct->n);
	free(ct);
}

/* Attributes of one level of nesting, by type (anything above max skipped). */
struct ct_attrs {
	const struct nlattr *a[CTA_MAX + 1];
	unsigned max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct ct_attrs *t = data;
	unsigned type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->a[type] = a;
	return MNL_CB_OK;
}

static void nested(const struct nlattr *a, struct ct_attrs *t, unsigned max)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	if (a)
		(void)mnl_attr_parse_nested(a, attr_cb, t);
}

static bool get_v6(const struct nlattr *a, struct dmm_addr *out)
{
	if (!a || mnl_attr_get_payload_len(a) != 16)
		return false;
	memcpy(out->b, mnl_attr_get_payload(a), 16);
	return true;
}

/* What a tracked flow is worth (the header comment). */
enum ct_worth { CT_NONE, CT_SESSION, CT_ONE_WAY };

static enum ct_worth worth(const struct ct_attrs *top, uint8_t proto)
{
	struct ct_attrs pi, tcp;
	uint32_t status;
	uint8_t st;

	if (!top->a[CTA_STATUS] || mnl_attr_get_payload_len(top->a[CTA_STATUS]) != 4)
		return CT_NONE;
	status = ntohl(mnl_attr_get_u32(top->a[CTA_STATUS]));
	if (proto != IPPROTO_TCP)
		return status & IPS_ASSURED ? CT_SESSION : CT_NONE;
	nested(top->a[CTA_PROTOINFO], &pi, CTA_PROTOINFO_MAX);
	nested(pi.a[CTA_PROTOINFO_TCP], &tcp, CTA_PROTOINFO_TCP_MAX);
	if (!tcp.a[CTA_PROTOINFO_TCP_STATE])
		return CT_NONE;
	st = mnl_attr_get_u8(tcp.a[CTA_PROTOINFO_TCP_STATE]);
	/*
	 * TCP: answered is enough. Conntrack sets ASSURED only at the packet
	 * after the first answer, and a connection picked up in mid-stream
	 * after a move may have said one thing since.
	 */
	if (status & IPS_SEEN_REPLY)
		return st >= TCP_CONNTRACK_ESTABLISHED && st <= TCP_CONNTRACK_LAST_ACK ? CT_SESSION : CT_NONE;
	return st == TCP_CONNTRACK_ESTABLISHED ? CT_ONE_WAY : CT_NONE;
}

static int entry_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dmmd_ct *ct = data;
	struct ct_attrs top, tuple, ip, pr;
	struct dmm_addr src, dst;
	uint8_t proto = 0;

	ct->entries++;
	memset(&top, 0, sizeof(top));
	top.max = CTA_MAX;
	(void)mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, &top);
	nested(top.a[CTA_TUPLE_ORIG], &tuple, CTA_TUPLE_MAX);
	nested(tuple.a[CTA_TUPLE_IP], &ip, CTA_IP_MAX);
	nested(tuple.a[CTA_TUPLE_PROTO], &pr, CTA_PROTO_MAX);
	if (!get_v6(ip.a[CTA_IP_V6_SRC], &src) || !get_v6(ip.a[CTA_IP_V6_DST], &dst))
		return MNL_CB_OK;
	if (pr.a[CTA_PROTO_NUM])
		proto = mnl_attr_get_u8(pr.a[CTA_PROTO_NUM]);
	enum ct_worth w = worth(&top, proto);

	if (w == CT_NONE)
		return MNL_CB_OK;
	for (unsigned i = 0; i < ct->np; i++) {
		bool mn = dmm_prefix_contains(&ct->p[i], &src);

		if (mn || (w == CT_SESSION && dmm_prefix_contains(&ct->p[i], &dst)))
			ct->n[i]++;
	}
	return MNL_CB_OK;
}

/* Dump the IPv6 table through entry_cb; 0 or -1 (errno). */
static int dump(struct dmmd_ct *ct)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(ct->buf);
	struct nfgenmsg *g;
	uint32_t seq = ++ct->seq, port = mnl_socket_get_portid(ct->nl);
	ssize_t n;
	int r = MNL_CB_OK;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET6;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	if (mnl_socket_sendto(ct->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	while (r > MNL_CB_STOP) {
		n = mnl_socket_recvfrom(ct->nl, ct->buf, sizeof(ct->buf));
		if (n < 0)
			return -1;
		r = mnl_cb_run(ct->buf, (size_t)n, seq, port, entry_cb, ct);
	}
	return r < 0 ? -1 : 0;
}

/* Room for need prefixes (twice that, so that a growing table reallocates seldom); 0 or -1. */
static int grow(struct dmmd_ct *ct, unsigned need)
{
	unsigned cap = need * 2;
	struct dmm_prefix *p = realloc(ct->p, sizeof(*p) * cap);

	if (p)
		ct->p = p;
	unsigned *n = p ? realloc(ct->n, sizeof(*n) * cap) : NULL;

	if (!n) {
		dmm_logf(&ct->d->log, DMM_LOG_ERR, DMM_LC_DP, "conntrack: no memory for %u prefixes", need);
		return -1;
	}
	ct->n = n;
	ct->cap = cap;
	return 0;
}

void dmmd_ct_poll(struct dmmd_ct *ct, dmm_time_t now)
{
	struct dmm_maar *m;

	if (!ct || ct->d->cfg.role != DMMD_ROLE_MAAR || !(m = ct->d->role))
		return;
	ct->np = dmm_maar_session_prefixes(m, ct->p, ct->cap);
	if (ct->np > ct->cap && grow(ct, ct->np) == 0)
		ct->np = dmm_maar_session_prefixes(m, ct->p, ct->cap);
	if (ct->np > ct->cap)
		ct->np = ct->cap; /* no memory (logged by grow): the others go unreported */
	if (ct->np == 0)
		return;
	memset(ct->n, 0, sizeof(*ct->n) * ct->np);
	ct->polls++;
	if (dump(ct) < 0) {
		/* No answer is no judgement: the prefixes are kept as in use rather than released. */
		ct->errors++;
		dmm_logf(&ct->d->log, DMM_LOG_WARN, DMM_LC_DP, "conntrack: dump: %s", strerror(errno));
		for (unsigned i = 0; i < ct->np; i++)
			ct->n[i] = 1;
	}
	for (unsigned i = 0; i < ct->np; i++) {
		if (ct->n[i])
			ct->in_use++;
		if (ct->d->log.max_level >= DMM_LOG_DEBUG) {
			char ps[DMM_PREFIX_STRLEN];

			dmm_logf(&ct->d->log, DMM_LOG_DEBUG, DMM_LC_DP, "conntrack: prefix %s: %u sessions",
				 dmm_prefix_str(&ct->p[i], ps), ct->n[i]);
		}
		(void)dmm_maar_sessions(m, &ct->p[i], ct->n[i], now);
	}
}

void dmmd_ct_stats(const struct dmmd_ct *ct, uint64_t out[4])
{
	out[0] = ct ? ct->polls : 0;
	out[1] = ct ? ct->entries : 0;
	out[2] = ct ? ct->in_use : 0;
	out[3] = ct ? ct->errors : 0;
}
