/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runtime LMA assignment (RFC 6463) on an in-memory network of a real
 * MAG, LMA1 (the rfLMA, over its load from one binding on) and LMA2 (the
 * r2LMA):
 *  - §4.1, §5.2: the MAG's PBU for a new session carries the
 *    Redirect-Capability option, a refresh does not;
 *  - §4.2, §5.3: LMA1 below its load serves; over it, the PBA carries
 *    status 0 and the Redirect option (K, LMA2's address), and LMA1 keeps
 *    no binding;
 *  - §5.2: the MAG's entry moves to LMA2, which binds the MN, and the
 *    refreshes go there;
 *  - a MAG without the function sends no capability and LMA1 serves it
 *    (§5.3: "act as a normal LMA"); a Redirect it did not ask for is
 *    ignored (§5.2).
 */
#include <stdlib.h>

#include "check.h"
#include "dmm/bcache.h"
#include "dmm/err.h"
#include "dmm/lma.h"
#include "dmm/mag.h"
#include "dmm/mh.h"
#include "dmm/policy.h"
#include "helpers.h"

#define RN_NODE_EXTRA                                                                                        \
	unsigned sent[32]; /* messages sent, by MH type */                                                   \
	unsigned cap;	   /* PBUs sent with Redirect-Capability */                                          \
	unsigned redir;	   /* PBAs sent with the Redirect option */                                          \
	struct dmm_addr redir_to;
#include "rolenet.h"

static struct dmm_policy *POL;
static struct node *L1, *L2, *M;

static bool on_send(struct node *n, const uint8_t *buf, size_t len)
{
	struct dmm_mh_msg m;

	if (len > 2 && buf[2] < 32)
		n->sent[buf[2]]++;
	if (dmm_mh_decode(&m, buf, len) > 0) {
		const struct dmm_mh_opt *o = dmm_mh_find_opt(&m, DMM_OPT_REDIRECT, NULL);

		n->cap += m.type == DMM_MH_BU && dmm_mh_find_opt(&m, DMM_OPT_REDIR_CAP, NULL);
		if (m.type == DMM_MH_BA && o) {
			n->redir++;
			CHECK(o->u.redirect.flags == DMM_REDIRECT_K && o->u.redirect.r2lma.len == 16);
			CHECK_EQ(m.u.ba.status, 0);
			memcpy(n->redir_to.b, o->u.redirect.r2lma.b, 16);
		}
	}
	return true;
}

static void setup(bool mag_redirect)
{
	struct dmm_lma_cfg lc;
	struct dmm_mag_cfg mc;
	struct dmm_policy_profile prof;
	const char *lma[2] = {"2001:db8:a:1::2", "2001:db8:a:2::2"};
	struct node **ls[2] = {&L1, &L2};

	T = 1000 * DMM_SECOND;
	memset(N, 0, sizeof(N));
	POL = dmm_policy_new(&ALLOC, 8, 8, 1);
	dmm_policy_set_allow_any_mag(POL, true);
	memset(&prof, 0, sizeof(prof));
	prof.may_register = true;
	dmm_policy_set_default(POL, &prof);
	for (unsigned i = 0; i < 2; i++) {
		dmm_lma_cfg_defaults(&lc);
		lc.addr = addr_of(lma[i]);
		lc.max_bindings = 16;
		lc.max_peers = 8;
		lc.npool = 1;
		lc.pool[0] = prefix_of(i ? "2001:db8:2::/48" : "2001:db8:1::/48");
		lc.policy = POL;
		lc.heartbeat_interval = 0;
		if (i == 0) {
			lc.redirect_load = 1;
			lc.redirect_to = addr_of(lma[1]);
		}
		*ls[i] = add_node(i ? "lma2" : "lma1", lma[i], &dmm_lma_ops, &lc);
	}
	dmm_mag_cfg_defaults(&mc);
	mc.addr = addr_of("2001:db8:b:1::2");
	mc.default_lma = addr_of(lma[0]);
	mc.max_mns = 16;
	mc.heartbeat_interval = 0;
	mc.redirect = mag_redirect;
	M = add_node("mag1", "2001:db8:b:1::2", &dmm_mag_ops, &mc);
}

static void teardown(void)
{
	rn_teardown();
	dmm_policy_free(POL);
	POL = NULL;
}

static const struct dmm_bul_entry *entry(uint32_t n)
{
	struct dmm_mnid id = eui48(n);

	return dmm_bul_find_mnid(dmm_mag_bul(M->inst), &id);
}

static void attach(uint32_t n)
{
	struct dmm_mnid id = eui48(n);

	CHECK_EQ(M->ops->attach(M->inst, &id, n, id.id, 6, DMM_ATT_8023, T), 0);
	run(50 * DMM_MSEC);
}

static uint32_t bindings(const struct node *n)
{
	struct dmm_role_table t;

	return n->ops->tables(n->inst, &t, 1) == 1 && t.bcache ? dmm_bcache_count(t.bcache) : 0;
}

static void t_redirect(void)
{
	setup(true);
	attach(1);
	/* Below the load: LMA1 serves, no Redirect. */
	CHECK(entry(1) && entry(1)->state == DMM_BUL_REGISTERED);
	CHECK(dmm_addr_eq(&entry(1)->lmaa, &L1->addr));
	CHECK_EQ(M->cap, 1);
	CHECK_EQ(L1->redir, 0);
	CHECK_EQ(bindings(L1), 1);
	/* Over it: the PBA names LMA2, the MAG registers there. */
	attach(2);
	CHECK_EQ(M->cap, 2);
	CHECK_EQ(L1->redir, 1);
	CHECK(dmm_addr_eq(&L1->redir_to, &L2->addr));
	CHECK(entry(2) && entry(2)->state == DMM_BUL_REGISTERED);
	CHECK(entry(2) && dmm_addr_eq(&entry(2)->lmaa, &L2->addr));
	CHECK(entry(2) && entry(2)->n_hnp == 1 && entry(2)->hnp[0].addr.b[5] == 2); /* from LMA2's pool */
	CHECK_EQ(bindings(L1), 1);
	CHECK_EQ(bindings(L2), 1);
	CHECK_EQ(dmm_mag_counters(M->inst)->redirected, 1);
	/* Refreshes go to LMA2 without the capability. */
	L2->sent[DMM_MH_BA] = 0;
	run(600 * DMM_SECOND);
	CHECK(L2->sent[DMM_MH_BA] >= 1);
	CHECK_EQ(M->cap, 2);
	CHECK_EQ(L1->redir, 1);
	teardown();

	/* A MAG without the function: LMA1 serves both. */
	setup(false);
	attach(1);
	attach(2);
	CHECK_EQ(M->cap, 0);
	CHECK_EQ(L1->redir, 0);
	CHECK_EQ(bindings(L1), 2);
	CHECK(entry(2) && dmm_addr_eq(&entry(2)->lmaa, &L1->addr));
	teardown();
}

int main(void)
{
	RN = (struct rn_hooks){.send = on_send, .seed = 0x6463, .verbose = getenv("REDIRECT_VERBOSE")};
	t_redirect();
	return check_report("test_redirect");
}
