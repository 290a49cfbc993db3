/*
 * tr_tcp.c - export messages over TCP (RFC 7011 10.4), never blocking.
 *
 * One non-blocking stream socket and a FIFO of whole messages. tr_send()
 * copies the message into the queue and writes what the socket takes;
 * the rest goes out from later calls (tr_send, tr_poll). Each message is
 * stamped (the exporter's sequence number) just before its first byte is
 * written on a connection. The records waiting to be written are bounded
 * (queue_records, --export-queue), and one message always fits, whatever
 * the bound: a message that would exceed it is dropped and counted, the
 * only way records are lost while the probe runs. Messages written and
 * not yet acknowledged are bounded by the socket's send buffer.
 *
 * A message stays queued after it was written until the collector's TCP
 * stack acknowledged it (SIOCOUTQ), so when the connection breaks the
 * messages that never reached the collector are sent again, whole, on
 * the next connection. A record can then arrive twice (acknowledged in
 * the moment between our last look and the break); the only records lost
 * are those the collector's kernel acknowledged but the collector never
 * read.
 *
 * Delivery is counted when the collector's TCP acknowledged a message
 * (records_sent). At exit (tr_drain) what was never written is dropped;
 * what was written and not acknowledged within the drain time (a stopped
 * or slow collector) is "unacknowledged": the kernel goes on sending it
 * after the probe exits, and the collector may well get it.
 *
 * Connection states: DOWN -> CONNECTING (non-blocking connect) -> UP;
 * any error or the collector closing goes back to DOWN, and the next
 * attempt waits 1 s, doubling up to 30 s, reset by a success. A collector
 * given by name is resolved again before each new attempt (a collector
 * that moves keeps receiving; getaddrinfo may block then). Every new
 * connection first drops the template messages of the old one, then
 * calls the exporter's on_connect hook, which puts its templates ahead of
 * the queued data (TR_MSG_FIRST). Time is a monotonic clock.
 */
#define _GNU_SOURCE	1		/* POLLRDHUP */
#include "transport/tr_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKOFF_MIN_US		1000000u	/* first retry after 1 s */
#define BACKOFF_MAX_US		30000000u	/* then doubling up to 30 s */
#define CONNECT_TIMEOUT_US	10000000u	/* a SYN nobody answers */
#define OPEN_WAIT_MS		2000		/* at start: wait for the verdict */
#define DRAIN_RETRY_US		250000u		/* reconnect pace while draining */

enum tcp_state {
	TCP_DOWN = 0,
	TCP_CONNECTING,
	TCP_UP,
};

struct tcp_msg {
	struct tcp_msg	*next;
	size_t		len;
	size_t		off;		/* bytes written on this connection */
	uint64_t	end_pos;	/* stream offset of its end, once written */
	uint32_t	n_records;
	uint32_t	n_seq;
	uint8_t		first;		/* templates of this connection */
	uint8_t		done;		/* wholly written */
	uint8_t		data[];
};

struct tcp_priv {
	int		fd;
	enum tcp_state	state;
	struct addrinfo	*res;		/* resolved, owned */
	struct addrinfo	*ai;		/* address being tried */
	struct tcp_msg	*head, *tail;
	struct tcp_msg	*unsent;	/* first message not wholly written */
	uint64_t	written;	/* bytes written on this connection */
	uint64_t	next_try_us;
	uint64_t	backoff_us;
	uint64_t	connect_start_us;
	int		connected_once;
	int		numeric;	/* the target needs no DNS */
	int		resolve_warned;
	uint32_t	pending_records; /* in messages not wholly written */
	int		in_cb;		/* inside the on_connect hook */
	int		down_warned;	/* a loss was logged: log the return */
	int		last_err;	/* errno of the last failure */
	char		why[200];	/* and its sentence, for tr_status */
};

static struct tcp_priv *
priv(struct transport *tr)
{
	return (struct tcp_priv *)tr->priv;
}

static void
msg_free(struct transport *tr, struct tcp_msg *m)
{
	tr->st.queued_bytes -= m->len;
	tr->st.queued_records -= m->n_records;
	free(m);
}

/* Frees the messages at the head that the collector acknowledged: the
 * socket's send queue (unsent + unacknowledged) is shorter than what
 * was written after them. Only on a healthy connection: a reset empties
 * the send queue without anything being acknowledged. */
static void
reclaim(struct transport *tr)
{
	struct tcp_priv *t = priv(tr);
	struct tcp_msg *m;
	uint64_t acked;
	int outq;

	if (t->state != TCP_UP || ioctl(t->fd, SIOCOUTQ, &outq) == -1)
		return;
	acked = t->written - (uint64_t)(outq > 0 ? outq : 0);
	while ((m = t->head) != NULL && m->done && m->end_pos <= acked) {
		t->head = m->next;
		if (t->head == NULL)
			t->tail = NULL;
		tr->st.records_sent += m->n_records;
		msg_free(tr, m);
	}
}

static void
schedule_retry(struct transport *tr)
{
	struct tcp_priv *t = priv(tr);

	if (t->backoff_us == 0)
		t->backoff_us = BACKOFF_MIN_US;
	t->next_try_us = tr_mono_us() + t->backoff_us;
	t->backoff_us *= 2;
	if (t->backoff_us > BACKOFF_MAX_US)
		t->backoff_us = BACKOFF_MAX_US;
}

/* Back to DOWN after <e> (positive errno, 0 = the collector closed):
 * what was not acknowledged is sent again on the next connection. */
static void
go_down(struct transport *tr, int e, const char *what)
{
	struct tcp_priv *t = priv(tr);
	struct tcp_msg *m, **pp;
	int was_up = t->state == TCP_UP;

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->state = TCP_DOWN;
	t->written = 0;
	for (pp = &t->head; (m = *pp) != NULL;) {
		if (m->first) {		/* templates of the dead connection */
			*pp = m->next;
			msg_free(tr, m);
			continue;
		}
		m->off = 0;
		m->done = 0;
		m->end_pos = 0;
		pp = &m->next;
	}
	t->tail = NULL;
	for (m = t->head; m != NULL; m = m->next)
		t->tail = m;
	t->unsent = t->head;
	t->pending_records = 0;
	for (m = t->head; m != NULL; m = m->next)
		t->pending_records += m->n_records;
	t->last_err = e != 0 ? e : ECONNRESET;
	if (e == ECONNREFUSED)
		snprintf(t->why, sizeof(t->why), "%s: %s (is it listening?)",
		    what, strerror(e));
	else if (e != 0)
		snprintf(t->why, sizeof(t->why), "%s: %s", what, strerror(e));
	else
		snprintf(t->why, sizeof(t->why), "%s", what);
	if (was_up || !t->down_warned) {
		/* One warning per outage; tr_status has the details at
		 * start, so the first failed connect stays quiet. */
		if (t->connected_once)
			log_warn("collector '%s': %s; %u records queued, "
			    "reconnecting", tr->name, t->why,
			    tr->st.queued_records);
		t->down_warned = t->connected_once;
	}
	schedule_retry(tr);
}

static void pump(struct transport *tr);

static void
go_up(struct transport *tr)
{
	struct tcp_priv *t = priv(tr);

	t->state = TCP_UP;
	t->written = 0;
	t->backoff_us = 0;
	t->last_err = 0;
	t->why[0] = '\0';
	if (t->connected_once)
		tr->st.reconnects++;
	if (t->down_warned)
		log_warn("collector '%s': connected again", tr->name);
	t->down_warned = 0;
	t->connected_once = 1;
	/* No writing while the exporter queues its templates: a data
	 * message begun in between would split them. */
	t->in_cb = 1;
	tr_connected_cb(tr);
	t->in_cb = 0;
	pump(tr);
}

/* A name: resolved again for every new attempt; when that fails, the
 * addresses known are tried (and the failure warned about once). */
static void
resolve_again(struct transport *tr)
{
	struct tcp_priv *t = priv(tr);
	struct addrinfo *res;
	struct perr err = { 0, "" };

	if (t->numeric)
		return;
	if (tr_resolve(tr, SOCK_STREAM, &res, &err) != 0) {
		if (!t->resolve_warned)
			log_warn("%s; trying the addresses it had", err.msg);
		t->resolve_warned = 1;
		return;
	}
	t->resolve_warned = 0;
	if (t->res != NULL)
		freeaddrinfo(t->res);
	t->res = res;
	t->ai = NULL;
}

/* Starts a non-blocking connect to the next address that takes one. */
static void
start_connect(struct transport *tr)
{
	struct tcp_priv *t = priv(tr);
	struct addrinfo *ai;
	int e = 0;

	if (t->connected_once || t->last_err != 0)
		resolve_again(tr);
	for (ai = t->res; ai != NULL; ai = ai->ai_next) {
		t->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (t->fd == -1) {
			e = errno;
			continue;
		}
		if (connect(t->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			t->ai = ai;
			go_up(tr);
			return;
		}
		e = errno;
		if (e == EINPROGRESS) {
			t->ai = ai;
			t->state = TCP_CONNECTING;
			t->connect_start_us = tr_mono_us();
			return;
		}
		close(t->fd);
		t->fd = -1;
	}
	go_down(tr, e, "connect failed");
}

/* CONNECTING: has the connect finished? <wait_ms> = 0 only looks. */
static void
check_connect(struct transport *tr, int wait_ms)
{
	struct tcp_priv *t = priv(tr);
	struct pollfd pfd = { .fd = t->fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int e = 0, r;

	if (t->state != TCP_CONNECTING)
		return;
	while ((r = poll(&pfd, 1, wait_ms)) == -1 && errno == EINTR)
		;
	if (r == 0) {
		if (tr_mono_us() - t->connect_start_us > CONNECT_TIMEOUT_US)
			go_down(tr, ETIMEDOUT, "connect failed");
		return;
	}
	if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		e = errno;
	if (e != 0) {
		/* Another address of the name may answer. */
		struct addrinfo *next = t->ai != NULL ? t->ai->ai_next : NULL;

		close(t->fd);
		t->fd = -1;
		for (; next != NULL; next = next->ai_next) {
			t->fd = socket(next->ai_family, next->ai_socktype |
			    SOCK_NONBLOCK | SOCK_CLOEXEC, next->ai_protocol);
			if (t->fd == -1)
				continue;
			if (connect(t->fd, next->ai_addr, next->ai_addrlen) ==
			    -1 && errno == EINPROGRESS) {
				t->ai = next;
				t->connect_start_us = tr_mono_us();
				return;
			}
			close(t->fd);
			t->fd = -1;
		}
		go_down(tr, e, "connect failed");
		return;
	}
	go_up(tr);
}

/* UP: writes queued messages until the socket is full. */
static void
pump(struct transport *tr)
{
	struct tcp_priv *t = priv(tr);
	struct tcp_msg *m;
	ssize_t n;

	while (t->state == TCP_UP && (m = t->unsent) != NULL) {
		if (m->off == 0)
			tr_stamp(tr, m->data, m->len, m->n_seq);
		n = send(t->fd, m->data + m->off, m->len - m->off,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			go_down(tr, errno, "connection lost");
			return;
		}
		m->off += (size_t)n;
		t->written += (uint64_t)n;
		if (m->off == m->len) {
			m->done = 1;
			m->end_pos = t->written;
			t->unsent = m->next;
			t->pending_records -= m->n_records;
			tr->st.msgs_sent++;
			tr->st.bytes_sent += m->len;
		}
	}
	reclaim(tr);
}

/* UP: did the collector close or reset the connection? Collectors send
 * nothing on an IPFIX stream, so anything readable is an end. */
static void
check_peer(struct transport *tr)
{
	struct tcp_priv *t = priv(tr);
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN | POLLRDHUP };
	char buf[512];
	ssize_t n;
	int e = 0;
	socklen_t len = sizeof(e);

	if (t->state != TCP_UP || poll(&pfd, 1, 0) <= 0)
		return;
	if (pfd.revents & (POLLERR | POLLNVAL)) {
		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1 ||
		    e == 0)
			e = ECONNRESET;
		go_down(tr, e, "connection lost");
		return;
	}
	if (pfd.revents & POLLIN) {
		while ((n = recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    !(pfd.revents & (POLLRDHUP | POLLHUP)))
			return;		/* chatter; ignored */
	} else if (!(pfd.revents & (POLLRDHUP | POLLHUP)))
		return;
	/* A clean close (FIN): what it acknowledged it has read. */
	reclaim(tr);
	go_down(tr, 0, "the collector closed the connection");
}

static int
tcp_open(struct transport *tr, struct perr *err)
{
	struct tcp_priv *t = priv(tr);
	int rc;

	t->fd = -1;
	t->numeric = tr_target_numeric(tr);
	if ((rc = tr_resolve(tr, SOCK_STREAM, &t->res, err)) != 0)
		return rc;
	start_connect(tr);
	/* At start the probe may wait a little for the verdict: it decides
	 * whether the probe runs at all (see exp_status). */
	check_connect(tr, OPEN_WAIT_MS);
	if (t->state == TCP_CONNECTING)
		snprintf(t->why, sizeof(t->why), "connect failed: no answer "
		    "within %d s (still trying)", OPEN_WAIT_MS / 1000);
	return 0;
}

static int
tcp_send(struct transport *tr, const struct tr_msg *msg)
{
	struct tcp_priv *t = priv(tr);
	struct tcp_msg *m, *prev, *at;
	int first = (msg->flags & TR_MSG_FIRST) != 0;
	uint32_t n_records = msg->n_records;
	size_t len = msg->len;

	if (!first && n_records == 0 && t->state == TCP_DOWN) {
		/* Options records and the like: the exporter resends them
		 * on the next connection anyway. */
		tr->st.msgs_dropped++;
		return 0;
	}
	/* Bounded: the records waiting to be written; one message always
	 * fits, so a bound smaller than a message still delivers. */
	if (!first && t->pending_records > 0 &&
	    (uint64_t)t->pending_records + n_records > tr->queue_records) {
		tr->st.msgs_dropped++;
		tr->st.records_dropped += n_records;
		return -ENOBUFS;
	}
	if ((m = malloc(sizeof(*m) + len)) == NULL) {
		tr->st.msgs_dropped++;
		tr->st.records_dropped += n_records;
		return -ENOMEM;
	}
	memset(m, 0, sizeof(*m));
	memcpy(m->data, msg->data, len);
	m->len = len;
	m->n_records = n_records;
	m->n_seq = msg->n_seq;
	m->first = (uint8_t)(first != 0);
	tr->st.queued_bytes += len;
	tr->st.queued_records += n_records;
	t->pending_records += n_records;
	if (!first) {
		if (t->tail != NULL)
			t->tail->next = m;
		else
			t->head = m;
		t->tail = m;
		if (t->unsent == NULL)
			t->unsent = m;
	} else {
		/* After what is (partly) written and the templates already
		 * put first, before everything else. */
		prev = NULL;
		for (at = t->head; at != NULL && (at->done || at->off > 0 ||
		    at->first); at = at->next)
			prev = at;
		m->next = at;
		if (prev != NULL)
			prev->next = m;
		else
			t->head = m;
		if (at == NULL)
			t->tail = m;
		if (t->unsent == at)
			t->unsent = m;
	}
	/* The message is copied: a connect finishing here may call the
	 * exporter back (on_connect), which reuses its own buffer. */
	if (!first)
		check_connect(tr, 0);
	if (!t->in_cb)
		pump(tr);
	return 0;
}

static void
tcp_poll(struct transport *tr, uint64_t now_us)
{
	struct tcp_priv *t = priv(tr);

	(void)now_us;
	switch (t->state) {
	case TCP_DOWN:
		if (tr_mono_us() >= t->next_try_us)
			start_connect(tr);
		break;
	case TCP_CONNECTING:
		check_connect(tr, 0);
		break;
	case TCP_UP:
		check_peer(tr);
		pump(tr);
		break;
	}
}

static int
tcp_status(const struct transport *tr, struct perr *why)
{
	const struct tcp_priv *t = (const struct tcp_priv *)tr->priv;

	if (t->state == TCP_UP)
		return 0;
	return perr_set(why, -(t->last_err != 0 ? t->last_err : EAGAIN),
	    "collector '%s': %s", tr->name, t->why[0] != '\0' ? t->why :
	    "not connected");
}

/* Data records still queued (templates do not count). */
static int
queue_has_data(const struct transport *tr)
{
	const struct tcp_priv *t = (const struct tcp_priv *)tr->priv;
	const struct tcp_msg *m;

	for (m = t->head; m != NULL; m = m->next)
		if (!m->first)
			return 1;
	return 0;
}

static int
tcp_drain(struct transport *tr, uint32_t timeout_ms)
{
	struct tcp_priv *t = priv(tr);
	uint64_t now, deadline = tr_mono_us() + (uint64_t)timeout_ms * 1000;
	struct pollfd pfd;
	struct tcp_msg *m;
	uint32_t left_recs = 0, left_msgs = 0;
	uint32_t unacked_recs = 0, unacked_msgs = 0;
	int wait;

	while (queue_has_data(tr) && (now = tr_mono_us()) < deadline) {
		wait = (int)((deadline - now) / 1000);
		if (wait > 100)
			wait = 100;
		switch (t->state) {
		case TCP_DOWN:
			/* One more chance, at a faster pace than the
			 * backoff: the probe is about to exit. */
			if (now + DRAIN_RETRY_US < t->next_try_us)
				t->next_try_us = now + DRAIN_RETRY_US;
			if (now >= t->next_try_us)
				start_connect(tr);
			else
				poll(NULL, 0, wait);
			break;
		case TCP_CONNECTING:
			check_connect(tr, wait);
			break;
		case TCP_UP:
			check_peer(tr);
			pump(tr);
			if (t->state != TCP_UP || !queue_has_data(tr))
				break;
			/* Written but not yet acknowledged, or the socket
			 * is full: wait for room or for the ACKs. */
			pfd.fd = t->fd;
			pfd.events = t->unsent != NULL ? POLLOUT : 0;
			if (poll(&pfd, 1, t->unsent != NULL ? wait : 5) == -1 &&
			    errno != EINTR)
				wait = 0;
			break;
		}
	}
	reclaim(tr);
	while ((m = t->head) != NULL) {
		t->head = m->next;
		if (!m->first && t->state == TCP_UP &&
		    (m->done || m->off > 0)) {
			/* In the socket: the kernel keeps sending it. */
			unacked_msgs++;
			unacked_recs += m->n_records;
		} else if (!m->first) {
			left_msgs++;
			left_recs += m->n_records;
		}
		msg_free(tr, m);
	}
	t->tail = t->unsent = NULL;
	t->pending_records = 0;
	tr->st.msgs_dropped += left_msgs;
	tr->st.records_dropped += left_recs;
	tr->st.msgs_unacked += unacked_msgs;
	tr->st.records_unacked += unacked_recs;
	if (left_msgs > 0)
		log_warn("collector '%s': %u records could not be delivered "
		    "before exit%s%s", tr->name, left_recs, t->why[0] != '\0' ?
		    ": " : "", t->why);
	if (unacked_msgs > 0)
		log_warn("collector '%s': %u records were written but not "
		    "acknowledged by the collector within %u ms; the system "
		    "goes on sending them after exit", tr->name, unacked_recs,
		    timeout_ms);
	return left_msgs > 0 || unacked_msgs > 0 ? -ETIMEDOUT : 0;
}

static void
tcp_close(struct transport *tr)
{
	struct tcp_priv *t = priv(tr);
	struct tcp_msg *m;

	while ((m = t->head) != NULL) {	/* tr_drain accounted for them */
		t->head = m->next;
		free(m);
	}
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->res != NULL)
		freeaddrinfo(t->res);
	t->res = NULL;
}

const struct tr_ops tr_tcp_ops = {
	.name = "tcp",
	.priv_size = sizeof(struct tcp_priv),
	.open = tcp_open,
	.send = tcp_send,
	.poll = tcp_poll,
	.status = tcp_status,
	.drain = tcp_drain,
	.close = tcp_close,
};
