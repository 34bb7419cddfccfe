/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mobility Header packets in pcap and pcapng files, for dmmctl.
 *
 * Reading finds the MH in each frame: link layer (raw IPv6, Ethernet with
 * VLAN tags, Linux cooked SLL and SLL2), then the IPv6 extension header
 * chain up to the MH (Next Header 135) or a UDP datagram to or from port
 * 5436 (RFC 5844). Writing produces LINKTYPE_RAW IPv6 packets.
 */
#ifndef DMMCTL_PCAP_IO_H
#define DMMCTL_PCAP_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dmm/types.h"

/* One MH found in a capture; the pointers are valid during the callback only. */
struct mh_pkt {
	unsigned frame;			    /* 1-based frame number in the file */
	struct dmm_addr src, dst;	    /* IPv6 header addresses */
	struct dmm_addr csum_src, csum_dst; /* pseudo-header: Home Address option, type 2 routing header */
	bool udp;			    /* MH carried in UDP (RFC 5844) */
	const uint8_t *mh;		    /* the MH and whatever follows it in the packet */
	size_t len;
};

typedef void (*mh_pkt_fn)(const struct mh_pkt *pkt, void *arg);

/*
 * Call fn for every MH in the capture at path; other frames are skipped.
 * Returns 0, or -1 with the reason in err (file unreadable, unsupported
 * link type).
 */
int pcap_read_mh(const char *path, mh_pkt_fn fn, void *arg, char *err, size_t errlen);

struct pcap_writer;

/* Create path as a LINKTYPE_RAW pcap. Returns the writer or NULL with the reason in err. */
struct pcap_writer *pcap_writer_open(const char *path, char *err, size_t errlen);

/*
 * Write one IPv6 packet src -> dst (hop limit 64) carrying mh[0..len):
 * as Next Header 135 (the caller has filled the MH checksum) or, with udp,
 * as the payload of UDP 5436 -> 5436 with the UDP checksum computed.
 * Returns 0 or -1.
 */
int pcap_writer_put(struct pcap_writer *w, const struct dmm_addr *src, const struct dmm_addr *dst, bool udp,
		    const uint8_t *mh, size_t len);

/* Flush and close; accepts NULL. Returns 0 or -1 if the data could not be written. */
int pcap_writer_close(struct pcap_writer *w);

#endif
