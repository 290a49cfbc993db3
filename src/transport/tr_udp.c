/*
 * tr_udp.c - export messages over UDP, one message per datagram.
 *
 * A connected, non-blocking datagram socket. Messages are handed to the
 * kernel in batches, up to UDP_BATCH datagrams in one sendmmsg() call:
 * a batch goes when it is full, when a message comes UDP_HOLD_US or more
 * after its first one, and at every tr_poll (the exporter's flush, at
 * least once a second) and tr_drain; until then its records are queued
 * (tr_stats). Fewer calls, and a collector on this host is woken once per batch
 * rather than once per datagram. What is counted (struct tr_stats), and
 * what "sent" means for UDP:
 *  - a datagram the kernel accepted is sent (msgs_sent, records_sent);
 *  - a datagram the kernel did not accept (socket buffer full, no route)
 *    is dropped (msgs_dropped, records_dropped), never retried later;
 *  - a sent datagram that the collector's host refused (ICMP port
 *    unreachable: nobody listening) is reported by the kernel on the next
 *    send, or when tr_poll/tr_drain look: each report counts one refused
 *    datagram (msgs_refused) and the records of the datagram sent just
 *    before it (records_refused; exact when the ICMP error arrives before
 *    the next send, as on loopback and a LAN). The send that returned the
 *    report did not go out and is tried again at once. The kernel keeps
 *    one pending error per socket: two refusals between two looks count
 *    once. sendmmsg() does not say why a datagram after the first one of
 *    a call did not go: that datagram is sent again alone, and when it
 *    then goes, the failure was such a report (the only one a retry at
 *    once clears, but for a full socket buffer that emptied in between),
 *    counted so.
 * Each kind of failure is warned about once. At exit (tr_drain) the
 * records known lost, dropped and refused, are said in one warning
 * naming the collector, and tr_drain returns a negative errno: the
 * probe's exit status is 1 (doc/FAULTS.md). What the collector's host
 * took and then lost is not known here. The report about the last
 * datagram is waited for at exit: up to 100 ms for a collector on
 * another host (a round trip), 10 ms for one on this host, whose refusal
 * comes back while the send runs (the wait only covers a busy kernel
 * that finishes delivery a little later). The exporter keeps each
 * message within its MTU (--mtu; by default larger for a collector on
 * this host: tr_local_max) and resends templates periodically, since UDP
 * loses silently (RFC 7011 10.3).
 */
#define _GNU_SOURCE	1		/* sendmmsg */
#include "transport/tr_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_SNDBUF	(4 * 1024 * 1024)	/* bursts at flow expiry */
#define EXIT_WAIT_MS	100	/* the last datagram's ICMP report */
#define EXIT_WAIT_LOCAL_MS 10	/* the same, the collector on this host */
#define UDP_BATCH	16		/* datagrams per sendmmsg() */
#define UDP_BATCH_BYTES	(64 * 1024)	/* their bytes, at most; a larger
					 * message goes alone */
#define UDP_HOLD_US	20000u		/* a later message sends the batch */

/* A message waiting in the batch: its bytes are at <off> in the buffer. */
struct udp_msg {
	size_t		off;
	size_t		len;
	uint32_t	n_records;
	uint32_t	n_seq;
};

struct udp_priv {
	int	fd;
	int	last_err;		/* warned about, 0 after a success */
	uint32_t last_records;		/* in the last datagram sent */
	int	unreported;		/* sent since the last ICMP report */
	int	local;			/* the collector is on this host */
	size_t	local_max;		/* then: the largest payload */
	uint8_t	*buf;			/* the batch's bytes (UDP_BATCH_BYTES) */
	size_t	used;
	struct udp_msg q[UDP_BATCH];
	int	nq;
	uint64_t first_us;		/* when q[0] came */
};

/* Whether the connected socket's datagrams stay on this host (u->local),
 * and then the largest payload of one that is not fragmented (the
 * kernel's MTU for the socket's route, the loopback's, less the IP and
 * UDP headers; 0 when it cannot tell). */
static void
look_local(struct udp_priv *u)
{
	struct sockaddr_storage self, peer;
	socklen_t ls = sizeof(self), lp = sizeof(peer), len = sizeof(int);
	int mtu = 0, v6, hdr;

	u->local = 0;
	u->local_max = 0;
	if (getsockname(u->fd, (struct sockaddr *)&self, &ls) != 0 ||
	    getpeername(u->fd, (struct sockaddr *)&peer, &lp) != 0 ||
	    !tr_addr_local((struct sockaddr *)&self, (struct sockaddr *)&peer))
		return;
	u->local = 1;
	v6 = peer.ss_family == AF_INET6;
	if (getsockopt(u->fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU :
	    IP_MTU, &mtu, &len) != 0)
		return;
	hdr = (v6 ? 40 : 20) + 8;
	if (mtu <= hdr)
		return;
	/* IPv4's total length is 16 bits, the loopback's MTU 65536. */
	u->local_max = (size_t)(mtu - hdr) < 65507 ? (size_t)(mtu - hdr) :
	    65507;
}

static int
udp_open(struct transport *tr, struct perr *err)
{
	struct udp_priv *u = (struct udp_priv *)tr->priv;
	struct addrinfo *res, *ai;
	int rc, e = 0, sz = UDP_SNDBUF;

	u->fd = -1;
	if ((u->buf = malloc(UDP_BATCH_BYTES)) == NULL)
		return perr_set(err, -ENOMEM, "collector '%s': out of memory",
		    tr->name);
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
	look_local(u);
	/* Best effort: the kernel caps it at net.core.wmem_max. */
	(void)setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return 0;
}

/* One ICMP refusal reported by the kernel: it concerns a datagram sent
 * earlier, most likely the last one. */
static void
note_refused(struct transport *tr)
{
	struct udp_priv *u = (struct udp_priv *)tr->priv;

	tr->st.msgs_refused++;
	tr->st.records_refused += u->last_records;
	u->last_records = 0;
	u->unreported = 0;
	if (u->last_err != ECONNREFUSED) {
		u->last_err = ECONNREFUSED;
		log_warn("collector '%s': datagrams refused by the collector's "
		    "host: %s (is the collector listening?); they are counted "
		    "as refused", tr->name, strerror(ECONNREFUSED));
	}
}

static void
sent(struct transport *tr, size_t len, uint32_t n_records)
{
	struct udp_priv *u = (struct udp_priv *)tr->priv;

	tr->st.msgs_sent++;
	tr->st.bytes_sent += len;
	tr->st.records_sent += n_records;
	u->last_records = n_records;
	u->unreported = 1;
	if (u->last_err != ECONNREFUSED)
		u->last_err = 0;
}

/* A datagram that did not go: dropped, counted, warned once per kind. */
static int
dropped(struct transport *tr, uint32_t n_records, int e)
{
	struct udp_priv *u = (struct udp_priv *)tr->priv;

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

/*
 * One datagram, alone (already stamped). A connected UDP socket reports
 * an ICMP error from an earlier datagram on this send, which then did not
 * go out: the error is consumed (and counted), so try again. <unsaid>: a
 * sendmmsg() call before stopped at this datagram without saying why;
 * when it goes now, that was such a report.
 */
static int
send_one(struct transport *tr, const uint8_t *data, size_t len,
    uint32_t n_records, int unsaid)
{
	struct udp_priv *u = (struct udp_priv *)tr->priv;
	int tries, e = 0;

	for (tries = 0; tries < 3; tries++) {
		if (send(u->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL) ==
		    (ssize_t)len) {
			if (unsaid && tries == 0)
				note_refused(tr);
			sent(tr, len, n_records);
			return 0;
		}
		e = errno;
		if (e == ECONNREFUSED)
			note_refused(tr);
		else if (e != EINTR)
			break;
	}
	return dropped(tr, n_records, e);
}

/* The batch goes to the kernel, in order: stamped, then as few
 * sendmmsg() calls as the kernel takes; a datagram it stops at goes
 * alone, and the rest go on. */
static void
push(struct transport *tr)
{
	struct udp_priv *u = (struct udp_priv *)tr->priv;
	struct mmsghdr mv[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	const struct udp_msg *m;
	int i, k, r;

	if (u->nq == 0)
		return;
	memset(mv, 0, sizeof(mv));
	for (i = 0; i < u->nq; i++) {
		m = &u->q[i];
		tr_stamp(tr, u->buf + m->off, m->len, m->n_seq);
		iov[i].iov_base = u->buf + m->off;
		iov[i].iov_len = m->len;
		mv[i].msg_hdr.msg_iov = &iov[i];
		mv[i].msg_hdr.msg_iovlen = 1;
	}
	for (i = 0; i < u->nq; ) {
		r = sendmmsg(u->fd, mv + i, (unsigned)(u->nq - i),
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		for (k = i; k < i + r; k++)
			sent(tr, u->q[k].len, u->q[k].n_records);
		if (r > 0)
			i += r;
		if (i == u->nq)
			break;
		/* Datagram i did not go: alone, it says why (r < 0: the
		 * call's first one did not go, and errno is not lost). */
		m = &u->q[i];
		if (r < 0 && errno == ECONNREFUSED)
			note_refused(tr);
		(void)send_one(tr, u->buf + m->off, m->len, m->n_records,
		    r > 0);
		i++;
	}
	u->nq = 0;
	u->used = 0;
}

static int
udp_send(struct transport *tr, const struct tr_msg *msg)
{
	struct udp_priv *u = (struct udp_priv *)tr->priv;
	struct udp_msg *m;
	uint64_t now;

	if (msg->len > UDP_BATCH_BYTES) {
		/* Behind what is queued, alone: the kernel says at once
		 * whether it takes a datagram this large. */
		push(tr);
		tr_stamp(tr, msg->data, msg->len, msg->n_seq);
		return send_one(tr, msg->data, msg->len, msg->n_records, 0);
	}
	if (u->used + msg->len > UDP_BATCH_BYTES)
		push(tr);
	now = tr_mono_us();
	if (u->nq == 0)
		u->first_us = now;
	m = &u->q[u->nq++];
	m->off = u->used;
	m->len = msg->len;
	m->n_records = msg->n_records;
	m->n_seq = msg->n_seq;
	memcpy(u->buf + u->used, msg->data, msg->len);
	u->used += msg->len;
	if (u->nq == UDP_BATCH || now - u->first_us >= UDP_HOLD_US)
		push(tr);
	return 0;
}

/* Collects an error the kernel holds for the socket (an ICMP report
 * about the last datagram), waiting at most <wait_ms> for it. */
static void
collect_error(struct transport *tr, int wait_ms)
{
	struct udp_priv *u = (struct udp_priv *)tr->priv;
	struct pollfd pfd = { .fd = u->fd, .events = 0 };
	socklen_t len = sizeof(int);
	int e = 0;

	if (u->fd < 0 || poll(&pfd, 1, wait_ms) <= 0 ||
	    !(pfd.revents & POLLERR))
		return;
	if (getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 &&
	    e == ECONNREFUSED)
		note_refused(tr);
}

static void
udp_poll(struct transport *tr, uint64_t now_us)
{
	(void)now_us;
	push(tr);
	collect_error(tr, 0);
}

/* At exit: the report about the last datagram may be on its way. Then
 * the records known lost: -ENOBUFS (some the kernel did not take),
 * -ECONNREFUSED (only refusals), 0 none. */
static int
udp_drain(struct transport *tr, uint32_t timeout_ms)
{
	struct udp_priv *u = (struct udp_priv *)tr->priv;
	const struct tr_stats *st = &tr->st;
	uint32_t wait = u->local ? EXIT_WAIT_LOCAL_MS : EXIT_WAIT_MS;

	push(tr);
	if (u->unreported)
		collect_error(tr, (int)(timeout_ms < wait ? timeout_ms : wait));
	if (st->records_dropped + st->records_refused == 0)
		return 0;
	log_warn("collector '%s': %" PRIu64 " records lost over UDP: %" PRIu64
	    " in %" PRIu64 " datagrams refused by the collector's host (ICMP "
	    "port unreachable: nobody listening), %" PRIu64 " in %" PRIu64
	    " datagrams the kernel did not send", tr->name,
	    st->records_dropped + st->records_refused, st->records_refused,
	    st->msgs_refused, st->records_dropped, st->msgs_dropped);
	return st->records_dropped > 0 ? -ENOBUFS : -ECONNREFUSED;
}

static void
udp_close(struct transport *tr)
{
	struct udp_priv *u = (struct udp_priv *)tr->priv;

	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	free(u->buf);
	u->buf = NULL;
}

/* What waits in the batch. */
static void
udp_stats(const struct transport *tr, struct tr_stats *s)
{
	const struct udp_priv *u = (const struct udp_priv *)tr->priv;
	int i;

	s->queued_bytes = u->used;
	s->queued_records = 0;
	for (i = 0; i < u->nq; i++)
		s->queued_records += u->q[i].n_records;
}

static size_t
udp_local_max(const struct transport *tr)
{
	return ((const struct udp_priv *)tr->priv)->local_max;
}

const struct tr_ops tr_udp_ops = {
	.name = "udp",
	.priv_size = sizeof(struct udp_priv),
	.open = udp_open,
	.send = udp_send,
	.poll = udp_poll,
	.drain = udp_drain,
	.close = udp_close,
	.stats = udp_stats,
	.local_max = udp_local_max,
};
