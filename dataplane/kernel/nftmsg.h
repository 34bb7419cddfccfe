/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nftables set elements as nfnetlink messages (libmnl), for the counters
 * of the kernel data plane (nft.c): adding and deleting an element in one
 * transaction of many, and reading one element's counter, each at a cost
 * that does not depend on how many elements the set holds. Internal to
 * dataplane/kernel.
 */
#ifndef DMM_DP_KERNEL_NFTMSG_H
#define DMM_DP_KERNEL_NFTMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../nl.h"

/* The process's NETLINK_NETFILTER sockets at one moment. */
#define KDP_NFFDS_MAX 64
struct kdp_nffds {
	int fd[KDP_NFFDS_MAX];
	unsigned n;
};

/* Every NETLINK_NETFILTER socket among this process's descriptors (/proc/self/fd). */
void kdp_nffds_scan(struct kdp_nffds *s);

/* The one socket in after that is not in before, or -1 (none, or more than one). */
int kdp_nffds_new(const struct kdp_nffds *before, const struct kdp_nffds *after);

/*
 * 0 if the socket fd may change table "inet <table>": a transaction that
 * sets the table's flags to what they are (owner), refused with EPERM
 * when another socket owns it. Else -errno.
 */
int kdp_nfmsg_owner_probe(int fd, const char *table);

/*
 * Into buf (MNL_SOCKET_BUFFER_SIZE): a NFT_MSG_NEWSETELEM (comment
 * "dmm <id>", the set's counter is added by the kernel), DELSETELEM or
 * GETSETELEM of the element key[0 .. klen-1] of set "inet table set".
 */
struct nlmsghdr *kdp_nfmsg_elem(char *buf, uint8_t cmd, const char *table, const char *set,
				const uint8_t *key, unsigned klen, uint32_t id);

/*
 * Send messages first .. first+count-1 of b (elements of kdp_nfmsg_elem)
 * on fd as one nftables transaction, and read the answers. Returns 0 when
 * the kernel applied them all; 1 when it refused the transaction (then
 * none of it was applied; the entries the kernel named hold their error,
 * the others 0); -errno when the socket failed.
 */
int kdp_nfmsg_batch(int fd, struct dmm_nl_batch *b, unsigned first, unsigned count);

/*
 * The counter of one element (GETSETELEM for that key, on nl: reading
 * needs no ownership). 0, -ENOENT when the set has no such element, or
 * another -errno.
 */
int kdp_nfmsg_get(struct dmm_nl *nl, const char *table, const char *set, const uint8_t *key, unsigned klen,
		  uint64_t *packets, uint64_t *bytes);

/* One counter expression (NFTA_EXPR_*): its packets and bytes; false if it is not a counter. */
bool kdp_nfmsg_counter(const struct nlattr *expr, uint64_t *packets, uint64_t *bytes);

/* The intent id of an element's user data: nft's comment "dmm ID" (type 0 of its TLVs). */
bool kdp_nfmsg_comment(const struct nlattr *ud, uint32_t *id);

#endif
