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

/*
 * A partial ones' complement sum (RFC 1071 §2): sum plus the big-endian
 * 16-bit words of p[0..len), an odd last octet padded with a zero octet.
 * p must start at an even offset of the summed message. The result is
 * folded into 16 bits (below 0x10000), so partial sums chain without
 * overflow whatever the length; any sum below 2^32 may be passed in.
 * Pure; p borrowed.
 */
uint32_t dmm_csum_add(uint32_t sum, const uint8_t *p, size_t len);

/* A partial sum folded into 16 bits, not complemented (RFC 1071 §4.1). */
uint16_t dmm_csum_fold(uint32_t sum);

#endif
