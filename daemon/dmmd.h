/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmd: one process per node, running one role (LMA, MAG, MAAR or CMD).
 * main.c owns the loop and calls access.c and ctl.c, which never call
 * back: they reach the role through d->ro and the accessors of
 * dmm/role.h, and access.c asks for a new deadline through d->rearm.
 */
#ifndef DMMD_H
#define DMMD_H

#include <stdbool.h>

#include "../io/io.h"
#include "config.h"
#include "dmm/dataplane.h"
#include "dmm/log.h"
#include "dmm/policy.h"
#include "dmm/role.h"
#include "dmm/stats.h"

struct dmmd_access;
struct dmmd_auth;
struct dmmd_anchored;
struct dmmd_mcast;
struct dmmd_disc;
struct dmmd_obs;
struct dmmd_events;
struct dmmd_usage;
struct dmmd_metrics;

/* A "handover ... wait MS" client waiting for the HAck (daemon/handover.c). */
struct dmmd_hwait {
	int fd; /* -1: none */
	uint64_t hacks;
	long wait_ms;
	dmm_time_t until;
	char mn[160], to[64];
};

struct dmmd {
	struct dmmd_config cfg;
	const char *cfg_path;
	struct dmm_loop *loop;
	struct dmm_mhsock mh;
	const struct dmm_dp_ops *dpo;
	struct dmm_dp *dp;
	struct dmm_policy *policy;
	const struct dmm_role_ops *ro;
	void *role; /* the instance d->ro->create returned */
	struct dmm_env env;
	struct dmm_alloc alloc;
	struct dmm_log log;
	int ctl_fd;
	struct dmmd_hwait hwait;
	int sig_fd;
	struct dmmd_access *access;	/* access-side roles only (MAG, MAAR) */
	struct dmmd_auth *auth;		/* RFC 4285 associations (daemon/auth.h) */
	struct dmmd_anchored *anchored; /* MAAR: anchored and routed tables (daemon/anchored.h), or NULL */
	struct dmmd_mcast *mcast;	/* MLD proxy (daemon/mcast.h), or NULL */
	struct dmmd_disc *disc;		/* MAG: LMA discovery by DNS (daemon/lmadisc.h), or NULL */
	/* Operations (daemon/ops.h): sessions and histograms, events, usage records, /metrics. */
	struct dmmd_obs *obs;
	struct dmmd_events *events;
	struct dmmd_usage *usage;     /* NULL: no usage records */
	struct dmmd_metrics *metrics; /* NULL: no /metrics */
	/* Set by main.c: re-arm the loop's timer after the role was driven from outside it. */
	void (*rearm)(struct dmmd *d);
	/* Set by main.c: reload the config file now, as SIGHUP does (the control socket's "reload"). */
	void (*reload)(struct dmmd *d);
	char reload_err[512]; /* why the last reload was refused */
	bool stop;
	uint64_t reloads_ok, reloads_refused;
	dmm_time_t started;
};

/*
 * Control socket (daemon/ctl.c): open d->cfg.ctl_path and serve it in
 * d->loop; 0, or -1 with errno. Close accepts a socket never opened.
 */
int dmmd_ctl_open(struct dmmd *d);
void dmmd_ctl_close(struct dmmd *d);

/*
 * The control socket's "handover MN-ID to ADDRESS [wait MS]" (daemon/handover.c):
 * the reply, or NULL when client fd is kept until the HAck or MS. dmmd_ctl_hwait
 * answers a kept client whose HAck came or whose time is up (call it after the
 * role was driven) and returns the wait's deadline (DMM_TIME_NEVER: none).
 */
struct json_t;
struct json_t *dmmd_ctl_handover(struct dmmd *d, const char *args, int fd);
dmm_time_t dmmd_ctl_hwait(struct dmmd *d, dmm_time_t now);
void dmmd_ctl_hwait_close(struct dmmd *d);
/* Send reply (consumed) on client fd whole, then close fd. */
void dmmd_ctl_reply(int fd, struct json_t *reply);

/*
 * Access links of a MAG or MAAR (daemon/access.c): RS in, RA out, attach
 * and detach. Open returns NULL on error (logged); close accepts NULL.
 * mn_event hands the role's access-side events (dmm_env.mn_event) over.
 */
struct dmmd_access *dmmd_access_open(struct dmmd *d);
void dmmd_access_close(struct dmmd_access *a);
void dmmd_access_mn_event(struct dmmd_access *a, const struct dmm_mn_event *ev);
/*
 * Attach again every host seen on an access link and not registered: the
 * role refused it for a reason that may have gone (RFC 6097: the MAG's LMA
 * name had no address yet). Accepts NULL.
 */
void dmmd_access_retry(struct dmmd_access *a);

#endif
