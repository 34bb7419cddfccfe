/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TUN buffer of the kernel and bpf data planes (dataplane/hold.h),
 * on one end of a SOCK_SEQPACKET socket pair instead of a TUN device:
 * the test writes what the kernel would route to the device into the
 * other end and reads back what the buffer writes back for the kernel
 * to forward. Held in order, a BUFFER's peer's packets first (RFC 5949
 * §4.1: they took the older path), passed through once released, the
 * bounds of packets and of age, packets of a prefix no longer held
 * passed, the kernel's own (link-local, multicast) dropped.
 */
#include <errno.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../dataplane/hold.h"
#include "check.h"

#define PLEN 48 /* an IPv6 header and 8 octets: the sequence number */

static const uint8_t PFX[16] = {0x20, 0x01, 0x0d, 0xb8, 0x01};			  /* 2001:db8:100::/64 */
static const uint8_t PEER_A[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, [15] = 0x0a}; /* 2001:db8:c::a */
static const uint8_t PEER_B[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, [15] = 0x0b};

static int dev; /* the kernel's end of the pair */

/* An IPv6 packet to dst carrying seq. */
static void put_pkt(uint8_t *p, const uint8_t dst[16], uint32_t seq)
{
	memset(p, 0, PLEN);
	p[0] = 0x60;
	p[5] = PLEN - 40;
	p[6] = 17; /* UDP, as far as the buffer cares */
	p[7] = 64;
	p[8] = 0x20, p[9] = 0x01, p[23] = 1; /* source 2001::1 */
	memcpy(p + 24, dst, 16);
	p[40] = (uint8_t)(seq >> 24), p[41] = (uint8_t)(seq >> 16), p[42] = (uint8_t)(seq >> 8),
	p[43] = (uint8_t)seq;
}

/* seq to the MN's address (host ::10 of PFX), plain or inside IPv6 from outer (RFC 2473). */
static void send_seq(uint32_t seq, const uint8_t *outer)
{
	uint8_t dst[16], b[40 + PLEN];

	memcpy(dst, PFX, 16);
	dst[15] = 0x10;
	if (!outer) {
		put_pkt(b, dst, seq);
		CHECK_EQ(write(dev, b, PLEN), PLEN);
		return;
	}
	put_pkt(b + 40, dst, seq);
	memset(b, 0, 40);
	b[0] = 0x60, b[5] = PLEN, b[6] = 41, b[7] = 64;
	memcpy(b + 8, outer, 16);
	memcpy(b + 24, PFX, 16); /* the tunnel address: whatever, the buffer reads the inner one */
	CHECK_EQ(write(dev, b, sizeof(b)), (ssize_t)sizeof(b));
}

static void send_range(uint32_t from, uint32_t to, const uint8_t *outer)
{
	for (uint32_t s = from; s <= to; s++)
		send_seq(s, outer);
}

/*
 * What the buffer wrote back, in order, as sequence numbers (at most max);
 * a packet that is not a plain one of PLEN octets counts as 0.
 */
static unsigned recv_seqs(uint32_t *out, unsigned max)
{
	uint8_t b[256];
	unsigned n = 0;
	ssize_t len;

	while (n < max && (len = recv(dev, b, sizeof(b), MSG_DONTWAIT)) > 0)
		out[n++] = len == PLEN && b[6] == 17 ? (uint32_t)b[40] << 24 | (uint32_t)b[41] << 16 |
							       (uint32_t)b[42] << 8 | b[43]
						     : 0;
	return n;
}

static struct dmm_hold *open_pair(uint32_t packets, uint32_t ms)
{
	struct dmm_dp_cfg cfg = {.buf_packets = packets, .buf_time_ms = ms};
	char err[128];
	int sv[2];
	struct dmm_hold *h;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	dev = sv[1];
	h = dmm_hold_open_fd(&cfg, sv[0], err, sizeof(err));
	CHECK(h != NULL);
	return h;
}

static struct dmm_prefix prefix(void)
{
	struct dmm_prefix p = {.len = 64};

	memcpy(p.addr.b, PFX, 16);
	return p;
}

static struct dmm_dp_buf_stats stats(const struct dmm_hold *h)
{
	struct dmm_dp_buf_stats st;

	dmm_hold_stats(h, &st);
	return st;
}

/* A BUFFER naming peer A: A's packets go first, each in its order; B's and the plain ones after. */
static void test_peer_first(void)
{
	struct dmm_hold *h = open_pair(0, 0);
	struct dmm_prefix p = prefix();
	struct dmm_addr a;
	uint32_t got[64],
		want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 51, 52, 53, 54, 55, 61, 62, 56, 57, 58, 59, 60};
	unsigned n;

	memcpy(a.b, PEER_A, 16);
	CHECK_EQ(dmm_hold_start(h, 7, &p, &a), 0);
	send_range(51, 55, NULL);
	send_range(1, 5, PEER_A);
	send_range(61, 62, PEER_B); /* tunnelled too, but from another peer: no older path */
	send_range(56, 60, NULL);
	send_range(6, 10, PEER_A); /* the last one held is the peer's */
	CHECK_EQ(dmm_hold_poll(h), 22);
	CHECK_EQ(recv_seqs(got, 64), 0u); /* all held */
	CHECK_EQ(stats(h).held_packets, 22u);
	dmm_hold_flush(h, 7);
	n = recv_seqs(got, 64);
	CHECK_EQ(n, 22u);
	CHECK_MEM(got, want, sizeof(want));
	CHECK_EQ(stats(h).ahead, 10u); /* every one of A's overtook an older packet */
	CHECK_EQ(stats(h).held_packets, 0u);
	CHECK_EQ(stats(h).held_bytes, 0u);
	/* Released: what comes is passed at once, a tunnelled one as its inner packet. */
	send_seq(70, NULL);
	send_seq(71, PEER_A);
	CHECK_EQ(dmm_hold_poll(h), 2);
	n = recv_seqs(got, 64);
	CHECK(n == 2 && got[0] == 70 && got[1] == 71);
	dmm_hold_end(h, 7);
	CHECK_EQ(stats(h).released, 24u);
	dmm_hold_close(h);
	close(dev);
}

/* Without a peer: arrival order, tunnelled packets by their inner one. */
static void test_arrival_order(void)
{
	struct dmm_hold *h = open_pair(0, 0);
	struct dmm_prefix p = prefix();
	uint32_t got[16], want[] = {1, 2, 3, 4, 5, 6};

	CHECK_EQ(dmm_hold_start(h, 3, &p, NULL), 0);
	send_range(1, 2, NULL);
	send_range(3, 4, PEER_A);
	send_range(5, 6, NULL);
	dmm_hold_poll(h);
	dmm_hold_end(h, 3);
	CHECK_EQ(recv_seqs(got, 16), 6u);
	CHECK_MEM(got, want, sizeof(want));
	CHECK_EQ(stats(h).ahead, 0u);
	dmm_hold_close(h);
	close(dev);
}

/* A prefix no longer held: its late packets pass; the kernel's own never do. */
static void test_late_and_own(void)
{
	struct dmm_hold *h = open_pair(0, 0);
	uint8_t b[PLEN], ll[16] = {0xfe, 0x80, [15] = 1}, mc[16] = {0xff, 0x02, [15] = 1};
	uint32_t got[8];

	send_seq(90, NULL); /* no entry at all: routed here under forwarding just replaced */
	put_pkt(b, ll, 91);
	CHECK_EQ(write(dev, b, PLEN), PLEN);
	put_pkt(b, mc, 92);
	CHECK_EQ(write(dev, b, PLEN), PLEN);
	CHECK_EQ(write(dev, b, 20), 20); /* not even a header */
	CHECK_EQ(dmm_hold_poll(h), 4);
	CHECK(recv_seqs(got, 8) == 1 && got[0] == 90);
	CHECK_EQ(stats(h).released, 1u);
	CHECK_EQ(stats(h).buffered, 0u);
	dmm_hold_close(h);
	close(dev);
}

/* Over the packet bound the oldest go, counted; the rest keep their order. */
static void test_bound(void)
{
	struct dmm_hold *h = open_pair(5, 0);
	struct dmm_prefix p = prefix();
	struct dmm_addr a;
	uint32_t got[16], want[] = {6, 4, 5, 7, 8};

	memcpy(a.b, PEER_A, 16);
	CHECK_EQ(dmm_hold_start(h, 1, &p, &a), 0);
	send_range(1, 5, NULL);
	send_seq(6, PEER_A);
	send_range(7, 8, NULL);
	dmm_hold_poll(h);
	CHECK_EQ(stats(h).held_packets, 5u);
	CHECK_EQ(stats(h).held_peak, 5u);
	CHECK_EQ(stats(h).dropped_full, 3u);
	dmm_hold_end(h, 1);
	CHECK_EQ(recv_seqs(got, 16), 5u);
	CHECK_MEM(got, want, sizeof(want));
	dmm_hold_close(h);
	close(dev);
}

/* Held past the time bound: dropped at the release, counted, not written back. */
static void test_age(void)
{
	struct dmm_hold *h = open_pair(0, 1);
	struct dmm_prefix p = prefix();
	struct timespec ts = {0, 5000000};
	uint32_t got[8];

	CHECK_EQ(dmm_hold_start(h, 1, &p, NULL), 0);
	send_range(1, 3, NULL);
	dmm_hold_poll(h);
	nanosleep(&ts, NULL);
	dmm_hold_flush(h, 1);
	CHECK_EQ(recv_seqs(got, 8), 0u);
	CHECK_EQ(stats(h).dropped_age, 3u);
	CHECK_EQ(stats(h).held_packets, 0u);
	dmm_hold_end(h, 1);
	dmm_hold_close(h);
	close(dev);
}

/* 2001:db8:1:<i>::/64, and its host ::10. */
static struct dmm_prefix mn_prefix(uint32_t i, unsigned len)
{
	struct dmm_prefix p = {.len = (uint8_t)len};

	memcpy(p.addr.b, PFX, 4);
	p.addr.b[5] = 1, p.addr.b[6] = (uint8_t)(i >> 8), p.addr.b[7] = (uint8_t)i;
	return p;
}

/* One packet to dst; whether the pair took it. */
static bool send_to(const struct dmm_addr *dst)
{
	uint8_t b[PLEN];

	put_pkt(b, dst->b, 1);
	return write(dev, b, PLEN) == PLEN;
}

static unsigned dsts_of(struct dmm_hold *h, uint32_t id)
{
	uint8_t out[4][16];

	return dmm_hold_dsts(h, id, out, 4);
}

/*
 * Many MNs detached at once (the entries grow past several doublings of
 * their index): every packet finds its own entry, also after half of them
 * went; a /56 and a /128 among the /64s: the longest prefix wins.
 */
static void test_many(void)
{
	struct dmm_hold *h = open_pair(4, 0);
	struct dmm_prefix p56 = mn_prefix(0x500, 56), p128 = mn_prefix(7, 128);
	uint32_t n = 2000, bad = 0, wfail = 0, passed = 0, got[32];

	p128.addr.b[15] = 0x10;
	for (uint32_t i = 0; i < n; i++) {
		struct dmm_prefix p = mn_prefix(i, 64);

		bad += dmm_hold_start(h, 1000 + i, &p, NULL) != 0;
	}
	CHECK_EQ(bad, 0u);
	CHECK_EQ(dmm_hold_start(h, 5000, &p56, NULL), 0);
	CHECK_EQ(dmm_hold_start(h, 5001, &p128, NULL), 0);
	for (uint32_t i = 0; i < n; i += 2)
		dmm_hold_end(h, 1000 + i);
	for (uint32_t i = 0; i < n; i++) {
		struct dmm_addr a = mn_prefix(i, 64).addr;

		a.b[15] = 0x10;
		wfail += !send_to(&a);
		if (i % 16 == 15) { /* the socket pair's queues are short */
			dmm_hold_poll(h);
			passed += recv_seqs(got, 32);
		}
	}
	dmm_hold_poll(h);
	passed += recv_seqs(got, 32);
	CHECK_EQ(wfail, 0u);
	for (uint32_t i = 1; i < n; i += 2)
		bad += dsts_of(h, 1000 + i) != (i == 7 ? 0u : 1u);
	CHECK_EQ(bad, 0u);
	CHECK_EQ(dsts_of(h, 5001), 1u); /* the /128 inside /64 number 7 */
	CHECK_EQ(dsts_of(h, 5000), 4u); /* the even ones under the /56 (dsts_of stops at 4) */
	/* Held: the odd ones but number 7, the /128's, the /56's within its bound of 4. */
	CHECK_EQ(stats(h).held_packets, 999u + 1u + 4u);
	CHECK_EQ(stats(h).dropped_full, 128u - 4u);
	/* The even ones outside the /56: no entry, passed. */
	CHECK_EQ(passed, 1000u - 128u);
	CHECK_EQ(stats(h).released, 1000u - 128u);
	dmm_hold_close(h);
	close(dev);
}

int main(void)
{
	test_peer_first();
	test_arrival_order();
	test_late_and_own();
	test_bound();
	test_age();
	test_many();
	return check_report("test_hold");
}
