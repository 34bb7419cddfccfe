/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dmmctl show commands: ask dmmd's control socket and render the JSON reply. */
#ifndef DMMCTL_SHOW_H
#define DMMCTL_SHOW_H

#include <stdbool.h>

int dmmctl_show(const char *what, int argc, char **argv);
/* Send the control line cmd; argv holds -s SOCKET and --json; the reply rendered as by show. */
int dmmctl_request(const char *cmd, int argc, char **argv);

/*
 * Send one command line cmd to dmmd at sock (NULL: $DMMCTL_SOCKET, else
 * the default) and print the reply: as is with as_json, else as text.
 * Returns 0, 1 when dmmd answered with an error, 2 when it could not be
 * reached or answered nonsense.
 */
int dmmctl_command(const char *sock, const char *cmd, bool as_json);
/* As dmmctl_command, but 3 when the daemon's error is err3 (NULL: never). */
int dmmctl_command_status(const char *sock, const char *cmd, bool as_json, const char *err3);

/*
 * Connect to dmmd's control socket at path and send the line cmd (the
 * newline added). Returns the connected descriptor, or -1 after saying why.
 */
int dmmctl_connect(const char *path, const char *cmd);
/*
 * argv[*i] is one of the options every socket command takes (-s/--socket
 * PATH, -j/--json): store it in *sock or *as_json, step *i past its value
 * and return true; otherwise return false and leave all as it was.
 */
bool dmmctl_common_arg(int argc, char **argv, int *i, const char **sock, bool *as_json);

/*
 * Send the control line cmd to dmmd at sock (NULL: as dmmctl_command)
 * and return its reply, NUL-terminated, which the caller frees; NULL if
 * dmmd could not be reached.
 */
char *dmmctl_fetch(const char *sock, const char *cmd);

/* dmmctl events: follow dmmd's event stream (cli/events.c). */
int dmmctl_events(int argc, char **argv);

#endif
