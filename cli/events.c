/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmctl events [-s SOCKET] [--json] [--replay N] [--count N]: follow
 * dmmd's event stream (bindings created, handed off, deleted; peers up
 * and down; anchored prefixes released) until dmmd ends it or N events
 * came. The control socket sends one JSON object a line (docs/operations.md);
 * --json passes the lines through, otherwise each is printed as
 * "time event key=value ...".
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "show.h"

/* One event for people: time, event, then the other members as key=value. */
static void render(const char *line)
{
	json_error_t je;
	json_t *j = json_loads(line, 0, &je), *v;
	const char *k;

	if (!j || !json_is_object(j)) {
		printf("%s\n", line);
		json_decref(j);
		return;
	}
	printf("%s %-20s", json_string_value(json_object_get(j, "time")),
	       json_string_value(json_object_get(j, "event")));
	json_object_foreach(j, k, v)
	{
		char *t;

		if (!strcmp(k, "time") || !strcmp(k, "event") || !strcmp(k, "seq"))
			continue;
		t = json_is_string(v) ? strdup(json_string_value(v))
				      : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		printf(" %s=%s", k, t ? t : "?");
		free(t);
	}
	printf("\n");
	json_decref(j);
}

int dmmctl_events(int argc, char **argv)
{
	const char *sock = getenv("DMMCTL_SOCKET");
	bool as_json = false;
	long replay = 0, count = -1;
	char cmd[64], buf[8192];
	size_t len = 0;
	int fd;

	for (int i = 0; i < argc; i++) {
		if (dmmctl_common_arg(argc, argv, &i, &sock, &as_json))
			continue;
		if (strcmp(argv[i], "--replay") == 0 && i + 1 < argc)
			replay = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "dmmctl: events: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	snprintf(cmd, sizeof(cmd), "events %ld", replay < 0 ? 0 : replay);
	if ((fd = dmmctl_connect(sock ? sock : "/run/dmmd-node.sock", cmd)) < 0)
		return 2;
	while (count != 0) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		char *nl;

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		while (count != 0 && (nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			if (as_json)
				printf("%s\n", buf);
			else
				render(buf);
			fflush(stdout);
			if (count > 0)
				count--;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1) /* a line longer than the buffer: not from dmmd */
			break;
	}
	close(fd);
	return 0;
}
