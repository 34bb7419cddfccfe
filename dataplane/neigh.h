/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resolving a host's address on an access link before a buffer is
 * released onto it (RFC 4861 §7.2.2 address resolution, asked for
 * ahead of the packets).
 *
 * Why: the link of a host that just attached is new to the neighbour
 * table. Released packets sent at once would wait in the neighbour
 * entry's queue until the host's Neighbor Advertisement comes; the
 * kernel then sends the queue one packet at a time, and a newer packet
 * routed meanwhile on another CPU finds the entry valid and goes
 * straight out, ahead of the older ones still in the queue. Resolving
 * first keeps every released packet out of that queue.
 */
#ifndef DMM_DP_NEIGH_H
#define DMM_DP_NEIGH_H

#include <stdint.h>

struct dmm_nl;

/*
 * Make the n IPv6 addresses dst (16 octets each) valid neighbours on
 * ifindex: each one not yet valid gets a resolution started (RTM_NEWNEIGH
 * with NTF_USE: the kernel's own solicitation, as a packet would start
 * it), then they are polled until all are valid or max_us has passed.
 * Returns how many are valid.
 */
unsigned dmm_neigh_resolve(struct dmm_nl *nl, int ifindex, const uint8_t (*dst)[16], unsigned n,
			   unsigned max_us);

/* Add the destination of IPv6 packet pkt to the n in dst unless it is there; the new n. */
unsigned dmm_neigh_dst_add(uint8_t (*dst)[16], unsigned n, const uint8_t *pkt);

#endif
