/*
 * flow_int.h - shared only inside src/flow/ (and its white-box tests): the
 * fragment cache used by flowtab.c, and the hash mixer both use.
 *
 * The fragment cache maps one IP datagram (oriented addresses, protocol,
 * IP version, VLAN id, tunnel id, fragment id) to the ports its first
 * fragment carried, and holds the counts of later fragments that came
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

#include <stdint.h>

#include "flow/flow.h"

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
	uint64_t		seed;
	struct flow_frag_ent	*pool;		/* max entries */
	struct flow_frag_ent	*free;
	struct flow_frag_ent	*head, *tail;	/* FIFO: head is oldest */
};

/* 64-bit mixing step (multiply, xorshift), good enough for hash chains. */
static inline uint64_t
flow_mix64(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	return h;
}

static inline uint32_t
flow_mix_final(uint64_t h)
{
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return (uint32_t)h;
}

/* Sets up <fc> for <max> entries (1 to 1<<24). 0, or -ENOMEM with <err>. */
int	flow_frag_init(struct flow_frag_cache *fc, uint32_t max, uint64_t seed,
	    struct perr *err);
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
