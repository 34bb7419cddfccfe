/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MLD codec and listener state tests.
 *
 * Golden vectors: ICMPv6 payloads worked out from the layouts of RFC 3810
 * §5.1 (query), §5.2 (report, record §5.2.4 - §5.2.12) and RFC 2710 §3
 * (v1 Report and Done), checksum octets 0 (the kernel fills them on a raw
 * ICMPv6 socket). The v2 report is what a Linux host sends when a socket
 * joins ff3e::1234 (one CHANGE_TO_EXCLUDE_MODE record, no source).
 *
 * State: RFC 3810 §7.4 (reports), §7.5 (timer expiry), §7.6.3.1 (last
 * listener queries), §9 (timer values), RFC 4605 §4.1 (link-local scope
 * not forwarded), RFC 3810 §8.3.2 (v1 messages as v2 records).
 *
 * Fuzz seeds: `test_mld --write-seeds tests/fuzz/corpus/mld`.
 */
#include "check.h"
#include "dmm/err.h"
#include "dmm/mld.h"
#include "helpers.h"

/* v2 report: 143, code 0, csum 0, reserved, 1 record: TO_EX, aux 0, 0 sources, ff3e::1234. */
#define REPORT_JOIN                                                                                          \
	"8f000000"                                                                                           \
	"00000001"                                                                                           \
	"04000000"                                                                                           \
	"ff3e0000000000000000000000001234"
/* v2 report, 2 records: TO_IN({}) ff3e::1234; ALLOW {2001:db8::1} ff3e::5 with 1 word of aux data. */
#define REPORT_TWO                                                                                           \
	"8f000000"                                                                                           \
	"00000002"                                                                                           \
	"03000000"                                                                                           \
	"ff3e0000000000000000000000001234"                                                                   \
	"05010001"                                                                                           \
	"ff3e0000000000000000000000000005"                                                                   \
	"20010db8000000000000000000000001"                                                                   \
	"deadbeef"
/* v2 general query: max resp 1000 ms, ::, S 0, QRV 2, QQIC 125, 0 sources. */
#define QUERY_V2                                                                                             \
	"82000000"                                                                                           \
	"03e80000"                                                                                           \
	"00000000000000000000000000000000"                                                                   \
	"027d0000"
/* v1 query (24 octets, RFC 3810 §8.1), group-specific ff3e::1234, 1000 ms. */
#define QUERY_V1                                                                                             \
	"82000000"                                                                                           \
	"03e80000"                                                                                           \
	"ff3e0000000000000000000000001234"
#define V1_REPORT                                                                                            \
	"83000000"                                                                                           \
	"00000000"                                                                                           \
	"ff3e0000000000000000000000001234"
#define V1_DONE                                                                                              \
	"84000000"                                                                                           \
	"00000000"                                                                                           \
	"ff3e0000000000000000000000001234"

static const struct {
	const char *name, *hex;
} golden[] = {
	{"report-join", REPORT_JOIN}, {"report-two", REPORT_TWO}, {"query-v2", QUERY_V2},
	{"query-v1", QUERY_V1},	      {"v1-report", V1_REPORT},	  {"v1-done", V1_DONE},
};

static int write_seeds(const char *dir)
{
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++)
		if (seed_write(dir, golden[i].name, golden[i].hex) != 0)
			return -1;
	return 0;
}

static struct dmm_mld_msg m; /* large: static */

static int decode_hex(const char *hex, uint8_t *b, size_t *n)
{
	*n = unhex(b, 2048, hex);
	return dmm_mld_decode(&m, b, *n);
}

static void check_codes(void)
{
	/* RFC 3810 §5.1.3: 0x8000 is exp 0, mant 0: (0x1000) << 3 = 32768 ms. */
	CHECK_EQ(dmm_mld_code_ms(1000), 1000);
	CHECK_EQ(dmm_mld_code_ms(0x8000), 32768);
	CHECK_EQ(dmm_mld_code_ms(0xffff), 0x1fffu << 10);
	CHECK_EQ(dmm_mld_ms_code(32768), 0x8000);
	CHECK_EQ(dmm_mld_code_ms(dmm_mld_ms_code(131072)), 131072);
	CHECK_EQ(dmm_mld_code_ms(dmm_mld_ms_code(125000)), 124992); /* not representable: rounds down */
	/* §5.1.9: QQIC 125 is 125 s; 0x80 is (0x10) << 3 = 128 s; 0xff is 0x1f << 10. */
	CHECK_EQ(dmm_mld_qqic_s(125), 125);
	CHECK_EQ(dmm_mld_qqic_s(0x80), 128);
	CHECK_EQ(dmm_mld_qqic_s(0xff), 0x1fu << 10);
	CHECK_EQ(dmm_mld_qqic_s(dmm_mld_s_qqic(300)), 288); /* not representable: rounds down */
}

static void check_golden(void)
{
	uint8_t b[2048], e[2048];
	size_t n;

	CHECK_EQ(decode_hex(REPORT_JOIN, b, &n), 28);
	CHECK(m.type == DMM_MLD_V2_REPORT && m.nrec == 1 && m.rec[0].type == DMM_MLD_TO_EX);
	CHECK(m.rec[0].nsrc == 0 && m.rec[0].group.b[0] == 0xff && m.rec[0].group.b[15] == 0x34);
	CHECK_EQ(decode_hex(REPORT_TWO, b, &n), 68);
	CHECK(m.nrec == 2 && m.rec[0].type == DMM_MLD_TO_IN && m.rec[1].type == DMM_MLD_ALLOW);
	CHECK(m.rec[1].nsrc == 1 && m.nsrc == 1 && m.src[m.rec[1].src_off].b[15] == 1);
	/* Encoding drops the auxiliary data (§5.2.6): 4 octets shorter, the rest the same (it is last). */
	CHECK_EQ(dmm_mld_encode(e, sizeof(e), &m), 64);
	b[28 + 1] = 0; /* the second record's Aux Data Len */
	CHECK_MEM(e, b, 64);
	CHECK_EQ(decode_hex(QUERY_V2, b, &n), 28);
	CHECK(m.type == DMM_MLD_QUERY && m.version == 2 && m.qrv == 2 && m.qqic == 125 && !m.s_flag);
	CHECK_EQ(dmm_mld_code_ms(m.max_resp_code), 1000);
	CHECK_EQ(dmm_mld_encode(e, sizeof(e), &m), 28);
	CHECK_MEM(e, b, 28);
	CHECK_EQ(decode_hex(QUERY_V1, b, &n), 24);
	CHECK(m.version == 1 && m.group.b[15] == 0x34);
	CHECK_EQ(decode_hex(V1_REPORT, b, &n), 24);
	CHECK(m.type == DMM_MLD_V1_REPORT && m.version == 1);
	CHECK_EQ(decode_hex(V1_DONE, b, &n), 24);
	CHECK_EQ(dmm_mld_encode(e, sizeof(e), &m), 24);
	CHECK_MEM(e, b, 24);
	CHECK_EQ(dmm_mld_encode(e, 23, &m), DMM_ERR_NOBUF);
}

static void check_bad(void)
{
	uint8_t b[2048];
	size_t n;
	struct check_loop l = CHECK_LOOP_INIT("every truncation of a two-record report fails");

	n = unhex(b, sizeof(b), REPORT_TWO);
	for (size_t cut = 0; cut < n; cut++)
		CHECK_LOOP(l, dmm_mld_decode(&m, b, cut) < 0);
	CHECK_LOOP_END(l);
	/* §8.1: a query of 25 to 27 octets is neither v1 nor v2. */
	n = unhex(b, sizeof(b), QUERY_V2);
	CHECK_EQ(dmm_mld_decode(&m, b, 26), DMM_ERR_INVAL);
	b[1] = 1; /* code not 0 */
	CHECK_EQ(dmm_mld_decode(&m, b, n), DMM_ERR_INVAL);
	b[0] = 135; /* not MLD */
	b[1] = 0;
	CHECK_EQ(dmm_mld_decode(&m, b, n), DMM_ERR_INVAL);
	/* A record that claims more sources than the message holds. */
	n = unhex(b, sizeof(b), REPORT_JOIN);
	b[8 + 3] = 1;
	CHECK_EQ(dmm_mld_decode(&m, b, n), DMM_ERR_TRUNCATED);
	/* More records than kept: refused, not cut. */
	n = unhex(b, sizeof(b), REPORT_JOIN);
	b[7] = DMM_MLD_MAX_REC + 1;
	CHECK_EQ(dmm_mld_decode(&m, b, n), DMM_ERR_NOMEM);
}

/* --- listener state --- */

static struct dmm_mld_tab tab;
static struct dmm_mld_change ch[64];

static void setup(void)
{
	struct dmm_mld_timers t = {2, 10 * DMM_SECOND, 1 * DMM_SECOND, 200 * DMM_MSEC};

	dmm_mld_tab_init(&tab, &t);
}

static int feed(uint32_t link, const char *hex, dmm_time_t now)
{
	uint8_t b[2048];
	size_t n = unhex(b, sizeof(b), hex);

	if (dmm_mld_decode(&m, b, n) < 0)
		return -100;
	return dmm_mld_report(&tab, link, &m, now, ch, 64);
}

static void check_timers(void)
{
	struct dmm_mld_timers t;

	dmm_mld_timers_default(&t);
	/* §9.4: MALI = 2 × 125 s + 10 s = 260 s; §9.14: LLQT = 1 s × 2. */
	CHECK_EQ(dmm_mld_mali(&t), 260 * DMM_SECOND);
	CHECK_EQ(dmm_mld_llqt(&t), 2 * DMM_SECOND);
}

static void check_join_expire(void)
{
	struct dmm_addr g = addr_of("ff3e::1234");
	dmm_time_t mali = 21 * DMM_SECOND; /* 2 × 10 s + 1 s */

	setup();
	CHECK_EQ(feed(1, REPORT_JOIN, 0), 1);
	CHECK(ch[0].what == DMM_MLD_JOINED && ch[0].link == 1);
	CHECK(dmm_mld_listening(&tab, 1, &g) && !dmm_mld_listening(&tab, 2, &g));
	CHECK_EQ(feed(1, REPORT_JOIN, DMM_SECOND), 0); /* a refresh changes nothing */
	CHECK_EQ(dmm_mld_next_expiry(&tab), DMM_SECOND + mali);
	CHECK_EQ(dmm_mld_expire(&tab, mali, ch, 64), 0);
	/* §7.5: the group timer runs out, the link has no listener. */
	CHECK_EQ(dmm_mld_expire(&tab, DMM_SECOND + mali, ch, 64), 1);
	CHECK(ch[0].what == DMM_MLD_LEFT && !dmm_mld_any_listener(&tab, &g));
	CHECK_EQ(dmm_mld_next_expiry(&tab), DMM_TIME_NEVER);
}

static void check_leave(void)
{
	struct dmm_addr g = addr_of("ff3e::1234");

	setup();
	feed(1, REPORT_JOIN, 0);
	/* TO_IN({}) (and ALLOW ff3e::5 with a source: a join). §7.6.3.1: Q(MA) at once, timer LLQT. */
	CHECK_EQ(feed(1, REPORT_TWO, DMM_SECOND), 2);
	CHECK(ch[0].what == DMM_MLD_SEND_GSQ && ch[1].what == DMM_MLD_JOINED);
	CHECK_EQ(dmm_mld_next_expiry(&tab), DMM_SECOND + 200 * DMM_MSEC);
	CHECK_EQ(dmm_mld_expire(&tab, DMM_SECOND + 200 * DMM_MSEC, ch, 64), 1); /* the second query */
	CHECK(ch[0].what == DMM_MLD_SEND_GSQ);
	CHECK(dmm_mld_listening(&tab, 1, &g));
	CHECK_EQ(dmm_mld_expire(&tab, DMM_SECOND + 400 * DMM_MSEC, ch, 64), 1); /* LLQT = 400 ms */
	CHECK(ch[0].what == DMM_MLD_LEFT && !dmm_mld_listening(&tab, 1, &g));
	/* A report between the queries keeps the listener (timer back to MALI). */
	setup();
	feed(1, REPORT_JOIN, 0);
	feed(1, V1_DONE, 0);
	CHECK_EQ(feed(1, V1_REPORT, 100 * DMM_MSEC), 0);
	CHECK_EQ(dmm_mld_expire(&tab, 10 * DMM_SECOND, ch, 64), 0);
	CHECK(dmm_mld_listening(&tab, 1, &g));
	/* A Done for a group nobody listens to changes nothing. */
	CHECK_EQ(feed(2, V1_DONE, 0), 0);
}

static void check_scope_links(void)
{
	/* RFC 4605 §4.1: ff02::1:ff00:1 (solicited-node, link scope) is not proxied. */
	const char *sn = "8f000000"
			 "00000001"
			 "04000000"
			 "ff0200000000000000000001ff000001";
	struct dmm_addr g = addr_of("ff3e::1234");

	setup();
	CHECK_EQ(feed(1, sn, 0), 0);
	CHECK_EQ(tab.n, 0);
	CHECK_EQ(feed(1, V1_REPORT, 0), 1);
	CHECK_EQ(feed(2, REPORT_JOIN, 0), 1);
	CHECK_EQ(feed(2, REPORT_TWO, 0), 2); /* Q(MA) for ff3e::1234, join ff3e::5 */
	/* A link that goes away leaves its groups at once, and only its own. */
	CHECK_EQ(dmm_mld_link_gone(&tab, 2, ch, 64), 2);
	CHECK(ch[0].what == DMM_MLD_LEFT && ch[1].what == DMM_MLD_LEFT);
	CHECK(dmm_mld_listening(&tab, 1, &g) && tab.n == 1);
	CHECK_EQ(feed(0, V1_REPORT, 0), DMM_ERR_INVAL); /* link 0 is no link */
}

static void check_full(void)
{
	struct check_loop l = CHECK_LOOP_INIT("the table takes DMM_MLD_TAB_MAX entries");

	setup();
	for (uint32_t i = 1; i <= DMM_MLD_TAB_MAX; i++)
		CHECK_LOOP(l, feed(i, REPORT_JOIN, 0) == 1);
	CHECK_LOOP_END(l);
	CHECK_EQ(feed(DMM_MLD_TAB_MAX + 1, REPORT_JOIN, 0), 0);
	CHECK_EQ(tab.ignored, 1);
}

int main(int argc, char **argv)
{
	if (seed_args(argc, argv, write_seeds) != 0)
		return 2;
	check_codes();
	check_golden();
	check_bad();
	check_timers();
	check_join_expire();
	check_leave();
	check_scope_links();
	check_full();
	return check_report("test_mld");
}
