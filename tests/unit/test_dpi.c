/*
 * test_dpi.c - unit tests of the dpi module (src/dpi/dpi.h).
 *
 * Flows are built by hand (struct flow plus a zeroed ext area) and fed
 * hand-made IPv4 packets, as the flow table would. Built with nDPI the
 * tests check real classification (DNS.Google, HTTP.Facebook), that nDPI's
 * per-flow state is freed once detection ends, that max_pkts stops the
 * feeding, and that later fragments are not fed; without nDPI
 * (dpi_none.c) every flow must be Unknown.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpi/dpi.h"
#include "dpi/dpi_int.h"

#define EXT_OFF		8	/* as if another module came first */
#define PKT_MAX		1500

/* One hand-made IPv4 packet and the dec_pkt describing it. */
struct tpkt {
	uint8_t		buf[PKT_MAX];
	struct dec_pkt	pkt;
};

static const uint8_t ip_cli[4] = { 192, 168, 1, 10 };
static const uint8_t ip_dns[4] = { 8, 8, 8, 8 };
static const uint8_t ip_web[4] = { 157, 240, 1, 35 };	/* Facebook */
static const uint8_t ip_doc[4] = { 198, 51, 100, 7 };	/* TEST-NET-2 */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/*
 * Builds IPv4 (20 bytes, no options, DF clear) + UDP (proto 17) or TCP
 * (proto 6, 20 bytes, <flags>, <seq>/<ack>) + <payload> into <t>, and
 * fills t->pkt as the decoder would. Checksums are left 0: nDPI does not
 * check them.
 */
static void
build(struct tpkt *t, uint8_t proto, const uint8_t src[4], uint16_t sport,
    const uint8_t dst[4], uint16_t dport, uint8_t flags, uint32_t seq,
    uint32_t ack, const void *payload, size_t plen, uint64_t ts_us)
{
	size_t l4len = proto == 6 ? 20 : 8;
	size_t total = 20 + l4len + plen;
	uint8_t *ip = t->buf, *l4 = t->buf + 20;

	assert_true(total <= sizeof(t->buf));
	memset(t, 0, sizeof(*t));
	ip[0] = 0x45;			/* v4, ihl 5 */
	put16(ip + 2, (uint16_t)total);	/* total length */
	put16(ip + 4, 0x1234);		/* id */
	ip[8] = 64;			/* ttl */
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(l4, sport);
	put16(l4 + 2, dport);
	if (proto == 6) {
		put32(l4 + 4, seq);
		put32(l4 + 8, ack);
		l4[12] = 0x50;		/* data offset 5 */
		l4[13] = flags;
		put16(l4 + 14, 65535);	/* window */
	} else
		put16(l4 + 4, (uint16_t)(8 + plen));
	memcpy(l4 + l4len, payload, plen);

	t->pkt.ts_us = ts_us;
	t->pkt.l3 = ip;
	t->pkt.l3_caplen = (uint32_t)total;
	t->pkt.l4 = l4;
	t->pkt.l4_caplen = (uint32_t)(total - 20);
	t->pkt.ip_len = (uint32_t)total;
	t->pkt.frag_id = 0x1234;
	memcpy(t->pkt.src, src, 4);
	memcpy(t->pkt.dst, dst, 4);
	t->pkt.sport = sport;
	t->pkt.dport = dport;
	t->pkt.ip_version = 4;
	t->pkt.proto = proto;
	t->pkt.tcp_flags = flags;
	t->pkt.frag = DEC_FRAG_NONE;
}

/* A flow as the table makes it: key from the first packet, ext zeroed. */
static struct flow *
flow_make(const struct dpi *d, const struct tpkt *first)
{
	struct flow *f;

	f = calloc(1, sizeof(*f) + EXT_OFF + dpi_ext_size(d));
	assert_non_null(f);
	memcpy(f->key.src, first->pkt.src, 16);
	memcpy(f->key.dst, first->pkt.dst, 16);
	f->key.sport = first->pkt.sport;
	f->key.dport = first->pkt.dport;
	f->key.proto = first->pkt.proto;
	f->key.ip_version = 4;
	return f;
}

static struct dpi *
dpi_make(int enabled, uint32_t max_pkts)
{
	struct dpi_conf conf;
	struct perr err;
	struct dpi *d;

	dpi_conf_defaults(&conf);
	assert_int_equal(conf.enabled, 1);
	assert_int_equal(conf.max_pkts, 20);
	conf.enabled = enabled;
	if (max_pkts != 0)
		conf.max_pkts = max_pkts;
	memset(&err, 0, sizeof(err));
	d = dpi_new(&conf, &err);
	assert_non_null(d);
	dpi_set_ext_offset(d, EXT_OFF);
	return d;
}

static void
flow_done(struct dpi *d, struct flow *f)
{
	dpi_flow_end(d, f);
	dpi_flow_release(d, f);
	free(f);
}

static void
assert_unknown(const struct dpi_info *in)
{
	assert_string_equal(in->app_name, "Unknown");
	assert_string_equal(in->category_name, "Unspecified");
	assert_string_equal(in->app_id_str, "0");
	assert_int_equal(in->master_id, 0);
	assert_int_equal(in->app_id, 0);
	assert_int_equal(in->guessed, 0);
	assert_string_equal(in->server_name, "");
	assert_string_equal(in->client_fingerprint, "");
	assert_string_equal(in->server_fingerprint, "");
	assert_string_equal(in->user_agent, "");
}

/* DNS query and answer for www.google.com, A record. */
static const uint8_t dns_query[] = {
	0x12,0x34, 0x01,0x00,		/* id, flags: RD */
	0x00,0x01, 0x00,0x00,		/* 1 question, 0 answers */
	0x00,0x00, 0x00,0x00,		/* 0 authority, 0 additional */
	3,'w','w','w', 6,'g','o','o','g','l','e', 3,'c','o','m', 0,
	0x00,0x01, 0x00,0x01,		/* type A, class IN */
};
static const uint8_t dns_answer[] = {
	0x12,0x34, 0x81,0x80,		/* id, flags: QR RD RA, no error */
	0x00,0x01, 0x00,0x01,		/* 1 question, 1 answer */
	0x00,0x00, 0x00,0x00,		/* 0 authority, 0 additional */
	3,'w','w','w', 6,'g','o','o','g','l','e', 3,'c','o','m', 0,
	0x00,0x01, 0x00,0x01,		/* type A, class IN */
	0xc0,0x0c, 0x00,0x01, 0x00,0x01, /* name -> 12, type A, class IN */
	0x00,0x00,0x01,0x2c, 0x00,0x04,	/* ttl 300, rdlength 4 */
	142,250,180,4,			/* address */
};

/* The client's DNS query, from port <sport> to 8.8.8.8:53, at 1 s. */
static void
dns_query_from(struct tpkt *q, uint16_t sport)
{
	build(q, 17, ip_cli, sport, ip_dns, 53, 0, 0, 0, dns_query,
	    sizeof(dns_query), 1000000);
}

static void
test_dns_google(void **unused)
{
	struct dpi *d = dpi_make(1, 0);
	struct dpi_stats st;
	struct dpi_info in;
	struct tpkt q, r;
	struct flow *f;

	(void)unused;
	assert_int_not_equal(dpi_ext_size(d), 0);
	dns_query_from(&q, 53001);
	build(&r, 17, ip_dns, 53, ip_cli, 53001, 0, 0, 0, dns_answer,
	    sizeof(dns_answer), 1020000);
	f = flow_make(d, &q);

	/* Before any packet: Unknown, no nDPI state. */
	dpi_flow_info(d, f, &in);
	assert_unknown(&in);

	/* The query is classified, but nDPI waits for the answer. */
	dpi_packet(d, f, FLOW_DIR_FWD, &q.pkt);
	dpi_stats(d, &st);
	assert_int_equal(st.flows_active, 1);
	assert_int_equal(st.pkts_fed, 1);
	dpi_flow_info(d, f, &in);
	assert_string_equal(in.app_name, "DNS.Google");
	assert_string_equal(in.server_name, "www.google.com");

	/* The answer ends detection: state freed, result kept. */
	dpi_packet(d, f, FLOW_DIR_REV, &r.pkt);
	dpi_stats(d, &st);
	assert_int_equal(st.flows_active, 0);
	assert_int_equal(st.flows_detected, 1);
	assert_int_equal(st.pkts_fed, 2);

	/* Later packets are not fed. */
	dpi_packet(d, f, FLOW_DIR_FWD, &q.pkt);
	dpi_stats(d, &st);
	assert_int_equal(st.pkts_fed, 2);
	assert_int_equal(st.flows_active, 0);

	dpi_flow_info(d, f, &in);
	assert_string_equal(in.app_name, "DNS.Google");
	assert_string_equal(in.app_id_str, "5.126");
	assert_int_equal(in.master_id, 5);
	assert_int_equal(in.app_id, 126);
	assert_string_equal(in.category_name, "Web");
	assert_int_equal(in.guessed, 0);
	assert_string_equal(in.confidence_name, "DPI");
	assert_string_equal(in.server_name, "www.google.com");
	assert_string_equal(in.client_fingerprint, "");
	assert_string_equal(in.user_agent, "");

	/* Ending the record changes nothing; the next record sees the same. */
	dpi_flow_end(d, f);
	dpi_flow_info(d, f, &in);
	assert_string_equal(in.app_name, "DNS.Google");
	flow_done(d, f);
	dpi_free(d);
}

static const char http_get[] =
	"GET /index.html HTTP/1.1\r\n"
	"Host: www.facebook.com\r\n"
	"User-Agent: l7probe-test/1.0 (unit)\r\n"
	"Accept: */*\r\n"
	"\r\n";
static const char http_ok[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: text/html\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

/* TCP flags */
#define F_FIN	0x01
#define F_SYN	0x02
#define F_PSH	0x08
#define F_ACK	0x10

/* A TCP SYN from port <sport> to a documentation address's port 443, at
 * 4 s: no payload, so nothing for nDPI but the port. */
static void
syn_to_443(struct tpkt *p, uint16_t sport)
{
	build(p, 6, ip_cli, sport, ip_doc, 443, F_SYN, 1, 0, "", 0, 4000000);
}

/* The client side of an HTTP exchange on a TCP handshake. */
static void
http_packets(struct tpkt p[5])
{
	uint32_t c = 1000, s = 5000;

	build(&p[0], 6, ip_cli, 40000, ip_web, 80, F_SYN, c, 0, "", 0,
	    2000000);
	build(&p[1], 6, ip_web, 80, ip_cli, 40000, F_SYN | F_ACK, s, c + 1,
	    "", 0, 2010000);
	build(&p[2], 6, ip_cli, 40000, ip_web, 80, F_ACK, c + 1, s + 1, "", 0,
	    2020000);
	build(&p[3], 6, ip_cli, 40000, ip_web, 80, F_PSH | F_ACK, c + 1,
	    s + 1, http_get, strlen(http_get), 2030000);
	build(&p[4], 6, ip_web, 80, ip_cli, 40000, F_PSH | F_ACK, s + 1,
	    c + 1 + (uint32_t)strlen(http_get), http_ok, strlen(http_ok),
	    2040000);
}

static void
test_http_host_ua(void **unused)
{
	struct dpi *d = dpi_make(1, 0);
	struct dpi_stats st;
	struct dpi_info in;
	struct tpkt p[5];
	struct flow *f;
	int i;

	(void)unused;
	http_packets(p);
	f = flow_make(d, &p[0]);
	for (i = 0; i < 5; i++) {
		dpi_packet(d, f, (i == 1 || i == 4) ? FLOW_DIR_REV :
		    FLOW_DIR_FWD, &p[i].pkt);
		dpi_stats(d, &st);
		/* The handshake is held until the request, then fed. */
		assert_int_equal(st.pkts_fed, i < 3 ? 0 : (uint64_t)i + 1);
		assert_int_equal(st.flows_active, i < 3 || i == 4 ? 0 : 1);
	}
	/* The response gave nDPI all it wants: done within 5 packets. */
	assert_int_equal(st.flows_active, 0);
	assert_int_equal(st.flows_detected, 1);
	assert_int_equal(st.pkts_fed, 5);

	dpi_flow_info(d, f, &in);
	assert_string_equal(in.app_name, "HTTP.Facebook");
	assert_int_equal(in.master_id, 7);
	assert_string_equal(in.category_name, "SocialNetwork");
	assert_string_equal(in.server_name, "www.facebook.com");
	assert_string_equal(in.user_agent, "l7probe-test/1.0 (unit)");
	assert_string_equal(in.client_fingerprint, "");
	assert_string_equal(in.server_fingerprint, "");
	assert_int_equal(in.guessed, 0);
	flow_done(d, f);
	dpi_free(d);
}

/* A DNS query for "<label>.example.org" (label of <n> letters 'a' + i % 26)
 * into <buf>; returns its length. */
static size_t
dns_query_named(uint8_t *buf, size_t n, unsigned i, char *name)
{
	static const uint8_t hdr[] = {
		0x12,0x34, 0x01,0x00, 0x00,0x01, 0x00,0x00, 0x00,0x00, 0x00,0x00,
	};
	static const uint8_t tail[] = {
		7,'e','x','a','m','p','l','e', 3,'o','r','g', 0,
		0x00,0x01, 0x00,0x01,
	};
	size_t k, len = 0;

	memcpy(buf, hdr, sizeof(hdr));
	len = sizeof(hdr);
	buf[len++] = (uint8_t)n;
	for (k = 0; k < n; k++)
		name[k] = (char)('a' + (i + k) % 26);
	memcpy(buf + len, name, n);
	len += n;
	memcpy(name + n, ".example.org", sizeof(".example.org"));
	memcpy(buf + len, tail, sizeof(tail));
	return len + sizeof(tail);
}

/*
 * Many flows at once with metadata of many lengths, released in a
 * scrambled order while new ones start: each keeps its own strings (the
 * arena reuses freed blocks of the right size, never a live one).
 */
static void
test_many_names(void **unused)
{
	enum { N = 3000, ROUNDS = 3 };
	struct flow **f = calloc(N, sizeof(*f));
	char (*names)[80] = calloc(N, sizeof(*names));
	struct dpi *d = dpi_make(1, 1);
	struct dpi_stats st;
	struct dpi_info in;
	uint8_t q[128];
	struct tpkt t;
	unsigned r, i, j;
	size_t len;

	(void)unused;
	assert_non_null(f);
	assert_non_null(names);
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < N; i++) {
			if (f[i] != NULL)
				continue;
			len = dns_query_named(q, 1 + (i * 7 + r) % 60, i + r,
			    names[i]);
			build(&t, 17, ip_cli, (uint16_t)(1024 + i), ip_doc,
			    53, 0, 0, 0, q, len, 1000000 + i);
			f[i] = flow_make(d, &t);
			/* max_pkts 1: detection over at once, strings
			 * copied into the arena */
			dpi_packet(d, f[i], FLOW_DIR_FWD, &t.pkt);
		}
		for (i = 0; i < N; i++) {
			dpi_flow_info(d, f[i], &in);
			assert_string_equal(in.server_name, names[i]);
		}
		/* Release about half, in a scrambled order. */
		for (j = 0; j < N; j++) {
			i = (j * 1103 + r * 17) % N;
			if ((i + r) % 2 == 0 && f[i] != NULL) {
				flow_done(d, f[i]);
				f[i] = NULL;
			}
		}
	}
	for (i = 0; i < N; i++) {
		if (f[i] == NULL)
			continue;
		dpi_flow_info(d, f[i], &in);
		assert_string_equal(in.server_name, names[i]);
		flow_done(d, f[i]);
	}
	dpi_stats(d, &st);
	assert_int_equal(st.flows_active, 0);
	free(f);
	free(names);
	dpi_free(d);
}

/* Text no dissector claims, on unassigned ports, to a documentation
 * address: nothing found, nothing to guess. */
static void
test_max_pkts(void **unused)
{
	static const char junk[] = "l7probe unit test: no protocol here";
	struct dpi *d = dpi_make(1, 3);
	struct dpi_stats st;
	struct dpi_info in;
	struct tpkt p;
	struct flow *f;
	int i;

	(void)unused;
	build(&p, 17, ip_cli, 47001, ip_doc, 47002, 0, 0, 0, junk,
	    strlen(junk), 3000000);
	f = flow_make(d, &p);
	for (i = 0; i < 2; i++)
		dpi_packet(d, f, FLOW_DIR_FWD, &p.pkt);
	dpi_stats(d, &st);
	assert_int_equal(st.flows_active, 1);
	for (i = 0; i < 5; i++)
		dpi_packet(d, f, FLOW_DIR_FWD, &p.pkt);
	dpi_stats(d, &st);
	assert_int_equal(st.pkts_fed, 3);
	assert_int_equal(st.flows_active, 0);
	assert_int_equal(st.flows_detected, 0);
	assert_int_equal(st.flows_unknown, 1);
	dpi_flow_info(d, f, &in);
	assert_unknown(&in);
	flow_done(d, f);
	dpi_free(d);
}

/* A flow that ends while detection runs is given up, guessed by port. */
static void
test_end_guesses(void **unused)
{
	struct dpi *d = dpi_make(1, 0);
	struct dpi_stats st;
	struct dpi_info in;
	struct tpkt p;
	struct flow *f;

	(void)unused;
	syn_to_443(&p, 40001);
	f = flow_make(d, &p);
	/* Header-only: held, no nDPI state yet (and Unknown so far). */
	dpi_packet(d, f, FLOW_DIR_FWD, &p.pkt);
	dpi_packet(d, f, FLOW_DIR_FWD, &p.pkt);
	dpi_stats(d, &st);
	assert_int_equal(st.flows_active, 0);
	assert_int_equal(st.pkts_fed, 0);
	dpi_flow_info(d, f, &in);
	assert_unknown(&in);
	/* At the end nDPI gets them and guesses as it would have. */
	dpi_flow_end(d, f);
	dpi_stats(d, &st);
	assert_int_equal(st.flows_active, 0);
	assert_int_equal(st.pkts_fed, 2);
	assert_int_equal(st.flows_guessed, 1);
	dpi_flow_info(d, f, &in);
	assert_int_equal(in.guessed, 1);
	assert_int_equal(in.app_id, 91);
	assert_string_equal(in.app_name, "TLS");
	assert_string_equal(in.confidence_name, "Match by port");
	/* A second end (another record) is harmless. */
	dpi_flow_end(d, f);
	dpi_stats(d, &st);
	assert_int_equal(st.flows_guessed, 1);
	flow_done(d, f);
	dpi_free(d);
}

/* Header-only packets count against max_pkts: the first DPI_HELD_PKTS (3)
 * are kept and fed when it is reached, the others only counted. */
static void
test_held_max_pkts(void **unused)
{
	struct dpi *d = dpi_make(1, 5);
	struct dpi_stats st;
	struct dpi_info in;
	struct tpkt p;
	struct flow *f;
	int i;

	(void)unused;
	syn_to_443(&p, 40002);
	f = flow_make(d, &p);
	for (i = 0; i < 4; i++)
		dpi_packet(d, f, FLOW_DIR_FWD, &p.pkt);
	dpi_stats(d, &st);
	assert_int_equal(st.pkts_fed, 0);
	assert_int_equal(st.flows_guessed, 0);
	dpi_packet(d, f, FLOW_DIR_FWD, &p.pkt);
	dpi_stats(d, &st);
	assert_int_equal(st.pkts_fed, 3);
	assert_int_equal(st.flows_active, 0);
	assert_int_equal(st.flows_guessed, 1);
	dpi_flow_info(d, f, &in);
	assert_string_equal(in.app_name, "TLS");
	assert_int_equal(in.guessed, 1);
	flow_done(d, f);
	dpi_free(d);
}

/* Released without an end: the running nDPI state is freed too. */
static void
test_release_running(void **unused)
{
	struct dpi *d = dpi_make(1, 0);
	struct dpi_stats st;
	struct tpkt q;
	struct flow *f;

	(void)unused;
	dns_query_from(&q, 53002);
	f = flow_make(d, &q);
	dpi_packet(d, f, FLOW_DIR_FWD, &q.pkt);
	dpi_stats(d, &st);
	assert_int_equal(st.flows_active, 1);
	dpi_flow_release(d, f);
	dpi_stats(d, &st);
	assert_int_equal(st.flows_active, 0);
	free(f);
	dpi_free(d);
}

/* Later fragments carry no L4 header: never fed. */
static void
test_later_fragment(void **unused)
{
	struct dpi *d = dpi_make(1, 0);
	struct dpi_stats st;
	struct tpkt q;
	struct flow *f;

	(void)unused;
	dns_query_from(&q, 53003);
	q.pkt.frag = DEC_FRAG_LATER;
	f = flow_make(d, &q);
	dpi_packet(d, f, FLOW_DIR_FWD, &q.pkt);
	dpi_stats(d, &st);
	assert_int_equal(st.pkts_fed, 0);
	assert_int_equal(st.flows_active, 0);
	flow_done(d, f);
	dpi_free(d);
}

/* --no-dpi: no ext bytes, no work, Unknown. */
static void
test_disabled(void **unused)
{
	struct dpi *d = dpi_make(0, 0);
	struct dpi_stats st;
	struct dpi_info in;
	struct tpkt q;
	struct flow *f;

	(void)unused;
	assert_int_equal(dpi_ext_size(d), 0);
	dns_query_from(&q, 53004);
	f = flow_make(d, &q);
	dpi_packet(d, f, FLOW_DIR_FWD, &q.pkt);
	dpi_stats(d, &st);
	assert_int_equal(st.pkts_fed, 0);
	dpi_flow_end(d, f);
	dpi_flow_info(d, f, &in);
	assert_unknown(&in);
	assert_string_equal(in.confidence_name, "");
	flow_done(d, f);
	dpi_free(d);
}

#ifdef HAVE_NDPI
static void
test_bad_conf(void **unused)
{
	struct dpi_conf conf;
	struct perr err;

	(void)unused;
	dpi_conf_defaults(&conf);
	conf.max_pkts = 0;
	memset(&err, 0, sizeof(err));
	assert_null(dpi_new(&conf, &err));
	assert_int_equal(err.code, -EINVAL);
	assert_non_null(strstr(err.msg, "max packets"));
	dpi_free(NULL);
}
#endif

#ifdef HAVE_NDPI
/* The per-flow word: 8 bytes, every field at its largest and smallest
 * without touching its neighbours. */
static void
test_word_pack(void **unused)
{
	static const struct dpi_result cases[] = {
		/* master, app, category, confidence, guessed, handle */
		{ 0, 0, 0, 0, 0, 0 },
		{ 511, 0, 0, 0, 0, 0 },		/* largest id: NDPI_NUM_BITS-1 */
		{ 0, 511, 0, 0, 0, 0 },
		{ 0, 0, 105, 0, 0, 0 },		/* CUSTOM_CATEGORY_ANTIMALWARE */
		{ 0, 0, 127, 0, 0, 0 },		/* all category bits */
		{ 0, 0, 0, 7, 0, 0 },		/* all confidence bits */
		{ 0, 0, 0, 0, 1, 0 },
		{ 0, 0, 0, 0, 0, 0xffffffffU },	/* largest handle */
		{ 511, 511, 127, 7, 1, 0xffffffffU },
		{ 5, 126, 14, 6, 0, 0x4001 },	/* DNS.Google, Web, DPI */
	};
	struct dpi *d = dpi_make(1, 0);
	struct dpi_result r, c;
	uint64_t w;
	size_t i;
	uint8_t conf;

	(void)unused;
	assert_int_equal(sizeof(struct dpi_flow), 8);
	assert_int_equal(dpi_ext_size(d), 8);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w = dpi_result_pack(&cases[i]);
		assert_int_equal(dpi_flow_state(w), DPI_DONE);
		memset(&r, 0xa5, sizeof(r));
		dpi_result_unpack(w, &r);
		assert_int_equal(r.master_id, cases[i].master_id);
		assert_int_equal(r.app_id, cases[i].app_id);
		assert_int_equal(r.category, cases[i].category);
		assert_int_equal(r.confidence, cases[i].confidence);
		assert_int_equal(r.guessed, cases[i].guessed);
		assert_int_equal(r.strs, cases[i].strs);
	}
	/* Every confidence value with the other fields at their largest. */
	for (conf = 0; conf < 1U << DPI_CONF_BITS; conf++) {
		c = cases[8];
		c.confidence = conf;
		dpi_result_unpack(dpi_result_pack(&c), &r);
		assert_int_equal(r.confidence, conf);
		assert_int_equal(r.master_id, 511);
		assert_int_equal(r.app_id, 511);
		assert_int_equal(r.category, 127);
		assert_int_equal(r.guessed, 1);
		assert_int_equal(r.strs, 0xffffffffU);
		c.master_id = c.app_id = c.category = c.guessed = 0;
		c.strs = 0;
		dpi_result_unpack(dpi_result_pack(&c), &r);
		assert_int_equal(r.confidence, conf);
		assert_int_equal(r.master_id + r.app_id + r.category +
		    r.guessed, 0);
		assert_int_equal(r.strs, 0);
	}
	dpi_free(d);
}

/*
 * The string arena: blocks of every size in many chunks, each keeping
 * its bytes; freed blocks come back by size; two struct dpi allocate
 * side by side and each one's blocks are read without it; a freed dpi's
 * chunk slots are taken again.
 */
static void
test_arena(void **unused)
{
	enum { N = 600 };
	struct dpi *d[2] = { dpi_make(1, 0), dpi_make(1, 0) }, *d3;
	uint32_t h[2][N], chunks[2][N], units, again, i, k;
	int j, found;

	(void)unused;
	for (i = 0; i < N; i++)
		for (j = 0; j < 2; j++) {
			units = 1 + (i * 37 + (uint32_t)j) % DPI_STR_MAX_UNITS;
			h[j][i] = dpi_str_alloc(d[j], units);
			assert_int_not_equal(h[j][i], 0);
			chunks[j][i] = h[j][i] >> DPI_STR_OFF_BITS;
			assert_true((h[j][i] & ((1U << DPI_STR_OFF_BITS) - 1)) +
			    units <= 1U << DPI_STR_OFF_BITS);
			memset(dpi_str_block(h[j][i]), (int)(i * 2 +
			    (uint32_t)j) & 0xff, units * DPI_STR_UNIT);
		}
	/* About 300 KiB each: both dpis have several chunks, none shared. */
	for (j = 0; j < 2; j++)
		assert_true(chunks[j][N - 1] != chunks[j][0]);
	for (i = 0; i < N; i++)
		for (k = 0; k < N; k++)
			assert_int_not_equal(chunks[0][i], chunks[1][k]);
	for (i = 0; i < N; i++)
		for (j = 0; j < 2; j++) {
			const unsigned char *b = dpi_str_block(h[j][i]);

			units = 1 + (i * 37 + (uint32_t)j) % DPI_STR_MAX_UNITS;
			for (k = 0; k < units * DPI_STR_UNIT; k++)
				assert_int_equal(b[k], (i * 2 + (uint32_t)j) &
				    0xff);
		}
	/* A freed block is the next one of its size, and only of it. */
	units = 1 + (5 * 37) % DPI_STR_MAX_UNITS;
	dpi_str_free(d[0], h[0][5], units);
	again = dpi_str_alloc(d[0], units + 1);
	assert_int_not_equal(again, h[0][5]);
	assert_int_equal(dpi_str_alloc(d[0], units), h[0][5]);
	/* Slots of a freed dpi are reused. */
	dpi_free(d[1]);
	d3 = dpi_make(1, 0);
	again = dpi_str_alloc(d3, 1);
	assert_int_not_equal(again, 0);
	for (found = 0, i = 0; i < N; i++)
		found |= again >> DPI_STR_OFF_BITS == chunks[1][i];
	assert_true(found);
	dpi_free(d3);
	dpi_free(d[0]);
}

/*
 * A flow owned by one struct dpi described through another, as the
 * plugins' view does through the probe's while workers own the flows:
 * two threads, each with its own dpi, classify flows whose strings fill
 * several chunks, and read them through a third dpi, all at once.
 */
struct other_arg {
	struct dpi	*view;
	unsigned	base;
	int		ok;
};

static void *
other_thread(void *arg)
{
	enum { N = 4000 };
	struct other_arg *a = arg;
	struct dpi_conf conf;
	struct perr err;
	struct dpi *d;
	struct flow **f = calloc(N, sizeof(*f));
	char (*names)[80] = calloc(N, sizeof(*names));
	struct dpi_info in, own;
	uint8_t q[128];
	struct tpkt *t = calloc(1, sizeof(*t));
	unsigned i;
	size_t len;

	a->ok = 0;
	dpi_conf_defaults(&conf);
	conf.max_pkts = 1;
	memset(&err, 0, sizeof(err));
	if (f == NULL || names == NULL || t == NULL ||
	    (d = dpi_new(&conf, &err)) == NULL)
		return NULL;
	dpi_set_ext_offset(d, EXT_OFF);
	for (i = 0; i < N; i++) {
		len = dns_query_named(q, 20 + (i + a->base) % 40, i + a->base,
		    names[i]);
		build(t, 17, ip_cli, (uint16_t)(1024 + i), ip_doc, 53, 0, 0,
		    0, q, len, 1000000 + i);
		if ((f[i] = calloc(1, sizeof(struct flow) + EXT_OFF +
		    dpi_ext_size(d))) == NULL)
			goto out;
		f[i]->key.proto = 17;
		dpi_packet(d, f[i], FLOW_DIR_FWD, &t->pkt);
		dpi_flow_info(a->view, f[i], &in);
		dpi_flow_info(d, f[i], &own);
		if (strcmp(in.server_name, names[i]) != 0 ||
		    strcmp(in.app_name, own.app_name) != 0 ||
		    strcmp(in.category_name, own.category_name) != 0 ||
		    in.confidence != own.confidence)
			goto out;
	}
	for (i = 0; i < N; i++) {
		dpi_flow_info(a->view, f[i], &in);
		if (strcmp(in.server_name, names[i]) != 0)
			goto out;
	}
	a->ok = 1;
out:
	for (i = 0; i < N; i++)
		if (f[i] != NULL) {
			dpi_flow_release(d, f[i]);
			free(f[i]);
		}
	dpi_free(d);
	free(f);
	free(names);
	free(t);
	return NULL;
}

static void
test_other_dpi(void **unused)
{
	struct dpi *view = dpi_make(1, 0);
	struct other_arg a[2] = { { view, 0, 0 }, { view, 7, 0 } };
	pthread_t th[2];
	int i;

	(void)unused;
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, other_thread,
		    &a[i]), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(a[i].ok, 1);
	}
	dpi_free(view);
}

/*
 * An instance on another's nDPI module (a worker on the capture thread's):
 * it classifies with that module, keeps its own counters, its settings
 * are the base's, and freeing it leaves the module to the base.
 */
static void
test_sharing(void **unused)
{
	struct dpi *base = dpi_make(1, 0);
	struct dpi_stats st;
	struct dpi_info in;
	struct perr err;
	struct tpkt p[5], q, r;
	struct dpi *sh;
	struct flow *f;
	int i;

	(void)unused;
	memset(&err, 0, sizeof(err));
	sh = dpi_new_sharing(base, &err);
	assert_non_null(sh);
	assert_int_equal(dpi_ext_size(sh), dpi_ext_size(base));
	dpi_set_ext_offset(sh, EXT_OFF);

	/* HTTP on the shared module, read through either instance. */
	http_packets(p);
	f = flow_make(sh, &p[0]);
	for (i = 0; i < 5; i++)
		dpi_packet(sh, f, (i == 1 || i == 4) ? FLOW_DIR_REV :
		    FLOW_DIR_FWD, &p[i].pkt);
	dpi_flow_info(sh, f, &in);
	assert_string_equal(in.app_name, "HTTP.Facebook");
	dpi_flow_info(base, f, &in);
	assert_string_equal(in.app_name, "HTTP.Facebook");
	assert_string_equal(in.user_agent, "l7probe-test/1.0 (unit)");
	dpi_stats(sh, &st);
	assert_int_equal(st.flows_detected, 1);
	assert_int_equal(st.pkts_fed, 5);
	dpi_stats(base, &st);
	assert_int_equal(st.flows_detected, 0);
	assert_int_equal(st.pkts_fed, 0);
	flow_done(sh, f);

	/* The base's max_pkts (20): a flow nDPI cannot tell is given up
	 * after 20 packets. */
	build(&r, 17, ip_cli, 53020, ip_doc, 5555, 0, 0, 0, http_get,
	    strlen(http_get), 1010000);
	f = flow_make(sh, &r);
	for (i = 0; i < 25; i++)
		dpi_packet(sh, f, FLOW_DIR_FWD, &r.pkt);
	dpi_stats(sh, &st);
	assert_int_equal(st.pkts_fed, 5 + 20);
	assert_int_equal(st.flows_active, 0);
	flow_done(sh, f);
	dpi_free(sh);

	/* The module outlives the sharing instance. */
	build(&r, 17, ip_dns, 53, ip_cli, 53021, 0, 0, 0, dns_answer,
	    sizeof(dns_answer), 1020000);
	dns_query_from(&q, 53021);
	f = flow_make(base, &q);
	dpi_packet(base, f, FLOW_DIR_FWD, &q.pkt);
	dpi_packet(base, f, FLOW_DIR_REV, &r.pkt);
	dpi_flow_info(base, f, &in);
	assert_string_equal(in.app_name, "DNS.Google");
	flow_done(base, f);
	dpi_free(base);
}
#endif

/* Built without nDPI: enabled or not, every flow is Unknown. */
static void
test_none(void **unused)
{
	struct dpi *d = dpi_make(1, 0);
	struct dpi_info in;
	struct tpkt q;
	struct flow *f;

	(void)unused;
	dns_query_from(&q, 53005);
	f = flow_make(d, &q);
	dpi_packet(d, f, FLOW_DIR_FWD, &q.pkt);
	dpi_flow_end(d, f);
	dpi_flow_info(d, f, &in);
	assert_unknown(&in);
	assert_string_equal(dpi_backend_version(), "none");
	flow_done(d, f);
	dpi_free(d);
}

int
main(void)
{
	const struct CMUnitTest ndpi_tests[] = {
		cmocka_unit_test(test_dns_google),
		cmocka_unit_test(test_http_host_ua),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_max_pkts),
		cmocka_unit_test(test_end_guesses),
		cmocka_unit_test(test_held_max_pkts),
		cmocka_unit_test(test_release_running),
		cmocka_unit_test(test_later_fragment),
		cmocka_unit_test(test_disabled),
#ifdef HAVE_NDPI
		cmocka_unit_test(test_bad_conf),
		cmocka_unit_test(test_word_pack),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_other_dpi),
		cmocka_unit_test(test_sharing),
#endif
	};
	const struct CMUnitTest none_tests[] = {
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_none),
	};

	if (strcmp(dpi_backend_version(), "none") == 0)
		return cmocka_run_group_tests(none_tests, NULL, NULL);
	return cmocka_run_group_tests(ndpi_tests, NULL, NULL);
}
