/* SPDX-License-Identifier: GPL-2.0-or-later */
/* core/fmt.c against libc's inet_ntop/inet_pton (RFC 5952 text), and MN-ID text forms. */
#include <arpa/inet.h>

#include "check.h"
#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/mh.h"

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

int main(void)
{
	char a[DMM_ADDR_STRLEN], b[INET6_ADDRSTRLEN], p[DMM_PREFIX_STRLEN], m[DMM_MNID_STRLEN];
	struct dmm_addr x, y;
	struct dmm_prefix pf;
	struct dmm_mnid id, id2;
	int mismatch = 0, parse_bad = 0;

	/* Random addresses with runs of zero words, the cases RFC 5952 is about. */
	for (int i = 0; i < 100000; i++) {
		for (int k = 0; k < 8; k++) {
			unsigned w = rnd() % 3 ? 0 : rnd() & 0xffff;
			x.b[2 * k] = (uint8_t)(w >> 8);
			x.b[2 * k + 1] = (uint8_t)w;
		}
		if (x.b[0] == 0 && x.b[1] == 0 && rnd() % 2) /* skip libc's ::ffff:a.b.c.d forms */
			x.b[0] = 1;
		dmm_addr_str(&x, a);
		inet_ntop(AF_INET6, x.b, b, sizeof(b));
		if (strchr(b, '.') == NULL && strcmp(a, b) != 0 && mismatch++ < 5)
			fprintf(stderr, "fmt %s vs libc %s\n", a, b);
		if (dmm_addr_parse(b, &y) != 0 || !dmm_addr_eq(&x, &y))
			parse_bad++;
	}
	CHECK_EQ(mismatch, 0);
	CHECK_EQ(parse_bad, 0);

	CHECK_EQ(dmm_addr_parse("2001:db8::1", &x), 0);
	CHECK_EQ(strcmp(dmm_addr_str(&x, a), "2001:db8::1"), 0);
	CHECK_EQ(dmm_addr_parse("::", &x), 0);
	CHECK(dmm_addr_is_zero(&x));
	CHECK_EQ(dmm_addr_parse("1:2:3:4:5:6:7:8:9", &x), DMM_ERR_INVAL);
	CHECK_EQ(dmm_addr_parse("1::2::3", &x), DMM_ERR_INVAL);
	CHECK_EQ(dmm_addr_parse("12345::", &x), DMM_ERR_INVAL);
	CHECK_EQ(dmm_addr_parse("fe80::1:", &x), DMM_ERR_INVAL);
	CHECK_EQ(dmm_addr_parse("", &x), DMM_ERR_INVAL);

	CHECK_EQ(dmm_prefix_parse("2001:db8:1:2::/64", &pf), 0);
	CHECK_EQ(pf.len, 64);
	CHECK_EQ(strcmp(dmm_prefix_str(&pf, p), "2001:db8:1:2::/64"), 0);
	CHECK_EQ(dmm_prefix_parse("2001:db8::/129", &pf), DMM_ERR_INVAL);
	CHECK_EQ(dmm_prefix_parse("2001:db8::", &pf), DMM_ERR_INVAL);
	CHECK_EQ(dmm_prefix_parse("2001:db8:1:2:3::/48", &pf), 0);
	dmm_prefix_mask(&pf);
	CHECK_EQ(strcmp(dmm_prefix_str(&pf, p), "2001:db8:1::/48"), 0);
	dmm_addr_parse("2001:db8:1:ffff::1", &x);
	CHECK(dmm_prefix_contains(&pf, &x));
	dmm_addr_parse("2001:db8:2::1", &x);
	CHECK(!dmm_prefix_contains(&pf, &x));
	pf.len = 0;
	CHECK(dmm_prefix_contains(&pf, &x));

	static const char *const forms[] = {
		"nai:mn1@example.com", "eui48:02:00:00:00:00:01", "eui64:02:00:00:ff:fe:00:00:01",
		"ipv6:2001:db8::7",    "imsi:001010123456789",	  "imsi:12345678",
		"004:0a0b0c0d",	       "008:0001aabbcc"};
	for (unsigned i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		CHECK_EQ(dmm_mnid_parse(forms[i], &id), 0);
		CHECK_EQ(strcmp(dmm_mnid_str(&id, m), forms[i]), 0);
		CHECK_EQ(dmm_mnid_parse(m, &id2), 0);
		CHECK(dmm_mnid_eq(&id, &id2));
	}
	dmm_mnid_parse("imsi:123456123456789", &id);
	CHECK_EQ(id.len, 8);
	CHECK_MEM(id.id, "\x12\x34\x56\x12\x34\x56\x78\x9f", 8); /* RFC 8371 §4.2 example */
	CHECK_EQ(dmm_mnid_parse("eui48:02:00:00:00:01", &id), DMM_ERR_INVAL);
	CHECK_EQ(dmm_mnid_parse("imsi:12a", &id), DMM_ERR_INVAL);
	CHECK_EQ(dmm_mnid_parse("nai:", &id), DMM_ERR_INVAL);
	CHECK_EQ(dmm_mnid_parse("x:00", &id), DMM_ERR_INVAL);
	return check_report("test_fmt");
}
