/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The multicast tunnel of the via-anchor mode (daemon/mcast_tun.c): a TUN
 * device as the tunnel's MIF, IPv6-in-IPv6 to and from the peer.
 */
#ifndef DMMD_MCAST_TUN_H
#define DMMD_MCAST_TUN_H

#include <stddef.h>
#include <stdint.h>

#include "../io/io.h"

struct mctun;

/* A packet: from the tunnel (outer source src, the inner packet) or from the TUN device (src NULL). */
typedef void (*mctun_rx_fn)(void *ctx, const struct dmm_addr *src, const uint8_t *pkt, size_t len);

/*
 * Create TUN device name (up), watch the physical link named phys for
 * protocol 41 with a multicast inner destination (on_tunnel) and the TUN
 * device for what the kernel sends into it (on_tun), in loop. NULL with
 * errno on error. Close removes the device; accepts NULL.
 */
struct mctun *mctun_open(struct dmm_loop *loop, const char *name, const char *phys, mctun_rx_fn on_tunnel,
			 mctun_rx_fn on_tun, void *ctx);
void mctun_close(struct mctun *t);
int mctun_ifindex(const struct mctun *t);

/* Send the IPv6 packet pkt to peer to inside an outer IPv6 header (RFC 2473). 0 or -errno. */
int mctun_encap(struct mctun *t, const struct dmm_addr *to, const uint8_t *pkt, size_t len);
/* Hand pkt (an IPv6 packet) to the kernel as received on the TUN device. 0 or -errno. */
int mctun_inject(struct mctun *t, const uint8_t *pkt, size_t len);

#endif
