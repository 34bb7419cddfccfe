/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MAAR's anchored prefixes in a kernel routing table for the routing
 * daemon, and the watch of the routed table (daemon/anchored.c,
 * docs/dmm-protocol.md §11).
 */
#ifndef DMMD_ANCHORED_H
#define DMMD_ANCHORED_H

#include <stdbool.h>
#include <stdint.h>

#include "dmm/types.h"

/* The route protocol of dmmd's routes (the kernel data plane's default, lab_leftovers). */
#define DMMD_RT_PROTO 0xd3

struct dmmd;
struct dmmd_anchored;

/*
 * Open the tables of d->cfg (anchored_table, routed_table; NULL when
 * neither is set, or on error, logged): our leftover routes (protocol
 * proto) leave the anchored table, the routed table's changes are
 * watched in d->loop. Close removes our routes; accepts NULL.
 */
struct dmmd_anchored *dmmd_anchored_open(struct dmmd *d, uint8_t proto);
void dmmd_anchored_close(struct dmmd_anchored *an);

/* dmm_env.anchored: prefix p anchored here (up) or not any more; accepts NULL an. */
void dmmd_anchored_event(struct dmmd_anchored *an, const struct dmm_prefix *p, bool up, bool taken_over);

/* Routes added, removed, refused, routed-table changes seen; zeros for NULL. */
void dmmd_anchored_stats(const struct dmmd_anchored *an, uint64_t out[4]);

#endif
