/*
 * l7probe/plugin.h - the plugin interface of l7probe: per-flow metrics and
 * classifiers in C whose values are exported like built-in fields (IPFIX,
 * NetFlow v9, JSON).
 *
 * A plugin is a shared object loaded with
 *	l7probe --plugin PATH.so[:ARGS]
 * that defines one symbol, L7_PLUGIN_SYMBOL ("l7_plugin"), a const struct
 * l7_plugin whose api_version is L7_PLUGIN_API_VERSION. Build one with
 *	cc -shared -fPIC $(pkg-config --cflags l7probe) -o my.so my.c
 * doc/plugins.md walks through it.
 *
 * Two forms:
 *   - a metric: one function, metric(), called for every packet of every
 *     flow with the packet, the flow and the metric's current value (0 at
 *     flow start); it returns the new value. One integer field.
 *   - a classifier: on_flow_init() at a flow's first packet,
 *     on_flow_update() for every packet (its return value may force the
 *     flow's export now), on_flow_terminate() when the flow ends, and
 *     on_exit() once at the end. Its per-flow state is state_size bytes
 *     owned by the core, zeroed at flow start; its fields are values in
 *     that state, at the offsets it declares.
 *
 * Fields. Each has a name (the JSON key, the IPFIX element name in the RFC
 * 5610 type records), a type, and an element id under the probe's PEN
 * (--pen, 32473 by default); in NetFlow v9, which has no PEN, its field
 * type is 49152 + id. A field name or id already used (built in or by
 * another plugin) stops the probe. Fields join the default template, or
 * are named in a -T template file.
 *
 * Values are the flow's so far: plugin state lives as long as the flow,
 * also across active-timeout records (each record carries the values at
 * its export).
 *
 * Threading rules. init() and on_exit() run once each, on the main thread,
 * before the first and after the last packet. The per-flow hooks of one
 * flow always run on the thread that owns that flow; with several worker
 * threads, hooks of different flows run concurrently on different
 * threads. So: per-flow data goes in the state (never in globals), ctx
 * (what init() returned) is shared by every thread and must be read-only
 * after init(), or protected by the plugin itself. No hook may block,
 * sleep or call back into the probe except through the views' functions.
 * Views and their pointers are borrowed for the call.
 *
 * Errors. A plugin built for another API version, a missing symbol, an
 * init() failure, a bad or clashing field: the probe prints a message
 * naming the plugin and exits with status 2, before any output is opened.
 */
#ifndef L7PROBE_PLUGIN_H
#define L7PROBE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define L7_PLUGIN_API_VERSION	1
#define L7_PLUGIN_SYMBOL	"l7_plugin"

/* Field types: their RFC 5610 / IANA abstract data type numbers. */
enum l7_type {
	L7_BYTES = 0,		/* octetArray, at most max_len octets */
	L7_U8 = 1,
	L7_U16 = 2,
	L7_U32 = 3,
	L7_U64 = 4,
	L7_S64 = 8,		/* signed64 */
	L7_F64 = 10,		/* float64 */
	L7_STRING = 13,		/* at most max_len octets */
	L7_IPV4 = 18,		/* 4 octets, network order */
	L7_IPV6 = 19,		/* 16 octets, network order */
};

/*
 * A field. In a classifier's state at <offset>, host order, as:
 *	L7_U8..L7_U64, L7_S64, L7_F64	uint8_t..uint64_t, int64_t, double
 *					(8-byte ones 8-aligned)
 *	L7_STRING			char[max_len + 1], NUL-terminated
 *	L7_BYTES			uint16_t length, then max_len octets
 *	L7_IPV4, L7_IPV6		4 or 16 octets, network order
 * A metric's one field keeps its value in the core (offset unused).
 */
struct l7_field {
	const char	*name;		/* [A-Za-z0-9_], at most 63 chars */
	enum l7_type	type;
	uint16_t	id;		/* element id, 1..16383, under --pen */
	uint16_t	max_len;	/* L7_STRING, L7_BYTES: 1..1024 */
	size_t		offset;		/* classifier: in the state */
	const char	*desc;		/* one line, for the RFC 5610 record */
};

enum l7_dir {
	L7_SRC_TO_DST = 0,		/* as the flow's first packet */
	L7_DST_TO_SRC = 1,
};

/* TCP flags, as in l7_pkt.tcp_flags. */
#define L7_TCP_FIN	0x01
#define L7_TCP_SYN	0x02
#define L7_TCP_RST	0x04
#define L7_TCP_PSH	0x08
#define L7_TCP_ACK	0x10
#define L7_TCP_URG	0x20
#define L7_TCP_ECE	0x40
#define L7_TCP_CWR	0x80

/* The packet, read-only. */
struct l7_pkt {
	uint64_t	ts_us;		/* time, us since the epoch */
	enum l7_dir	dir;
	uint32_t	ip_len;		/* IP total length (what is counted) */
	uint32_t	payload_len;	/* L4 payload octets, from the headers */
	const uint8_t	*payload;	/* its captured octets (may be fewer:
					 * payload_caplen), NULL if none */
	uint32_t	payload_caplen;
	uint16_t	sport;		/* this packet's ports, 0 if none */
	uint16_t	dport;
	uint8_t		proto;		/* IP protocol */
	uint8_t		tcp_flags;	/* L7_TCP_*, TCP only */
	uint8_t		icmp_type;	/* ICMP, ICMPv6 only */
	uint8_t		icmp_code;
	uint8_t		is_later_fragment; /* no L4 header: ports are the
					 * flow's, payload NULL */
	const uint8_t	*l4;		/* the L4 header as captured, NULL if
					 * none (later fragments) */
	uint32_t	l4_caplen;	/* its captured octets, payload
					 * included */
	uint32_t	tcp_seq;	/* TCP only (l4_caplen >= 16), host */
	uint32_t	tcp_ack;	/* order */
	uint16_t	tcp_window;
};

/* Counters of one direction of the flow, this packet included. */
struct l7_dir_counters {
	uint64_t	pkts;
	uint64_t	bytes;		/* sum of IP total lengths */
	uint64_t	first_us;	/* 0 while pkts is 0 */
	uint64_t	last_us;
	uint8_t		tcp_flags;	/* OR of the flags seen */
};

/* A value read with l7_flow.get(). */
struct l7_value {
	enum l7_type	type;
	uint64_t	u;		/* L7_U8..L7_U64 */
	int64_t		s;		/* L7_S64 */
	double		f;		/* L7_F64 */
	const void	*ptr;		/* L7_STRING, L7_BYTES, addresses */
	size_t		len;
};

/* The flow, read-only. Counters are those of the current record (they
 * restart after an active-timeout export). */
struct l7_flow {
	uint8_t		ip_version;	/* 4 or 6 */
	uint8_t		proto;
	uint16_t	sport;		/* source: sender of the first packet */
	uint16_t	dport;
	uint16_t	vlan_id;
	uint32_t	tunnel_id;
	uint32_t	ifindex;	/* ingress interface, 0 = unknown */
	uint8_t		src[16];	/* network order, IPv4 in 4 octets */
	uint8_t		dst[16];
	struct l7_dir_counters	c[2];	/* [enum l7_dir] */
	/* Application and category names as nDPI gives them ("TLS.Instagram",
	 * "SocialNetwork"); "Unknown"/"Unspecified" until known. Valid until
	 * the hook returns. */
	const char	*(*app_name)(const struct l7_flow *flow);
	const char	*(*category_name)(const struct l7_flow *flow);
	/* Another plugin's field of this flow by name: 0 and <out>, or -1
	 * when no such field. Pointers in <out> valid until the hook
	 * returns. */
	int		(*get)(const struct l7_flow *flow, const char *field,
			    struct l7_value *out);
	const void	*core;		/* the probe's, do not touch */
};

/* on_flow_update() return values. */
enum {
	L7_CONTINUE = 0,
	L7_EXPORT_NOW = 1,		/* end the flow and export it now (JSON
					 * export_reason 3, IPFIX flowEndReason
					 * 4); its next packet starts a new
					 * flow */
};

struct l7_plugin {
	uint32_t	api_version;	/* L7_PLUGIN_API_VERSION */
	const char	*name;		/* for messages */
	const struct l7_field *fields;
	size_t		n_fields;	/* metric: exactly 1, an integer */
	size_t		state_size;	/* classifier: per-flow bytes, zeroed
					 * at flow start; up to 64 KiB */

	/* Optional: parses <args> (after ':' in --plugin, "" if none),
	 * returns 0 and sets *ctx (passed to every hook), or non-zero with
	 * a message in <err> (<err_size> bytes). */
	int		(*init)(const char *args, void **ctx, char *err,
			    size_t err_size);
	/* Optional: once, after the last flow. */
	void		(*on_exit)(void *ctx);

	/* Metric form: the new value of the field. */
	uint64_t	(*metric)(void *ctx, const struct l7_pkt *pkt,
			    const struct l7_flow *flow, uint64_t value);

	/* Classifier form (all optional; not with metric). */
	void		(*on_flow_init)(void *ctx, void *state,
			    const struct l7_flow *flow);
	int		(*on_flow_update)(void *ctx, void *state,
			    const struct l7_pkt *pkt,
			    const struct l7_flow *flow);
	/* The flow ends for good (not at an active timeout), before its
	 * last record is exported: last chance to set the fields. */
	void		(*on_flow_terminate)(void *ctx, void *state,
			    const struct l7_flow *flow);
};

#ifdef __cplusplus
}
#endif

#endif
