/*
 * tr_udp.c - export messages over UDP, one message per datagram.
 *
 * A connected, non-blocking datagram socket: send() either hands the
 * datagram to the kernel or fails at once; a failure drops the message
 * and is counted (struct tr_stats), never retried later, and warned about
 * once per kind of error. The exporter keeps each message within its MTU
 * (--mtu) and resends templates periodically, since UDP loses silently
 * (RFC 7011 10.3).
 */
#include "transport/tr_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_SNDBUF	(4 * 1024 * 1024)	/* bursts at flow expiry */

struct udp_priv {
	int	fd;
	int	last_err;		/* warned about, 0 after a success */
};

static int
udp_open(struct transport *tr, struct perr *err)
{
	struct udp_priv *u = (struct udp_priv *)tr->priv;
	struct addrinfo *res, *ai;
	int rc, e = 0, sz = UDP_SNDBUF;

	u->fd = -1;
	if ((rc = tr_resolve(tr, SOCK_DGRAM, &res, err)) != 0)
		return rc;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		u->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (u->fd == -1) {
			e = errno;
			continue;
		}
		/* connect() only sets the destination; it also makes the
		 * kernel report ICMP port unreachable on a later send. */
		if (connect(u->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(u->fd);
		u->fd = -1;
	}
	freeaddrinfo(res);
	if (u->fd == -1)
		return perr_set(err, -e, "collector '%s': cannot open a UDP "
		    "socket to '%s': %s", tr->name, tr->target, strerror(e));
	/* Best effort: the kernel caps it at net.core.wmem_max. */
	(void)setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return 0;
}

static int
udp_send(struct transport *tr, const uint8_t *msg, size_t len,
    uint32_t n_records, int first)
{
	struct udp_priv *u = (struct udp_priv *)tr->priv;
	int tries, e = 0;

	(void)first;
	/* A connected UDP socket reports an ICMP error from an earlier
	 * datagram (nobody listening yet) on this send, which then did not
	 * go out: the error is consumed, so try once more. */
	for (tries = 0; tries < 2; tries++) {
		if (send(u->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) ==
		    (ssize_t)len) {
			tr->st.msgs_sent++;
			tr->st.bytes_sent += len;
			u->last_err = 0;
			return 0;
		}
		e = errno;
		if (e != ECONNREFUSED && e != EINTR)
			break;
	}
	if (e == EWOULDBLOCK)
		e = EAGAIN;
	tr->st.msgs_dropped++;
	tr->st.records_dropped += n_records;
	if (e != u->last_err) {
		u->last_err = e;
		log_warn("collector '%s': UDP send failed, messages are "
		    "dropped: %s%s", tr->name, strerror(e),
		    e == ECONNREFUSED ? " (is the collector listening?)" :
		    e == EAGAIN || e == ENOBUFS ? " (socket buffer full)" : "");
	}
	return -e;
}

static void
udp_close(struct transport *tr)
{
	struct udp_priv *u = (struct udp_priv *)tr->priv;

	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}

const struct tr_ops tr_udp_ops = {
	.name = "udp",
	.priv_size = sizeof(struct udp_priv),
	.open = udp_open,
	.send = udp_send,
	.close = udp_close,
};
