/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Signalling authentication (RFC 4285 §5.1 MN-HA option, §6 Replay
 * Protection option) for dmmd; see auth.h for the model and
 * docs/dmm-protocol.md for the choices PMIPv6 leaves open.
 *
 * Receive order (ARCHITECTURE.md rule 5, issue REQ7): locate the option,
 * select the key by SPI, check the MAC, then the Replay Protection
 * timestamp; only a message that passed all of them reaches the core,
 * so a refused one moves no binding, timer, peer entry or sequence
 * state. PBU and PBA keep the RFC 5213 §5.5 Timestamp check in the core.
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "dmm/bytes.h"
#include "dmm/err.h"
#include "dmm/fmt.h"

#define LOG_PER_SECOND 10
#define NTP_UNIX_OFFSET 2208988800ull /* seconds from 1900 to 1970 (RFC 1305) */

struct dmmd_auth_key {
	EVP_MAC_CTX *ctx;
	enum dmmd_auth_alg alg;
	uint32_t spi;
};

const char *dmmd_auth_reason_name(enum dmmd_auth_reason r)
{
	static const char *const n[] = {"ok", "auth-missing", "auth-bad-spi", "auth-fail", "replay"};

	return (unsigned)r < DMMD_AUTH_NREASONS ? n[r] : "?";
}

size_t dmmd_auth_alg_len(enum dmmd_auth_alg alg)
{
	return alg == DMMD_AUTH_HMAC_SHA256_128 ? 16 : 12; /* First(128, ...) or First(96, ...) */
}

struct dmmd_auth_key *dmmd_auth_key_new(const struct dmmd_sa_key *k)
{
	struct dmmd_auth_key *key = calloc(1, sizeof(*key));
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	char digest[16];
	OSSL_PARAM p[2];

	if (!key || !mac)
		goto err;
	snprintf(digest, sizeof(digest), "%s", k->alg == DMMD_AUTH_HMAC_SHA256_128 ? "SHA256" : "SHA1");
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	p[1] = OSSL_PARAM_construct_end();
	key->alg = k->alg;
	key->spi = k->spi;
	key->ctx = EVP_MAC_CTX_new(mac);
	/* The key goes into the context once; each message re-initialises it (EVP_MAC_init with no key). */
	if (!key->ctx || !EVP_MAC_init(key->ctx, k->key, k->keylen, p))
		goto err;
	EVP_MAC_free(mac);
	return key;
err:
	EVP_MAC_free(mac);
	dmmd_auth_key_free(key);
	return NULL;
}

void dmmd_auth_key_free(struct dmmd_auth_key *key)
{
	if (!key)
		return;
	EVP_MAC_CTX_free(key->ctx);
	free(key);
}

int dmmd_auth_mac(struct dmmd_auth_key *key, const struct dmm_addr *coa, const struct dmm_addr *hoa,
		  const uint8_t *buf, const struct dmm_mh_auth_span *sp, uint8_t *out)
{
	static const uint8_t zero[2];
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;

	/* RFC 4285 §5.1: coa | hoa | MH Data, the Checksum (octets 4-5) taken as 0. */
	if (!EVP_MAC_init(key->ctx, NULL, 0, NULL) || !EVP_MAC_update(key->ctx, coa->b, 16) ||
	    !EVP_MAC_update(key->ctx, hoa->b, 16) || !EVP_MAC_update(key->ctx, buf, 4) ||
	    !EVP_MAC_update(key->ctx, zero, 2) || !EVP_MAC_update(key->ctx, buf + 6, sp->data_len - 6) ||
	    !EVP_MAC_final(key->ctx, md, &mdlen, sizeof(md)) || mdlen < dmmd_auth_alg_len(key->alg))
		return -1;
	memcpy(out, md, dmmd_auth_alg_len(key->alg)); /* First(96 or 128, ...) */
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int dmmd_auth_sign(struct dmmd_auth_key *key, const struct dmm_addr *coa, const struct dmm_addr *hoa,
		   uint8_t *buf, size_t cap, size_t len, const uint64_t *mesgid)
{
	struct dmm_mh_auth_span sp;
	int n = dmm_mh_auth_append(buf, cap, len, key->spi, dmmd_auth_alg_len(key->alg), mesgid, &sp);

	if (n < 0)
		return n;
	/* RFC 4285 §5.1: computed with the option in place and its Authentication Data not yet there. */
	if (dmmd_auth_mac(key, coa, hoa, buf, &sp, buf + sp.auth_off) < 0)
		return DMM_ERR_INVAL;
	return n;
}

enum dmmd_auth_reason dmmd_auth_verify(struct dmmd_auth_key *const *keys, const struct dmmd_sa_cfg *sa,
				       const struct dmm_addr *coa, const struct dmm_addr *hoa,
				       const uint8_t *buf, size_t len, struct dmm_mh_auth_span *sp)
{
	uint8_t mac[DMM_MH_AUTH_DATA_MAX];
	struct dmmd_auth_key *key = NULL;
	int rc = dmm_mh_auth_find(buf, len, sp);

	if (rc == DMM_ERR_NOTFOUND)
		return DMMD_AUTH_MISSING;
	/* A message whose option cannot be located, or an option of another subtype, authenticates nothing. */
	if (rc < 0 || sp->subtype != DMM_MH_AUTH_MN_HA)
		return DMMD_AUTH_FAIL;
	for (uint32_t i = 0; i < sa->nkeys; i++)
		if (sa->keys[i].spi == sp->spi && keys[i])
			key = keys[i];
	if (!key)
		return DMMD_AUTH_BAD_SPI;
	if (sp->auth_len != dmmd_auth_alg_len(key->alg) || dmmd_auth_mac(key, coa, hoa, buf, sp, mac) < 0)
		return DMMD_AUTH_FAIL;
	return CRYPTO_memcmp(mac, buf + sp->auth_off, sp->auth_len) == 0 ? DMMD_AUTH_OK : DMMD_AUTH_FAIL;
}

/* RFC 5847 §3.3: the R flag (bit 15 of the flags after the header) marks a Heartbeat response. */
static bool is_answer(const uint8_t *buf)
{
	switch (buf[2]) {
	case DMM_MH_BA:
	case DMM_MH_BE:
	case DMM_MH_HACK:
	case DMM_MH_UPA:
		return true;
	case DMM_MH_HB:
		return buf[7] & DMM_HB_R;
	case DMM_MH_BR:
		return buf[6] == DMM_BR_BRA;
	default:
		return false;
	}
}

void dmmd_auth_order(const uint8_t *buf, const struct dmm_addr *src, const struct dmm_addr *dst,
		     const struct dmm_addr **coa, const struct dmm_addr **hoa)
{
	bool ans = is_answer(buf);

	*coa = ans ? dst : src;
	*hoa = ans ? src : dst;
}

uint64_t dmmd_auth_ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec + NTP_UNIX_OFFSET) << 32 | (((uint64_t)ts.tv_nsec << 32) / 1000000000u);
}

/* --- the daemon's state --- */

void dmmd_auth_init(struct dmmd_auth *a, const struct dmm_log *log)
{
	memset(a, 0, sizeof(*a));
	a->log = log;
}

void dmmd_auth_clear(struct dmmd_auth *a)
{
	for (uint32_t i = 0; i < a->n; i++)
		for (int k = 0; k < DMMD_SA_KEYS; k++)
			dmmd_auth_key_free(a->peers[i].keys[k]);
	memset(a->peers, 0, sizeof(a->peers));
	a->n = 0;
}

struct dmmd_auth_peer *dmmd_auth_peer(struct dmmd_auth *a, const struct dmm_addr *peer)
{
	for (uint32_t i = 0; i < a->n; i++)
		if (dmm_addr_eq(&a->peers[i].peer, peer))
			return &a->peers[i];
	return NULL;
}

int dmmd_auth_configure(struct dmmd_auth *a, const struct dmmd_sa_cfg *sa, uint32_t n)
{
	static struct dmmd_auth_peer np[DMMD_MAX_PEERS];

	if (n > DMMD_MAX_PEERS)
		return -1;
	memset(np, 0, sizeof(np));
	for (uint32_t i = 0; i < n; i++) {
		const struct dmmd_auth_peer *old = dmmd_auth_peer(a, &sa[i].peer);

		if (old) /* the counters and timestamps belong to the peer, not to the keys */
			np[i] = *old;
		memset(np[i].keys, 0, sizeof(np[i].keys));
		np[i].peer = sa[i].peer;
		np[i].sa = &sa[i];
		for (uint32_t k = 0; k < sa[i].nkeys && k < DMMD_SA_KEYS; k++) {
			np[i].keys[k] = dmmd_auth_key_new(&sa[i].keys[k]);
			if (np[i].keys[k])
				continue;
			for (uint32_t j = 0; j <= i; j++)
				for (int m = 0; m < DMMD_SA_KEYS; m++)
					dmmd_auth_key_free(np[j].keys[m]);
			return -1;
		}
	}
	dmmd_auth_clear(a);
	memcpy(a->peers, np, n * sizeof(np[0]));
	a->n = n;
	return 0;
}

static bool uses_mesgid(const uint8_t *buf)
{
	return buf[2] == DMM_MH_HB || buf[2] == DMM_MH_BR;
}

/*
 * RFC 4285 §6: close enough to our time of day (the association's
 * replay-window), and greater than every timestamp accepted before from
 * this peer in this direction.
 */
static bool fresh(const struct dmmd_auth_peer *p, int dir, uint64_t ts, uint64_t ntp_now)
{
	uint64_t d = ts > ntp_now ? ts - ntp_now : ntp_now - ts;

	return d <= (uint64_t)p->sa->replay_window << 32 && ts > p->last_ts[dir];
}

/*
 * After the MAC: Heartbeat and Binding Revocation messages carry a Replay
 * Protection option; a PBU may (an RFC 4285 peer), and then it is checked
 * too. PBU and PBA otherwise rely on the RFC 5213 §5.5 Timestamp the
 * core checks.
 */
static enum dmmd_auth_reason replay_check(const struct dmmd_auth_peer *p, const uint8_t *buf,
					  const struct dmm_mh_auth_span *sp, int dir, uint64_t ntp_now)
{
	if (uses_mesgid(buf) && !sp->has_mesgid)
		return DMMD_AUTH_REPLAY;
	if (sp->has_mesgid && !fresh(p, dir, sp->mesgid, ntp_now))
		return DMMD_AUTH_REPLAY;
	return DMMD_AUTH_OK;
}

/* A verified message: its timestamp becomes the one to beat; a PBU's is kept for its PBA. */
static void accepted(struct dmmd_auth_peer *p, const uint8_t *buf, const struct dmm_mh_auth_span *sp, int dir)
{
	p->refused[DMMD_AUTH_OK]++;
	if (!sp->has_mesgid)
		return;
	p->last_ts[dir] = sp->mesgid;
	if (buf[2] == DMM_MH_BU) {
		p->pbu_mesgid = sp->mesgid;
		p->pbu_seq = dmm_get_u16(buf + 6);
		p->has_pbu_mesgid = true;
	}
}

/* One refusal: counted; a log line within the budget of LOG_PER_SECOND (rule 5). */
static void refused(struct dmmd_auth *a, struct dmmd_auth_peer *p, enum dmmd_auth_reason r,
		    const uint8_t *buf, size_t len, dmm_time_t now)
{
	const struct dmm_mh_desc *d = len >= 8 ? dmm_mh_msg_desc(buf[2], buf[6]) : NULL;
	char s[DMM_ADDR_STRLEN];

	p->refused[r]++;
	if (now - a->rl_start >= DMM_SECOND || now < a->rl_start) {
		a->rl_start = now;
		a->rl_count = 0;
	}
	if (a->rl_count++ >= LOG_PER_SECOND)
		return;
	dmm_logf(a->log, DMM_LOG_WARN, DMM_LC_MH, "peer %s: %s (%zu bytes) refused: %s%s",
		 dmm_addr_str(&p->peer, s), d ? d->name : "message", len, dmmd_auth_reason_name(r),
		 r == DMMD_AUTH_BAD_SPI ? " (no key with that SPI)" : "");
}

/*
 * RFC 4285 §5.1.1 (146 MIPV6-AUTH-FAIL) and §6 (144 MIPV6-ID-MISMATCH):
 * the PBA that answers a refused PBU, echoing what it can of it (RFC 5213
 * §5.3.6: MN-ID, HNP, HI, ATT, Timestamp and the sequence number) so the
 * peer can match it, authenticated with the association. 0 when the PBU
 * is too broken to answer.
 */
static size_t answer_pbu(struct dmmd_auth *a, struct dmmd_auth_peer *p, const struct dmm_addr *src,
			 const struct dmm_addr *dst, const uint8_t *buf, size_t len, enum dmmd_auth_reason r,
			 const struct dmm_mh_auth_span *sp, uint64_t ntp_now, uint8_t *reply, size_t cap)
{
	struct dmm_mh_msg *pbu = &a->in, *pba = &a->out;
	uint64_t ts;
	int n;

	dmm_mh_decode(pbu, buf, len);
	if (pbu->decoded < DMM_MH_DEC_FIXED || pbu->type != DMM_MH_BU || !p->keys[0])
		return 0;
	dmm_mh_init(pba, DMM_MH_BA);
	pba->u.ba.status = r == DMMD_AUTH_REPLAY ? DMM_BA_MN_AUTH_FAILED : DMM_BA_AUTH_FAILED;
	pba->u.ba.flags = pbu->u.bu.flags & DMM_BU_P ? DMM_BA_P : 0;
	pba->u.ba.seq = pbu->u.bu.seq;
	dmm_mh_pba_echo(pba, pbu); /* what does not fit is left out; the MN-ID comes first */
	n = dmm_mh_encode(reply, cap, pba);
	if (n < 0)
		return 0;
	/* §6: a timestamp found invalid comes back with its low 32 bits and our time of day above them. */
	ts = (ntp_now & ~0xffffffffull) | (sp->mesgid & 0xffffffffull);
	n = dmmd_auth_sign(p->keys[0], src, dst, reply, cap, (size_t)n, r == DMMD_AUTH_REPLAY ? &ts : NULL);
	if (n < 0)
		return 0;
	p->sent++;
	return (size_t)n;
}

/*
 * RFC 4285 §5.1.1: "If the Home Agent does not have shared-key-based
 * mobility SA, Home Agent MUST discard the BU." A PBU that carries an
 * Authentication option from a peer without an association is discarded
 * (counted, logged within the budget); other messages from such a peer
 * are handled as without authentication.
 */
static bool signed_pbu_without_sa(struct dmmd_auth *a, const struct dmm_addr *src, const uint8_t *buf,
				  size_t len, dmm_time_t now)
{
	struct dmm_mh_auth_span sp;
	char s[DMM_ADDR_STRLEN];

	if (len < 8 || buf[2] != DMM_MH_BU || dmm_mh_auth_find(buf, len, &sp) != 0)
		return false;
	a->no_sa++;
	if (now - a->rl_start >= DMM_SECOND || now < a->rl_start) {
		a->rl_start = now;
		a->rl_count = 0;
	}
	if (a->rl_count++ < LOG_PER_SECOND)
		dmm_logf(a->log, DMM_LOG_WARN, DMM_LC_MH,
			 "peer %s: PBU with an Authentication option (SPI %u) discarded: no association",
			 dmm_addr_str(src, s), sp.spi);
	return true;
}

bool dmmd_auth_rx(struct dmmd_auth *a, const struct dmm_addr *src, const struct dmm_addr *dst,
		  const uint8_t *buf, size_t len, uint64_t ntp_now, dmm_time_t now, uint8_t *reply,
		  size_t cap, size_t *reply_len)
{
	struct dmmd_auth_peer *p = dmmd_auth_peer(a, src);
	const struct dmm_addr *coa, *hoa;
	struct dmm_mh_auth_span sp;
	enum dmmd_auth_reason r;
	int dir;

	*reply_len = 0;
	if (!p)
		return !signed_pbu_without_sa(a, src, buf, len, now);
	memset(&sp, 0, sizeof(sp));
	if (len < 8) {
		refused(a, p, DMMD_AUTH_FAIL, buf, len, now);
		return false;
	}
	dir = is_answer(buf);
	dmmd_auth_order(buf, src, dst, &coa, &hoa);
	r = dmmd_auth_verify(p->keys, p->sa, coa, hoa, buf, len, &sp);
	if (r == DMMD_AUTH_OK)
		r = replay_check(p, buf, &sp, dir, ntp_now);
	if (r == DMMD_AUTH_OK) {
		accepted(p, buf, &sp, dir);
		return true;
	}
	refused(a, p, r, buf, len, now);
	/* RFC 4285 §5: a message without the option is discarded silently. */
	if (r != DMMD_AUTH_MISSING && buf[2] == DMM_MH_BU)
		*reply_len = answer_pbu(a, p, src, dst, buf, len, r, &sp, ntp_now, reply, cap);
	return false;
}

int dmmd_auth_tx(struct dmmd_auth *a, const struct dmm_addr *src, const struct dmm_addr *dst, uint8_t *buf,
		 size_t cap, size_t len, uint64_t ntp_now)
{
	struct dmmd_auth_peer *p = dmmd_auth_peer(a, dst);
	const struct dmm_addr *coa, *hoa;
	const uint64_t *tsp = NULL;
	uint64_t ts;
	int n;

	if (!p)
		return (int)len;
	if (len < 12 || !p->keys[0])
		return DMM_ERR_INVAL;
	dmmd_auth_order(buf, src, dst, &coa, &hoa);
	if (uses_mesgid(buf)) { /* RFC 4285 §6: each one greater than any before */
		ts = ntp_now > a->last_tx_ts ? ntp_now : a->last_tx_ts + 1;
		a->last_tx_ts = ts;
		tsp = &ts;
	} else if (buf[2] == DMM_MH_BA && p->has_pbu_mesgid && dmm_get_u16(buf + 8) == p->pbu_seq) {
		tsp = &p->pbu_mesgid; /* §6: the PBA carries the PBU's Replay Protection option back */
		p->has_pbu_mesgid = false;
	}
	n = dmmd_auth_sign(p->keys[0], coa, hoa, buf, cap, len, tsp);
	if (n >= 0)
		p->sent++;
	return n;
}
