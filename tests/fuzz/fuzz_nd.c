/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for dmm_nd_decode (the input is one ICMPv6 message):
 * nothing may read out of bounds or abort, whatever decodes must encode,
 * the encoding must decode again to the same length, re-encode to the
 * same bytes (decode -> encode -> decode -> encode is stable) and carry a
 * checksum that dmm_nd_decode_ip6's check accepts.
 */
#include <stdlib.h>
#include <string.h>

#include "dmm/bytes.h"
#include "dmm/err.h"
#include "dmm/nd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dmm_nd_msg m1, m2;
	static uint8_t b1[4096], b2[4096];
	static const struct dmm_addr src = {{0xfe, 0x80, [15] = 1}}, dst = {{0xff, 0x02, [15] = 1}};
	int n1, n2;

	if (dmm_nd_decode(&m1, data, size) < 0)
		return 0;
	n1 = dmm_nd_encode(b1, sizeof(b1), &m1, &src, &dst);
	if (n1 < 0)
		abort(); /* a decoded message must be encodable */
	if (dmm_nd_checksum(b1, (size_t)n1, &src, &dst) != dmm_get_u16(b1 + 2))
		abort();
	if (dmm_nd_decode(&m2, b1, (size_t)n1) != n1)
		abort();
	n2 = dmm_nd_encode(b2, sizeof(b2), &m2, &src, &dst);
	if (n2 != n1 || memcmp(b1, b2, (size_t)n1) != 0)
		abort();
	return 0;
}
