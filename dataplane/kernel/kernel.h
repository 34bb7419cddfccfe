/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel data plane (rtnetlink through libmnl): extras beyond the
 * dmm_dp_ops contract of dataplane.h.
 */
#ifndef DMM_DP_KERNEL_H
#define DMM_DP_KERNEL_H

#include "dmm/dataplane.h"

/*
 * The last error text of the kernel backend dp: the kernel's extended ACK
 * message of the last failed netlink request, or a description of the
 * failure; "" when there was none. dp must be a kernel backend handle.
 * Valid until the next call on dp.
 */
const char *dmm_dp_kernel_last_error(const struct dmm_dp *dp);

#endif
