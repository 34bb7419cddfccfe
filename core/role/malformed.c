/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Malformed input at an anchor (LMA, CMD), ARCHITECTURE.md rule 5: a
 * message that did not decode becomes a counter, a rate-limited log line
 * and, where an RFC says so, an answer. The roles share this handler;
 * the PBA with status 128 is left to the caller, whose PBA it is.
 */
#include <string.h>

#include "base.h"
#include "dmm/bytes.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "pmip_common.h"

#define PMIP_BAD_LOG_PER_SECOND 10

/* RFC 6275 §9.2: Binding Error status 2 to the sender; the home address stays ::. */
static void send_be(struct dmm_role_base *b, struct dmm_mh_msg *tx, uint8_t *out, size_t cap,
		    const struct pmip_bad_rx *rx)
{
	dmm_mh_init(tx, DMM_MH_BE);
	tx->u.be.status = DMM_BE_UNKNOWN_MH_TYPE;
	dmm_role_base_send(b, out, cap, "", rx->dst, rx->src, tx);
}

bool pmip_malformed(struct dmm_role_base *b, struct pmip_ratelimit *rl, struct dmm_mh_msg *tx, uint8_t *out,
		    size_t cap, const struct pmip_bad_rx *rx, bool p_required, dmm_time_t now, uint16_t *seq)
{
	const uint8_t *buf = rx->buf;
	size_t len = rx->len;
	char a[DMM_ADDR_STRLEN];

	if (-rx->err > 0 && -rx->err < DMM_STATS_MAX_ERR)
		b->stats.rx_malformed[-rx->err]++;
	if (dmm_role_base_log_on(b, DMM_LOG_WARN) && pmip_ratelimit_allow(rl, now, PMIP_BAD_LOG_PER_SECOND))
		dmm_logf(b->env.log, DMM_LOG_WARN, DMM_LC_MH, "malformed MH (type %d, %zu bytes) from %s: %s",
			 len > 2 ? buf[2] : -1, len, dmm_addr_str(rx->src, a), dmm_strerror(rx->err));
	switch (rx->err) {
	case DMM_ERR_UNKNOWN_TYPE:
		b->stats.rx_unknown_type++;
		send_be(b, tx, out, cap, rx);
		return false;
	case DMM_ERR_PAYLOAD_PROTO:
	case DMM_ERR_HDR_LEN:
		/*
		 * RFC 6275 §9.2 asks for an ICMPv6 Parameter Problem here. The
		 * core cannot send ICMPv6 and io/ does not: counted and dropped.
		 */
		return false;
	case DMM_ERR_TRUNCATED:
	case DMM_ERR_TOO_LONG:
	case DMM_ERR_BR_TYPE:
	case DMM_ERR_CHECKSUM:
		return false;
	default:
		break;
	}
	/*
	 * The header and the fixed part of a BU decoded but an option did
	 * not: the sender gets status 128 (reason unspecified) with the seq,
	 * so that it stops retransmitting the same bad message.
	 */
	if (len < 12 || buf[2] != DMM_MH_BU || ((size_t)buf[1] + 1) * 8 < 12)
		return false;
	if (p_required && !(dmm_get_u16(buf + 8) & DMM_BU_P))
		return false;
	*seq = dmm_get_u16(buf + 6);
	return true;
}
