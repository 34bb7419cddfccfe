/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Anchor Usage option of a relocation (docs/dmm-protocol.md §11.1):
 * the usage of an anchored prefix (start, packets and octets each way)
 * that the old anchor hands to the new one, through the CMD. It is a
 * Vendor-Specific Mobility Option (RFC 5094 §3, type 19, alignment
 * 4n+2) with Vendor ID RELOC_USAGE_VENDOR and Sub-Type
 * RELOC_USAGE_SUBTYPE, whose Data is 40 octets:
 *
 *   0..7    Start: RFC 5213 §8.8 Timestamp format (48 bits of seconds
 *           since 1970-01-01 00:00 UTC, 16 bits of 1/65536 s)
 *   8..15   Uplink packets     16..23  Uplink octets
 *   24..31  Downlink packets   32..39  Downlink octets
 *
 * all in network byte order. Not a public header.
 */
#ifndef DMM_CORE_ROLE_RELOC_USAGE_H
#define DMM_CORE_ROLE_RELOC_USAGE_H

#include "dmm/bytes.h"
#include "dmm/mh.h"
#include "dmm/role.h"

/* RFC 5612 §2: the enterprise number for documentation, until dmm has one of its own. */
#define RELOC_USAGE_VENDOR 32473u
#define RELOC_USAGE_SUBTYPE 1
#define RELOC_USAGE_LEN 40

/* u as the option's Data, into b (RELOC_USAGE_LEN octets). */
static inline void reloc_usage_put(uint8_t *b, const struct dmm_usage *u)
{
	int64_t w = u->start_wall > 0 ? u->start_wall : 0;
	uint64_t frac = ((uint64_t)w % 1000000000u << 16) / 1000000000u;

	dmm_put_u48(b, (uint64_t)w / 1000000000u);
	dmm_put_u16(b + 6, (uint16_t)frac);
	dmm_put_u64(b + 8, u->up_packets);
	dmm_put_u64(b + 16, u->up_bytes);
	dmm_put_u64(b + 24, u->down_packets);
	dmm_put_u64(b + 32, u->down_bytes);
}

/* Add the option with u to msg. */
static inline void reloc_usage_add(struct dmm_mh_msg *msg, const struct dmm_usage *u)
{
	struct dmm_mh_opt *o = dmm_mh_add_opt(msg, DMM_OPT_VSM);

	if (!o)
		return; /* the message is full: the relocation goes on without the usage */
	o->u.vsm.vendor_id = RELOC_USAGE_VENDOR;
	o->u.vsm.subtype = RELOC_USAGE_SUBTYPE;
	o->u.vsm.data.len = RELOC_USAGE_LEN;
	reloc_usage_put(o->u.vsm.data.b, u);
}

/* The Anchor Usage option of msg (the first VSM of ours with the right length), or NULL. */
static inline const struct dmm_mh_opt *reloc_usage_find(const struct dmm_mh_msg *msg)
{
	const struct dmm_mh_opt *o = NULL;

	while ((o = dmm_mh_find_opt(msg, DMM_OPT_VSM, o)) != NULL)
		if (o->u.vsm.vendor_id == RELOC_USAGE_VENDOR && o->u.vsm.subtype == RELOC_USAGE_SUBTYPE &&
		    o->u.vsm.data.len == RELOC_USAGE_LEN)
			return o;
	return NULL;
}

/* The usage in option o (found by reloc_usage_find). */
static inline void reloc_usage_get(const struct dmm_mh_opt *o, struct dmm_usage *u)
{
	const uint8_t *b = o->u.vsm.data.b;

	u->start_wall = (int64_t)(dmm_get_u48(b) * 1000000000u +
				  (((uint64_t)dmm_get_u16(b + 6) * 1000000000u) >> 16));
	u->up_packets = dmm_get_u64(b + 8);
	u->up_bytes = dmm_get_u64(b + 16);
	u->down_packets = dmm_get_u64(b + 24);
	u->down_bytes = dmm_get_u64(b + 32);
}

#endif
