/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fake role environment for role tests (LMA, MAG, ...): a calloc
 * allocator, a send hook that records every datagram (raw and decoded),
 * a data plane that records installed and removed intents, an MN event
 * recorder and a log sink that keeps the last lines. Header-only; one
 * struct harness per test program is enough.
 *
 *   struct harness h;
 *   harness_init(&h);             // then h.env is ready to pass to a role
 *   ... drive the role ...
 *   struct sent *s = harness_last(&h);   // s->msg is the decoded message
 *   harness_clear(&h);            // forget what was recorded so far
 */
#ifndef DMM_TEST_ROLE_HARNESS_H
#define DMM_TEST_ROLE_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmm/fm.h"
#include "dmm/mh.h"
#include "dmm/role.h"
#include "helpers.h"

#define HARNESS_MAX_SENT 64
#define HARNESS_MAX_INTENTS 4096
#define HARNESS_MAX_EVENTS 32
#define HARNESS_LOG_LINES 16
#define HARNESS_MAX_CALLS 64

/* One call of the data plane, in order: 'i' install (accepted), 'r' remove. */
struct harness_call {
	char op;
	struct dmm_intent in;
};

struct sent {
	struct dmm_addr src, dst;
	uint8_t buf[DMM_MH_MAX_LEN];
	size_t len;
	int decode_err; /* 0, or dmm_mh_decode's error */
	struct dmm_mh_msg msg;
};

struct harness {
	struct dmm_alloc alloc;
	struct dmm_log log;
	struct dmm_env env;
	/* Datagrams sent, oldest first; beyond HARNESS_MAX_SENT only nsent_total grows. */
	struct sent sent[HARNESS_MAX_SENT];
	unsigned nsent, nsent_total;
	/* Intents the data plane executes now (by id), and counts of calls. */
	struct dmm_intent live[HARNESS_MAX_INTENTS];
	unsigned nlive, installs, removes;
	int install_err; /* when not 0, install() fails with it */
	/* The data plane calls since harness_calls_reset(), oldest first; beyond HARNESS_MAX_CALLS only ncalls grows. */
	struct harness_call calls[HARNESS_MAX_CALLS];
	unsigned ncalls;
	struct dmm_mn_event events[HARNESS_MAX_EVENTS];
	unsigned nevents;
	char logs[HARNESS_LOG_LINES][512];
	unsigned nlogs;
	bool print_logs; /* echo log lines to stderr */
};

static inline void harness_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst,
				const uint8_t *buf, size_t len)
{
	struct harness *h = ctx;
	struct sent *s;

	h->nsent_total++;
	if (h->nsent >= HARNESS_MAX_SENT)
		return;
	s = &h->sent[h->nsent++];
	s->src = *src;
	s->dst = *dst;
	s->len = len < sizeof(s->buf) ? len : sizeof(s->buf);
	memcpy(s->buf, buf, s->len);
	s->decode_err = dmm_mh_decode(&s->msg, s->buf, s->len);
	if (s->decode_err > 0)
		s->decode_err = 0;
}

static inline void harness_mn_event(void *ctx, const struct dmm_mn_event *ev)
{
	struct harness *h = ctx;

	if (h->nevents < HARNESS_MAX_EVENTS)
		h->events[h->nevents++] = *ev;
}

static inline int harness_install(void *ctx, const struct dmm_intent *in)
{
	struct harness *h = ctx;

	if (h->install_err)
		return h->install_err;
	if (h->nlive >= HARNESS_MAX_INTENTS)
		return -1;
	h->live[h->nlive++] = *in;
	h->installs++;
	if (h->ncalls < HARNESS_MAX_CALLS)
		h->calls[h->ncalls] = (struct harness_call){'i', *in};
	h->ncalls++;
	return 0;
}

static inline void harness_remove(void *ctx, const struct dmm_intent *in)
{
	struct harness *h = ctx;

	h->removes++;
	if (h->ncalls < HARNESS_MAX_CALLS)
		h->calls[h->ncalls] = (struct harness_call){'r', *in};
	h->ncalls++;
	for (unsigned i = 0; i < h->nlive; i++)
		if (h->live[i].id == in->id) {
			h->live[i] = h->live[--h->nlive];
			return;
		}
}

static inline void harness_log(void *ctx, enum dmm_log_level lvl, enum dmm_log_cat cat, const char *msg)
{
	struct harness *h = ctx;

	snprintf(h->logs[h->nlogs % HARNESS_LOG_LINES], sizeof(h->logs[0]), "%s", msg);
	h->nlogs++;
	if (h->print_logs)
		fprintf(stderr, "[%s %s] %s\n", dmm_log_level_name(lvl), dmm_log_cat_name(cat), msg);
}

static inline void harness_init(struct harness *h)
{
	memset(h, 0, sizeof(*h));
	h->alloc = (struct dmm_alloc){t_zalloc, t_free, NULL};
	h->log = (struct dmm_log){harness_log, h, DMM_LOG_DEBUG};
	h->env.alloc = &h->alloc;
	h->env.log = &h->log;
	h->env.send = harness_send;
	h->env.mn_event = harness_mn_event;
	h->env.ctx = h;
	h->env.fm = (struct dmm_fm_ops){.install = harness_install, .remove = harness_remove, .ctx = h};
	h->env.seed = 0x1234567890abcdefull;
}

/* Forget sent messages, events and logs (the live intents stay). */
static inline void harness_clear(struct harness *h)
{
	h->nsent = h->nsent_total = 0;
	h->nevents = 0;
	h->nlogs = 0;
}

/* Forget the recorded data plane calls (the counts installs and removes stay). */
static inline void harness_calls_reset(struct harness *h)
{
	h->ncalls = 0;
}

/*
 * The index of the first recorded call op ('i', 'r') of an intent matching
 * (match, action, prefix) whose peer is peer (NULL: any), or -1.
 */
static inline int harness_call_index(const struct harness *h, char op, uint8_t match, uint8_t action,
				     const struct dmm_prefix *p, const struct dmm_addr *peer)
{
	unsigned n = h->ncalls < HARNESS_MAX_CALLS ? h->ncalls : HARNESS_MAX_CALLS;

	for (unsigned i = 0; i < n; i++) {
		const struct dmm_intent *in = &h->calls[i].in;

		if (h->calls[i].op == op && in->match == match && in->action == action &&
		    dmm_prefix_eq(&in->prefix, p) && (!peer || dmm_addr_eq(&in->peer, peer)))
			return (int)i;
	}
	return -1;
}

/* The last datagram sent, or NULL. */
static inline struct sent *harness_last(struct harness *h)
{
	return h->nsent ? &h->sent[h->nsent - 1] : NULL;
}

/* How many sent datagrams decode to MH type (and, for type 16, B.R. type sub; 0: any). */
static inline unsigned harness_count_type(const struct harness *h, uint8_t type, uint8_t sub)
{
	unsigned n = 0;

	for (unsigned i = 0; i < h->nsent; i++)
		if (!h->sent[i].decode_err && h->sent[i].msg.type == type &&
		    (!sub || type != DMM_MH_BR || h->sent[i].msg.u.br.br_type == sub))
			n++;
	return n;
}

/* The live intent matching (match, action, prefix), or NULL. */
static inline const struct dmm_intent *harness_find_intent(const struct harness *h, uint8_t match,
							   uint8_t action, const struct dmm_prefix *p)
{
	for (unsigned i = 0; i < h->nlive; i++)
		if (h->live[i].match == match && h->live[i].action == action &&
		    h->live[i].prefix.len == p->len && memcmp(h->live[i].prefix.addr.b, p->addr.b, 16) == 0)
			return &h->live[i];
	return NULL;
}

/* True when some recorded log line contains s. */
static inline bool harness_logged(const struct harness *h, const char *s)
{
	unsigned n = h->nlogs < HARNESS_LOG_LINES ? h->nlogs : HARNESS_LOG_LINES;

	for (unsigned i = 0; i < n; i++)
		if (strstr(h->logs[i], s))
			return true;
	return false;
}

#endif
