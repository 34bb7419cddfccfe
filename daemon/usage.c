/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Usage records (RFC 7429 §5.6, GAP6-1: "monitor the usage"): one JSON
 * line per ended binding or anchored prefix, appended to a file or sent
 * to syslog. observe.c assembles the record; this file only writes it.
 * The file is opened for append and reopened on SIGHUP, so logrotate can
 * move it away; a line is written with one write() so a reader never
 * sees half a record.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ops.h"

struct dmmd_usage {
	int fd; /* -1: syslog */
	char *path;
	uint64_t written, failed;
};

/* The loop's thread only: the date and time of the last second formatted (an event a binding, 10^5 a second). */
static struct {
	time_t s;
	char t[24];
} last = {.s = -1};

char *dmmd_rfc3339(int64_t wall_ns, char *buf, size_t cap)
{
	time_t s = (time_t)(wall_ns / 1000000000);

	if (s != last.s) {
		struct tm tm;

		gmtime_r(&s, &tm);
		strftime(last.t, sizeof(last.t), "%Y-%m-%dT%H:%M:%S", &tm);
		last.s = s;
	}
	snprintf(buf, cap, "%s.%06ldZ", last.t, (long)(wall_ns % 1000000000 / 1000));
	return buf;
}

static int open_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

struct dmmd_usage *dmmd_usage_open(const char *file, int facility)
{
	struct dmmd_usage *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->fd = -1;
	if (!file) {
		openlog("dmmd", LOG_PID | LOG_NDELAY, facility);
		return u;
	}
	u->path = strdup(file);
	if (!u->path || (u->fd = open_file(file)) < 0) {
		int e = errno;

		free(u->path);
		free(u);
		errno = e;
		return NULL;
	}
	return u;
}

void dmmd_usage_close(struct dmmd_usage *u)
{
	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd);
	else
		closelog();
	free(u->path);
	free(u);
}

int dmmd_usage_reopen(struct dmmd_usage *u)
{
	int fd;

	if (!u->path)
		return 0;
	fd = open_file(u->path);
	if (fd < 0)
		return -1;
	close(u->fd);
	u->fd = fd;
	return 0;
}

int dmmd_usage_write(struct dmmd_usage *u, const struct dmmd_usage_rec *r)
{
	char line[4096], t0[40], t1[40];
	int n = snprintf(
		line, sizeof(line),
		"{\"record\":\"%s\",\"mn-id\":%s,\"prefixes\":%s,\"anchor\":%s,\"serving\":%s,"
		"\"start\":\"%s\",\"end\":\"%s\",\"duration\":%.6f,"
		"\"uplink-packets\":%" PRIu64 ",\"uplink-bytes\":%" PRIu64 ","
		"\"downlink-packets\":%" PRIu64 ",\"downlink-bytes\":%" PRIu64 ",\"reason\":\"%s\"}\n",
		r->kind, r->mnid, r->prefixes, r->anchor, r->serving,
		dmmd_rfc3339(r->start_wall, t0, sizeof(t0)), dmmd_rfc3339(r->end_wall, t1, sizeof(t1)),
		(double)(r->end_wall - r->start_wall) / 1e9, r->up_packets, r->up_bytes, r->down_packets,
		r->down_bytes, r->reason);

	if (n < 0 || (size_t)n >= sizeof(line)) {
		u->failed++;
		return -1;
	}
	if (u->fd < 0) {
		line[n - 1] = '\0';
		syslog(LOG_INFO, "%s", line);
	} else if (write(u->fd, line, (size_t)n) != n) {
		u->failed++;
		return -1;
	}
	u->written++;
	return 0;
}
