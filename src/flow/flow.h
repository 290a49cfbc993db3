/*
 * flow.h - bidirectional flow table, between decode and export.
 *
 * Pipeline position: decode -> [flow table] -> dpi, plugins -> export.
 * The table owns every struct flow; others see them through callbacks as
 * borrowed pointers. Not thread-safe: one table per capture thread, no
 * global state. The per-packet path does not allocate: flows come from a
 * pool of max_flows flows whose address space is reserved up front and
 * whose memory is used as flows are.
 *
 * Time is passed in (microseconds since the epoch): packet time when
 * reading a file, the clock when live. The table keeps its own "now", the
 * largest time it was given, so a capture whose timestamps step back a
 * little does not confuse expiry.
 *
 * A flow is the packets of one 5-tuple (addresses, ports, IP protocol) plus
 * the outer VLAN id, the tunnel id and the ingress interface (ifindex, 0
 * when unknown or merged), in both directions. The sender of
 * the first packet is the source. ICMP and ICMPv6 flows have no ports, so
 * an echo request and its reply are one flow.
 *
 * IP fragments: a first fragment (offset 0) carries the ports; later
 * fragments are matched to it by addresses, protocol and IP id, also when
 * they arrive before it (their counts wait in a small fragment cache). Later
 * fragments whose first never comes are exported as a flow without ports.
 *
 * Records end with an IPFIX flowEndReason (RFC 7011, IANA registry).
 *
 * Hash flooding: the hash is keyed (SipHash-1-3) by a secret each table
 * draws from getrandom(), so colliding keys cannot be computed offline;
 * see flowtab.c for the bucket growth and the reseed on long chains.
 *
 * Expiry per packet is bounded; records do not depend on when expiry runs
 * (a packet of a flow already due ends it first). The LRU list is kept
 * by the second, so an idle flow may be exported up to 1 s (table time)
 * after its deadline; a wave larger than the per-packet budget waits for
 * the next packets, or for flow_table_expire(), which does all that is due.
 */
#ifndef L7_FLOW_H
#define L7_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "log/log.h"

enum flow_end_reason {
	FLOW_END_IDLE = 1,		/* idle timeout */
	FLOW_END_ACTIVE = 2,		/* active timeout: the flow goes on */
	FLOW_END_DETECTED = 3,		/* TCP RST, or FIN from both sides */
	FLOW_END_FORCED = 4,		/* end of capture, shutdown */
	FLOW_END_RESOURCES = 5,		/* table full: LRU flow evicted */
	FLOW_END_PLUGIN = 6,		/* a packet hook asked to export now
					 * (IPFIX flowEndReason 4, forced) */
	FLOW_END_MAX
};

enum flow_dir {
	FLOW_DIR_FWD = 0,		/* source -> destination */
	FLOW_DIR_REV = 1,		/* destination -> source */
};

/* The flow key, oriented: src is the sender of the first packet. */
struct flow_key {
	uint8_t		src[16];	/* network order, IPv4 in 4 bytes */
	uint8_t		dst[16];
	uint32_t	tunnel_id;	/* 0 = none */
	uint32_t	ifindex;	/* ingress interface, 0 = unknown/merged */
	uint16_t	sport;		/* 0 for protocols without ports */
	uint16_t	dport;
	uint16_t	vlan_id;	/* 0 = untagged */
	uint8_t		proto;
	uint8_t		ip_version;	/* 4 or 6 */
};

/* Counters of one direction, for the current record. A record may have
 * no packet at all in either direction: only when a flow ends (idle,
 * forced, evicted) after an active-timeout record with no packet since;
 * the end callback still runs so modules can free their state, and
 * exporters should skip such a record. The TCP flags and ICMP type of a
 * direction are in struct flow (tcp_flags[], icmp_type[], icmp_code[]),
 * so that four 64-bit counters pack without padding. */
struct flow_counters {
	uint64_t	pkts;
	uint64_t	bytes;		/* sum of IP total lengths */
	uint64_t	first_us;	/* 0 when pkts == 0 */
	uint64_t	last_us;
};

/*
 * One flow. Public fields are read-only for everyone but the table; they
 * describe the current record (counters, flags and ICMP type restart
 * after an active-timeout export). <ext> is ext_size bytes for the
 * modules above the table (dpi, plugins): zeroed when the flow is
 * created, kept across active-timeout records, never touched by the
 * table.
 *
 * Layout: a hash-chain step reads hnext and the key, both in the first 64
 * bytes, so a step touches one cache line (two when the flow straddles a
 * line boundary); the per-packet counters follow, then the byte-sized
 * fields, then what expiry reads. Links are 32-bit pool indexes (0 =
 * none), private to the table. No padding: 152 bytes on LP64 (the memory
 * a flow costs is in doc/BENCHMARKS.md, "Memory per flow").
 */
struct flow {
	/* private to flowtab.c */
	uint32_t		hnext;		/* hash chain */
	uint32_t		due_rel_ms;	/* deadline (of the active
						 * timeout, or when ended of
						 * the end grace), table time
						 * in ms, as milliseconds
						 * after the second of
						 * used_us: see flowtab.c */
	struct flow_key		key;
	struct flow_counters	c[2];		/* [enum flow_dir] */
	uint8_t			tcp_flags[2];	/* [enum flow_dir]: OR of all
						 * flags seen; 0 unless TCP */
	uint8_t			icmp_type[2];	/* [enum flow_dir]: of the
						 * first ICMP packet seen */
	uint8_t			icmp_code[2];
	uint8_t			tunnel;		/* enum dec_tunnel */

	/* private to flowtab.c */
	uint8_t			fin_seen:2;	/* bit per direction */
	uint8_t			icmp_seen:2;	/* bit per direction: ICMP
						 * type set */
	uint8_t			ended:1;	/* RST/FIN seen: in grace */
	uint32_t		lru_prev, lru_next;	/* by used second */
	uint32_t		tq_prev, tq_next;	/* active list by record
							 * start, or end list by
							 * end time (if ended) */
	uint64_t		used_us;	/* table time of last packet */

	/* ext_size bytes, 8-aligned */
	_Alignas(8) unsigned char ext[];
};

struct flow_table_conf {
	uint32_t	max_flows;		/* capacity, >= 1; default 128000 */
	uint32_t	idle_timeout_s;		/* 1 to 2000000; default 120 */
	uint32_t	active_timeout_s;	/* 1 to 2000000; default 120 */
	uint32_t	end_grace_ms;		/* after RST/FINs, up to
						 * 2000000000; default 2000;
						 * 0 = end at the next check */
	uint32_t	frag_timeout_s;		/* fragment cache entry life,
						 * >= 1; default 30 */
	uint32_t	max_frags;		/* fragment cache entries, 1 to
						 * 1<<24 (preallocated);
						 * default 8192 */
	size_t		ext_size;		/* bytes of flow->ext, up to
						 * 1 MiB; 0 is fine */
	uint64_t	hash_seed;		/* 0 (default) = hash keys from
						 * getrandom(); else a fixed
						 * seed they derive from, for
						 * tests and fuzzing only */
};

/* Fills <conf> with the defaults above. */
void	flow_table_conf_defaults(struct flow_table_conf *conf);

/*
 * Called for each record that ends, with its reason. <f> is borrowed for
 * the call. For FLOW_END_ACTIVE the flow goes on after the callback (its
 * counters restart); for every other reason it is freed when cb returns.
 * The callback must not call back into the table.
 */
typedef void (*flow_end_cb)(struct flow *f, enum flow_end_reason reason,
	    void *arg);

/* Called for each packet once it is counted in <f>, with its direction.
 * <pkt> and <f> are borrowed for the call. Not called for packets whose
 * counts wait in the fragment cache. Returns 0, or FLOW_PKT_EXPORT to end
 * the flow now: the table ends its record with FLOW_END_PLUGIN before
 * flow_table_add() returns (the flow is then freed; a later packet of the
 * same key starts a new flow). */
enum {
	FLOW_PKT_CONTINUE = 0,
	FLOW_PKT_EXPORT = 1,
};
typedef int (*flow_pkt_cb)(struct flow *f, enum flow_dir dir,
	    const struct dec_pkt *pkt, void *arg);

struct flow_table;

/* Returns owned (free with flow_table_free), or NULL with <err> filled.
 * <end_cb> is required; <pkt_cb> may be NULL. */
struct flow_table *flow_table_new(const struct flow_table_conf *conf,
	    flow_end_cb end_cb, flow_pkt_cb pkt_cb, void *cb_arg,
	    struct perr *err);
/* NULL is fine. Does not call end_cb: flush first. */
void	flow_table_free(struct flow_table *t);

/*
 * Accounts one decoded packet (borrowed for the call) at its time
 * pkt->ts_us: first expires some of what is due at that time (end_cb; at
 * most a fixed number of list heads, the rest at the next calls), then
 * finds or creates its flow (ending it first if it is due; evicting the
 * least recently used flow, to within a second, when the table is full),
 * counts it and calls pkt_cb. Returns 0; the packet is always
 * accounted, in a flow or in the fragment cache, except when the pool
 * cannot grow and no flow can be evicted (memory exhausted): then -ENOMEM,
 * counted in nomem_drops. Called from inside a callback: -EDEADLK.
 */
int	flow_table_add(struct flow_table *t, const struct dec_pkt *pkt);

/* Ends every record due at <now_us> (idle, active, end grace, old
 * fragments). Returns how many records were ended (end_cb calls). An
 * active timeout whose record has no packet yields no callback. Times
 * before the table's "now" are taken as that "now". */
size_t	flow_table_expire(struct flow_table *t, uint64_t now_us);

/* Ends every flow with <reason> (normally FLOW_END_FORCED; FLOW_END_ACTIVE
 * or an unknown value is taken as FLOW_END_FORCED), but a flow already due
 * at table time ends with the reason it is due for (idle, end grace; an
 * active timeout first cuts its record), after turning the
 * fragments still waiting for their first into flows without ports (which
 * may evict flows with FLOW_END_RESOURCES when the table is full). Returns
 * records ended; the table is empty afterwards. */
size_t	flow_table_flush(struct flow_table *t, enum flow_end_reason reason);

/*
 * Raises the table's time to <now_us> (never lowers it) without expiry
 * work. A table fed only a shard of the packets (one worker of several)
 * is given, before each packet, the largest time the capture has seen,
 * so deadlines and "last used" times are those a single table would
 * have computed. -EDEADLK from inside a callback, else 0.
 */
int	flow_table_set_time(struct flow_table *t, uint64_t now_us);

/*
 * Sharding packets over several tables: a keyed hash of what every
 * packet of one flow, in both directions, and every fragment of one IP
 * datagram share: the two addresses (in canonical order), IP protocol
 * and version, outer VLAN id, tunnel id and ingress interface. Ports are
 * left out on purpose: a later IP fragment has none, and it must reach
 * the table that holds its first fragment (and its fragment cache entry).
 */
struct flow_shard_key {
	uint64_t	k0, k1;
};
/* A key from getrandom() when <seed> is 0, else derived from <seed>.
 * 0, or a negative errno with <err> filled. */
int	flow_shard_key_init(struct flow_shard_key *k, uint64_t seed,
	    struct perr *err);
/* The shard hash of <pkt> (borrowed) under <k>: the same for both
 * directions and for every fragment of a datagram. */
uint32_t flow_shard_hash(const struct flow_shard_key *k,
	    const struct dec_pkt *pkt);

/* Table statistics. */
struct flow_table_stats {
	uint64_t	flows_created;
	uint64_t	records_ended[FLOW_END_MAX]; /* [enum flow_end_reason] */
	uint64_t	frags_matched;		/* later fragments (packets) credited
						 * to their first's flow */
	uint64_t	frags_orphaned;		/* later fragments (packets)
						 * exported without ports */
	uint64_t	nomem_drops;		/* packets lost: no flow memory */
	uint64_t	hash_grows;		/* bucket array doubled */
	uint64_t	hash_reseeds;		/* new hash key after a chain
						 * longer than FLOW_CHAIN_MAX */
	uint32_t	active_flows;
	uint32_t	peak_flows;
	uint32_t	pending_frags;		/* cache entries now */
};
void	flow_table_stats(const struct flow_table *t, struct flow_table_stats *s);

/* Size of one struct flow with its ext area, for memory figures. */
size_t	flow_table_flow_size(const struct flow_table *t);

#endif
