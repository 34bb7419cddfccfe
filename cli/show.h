/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dmmctl show commands: ask dmmd's control socket and render the JSON reply. */
#ifndef DMMCTL_SHOW_H
#define DMMCTL_SHOW_H

int dmmctl_show(const char *what, int argc, char **argv);

/* dmmctl events: follow dmmd's event stream (cli/events.c). */
int dmmctl_events(int argc, char **argv);

#endif
