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
 * The link-layer address of the host on each access link, by interface
 * index, as the daemon saw it in the host's frames (RFC 5213 §6.3:
 * one host per point-to-point access link). Owned by a backend.
 */
struct dmm_neigh_host;
struct dmm_neigh_hosts {
	struct dmm_neigh_host **bucket; /* nbucket heads, a power of two (0: none yet) */
	uint32_t nbucket, n;
};

/* Record lladdr (len octets, at most 8) as the host on ifindex; len 0 forgets it. 0 or -ENOMEM / -EINVAL. */
int dmm_neigh_host_set(struct dmm_neigh_hosts *h, int ifindex, const uint8_t *lladdr, unsigned len);

/* The link-layer address of the host on ifindex (*len octets), or NULL when none is known. */
const uint8_t *dmm_neigh_host_of(const struct dmm_neigh_hosts *h, int ifindex, unsigned *len);

/* Free what h holds (h itself is the caller's). */
void dmm_neigh_hosts_free(struct dmm_neigh_hosts *h);

/*
 * Make the n IPv6 addresses dst (16 octets each) valid neighbours on
 * ifindex. With the link's host known in hosts (may be NULL), each one
 * not yet valid is set STALE at the host's link-layer address (RFC 4861
 * §7.3.3: learned, not yet confirmed; the kernel confirms it later by
 * unicast probes; RFC 5949 §4.1 has an NMAG make such entries from the
 * MN's link-layer address), so no packet waits for a solicitation. Otherwise each
 * gets a resolution started (RTM_NEWNEIGH with NTF_USE: the kernel's own
 * solicitation, as a packet would start it), then they are polled until
 * all are valid or max_us has passed. Returns how many are valid.
 */
unsigned dmm_neigh_resolve(struct dmm_nl *nl, const struct dmm_neigh_hosts *hosts, int ifindex,
			   const uint8_t (*dst)[16], unsigned n, unsigned max_us);

/* Add the destination of IPv6 packet pkt to the n in dst unless it is there; the new n. */
unsigned dmm_neigh_dst_add(uint8_t (*dst)[16], unsigned n, const uint8_t *pkt);

#endif
