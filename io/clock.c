/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <time.h>

#include "io.h"

dmm_time_t dmm_io_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (dmm_time_t)ts.tv_sec * DMM_SECOND + (dmm_time_t)ts.tv_nsec;
}

int64_t dmm_io_wall_offset(void)
{
	struct timespec r;
	dmm_time_t m = dmm_io_now();

	clock_gettime(CLOCK_REALTIME, &r);
	return (int64_t)((dmm_time_t)r.tv_sec * DMM_SECOND + (dmm_time_t)r.tv_nsec) - (int64_t)m;
}
