/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Restart Counter state file (RFC 5847 §3.2: "monotonically
 * increasing", "incremented every time the node reboots and loses PMIPv6
 * session state", "treated as state that is preserved across reboots").
 *
 * dmmd keeps no session state across a restart, so every start is such
 * a restart. The file holds the counter of the last start in decimal,
 * followed by a newline. It is replaced whole (write a temporary file,
 * fsync, rename over the old one, fsync the directory): a crash leaves
 * either the old value or the new one, never a torn file, and the value
 * a peer may already have seen is on disk before any heartbeat carries it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "restart.h"

/* The directory part of path into dir ("." for a bare name). */
static void dir_of(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, cap, ".");
	else if (slash == path)
		snprintf(dir, cap, "/");
	else
		snprintf(dir, cap, "%.*s", (int)(slash - path), path);
}

/*
 * The stored counter: 1 found (in *v), 0 no file, -1 error (in err). A
 * file that is not one decimal number below 2^32 is an error, not a
 * fresh start: starting over could repeat a value a peer has seen.
 */
static int read_counter(const char *path, uint32_t *v, char *err, size_t errlen)
{
	char buf[32], *end;
	unsigned long long x;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "state file %s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "state file %s: %s", path, strerror(errno));
		return -1;
	}
	buf[n] = 0;
	errno = 0;
	x = strtoull(buf, &end, 10);
	if (end == buf || buf[0] < '0' || buf[0] > '9' || errno || x > UINT32_MAX ||
	    (*end && strcmp(end, "\n") != 0)) {
		snprintf(err, errlen,
			 "state file %s: not a restart counter (one decimal number below 2^32); "
			 "remove it to start from restart-counter",
			 path);
		return -1;
	}
	*v = (uint32_t)x;
	return 1;
}

/* Write v to path through a temporary file and rename (see the top comment). */
static int write_counter(const char *path, uint32_t v, char *err, size_t errlen)
{
	char tmp[300], dir[300], text[16];
	int fd, len = snprintf(text, sizeof(text), "%" PRIu32 "\n", v);

	dir_of(path, dir, sizeof(dir));
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "state file %s: cannot create %s: %s", path, dir, strerror(errno));
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "state file %s: %s: %s", path, tmp, strerror(errno));
		return -1;
	}
	if (write(fd, text, (size_t)len) != len || fsync(fd) < 0) {
		snprintf(err, errlen, "state file %s: cannot write %s: %s", path, tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "state file %s: cannot replace it: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The rename itself is durable only once the directory is. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

int dmmd_restart_counter_next(const char *path, uint32_t initial, uint32_t *out, char *err, size_t errlen)
{
	uint32_t v = initial;
	int r = read_counter(path, &v, err, errlen);

	if (r < 0)
		return -1;
	/* RFC 5847 §3.2: one more on every restart; unsigned arithmetic wraps at 2^32. */
	v++;
	if (write_counter(path, v, err, errlen) < 0)
		return -1;
	*out = v;
	return 0;
}
