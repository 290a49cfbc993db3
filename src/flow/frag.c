/*
 * frag.c - IP fragment cache of the flow table: datagram -> ports of its
 * first fragment, plus counts of later fragments that came first.
 *
 * Pipeline position: inside the flow table (flowtab.c is the only user).
 * A fixed pool of entries allocated at init; a keyed hash (SipHash-1-3,
 * its own key: see flowkey.c) on the oriented datagram identity (src, dst,
 * proto, IP version, VLAN id, tunnel id, ingress interface, fragment id) and a FIFO by creation so the owner expires the oldest
 * first, by looking at the head only. See flow_int.h for the invariants.
 */
#include "flow/flow_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t
frag_hash(const struct flow_frag_cache *fc, const struct dec_pkt *pkt)
{
	return flow_frag_hash(&fc->key, pkt);
}

static int
frag_match(const struct flow_frag_ent *e, const struct dec_pkt *pkt)
{
	return e->frag_id == pkt->frag_id && e->proto == pkt->proto &&
	    e->ip_version == pkt->ip_version && e->vlan_id == pkt->vlan_id &&
	    e->tunnel_id == pkt->tunnel_id && e->ifindex == pkt->ifindex &&
	    memcmp(e->src, pkt->src, 16) == 0 &&
	    memcmp(e->dst, pkt->dst, 16) == 0;
}

int
flow_frag_init(struct flow_frag_cache *fc, uint32_t max,
    const struct flow_sipkey *key, struct perr *err)
{
	uint32_t nb = 1, i;

	memset(fc, 0, sizeof(*fc));
	if (max < 1 || max > (1U << 24))
		return perr_set(err, -EINVAL, "flow table: max_frags %u out "
		    "of range (1 to %u)", max, 1U << 24);
	while (nb < max)
		nb <<= 1;
	fc->buckets = calloc(nb, sizeof(*fc->buckets));
	fc->pool = calloc(max, sizeof(*fc->pool));
	if (fc->buckets == NULL || fc->pool == NULL) {
		flow_frag_fini(fc);
		return perr_set(err, -ENOMEM, "flow table: out of memory for "
		    "%u fragment cache entries (lower max_frags)", max);
	}
	fc->mask = nb - 1;
	fc->max = max;
	fc->key = *key;
	for (i = max; i-- > 0;) {
		fc->pool[i].hnext = fc->free;
		fc->free = &fc->pool[i];
	}
	return 0;
}

void
flow_frag_fini(struct flow_frag_cache *fc)
{
	free(fc->buckets);
	free(fc->pool);
	memset(fc, 0, sizeof(*fc));
}

struct flow_frag_ent *
flow_frag_lookup(struct flow_frag_cache *fc, const struct dec_pkt *pkt)
{
	uint32_t h = frag_hash(fc, pkt);
	struct flow_frag_ent *e;

	for (e = fc->buckets[h & fc->mask]; e != NULL; e = e->hnext)
		if (e->hash == h && frag_match(e, pkt))
			return e;
	return NULL;
}

struct flow_frag_ent *
flow_frag_insert(struct flow_frag_cache *fc, const struct dec_pkt *pkt,
    uint64_t now_us)
{
	struct flow_frag_ent *e = fc->free;
	uint32_t b;

	if (e == NULL)
		return NULL;		/* caller broke count < max */
	fc->free = e->hnext;
	memset(e, 0, sizeof(*e));
	e->hash = frag_hash(fc, pkt);
	e->created_us = now_us;
	e->frag_id = pkt->frag_id;
	e->tunnel_id = pkt->tunnel_id;
	e->ifindex = pkt->ifindex;
	e->vlan_id = pkt->vlan_id;
	memcpy(e->src, pkt->src, 16);
	memcpy(e->dst, pkt->dst, 16);
	e->proto = pkt->proto;
	e->ip_version = pkt->ip_version;
	e->tunnel = pkt->tunnel;

	b = e->hash & fc->mask;
	e->hnext = fc->buckets[b];
	fc->buckets[b] = e;
	e->prev = fc->tail;
	if (fc->tail != NULL)
		fc->tail->next = e;
	else
		fc->head = e;
	fc->tail = e;
	fc->count++;
	return e;
}

void
flow_frag_remove(struct flow_frag_cache *fc, struct flow_frag_ent *e)
{
	struct flow_frag_ent **pp;

	for (pp = &fc->buckets[e->hash & fc->mask]; *pp != e;
	    pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		fc->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		fc->tail = e->prev;
	e->prev = e->next = NULL;
	e->hnext = fc->free;
	fc->free = e;
	fc->count--;
}
