/*
 * workers.c - flow workers: each owns a shard of the flow table, its dpi
 * module and fragment cache, fed by the capture thread through batched
 * single-producer single-consumer rings (see probe_int.h for who owns
 * what and how time reaches a worker).
 *
 * A ring holds batch pointers only; a batch changes hands whole, with
 * release/acquire ordering on the ring's indices, so nothing in it is
 * shared while one side works on it. Every batch of a pair of rings is in
 * exactly one of: the producer's hands, the full ring, the consumer's
 * hands, the free ring; rings hold them all, so a push never fails.
 * A side that finds no batch waits: a few yields, then short sleeps (the
 * capture thread drains records while it waits, so neither side can wait
 * for the other in a circle).
 */
#define _GNU_SOURCE
#include "probe/probe_int.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING_SIZE	16		/* power of 2, >= batches per pair */
#define N_PBATCH	8		/* packet batches per worker */
#define N_RBATCH	8		/* record batches per worker */
#define PB_PKTS		256		/* packets per batch */
#define PB_ARENA	(256u * 1024u + 4096u) /* frame bytes, at least: one
					 * frame of libpcap's largest
					 * snap length (256 KiB) fits */
#define RB_RECS		256		/* records per batch */
#define RB_STRINGS	(64u * 1024u)	/* string bytes per batch */
#define WK_FILE_SEED	0x6c3770726f626531ULL /* shard key seed, files */
#define ALIGN8(x)	(((x) + 7u) & ~(size_t)7u)

enum { CMD_PKTS = 0, CMD_END = 1, CMD_WALK = 2 };

#define WALK_CHECK	256		/* records between looks at the stop
					 * flag and offset updates */

/* A worker's walk of a mapped file (wk_walk_start). */
enum { WALK_NONE = 0, WALK_RUN, WALK_PAUSED, WALK_DONE };

struct ring {
	_Alignas(64) atomic_size_t	head;	/* producer's */
	_Alignas(64) atomic_size_t	tail;	/* consumer's */
	_Alignas(64) void		*slot[RING_SIZE];
};

/* Packets for one worker, with copies of their frames. */
struct pbatch {
	int			n;
	int			cmd;
	uint64_t		tick_us;	/* expire at, 0 = no tick */
	size_t			used;		/* arena bytes */
	struct dec_pkt		pkt[PB_PKTS];
	uint64_t		now_us[PB_PKTS]; /* table time per packet */
	uint8_t			*arena;
};

/* What the capture thread knows of a worker's counters. */
struct snap {
	struct flow_table_stats	fs;
	struct dpi_stats	ds;
	uint64_t		empty[FLOW_END_MAX];
};

struct wk_rec {
	struct exp_record	rec;
	struct dpi_info		app;
};

/* Ended records that own their flow copy and strings. */
struct rbatch {
	int			n;
	size_t			used;
	struct snap		snap;
	struct wk_rec		r[RB_RECS];
	uint8_t			*arena;
};

/*
 * One worker. Its fields are grouped by who writes them, each group on
 * cache lines of its own (and the workers' array is aligned to a line):
 * a line that one thread writes for every packet and another thread
 * reads, even a different field of it, moves between their CPUs at each
 * write.
 */
struct worker {
	/* Read by the worker for every packet; set by the capture thread
	 * only while the worker does not use them (before it starts; the
	 * cursor before a walk is handed to it and after it ends). */
	struct wk_set		*s;
	struct flow_table	*ft;
	struct dpi		*dpi;
	struct pbatch		*pb[N_PBATCH];
	struct rbatch		*rb[N_RBATCH];
	struct cap_cursor	*cursor;	/* the walk's (wk_walk_start) */

	struct ring		in, pfree, out, rfree;

	/* The capture thread's. */
	_Alignas(64) struct pbatch *cur;
	struct snap		seen;
	pthread_t		thr;
	int			started;

	/* The worker's. */
	_Alignas(64) struct rbatch *rcur;
	uint64_t		empty[FLOW_END_MAX];
	atomic_int		done;		/* worker ended its flows */

	/* The walk: the cursor and counters are the worker's until it is
	 * WALK_DONE (release), then the capture thread's; the capture
	 * thread reads these atomics while it runs. */
	_Alignas(64) atomic_int	walk_state;
	atomic_uint_fast64_t	walk_off;	/* bytes passed */
	atomic_uint_fast64_t	walk_index;	/* records, when paused */
	atomic_uint_fast64_t	pub_read, pub_filtered, pub_ignored;
	/* Written for every record walked. */
	_Alignas(64) uint64_t	w_read;
	uint64_t		w_filtered;
	uint64_t		w_ignored[DEC_RESULT_MAX];
	uint64_t		w_to_flows;
	uint64_t		w_now;		/* largest time of a decoded
						 * packet */
};

_Static_assert(sizeof(struct worker) % 64 == 0,
    "workers in an array share no cache line");

struct wk_set {
	struct wk_conf		conf;
	struct flow_table_conf	fconf;
	struct dpi_conf		dpconf;		/* conf's point to these */
	size_t			flow_size;	/* struct flow + ext */
	size_t			pb_arena;
	size_t			rb_arena;
	struct flow_shard_key	key;
	int			finished;
	enum flow_end_reason	end_reason;	/* set before CMD_END */
	struct worker		*w;

	struct capture		*walk_cap;	/* being walked, or NULL */
	struct dec_conf		dconf;
	int			merge_ifaces;
	atomic_int		walk_stop;	/* capture thread: stop early */
	atomic_uint_fast64_t	walk_limit;	/* records to reach after a
						 * stop; 0 = not yet known */
};

/* --- rings --- */

static void
ring_push(struct ring *r, void *v)
{
	size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	/* Never full: the ring holds every batch of its pair. */
	r->slot[h & (RING_SIZE - 1)] = v;
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
}

static void *
ring_pop(struct ring *r)
{
	size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	void *v;

	if (atomic_load_explicit(&r->head, memory_order_acquire) == t)
		return NULL;
	v = r->slot[t & (RING_SIZE - 1)];
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return v;
}

/* Waiting for the other side: yields first, then sleeps up to 1 ms. */
static void
backoff(unsigned *n)
{
	struct timespec ts = { 0, 0 };

	if (*n < 16) {
		sched_yield();
	} else {
		ts.tv_nsec = *n < 64 ? 50000 : 1000000;
		nanosleep(&ts, NULL);
	}
	(*n)++;
}

/* --- worker side --- */

static struct rbatch *
get_rbatch(struct worker *w)
{
	struct rbatch *rb;
	unsigned n = 0;

	while ((rb = ring_pop(&w->rfree)) == NULL)
		backoff(&n);
	rb->n = 0;
	rb->used = 0;
	return rb;
}

static void
push_rbatch(struct worker *w)
{
	struct rbatch *rb = w->rcur;

	if (rb == NULL)
		rb = get_rbatch(w);
	flow_table_stats(w->ft, &rb->snap.fs);
	dpi_stats(w->dpi, &rb->snap.ds);
	memcpy(rb->snap.empty, w->empty, sizeof(w->empty));
	ring_push(&w->out, rb);
	w->rcur = NULL;
}

/* Copies <s> into the batch's arena; "" when it does not fit. */
static const char *
keep_str(struct rbatch *rb, size_t arena, const char *s)
{
	size_t len = strlen(s) + 1;
	char *d;

	if (len == 1 || rb->used + len > arena)
		return "";
	d = (char *)rb->arena + rb->used;
	memcpy(d, s, len);
	rb->used += len;
	return d;
}

static size_t
str_need(const struct dpi_info *app)
{
	return strlen(app->server_name) + strlen(app->client_fingerprint) +
	    strlen(app->server_fingerprint) + strlen(app->user_agent) + 4;
}

/* A record that owns its data: the flow with its ext bytes, and the
 * classification with its strings (nDPI's are freed with the flow). */
static void
keep_record(struct worker *w, struct flow *f, enum flow_end_reason reason)
{
	struct wk_set *s = w->s;
	struct dpi_info app;
	struct rbatch *rb;
	struct wk_rec *r;
	struct flow *copy;

	dpi_flow_info(w->dpi, f, &app);
	if ((rb = w->rcur) != NULL && (rb->n == RB_RECS || rb->used +
	    ALIGN8(s->flow_size) + str_need(&app) > s->rb_arena))
		push_rbatch(w);
	if ((rb = w->rcur) == NULL)
		rb = w->rcur = get_rbatch(w);
	r = &rb->r[rb->n++];
	copy = (struct flow *)(void *)(rb->arena + rb->used);
	memcpy(copy, f, s->flow_size);
	rb->used += ALIGN8(s->flow_size);
	r->app = app;
	r->app.server_name = keep_str(rb, s->rb_arena, app.server_name);
	r->app.client_fingerprint = keep_str(rb, s->rb_arena,
	    app.client_fingerprint);
	r->app.server_fingerprint = keep_str(rb, s->rb_arena,
	    app.server_fingerprint);
	r->app.user_agent = keep_str(rb, s->rb_arena, app.user_agent);
	rb->used = ALIGN8(rb->used);
	r->rec.flow = copy;
	r->rec.reason = reason;
	r->rec.app = &r->app;
}

/* The hook order of probe.c: dpi (the first hook), then the plugins. */
static int
on_pkt(struct flow *f, enum flow_dir dir, const struct dec_pkt *pkt,
    void *arg)
{
	struct worker *w = arg;

	if (w->s->conf.dpconf->enabled)
		dpi_packet(w->dpi, f, dir, pkt);
	return plug_packet(w->s->conf.ps, f, dir, pkt);
}

static void
on_end(struct flow *f, enum flow_end_reason reason, void *arg)
{
	struct worker *w = arg;
	int dpi_on = w->s->conf.dpconf->enabled;

	if (dpi_on)
		dpi_flow_end(w->dpi, f);
	plug_flow_end(w->s->conf.ps, f, reason);
	if (f->c[FLOW_DIR_FWD].pkts + f->c[FLOW_DIR_REV].pkts == 0) {
		if ((unsigned)reason < FLOW_END_MAX)
			w->empty[reason]++;
	} else {
		keep_record(w, f, reason);
	}
	if (reason != FLOW_END_ACTIVE) {
		if (dpi_on)
			dpi_flow_release(w->dpi, f);
		plug_flow_release(w->s->conf.ps, f);
	}
}

static unsigned shard_of(const struct wk_set *s, const struct dec_pkt *pkt);

/* The walk's counters so far, for the snapshots (stats line, progress,
 * IPFIX statistics) while it runs. */
static void
publish(struct worker *w)
{
	uint64_t ign = 0;
	int i;

	for (i = 1; i < DEC_RESULT_MAX; i++)
		ign += w->w_ignored[i];
	atomic_store_explicit(&w->pub_read, w->w_read, memory_order_relaxed);
	atomic_store_explicit(&w->pub_filtered, w->w_filtered,
	    memory_order_relaxed);
	atomic_store_explicit(&w->pub_ignored, ign, memory_order_relaxed);
}

/*
 * A stop while walking: every worker must stop after the same record, so
 * that the counters of one (worker 0's) account for every shard. Each one
 * pauses at its next check and says how far it got; the capture thread
 * sets the limit to the farthest, and the others walk on to it. Returns
 * the records to reach.
 */
static uint64_t
walk_pause(struct worker *w)
{
	struct wk_set *s = w->s;
	uint64_t limit;
	unsigned n = 0;

	atomic_store_explicit(&w->walk_index, w->w_read, memory_order_relaxed);
	atomic_store_explicit(&w->walk_state, WALK_PAUSED,
	    memory_order_release);
	while ((limit = atomic_load_explicit(&s->walk_limit,
	    memory_order_acquire)) == 0)
		backoff(&n);
	atomic_store_explicit(&w->walk_state, WALK_RUN, memory_order_relaxed);
	return limit;
}

/* Every record of the mapped file, as the capture thread would read it:
 * each is counted, filtered and decoded here (by every worker alike); the
 * worker keeps its shard's packets, and its table runs its expiry at every
 * decoded packet's time, as one table would. */
static void
walk(struct worker *w)
{
	struct wk_set *s = w->s;
	unsigned me = (unsigned)(w - s->w);
	uint64_t limit = UINT64_MAX;
	struct cap_pkt cp;
	struct dec_pkt pkt;
	enum dec_result r;
	int filtered, i, added = 1;

	for (;;) {
		for (i = 0; i < WALK_CHECK && w->w_read < limit; i++) {
			if (cap_cursor_next(w->cursor, &cp, &filtered) != 0)
				goto done;
			w->w_read++;
			if (filtered) {
				w->w_filtered++;
				continue;
			}
			r = dec_frame(&s->dconf, cp.linktype, cp.data,
			    cp.caplen, cp.wirelen, &pkt);
			if (r != DEC_OK) {
				w->w_ignored[r]++;
				continue;
			}
			pkt.ts_us = cp.ts_us;
			pkt.ifindex = s->merge_ifaces ? 0 : cp.ifindex;
			/* Expiry looks when one table would have, before
			 * the packet, as with the rings; but not again
			 * before the time moves or the table took a packet:
			 * nothing more can be due. */
			if (cp.ts_us > w->w_now || added) {
				if (cp.ts_us > w->w_now)
					w->w_now = cp.ts_us;
				(void)flow_table_expire(w->ft, cp.ts_us);
				added = 0;
			}
			if (shard_of(s, &pkt) != me)
				continue;
			w->w_to_flows++;
			(void)flow_table_add(w->ft, &pkt);
			added = 1;
		}
		atomic_store_explicit(&w->walk_off,
		    cap_cursor_offset(w->cursor), memory_order_relaxed);
		publish(w);
		if (w->w_read >= limit)
			break;
		if (limit == UINT64_MAX && atomic_load_explicit(&s->walk_stop,
		    memory_order_relaxed))
			limit = walk_pause(w);
	}
done:
	atomic_store_explicit(&w->walk_off, cap_cursor_offset(w->cursor),
	    memory_order_relaxed);
	/* A stop that came as the file ended: the others wait for this
	 * worker to say how far it got. */
	if (limit == UINT64_MAX && atomic_load_explicit(&s->walk_stop,
	    memory_order_relaxed))
		(void)walk_pause(w);
	atomic_store_explicit(&w->walk_state, WALK_DONE, memory_order_release);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pbatch *pb;
	uint64_t tick;
	unsigned idle = 0;
	int i, cmd;

	for (;;) {
		if ((pb = ring_pop(&w->in)) == NULL) {
			backoff(&idle);
			continue;
		}
		idle = 0;
		for (i = 0; i < pb->n; i++) {
			/* Expiry first, at the time one table would have:
			 * what it ends does not depend on the other
			 * shards' packets in between. */
			(void)flow_table_expire(w->ft, pb->now_us[i]);
			(void)flow_table_add(w->ft, &pb->pkt[i]);
		}
		cmd = pb->cmd;
		tick = pb->tick_us;
		pb->n = 0;
		pb->used = 0;
		ring_push(&w->pfree, pb);
		if (cmd == CMD_WALK) {
			walk(w);
			continue;
		}
		if (cmd == CMD_END) {
			(void)flow_table_set_time(w->ft, tick);
			flow_table_flush(w->ft, w->s->end_reason);
			push_rbatch(w);
			atomic_store_explicit(&w->done, 1,
			    memory_order_release);
			return NULL;
		}
		if (tick != 0) {
			flow_table_expire(w->ft, tick);
			/* Records out, and fresh counters for the snapshots
			 * even without records (never waiting for that). */
			if (w->rcur == NULL && (w->rcur = ring_pop(&w->rfree)) !=
			    NULL) {
				w->rcur->n = 0;
				w->rcur->used = 0;
			}
			if (w->rcur != NULL)
				push_rbatch(w);
		}
	}
}

/* --- capture thread side --- */

size_t
wk_drain(struct wk_set *s)
{
	struct rbatch *rb;
	struct worker *w;
	size_t n = 0;
	int i, k;

	for (k = 0; k < s->conf.n; k++) {
		w = &s->w[k];
		while ((rb = ring_pop(&w->out)) != NULL) {
			for (i = 0; i < rb->n; i++)
				s->conf.emit(&rb->r[i].rec, s->conf.emit_arg);
			n += (size_t)rb->n;
			w->seen = rb->snap;
			ring_push(&w->rfree, rb);
		}
	}
	return n;
}

static struct pbatch *
get_pbatch(struct wk_set *s, struct worker *w)
{
	struct pbatch *pb;
	unsigned n = 0;

	while ((pb = ring_pop(&w->pfree)) == NULL)
		if (wk_drain(s) == 0)
			backoff(&n);
	return pb;
}

/*
 * The worker of <pkt>: a function of what flow_shard_hash() covers (both
 * addresses in either order, IP protocol and version, outer VLAN, tunnel,
 * interface), so both directions and every fragment of a datagram meet in
 * one table. It only spreads flows over the workers (each table hashes
 * its keys with its own secret), so a keyed multiply-xor mix does, at a
 * fraction of SipHash's cost; crafted addresses could load one worker
 * more than another, no more.
 */
static uint64_t
mix_addr(const struct flow_shard_key *k, const uint8_t *a)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, a + 8, 8);
	x = (x ^ k->k0) * 0x9e3779b97f4a7c15ULL;
	y = (y ^ k->k1) * 0xc2b2ae3d27d4eb4fULL;
	return x ^ (y >> 29 | y << 35);
}

static unsigned
shard_of(const struct wk_set *s, const struct dec_pkt *pkt)
{
	uint64_t h;

	/* The sum does not care which end is which. */
	h = mix_addr(&s->key, pkt->src) + mix_addr(&s->key, pkt->dst);
	h ^= (uint64_t)pkt->proto | (uint64_t)pkt->ip_version << 8 |
	    (uint64_t)pkt->vlan_id << 16 | (uint64_t)pkt->tunnel_id << 32;
	h = (h ^ (h >> 31)) * 0xbf58476d1ce4e5b9ULL;
	h ^= (uint64_t)pkt->ifindex * 0x94d049bb133111ebULL;
	h ^= h >> 29;
	/* The high 32 bits onto [0, n): no division. */
	return (unsigned)(((h >> 32) * (uint64_t)s->conf.n) >> 32);
}

static void
send_pbatch(struct worker *w, uint64_t tick_us, int cmd)
{
	w->cur->tick_us = tick_us;
	w->cur->cmd = cmd;
	ring_push(&w->in, w->cur);
	w->cur = NULL;
}

/* Moves a pointer into <from> onto the same byte of <to>. */
static const uint8_t *
rebase(const uint8_t *p, const uint8_t *from, const uint8_t *to)
{
	return p == NULL ? NULL : to + (p - from);
}

void
wk_send(struct wk_set *s, const struct dec_pkt *pkt, const uint8_t *frame,
    size_t caplen, int stable, uint64_t now_us)
{
	struct worker *w;
	struct pbatch *pb;
	struct dec_pkt *d;
	uint8_t *copy;

	w = &s->w[shard_of(s, pkt)];
	if (stable)
		caplen = 0;
	if ((pb = w->cur) != NULL && (pb->n == PB_PKTS ||
	    pb->used + caplen > s->pb_arena))
		send_pbatch(w, 0, CMD_PKTS);
	if ((pb = w->cur) == NULL)
		pb = w->cur = get_pbatch(s, w);
	if (stable) {
		/* A mapped file's frame stays where it is for the run. */
		pb->pkt[pb->n] = *pkt;
		pb->now_us[pb->n++] = now_us;
		return;
	}
	/* The frame leaves libpcap's buffer here: the worker reads the
	 * copy, long after the capture callback returned. */
	copy = pb->arena + pb->used;
	memcpy(copy, frame, caplen);
	pb->used = ALIGN8(pb->used + caplen);
	d = &pb->pkt[pb->n];
	*d = *pkt;
	d->l3 = rebase(pkt->l3, frame, copy);
	d->l4 = rebase(pkt->l4, frame, copy);
	d->frame = copy;
	pb->now_us[pb->n++] = now_us;
}

void
wk_push(struct wk_set *s, uint64_t tick_us)
{
	struct worker *w;
	int k;

	for (k = 0; k < s->conf.n; k++) {
		w = &s->w[k];
		if (w->cur == NULL) {
			if (tick_us == 0)
				continue;
			w->cur = get_pbatch(s, w);
		} else if (w->cur->n == 0 && tick_us == 0) {
			continue;
		}
		send_pbatch(w, tick_us, CMD_PKTS);
	}
}

int
wk_walk_start(struct wk_set *s, struct capture *cap,
    const struct dec_conf *dconf, int merge_ifaces)
{
	struct worker *w;
	int k;

	for (k = 0; k < s->conf.n; k++)
		if ((s->w[k].cursor = cap_cursor_new(cap)) == NULL)
			goto fail;
	s->walk_cap = cap;
	s->dconf = *dconf;
	s->merge_ifaces = merge_ifaces;
	for (k = 0; k < s->conf.n; k++) {
		w = &s->w[k];
		atomic_store_explicit(&w->walk_off, cap_cursor_offset(w->cursor),
		    memory_order_relaxed);
		atomic_store_explicit(&w->walk_state, WALK_RUN,
		    memory_order_relaxed);
		if (w->cur == NULL)
			w->cur = get_pbatch(s, w);
		send_pbatch(w, 0, CMD_WALK);
	}
	return 0;
fail:
	for (k = 0; k < s->conf.n; k++) {
		cap_cursor_free(s->w[k].cursor);
		s->w[k].cursor = NULL;
	}
	return -ENOTSUP;
}

uint64_t
wk_walk_offset(const struct wk_set *s)
{
	uint64_t off, min = UINT64_MAX;
	int k;

	for (k = 0; k < s->conf.n; k++) {
		off = atomic_load_explicit(&s->w[k].walk_off,
		    memory_order_relaxed);
		if (off < min)
			min = off;
	}
	return min;
}

int
wk_walk_poll(struct wk_set *s)
{
	struct worker *w;
	uint64_t idx, limit = 0;
	int k, st, done = 1, stopped = 1, paused = 0;

	for (k = 0; k < s->conf.n; k++) {
		w = &s->w[k];
		st = atomic_load_explicit(&w->walk_state, memory_order_acquire);
		done &= st == WALK_DONE;
		if (st == WALK_RUN) {
			stopped = 0;
			continue;
		}
		/* A worker done is done with its counters (acquire). */
		idx = st == WALK_DONE ? w->w_read : atomic_load_explicit(
		    &w->walk_index, memory_order_relaxed);
		paused |= st == WALK_PAUSED;
		if (idx > limit)
			limit = idx;
	}
	/* Every worker stopped (on a stop, or at the end): the paused ones
	 * go on to the farthest record any of them reached. */
	if (stopped && paused && atomic_load_explicit(&s->walk_limit,
	    memory_order_relaxed) == 0)
		atomic_store_explicit(&s->walk_limit, limit > 0 ? limit : 1,
		    memory_order_release);
	return done;
}

void
wk_walk_counts(const struct wk_set *s, uint64_t *read, uint64_t *filtered,
    uint64_t *ignored)
{
	const struct worker *w0 = &s->w[0];

	*read = atomic_load_explicit(&w0->pub_read, memory_order_relaxed);
	*filtered = atomic_load_explicit(&w0->pub_filtered,
	    memory_order_relaxed);
	*ignored = atomic_load_explicit(&w0->pub_ignored,
	    memory_order_relaxed);
}

void
wk_walk_stop(struct wk_set *s)
{
	atomic_store_explicit(&s->walk_stop, 1, memory_order_relaxed);
}

void
wk_walk_end(struct wk_set *s, uint64_t *to_flows,
    uint64_t ignored[DEC_RESULT_MAX], uint64_t *now_us)
{
	struct worker *w0 = &s->w[0];
	int k, i;

	/* Every worker walked the same records: worker 0's counts stand
	 * for them all, but each worker's own packets. */
	cap_cursor_done(s->walk_cap, w0->cursor, w0->w_read, w0->w_filtered);
	for (i = 0; i < DEC_RESULT_MAX; i++)
		ignored[i] += w0->w_ignored[i];
	for (k = 0; k < s->conf.n; k++) {
		*to_flows += s->w[k].w_to_flows;
		if (s->w[k].w_now > *now_us)
			*now_us = s->w[k].w_now;
		cap_cursor_free(s->w[k].cursor);
		s->w[k].cursor = NULL;
	}
	s->walk_cap = NULL;
}

void
wk_finish(struct wk_set *s, uint64_t now_us, enum flow_end_reason reason)
{
	struct worker *w;
	unsigned n = 0;
	int k, all;

	if (s->finished)
		return;
	s->end_reason = reason;
	for (k = 0; k < s->conf.n; k++) {
		w = &s->w[k];
		if (!w->started)
			continue;
		if (w->cur == NULL)
			w->cur = get_pbatch(s, w);
		send_pbatch(w, now_us, CMD_END);
	}
	for (;;) {
		all = 1;
		for (k = 0; k < s->conf.n; k++)
			if (s->w[k].started && !atomic_load_explicit(
			    &s->w[k].done, memory_order_acquire))
				all = 0;
		if (wk_drain(s) == 0 && all)
			break;
		if (!all)
			backoff(&n);
	}
	for (k = 0; k < s->conf.n; k++) {
		w = &s->w[k];
		if (w->started)
			pthread_join(w->thr, NULL);
		w->started = 0;
		if (w->ft == NULL || w->dpi == NULL)
			continue;
		flow_table_stats(w->ft, &w->seen.fs);
		dpi_stats(w->dpi, &w->seen.ds);
		memcpy(w->seen.empty, w->empty, sizeof(w->empty));
	}
	s->finished = 1;
}

void
wk_stats(const struct wk_set *s, struct flow_table_stats *fs,
    struct dpi_stats *ds, uint64_t empty[FLOW_END_MAX])
{
	const struct snap *sn;
	int k, i;

	memset(fs, 0, sizeof(*fs));
	memset(ds, 0, sizeof(*ds));
	for (i = 0; i < FLOW_END_MAX; i++)
		empty[i] = 0;
	for (k = 0; k < s->conf.n; k++) {
		sn = &s->w[k].seen;
		fs->flows_created += sn->fs.flows_created;
		for (i = 0; i < FLOW_END_MAX; i++) {
			fs->records_ended[i] += sn->fs.records_ended[i];
			empty[i] += sn->empty[i];
		}
		fs->frags_matched += sn->fs.frags_matched;
		fs->frags_orphaned += sn->fs.frags_orphaned;
		fs->nomem_drops += sn->fs.nomem_drops;
		fs->hash_grows += sn->fs.hash_grows;
		fs->hash_reseeds += sn->fs.hash_reseeds;
		fs->active_flows += sn->fs.active_flows;
		/* Each shard's peak: their sum bounds the table's. */
		fs->peak_flows += sn->fs.peak_flows;
		fs->pending_frags += sn->fs.pending_frags;
		ds->flows_detected += sn->ds.flows_detected;
		ds->flows_guessed += sn->ds.flows_guessed;
		ds->flows_unknown += sn->ds.flows_unknown;
		ds->pkts_fed += sn->ds.pkts_fed;
		ds->flows_active += sn->ds.flows_active;
	}
}

/* --- set up, tear down --- */

void
wk_free(struct wk_set *s)
{
	struct worker *w;
	int k, i;

	if (s == NULL)
		return;
	/* Threads still running (a failed start): end them first. */
	wk_finish(s, 0, FLOW_END_FORCED);
	for (k = 0; k < s->conf.n; k++) {
		w = &s->w[k];
		cap_cursor_free(w->cursor);
		flow_table_free(w->ft);
		dpi_free(w->dpi);
		for (i = 0; i < N_PBATCH; i++)
			if (w->pb[i] != NULL) {
				free(w->pb[i]->arena);
				free(w->pb[i]);
			}
		for (i = 0; i < N_RBATCH; i++)
			if (w->rb[i] != NULL) {
				free(w->rb[i]->arena);
				free(w->rb[i]);
			}
	}
	free(s->w);
	free(s);
}

static void
drop_record(const struct exp_record *rec, void *arg)
{
	(void)rec;
	(void)arg;
}

/* A worker's dpi, started on a thread of its own. */
struct dpi_start {
	const struct dpi_conf	*conf;
	struct dpi		*d;
	struct perr		err;
	pthread_t		thr;
	int			on_thread;
};

static void *
dpi_start_main(void *arg)
{
	struct dpi_start *ds = arg;

	ds->d = dpi_new(ds->conf, &ds->err);
	return NULL;
}

/*
 * Every worker's dpi. nDPI takes several milliseconds and megabytes to
 * start a module, one after the other: worker 0 detects on <base>'s
 * module (when given) and the others' modules start side by side, a
 * thread each (here, when a thread cannot start). Called with every
 * signal blocked. On failure the dpis made so far stay in the workers,
 * for wk_free().
 */
static int
start_dpis(struct wk_set *s, const struct dpi *base, struct perr *err)
{
	struct dpi_start *ds;
	int k, rc = 0;

	if ((ds = calloc((size_t)s->conf.n, sizeof(*ds))) == NULL)
		return perr_set(err, -ENOMEM, "workers: out of memory");
	for (k = base != NULL ? 1 : 0; k < s->conf.n; k++) {
		ds[k].conf = &s->dpconf;
		ds[k].on_thread = pthread_create(&ds[k].thr, NULL,
		    dpi_start_main, &ds[k]) == 0;
	}
	if (base != NULL)
		ds[0].d = dpi_new_sharing(base, &ds[0].err);
	for (k = base != NULL ? 1 : 0; k < s->conf.n; k++) {
		if (ds[k].on_thread)
			pthread_join(ds[k].thr, NULL);
		else
			dpi_start_main(&ds[k]);
	}
	for (k = 0; k < s->conf.n; k++) {
		s->w[k].dpi = ds[k].d;
		if (ds[k].d == NULL && rc == 0) {
			*err = ds[k].err;
			rc = err->code;
		}
	}
	free(ds);
	return rc;
}

struct wk_set *
wk_new(const struct wk_conf *conf, struct perr *err)
{
	sigset_t all, saved;
	struct wk_set *s;
	struct worker *w;
	int k, i, e;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->w = aligned_alloc(64, (size_t)conf->n * sizeof(*s->w))) ==
	    NULL) {
		free(s);
		perr_set(err, -ENOMEM, "workers: out of memory");
		return NULL;
	}
	memset(s->w, 0, (size_t)conf->n * sizeof(*s->w));
	s->conf = *conf;
	s->fconf = *conf->fconf;
	s->dpconf = *conf->dpconf;
	s->conf.fconf = &s->fconf;
	s->conf.dpconf = &s->dpconf;
	s->flow_size = sizeof(struct flow) + conf->fconf->ext_size;
	s->pb_arena = PB_ARENA > 2 * (size_t)conf->snaplen + 64 ? PB_ARENA :
	    2 * (size_t)conf->snaplen + 64;
	s->rb_arena = RB_RECS * ALIGN8(s->flow_size) + RB_STRINGS;
	/* Reading a file, the same worker for a flow on every run (the
	 * records do not depend on it, but how far each worker's time went
	 * when a flow ends may). */
	if (flow_shard_key_init(&s->key, conf->fconf->hash_seed != 0 ?
	    conf->fconf->hash_seed : conf->fixed_shards ? WK_FILE_SEED : 0,
	    err) != 0)
		goto fail;
	/* Filled on first use: made here, before any thread reads it. */
	(void)dpi_backend_version();
	/* The threads that start the dpis take no signal either. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &saved);
	e = start_dpis(s, conf->dpi_base, err);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (e != 0)
		goto fail;
	for (k = 0; k < conf->n; k++) {
		w = &s->w[k];
		w->s = s;
		dpi_set_ext_offset(w->dpi, conf->dpi_off);
		if ((w->ft = flow_table_new(&s->fconf, on_end,
		    conf->pkt_hooks ? on_pkt : NULL, w, err)) == NULL)
			goto fail;
		for (i = 0; i < N_PBATCH; i++) {
			if ((w->pb[i] = calloc(1, sizeof(struct pbatch))) ==
			    NULL || (w->pb[i]->arena = malloc(s->pb_arena)) ==
			    NULL)
				goto nomem;
			ring_push(&w->pfree, w->pb[i]);
		}
		for (i = 0; i < N_RBATCH; i++) {
			if ((w->rb[i] = calloc(1, sizeof(struct rbatch))) ==
			    NULL || (w->rb[i]->arena = malloc(s->rb_arena)) ==
			    NULL)
				goto nomem;
			ring_push(&w->rfree, w->rb[i]);
		}
	}
	/* Workers take no signal: the capture thread handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &saved);
	for (k = 0; k < conf->n; k++) {
		w = &s->w[k];
		if ((e = pthread_create(&w->thr, NULL, worker_main, w)) != 0) {
			pthread_sigmask(SIG_SETMASK, &saved, NULL);
			perr_set(err, -e, "cannot start flow worker %d: %s",
			    k + 1, strerror(e));
			s->conf.emit = drop_record;
			goto fail;
		}
		w->started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	return s;
nomem:
	perr_set(err, -ENOMEM, "workers: out of memory");
fail:
	wk_free(s);
	return NULL;
}
