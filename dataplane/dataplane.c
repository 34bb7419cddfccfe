/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "dmm/dataplane.h"

const struct dmm_dp_ops *dmm_dp_find(const char *name)
{
	static const struct dmm_dp_ops *const all[] = {&dmm_dp_kernel, &dmm_dp_user, &dmm_dp_bpf};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
