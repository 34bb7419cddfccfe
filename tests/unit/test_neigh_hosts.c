/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The data planes' table of the host on each access link (dataplane/neigh.h):
 * set, replace, forget, growth past its buckets, and what it refuses.
 */
#include <errno.h>

#include "../../dataplane/neigh.h"
#include "check.h"

static void mac_of(int ifindex, uint8_t mac[6])
{
	for (unsigned k = 0; k < 6; k++)
		mac[k] = (uint8_t)(ifindex * 7 + (int)k);
}

static void test_set_forget(void)
{
	struct dmm_neigh_hosts h = {0};
	uint8_t a[6] = {2, 0, 0, 0, 1, 1}, b[6] = {2, 0, 0, 0, 1, 2};
	const uint8_t *got;
	unsigned len;

	CHECK(dmm_neigh_host_of(&h, 5, &len) == NULL && len == 0);
	CHECK_EQ(dmm_neigh_host_set(&h, 5, NULL, 0), 0); /* forgetting what is not there */
	CHECK_EQ(dmm_neigh_host_set(&h, 5, a, 6), 0);
	got = dmm_neigh_host_of(&h, 5, &len);
	CHECK(got && len == 6 && memcmp(got, a, 6) == 0);
	CHECK(dmm_neigh_host_of(&h, 6, &len) == NULL);
	CHECK_EQ(dmm_neigh_host_set(&h, 5, b, 6), 0); /* another host on the link */
	got = dmm_neigh_host_of(&h, 5, &len);
	CHECK(got && memcmp(got, b, 6) == 0);
	CHECK_EQ(h.n, 1);
	CHECK_EQ(dmm_neigh_host_set(&h, 5, a, 9), -EINVAL); /* longer than any link-layer address kept */
	got = dmm_neigh_host_of(&h, 5, &len);
	CHECK(got && memcmp(got, b, 6) == 0); /* the refused one changed nothing */
	CHECK_EQ(dmm_neigh_host_set(&h, 5, NULL, 0), 0);
	CHECK(dmm_neigh_host_of(&h, 5, &len) == NULL);
	CHECK_EQ(h.n, 0);
	dmm_neigh_hosts_free(&h);
}

/* 1000 links, past several doublings of the buckets; every other one forgotten. */
static void test_many(void)
{
	struct dmm_neigh_hosts h = {0};
	uint8_t mac[6];
	unsigned len, bad = 0;
	const uint8_t *got;

	for (int i = 1; i <= 1000; i++) {
		mac_of(i, mac);
		bad += dmm_neigh_host_set(&h, i, mac, 6) != 0;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(h.n, 1000);
	CHECK(h.nbucket >= 1000);
	for (int i = 2; i <= 1000; i += 2)
		dmm_neigh_host_set(&h, i, NULL, 0);
	CHECK_EQ(h.n, 500);
	for (int i = 1; i <= 1000; i++) {
		mac_of(i, mac);
		got = dmm_neigh_host_of(&h, i, &len);
		bad += i % 2 ? !got || len != 6 || memcmp(got, mac, 6) != 0 : got != NULL;
	}
	CHECK_EQ(bad, 0);
	dmm_neigh_hosts_free(&h);
	CHECK(h.nbucket == 0 && h.n == 0 && !dmm_neigh_host_of(&h, 1, &len));
}

int main(void)
{
	test_set_forget();
	test_many();
	return check_report("test_neigh_hosts");
}
