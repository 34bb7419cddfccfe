/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Internet checksum over IPv6 (core/wire/csum.c): the RFC 1071 §3
 * example, odd lengths (the last octet is padded on the right), the
 * checksum field left out wherever it is, and the IPv6 pseudo-header
 * (RFC 8200 §8.1) against packets whose checksums scapy computed.
 */
#include "check.h"
#include "dmm/csum.h"
#include "helpers.h"

/*
 * A source address whose last word is ~len cancels the pseudo-header's
 * length, so with :: as destination and Next Header 0 the result is the
 * checksum of the octets alone (adding 0xffff changes no one's-complement
 * sum but zero).
 */
static uint16_t plain_csum(const uint8_t *buf, size_t len)
{
	struct dmm_addr src = {{0}}, dst = {{0}};

	src.b[14] = (uint8_t)(~len >> 8);
	src.b[15] = (uint8_t)~len;
	return dmm_csum_ipv6(buf, len, &src, &dst, 0, len);
}

static void test_rfc1071(void)
{
	static const struct {
		const char *name, *hex;
		uint16_t csum; /* ~(one's-complement sum) */
	} rows[] = {
		/* RFC 1071 §3: the sum of 0001 f203 f4f5 f6f7 is ddf2 */
		{"rfc1071 example", "00 01 f2 03 f4 f5 f6 f7", 0x220d},
		/* odd: 0001 + f200 */
		{"odd length 3", "00 01 f2", 0x0dfe},
		{"one octet", "ab", 0x54ff},
		/* carries wrap around: ffff + 0001 = 0001 (end-around carry) */
		{"end-around carry", "ff ff 00 01", 0xfffe},
		{"odd with carry", "ff ff ff", 0x00ff},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t b[32];
		size_t n = unhex(b, sizeof(b), rows[i].hex);
		uint16_t got = plain_csum(b, n);

		if (got != rows[i].csum)
			fprintf(stderr, "%s: got %04x, want %04x\n", rows[i].name, got, rows[i].csum);
		CHECK_EQ(got, rows[i].csum);
	}
}

/* Packets from scapy 2.5 (in6_chksum), the checksum field as sent. */
static void test_pseudo_header(void)
{
	static const struct {
		const char *name, *src, *dst, *hex;
		uint8_t nh;
		size_t off;
		uint16_t csum;
	} rows[] = {
		/* UDP 5436 -> 5436 "hello world": 19 octets, odd */
		{"udp", "2001:db8::1", "2001:db8::2", "153c153c0013e80c68656c6c6f20776f726c64", 17, 6,
		 0xe80c},
		/* ICMPv6 Echo Request id 0x1234 seq 1 "abc": 11 octets */
		{"icmpv6 echo", "fe80::200:ff:fe00:1", "ff02::1", "8000aa9c12340001616263", 58, 2, 0xaa9c},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct dmm_addr src = addr_of(rows[i].src), dst = addr_of(rows[i].dst);
		uint8_t b[64];
		size_t n = unhex(b, sizeof(b), rows[i].hex);

		/* The field's own value does not enter the sum. */
		CHECK_EQ(dmm_csum_ipv6(b, n, &src, &dst, rows[i].nh, rows[i].off), rows[i].csum);
		b[rows[i].off] ^= 0x5a;
		b[rows[i].off + 1] ^= 0xa5;
		CHECK_EQ(dmm_csum_ipv6(b, n, &src, &dst, rows[i].nh, rows[i].off), rows[i].csum);
		b[rows[i].off] ^= 0x5a;
		b[rows[i].off + 1] ^= 0xa5;
		/* With the field included, a correct packet sums to 0xffff: the result is 0. */
		CHECK_EQ(dmm_csum_ipv6(b, n, &src, &dst, rows[i].nh, n), 0);
		/* Every part of the pseudo-header counts. */
		CHECK(dmm_csum_ipv6(b, n, &src, &dst, (uint8_t)(rows[i].nh + 1), rows[i].off) !=
		      rows[i].csum);
		CHECK(dmm_csum_ipv6(b, n, &dst, &src, rows[i].nh, rows[i].off) ==
		      rows[i].csum); /* the sum commutes */
		src.b[15] ^= 1;
		CHECK(dmm_csum_ipv6(b, n, &src, &dst, rows[i].nh, rows[i].off) != rows[i].csum);
		src.b[15] ^= 1;
		dst.b[0] ^= 0x80;
		CHECK(dmm_csum_ipv6(b, n, &src, &dst, rows[i].nh, rows[i].off) != rows[i].csum);
		dst.b[0] ^= 0x80;
		/* The length is the upper-layer length: one octet less changes it. */
		CHECK(dmm_csum_ipv6(b, n - 1, &src, &dst, rows[i].nh, rows[i].off) != rows[i].csum);
	}
}

/* A field at the very end, and one past the end (nothing excluded). */
static void test_field_position(void)
{
	struct dmm_addr src = addr_of("2001:db8::a"), dst = addr_of("2001:db8::b");
	uint8_t b[10] = {1, 2, 3, 4, 5, 6, 7, 8, 0xee, 0xff};
	uint16_t at_end, past;

	at_end = dmm_csum_ipv6(b, 10, &src, &dst, 135, 8);
	b[8] = 0;
	b[9] = 0;
	past = dmm_csum_ipv6(b, 10, &src, &dst, 135, 10);
	CHECK_EQ(at_end, past);
	b[8] = (uint8_t)(at_end >> 8);
	b[9] = (uint8_t)at_end;
	CHECK_EQ(dmm_csum_ipv6(b, 10, &src, &dst, 135, 10), 0);
	/* Every single-bit error is detected (RFC 1071 §2). */
	struct check_loop flips = CHECK_LOOP_INIT("every single-bit flip changes the checksum");
	for (size_t bit = 0; bit < 8 * 8; bit++) {
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (!CHECK_LOOP(flips, dmm_csum_ipv6(b, 10, &src, &dst, 135, 8) != at_end))
			fprintf(stderr, "bit %zu\n", bit);
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	CHECK_LOOP_END(flips);
}

int main(void)
{
	test_rfc1071();
	test_pseudo_header();
	test_field_position();
	return check_report("test_csum");
}
