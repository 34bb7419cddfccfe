/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket's "handover MN-ID to ADDRESS [wait MS]": the
 * Handover indication of RFC 5949 §3 (standing in for an access
 * network's roam notice) for an MN attached to this MAG or MAAR, which
 * starts a predictive fast handover to the MAG or MAAR at ADDRESS
 * (§4.1 Figure 2 step b).
 *
 * With "wait MS" the reply waits for the new node's HAck (step f: the
 * network side is ready, the MN may move, step g), or for MS to pass.
 * The client's connection is kept and answered from the loop, right
 * after the burst of messages that brought the HAck: no client polls,
 * so whatever moves the MN learns it as soon as the daemon does. One
 * wait at a time; a second is refused while one is pending.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/maar.h"
#include "dmm/mag.h"
#include "dmmd.h"

#define HACK_COUNTER "fho_hack_received"
#define MAX_COUNTERS 32

/* The role's count of HAcks received, or -1 without fast-handover counters. */
static long long hacks_received(const struct dmmd *d)
{
	struct dmm_role_counter c[MAX_COUNTERS];
	size_t n = d->ro->counters(d->role, c, MAX_COUNTERS);

	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].name, HACK_COUNTER) == 0)
			return (long long)c[i].value;
	return -1;
}

static json_t *refusal(int r)
{
	return json_pack("{s:s,s:s}", "error", "handover refused", "reason",
			 r == DMM_ERR_INVAL ? "fast handover off, or the MN is not registered here"
					    : dmm_strerror(r));
}

/* Keep client fd until the HAck or wait_ms; NULL when kept, else the refusal. */
static json_t *keep(struct dmmd *d, int fd, long long before, long wait_ms, const char *mn, const char *to)
{
	struct dmmd_hwait *w = &d->hwait;

	w->fd = fd;
	w->hacks = (uint64_t)before;
	w->wait_ms = wait_ms;
	w->until = dmm_io_now() + (dmm_time_t)wait_ms * DMM_MSEC;
	snprintf(w->mn, sizeof(w->mn), "%s", mn);
	snprintf(w->to, sizeof(w->to), "%s", to);
	return NULL;
}

json_t *dmmd_ctl_handover(struct dmmd *d, const char *args, int fd)
{
	char mn[160], kw[8], to[64], kw2[8];
	long wait_ms = 0;
	long long before = 0;
	struct dmm_mnid id;
	struct dmm_addr a;
	int n, r;

	if (d->ro != &dmm_mag_ops && d->ro != &dmm_maar_ops)
		return json_pack("{s:s}", "error", "handover: only a MAG or a MAAR hands over (RFC 5949)");
	n = sscanf(args, "%159s %7s %63s %7s %ld", mn, kw, to, kw2, &wait_ms);
	if ((n != 3 && n != 5) || strcmp(kw, "to") != 0 || (n == 5 && strcmp(kw2, "wait") != 0) ||
	    (n == 5 && (wait_ms < 1 || wait_ms > 60000)))
		return json_pack("{s:s}", "error", "usage: handover MN-ID to ADDRESS [wait MS (1..60000)]");
	if (dmm_mnid_parse(mn, &id) != 0)
		return json_pack("{s:s,s:s}", "error", "handover: not an MN-ID", "mn-id", mn);
	if (dmm_addr_parse(to, &a) != 0)
		return json_pack("{s:s,s:s}", "error", "handover: not an IPv6 address", "to", to);
	if (n == 5 && d->hwait.fd >= 0)
		return json_pack("{s:s,s:s}", "error", "handover refused", "reason",
				 "another handover's wait is pending");
	if (n == 5 && (before = hacks_received(d)) < 0)
		return json_pack("{s:s,s:s}", "error", "handover refused", "reason",
				 "no fast-handover counters");
	r = d->ro == &dmm_mag_ops ? dmm_mag_handover(d->role, &id, &a, dmm_io_now())
				  : dmm_maar_handover(d->role, &id, &a, dmm_io_now());
	if (r >= 0 && n == 5)
		keep(d, fd, before, wait_ms, mn, to);
	if (d->rearm)
		d->rearm(d); /* includes the wait's deadline */
	if (r < 0)
		return refusal(r);
	if (n == 5)
		return NULL;
	return json_pack("{s:s,s:s,s:s}", "handover", "started", "mn-id", mn, "to", to);
}

dmm_time_t dmmd_ctl_hwait(struct dmmd *d, dmm_time_t now)
{
	struct dmmd_hwait *w = &d->hwait;
	long long h;

	if (w->fd < 0)
		return DMM_TIME_NEVER;
	h = hacks_received(d);
	if (h > (long long)w->hacks) {
		dmm_logf(&d->log, DMM_LOG_INFO, DMM_LC_FSM,
			 "handover of %s to %s: HAck, the MN may move (mono %llu us)", w->mn, w->to,
			 (unsigned long long)(now / DMM_USEC));
		dmmd_ctl_reply(w->fd, json_pack("{s:s,s:s,s:s}", "handover", "acknowledged", "mn-id", w->mn,
						"to", w->to));
	} else if (now >= w->until)
		dmmd_ctl_reply(w->fd,
			       json_pack("{s:s,s:s,s:s,s:i}", "error", "handover: no HAck in time", "mn-id",
					 w->mn, "to", w->to, "wait-ms", (json_int_t)w->wait_ms));
	else
		return w->until;
	w->fd = -1;
	return DMM_TIME_NEVER;
}

void dmmd_ctl_hwait_close(struct dmmd *d)
{
	if (d->hwait.fd >= 0)
		close(d->hwait.fd);
	d->hwait.fd = -1;
}
