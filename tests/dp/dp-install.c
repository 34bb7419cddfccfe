/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dp-install: the time a backend takes to install, then remove, N
 * forwarding intents, measured around the ops calls alone (no command
 * parsing, no output per intent). Run it in a namespace of its own.
 *
 *   dp-install BACKEND --local ADDR [N [BATCH]]
 *
 * BATCH (backends with begin/commit): installs and removes go in bursts of
 * BATCH between begin() and commit(), as dmmd drives a backend per burst
 * of Mobility Headers; the commit's time is counted.
 *
 * Installs N DST ENCAP intents of distinct /64s (2001:db8:1000::/36 on),
 * reads every counter, removes them all, and prints one line:
 *   "install BACKEND: N intents, X ns per install, Y ns per remove, Z ns per counters"
 * Exit 1 when an install fails (with the error).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dmm/dataplane.h"
#include "dmm/fm.h"
#include "dmm/fmt.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void intent_n(struct dmm_intent *in, uint32_t i)
{
	memset(in, 0, sizeof(*in));
	in->id = i + 1;
	in->match = DMM_FM_DST;
	in->action = DMM_FM_ENCAP;
	dmm_addr_parse("2001:db8:1000::", &in->prefix.addr);
	in->prefix.addr.b[4] = (uint8_t)(0x10 | (i >> 24));
	in->prefix.addr.b[5] = (uint8_t)(i >> 16);
	in->prefix.addr.b[6] = (uint8_t)(i >> 8);
	in->prefix.addr.b[7] = (uint8_t)i;
	in->prefix.len = 64;
	dmm_addr_parse("2001:db8:ff::9", &in->peer);
}

/* commit()'s report of a queued change the backend refused: the run fails. */
static void on_refused(void *ctx, uint32_t id, int err)
{
	(void)ctx;
	fprintf(stderr, "dp-install: intent %u refused at commit: %s\n", id, strerror(-err));
	exit(1);
}

int main(int argc, char **argv)
{
	const struct dmm_dp_ops *ops;
	struct dmm_dp_cfg cfg = {0};
	struct dmm_intent in;
	struct dmm_dp *dp;
	char err[256] = "";
	uint32_t n = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 0) : 10000;
	uint32_t batch = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 0) : 0;
	uint64_t t0, t1, t2, t3, p, b;

	if (argc < 4 || !(ops = dmm_dp_find(argv[1])) || strcmp(argv[2], "--local") ||
	    dmm_addr_parse(argv[3], &cfg.local) < 0 || !n) {
		fprintf(stderr, "usage: dp-install BACKEND --local ADDR [N]\n");
		return 2;
	}
	dp = ops->open(&cfg, err, sizeof(err));
	if (!dp) {
		fprintf(stderr, "dp-install: open %s: %s\n", argv[1], err);
		return 1;
	}
	if (!ops->begin || !ops->commit)
		batch = 0;
	t0 = now_ns();
	for (uint32_t i = 0; i < n; i++) {
		int r;

		if (batch && i % batch == 0)
			ops->begin(dp);
		intent_n(&in, i);
		r = ops->install(dp, &in);
		if (batch && (i % batch == batch - 1 || i == n - 1) && r >= 0)
			r = ops->commit(dp, on_refused, NULL);
		if (r < 0) {
			fprintf(stderr, "dp-install: install %u: %s\n", i, strerror(-r));
			ops->close(dp);
			return 1;
		}
	}
	t1 = now_ns();
	for (uint32_t i = 0; i < n; i++)
		ops->counters(dp, i + 1, &p, &b);
	t2 = now_ns();
	for (uint32_t i = 0; i < n; i++) {
		if (batch && i % batch == 0)
			ops->begin(dp);
		intent_n(&in, i);
		ops->remove(dp, &in);
		if (batch && (i % batch == batch - 1 || i == n - 1))
			ops->commit(dp, on_refused, NULL);
	}
	t3 = now_ns();
	ops->close(dp);
	printf("install %s: %u intents%s, %llu ns per install, %llu ns per remove, %llu ns per counters\n",
	       argv[1], n, batch ? " in bursts" : "", (unsigned long long)((t1 - t0) / n),
	       (unsigned long long)((t3 - t2) / n), (unsigned long long)((t2 - t1) / n));
	return 0;
}
