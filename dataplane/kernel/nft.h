/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-intent packet and byte counters of the kernel data plane: one
 * nftables table of its own, an element with a counter per intent in a
 * set per kind and prefix length (libnftables; nft.c has the layout).
 * Internal to dataplane/kernel.
 */
#ifndef DMM_DP_KERNEL_NFT_H
#define DMM_DP_KERNEL_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "dmm/types.h"

struct kdp_nft;

/* What one counter counts: the intent's match and action, and its addresses. */
struct kdp_nft_spec {
	uint32_t id;
	uint8_t match, action;	  /* enum dmm_fm_match, enum dmm_fm_action */
	struct dmm_prefix prefix; /* masked */
	struct dmm_addr local, peer;
	const char *iif; /* SRC: the access link, or NULL (any) */
	const char *oif; /* DELIVER: the link it sends on */
};

/*
 * Create the table "inet dmm_<proto>" with its chains, replacing a leftover
 * of that name. NULL on error (errno set, err filled).
 */
struct kdp_nft *kdp_nft_open(uint8_t proto, char *err, size_t errlen);

/* Delete the table with every counter and free n; accepts NULL. */
void kdp_nft_close(struct kdp_nft *n);

/*
 * Add the counter of s (comment "dmm <id>"): a set element, or a rule of
 * its own when its set already holds another intent's key. 0 or -errno
 * (message in kdp_nft_error()).
 */
int kdp_nft_add(struct kdp_nft *n, const struct kdp_nft_spec *s);

/* Delete the counter of intent id (added for an intent with that action). */
void kdp_nft_del(struct kdp_nft *n, uint32_t id, uint8_t action);

/* Number of intents counted (elements and rules of their own). */
uint32_t kdp_nft_count(const struct kdp_nft *n);

/*
 * Packets and bytes counted for intent id: an element's read from the
 * kernel (one GETSETELEM, the same cost however many elements there are),
 * a rule of its own's from one listing of the chains shared by the calls
 * within KDP_NFT_CACHE_MS. Bytes are those of the packet as the mobile
 * node sent or receives it: the 40-byte outer header of a tunnelled
 * packet is not included. 0, or -ESTALE when the counter is gone (someone
 * deleted it), or another -errno.
 */
int kdp_nft_read(struct kdp_nft *n, uint32_t id, uint8_t action, uint64_t *packets, uint64_t *bytes);

/*
 * Batching: between begin and commit, adding and deleting set elements
 * only queues them; commit sends them as nftables transactions of up to
 * 64 KiB of messages. If nftables refuses one, each change in it is sent
 * on its own, and fail(ctx, id, -errno) is called for
 * each counter that could not be added (it is then forgotten). Rules of
 * their own and new sets are still made at once. commit returns 0 or
 * the first error.
 */
void kdp_nft_begin(struct kdp_nft *n);
int kdp_nft_commit(struct kdp_nft *n, void (*fail)(void *ctx, uint32_t id, int err), void *ctx);

/* The last error message of n, or "". */
const char *kdp_nft_error(const struct kdp_nft *n);

#define KDP_NFT_CACHE_MS 100

#endif
