/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MLD proxy of a MAG or MAAR (daemon/mcast.c): RFC 6224 §4 puts an
 * MLD proxy (RFC 4605) at the MAG; in direct mode (RFC 7429 REQ8) its
 * upstream is the node's own link into the multicast network, so a group's
 * packets reach each access router once and never cross a tunnel.
 */
#ifndef DMMD_MCAST_H
#define DMMD_MCAST_H

#include <jansson.h>

#include "dmm/role.h"

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

/*
 * The handover context (docs/dmm-protocol.md §14, RFC 7161): the groups
 * the access link with this ifindex listens to, or listened to when it
 * went away within MALI (a host's link that moved to another access
 * router), into out (n 0: none). m may be NULL.
 */
void dmmd_mcast_ctx_get(struct dmmd_mcast *m, int ifindex, struct dmm_mcast_groups *out);
/*
 * The groups a host on the access link with this ifindex listened to at
 * its previous access router: they are installed on the link as if the
 * host had reported them (MODE_IS_EXCLUDE {}, RFC 3810 §6.1), and shown
 * with the source "context" until a report of the host confirms them.
 * m may be NULL.
 */
void dmmd_mcast_ctx_put(struct dmmd_mcast *m, int ifindex, const struct dmm_mcast_groups *in);

/* "show multicast": MIFs, listeners per link or tunnel, per-tunnel replication, counters (new reference). */
json_t *dmmd_mcast_show(const struct dmmd_mcast *m);

#endif
