/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging from core/ goes to a sink the caller provides; core never
 * writes to a file or stream itself. dmmd sends records to syslog or
 * stderr, dmm-emu to its report, the tests to a buffer.
 */
#ifndef DMM_LOG_H
#define DMM_LOG_H

#include <stdarg.h>

#include "dmm/types.h"

enum dmm_log_level { DMM_LOG_ERR, DMM_LOG_WARN, DMM_LOG_INFO, DMM_LOG_DEBUG };

/* Categories (STYLE.md): MH, BC, FSM, DP, ND, plus TIMER and CFG. */
enum dmm_log_cat { DMM_LC_MH, DMM_LC_BC, DMM_LC_FSM, DMM_LC_DP, DMM_LC_ND, DMM_LC_TIMER, DMM_LC_CFG };

struct dmm_log {
	/* Called with a complete message (no trailing newline). May be NULL. */
	void (*fn)(void *ctx, enum dmm_log_level lvl, enum dmm_log_cat cat, const char *msg);
	void *ctx;
	enum dmm_log_level max_level; /* records above this level are dropped */
};

/* Format and pass a record to log's sink; log may be NULL. */
void dmm_logf(const struct dmm_log *log, enum dmm_log_level lvl, enum dmm_log_cat cat, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Names for printing: "ERR", "MH", ... */
const char *dmm_log_level_name(enum dmm_log_level lvl);
const char *dmm_log_cat_name(enum dmm_log_cat cat);

#endif
