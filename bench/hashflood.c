/*
 * hashflood.c - flow table cost per packet under a hash-flooding attack.
 *
 * Not a test: bench/hashflood.sh builds this file against two versions of
 * src/flow/ (the old one with a constant hash seed, and the tree's) and
 * prints the figures. See doc/BENCHMARKS.md.
 *
 * The attack: N UDP 5-tuples chosen offline so that the OLD hash (fixed
 * seed, public code) puts them all in bucket 0 of the default table
 * (max_flows 128000: 131072 buckets). Finding them needs only the source
 * code, no access to the probe. The same number of ordinary tuples (every
 * one a distinct source port) is the baseline. Each set is sent R times
 * round robin through one table; the figure is wall time per packet of
 * flow_table_add(), creation included, best of three runs.
 *
 *   hashflood [N] [ROUNDS]      (defaults 2000 and 100)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow/flow.h"

/* The old hash of src/flow/flowtab.c and flow_int.h, as it was, with its
 * constant seed: what an attacker computes offline. */
#define OLD_SEED	0x6c37707262656c31ULL
#define OLD_BUCKETS	131072U		/* pow2 >= default max_flows */

static uint64_t
old_mix64(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	return h;
}

static uint32_t
old_hash(const uint8_t *src, const uint8_t *dst, uint16_t sport,
    uint16_t dport, uint8_t proto)
{
	const uint8_t *lo = src, *hi = dst;
	uint16_t lport = sport, hport = dport;
	uint64_t h = OLD_SEED, w;
	int c, i;

	c = memcmp(src, dst, 16);
	if (c > 0 || (c == 0 && sport > dport)) {
		lo = dst;
		hi = src;
		lport = dport;
		hport = sport;
	}
	for (i = 0; i < 16; i += 8) {
		memcpy(&w, lo + i, 8);
		h = old_mix64(h, w);
		memcpy(&w, hi + i, 8);
		h = old_mix64(h, w);
	}
	h = old_mix64(h, (uint64_t)lport << 48 | (uint64_t)hport << 32 |
	    (uint64_t)proto << 8 | 4);
	h = old_mix64(h, 0);
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return (uint32_t)h;
}

/* Tuple <i> (distinct for i below 2^24 * 64000): 10.x.y.z:port ->
 * 192.0.2.53:53, UDP. */
static void
tuple(uint64_t i, struct dec_pkt *p)
{
	uint32_t a = 0x0a000000U | (uint32_t)((i / 64000) & 0xffffff);

	memset(p, 0, sizeof(*p));
	p->src[0] = a >> 24;
	p->src[1] = a >> 16;
	p->src[2] = a >> 8;
	p->src[3] = a;
	p->dst[0] = 192;
	p->dst[1] = 0;
	p->dst[2] = 2;
	p->dst[3] = 53;
	p->sport = (uint16_t)(1024 + i % 64000);
	p->dport = 53;
	p->proto = 17;
	p->ip_version = 4;
	p->ip_len = 60;
}

static void
on_end(struct flow *f, enum flow_end_reason r, void *arg)
{
	(void)f;
	(void)r;
	++*(uint64_t *)arg;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ns per packet of <n> tuples <ids>, <rounds> times round robin. */
static double
run(const uint64_t *ids, uint32_t n, uint32_t rounds)
{
	struct flow_table_conf conf;
	struct flow_table *t;
	struct perr err;
	struct dec_pkt *pk;
	uint64_t ended = 0, ts = 1700000000ULL * 1000000ULL;
	uint32_t i, r;
	double t0, t1;

	flow_table_conf_defaults(&conf);
	if ((t = flow_table_new(&conf, on_end, NULL, &ended, &err)) == NULL) {
		fprintf(stderr, "hashflood: %s\n", err.msg);
		exit(1);
	}
	if ((pk = calloc(n, sizeof(*pk))) == NULL)
		exit(1);
	for (i = 0; i < n; i++)
		tuple(ids[i], &pk[i]);
	t0 = now_s();
	for (r = 0; r < rounds; r++)
		for (i = 0; i < n; i++) {
			pk[i].ts_us = ts++;
			flow_table_add(t, &pk[i]);
		}
	t1 = now_s();
	flow_table_flush(t, FLOW_END_FORCED);
	if (ended != n) {
		fprintf(stderr, "hashflood: %llu records for %u flows\n",
		    (unsigned long long)ended, n);
		exit(1);
	}
	flow_table_free(t);
	free(pk);
	return (t1 - t0) * 1e9 / ((double)n * rounds);
}

/* The best of three runs: the machine may be shared. */
static double
best(const uint64_t *ids, uint32_t n, uint32_t rounds)
{
	double b = run(ids, n, rounds), x;
	int i;

	for (i = 0; i < 2; i++)
		if ((x = run(ids, n, rounds)) < b)
			b = x;
	return b;
}

int
main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 2000;
	uint32_t rounds = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) :
	    100;
	uint64_t *coll, *plain, i, tried = 0;
	struct dec_pkt p;
	uint32_t k = 0;
	double t0, t1;

	if (n == 0 || rounds == 0 ||
	    (coll = calloc(n, sizeof(*coll))) == NULL ||
	    (plain = calloc(n, sizeof(*plain))) == NULL)
		return 2;
	t0 = now_s();
	for (i = 0; k < n; i++, tried++) {
		tuple(i, &p);
		if ((old_hash(p.src, p.dst, p.sport, p.dport, p.proto) &
		    (OLD_BUCKETS - 1)) == 0)
			coll[k++] = i;
	}
	t1 = now_s();
	for (i = 0; i < n; i++)
		plain[i] = i;
	printf("collisions: %u tuples in bucket 0 of the old hash, found in "
	    "%.2f s (%llu tried)\n", n, t1 - t0, (unsigned long long)tried);
	printf("ordinary tuples:  %8.1f ns/packet\n", best(plain, n, rounds));
	printf("colliding tuples: %8.1f ns/packet\n", best(coll, n, rounds));
	free(coll);
	free(plain);
	return 0;
}
