/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The client side of dmmd's control socket (daemon/ctl.c): write one
 * command line, read one JSON document until EOF; or, for "events",
 * keep the connection and read one JSON object per line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "nc.h"

static int ctl_connect(const char *path, const char *line)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(line);
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, line, n, MSG_NOSIGNAL) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return fd;
}

json_t *ncd_ctl(const char *ctl_path, const char *cmd, const char **err)
{
	char line[256];
	size_t len = 0, cap = 1 << 16;
	char *buf;
	json_t *j;
	int fd;

	snprintf(line, sizeof(line), "%s\n", cmd);
	fd = ctl_connect(ctl_path, line);
	if (fd < 0) {
		*err = "dmmd's control socket does not answer";
		return NULL;
	}
	buf = malloc(cap);
	while (buf) {
		ssize_t r;

		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = recv(fd, buf + len, cap - 1 - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (!buf) {
		*err = "out of memory";
		return NULL;
	}
	j = json_loadb(buf, len, 0, NULL);
	free(buf);
	if (!j)
		*err = "dmmd's reply is not JSON";
	return j;
}

int ncd_ctl_follow(const char *ctl_path)
{
	int fd = ctl_connect(ctl_path, "events 0\n");

	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}
