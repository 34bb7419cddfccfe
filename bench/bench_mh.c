/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Decode and encode rates of a typical PMIPv6 PBU and PBA (RFC 5213 §6.9.1,
 * §5.3.6: MN-ID, HNP, HI, ATT, Timestamp), beside a memcpy of the same
 * bytes measured in the same run. Prints figures; never fails on time.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dmm/err.h"
#include "dmm/mh.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void build(struct dmm_mh_msg *m, bool pba)
{
	struct dmm_mh_opt *o;

	dmm_mh_init(m, pba ? DMM_MH_BA : DMM_MH_BU);
	if (pba) {
		m->u.ba.status = DMM_BA_ACCEPTED;
		m->u.ba.flags = DMM_BA_P;
		m->u.ba.seq = 4660;
		m->u.ba.lifetime = 150;
	} else {
		m->u.bu.seq = 4660;
		m->u.bu.flags = DMM_BU_A | DMM_BU_P;
		m->u.bu.lifetime = 150;
	}
	o = dmm_mh_add_opt(m, DMM_OPT_MNID);
	o->u.mnid.subtype = DMM_MNID_NAI;
	o->u.mnid.id.len = 15;
	memcpy(o->u.mnid.id.b, "mn1@example.com", 15);
	o = dmm_mh_add_opt(m, DMM_OPT_HNP);
	o->u.hnp.len = 64;
	memcpy(o->u.hnp.addr.b, "\x20\x01\x0d\xb8\x0a\xaa\x00\x01", 8);
	dmm_mh_add_opt(m, DMM_OPT_HI)->u.hi.value = DMM_HI_NEW_IF;
	dmm_mh_add_opt(m, DMM_OPT_ATT)->u.att.value = DMM_ATT_80211;
	o = dmm_mh_add_opt(m, DMM_OPT_TIMESTAMP);
	o->u.timestamp.seconds = 1700000000;
	o->u.timestamp.fraction = 0x8000;
}

/* Runs fn for about 0.3 s and returns operations per second. */
#define RATE(expr)                                                                                           \
	({                                                                                                   \
		long n_ = 0;                                                                                 \
		double t0_ = now_s(), t_;                                                                    \
		do {                                                                                         \
			for (int i_ = 0; i_ < 1000; i_++) {                                                  \
				expr;                                                                        \
				__asm__ volatile("" ::: "memory");                                           \
			}                                                                                    \
			n_ += 1000;                                                                          \
		} while ((t_ = now_s() - t0_) < 0.3);                                                        \
		(double)n_ / t_;                                                                             \
	})

int main(void)
{
	static struct dmm_mh_msg m, out;
	static uint8_t buf[DMM_MH_MAX_LEN], copy[DMM_MH_MAX_LEN];
	const char *names[2] = {"PBU", "PBA"};

	printf("%-4s %5s %14s %14s %14s %9s %9s\n", "msg", "bytes", "decode/s", "encode/s", "memcpy/s",
	       "dec/cpy", "enc/cpy");
	for (int k = 0; k < 2; k++) {
		int n;
		double dec, enc, cpy;

		build(&m, k == 1);
		n = dmm_mh_encode(buf, sizeof(buf), &m);
		if (n < 0 || dmm_mh_decode(&out, buf, (size_t)n) != n) {
			fprintf(stderr, "bench_mh: %s does not round-trip: %s\n", names[k], dmm_errname(n));
			return 1;
		}
		cpy = RATE(memcpy(copy, buf, (size_t)n));
		dec = RATE(dmm_mh_decode(&out, buf, (size_t)n));
		enc = RATE(dmm_mh_encode(buf, sizeof(buf), &m));
		printf("%-4s %5d %14.0f %14.0f %14.0f %9.3f %9.3f\n", names[k], n, dec, enc, cpy, dec / cpy,
		       enc / cpy);
	}
	return 0;
}
