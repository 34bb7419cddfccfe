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

/* Big-endian sums on a little-endian machine: summed as host words, swapped at the end (RFC 1071 §2(B)). */
uint32_t dpu_csum(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = 0, w;
	uint32_t w4;
	uint16_t w2, r;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		s += w;
		s += s < w; /* end-around carry */
	}
	if (len >= 4) {
		memcpy(&w4, p, 4);
		s += w4;
		s += s < w4;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w2, p, 2);
		s += w2;
		s += s < w2;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = {p[0], 0}; /* RFC 1071: an odd last octet padded with zero */

		memcpy(&w2, last, 2);
		s += w2;
		s += s < w2;
	}
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	r = dmm_csum_fold((uint32_t)s);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	r = (uint16_t)(r << 8 | r >> 8);
#endif
	return dmm_csum_fold(sum + r);
}

int dpu_csum_finish(uint8_t *p, size_t len, size_t start, size_t off)
{
	uint16_t c;

	if (start >= len || off + 2 > len - start)
		return -1;
	c = (uint16_t)~dmm_csum_fold(dpu_csum(0, p + start, len - start));
	if (off == 6 && c == 0)
		c = 0xffff; /* UDP (the only offset 6): RFC 768, a computed 0 is sent as all ones */
	p[start + off] = (uint8_t)(c >> 8);
	p[start + off + 1] = (uint8_t)c;
	return 0;
}

int dpu_gso_init(struct dpu_gso *g, const uint8_t *p, size_t len, const struct virtio_net_hdr *vh)
{
	size_t off = DP_HDR, thl;
	uint8_t nh = p[6];

	/* The TCP header after hop-by-hop and destination options only (as dpu_l4_fixup). */
	while (nh == IPPROTO_HOPOPTS || nh == IPPROTO_DSTOPTS) {
		if (off + 8 > len)
			return -1;
		nh = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
	}
	if (nh != IPPROTO_TCP || off != vh->csum_start || vh->csum_offset != 16 || off + 20 > len)
		return -1;
	thl = (size_t)(p[off + 12] >> 4) * 4;
	memset(g, 0, sizeof(*g));
	g->p = p;
	g->len = len;
	g->thoff = off;
	g->hl = off + thl;
	g->mss = vh->gso_size;
	if (thl < 20 || g->hl >= len || g->hl + DP_HDR > DP_SEG_HDR || !g->mss || g->hl + g->mss > DP_TUN_MTU)
		return -1;
	g->seq = (uint32_t)p[off + 4] << 24 | (uint32_t)p[off + 5] << 16 | (uint32_t)p[off + 6] << 8 |
		 p[off + 7];
	g->pseudo = dpu_csum(0, p + 8, 32);
	g->nseg = (unsigned)((len - g->hl + g->mss - 1) / g->mss);
	return 0;
}

size_t dpu_gso_next(struct dpu_gso *g, uint8_t *hdr, const uint8_t **pay)
{
	size_t n = g->len - g->hl - g->done, plen, tlen, t = g->thoff;
	uint32_t seq = g->seq + (uint32_t)g->done, sum;
	uint16_t c;

	if (!n)
		return 0;
	if (n > g->mss)
		n = g->mss;
	memcpy(hdr, g->p, g->hl);
	plen = g->hl - DP_HDR + n;
	hdr[4] = (uint8_t)(plen >> 8);
	hdr[5] = (uint8_t)plen;
	hdr[t + 4] = (uint8_t)(seq >> 24);
	hdr[t + 5] = (uint8_t)(seq >> 16);
	hdr[t + 6] = (uint8_t)(seq >> 8);
	hdr[t + 7] = (uint8_t)seq;
	/* As the kernel's TCP segmentation: CWR on the first segment only, FIN and PSH on the last only. */
	if (g->k)
		hdr[t + 13] &= (uint8_t)~0x80;
	if (g->done + n < g->len - g->hl)
		hdr[t + 13] &= (uint8_t) ~(0x01 | 0x08);
	hdr[t + 16] = hdr[t + 17] = 0;
	/* RFC 8200 §8.1: the pseudo-header with this segment's TCP length. */
	tlen = g->hl - t + n;
	sum = g->pseudo + (uint32_t)(tlen >> 16) + (uint32_t)(tlen & 0xffff) + IPPROTO_TCP;
	sum = dpu_csum(sum, hdr + t, g->hl - t);
	sum = dpu_csum(sum, g->p + g->hl + g->done, n);
	c = (uint16_t)~dmm_csum_fold(sum);
	hdr[t + 16] = (uint8_t)(c >> 8);
	hdr[t + 17] = (uint8_t)c;
	*pay = g->p + g->hl + g->done;
	g->done += n;
	g->k++;
	return n;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The header length (IPv6 + TCP or UDP) of p when it can open or join a
 * merge: IPv6 then TCP or UDP directly, a payload, for TCP no flag but ACK
 * and PSH, and a checksum that verifies (a merged packet gets new
 * checksums from the kernel, so a corrupted packet must not get in) or
 * that a peer's kernel left partial (*partial: the field holds the
 * pseudo-header sum, as a CHECKSUM_PARTIAL packet carries it; such a
 * packet could not be checked alone either, dpu_l4_fixup). 0 when it
 * cannot.
 */
static size_t gro_hl(const uint8_t *p, size_t len, bool *partial)
{
	size_t hl, coff;
	uint32_t sum;
	uint16_t field;

	if (len < DP_HDR + 8 || len > DP_TUN_MTU)
		return 0;
	if (p[6] == IPPROTO_UDP)
		hl = DP_HDR + 8;
	else if (p[6] == IPPROTO_TCP && len >= DP_HDR + 20)
		hl = DP_HDR + (size_t)(p[DP_HDR + 12] >> 4) * 4;
	else
		return 0;
	if (hl >= len || (p[6] == IPPROTO_TCP &&
			  (hl < DP_HDR + 20 || (p[DP_HDR + 13] & ~0x18) || !(p[DP_HDR + 13] & 0x10))))
		return 0;
	if (p[6] == IPPROTO_UDP && (p[DP_HDR + 6] | p[DP_HDR + 7]) == 0)
		return 0; /* RFC 8200 §8.1: a zero UDP checksum is not valid over IPv6 */
	sum = dpu_csum(0, p + 8, 32) + (uint32_t)(len - DP_HDR) + p[6];
	*partial = false;
	if (dmm_csum_fold(dpu_csum(sum, p + DP_HDR, len - DP_HDR)) == 0xffff)
		return hl;
	coff = DP_HDR + (p[6] == IPPROTO_UDP ? 6 : 16);
	field = (uint16_t)(p[coff] << 8 | p[coff + 1]);
	*partial = field % 0xffff == dmm_csum_fold(sum) % 0xffff; /* 0 and 0xffff are the same number */
	return *partial ? hl : 0;
}

/* Whether TCP segment p (header length hl) follows the merge g: same header but sequence number, PSH, checksum. */
static bool tcp_follows(const struct dpu_gro *g, const uint8_t *p, size_t hl)
{
	const uint8_t *f = g->first;

	return get32(p + DP_HDR + 4) == g->next_seq && !memcmp(p + DP_HDR + 8, f + DP_HDR + 8, 5) &&
	       !memcmp(p + DP_HDR + 14, f + DP_HDR + 14, 2) &&
	       !memcmp(p + DP_HDR + 20, f + DP_HDR + 20, hl - DP_HDR - 20);
}

bool dpu_gro_start(struct dpu_gro *g, uint8_t *p, size_t len, const struct dmm_addr *peer)
{
	bool partial;
	size_t hl = gro_hl(p, len, &partial);

	if (!hl)
		return false;
	g->n = 1;
	g->partial = partial;
	g->first = p;
	g->hl = hl;
	g->mss = len - hl;
	g->total = len - hl;
	g->bytes = len;
	g->udp = p[6] == IPPROTO_UDP;
	g->next_seq = g->udp ? 0 : get32(p + DP_HDR + 4) + (uint32_t)(len - hl);
	g->closed = !g->udp && (p[DP_HDR + 13] & 0x08); /* PSH: the sender's write ends here */
	g->psh = false;
	g->peer = *peer;
	g->iov[1] = (struct iovec){.iov_base = p, .iov_len = len}; /* n 1: the packet itself */
	return true;
}

bool dpu_gro_add(struct dpu_gro *g, uint8_t *p, size_t len, const struct dmm_addr *peer)
{
	const uint8_t *f = g->first;
	bool partial;
	size_t hl = g->n ? gro_hl(p, len, &partial) : 0;

	/* As the kernel's GRO: same flow and header, equal sizes but the last, TCP in sequence. */
	if (!hl || g->closed || g->n >= DPU_GRO_MAX || hl != g->hl || len - hl > g->mss || p[6] != f[6] ||
	    g->hl - DP_HDR + g->total + (len - hl) > 65535 || !dmm_addr_eq(peer, &g->peer) ||
	    memcmp(p, f, 4) || memcmp(p + 7, f + 7, 33) || memcmp(p + DP_HDR, f + DP_HDR, 4) ||
	    (!g->udp && !tcp_follows(g, p, hl)))
		return false;
	if (g->n == 1)
		g->iov[1] = (struct iovec){.iov_base = (void *)(f + hl), .iov_len = g->mss};
	g->iov[1 + g->n] = (struct iovec){.iov_base = p + hl, .iov_len = len - hl};
	g->n++;
	g->total += len - hl;
	g->bytes += len;
	g->next_seq += (uint32_t)(len - hl);
	g->closed = len - hl < g->mss || (!g->udp && (p[DP_HDR + 13] & 0x08));
	if (!g->udp && (p[DP_HDR + 13] & 0x08))
		g->psh = true;
	return true;
}

void dpu_gro_lone(const struct dpu_gro *g, struct virtio_net_hdr *vh)
{
	memset(vh, 0, sizeof(*vh));
	vh->gso_type = VIRTIO_NET_HDR_GSO_NONE;
	if (!g->partial)
		return;
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = DP_HDR;
	vh->csum_offset = g->udp ? 6 : 16;
}

void dpu_gro_finish(struct dpu_gro *g, struct virtio_net_hdr *vh)
{
	uint8_t *h = g->hdr;
	size_t plen = g->hl - DP_HDR + g->total, coff = g->udp ? 6 : 16;
	uint16_t psum;

	memcpy(h, g->first, g->hl);
	h[4] = (uint8_t)(plen >> 8);
	h[5] = (uint8_t)plen;
	if (g->udp) {
		h[DP_HDR + 4] =
			(uint8_t)(plen >> 8); /* the UDP length of the whole, as a UDP GSO send has it */
		h[DP_HDR + 5] = (uint8_t)plen;
	}
	if (g->psh)
		h[DP_HDR + 13] |= 0x08;
	/* A CHECKSUM_PARTIAL packet carries the pseudo-header sum (RFC 8200 §8.1); the kernel does the rest. */
	psum = dmm_csum_fold(dpu_csum(0, h + 8, 32) + (uint32_t)plen + g->first[6]);
	h[DP_HDR + coff] = (uint8_t)(psum >> 8);
	h[DP_HDR + coff + 1] = (uint8_t)psum;
	memset(vh, 0, sizeof(*vh));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = g->udp ? VIRTIO_NET_HDR_GSO_UDP_L4 : VIRTIO_NET_HDR_GSO_TCPV6;
	vh->hdr_len = (uint16_t)g->hl;
	vh->gso_size = (uint16_t)g->mss;
	vh->csum_start = DP_HDR;
	vh->csum_offset = (uint16_t)coff;
	g->iov[0] = (struct iovec){.iov_base = h, .iov_len = g->hl};
}
