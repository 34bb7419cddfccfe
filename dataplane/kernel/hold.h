/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel data plane's buffer for BUFFER intents (hold.c has the
 * design): a TUN device the BUFFER routes point at, and the packets read
 * from it, held per intent within the bounds of dmm_dp_cfg. Used by the
 * daemon thread only.
 *
 * Internal to dataplane/kernel.
 */
#ifndef DMM_DP_KERNEL_HOLD_H
#define DMM_DP_KERNEL_HOLD_H

#include <stddef.h>
#include <stdint.h>

#include "dmm/dataplane.h"

struct kdp_hold;

/*
 * Create the hold device (a TUN named dmmh<N>, not yet up) and the packet
 * pool sized from cfg's bounds (memory is touched only as packets come).
 * NULL with err filled and errno set on failure.
 */
struct kdp_hold *kdp_hold_open(const struct dmm_dp_cfg *cfg, char *err, size_t errlen);

/* Close the device and free every held packet; accepts NULL. */
void kdp_hold_close(struct kdp_hold *h);

/* The device's interface index, and the descriptor to watch for packets. */
int kdp_hold_ifindex(const struct kdp_hold *h);
int kdp_hold_fd(const struct kdp_hold *h);

/* Intent id (DST prefix p) starts buffering: packets to p are held from now on. 0 or -ENOMEM. */
int kdp_hold_start(struct kdp_hold *h, uint32_t id, const struct dmm_prefix *p);

/*
 * Intent id stops buffering, its new forwarding already reachable for
 * packets written to the device (the caller's flush route): read what
 * the device has, then write every packet held for id back to it, in
 * order, and from now on pass id's packets through as they are read.
 * Packets older than the time bound are dropped and counted instead.
 */
void kdp_hold_flush(struct kdp_hold *h, uint32_t id);

/*
 * The end of id's entry: read the device once more (what the kernel
 * routed to it before its route changed), write id's packets back, and
 * forget id. Call after the route of the prefix no longer points at the
 * device.
 */
void kdp_hold_end(struct kdp_hold *h, uint32_t id);

/* The distinct destinations of id's held packets, up to max, into out (16 octets each); how many. */
unsigned kdp_hold_dsts(struct kdp_hold *h, uint32_t id, uint8_t (*out)[16], unsigned max);

/* Read and hold (or pass through) what the device has, without blocking. Packets read. */
int kdp_hold_poll(struct kdp_hold *h);

/* The counters and bounds (dataplane.h). */
void kdp_hold_stats(const struct kdp_hold *h, struct dmm_dp_buf_stats *st);

#endif
