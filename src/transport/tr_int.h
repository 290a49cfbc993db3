/*
 * tr_int.h - inside src/transport/ only (and tests/unit/test_transport.c):
 * the per-kind ops table and the common part of struct transport.
 *
 * transport.c owns struct transport, parses targets and dispatches by
 * kind to one const struct tr_ops per file (tr_udp.c, tr_tcp.c,
 * tr_file.c). Each kind keeps its own state in the private area that
 * transport.c allocates (priv_size bytes, zeroed) right after the common
 * part.
 */
#ifndef L7_TR_INT_H
#define L7_TR_INT_H

#include <netdb.h>

#include "transport/transport.h"

#define TR_NAME_MAX	256

struct tr_ops {
	const char	*name;			/* "udp", "tcp", "file" */
	size_t		priv_size;
	/* Makes the socket or file; conf fields are in struct transport.
	 * Returns 0 or a negative errno with <err> set. */
	int	(*open)(struct transport *tr, struct perr *err);
	/* One whole message; <first>: tr_send_first(). See transport.h. */
	int	(*send)(struct transport *tr, const uint8_t *msg, size_t len,
		    uint32_t n_records, int first);
	/* A message with a partition key (tr_send_key); optional: without
	 * it the key is ignored and send() is used. */
	int	(*send_key)(struct transport *tr, const uint8_t *msg,
		    size_t len, uint32_t n_records, const void *key,
		    size_t key_len);
	void	(*poll)(struct transport *tr, uint64_t now_us);	/* optional */
	/* 0, or a negative errno with <why> set; optional (always 0). */
	int	(*status)(const struct transport *tr, struct perr *why);
	/* Queued data messages, in order; optional. */
	void	(*foreach)(struct transport *tr, tr_msg_fn fn, void *arg);
	/* Pushes queued messages out within <timeout_ms>; optional. */
	int	(*drain)(struct transport *tr, uint32_t timeout_ms);
	/* Flushes (bounded), releases; accepts a half-open transport. */
	void	(*close)(struct transport *tr);
};

struct transport {
	const struct tr_ops	*ops;
	enum tr_kind		kind;
	char			name[TR_NAME_MAX];	/* for messages */
	char			target[TR_NAME_MAX];
	uint16_t		default_port;
	uint32_t		queue_records;
	tr_connect_cb		on_connect;
	void			*cb_arg;
	struct tr_stats		st;
	_Alignas(8) unsigned char priv[];
};

extern const struct tr_ops tr_udp_ops;
extern const struct tr_ops tr_tcp_ops;
extern const struct tr_ops tr_file_ops;
extern const struct tr_ops tr_kafka_ops;	/* tr_kafka.c, tr_kafka_none.c */

/* Splits <target> into <host> and *<port> (<default_port> when it has
 * none); <name> is for messages. Returns 0 or -EINVAL with <err> set. */
int	tr_parse_target(const char *name, const char *target,
	    uint16_t default_port, char *host, size_t host_size,
	    uint16_t *port, struct perr *err);

/*
 * Resolves tr->target ("HOST[:PORT]", "[v6]:PORT", "[v6]", or a bare
 * IPv6 address without port) for <socktype>. Returns 0 and *<res>
 * (owned: freeaddrinfo), or a negative errno with <err> naming the
 * collector. Setup time only: getaddrinfo may block on DNS.
 */
int	tr_resolve(struct transport *tr, int socktype, struct addrinfo **res,
	    struct perr *err);

/* "192.0.2.7:4739" or "[2001:db8::1]:4739" for an address, for messages. */
void	tr_addr_str(const struct sockaddr *sa, char *buf, size_t size);

/* Monotonic clock, microseconds (timeouts at exit). */
uint64_t tr_mono_us(void);

#endif
