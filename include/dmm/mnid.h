/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who a mobile node is: its MN identifier (RFC 4283, RFC 8371), the key
 * of every per-MN table (ARCHITECTURE.md rule 6), and its link-layer
 * identifier (RFC 5213 §8.6).
 */
#ifndef DMM_MNID_H
#define DMM_MNID_H

#include "dmm/types.h"

/* Longest MN identifier: the option length field is one octet. */
#define DMM_MNID_MAX 255

/* An MN identifier: subtype (DMM_MNID_* in mh.h) and identifier bytes. */
struct dmm_mnid {
	uint8_t subtype;
	uint8_t len;
	uint8_t id[DMM_MNID_MAX];
};

/* Longest MN link-layer identifier kept in a table (EUI-64 is 8). */
#define DMM_LLID_MAX 16

/* An MN link-layer identifier (RFC 5213 §8.6); len 0 when unknown. */
struct dmm_llid {
	uint8_t len;
	uint8_t b[DMM_LLID_MAX];
};

/* True when a and b have the same subtype and the same bytes. */
static inline bool dmm_mnid_eq(const struct dmm_mnid *a, const struct dmm_mnid *b)
{
	if (a->subtype != b->subtype || a->len != b->len)
		return false;
	for (unsigned i = 0; i < a->len; i++)
		if (a->id[i] != b->id[i])
			return false;
	return true;
}

#endif
