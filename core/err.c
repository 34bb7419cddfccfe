/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "dmm/err.h"
#include "dmm/stats.h"

#define DMM_ERR_STR_(n, s) s,
#define DMM_ERR_NAME_(n, s) #n,
static const char *const err_text[] = {"success", DMM_ERRORS(DMM_ERR_STR_)};
static const char *const err_name[] = {"OK", DMM_ERRORS(DMM_ERR_NAME_)};

const char *dmm_strerror(int err)
{
	unsigned i = err <= 0 ? (unsigned)-err : 0u;

	if (err > 0 || i >= sizeof(err_text) / sizeof(err_text[0]))
		return "unknown error";
	return err_text[i];
}

const char *dmm_errname(int err)
{
	unsigned i = err <= 0 ? (unsigned)-err : 0u;

	if (err > 0 || i >= sizeof(err_name) / sizeof(err_name[0]))
		return "?";
	return err_name[i];
}

_Static_assert(sizeof(err_name) / sizeof(err_name[0]) <= DMM_STATS_MAX_ERR,
	       "struct dmm_pmip_stats counts malformed input by error code");
