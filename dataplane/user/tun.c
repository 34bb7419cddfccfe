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

int dpu_tun_open(struct dmm_dp *dp, char *err, size_t errlen)
{
	struct ifreq ifr = {0};
	int hsz = (int)sizeof(struct virtio_net_hdr);

	dp->tun = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (dp->tun < 0) {
		dpu_seterr(err, errlen, "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, dp->cfg.tun_name, sizeof(ifr.ifr_name) - 1);
	if (ioctl(dp->tun, TUNSETIFF, &ifr) < 0) {
		dpu_seterr(err, errlen, "TUNSETIFF %s: %s", dp->cfg.tun_name, strerror(errno));
		return -1;
	}
	if (ioctl(dp->tun, TUNSETVNETHDRSZ, &hsz) < 0) {
		dpu_seterr(err, errlen, "TUNSETVNETHDRSZ %s: %s", dp->cfg.tun_name, strerror(errno));
		return -1;
	}
	return 0;
}

int dpu_raw_open(struct dmm_dp *dp, char *err, size_t errlen)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	int one = 1, zero = 0, sz = 4 << 20;

	dp->raw = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPV6);
	if (dp->raw < 0) {
		dpu_seterr(err, errlen, "raw socket (protocol 41): %s", strerror(errno));
		return -1;
	}
	/* Tolerate a local address still in DAD; we write the outer header. */
	setsockopt(dp->raw, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	setsockopt(dp->raw, IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, &zero, sizeof(zero));
	memcpy(&sa.sin6_addr, dp->cfg.local.b, 16);
	if (setsockopt(dp->raw, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one)) < 0 ||
	    bind(dp->raw, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		dpu_seterr(err, errlen, "raw socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(dp->raw, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(dp->raw, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(dp->raw, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(dp->raw, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return 0;
}

int dpu_batch_init(struct dmm_dp *dp)
{
	dp->txbuf = malloc(DP_BATCH * sizeof(*dp->txbuf));
	dp->rxbuf = malloc(DP_BATCH * sizeof(*dp->rxbuf));
	if (!dp->txbuf || !dp->rxbuf)
		return -ENOMEM;
	for (int i = 0; i < DP_BATCH; i++) {
		dp->rxiov[i].iov_base = dp->rxbuf[i];
		dp->rxiov[i].iov_len = DP_RX_BUF;
	}
	return 0;
}

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

static void send_batch(struct dmm_dp *dp, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		int r = sendmmsg(dp->raw, dp->txmsg + done, n - done, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* This one failed (unreachable peer, full queue): count it, go on. */
			dpu_drop(dp, dp->txlen[done]);
			done++;
			continue;
		}
		for (int k = 0; k < r; k++)
			dpu_count(dpu_slot(dp, dp->txslot[done + (unsigned)k]),
				  dp->txlen[done + (unsigned)k]);
		done += (unsigned)r;
	}
}

/* Queue one ENCAP packet whose inner bytes sit at buf + DP_HDR. */
static void queue_encap(struct dmm_dp *dp, unsigned k, uint32_t si, size_t len)
{
	uint8_t *buf = dp->txbuf[k];
	struct slot *s = dpu_slot(dp, si);

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
	uint32_t si = dpu_classify(dp, pkt);
	struct dmm_addr dst;

	if (si == NONE) {
		/* Destination now delivered here: the kernel's route takes it. */
		memcpy(dst.b, pkt + 24, 16);
		si = dpu_lookup(dp, DMM_FM_DST, &dst, deliver, NULL);
		if (si != NONE && tun_write(dp, NULL, pkt, len))
			dpu_count(dpu_slot(dp, si), len);
		else
			dpu_drop(dp, len);
		return;
	}
	switch (dpu_slot(dp, si)->in.action) {
	case DMM_FM_ENCAP:
		memcpy(dp->txbuf[0] + DP_HDR, pkt, len);
		queue_encap(dp, 0, si, len);
		send_batch(dp, 1);
		break;
	case DMM_FM_BUFFER:
		dpu_buf_hold(dp, dpu_slot(dp, si), pkt, len);
		break;
	default:
		dpu_count(dpu_slot(dp, si), len);
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

int dpu_tun_round(struct dmm_dp *dp)
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
			dpu_drop(dp, n > (ssize_t)sizeof(vh) ? (size_t)n - sizeof(vh) : 0);
			continue;
		}
		n -= (ssize_t)sizeof(vh);
		if (!ipv6_ok(buf + DP_HDR, (size_t)n)) {
			dpu_drop(dp, (size_t)n);
			continue;
		}
		si = dpu_classify(dp, buf + DP_HDR);
		if (si == NONE) {
			dpu_drop(dp, (size_t)n);
			continue;
		}
		switch (dpu_slot(dp, si)->in.action) {
		case DMM_FM_ENCAP:
			queue_encap(dp, nq, si, (size_t)n);
			nq++;
			break;
		case DMM_FM_BUFFER:
			dpu_buf_hold(dp, dpu_slot(dp, si), buf + DP_HDR, (size_t)n);
			break;
		default: /* DROP */
			dpu_count(dpu_slot(dp, si), (size_t)n);
			break;
		}
	}
	if (nq)
		send_batch(dp, nq);
	return (int)nread;
}

/*
 * One decapsulated packet p[0..len) from peer: accepted when a DECAP
 * intent names that peer and holds its inner destination (DST) or
 * source (SRC), then written to the TUN; else dropped.
 */
static void raw_one(struct dmm_dp *dp, uint8_t *p, size_t len, const struct dmm_addr *peer)
{
	const unsigned decap = 1u << DMM_FM_DECAP, deliver = 1u << DMM_FM_DELIVER;
	struct dmm_addr src, dst;
	struct virtio_net_hdr vh;
	uint32_t si, d;
	int how;

	memcpy(src.b, p + 8, 16);
	memcpy(dst.b, p + 24, 16);
	si = dpu_lookup(dp, DMM_FM_DST, &dst, decap, peer);
	if (si == NONE)
		si = dpu_lookup(dp, DMM_FM_SRC, &src, decap, peer);
	if (si == NONE) {
		dpu_drop(dp, len);
		return;
	}
	how = dpu_l4_fixup(p, len, &vh);
	if (how == L4_DROP || !tun_write(dp, how == L4_GSO ? &vh : NULL, p, len)) {
		dpu_drop(dp, len);
		return;
	}
	dpu_count(dpu_slot(dp, si), len);
	if (dpu_slot(dp, si)->in.match == DMM_FM_DST) {
		d = dpu_lookup(dp, DMM_FM_DST, &dst, deliver, NULL);
		if (d != NONE)
			dpu_count(dpu_slot(dp, d), len);
	}
}

int dpu_raw_round(struct dmm_dp *dp)
{
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
		struct dmm_addr peer;

		if ((dp->rxmsg[i].msg_hdr.msg_flags & MSG_TRUNC) || !ipv6_ok(p, len)) {
			dpu_drop(dp, len);
			continue;
		}
		len = (size_t)((p[4] << 8) | p[5]) + DP_HDR;
		memcpy(peer.b, &dp->rxaddr[i].sin6_addr, 16);
		raw_one(dp, p, len, &peer);
	}
	return n;
}
