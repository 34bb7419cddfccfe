/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "dmm/log.h"

void dmm_logf(const struct dmm_log *log, enum dmm_log_level lvl, enum dmm_log_cat cat, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!log || !log->fn || lvl > log->max_level)
		return;
	va_start(ap, fmt);
	/* vsnprintf formats into memory only; no I/O happens here. */
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log->fn(log->ctx, lvl, cat, buf);
}

const char *dmm_log_level_name(enum dmm_log_level lvl)
{
	static const char *const n[] = {"ERR", "WARN", "INFO", "DEBUG"};

	return (unsigned)lvl < 4 ? n[lvl] : "?";
}

const char *dmm_log_cat_name(enum dmm_log_cat cat)
{
	static const char *const n[] = {"MH", "BC", "FSM", "DP", "ND", "TIMER", "CFG"};

	return (unsigned)cat < 7 ? n[cat] : "?";
}
