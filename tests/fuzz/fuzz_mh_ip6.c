/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for dmm_mh_decode_ip6: the first 32 octets are the
 * source and destination addresses, the rest is the Mobility Header.
 * Anything that passes the checksum and decodes must survive
 * encode_ip6 -> decode_ip6 with the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "dmm/err.h"
#include "dmm/mh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dmm_mh_msg m1, m2;
	static uint8_t b1[DMM_MH_MAX_LEN];
	struct dmm_addr src, dst;
	int n;

	if (size < 32)
		return 0;
	memcpy(src.b, data, 16);
	memcpy(dst.b, data + 16, 16);
	data += 32;
	size -= 32;
	/* Exercise the checksum path on every input, then the decoder regardless of it. */
	if (dmm_mh_decode_ip6(&m1, data, size, &src, &dst) < 0 && dmm_mh_decode(&m1, data, size) < 0)
		return 0;
	n = dmm_mh_encode_ip6(b1, sizeof(b1), &m1, &src, &dst);
	if (n < 0)
		abort();
	if (dmm_mh_decode_ip6(&m2, b1, (size_t)n, &src, &dst) != n)
		abort();
	return 0;
}
