/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eBPF data plane's packet path: one TC ingress program (clsact) on
 * the access and core interfaces. bpf.c has the design; maps.h the maps.
 *
 *   IPv6, next header 41, to our tunnel address:
 *       decap_dst / decap_src (outer source, inner address) -> strip the
 *       outer header and count; inner destination with a DELIVER intent:
 *       on to its link; else forwarded (FIB lookup, redirect) or handed
 *       to the stack. No DECAP intent for that peer: dropped, counted
 *       under slot 0.
 *   else dst (destination), then src (link, source): ENCAP, DELIVER,
 *       DROP, BUFFER (a SRC one drops and counts);
 *   a dst entry with a hold device (a DST BUFFER, or one being released:
 *       bpf.c) sends arriving packets, decapsulated ones too, to that
 *       device, whose reader holds them;
 *   anything else: TC_ACT_OK, the stack's.
 *
 * Built with clang -target bpf, embedded in dmmd (bpftool gen skeleton).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"

#ifndef AF_INET6
#define AF_INET6 10
#endif
#define ETH_LEN 14
#define IP6_LEN 40
#define HOP_LIMIT 64   /* RFC 2473 §6.3: the tunnel entry point's hop limit, as the user backend writes it */
#define PTB_QUOTE 1232 /* RFC 4443 §3.2: as much of the packet as fits in 1280 bytes */
#define MIN_MTU 1280
#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV6
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8) /* Linux 6.3 */
#endif

/* The tunnel address (cfg.local), set by the loader before the program loads. */
const volatile __u8 local_addr[16];

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct dmm_bpf_dst_key);
	__type(value, struct dmm_bpf_fwd);
	__uint(max_entries, DMM_BPF_MAX_INTENTS);
} dst SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct dmm_bpf_src_key);
	__type(value, struct dmm_bpf_fwd);
	__uint(max_entries, DMM_BPF_MAX_INTENTS);
} src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct dmm_bpf_decap_key);
	__type(value, __u32); /* counter slot */
	__uint(max_entries, DMM_BPF_MAX_INTENTS);
} decap_dst SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct dmm_bpf_decap_key);
	__type(value, __u32);
	__uint(max_entries, DMM_BPF_MAX_INTENTS);
} decap_src SEC(".maps");

/* This node's own addresses: a SRC intent leaves packets to them to the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct in6_addr);
	__type(value, __u8);
	__uint(max_entries, 1024);
} local SEC(".maps");

/*
 * Interfaces that are veths with their peer in another namespace (tc.c):
 * a packet for one enters the peer's receive path at once
 * (bpf_redirect_peer), not through the veth's transmit and backlog.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u8);
	__uint(max_entries, 256);
} veth_peer SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct dmm_bpf_ctr);
	__uint(max_entries, DMM_BPF_MAX_INTENTS + 1);
} counters SEC(".maps");

static __always_inline void count(__u32 slot, __u64 bytes)
{
	struct dmm_bpf_ctr *c = bpf_map_lookup_elem(&counters, &slot);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/* The tunnel address, read through volatile: the compiler must not fold the zeros it was declared with. */
static __always_inline void local_copy(void *dst)
{
	const volatile __u64 *l = (const volatile __u64 *)local_addr;
	__u64 a = l[0], b = l[1];

	__builtin_memcpy(dst, &a, 8);
	__builtin_memcpy(dst + 8, &b, 8);
}

static __always_inline int addr_eq(const __u8 *a, const volatile __u8 *b)
{
	const volatile __u64 *x = (const volatile __u64 *)a, *y = (const volatile __u64 *)b;

	return x[0] == y[0] && x[1] == y[1];
}

/* a == b, 16 octets each, both 4-aligned (a key's address after its 32-bit prefix length). */
static __always_inline int addr_eq32(const __u8 *a, const __u8 *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/* The IPv6 header at offset off, or NULL (pulled into the linear area if it must be). */
static __always_inline struct ipv6hdr *ip6_at(struct __sk_buff *skb, __u32 off)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	if (data + off + IP6_LEN > end) {
		if (bpf_skb_pull_data(skb, off + IP6_LEN) < 0)
			return 0;
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
		if (data + off + IP6_LEN > end)
			return 0;
	}
	return data + off;
}

static __always_inline void set_eth(struct __sk_buff *skb, const __u8 *dmac, const __u8 *smac)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	if (data + ETH_LEN > end)
		return;
	__builtin_memcpy(eth->h_dest, dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, smac, ETH_ALEN);
}

/*
 * Send the IPv6 packet at the start of skb's network header on to daddr
 * along the kernel's FIB (the route, the neighbour), as the routing path
 * would but without its second pass: fib_rc from bpf_fib_lookup() made
 * with fib. TC_ACT_REDIRECT, or TC_ACT_OK (the stack's: no route here,
 * a local address) or TC_ACT_SHOT.
 */
static __always_inline int send_fib(struct bpf_fib_lookup *fib, long fib_rc)
{
	if (fib_rc == BPF_FIB_LKUP_RET_SUCCESS) {
		__u32 ifx = fib->ifindex;

		if (bpf_map_lookup_elem(&veth_peer, &ifx))
			return bpf_redirect_peer(ifx, 0);
		return bpf_redirect(ifx, 0);
	}
	if (fib_rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		struct bpf_redir_neigh nh = {.nh_family = AF_INET6};

		__builtin_memcpy(nh.ipv6_nh, fib->ipv6_dst, 16);
		return bpf_redirect_neigh(fib->ifindex, &nh, sizeof(nh), 0);
	}
	return TC_ACT_OK;
}

static __always_inline void fib_fill(struct bpf_fib_lookup *fib, struct __sk_buff *skb,
				     const struct ipv6hdr *ip, __u16 tot_len)
{
	fib->family = AF_INET6;
	fib->ifindex = skb->ingress_ifindex;
	fib->l4_protocol = ip->nexthdr;
	fib->tot_len = tot_len;
	__builtin_memcpy(fib->ipv6_src, &ip->saddr, 16);
	__builtin_memcpy(fib->ipv6_dst, &ip->daddr, 16);
}

/* The 16-bit one's complement of a 32-bit sum. */
static __always_inline __u16 fold(__s64 sum)
{
	__u32 s = (__u32)sum;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/*
 * The packet (too big for the tunnel by mtu) turned into the ICMPv6
 * Packet Too Big (RFC 4443 §3.2) its source should get, sent back out of
 * the interface it came in on, from the tunnel address. RFC 2473 §7.1: the
 * tunnel entry point reports the tunnel MTU (the path MTU less the
 * 40-byte outer header) to the packet's source.
 */
static __noinline int packet_too_big(struct __sk_buff *skb, __u32 mtu)
{
	struct ipv6hdr *ip = ip6_at(skb, ETH_LEN);
	__u8 to[16], dmac[ETH_ALEN], smac[ETH_ALEN];
	struct {
		__u8 src[16], dst[16];
		__be32 len, nxt;
	} ph;
	void *data, *end;
	struct ethhdr *eth;
	__u8 *icmp;
	__s64 sum;

	if (!ip)
		return TC_ACT_SHOT;
	__builtin_memcpy(to, &ip->saddr, 16);
	data = (void *)(long)skb->data;
	eth = data;
	if (data + ETH_LEN > (void *)(long)skb->data_end)
		return TC_ACT_SHOT;
	__builtin_memcpy(dmac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(smac, eth->h_dest, ETH_ALEN);
	if (bpf_skb_change_tail(skb, ETH_LEN + PTB_QUOTE, 0) < 0 ||
	    bpf_skb_adjust_room(skb, IP6_LEN + 8, BPF_ADJ_ROOM_MAC, 0) < 0 || bpf_skb_pull_data(skb, 0) < 0)
		return TC_ACT_SHOT;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + ETH_LEN + IP6_LEN + 8 + PTB_QUOTE > end)
		return TC_ACT_SHOT;
	eth = data;
	__builtin_memcpy(eth->h_dest, dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, smac, ETH_ALEN);
	ip = data + ETH_LEN;
	*(__be32 *)ip = bpf_htonl(0x60000000);
	ip->payload_len = bpf_htons(8 + PTB_QUOTE);
	ip->nexthdr = IPPROTO_ICMPV6;
	ip->hop_limit = 255;
	local_copy(&ip->saddr);
	__builtin_memcpy(&ip->daddr, to, 16);
	icmp = data + ETH_LEN + IP6_LEN;
	icmp[0] = 2; /* Packet Too Big */
	icmp[1] = 0;
	icmp[2] = icmp[3] = 0;
	*(__be32 *)(icmp + 4) = bpf_htonl(mtu < MIN_MTU ? MIN_MTU : mtu);
	local_copy(ph.src);
	__builtin_memcpy(ph.dst, to, 16);
	ph.len = bpf_htonl(8 + PTB_QUOTE);
	ph.nxt = bpf_htonl(IPPROTO_ICMPV6);
	sum = bpf_csum_diff(0, 0, (__be32 *)&ph, sizeof(ph), 0);
	sum = bpf_csum_diff(0, 0, (__be32 *)icmp, 512, (__u32)sum);
	sum = bpf_csum_diff(0, 0, (__be32 *)(icmp + 512), 512, (__u32)sum);
	sum = bpf_csum_diff(0, 0, (__be32 *)(icmp + 1024), 8 + PTB_QUOTE - 1024, (__u32)sum);
	*(__u16 *)(icmp + 2) = fold(sum);
	return bpf_redirect(skb->ifindex, 0);
}

/*
 * RFC 2473 §3.1: the entry point forwards the original packet (its hop
 * limit decremented; at 1 the stack sends the Time Exceeded) into the
 * tunnel: outer source the tunnel address, destination peer, traffic
 * class and flow label 0, hop limit 64, next header 41, no extension
 * header: the bytes the user backend writes. bpf_skb_adjust_room() with
 * ENCAP_L3_IPV6 marks a GSO packet IPXIP6 so that it is segmented (or
 * offloaded) after encapsulation; without FIXED_GSO the segment size
 * drops by the outer header, so each segment stays within the path MTU.
 */
static __noinline int encap(struct __sk_buff *skb, const struct dmm_bpf_fwd *f)
{
	struct ipv6hdr *ip = ip6_at(skb, ETH_LEN);
	struct bpf_fib_lookup fib = {};
	__u32 inner, slot = f->slot;
	__u8 peer[16];
	long rc;

	if (!ip)
		return TC_ACT_SHOT;
	if (ip->hop_limit <= 1)
		return TC_ACT_OK;
	inner = skb->len - ETH_LEN;
	__builtin_memcpy(peer, f->peer, 16);
	fib_fill(&fib, skb, ip, 0);
	fib.l4_protocol = IPPROTO_IPV6;
	fib.tot_len = skb->gso_segs > 1 ? 0 : (__u16)(inner + IP6_LEN);
	local_copy(fib.ipv6_src);
	__builtin_memcpy(fib.ipv6_dst, peer, 16);
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED) {
		count(slot, inner);
		return packet_too_big(skb, fib.mtu_result - IP6_LEN);
	}
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH) {
		count(0, inner); /* no way to the peer */
		return TC_ACT_SHOT;
	}
	ip->hop_limit--;
	if (bpf_skb_adjust_room(skb, IP6_LEN, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV6) < 0) {
		count(0, inner);
		return TC_ACT_SHOT;
	}
	ip = ip6_at(skb, ETH_LEN);
	if (!ip)
		return TC_ACT_SHOT;
	*(__be32 *)ip = bpf_htonl(0x60000000);
	ip->payload_len = bpf_htons(inner > 0xffff ? 0 : (__u16)inner);
	ip->nexthdr = IPPROTO_IPV6;
	ip->hop_limit = HOP_LIMIT;
	local_copy(&ip->saddr);
	__builtin_memcpy(&ip->daddr, peer, 16);
	count(slot, inner);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS)
		set_eth(skb, fib.dmac, fib.smac);
	return send_fib(&fib, rc);
}

/* On link ifindex, as a route "prefix dev link" would: the neighbour is the destination itself. */
static __noinline int deliver(struct __sk_buff *skb, __u32 ifindex, __u32 slot)
{
	struct ipv6hdr *ip = ip6_at(skb, ETH_LEN);
	struct bpf_redir_neigh nh = {.nh_family = AF_INET6};

	if (!ip)
		return TC_ACT_SHOT;
	if (ip->hop_limit <= 1)
		return TC_ACT_OK;
	ip->hop_limit--;
	__builtin_memcpy(nh.ipv6_nh, &ip->daddr, 16);
	count(slot, skb->len - ETH_LEN);
	return bpf_redirect_neigh(ifindex, &nh, sizeof(nh), 0);
}

/*
 * To the hold device (a TUN: the kernel strips the Ethernet header on the
 * way), counted; its reader in dmmd holds the packet, or writes it back
 * for the stack to forward by the prefix's route (bpf.c).
 */
static __noinline int to_hold(struct __sk_buff *skb, __u32 ifindex, __u32 slot, __u32 len)
{
	count(slot, len);
	return bpf_redirect(ifindex, 0);
}

/* What a DST or SRC intent says: TC_ACT_*. */
static __always_inline int act(struct __sk_buff *skb, const struct dmm_bpf_fwd *f)
{
	switch (f->action) {
	case DMM_BPF_ENCAP:
		return encap(skb, f);
	case DMM_BPF_DELIVER:
		return deliver(skb, f->ifindex, f->slot);
	case DMM_BPF_DROP:
	case DMM_BPF_BUFFER: /* without a hold device: dropped and counted (bpf.c) */
		count(f->slot, skb->len - ETH_LEN);
		return TC_ACT_SHOT;
	}
	return TC_ACT_OK;
}

/*
 * The inner packet of a tunnelled one now stands alone: f, the dst entry
 * of its destination (NULL: none), holds it or sends it on its link with
 * a DELIVER intent; else the FIB does, or the stack.
 */
static __noinline int after_decap(struct __sk_buff *skb, struct dmm_bpf_fwd *f)
{
	struct ipv6hdr *ip = ip6_at(skb, ETH_LEN);
	struct bpf_fib_lookup fib = {};
	long rc;

	if (!ip)
		return TC_ACT_SHOT;
	if (f && f->hold)
		return to_hold(skb, f->hold, f->slot, skb->len - ETH_LEN);
	if (f && f->action == DMM_BPF_DELIVER)
		return deliver(skb, f->ifindex, f->slot);
	if (ip->hop_limit <= 1)
		return TC_ACT_OK;
	fib_fill(&fib, skb, ip, 0);
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return TC_ACT_OK;
	ip->hop_limit--;
	if (rc == BPF_FIB_LKUP_RET_SUCCESS)
		set_eth(skb, fib.dmac, fib.smac);
	return send_fib(&fib, rc);
}

/* RFC 2473 §3.2: the exit point takes the outer header off a packet from a peer a DECAP intent names. */
static __noinline int decap(struct __sk_buff *skb)
{
	struct ipv6hdr *ip = ip6_at(skb, ETH_LEN), *in;
	struct dmm_bpf_decap_key k = {.prefixlen = 256};
	struct dmm_bpf_dst_key dk = {.prefixlen = 128};
	struct dmm_bpf_fwd *f;
	__u32 *slot, s;

	if (!ip)
		return TC_ACT_OK;
	__builtin_memcpy(k.peer, &ip->saddr, 16);
	in = ip6_at(skb, ETH_LEN + IP6_LEN);
	if (!in)
		goto unknown;
	if ((*(__u8 *)in >> 4) != 6)
		goto unknown;
	__builtin_memcpy(k.addr, &in->daddr, 16);
	slot = bpf_map_lookup_elem(&decap_dst, &k);
	if (!slot) {
		__builtin_memcpy(k.addr, &in->saddr, 16);
		slot = bpf_map_lookup_elem(&decap_src, &k);
	}
	if (!slot)
		goto unknown;
	s = *slot;
	/*
	 * A BUFFER naming this peer (fm.h DMM_FM_BUFFER, RFC 5949 §4.1): its
	 * packets go to the hold device still encapsulated, so that its
	 * reader tells them from the others and releases them first (hold.c).
	 */
	__builtin_memcpy(dk.addr, &in->daddr, 16);
	f = bpf_map_lookup_elem(&dst, &dk);
	if (f && f->hold && f->action == DMM_BPF_BUFFER && addr_eq32(f->peer, k.peer)) {
		count(s, skb->len - ETH_LEN - IP6_LEN);
		return to_hold(skb, f->hold, f->slot, skb->len - ETH_LEN - IP6_LEN);
	}
	if (bpf_skb_adjust_room(skb, -IP6_LEN, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_DECAP_L3_IPV6) < 0 &&
	    bpf_skb_adjust_room(skb, -IP6_LEN, BPF_ADJ_ROOM_MAC, 0) < 0) /* before Linux 6.3 */
		goto unknown;
	count(s, skb->len - ETH_LEN);
	return after_decap(skb, f);
unknown:
	count(0, skb->len - ETH_LEN);
	return TC_ACT_SHOT;
}

static __always_inline int link_scope(const struct ipv6hdr *ip)
{
	__u8 b0 = ((const __u8 *)&ip->daddr)[0], b1 = ((const __u8 *)&ip->daddr)[1];

	return b0 == 0xff || (b0 == 0xfe && (b1 & 0xc0) == 0x80);
}

SEC("tc")
int dmm_ingress(struct __sk_buff *skb)
{
	struct dmm_bpf_dst_key dk = {.prefixlen = 128};
	struct dmm_bpf_src_key sk = {.prefixlen = 160};
	struct dmm_bpf_fwd *f;
	struct ipv6hdr *ip;
	__u32 ifx;

	if (skb->protocol != bpf_htons(ETH_P_IPV6))
		return TC_ACT_OK;
	ip = ip6_at(skb, ETH_LEN);
	if (!ip)
		return TC_ACT_OK;
	if (ip->nexthdr == IPPROTO_IPV6 && addr_eq((const __u8 *)&ip->daddr, local_addr))
		return decap(skb);
	if (link_scope(ip))
		return TC_ACT_OK; /* ND, RS, MLD: the node's own */
	__builtin_memcpy(dk.addr, &ip->daddr, 16);
	f = bpf_map_lookup_elem(&dst, &dk);
	if (f && f->hold)
		return to_hold(skb, f->hold, f->slot, skb->len - ETH_LEN);
	if (f)
		return act(skb, f);
	if (bpf_map_lookup_elem(&local, &ip->daddr))
		return TC_ACT_OK; /* to this node: delivered here, as the kernel backend's rules do */
	ifx = bpf_htonl(skb->ingress_ifindex);
	__builtin_memcpy(sk.ifindex, &ifx, 4);
	__builtin_memcpy(sk.addr, &ip->saddr, 16);
	f = bpf_map_lookup_elem(&src, &sk);
	if (!f) {
		__builtin_memset(sk.ifindex, 0, 4);
		f = bpf_map_lookup_elem(&src, &sk);
	}
	if (f)
		return act(skb, f);
	return TC_ACT_OK;
}

/*
 * The packets of the routes route.c installs for DST prefixes: those this
 * node sends itself (and any the stack forwards), at the route's
 * transmit. ENCAP: the outer header of encap() (RFC 2473 §3.1; the
 * inner hop limit is the sender's own, or was decremented by the stack's
 * forwarding), then the kernel routes the outer packet; DELIVER: counted,
 * out of the route's link; DROP, BUFFER: dropped and counted. The hold
 * flag does not apply here: a held BUFFER's route goes to the hold device
 * itself, and while a release writes the held packets back, this is the
 * path they take, with the new action (bpf.c).
 */
SEC("lwt_xmit")
int dmm_local(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct dmm_bpf_dst_key dk = {.prefixlen = 128};
	struct ipv6hdr *ip = data, out;
	struct dmm_bpf_fwd *f;
	__u32 inner = skb->len;

	if (data + IP6_LEN > end || (*(__u8 *)ip >> 4) != 6)
		return BPF_OK;
	__builtin_memcpy(dk.addr, &ip->daddr, 16);
	f = bpf_map_lookup_elem(&dst, &dk);
	if (!f)
		return BPF_OK;
	count(f->slot, inner);
	if (f->action == DMM_BPF_DELIVER)
		return BPF_OK;
	if (f->action != DMM_BPF_ENCAP)
		return BPF_DROP;
	__builtin_memset(&out, 0, sizeof(out));
	*(__be32 *)&out = bpf_htonl(0x60000000);
	out.payload_len = bpf_htons(inner > 0xffff ? 0 : (__u16)inner);
	out.nexthdr = IPPROTO_IPV6;
	out.hop_limit = HOP_LIMIT;
	local_copy(&out.saddr);
	__builtin_memcpy(&out.daddr, f->peer, 16);
	if (bpf_lwt_push_encap(skb, BPF_LWT_ENCAP_IP, &out, sizeof(out)) < 0)
		return BPF_DROP;
	return BPF_LWT_REROUTE;
}

char LICENSE[] SEC("license") = "GPL";
