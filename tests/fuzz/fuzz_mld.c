/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for dmm_mld_decode (the input is one ICMPv6 message):
 * nothing may read out of bounds or abort, whatever decodes must encode,
 * the encoding must decode again and re-encode to the same bytes, and a
 * decoded report must drive the listener state without harm.
 */
#include <stdlib.h>
#include <string.h>

#include "dmm/err.h"
#include "dmm/mld.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dmm_mld_msg m1, m2;
	static struct dmm_mld_tab tab;
	static struct dmm_mld_change ch[DMM_MLD_MAX_REC];
	static uint8_t b1[4096], b2[4096];
	struct dmm_mld_timers t;
	int n1, n2;

	if (dmm_mld_decode(&m1, data, size) < 0)
		return 0;
	n1 = dmm_mld_encode(b1, sizeof(b1), &m1);
	if (n1 < 0)
		abort(); /* a decoded message must be encodable */
	if (dmm_mld_decode(&m2, b1, (size_t)n1) != n1)
		abort();
	n2 = dmm_mld_encode(b2, sizeof(b2), &m2);
	if (n2 != n1 || memcmp(b1, b2, (size_t)n1) != 0)
		abort();
	dmm_mld_timers_default(&t);
	dmm_mld_tab_init(&tab, &t);
	if (m1.type != DMM_MLD_QUERY) {
		int n = dmm_mld_report(&tab, 1, &m1, 0, ch, DMM_MLD_MAX_REC);

		if (n < 0 || n > DMM_MLD_MAX_REC || tab.n > DMM_MLD_MAX_REC)
			abort();
		dmm_mld_expire(&tab, dmm_mld_next_expiry(&tab), ch, DMM_MLD_MAX_REC);
	}
	return 0;
}
