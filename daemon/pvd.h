/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Address properties to the host (RFC 7429 §5 GAP2-2): the prefixes of
 * the RAs of a MAG or MAAR inside Provisioning Domain options (RFC 8801)
 * named after their kind (daemon/pvd.c).
 */
#ifndef DMMD_PVD_H
#define DMMD_PVD_H

#include "dmm/nd.h"

struct dmmd_config;

/* One RA per PvD: "anchored.<domain>" and "local.<domain>". */
#define DMMD_PVD_MAX_RA 2

/* 0 when "anchored.<domain>" and "local.<domain>" are DNS names the PvD option can carry, else -1. */
int dmmd_pvd_domain_ok(const char *domain);

/*
 * Split RA ra (its PIOs in ra->opts) into the RAs to send, one per kind
 * of prefix, each with its PvD option, into out[0..cap). Returns how many
 * (at most DMMD_PVD_MAX_RA), or 0 when c has no pvd-domain or ra no
 * PIO: then ra goes as it is. All borrowed.
 */
unsigned dmmd_pvd_split(const struct dmmd_config *c, const struct dmm_nd_msg *ra, struct dmm_nd_msg *out,
			unsigned cap);

#endif
