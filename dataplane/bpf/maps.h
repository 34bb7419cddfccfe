/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The layout of the eBPF data plane's maps, shared by the program
 * (dmm.bpf.c) and its loader (bpf.c). bpf.c has the design.
 *
 * Every lookup key is a longest-prefix-match key: prefixlen counts the
 * bits of data that must match, most significant first, in byte order.
 * A key that starts with a fixed part (an interface index, a peer) puts
 * that part first and counts its bits in prefixlen too, so one trie
 * answers "this peer (or link), longest prefix of the address".
 */
#ifndef DMM_DP_BPF_MAPS_H
#define DMM_DP_BPF_MAPS_H

#include <linux/types.h>

#define DMM_BPF_MAX_INTENTS 262144 /* map capacity; counter slot 0 is "no intent" */

/* The actions, as in fm.h (enum dmm_fm_action). */
#define DMM_BPF_ENCAP 0
#define DMM_BPF_DECAP 1
#define DMM_BPF_DELIVER 2
#define DMM_BPF_BUFFER 3
#define DMM_BPF_DROP 4

/* dst: destination prefix (prefixlen = prefix length). */
struct dmm_bpf_dst_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* src: access link, then source prefix (prefixlen = 32 + prefix length; link 0: any link). */
struct dmm_bpf_src_key {
	__u32 prefixlen;
	__u8 ifindex[4]; /* big-endian */
	__u8 addr[16];
};

/* decap_dst, decap_src: outer source (the peer), then the inner destination or source prefix (128 + length). */
struct dmm_bpf_decap_key {
	__u32 prefixlen;
	__u8 peer[16];
	__u8 addr[16];
};

/* What the best intent of a key does. */
struct dmm_bpf_fwd {
	__u32 slot;    /* its counters */
	__u32 action;  /* DMM_BPF_* */
	__u32 ifindex; /* DELIVER: the access link */
	__u32 hold;    /* nonzero: arriving packets go to this device, the hold device (bpf.c) */
	__u8 peer[16]; /* ENCAP: the tunnel's far end */
};

/* Per intent and per CPU. */
struct dmm_bpf_ctr {
	__u64 packets;
	__u64 bytes;
};

#endif
