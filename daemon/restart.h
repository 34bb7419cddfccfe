/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The node's Restart Counter (RFC 5847 §3.2): incremented every time
 * dmmd starts (and so loses its mobility session state), and kept in a
 * state file so that it survives restarts and reboots.
 */
#ifndef DMMD_RESTART_H
#define DMMD_RESTART_H

#include <stddef.h>
#include <stdint.h>

/*
 * The Restart Counter of this start: the value stored in the file at
 * path plus 1 (mod 2^32), or initial + 1 when the file does not exist.
 * The new value is written back atomically (a temporary file in the same
 * directory, fsync, rename, fsync of the directory) before this returns,
 * so no two starts use the same value even after a crash. The directory
 * is created (mode 0755) if it is missing; its parent must exist.
 *
 * Returns 0 with the counter in *out, or -1 with the reason in err (the
 * file unreadable, not a counter, or not writable); the file is then
 * unchanged.
 */
int dmmd_restart_counter_next(const char *path, uint32_t initial, uint32_t *out, char *err, size_t errlen);

#endif
