/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmctl show {bindings,peers,intents,stats,node,anchors} [-s SOCKET]
 * [--json]: one request on dmmd's UNIX control socket, one JSON reply.
 * --json passes the reply through (iproute2's -j habit); otherwise a list
 * of objects becomes a table with the keys as headers and an object a
 * list of "key: value" lines; show stats' state transitions print as
 * "machine  from -> to  count" lines.
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

#define MAX_COLS 16
#define CELL 160

int dmmctl_connect(const char *path, const char *cmd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char line[128];
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "dmmctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "dmmctl: cannot reach dmmd at %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* One write: the command and its newline arrive together. */
	snprintf(line, sizeof(line), "%s\n", cmd);
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "dmmctl: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

bool dmmctl_common_arg(int argc, char **argv, int *i, const char **sock, bool *as_json)
{
	if (strcmp(argv[*i], "--json") == 0 || strcmp(argv[*i], "-j") == 0)
		*as_json = true;
	else if ((strcmp(argv[*i], "-s") == 0 || strcmp(argv[*i], "--socket") == 0) && *i + 1 < argc)
		*sock = argv[++*i];
	else
		return false;
	return true;
}

static char *request(const char *path, const char *cmd)
{
	size_t cap = 65536, len = 0;
	char *buf;
	int fd = dmmctl_connect(path, cmd);

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (cap - len < 2) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (buf)
		buf[len] = 0;
	return buf;
}

static void cell(json_t *v, char *out)
{
	if (json_is_string(v))
		snprintf(out, CELL, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, CELL, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(out, CELL, "%.1f", json_real_value(v));
	else if (json_is_null(v) || !v)
		snprintf(out, CELL, "-");
	else if (json_is_boolean(v))
		snprintf(out, CELL, "%s", json_is_true(v) ? "yes" : "no");
	else {
		char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		size_t n = 0;

		/* Lists of strings print as a,b,c. */
		out[0] = 0;
		if (json_is_array(v)) {
			size_t i;
			json_t *e;

			json_array_foreach(v, i, e)
			{
				if (json_is_object(e)) {
					/* {"anchor": A, "prefix": P} prints as P@A */
					json_t *p = json_object_get(e, "prefix"),
					       *a = json_object_get(e, "anchor");

					n += (size_t)snprintf(out + n, n < CELL ? CELL - n : 0, "%s%s@%s",
							      i ? "," : "",
							      json_is_string(p) ? json_string_value(p) : "?",
							      json_is_string(a) ? json_string_value(a) : "?");
				} else {
					n += (size_t)snprintf(out + n, n < CELL ? CELL - n : 0, "%s%s",
							      i ? "," : "",
							      json_is_string(e) ? json_string_value(e) : "?");
				}
				if (n >= CELL)
					break;
			}
		} else {
			snprintf(out, CELL, "%s", t ? t : "?");
		}
		free(t);
	}
}

static void table(json_t *arr)
{
	const char *keys[MAX_COLS];
	size_t nk = 0, w[MAX_COLS], i;
	json_t *row;
	char c[CELL];

	json_array_foreach(arr, i, row)
	{
		const char *k;
		json_t *v;

		json_object_foreach(row, k, v)
		{
			size_t j;

			for (j = 0; j < nk && strcmp(keys[j], k) != 0; j++)
				;
			if (j == nk && nk < MAX_COLS)
				keys[nk++] = k;
		}
	}
	for (size_t j = 0; j < nk; j++)
		w[j] = strlen(keys[j]);
	json_array_foreach(arr, i, row) for (size_t j = 0; j < nk; j++)
	{
		cell(json_object_get(row, keys[j]), c);
		if (strlen(c) > w[j])
			w[j] = strlen(c);
	}
	for (size_t j = 0; j < nk; j++)
		printf("%-*s%s", (int)w[j], keys[j], j + 1 < nk ? "  " : "\n");
	json_array_foreach(arr, i, row)
	{
		for (size_t j = 0; j < nk; j++) {
			cell(json_object_get(row, keys[j]), c);
			printf("%-*s%s", (int)w[j], c, j + 1 < nk ? "  " : "\n");
		}
	}
	if (json_array_size(arr) == 0)
		printf("(none)\n");
}

/*
 * show stats' "transitions" ({"bul": {"WAIT_PBA->REGISTERED": 3, ...}, ...})
 * as one aligned line per transition: machine, "from -> to", count.
 */
static void transitions(json_t *t)
{
	const char *kind, *k;
	json_t *m, *v;
	int wk = 0, wt = 0;
	char c[CELL];

	printf("transitions:\n");
	json_object_foreach(t, kind, m)
	{
		if ((int)strlen(kind) > wk)
			wk = (int)strlen(kind);
		json_object_foreach(m, k, v) if ((int)strlen(k) + 2 > wt) wt = (int)strlen(k) + 2;
	}
	json_object_foreach(t, kind, m)
	{
		json_object_foreach(m, k, v)
		{
			const char *arrow = strstr(k, "->");
			char tr[CELL];

			if (arrow)
				snprintf(tr, sizeof(tr), "%.*s -> %s", (int)(arrow - k), k, arrow + 2);
			else
				snprintf(tr, sizeof(tr), "%s", k);
			cell(v, c);
			printf("  %-*s  %-*s  %s\n", wk, kind, wt, tr, c);
		}
	}
	if (json_object_size(t) == 0)
		printf("  (none)\n");
}

static void object(json_t *o, int indent)
{
	const char *k;
	json_t *v;
	char c[CELL];

	json_object_foreach(o, k, v)
	{
		if (indent == 0 && strcmp(k, "transitions") == 0 && json_is_object(v)) {
			transitions(v);
			continue;
		}
		if (json_is_object(v)) {
			printf("%*s%s:\n", indent, "", k);
			object(v, indent + 2);
			continue;
		}
		cell(v, c);
		printf("%*s%s: %s\n", indent, "", k, c);
	}
}

int dmmctl_show(const char *what, int argc, char **argv)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "show %s", what);
	return dmmctl_request(cmd, argc, argv);
}

int dmmctl_request(const char *cmd, int argc, char **argv)
{
	const char *sock = getenv("DMMCTL_SOCKET"), *what = cmd;
	char *reply;
	int rc;
	bool as_json = false;
	json_t *j;
	json_error_t je;

	for (int i = 0; i < argc; i++) {
		if (!dmmctl_common_arg(argc, argv, &i, &sock, &as_json)) {
			fprintf(stderr, "dmmctl: %s: unknown argument %s\n", what, argv[i]);
			return 2;
		}
	}
	if (!sock)
		sock = "/run/dmmd-node.sock";
	reply = request(sock, cmd);
	if (!reply)
		return 2;
	j = json_loads(reply, 0, &je);
	/* An action (not a show) that dmmd refused fails: status 1. */
	rc = j && json_object_get(j, "error") && strncmp(cmd, "show ", 5) != 0 ? 1 : 0;
	if (as_json) {
		printf("%s\n", reply);
		free(reply);
		json_decref(j);
		return rc;
	}
	free(reply);
	if (!j) {
		fprintf(stderr, "dmmctl: bad reply from dmmd: %s\n", je.text);
		return 2;
	}
	if (json_is_array(j))
		table(j);
	else if (json_object_get(j, "error"))
		fprintf(stderr, "dmmctl: dmmd: %s\n", json_string_value(json_object_get(j, "error")));
	else
		object(j, 0);
	json_decref(j);
	return rc;
}

char *dmmctl_fetch(const char *sock, const char *cmd)
{
	if (!sock)
		sock = getenv("DMMCTL_SOCKET");
	return request(sock ? sock : "/run/dmmd-node.sock", cmd);
}

int dmmctl_command(const char *sock, const char *cmd, bool as_json)
{
	return dmmctl_command_status(sock, cmd, as_json, NULL);
}

int dmmctl_command_status(const char *sock, const char *cmd, bool as_json, const char *err3)
{
	char *reply;
	json_t *j, *err;
	json_error_t je;
	int rc = 0;

	if (!sock)
		sock = getenv("DMMCTL_SOCKET");
	reply = request(sock ? sock : "/run/dmmd-node.sock", cmd);
	if (!reply)
		return 2;
	j = json_loads(reply, 0, &je);
	if (!j) {
		fprintf(stderr, "dmmctl: bad reply from dmmd: %s\n", je.text);
		free(reply);
		return 2;
	}
	err = json_object_get(j, "error");
	if (as_json)
		printf("%s\n", reply);
	else if (err)
		fprintf(stderr, "dmmctl: dmmd: %s%s%s\n", json_string_value(err),
			json_object_get(j, "reason") ? ": " : "",
			json_object_get(j, "reason") ? json_string_value(json_object_get(j, "reason")) : "");
	else
		object(j, 0);
	rc = !err ? 0 : err3 && json_is_string(err) && strcmp(json_string_value(err), err3) == 0 ? 3 : 1;
	json_decref(j);
	free(reply);
	return rc;
}
