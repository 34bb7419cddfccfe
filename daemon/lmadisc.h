/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LMA discovery by DNS (RFC 6097) for a MAG configured with
 * mag/lma-discovery/name: c-ares looks the name's AAAA records up on
 * dmmd's loop (its sockets are watched there, its timeouts join the
 * loop's deadline), and each answer goes to the MAG as an input event
 * (dmm_mag_set_lmas). The name is looked up again when the answer's TTL
 * runs out (clamped to min-ttl .. max-ttl); a lookup that fails (NXDOMAIN,
 * no AAAA, timeout) is logged and counted and tried again with a
 * doubling delay (1 s to 60 s), and the last good answer stays in use.
 */
#ifndef DMMD_LMADISC_H
#define DMMD_LMADISC_H

#include <jansson.h>

#include "dmmd.h"

struct dmmd_disc;

/* Start for d->cfg.disc (NULL when no name is configured, or on error: logged, *err set). */
struct dmmd_disc *dmmd_disc_open(struct dmmd *d, bool *err);
/* Stop and free; accepts NULL. */
void dmmd_disc_close(struct dmmd_disc *s);
/* The next deadline (a lookup due, or c-ares' own timeout); DMM_TIME_NEVER when none. */
dmm_time_t dmmd_disc_next(const struct dmmd_disc *s);
/* Run what is due at now. */
void dmmd_disc_expire(struct dmmd_disc *s, dmm_time_t now);
/* After a reload: start again when the name, the server or the TTL bounds changed; 0 or -1. */
int dmmd_disc_reconfigure(struct dmmd *d);
/* The resolver's counters as role counters (show stats "dmm", /metrics): how many written; 0 for NULL. */
size_t dmmd_disc_counters(const struct dmmd_disc *s, struct dmm_role_counter *out, size_t max);
/* "lma-discovery" of show node: name, server, addresses, current, ttl-left, counters (new reference). */
json_t *dmmd_disc_json(const struct dmmd_disc *s);

#endif
