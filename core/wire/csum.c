/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "dmm/bytes.h"
#include "dmm/csum.h"

uint16_t dmm_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint32_t dmm_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	/* 64 bits: no carry is lost before the final fold, however long p is. */
	uint64_t s = sum;

	for (; len > 1; p += 2, len -= 2)
		s += dmm_get_u16(p);
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t dmm_csum_ipv6(const uint8_t *buf, size_t len, const struct dmm_addr *src, const struct dmm_addr *dst,
		       uint8_t next_header, size_t csum_off)
{
	uint8_t ph[8];
	uint32_t sum = 0;

	/* RFC 8200 §8.1: source, destination, upper-layer length, three zeros, next header. */
	sum = dmm_csum_add(sum, src->b, 16);
	sum = dmm_csum_add(sum, dst->b, 16);
	dmm_put_u32(ph, (uint32_t)len);
	ph[4] = ph[5] = ph[6] = 0;
	ph[7] = next_header;
	sum = dmm_csum_add(sum, ph, 8);
	sum = dmm_csum_add(sum, buf, len < csum_off ? len : csum_off);
	if (len > csum_off + 2)
		sum = dmm_csum_add(sum, buf + csum_off + 2, len - csum_off - 2);
	return (uint16_t)~dmm_csum_fold(sum);
}
