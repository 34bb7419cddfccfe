/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dmmd: one process per node, running one role (LMA or MAG). */
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

struct dmmd {
	struct dmmd_config cfg;
	const char *cfg_path;
	struct dmm_loop *loop;
	struct dmm_mhsock mh;
	const struct dmm_dp_ops *dpo;
	struct dmm_dp *dp;
	struct dmm_policy *policy;
	const struct dmm_role_ops *ro;
	void *role; /* struct dmm_lma * or struct dmm_mag * */
	struct dmm_env env;
	struct dmm_alloc alloc;
	struct dmm_log log;
	int ctl_fd;
	int sig_fd;
	struct dmmd_access *access; /* MAG only */
	bool stop;
	uint64_t reloads_ok, reloads_refused;
	dmm_time_t started;
};

/* The running role's tables, whatever the role. */
struct dmm_fm *dmmd_role_fm(struct dmmd *d);
struct dmm_peers *dmmd_role_peers(struct dmmd *d);
const struct dmm_pmip_stats *dmmd_role_stats(struct dmmd *d);

/* Re-arm the loop's timer for the role's next deadline. */
void dmmd_rearm(struct dmmd *d);

/* Build a policy store from cfg. NULL on error (message in err). */
struct dmm_policy *dmmd_policy_build(const struct dmmd_config *cfg, const struct dmm_alloc *a, char *err,
				     size_t errlen);

/* Control socket (daemon/ctl.c). */
int dmmd_ctl_open(struct dmmd *d);
void dmmd_ctl_close(struct dmmd *d);

/* MAG access links (daemon/access.c): RS in, RA out, attach and detach. */
struct dmmd_access *dmmd_access_open(struct dmmd *d);
void dmmd_access_close(struct dmmd_access *a);
void dmmd_access_mn_event(struct dmmd_access *a, const struct dmm_mn_event *ev);
/* Append the access links' state as JSON text (for show commands). */
struct json_t;

#endif
