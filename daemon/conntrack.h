/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which sessions need mobility (RFC 7429 §5 GAP2-1, GAP2-3): the MAAR's
 * sessions per old prefix, read from the kernel's connection tracking
 * (daemon/conntrack.c, docs/dmm-protocol.md §13).
 */
#ifndef DMMD_CONNTRACK_H
#define DMMD_CONNTRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "dmm/types.h"

struct dmmd;
struct dmmd_ct;

/*
 * Open the ctnetlink socket and make sure the kernel tracks what this
 * MAAR forwards (an nftables table "inet dmm_ct" whose ct rule turns
 * connection tracking on in the namespace; with the kernel data plane,
 * net.netfilter.nf_hooks_lwtunnel=1 so that the packets seg6 encapsulates
 * and decapsulates pass it too). NULL on error, logged. Close removes the
 * table; accepts NULL.
 */
struct dmmd_ct *dmmd_ct_open(struct dmmd *d);
void dmmd_ct_close(struct dmmd_ct *ct);

/*
 * One look at the table: the sessions of every old prefix the MAAR asks
 * about (dmm_maar_session_prefixes), each reported with
 * dmm_maar_sessions(). A session is a tracked flow the kernel has seen
 * answered (IPS_ASSURED; for TCP IPS_SEEN_REPLY and a state from
 * ESTABLISHED to LAST_ACK): packets nobody answered are not one.
 */
void dmmd_ct_poll(struct dmmd_ct *ct, dmm_time_t now);

/* Polls, table entries read, prefixes reported in use, errors; zeros for NULL. */
void dmmd_ct_stats(const struct dmmd_ct *ct, uint64_t out[4]);

#endif
