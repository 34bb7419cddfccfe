/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MLD proxy of a MAG or MAAR (daemon/mcast.c): RFC 6224 §4 puts an
 * MLD proxy (RFC 4605) at the MAG; in direct mode (RFC 7429 REQ8) its
 * upstream is the node's own link into the multicast network, so a group's
 * packets reach each access router once and never cross a tunnel.
 */
#ifndef DMMD_MCAST_H
#define DMMD_MCAST_H

struct dmmd;
struct dmmd_mcast;

/*
 * Start the proxy with d->cfg.mcast (mode not off): the kernel's IPv6
 * multicast routing (MRT6) on this namespace, the upstream and every
 * access link as MIFs, MLD on the access links. NULL on error (logged).
 */
struct dmmd_mcast *dmmd_mcast_open(struct dmmd *d);
/* Stop multicast routing (every MFC and MIF goes) and free; accepts NULL. */
void dmmd_mcast_close(struct dmmd_mcast *m);

#endif
