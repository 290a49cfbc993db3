/*
 * test_flow.c - unit tests of the flow table (src/flow/flow.h).
 *
 * Packets are built as struct dec_pkt values directly (no decoder). Every
 * test checks records through end_cb, as the exporter will see them. Times
 * are microseconds from T0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>

#include "flow/flow.h"
#include "flow/flow_int.h"

#define T0	(1700000000ULL * 1000000ULL)
#define S	1000000ULL			/* one second in us */
#define MS	1000ULL

#define A	0x0a000001U			/* 10.0.0.1 */
#define B	0x0a000002U			/* 10.0.0.2 */
#define C	0x0a000003U			/* 10.0.0.3 */

#define FIN	0x01
#define SYN	0x02
#define RST	0x04
#define ACK	0x10

#define MAX_RECS	64

struct rec {
	struct flow_key		key;
	struct flow_counters	c[2];
	uint8_t			tcp_flags[2], icmp_type[2], icmp_code[2];
	enum flow_end_reason	reason;
	uint64_t		ext0;
};

struct env {
	struct flow_table	*t;
	struct rec		recs[MAX_RECS];
	size_t			nrec;		/* all records, even unkept */
	uint64_t		sum_pkts, sum_bytes;
	uint64_t		ncb_pkts;
	enum flow_dir		dirs[MAX_RECS];
	int			reenter;	/* end_cb tries the table */
	int			reenter_rc;
	uint64_t		export_at;	/* on_pkt: FLOW_PKT_EXPORT on
						 * this packet (1-based) */
};

static void
on_end(struct flow *f, enum flow_end_reason reason, void *arg)
{
	struct env *env = arg;
	struct rec *r;
	int d;

	for (d = 0; d < 2; d++) {
		env->sum_pkts += f->c[d].pkts;
		env->sum_bytes += f->c[d].bytes;
		if (f->c[d].pkts == 0)
			assert_int_equal(f->c[d].first_us, 0);
		assert_true(f->c[d].first_us <= f->c[d].last_us);
	}
	if (env->reenter) {
		struct dec_pkt p;

		memset(&p, 0, sizeof(p));
		p.ip_version = 4;
		env->reenter_rc = flow_table_add(env->t, &p);
	}
	if (env->nrec < MAX_RECS) {
		r = &env->recs[env->nrec];
		r->key = f->key;
		memcpy(r->c, f->c, sizeof(r->c));
		memcpy(r->tcp_flags, f->tcp_flags, 2);
		memcpy(r->icmp_type, f->icmp_type, 2);
		memcpy(r->icmp_code, f->icmp_code, 2);
		r->reason = reason;
		r->ext0 = 0;
		if (flow_table_flow_size(env->t) >= sizeof(*f) + 8)
			memcpy(&r->ext0, f->ext, 8);
	}
	env->nrec++;
}

/* Counts packets in ext[0..7] when the table has an ext area. */
static int
on_pkt(struct flow *f, enum flow_dir dir, const struct dec_pkt *pkt,
    void *arg)
{
	struct env *env = arg;
	uint64_t n;

	(void)pkt;
	if (env->ncb_pkts < MAX_RECS)
		env->dirs[env->ncb_pkts] = dir;
	env->ncb_pkts++;
	if (flow_table_flow_size(env->t) >= sizeof(*f) + 8) {
		memcpy(&n, f->ext, 8);
		n++;
		memcpy(f->ext, &n, 8);
	}
	return env->ncb_pkts == env->export_at ? FLOW_PKT_EXPORT :
	    FLOW_PKT_CONTINUE;
}

static void
env_open(struct env *env, const struct flow_table_conf *conf)
{
	struct flow_table_conf def;
	struct perr err;

	memset(env, 0, sizeof(*env));
	memset(&err, 0, sizeof(err));
	if (conf == NULL) {
		flow_table_conf_defaults(&def);
		conf = &def;
	}
	env->t = flow_table_new(conf, on_end, on_pkt, env, &err);
	if (env->t == NULL)
		fail_msg("flow_table_new: %s", err.msg);
}

static void
env_close(struct env *env)
{
	flow_table_free(env->t);
	env->t = NULL;
}

static void
put4(uint8_t *a, uint32_t ip)
{
	memset(a, 0, 16);
	a[0] = ip >> 24;
	a[1] = ip >> 16;
	a[2] = ip >> 8;
	a[3] = ip;
}

static struct dec_pkt
pkt4(uint64_t ts, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
    uint8_t proto, uint8_t flags, uint32_t len)
{
	struct dec_pkt p;

	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	put4(p.src, src);
	put4(p.dst, dst);
	p.sport = sport;
	p.dport = dport;
	p.proto = proto;
	p.ip_version = 4;
	p.tcp_flags = proto == 6 ? flags : 0;
	p.ip_len = len;
	return p;
}

static void
add(struct env *env, const struct dec_pkt *p)
{
	assert_int_equal(flow_table_add(env->t, p), 0);
}

static void
tcp(struct env *env, uint64_t ts, uint32_t src, uint16_t sport, uint32_t dst,
    uint16_t dport, uint8_t flags, uint32_t len)
{
	struct dec_pkt p = pkt4(ts, src, sport, dst, dport, 6, flags, len);

	add(env, &p);
}

static struct flow_table_stats
stats(const struct env *env)
{
	struct flow_table_stats s;

	flow_table_stats(env->t, &s);
	return s;
}

static void
assert_src(const struct rec *r, uint32_t ip, uint16_t sport)
{
	uint8_t a[16];

	put4(a, ip);
	assert_memory_equal(r->key.src, a, 16);
	assert_int_equal(r->key.sport, sport);
}

/* --- configuration --- */

static void
test_conf(void **unused)
{
	static const struct {
		const char	*field;		/* expected in the message */
		int		which;
	} cases[] = {
		{ "max_flows", 0 },
		{ "idle_timeout_s", 1 },
		{ "active_timeout_s", 2 },
		{ "frag_timeout_s", 3 },
		{ "max_frags", 4 },
		{ "ext_size", 5 },
		{ "idle_timeout_s", 6 },
		{ "active_timeout_s", 7 },
		{ "end_grace_ms", 8 },
	};
	struct flow_table_conf conf;
	struct flow_table *t;
	struct perr err;
	size_t i;

	(void)unused;
	flow_table_conf_defaults(&conf);
	assert_int_equal(conf.max_flows, 128000);
	assert_int_equal(conf.idle_timeout_s, 120);
	assert_int_equal(conf.active_timeout_s, 120);
	assert_int_equal(conf.end_grace_ms, 2000);
	assert_int_equal(conf.frag_timeout_s, 30);
	assert_int_equal(conf.max_frags, 8192);
	assert_int_equal(conf.ext_size, 0);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		flow_table_conf_defaults(&conf);
		switch (cases[i].which) {
		case 0: conf.max_flows = 0; break;
		case 1: conf.idle_timeout_s = 0; break;
		case 2: conf.active_timeout_s = 0; break;
		case 3: conf.frag_timeout_s = 0; break;
		case 4: conf.max_frags = 0; break;
		case 5: conf.ext_size = (size_t)1 << 30; break;
		/* deadlines are kept in 32-bit milliseconds */
		case 6: conf.idle_timeout_s = 2000001; break;
		case 7: conf.active_timeout_s = 2000001; break;
		default: conf.end_grace_ms = 2000000001; break;
		}
		memset(&err, 0, sizeof(err));
		t = flow_table_new(&conf, on_end, NULL, NULL, &err);
		assert_null(t);
		assert_int_equal(err.code, -EINVAL);
		assert_non_null(strstr(err.msg, cases[i].field));
	}
	flow_table_conf_defaults(&conf);
	assert_null(flow_table_new(&conf, NULL, NULL, NULL, &err));
	assert_null(flow_table_new(&conf, NULL, NULL, NULL, NULL));
	t = flow_table_new(&conf, on_end, NULL, NULL, &err);
	assert_non_null(t);
	assert_int_equal(flow_table_flow_size(t) % 8, 0);
	/* The memory budget of a flow (see doc/BENCHMARKS.md). */
	if (sizeof(void *) == 8)
		assert_true(sizeof(struct flow) <= 152);
	assert_true(offsetof(struct flow, key) + sizeof(struct flow_key) <=
	    64);
	flow_table_free(t);
	conf.idle_timeout_s = conf.active_timeout_s = 2000000;
	conf.end_grace_ms = 2000000000;
	t = flow_table_new(&conf, on_end, NULL, NULL, &err);
	assert_non_null(t);
	flow_table_free(t);
	flow_table_free(NULL);
}

/* --- orientation and counting --- */

static void
test_orientation_counts(void **unused)
{
	struct env env;
	const struct rec *r;

	(void)unused;
	env_open(&env, NULL);
	tcp(&env, T0, A, 1000, B, 80, SYN, 60);
	tcp(&env, T0 + 10, B, 80, A, 1000, SYN | ACK, 60);
	tcp(&env, T0 + 20, A, 1000, B, 80, ACK, 52);
	tcp(&env, T0 + 30, A, 1000, B, 80, ACK | 0x08, 1052);
	tcp(&env, T0 + 40, B, 80, A, 1000, ACK | 0x08, 500);
	assert_int_equal(stats(&env).active_flows, 1);
	assert_int_equal(env.ncb_pkts, 5);
	assert_int_equal(env.dirs[0], FLOW_DIR_FWD);
	assert_int_equal(env.dirs[1], FLOW_DIR_REV);
	assert_int_equal(env.dirs[2], FLOW_DIR_FWD);
	assert_int_equal(env.dirs[4], FLOW_DIR_REV);

	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 1);
	assert_int_equal(env.nrec, 1);
	r = &env.recs[0];
	assert_int_equal(r->reason, FLOW_END_FORCED);
	assert_src(r, A, 1000);
	assert_int_equal(r->key.dport, 80);
	assert_int_equal(r->key.proto, 6);
	assert_int_equal(r->key.ip_version, 4);
	assert_int_equal(r->c[0].pkts, 3);
	assert_int_equal(r->c[0].bytes, 60 + 52 + 1052);
	assert_int_equal(r->tcp_flags[0], SYN | ACK | 0x08);
	assert_int_equal(r->c[0].first_us, T0);
	assert_int_equal(r->c[0].last_us, T0 + 30);
	assert_int_equal(r->c[1].pkts, 2);
	assert_int_equal(r->c[1].bytes, 560);
	assert_int_equal(r->tcp_flags[1], SYN | ACK | 0x08);
	assert_int_equal(r->c[1].first_us, T0 + 10);
	assert_int_equal(r->c[1].last_us, T0 + 40);
	assert_int_equal(stats(&env).active_flows, 0);
	assert_int_equal(stats(&env).flows_created, 1);
	env_close(&env);
}

/* A reply that comes first (server seen first) makes the server the source. */
static void
test_orientation_reply_first(void **unused)
{
	struct env env;

	(void)unused;
	env_open(&env, NULL);
	tcp(&env, T0, B, 80, A, 1000, ACK, 40);
	tcp(&env, T0 + 1, A, 1000, B, 80, ACK, 40);
	flow_table_flush(env.t, FLOW_END_FORCED);
	assert_int_equal(env.nrec, 1);
	assert_src(&env.recs[0], B, 80);
	assert_int_equal(env.recs[0].c[0].pkts, 1);
	assert_int_equal(env.recs[0].c[1].pkts, 1);
	env_close(&env);
}

static void
test_icmp_echo(void **unused)
{
	static const struct {
		uint8_t	ipv, proto, req, rep;
	} cases[] = {
		{ 4, 1, 8, 0 },			/* ICMP echo request/reply */
		{ 6, 58, 128, 129 },		/* ICMPv6 echo */
	};
	struct env env;
	struct dec_pkt p;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		env_open(&env, NULL);
		p = pkt4(T0, A, 0, B, 0, cases[i].proto, 0, 84);
		p.ip_version = cases[i].ipv;
		p.icmp_type = cases[i].req;
		add(&env, &p);
		p = pkt4(T0 + 5, B, 0, A, 0, cases[i].proto, 0, 84);
		p.ip_version = cases[i].ipv;
		p.icmp_type = cases[i].rep;
		add(&env, &p);
		/* A later, different type does not replace the first. */
		p = pkt4(T0 + 9, A, 0, B, 0, cases[i].proto, 0, 84);
		p.ip_version = cases[i].ipv;
		p.icmp_type = 3;
		p.icmp_code = 1;
		add(&env, &p);
		assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 1);
		assert_int_equal(env.recs[0].c[0].pkts, 2);
		assert_int_equal(env.recs[0].c[1].pkts, 1);
		assert_int_equal(env.recs[0].icmp_type[0], cases[i].req);
		assert_int_equal(env.recs[0].icmp_code[0], 0);
		assert_int_equal(env.recs[0].icmp_type[1], cases[i].rep);
		assert_int_equal(env.recs[0].tcp_flags[0], 0);
		env_close(&env);
	}
}

/* Each variant differs from the base in one key field: a flow of its own,
 * whose reply still finds it. */
static void
test_key_fields(void **unused)
{
	enum { BASE, VLAN, TUNNEL, PROTO, IPV6, SPORT, DPORT, DST, IFINDEX,
	    NVAR };
	struct env env;
	struct dec_pkt p, r;
	int v, k;

	(void)unused;
	env_open(&env, NULL);
	for (k = 0; k < 2; k++) {
		for (v = 0; v < NVAR; v++) {
			p = pkt4(T0 + k * 100 + v, A, 1000, B, 53, 17, 0, 100);
			switch (v) {
			case VLAN: p.vlan_id = 10; break;
			case TUNNEL: p.tunnel_id = 7;
				p.tunnel = DEC_TUN_GRE; break;
			case PROTO: p.proto = 132; break;
			case IPV6: p.ip_version = 6; break;
			case SPORT: p.sport = 1001; break;
			case DPORT: p.dport = 54; break;
			case DST: put4(p.dst, C); break;
			case IFINDEX: p.ifindex = 2; break;
			default: break;
			}
			if (k == 0) {
				add(&env, &p);
				continue;
			}
			/* The reply: swap ends, keep the rest. */
			r = p;
			memcpy(r.src, p.dst, 16);
			memcpy(r.dst, p.src, 16);
			r.sport = p.dport;
			r.dport = p.sport;
			add(&env, &r);
		}
		assert_int_equal(stats(&env).active_flows, NVAR);
	}
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), NVAR);
	for (v = 0; v < NVAR; v++) {
		assert_int_equal(env.recs[v].c[0].pkts, 1);
		assert_int_equal(env.recs[v].c[1].pkts, 1);
	}
	env_close(&env);
}

/* Many flows, both directions, table bigger than they are: hash chains
 * must bring both directions together every time. */
static void
test_many_flows(void **unused)
{
	struct flow_table_conf conf;
	struct env env;
	uint32_t i;

	(void)unused;
	flow_table_conf_defaults(&conf);
	conf.max_flows = 6000;
	env_open(&env, &conf);
	for (i = 0; i < 5000; i++)
		tcp(&env, T0 + i, A + i % 97, 1024 + i, B + i % 13, 443, SYN,
		    40);
	for (i = 0; i < 5000; i++)
		tcp(&env, T0 + 5000 + i, B + i % 13, 443, A + i % 97,
		    1024 + i, SYN | ACK, 40);
	assert_int_equal(stats(&env).active_flows, 5000);
	assert_int_equal(stats(&env).peak_flows, 5000);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 5000);
	assert_int_equal(env.sum_pkts, 10000);
	for (i = 0; i < MAX_RECS; i++) {
		assert_int_equal(env.recs[i].c[0].pkts, 1);
		assert_int_equal(env.recs[i].c[1].pkts, 1);
	}
	env_close(&env);
}


/* --- ingress interface --- */

/* A later fragment seen on another interface is another datagram: it does
 * not take the ports of the first fragment seen on interface 1. */
static void
test_frag_ifindex(void **unused)
{
	struct env env;
	struct dec_pkt p;

	(void)unused;
	env_open(&env, NULL);
	p = pkt4(T0, A, 5000, B, 53, 17, 0, 1500);
	p.ifindex = 1;
	p.frag = DEC_FRAG_FIRST;
	p.frag_id = 77;
	add(&env, &p);
	p = pkt4(T0 + 1, A, 0, B, 0, 17, 0, 600);
	p.ifindex = 2;
	p.frag = DEC_FRAG_LATER;
	p.frag_id = 77;
	add(&env, &p);
	assert_int_equal(stats(&env).frags_matched, 0);
	p.ifindex = 1;
	p.ts_us = T0 + 2;
	add(&env, &p);
	assert_int_equal(stats(&env).frags_matched, 1);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 2);
	assert_int_equal(stats(&env).frags_orphaned, 1);
	assert_int_equal(env.recs[0].key.ifindex + env.recs[1].key.ifindex, 3);
	assert_int_equal(env.sum_pkts, 3);
	env_close(&env);
}

/* --- hashing --- */

/* SipHash-2-4 reference vectors (the paper's appendix: 15 bytes; and the
 * reference code's table: 0 and 8 bytes): the primitive is SipHash. */
static void
test_siphash_vectors(void **unused)
{
	struct flow_sipkey k;
	uint8_t key[16], msg[16];
	int i;

	(void)unused;
	for (i = 0; i < 16; i++)
		key[i] = msg[i] = (uint8_t)i;
	memcpy(&k.k0, key, 8);		/* little-endian machine assumed */
	memcpy(&k.k1, key + 8, 8);
	assert_true(flow_siphash(&k, msg, 15, 2, 4) ==
	    0xa129ca6149be45e5ULL);
	assert_true(flow_siphash(&k, msg, 0, 2, 4) == 0x726fdb47dd0e0e31ULL);
	assert_true(flow_siphash(&k, msg, 8, 2, 4) == 0x93f5f5799a932462ULL);
}

/* The hash is the same for both directions, depends on every key field,
 * and on the key. */
static void
test_hash_symmetric(void **unused)
{
	struct flow_sipkey k1 = { 1, 2 }, k2 = { 1, 3 };
	struct flow_key a, b;

	(void)unused;
	memset(&a, 0, sizeof(a));
	put4(a.src, A);
	put4(a.dst, B);
	a.sport = 1000;
	a.dport = 53;
	a.proto = 17;
	a.ip_version = 4;
	a.ifindex = 3;
	b = a;
	memcpy(b.src, a.dst, 16);
	memcpy(b.dst, a.src, 16);
	b.sport = a.dport;
	b.dport = a.sport;
	assert_int_equal(flow_key_hash(&k1, &a), flow_key_hash(&k1, &b));
	assert_int_not_equal(flow_key_hash(&k1, &a), flow_key_hash(&k2, &a));
	b = a;
	b.ifindex = 4;
	assert_int_not_equal(flow_key_hash(&k1, &a), flow_key_hash(&k1, &b));
}

/* A UDP tuple of number <i>: 10.x.y.z:port -> 192.0.2.1:53. */
static struct dec_pkt
tuple(uint32_t i, uint64_t ts)
{
	return pkt4(ts, 0x0a000000U + (i >> 6), (uint16_t)(1024 + (i & 63)),
	    0xc0000201U, 53, 17, 0, 60);
}

static struct flow_key
tuple_key(uint32_t i)
{
	struct dec_pkt p = tuple(i, 0);
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.src, p.src, 16);
	memcpy(k.dst, p.dst, 16);
	k.sport = p.sport;
	k.dport = p.dport;
	k.proto = p.proto;
	k.ip_version = 4;
	return k;
}

#define NCOLL	200

/*
 * Hash flooding: NCOLL tuples found by brute force against the hash key
 * of a table with seed 1 all fall in bucket 0 of its 1024 buckets. With
 * seed 2 they spread; in the seed-1 table the first chain walk longer
 * than FLOW_CHAIN_MAX draws a new key and they spread too. Accounting
 * stays exact throughout.
 */
static void
test_hash_flood(void **unused)
{
	struct flow_table_conf conf;
	struct flow_sipkey k1, k2;
	struct flow_key key;
	struct env env;
	struct dec_pkt p;
	uint32_t coll[NCOLL], n = 0, i, b, max;
	uint32_t *count;
	int round;

	(void)unused;
	flow_table_conf_defaults(&conf);
	conf.max_flows = 1024;
	conf.hash_seed = 1;
	env_open(&env, &conf);
	assert_int_equal(flow_table_buckets(env.t), 1024);
	flow_table_hash_key(env.t, &k1);
	env_close(&env);
	conf.hash_seed = 2;
	env_open(&env, &conf);
	flow_table_hash_key(env.t, &k2);
	env_close(&env);
	assert_true(k1.k0 != k2.k0 || k1.k1 != k2.k1);

	for (i = 0; n < NCOLL; i++) {
		key = tuple_key(i);
		if ((flow_key_hash(&k1, &key) & 1023) == 0)
			coll[n++] = i;
	}
	/* Under the other key they spread over the buckets. */
	count = calloc(1024, sizeof(*count));
	assert_non_null(count);
	for (i = 0, max = 0; i < NCOLL; i++) {
		key = tuple_key(coll[i]);
		b = flow_key_hash(&k2, &key) & 1023;
		if (++count[b] > max)
			max = count[b];
	}
	free(count);
	assert_true(max <= 8);

	for (round = 0; round < 2; round++) {
		conf.hash_seed = round == 0 ? 2 : 1;
		env_open(&env, &conf);
		for (i = 0; i < NCOLL; i++) {
			p = tuple(coll[i], T0 + i);
			add(&env, &p);
		}
		/* Each tuple again: found, not a new flow. */
		for (i = 0; i < NCOLL; i++) {
			p = tuple(coll[i], T0 + NCOLL + i);
			add(&env, &p);
		}
		assert_int_equal(stats(&env).active_flows, NCOLL);
		assert_true(flow_table_longest_chain(env.t) <= 8);
		if (round == 0)
			assert_int_equal(stats(&env).hash_reseeds, 0);
		else
			assert_true(stats(&env).hash_reseeds >= 1);
		assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED),
		    NCOLL);
		assert_int_equal(env.sum_pkts, 2 * NCOLL);
		env_close(&env);
	}
}

/* Seed 0 draws each table's key at random: two tables differ. */
static void
test_hash_random_seed(void **unused)
{
	struct flow_sipkey k1, k2;
	struct env env;

	(void)unused;
	env_open(&env, NULL);
	flow_table_hash_key(env.t, &k1);
	env_close(&env);
	env_open(&env, NULL);
	flow_table_hash_key(env.t, &k2);
	env_close(&env);
	assert_true(k1.k0 != k2.k0 || k1.k1 != k2.k1);
}

/* The bucket array grows with the flows (load factor at most 1), up to
 * one bucket per flow of max_flows; every flow is still found. */
static void
test_hash_grow(void **unused)
{
	struct flow_table_conf conf;
	struct env env;
	struct dec_pkt p;
	uint32_t i;

	(void)unused;
	flow_table_conf_defaults(&conf);
	conf.max_flows = 6000;
	env_open(&env, &conf);
	assert_int_equal(flow_table_buckets(env.t), 1024);
	for (i = 0; i < 6000; i++) {
		p = tuple(i, T0 + i);
		add(&env, &p);
	}
	assert_int_equal(flow_table_buckets(env.t), 8192);
	assert_int_equal(stats(&env).hash_grows, 3);
	for (i = 0; i < 6000; i++) {
		p = tuple(i, T0 + 6000 + i);
		add(&env, &p);
	}
	assert_int_equal(stats(&env).flows_created, 6000);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 6000);
	assert_int_equal(env.sum_pkts, 12000);
	env_close(&env);
}

/* --- bounded expiry --- */

/*
 * A wave: 1000 flows go idle at once. The next packet ends a bounded
 * number of them, not all; a packet of a flow still waiting ends it
 * first (same record as a complete pass) and starts a new flow;
 * flow_table_expire() ends the rest. No flow is late by 1 s or more.
 */
static void
test_expiry_bounded(void **unused)
{
	struct flow_table_conf conf;
	struct env env;
	struct dec_pkt p;
	uint32_t i;
	size_t before;

	(void)unused;
	flow_table_conf_defaults(&conf);
	conf.idle_timeout_s = 10;
	conf.max_flows = 2000;
	env_open(&env, &conf);
	for (i = 0; i < 1000; i++) {
		p = tuple(i, T0 + i);
		add(&env, &p);
	}
	p = tuple(5000, T0 + 20 * S);		/* a new flow, much later */
	add(&env, &p);
	assert_true(env.nrec > 0);
	assert_true(env.nrec < 1000);
	before = env.nrec;
	/* Flow 999 was not reached yet: its packet ends it, then counts in
	 * a new flow. */
	p = tuple(999, T0 + 20 * S + 1);
	add(&env, &p);
	assert_true(env.nrec > before);
	assert_int_equal(stats(&env).flows_created, 1002);
	flow_table_expire(env.t, T0 + 20 * S + 2);
	assert_int_equal(stats(&env).records_ended[FLOW_END_IDLE], 1000);
	assert_int_equal(stats(&env).active_flows, 2);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 2);
	assert_int_equal(env.sum_pkts, 1002);
	env_close(&env);
}

/* Lazy LRU: packets within one second do not reorder the list, yet idle
 * expiry is less than 1 s late and uses each flow's own last packet. */
static void
test_idle_lazy_lru(void **unused)
{
	struct flow_table_conf conf;
	struct env env;

	(void)unused;
	flow_table_conf_defaults(&conf);
	conf.idle_timeout_s = 10;
	env_open(&env, &conf);
	tcp(&env, T0, A, 1, B, 80, ACK, 40);
	tcp(&env, T0 + 100 * MS, A, 2, B, 80, ACK, 40);
	tcp(&env, T0 + 900 * MS, A, 1, B, 80, ACK, 40);	/* same second */
	/* Flow 2 is due at +10.1 s, flow 1 at +10.9 s; flow 1 is ahead in
	 * the list. At +10.5 s flow 2 may wait; by +10.9 s both are out,
	 * flow 1 with both its packets. */
	flow_table_expire(env.t, T0 + 10 * S + 50 * MS);
	assert_int_equal(env.nrec, 0);
	flow_table_expire(env.t, T0 + 10 * S + 900 * MS);
	assert_int_equal(env.nrec, 2);
	assert_int_equal(stats(&env).records_ended[FLOW_END_IDLE], 2);
	assert_int_equal(env.sum_pkts, 3);
	if (env.recs[0].key.sport == 1)
		assert_int_equal(env.recs[0].c[0].pkts, 2);
	else
		assert_int_equal(env.recs[1].c[0].pkts, 2);
	env_close(&env);
}

/* --- end reasons --- */

/* A packet hook that asks for export ends the flow at once; the next
 * packet of the same key starts a new flow. */
static void
test_pkt_export(void **unused)
{
	struct env env;

	(void)unused;
	env_open(&env, NULL);
	env.export_at = 2;
	tcp(&env, T0, A, 1000, B, 80, SYN, 40);
	assert_int_equal(env.nrec, 0);
	tcp(&env, T0 + 1, B, 80, A, 1000, SYN | ACK, 40);
	assert_int_equal(env.nrec, 1);
	assert_int_equal(env.recs[0].reason, FLOW_END_PLUGIN);
	assert_int_equal(env.recs[0].c[FLOW_DIR_FWD].pkts, 1);
	assert_int_equal(env.recs[0].c[FLOW_DIR_REV].pkts, 1);
	assert_int_equal(stats(&env).records_ended[FLOW_END_PLUGIN], 1);
	assert_int_equal(stats(&env).active_flows, 0);
	tcp(&env, T0 + 2, A, 1000, B, 80, ACK, 40);
	assert_int_equal(stats(&env).active_flows, 1);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 1);
	assert_int_equal(env.sum_pkts, 3);
	env_close(&env);
}

static void
test_idle(void **unused)
{
	struct flow_table_conf conf;
	struct env env;

	(void)unused;
	flow_table_conf_defaults(&conf);
	conf.idle_timeout_s = 10;
	env_open(&env, &conf);
	tcp(&env, T0, A, 1000, B, 80, SYN, 40);
	tcp(&env, T0 + 2 * S, A, 1001, B, 80, SYN, 40);
	assert_int_equal(flow_table_expire(env.t, T0 + 10 * S - 1), 0);
	assert_int_equal(flow_table_expire(env.t, T0 + 10 * S), 1);
	assert_int_equal(env.recs[0].reason, FLOW_END_IDLE);
	assert_src(&env.recs[0], A, 1000);
	/* A packet's time expires too. */
	tcp(&env, T0 + 12 * S, C, 5, B, 80, SYN, 40);
	assert_int_equal(env.nrec, 2);
	assert_int_equal(env.recs[1].reason, FLOW_END_IDLE);
	assert_src(&env.recs[1], A, 1001);
	assert_int_equal(stats(&env).records_ended[FLOW_END_IDLE], 2);
	assert_int_equal(stats(&env).active_flows, 1);
	flow_table_flush(env.t, FLOW_END_FORCED);
	env_close(&env);
}

static void
test_active(void **unused)
{
	struct flow_table_conf conf;
	struct env env;
	const struct rec *r;
	uint64_t i;

	(void)unused;
	flow_table_conf_defaults(&conf);
	conf.idle_timeout_s = 60;
	conf.active_timeout_s = 120;
	conf.ext_size = 8;
	env_open(&env, &conf);
	/* 31 packets, one per 10 s, A first, then B on even steps. */
	for (i = 0; i <= 30; i++) {
		if (i == 0 || i % 2 == 1)
			tcp(&env, T0 + i * 10 * S, A, 1000, B, 80, ACK, 100);
		else
			tcp(&env, T0 + i * 10 * S, B, 80, A, 1000, ACK, 200);
	}
	assert_int_equal(env.nrec, 2);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 1);
	assert_int_equal(env.nrec, 3);
	assert_int_equal(env.recs[0].reason, FLOW_END_ACTIVE);
	assert_int_equal(env.recs[1].reason, FLOW_END_ACTIVE);
	assert_int_equal(env.recs[2].reason, FLOW_END_FORCED);
	/* [T0, T0+110]: 12 packets; [120, 230]: 12; [240, 300]: 7. */
	assert_int_equal(env.recs[0].c[0].pkts + env.recs[0].c[1].pkts, 12);
	assert_int_equal(env.recs[1].c[0].pkts + env.recs[1].c[1].pkts, 12);
	assert_int_equal(env.recs[2].c[0].pkts + env.recs[2].c[1].pkts, 7);
	for (i = 0; i < 3; i++)
		assert_src(&env.recs[i], A, 1000);
	r = &env.recs[1];
	/* Fresh counters: the record starts with its own first packet, which
	 * is B's, still counted as the reverse direction. */
	assert_int_equal(r->c[1].first_us, T0 + 120 * S);
	assert_int_equal(r->c[0].first_us, T0 + 130 * S);
	assert_int_equal(r->c[1].last_us, T0 + 220 * S);
	assert_int_equal(r->c[0].bytes, 6 * 100);
	assert_int_equal(r->c[1].bytes, 6 * 200);
	assert_int_equal(env.recs[2].c[0].first_us, T0 + 250 * S);
	/* The ext area lives across active records. */
	assert_int_equal(env.recs[2].ext0, 31);
	assert_int_equal(env.sum_pkts, 31);
	assert_int_equal(stats(&env).flows_created, 1);
	env_close(&env);
}

/* Idle and active due at once: one idle record, not an empty one. */
static void
test_active_then_idle_no_empty(void **unused)
{
	struct flow_table_conf conf;
	struct env env;

	(void)unused;
	flow_table_conf_defaults(&conf);
	conf.idle_timeout_s = 200;
	conf.active_timeout_s = 100;
	env_open(&env, &conf);
	tcp(&env, T0, A, 1000, B, 80, ACK, 100);
	assert_int_equal(flow_table_expire(env.t, T0 + 100 * S), 1);
	assert_int_equal(env.recs[0].reason, FLOW_END_ACTIVE);
	/* No packet since: the next active timeout has nothing to say. */
	assert_int_equal(flow_table_expire(env.t, T0 + 199 * S), 0);
	assert_int_equal(flow_table_expire(env.t, T0 + 200 * S), 1);
	assert_int_equal(env.recs[1].reason, FLOW_END_IDLE);
	assert_int_equal(env.recs[1].c[0].pkts, 0);
	assert_int_equal(env.sum_pkts, 1);
	env_close(&env);
}

static void
test_rst(void **unused)
{
	struct env env;

	(void)unused;
	env_open(&env, NULL);		/* grace 2000 ms */
	tcp(&env, T0, A, 1000, B, 80, SYN, 40);
	tcp(&env, T0 + S, B, 80, A, 1000, RST | ACK, 40);
	assert_int_equal(flow_table_expire(env.t, T0 + 3 * S - 1), 0);
	/* Late packets in grace still count. */
	tcp(&env, T0 + 2 * S, A, 1000, B, 80, ACK, 40);
	assert_int_equal(flow_table_expire(env.t, T0 + 3 * S), 1);
	assert_int_equal(env.recs[0].reason, FLOW_END_DETECTED);
	assert_int_equal(env.recs[0].c[0].pkts, 2);
	assert_int_equal(env.recs[0].c[1].pkts, 1);
	assert_int_equal(env.recs[0].tcp_flags[1], RST | ACK);
	assert_int_equal(stats(&env).records_ended[FLOW_END_DETECTED], 1);
	assert_int_equal(stats(&env).active_flows, 0);
	env_close(&env);
}

static void
test_fin(void **unused)
{
	static const struct {
		int	fin_a, fin_b;
		int	ended;
	} cases[] = {
		{ 1, 1, 1 },
		{ 1, 0, 0 },
		{ 0, 1, 0 },
		{ 0, 0, 0 },
	};
	struct flow_table_conf conf;
	struct env env;
	size_t i;

	(void)unused;
	flow_table_conf_defaults(&conf);
	conf.idle_timeout_s = 60;
	conf.active_timeout_s = 600;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		env_open(&env, &conf);
		tcp(&env, T0, A, 1000, B, 80, SYN, 40);
		tcp(&env, T0 + S, A, 1000, B, 80,
		    ACK | (cases[i].fin_a ? FIN : 0), 40);
		/* Twice from B: FIN must be seen from both sides, not twice. */
		tcp(&env, T0 + 2 * S, B, 80, A, 1000,
		    ACK | (cases[i].fin_b ? FIN : 0), 40);
		tcp(&env, T0 + 2 * S, B, 80, A, 1000,
		    ACK | (cases[i].fin_b ? FIN : 0), 40);
		assert_int_equal(flow_table_expire(env.t, T0 + 4 * S - 1), 0);
		assert_int_equal(flow_table_expire(env.t, T0 + 4 * S),
		    cases[i].ended);
		/* Idle 60 s after the last packet, at T0 + 2 s. */
		assert_int_equal(flow_table_expire(env.t, T0 + 62 * S),
		    1 - cases[i].ended);
		assert_int_equal(env.nrec, 1);
		assert_int_equal(env.recs[0].reason, cases[i].ended ?
		    FLOW_END_DETECTED : FLOW_END_IDLE);
		assert_int_equal(env.sum_pkts, 4);
		env_close(&env);
	}
}

/*
 * Deadlines far behind table time: a capture spanning more than 2^31 ms
 * (24.8 days), with a gap, must end each flow for the deadline that came
 * first, however long ago (the reason must not depend on where the gap
 * falls modulo 2^32 ms).
 */
static void
test_deadline_long_gap(void **unused)
{
	static const uint64_t gaps_s[] = {
		30ULL * 86400,		/* deadline 2^31 to 2^32 ms ago */
		60ULL * 86400,		/* more than 2^32 ms ago */
		100ULL * 86400,
	};
	struct flow_table_conf conf;
	struct env env;
	uint64_t now;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(gaps_s) / sizeof(gaps_s[0]); i++) {
		now = T0 + gaps_s[i] * S;

		/* RST then nothing: the end grace (2 s) comes before the
		 * idle timeout (120 s): ended as detected. */
		env_open(&env, NULL);
		tcp(&env, T0, A, 1000, B, 80, SYN, 40);
		tcp(&env, T0 + S, B, 80, A, 1000, RST | ACK, 40);
		tcp(&env, now, C, 1000, B, 80, SYN, 40);
		assert_int_equal(env.nrec, 1);
		assert_int_equal(env.recs[0].reason, FLOW_END_DETECTED);
		env_close(&env);

		/* The same through flow_table_expire(). */
		env_open(&env, NULL);
		tcp(&env, T0, A, 1000, B, 80, SYN, 40);
		tcp(&env, T0 + S, B, 80, A, 1000, RST | ACK, 40);
		assert_int_equal(flow_table_expire(env.t, now), 1);
		assert_int_equal(env.recs[0].reason, FLOW_END_DETECTED);
		env_close(&env);

		/* Idle 60 s comes before the active timeout (120 s): one
		 * idle record, no active one. */
		flow_table_conf_defaults(&conf);
		conf.idle_timeout_s = 60;
		conf.active_timeout_s = 120;
		env_open(&env, &conf);
		tcp(&env, T0, A, 1000, B, 80, SYN, 40);
		tcp(&env, now, C, 1000, B, 80, SYN, 40);
		assert_int_equal(env.nrec, 1);
		assert_int_equal(env.recs[0].reason, FLOW_END_IDLE);
		assert_int_equal(env.recs[0].c[0].pkts, 1);
		env_close(&env);

		/* Active 100 s before idle 120 s: the record is cut by the
		 * active timeout, then the flow ends idle (an empty record,
		 * which exporters skip). */
		conf.idle_timeout_s = 120;
		conf.active_timeout_s = 100;
		env_open(&env, &conf);
		tcp(&env, T0, A, 1000, B, 80, SYN, 40);
		assert_int_equal(flow_table_expire(env.t, now), 2);
		assert_int_equal(env.recs[0].reason, FLOW_END_ACTIVE);
		assert_int_equal(env.recs[0].c[0].pkts, 1);
		assert_int_equal(env.recs[1].reason, FLOW_END_IDLE);
		assert_int_equal(env.recs[1].c[0].pkts, 0);
		env_close(&env);

		/* A flow alive on both sides of the gap: a packet every
		 * 10 s around it, active timeout 100 s, idle 120 s after
		 * the gap... the first packet after the gap starts a new
		 * flow, the old one ended by the deadline that came first
		 * (active at T0 + 100 s). */
		env_open(&env, &conf);
		tcp(&env, T0, A, 1000, B, 80, SYN, 40);
		tcp(&env, T0 + 10 * S, A, 1000, B, 80, ACK, 40);
		tcp(&env, now, A, 1000, B, 80, ACK, 40);
		tcp(&env, now + 10 * S, A, 1000, B, 80, ACK, 40);
		assert_int_equal(env.nrec, 2);
		assert_int_equal(env.recs[0].reason, FLOW_END_ACTIVE);
		assert_int_equal(env.recs[0].c[0].pkts, 2);
		assert_int_equal(env.recs[1].reason, FLOW_END_IDLE);
		assert_int_equal(env.recs[1].c[0].pkts, 0);
		assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 1);
		assert_int_equal(env.recs[2].c[0].pkts, 2);
		/* The new flow's deadlines are those of its own start. */
		env_close(&env);
		env_open(&env, &conf);
		tcp(&env, now, A, 1000, B, 80, SYN, 40);
		assert_int_equal(flow_table_expire(env.t, now + 99 * S), 0);
		assert_int_equal(flow_table_expire(env.t, now + 100 * S), 1);
		assert_int_equal(env.recs[0].reason, FLOW_END_ACTIVE);
		env_close(&env);
	}
}

/*
 * A flow keeps its deadline as an offset from its last packet (32-bit
 * milliseconds): with the largest timeouts (2,000,000 s, 23.1 days) and
 * packets days apart, records are cut on the same grid as with a 64-bit
 * deadline, and the end grace runs across packets.
 */
static void
test_deadline_offset(void **unused)
{
	static const uint64_t want[] = { 3, 2, 2, 3, 1 };
	const uint64_t day = 86400 * S;
	struct flow_table_conf conf;
	struct env env;
	size_t i;

	(void)unused;
	flow_table_conf_defaults(&conf);
	conf.idle_timeout_s = conf.active_timeout_s = 2000000;
	conf.end_grace_ms = 2000000000;
	/* A packet every 10 days: cut at T0 + k * 23.1 days. */
	env_open(&env, &conf);
	for (i = 0; i <= 10; i++)
		tcp(&env, T0 + i * 10 * day, A, 1000, B, 80, ACK, 40);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 1);
	assert_int_equal(env.nrec, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(env.recs[i].reason, i < 4 ? FLOW_END_ACTIVE :
		    FLOW_END_FORCED);
		assert_int_equal(env.recs[i].c[0].pkts, want[i]);
	}
	env_close(&env);

	/* RST, a packet 20 days into the 23.1-day grace (still the same
	 * flow), one after the grace: a new flow. */
	env_open(&env, &conf);
	tcp(&env, T0, A, 1000, B, 80, RST, 40);
	tcp(&env, T0 + 20 * day, A, 1000, B, 80, ACK, 40);
	assert_int_equal(env.nrec, 0);
	tcp(&env, T0 + 2000000 * S + 1000, A, 1000, B, 80, ACK, 40);
	assert_int_equal(env.nrec, 1);
	assert_int_equal(env.recs[0].reason, FLOW_END_DETECTED);
	assert_int_equal(env.recs[0].c[0].pkts, 2);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 1);
	assert_int_equal(env.recs[1].c[0].pkts, 1);
	env_close(&env);

	/* Active timeout 11.6 days, idle 23.1: after a gap of 100 days the
	 * record is cut by the active timeout (it came first), and the next
	 * active deadline (104 days) is more than 2^32 ms after the last
	 * packet; the flow then ends idle, as with the exact deadline. */
	conf.active_timeout_s = 1000000;
	env_open(&env, &conf);
	tcp(&env, T0, A, 1000, B, 80, ACK, 40);
	tcp(&env, T0 + 100 * day, C, 1000, B, 80, ACK, 40);
	assert_int_equal(env.nrec, 2);
	assert_int_equal(env.recs[0].reason, FLOW_END_ACTIVE);
	assert_int_equal(env.recs[0].c[0].pkts, 1);
	assert_int_equal(env.recs[1].reason, FLOW_END_IDLE);
	assert_int_equal(env.recs[1].c[0].pkts, 0);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 1);
	assert_int_equal(env.recs[2].reason, FLOW_END_FORCED);
	env_close(&env);
}

/* The flags and ICMP type of a record restart with it after an active
 * timeout, as the counters do. */
static void
test_active_restarts_flags(void **unused)
{
	struct flow_table_conf conf;
	struct env env;

	(void)unused;
	/* Four 64-bit counters a direction, no padding. */
	assert_int_equal(sizeof(struct flow_counters), 4 * sizeof(uint64_t));
	flow_table_conf_defaults(&conf);
	conf.active_timeout_s = 10;
	env_open(&env, &conf);
	tcp(&env, T0, A, 1000, B, 80, SYN, 40);
	tcp(&env, T0 + 1, B, 80, A, 1000, SYN | ACK, 40);
	tcp(&env, T0 + 11 * S, A, 1000, B, 80, ACK, 40);
	assert_int_equal(env.nrec, 1);
	assert_int_equal(env.recs[0].tcp_flags[0], SYN);
	assert_int_equal(env.recs[0].tcp_flags[1], SYN | ACK);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 1);
	assert_int_equal(env.recs[1].tcp_flags[0], ACK);
	assert_int_equal(env.recs[1].tcp_flags[1], 0);
	env_close(&env);
}

static void
test_syn_reuse(void **unused)
{
	struct env env;

	(void)unused;
	env_open(&env, NULL);
	tcp(&env, T0, A, 1000, B, 80, SYN, 40);
	tcp(&env, T0 + 1, B, 80, A, 1000, SYN | ACK, 40);
	tcp(&env, T0 + 2, A, 1000, B, 80, RST, 40);
	/* In grace: an ACK is counted in the old flow... */
	tcp(&env, T0 + 3, B, 80, A, 1000, ACK, 40);
	assert_int_equal(env.nrec, 0);
	/* ...a new SYN ends it at once and starts a new one. */
	tcp(&env, T0 + 500 * MS, A, 1000, B, 80, SYN, 44);
	assert_int_equal(env.nrec, 1);
	assert_int_equal(env.recs[0].reason, FLOW_END_DETECTED);
	assert_int_equal(env.recs[0].c[0].pkts, 2);
	assert_int_equal(env.recs[0].c[1].pkts, 2);
	assert_int_equal(stats(&env).active_flows, 1);
	assert_int_equal(stats(&env).flows_created, 2);
	/* The new flow is not in grace: nothing ends at the old due time. */
	assert_int_equal(flow_table_expire(env.t, T0 + 5 * S), 0);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 1);
	assert_int_equal(env.recs[1].reason, FLOW_END_FORCED);
	assert_src(&env.recs[1], A, 1000);
	assert_int_equal(env.recs[1].c[0].pkts, 1);
	assert_int_equal(env.recs[1].c[0].bytes, 44);
	assert_int_equal(env.recs[1].c[0].first_us, T0 + 500 * MS);
	env_close(&env);
}

/* A reply SYN (from the destination) during grace also starts anew, with
 * its sender as the new source. */
static void
test_syn_reuse_reverse(void **unused)
{
	struct env env;

	(void)unused;
	env_open(&env, NULL);
	tcp(&env, T0, A, 1000, B, 80, SYN, 40);
	tcp(&env, T0 + 1, B, 80, A, 1000, RST | ACK, 40);
	tcp(&env, T0 + 2, B, 80, A, 1000, SYN, 40);
	assert_int_equal(env.nrec, 1);
	flow_table_flush(env.t, FLOW_END_FORCED);
	assert_src(&env.recs[1], B, 80);
	env_close(&env);
}

static void
test_capacity(void **unused)
{
	struct flow_table_conf conf;
	struct env env;

	(void)unused;
	flow_table_conf_defaults(&conf);
	conf.max_flows = 2;
	conf.ext_size = 8;
	env_open(&env, &conf);
	/* Recency counts by the second (the LRU list is lazy). */
	tcp(&env, T0, A, 1, B, 80, SYN, 40);
	tcp(&env, T0 + 1, A, 2, B, 80, SYN, 40);
	tcp(&env, T0 + S, A, 1, B, 80, ACK, 40);	/* 1 is now newest */
	tcp(&env, T0 + S + 1, A, 3, B, 80, SYN, 40);
	assert_int_equal(env.nrec, 1);
	assert_int_equal(env.recs[0].reason, FLOW_END_RESOURCES);
	assert_src(&env.recs[0], A, 2);
	assert_int_equal(stats(&env).active_flows, 2);
	assert_int_equal(stats(&env).records_ended[FLOW_END_RESOURCES], 1);
	tcp(&env, T0 + S + 2, A, 4, B, 80, SYN, 40);
	assert_src(&env.recs[1], A, 1);
	assert_int_equal(env.recs[1].c[0].pkts, 2);
	assert_int_equal(env.recs[1].ext0, 2);
	/* Reused flows start with a zeroed ext area. */
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 2);
	assert_int_equal(env.recs[2].ext0, 1);
	assert_int_equal(env.recs[3].ext0, 1);
	assert_int_equal(env.sum_pkts, 5);
	assert_int_equal(stats(&env).peak_flows, 2);
	env_close(&env);
}

static void
test_backwards_time(void **unused)
{
	struct flow_table_conf conf;
	struct env env;

	(void)unused;
	flow_table_conf_defaults(&conf);
	conf.idle_timeout_s = 10;
	env_open(&env, &conf);
	tcp(&env, T0 + 10 * S, A, 1000, B, 80, ACK, 40);
	tcp(&env, T0 + 10 * S - 100 * MS, A, 1000, B, 80, ACK, 40);
	/* An older packet of another flow: it is used at table time. */
	tcp(&env, T0 + 5 * S, C, 1000, B, 80, ACK, 40);
	assert_int_equal(flow_table_expire(env.t, T0 + 19 * S), 0);
	/* Going back does not move the table's clock back. */
	assert_int_equal(flow_table_expire(env.t, T0), 0);
	assert_int_equal(flow_table_expire(env.t, T0 + 20 * S), 2);
	assert_int_equal(env.recs[0].c[0].pkts, 2);
	assert_int_equal(env.recs[0].c[0].first_us, T0 + 10 * S - 100 * MS);
	assert_int_equal(env.recs[0].c[0].last_us, T0 + 10 * S);
	assert_int_equal(env.recs[1].c[0].first_us, T0 + 5 * S);
	env_close(&env);
}

static void
test_flush(void **unused)
{
	struct env env;
	struct dec_pkt p;

	(void)unused;
	env_open(&env, NULL);
	tcp(&env, T0, A, 1, B, 80, SYN, 40);
	tcp(&env, T0, A, 2, B, 80, SYN, 40);
	tcp(&env, T0 + 1, A, 2, B, 80, RST, 40);	/* in grace */
	p = pkt4(T0 + 2, A, 0, C, 0, 17, 0, 600);	/* waiting fragment */
	p.frag = DEC_FRAG_LATER;
	p.frag_id = 9;
	add(&env, &p);
	assert_int_equal(stats(&env).pending_frags, 1);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 3);
	assert_int_equal(stats(&env).records_ended[FLOW_END_FORCED], 3);
	assert_int_equal(stats(&env).active_flows, 0);
	assert_int_equal(stats(&env).pending_frags, 0);
	assert_int_equal(env.sum_pkts, 4);
	/* Nothing left; the table works on. */
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 0);
	assert_int_equal(flow_table_expire(env.t, T0 + 1000 * S), 0);
	tcp(&env, T0 + 1001 * S, A, 1, B, 80, SYN, 40);
	/* ACTIVE makes no sense for a flush: taken as FORCED. */
	assert_int_equal(flow_table_flush(env.t, FLOW_END_ACTIVE), 1);
	assert_int_equal(env.recs[3].reason, FLOW_END_FORCED);
	env_close(&env);
}

static void
test_no_reentry(void **unused)
{
	struct env env;

	(void)unused;
	env_open(&env, NULL);
	tcp(&env, T0, A, 1, B, 80, SYN, 40);
	env.reenter = 1;
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 1);
	assert_int_equal(env.reenter_rc, -EDEADLK);
	assert_int_equal(stats(&env).active_flows, 0);
	env_close(&env);
}

/* --- fragments --- */

static struct dec_pkt
frag(uint64_t ts, uint32_t src, uint32_t dst, uint32_t id, int first,
    uint32_t len)
{
	struct dec_pkt p;

	if (first)
		p = pkt4(ts, src, 5000, dst, 53, 17, 0, len);
	else
		p = pkt4(ts, src, 0, dst, 0, 17, 0, len);
	p.frag = first ? DEC_FRAG_FIRST : DEC_FRAG_LATER;
	p.frag_id = id;
	return p;
}

static void
test_frag_first_then_later(void **unused)
{
	struct env env;
	struct dec_pkt p;

	(void)unused;
	env_open(&env, NULL);
	p = frag(T0, A, B, 77, 1, 1500);
	add(&env, &p);
	p = frag(T0 + 1, A, B, 77, 0, 1500);
	add(&env, &p);
	p = frag(T0 + 2, A, B, 77, 0, 300);
	add(&env, &p);
	/* Same id, other sender: another datagram, still waiting. */
	p = frag(T0 + 3, C, B, 77, 0, 300);
	add(&env, &p);
	assert_int_equal(stats(&env).frags_matched, 2);
	assert_int_equal(stats(&env).pending_frags, 2);
	assert_int_equal(env.ncb_pkts, 3);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 2);
	assert_src(&env.recs[0], A, 5000);
	assert_int_equal(env.recs[0].key.dport, 53);
	assert_int_equal(env.recs[0].c[0].pkts, 3);
	assert_int_equal(env.recs[0].c[0].bytes, 3300);
	assert_int_equal(env.recs[0].c[0].last_us, T0 + 2);
	assert_int_equal(stats(&env).frags_orphaned, 1);
	env_close(&env);
}

static void
test_frag_later_before_first(void **unused)
{
	struct env env;
	struct dec_pkt p;

	(void)unused;
	env_open(&env, NULL);
	/* A flow from A exists; B's fragmented reply comes last part first. */
	p = pkt4(T0, A, 53, B, 5000, 17, 0, 80);
	add(&env, &p);
	p = frag(T0 + 20, B, A, 5, 0, 400);
	add(&env, &p);
	p = frag(T0 + 10, B, A, 5, 0, 400);		/* reordered too */
	add(&env, &p);
	assert_int_equal(stats(&env).pending_frags, 1);
	assert_int_equal(env.ncb_pkts, 1);
	p = frag(T0 + 30, B, A, 5, 1, 1500);		/* 5000 -> 53 */
	add(&env, &p);
	assert_int_equal(stats(&env).frags_matched, 2);
	/* pkt_cb runs for the first only; the others were counts. */
	assert_int_equal(env.ncb_pkts, 2);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 1);
	assert_src(&env.recs[0], A, 53);
	assert_int_equal(env.recs[0].c[0].pkts, 1);
	assert_int_equal(env.recs[0].c[1].pkts, 3);
	assert_int_equal(env.recs[0].c[1].bytes, 2300);
	assert_int_equal(env.recs[0].c[1].first_us, T0 + 10);
	assert_int_equal(env.recs[0].c[1].last_us, T0 + 30);
	assert_int_equal(stats(&env).frags_orphaned, 0);
	env_close(&env);
}

static void
test_frag_orphan_timeout(void **unused)
{
	struct env env;
	struct dec_pkt p;

	(void)unused;
	env_open(&env, NULL);			/* frag timeout 30 s */
	p = frag(T0, A, B, 1, 0, 800);
	add(&env, &p);
	p = frag(T0 + 1, A, B, 1, 0, 200);
	add(&env, &p);
	assert_int_equal(flow_table_expire(env.t, T0 + 30 * S - 1), 0);
	assert_int_equal(stats(&env).pending_frags, 1);
	flow_table_expire(env.t, T0 + 30 * S);
	assert_int_equal(stats(&env).pending_frags, 0);
	assert_int_equal(stats(&env).frags_orphaned, 2);
	assert_int_equal(stats(&env).active_flows, 1);
	/* The orphan flow's first fragment, too late: its own entry. */
	p = frag(T0 + 31 * S, A, B, 1, 1, 1500);
	add(&env, &p);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 2);
	assert_src(&env.recs[0], A, 0);
	assert_int_equal(env.recs[0].key.dport, 0);
	assert_int_equal(env.recs[0].key.proto, 17);
	assert_int_equal(env.recs[0].c[0].pkts, 2);
	assert_int_equal(env.recs[0].c[0].bytes, 1000);
	assert_int_equal(env.recs[0].c[0].first_us, T0);
	assert_int_equal(env.recs[0].c[0].last_us, T0 + 1);
	assert_src(&env.recs[1], A, 5000);
	assert_int_equal(env.sum_pkts, 3);
	env_close(&env);
}

static void
test_frag_orphan_flush(void **unused)
{
	struct env env;
	struct dec_pkt p;

	(void)unused;
	env_open(&env, NULL);
	p = frag(T0, A, B, 1, 0, 800);
	add(&env, &p);
	assert_int_equal(stats(&env).active_flows, 0);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 1);
	assert_int_equal(env.recs[0].reason, FLOW_END_FORCED);
	assert_int_equal(env.recs[0].key.sport, 0);
	assert_int_equal(env.recs[0].key.dport, 0);
	assert_int_equal(env.recs[0].c[0].pkts, 1);
	assert_int_equal(stats(&env).frags_orphaned, 1);
	env_close(&env);
}

static void
test_frag_cache_full(void **unused)
{
	struct flow_table_conf conf;
	struct env env;
	struct dec_pkt p;
	uint32_t id;

	(void)unused;
	flow_table_conf_defaults(&conf);
	conf.max_frags = 2;
	env_open(&env, &conf);
	for (id = 1; id <= 3; id++) {
		p = frag(T0 + id, A, B, id, 0, 100 * id);
		add(&env, &p);
	}
	/* id 1 was the oldest: pushed out as an orphan flow. */
	assert_int_equal(stats(&env).pending_frags, 2);
	assert_int_equal(stats(&env).frags_orphaned, 1);
	assert_int_equal(stats(&env).active_flows, 1);
	/* id 1's first: a new entry, pushing id 2 out into the orphan. */
	p = frag(T0 + 10, A, B, 1, 1, 1500);
	add(&env, &p);
	assert_int_equal(stats(&env).frags_orphaned, 2);
	assert_int_equal(stats(&env).pending_frags, 2);
	/* id 3's first: its pending fragment joins the flow. */
	p = frag(T0 + 11, A, B, 3, 1, 1500);
	add(&env, &p);
	assert_int_equal(stats(&env).frags_matched, 1);
	assert_int_equal(flow_table_flush(env.t, FLOW_END_FORCED), 2);
	assert_int_equal(env.recs[0].key.sport, 0);
	assert_int_equal(env.recs[0].c[0].pkts, 2);
	assert_int_equal(env.recs[0].c[0].bytes, 300);
	assert_int_equal(env.recs[1].key.sport, 5000);
	assert_int_equal(env.recs[1].c[0].pkts, 3);
	assert_int_equal(env.recs[1].c[0].bytes, 3300);
	assert_int_equal(env.sum_pkts, 5);
	env_close(&env);
}

/* --- everything at once --- */

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
test_random_accounting(void **unused)
{
	static const uint8_t protos[] = { 6, 6, 6, 17, 17, 1 };
	struct flow_table_conf conf;
	struct flow_table_stats st;
	struct env env;
	struct dec_pkt p;
	uint64_t seed = 0x1234567887654321ULL, ts = T0, n_pkts = 0;
	uint64_t n_bytes = 0, r, matched = 0, orphaned = 0, evicted = 0;
	uint32_t a, b, i, k;
	int round;

	(void)unused;
	for (round = 0; round < 4; round++) {
		flow_table_conf_defaults(&conf);
		conf.max_flows = round == 3 ? 1 : 8 + 8 * round;
		conf.max_frags = 1 + 3 * round;
		conf.idle_timeout_s = 2 + round;
		conf.active_timeout_s = 3;
		conf.end_grace_ms = round == 1 ? 0 : 300;
		conf.frag_timeout_s = 1;
		conf.ext_size = 8 * round;
		env_open(&env, &conf);
		n_pkts = n_bytes = 0;
		for (i = 0; i < 4000; i++) {
			r = rnd(&seed);
			/* Mostly forward in time, sometimes a step back. */
			if (r % 10 == 0)
				ts -= r >> 40 & 0x3fff;
			else
				ts += r >> 40 & 0x3ffff;
			/* One of 24 conversations (the first 4 busy), in
			 * either direction. */
			k = (uint32_t)(r >> 8) % 48;
			k = k < 24 ? k % 4 : k - 24;
			a = A + k % 5;
			b = B + 8 + k % 3;
			if ((r >> 16) % 2) {
				a ^= b;
				b ^= a;
				a ^= b;
			}
			p = pkt4(ts, a, (uint16_t)(1000 + k % 2), b,
			    (uint16_t)(1000 + k % 2 + 1), protos[k % 6],
			    0, 40 + (uint32_t)(r >> 32) % 1400);
			r = rnd(&seed);
			if (p.proto == 6)
				p.tcp_flags = r % 100 < 2 ? RST :
				    r % 100 < 8 ? FIN | ACK :
				    r % 100 < 15 ? SYN : ACK;
			else if (p.proto == 1) {
				p.sport = p.dport = 0;
				p.icmp_type = (uint8_t)(r >> 8) % 2 ? 8 : 0;
			}
			p.vlan_id = k % 7 == 0 ? 5 : 0;
			switch ((r >> 16) % 10) {
			case 0:
				p.frag = DEC_FRAG_FIRST;
				break;
			case 1:
			case 2:
				p.frag = DEC_FRAG_LATER;
				p.sport = p.dport = 0;
				p.tcp_flags = 0;
				break;
			default:
				break;
			}
			p.frag_id = (uint32_t)(r >> 24) % 3;
			add(&env, &p);
			n_pkts++;
			n_bytes += p.ip_len;
			if ((r >> 40) % 50 == 0)
				flow_table_expire(env.t, ts + (r >> 48) % S);
			flow_table_stats(env.t, &st);
			assert_true(st.active_flows <= conf.max_flows);
			assert_true(st.pending_frags <= conf.max_frags);
		}
		flow_table_flush(env.t, FLOW_END_FORCED);
		flow_table_stats(env.t, &st);
		assert_int_equal(env.sum_pkts, n_pkts);
		assert_int_equal(env.sum_bytes, n_bytes);
		assert_int_equal(st.active_flows, 0);
		assert_int_equal(st.pending_frags, 0);
		assert_int_equal(st.nomem_drops, 0);
		assert_int_equal(st.records_ended[1] + st.records_ended[2] +
		    st.records_ended[3] + st.records_ended[4] +
		    st.records_ended[5], env.nrec);
		/* Every flow ends exactly once (active records aside). */
		assert_int_equal(st.flows_created, env.nrec -
		    st.records_ended[FLOW_END_ACTIVE]);
		matched += st.frags_matched;
		orphaned += st.frags_orphaned;
		evicted += st.records_ended[FLOW_END_RESOURCES];
		env_close(&env);
	}
	/* The mix did exercise the paths it is meant to. */
	assert_true(matched > 0);
	assert_true(orphaned > 0);
	assert_true(evicted > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_orientation_counts),
		cmocka_unit_test(test_orientation_reply_first),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_key_fields),
		cmocka_unit_test(test_many_flows),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_active),
		cmocka_unit_test(test_active_then_idle_no_empty),
		cmocka_unit_test(test_rst),
		cmocka_unit_test(test_fin),
		cmocka_unit_test(test_deadline_long_gap),
		cmocka_unit_test(test_deadline_offset),
		cmocka_unit_test(test_active_restarts_flags),
		cmocka_unit_test(test_syn_reuse),
		cmocka_unit_test(test_syn_reuse_reverse),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_backwards_time),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_no_reentry),
		cmocka_unit_test(test_frag_first_then_later),
		cmocka_unit_test(test_frag_later_before_first),
		cmocka_unit_test(test_frag_orphan_timeout),
		cmocka_unit_test(test_frag_orphan_flush),
		cmocka_unit_test(test_frag_cache_full),
		cmocka_unit_test(test_random_accounting),
		cmocka_unit_test(test_pkt_export),
		cmocka_unit_test(test_frag_ifindex),
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_hash_symmetric),
		cmocka_unit_test(test_hash_flood),
		cmocka_unit_test(test_hash_random_seed),
		cmocka_unit_test(test_hash_grow),
		cmocka_unit_test(test_expiry_bounded),
		cmocka_unit_test(test_idle_lazy_lru),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
