/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmd's resolver for LMA discovery (daemon/lmadisc.c, RFC 6097) on a real
 * epoll loop against a real DNS server (dnsmasq on ::1, started by
 * tests/daemon/lmadisc.sh), with a real MAG instance as the consumer:
 *  - the first answer reaches the MAG (address list, TTL as answered);
 *  - after the record changes (hosts file rewritten, SIGHUP) the MAG has
 *    the new address once the TTL ran out, and not before the lookup;
 *  - with the server gone, lookups fail and are counted, and the MAG
 *    keeps the last good list.
 * Usage: test_lmadisc PORT HOSTS-FILE DNSMASQ-PID
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/lmadisc.h"
#include "dmm/fmt.h"
#include "dmm/mag.h"

static unsigned passed, failed;

#define CHECK(c)                                                                                             \
	do {                                                                                                 \
		if (c) {                                                                                     \
			passed++;                                                                            \
		} else {                                                                                     \
			failed++;                                                                            \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);                \
		}                                                                                            \
	} while (0)

/* The access side (daemon/access.c) is not here: nothing attached to retry. */
void dmmd_access_retry(struct dmmd_access *a)
{
	(void)a;
}

static void *z_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return calloc(1, n);
}

static void z_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static void sink(void *ctx, enum dmm_log_level l, enum dmm_log_cat c, const char *msg)
{
	(void)ctx;
	(void)c;
	fprintf(stderr, "  log %s: %s\n", dmm_log_level_name(l), msg);
}

static void no_send(void *ctx, const struct dmm_addr *s, const struct dmm_addr *d, const uint8_t *b, size_t n)
{
	(void)ctx, (void)s, (void)d, (void)b, (void)n;
}

static int no_install(void *ctx, const struct dmm_intent *in)
{
	(void)ctx, (void)in;
	return 0;
}

static void no_remove(void *ctx, const struct dmm_intent *in)
{
	(void)ctx, (void)in;
}

static void on_deadline(void *ctx);

static void rearm(struct dmmd *d)
{
	dmm_loop_set_deadline(d->loop, dmmd_disc_next(d->disc), on_deadline, d);
}

static void on_deadline(void *ctx)
{
	struct dmmd *d = ctx;

	dmmd_disc_expire(d->disc, dmm_io_now());
	rearm(d);
}

/* Run the loop until the MAG's first address is want (NULL: until failures > 0) or secs pass. */
static double run_until(struct dmmd *d, const char *want, double secs)
{
	dmm_time_t t0 = dmm_io_now(), end = t0 + (dmm_time_t)(secs * 1e9);
	struct dmm_addr w = {{0}};

	if (want)
		dmm_addr_parse(want, &w);
	while (dmm_io_now() < end) {
		const struct dmm_addr *a;
		json_t *j = dmmd_disc_json(d->disc);
		bool done = want ? dmm_mag_lmas(d->role, &a, NULL) > 0 && dmm_addr_eq(&a[0], &w)
				 : json_integer_value(json_object_get(j, "failures")) > 0;

		json_decref(j);
		if (done)
			return (double)(dmm_io_now() - t0) / 1e9;
		dmm_loop_run_once(d->loop, 50);
	}
	return -1;
}

static void show(struct dmmd *d)
{
	json_t *j = dmmd_disc_json(d->disc);
	char *s = json_dumps(j, JSON_COMPACT);

	printf("  show node lma-discovery: %s\n", s);
	free(s);
	json_decref(j);
}

int main(int argc, char **argv)
{
	static struct dmmd d;
	struct dmm_mag_cfg mc;
	struct dmm_alloc al = {z_alloc, z_free, NULL};
	struct dmm_env env;
	const struct dmm_addr *a;
	FILE *f;
	double t;
	bool err;
	json_t *j;

	if (argc != 4)
		return 2;
	d.loop = dmm_loop_new();
	d.log = (struct dmm_log){sink, NULL, DMM_LOG_INFO};
	d.rearm = rearm;
	d.cfg.role = DMMD_ROLE_MAG;
	snprintf(d.cfg.disc.name, sizeof(d.cfg.disc.name), "lma.dmm.test");
	d.cfg.disc.has_server = true;
	dmm_addr_parse("::1", &d.cfg.disc.server);
	d.cfg.disc.port = (uint16_t)atoi(argv[1]);
	d.cfg.disc.min_ttl_s = 1;
	d.cfg.disc.max_ttl_s = 60;
	dmm_mag_cfg_defaults(&mc);
	dmm_addr_parse("2001:db8:b:1::2", &mc.addr);
	mc.lma_by_name = true;
	mc.max_mns = 4;
	mc.heartbeat_interval = 0;
	env = (struct dmm_env){.alloc = &al, .log = &d.log, .send = no_send, .fm = {no_install, no_remove}};
	d.role = dmm_mag_new(&env, &mc, dmm_io_now());
	CHECK(d.loop && d.role);
	d.disc = dmmd_disc_open(&d, &err);
	CHECK(d.disc && !err);
	rearm(&d);

	t = run_until(&d, "2001:db8:a:1::2", 5);
	printf("  first answer after %.3f s\n", t);
	show(&d);
	CHECK(t >= 0);
	j = dmmd_disc_json(d.disc);
	CHECK(json_integer_value(json_object_get(j, "ttl")) == 2);
	CHECK(json_array_size(json_object_get(j, "addresses")) == 1);
	json_decref(j);

	/* The record moves: the new address after the TTL. */
	f = fopen(argv[2], "w");
	CHECK(f != NULL);
	if (f) {
		fprintf(f, "2001:db8:a:2::2 lma.dmm.test\n");
		fclose(f);
	}
	kill(atoi(argv[3]), SIGHUP);
	t = run_until(&d, "2001:db8:a:2::2", 10);
	printf("  new record seen after %.3f s (TTL 2 s)\n", t);
	show(&d);
	CHECK(t >= 0);
	CHECK(dmm_mag_lmas(d.role, &a, NULL) == 1);

	/* The server goes: failures counted, the list kept. */
	kill(atoi(argv[3]), SIGTERM);
	t = run_until(&d, NULL, 10);
	printf("  first failure after %.3f s\n", t);
	show(&d);
	CHECK(t >= 0);
	CHECK(dmm_mag_lmas(d.role, &a, NULL) == 1 && a[0].b[7] == 2);
	j = dmmd_disc_json(d.disc);
	CHECK(strlen(json_string_value(json_object_get(j, "last-error"))) > 0);
	json_decref(j);

	dmmd_disc_close(d.disc);
	dmm_mag_free(d.role);
	dmm_loop_free(d.loop);
	printf("test_lmadisc: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
