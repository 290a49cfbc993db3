/*
 * flowtab.c - the bidirectional flow table: lookup, accounting, expiry.
 *
 * Pipeline position: decode -> [flow table] -> dpi, plugins -> export. See
 * flow.h for the contract; this file keeps these invariants:
 *
 *  - Every live flow is in exactly one hash chain, in the LRU list, and
 *    in one timer list: the active list (by record start) until it ends
 *    (RST, or FIN both ways), then the end list (by end of grace). These
 *    times are table time (the largest time ever given), so appending at
 *    the tail keeps each list sorted and expiry only looks at list heads.
 *  - The LRU list is sorted by the second (table time) of each flow's last
 *    packet, not by the microsecond: a packet moves its flow to the tail
 *    only when that second changed, so a busy flow is moved once a second,
 *    not on every packet. Idle expiry at the head therefore may see a flow
 *    of the same second that is due behind one that is not: it is exported
 *    less than 1 s late, never lost or merged (see the next point).
 *  - Records do not depend on when expiry runs: a packet whose flow is
 *    already due (idle, active, end grace) or whose fragment cache entry
 *    is too old ends it first, exactly as a complete expiry pass would
 *    have. So the work per packet is bounded (FLOW_EXPIRE_BUDGET list
 *    heads), while flow_table_expire() still does all that is due.
 *  - The hash is keyed (SipHash-1-3, flowkey.c) by a secret drawn per
 *    table, and symmetric: computed over the key in a canonical order
 *    (lower address/port first), so both directions meet in one chain.
 *    The stored key is oriented: src sent the first packet. The bucket
 *    array starts small and doubles when the flows outnumber the buckets
 *    (up to one bucket per flow of max_flows), so chains stay short on
 *    average; a chain walk longer than FLOW_CHAIN_MAX (which a random key
 *    makes astronomically unlikely) draws a new key and rehashes, so even
 *    an attacker who learnt the key loses it.
 *  - Flows come from a pool: one range of address space for max_flows
 *    flows, reserved (not committed) when the table is made; flows are
 *    handed out from its start, FLOW_CHUNK at a time, so only the pages of
 *    flows used so far are resident, and a freed flow goes to the free
 *    list. Flows name each other by pool index (32 bits) in the hash
 *    chains, the bucket array and the lists. The per-packet path does not
 *    allocate.
 *  - Every packet is counted exactly once: in a flow, or as pending counts
 *    in the fragment cache, which are moved into a flow when their first
 *    fragment comes or when the entry is dropped (orphan flow, ports 0).
 *    Nothing is dropped silently: only a full table with nothing to evict
 *    loses packets, counted in nomem_drops.
 *  - Callbacks are never entered twice: t->in_cb refuses re-entry.
 *
 * End reasons are IPFIX flowEndReason values (RFC 7011 section 5, IANA).
 */
#include "flow/flow.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow_int.h"

#define FLOW_CHUNK		1024		/* flows per pool growth */
#define FLOW_MIN_BUCKETS	1024
#define FLOW_MAX_BUCKETS	(1U << 24)
#define FLOW_MAX_EXT		(1U << 20)
#define FLOW_CHAIN_MAX		24		/* longer walk: new hash key */
#define FLOW_EXPIRE_BUDGET	64		/* list heads per packet */
#define FLOW_MAX_TIMEOUT_S	2000000U	/* well below 2^31 ms */
#define US_PER_S		1000000ULL

#define TCP_FIN	0x01
#define TCP_SYN	0x02
#define TCP_RST	0x04
#define TCP_ACK	0x10

/*
 * Flows are named by their index in the pool (1 to max_flows; 0 is "none"):
 * links are 32 bits, not pointers, and the pool is one address range
 * reserved at creation, of which only the flows handed out so far are
 * touched (resident), so an index and a pointer convert both ways.
 */
#define FP(t, i)	((struct flow *)(void *)((t)->pool + (size_t)(i) * \
			    (t)->fsize))
#define FI(t, f)	((uint32_t)(((const unsigned char *)(f) - (t)->pool) / \
			    (t)->fsize))

/* Intrusive doubly linked list over one prev/next pair of struct flow. */
struct flist {
	uint32_t	head, tail;
};

#define FL_APPEND(t, l, f, PREV, NEXT) do {				\
	uint32_t fl_i_ = FI(t, f);					\
	(f)->PREV = (l)->tail;						\
	(f)->NEXT = 0;							\
	if ((l)->tail != 0)						\
		FP(t, (l)->tail)->NEXT = fl_i_;				\
	else								\
		(l)->head = fl_i_;					\
	(l)->tail = fl_i_;						\
} while (0)

#define FL_REMOVE(t, l, f, PREV, NEXT) do {				\
	if ((f)->PREV != 0)						\
		FP(t, (f)->PREV)->NEXT = (f)->NEXT;			\
	else								\
		(l)->head = (f)->NEXT;					\
	if ((f)->NEXT != 0)						\
		FP(t, (f)->NEXT)->PREV = (f)->PREV;			\
	else								\
		(l)->tail = (f)->PREV;					\
	(f)->PREV = (f)->NEXT = 0;					\
} while (0)

/* The head of <l>, or NULL. */
#define FL_HEAD(t, l)	((l).head != 0 ? FP(t, (l).head) : NULL)

struct flow_table {
	struct flow_table_conf	conf;
	flow_end_cb		end_cb;
	flow_pkt_cb		pkt_cb;
	struct flow		*export_now;	/* pkt_cb asked to end it */
	void			*cb_arg;
	int			in_cb;

	uint64_t		now_us;		/* largest time given */
	uint64_t		now_ms;		/* now_us / 1000 */
	uint64_t		now_s;		/* now_us / 1000000 */
	uint64_t		idle_us, active_us, grace_us, frag_us;

	struct flow_sipkey	secret;		/* hash keys derive from it */
	struct flow_sipkey	key;		/* of the flow hash now */
	uint64_t		key_gen;	/* reseeds so far */
	int			long_chain;	/* a walk passed CHAIN_MAX */

	uint32_t		*buckets;	/* flow indexes */
	uint32_t		mask;		/* buckets - 1 */
	uint32_t		max_buckets;	/* growth stops here */
	struct flist		lru, act, end;

	size_t			fsize;		/* flow + ext, 8-aligned */
	unsigned char		*pool;		/* max_flows + 1 flows, index
						 * 0 unused; mapped once */
	size_t			pool_len;
	uint32_t		free;		/* linked by hnext */
	uint32_t		allocated;	/* flows handed out so far */
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
	struct flow_sipkey fkey;
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
	if (conf->idle_timeout_s > FLOW_MAX_TIMEOUT_S ||
	    conf->active_timeout_s > FLOW_MAX_TIMEOUT_S ||
	    conf->end_grace_ms > FLOW_MAX_TIMEOUT_S * 1000U) {
		perr_set(err, -EINVAL, "flow table: %s too large (at most "
		    "%u seconds)", conf->idle_timeout_s > FLOW_MAX_TIMEOUT_S ?
		    "idle_timeout_s" : conf->active_timeout_s >
		    FLOW_MAX_TIMEOUT_S ? "active_timeout_s" : "end_grace_ms",
		    FLOW_MAX_TIMEOUT_S);
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
	t->fsize = (sizeof(struct flow) + conf->ext_size + 7) & ~(size_t)7;
	if (flow_secret_init(&t->secret, conf->hash_seed, err) != 0)
		goto fail;
	flow_derive_key(&t->secret, FLOW_KEY_TABLE, 0, &t->key);
	flow_derive_key(&t->secret, FLOW_KEY_FRAG, 0, &fkey);

	/* One bucket per flow at most; start small, grow with the load. */
	want = conf->max_flows < FLOW_MAX_BUCKETS ? conf->max_flows :
	    FLOW_MAX_BUCKETS;
	while (nb < want)
		nb <<= 1;
	t->max_buckets = nb;
	if (nb > FLOW_MIN_BUCKETS)
		nb = FLOW_MIN_BUCKETS;
	if ((t->buckets = calloc(nb, sizeof(*t->buckets))) == NULL) {
		perr_set(err, -ENOMEM, "flow table: out of memory for %u hash "
		    "buckets", nb);
		goto fail;
	}
	t->mask = nb - 1;
	/* Address space only: pages become resident as flows are used. */
	t->pool_len = ((size_t)conf->max_flows + 1) * t->fsize;
	t->pool = mmap(NULL, t->pool_len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (t->pool == MAP_FAILED) {
		t->pool = NULL;
		perr_set(err, -ENOMEM, "flow table: cannot reserve %zu bytes "
		    "of address space for %u flows", t->pool_len,
		    conf->max_flows);
		goto fail;
	}
	if (flow_frag_init(&t->frags, conf->max_frags, &fkey, err) != 0)
		goto fail;
	return t;
fail:
	flow_table_free(t);
	return NULL;
}

void
flow_table_free(struct flow_table *t)
{
	if (t == NULL)
		return;
	if (t->pool != NULL)
		munmap(t->pool, t->pool_len);
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

/* --- time --- */

/*
 * Deadlines are table time in milliseconds, rounded up (a flow is never
 * cut early, at most 1 ms late), in 64 bits: a deadline passed any time
 * ago compares as passed, and how long ago is exact, whatever the gap in
 * packet time (a 32-bit count wraps after 49.7 days, and a signed
 * difference of it after 24.8).
 */
static inline uint64_t
ms_ceil(uint64_t us)
{
	return (us + 999) / 1000;
}

/* 1 when deadline <dl_ms> is reached at table time (now_ms). */
static inline int
past(const struct flow_table *t, uint64_t dl_ms)
{
	return t->now_ms >= dl_ms;
}

/* Raises the table's time to <now_us> (never lowers it). */
static inline void
set_now(struct flow_table *t, uint64_t now_us)
{
	if (now_us > t->now_us) {
		t->now_us = now_us;
		t->now_ms = now_us / 1000;
		t->now_s = now_us / US_PER_S;
	}
}

/*
 * A flow stores its deadline in 32 bits, as milliseconds after the start
 * of the second (table time) of its last use, used_us: the base moves
 * only when the flow moves in the LRU list, once a second at most, not on
 * every packet. A deadline is set (flow start, end of a record, RST/FIN)
 * at most max(active timeout, end grace) + 1 ms after the table time
 * (less than 1 s after the base), and the last use is never after a
 * deadline that is still ahead, so the offset fits (both timeouts are at
 * most 2,000,000 s: the offset stays under 2^32 ms). One case is out of
 * reach: the active deadline after a record cut by the active timeout,
 * when the flow's last packet is older than 2^32 ms minus the active
 * timeout and 1 s (a gap in the capture of more than 26.5 days). Such a
 * flow is idle anyway (the idle timeout is at most 23.2 days), so the
 * offset is capped: the deadline then reads earlier than it is, but still
 * later than the idle deadline, and every decision (due_reason) gives
 * what the exact deadline gives: idle.
 */
static inline uint64_t
due_base(const struct flow *f)
{
	return f->used_us / US_PER_S * 1000;
}

static inline uint64_t
due_get(const struct flow *f)
{
	return due_base(f) + f->due_rel_ms;
}

static inline void
due_set(struct flow *f, uint64_t dl_ms)
{
	uint64_t base = due_base(f);

	if (dl_ms <= base)
		f->due_rel_ms = 0;
	else if (dl_ms - base > UINT32_MAX)
		f->due_rel_ms = UINT32_MAX;
	else
		f->due_rel_ms = (uint32_t)(dl_ms - base);
}

/* --- keys and hashing --- */

static void
key_set(struct flow_key *k, const uint8_t *src, const uint8_t *dst,
    uint16_t sport, uint16_t dport, uint8_t proto, uint8_t ipv,
    uint16_t vlan, uint32_t tunnel_id, uint32_t ifindex)
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
	k->ifindex = ifindex;
}

/* 1 if packet key <k> belongs to flow key <fk>, with its direction. */
static int
key_match(const struct flow_key *fk, const struct flow_key *k,
    enum flow_dir *dir)
{
	if (fk->proto != k->proto || fk->ip_version != k->ip_version ||
	    fk->vlan_id != k->vlan_id || fk->tunnel_id != k->tunnel_id ||
	    fk->ifindex != k->ifindex)
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
	uint32_t i, steps = 0;

	for (i = t->buckets[h & t->mask]; i != 0; i = f->hnext) {
		f = FP(t, i);
		if (key_match(&f->key, k, dir))
			return f;
		steps++;
	}
	if (steps > FLOW_CHAIN_MAX)
		t->long_chain = 1;
	return NULL;
}

/*
 * Moves every flow to a new bucket array of <nb> buckets, under the
 * current key. Keeps the old array when memory is short (the table works,
 * with longer chains). O(flows): it runs log2(max_flows /
 * FLOW_MIN_BUCKETS) times at most for growth, and for a reseed.
 */
static void
rehash(struct flow_table *t, uint32_t nb)
{
	uint32_t *nbk, b, i;
	struct flow *f;

	if ((nbk = calloc(nb, sizeof(*nbk))) == NULL)
		return;
	for (i = t->lru.head; i != 0; i = f->lru_next) {
		f = FP(t, i);
		b = flow_key_hash(&t->key, &f->key) & (nb - 1);
		f->hnext = nbk[b];
		nbk[b] = i;
	}
	free(t->buckets);
	t->buckets = nbk;
	t->mask = nb - 1;
}

/* A chain walk was too long: the key may be known to someone. */
static void
reseed(struct flow_table *t)
{
	t->long_chain = 0;
	t->key_gen++;
	flow_derive_key(&t->secret, FLOW_KEY_TABLE, t->key_gen, &t->key);
	rehash(t, t->mask + 1);
	t->st.hash_reseeds++;
}

void
flow_table_hash_key(const struct flow_table *t, struct flow_sipkey *k)
{
	*k = t->key;
}

uint32_t
flow_table_buckets(const struct flow_table *t)
{
	return t->mask + 1;
}

uint32_t
flow_table_longest_chain(const struct flow_table *t)
{
	uint32_t b, n, i, max = 0;

	for (b = 0; b <= t->mask; b++) {
		for (n = 0, i = t->buckets[b]; i != 0; i = FP(t, i)->hnext)
			n++;
		if (n > max)
			max = n;
	}
	return max;
}

/* --- ending flows and the pool --- */

static void
hash_remove(struct flow_table *t, struct flow *f)
{
	uint32_t *pp, fi = FI(t, f);

	/* The hash is not stored (4 bytes a flow): computed again. */
	for (pp = &t->buckets[flow_key_hash(&t->key, &f->key) & t->mask];
	    *pp != fi;
	    pp = &FP(t, *pp)->hnext)
		;
	*pp = f->hnext;
	f->hnext = 0;
}

/* The active deadline after <dl_ms> has passed: the first of dl + k *
 * active timeout still ahead of table time, so the records of a long
 * flow are cut on the same grid whenever expiry looks at it (the periods
 * it skipped had no packet: its next packet would have cut it). */
static uint64_t
next_active_due(const struct flow_table *t, uint64_t dl_ms)
{
	uint64_t a_ms = t->active_us / 1000, now_ms = t->now_ms;

	if (a_ms == 0)
		a_ms = 1;
	if (now_ms < dl_ms)
		return dl_ms + a_ms;
	return dl_ms + ((now_ms - dl_ms) / a_ms + 1) * a_ms;
}

/* <f>'s next record starts: its active deadline moves on, and it goes to
 * the end of the active list. */
static void
next_record(struct flow_table *t, struct flow *f)
{
	due_set(f, next_active_due(t, due_get(f)));
	FL_REMOVE(t, &t->act, f, tq_prev, tq_next);
	FL_APPEND(t, &t->act, f, tq_prev, tq_next);
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
		memset(f->tcp_flags, 0, sizeof(f->tcp_flags));
		memset(f->icmp_type, 0, sizeof(f->icmp_type));
		memset(f->icmp_code, 0, sizeof(f->icmp_code));
		f->icmp_seen = 0;
		next_record(t, f);
		return;
	}
	hash_remove(t, f);
	FL_REMOVE(t, &t->lru, f, lru_prev, lru_next);
	if (f->ended)
		FL_REMOVE(t, &t->end, f, tq_prev, tq_next);
	else
		FL_REMOVE(t, &t->act, f, tq_prev, tq_next);
	f->hnext = t->free;
	t->free = FI(t, f);
	t->nflows--;
}

/* Puts the next FLOW_CHUNK flows of the pool (never used yet) on the
 * free list, lowest index first; -ENOMEM when all are in use. Their
 * pages become resident when first written. */
static int
pool_grow(struct flow_table *t)
{
	uint32_t n = t->conf.max_flows - t->allocated, i;

	if (n == 0)
		return -ENOMEM;
	if (n > FLOW_CHUNK)
		n = FLOW_CHUNK;
	for (i = t->allocated + n; i > t->allocated; i--) {
		FP(t, i)->hnext = t->free;
		t->free = i;
	}
	t->allocated += n;
	return 0;
}

/*
 * The reason <f> is due at table time now, or 0 if it is not. When both
 * its deadline (end grace or active timeout) and its idle deadline have
 * passed, the one that came first wins, as if expiry ran at every
 * instant: a record then does not depend on when expiry looked (on other
 * flows' packets, or on which flows share the table). On the same
 * millisecond: end grace, then idle (one record, not two), then active.
 */
static enum flow_end_reason
due_reason(const struct flow_table *t, const struct flow *f)
{
	uint64_t idle_ago_us, dl_ago_us;
	int idle = t->now_us - f->used_us >= t->idle_us;
	uint64_t due_ms = due_get(f);

	if (!past(t, due_ms))
		return idle ? FLOW_END_IDLE : 0;
	if (idle) {
		/* In microseconds: on the millisecond grid of due_ms alone,
		 * the order of two deadlines less than 1 ms apart would
		 * depend on when it is asked. */
		idle_ago_us = t->now_us - f->used_us - t->idle_us;
		dl_ago_us = (t->now_ms - due_ms) * 1000 +
		    t->now_us % 1000;
		if (f->ended ? dl_ago_us < idle_ago_us :
		    dl_ago_us <= idle_ago_us)
			return FLOW_END_IDLE;
	}
	return f->ended ? FLOW_END_DETECTED : FLOW_END_ACTIVE;
}

/* Ends what is due of <f> (see due_reason); an active timeout with
 * nothing counted only restarts the record. Returns 1 when <f> is gone. */
static int
end_if_due(struct flow_table *t, struct flow *f)
{
	enum flow_end_reason r = due_reason(t, f);

	if (r == 0)
		return 0;
	if (r == FLOW_END_ACTIVE && f->c[0].pkts + f->c[1].pkts == 0) {
		next_record(t, f);
		return 0;
	}
	end_flow(t, f, r);
	return r != FLOW_END_ACTIVE;
}

/* The table is full: frees one flow, preferring one that is due anyway
 * (its record is then what a complete expiry pass would have made). */
static void
make_room(struct flow_table *t)
{
	struct flow *f;

	if ((f = FL_HEAD(t, t->end)) != NULL && past(t, due_get(f))) {
		end_flow(t, f, FLOW_END_DETECTED);
		return;
	}
	f = FP(t, t->lru.head);
	end_flow(t, f, t->now_us - f->used_us >= t->idle_us ?
	    FLOW_END_IDLE : FLOW_END_RESOURCES);
}

/* A new flow of key <k> (oriented as given), or NULL when memory is
 * exhausted and nothing can be evicted. May end the LRU flow. */
static struct flow *
flow_create(struct flow_table *t, const struct flow_key *k, uint32_t h,
    uint8_t tunnel)
{
	struct flow *f;
	uint32_t b, i;

	if (t->nflows >= t->conf.max_flows)
		make_room(t);
	if (t->free == 0 && pool_grow(t) != 0) {
		if (t->lru.head == 0)
			return NULL;
		/* Better a short record than a lost packet. */
		make_room(t);
	}
	i = t->free;
	f = FP(t, i);
	t->free = f->hnext;
	memset(f, 0, t->fsize);		/* ext too */
	f->key = *k;
	f->tunnel = tunnel;
	f->used_us = t->now_us;
	due_set(f, ms_ceil(t->now_us + t->active_us));
	b = h & t->mask;
	f->hnext = t->buckets[b];
	t->buckets[b] = i;
	FL_APPEND(t, &t->lru, f, lru_prev, lru_next);
	FL_APPEND(t, &t->act, f, tq_prev, tq_next);
	t->nflows++;
	t->st.flows_created++;
	if (t->nflows > t->st.peak_flows)
		t->st.peak_flows = t->nflows;
	/* Load factor above 1: twice the buckets. */
	if (t->nflows > t->mask + 1 && t->mask + 1 < t->max_buckets) {
		rehash(t, (t->mask + 1) * 2);
		t->st.hash_grows++;
	}
	return f;
}

/*
 * Finds or creates the flow of <k> and marks it used now. A flow found
 * due (idle, active, end grace over) is ended first. <syn_new> (a TCP SYN
 * without ACK) on a flow in end grace ends that flow at once and starts a
 * new one. Returns NULL only when memory is exhausted.
 */
static struct flow *
flow_get(struct flow_table *t, const struct flow_key *k, uint8_t tunnel,
    int syn_new, enum flow_dir *dir)
{
	uint32_t h = flow_key_hash(&t->key, k);
	struct flow *f;
	uint64_t dl_ms;

	f = lookup(t, k, h, dir);
	if (f != NULL && f->ended && syn_new) {
		end_flow(t, f, FLOW_END_DETECTED);
		f = NULL;
	}
	if (f != NULL && end_if_due(t, f))
		f = NULL;
	if (f == NULL) {
		if ((f = flow_create(t, k, h, tunnel)) == NULL)
			return NULL;
		*dir = FLOW_DIR_FWD;
	} else if (f->used_us / US_PER_S != t->now_s) {
		/* Lazy LRU: once per second of table time at most; the
		 * deadline's base moves with the second. */
		dl_ms = due_get(f);
		FL_REMOVE(t, &t->lru, f, lru_prev, lru_next);
		FL_APPEND(t, &t->lru, f, lru_prev, lru_next);
		f->used_us = t->now_us;
		due_set(f, dl_ms);
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
		    e->vlan_id, e->tunnel_id, e->ifindex);
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
 * when missing; one found too old is dropped first, as expiry would. */
static struct flow_frag_ent *
frag_get(struct flow_table *t, const struct dec_pkt *pkt)
{
	struct flow_frag_ent *e;

	if ((e = flow_frag_lookup(&t->frags, pkt)) != NULL) {
		if (t->now_us - e->created_us < t->frag_us)
			return e;
		frag_drop(t, e);
	}
	while (t->frags.count >= t->frags.max)
		frag_drop(t, t->frags.head);
	return flow_frag_insert(&t->frags, pkt, t->now_us);
}

/* --- expiry --- */

/*
 * Ends what is due at table time, list head by list head, at most <budget>
 * heads (0 = no limit). Records do not depend on the budget: whatever is
 * left is ended by the next call, or when its own packet comes (flow_get,
 * frag_get).
 */
static void
run_expiry(struct flow_table *t, size_t budget)
{
	uint64_t now = t->now_us;
	size_t n = 0;
	struct flow *f;

	if (budget == 0)
		budget = SIZE_MAX;
	while (n < budget && t->frags.head != NULL &&
	    now - t->frags.head->created_us >= t->frag_us) {
		frag_drop(t, t->frags.head);
		n++;
	}
	while (n < budget && (f = FL_HEAD(t, t->end)) != NULL &&
	    past(t, due_get(f))) {
		(void)end_if_due(t, f);		/* end grace, or idle first */
		n++;
	}
	/* Idle before active: a flow due both is one record, not two. The
	 * LRU list is sorted by second: the head may be 1 s younger than a
	 * flow behind it, which waits for the head (less than 1 s). */
	while (n < budget && (f = FL_HEAD(t, t->lru)) != NULL &&
	    now - f->used_us >= t->idle_us) {
		/* An active deadline that came first cuts that record
		 * first; the next turn ends the flow idle. */
		(void)end_if_due(t, f);
		n++;
	}
	while (n < budget && (f = FL_HEAD(t, t->act)) != NULL &&
	    past(t, due_get(f))) {
		(void)end_if_due(t, f);
		n++;
	}
}

size_t
flow_table_expire(struct flow_table *t, uint64_t now_us)
{
	uint64_t before = t->nended;

	if (t->in_cb)
		return 0;
	set_now(t, now_us);
	run_expiry(t, 0);
	return (size_t)(t->nended - before);
}

int
flow_table_set_time(struct flow_table *t, uint64_t now_us)
{
	if (t->in_cb)
		return -EDEADLK;
	set_now(t, now_us);
	return 0;
}

size_t
flow_table_flush(struct flow_table *t, enum flow_end_reason reason)
{
	uint64_t before = t->nended;
	struct flow *f;

	if (t->in_cb)
		return 0;
	if (reason < FLOW_END_IDLE || reason > FLOW_END_RESOURCES ||
	    reason == FLOW_END_ACTIVE)
		reason = FLOW_END_FORCED;
	while (t->frags.head != NULL)
		frag_drop(t, t->frags.head);
	/* A flow already due at table time ends for that reason, as a
	 * complete expiry pass would have ended it: the records at the end
	 * do not depend on how far the bounded expiry got, nor on which
	 * flows share the table (a shard of them, with several workers). */
	while ((f = FL_HEAD(t, t->lru)) != NULL)
		if (!end_if_due(t, f))
			end_flow(t, f, reason);
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
	    pkt->ip_version, pkt->vlan_id, pkt->tunnel_id, pkt->ifindex);
	f = flow_get(t, &k, pkt->tunnel,
	    (flags & (TCP_SYN | TCP_ACK)) == TCP_SYN, &dir);
	if (f == NULL) {
		t->st.nomem_drops++;
		return NULL;
	}
	c = &f->c[dir];
	count(c, 1, pkt->ip_len, pkt->ts_us, pkt->ts_us);
	f->tcp_flags[dir] |= flags;
	if (hdr && !(f->icmp_seen & (1U << dir)) &&
	    ((pkt->ip_version == 4 && pkt->proto == 1) ||
	    (pkt->ip_version == 6 && pkt->proto == 58))) {
		f->icmp_type[dir] = pkt->icmp_type;
		f->icmp_code[dir] = pkt->icmp_code;
		f->icmp_seen |= 1U << dir;
	}
	if (flags & TCP_FIN)
		f->fin_seen |= 1U << dir;
	/* Only a FIN or an RST can end a flow (FINs both ways end it at
	 * the second one). */
	if ((flags & (TCP_FIN | TCP_RST)) && !f->ended &&
	    ((flags & TCP_RST) || f->fin_seen == 3)) {
		/* From the active list to the end list: a flow in its (short)
		 * end grace is not cut by the active timeout. */
		FL_REMOVE(t, &t->act, f, tq_prev, tq_next);
		f->ended = 1;
		due_set(f, ms_ceil(t->now_us + t->grace_us));
		FL_APPEND(t, &t->end, f, tq_prev, tq_next);
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
	set_now(t, pkt->ts_us);
	run_expiry(t, FLOW_EXPIRE_BUDGET);

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
	if (t->long_chain)
		reseed(t);
	/* Only an exhausted allocator loses packets (this one, or old
	 * fragments dropped from the cache on the way). */
	return t->st.nomem_drops != drops ? -ENOMEM : 0;
}
