/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kdp-counters: what reading one intent's counter costs the kernel data
 * plane with 10^3 to 10^6 intents (run by bench/kernel-counters.sh in a
 * network namespace of its own; root).
 *
 *   kdp-counters --local ADDR --peer ADDR [--reads R] [--dump-max N] SIZE...
 *
 * Opens the kernel backend, then for each SIZE (ascending) installs DST
 * ENCAP intents up to SIZE (2001:db8:<i>::/64 to the peer, 64 per batch)
 * and reads the counters of R random intents one at a time, as
 * dmmd's counter sync does. With at most --dump-max intents it also times
 * one netlink dump of the whole set, the way the counters were read
 * before (the kernel walks the hash from the start again for every
 * message of a dump: O(n^2)), and the install of a DECAP intent for a
 * new peer (a policy rule: the kernel walks every route). One line per size:
 *
 *   size N install_us_per_intent X refused F read_us_per_counter Y read_errors E
 *        decap_new_peer_us D dump_us_per_element Z
 *
 * (F: installs the kernel refused so far, ENOMEM from the seg6 route's
 * per-CPU cache under a burst; they are not read.)
 *
 * Prints figures; never fails on speed (exit 1 only when it cannot run).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "dmm/dataplane.h"
#include "dmm/fm.h"
#include "dmm/fmt.h"
#include "../dataplane/kernel/kernel.h"
#include "../dataplane/nl.h"

#define BATCH 64 /* about what dmmd commits per burst under load */

static uint8_t *refused; /* by intent id: the kernel refused its install */
static uint32_t nrefused;

static void on_refused(void *ctx, uint32_t id, int err)
{
	(void)ctx;
	if (nrefused++ == 0)
		fprintf(stderr, "kdp-counters: intent %u refused: %s\n", id, strerror(-err));
	refused[id] = 1;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void intent_of(uint32_t i, const struct dmm_addr *peer, struct dmm_intent *in)
{
	memset(in, 0, sizeof(*in));
	in->id = i;
	in->match = DMM_FM_DST;
	in->action = DMM_FM_ENCAP;
	in->prefix.len = 64;
	in->prefix.addr.b[0] = 0x20;
	in->prefix.addr.b[1] = 0x01;
	in->prefix.addr.b[2] = 0x0d;
	in->prefix.addr.b[3] = 0xb8;
	in->prefix.addr.b[4] = (uint8_t)(i >> 24);
	in->prefix.addr.b[5] = (uint8_t)(i >> 16);
	in->prefix.addr.b[6] = (uint8_t)(i >> 8);
	in->prefix.addr.b[7] = (uint8_t)i;
	in->peer = *peer;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	++*(unsigned *)data;
	return MNL_CB_OK;
}

/* One dump of set encap_dst_64 of table dmm_<proto>: microseconds per element (its messages). */
static double dump_us(unsigned proto, uint32_t n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], table[16];
	struct dmm_nl *nl = dmm_nl_open(NETLINK_NETFILTER);
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;
	unsigned parts = 0;
	double t0, t;

	if (!nl)
		return -1;
	snprintf(table, sizeof(table), "dmm_%u", proto);
	nlh = dmm_nl_msg(buf, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM, 0);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = NFPROTO_INET;
	g->version = NFNETLINK_V0;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "encap_dst_64");
	t0 = now_us();
	if (dmm_nl_dump(nl, nlh, count_cb, &parts) < 0)
		t = -1;
	else
		t = (now_us() - t0) / n;
	dmm_nl_close(nl);
	return t;
}

/* Install intents have+1 .. want in batches; false on an error. */
static bool fill(const struct dmm_dp_ops *ops, struct dmm_dp *dp, const struct dmm_addr *peer, uint32_t have,
		 uint32_t want)
{
	for (uint32_t i = have + 1; i <= want;) {
		ops->begin(dp);
		for (uint32_t k = 0; k < BATCH && i <= want; k++, i++) {
			struct dmm_intent in;

			intent_of(i, peer, &in);
			if (ops->install(dp, &in) < 0) {
				fprintf(stderr, "kdp-counters: install %u: %s\n", i,
					dmm_dp_kernel_last_error(dp));
				return false;
			}
		}
		if (ops->commit(dp, on_refused, NULL) < 0) {
			fprintf(stderr, "kdp-counters: commit: %s\n", dmm_dp_kernel_last_error(dp));
			return false;
		}
	}
	return true;
}

/*
 * Microseconds to install (and commit) a DECAP intent for a peer not seen
 * before, with n routes in place: it adds a policy rule, and the kernel
 * then walks every IPv6 route (fib6_flush_trees: a new route genid).
 */
static double new_peer_us(const struct dmm_dp_ops *ops, struct dmm_dp *dp, uint32_t id, uint32_t k)
{
	struct dmm_intent in = {.id = id, .match = DMM_FM_SRC, .action = DMM_FM_DECAP, .prefix.len = 64};
	double t0;

	in.prefix.addr.b[0] = 0x3f;
	in.prefix.addr.b[7] = (uint8_t)k;
	in.peer.b[0] = 0x3f;
	in.peer.b[15] = (uint8_t)k;
	t0 = now_us();
	ops->begin(dp);
	if (ops->install(dp, &in) < 0 || ops->commit(dp, NULL, NULL) < 0)
		return -1;
	return now_us() - t0;
}

/* Read r random counters among 1 .. n: microseconds per read; *errors: reads that failed. */
static double reads_us(const struct dmm_dp_ops *ops, struct dmm_dp *dp, uint32_t n, uint32_t r,
		       uint32_t *errors)
{
	double t0 = now_us();

	*errors = 0;
	for (uint32_t k = 0; k < r; k++) {
		uint64_t p, b;
		uint32_t id = 1 + (uint32_t)(((uint64_t)rand() << 16 ^ (uint64_t)rand()) % n);

		if (refused[id]) {
			k--;
			continue;
		}
		if (ops->counters(dp, id, &p, &b) < 0 && ++*errors == 1)
			fprintf(stderr, "kdp-counters: counters %u: %s\n", id, dmm_dp_kernel_last_error(dp));
	}
	return (now_us() - t0) / r;
}

int main(int argc, char **argv)
{
	const struct dmm_dp_ops *ops = &dmm_dp_kernel;
	struct dmm_dp_cfg cfg = {.rt_proto = 0xd4};
	struct dmm_addr peer = {{0}};
	uint32_t reads = 20000, dump_max = 100000, have = 0;
	struct dmm_dp *dp;
	char err[256];
	int i = 1;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--local") == 0 && dmm_addr_parse(argv[i + 1], &cfg.local) == 0)
			continue;
		if (strcmp(argv[i], "--peer") == 0 && dmm_addr_parse(argv[i + 1], &peer) == 0)
			continue;
		if (strcmp(argv[i], "--reads") == 0 && (reads = (uint32_t)atol(argv[i + 1])) > 0)
			continue;
		if (strcmp(argv[i], "--dump-max") == 0) {
			dump_max = (uint32_t)atol(argv[i + 1]);
			continue;
		}
		break;
	}
	if (i >= argc || dmm_addr_is_zero(&cfg.local) || dmm_addr_is_zero(&peer)) {
		fprintf(stderr,
			"usage: kdp-counters --local ADDR --peer ADDR [--reads R] [--dump-max N] SIZE...\n");
		return 1;
	}
	dp = ops->open(&cfg, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "kdp-counters: open: %s\n", err);
		return 1;
	}
	srand(1);
	refused = calloc((size_t)atol(argv[argc - 1]) + 1, 1);
	if (!refused)
		return 1;
	for (; i < argc; i++) {
		uint32_t n = (uint32_t)atol(argv[i]), errors;
		double t0 = now_us(), inst, rd;

		if (n <= have || n > (uint32_t)atol(argv[argc - 1]) || !fill(ops, dp, &peer, have, n))
			break;
		inst = (now_us() - t0) / (n - have);
		have = n;
		rd = reads_us(ops, dp, n, reads, &errors);
		printf("size %u install_us_per_intent %.1f refused %u read_us_per_counter %.2f read_errors "
		       "%u "
		       "decap_new_peer_us %.0f dump_us_per_element %.2f\n",
		       n, inst, nrefused, rd, errors,
		       new_peer_us(ops, dp, 0x40000000u + (uint32_t)i, (uint32_t)i),
		       n <= dump_max ? dump_us(cfg.rt_proto, n) : -1.0);
		fflush(stdout);
	}
	ops->close(dp);
	return 0;
}
