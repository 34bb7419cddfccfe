/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LMA discovery by name (RFC 6097; core/role/mag_disc.c) on an in-memory
 * network of a real MAG and two real LMAs, the address list handed in as
 * the daemon's resolver would (dmm_mag_set_lmas):
 *  - before the first answer no MN can register (counted); an empty
 *    answer is refused, the same answer again changes nothing;
 *  - new MNs register at the first address;
 *  - an address that never answers (no node there): after the PBU's
 *    retransmissions (RFC 5213 §6.9.4) the MAG registers the MN at the
 *    next address of the answer, and new MNs start there, also after
 *    the same answer in another order (round robin);
 *  - an answer that no longer holds an entry's LMA moves the entry at its
 *    next refresh: de-registration at the old LMA, a new session (new
 *    prefix) at the new one; an entry whose LMA is still in the answer
 *    stays; with lma_moves off, nothing moves;
 *  - when every address is silent the MN is refused as before.
 */
#include <stdlib.h>

#include "check.h"
#include "dmm/bcache.h"
#include "dmm/err.h"
#include "dmm/lma.h"
#include "dmm/mag.h"
#include "dmm/mh.h"
#include "helpers.h"

#include "dmm/policy.h"
#include "rolenet.h"

static const char *const LMA[2] = {"2001:db8:a:1::2", "2001:db8:a:2::2"};
static const char *const DEAD = "2001:db8:a:9::2";
static struct node *L1, *L2, *M;
static struct dmm_policy *POL;

static void setup(bool moves)
{
	struct dmm_lma_cfg lc;
	struct dmm_mag_cfg mc;
	struct node **ls[2] = {&L1, &L2};

	struct dmm_policy_profile prof;

	T = 1000 * DMM_SECOND;
	memset(N, 0, sizeof(N));
	POL = dmm_policy_new(&ALLOC, 8, 8, 1);
	dmm_policy_set_allow_any_mag(POL, true);
	memset(&prof, 0, sizeof(prof));
	prof.may_register = true;
	dmm_policy_set_default(POL, &prof);
	for (unsigned i = 0; i < 2; i++) {
		dmm_lma_cfg_defaults(&lc);
		lc.addr = addr_of(LMA[i]);
		lc.max_bindings = 16;
		lc.max_peers = 8;
		lc.npool = 1;
		lc.pool[0] = prefix_of(i ? "2001:db8:2::/48" : "2001:db8:1::/48");
		lc.heartbeat_interval = 0;
		lc.policy = POL;
		*ls[i] = add_node(i ? "lma2" : "lma1", LMA[i], &dmm_lma_ops, &lc);
	}
	dmm_mag_cfg_defaults(&mc);
	mc.addr = addr_of("2001:db8:b:1::2");
	mc.lma_by_name = true;
	mc.lma_moves = moves;
	mc.max_mns = 16;
	mc.heartbeat_interval = 0;
	mc.max_retransmissions = 1;
	mc.initial_bindack_timeout = 200 * DMM_MSEC;
	mc.initial_bindack_timeout_first_reg = 200 * DMM_MSEC;
	M = add_node("mag1", "2001:db8:b:1::2", &dmm_mag_ops, &mc);
}

static const struct dmm_bul_entry *entry(uint32_t n)
{
	struct dmm_mnid id = eui48(n);

	return dmm_bul_find_mnid(dmm_mag_bul(M->inst), &id);
}

static int attach(uint32_t n)
{
	struct dmm_mnid id = eui48(n);
	int r = M->ops->attach(M->inst, &id, n, id.id, 6, DMM_ATT_8023, T);

	run(2 * DMM_SECOND); /* long enough for the retransmissions to a silent address */
	return r;
}

static uint32_t bindings(const struct node *n)
{
	struct dmm_role_table t;

	return n->ops->tables(n->inst, &t, 1) == 1 && t.bcache ? dmm_bcache_count(t.bcache) : 0;
}

static int set(const char *a0, const char *a1)
{
	struct dmm_addr a[2] = {addr_of(a0), a1 ? addr_of(a1) : addr_of("::")};

	return dmm_mag_set_lmas(M->inst, a, a1 ? 2 : 1, T);
}

static bool at(uint32_t n, const struct node *l)
{
	const struct dmm_bul_entry *e = entry(n);

	return e && e->state == DMM_BUL_REGISTERED && dmm_addr_eq(&e->lmaa, &l->addr) && e->n_hnp == 1 &&
	       e->hnp[0].addr.b[5] == (l == L1 ? 1 : 2); /* the prefix of that LMA's pool */
}

static void t_discovery(void)
{
	const struct dmm_mag_counters *c;
	const struct dmm_addr *list;
	unsigned cur;

	setup(true);
	c = dmm_mag_counters(M->inst);
	/* No answer yet: refused and counted; the MN's next RS tries again. */
	CHECK_EQ(attach(1), DMM_ERR_INVAL);
	CHECK_EQ(c->attach_no_lma, 1);
	CHECK_EQ(dmm_mag_set_lmas(M->inst, NULL, 0, T), DMM_ERR_INVAL);
	CHECK_EQ(set(LMA[0], NULL), 1);
	CHECK_EQ(set(LMA[0], NULL), 0);
	CHECK_EQ(attach(1), 0);
	CHECK(at(1, L1));

	/* The first address is silent: the next one after the retransmissions, and new MNs start there. */
	CHECK_EQ(set(DEAD, LMA[1]), 1);
	CHECK_EQ(dmm_mag_lmas(M->inst, &list, &cur), 2);
	CHECK_EQ(cur, 0);
	CHECK_EQ(attach(2), 0);
	CHECK(at(2, L2));
	CHECK_EQ(c->lma_next_address, 1);
	CHECK_EQ(dmm_mag_lmas(M->inst, &list, &cur), 2);
	CHECK_EQ(cur, 1);
	CHECK_EQ(set(LMA[1], DEAD), 0); /* round robin: the same answer, LMA2 stays the address to use */
	CHECK_EQ(dmm_mag_lmas(M->inst, &list, &cur), 2);
	CHECK(dmm_addr_eq(&list[cur], &L2->addr));
	CHECK_EQ(attach(3), 0);
	run(100 * DMM_MSEC);
	CHECK(at(3, L2));
	CHECK_EQ(c->lma_next_address, 1);
	/* MN 1's LMA left the answer: it stays until its refresh, then moves to LMA2 with a new prefix. */
	CHECK(at(1, L1));
	CHECK_EQ(bindings(L1), 1);
	run(600 * DMM_SECOND);
	CHECK(at(1, L2));
	CHECK_EQ(c->lma_moved, 1);
	CHECK_EQ(bindings(L1), 0); /* de-registered there */
	CHECK_EQ(bindings(L2), 3);

	/* Both LMAs in the answer: nobody moves. */
	CHECK_EQ(set(LMA[1], LMA[0]), 1);
	run(600 * DMM_SECOND);
	CHECK_EQ(c->lma_moved, 1);
	CHECK(at(1, L2) && at(2, L2) && at(3, L2));

	/* Only silent addresses: refused as without discovery. */
	CHECK_EQ(set(DEAD, NULL), 1);
	CHECK_EQ(attach(4), 0);
	run(2 * DMM_SECOND);
	CHECK(entry(4) == NULL);
	CHECK_EQ(c->lma_next_address, 1);
	rn_teardown();
	dmm_policy_free(POL);

	/* move-bindings off: the binding stays at the LMA the name left. */
	setup(false);
	c = dmm_mag_counters(M->inst);
	CHECK_EQ(set(LMA[0], NULL), 1);
	CHECK_EQ(attach(1), 0);
	CHECK_EQ(set(LMA[1], NULL), 1);
	run(600 * DMM_SECOND);
	CHECK(at(1, L1));
	CHECK_EQ(c->lma_moved, 0);
	CHECK_EQ(attach(2), 0);
	CHECK(at(2, L2));
	rn_teardown();
	dmm_policy_free(POL);
}

int main(void)
{
	RN = (struct rn_hooks){.seed = 0x6097, .verbose = getenv("DISC_VERBOSE")};
	t_discovery();
	return check_report("test_mag_disc");
}
