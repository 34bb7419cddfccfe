/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user data plane's packet path (user.c has the design): the TUN
 * device with virtio_net_hdr framing, the raw IPv6-in-IPv6 socket, and
 * the batched rounds between them (readv from the TUN, sendmmsg to the
 * peers; recvmmsg from the peers, writev to the TUN). Batch buffers are
 * allocated at open(): nothing is allocated per packet.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "user.h"

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

/* One queue of the TUN device (the first creates it). The fd, or -1 with err filled and errno set. */
static int tun_queue(struct dmm_dp *dp, char *err, size_t errlen)
{
	struct ifreq ifr = {0};
	int hsz = (int)sizeof(struct virtio_net_hdr);
	unsigned off = TUN_F_CSUM | TUN_F_TSO6 | TUN_F_TSO_ECN;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		dmm_dp_seterr(err, errlen, "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
	memcpy(ifr.ifr_name, dp->cfg.tun_name, sizeof(ifr.ifr_name) - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		dmm_dp_seterr(err, errlen, "TUNSETIFF %s: %s", dp->cfg.tun_name, strerror(errno));
		goto err;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hsz) < 0) {
		dmm_dp_seterr(err, errlen, "TUNSETVNETHDRSZ %s: %s", dp->cfg.tun_name, strerror(errno));
		goto err;
	}
	/* Partial checksums and TCP/IPv6 GSO packets from the kernel (tun_round). */
	if (ioctl(fd, TUNSETOFFLOAD, off) < 0) {
		dmm_dp_seterr(err, errlen, "TUNSETOFFLOAD %s: %s", dp->cfg.tun_name, strerror(errno));
		goto err;
	}
	return fd;
err:
	hsz = errno;
	close(fd);
	errno = hsz;
	return -1;
}

int dpu_tun_open(struct dmm_dp *dp, char *err, size_t errlen)
{
	for (unsigned i = 0; i < dp->nworkers; i++) {
		dp->w[i].tun = tun_queue(dp, err, errlen);
		if (dp->w[i].tun < 0)
			return -1;
	}
	return 0;
}

/*
 * The filter of raw socket i of n: accept a packet when the hash of its
 * flow modulo n is i, so that each packet reaches one worker only (a raw
 * socket gets a copy of every packet of its protocol) and the packets of
 * a flow stay in order (one worker). The data a raw IPv6 socket's filter
 * sees starts at the inner header: the hash mixes the low words of the
 * inner source and destination and, when the packet is long enough, the
 * four bytes after the inner header (the ports of TCP and UDP).
 */
static int raw_filter(int fd, unsigned i, unsigned n)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 20), /* inner source, last word */
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 36), /* inner destination, last word */
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 44, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 40), /* the ports, or what stands there */
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_MISC | BPF_TXA, 0), /* A = hash; fold its halves */
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, i, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

	if (n < 2)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

int dpu_raw_open(struct dmm_dp *dp, struct dpu_worker *w, char *err, size_t errlen)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	int one = 1, zero = 0, sz = 4 << 20;

	w->raw = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPV6);
	if (w->raw < 0) {
		dmm_dp_seterr(err, errlen, "raw socket (protocol 41): %s", strerror(errno));
		return -1;
	}
	/* Tolerate a local address still in DAD; we write the outer header. */
	setsockopt(w->raw, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	setsockopt(w->raw, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &zero, sizeof(zero));
	memcpy(&sa.sin6_addr, dp->cfg.local.b, 16);
	if (setsockopt(w->raw, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one)) < 0 ||
	    raw_filter(w->raw, w->id, dp->nworkers) < 0 ||
	    bind(w->raw, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		dmm_dp_seterr(err, errlen, "raw socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(w->raw, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(w->raw, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(w->raw, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(w->raw, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return 0;
}

int dpu_batch_init(struct dpu_worker *w)
{
	w->tunbuf = malloc(DP_BATCH * sizeof(*w->tunbuf));
	w->rxbuf = malloc(DP_BATCH * sizeof(*w->rxbuf));
	if (!w->tunbuf || !w->rxbuf)
		return -ENOMEM;
	for (int i = 0; i < DP_BATCH; i++) {
		w->rxiov[i].iov_base = w->rxbuf[i];
		w->rxiov[i].iov_len = DP_RX_BUF;
	}
	return 0;
}

static bool ipv6_ok(const uint8_t *p, size_t len)
{
	return len >= DP_HDR && (p[0] >> 4) == 6 && (size_t)((p[4] << 8) | p[5]) + DP_HDR <= len;
}

/*
 * Write one packet to TUN queue fd behind its virtio_net_hdr (vh NULL: a
 * plain packet, checksums complete). True when all of it went.
 */
static bool tun_write(int fd, const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t len)
{
	static const struct virtio_net_hdr plain = {.gso_type = VIRTIO_NET_HDR_GSO_NONE};
	struct iovec iov[2] = {
		{.iov_base = (void *)(vh ? vh : &plain), .iov_len = sizeof(*vh)},
		{.iov_base = (void *)pkt, .iov_len = len},
	};

	return writev(fd, iov, 2) == (ssize_t)(sizeof(*vh) + len);
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

/* Count packets [from, to) of the queue: one atomic add per run of the same intent. */
static void count_sent(struct dmm_dp *dp, const struct dpu_txq *q, unsigned from, unsigned to)
{
	while (from < to) {
		uint32_t si = q->slot[from];
		uint64_t n = 0, bytes = 0;

		for (; from < to && q->slot[from] == si; from++, n++)
			bytes += q->len[from];
		dpu_count_n(dpu_slot(dp, si), n, bytes);
	}
}

/* Send messages [from, to) of w's queue, all to one socket, and count them. */
static void flush_run(struct dpu_worker *w, unsigned from, unsigned to)
{
	struct dpu_txq *q = &w->tx;
	int fd = q->pkt[from] ? w->pkt : w->raw;

	while (from < to) {
		int r = sendmmsg(fd, q->msg + from, to - from, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* This one failed (unreachable peer, full queue, a device gone): count it, go on. */
			dpu_drop(w->dp, q->len[from]);
			if (q->pkt[from] && errno != ENOBUFS && errno != EAGAIN)
				memset(w->nh, 0, sizeof(w->nh)); /* look the next hops up again */
			from++;
			continue;
		}
		count_sent(w->dp, q, from, from + (unsigned)r);
		from += (unsigned)r;
	}
}

/* Send what worker w queued (a sendmmsg per run of one socket), count it per intent, empty the queue. */
static void flush(struct dpu_worker *w)
{
	struct dpu_txq *q = &w->tx;

	for (unsigned from = 0, to; from < q->n; from = to) {
		for (to = from + 1; to < q->n && q->pkt[to] == q->pkt[from]; to++)
			;
		flush_run(w, from, to);
	}
	q->n = 0;
}

/* The next message of w's queue, to peer of slot si (flushed first when full). */
static unsigned queue_slot(struct dpu_worker *w, uint32_t si)
{
	struct dpu_txq *q = &w->tx;
	const struct slot *s = dpu_slot(w->dp, si);
	const struct sockaddr_ll *ll;
	unsigned k;

	if (q->n == DP_TXQ)
		flush(w);
	k = q->n++;
	memset(&q->msg[k], 0, sizeof(q->msg[k]));
	ll = dpu_nh_get(w, &s->in.peer);
	q->pkt[k] = ll != NULL;
	if (ll) {
		q->ll[k] = *ll;
		q->msg[k].msg_hdr.msg_name = &q->ll[k];
		q->msg[k].msg_hdr.msg_namelen = sizeof(q->ll[k]);
	} else {
		memset(&q->addr[k], 0, sizeof(q->addr[k]));
		q->addr[k].sin6_family = AF_INET6;
		memcpy(&q->addr[k].sin6_addr, s->in.peer.b, 16);
		q->msg[k].msg_hdr.msg_name = &q->addr[k];
		q->msg[k].msg_hdr.msg_namelen = sizeof(q->addr[k]);
	}
	q->msg[k].msg_hdr.msg_iov = q->iov[k];
	q->slot[k] = si;
	return k;
}

/* Queue one ENCAP packet whose inner bytes sit at buf + DP_HDR: the outer header goes in the headroom. */
static void queue_encap(struct dpu_worker *w, uint8_t *buf, uint32_t si, size_t len)
{
	unsigned k = queue_slot(w, si);
	struct dpu_txq *q = &w->tx;

	outer_header(buf, &w->dp->cfg.local, &dpu_slot(w->dp, si)->in.peer, len);
	q->iov[k][0] = (struct iovec){.iov_base = buf, .iov_len = len + DP_HDR};
	q->msg[k].msg_hdr.msg_iovlen = 1;
	q->len[k] = (uint32_t)len;
}

/*
 * Queue the segments of a TCP GSO packet: each its own outer and inner
 * headers in the queue, its payload read in place from the packet (which
 * stays put until the round's last flush).
 */
static void queue_segments(struct dpu_worker *w, struct dpu_gso *g, uint32_t si)
{
	const uint8_t *pay;
	size_t n;

	for (;;) {
		unsigned k = queue_slot(w, si);
		struct dpu_txq *q = &w->tx;

		n = dpu_gso_next(g, q->hdr[k] + DP_HDR, &pay);
		if (!n) {
			q->n--; /* none left: give the message back */
			return;
		}
		outer_header(q->hdr[k], &w->dp->cfg.local, &dpu_slot(w->dp, si)->in.peer, g->hl + n);
		q->iov[k][0] = (struct iovec){.iov_base = q->hdr[k], .iov_len = DP_HDR + g->hl};
		q->iov[k][1] = (struct iovec){.iov_base = (void *)pay, .iov_len = n};
		q->msg[k].msg_hdr.msg_iovlen = 2;
		q->len[k] = (uint32_t)(g->hl + n);
	}
}

/*
 * A packet no TUN intent takes whose destination is delivered here (a
 * released BUFFER, or one read during its flush): back to the kernel,
 * whose route (or the flush route, user.c) sends it on the link. Whether
 * it was.
 */
static bool deliver_back(struct dmm_dp *dp, int tun, const uint8_t *pkt, size_t len)
{
	struct dmm_addr dst;
	uint32_t si;

	memcpy(dst.b, pkt + 24, 16);
	si = dpu_lookup(dp, DMM_FM_DST, &dst, 1u << DMM_FM_DELIVER, NULL);
	if (si == NONE || !tun_write(tun, NULL, pkt, len))
		return false;
	dpu_count(dpu_slot(dp, si), len);
	return true;
}

/* A packet held by BUFFER, released (daemon thread): classify again, one at a time. */
static void classify_and_send_one(struct dmm_dp *dp, const uint8_t *pkt, size_t len)
{
	uint32_t si = dpu_classify(dp, pkt);
	struct sockaddr_in6 to = {.sin6_family = AF_INET6};
	struct slot *s;

	if (si == NONE) {
		if (!deliver_back(dp, dp->w[0].tun, pkt, len))
			dpu_drop(dp, len);
		return;
	}
	s = dpu_slot(dp, si);
	switch (s->in.action) {
	case DMM_FM_ENCAP:
		memcpy(dp->ctlbuf + DP_HDR, pkt, len);
		outer_header(dp->ctlbuf, &dp->cfg.local, &s->in.peer, len);
		memcpy(&to.sin6_addr, s->in.peer.b, 16);
		if (sendto(dp->w[0].raw, dp->ctlbuf, len + DP_HDR, 0, (struct sockaddr *)&to, sizeof(to)) ==
		    (ssize_t)(len + DP_HDR))
			dpu_count(s, len);
		else
			dpu_drop(dp, len);
		break;
	case DMM_FM_BUFFER:
		dpu_buf_hold(dp, s, pkt, len, NULL, 0, false);
		break;
	default:
		dpu_count(s, len);
		break;
	}
}

void dpu_buf_release(struct dmm_dp *dp, uint32_t i)
{
	uint32_t b = dpu_buf_take(dp, i);

	while (b != NONE) {
		uint32_t next = dp->pool[b].next;

		classify_and_send_one(dp, dp->pool[b].data, dp->pool[b].len);
		dpu_buf_put(dp, b);
		b = next;
	}
}

void dpu_buf_pass_first(struct dmm_dp *dp, uint32_t i)
{
	uint32_t b = dpu_buf_take_first(dp, i);

	while (b != NONE) {
		uint32_t next = dp->pool[b].next;

		if (!tun_write(dp->w[0].tun, NULL, dp->pool[b].data, dp->pool[b].len))
			dpu_drop(dp, dp->pool[b].len);
		dpu_buf_put(dp, b);
		b = next;
	}
}

/* A GSO packet for BUFFER or DROP: each segment held, or counted. */
static void gso_hold_or_count(struct dpu_worker *w, struct dpu_gso *g, struct slot *s)
{
	uint8_t hdr[DP_SEG_HDR];
	const uint8_t *pay;
	size_t n;

	while ((n = dpu_gso_next(g, hdr, &pay)) > 0) {
		if (s->in.action == DMM_FM_BUFFER)
			dpu_buf_hold(w->dp, s, hdr, g->hl, pay, n, false);
		else
			dpu_count(s, g->hl + n);
	}
}

/*
 * One packet read from the TUN, inner bytes at buf + DP_HDR, behind vh.
 * A partial checksum is finished here; a TCP GSO packet is cut into
 * segments here (user.h, "GSO from the TUN").
 */
static void tun_one(struct dpu_worker *w, uint8_t *buf, size_t n, const struct virtio_net_hdr *vh)
{
	uint8_t *p = buf + DP_HDR;
	struct dpu_gso g;
	uint32_t si;
	bool gso = (vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV6;

	if (!ipv6_ok(p, n) || (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE && !gso) ||
	    (gso && dpu_gso_init(&g, p, n, vh) < 0) ||
	    (!gso && (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	     dpu_csum_finish(p, n, vh->csum_start, vh->csum_offset) < 0) ||
	    (!gso && n > DP_TUN_MTU)) {
		dpu_drop(w->dp, n);
		return;
	}
	si = dpu_classify(w->dp, p);
	if (si == NONE) {
		/* During a BUFFER's flush its prefix may still reach the TUN: sent on behind the held packets. */
		if (!__atomic_load_n(&w->dp->nflush, __ATOMIC_RELAXED) || gso ||
		    !deliver_back(w->dp, w->tun, p, n))
			dpu_drop(w->dp, n);
		return;
	}
	if (gso && dpu_slot(w->dp, si)->in.action == DMM_FM_ENCAP)
		queue_segments(w, &g, si);
	else if (gso)
		gso_hold_or_count(w, &g, dpu_slot(w->dp, si));
	else if (dpu_slot(w->dp, si)->in.action == DMM_FM_ENCAP)
		queue_encap(w, buf, si, n);
	else if (dpu_slot(w->dp, si)->in.action == DMM_FM_BUFFER)
		dpu_buf_hold(w->dp, dpu_slot(w->dp, si), p, n, NULL, 0, false);
	else /* DROP */
		dpu_count(dpu_slot(w->dp, si), n);
}

int dpu_tun_round(struct dpu_worker *w)
{
	unsigned nread = 0;

	w->now = 0; /* read again at the round's first lookup of a next hop */

	for (; nread < DP_BATCH; nread++) {
		uint8_t *buf = w->tunbuf[nread];
		struct virtio_net_hdr vh;
		struct iovec iov[2] = {
			{.iov_base = &vh, .iov_len = sizeof(vh)},
			{.iov_base = buf + DP_HDR, .iov_len = DP_TUN_BUF - DP_HDR},
		};
		ssize_t n = readv(w->tun, iov, 2);

		if (n < 0)
			break; /* EAGAIN, or the device went */
		if (n < (ssize_t)sizeof(vh)) {
			dpu_drop(w->dp, 0);
			continue;
		}
		tun_one(w, buf, (size_t)n - sizeof(vh), &vh);
	}
	if (w->tx.n)
		flush(w);
	return (int)nread;
}

/* The DECAP intent for an inner packet p from peer: DST intents on its destination, then SRC on its source. */
static uint32_t decap_slot(struct dmm_dp *dp, const uint8_t *p, const struct dmm_addr *peer)
{
	const unsigned decap = 1u << DMM_FM_DECAP;
	struct dmm_addr src, dst;
	uint32_t si;

	memcpy(src.b, p + 8, 16);
	memcpy(dst.b, p + 24, 16);
	si = dpu_lookup(dp, DMM_FM_DST, &dst, decap, peer);
	return si != NONE ? si : dpu_lookup(dp, DMM_FM_SRC, &src, decap, peer);
}

/* n packets, bytes in all, of inner packet p decapsulated by slot si: counted, and on DELIVER of its destination. */
static void count_decap(struct dmm_dp *dp, uint32_t si, const uint8_t *p, uint64_t n, uint64_t bytes)
{
	struct dmm_addr dst;
	uint32_t d;

	dpu_count_n(dpu_slot(dp, si), n, bytes);
	if (dpu_slot(dp, si)->in.match != DMM_FM_DST)
		return;
	memcpy(dst.b, p + 24, 16);
	d = dpu_lookup(dp, DMM_FM_DST, &dst, 1u << DMM_FM_DELIVER, NULL);
	if (d != NONE)
		dpu_count_n(dpu_slot(dp, d), n, bytes);
}

/* The packets a peer's GSO packet becomes at the host: its segments (packets, bytes). */
static void count_gso(struct dmm_dp *dp, uint32_t si, const uint8_t *p, const struct virtio_net_hdr *vh,
		      size_t len)
{
	uint64_t seg, hl = vh->hdr_len;

	if (!vh->gso_size || len <= hl) {
		count_decap(dp, si, p, 1, len);
		return;
	}
	seg = (len - hl + vh->gso_size - 1) / vh->gso_size;
	count_decap(dp, si, p, seg, len + (seg - 1) * hl);
}

/*
 * One decapsulated packet p[0..len) from peer: accepted when a DECAP
 * intent names that peer and holds its inner destination (DST) or
 * source (SRC), then written to the TUN; else dropped.
 */
static void raw_one(struct dpu_worker *w, uint8_t *p, size_t len, const struct dmm_addr *peer)
{
	struct virtio_net_hdr vh = {0};
	uint32_t si = decap_slot(w->dp, p, peer);
	int how;

	if (si == NONE) {
		dpu_drop(w->dp, len);
		return;
	}
	how = dpu_l4_fixup(p, len, &vh);
	if (how != L4_GSO)
		memset(&vh, 0, sizeof(vh));
	if (how == L4_DROP || !tun_write(w->tun, how == L4_GSO ? &vh : NULL, p, len)) {
		dpu_drop(w->dp, len);
		return;
	}
	count_gso(w->dp, si, p, &vh, len);
}

/* Write the open merge to the TUN: one packet as it is, several as one GSO packet (one writev). */
static void gro_flush(struct dpu_worker *w)
{
	struct dpu_gro *g = &w->gro;
	struct virtio_net_hdr vh = {.gso_type = VIRTIO_NET_HDR_GSO_NONE};
	ssize_t want = (ssize_t)(sizeof(vh) + g->hl + g->total);

	if (g->n > 1) {
		dpu_gro_finish(g, &vh);
	} else {
		dpu_gro_lone(g, &vh);
		g->iov[0] = (struct iovec){.iov_base = NULL, .iov_len = 0};
	}
	if (g->n) {
		struct iovec iov[DPU_GRO_MAX + 2];

		iov[0] = (struct iovec){.iov_base = &vh, .iov_len = sizeof(vh)};
		memcpy(iov + 1, g->iov, (g->n + 1) * sizeof(*iov));
		if (writev(w->tun, iov, (int)g->n + 2) == want)
			count_decap(w->dp, g->si, g->first, g->n, g->bytes);
		else
			dpu_drop(w->dp, g->bytes);
	}
	g->n = 0;
}

/*
 * A decapsulated packet p[0..len) from peer for a DST BUFFER with a peer
 * (fm.h; RFC 5949 §4.1 at the NMAG): held here, marked first when it came
 * from the buffer's peer, rather than written to the TUN and routed back
 * by the kernel, which would lose the path it came by. With a link too,
 * the peer's packets are not held: they take the normal path, and the
 * TUN's flush route (user.c tun_route) puts them on the link. True when
 * it was taken (held, or dropped as the normal path would); false: for
 * the normal path.
 */
static bool hold_ordered(struct dpu_worker *w, uint8_t *p, size_t len, const struct dmm_addr *peer)
{
	const unsigned routed =
		1u << DMM_FM_ENCAP | 1u << DMM_FM_DELIVER | 1u << DMM_FM_BUFFER | 1u << DMM_FM_DROP;
	struct dmm_dp *dp = w->dp;
	struct virtio_net_hdr vh;
	struct dmm_addr dst;
	struct slot *b;
	uint32_t si, bi;

	if (!__atomic_load_n(&dp->nordered, __ATOMIC_RELAXED) || len > DP_TUN_MTU)
		return false;
	memcpy(dst.b, p + 24, 16);
	bi = dpu_lookup(dp, DMM_FM_DST, &dst, routed, NULL);
	if (bi == NONE || dpu_slot(dp, bi)->in.action != DMM_FM_BUFFER ||
	    dmm_addr_is_zero(&dpu_slot(dp, bi)->in.peer))
		return false;
	b = dpu_slot(dp, bi);
	/* The MN is on the BUFFER's link (fm.h DMM_FM_CAP_PASS): the peer's go on, through the TUN. */
	if (b->in.link && dmm_addr_eq(peer, &b->in.peer))
		return false;
	si = decap_slot(dp, p, peer);
	if (si == NONE || dpu_l4_fixup(p, len, &vh) == L4_DROP) {
		dpu_drop(dp, len);
		return true;
	}
	dpu_buf_hold(dp, b, p, len, NULL, 0, dmm_addr_eq(peer, &b->in.peer));
	count_decap(dp, si, p, 1, len);
	return true;
}

/*
 * A datagram of the batch: held at once for an ordered BUFFER, or joins
 * the open merge, or closes it and opens its own (TCP that can merge, with
 * a DECAP intent), or goes alone.
 */
static void raw_next(struct dpu_worker *w, uint8_t *p, size_t len, const struct dmm_addr *peer)
{
	struct dpu_gro *g = &w->gro;

	if (hold_ordered(w, p, len, peer))
		return;
	if (g->n && dpu_gro_add(g, p, len, peer))
		return;
	gro_flush(w);
	if (dpu_gro_start(g, p, len, peer)) {
		g->si = decap_slot(w->dp, p, peer);
		if (g->si != NONE)
			return;
		g->n = 0;
	}
	raw_one(w, p, len, peer);
}

int dpu_raw_round(struct dpu_worker *w)
{
	int n;

	for (int i = 0; i < DP_BATCH; i++) {
		memset(&w->rxmsg[i], 0, sizeof(w->rxmsg[i]));
		w->rxmsg[i].msg_hdr.msg_name = &w->rxaddr[i];
		w->rxmsg[i].msg_hdr.msg_namelen = sizeof(w->rxaddr[i]);
		w->rxmsg[i].msg_hdr.msg_iov = &w->rxiov[i];
		w->rxmsg[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(w->raw, w->rxmsg, DP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		uint8_t *p = w->rxbuf[i];
		size_t len = w->rxmsg[i].msg_len;
		struct dmm_addr peer;

		if ((w->rxmsg[i].msg_hdr.msg_flags & MSG_TRUNC) || !ipv6_ok(p, len)) {
			dpu_drop(w->dp, len);
			continue;
		}
		len = (size_t)((p[4] << 8) | p[5]) + DP_HDR;
		memcpy(peer.b, &w->rxaddr[i].sin6_addr, 16);
		raw_next(w, p, len, &peer);
	}
	gro_flush(w);
	return n;
}
