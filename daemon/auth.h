/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Signalling authentication (RFC 4285) between dmmd and the peers it has
 * a mobility security association with (dmm:node/security).
 *
 * The MAC (libcrypto's HMAC) lives here, outside the pure core; the core
 * codec only finds and appends the options (dmm_mh_auth_find(),
 * dmm_mh_auth_append()). RFC 4285 §5.1 authenticates "care-of address |
 * home address | MH Data"; PMIPv6 has no such addresses, so dmmd uses the
 * address of the node that sends the request (PBU, Heartbeat Request, BRI)
 * then the address of the node that answers it (docs/dmm-protocol.md,
 * "Signalling authentication").
 *
 * Two layers: the MAC of one message with one key (dmmd_auth_key_*,
 * dmmd_auth_sign, dmmd_auth_verify), used by tools and tests too; and the
 * per-daemon state (struct dmmd_auth) that main.c calls on every message
 * received from and sent to a peer: verification before the core sees a
 * message, the answers RFC 4285 §5.1.1 and §6 ask for, the Replay
 * Protection timestamps of Heartbeat and Binding Revocation messages,
 * counters per peer and reason, and rate-limited logs. Key octets are
 * never logged or shown.
 */
#ifndef DMMD_AUTH_H
#define DMMD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dmm/log.h"
#include "dmm/mh.h"

/* Why a message was refused; index of struct dmmd_auth_peer.refused. */
enum dmmd_auth_reason {
	DMMD_AUTH_OK,
	DMMD_AUTH_MISSING, /* no Authentication option (RFC 4285 §5: discarded silently) */
	DMMD_AUTH_BAD_SPI, /* an SPI the association has no key for */
	DMMD_AUTH_FAIL,	   /* the authenticator, the option or the message is wrong */
	DMMD_AUTH_REPLAY,  /* Replay Protection option missing, old or outside the window (RFC 4285 §6) */
	DMMD_AUTH_NREASONS,
};

/* "ok", "auth-missing", "auth-bad-spi", "auth-fail", "replay". */
const char *dmmd_auth_reason_name(enum dmmd_auth_reason r);

/* Octets of Authentication Data of alg: 12 (hmac-sha1-96) or 16 (hmac-sha256-128). */
size_t dmmd_auth_alg_len(enum dmmd_auth_alg alg);

/* A key ready to MAC with (libcrypto context holding the key); opaque. */
struct dmmd_auth_key;

/* A MAC context for k (copied: k may go). NULL when libcrypto fails. Free with dmmd_auth_key_free (NULL ok). */
struct dmmd_auth_key *dmmd_auth_key_new(const struct dmmd_sa_key *k);
void dmmd_auth_key_free(struct dmmd_auth_key *key);

/*
 * RFC 4285 §5.1: Authentication Data = First(n, HMAC(key, coa | hoa | MH
 * Data)) of the message buf described by sp, into out (n octets, n =
 * dmmd_auth_alg_len). 0, or -1 when libcrypto fails.
 */
int dmmd_auth_mac(struct dmmd_auth_key *key, const struct dmm_addr *coa, const struct dmm_addr *hoa,
		  const uint8_t *buf, const struct dmm_mh_auth_span *sp, uint8_t *out);

/*
 * Append the Authentication option (and, with mesgid, the Replay
 * Protection option before it) to the encoded message buf[0, len) and
 * fill it in. Returns the new length or a DMM_ERR_* (buf unchanged).
 */
int dmmd_auth_sign(struct dmmd_auth_key *key, const struct dmm_addr *coa, const struct dmm_addr *hoa,
		   uint8_t *buf, size_t cap, size_t len, const uint64_t *mesgid);

/*
 * Verify the Authentication option of buf[0, len) against the nkeys keys
 * (their SPIs sa->keys[i].spi select them). DMMD_AUTH_OK with *sp filled,
 * or why not. Compares in constant time (CRYPTO_memcmp).
 */
enum dmmd_auth_reason dmmd_auth_verify(struct dmmd_auth_key *const *keys, const struct dmmd_sa_cfg *sa,
				       const struct dmm_addr *coa, const struct dmm_addr *hoa,
				       const uint8_t *buf, size_t len, struct dmm_mh_auth_span *sp);

/*
 * Mobility Data's two addresses for a message from src to dst: the node
 * that sent the request, then the node that answers it (a PBA, a
 * Heartbeat response, a BRA, a Binding Error or an acknowledgement is an
 * answer). buf holds at least 8 octets.
 */
void dmmd_auth_order(const uint8_t *buf, const struct dmm_addr *src, const struct dmm_addr *dst,
		     const struct dmm_addr **coa, const struct dmm_addr **hoa);

/* The current time of day in NTP format (RFC 4285 §6, RFC 1305): seconds since 1900 << 32 | fraction. */
uint64_t dmmd_auth_ntp_now(void);

/* --- the daemon's state --- */

/* The state of one association: its keys' contexts, replay state and counters. */
struct dmmd_auth_peer {
	struct dmm_addr peer;
	const struct dmmd_sa_cfg *sa; /* borrowed from the running config */
	struct dmmd_auth_key *keys[DMMD_SA_KEYS];
	uint64_t refused[DMMD_AUTH_NREASONS]; /* [DMMD_AUTH_OK] counts the verified */
	uint64_t sent;			      /* messages signed */
	/* RFC 4285 §6: the last accepted Replay Protection timestamp, per direction (0 requests, 1 answers). */
	uint64_t last_ts[2];
	/* A PBU's Replay Protection timestamp, for its PBA (RFC 4285 §6: "MUST include"). */
	uint64_t pbu_mesgid;
	uint16_t pbu_seq;
	bool has_pbu_mesgid;
};

struct dmmd_auth {
	const struct dmm_log *log;
	uint32_t n;
	struct dmmd_auth_peer peers[DMMD_MAX_PEERS];
	uint64_t last_tx_ts; /* the sender's timestamps only go up */
	uint64_t no_sa;	     /* signed PBUs from peers without an association, discarded (RFC 4285 §5.1.1) */
	dmm_time_t rl_start; /* log budget of the current second */
	uint32_t rl_count;
	struct dmm_mh_msg in, out; /* scratch for the answers (no allocation per message) */
};

/* A zeroed state logging to log (borrowed). */
void dmmd_auth_init(struct dmmd_auth *a, const struct dmm_log *log);

/*
 * Take the associations of a (new) running config: sa[0, n) is borrowed
 * until the next call. The state (counters, timestamps) of a peer that
 * keeps an association is kept. 0, or -1 when libcrypto fails (the old
 * state is then kept whole).
 */
int dmmd_auth_configure(struct dmmd_auth *a, const struct dmmd_sa_cfg *sa, uint32_t n);

/* Free the key contexts; the state is then empty. */
void dmmd_auth_clear(struct dmmd_auth *a);

/* The state of peer's association, or NULL when it has none. */
struct dmmd_auth_peer *dmmd_auth_peer(struct dmmd_auth *a, const struct dmm_addr *peer);

/*
 * A message buf[0, len) received from src at dst. True when it goes on to
 * the core: src has no association, or it verified. False when it is
 * refused (counted, logged within a budget); *reply_len is then the
 * length of the answer written to reply (0: none) to send to src as it
 * is: a PBA with status 146 (MIPV6-AUTH-FAIL, RFC 4285 §5.1.1) or 144
 * (MIPV6-ID-MISMATCH, §6) echoing the PBU's MN-ID and sequence number.
 */
bool dmmd_auth_rx(struct dmmd_auth *a, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const uint8_t *buf, size_t len, uint64_t ntp_now, dmm_time_t now, uint8_t *reply,
		  size_t cap, size_t *reply_len);

/*
 * A message buf[0, len) (cap octets of room) about to go from src to dst:
 * signed in place when dst has an association (with a Replay Protection
 * option for Heartbeat and Binding Revocation messages). Returns the
 * length to send, or a DMM_ERR_* when it cannot be signed (not to be sent).
 */
int dmmd_auth_tx(struct dmmd_auth *a, const struct dmm_addr *src, const struct dmm_addr *dst, uint8_t *buf,
		 size_t cap, size_t len, uint64_t ntp_now);

#endif
