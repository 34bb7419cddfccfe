/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mobility Header sockets (ARCHITECTURE.md rule 2): raw IPv6 with Next
 * Header 135, or UDP port 5436 (RFC 5844 §4).
 *
 * On the raw socket the kernel would compute and verify the MH checksum
 * itself (IPV6_CHECKSUM 4 is the default for protocol 135) and silently
 * drop bad ones. dmmd turns that off and does both here with the core's
 * dmm_mh_checksum(), so a bad checksum is counted before it is dropped
 * (RFC 6275 §9.2).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dmm/bytes.h"
#include "dmm/mh.h"
#include "io.h"

int dmm_mhsock_open(struct dmm_mhsock *s, enum dmm_mh_transport t, const struct dmm_addr *local)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	int one = 1, off = -1;

	memset(s, 0, sizeof(*s));
	s->transport = t;
	s->local = *local;
	if (t == DMM_MH_RAW_IP6)
		s->fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, DMM_IPPROTO_MH);
	else
		s->fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s->fd < 0)
		return -errno;
	if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
		goto err;
	if (t == DMM_MH_RAW_IP6) {
		if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) < 0)
			goto err;
	} else {
		sa.sin6_port = htons(DMM_MH_UDP_PORT);
		setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	}
	/* Bind to the wildcard so both the node address and others (e.g. a UPA) receive. */
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto err;
	return 0;
err : {
	int e = -errno;

	close(s->fd);
	s->fd = -1;
	return e;
}
}

void dmm_mhsock_close(struct dmm_mhsock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* The slot of addr in the port table: its own, or where it would go. */
static unsigned port_slot(const struct dmm_mhsock *s, const struct dmm_addr *a)
{
	unsigned h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ a->b[i]) * 16777619u;
	for (unsigned i = 0, k = h % DMM_MHSOCK_PORTS; i < DMM_MHSOCK_PORTS;
	     i++, k = (k + 1) % DMM_MHSOCK_PORTS)
		if (!s->ports[k].port || dmm_addr_eq(&s->ports[k].addr, a))
			return k;
	return h % DMM_MHSOCK_PORTS; /* full: overwrite */
}

int dmm_mhsock_send(struct dmm_mhsock *s, const struct dmm_addr *dst, uint8_t *buf, size_t len)
{
	struct sockaddr_in6 to = {.sin6_family = AF_INET6};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cb;
	struct iovec iov = {buf, len};
	struct msghdr mh = {&to, sizeof(to), &iov, 1, cb.b, sizeof(cb.b), 0};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	struct in6_pktinfo pi;

	memset(&cb, 0, sizeof(cb));
	memcpy(&to.sin6_addr, dst->b, 16);
	if (s->transport == DMM_MH_UDP) {
		unsigned k = port_slot(s, dst);

		/* RFC 5844 §4: to the port the peer sent from, 5436 for a peer not heard yet. */
		to.sin6_port =
			htons(s->ports[k].port && dmm_addr_eq(&s->ports[k].addr, dst) ? s->ports[k].port
										      : DMM_MH_UDP_PORT);
		buf[4] = buf[5] = 0; /* RFC 5844 §4: the MH checksum is 0 over UDP */
	} else if (len >= 6) {
		dmm_put_u16(buf + 4, dmm_mh_checksum(buf, len, &s->local, dst));
	}
	/* Send from the configured node address (RFC 5213: the Proxy-CoA / LMAA). */
	memset(&pi, 0, sizeof(pi));
	memcpy(&pi.ipi6_addr, s->local.b, 16);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(s->fd, &mh, 0) < 0) {
		s->tx_errors++;
		return -errno;
	}
	return 0;
}

/*
 * What dmm_mhsock_recv() does with a datagram of n bytes received from
 * `from` into buf (mh: its msghdr after the call): the peer's port, the
 * destination from IPV6_PKTINFO, truncation and checksum. Returns n, or 0.
 */
static int rx_finish(struct dmm_mhsock *s, const uint8_t *buf, size_t n, const struct sockaddr_in6 *from,
		     struct msghdr *mh, struct dmm_addr *src, struct dmm_addr *dst)
{
	memcpy(src->b, &from->sin6_addr, 16);
	*dst = s->local;
	if (s->transport == DMM_MH_UDP) {
		unsigned k = port_slot(s, src);

		s->ports[k].addr = *src;
		s->ports[k].port = ntohs(from->sin6_port);
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(dst->b, &pi.ipi6_addr, 16);
		}
	}
	if (mh->msg_flags & MSG_TRUNC) {
		s->rx_errors++;
		return 0;
	}
	/* RFC 6275 §9.2: a bad checksum is dropped silently (but counted here). */
	if (s->transport == DMM_MH_RAW_IP6 && n >= 8) {
		size_t total = ((size_t)buf[1] + 1) * 8;

		if (total <= n && dmm_mh_checksum(buf, total, src, dst) != dmm_get_u16(buf + 4)) {
			s->rx_checksum_bad++;
			return 0;
		}
	}
	return (int)n;
}

int dmm_mhsock_recv(struct dmm_mhsock *s, uint8_t *buf, size_t cap, struct dmm_addr *src,
		    struct dmm_addr *dst)
{
	struct sockaddr_in6 from;
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + 64];
	} cb;
	struct iovec iov = {buf, cap};
	struct msghdr mh = {&from, sizeof(from), &iov, 1, cb.b, sizeof(cb.b), 0};
	ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);

	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			s->rx_errors++;
		return -errno;
	}
	return rx_finish(s, buf, (size_t)n, &from, &mh, src, dst);
}

int dmm_mhsock_recv_burst(struct dmm_mhsock *s, struct dmm_mh_rx *m, unsigned n)
{
	struct sockaddr_in6 from[DMM_MHSOCK_BURST];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + 64];
	} cb[DMM_MHSOCK_BURST];
	struct iovec iov[DMM_MHSOCK_BURST];
	struct mmsghdr mm[DMM_MHSOCK_BURST];
	int got;

	if (n > DMM_MHSOCK_BURST)
		n = DMM_MHSOCK_BURST;
	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){m[i].buf, m[i].cap};
		mm[i].msg_hdr =
			(struct msghdr){&from[i], sizeof(from[i]), &iov[i], 1, cb[i].b, sizeof(cb[i].b), 0};
		mm[i].msg_len = 0;
	}
	got = recvmmsg(s->fd, mm, n, MSG_DONTWAIT, NULL);
	if (got < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			s->rx_errors++;
		return -errno;
	}
	for (int i = 0; i < got; i++)
		m[i].len =
			rx_finish(s, m[i].buf, mm[i].msg_len, &from[i], &mm[i].msg_hdr, &m[i].src, &m[i].dst);
	return got;
}
