/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Address properties to the host (RFC 7429 §5 GAP2-2; docs/dmm-protocol.md
 * §13): every prefix a MAG or MAAR advertises goes inside a Provisioning
 * Domain option (RFC 8801 §3.1, type 21) whose PvD ID names its kind:
 *
 *   anchored.<domain>  the address keeps working after a move: a MAG's
 *                      prefixes (anchored at the LMA), a MAAR's prefixes
 *                      of policy fixed or sessions (RFC 8653 Fixed and
 *                      Session-Lasting);
 *   local.<domain>     the address is good only here: policy nomadic
 *                      (RFC 8653 Nonpersistent), never tunnelled.
 *
 * Layout (§3.1): H, L and R clear (no PvD Additional Information, no
 * DHCPv4, no RA header inside: the outer one applies), Delay and Sequence
 * 0 (§3.1: SHOULD when H is clear), the ID in DNS wire form without
 * compression, padding to 8 octets, then the PIOs.
 *
 * One PvD option per RA (§3.2: MUST NOT carry more than one), so there is
 * one RA per kind, from the same link-local address (§3.2 allows explicit
 * PvDs to share it).
 *
 * Unmodified hosts. A host that does not know PvD skips option 21 and
 * everything inside it (§3.3; RFC 4861 §4.2 says unknown options are
 * ignored): a PIO only inside the option would give a Linux host no
 * address. So each PIO is in the RA twice, outside the PvD option for
 * every host and inside it for PvD-aware ones. That is still right for a
 * PvD-aware host: §3.4 associates all of an RA's configuration, the PIOs
 * outside the option included, with the PvD of its first PvD option, and
 * each RA here holds the PIOs of one kind only; the inner copy is the
 * same PIO, so processing it twice changes nothing.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "dmm/maar.h"
#include "pvd.h"

static const char *const kind_label[DMMD_PVD_MAX_RA] = {"anchored", "local"};

int dmmd_pvd_domain_ok(const char *domain)
{
	static struct dmm_nd_msg m;
	char id[DMM_ND_FQDN_MAX + 16];

	for (unsigned k = 0; k < DMMD_PVD_MAX_RA; k++) {
		if ((size_t)snprintf(id, sizeof(id), "%s.%s", kind_label[k], domain) >= sizeof(id))
			return -1;
		dmm_nd_ra_init(&m, 64, 0, 0);
		if (dmm_nd_ra_set_pvd(&m, id, 0, 0, 0) < 0)
			return -1;
	}
	return 0;
}

/* 0 anchored, 1 local: the index into kind_label. */
static unsigned kind_of(const struct dmmd_config *c, const struct dmm_prefix *p)
{
	if (c->role != DMMD_ROLE_MAAR)
		return 0;
	return dmm_prefix_kind_of(c->maar.prefix_policy, c->maar.nprefix_policy, p) == DMM_PREFIX_NOMADIC;
}

unsigned dmmd_pvd_split(const struct dmmd_config *c, const struct dmm_nd_msg *ra, struct dmm_nd_msg *out,
			unsigned cap)
{
	unsigned n = 0;
	char id[DMM_ND_FQDN_MAX + 16];

	if (!*c->pvd_domain || ra->opts.npio == 0)
		return 0;
	for (unsigned k = 0; k < DMMD_PVD_MAX_RA && n < cap; k++) {
		struct dmm_nd_msg *m = &out[n];
		bool any = false;

		*m = *ra;
		m->opts.npio = 0;
		snprintf(id, sizeof(id), "%s.%s", kind_label[k], c->pvd_domain);
		if (dmm_nd_ra_set_pvd(m, id, 0, 0, 0) < 0)
			return 0; /* checked at config load: cannot happen */
		for (unsigned i = 0; i < ra->opts.npio; i++) {
			const struct dmm_nd_pio *p = &ra->opts.pio[i];

			if (kind_of(c, &p->prefix) != k)
				continue;
			m->opts.pio[m->opts.npio++] = *p;	  /* outside: every host (§3.3) */
			m->pvd.opts.pio[m->pvd.opts.npio++] = *p; /* inside: its PvD (§3.1) */
			any = true;
		}
		n += any;
	}
	return n;
}
