/*
 * flow_int.h - shared only inside src/flow/ (and its white-box tests): the
 * fragment cache used by flowtab.c, and the keyed hashes both use
 * (flowkey.c).
 *
 * The fragment cache maps one IP datagram (oriented addresses, protocol,
 * IP version, VLAN id, tunnel id, ingress interface, fragment id) to the
 * ports its first fragment carried, and holds the counts of later fragments that came
 * before their first ("pending"). It knows nothing of flows: turning an
 * entry into flow counts (matching, orphaning) is flowtab.c's job.
 *
 * Invariants: entries are preallocated at init (no allocation afterwards);
 * every live entry is in exactly one hash chain and in the FIFO list, which
 * is ordered by creation time (table time, so never decreasing); count <=
 * max.
 */
#ifndef L7_FLOW_INT_H
#define L7_FLOW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

/* A 128-bit SipHash key. */
struct flow_sipkey {
	uint64_t	k0, k1;
};

struct flow_frag_ent {
	struct flow_frag_ent	*hnext;		/* hash chain, or free list */
	struct flow_frag_ent	*prev, *next;	/* FIFO by creation */
	uint64_t	created_us;		/* table time */
	uint64_t	pend_pkts;		/* later fragments waiting */
	uint64_t	pend_bytes;
	uint64_t	pend_first_us;		/* packet times, 0 if none */
	uint64_t	pend_last_us;
	uint32_t	hash;
	uint32_t	frag_id;
	uint32_t	tunnel_id;
	uint32_t	ifindex;
	uint16_t	vlan_id;
	uint16_t	sport;			/* valid if has_ports */
	uint16_t	dport;
	uint8_t		src[16];
	uint8_t		dst[16];
	uint8_t		proto;
	uint8_t		ip_version;
	uint8_t		tunnel;			/* enum dec_tunnel */
	uint8_t		has_ports;		/* first fragment seen */
};

struct flow_frag_cache {
	struct flow_frag_ent	**buckets;
	uint32_t		mask;		/* buckets - 1 */
	uint32_t		count;		/* live entries */
	uint32_t		max;
	struct flow_sipkey	key;		/* of the hash */
	struct flow_frag_ent	*pool;		/* max entries */
	struct flow_frag_ent	*free;
	struct flow_frag_ent	*head, *tail;	/* FIFO: head is oldest */
};

/* flowkey.c: SipHash-<c>-<d> of <len> bytes at <msg> under <k> (c = 2,
 * d = 4 is the reference SipHash-2-4; the tables use 1-3). */
uint64_t flow_siphash(const struct flow_sipkey *k, const void *msg,
	    size_t len, int c, int d);
/* flowkey.c: the table's hash of <k> under <sk>, the same for both
 * directions of a flow (src/dst and ports swapped). */
uint32_t flow_key_hash(const struct flow_sipkey *sk, const struct flow_key *k);
/* flowkey.c: the fragment cache's hash of <pkt>'s datagram identity. */
uint32_t flow_frag_hash(const struct flow_sipkey *sk,
	    const struct dec_pkt *pkt);
/* flowkey.c: a table's secret: from getrandom() when <seed> is 0, else
 * derived from <seed> (tests, fuzzing). 0, or a negative errno with <err>
 * filled. */
int	flow_secret_init(struct flow_sipkey *secret, uint64_t seed,
	    struct perr *err);
/* flowkey.c: the key of hash <domain> (FLOW_KEY_*), generation <gen>,
 * derived from <secret>; different inputs give unrelated keys. */
#define FLOW_KEY_TABLE	1
#define FLOW_KEY_FRAG	2
void	flow_derive_key(const struct flow_sipkey *secret, uint64_t domain,
	    uint64_t gen, struct flow_sipkey *out);

/* flowtab.c, for tests and benchmarks: the hash key a table now uses, its
 * bucket count, and the longest hash chain (walks every bucket). */
void	flow_table_hash_key(const struct flow_table *t, struct flow_sipkey *k);
uint32_t flow_table_buckets(const struct flow_table *t);
uint32_t flow_table_longest_chain(const struct flow_table *t);

/* Sets up <fc> for <max> entries (1 to 1<<24). 0, or -ENOMEM with <err>. */
int	flow_frag_init(struct flow_frag_cache *fc, uint32_t max,
	    const struct flow_sipkey *key, struct perr *err);
/* Frees what init allocated; a zeroed or partly built cache is fine. */
void	flow_frag_fini(struct flow_frag_cache *fc);
/* The entry of <pkt>'s datagram, or NULL. */
struct flow_frag_ent *flow_frag_lookup(struct flow_frag_cache *fc,
	    const struct dec_pkt *pkt);
/* New entry (no ports, no pending counts) for <pkt>'s datagram, created at
 * table time <now_us>. The caller makes room first: count < max. */
struct flow_frag_ent *flow_frag_insert(struct flow_frag_cache *fc,
	    const struct dec_pkt *pkt, uint64_t now_us);
/* Unlinks <e> and returns it to the free list. */
void	flow_frag_remove(struct flow_frag_cache *fc, struct flow_frag_ent *e);

#endif
