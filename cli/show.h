/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dmmctl show commands: ask dmmd's control socket and render the JSON reply. */
#ifndef DMMCTL_SHOW_H
#define DMMCTL_SHOW_H

int dmmctl_show(const char *what, int argc, char **argv);
/* Send the control line cmd; argv holds -s SOCKET and --json; the reply rendered as by show. */
int dmmctl_request(const char *cmd, int argc, char **argv);

#endif
