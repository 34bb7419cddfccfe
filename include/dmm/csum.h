/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Internet checksum of an upper-layer message over IPv6 (RFC 1071, RFC 8200 §8.1). */
#ifndef DMM_CSUM_H
#define DMM_CSUM_H

#include "dmm/types.h"

/*
 * The checksum of buf[0..len) sent from src to dst with the given Next
 * Header, over the IPv6 pseudo-header, with the two checksum octets at
 * csum_off (an even offset) taken as 0. Pure; all pointers borrowed.
 */
uint16_t dmm_csum_ipv6(const uint8_t *buf, size_t len, const struct dmm_addr *src, const struct dmm_addr *dst,
		       uint8_t next_header, size_t csum_off);

#endif
