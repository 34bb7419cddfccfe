/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Text forms of addresses, prefixes and MN-IDs (RFC 5952, RFC 4291 §2.2). */
#include <string.h>

#include "dmm/err.h"
#include "dmm/fmt.h"
#include "dmm/mh.h"

static const char hexd[] = "0123456789abcdef";

/* v (16 bits) in hex without leading zeros (RFC 5952 §4.1). */
static char *put_hex16(char *o, unsigned v)
{
	int s = v >= 0x1000 ? 12 : v >= 0x100 ? 8 : v >= 0x10 ? 4 : 0;

	for (; s >= 0; s -= 4)
		*o++ = hexd[(v >> s) & 0xf];
	return o;
}

char *dmm_addr_str(const struct dmm_addr *a, char *buf)
{
	unsigned w[8];
	int best = -1, bestlen = 1, cur = -1, curlen = 0;
	char *o = buf;

	unsigned zero = 0;

	for (int i = 0; i < 8; i++) {
		w[i] = (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1];
		zero |= (w[i] == 0) << i;
	}
	/* RFC 5952 §4.2: compress the longest run of two or more zero words, the first on a tie. */
	for (int i = 0; zero >> i; i++) {
		if (zero >> i & 1) {
			if (cur < 0)
				cur = i, curlen = 0;
			if (++curlen > bestlen)
				best = cur, bestlen = curlen;
		} else {
			cur = -1;
		}
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			*o++ = ':';
			if (i == 0)
				*o++ = ':';
			i += bestlen - 1;
			continue;
		}
		o = put_hex16(o, w[i]);
		if (i < 7)
			*o++ = ':';
	}
	*o = 0;
	return buf;
}

char *dmm_prefix_str(const struct dmm_prefix *p, char *buf)
{
	char *o;
	unsigned l = p->len;

	dmm_addr_str(&p->addr, buf);
	o = buf + strlen(buf);
	*o++ = '/';
	if (l >= 100)
		*o++ = (char)('0' + l / 100);
	if (l >= 10)
		*o++ = (char)('0' + l / 10 % 10);
	*o++ = (char)('0' + l % 10);
	*o = 0;
	return buf;
}

static char *put_hexbytes(char *o, const uint8_t *b, unsigned n, char sep)
{
	for (unsigned i = 0; i < n; i++) {
		if (i && sep)
			*o++ = sep;
		*o++ = hexd[b[i] >> 4];
		*o++ = hexd[b[i] & 0xf];
	}
	*o = 0;
	return o;
}

char *dmm_mnid_str(const struct dmm_mnid *id, char *buf)
{
	char *o = buf;

	switch (id->subtype) {
	case DMM_MNID_NAI:
		memcpy(o, "nai:", 4);
		o += 4;
		for (unsigned i = 0; i < id->len; i++)
			*o++ = id->id[i] >= 0x20 && id->id[i] < 0x7f ? (char)id->id[i] : '?';
		*o = 0;
		break;
	case DMM_MNID_EUI48:
	case DMM_MNID_EUI64:
		memcpy(o, id->subtype == DMM_MNID_EUI48 ? "eui48:" : "eui64:", 6);
		put_hexbytes(o + 6, id->id, id->len, ':');
		break;
	case DMM_MNID_IPV6:
		if (id->len == 16) {
			struct dmm_addr a;

			memcpy(a.b, id->id, 16);
			memcpy(o, "ipv6:", 5);
			dmm_addr_str(&a, o + 5);
			break;
		}
		/* fall through */
	default:
		o[0] = (char)('0' + id->subtype / 100 % 10);
		o[1] = (char)('0' + id->subtype / 10 % 10);
		o[2] = (char)('0' + id->subtype % 10);
		o[3] = ':';
		put_hexbytes(o + 4, id->id, id->len, 0);
		break;
	case DMM_MNID_IMSI:
		memcpy(o, "imsi:", 5);
		o += 5;
		for (unsigned i = 0; i < id->len; i++) {
			unsigned hi = id->id[i] >> 4, lo = id->id[i] & 0xf;

			if (hi <= 9)
				*o++ = (char)('0' + hi);
			if (lo <= 9)
				*o++ = (char)('0' + lo);
		}
		*o = 0;
		break;
	}
	return buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int dmm_addr_parse(const char *s, struct dmm_addr *a)
{
	unsigned w[8], n = 0;
	int gap = -1;
	const char *p = s;

	if (p[0] == ':') {
		if (p[1] != ':')
			return DMM_ERR_INVAL;
		gap = 0;
		p += 2;
	}
	while (*p) {
		unsigned v = 0, digits = 0;

		if (n == 8)
			return DMM_ERR_INVAL;
		/* An embedded IPv4 tail (RFC 4291 §2.2 form 3). */
		if (strchr(p, '.') && !strchr(p, ':')) {
			unsigned oct[4], k = 0;

			while (k < 4) {
				unsigned x = 0, d = 0;

				while (*p >= '0' && *p <= '9' && d < 4)
					x = x * 10 + (unsigned)(*p++ - '0'), d++;
				if (!d || x > 255)
					return DMM_ERR_INVAL;
				oct[k++] = x;
				if (k < 4 && *p++ != '.')
					return DMM_ERR_INVAL;
			}
			if (*p || n > 6)
				return DMM_ERR_INVAL;
			w[n++] = oct[0] << 8 | oct[1];
			w[n++] = oct[2] << 8 | oct[3];
			break;
		}
		while (hexval(*p) >= 0 && digits < 5)
			v = v << 4 | (unsigned)hexval(*p++), digits++;
		if (!digits || digits > 4)
			return DMM_ERR_INVAL;
		w[n++] = v;
		if (*p == ':') {
			p++;
			if (*p == ':') {
				if (gap >= 0)
					return DMM_ERR_INVAL;
				gap = (int)n;
				p++;
			} else if (!*p) {
				return DMM_ERR_INVAL;
			}
		} else if (*p) {
			return DMM_ERR_INVAL;
		}
	}
	if (gap < 0 && n != 8)
		return DMM_ERR_INVAL;
	if (gap >= 0 && n == 8)
		return DMM_ERR_INVAL;
	memset(a->b, 0, 16);
	for (unsigned i = 0; i < n; i++) {
		unsigned pos = gap >= 0 && i >= (unsigned)gap ? i + (8 - n) : i;

		a->b[2 * pos] = (uint8_t)(w[i] >> 8);
		a->b[2 * pos + 1] = (uint8_t)w[i];
	}
	return 0;
}

int dmm_prefix_parse(const char *s, struct dmm_prefix *p)
{
	char tmp[DMM_ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	size_t n;
	unsigned len = 0;

	if (!slash || (n = (size_t)(slash - s)) >= sizeof(tmp) || !slash[1])
		return DMM_ERR_INVAL;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	for (const char *q = slash + 1; *q; q++) {
		if (*q < '0' || *q > '9' || len > 128)
			return DMM_ERR_INVAL;
		len = len * 10 + (unsigned)(*q - '0');
	}
	if (len > 128 || dmm_addr_parse(tmp, &p->addr) != 0)
		return DMM_ERR_INVAL;
	p->len = (uint8_t)len;
	return 0;
}

static int parse_hex(const char *s, uint8_t *out, unsigned max, char sep)
{
	unsigned n = 0;

	while (*s) {
		int h = hexval(s[0]), l = h >= 0 ? hexval(s[1]) : -1;

		if (h < 0 || l < 0 || n >= max)
			return -1;
		out[n++] = (uint8_t)(h << 4 | l);
		s += 2;
		if (sep && *s == sep && s[1])
			s++;
	}
	return (int)n;
}

int dmm_mnid_parse(const char *s, struct dmm_mnid *id)
{
	int n;

	memset(id, 0, sizeof(*id));
	if (strncmp(s, "nai:", 4) == 0) {
		size_t l = strlen(s + 4);

		if (l == 0 || l > DMM_MNID_MAX - 1)
			return DMM_ERR_INVAL;
		id->subtype = DMM_MNID_NAI;
		id->len = (uint8_t)l;
		memcpy(id->id, s + 4, l);
		return 0;
	}
	if (strncmp(s, "eui48:", 6) == 0 || strncmp(s, "eui64:", 6) == 0) {
		bool is48 = s[3] == '4';

		n = parse_hex(s + 6, id->id, 8, ':');
		if (n != (is48 ? 6 : 8))
			return DMM_ERR_INVAL;
		id->subtype = is48 ? DMM_MNID_EUI48 : DMM_MNID_EUI64;
		id->len = (uint8_t)n;
		return 0;
	}
	if (strncmp(s, "ipv6:", 5) == 0) {
		struct dmm_addr a;

		if (dmm_addr_parse(s + 5, &a) != 0)
			return DMM_ERR_INVAL;
		id->subtype = DMM_MNID_IPV6;
		id->len = 16;
		memcpy(id->id, a.b, 16);
		return 0;
	}
	if (strncmp(s, "imsi:", 5) == 0) {
		size_t d = strlen(s + 5);

		if (d == 0 || d > 15)
			return DMM_ERR_INVAL;
		for (size_t i = 0; i < d; i++) {
			if (s[5 + i] < '0' || s[5 + i] > '9')
				return DMM_ERR_INVAL;
			if (i % 2 == 0)
				id->id[i / 2] = (uint8_t)((s[5 + i] - '0') << 4 | 0xf);
			else
				id->id[i / 2] = (uint8_t)((id->id[i / 2] & 0xf0) | (s[5 + i] - '0'));
		}
		id->subtype = DMM_MNID_IMSI;
		id->len = (uint8_t)((d + 1) / 2);
		return 0;
	}
	/* "<subtype>:<hex>" */
	{
		unsigned sub = 0, k = 0;

		while (s[k] >= '0' && s[k] <= '9' && k < 3)
			sub = sub * 10 + (unsigned)(s[k++] - '0');
		if (k == 0 || s[k] != ':' || sub == 0 || sub > 255)
			return DMM_ERR_INVAL;
		n = parse_hex(s + k + 1, id->id, DMM_MNID_MAX, 0);
		if (n <= 0)
			return DMM_ERR_INVAL;
		id->subtype = (uint8_t)sub;
		id->len = (uint8_t)n;
		return 0;
	}
}

void dmm_prefix_mask(struct dmm_prefix *p)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = p->len > i * 8 ? p->len - i * 8 : 0;

		if (bits < 8)
			p->addr.b[i] &= (uint8_t)(0xff00u >> bits);
	}
}

bool dmm_prefix_contains(const struct dmm_prefix *p, const struct dmm_addr *a)
{
	unsigned len = p->len < 128 ? p->len : 128, whole = len / 8, rest = len % 8;

	/* The whole octets of the prefix, then the high bits of the next one. */
	if (memcmp(p->addr.b, a->b, whole) != 0)
		return false;
	return !rest || !((p->addr.b[whole] ^ a->b[whole]) & (uint8_t)(0xff00u >> rest));
}
