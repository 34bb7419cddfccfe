/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel data plane's buffer for BUFFER intents (hold.c has the
 * design): a TUN device the BUFFER routes point at, and the packets read
 * from it, held per intent within the bounds of dmm_dp_cfg. Used by the
 * daemon thread only.
 *
 * Shared by the kernel and bpf backends (dataplane/kernel, dataplane/bpf).
 */
#ifndef DMM_DP_HOLD_H
#define DMM_DP_HOLD_H

#include <stddef.h>
#include <stdint.h>

#include "dmm/dataplane.h"

struct dmm_hold;
struct dmm_nl;
struct dmm_neigh_hosts;

/*
 * Create the hold device (a TUN named dmmh<N>, not yet up) and the packet
 * pool sized from cfg's bounds (memory is touched only as packets come).
 * NULL with err filled and errno set on failure.
 */
struct dmm_hold *dmm_hold_open(const struct dmm_dp_cfg *cfg, char *err, size_t errlen);

/*
 * The same on a descriptor already open that carries one packet per read
 * and per write, as a TUN device does (tests give one end of a
 * SOCK_SEQPACKET socket pair); the buffer owns fd from now on. The
 * interface index is 0.
 */
struct dmm_hold *dmm_hold_open_fd(const struct dmm_dp_cfg *cfg, int fd, char *err, size_t errlen);

/* Close the device and free every held packet; accepts NULL. */
void dmm_hold_close(struct dmm_hold *h);

/* The device's interface index, and the descriptor to watch for packets. */
int dmm_hold_ifindex(const struct dmm_hold *h);
int dmm_hold_fd(const struct dmm_hold *h);

/*
 * Intent id (DST prefix p) starts buffering: packets to p are held from
 * now on. With a peer (may be NULL), packets that reach the device still
 * encapsulated from that peer are released ahead of the others (fm.h
 * DMM_FM_BUFFER). 0 or -ENOMEM.
 */
int dmm_hold_start(struct dmm_hold *h, uint32_t id, const struct dmm_prefix *p, const struct dmm_addr *peer);

/*
 * Intent id stops buffering, its new forwarding already reachable for
 * packets written to the device (the caller's flush route): read what
 * the device has, then write every packet held for id back to it, in
 * order, and from now on pass id's packets through as they are read.
 * Packets older than the time bound are dropped and counted instead.
 */
void dmm_hold_flush(struct dmm_hold *h, uint32_t id);

/*
 * The end of id's entry: read the device once more (what the kernel
 * routed to it before its route changed), write id's packets back, and
 * forget id. Call after the route of the prefix no longer points at the
 * device.
 */
void dmm_hold_end(struct dmm_hold *h, uint32_t id);

/* The distinct destinations of id's held packets, up to max, into out (16 octets each); how many. */
unsigned dmm_hold_dsts(struct dmm_hold *h, uint32_t id, uint8_t (*out)[16], unsigned max);

/*
 * Before id's packets are released onto access link ifindex: the
 * distinct destinations of the first of them made valid neighbours there
 * (neigh.h dmm_neigh_resolve: at the host's address in hosts when known,
 * else solicited and waited for, 20 ms at most), so that no released
 * packet waits in a neighbour queue. Those that could not be are counted
 * (dmm_dp_buf_stats unresolved).
 */
void dmm_hold_resolve(struct dmm_hold *h, uint32_t id, struct dmm_nl *nl, const struct dmm_neigh_hosts *hosts,
		      int ifindex);

/* Read and hold (or pass through) what the device has, without blocking. Packets read. */
int dmm_hold_poll(struct dmm_hold *h);

/* The counters and bounds (dataplane.h). */
void dmm_hold_stats(const struct dmm_hold *h, struct dmm_dp_buf_stats *st);

#endif
