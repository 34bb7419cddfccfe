/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the RFC 4285 authentication path: the core's
 * dmm_mh_auth_find() and dmm_mh_auth_append(), and dmmd's verification
 * (daemon/auth.c) as a message from a peer with an association meets it.
 *
 * Invariants: nothing reads out of bounds or aborts; find and the full
 * decoder agree on where the Authentication option is (the last option,
 * with that SPI) whenever both accept the message; a forged message is
 * refused, and its answer (a PBA 146 or 144) is signed so that the peer
 * verifies it; whatever dmmd signs for the peer, the peer verifies and
 * the full decoder accepts with the option last.
 */
#include <stdlib.h>
#include <string.h>

#include "../../daemon/auth.h"
#include "dmm/err.h"
#include "dmm/mh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dmmd_sa_cfg sa_self, sa_peer; /* self's association with peer, and peer's with self */
static struct dmmd_auth self, peer;
static struct dmm_addr a_self = {{0x20, 0x01, 0x0d, 0xb8, 0, 0xa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
static struct dmm_addr a_peer = {{0x20, 0x01, 0x0d, 0xb8, 0, 0xb, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
static const uint64_t NTP_NOW = 0xe8e8e8e800000000ull;

static void setup(void)
{
	static const struct dmmd_sa_key k1 = {.spi = 4096, .alg = DMMD_AUTH_HMAC_SHA1_96, .keylen = 16,
					      .key = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
	static const struct dmmd_sa_key k2 = {.spi = 4097, .alg = DMMD_AUTH_HMAC_SHA256_128, .keylen = 32};

	sa_self = (struct dmmd_sa_cfg){.peer = a_peer, .nkeys = 2, .keys = {k1, k2}, .replay_window = 7};
	sa_peer = (struct dmmd_sa_cfg){.peer = a_self, .nkeys = 2, .keys = {k2, k1}, .replay_window = 7};
	dmmd_auth_init(&self, NULL);
	dmmd_auth_init(&peer, NULL);
	if (dmmd_auth_configure(&self, &sa_self, 1) < 0 || dmmd_auth_configure(&peer, &sa_peer, 1) < 0)
		abort();
}

/* find and decode agree about the option when both accept buf. */
static void agree(const uint8_t *buf, size_t len)
{
	static struct dmm_mh_msg m;
	struct dmm_mh_auth_span sp;
	int f = dmm_mh_auth_find(buf, len, &sp), d = dmm_mh_decode(&m, buf, len);

	if (f == 0 && (sp.data_len != sp.opt_off + 7 || sp.auth_off + sp.auth_len > sp.mh_len || sp.mh_len > len))
		abort();
	if (d < 0 || (f != 0 && f != DMM_ERR_NOTFOUND))
		return;
	if (f == DMM_ERR_NOTFOUND && dmm_mh_find_opt(&m, DMM_OPT_AUTH, NULL))
		abort();
	if (f == 0 && (m.nopts == 0 || m.opts[m.nopts - 1].type != DMM_OPT_AUTH ||
		       m.opts[m.nopts - 1].u.auth.spi != sp.spi))
		abort();
}

/* A message from the peer as the input has it: refused (it cannot carry a valid MAC), its answer verifiable. */
static void forged(const uint8_t *buf, size_t len)
{
	static uint8_t reply[DMM_MH_MAX_LEN];
	const struct dmm_addr *coa, *hoa;
	struct dmm_mh_auth_span sp;
	size_t rlen;

	if (dmmd_auth_rx(&self, &a_peer, &a_self, buf, len, NTP_NOW, 1, reply, sizeof(reply), &rlen))
		return; /* the fuzzer found a valid MAC: only possible by replaying what it was given */
	if (!rlen)
		return;
	dmmd_auth_order(reply, &a_self, &a_peer, &coa, &hoa);
	if (reply[2] != DMM_MH_BA || (reply[6] != DMM_BA_AUTH_FAILED && reply[6] != DMM_BA_MN_AUTH_FAILED) ||
	    dmmd_auth_verify(peer.peers[0].keys, &sa_peer, coa, hoa, reply, rlen, &sp) != DMMD_AUTH_OK)
		abort();
}

/* Signed by self for the peer: the peer verifies it, the decoder accepts it with the option last. */
static void signed_ok(const uint8_t *data, size_t size)
{
	static uint8_t buf[DMM_MH_MAX_LEN];
	static struct dmm_mh_msg m;
	uint64_t bad_before = peer.peers[0].refused[DMMD_AUTH_FAIL] + peer.peers[0].refused[DMMD_AUTH_BAD_SPI] +
			      peer.peers[0].refused[DMMD_AUTH_MISSING];
	uint8_t reply[DMM_MH_MAX_LEN];
	size_t rlen;
	int n;

	if (size > sizeof(buf))
		return;
	memcpy(buf, data, size);
	n = dmmd_auth_tx(&self, &a_self, &a_peer, buf, sizeof(buf), size, NTP_NOW);
	if (n < 0)
		return;
	dmmd_auth_rx(&peer, &a_self, &a_peer, buf, (size_t)n, NTP_NOW, 1, reply, sizeof(reply), &rlen);
	if (peer.peers[0].refused[DMMD_AUTH_FAIL] + peer.peers[0].refused[DMMD_AUTH_BAD_SPI] +
		    peer.peers[0].refused[DMMD_AUTH_MISSING] !=
	    bad_before)
		abort(); /* only a replayed timestamp of the input may be refused */
	if (dmm_mh_decode(&m, data, size) > 0 && m.nopts + 2 <= DMM_MH_MAX_OPTS &&
	    (dmm_mh_decode(&m, buf, (size_t)n) != n || m.opts[m.nopts - 1].type != DMM_OPT_AUTH))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		setup();
		ready = true;
	}
	agree(data, size);
	forged(data, size);
	signed_ok(data, size);
	return 0;
}
