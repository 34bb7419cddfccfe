/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libpcap reading and writing of Mobility Header packets.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmm/bytes.h"
#include "dmm/mh.h"
#include "pcap_io.h"

#define IP6_HDR 40
#define UDP_HDR 8
#define ETH_P_IPV6 0x86dd
#define SNAPLEN 65535

/* Link types by their LINKTYPE_ or DLT_ value (pcap_datalink() returns DLT_ values). */
enum {
	LT_EN10MB = 1,
	LT_RAW_12 = 12,
	LT_RAW_14 = 14,
	LT_RAW = 101,
	LT_SLL = 113,
	LT_IPV6 = 229,
	LT_SLL2 = 276
};

/*
 * Walk the IPv6 header chain of p[0..n) to the MH. Returns true when pkt
 * has been filled.
 */
static bool find_mh(const uint8_t *p, size_t n, struct mh_pkt *pkt)
{
	size_t off = IP6_HDR, end, plen;
	uint8_t nh;

	if (n < IP6_HDR || p[0] >> 4 != 6)
		return false;
	/* A zero Payload Length is a jumbogram (RFC 2675); take what was captured. */
	plen = dmm_get_u16(p + 4);
	end = plen && IP6_HDR + plen < n ? IP6_HDR + plen : n;
	nh = p[6];
	memcpy(pkt->src.b, p + 8, 16);
	memcpy(pkt->dst.b, p + 24, 16);
	pkt->csum_src = pkt->src;
	pkt->csum_dst = pkt->dst;
	for (;;) {
		size_t hl;

		switch (nh) {
		case DMM_IPPROTO_MH:
			pkt->udp = false;
			pkt->mh = p + off;
			pkt->len = end - off;
			return true;
		case 17: { /* UDP; RFC 5844 §4: the MH is the payload, port 5436 */
			size_t ulen;

			if (end - off < UDP_HDR)
				return false;
			if (dmm_get_u16(p + off) != DMM_MH_UDP_PORT &&
			    dmm_get_u16(p + off + 2) != DMM_MH_UDP_PORT)
				return false;
			ulen = dmm_get_u16(p + off + 4);
			if (ulen < UDP_HDR)
				return false;
			pkt->udp = true;
			pkt->mh = p + off + UDP_HDR;
			pkt->len =
				ulen - UDP_HDR < end - off - UDP_HDR ? ulen - UDP_HDR : end - off - UDP_HDR;
			return true;
		}
		case 44: /* Fragment: only an atomic fragment (offset 0, M clear) holds a whole MH */
			if (end - off < 8 || (dmm_get_u16(p + off + 2) & 0xfff9) != 0)
				return false;
			nh = p[off];
			off += 8;
			continue;
		case 0:	 /* Hop-by-Hop */
		case 43: /* Routing */
		case 60: /* Destination Options */
		case 51: /* AH, RFC 4302: length in 4-octet units minus 2 */
			if (end - off < 2)
				return false;
			hl = nh == 51 ? ((size_t)p[off + 1] + 2) * 4 : ((size_t)p[off + 1] + 1) * 8;
			if (end - off < hl)
				return false;
			break;
		default:
			return false;
		}
		/* RFC 6275 §6.1.1, RFC 8200 §8.1: the checksum covers the home address and final destination. */
		if (nh == 43 && p[off + 2] == 2 && p[off + 3] > 0 && hl >= 24)
			memcpy(pkt->csum_dst.b, p + off + 8, 16);
		for (size_t o = off + 2; nh == 60 && o + 2 <= off + hl;) {
			if (p[o] == 0) {
				o++;
				continue;
			}
			if (p[o] == 201 && p[o + 1] == 16 && o + 18 <= off + hl) /* Home Address option */
				memcpy(pkt->csum_src.b, p + o + 2, 16);
			o += 2u + p[o + 1];
		}
		nh = p[off];
		off += hl;
	}
}

int pcap_read_mh(const char *path, mh_pkt_fn fn, void *arg, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct mh_pkt pkt;
	pcap_t *pc;
	int dlt, rc;

	if (!(pc = pcap_open_offline(path, ebuf))) {
		snprintf(err, errlen, "%s", ebuf);
		return -1;
	}
	dlt = pcap_datalink(pc);
	switch (dlt) {
	case LT_EN10MB:
	case LT_RAW_12:
	case LT_RAW_14:
	case LT_RAW:
	case LT_SLL:
	case LT_IPV6:
	case LT_SLL2:
		break;
	default:
		snprintf(err, errlen, "%s: unsupported link type %d", path, dlt);
		pcap_close(pc);
		return -1;
	}
	memset(&pkt, 0, sizeof(pkt));
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		const uint8_t *p = data;
		size_t n = h->caplen, off = 0;
		unsigned proto = ETH_P_IPV6;

		pkt.frame++;
		if (dlt == LT_EN10MB) {
			if (n < 14)
				continue;
			proto = dmm_get_u16(p + 12);
			off = 14;
			/* 802.1Q, 802.1ad and the old QinQ value */
			while ((proto == 0x8100 || proto == 0x88a8 || proto == 0x9100) && n - off >= 4) {
				proto = dmm_get_u16(p + off + 2);
				off += 4;
			}
		} else if (dlt == LT_SLL) {
			if (n < 16)
				continue;
			proto = dmm_get_u16(p + 14);
			off = 16;
		} else if (dlt == LT_SLL2) {
			if (n < 20)
				continue;
			proto = dmm_get_u16(p);
			off = 20;
		}
		if (proto == ETH_P_IPV6 && find_mh(p + off, n - off, &pkt))
			fn(&pkt, arg);
	}
	if (rc == PCAP_ERROR) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(pc));
		pcap_close(pc);
		return -1;
	}
	pcap_close(pc);
	return 0;
}

struct pcap_writer {
	pcap_t *pc;
	pcap_dumper_t *d;
	unsigned n;
};

struct pcap_writer *pcap_writer_open(const char *path, char *err, size_t errlen)
{
	struct pcap_writer *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* DLT_RAW is written as LINKTYPE_RAW (101). */
	if (!(w->pc = pcap_open_dead(DLT_RAW, SNAPLEN))) {
		snprintf(err, errlen, "pcap_open_dead failed");
		goto err_free;
	}
	if (!(w->d = pcap_dump_open(w->pc, path))) {
		snprintf(err, errlen, "%s", pcap_geterr(w->pc));
		goto err_close;
	}
	return w;
err_close:
	pcap_close(w->pc);
err_free:
	free(w);
	return NULL;
}

/* RFC 1071 one's complement sum. */
static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		s += dmm_get_u16(p);
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

int pcap_writer_put(struct pcap_writer *w, const struct dmm_addr *src, const struct dmm_addr *dst, bool udp,
		    const uint8_t *mh, size_t len)
{
	uint8_t pkt[IP6_HDR + UDP_HDR + DMM_MH_MAX_LEN], *u = pkt + IP6_HDR;
	size_t plen = len + (udp ? UDP_HDR : 0);
	struct pcap_pkthdr h;

	if (len > DMM_MH_MAX_LEN)
		return -1;
	dmm_put_u32(pkt, 0x60000000); /* version 6, traffic class 0, flow label 0 */
	dmm_put_u16(pkt + 4, (uint16_t)plen);
	pkt[6] = udp ? 17 : DMM_IPPROTO_MH;
	pkt[7] = 64;
	memcpy(pkt + 8, src->b, 16);
	memcpy(pkt + 24, dst->b, 16);
	if (udp) {
		uint32_t s = 0;
		uint8_t ph[8] = {0};

		dmm_put_u16(u, DMM_MH_UDP_PORT);
		dmm_put_u16(u + 2, DMM_MH_UDP_PORT);
		dmm_put_u16(u + 4, (uint16_t)plen);
		dmm_put_u16(u + 6, 0);
		memcpy(u + UDP_HDR, mh, len);
		/* RFC 8200 §8.1: pseudo-header, and 0 is sent as 0xffff. */
		dmm_put_u32(ph, (uint32_t)plen);
		ph[7] = 17;
		s = sum16(sum16(sum16(sum16(s, src->b, 16), dst->b, 16), ph, 8), u, plen);
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		dmm_put_u16(u + 6, (uint16_t)~s ? (uint16_t)~s : 0xffff);
	} else {
		memcpy(u, mh, len);
	}
	/* Fixed timestamps, one second apart, so that the same input gives the same file. */
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = 1700000000 + w->n++;
	h.caplen = h.len = (bpf_u_int32)(IP6_HDR + plen);
	pcap_dump((u_char *)w->d, &h, pkt);
	return 0;
}

int pcap_writer_close(struct pcap_writer *w)
{
	int rc = 0;

	if (!w)
		return 0;
	if (pcap_dump_flush(w->d) != 0)
		rc = -1;
	pcap_dump_close(w->d);
	pcap_close(w->pc);
	free(w);
	return rc;
}
