/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An in-memory network of real role instances for end-to-end role tests:
 * a node table, a message bus delivering env.send between instances after
 * RN_LATENCY, a data plane per node keeping its live intents, a log sink,
 * and a run loop delivering messages and firing timers in time order.
 * Header-only, one network per test program.
 *
 * Before including it a test may define RN_NODE_EXTRA (extra fields of
 * struct node). It sets RN (struct rn_hooks) before the first add_node():
 * the MN-event handler, a send filter (return false to lose the message),
 * the seed base, and whether to print the logs.
 */
#ifndef DMM_TEST_ROLENET_H
#define DMM_TEST_ROLENET_H

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/mh.h"
#include "dmm/role.h"
#include "helpers.h"

#define RN_MAX_NODES 5
#define RN_MAX_LIVE 512
#define RN_MAX_Q 1024
#define RN_LATENCY DMM_MSEC

#ifndef RN_NODE_EXTRA
#define RN_NODE_EXTRA
#endif

struct node {
	const char *name;
	struct dmm_addr addr;
	const struct dmm_role_ops *ops;
	void *inst;
	struct dmm_env env;
	struct dmm_intent live[RN_MAX_LIVE];
	unsigned nlive;
	bool unreachable; /* everything to or from it is lost */
	RN_NODE_EXTRA
};

struct rn_hooks {
	void (*event)(struct node *n, const struct dmm_mn_event *ev);
	bool (*send)(struct node *n, const uint8_t *buf, size_t len); /* false: lost */
	uint32_t seed;						      /* seed of node i: seed + i */
	/* Copied into every node's env (RFC 7161 handover context); NULL: none. */
	void (*mcast_get)(void *ctx, const struct dmm_mnid *mnid, uint32_t link,
			  struct dmm_mcast_groups *out);
	void (*mcast_put)(void *ctx, const struct dmm_mnid *mnid, uint32_t link,
			  const struct dmm_mcast_groups *in);
	bool verbose;
	unsigned fm_caps; /* every node's data plane capabilities (fm.h DMM_FM_CAP_*) */
};

struct rn_msg {
	struct dmm_addr src, dst;
	uint8_t buf[DMM_MH_MAX_LEN];
	size_t len;
	dmm_time_t at;
};

static struct node N[RN_MAX_NODES];
static unsigned NN;
static struct rn_msg Q[RN_MAX_Q];
static unsigned QN;
static dmm_time_t T;
static struct rn_hooks RN;
static const int64_t WALL = 1700000000LL * 1000000000LL;
static const struct dmm_alloc ALLOC = {t_zalloc, t_free, NULL};
static struct dmm_log LOGS[RN_MAX_NODES];

static void rn_log(void *ctx, enum dmm_log_level lvl, enum dmm_log_cat cat, const char *msg)
{
	struct node *n = ctx;

	if (RN.verbose)
		fprintf(stderr, "%llu.%03llu %-5s [%s %s] %s\n", (unsigned long long)(T / DMM_SECOND),
			(unsigned long long)(T % DMM_SECOND / DMM_MSEC), n->name, dmm_log_level_name(lvl),
			dmm_log_cat_name(cat), msg);
}

static struct node *node_at(const struct dmm_addr *a)
{
	for (unsigned i = 0; i < NN; i++)
		if (dmm_addr_eq(&N[i].addr, a))
			return &N[i];
	return NULL;
}

static void rn_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		    size_t len)
{
	struct node *n = ctx;
	struct rn_msg *m;

	if (RN.send && !RN.send(n, buf, len))
		return;
	if (QN >= RN_MAX_Q || len > DMM_MH_MAX_LEN)
		return;
	m = &Q[QN++];
	m->src = *src;
	m->dst = *dst;
	memcpy(m->buf, buf, len);
	m->len = len;
	m->at = T + RN_LATENCY;
}

static void rn_event(void *ctx, const struct dmm_mn_event *ev)
{
	if (RN.event)
		RN.event(ctx, ev);
}

static int rn_dp_install(void *ctx, const struct dmm_intent *in)
{
	struct node *n = ctx;

	if (n->nlive >= RN_MAX_LIVE)
		return DMM_ERR_NOMEM;
	n->live[n->nlive++] = *in;
	return 0;
}

static void rn_dp_remove(void *ctx, const struct dmm_intent *in)
{
	struct node *n = ctx;

	for (unsigned i = 0; i < n->nlive; i++)
		if (n->live[i].id == in->id) {
			n->live[i] = n->live[--n->nlive];
			return;
		}
}

static struct node *add_node(const char *name, const char *addr, const struct dmm_role_ops *ops,
			     const void *cfg)
{
	struct node *n = &N[NN];

	memset(n, 0, sizeof(*n));
	n->name = name;
	n->addr = addr_of(addr);
	n->ops = ops;
	LOGS[NN] = (struct dmm_log){rn_log, n, DMM_LOG_DEBUG};
	n->env.alloc = &ALLOC;
	n->env.log = &LOGS[NN];
	n->env.send = rn_send;
	n->env.mn_event = rn_event;
	n->env.ctx = n;
	n->env.fm = (struct dmm_fm_ops){
		.install = rn_dp_install, .remove = rn_dp_remove, .caps = RN.fm_caps, .ctx = n};
	n->env.seed = RN.seed + NN;
	n->env.wall_offset = WALL;
	n->env.mcast_get = RN.mcast_get;
	n->env.mcast_put = RN.mcast_put;
	n->inst = ops->create(&n->env, cfg, T);
	CHECK(n->inst != NULL);
	NN++;
	return n;
}

/* Deliver the message Q[qi] unless either end is unreachable. */
static void rn_deliver(unsigned qi)
{
	struct rn_msg m = Q[qi];
	struct node *to = node_at(&m.dst), *from = node_at(&m.src);

	Q[qi] = Q[--QN];
	if (to && to->inst && !to->unreachable && !(from && from->unreachable))
		to->ops->recv(to->inst, &m.src, &m.dst, m.buf, m.len, T);
}

/* Run the network until T + d: deliver messages and fire timers in time order. */
static void run(dmm_time_t d)
{
	dmm_time_t end = T + d;

	for (;;) {
		dmm_time_t next = DMM_TIME_NEVER;
		int qi = -1;
		unsigned ni = 0;

		for (unsigned i = 0; i < QN; i++)
			if (Q[i].at < next) {
				next = Q[i].at;
				qi = (int)i;
			}
		for (unsigned i = 0; i < NN; i++) {
			dmm_time_t t = N[i].inst ? N[i].ops->next_deadline(N[i].inst) : DMM_TIME_NEVER;

			if (t < next) {
				next = t;
				qi = -1;
				ni = i;
			}
		}
		if (next > end)
			break;
		if (next > T)
			T = next;
		if (qi >= 0)
			rn_deliver((unsigned)qi);
		else
			N[ni].ops->expire(N[ni].inst, T);
	}
	T = end;
}

/* Destroy every node (each must have removed all its intents) and empty the bus. */
static void rn_teardown(void)
{
	for (unsigned i = 0; i < NN; i++) {
		N[i].ops->destroy(N[i].inst);
		N[i].inst = NULL;
		CHECK_EQ(N[i].nlive, 0);
	}
	NN = 0;
	QN = 0;
}

#endif
