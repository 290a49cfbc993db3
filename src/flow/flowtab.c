/*
 * flowtab.c - the bidirectional flow table: lookup, accounting, expiry.
 *
 * Pipeline position: decode -> [flow table] -> dpi, plugins -> export. See
 * flow.h for the contract; this file keeps these invariants:
 *
 *  - Every live flow is in exactly one hash chain, in the LRU list (by
 *    used_us), in the active list (by rec_start_us), and, once ended (RST
 *    or FIN both ways), in the end list (by end_due_us). These times are
 *    table time (the largest time ever given), so appending at the tail
 *    keeps each list sorted and expiry only looks at list heads: O(1) per
 *    flow ended, cheap enough to run before every packet.
 *  - The hash is symmetric: it is computed over the key in a canonical
 *    order (lower address/port first), so both directions meet in one chain.
 *    The stored key is oriented: src sent the first packet.
 *  - Flows come from a pool that grows by chunks up to max_flows and never
 *    shrinks; a freed flow goes to the free list. The per-packet path does
 *    not allocate otherwise.
 *  - Every packet is counted exactly once: in a flow, or as pending counts
 *    in the fragment cache, which are moved into a flow when their first
 *    fragment comes or when the entry is dropped (orphan flow, ports 0).
 *    Nothing is dropped silently: only an exhausted allocator loses
 *    packets, counted in nomem_drops.
 *  - Callbacks are never entered twice: t->in_cb refuses re-entry.
 *
 * End reasons are IPFIX flowEndReason values (RFC 7011 section 5, IANA).
 */
#include "flow/flow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow_int.h"

#define FLOW_CHUNK		1024		/* flows per pool chunk */
#define FLOW_MAX_BUCKETS	(1U << 22)
#define FLOW_MAX_EXT		(1U << 20)
#define FLOW_HASH_SEED		0x6c37707262656c31ULL	/* fixed per table */
#define US_PER_S		1000000ULL

#define TCP_FIN	0x01
#define TCP_SYN	0x02
#define TCP_RST	0x04
#define TCP_ACK	0x10

/* Intrusive doubly linked list over one prev/next pair of struct flow. */
struct flist {
	struct flow	*head, *tail;
};

#define FL_APPEND(l, f, PREV, NEXT) do {				\
	(f)->PREV = (l)->tail;						\
	(f)->NEXT = NULL;						\
	if ((l)->tail != NULL)						\
		(l)->tail->NEXT = (f);					\
	else								\
		(l)->head = (f);					\
	(l)->tail = (f);						\
} while (0)

#define FL_REMOVE(l, f, PREV, NEXT) do {				\
	if ((f)->PREV != NULL)						\
		(f)->PREV->NEXT = (f)->NEXT;				\
	else								\
		(l)->head = (f)->NEXT;					\
	if ((f)->NEXT != NULL)						\
		(f)->NEXT->PREV = (f)->PREV;				\
	else								\
		(l)->tail = (f)->PREV;					\
	(f)->PREV = (f)->NEXT = NULL;					\
} while (0)

struct pool_chunk {
	struct pool_chunk	*next;
	_Alignas(8) unsigned char mem[];
};

struct flow_table {
	struct flow_table_conf	conf;
	flow_end_cb		end_cb;
	flow_pkt_cb		pkt_cb;
	struct flow		*export_now;	/* pkt_cb asked to end it */
	void			*cb_arg;
	int			in_cb;

	uint64_t		now_us;		/* largest time given */
	uint64_t		idle_us, active_us, grace_us, frag_us;
	uint64_t		seed;

	struct flow		**buckets;
	uint32_t		mask;
	struct flist		lru, act, end;

	size_t			fsize;		/* flow + ext, 8-aligned */
	struct pool_chunk	*chunks;
	struct flow		*free;		/* linked by hnext */
	uint32_t		allocated;	/* flows in chunks */
	uint32_t		nflows;		/* live */

	struct flow_frag_cache	frags;
	struct flow_table_stats	st;
	uint64_t		nended;		/* end_cb calls */
};

void
flow_table_conf_defaults(struct flow_table_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->max_flows = 128000;
	conf->idle_timeout_s = 120;
	conf->active_timeout_s = 120;
	conf->end_grace_ms = 2000;
	conf->frag_timeout_s = 30;
	conf->max_frags = 8192;
	conf->ext_size = 0;
}

struct flow_table *
flow_table_new(const struct flow_table_conf *conf, flow_end_cb end_cb,
    flow_pkt_cb pkt_cb, void *cb_arg, struct perr *err)
{
	struct flow_table *t;
	uint32_t nb = 1, want;

	if (conf == NULL || end_cb == NULL) {
		perr_set(err, -EINVAL, "flow table: %s is missing",
		    conf == NULL ? "configuration" : "end callback");
		return NULL;
	}
	if (conf->max_flows < 1) {
		perr_set(err, -EINVAL, "flow table: max_flows is 0 "
		    "(need at least 1)");
		return NULL;
	}
	if (conf->idle_timeout_s < 1 || conf->active_timeout_s < 1 ||
	    conf->frag_timeout_s < 1) {
		perr_set(err, -EINVAL, "flow table: %s is 0 (need at least "
		    "1 second)", conf->idle_timeout_s < 1 ? "idle_timeout_s" :
		    conf->active_timeout_s < 1 ? "active_timeout_s" :
		    "frag_timeout_s");
		return NULL;
	}
	if (conf->ext_size > FLOW_MAX_EXT) {
		perr_set(err, -EINVAL, "flow table: ext_size %zu too large "
		    "(at most %u bytes per flow)", conf->ext_size,
		    FLOW_MAX_EXT);
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		perr_set(err, -ENOMEM, "flow table: out of memory");
		return NULL;
	}
	t->conf = *conf;
	t->end_cb = end_cb;
	t->pkt_cb = pkt_cb;
	t->cb_arg = cb_arg;
	t->idle_us = conf->idle_timeout_s * US_PER_S;
	t->active_us = conf->active_timeout_s * US_PER_S;
	t->grace_us = conf->end_grace_ms * 1000ULL;
	t->frag_us = conf->frag_timeout_s * US_PER_S;
	t->seed = FLOW_HASH_SEED;
	t->fsize = (sizeof(struct flow) + conf->ext_size + 7) & ~(size_t)7;

	want = conf->max_flows < FLOW_MAX_BUCKETS ? conf->max_flows :
	    FLOW_MAX_BUCKETS;
	while (nb < want)
		nb <<= 1;
	if ((t->buckets = calloc(nb, sizeof(*t->buckets))) == NULL) {
		perr_set(err, -ENOMEM, "flow table: out of memory for %u hash "
		    "buckets (lower max_flows)", nb);
		goto fail;
	}
	t->mask = nb - 1;
	if (flow_frag_init(&t->frags, conf->max_frags, t->seed ^ 0x5a5a,
	    err) != 0)
		goto fail;
	return t;
fail:
	flow_table_free(t);
	return NULL;
}

void
flow_table_free(struct flow_table *t)
{
	struct pool_chunk *c, *next;

	if (t == NULL)
		return;
	for (c = t->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	flow_frag_fini(&t->frags);
	free(t->buckets);
	free(t);
}

size_t
flow_table_flow_size(const struct flow_table *t)
{
	return t->fsize;
}

void
flow_table_stats(const struct flow_table *t, struct flow_table_stats *s)
{
	*s = t->st;
	s->active_flows = t->nflows;
	s->pending_frags = t->frags.count;
}

/* --- keys and hashing --- */

static void
key_set(struct flow_key *k, const uint8_t *src, const uint8_t *dst,
    uint16_t sport, uint16_t dport, uint8_t proto, uint8_t ipv,
    uint16_t vlan, uint32_t tunnel_id)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, src, 16);
	memcpy(k->dst, dst, 16);
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
	k->ip_version = ipv;
	k->vlan_id = vlan;
	k->tunnel_id = tunnel_id;
}

static uint32_t
key_hash(const struct flow_table *t, const struct flow_key *k)
{
	const uint8_t *lo = k->src, *hi = k->dst;
	uint16_t lport = k->sport, hport = k->dport;
	uint64_t h = t->seed, w;
	int c, i;

	/* Canonical order makes the hash the same in both directions. */
	c = memcmp(k->src, k->dst, 16);
	if (c > 0 || (c == 0 && k->sport > k->dport)) {
		lo = k->dst;
		hi = k->src;
		lport = k->dport;
		hport = k->sport;
	}
	for (i = 0; i < 16; i += 8) {
		memcpy(&w, lo + i, 8);
		h = flow_mix64(h, w);
		memcpy(&w, hi + i, 8);
		h = flow_mix64(h, w);
	}
	h = flow_mix64(h, (uint64_t)lport << 48 | (uint64_t)hport << 32 |
	    (uint64_t)k->vlan_id << 16 | (uint64_t)k->proto << 8 |
	    k->ip_version);
	h = flow_mix64(h, k->tunnel_id);
	return flow_mix_final(h);
}

/* 1 if packet key <k> belongs to flow key <fk>, with its direction. */
static int
key_match(const struct flow_key *fk, const struct flow_key *k,
    enum flow_dir *dir)
{
	if (fk->proto != k->proto || fk->ip_version != k->ip_version ||
	    fk->vlan_id != k->vlan_id || fk->tunnel_id != k->tunnel_id)
		return 0;
	if (fk->sport == k->sport && fk->dport == k->dport &&
	    memcmp(fk->src, k->src, 16) == 0 &&
	    memcmp(fk->dst, k->dst, 16) == 0) {
		*dir = FLOW_DIR_FWD;
		return 1;
	}
	if (fk->sport == k->dport && fk->dport == k->sport &&
	    memcmp(fk->src, k->dst, 16) == 0 &&
	    memcmp(fk->dst, k->src, 16) == 0) {
		*dir = FLOW_DIR_REV;
		return 1;
	}
	return 0;
}

static struct flow *
lookup(struct flow_table *t, const struct flow_key *k, uint32_t h,
    enum flow_dir *dir)
{
	struct flow *f;

	for (f = t->buckets[h & t->mask]; f != NULL; f = f->hnext)
		if (f->hash == h && key_match(&f->key, k, dir))
			return f;
	return NULL;
}

/* --- ending flows and the pool --- */

static void
hash_remove(struct flow_table *t, struct flow *f)
{
	struct flow **pp;

	for (pp = &t->buckets[f->hash & t->mask]; *pp != f;
	    pp = &(*pp)->hnext)
		;
	*pp = f->hnext;
	f->hnext = NULL;
}

/*
 * Reports the record of <f> with <reason>. For FLOW_END_ACTIVE the flow
 * stays, with fresh counters and a new record start; otherwise it is
 * unlinked from everything and returned to the free list.
 */
static void
end_flow(struct flow_table *t, struct flow *f, enum flow_end_reason reason)
{
	t->in_cb = 1;
	t->end_cb(f, reason, t->cb_arg);
	t->in_cb = 0;
	t->st.records_ended[reason]++;
	t->nended++;

	if (reason == FLOW_END_ACTIVE) {
		memset(f->c, 0, sizeof(f->c));
		f->icmp_seen = 0;
		f->rec_start_us = t->now_us;
		FL_REMOVE(&t->act, f, act_prev, act_next);
		FL_APPEND(&t->act, f, act_prev, act_next);
		return;
	}
	hash_remove(t, f);
	FL_REMOVE(&t->lru, f, lru_prev, lru_next);
	FL_REMOVE(&t->act, f, act_prev, act_next);
	if (f->ended)
		FL_REMOVE(&t->end, f, end_prev, end_next);
	f->hnext = t->free;
	t->free = f;
	t->nflows--;
}

/* Adds one chunk to the free list; -ENOMEM when malloc fails. */
static int
pool_grow(struct flow_table *t)
{
	uint32_t n = t->conf.max_flows - t->allocated, i;
	struct pool_chunk *c;
	struct flow *f;

	if (n > FLOW_CHUNK)
		n = FLOW_CHUNK;
	if ((c = malloc(sizeof(*c) + (size_t)n * t->fsize)) == NULL)
		return -ENOMEM;
	c->next = t->chunks;
	t->chunks = c;
	for (i = n; i-- > 0;) {
		f = (struct flow *)(void *)(c->mem + (size_t)i * t->fsize);
		f->hnext = t->free;
		t->free = f;
	}
	t->allocated += n;
	return 0;
}

/* A new flow of key <k> (oriented as given), or NULL when memory is
 * exhausted and nothing can be evicted. May end the LRU flow. */
static struct flow *
flow_create(struct flow_table *t, const struct flow_key *k, uint32_t h,
    uint8_t tunnel)
{
	struct flow *f;
	uint32_t b;

	if (t->nflows >= t->conf.max_flows)
		end_flow(t, t->lru.head, FLOW_END_RESOURCES);
	if (t->free == NULL && pool_grow(t) != 0) {
		if (t->lru.head == NULL)
			return NULL;
		/* Better a short record than a lost packet. */
		end_flow(t, t->lru.head, FLOW_END_RESOURCES);
	}
	f = t->free;
	t->free = f->hnext;
	memset(f, 0, t->fsize);		/* ext too */
	f->key = *k;
	f->hash = h;
	f->tunnel = tunnel;
	f->used_us = t->now_us;
	f->rec_start_us = t->now_us;
	b = h & t->mask;
	f->hnext = t->buckets[b];
	t->buckets[b] = f;
	FL_APPEND(&t->lru, f, lru_prev, lru_next);
	FL_APPEND(&t->act, f, act_prev, act_next);
	t->nflows++;
	t->st.flows_created++;
	if (t->nflows > t->st.peak_flows)
		t->st.peak_flows = t->nflows;
	return f;
}

/*
 * Finds or creates the flow of <k> and marks it used now. <syn_new> (a TCP
 * SYN without ACK) on a flow in end grace ends that flow at once and starts
 * a new one. Returns NULL only when memory is exhausted.
 */
static struct flow *
flow_get(struct flow_table *t, const struct flow_key *k, uint8_t tunnel,
    int syn_new, enum flow_dir *dir)
{
	uint32_t h = key_hash(t, k);
	struct flow *f;

	f = lookup(t, k, h, dir);
	if (f != NULL && f->ended && syn_new) {
		end_flow(t, f, FLOW_END_DETECTED);
		f = NULL;
	}
	if (f == NULL) {
		if ((f = flow_create(t, k, h, tunnel)) == NULL)
			return NULL;
		*dir = FLOW_DIR_FWD;
	} else {
		FL_REMOVE(&t->lru, f, lru_prev, lru_next);
		FL_APPEND(&t->lru, f, lru_prev, lru_next);
	}
	f->used_us = t->now_us;
	return f;
}

static void
count(struct flow_counters *c, uint64_t pkts, uint64_t bytes,
    uint64_t first_us, uint64_t last_us)
{
	if (c->pkts == 0) {
		c->first_us = first_us;
		c->last_us = last_us;
	} else {
		if (first_us < c->first_us)
			c->first_us = first_us;
		if (last_us > c->last_us)
			c->last_us = last_us;
	}
	c->pkts += pkts;
	c->bytes += bytes;
}

/* --- fragments --- */

/*
 * Drops fragment cache entry <e>. Later fragments still pending (their
 * first never came) become an "orphan" flow: same addresses and protocol,
 * ports 0, so they are exported too.
 */
static void
frag_drop(struct flow_table *t, struct flow_frag_ent *e)
{
	struct flow_key k;
	enum flow_dir dir;
	struct flow *f;

	if (e->pend_pkts > 0) {
		key_set(&k, e->src, e->dst, 0, 0, e->proto, e->ip_version,
		    e->vlan_id, e->tunnel_id);
		if ((f = flow_get(t, &k, e->tunnel, 0, &dir)) != NULL) {
			count(&f->c[dir], e->pend_pkts, e->pend_bytes,
			    e->pend_first_us, e->pend_last_us);
			t->st.frags_orphaned += e->pend_pkts;
		} else
			t->st.nomem_drops += e->pend_pkts;
	}
	flow_frag_remove(&t->frags, e);
}

/* The cache entry of <pkt>'s datagram, created (oldest dropped if full)
 * when missing. */
static struct flow_frag_ent *
frag_get(struct flow_table *t, const struct dec_pkt *pkt)
{
	struct flow_frag_ent *e;

	if ((e = flow_frag_lookup(&t->frags, pkt)) != NULL)
		return e;
	while (t->frags.count >= t->frags.max)
		frag_drop(t, t->frags.head);
	return flow_frag_insert(&t->frags, pkt, t->now_us);
}

/* --- expiry --- */

static void
run_expiry(struct flow_table *t)
{
	uint64_t now = t->now_us;
	struct flow *f;

	while (t->frags.head != NULL &&
	    now - t->frags.head->created_us >= t->frag_us)
		frag_drop(t, t->frags.head);
	while ((f = t->end.head) != NULL && f->end_due_us <= now)
		end_flow(t, f, FLOW_END_DETECTED);
	/* Idle before active: a flow due both is one record, not two. */
	while ((f = t->lru.head) != NULL && now - f->used_us >= t->idle_us)
		end_flow(t, f, FLOW_END_IDLE);
	while ((f = t->act.head) != NULL &&
	    now - f->rec_start_us >= t->active_us) {
		if (f->c[0].pkts + f->c[1].pkts == 0) {
			/* Nothing to report: only restart the record. */
			f->rec_start_us = now;
			FL_REMOVE(&t->act, f, act_prev, act_next);
			FL_APPEND(&t->act, f, act_prev, act_next);
		} else
			end_flow(t, f, FLOW_END_ACTIVE);
	}
}

size_t
flow_table_expire(struct flow_table *t, uint64_t now_us)
{
	uint64_t before = t->nended;

	if (t->in_cb)
		return 0;
	if (now_us > t->now_us)
		t->now_us = now_us;
	run_expiry(t);
	return (size_t)(t->nended - before);
}

size_t
flow_table_flush(struct flow_table *t, enum flow_end_reason reason)
{
	uint64_t before = t->nended;

	if (t->in_cb)
		return 0;
	if (reason < FLOW_END_IDLE || reason > FLOW_END_RESOURCES ||
	    reason == FLOW_END_ACTIVE)
		reason = FLOW_END_FORCED;
	while (t->frags.head != NULL)
		frag_drop(t, t->frags.head);
	while (t->lru.head != NULL)
		end_flow(t, t->lru.head, reason);
	return (size_t)(t->nended - before);
}

/* --- packets --- */

static void
call_pkt_cb(struct flow_table *t, struct flow *f, enum flow_dir dir,
    const struct dec_pkt *pkt)
{
	if (t->pkt_cb == NULL)
		return;
	t->in_cb = 1;
	if (t->pkt_cb(f, dir, pkt, t->cb_arg) == FLOW_PKT_EXPORT)
		t->export_now = f;
	t->in_cb = 0;
}

/*
 * Counts <pkt> in the flow of its addresses and ports <sport>/<dport>.
 * <hdr> is 0 for a later fragment, whose TCP flags and ICMP type are not
 * there. Returns the flow (valid until the next table operation) or NULL.
 */
static struct flow *
account(struct flow_table *t, const struct dec_pkt *pkt, uint16_t sport,
    uint16_t dport, int hdr, enum flow_dir *dirp)
{
	uint8_t flags = hdr && pkt->proto == 6 ? pkt->tcp_flags : 0;
	struct flow_key k;
	enum flow_dir dir;
	struct flow *f;
	struct flow_counters *c;

	key_set(&k, pkt->src, pkt->dst, sport, dport, pkt->proto,
	    pkt->ip_version, pkt->vlan_id, pkt->tunnel_id);
	f = flow_get(t, &k, pkt->tunnel,
	    (flags & (TCP_SYN | TCP_ACK)) == TCP_SYN, &dir);
	if (f == NULL) {
		t->st.nomem_drops++;
		return NULL;
	}
	c = &f->c[dir];
	count(c, 1, pkt->ip_len, pkt->ts_us, pkt->ts_us);
	c->tcp_flags |= flags;
	if (hdr && !(f->icmp_seen & (1U << dir)) &&
	    ((pkt->ip_version == 4 && pkt->proto == 1) ||
	    (pkt->ip_version == 6 && pkt->proto == 58))) {
		c->icmp_type = pkt->icmp_type;
		c->icmp_code = pkt->icmp_code;
		f->icmp_seen |= 1U << dir;
	}
	if (flags & TCP_FIN)
		f->fin_seen |= 1U << dir;
	if (!f->ended && ((flags & TCP_RST) || f->fin_seen == 3)) {
		f->ended = 1;
		f->end_due_us = t->now_us + t->grace_us;
		FL_APPEND(&t->end, f, end_prev, end_next);
	}
	call_pkt_cb(t, f, dir, pkt);
	*dirp = dir;
	return f;
}

int
flow_table_add(struct flow_table *t, const struct dec_pkt *pkt)
{
	uint64_t drops = t->st.nomem_drops;
	struct flow_frag_ent *e;
	enum flow_dir dir;
	struct flow *f;

	if (t->in_cb)
		return -EDEADLK;
	if (pkt->ts_us > t->now_us)
		t->now_us = pkt->ts_us;
	run_expiry(t);

	switch (pkt->frag) {
	case DEC_FRAG_FIRST:
		/* The cache first: dropping an old entry may create (and
		 * evict) flows, which must not happen while we hold <f>. */
		if ((e = frag_get(t, pkt)) != NULL) {
			e->sport = pkt->sport;
			e->dport = pkt->dport;
			e->has_ports = 1;
		}
		f = account(t, pkt, pkt->sport, pkt->dport, 1, &dir);
		if (f != NULL && e != NULL && e->pend_pkts > 0) {
			/* Later fragments that came first: no pkt_cb for
			 * them, their packets are gone. */
			count(&f->c[dir], e->pend_pkts, e->pend_bytes,
			    e->pend_first_us, e->pend_last_us);
			t->st.frags_matched += e->pend_pkts;
			e->pend_pkts = e->pend_bytes = 0;
			e->pend_first_us = e->pend_last_us = 0;
		}
		break;
	case DEC_FRAG_LATER:
		if ((e = frag_get(t, pkt)) == NULL)
			break;		/* not reached: max_frags >= 1 */
		if (e->has_ports) {
			if (account(t, pkt, e->sport, e->dport, 0, &dir) !=
			    NULL)
				t->st.frags_matched++;
			break;
		}
		if (e->pend_pkts == 0 || pkt->ts_us < e->pend_first_us)
			e->pend_first_us = pkt->ts_us;
		if (e->pend_pkts == 0 || pkt->ts_us > e->pend_last_us)
			e->pend_last_us = pkt->ts_us;
		e->pend_pkts++;
		e->pend_bytes += pkt->ip_len;
		break;
	default:
		(void)account(t, pkt, pkt->sport, pkt->dport, 1, &dir);
		break;
	}
	/* Ended here, not in the callback: the fragment case above still
	 * held the flow after it. */
	if (t->export_now != NULL) {
		f = t->export_now;
		t->export_now = NULL;
		end_flow(t, f, FLOW_END_PLUGIN);
	}
	/* Only an exhausted allocator loses packets (this one, or old
	 * fragments dropped from the cache on the way). */
	return t->st.nomem_drops != drops ? -ENOMEM : 0;
}
