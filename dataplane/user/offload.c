/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checksum finishing and GSO repair of decapsulated packets (user.c,
 * "Checksum and segmentation offload"): a peer's kernel may leave the
 * inner TCP or UDP checksum partial, and GRO/TSO may hand us a
 * super-packet; the raw socket says neither. The sums are the core's
 * (dmm/csum.h, RFC 1071).
 */
#include <netinet/in.h>
#include <string.h>

#include "dmm/csum.h"
#include "user.h"

/* The TCP super-packet p (TCP header at off) as one GSO packet for the TUN, behind vh. */
static int gso_tcp(uint8_t *p, size_t len, size_t off, size_t coff, uint16_t psum, struct virtio_net_hdr *vh)
{
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

int dpu_l4_fixup(uint8_t *p, size_t len, struct virtio_net_hdr *vh)
{
	size_t off = DP_HDR, l4len, coff;
	uint8_t nh = p[6];
	uint32_t pseudo;
	uint16_t field, psum, c;
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
	/* RFC 8200 §8.1: source and destination, upper-layer length, next header. */
	pseudo = dmm_csum_add(0, p + 8, 32);
	pseudo += (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff) + nh;
	psum = dmm_csum_fold(pseudo);
	field = (uint16_t)(p[coff] << 8 | p[coff + 1]);

	if (nh == IPPROTO_TCP && len > DP_TUN_MTU)
		return gso_tcp(p, len, off, coff, psum, vh);
	/* Partial: the field holds the pseudo-header sum (0 and 0xffff are
	 * the same number) and the whole does not verify. */
	partial = field % 0xffff == psum % 0xffff &&
		  dmm_csum_fold(dmm_csum_add(pseudo, p + off, l4len)) != 0xffff;
	if (!partial)
		return L4_PASS;
	if (nh == IPPROTO_UDP && len > DP_SEG_MAX)
		return L4_DROP;
	c = (uint16_t)~dmm_csum_fold(dmm_csum_add(0, p + off, l4len));
	if (nh == IPPROTO_UDP && c == 0)
		c = 0xffff; /* RFC 768: a computed 0 is sent as all ones */
	p[coff] = (uint8_t)(c >> 8);
	p[coff + 1] = (uint8_t)c;
	return L4_PASS;
}
