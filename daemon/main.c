/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmd: the mobility daemon of one node. It loads and validates the
 * config, opens the data plane and the Mobility Header socket, creates
 * the role (LMA or MAG) from the pure core, and runs an epoll loop that
 * feeds the role received messages, access-link events and timer expiry.
 *
 * Signals: SIGTERM/SIGINT shut down cleanly (every intent, route, rule
 * and device the daemon installed is removed); SIGHUP reloads the config,
 * and a config that does not validate is refused with the reason while
 * the running one stays.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/cmd.h"
#include "dmm/lma.h"
#include "dmm/maar.h"
#include "dmm/mag.h"
#include "dmmd.h"

#define COUNTER_SYNC (1 * DMM_SECOND)

static dmm_time_t next_sync;

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

static void log_sink(void *ctx, enum dmm_log_level lvl, enum dmm_log_cat cat, const char *msg)
{
	struct dmmd *d = ctx;
	struct timespec ts;
	struct tm tm;
	char t[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld dmmd[%s] %s %s %s\n", t, ts.tv_nsec / 1000000,
		*d->cfg.name ? d->cfg.name : "-", dmm_log_level_name(lvl), dmm_log_cat_name(cat), msg);
}

static enum dmm_log_level level_of(const char *s)
{
	if (strcmp(s, "err") == 0)
		return DMM_LOG_ERR;
	if (strcmp(s, "warn") == 0)
		return DMM_LOG_WARN;
	if (strcmp(s, "debug") == 0)
		return DMM_LOG_DEBUG;
	return DMM_LOG_INFO;
}

static void env_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		     size_t len)
{
	struct dmmd *d = ctx;
	uint8_t copy[DMM_MH_MAX_LEN];

	(void)src; /* the socket sends from the node address */
	if (len > sizeof(copy))
		return;
	memcpy(copy, buf, len);
	dmm_mhsock_send(&d->mh, dst, copy, len);
}

static int dp_install(void *ctx, const struct dmm_intent *in)
{
	struct dmmd *d = ctx;
	char p[DMM_PREFIX_STRLEN];
	int rc = d->dpo->install(d->dp, in);

	if (rc == 0)
		return 0;
	/* The backend speaks errno; the core gets one code of its own for this. */
	dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_DP, "%s data plane: intent %s %s %s: %s", d->dpo->name,
		 dmm_fm_match_name(in->match), dmm_prefix_str(&in->prefix, p), dmm_fm_action_name(in->action),
		 strerror(-rc));
	return DMM_ERR_DATAPLANE;
}

static void dp_remove(void *ctx, const struct dmm_intent *in)
{
	struct dmmd *d = ctx;

	d->dpo->remove(d->dp, in);
}

static void env_mn_event(void *ctx, const struct dmm_mn_event *ev)
{
	struct dmmd *d = ctx;

	if (d->access)
		dmmd_access_mn_event(d->access, ev);
}

struct dmm_policy *dmmd_policy_build(const struct dmmd_config *cfg, const struct dmm_alloc *a, char *err,
				     size_t errlen)
{
	struct dmm_policy *p =
		dmm_policy_new(a, cfg->nprofiles + 16, cfg->nmags + 16, (uint64_t)dmm_io_now());

	if (!p) {
		snprintf(err, errlen, "policy store: out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < cfg->nprofiles; i++)
		if (dmm_policy_set(p, &cfg->profiles[i]) != 0)
			goto fail;
	if (cfg->has_default && dmm_policy_set_default(p, &cfg->default_profile) != 0)
		goto fail;
	for (uint32_t i = 0; i < cfg->nmags; i++)
		if (dmm_policy_add_mag(p, &cfg->mags[i]) != 0)
			goto fail;
	dmm_policy_set_allow_any_mag(p, cfg->any_mag);
	return p;
fail:
	snprintf(err, errlen, "policy store: cannot hold the configured profiles");
	dmm_policy_free(p);
	return NULL;
}

/* The role's config struct with the policy filled in. */
static const void *role_cfg(struct dmmd_config *cfg, struct dmm_policy *pol)
{
	switch (cfg->role) {
	case DMMD_ROLE_LMA:
		cfg->lma.policy = pol;
		return &cfg->lma;
	case DMMD_ROLE_MAG:
		cfg->mag.policy = pol;
		return &cfg->mag;
	case DMMD_ROLE_MAAR:
		cfg->maar.policy = pol;
		return &cfg->maar;
	case DMMD_ROLE_CMD:
	default:
		cfg->cmd.policy = pol;
		return &cfg->cmd;
	}
}

static const struct dmm_role_ops *role_ops(enum dmmd_role r)
{
	static const struct dmm_role_ops *const ops[] = {&dmm_lma_ops, &dmm_mag_ops, &dmm_maar_ops,
							 &dmm_cmd_ops};

	return ops[r];
}

struct dmm_fm *dmmd_role_fm(struct dmmd *d)
{
	switch (d->cfg.role) {
	case DMMD_ROLE_LMA:
		return dmm_lma_fm_mut(d->role);
	case DMMD_ROLE_MAG:
		return dmm_mag_fm_mut(d->role);
	case DMMD_ROLE_MAAR:
		return dmm_maar_fm_mut(d->role);
	default:
		return NULL; /* the CMD forwards nothing */
	}
}

struct dmm_peers *dmmd_role_peers(struct dmmd *d)
{
	switch (d->cfg.role) {
	case DMMD_ROLE_LMA:
		return dmm_lma_peers(d->role);
	case DMMD_ROLE_MAG:
		return dmm_mag_peers(d->role);
	case DMMD_ROLE_MAAR:
		return dmm_maar_peers(d->role);
	default:
		return dmm_cmd_peers(d->role);
	}
}

const struct dmm_pmip_stats *dmmd_role_stats(struct dmmd *d)
{
	switch (d->cfg.role) {
	case DMMD_ROLE_LMA:
		return dmm_lma_stats(d->role);
	case DMMD_ROLE_MAG:
		return dmm_mag_stats(d->role);
	case DMMD_ROLE_MAAR:
		return dmm_maar_stats(d->role);
	default:
		return dmm_cmd_stats(d->role);
	}
}

static void sync_counters(struct dmmd *d, dmm_time_t now)
{
	struct dmm_fm *fm = dmmd_role_fm(d);
	const struct dmm_intent *in;
	uint64_t p, b;

	if (!fm)
		return;
	for (in = dmm_fm_next(fm, NULL); in; in = dmm_fm_next(fm, in))
		if (d->dpo->counters(d->dp, in->id, &p, &b) == 0)
			dmm_fm_report(fm, in->id, p, b, now);
}

static void on_deadline(void *ctx)
{
	struct dmmd *d = ctx;
	dmm_time_t now = dmm_io_now();

	d->ro->expire(d->role, now);
	if (now >= next_sync) {
		sync_counters(d, now);
		next_sync = now + COUNTER_SYNC;
	}
	dmmd_rearm(d);
}

void dmmd_rearm(struct dmmd *d)
{
	dmm_time_t t = d->ro->next_deadline(d->role);

	if (next_sync < t)
		t = next_sync;
	dmm_loop_set_deadline(d->loop, t, on_deadline, d);
}

static void on_mh(void *ctx, int fd, uint32_t ev)
{
	struct dmmd *d = ctx;
	uint8_t buf[4096];
	struct dmm_addr src, dst;
	int n;

	(void)fd;
	(void)ev;
	/* Drain the socket; each message goes to the role whole (rule 5: it parses fully, then acts). */
	for (int i = 0; i < 256; i++) {
		n = dmm_mhsock_recv(&d->mh, buf, sizeof(buf), &src, &dst);
		if (n < 0)
			break;
		if (n > 0)
			d->ro->recv(d->role, &src, &dst, buf, (size_t)n, dmm_io_now());
	}
	dmmd_rearm(d);
}

static void on_dp(void *ctx, int fd, uint32_t ev)
{
	struct dmmd *d = ctx;

	(void)fd;
	(void)ev;
	d->dpo->poll(d->dp);
}

static void reload(struct dmmd *d)
{
	struct dmmd_config nc;
	struct dmm_policy *np;
	char err[512];
	int rc;

	/* A load that fails leaves nc untouched: the check below must see NULLs, not stack garbage. */
	memset(&nc, 0, sizeof(nc));
	if (dmmd_config_load(d->cfg_path, &nc, err, sizeof(err)) < 0 ||
	    dmmd_config_reloadable(&d->cfg, &nc, err, sizeof(err)) < 0) {
		if (nc.profiles || nc.mags)
			dmmd_config_free(&nc);
		d->reloads_refused++;
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_CFG, "reload refused, running config kept: %s", err);
		return;
	}
	np = dmmd_policy_build(&nc, &d->alloc, err, sizeof(err));
	if (!np) {
		dmmd_config_free(&nc);
		d->reloads_refused++;
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_CFG, "reload refused, running config kept: %s", err);
		return;
	}
	rc = d->ro->reconfigure(d->role, role_cfg(&nc, np), dmm_io_now());
	if (rc < 0) {
		dmm_policy_free(np);
		dmmd_config_free(&nc);
		d->reloads_refused++;
		dmm_logf(&d->log, DMM_LOG_ERR, DMM_LC_CFG,
			 "reload refused by the role (%s), running config kept", dmm_strerror(rc));
		return;
	}
	dmm_policy_free(d->policy);
	d->policy = np;
	dmmd_config_free(&d->cfg);
	d->cfg = nc;
	d->log.max_level = level_of(d->cfg.log_level);
	d->reloads_ok++;
	dmm_logf(&d->log, DMM_LOG_INFO, DMM_LC_CFG, "config reloaded from %s", d->cfg_path);
	dmmd_rearm(d);
}

static void on_signal(void *ctx, int fd, uint32_t ev)
{
	struct dmmd *d = ctx;
	struct signalfd_siginfo si;

	(void)ev;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(d);
		else
			d->stop = true;
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: dmmd -c CONFIG [--check]\n"
		   "  -c, --config FILE  node configuration (JSON encoding of the dmm YANG model)\n"
		   "  --check            validate the configuration and exit\n"
		   "signals: SIGTERM/SIGINT stop and remove everything installed; SIGHUP reloads\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"check", no_argument, NULL, 'k'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	static struct dmmd d;
	struct dmm_dp_cfg dpc;
	sigset_t mask;
	char err[512];
	bool check_only = false;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.cfg_path = optarg;
			break;
		case 'k':
			check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!d.cfg_path) {
		usage(stderr);
		return 2;
	}
	if (dmmd_config_load(d.cfg_path, &d.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "dmmd: config refused: %s\n", err);
		return 1;
	}
	if (check_only) {
		printf("dmmd: %s is valid\n", d.cfg_path);
		dmmd_config_free(&d.cfg);
		return 0;
	}
	d.ctl_fd = d.sig_fd = -1;
	d.mh.fd = -1;
	d.alloc = (struct dmm_alloc){z_alloc, z_free, NULL};
	d.log = (struct dmm_log){log_sink, &d, level_of(d.cfg.log_level)};
	d.started = dmm_io_now();

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d.loop = dmm_loop_new();
	if (d.sig_fd < 0 || !d.loop) {
		fprintf(stderr, "dmmd: %s\n", strerror(errno));
		goto out;
	}
	dmm_loop_add(d.loop, d.sig_fd, on_signal, &d);

	d.policy = dmmd_policy_build(&d.cfg, &d.alloc, err, sizeof(err));
	if (!d.policy) {
		fprintf(stderr, "dmmd: %s\n", err);
		goto out;
	}
	memset(&dpc, 0, sizeof(dpc));
	dpc.local = d.cfg.address;
	if (d.cfg.role == DMMD_ROLE_LMA && !dmm_addr_is_zero(&d.cfg.lma.upa))
		dpc.local = d.cfg.lma.upa;
	snprintf(dpc.tun_name, sizeof(dpc.tun_name), "%s", d.cfg.tun_name);
	d.dpo = dmm_dp_find(d.cfg.dataplane);
	d.dp = d.dpo->open(&dpc, err, sizeof(err));
	if (!d.dp) {
		fprintf(stderr, "dmmd: data plane %s: %s\n", d.cfg.dataplane, err);
		goto out;
	}
	if (d.dpo->fd(d.dp) >= 0)
		dmm_loop_add(d.loop, d.dpo->fd(d.dp), on_dp, &d);
	rc = dmm_mhsock_open(&d.mh, d.cfg.transport == DMMD_TRANSPORT_UDP ? DMM_MH_UDP : DMM_MH_RAW_IP6,
			     &d.cfg.address);
	if (rc < 0) {
		fprintf(stderr, "dmmd: mobility header socket: %s\n", strerror(-rc));
		rc = 1;
		goto out;
	}
	dmm_loop_add(d.loop, d.mh.fd, on_mh, &d);

	d.env = (struct dmm_env){.alloc = &d.alloc,
				 .log = &d.log,
				 .send = env_send,
				 .mn_event = env_mn_event,
				 .ctx = &d,
				 .fm = {dp_install, dp_remove, &d},
				 .seed = (uint64_t)dmm_io_now() ^ ((uint64_t)getpid() << 32),
				 .wall_offset = dmm_io_wall_offset()};
	d.ro = role_ops(d.cfg.role);
	d.role = d.ro->create(&d.env, role_cfg(&d.cfg, d.policy), dmm_io_now());
	if (!d.role) {
		fprintf(stderr, "dmmd: cannot create the %s role (config or memory)\n", d.ro->name);
		rc = 1;
		goto out;
	}
	if (dmmd_role_has_access(d.cfg.role)) {
		d.access = dmmd_access_open(&d);
		if (!d.access) {
			fprintf(stderr, "dmmd: cannot open the access links\n");
			rc = 1;
			goto out;
		}
	}
	if (dmmd_ctl_open(&d) < 0) {
		fprintf(stderr, "dmmd: control socket %s: %s\n", d.cfg.ctl_path, strerror(errno));
		rc = 1;
		goto out;
	}
	dmm_logf(&d.log, DMM_LOG_INFO, DMM_LC_CFG, "%s started: %s data plane, %s transport, control %s",
		 d.ro->name, d.dpo->name, d.cfg.transport == DMMD_TRANSPORT_UDP ? "udp 5436" : "ip6 135",
		 d.cfg.ctl_path);
	next_sync = dmm_io_now() + COUNTER_SYNC;
	dmmd_rearm(&d);
	while (!d.stop)
		if (dmm_loop_run_once(d.loop, -1) < 0)
			break;
	dmm_logf(&d.log, DMM_LOG_INFO, DMM_LC_CFG, "stopping: removing everything installed");
	rc = 0;
out:
	dmmd_ctl_close(&d);
	if (d.access)
		dmmd_access_close(d.access);
	if (d.role)
		d.ro->destroy(d.role); /* removes every intent through the data plane */
	if (d.dp)
		d.dpo->close(d.dp); /* removes its routes, rules and devices */
	dmm_mhsock_close(&d.mh);
	dmm_policy_free(d.policy);
	dmmd_config_free(&d.cfg);
	if (d.sig_fd >= 0)
		close(d.sig_fd);
	dmm_loop_free(d.loop);
	return rc;
}
