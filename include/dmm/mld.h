/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Multicast Listener Discovery: the codec (MLDv1, RFC 2710 §3; MLDv2,
 * RFC 3810 §5) and the listener state of a multicast router on its
 * access links (RFC 3810 §7, as an MLD proxy's downstream side, RFC 4605
 * §4.1; RFC 6224 §4 puts it at the MAG).
 *
 * The input of the decoder is one ICMPv6 message (the raw socket's
 * payload, without the IPv6 header); the kernel has checked the ICMPv6
 * checksum, the caller checks hop limit 1 and the link-local source
 * (RFC 3810 §5.1.14, §5.2.13).
 */
#ifndef DMM_MLD_H
#define DMM_MLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dmm/types.h"

#define DMM_MLD_QUERY 130     /* RFC 2710 §3.6, RFC 3810 §5.1 */
#define DMM_MLD_V1_REPORT 131 /* RFC 2710 §3.6 */
#define DMM_MLD_V1_DONE 132   /* RFC 2710 §3.6 */
#define DMM_MLD_V2_REPORT 143 /* RFC 3810 §5.2 */

/* Multicast Address Record types (RFC 3810 §5.2.12). */
enum dmm_mld_rec_type {
	DMM_MLD_IS_IN = 1,
	DMM_MLD_IS_EX = 2,
	DMM_MLD_TO_IN = 3,
	DMM_MLD_TO_EX = 4,
	DMM_MLD_ALLOW = 5,
	DMM_MLD_BLOCK = 6,
};

#define DMM_MLD_MAX_REC 64  /* records of one report kept (more: DMM_ERR_NOMEM) */
#define DMM_MLD_MAX_SRC 128 /* sources of one message kept, all records together */

struct dmm_mld_rec {
	uint8_t type; /* enum dmm_mld_rec_type; others are decoded and ignored by the state */
	struct dmm_addr group;
	uint16_t src_off, nsrc; /* sources: msg.src[src_off .. src_off + nsrc - 1] */
};

struct dmm_mld_msg {
	uint8_t type;	 /* DMM_MLD_* */
	uint8_t version; /* 1 or 2 (a query of 24 octets is v1, of 28 or more v2: RFC 3810 §8.1) */
	/* Query: Maximum Response Code (v1: the delay in ms), group (:: general), S, QRV, QQIC. */
	uint16_t max_resp_code;
	struct dmm_addr group; /* also the group of a v1 Report or Done */
	bool s_flag;
	uint8_t qrv, qqic;
	/* v2 Report. */
	uint16_t nrec;
	struct dmm_mld_rec rec[DMM_MLD_MAX_REC];
	/* Sources of a v2 query (src[0 .. nsrc-1]) or of the records. */
	uint16_t nsrc;
	struct dmm_addr src[DMM_MLD_MAX_SRC];
};

/*
 * Decode one MLD message from buf (ICMPv6 header first). Returns len, or
 * DMM_ERR_TRUNCATED (shorter than its fixed part or than its records
 * say), DMM_ERR_INVAL (not an MLD type, code not 0, a query neither 24
 * nor 28+ octets), DMM_ERR_NOMEM (more records or sources than kept).
 * Auxiliary data of records is skipped (RFC 3810 §5.2.10).
 */
int dmm_mld_decode(struct dmm_mld_msg *out, const uint8_t *buf, size_t len);

/*
 * Encode m into buf (checksum field 0: the kernel fills it on a raw
 * ICMPv6 socket). Returns the length or DMM_ERR_NOBUF; DMM_ERR_INVAL
 * for a type that is not MLD or indices past nsrc.
 */
int dmm_mld_encode(uint8_t *buf, size_t cap, const struct dmm_mld_msg *m);

/* Maximum Response Code <-> ms (RFC 3810 §5.1.3); ms too large for the code saturate. */
uint32_t dmm_mld_code_ms(uint16_t code);
uint16_t dmm_mld_ms_code(uint32_t ms);
/* Querier's Query Interval Code <-> seconds (RFC 3810 §5.1.9). */
uint32_t dmm_mld_qqic_s(uint8_t qqic);
uint8_t dmm_mld_s_qqic(uint32_t s);

/* --- listener state (RFC 3810 §7) --- */

/* Timer settings (RFC 3810 §9): robustness, query interval, response interval, last listener interval. */
struct dmm_mld_timers {
	uint8_t robustness;	   /* §9.1, 2 by default */
	dmm_time_t query_interval; /* §9.2, 125 s */
	dmm_time_t response;	   /* §9.3, 10 s */
	dmm_time_t last_listener;  /* §9.8, 1 s */
};

/* Defaults of RFC 3810 §9. */
void dmm_mld_timers_default(struct dmm_mld_timers *t);
/* Multicast Address Listening Interval (§9.4): robustness × query interval + response. */
dmm_time_t dmm_mld_mali(const struct dmm_mld_timers *t);
/* Last Listener Query Time (§9.14): last listener interval × last listener query count (= robustness). */
dmm_time_t dmm_mld_llqt(const struct dmm_mld_timers *t);

#define DMM_MLD_TAB_MAX 512 /* (link, group) entries of a table */

struct dmm_mld_entry {
	uint32_t link; /* caller's link id; 0: free */
	struct dmm_addr group;
	dmm_time_t expires;    /* group timer */
	dmm_time_t next_query; /* a group-specific query due (DMM_TIME_NEVER: none) */
	uint8_t queries_left;  /* group-specific queries still to send (§7.6.3.1) */
};

/* What a report, a timer or a link that went away changed. */
enum dmm_mld_what {
	DMM_MLD_JOINED,	  /* the first listener of group on link */
	DMM_MLD_LEFT,	  /* no listener of group on link any more */
	DMM_MLD_SEND_GSQ, /* send a Multicast Address Specific Query for group on link */
};

struct dmm_mld_change {
	uint8_t what; /* enum dmm_mld_what */
	uint32_t link;
	struct dmm_addr group;
};

/*
 * The listener table of a router's links: one filter state per (link,
 * group), reduced to "listeners or not" (any source forwarded: an MLD
 * proxy forwards groups, RFC 4605 §4.1, and the upstream join is per
 * group). The caller allocates it (it is large) and calls init.
 */
struct dmm_mld_tab {
	struct dmm_mld_timers t;
	uint32_t n; /* entries in use */
	uint64_t joins, leaves, expiries, ignored;
	struct dmm_mld_entry e[DMM_MLD_TAB_MAX];
};

void dmm_mld_tab_init(struct dmm_mld_tab *tab, const struct dmm_mld_timers *t);

/*
 * A report (v1 Report or Done, or v2 Report) received on link at now
 * (RFC 3810 §7.4, §7.6.3.1; RFC 2710 §4): writes at most cap changes to
 * out and returns their number, or DMM_ERR_INVAL when m is no report.
 * Groups of link-local scope or less (ff0X:: with X <= 2) are not
 * routed and ignored (RFC 4605 §4.1). A full table ignores new groups
 * (counted).
 */
int dmm_mld_report(struct dmm_mld_tab *tab, uint32_t link, const struct dmm_mld_msg *m, dmm_time_t now,
		   struct dmm_mld_change *out, size_t cap);

/* True when link has a listener of group. */
bool dmm_mld_listening(const struct dmm_mld_tab *tab, uint32_t link, const struct dmm_addr *group);

/* True when some link has a listener of group. */
bool dmm_mld_any_listener(const struct dmm_mld_tab *tab, const struct dmm_addr *group);

/* The link went away: every group of it is left (written to out, as many as fit; returns that number). */
int dmm_mld_link_gone(struct dmm_mld_tab *tab, uint32_t link, struct dmm_mld_change *out, size_t cap);

/* The earliest group timer or query due (DMM_TIME_NEVER: none). */
dmm_time_t dmm_mld_next_expiry(const struct dmm_mld_tab *tab);

/* Timers due at now: group-specific queries to send and groups left (at most cap; returns the number). */
int dmm_mld_expire(struct dmm_mld_tab *tab, dmm_time_t now, struct dmm_mld_change *out, size_t cap);

#endif
