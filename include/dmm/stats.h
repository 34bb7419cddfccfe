/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Counters of a role instance, named after the PMIPv6 MIB (RFC 6475 §4)
 * where it has a name (the pmip6* comment on each), plus per-type message
 * counts and one counter per kind of malformed input (DMM_ERR_*).
 */
#ifndef DMM_STATS_H
#define DMM_STATS_H

#include <stdint.h>

#define DMM_STATS_MAX_ERR 64 /* index: -DMM_ERR_* */

struct dmm_pmip_stats {
	uint64_t initial_registrations;	     /* pmip6InitialBindingRegistrations */
	uint64_t lifetime_ext_no_handoff;    /* pmip6BindingLifeTimeExtensionNoHandOff */
	uint64_t lifetime_ext_after_handoff; /* pmip6BindingLifeTimeExtensionAfterHandOff */
	uint64_t deregistrations;	     /* pmip6BindingDeRegistrations */
	uint64_t binding_acks;	 /* pmip6BindingBindingAcks (sent at the LMA, received at the MAG) */
	uint64_t ba_status[256]; /* PBAs by status: pmip6TimestampMismatch = [156], ... */
	uint64_t rx_by_type[32], tx_by_type[32];  /* Mobility Header messages by MH type */
	uint64_t rx_malformed[DMM_STATS_MAX_ERR]; /* by -DMM_ERR_* */
	uint64_t rx_checksum_bad;
	uint64_t rx_unknown_type;     /* answered with a BE, status 2 (RFC 6275 §9.2) */
	uint64_t rx_unexpected;	      /* well-formed, but not for this role or state */
	uint64_t pbu_retransmissions; /* MAG: §6.9.4 */
	uint64_t pbu_give_ups;	      /* MAG: no PBA after the last retry */
	uint64_t handoffs;	      /* LMA: Proxy-CoA changed (§5.3.4) */
	uint64_t bri_sent, bra_received, bri_received, bra_sent;       /* RFC 5846 */
	uint64_t hb_req_sent, hb_req_rcvd, hb_resp_sent, hb_resp_rcvd; /* RFC 5847 */
	uint64_t peers_down, peer_restarts;
	uint64_t tunnels_established, tunnels_released; /* pmip6{Mag,Lma}HomeTunnel{Established,Released} */
	uint64_t pool_exhausted;
};

#endif
