/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The multicast tunnel of the via-anchor mode (RFC 6224 §4: the MAG's
 * upstream is its tunnel to the LMA): a TUN device that the kernel's
 * multicast routing uses as a MIF, and IPv6-in-IPv6 (RFC 2473) between
 * anchor and serving node for what goes through it.
 *
 * This kernel's data plane tunnels are not netdevices (seg6 encap routes;
 * ip6tnl and ip6gre are not built in), and a MIF must be one. So the
 * tunnel's end is a TUN device: what the kernel forwards to it, dmmd reads
 * and sends encapsulated from a raw IPv6 socket (protocol 41, the kernel
 * writes the outer header); what arrives encapsulated on the physical link
 * (an AF_PACKET socket whose filter takes protocol 41 with a multicast
 * inner destination: a copy, whatever the data plane does with the
 * original) dmmd writes into the TUN device, where the kernel receives it
 * as arriving on that MIF: group data is multicast-routed, MLD messages
 * reach the kernel's MLD host and router sides.
 *
 * The data plane must not see these packets too: its decapsulation would
 * route the inner group packet by unicast rules (back upstream). A
 * netfilter table of dmmd's own drops them at prerouting, after the
 * AF_PACKET socket took its copy (packet taps come before netfilter).
 *
 * Pure I/O: the caller decides what goes where (daemon/mcast.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mcast_tun.h"

struct mctun {
	struct dmm_loop *loop;
	int tun_fd, pkt_fd, raw_fd;
	int ifindex;
	mctun_rx_fn on_tunnel, on_tun;
	struct nft_ctx *nft;
	void *ctx;
	uint64_t encap_errors;
};

static void on_tun_fd(void *ctx, int fd, uint32_t ev)
{
	struct mctun *t = ctx;
	uint8_t buf[2048];
	ssize_t n;

	(void)ev;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (n >= 40 && (buf[0] >> 4) == 6)
			t->on_tun(t->ctx, NULL, buf, (size_t)n);
}

static void on_pkt_fd(void *ctx, int fd, uint32_t ev)
{
	struct mctun *t = ctx;
	uint8_t buf[2048];
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	(void)ev;
	while ((n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) > 0) {
		struct dmm_addr src;

		if (from.sll_pkttype != PACKET_OUTGOING && n >= 80 && buf[6] == 41) {
			memcpy(src.b, buf + 8, 16);
			t->on_tunnel(t->ctx, &src, buf + 40, (size_t)n - 40);
		}
		fl = sizeof(from);
	}
}

/* Protocol 41 with an inner destination in ff00::/8 (offsets from the outer IPv6 header). */
static int attach_filter(int fd)
{
	struct sock_filter code[] = {
		{BPF_LD | BPF_B | BPF_ABS, 0, 0, 6},	   /* next header */
		{BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 41},	   /* not 41: drop */
		{BPF_LD | BPF_B | BPF_ABS, 0, 0, 40 + 24}, /* inner destination, first octet */
		{BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0xff},   /* not multicast: drop */
		{BPF_RET | BPF_K, 0, 0, 0xffff},	   {BPF_RET | BPF_K, 0, 0, 0},
	};
	struct sock_fprog prog = {sizeof(code) / sizeof(code[0]), code};

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

static int open_tun(struct mctun *t, const char *name)
{
	struct ifreq ifr = {.ifr_flags = IFF_TUN | IFF_NO_PI};
	int s;

	t->tun_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->tun_fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(t->tun_fd, TUNSETIFF, &ifr) < 0)
		return -1;
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (ioctl(s, SIOCGIFINDEX, &ifr) < 0 ||
	    (t->ifindex = ifr.ifr_ifindex, ioctl(s, SIOCGIFFLAGS, &ifr)) < 0) {
		close(s);
		return -1;
	}
	ifr.ifr_flags |= IFF_UP | IFF_MULTICAST;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		close(s);
		return -1;
	}
	close(s);
	return 0;
}

static int open_pkt(struct mctun *t, const char *phys)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IPV6)};
	struct sock_filter none = {BPF_RET | BPF_K, 0, 0, 0};
	struct sock_fprog drop = {1, &none};
	struct ifreq ifr = {0};

	t->pkt_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", phys);
	if (t->pkt_fd < 0 || ioctl(t->pkt_fd, SIOCGIFINDEX, &ifr) < 0)
		return -1;
	sll.sll_ifindex = ifr.ifr_ifindex;
	if (attach_filter(t->pkt_fd) < 0 || bind(t->pkt_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -1;
	/* The sending socket reads nothing (the kernel would queue every protocol 41 packet to it). */
	t->raw_fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IPV6);
	if (t->raw_fd < 0 || setsockopt(t->raw_fd, SOL_SOCKET, SO_ATTACH_FILTER, &drop, sizeof(drop)) < 0)
		return -1;
	return 0;
}

#define NFT_TABLE "dmm_mcast"

/* Protocol 41 whose inner destination (octet 64 of the packet, bit 512) is multicast: dmmd's, not the data plane's. */
static int nft_drop(struct mctun *t)
{
	static const char cmd[] =
		"add table ip6 " NFT_TABLE "\n"
		"add chain ip6 " NFT_TABLE " pre { type filter hook prerouting priority -300; }\n"
		"add rule ip6 " NFT_TABLE " pre ip6 nexthdr 41 @nh,512,8 0xff drop\n";

	t->nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!t->nft || nft_ctx_buffer_output(t->nft) || nft_ctx_buffer_error(t->nft))
		return -1;
	nft_run_cmd_from_buffer(t->nft, "delete table ip6 " NFT_TABLE "\n"); /* a leftover */
	if (nft_run_cmd_from_buffer(t->nft, cmd) != 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

struct mctun *mctun_open(struct dmm_loop *loop, const char *name, const char *phys, mctun_rx_fn on_tunnel,
			 mctun_rx_fn on_tun, void *ctx)
{
	struct mctun *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	*t = (struct mctun){.loop = loop,
			    .tun_fd = -1,
			    .pkt_fd = -1,
			    .raw_fd = -1,
			    .on_tunnel = on_tunnel,
			    .on_tun = on_tun,
			    .ctx = ctx};
	if (open_tun(t, name) < 0 || open_pkt(t, phys) < 0 || nft_drop(t) < 0 ||
	    dmm_loop_add(loop, t->tun_fd, on_tun_fd, t) < 0 ||
	    dmm_loop_add(loop, t->pkt_fd, on_pkt_fd, t) < 0) {
		int e = errno;

		mctun_close(t);
		errno = e;
		return NULL;
	}
	return t;
}

int mctun_ifindex(const struct mctun *t)
{
	return t->ifindex;
}

int mctun_encap(struct mctun *t, const struct dmm_addr *to, const uint8_t *pkt, size_t len)
{
	struct sockaddr_in6 dst = {.sin6_family = AF_INET6};

	memcpy(&dst.sin6_addr, to->b, 16);
	if (sendto(t->raw_fd, pkt, len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		t->encap_errors++;
		return -errno;
	}
	return 0;
}

int mctun_inject(struct mctun *t, const uint8_t *pkt, size_t len)
{
	return write(t->tun_fd, pkt, len) < 0 ? -errno : 0;
}

void mctun_close(struct mctun *t)
{
	if (!t)
		return;
	if (t->tun_fd >= 0) {
		dmm_loop_del(t->loop, t->tun_fd);
		close(t->tun_fd); /* the TUN device goes with it */
	}
	if (t->pkt_fd >= 0) {
		dmm_loop_del(t->loop, t->pkt_fd);
		close(t->pkt_fd);
	}
	if (t->raw_fd >= 0)
		close(t->raw_fd);
	if (t->nft) {
		nft_run_cmd_from_buffer(t->nft, "delete table ip6 " NFT_TABLE "\n");
		nft_ctx_free(t->nft);
	}
	free(t);
}
