/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MAG's access links (RFC 5213 §6.8, §6.9.1.1).
 *
 * Interfaces whose names match the configured patterns are access links.
 * When one appears (netlink RTM_NEWLINK) it gets the domain's shared MAC
 * and link-local address, so a host moving between MAGs sees the same
 * default router (§6.8), and it is brought up. The first IPv6 frame from
 * a host on the link (DAD, MLD, a Router Solicitation: whatever comes
 * first, caught by a packet socket) gives its link-layer address, from
 * which its MN-ID is made (the MAC as EUI-48, RFC 8371, or an NAI
 * "<mac>@<realm>", RFC 4283, by mn-id-form) and attaches it: the MAG registers it
 * at once instead of waiting for the host's RS timers. When the binding
 * is acknowledged, a Router Advertisement carries the host's prefix (PIO
 * with L and A) with the MAG as default router; RAs repeat every
 * ra-interval and answer every RS. A link that disappears or loses its
 * carrier detaches its host.
 *
 * Fast attach. Everything a link needs (the shared MAC and link-local
 * address, the packet socket and its filter) is done when the link
 * appears, not when a host arrives. When its carrier comes up, the host's
 * first frame is elicited at once instead of awaited (its MLD report or
 * DAD come when its own timers say, 10 to 100 ms later): an unsolicited
 * RA to all-nodes (RFC 4861 §6.2.4: a router's interface becoming
 * advertising) and an Echo Request to all-nodes (RFC 4443 §4.1), which
 * a host answers from its link-local address, repeated 0.25, 0.5, 1, 2,
 * 4, 8, 16 and 32 ms after carrier-up while no host has shown itself
 * (the host's own side of the link may start a moment later). Both carrier-up
 * and the attach are logged with the monotonic clock in microseconds
 * ("mono N us"), so a test can split link down time from attach
 * detection (attach-probe false turns the probes off).
 *
 * Links are found without a walk, whatever their number (one per host on
 * a MAG): by interface index through a hash table, a packet socket's
 * callback gets its link as context, and the links due for a periodic RA
 * wait in one queue in deadline order (every link has the same interval,
 * so a link rescheduled goes to the tail), of which a tick takes only the
 * due head.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netinet/icmp6.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "dmm/fmt.h"
#include "dmm/mag.h"
#include "dmm/mh.h"
#include "dmm/nd.h"
#include "../dataplane/nl.h"
#include "dmmd.h"
#include "pvd.h"

struct dmmd_access;

struct acc_link {
	struct dmmd_access *a;
	struct acc_link *hnext;		    /* hash chain by ifindex */
	struct acc_link *ra_prev, *ra_next; /* RA queue, while queued */
	bool ra_queued;
	struct acc_link *pr_next; /* probe list, while probed */
	bool probing;
	unsigned nprobe; /* probes sent since carrier-up */
	dmm_time_t next_probe, carrier_at;
	int ifindex;
	char name[IFNAMSIZ];
	int pkt_fd; /* AF_PACKET socket on this link */
	bool up;    /* carrier */
	bool has_mn;
	uint8_t mac[6];
	struct dmm_mnid mnid;
	bool registered;
	uint8_t nprefix;
	struct dmm_prefix prefix[DMM_MN_EVENT_MAX_PREFIX];
	uint32_t valid_s[DMM_MN_EVENT_MAX_PREFIX], preferred_s[DMM_MN_EVENT_MAX_PREFIX];
	dmm_time_t next_ra;
};

struct dmmd_access {
	struct dmmd *d;
	struct mnl_socket *nl; /* link events */
	struct dmm_nl *nlreq;  /* requests */
	int icmp_fd;	       /* RA / RS */
	int tick_fd;
	int probe_fd;		  /* timerfd: the next probe of a link whose host has not shown itself */
	struct acc_link *pr_head; /* links being probed (few: those whose carrier just came up) */
	struct acc_link **bucket; /* by ifindex; nbucket heads, a power of two */
	uint32_t nbucket, nlinks;
	struct acc_link *ra_head, *ra_tail; /* registered links by next_ra, earliest first */
	uint64_t ra_sent, rs_rcvd, attaches, detaches, probes_sent;
};

static bool is_access(const struct dmmd_access *a, const char *name)
{
	for (uint32_t i = 0; i < a->d->cfg.naccess; i++)
		if (fnmatch(a->d->cfg.access[i], name, 0) == 0)
			return true;
	return false;
}

static struct acc_link **bucket_of(struct dmmd_access *a, int ifindex)
{
	return &a->bucket[((uint32_t)ifindex * 0x9e3779b1u) & (a->nbucket - 1)];
}

static struct acc_link *find_link(struct dmmd_access *a, int ifindex)
{
	if (!a->nbucket)
		return NULL;
	for (struct acc_link *l = *bucket_of(a, ifindex); l; l = l->hnext)
		if (l->ifindex == ifindex)
			return l;
	return NULL;
}

/* Rehash into twice the buckets when links outnumber them: O(1) per link, amortized. 0 or -ENOMEM. */
static int grow_buckets(struct dmmd_access *a)
{
	uint32_t old = a->nbucket, n = old ? 2 * old : 64;
	struct acc_link **ob = a->bucket, **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return -ENOMEM;
	a->bucket = nb;
	a->nbucket = n;
	for (uint32_t b = 0; b < old; b++)
		for (struct acc_link *l = ob[b], *next; l; l = next) {
			struct acc_link **h = bucket_of(a, l->ifindex);

			next = l->hnext;
			l->hnext = *h;
			*h = l;
		}
	free(ob);
	return 0;
}

/* A new link for ifindex, in the hash table. NULL when out of memory. */
static struct acc_link *new_link(struct dmmd_access *a, int ifindex)
{
	struct acc_link *l, **h;

	if (a->nlinks >= a->nbucket && grow_buckets(a) < 0)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->a = a;
	l->ifindex = ifindex;
	l->pkt_fd = -1;
	h = bucket_of(a, ifindex);
	l->hnext = *h;
	*h = l;
	a->nlinks++;
	return l;
}

/* Take l out of the hash table and free it. */
static void free_link(struct dmmd_access *a, struct acc_link *l)
{
	struct acc_link **h = bucket_of(a, l->ifindex);

	while (*h != l)
		h = &(*h)->hnext; /* the chain of one bucket: a link or two */
	*h = l->hnext;
	a->nlinks--;
	free(l);
}

static void ra_dequeue(struct dmmd_access *a, struct acc_link *l)
{
	if (!l->ra_queued)
		return;
	*(l->ra_prev ? &l->ra_prev->ra_next : &a->ra_head) = l->ra_next;
	*(l->ra_next ? &l->ra_next->ra_prev : &a->ra_tail) = l->ra_prev;
	l->ra_prev = l->ra_next = NULL;
	l->ra_queued = false;
}

/* The next periodic RA of l at now + ra-interval: the queue's tail, which keeps it in deadline order. */
static void ra_schedule(struct dmmd_access *a, struct acc_link *l, dmm_time_t now)
{
	ra_dequeue(a, l);
	l->next_ra = now + (dmm_time_t)a->d->cfg.ra_interval_s * DMM_SECOND;
	l->ra_prev = a->ra_tail;
	*(a->ra_tail ? &a->ra_tail->ra_next : &a->ra_head) = l;
	a->ra_tail = l;
	l->ra_queued = true;
}

/*
 * Solicitations on an access link: every 20 ms, 15 of them (300 ms, as
 * RFC 4861's 3 x 100 ms would give with dmmd's earlier RetransTimer;
 * RFC 7048 §3 lets a node send more than MAX_MULTICAST_SOLICIT). A
 * solicitation that goes nowhere right after carrier-up then holds the
 * MN's downlink 20 ms, not 100.
 */
#define NEIGH_RETRANS_MS 20
#define NEIGH_MCAST_PROBES 15
/* The kernel's room for a held packet in a neighbour's queue (its truesize): an MTU-sized one and more. */
#define NEIGH_QUEUE_PER_PACKET 4096u

/*
 * The neighbour parameters of l. The solicitation retransmission
 * (RFC 4861 §7.2.2, RetransTimer) at NEIGH_RETRANS_MS instead of 1 s: a packet
 * routed onto the link just after carrier-up that finds no source for
 * its solicitation sends none, and the next one would go only a
 * RetransTimer later, the MN's downlink held meanwhile (a 1 s stall at a
 * handover). And the queue of packets waiting for the host's link-layer
 * address (RFC 4861 §7.2.2 "queue ... at least one packet"; Linux:
 * unres_qlen_bytes, about 200 small packets by default) big enough for
 * a whole buffer flushed at the handover (buffer-packets of an MTU
 * each), else the kernel drops the oldest of them while it resolves the
 * host's address. Best effort: the link works without it.
 */
static void neigh_params(struct dmmd_access *a, struct acc_link *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = dmm_nl_msg(buf, RTM_SETNEIGHTBL, 0);
	struct ndtmsg *ndt = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndt));
	struct nlattr *nest;

	ndt->ndtm_family = AF_INET6;
	mnl_attr_put_strz(nlh, NDTA_NAME, "ndisc_cache");
	nest = mnl_attr_nest_start(nlh, NDTA_PARMS);
	mnl_attr_put_u32(nlh, NDTPA_IFINDEX, (uint32_t)l->ifindex);
	mnl_attr_put_u64(nlh, NDTPA_RETRANS_TIME, NEIGH_RETRANS_MS);
	mnl_attr_put_u32(nlh, NDTPA_MCAST_PROBES, NEIGH_MCAST_PROBES);
	if (a->d->cfg.buffer_packets > 212992u / NEIGH_QUEUE_PER_PACKET)
		mnl_attr_put_u32(nlh, NDTPA_QUEUE_LENBYTES,
				 a->d->cfg.buffer_packets * NEIGH_QUEUE_PER_PACKET);
	mnl_attr_nest_end(nlh, nest);
	dmm_nl_request(a->nlreq, nlh);
}

/* RFC 5213 §6.8: the shared MAC, the shared link-local address, link up. */
static int configure_link(struct dmmd_access *a, struct acc_link *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct ifaddrmsg *ifa;
	int err;

	nlh = dmm_nl_msg(buf, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = l->ifindex;
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, a->d->cfg.access_mac);
	err = dmm_nl_request(a->nlreq, nlh);
	if (err < 0)
		return err;
	nlh = dmm_nl_msg(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = 64;
	ifa->ifa_scope = RT_SCOPE_LINK;
	ifa->ifa_index = (unsigned)l->ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, 16, a->d->cfg.access_lla.b);
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	err = dmm_nl_request(a->nlreq, nlh);
	if (err < 0 && err != -EEXIST)
		return err;
	neigh_params(a, l);
	return dmm_nl_link_up(a->nlreq, l->ifindex);
}

/* Remove the shared link-local address again (dmmd leaves nothing behind). */
static void unconfigure_link(struct dmmd_access *a, struct acc_link *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = dmm_nl_msg(buf, RTM_DELADDR, 0);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = 64;
	ifa->ifa_index = (unsigned)l->ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, 16, a->d->cfg.access_lla.b);
	dmm_nl_request(a->nlreq, nlh);
}

/* Send an ICMPv6 message (checksum by the kernel) to dst on l, from the shared link-local address. */
static bool send_icmp(struct dmmd_access *a, struct acc_link *l, const uint8_t *buf, size_t n,
		      const struct dmm_addr *dst)
{
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)l->ifindex};
	struct in6_pktinfo pi = {.ipi6_ifindex = (unsigned)l->ifindex};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(pi))];
	} cb;
	struct iovec iov = {(void *)buf, n};
	struct msghdr mh = {&to, sizeof(to), &iov, 1, cb.b, sizeof(cb.b), 0};
	struct cmsghdr *cm;

	memcpy(&to.sin6_addr, dst->b, 16);
	memset(&cb, 0, sizeof(cb));
	cm = CMSG_FIRSTHDR(&mh);
	memcpy(&pi.ipi6_addr, a->d->cfg.access_lla.b, 16);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	return sendmsg(a->icmp_fd, &mh, 0) >= 0;
}

static void send_ra(struct dmmd_access *a, struct acc_link *l, bool withdraw)
{
	struct dmmd_config *c = &a->d->cfg;
	struct dmm_nd_msg m;
	struct dmm_addr dst;
	uint8_t buf[1280];
	int n;

	/* RFC 4861 §6.2.3 / RFC 5213 §6.7: the MAG is the default router. */
	dmm_nd_ra_init(&m, 64, withdraw ? 0 : (uint16_t)c->router_lifetime_s, 0);
	dmm_nd_set_sllao(&m, c->access_mac, 6);
	/*
	 * RFC 4861 §4.6.4: the hosts' MTU is the tunnel's, so their packets fit
	 * it without relying on Packet Too Big from a tunnel entry point.
	 */
	dmm_nd_ra_set_mtu(&m, c->ra_mtu);
	/* RFC 8885 §3.7: the local prefix preferred, older ones deprecated but valid. */
	for (unsigned i = 0; i < l->nprefix; i++)
		dmm_nd_ra_add_pio(&m.opts, &l->prefix[i], DMM_ND_PIO_L | DMM_ND_PIO_A,
				  withdraw ? 0 : l->valid_s[i], withdraw ? 0 : l->preferred_s[i]);
	dmm_addr_parse("ff02::1", &dst);
	/* RFC 8801 (GAP2-2): one RA per PvD, each prefix in its kind's PvD option (pvd.c). */
	static struct dmm_nd_msg pv[DMMD_PVD_MAX_RA];
	unsigned k = dmmd_pvd_split(c, &m, pv, DMMD_PVD_MAX_RA);

	for (unsigned i = 0; i < (k ? k : 1); i++) {
		n = dmm_nd_encode(buf, sizeof(buf), k ? &pv[i] : &m, &c->access_lla, &dst);
		if (n >= 0 && send_icmp(a, l, buf, (size_t)n, &dst))
			a->ra_sent++;
	}
}

/* RFC 4443 §4.1: an Echo Request to all-nodes on l, which a host answers from its link-local address. */
static void send_probe(struct dmmd_access *a, struct acc_link *l)
{
	uint8_t echo[8] = {ICMP6_ECHO_REQUEST, 0, 0, 0, 0xd3, 0x13, 0, (uint8_t)l->nprobe};
	struct dmm_addr dst;

	dmm_addr_parse("ff02::1", &dst);
	if (send_icmp(a, l, echo, sizeof(echo), &dst))
		a->probes_sent++;
}

/*
 * The packet socket exists to see a host's first frame. A classic BPF
 * filter keeps it from copying the host's traffic into dmmd afterwards:
 * it passes nothing the node sends, and, once a host is known (mac not
 * NULL), nothing from that host either.
 */
static void set_filter(struct acc_link *l, const uint8_t *mac)
{
	uint32_t hi =
		mac ? (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3] : 0;
	uint32_t lo = mac ? (uint32_t)mac[4] << 8 | mac[5] : 0;
	struct sock_filter known[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 4, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_LL_OFF + 6)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 0, 3),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (uint32_t)(SKF_LL_OFF + 10)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
	};
	struct sock_filter any[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
	};
	struct sock_fprog prog = mac ? (struct sock_fprog){sizeof(known) / sizeof(known[0]), known}
				     : (struct sock_fprog){sizeof(any) / sizeof(any[0]), any};

	if (l->pkt_fd >= 0)
		setsockopt(l->pkt_fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

/* Take l off the probe list (a few links at most: those whose carrier came up in the last 32 ms). */
static void probe_stop(struct dmmd_access *a, struct acc_link *l)
{
	struct acc_link **p = &a->pr_head;

	if (!l->probing)
		return;
	while (*p != l)
		p = &(*p)->pr_next;
	*p = l->pr_next;
	l->pr_next = NULL;
	l->probing = false;
}

/* The probe timer at the earliest next probe of the list (disarmed when it is empty). */
static void probe_arm(struct dmmd_access *a)
{
	struct itimerspec its = {{0, 0}, {0, 0}};
	dmm_time_t first = 0;

	for (struct acc_link *l = a->pr_head; l; l = l->pr_next)
		if (!first || l->next_probe < first)
			first = l->next_probe;
	if (first) {
		its.it_value.tv_sec = (time_t)(first / DMM_SECOND);
		its.it_value.tv_nsec = (long)(first % DMM_SECOND);
	}
	timerfd_settime(a->probe_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/*
 * At 0, 0.25, 0.5, 1, 2, 4, 8, 16 and 32 ms after carrier-up: a host
 * whose own side of the link is not up yet when the first probe comes
 * (the common case on a veth, about half the time) answers the next one
 * a quarter of a millisecond later, not a whole one.
 */
#define PROBES 9
#define PROBE_STEP (DMM_MSEC / 4)

/* Probe k (from 0) of l, and the time of the next: 2^k quarter milliseconds after carrier-up. */
static void probe_one(struct dmmd_access *a, struct acc_link *l)
{
	send_probe(a, l);
	l->next_probe = l->carrier_at + ((dmm_time_t)1 << l->nprobe) * PROBE_STEP;
	l->nprobe++;
}

static void on_probe(void *ctx, int fd, uint32_t ev)
{
	struct dmmd_access *a = ctx;
	dmm_time_t now = dmm_io_now();
	uint64_t n;

	(void)ev;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	for (struct acc_link *l = a->pr_head, *next; l; l = next) {
		next = l->pr_next;
		if (l->has_mn || !l->up || l->nprobe >= PROBES)
			probe_stop(a, l);
		else if (now >= l->next_probe)
			probe_one(a, l);
	}
	probe_arm(a);
}

/*
 * l's carrier came up: a host is (back) on the link. Advertise at once
 * (RFC 4861 §6.2.4) and, while no host has shown itself, probe for it.
 */
static void carrier_up(struct dmmd_access *a, struct acc_link *l)
{
	l->carrier_at = dmm_io_now();
	dmm_logf(&a->d->log, DMM_LOG_INFO, DMM_LC_ND, "access link %s carrier up (mono %llu us)", l->name,
		 (unsigned long long)(l->carrier_at / DMM_USEC));
	if (l->registered || a->d->cfg.attach_probe)
		send_ra(a, l, false);
	if (l->registered)
		ra_schedule(a, l, l->carrier_at);
	if (!a->d->cfg.attach_probe || l->has_mn)
		return;
	l->nprobe = 0;
	probe_one(a, l);
	if (!l->probing) {
		l->pr_next = a->pr_head;
		a->pr_head = l;
		l->probing = true;
	}
	probe_arm(a);
}

/* Tell the data plane which host is on l (mac NULL: none), for what it releases onto l (dataplane.h host). */
static void dp_host(struct dmmd_access *a, const struct acc_link *l, const uint8_t *mac)
{
	struct dmmd *d = a->d;

	if (d->dp && d->dpo->host && d->dpo->host(d->dp, (uint32_t)l->ifindex, mac, mac ? 6 : 0) < 0)
		dmm_logf(&d->log, DMM_LOG_WARN, DMM_LC_ND,
			 "access link %s: the data plane did not take its host", l->name);
}

static void attach(struct dmmd_access *a, struct acc_link *l, const uint8_t mac[6])
{
	char s[DMM_MNID_STRLEN];
	dmm_time_t now = dmm_io_now();
	int rc;

	memcpy(l->mac, mac, 6);
	set_filter(l, mac);
	/* EUI-48 (RFC 8371 §4.3) or an NAI built from the MAC (RFC 4283 §3), by mn-id-form. */
	dmmd_config_mnid_of_mac(&a->d->cfg, mac, &l->mnid);
	l->has_mn = true;
	a->attaches++;
	dp_host(a, l, mac); /* before the role: registering may release a buffer onto l */
	rc = a->d->ro->attach(a->d->role, &l->mnid, (uint32_t)l->ifindex, mac, 6, DMM_ATT_8023, now);
	if (rc < 0)
		/* Say what to configure: a refusal is most often a config without a profile for the host. */
		dmm_logf(&a->d->log, DMM_LOG_WARN, DMM_LC_ND,
			 "mn %s attached on %s but refused (the role's reason is logged above); a host "
			 "without a profile needs an entry in mobile-nodes or a default-profile whose "
			 "mn-id-type covers it (%s; docs/dmmd.md)",
			 dmm_mnid_str(&l->mnid, s), l->name,
			 a->d->cfg.has_default ? "a default-profile is set" : "no default-profile");
	else
		dmm_logf(&a->d->log, DMM_LOG_INFO, DMM_LC_ND,
			 "mn %s attached on %s (mono %llu us, %llu us after carrier-up, %u probes)",
			 dmm_mnid_str(&l->mnid, s), l->name, (unsigned long long)(now / DMM_USEC),
			 (unsigned long long)((now - l->carrier_at) / DMM_USEC), l->nprobe);
	a->d->rearm(a->d); /* the role has a new deadline */
}

void dmmd_access_retry(struct dmmd_access *a)
{
	for (uint32_t b = 0; a && b < a->nbucket; b++)
		for (struct acc_link *l = a->bucket[b]; l; l = l->hnext)
			if (l->has_mn && l->up && !l->registered)
				attach(a, l, l->mac);
}

static void detach(struct dmmd_access *a, struct acc_link *l, const char *why)
{
	char s[DMM_MNID_STRLEN];

	if (!l->has_mn)
		return;
	dmm_logf(&a->d->log, DMM_LOG_INFO, DMM_LC_ND, "mn %s detached from %s (%s)",
		 dmm_mnid_str(&l->mnid, s), l->name, why);
	a->d->ro->detach(a->d->role, &l->mnid, dmm_io_now());
	dp_host(a, l, NULL);
	l->has_mn = false;
	l->registered = false;
	ra_dequeue(a, l);
	l->nprefix = 0;
	set_filter(l, NULL);
	a->detaches++;
	a->d->rearm(a->d); /* the role has a new deadline */
}

static void on_packet(void *ctx, int fd, uint32_t ev)
{
	struct acc_link *l = ctx;
	struct dmmd_access *a = l->a;
	uint8_t frame[2048];
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	(void)ev;
	while ((n = recvfrom(fd, frame, sizeof(frame), MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) > 0) {
		if (from.sll_pkttype == PACKET_OUTGOING || from.sll_halen != 6)
			continue;
		if (memcmp(from.sll_addr, a->d->cfg.access_mac, 6) == 0)
			continue;
		if (!l->has_mn || memcmp(l->mac, from.sll_addr, 6) != 0) {
			if (l->has_mn)
				detach(a, l, "another host on the link");
			attach(a, l, from.sll_addr);
		}
	}
}

static void on_icmp(void *ctx, int fd, uint32_t ev)
{
	struct dmmd_access *a = ctx;
	uint8_t buf[1500];
	struct sockaddr_in6 from;
	union {
		struct cmsghdr h;
		char b[256];
	} cb;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr mh = {&from, sizeof(from), &iov, 1, cb.b, sizeof(cb.b), 0};
	ssize_t n;

	(void)ev;
	while ((n = recvmsg(fd, &mh, MSG_DONTWAIT)) > 0) {
		struct dmm_addr src, dst = {{0}};
		struct dmm_nd_msg m;
		int hops = -1, ifindex = (int)from.sin6_scope_id;
		struct acc_link *l;

		memcpy(src.b, &from.sin6_addr, 16);
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != IPPROTO_IPV6)
				continue;
			if (c->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&hops, CMSG_DATA(c), sizeof(int));
			if (c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				memcpy(dst.b, &pi.ipi6_addr, 16);
				ifindex = (int)pi.ipi6_ifindex;
			}
		}
		mh.msg_controllen = sizeof(cb.b);
		mh.msg_namelen = sizeof(from);
		l = find_link(a, ifindex);
		/* RFC 4861 §6.1.1: validate before acting (hop limit, checksum, options). */
		if (!l || hops < 0 || dmm_nd_decode_ip6(&m, buf, (size_t)n, &src, &dst, (uint8_t)hops) < 0 ||
		    m.type != DMM_ND_RS)
			continue;
		a->rs_rcvd++;
		if (m.opts.has_sllao && m.opts.sllao.len == 6 &&
		    (!l->has_mn || memcmp(l->mac, m.opts.sllao.b, 6)))
			attach(a, l, m.opts.sllao.b);
		if (l->registered)
			send_ra(a, l, false); /* RFC 4861 §6.2.6 */
	}
}

static void link_gone(struct dmmd_access *a, struct acc_link *l, const char *why)
{
	detach(a, l, why);
	ra_dequeue(a, l);
	probe_stop(a, l);
	if (l->pkt_fd >= 0) {
		dmm_loop_del(a->d->loop, l->pkt_fd);
		close(l->pkt_fd);
	}
	free_link(a, l);
}

/* Tell the data plane of a new access link before it is brought up (dataplane.h access_link). */
static void dp_access_link(struct dmmd_access *a, const struct acc_link *l)
{
	struct dmmd *d = a->d;
	int err;

	if (d->dp && d->dpo->access_link && (err = d->dpo->access_link(d->dp, (uint32_t)l->ifindex)) < 0)
		dmm_logf(&d->log, DMM_LOG_WARN, DMM_LC_ND,
			 "access link %s: the data plane could not prepare it: %s", l->name, strerror(-err));
}

/* A new access link: its packet socket, then RFC 5213 §6.8's settings. NULL if it could not be watched. */
static struct acc_link *open_link(struct dmmd_access *a, int ifindex, const char *name, bool carrier)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IPV6)};
	struct acc_link *l = new_link(a, ifindex);
	int err;

	if (!l) {
		dmm_logf(&a->d->log, DMM_LOG_ERR, DMM_LC_ND, "access link %s: out of memory", name);
		return NULL;
	}
	snprintf(l->name, sizeof(l->name), "%s", name);
	/* Protocol 0 until bound: no frames from other links in between. */
	l->pkt_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	sll.sll_ifindex = ifindex;
	if (l->pkt_fd >= 0)
		set_filter(l, NULL);
	if (l->pkt_fd < 0 || bind(l->pkt_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    (errno = -dmm_loop_add(a->d->loop, l->pkt_fd, on_packet, l)) != 0) {
		dmm_logf(&a->d->log, DMM_LOG_ERR, DMM_LC_ND, "access link %s: packet socket: %s", name,
			 strerror(errno));
		if (l->pkt_fd >= 0)
			close(l->pkt_fd);
		free_link(a, l);
		return NULL;
	}
	dp_access_link(a, l); /* before it is up (dataplane.h) */
	err = configure_link(a, l);
	dmm_logf(&a->d->log, err ? DMM_LOG_WARN : DMM_LOG_INFO, DMM_LC_ND, "access link %s (index %d) %s%s%s",
		 name, ifindex, err ? "not configured: " : "configured", err ? strerror(-err) : "",
		 carrier ? ", carrier up" : "");
	return l;
}

static void link_seen(struct dmmd_access *a, int ifindex, const char *name, unsigned flags)
{
	struct acc_link *l = find_link(a, ifindex);
	bool carrier = (flags & IFF_LOWER_UP) && (flags & IFF_UP);

	if (!l && (!is_access(a, name) || !(l = open_link(a, ifindex, name, carrier))))
		return;
	bool was = l->up;

	l->up = carrier;
	if (was && !carrier)
		detach(a, l, "carrier down");
	if (!was && carrier)
		carrier_up(a, l);
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dmmd_access *a = data;
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nlattr *attr;
	const char *name = NULL;

	mnl_attr_for_each(attr, nlh, sizeof(*ifi))
	{
		if (mnl_attr_get_type(attr) == IFLA_IFNAME)
			name = mnl_attr_get_str(attr);
	}
	if (nlh->nlmsg_type == RTM_DELLINK) {
		struct acc_link *l = find_link(a, ifi->ifi_index);

		if (l)
			link_gone(a, l, "link removed");
	} else if (nlh->nlmsg_type == RTM_NEWLINK && name) {
		link_seen(a, ifi->ifi_index, name, ifi->ifi_flags);
	}
	return MNL_CB_OK;
}

static void on_netlink(void *ctx, int fd, uint32_t ev)
{
	struct dmmd_access *a = ctx;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	(void)fd;
	(void)ev;
	while ((n = recv(mnl_socket_get_fd(a->nl), buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		mnl_cb_run(buf, (size_t)n, 0, 0, link_cb, a);
}

static void on_tick(void *ctx, int fd, uint32_t ev)
{
	struct dmmd_access *a = ctx;
	dmm_time_t now = dmm_io_now();
	struct acc_link *l;
	uint64_t n;

	(void)ev;
	if (read(fd, &n, sizeof(n)) < 0)
		return;
	/* Only the due head of the queue: the rest is later still. */
	while ((l = a->ra_head) && now >= l->next_ra) {
		if (!l->registered || !l->up) {
			ra_dequeue(a, l); /* queued again when it is registered and up */
			continue;
		}
		send_ra(a, l, false);
		ra_schedule(a, l, now);
	}
}

void dmmd_access_mn_event(struct dmmd_access *a, const struct dmm_mn_event *ev)
{
	struct acc_link *l = find_link(a, (int)ev->link);
	char s[DMM_MNID_STRLEN], p[DMM_PREFIX_STRLEN];

	if (!l)
		return;
	switch (ev->type) {
	case DMM_MN_REGISTERED:
		l->registered = true;
		l->nprefix = ev->nprefix;
		memcpy(l->prefix, ev->prefix, sizeof(ev->prefix[0]) * ev->nprefix);
		memcpy(l->valid_s, ev->valid_s, sizeof(ev->valid_s[0]) * ev->nprefix);
		memcpy(l->preferred_s, ev->preferred_s, sizeof(ev->preferred_s[0]) * ev->nprefix);
		dmm_logf(&a->d->log, DMM_LOG_INFO, DMM_LC_ND, "mn %s on %s registered, advertising %s",
			 dmm_mnid_str(ev->mnid, s), l->name,
			 ev->nprefix ? dmm_prefix_str(&ev->prefix[0], p) : "-");
		send_ra(a, l, false);
		ra_schedule(a, l, dmm_io_now());
		/* A prefix sent with valid lifetime 0 is withdrawn (GAP2-1): not advertised again. */
		{
			uint8_t k = 0;

			for (uint8_t i = 0; i < l->nprefix; i++) {
				if (!l->valid_s[i])
					continue;
				l->prefix[k] = l->prefix[i];
				l->valid_s[k] = l->valid_s[i];
				l->preferred_s[k++] = l->preferred_s[i];
			}
			l->nprefix = k;
		}
		break;
	case DMM_MN_DEREGISTERED:
		if (l->registered && l->up)
			send_ra(a, l, true); /* withdraw: valid lifetime 0 */
		l->registered = false;
		ra_dequeue(a, l);
		break;
	case DMM_MN_REFUSED:
		dmm_logf(&a->d->log, DMM_LOG_WARN, DMM_LC_ND,
			 "mn %s on %s refused by the LMA (status %u): no prefix", dmm_mnid_str(ev->mnid, s),
			 l->name, ev->status);
		l->registered = false;
		ra_dequeue(a, l);
		break;
	}
}

struct dmmd_access *dmmd_access_open(struct dmmd *d)
{
	struct dmmd_access *a = calloc(1, sizeof(*a));
	struct dmm_nl *dump = NULL;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtgenmsg *rt;
	struct icmp6_filter filt;
	struct itimerspec its = {{1, 0}, {1, 0}};
	int one = 1, hops = 255, r;

	if (!a)
		return NULL;
	a->d = d;
	a->icmp_fd = a->tick_fd = a->probe_fd = -1;
	a->nl = mnl_socket_open(NETLINK_ROUTE);
	a->nlreq = dmm_nl_open(NETLINK_ROUTE);
	if (!a->nl || !a->nlreq || mnl_socket_bind(a->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
		goto err;
	a->icmp_fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (a->icmp_fd < 0)
		goto err;
	ICMP6_FILTER_SETBLOCKALL(&filt);
	ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &filt);
	setsockopt(a->icmp_fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt));
	setsockopt(a->icmp_fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	setsockopt(a->icmp_fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
	/* RFC 4861 §6.1.2: RAs leave with hop limit 255. */
	setsockopt(a->icmp_fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops));
	setsockopt(a->icmp_fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops));
	{
		/* A forwarding node is in ff02::2 on every link, so RSs reach this socket. */
		int off = 0;

		setsockopt(a->icmp_fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off));
	}
	a->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->tick_fd < 0 || timerfd_settime(a->tick_fd, 0, &its, NULL) < 0)
		goto err;
	a->probe_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->probe_fd < 0 || dmm_loop_add(d->loop, a->probe_fd, on_probe, a) < 0)
		goto err;
	if (dmm_loop_add(d->loop, mnl_socket_get_fd(a->nl), on_netlink, a) < 0 ||
	    dmm_loop_add(d->loop, a->icmp_fd, on_icmp, a) < 0 ||
	    dmm_loop_add(d->loop, a->tick_fd, on_tick, a) < 0)
		goto err;
	/*
	 * The links that exist already. The dump has its own socket: link_cb
	 * configures access links through nlreq while the dump is still being
	 * read, and their acks must not interleave with the dump's parts.
	 */
	dump = dmm_nl_open(NETLINK_ROUTE);
	if (!dump)
		goto err;
	nlh = dmm_nl_msg(buf, RTM_GETLINK, 0);
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	r = dmm_nl_dump(dump, nlh, link_cb, a);
	if (r < 0) {
		errno = -r;
		goto err;
	}
	dmm_nl_close(dump);
	return a;
err:
	dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_ND, "access links: %s", strerror(errno));
	dmm_nl_close(dump);
	dmmd_access_close(a);
	return NULL;
}

/* Tell the host its prefix is gone before the binding goes (valid lifetime 0), then let the link go. */
static void close_link(struct dmmd_access *a, struct acc_link *l)
{
	if (l->registered && l->up)
		send_ra(a, l, true);
	probe_stop(a, l);
	unconfigure_link(a, l);
	if (l->pkt_fd >= 0) {
		dmm_loop_del(a->d->loop, l->pkt_fd);
		close(l->pkt_fd);
	}
	free(l);
}

void dmmd_access_close(struct dmmd_access *a)
{
	if (!a)
		return;
	for (uint32_t b = 0; b < a->nbucket; b++)
		for (struct acc_link *l = a->bucket[b], *next; l; l = next) {
			next = l->hnext;
			close_link(a, l);
		}
	free(a->bucket);
	if (a->nl) {
		dmm_loop_del(a->d->loop, mnl_socket_get_fd(a->nl));
		mnl_socket_close(a->nl);
	}
	dmm_nl_close(a->nlreq);
	if (a->icmp_fd >= 0) {
		dmm_loop_del(a->d->loop, a->icmp_fd);
		close(a->icmp_fd);
	}
	if (a->tick_fd >= 0) {
		dmm_loop_del(a->d->loop, a->tick_fd);
		close(a->tick_fd);
	}
	if (a->probe_fd >= 0) {
		dmm_loop_del(a->d->loop, a->probe_fd);
		close(a->probe_fd);
	}
	free(a);
}
