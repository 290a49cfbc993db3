/*
 * tr_int.h - for the files of src/transport/ only (and the white-box test
 * tests/unit/test_transport.c): the ops table every transport implements
 * and the common part of struct transport.
 *
 * transport.c owns struct transport, keeps the table of transports, parses
 * targets and dispatches to one const struct tr_ops per file (tr_udp.c,
 * tr_tcp.c, tr_file.c; a new transport adds one file and one line in the
 * table). Each keeps its state in the private area transport.c allocates
 * (priv_size bytes, zeroed, 8-aligned) right after the common part, and
 * updates the common counters (tr->st) itself.
 *
 * Every hook runs on the capture thread, from the tr_* call of the same
 * name; the contracts below add to those of transport.h.
 */
#ifndef L7_TR_INT_H
#define L7_TR_INT_H

#include <netdb.h>

#include "transport/transport.h"

#define TR_NAME_MAX	256

struct tr_ops {
	const char	*name;			/* "udp", "tcp", "file", "kafka" */
	size_t		priv_size;
	/* Makes the socket or file from tr->target, tr->default_port, ...
	 * Returns 0 or a negative errno with <err> set; close() is called
	 * on failure. Calls tr_connected_cb() when a stream is up. */
	int	(*open)(struct transport *tr, struct perr *err);
	/* One whole message (tr_send); calls tr_stamp() right before its
	 * first byte goes out, each time it does. */
	int	(*send)(struct transport *tr, const struct tr_msg *msg);
	void	(*poll)(struct transport *tr, uint64_t now_us);	/* optional */
	/* Pushes queued messages out within <timeout_ms>, then accounts
	 * what is left (dropped or unacknowledged); optional. */
	int	(*drain)(struct transport *tr, uint32_t timeout_ms);
	/* Releases; accepts a half-open transport. tr_close() called
	 * drain first when the transport has one. */
	void	(*close)(struct transport *tr);
	/* SIGHUP: reopen by name; optional (nothing to do). */
	int	(*reopen)(struct transport *tr, struct perr *err);
	/* Adds live figures (queue) to the copy of tr->st in <s>;
	 * optional. */
	void	(*stats)(const struct transport *tr, struct tr_stats *s);
	/* 0, or a negative errno with <why> set; optional (always 0). */
	int	(*status)(const struct transport *tr, struct perr *why);
	/* tr_local_max(); optional (always 0). */
	size_t	(*local_max)(const struct transport *tr);
};

struct transport {
	const struct tr_ops	*ops;
	char			name[TR_NAME_MAX];	/* for messages */
	char			target[TR_NAME_MAX];
	uint16_t		default_port;
	uint32_t		queue_records;
	struct tr_hooks		hooks;
	tr_resolve_fn		resolve;
	struct tr_stats		st;
	int			fatal;		/* negative errno, kept */
	int			drained;
	_Alignas(8) unsigned char priv[];
};

extern const struct tr_ops tr_udp_ops;
extern const struct tr_ops tr_tcp_ops;
extern const struct tr_ops tr_file_ops;
extern const struct tr_ops tr_kafka_ops;	/* tr_kafka.c, tr_kafka_none.c */

/* The hooks, for the ops. */
static inline void
tr_stamp(struct transport *tr, uint8_t *data, size_t len, uint32_t n_seq)
{
	if (tr->hooks.stamp != NULL)
		tr->hooks.stamp(data, len, n_seq, tr->hooks.arg);
}

static inline void
tr_connected_cb(struct transport *tr)
{
	if (tr->hooks.on_connect != NULL)
		tr->hooks.on_connect(tr, tr->hooks.arg);
}

/* Splits <target> into <host> and *<port> (<default_port> when it has
 * none); <name> is for messages. Returns 0 or -EINVAL with <err> set. */
int	tr_parse_target(const char *name, const char *target,
	    uint16_t default_port, char *host, size_t host_size,
	    uint16_t *port, struct perr *err);

/*
 * Resolves tr->target ("HOST[:PORT]", "[v6]:PORT", "[v6]", or a bare
 * IPv6 address without port) for <socktype> with tr->resolve. Returns 0
 * and *<res> (owned: freeaddrinfo), or a negative errno with <err> naming
 * the collector. May block on DNS.
 */
int	tr_resolve(struct transport *tr, int socktype, struct addrinfo **res,
	    struct perr *err);

/* 1 when tr->target's host is a numeric address (no DNS needed). */
int	tr_target_numeric(const struct transport *tr);

/* "192.0.2.7:4739" or "[2001:db8::1]:4739" for an address, for messages. */
void	tr_addr_str(const struct sockaddr *sa, char *buf, size_t size);

/* 1 when datagrams from <self> to <peer> (a connected socket's own and
 * peer addresses) stay on this host: <peer> is a loopback address, or the
 * source address the kernel picked for it (a local address is its own
 * source). Such a datagram is delivered, or refused by ICMP, while the
 * send runs. */
int	tr_addr_local(const struct sockaddr *self,
	    const struct sockaddr *peer);

/* Monotonic clock, microseconds (timeouts at exit). */
uint64_t tr_mono_us(void);

#endif
