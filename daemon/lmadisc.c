/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LMA discovery by DNS (RFC 6097; lmadisc.h). The resolver is c-ares:
 * ares_getaddrinfo() asks for the AAAA records only (hosts files are not
 * read: lookups "b"), keeps the answer's order (ARES_AI_NOSORT: the order
 * is the zone's preference, and the MAG tries the addresses in it) and
 * gives each address its TTL. The channel's sockets go into dmmd's epoll
 * loop through the socket-state callback; the loop watches for input only,
 * which is all a UDP query needs (an answer too big for UDP, which needs
 * TCP, does not come from a handful of AAAA records).
 *
 * Timing: one lookup at a time. An answer with addresses schedules the
 * next lookup at the smallest TTL of its records, clamped to
 * min-ttl .. max-ttl; a failure (NXDOMAIN, no AAAA record, no answer)
 * schedules one after a delay that starts at 1 s (or min-ttl, when
 * longer) and doubles to 60 s, and keeps the MAG's list as it was, so no
 * binding is lost because a DNS server went away.
 */
#include <arpa/inet.h>
#include <ares.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmm/fmt.h"
#include "dmm/mag.h"
#include "lmadisc.h"

#define DISC_BACKOFF_FIRST (1 * DMM_SECOND)
#define DISC_BACKOFF_MAX (60 * DMM_SECOND)

struct dmmd_disc {
	struct dmmd *d;
	struct dmmd_disc_cfg cfg; /* the copy this resolver runs with */
	ares_channel ch;
	bool busy;	    /* a lookup is out */
	dmm_time_t due;	    /* the next lookup (when not busy) */
	dmm_time_t expires; /* the current answer's TTL ends */
	dmm_time_t backoff; /* after failures: the delay before the next try */
	unsigned n;	    /* the current answer */
	struct dmm_addr a[DMM_MAG_MAX_LMA_ADDRS];
	uint32_t ttl_s; /* its TTL as used (clamped) */
	uint64_t lookups, answers, failures, changes;
	char last_error[96];
};

/* c-ares' socket-state callback: watch the socket for answers, or stop. */
static void on_sock_state(void *ctx, ares_socket_t fd, int readable, int writable);

static void on_sock(void *ctx, int fd, uint32_t events)
{
	struct dmmd_disc *s = ctx;

	(void)events;
	ares_process_fd(s->ch, fd, ARES_SOCKET_BAD);
	s->d->rearm(s->d); /* the answer may have moved the deadline */
}

static void on_sock_state(void *ctx, ares_socket_t fd, int readable, int writable)
{
	struct dmmd_disc *s = ctx;

	(void)writable;
	if (readable)
		dmm_loop_add(s->d->loop, fd, on_sock, s);
	else
		dmm_loop_del(s->d->loop, fd);
}

/* A failed lookup: logged, counted, tried again later; the MAG keeps its list. */
static void failed(struct dmmd_disc *s, const char *why, dmm_time_t now)
{
	s->failures++;
	snprintf(s->last_error, sizeof(s->last_error), "%s", why);
	s->backoff = s->backoff ? s->backoff * 2 : DISC_BACKOFF_FIRST;
	if (s->backoff > DISC_BACKOFF_MAX)
		s->backoff = DISC_BACKOFF_MAX;
	if (s->backoff < (dmm_time_t)s->cfg.min_ttl_s * DMM_SECOND)
		s->backoff = (dmm_time_t)s->cfg.min_ttl_s * DMM_SECOND;
	s->due = now + s->backoff;
	dmm_logf(&s->d->log, DMM_LOG_WARN, DMM_LC_CFG,
		 "lma-discovery: %s: lookup failed (%s), %u address%s kept, again in %llu s", s->cfg.name,
		 why, s->n, s->n == 1 ? "" : "es", (unsigned long long)(s->backoff / DMM_SECOND));
}

/* The addresses of res in its order, and their smallest TTL. */
static unsigned answer_addrs(const struct ares_addrinfo *res, struct dmm_addr *out, int *ttl)
{
	unsigned n = 0;

	*ttl = -1;
	for (const struct ares_addrinfo_node *nd = res ? res->nodes : NULL; nd; nd = nd->ai_next) {
		const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)(const void *)nd->ai_addr;
		bool dup = false;

		if (nd->ai_family != AF_INET6 || !sa)
			continue;
		if (*ttl < 0 || nd->ai_ttl < *ttl)
			*ttl = nd->ai_ttl;
		for (unsigned i = 0; i < n && !dup; i++)
			dup = memcmp(out[i].b, &sa->sin6_addr, 16) == 0;
		if (!dup && n < DMM_MAG_MAX_LMA_ADDRS)
			memcpy(out[n++].b, &sa->sin6_addr, 16);
	}
	return n;
}

/* ares_getaddrinfo's callback: a new list for the MAG, the next lookup at the TTL. */
static void on_answer(void *ctx, int status, int timeouts, struct ares_addrinfo *res)
{
	struct dmmd_disc *s = ctx;
	dmm_time_t now = dmm_io_now();
	struct dmm_addr a[DMM_MAG_MAX_LMA_ADDRS];
	int ttl;
	unsigned n;
	bool first;

	(void)timeouts;
	s->busy = false;
	if (status == ARES_EDESTRUCTION)
		return; /* the channel is going: s may be half freed */
	n = status == ARES_SUCCESS ? answer_addrs(res, a, &ttl) : 0;
	if (res)
		ares_freeaddrinfo(res);
	if (!n) {
		failed(s, status == ARES_SUCCESS ? "no AAAA record" : ares_strerror(status), now);
		return;
	}
	s->answers++;
	s->backoff = 0;
	s->last_error[0] = 0;
	s->ttl_s = ttl < (int)s->cfg.min_ttl_s ? s->cfg.min_ttl_s : (uint32_t)ttl;
	if (s->ttl_s > s->cfg.max_ttl_s)
		s->ttl_s = s->cfg.max_ttl_s;
	s->expires = s->due = now + (dmm_time_t)s->ttl_s * DMM_SECOND;
	first = s->n == 0;
	memcpy(s->a, a, sizeof(a));
	s->n = n;
	if (dmm_mag_set_lmas(s->d->role, a, n, now) == 1) {
		char as[DMM_ADDR_STRLEN];

		s->changes++;
		dmm_logf(&s->d->log, DMM_LOG_INFO, DMM_LC_CFG,
			 "lma-discovery: %s: %u address%s, first %s, TTL %u s", s->cfg.name, n,
			 n == 1 ? "" : "es", dmm_addr_str(&a[0], as), s->ttl_s);
	}
	if (first) /* hosts that attached before the first answer were refused: now they can register */
		dmmd_access_retry(s->d->access);
}

static void lookup(struct dmmd_disc *s)
{
	struct ares_addrinfo_hints h;

	memset(&h, 0, sizeof(h));
	h.ai_family = AF_INET6;
	h.ai_flags = ARES_AI_NOSORT;
	s->busy = true;
	s->lookups++;
	ares_getaddrinfo(s->ch, s->cfg.name, NULL, &h, on_answer, s);
}

dmm_time_t dmmd_disc_next(const struct dmmd_disc *s)
{
	struct timeval tv, *t;

	if (!s)
		return DMM_TIME_NEVER;
	if (!s->busy)
		return s->due;
	t = ares_timeout(s->ch, NULL, &tv);
	if (!t)
		return DMM_TIME_NEVER;
	return dmm_io_now() + (dmm_time_t)t->tv_sec * DMM_SECOND + (dmm_time_t)t->tv_usec * 1000;
}

void dmmd_disc_expire(struct dmmd_disc *s, dmm_time_t now)
{
	if (!s)
		return;
	if (s->busy)
		ares_process_fd(s->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* c-ares' own timeouts */
	else if (now >= s->due)
		lookup(s);
}

/* The channel: DNS only, the configured server or resolv.conf's, our loop for its sockets. */
static int channel_open(struct dmmd_disc *s)
{
	struct ares_options o;
	char lookups[] = "b";
	int r;

	memset(&o, 0, sizeof(o));
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = s;
	o.lookups = lookups;
	o.timeout = 1000; /* ms per try */
	o.tries = 2;
	r = ares_init_options(
		&s->ch, &o, ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (r != ARES_SUCCESS) {
		snprintf(s->last_error, sizeof(s->last_error), "%s", ares_strerror(r));
		return -1;
	}
	if (s->cfg.has_server) {
		char as[DMM_ADDR_STRLEN], csv[DMM_ADDR_STRLEN + 10];

		snprintf(csv, sizeof(csv), "[%s]:%u", dmm_addr_str(&s->cfg.server, as),
			 s->cfg.port ? s->cfg.port : 53);
		r = ares_set_servers_ports_csv(s->ch, csv);
		if (r != ARES_SUCCESS) {
			snprintf(s->last_error, sizeof(s->last_error), "dns-server: %s", ares_strerror(r));
			ares_destroy(s->ch);
			return -1;
		}
	}
	return 0;
}

struct dmmd_disc *dmmd_disc_open(struct dmmd *d, bool *err)
{
	struct dmmd_disc *s;

	*err = false;
	if (d->cfg.role != DMMD_ROLE_MAG || !d->cfg.disc.name[0])
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s || ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		free(s);
		*err = true;
		return NULL;
	}
	s->d = d;
	s->cfg = d->cfg.disc;
	if (channel_open(s) < 0) {
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_CFG, "lma-discovery: resolver: %s", s->last_error);
		ares_library_cleanup();
		free(s);
		*err = true;
		return NULL;
	}
	dmm_logf(&d->log, DMM_LOG_INFO, DMM_LC_CFG, "lma-discovery: looking up %s", s->cfg.name);
	lookup(s); /* at once: no MN can register before the first answer */
	return s;
}

void dmmd_disc_close(struct dmmd_disc *s)
{
	if (!s)
		return;
	ares_destroy(s->ch); /* the outstanding lookup's callback runs with ARES_EDESTRUCTION */
	ares_library_cleanup();
	free(s);
}

int dmmd_disc_reconfigure(struct dmmd *d)
{
	const struct dmmd_disc_cfg *n = &d->cfg.disc;
	bool err;

	if (d->disc && strcmp(d->disc->cfg.name, n->name) == 0 && d->disc->cfg.has_server == n->has_server &&
	    dmm_addr_eq(&d->disc->cfg.server, &n->server) && d->disc->cfg.min_ttl_s == n->min_ttl_s &&
	    d->disc->cfg.max_ttl_s == n->max_ttl_s)
		return 0;
	dmmd_disc_close(d->disc);
	d->disc = dmmd_disc_open(d, &err);
	return err ? -1 : 0;
}

size_t dmmd_disc_counters(const struct dmmd_disc *s, struct dmm_role_counter *out, size_t max)
{
	const char *const names[] = {"lma-dns-lookups", "lma-dns-failures", "lma-dns-changes"};
	size_t n = 0;

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]) && n < max; i++) {
		out[n].name = names[i];
		out[n++].value = i == 0 ? s->lookups : i == 1 ? s->failures : s->changes;
	}
	return n;
}

json_t *dmmd_disc_json(const struct dmmd_disc *s)
{
	const struct dmm_addr *a = NULL;
	unsigned cur = 0, n = dmm_mag_lmas(s->d->role, &a, &cur);
	dmm_time_t now = dmm_io_now();
	json_t *o = json_object(), *l = json_array();
	char as[DMM_ADDR_STRLEN];

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(l, json_string(dmm_addr_str(&a[i], as)));
	json_object_set_new(o, "name", json_string(s->cfg.name));
	json_object_set_new(
		o, "dns-server",
		json_string(s->cfg.has_server ? dmm_addr_str(&s->cfg.server, as) : "resolv.conf"));
	json_object_set_new(o, "addresses", l);
	if (n)
		json_object_set_new(o, "current", json_string(dmm_addr_str(&a[cur], as)));
	json_object_set_new(o, "ttl", json_integer(s->ttl_s));
	json_object_set_new(
		o, "ttl-left",
		json_integer(s->n && s->expires > now ? (json_int_t)((s->expires - now) / DMM_SECOND) : 0));
	json_object_set_new(o, "lookups", json_integer((json_int_t)s->lookups));
	json_object_set_new(o, "answers", json_integer((json_int_t)s->answers));
	json_object_set_new(o, "failures", json_integer((json_int_t)s->failures));
	json_object_set_new(o, "changes", json_integer((json_int_t)s->changes));
	json_object_set_new(o, "last-error", json_string(s->last_error));
	return o;
}
