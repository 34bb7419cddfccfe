/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the roles (ARCHITECTURE.md rule 5: bad input never
 * aborts and never corrupts state). The first octet picks a role (LMA,
 * MAG, MAAR, CMD), created fresh for every input with small tables; the
 * rest is a script of records {kind, len, bytes}:
 *
 *   kind % 4 == 0  the bytes arrive as a Mobility Header from one of four peers
 *   kind % 4 == 1  time moves on by len * 10 ms and the role's timers run
 *   kind % 4 == 2  MN number len % 16 attaches (MAG, MAAR)
 *   kind % 4 == 3  MN number len % 16 leaves (MAG, MAAR)
 *
 * Everything a role sends is decoded again (it must be well formed), and
 * the intent table must stay within its bounds. ASan and UBSan catch the
 * rest.
 */
#include <stdlib.h>
#include <string.h>

#include "dmm/cmd.h"
#include "dmm/lma.h"
#include "dmm/maar.h"
#include "dmm/mag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *z_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return calloc(1, n);
}

static void z_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static void f_send(void *ctx, const struct dmm_addr *src, const struct dmm_addr *dst, const uint8_t *buf,
		   size_t len)
{
	static struct dmm_mh_msg m;

	(void)ctx;
	(void)src;
	(void)dst;
	/* What a role sends must be a valid Mobility Header. */
	if (dmm_mh_decode(&m, buf, len) != (int)len)
		abort();
}

static int f_install(void *ctx, const struct dmm_intent *in)
{
	(void)ctx;
	return in->prefix.len <= 128 ? 0 : -1;
}

static void f_remove(void *ctx, const struct dmm_intent *in)
{
	(void)ctx;
	(void)in;
}

static struct dmm_addr addr_n(uint8_t n)
{
	struct dmm_addr a = {{0x20, 0x01, 0x0d, 0xb8, 0, n, [15] = 1}};

	return a;
}

static struct dmm_mnid mn_n(uint8_t n)
{
	struct dmm_mnid m = {.subtype = DMM_MNID_EUI48, .len = 6, .id = {2, 0, 0, 0, 1, n}};

	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dmm_alloc a = {z_alloc, z_free, NULL};
	const struct dmm_role_ops *ro;
	struct dmm_env env = {.alloc = &a,
			      .send = f_send,
			      .fm = {.install = f_install, .remove = f_remove, .ctx = NULL},
			      .seed = 7,
			      .wall_offset = 1700000000LL * 1000000000LL};
	struct dmm_policy *pol;
	struct dmm_policy_profile prof = {.may_register = true, .n_alloc = 1};
	union {
		struct dmm_lma_cfg lma;
		struct dmm_mag_cfg mag;
		struct dmm_maar_cfg maar;
		struct dmm_cmd_cfg cmd;
	} cfg;
	struct dmm_prefix pool;
	dmm_time_t now = 1000 * DMM_SECOND;
	void *inst;
	size_t off = 1;

	if (size < 1)
		return 0;
	pol = dmm_policy_new(&a, 16, 16, 1);
	if (!pol)
		return 0;
	dmm_policy_set_default(pol, &prof);
	dmm_policy_set_allow_any_mag(pol, true);
	memset(&pool, 0, sizeof(pool));
	pool.addr = addr_n(0x10);
	pool.len = 56;
	switch (data[0] % 4) {
	case 0:
		ro = &dmm_lma_ops;
		dmm_lma_cfg_defaults(&cfg.lma);
		cfg.lma.addr = addr_n(0);
		cfg.lma.policy = pol;
		cfg.lma.max_bindings = 32;
		cfg.lma.max_peers = 8;
		cfg.lma.pool[0] = pool;
		cfg.lma.npool = 1;
		break;
	case 1:
		ro = &dmm_mag_ops;
		dmm_mag_cfg_defaults(&cfg.mag);
		cfg.mag.addr = addr_n(0);
		cfg.mag.default_lma = addr_n(1);
		cfg.mag.max_mns = 32;
		cfg.mag.max_peers = 8;
		/* RFC 5949: HI and HAck reach the fast-handover code, both modes. */
		cfg.mag.fho.enabled = true;
		cfg.mag.fho.reactive = true;
		cfg.mag.fho.n_neighbour = 1;
		cfg.mag.fho.neighbour[0] = addr_n(2);
		break;
	case 2:
		ro = &dmm_maar_ops;
		dmm_maar_cfg_defaults(&cfg.maar);
		cfg.maar.addr = addr_n(0);
		cfg.maar.cmd = addr_n(1);
		cfg.maar.pool[0] = pool;
		cfg.maar.npool = 1;
		cfg.maar.max_mns = 32;
		cfg.maar.idle_release = 2 * DMM_SECOND;
		break;
	default:
		ro = &dmm_cmd_ops;
		dmm_cmd_cfg_defaults(&cfg.cmd);
		cfg.cmd.addr = addr_n(0);
		cfg.cmd.policy = pol;
		cfg.cmd.max_mns = 32;
		cfg.cmd.max_maars = 8;
		cfg.cmd.mode = data[0] & 4 ? DMM_CMD_RELAY : DMM_CMD_PROXY;
		break;
	}
	inst = ro->create(&env, &cfg, now);
	if (!inst) {
		dmm_policy_free(pol);
		return 0;
	}
	while (off + 2 <= size) {
		uint8_t kind = data[off], len = data[off + 1];
		struct dmm_addr src = addr_n((uint8_t)(1 + ((kind >> 2) & 3))), dst = addr_n(0);
		struct dmm_mnid m = mn_n(len % 16);
		uint8_t ll[6] = {2, 0, 0, 0, 1, (uint8_t)(len % 16)};

		off += 2;
		switch (kind % 4) {
		case 0:
			if (len > size - off)
				len = (uint8_t)(size - off);
			ro->recv(inst, &src, &dst, data + off, len, now);
			off += len;
			break;
		case 1:
			now += (dmm_time_t)len * 10 * DMM_MSEC;
			ro->expire(inst, now);
			if (ro->next_deadline(inst) < now)
				abort(); /* everything due has run */
			break;
		case 2:
			if (ro->attach)
				ro->attach(inst, &m, (uint32_t)(len % 4) + 1, ll, 6, DMM_ATT_8023, now);
			break;
		default:
			if (ro->detach)
				ro->detach(inst, &m, now);
			break;
		}
	}
	ro->destroy(inst);
	dmm_policy_free(pol);
	return 0;
}
