/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user data plane's offloads (dataplane/user/offload.c) without a
 * TUN device:
 *  - dpu_csum equals the core's RFC 1071 sum (dmm_csum_add) for every
 *    length and starting sum;
 *  - a partial UDP checksum is finished as a whole computation gives it;
 *  - a TCP GSO packet from the TUN is cut into segments of the MSS whose
 *    headers are those of the kernel's TCP segmentation (lengths, sequence
 *    numbers, CWR first only, PSH and FIN last only) and whose checksums
 *    verify, and the payloads concatenate to the original;
 *  - decapsulated TCP segments in sequence merge into one GSO packet, and
 *    a segment out of sequence, with a bad checksum or another flag does
 *    not join; UDP datagrams of one size merge, a larger one does not;
 *  - segments whose checksum a peer's kernel left partial (the
 *    pseudo-header sum in the field) merge too, and one that merges with
 *    nothing is written with NEEDS_CSUM at its checksum.
 */
#include <stdlib.h>

#include "../../dataplane/user/user.h"
#include "check.h"
#include "dmm/bytes.h"
#include "dmm/csum.h"
#include "helpers.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static const struct dmm_addr src = {{0x20, 0x01, 0x0d, 0xb8, 0, 0xaa, [15] = 1}};
static const struct dmm_addr dst = {{0x20, 0x01, 0x0d, 0xb8, 0, 0x02, [15] = 2}};

static void test_csum(void)
{
	struct check_loop l = CHECK_LOOP_INIT("dpu_csum equals dmm_csum_add");
	uint8_t buf[300];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)xorshift64s(&rng);
	for (size_t len = 0; len <= sizeof(buf); len++) {
		uint32_t sum = (uint32_t)(xorshift64s(&rng) % 0x30000);

		CHECK_LOOP(l, dpu_csum(sum, buf, len) == dmm_csum_add(sum, buf, len));
	}
	CHECK_LOOP_END(l);
}

/* An IPv6 header src -> dst with next header nh and payload length plen at p. */
static void ip6(uint8_t *p, uint8_t nh, size_t plen)
{
	memset(p, 0, DP_HDR);
	p[0] = 0x60;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	p[6] = nh;
	p[7] = 64;
	memcpy(p + 8, src.b, 16);
	memcpy(p + 24, dst.b, 16);
}

/* Whether the upper-layer checksum of the IPv6 packet p verifies (RFC 8200 §8.1). */
static bool l4_ok(const uint8_t *p)
{
	size_t plen = (size_t)(p[4] << 8 | p[5]);
	uint32_t sum = dmm_csum_add(0, p + 8, 32) + (uint32_t)plen + p[6];

	return dmm_csum_fold(dmm_csum_add(sum, p + DP_HDR, plen)) == 0xffff;
}

static void test_udp_finish(void)
{
	uint8_t p[DP_HDR + 8 + 77];
	uint16_t want;

	ip6(p, IPPROTO_UDP, sizeof(p) - DP_HDR);
	for (size_t i = DP_HDR; i < sizeof(p); i++)
		p[i] = (uint8_t)xorshift64s(&rng);
	p[DP_HDR + 4] = 0;
	p[DP_HDR + 5] = 8 + 77;
	want = dmm_csum_ipv6(p + DP_HDR, sizeof(p) - DP_HDR, &src, &dst, IPPROTO_UDP, 6);
	/* What a sender with checksum offload leaves: the pseudo-header sum. */
	p[DP_HDR + 6] = p[DP_HDR + 7] = 0;
	{
		uint16_t ps = dmm_csum_fold(dmm_csum_add(0, p + 8, 32) + (uint32_t)(sizeof(p) - DP_HDR) +
					    IPPROTO_UDP);

		p[DP_HDR + 6] = (uint8_t)(ps >> 8);
		p[DP_HDR + 7] = (uint8_t)ps;
	}
	CHECK_EQ(dpu_csum_finish(p, sizeof(p), DP_HDR, 6), 0);
	CHECK_EQ(p[DP_HDR + 6] << 8 | p[DP_HDR + 7], want ? want : 0xffff);
	CHECK(l4_ok(p));
	CHECK_EQ(dpu_csum_finish(p, sizeof(p), sizeof(p) - 1, 6), -1);
}

/* A TCP packet at p: header of 32 bytes (timestamps), seq, flags, payload n bytes of pattern from off. */
static size_t tcp(uint8_t *p, uint32_t seq, uint8_t flags, size_t n, size_t off)
{
	uint8_t *t = p + DP_HDR;

	ip6(p, IPPROTO_TCP, 32 + n);
	memset(t, 0, 32);
	t[0] = 0x30, t[1] = 0x39, t[2] = 0x00, t[3] = 0x50;
	dmm_put_u32(t + 4, seq);
	dmm_put_u32(t + 8, 777);
	t[12] = 8 << 4;
	t[13] = flags;
	t[14] = 0xff;
	t[20] = 1, t[21] = 1, t[22] = 8, t[23] = 10; /* NOP NOP timestamps */
	for (size_t i = 0; i < n; i++)
		t[32 + i] = (uint8_t)((off + i) * 7);
	{
		uint16_t c = dmm_csum_ipv6(t, 32 + n, &src, &dst, IPPROTO_TCP, 16);

		t[16] = (uint8_t)(c >> 8);
		t[17] = (uint8_t)c;
	}
	return DP_HDR + 32 + n;
}

static void test_gso_segments(void)
{
	static uint8_t p[DP_HDR + 32 + 5000], seg[DP_SEG_HDR + 1388], cat[5000];
	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .gso_type = VIRTIO_NET_HDR_GSO_TCPV6,
				    .gso_size = 1388, /* a 1460-byte TUN MTU with timestamps */
				    .csum_start = DP_HDR,
				    .csum_offset = 16};
	size_t len = tcp(p, 1000, 0x80 | 0x10 | 0x08 | 0x01, 5000, 0), n, got = 0;
	const size_t want[] = {1388, 1388, 1388, 836};
	struct dpu_gso g;
	const uint8_t *pay;
	unsigned k = 0;

	CHECK_EQ(dpu_gso_init(&g, p, len, &vh), 0);
	CHECK_EQ(g.nseg, 4);
	while ((n = dpu_gso_next(&g, seg, &pay)) > 0 && k < 4) {
		uint8_t *t = seg + DP_HDR;

		CHECK_EQ(n, want[k]);
		CHECK_EQ(seg[4] << 8 | seg[5], 32 + n);
		CHECK_EQ(dmm_get_u32(t + 4), 1000 + 1388 * k);
		CHECK_EQ(!!(t[13] & 0x80), k == 0);		   /* CWR */
		CHECK_EQ(!!(t[13] & 0x09), k == 3);		   /* PSH, FIN */
		CHECK_EQ(t[13] & 0x10, 0x10);			   /* ACK */
		CHECK_MEM(seg + DP_HDR + 20, p + DP_HDR + 20, 12); /* options kept */
		memcpy(seg + DP_HDR + 32, pay, n);
		CHECK(l4_ok(seg));
		memcpy(cat + got, pay, n);
		got += n;
		k++;
	}
	CHECK_EQ(k, 4);
	CHECK_EQ(got, 5000);
	CHECK_MEM(cat, p + DP_HDR + 32, 5000);
	vh.csum_start = DP_HDR + 2; /* not at the TCP header: refused */
	CHECK_EQ(dpu_gso_init(&g, p, len, &vh), -1);
	vh.csum_start = DP_HDR;
	vh.gso_size = 1389; /* segments over the TUN MTU: refused */
	CHECK_EQ(dpu_gso_init(&g, p, len, &vh), -1);
}

static void test_gro_tcp(void)
{
	static uint8_t a[4][DP_HDR + 32 + 1000], merged[DP_HDR + 32 + 3000];
	static struct dpu_gro g;
	struct virtio_net_hdr vh;
	const struct dmm_addr peer = {{0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1}};
	size_t len[4], off = DP_HDR + 32;

	len[0] = tcp(a[0], 5000, 0x10, 1000, 0);
	len[1] = tcp(a[1], 6000, 0x10, 1000, 1000);
	len[2] = tcp(a[2], 7000, 0x18, 1000, 2000);
	len[3] = tcp(a[3], 8000, 0x10, 1000, 3000);
	CHECK(dpu_gro_start(&g, a[0], len[0], &peer));
	CHECK(dpu_gro_add(&g, a[1], len[1], &peer));
	CHECK(!dpu_gro_add(&g, a[3], len[3], &peer)); /* out of sequence */
	CHECK(dpu_gro_add(&g, a[2], len[2], &peer));  /* PSH: the last */
	CHECK(!dpu_gro_add(&g, a[3], len[3], &peer));
	CHECK_EQ(g.n, 3);
	dpu_gro_finish(&g, &vh);
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	CHECK_EQ(vh.gso_size, 1000);
	CHECK_EQ(vh.hdr_len, off);
	CHECK_EQ(vh.csum_start, DP_HDR);
	CHECK_EQ(vh.csum_offset, 16);
	/* The merged packet, its checksum finished as the kernel would: valid, PSH kept, the payloads in order. */
	memcpy(merged, g.iov[0].iov_base, off);
	for (unsigned k = 1; k <= g.n; k++)
		memcpy(merged + off + (k - 1) * 1000, g.iov[k].iov_base, g.iov[k].iov_len);
	CHECK_EQ(merged[4] << 8 | merged[5], 32 + 3000);
	CHECK(merged[DP_HDR + 13] & 0x08);
	CHECK_EQ(dpu_csum_finish(merged, sizeof(merged), DP_HDR, 16), 0);
	CHECK(l4_ok(merged));
	for (size_t i = 0; i < 3000; i++)
		if (merged[off + i] != (uint8_t)(i * 7))
			CHECK(!"merged payload out of order");
	/* A bad checksum, or a SYN, opens nothing. */
	a[3][off] ^= 1;
	CHECK(!dpu_gro_start(&g, a[3], len[3], &peer));
	len[3] = tcp(a[3], 8000, 0x12, 1000, 3000);
	CHECK(!dpu_gro_start(&g, a[3], len[3], &peer));
}

/* A UDP datagram of n payload bytes at p, checksum complete. */
static size_t udp(uint8_t *p, size_t n)
{
	uint8_t *u = p + DP_HDR;
	uint16_t c;

	ip6(p, IPPROTO_UDP, 8 + n);
	u[0] = 0x9c, u[1] = 0x40, u[2] = 0x23, u[3] = 0x28;
	u[4] = (uint8_t)((8 + n) >> 8);
	u[5] = (uint8_t)(8 + n);
	u[6] = u[7] = 0;
	for (size_t i = 0; i < n; i++)
		u[8 + i] = (uint8_t)xorshift64s(&rng);
	c = dmm_csum_ipv6(u, 8 + n, &src, &dst, IPPROTO_UDP, 6);
	u[6] = (uint8_t)(c >> 8);
	u[7] = (uint8_t)c;
	return DP_HDR + 8 + n;
}

static void test_gro_udp(void)
{
	static uint8_t a[4][DP_HDR + 8 + 100];
	static struct dpu_gro g;
	struct virtio_net_hdr vh;
	const struct dmm_addr peer = {{0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1}};
	size_t l0 = udp(a[0], 64), l1 = udp(a[1], 64), l2 = udp(a[2], 100), l3 = udp(a[3], 30);

	CHECK(dpu_gro_start(&g, a[0], l0, &peer));
	CHECK(dpu_gro_add(&g, a[1], l1, &peer));
	CHECK(!dpu_gro_add(&g, a[2], l2, &peer)); /* larger than the first */
	CHECK(dpu_gro_add(&g, a[3], l3, &peer));  /* shorter: the last */
	CHECK(!dpu_gro_add(&g, a[1], l1, &peer));
	dpu_gro_finish(&g, &vh);
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
	CHECK_EQ(vh.gso_size, 64);
	CHECK_EQ(vh.csum_offset, 6);
	CHECK_EQ(g.total, 64 + 64 + 30);
	CHECK_EQ(g.hdr[DP_HDR + 4] << 8 | g.hdr[DP_HDR + 5], 8 + 158);
}

/* Leave the checksum of TCP segment p partial, as a sender's checksum offload does: the pseudo-header sum. */
static void tcp_partial(uint8_t *p, size_t len)
{
	uint32_t sum = dmm_csum_add(0, p + 8, 32) + (uint32_t)(len - DP_HDR) + IPPROTO_TCP;
	uint16_t psum = dmm_csum_fold(sum);

	p[DP_HDR + 16] = (uint8_t)(psum >> 8);
	p[DP_HDR + 17] = (uint8_t)psum;
}

static void test_gro_partial(void)
{
	static uint8_t a[3][DP_HDR + 32 + 1000], merged[DP_HDR + 32 + 2000];
	static struct dpu_gro g;
	struct virtio_net_hdr vh;
	const struct dmm_addr peer = {{0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1}};
	size_t len[3], off = DP_HDR + 32;

	len[0] = tcp(a[0], 5000, 0x10, 1000, 0);
	len[1] = tcp(a[1], 6000, 0x10, 1000, 1000);
	len[2] = tcp(a[2], 9000, 0x10, 1000, 0);
	for (int k = 0; k < 3; k++)
		tcp_partial(a[k], len[k]);
	CHECK(!l4_ok(a[0]));
	CHECK(dpu_gro_start(&g, a[0], len[0], &peer));
	CHECK(dpu_gro_add(&g, a[1], len[1], &peer));
	CHECK_EQ(g.n, 2);
	dpu_gro_finish(&g, &vh);
	memcpy(merged, g.iov[0].iov_base, off);
	for (unsigned k = 1; k <= g.n; k++)
		memcpy(merged + off + (k - 1) * 1000, g.iov[k].iov_base, g.iov[k].iov_len);
	CHECK_EQ(dpu_csum_finish(merged, sizeof(merged), vh.csum_start, vh.csum_offset), 0);
	CHECK(l4_ok(merged));
	/* Alone: as it came, the checksum left to the kernel at the TCP header. */
	CHECK(dpu_gro_start(&g, a[2], len[2], &peer));
	dpu_gro_lone(&g, &vh);
	CHECK_EQ(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	CHECK_EQ(vh.csum_start, DP_HDR);
	CHECK_EQ(vh.csum_offset, 16);
	CHECK_EQ(dpu_csum_finish(a[2], len[2], vh.csum_start, vh.csum_offset), 0);
	CHECK(l4_ok(a[2]));
	/* A complete checksum alone: no flag. */
	len[2] = tcp(a[2], 9000, 0x10, 1000, 0);
	CHECK(dpu_gro_start(&g, a[2], len[2], &peer));
	dpu_gro_lone(&g, &vh);
	CHECK_EQ(vh.flags, 0);
	/* Neither complete nor partial (damaged): opens nothing. */
	a[2][DP_HDR + 17] ^= 1;
	CHECK(!dpu_gro_start(&g, a[2], len[2], &peer));
}

int main(void)
{
	test_csum();
	test_udp_finish();
	test_gso_segments();
	test_gro_tcp();
	test_gro_udp();
	test_gro_partial();
	return check_report("test_user_offload");
}
