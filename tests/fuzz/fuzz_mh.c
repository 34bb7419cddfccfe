/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for dmm_mh_decode (the UDP transport form and the
 * decoder behind every entry point): nothing may read out of bounds or
 * abort, and whatever decodes must re-encode to a message that decodes
 * to the same bytes again (decode -> encode -> decode -> encode is stable);
 * the re-encoding is in the sender's form (no misaligned option).
 *
 * A failed decode keeps what decoded before the failure (mh.h), which a
 * role echoes in its reply (RFC 5213 §5.3.6): from DMM_MH_DEC_FIXED on,
 * that partial message must encode, and decode again to as many options.
 */
#include <stdlib.h>
#include <string.h>

#include "dmm/err.h"
#include "dmm/mh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void partial(const struct dmm_mh_msg *m1)
{
	static struct dmm_mh_msg m2;
	static uint8_t b1[DMM_MH_MAX_LEN];
	int n;

	if (m1->decoded < DMM_MH_DEC_FIXED)
		return;
	if (m1->nopts > DMM_MH_MAX_OPTS)
		abort();
	n = dmm_mh_encode(b1, sizeof(b1), m1);
	if (n < 0)
		abort(); /* what decoded must be echoable */
	if (dmm_mh_decode(&m2, b1, (size_t)n) != n || m2.nopts != m1->nopts)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dmm_mh_msg m1, m2;
	static uint8_t b1[DMM_MH_MAX_LEN], b2[DMM_MH_MAX_LEN];
	int n1, n2;

	if (dmm_mh_decode(&m1, data, size) < 0) {
		partial(&m1);
		return 0;
	}
	if (m1.decoded != DMM_MH_DEC_ALL)
		abort();
	n1 = dmm_mh_encode(b1, sizeof(b1), &m1);
	if (n1 < 0)
		abort(); /* a decoded message must be encodable */
	if (dmm_mh_decode(&m2, b1, (size_t)n1) != n1)
		abort();
	if (m2.notes & DMM_MH_NOTE_MISALIGNED)
		abort(); /* the encoder aligns every option */
	n2 = dmm_mh_encode(b2, sizeof(b2), &m2);
	if (n2 != n1 || memcmp(b1, b2, (size_t)n1) != 0)
		abort();
	return 0;
}
