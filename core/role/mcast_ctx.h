/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The multicast subscription in the handover context (RFC 7161 §4.1,
 * §4.2; docs/dmm-protocol.md §14): between the groups of struct
 * dmm_mcast_groups and the Active Multicast Subscription options of a
 * message. Not a public header.
 */
#ifndef DMM_CORE_ROLE_MCAST_CTX_H
#define DMM_CORE_ROLE_MCAST_CTX_H

#include "dmm/mh.h"
#include "dmm/role.h"

/*
 * Append one Active Multicast Subscription option per group of g to m:
 * MLD Type 143 and an MLDv2 record MODE_IS_EXCLUDE with no source (every
 * source, RFC 3810 §5.2.12), the state an MLD proxy keeps. Returns how
 * many options went in (fewer when m ran out of option slots).
 */
unsigned mcast_ctx_add(struct dmm_mh_msg *m, const struct dmm_mcast_groups *g);

/*
 * The groups the Active Multicast Subscription options of m subscribe
 * to, into g (at most DMM_MCAST_GROUPS_MAX, each once): an MLDv1 address,
 * or an MLDv2 record that wants traffic (EXCLUDE mode, or INCLUDE with
 * sources: RFC 3810 §6.1). Returns the number of options m holds.
 */
unsigned mcast_ctx_of(const struct dmm_mh_msg *m, struct dmm_mcast_groups *g);

/*
 * Copy every Active Multicast Subscription option of from to the end of
 * to (the CMD relays them as they came). Returns how many were copied.
 */
unsigned mcast_ctx_copy(struct dmm_mh_msg *to, const struct dmm_mh_msg *from);

#endif
