/*
 * test_transport.c - the transports on loopback: target parsing, UDP to
 * a local socket, TCP to a local listener (templates first on every
 * connection, reconnect after the collector closes, the bounded queue
 * and its drop accounting, draining at exit), and files; then the fault
 * cases: refused datagrams, sequence stamping at the wire, a queue
 * smaller than a message, a stalled collector at exit, a collector that
 * moves, a full device, a file that cannot grow, rotation, a closed pipe.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "transport/tr_int.h"
#include "tutil.h"

static void
test_parse_target(void **unused)
{
	static const struct {
		const char	*target;
		int		rc;
		const char	*host;
		uint16_t	port;
	} cases[] = {
		{ "collector.example",		0, "collector.example", 4739 },
		{ "192.0.2.7:2055",		0, "192.0.2.7", 2055 },
		{ "[2001:db8::1]:9995",		0, "2001:db8::1", 9995 },
		{ "[::1]",			0, "::1", 4739 },
		{ "::1",			0, "::1", 4739 },	/* bare v6 */
		{ "host:0",			-EINVAL, NULL, 0 },
		{ "host:65536",			-EINVAL, NULL, 0 },
		{ "host:4739x",			-EINVAL, NULL, 0 },
		{ "host:",			-EINVAL, NULL, 0 },
		{ ":4739",			-EINVAL, NULL, 0 },
		{ "[::1",			-EINVAL, NULL, 0 },
		{ "[::1]4739",			-EINVAL, NULL, 0 },
		{ "[]:4739",			-EINVAL, NULL, 0 },
	};
	char host[64];
	uint16_t port;
	struct perr err;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(tr_parse_target("c", cases[i].target, 4739,
		    host, sizeof(host), &port, &err), cases[i].rc);
		if (cases[i].rc != 0) {
			assert_non_null(strstr(err.msg, "collector 'c'"));
			continue;
		}
		assert_string_equal(host, cases[i].host);
		assert_int_equal(port, cases[i].port);
	}
}

/* A <type> socket on 127.0.0.1 (as tu_local_socket, <*port> 0 for any)
 * and its "127.0.0.1:PORT" in <target>. */
static int
local_target(int type, uint16_t *port, char *target, size_t size)
{
	int fd = tu_local_socket(type, port);

	snprintf(target, size, "127.0.0.1:%u", *port);
	return fd;
}

/* A port on 127.0.0.1 nobody listens on (yet), in <*port> and <target>. */
static void
dead_target(uint16_t *port, char *target, size_t size)
{
	close(local_target(SOCK_DGRAM, port, target, size));
}

/* A TCP port on 127.0.0.1 that refuses connections: bound, not listening,
 * so no other test running beside this one can take it; listen() on the
 * returned socket makes it a collector that comes late. */
static int
refusing_target(uint16_t *port, char *target, size_t size)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	*port = 0;
	tu_bind_local(fd, port);
	snprintf(target, size, "127.0.0.1:%u", *port);
	return fd;
}

static void
tr_conf(struct transport_conf *tc, const char *kind, const char *target,
    uint32_t queue)
{
	memset(tc, 0, sizeof(*tc));
	tc->kind = kind;
	tc->target = target;
	tc->default_port = 4739;
	tc->queue_records = queue;
	tc->name = "test-collector";
}

static struct transport *
open_tr(const char *kind, const char *target, uint32_t queue,
    tr_connect_fn cb, void *arg, struct perr *err)
{
	struct transport_conf tc;
	struct tr_hooks hooks = { NULL, cb, arg };

	tr_conf(&tc, kind, target, queue);
	return tr_open(&tc, &hooks, err);
}

/* open_tr that must succeed. */
static struct transport *
open_ok(const char *kind, const char *target, uint32_t queue,
    tr_connect_fn cb, void *arg)
{
	struct perr err = { 0, "" };
	struct transport *tr = open_tr(kind, target, queue, cb, arg, &err);

	if (tr == NULL)
		fail_msg("%s", err.msg);
	return tr;
}

/* tr_send of a copy of <len> bytes holding <n> records (and as many
 * sequence units), with TR_MSG_* <flags>. */
static int
send_msg(struct transport *tr, const void *data, size_t len, uint32_t n,
    uint32_t flags)
{
	uint8_t copy[16384];
	struct tr_msg m;

	assert_true(len <= sizeof(copy));
	memcpy(copy, data, len);
	memset(&m, 0, sizeof(m));
	m.data = copy;
	m.len = len;
	m.n_records = n;
	m.n_seq = n;
	m.flags = flags;
	return tr_send(tr, &m);
}

static int
send_buf(struct transport *tr, const void *data, size_t len, uint32_t n)
{
	return send_msg(tr, data, len, n, 0);
}

static int
send_str(struct transport *tr, const char *s, size_t len, uint32_t n)
{
	return send_buf(tr, s, len, n);
}

/* Templates of a new stream. */
static int
send_first(struct transport *tr, const char *s, size_t len)
{
	return send_msg(tr, s, len, 0, TR_MSG_FIRST);
}

/* The largest UDP payload over the loopback, as the kernel's MTU for it
 * gives it (sysfs), with <hdr> bytes of IP and UDP headers. */
static size_t
lo_payload(size_t hdr)
{
	FILE *fp = fopen("/sys/class/net/lo/mtu", "r");
	unsigned long mtu = 0;

	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%lu", &mtu), 1);
	fclose(fp);
	assert_true(mtu > hdr);
	return mtu - hdr < 65507 ? mtu - hdr : 65507;
}

static void
test_udp(void **unused)
{
	struct transport *tr;
	struct tr_stats st;
	struct perr err;
	char target[32], buf[64];
	uint16_t port = 0;
	int fd;

	(void)unused;
	fd = local_target(SOCK_DGRAM, &port, target, sizeof(target));
	tr = open_ok("udp", target, 0, NULL, NULL);
	assert_true(tr_connected(tr));
	assert_int_equal(tr_status(tr, NULL), 0);
	/* On this host: the loopback's path, less 20 + 8 bytes. */
	assert_int_equal(tr_local_max(tr), lo_payload(28));
	assert_int_equal(send_str(tr, "first", 5, 1), 0);
	assert_int_equal(send_str(tr, "second!", 7, 2), 0);
	/* Batched: queued until the batch fills, a message comes 20 ms
	 * after its first (a stalled test), or the exporter's flush polls;
	 * every record is sent or queued meanwhile. */
	tr_get_stats(tr, &st);
	assert_int_equal(st.records_sent + st.queued_records, 3);
	if (st.msgs_sent == 0)
		assert_int_equal(st.queued_bytes, 12);
	tr_poll(tr, 0);
	tr_get_stats(tr, &st);
	assert_int_equal(st.queued_records, 0);
	assert_int_equal(st.queued_bytes, 0);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "first", 5);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 7);
	assert_memory_equal(buf, "second!", 7);
	tr_get_stats(tr, &st);
	assert_int_equal(st.msgs_sent, 2);
	assert_int_equal(st.bytes_sent, 12);
	assert_int_equal(st.msgs_dropped, 0);
	assert_int_equal(tr_drain(tr, 10), 0);
	tr_close(tr);
	close(fd);

	/* Nobody listening: sends do not fail the caller for good. */
	dead_target(&port, target, sizeof(target));
	tr = open_ok("udp", target, 0, NULL, NULL);
	send_str(tr, "x", 1, 1);
	usleep(10000);
	send_str(tr, "y", 1, 1);
	tr_close(tr);

	tr = open_tr("udp", "no-such-host.invalid:4739", 0, NULL, NULL, &err);
	assert_null(tr);
	assert_non_null(strstr(err.msg,
	    "cannot resolve 'no-such-host.invalid'"));
	tr = open_tr("udp", "127.0.0.1:99999", 0, NULL, NULL, &err);
	assert_null(tr);
	assert_non_null(strstr(err.msg, "bad port '99999'"));
}

static void
test_udp_v6(void **unused)
{
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin6);
	struct transport *tr;
	char target[48], buf[16];
	int fd;

	(void)unused;
	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) == -1)
		skip();
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
		close(fd);
		skip();		/* no IPv6 loopback here */
	}
	getsockname(fd, (struct sockaddr *)&sin6, &len);
	snprintf(target, sizeof(target), "[::1]:%u", ntohs(sin6.sin6_port));
	tr = open_ok("udp", target, 0, NULL, NULL);
	assert_int_equal(tr_local_max(tr), lo_payload(48));
	assert_int_equal(send_str(tr, "six", 3, 1), 0);
	tr_poll(tr, 0);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 3);
	tr_close(tr);
	close(fd);
}

/* TCP ------------------------------------------------------------------ */

struct cb_state {
	int		calls;
	char		tmpl[16];	/* what the callback sends first */
};

static void
on_connect(struct transport *tr, void *arg)
{
	struct cb_state *cs = arg;

	cs->calls++;
	snprintf(cs->tmpl, sizeof(cs->tmpl), "T%d;", cs->calls);
	assert_int_equal(send_first(tr, cs->tmpl, strlen(cs->tmpl)), 0);
}

/* Reads from <fd> until <want> bytes came or 3 s passed. */
static size_t
read_all(int fd, char *buf, size_t size, size_t want)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;
	int i;

	for (i = 0; i < 300 && got < want; i++) {
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		if ((n = recv(fd, buf + got, size - 1 - got, 0)) <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

/* Polls the transport for up to <ms> until it is connected. */
static int
wait_connected(struct transport *tr, int ms)
{
	int i;

	for (i = 0; i < ms / 20; i++) {
		tr_poll(tr, 0);
		if (tr_connected(tr))
			return 1;
		usleep(20000);
	}
	return 0;
}

/* Polls the transport for up to 500 ms until it sees the collector gone. */
static void
wait_closed(struct transport *tr)
{
	int i;

	for (i = 0; i < 50 && tr_connected(tr); i++) {
		usleep(10000);
		tr_poll(tr, 0);
	}
}

/* The collector's side of the next connection to <lfd>. */
static int
accept_ok(int lfd)
{
	int cfd = accept(lfd, NULL, NULL);

	assert_true(cfd >= 0);
	return cfd;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
test_tcp_templates_and_reconnect(void **unused)
{
	struct cb_state cs = { 0, "" };
	struct transport *tr;
	struct tr_stats st;
	char target[32], buf[256];
	uint16_t port = 0;
	int lfd, cfd;

	(void)unused;
	lfd = local_target(SOCK_STREAM, &port, target, sizeof(target));
	tr = open_ok("tcp", target, 100, on_connect, &cs);
	assert_int_equal(cs.calls, 1);
	assert_true(tr_connected(tr));
	assert_int_equal(tr_local_max(tr), 0);	/* UDP only */
	assert_int_equal(send_str(tr, "D1;", 3, 1), 0);
	assert_int_equal(send_str(tr, "D2;", 3, 1), 0);
	cfd = accept_ok(lfd);
	read_all(cfd, buf, sizeof(buf), 9);
	assert_string_equal(buf, "T1;D1;D2;");

	/* The collector goes away cleanly: what it read is not resent. */
	close(cfd);
	wait_closed(tr);
	assert_false(tr_connected(tr));
	assert_int_equal(send_str(tr, "D3;", 3, 1), 0);
	/* Zero-record messages while down: the exporter resends them. */
	assert_int_equal(send_str(tr, "O;", 2, 0), 0);
	tr_get_stats(tr, &st);
	assert_int_equal(st.queued_records, 1);
	/* Backoff: the next attempt comes after about a second. */
	assert_true(wait_connected(tr, 3000));
	assert_int_equal(cs.calls, 2);
	cfd = accept_ok(lfd);
	read_all(cfd, buf, sizeof(buf), 6);
	assert_string_equal(buf, "T2;D3;");
	tr_get_stats(tr, &st);
	assert_int_equal(st.reconnects, 1);
	assert_int_equal(st.records_dropped, 0);
	assert_int_equal(tr_drain(tr, 1000), 0);
	tr_get_stats(tr, &st);
	assert_int_equal(st.queued_records, 0);
	tr_close(tr);
	close(cfd);
	close(lfd);
}

static void
test_tcp_queue_full_and_late_collector(void **unused)
{
	struct cb_state cs = { 0, "" };
	struct transport *tr;
	struct tr_stats st;
	struct perr why;
	char target[32], buf[256];
	uint16_t port = 0;
	int lfd, cfd;

	(void)unused;
	lfd = refusing_target(&port, target, sizeof(target));
	/* Not fatal: it keeps trying. */
	tr = open_ok("tcp", target, 3, on_connect, &cs);
	assert_false(tr_connected(tr));
	assert_int_equal(tr_status(tr, &why), -ECONNREFUSED);
	assert_non_null(strstr(why.msg, "collector 'test-collector': connect "
	    "failed: Connection refused (is it listening?)"));
	assert_int_equal(cs.calls, 0);

	/* Three records fit the queue, the fourth is dropped, counted. */
	assert_int_equal(send_str(tr, "A;", 2, 2), 0);
	assert_int_equal(send_str(tr, "B;", 2, 1), 0);
	assert_int_equal(send_str(tr, "C;", 2, 1), -ENOBUFS);
	tr_get_stats(tr, &st);
	assert_int_equal(st.queued_records, 3);
	assert_int_equal(st.records_dropped, 1);
	assert_int_equal(st.msgs_dropped, 1);

	/* The collector starts: the queue goes out behind the templates. */
	assert_int_equal(listen(lfd, 4), 0);
	assert_true(wait_connected(tr, 3000));
	assert_int_equal(cs.calls, 1);
	cfd = accept_ok(lfd);
	read_all(cfd, buf, sizeof(buf), 7);
	assert_string_equal(buf, "T1;A;B;");
	assert_int_equal(tr_drain(tr, 1000), 0);
	tr_get_stats(tr, &st);
	assert_int_equal(st.queued_records, 0);
	assert_int_equal(st.records_dropped, 1);
	tr_close(tr);
	close(cfd);
	close(lfd);
}

static void
test_tcp_drain_drops_at_exit(void **unused)
{
	struct transport *tr;
	struct tr_stats st;
	char target[32];
	uint16_t port = 0;
	struct timespec t0;
	int fd;

	(void)unused;
	fd = refusing_target(&port, target, sizeof(target));
	tr = open_ok("tcp", target, 10, NULL, NULL);
	assert_int_equal(send_str(tr, "A;", 2, 4), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(tr_drain(tr, 300), -ETIMEDOUT);
	/* Bounded: it gave up after its timeout, not later. */
	assert_true(ms_since(&t0) < 1500);
	tr_get_stats(tr, &st);
	assert_int_equal(st.records_dropped, 4);
	assert_int_equal(st.queued_records, 0);
	tr_close(tr);
	close(fd);
}

/* A collector that never reads: sends return at once, the queue fills
 * and drops, nothing blocks. */
static void
test_tcp_slow_collector_never_blocks(void **unused)
{
	static uint8_t msg[8192];
	struct transport *tr;
	struct tr_stats st;
	char target[32];
	uint16_t port = 0;
	int lfd, i, small = 4096, dropped = 0;
	struct timespec t0;

	(void)unused;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	close(lfd);
	lfd = local_target(SOCK_STREAM, &port, target, sizeof(target));
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	tr = open_ok("tcp", target, 500, NULL, NULL);
	memset(msg, 'x', sizeof(msg));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2000; i++)
		if (send_buf(tr, msg, sizeof(msg), 1) == -ENOBUFS)
			dropped++;
	assert_true(ms_since(&t0) < 2000);
	assert_true(dropped > 0);
	tr_get_stats(tr, &st);
	assert_int_equal(st.records_dropped, (uint64_t)dropped);
	/* Every record is accounted for once: sent, dropped or unacked. */
	tr_drain(tr, 200);
	tr_get_stats(tr, &st);
	assert_int_equal(st.records_sent + st.records_dropped +
	    st.records_unacked, 2000);
	assert_int_equal(st.queued_records, 0);
	tr_close(tr);
	close(lfd);
}

static void
test_file(void **unused)
{
	char path[] = "/tmp/l7probe-test-tr-XXXXXX";
	struct transport *tr;
	struct tr_stats st;
	struct perr err;
	char buf[64];

	(void)unused;
	tu_temp_file(path);
	tr = open_ok("file", path, 0, NULL, NULL);
	assert_int_equal(send_str(tr, "abc", 3, 1), 0);
	assert_int_equal(send_first(tr, "de", 2), 0);
	tr_poll(tr, 0);
	tr_get_stats(tr, &st);
	assert_int_equal(st.msgs_sent, 2);
	assert_int_equal(tr_drain(tr, 0), 0);
	tr_close(tr);
	assert_int_equal(tu_read_file(path, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "abcde", 5);
	unlink(path);

	tr = open_tr("file", "/nonexistent-dir/x.ipfix", 0, NULL, NULL, &err);
	assert_null(tr);
	assert_non_null(strstr(err.msg, "cannot create '/nonexistent-dir/"
	    "x.ipfix'"));
}

/* Fault cases and the new contract -------------------------------------- */

/* <n> datagrams of <recs> records each to a UDP port nobody listens on,
 * <gap_us> apart: every one is sent, none dropped, every one refused and
 * counted with its records, the last one too (tr_drain collects its
 * report), and tr_drain says records were lost (-ECONNREFUSED). */
static void
refused_run(int n, uint32_t recs, useconds_t gap_us)
{
	struct transport *tr;
	struct tr_stats st;
	char target[32];
	uint16_t port = 0;
	int i;

	dead_target(&port, target, sizeof(target));
	tr = open_ok("udp", target, 0, NULL, NULL);
	for (i = 0; i < n; i++) {
		assert_int_equal(send_str(tr, "abcd", 4, recs), 0);
		if (gap_us > 0)
			usleep(gap_us);
	}
	assert_int_equal(tr_drain(tr, 500), -ECONNREFUSED);
	tr_get_stats(tr, &st);
	assert_int_equal(st.msgs_sent, (uint64_t)n);
	assert_int_equal(st.msgs_dropped, 0);
	assert_int_equal(st.msgs_refused, (uint64_t)n);
	assert_int_equal(st.records_refused, (uint64_t)n * recs);
	tr_close(tr);
}

/* Datagrams 5 ms apart: each ICMP error comes back before the next. */
static void
test_udp_refused_counted(void **unused)
{
	(void)unused;
	refused_run(5, 3, 5000);
}

/* The collector on this host: the refusal of the last datagram, sent
 * right before tr_drain, is still counted (it came back while the send
 * ran; tr_drain waits less for it than for a remote collector). */
static void
test_udp_refused_last(void **unused)
{
	(void)unused;
	refused_run(1, 2, 0);
}

/* A full batch goes without a poll, in order; the next one waits (for
 * 20 ms at most: a test stalled that long sees it go earlier). */
static void
test_udp_batch(void **unused)
{
	struct transport *tr;
	struct tr_stats st;
	char target[32], buf[64], want[8];
	uint16_t port = 0;
	int fd, i;

	(void)unused;
	fd = local_target(SOCK_DGRAM, &port, target, sizeof(target));
	tr = open_ok("udp", target, 0, NULL, NULL);
	for (i = 0; i < 17; i++) {
		snprintf(want, sizeof(want), "m%02d", i);
		assert_int_equal(send_str(tr, want, 3, 1), 0);
	}
	tr_get_stats(tr, &st);
	assert_true(st.msgs_sent >= 16);
	assert_int_equal(st.records_sent, st.msgs_sent);
	assert_int_equal(st.records_sent + st.queued_records, 17);
	for (i = 0; i < 16; i++) {
		snprintf(want, sizeof(want), "m%02d", i);
		assert_int_equal(recv(fd, buf, sizeof(buf), 0), 3);
		assert_memory_equal(buf, want, 3);
	}
	if (st.msgs_sent == 16)
		assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(tr_drain(tr, 100), 0);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 3);
	assert_memory_equal(buf, "m16", 3);
	tr_get_stats(tr, &st);
	assert_int_equal(st.msgs_sent, 17);
	assert_int_equal(st.queued_records, 0);
	tr_close(tr);
	close(fd);
}

/* Nobody listening, whole batches at once: on loopback the refusal of
 * each datagram comes back while the batch is being sent, so sendmmsg()
 * stops at the next one; every refusal is still counted, with the
 * records of the datagram it concerns. */
static void
test_udp_batch_refused(void **unused)
{
	(void)unused;
	refused_run(40, 2, 0);
}

static void
set4(struct sockaddr_storage *ss, const char *a)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, a, &s->sin_addr), 1);
}

static void
set6(struct sockaddr_storage *ss, const char *a)
{
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	s->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, a, &s->sin6_addr), 1);
}

/* Which collectors are on this host: loopback, or the address the kernel
 * picked as the source; documentation addresses stand for remote ones. */
static void
test_addr_local(void **unused)
{
	static const struct {
		int		v6;
		const char	*self, *peer;
		int		local;
	} c[] = {
		{ 0, "127.0.0.1", "127.0.0.1", 1 },
		{ 0, "127.0.0.1", "127.3.2.1", 1 },
		{ 0, "192.0.2.7", "192.0.2.7", 1 },
		{ 0, "192.0.2.7", "192.0.2.8", 0 },
		{ 0, "192.0.2.7", "198.51.100.1", 0 },
		{ 1, "::1", "::1", 1 },
		{ 1, "2001:db8::1", "2001:db8::1", 1 },
		{ 1, "2001:db8::1", "2001:db8::2", 0 },
		{ 1, "::ffff:127.0.0.1", "::ffff:127.0.0.1", 1 },
		{ 1, "::ffff:192.0.2.7", "::ffff:198.51.100.1", 0 },
	};
	struct sockaddr_storage self, peer;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (c[i].v6) {
			set6(&self, c[i].self);
			set6(&peer, c[i].peer);
		} else {
			set4(&self, c[i].self);
			set4(&peer, c[i].peer);
		}
		assert_int_equal(tr_addr_local((struct sockaddr *)&self,
		    (struct sockaddr *)&peer), c[i].local);
	}
	/* Families that differ are never one host's own path. */
	set4(&self, "127.0.0.1");
	set6(&peer, "::1");
	assert_int_equal(tr_addr_local((struct sockaddr *)&self,
	    (struct sockaddr *)&peer), 0);
}

/* UDP, a datagram the kernel does not take (larger than UDP allows):
 * dropped, counted, and tr_drain says records were lost (-ENOBUFS); the
 * datagrams before and after it arrive. */
static void
test_udp_dropped_at_exit(void **unused)
{
	static uint8_t big[70000];
	struct transport *tr;
	struct tr_stats st;
	struct tr_msg m;
	char target[32], buf[64];
	uint16_t port = 0;
	int fd;

	(void)unused;
	fd = local_target(SOCK_DGRAM, &port, target, sizeof(target));
	tr = open_ok("udp", target, 0, NULL, NULL);
	assert_int_equal(send_str(tr, "first", 5, 1), 0);
	memset(&m, 0, sizeof(m));
	m.data = big;
	m.len = sizeof(big);
	m.n_records = 7;
	assert_int_equal(tr_send(tr, &m), -EMSGSIZE);
	assert_int_equal(send_str(tr, "third", 5, 1), 0);
	tr_poll(tr, 0);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "first", 5);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "third", 5);
	assert_int_equal(tr_drain(tr, 100), -ENOBUFS);
	tr_get_stats(tr, &st);
	assert_int_equal(st.msgs_sent, 2);
	assert_int_equal(st.records_sent, 2);
	assert_int_equal(st.msgs_dropped, 1);
	assert_int_equal(st.records_dropped, 7);
	assert_int_equal(st.records_refused, 0);
	tr_close(tr);
	close(fd);
}

/* The stamp hook: called right before a message goes on the wire, once
 * per connection it goes on; a dropped message is never stamped. */
struct stamper {
	uint32_t	next;
	int		calls;
	int		on_connect;
};

static void
stamp_digit(uint8_t *data, size_t len, uint32_t n_seq, void *arg)
{
	struct stamper *sp = arg;

	assert_true(len >= 2);
	data[1] = (uint8_t)('0' + sp->next % 10);
	sp->next += n_seq;
	sp->calls++;
}

static void
connect_count(struct transport *tr, void *arg)
{
	struct stamper *sp = arg;

	(void)tr;
	sp->on_connect++;
}

static void
test_tcp_stamp_at_wire(void **unused)
{
	struct stamper sp = { 0, 0, 0 };
	struct tr_hooks hooks = { stamp_digit, connect_count, &sp };
	struct transport_conf tc;
	struct transport *tr;
	struct perr err;
	char target[32], buf[64];
	uint16_t port = 0;
	int lfd, cfd;

	(void)unused;
	lfd = refusing_target(&port, target, sizeof(target));
	tr_conf(&tc, "tcp", target, 2);
	tr = tr_open(&tc, &hooks, &err);
	assert_non_null(tr);
	/* Queued while nobody listens: not stamped yet. */
	assert_int_equal(send_str(tr, "A?;", 3, 1), 0);
	assert_int_equal(send_str(tr, "B?;", 3, 1), 0);
	assert_int_equal(send_str(tr, "C?;", 3, 1), -ENOBUFS);
	assert_int_equal(sp.calls, 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_true(wait_connected(tr, 3000));
	assert_int_equal(sp.on_connect, 1);
	assert_int_equal(send_str(tr, "D?;", 3, 1), 0);
	cfd = accept_ok(lfd);
	read_all(cfd, buf, sizeof(buf), 9);
	/* Gapless on the wire: the dropped C took no number. */
	assert_string_equal(buf, "A0;B1;D2;");
	assert_int_equal(tr_drain(tr, 1000), 0);
	tr_close(tr);
	close(cfd);
	close(lfd);
}

/* --export-queue smaller than one message: a healthy collector still
 * gets everything (one message always fits). */
static void
test_tcp_queue_smaller_than_a_message(void **unused)
{
	struct transport *tr;
	struct tr_stats st;
	char target[32], buf[256];
	uint16_t port = 0;
	int lfd, cfd, i;

	(void)unused;
	lfd = local_target(SOCK_STREAM, &port, target, sizeof(target));
	tr = open_ok("tcp", target, 1, NULL, NULL);
	cfd = accept_ok(lfd);
	for (i = 0; i < 20; i++)
		assert_int_equal(send_str(tr, "0123456789", 10, 10), 0);
	assert_int_equal(read_all(cfd, buf, sizeof(buf), 200), 200);
	assert_int_equal(tr_drain(tr, 1000), 0);
	tr_get_stats(tr, &st);
	assert_int_equal(st.records_dropped, 0);
	assert_int_equal(st.records_sent, 200);
	tr_close(tr);
	close(cfd);
	close(lfd);
}

/* A collector that stops reading (SIGSTOP) at exit: what is in the socket
 * is unacknowledged, not dropped, and it does arrive once the collector
 * reads again; what never left the queue is dropped. */
static void
test_tcp_unacked_at_exit(void **unused)
{
	static uint8_t msg[4000];
	struct transport *tr;
	struct tr_stats st;
	char target[32];
	uint16_t port = 0;
	int lfd, cfd, i, small = 8192;
	size_t got = 0;
	ssize_t n;
	struct pollfd pfd;

	(void)unused;
	lfd = local_target(SOCK_STREAM, &port, target, sizeof(target));
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	tr = open_ok("tcp", target, 1000000, NULL, NULL);
	small = 8192;
	cfd = accept_ok(lfd);
	memset(msg, 'm', sizeof(msg));
	for (i = 0; i < 500; i++)
		assert_int_equal(send_buf(tr, msg, sizeof(msg), 1), 0);
	assert_int_equal(tr_drain(tr, 300), -ETIMEDOUT);
	tr_get_stats(tr, &st);
	assert_int_equal(st.records_sent + st.records_dropped +
	    st.records_unacked, 500);
	assert_true(st.records_unacked > 0);
	tr_close(tr);
	/* The collector reads again: the unacknowledged arrive. */
	pfd.fd = cfd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, 1000) > 0) {
		static uint8_t rbuf[65536];

		if ((n = recv(cfd, rbuf, sizeof(rbuf), 0)) <= 0)
			break;
		got += (size_t)n;
	}
	/* Only a partly written message can arrive cut, none is lost. */
	assert_true(got / sizeof(msg) >= st.records_sent + st.records_unacked -
	    1);
	assert_true(got / sizeof(msg) <= 500 - st.records_dropped);
	close(cfd);
	close(lfd);
}

/* A collector given by name is resolved again for every new connection:
 * it moves from 127.0.0.1 to 127.0.0.2 and keeps receiving. */
static int resolve_calls;
static const char *resolve_to = "127.0.0.1";

static int
fake_resolve(const char *host, const char *port, const struct addrinfo *hints,
    struct addrinfo **res)
{
	assert_string_equal(host, "collector.test");
	resolve_calls++;
	return getaddrinfo(resolve_to, port, hints, res);
}

static int
bind_on(const char *addr, uint16_t port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin.sin_addr);
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void
test_tcp_resolve_per_reconnect(void **unused)
{
	struct transport_conf tc;
	struct transport *tr;
	struct perr err;
	char target[48], buf[64];
	uint16_t port = 0;
	int l1, l2, c1, c2;

	(void)unused;
	l1 = tu_local_socket(SOCK_STREAM, &port);
	if ((l2 = bind_on("127.0.0.2", port)) == -1) {
		close(l1);
		skip();		/* no 127.0.0.2 on this loopback */
	}
	snprintf(target, sizeof(target), "collector.test:%u", port);
	tr_conf(&tc, "tcp", target, 100);
	tc.resolve = fake_resolve;
	resolve_calls = 0;
	resolve_to = "127.0.0.1";
	tr = tr_open(&tc, NULL, &err);
	assert_non_null(tr);
	assert_int_equal(resolve_calls, 1);
	c1 = accept_ok(l1);
	assert_int_equal(send_str(tr, "one;", 4, 1), 0);
	read_all(c1, buf, sizeof(buf), 4);
	assert_string_equal(buf, "one;");
	/* The collector moves: the old one goes away, the name changes. */
	resolve_to = "127.0.0.2";
	close(c1);
	close(l1);
	wait_closed(tr);
	assert_int_equal(send_str(tr, "two;", 4, 1), 0);
	assert_true(wait_connected(tr, 3000));
	assert_true(resolve_calls >= 2);
	c2 = accept_ok(l2);
	read_all(c2, buf, sizeof(buf), 4);
	assert_string_equal(buf, "two;");
	assert_int_equal(tr_drain(tr, 1000), 0);
	tr_close(tr);
	close(c2);
	close(l2);
}

/* A file on a full device: nothing counted as written. */
static void
test_file_dev_full(void **unused)
{
	struct transport *tr;
	struct tr_stats st;
	struct perr err;
	int i;

	(void)unused;
	tr = open_tr("file", "/dev/full", 0, NULL, NULL, &err);
	if (tr == NULL)
		skip();
	for (i = 0; i < 10; i++)
		assert_int_equal(send_str(tr, "{\"a\":1}\n", 8, 1), 0);
	assert_int_equal(tr_drain(tr, 0), -ETIMEDOUT);
	tr_get_stats(tr, &st);
	assert_int_equal(st.records_sent, 0);
	assert_int_equal(st.bytes_sent, 0);
	assert_int_equal(st.records_dropped, 10);
	/* Transient: the next write is tried again. */
	assert_int_equal(tr_fatal(tr), 0);
	tr_close(tr);
}

/* A file that cannot grow past 1000 bytes (RLIMIT_FSIZE, as a full disk):
 * the file keeps whole messages only, the counters say which. */
static void
test_file_cut_back_to_whole_messages(void **unused)
{
	char path[] = "/tmp/l7probe-test-tr-XXXXXX";
	static char line[300];
	struct rlimit old, lim;
	struct transport *tr;
	struct tr_stats st;
	struct stat sb;
	int i;

	(void)unused;
	tu_temp_file(path);
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	tr = open_ok("file", path, 0, NULL, NULL);
	for (i = 0; i < 10; i++)
		assert_int_equal(send_str(tr, line, sizeof(line), 2), 0);
	assert_int_equal(tr_drain(tr, 0), -ETIMEDOUT);
	tr_get_stats(tr, &st);
	tr_close(tr);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(stat(path, &sb), 0);
	/* 3 whole lines of 300 bytes; the cut fourth was taken back. */
	assert_int_equal(sb.st_size, 900);
	assert_int_equal(st.msgs_sent, 3);
	assert_int_equal(st.bytes_sent, 900);
	assert_int_equal(st.records_sent, 6);
	assert_int_equal(st.records_dropped, 14);
	unlink(path);
}

/* SIGHUP after logrotate moved the file: the buffered message goes to the
 * old file, a new file is created and starts with the templates. */
static void
tmpl_first(struct transport *tr, void *arg)
{
	int *calls = arg;

	(*calls)++;
	assert_int_equal(send_first(tr, "T;", 2), 0);
}

static void
test_file_reopen_after_move(void **unused)
{
	char path[] = "/tmp/l7probe-test-tr-XXXXXX", moved[64], buf[64];
	struct transport *tr;
	struct tr_stats st;
	struct perr err;
	int calls = 0;

	(void)unused;
	tu_temp_file(path);
	snprintf(moved, sizeof(moved), "%s.1", path);
	tr = open_ok("file", path, 0, tmpl_first, &calls);
	assert_int_equal(calls, 1);
	assert_int_equal(send_str(tr, "a;", 2, 1), 0);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(send_str(tr, "b;", 2, 1), 0);	/* still buffered */
	assert_int_equal(tr_reopen(tr, &err), 0);
	assert_int_equal(calls, 2);
	assert_int_equal(send_str(tr, "c;", 2, 1), 0);
	assert_int_equal(tr_drain(tr, 0), 0);
	tr_get_stats(tr, &st);
	assert_int_equal(st.records_sent, 3);
	assert_int_equal(st.reopens, 1);
	tr_close(tr);
	tu_read_file(moved, buf, sizeof(buf));
	assert_string_equal(buf, "T;a;b;");
	tu_read_file(path, buf, sizeof(buf));
	assert_string_equal(buf, "T;c;");
	unlink(path);
	unlink(moved);
}

/* A pipe whose reader went away: fatal, quiet, counted. */
static void
test_file_closed_pipe_is_fatal(void **unused)
{
	struct transport *tr;
	struct tr_stats st;
	int p[2], saved;

	(void)unused;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	saved = dup(STDOUT_FILENO);
	dup2(p[1], STDOUT_FILENO);
	tr = open_ok("file", "-", 0, NULL, NULL);
	assert_int_equal(send_str(tr, "x\n", 2, 1), 0);
	assert_int_equal(tr_drain(tr, 0), -ETIMEDOUT);
	assert_int_equal(tr_fatal(tr), -EPIPE);
	assert_int_equal(send_str(tr, "y\n", 2, 1), -EPIPE);
	tr_get_stats(tr, &st);
	assert_int_equal(st.records_dropped, 2);
	assert_int_equal(st.records_sent, 0);
	tr_close(tr);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_target),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_udp_v6),
		cmocka_unit_test(test_tcp_templates_and_reconnect),
		cmocka_unit_test(test_tcp_queue_full_and_late_collector),
		cmocka_unit_test(test_tcp_drain_drops_at_exit),
		cmocka_unit_test(test_tcp_slow_collector_never_blocks),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_udp_refused_counted),
		cmocka_unit_test(test_udp_refused_last),
		cmocka_unit_test(test_udp_batch),
		cmocka_unit_test(test_udp_batch_refused),
		cmocka_unit_test(test_addr_local),
		cmocka_unit_test(test_udp_dropped_at_exit),
		cmocka_unit_test(test_tcp_stamp_at_wire),
		cmocka_unit_test(test_tcp_queue_smaller_than_a_message),
		cmocka_unit_test(test_tcp_unacked_at_exit),
		cmocka_unit_test(test_tcp_resolve_per_reconnect),
		cmocka_unit_test(test_file_dev_full),
		cmocka_unit_test(test_file_cut_back_to_whole_messages),
		cmocka_unit_test(test_file_reopen_after_move),
		cmocka_unit_test(test_file_closed_pipe_is_fatal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
