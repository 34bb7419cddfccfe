/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A control socket client's answer (daemon/ctl.c, daemon/handover.c): one JSON document, then EOF. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dmmd.h"

void dmmd_ctl_reply(int fd, json_t *reply)
{
	char *text = json_dumps(reply, JSON_COMPACT);
	size_t len = text ? strlen(text) : 0, off = 0;

	while (off < len) {
		ssize_t w = send(fd, text + off, len - off, MSG_NOSIGNAL);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(text);
	json_decref(reply);
	close(fd);
}
