/*
 * flowkey.c - keyed hashing of flow keys and fragment identities.
 *
 * Pipeline position: inside the flow table (flowtab.c and frag.c).
 *
 * Why keyed: with a fixed, public hash anyone can compute offline a set of
 * 5-tuples that all land in one bucket and send them at the probe, turning
 * every lookup into a walk of a chain of thousands (hash flooding). Here
 * each table draws a 128-bit secret from getrandom() (or derives it from a
 * fixed seed given in its configuration, for tests and fuzzing) and hashes
 * with SipHash-1-3 (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012; the 1-3 variant is what Python, Rust and Linux use for hash
 * tables), so bucket collisions cannot be found without the key.
 *
 * The flow hash is symmetric: the two (address, port) ends are put in a
 * canonical order first, so both directions of a flow meet in one chain.
 */
#include "flow/flow_int.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

static inline uint64_t
load_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	    (uint64_t)p[7] << 56;
}

/*
 * SipHash-c-d of the message whose 8-byte little-endian words are <w>
 * (<n> of them, so the length is 8n bytes), then <tail> (the last, partial
 * block already holding the length byte). Shared by both entry points.
 */
static inline uint64_t
sip_core(const struct flow_sipkey *k, const uint64_t *w, size_t n,
    uint64_t tail, int c, int d)
{
	uint64_t v0 = k->k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k->k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k->k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k->k1 ^ 0x7465646279746573ULL;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		v3 ^= w[i];
		for (r = 0; r < c; r++)
			SIPROUND(v0, v1, v2, v3);
		v0 ^= w[i];
	}
	v3 ^= tail;
	for (r = 0; r < c; r++)
		SIPROUND(v0, v1, v2, v3);
	v0 ^= tail;
	v2 ^= 0xff;
	for (r = 0; r < d; r++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
flow_siphash(const struct flow_sipkey *k, const void *msg, size_t len,
    int c, int d)
{
	uint64_t tail;
	const uint8_t *p = msg;
	size_t done = 0, i;
	uint64_t v0 = k->k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k->k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k->k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k->k1 ^ 0x7465646279746573ULL;
	int r;

	for (; done + 8 <= len; done += 8) {
		uint64_t m = load_le64(p + done);

		v3 ^= m;
		for (r = 0; r < c; r++)
			SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	/* The last block: the remaining bytes and the length's low byte. */
	tail = (uint64_t)(len & 0xff) << 56;
	for (i = 0; done + i < len; i++)
		tail |= (uint64_t)p[done + i] << (8 * i);
	v3 ^= tail;
	for (r = 0; r < c; r++)
		SIPROUND(v0, v1, v2, v3);
	v0 ^= tail;
	v2 ^= 0xff;
	for (r = 0; r < d; r++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* SipHash-1-3 of <n> words: 8n bytes, as flow_siphash() would on a
 * little-endian machine. The hot path: no byte loads. */
static inline uint64_t
sip13_words(const struct flow_sipkey *k, const uint64_t *w, size_t n)
{
	return sip_core(k, w, n, (uint64_t)(n * 8) << 56, 1, 3);
}

uint32_t
flow_key_hash(const struct flow_sipkey *sk, const struct flow_key *k)
{
	uint64_t w[6], s0, s1, d0, d1, ports;
	uint32_t a, b;
	int swap;

	/*
	 * Canonical order makes the hash the same in both directions: the
	 * (address, port) end that is lower as raw words goes first. Any
	 * total order does; raw words avoid byte-wise compares.
	 */
	if (k->ip_version == 4) {
		/* 24 bytes, not 48: IPv4 addresses take 4 of their 16. */
		memcpy(&a, k->src, 4);
		memcpy(&b, k->dst, 4);
		swap = a > b || (a == b && k->sport > k->dport);
		w[2] = swap ? (uint64_t)b << 32 | a : (uint64_t)a << 32 | b;
	} else {
		memcpy(&s0, k->src, 8);
		memcpy(&s1, k->src + 8, 8);
		memcpy(&d0, k->dst, 8);
		memcpy(&d1, k->dst + 8, 8);
		swap = s0 > d0 || (s0 == d0 && (s1 > d1 ||
		    (s1 == d1 && k->sport > k->dport)));
		w[2] = swap ? d0 : s0;
		w[3] = swap ? d1 : s1;
		w[4] = swap ? s0 : d0;
		w[5] = swap ? s1 : d1;
	}
	ports = swap ? (uint64_t)k->dport << 48 | (uint64_t)k->sport << 32 :
	    (uint64_t)k->sport << 48 | (uint64_t)k->dport << 32;
	w[0] = ports | (uint64_t)k->vlan_id << 16 |
	    (uint64_t)k->proto << 8 | k->ip_version;
	w[1] = (uint64_t)k->tunnel_id << 32 | k->ifindex;
	/* Two calls with constant lengths: each loop unrolls. */
	if (k->ip_version == 4)
		return (uint32_t)sip13_words(sk, w, 3);
	return (uint32_t)sip13_words(sk, w, 6);
}

uint32_t
flow_frag_hash(const struct flow_sipkey *sk, const struct dec_pkt *pkt)
{
	uint64_t w[6];

	memcpy(&w[0], pkt->src, 16);
	memcpy(&w[2], pkt->dst, 16);
	w[4] = (uint64_t)pkt->frag_id << 32 | pkt->tunnel_id;
	w[5] = (uint64_t)pkt->ifindex << 32 | (uint64_t)pkt->vlan_id << 16 |
	    (uint64_t)pkt->proto << 8 | pkt->ip_version;
	return (uint32_t)sip13_words(sk, w, 6);
}

int
flow_shard_key_init(struct flow_shard_key *k, uint64_t seed, struct perr *err)
{
	struct flow_sipkey sk;
	int rc;

	if ((rc = flow_secret_init(&sk, seed, err)) != 0)
		return rc;
	k->k0 = sk.k0;
	k->k1 = sk.k1 ^ 0x5368617264ULL;	/* not the tables' secret */
	return 0;
}

uint32_t
flow_shard_hash(const struct flow_shard_key *k, const struct dec_pkt *pkt)
{
	struct flow_sipkey sk = { k->k0, k->k1 };
	struct flow_key key;

	/* flow_key_hash() orders the two ends canonically; with both ports
	 * 0 the order depends on the addresses only. */
	memset(&key, 0, sizeof(key));
	memcpy(key.src, pkt->src, 16);
	memcpy(key.dst, pkt->dst, 16);
	key.tunnel_id = pkt->tunnel_id;
	key.ifindex = pkt->ifindex;
	key.vlan_id = pkt->vlan_id;
	key.proto = pkt->proto;
	key.ip_version = pkt->ip_version;
	return flow_key_hash(&sk, &key);
}

/* splitmix64: spreads a small seed over 64 bits. */
static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int
flow_secret_init(struct flow_sipkey *secret, uint64_t seed, struct perr *err)
{
	uint8_t b[16];
	size_t got = 0;
	ssize_t n;
	int e;

	if (seed != 0) {
		secret->k0 = splitmix(&seed);
		secret->k1 = splitmix(&seed);
		return 0;
	}
	while (got < sizeof(b)) {
		n = getrandom(b + got, sizeof(b) - got, 0);
		if (n == -1) {
			e = errno;
			if (e == EINTR)
				continue;
			return perr_set(err, -e, "flow table: cannot get a "
			    "random hash key: getrandom: %s", strerror(e));
		}
		got += (size_t)n;
	}
	secret->k0 = load_le64(b);
	secret->k1 = load_le64(b + 8);
	return 0;
}

void
flow_derive_key(const struct flow_sipkey *secret, uint64_t domain,
    uint64_t gen, struct flow_sipkey *out)
{
	uint64_t m[2] = { domain, gen };

	/* A PRF of (domain, generation): keys of the flow hash, the
	 * fragment hash and each reseed are unrelated to each other. */
	out->k0 = flow_siphash(secret, m, sizeof(m), 2, 4);
	m[0] = ~domain;
	out->k1 = flow_siphash(secret, m, sizeof(m), 2, 4);
}
