/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "dmm/bytes.h"
#include "dmm/csum.h"

/* One's complement sum of 16-bit words, RFC 1071; p starts at an even offset. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += dmm_get_u16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t dmm_csum_ipv6(const uint8_t *buf, size_t len, const struct dmm_addr *src, const struct dmm_addr *dst,
		       uint8_t next_header, size_t csum_off)
{
	uint8_t ph[8];
	uint32_t sum = 0;

	/* RFC 8200 §8.1: source, destination, upper-layer length, three zeros, next header. */
	sum = csum_add(sum, src->b, 16);
	sum = csum_add(sum, dst->b, 16);
	dmm_put_u32(ph, (uint32_t)len);
	ph[4] = ph[5] = ph[6] = 0;
	ph[7] = next_header;
	sum = csum_add(sum, ph, 8);
	sum = csum_add(sum, buf, len < csum_off ? len : csum_off);
	if (len > csum_off + 2)
		sum = csum_add(sum, buf + csum_off + 2, len - csum_off - 2);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
