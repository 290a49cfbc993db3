/*
 * test_ipfix.c - the IPFIX exporter, read back with libfixbuf's own
 * collector: uniflow records (one per direction with packets, reverse
 * ones with swapped addresses), IPv6 and RFC 5103 biflow templates, the
 * RFC 5610, RFC 6759 and statistics options records, the run-time PEN,
 * and UDP messages that never exceed --mtu while every record arrives.
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
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <fixbuf/public.h>

#include "export/export.h"
#include "ie/ie.h"
#include "tutil.h"

/* What we read back of a flow record. */
struct rd {
	fbVarfield_t	app_name;	/* applicationName */
	fbVarfield_t	l7_name;	/* L7_PROTO_NAME (ntop) */
	uint64_t	pkts;
	uint64_t	bytes;
	uint64_t	rpkts;		/* reversePacketDeltaCount */
	uint64_t	start_ms;
	uint32_t	sip;
	uint32_t	dip;
	uint16_t	sport;
	uint16_t	dport;
	uint16_t	l7_proto;
	uint8_t		proto;
	uint8_t		dir;		/* biflowDirection */
	uint8_t		sip6[16];
};

static fbInfoElementSpec_t rd_spec[] = {
	{ "applicationName",		FB_IE_VARLEN, 0 },
	{ "L7_PROTO_NAME",		FB_IE_VARLEN, 0 },
	{ "packetDeltaCount",		8, 0 },
	{ "octetDeltaCount",		8, 0 },
	{ "reversePacketDeltaCount",	8, 0 },
	{ "flowStartMilliseconds",	8, 0 },
	{ "sourceIPv4Address",		4, 0 },
	{ "destinationIPv4Address",	4, 0 },
	{ "sourceTransportPort",	2, 0 },
	{ "destinationTransportPort",	2, 0 },
	{ "L7_PROTO",			2, 0 },
	{ "protocolIdentifier",		1, 0 },
	{ "biflowDirection",		1, 0 },
	{ "sourceIPv6Address",		16, 0 },
	FB_IESPEC_NULL
};

/* Options records of interest. */
struct ord {
	fbVarfield_t	ie_name;	/* informationElementName */
	uint64_t	flows;		/* exportedFlowRecordTotalCount */
	uint64_t	pkts;		/* packetTotalCount */
	uint32_t	ie_pen;		/* privateEnterpriseNumber */
	uint8_t		app_id[9];	/* applicationId */
	char		app_name[64];	/* applicationName */
	uint8_t		pad[3];
};

static fbInfoElementSpec_t ord_spec[] = {
	{ "informationElementName",		FB_IE_VARLEN, 0 },
	{ "exportedFlowRecordTotalCount",	8, 0 },
	{ "packetTotalCount",			8, 0 },
	{ "privateEnterpriseNumber",		4, 0 },
	{ "applicationId",			9, 0 },
	{ "applicationName",			64, 0 },
	{ "paddingOctets",			3, 0 },
	FB_IESPEC_NULL
};

#define MAX_READ	256

/* Everything a message stream held, by kind. */
struct readback {
	struct rd	flows[MAX_READ];
	uint16_t	flow_tid[MAX_READ];
	char		names[MAX_READ][64];	/* applicationName copies */
	char		l7names[MAX_READ][64];
	int		n_flows;
	char		ie_names[32][32];	/* RFC 5610 names */
	uint32_t	ie_pens[32];
	int		n_ies;
	char		apps[16][64];
	int		n_apps;
	uint64_t	stats_flows;		/* last statistics record */
	uint64_t	stats_pkts;
	int		n_stats;
	uint32_t	tmpl_pens[8];		/* enterprise PENs in tid 256 */
	int		n_tmpl_pens;
};

static struct dpi_info app;

static void
fill_app(void)
{
	memset(&app, 0, sizeof(app));
	snprintf(app.app_name, sizeof(app.app_name), "TLS.Instagram");
	snprintf(app.category_name, sizeof(app.category_name),
	    "SocialNetwork");
	snprintf(app.app_id_str, sizeof(app.app_id_str), "91.211");
	app.master_id = 91;
	app.app_id = 211;
	app.category_id = 6;
	app.confidence_name = "DPI";
	app.server_name = "i.instagram.com";
	app.client_fingerprint = "";
	app.server_fingerprint = "";
	app.user_agent = "";
}

static void
fill_flow4(struct flow *f, uint32_t src, uint32_t dst, uint16_t sport,
    uint16_t dport, uint64_t fwd_pkts, uint64_t rev_pkts)
{
	memset(f, 0, sizeof(*f));
	f->key.ip_version = 4;
	f->key.proto = 6;
	src = htonl(src);
	dst = htonl(dst);
	memcpy(f->key.src, &src, 4);
	memcpy(f->key.dst, &dst, 4);
	f->key.sport = sport;
	f->key.dport = dport;
	f->c[FLOW_DIR_FWD].pkts = fwd_pkts;
	f->c[FLOW_DIR_FWD].bytes = fwd_pkts * 100;
	f->c[FLOW_DIR_FWD].first_us = fwd_pkts ? 1700000000000000ull : 0;
	f->c[FLOW_DIR_FWD].last_us = fwd_pkts ? 1700000001000000ull : 0;
	f->c[FLOW_DIR_REV].pkts = rev_pkts;
	f->c[FLOW_DIR_REV].bytes = rev_pkts * 60;
	f->c[FLOW_DIR_REV].first_us = rev_pkts ? 1700000000500000ull : 0;
	f->c[FLOW_DIR_REV].last_us = rev_pkts ? 1700000002000000ull : 0;
}

static void
counters(void *arg, struct exp_counters *c)
{
	(void)arg;
	c->pkts_read = 1234;
	c->pkts_ignored = 5;
	c->pkts_dropped = 0;
}

static void
conf_init(struct exp_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->template = "default";
	c->observation_domain = 7;
	c->pen = 32473;
	c->mtu = 1400;
	c->template_refresh_s = 60;
	c->template_refresh_pkts = 20;
	c->export_queue = 1000;
	c->start_us = 1700000000000000ull;
	c->counters = counters;
}

static void
copy_str(char *out, size_t size, const fbVarfield_t *v)
{
	size_t n = v->len < size - 1 ? v->len : size - 1;

	if (v->buf == NULL)
		n = 0;
	else
		memcpy(out, v->buf, n);
	out[n] = '\0';
}

/* The enterprise numbers of the fields of template <t>. */
static void
note_pens(fbTemplate_t *t, struct readback *rb)
{
	uint32_t i, pen;

	for (i = 0; i < fbTemplateCountElements(t) && rb->n_tmpl_pens < 8;
	    i++)
		if ((pen = fbTemplateGetIndexedIE(t, i)->ent) != 0)
			rb->tmpl_pens[rb->n_tmpl_pens++] = pen;
}

/* Reads every record of <fbuf> (a file or fBufSetBuffer) into <rb>. */
static void
read_records(fBuf_t *fbuf, struct readback *rb)
{
	fbTemplate_t *t;
	GError *gerr = NULL;
	struct rd r;
	struct ord o;
	uint16_t tid;
	size_t len;

	for (;;) {
		if ((t = fBufNextCollectionTemplate(fbuf, &tid, &gerr)) == NULL)
			break;
		if (tid >= 256 && tid <= 259) {
			if (tid == 256 && rb->n_tmpl_pens == 0)
				note_pens(t, rb);
			assert_true(fBufSetInternalTemplate(fbuf, 1000, &gerr));
			len = sizeof(r);
			memset(&r, 0, sizeof(r));
			if (!fBufNext(fbuf, (uint8_t *)&r, &len, &gerr))
				break;
			assert_true(rb->n_flows < MAX_READ);
			copy_str(rb->names[rb->n_flows], 64, &r.app_name);
			copy_str(rb->l7names[rb->n_flows], 64, &r.l7_name);
			rb->flow_tid[rb->n_flows] = tid;
			rb->flows[rb->n_flows++] = r;
			continue;
		}
		assert_true(fBufSetInternalTemplate(fbuf, 1001, &gerr));
		len = sizeof(o);
		memset(&o, 0, sizeof(o));
		if (!fBufNext(fbuf, (uint8_t *)&o, &len, &gerr))
			break;
		if (tid == 260 && rb->n_ies < 32) {
			copy_str(rb->ie_names[rb->n_ies], 32, &o.ie_name);
			rb->ie_pens[rb->n_ies++] = o.ie_pen;
		} else if (tid == 261 && rb->n_apps < 16) {
			memcpy(rb->apps[rb->n_apps], o.app_name, 63);
			rb->apps[rb->n_apps++][63] = '\0';
		} else if (tid == 262) {
			rb->stats_flows = o.flows;
			rb->stats_pkts = o.pkts;
			rb->n_stats++;
		}
	}
	if (gerr != NULL) {
		/* The end of the input, nothing else. */
		assert_true(g_error_matches(gerr, FB_ERROR_DOMAIN,
		    FB_ERROR_EOF) || g_error_matches(gerr, FB_ERROR_DOMAIN,
		    FB_ERROR_EOM) || g_error_matches(gerr, FB_ERROR_DOMAIN,
		    FB_ERROR_BUFSZ));
		g_clear_error(&gerr);
	}
}

static fbInfoModel_t *
reader_model(void)
{
	fbInfoModel_t *m = fbInfoModelAlloc();
	const char *xml = ie_builtin("l7probe-ie.xml");

	assert_non_null(xml);
	assert_true(fbInfoModelReadXMLData(m, xml, (gssize)strlen(xml), NULL));
	return m;
}

static fbSession_t *
reader_session(fbInfoModel_t *m)
{
	fbSession_t *s = fbSessionAlloc(m);
	fbTemplate_t *t1 = fbTemplateAlloc(m), *t2 = fbTemplateAlloc(m);
	GError *gerr = NULL;

	assert_true(fbTemplateAppendSpecArray(t1, rd_spec, 0, &gerr));
	assert_true(fbTemplateAppendSpecArray(t2, ord_spec, 0, &gerr));
	assert_int_equal(fbSessionAddTemplate(s, TRUE, 1000, t1, &gerr), 1000);
	assert_int_equal(fbSessionAddTemplate(s, TRUE, 1001, t2, &gerr), 1001);
	return s;
}

static void
read_file(const char *path, struct readback *rb)
{
	fbInfoModel_t *m = reader_model();
	fbCollector_t *c;
	fBuf_t *fbuf;
	GError *gerr = NULL;

	c = fbCollectorAllocFile(NULL, path, &gerr);
	assert_non_null(c);
	fbuf = fBufAllocForCollection(reader_session(m), c);
	memset(rb, 0, sizeof(*rb));
	read_records(fbuf, rb);
	fBufFree(fbuf);
	fbInfoModelFree(m);
}

/* exp_open that must succeed. */
static struct exporter *
open_ok(const char *uri, const struct exp_conf *conf)
{
	struct perr err = { 0, "" };
	struct exporter *ex = exp_open(uri, conf, &err);

	if (ex == NULL)
		fail_msg("%s", err.msg);
	return ex;
}

static struct exporter *
open_file(char *path, size_t size, const struct exp_conf *conf)
{
	static char uri[128];

	snprintf(path, size, "/tmp/l7probe-test-ipfix-XXXXXX");
	tu_temp_file(path);
	snprintf(uri, sizeof(uri), "ipfix-file:%s", path);
	return open_ok(uri, conf);
}

/* A UDP socket on 127.0.0.1 and its "ipfix://127.0.0.1:PORT" in <uri>. */
static int
udp_collector(char *uri, size_t size)
{
	uint16_t port = 0;
	int fd = tu_local_socket(SOCK_DGRAM, &port);

	snprintf(uri, size, "ipfix://127.0.0.1:%u", port);
	return fd;
}

/* udp_collector whose receive buffer (4 MiB) holds every datagram of a
 * test. */
static int
udp_collector_big(char *uri, size_t size)
{
	int fd = udp_collector(uri, size), big = 1 << 22;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	return fd;
}

/* <n> IPv4 flows of the application <app>, source ports 1000 on, through
 * <ex> as idle ends; <rec> and <f> are left with the last. */
static void
write_flows(struct exporter *ex, struct exp_record *rec, struct flow *f,
    int n)
{
	int i;

	rec->app = &app;
	rec->reason = FLOW_END_IDLE;
	rec->flow = f;
	for (i = 0; i < n; i++) {
		fill_flow4(f, 0x0a000001, 0x0a000002, (uint16_t)(1000 + i), 80,
		    1, 0);
		assert_int_equal(exp_write(ex, rec), 0);
	}
}

static void
test_uniflow_file(void **unused)
{
	static struct readback rb;
	struct exp_conf conf;
	struct exp_record rec;
	struct exporter *ex;
	struct flow fa, fb;
	char path[64];
	int i, found_l7 = 0;

	(void)unused;
	fill_app();
	conf_init(&conf);
	ex = open_file(path, sizeof(path), &conf);
	fill_flow4(&fa, 0xc0000201, 0xc6336402, 40000, 443, 3, 2);
	fill_flow4(&fb, 0xc0000201, 0xc6336403, 40001, 443, 1, 0);
	rec.app = &app;
	rec.reason = FLOW_END_IDLE;
	rec.flow = &fa;
	assert_int_equal(exp_write(ex, &rec), 0);
	rec.flow = &fb;
	assert_int_equal(exp_write(ex, &rec), 0);
	assert_int_equal(exp_flush(ex), 0);
	assert_int_equal(exp_finish(ex), 0);
	exp_close(ex);

	read_file(path, &rb);
	unlink(path);
	/* A: both directions; B: forward only (its reverse is empty). */
	assert_int_equal(rb.n_flows, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(rb.flow_tid[i], 256);
		assert_string_equal(rb.names[i], "TLS.Instagram");
		assert_string_equal(rb.l7names[i], "TLS.Instagram");
		assert_int_equal(rb.flows[i].l7_proto, 211);
		assert_int_equal(rb.flows[i].proto, 6);
	}
	assert_int_equal(rb.flows[0].sip, 0xc0000201);
	assert_int_equal(rb.flows[0].dport, 443);
	assert_int_equal(rb.flows[0].pkts, 3);
	assert_int_equal(rb.flows[0].bytes, 300);
	assert_int_equal(rb.flows[0].dir, 1);
	assert_int_equal(rb.flows[0].start_ms, 1700000000000ull);
	/* The reverse record: addresses and ports swapped. */
	assert_int_equal(rb.flows[1].sip, 0xc6336402);
	assert_int_equal(rb.flows[1].dip, 0xc0000201);
	assert_int_equal(rb.flows[1].sport, 443);
	assert_int_equal(rb.flows[1].dport, 40000);
	assert_int_equal(rb.flows[1].pkts, 2);
	assert_int_equal(rb.flows[1].bytes, 120);
	assert_int_equal(rb.flows[1].dir, 2);
	assert_int_equal(rb.flows[1].start_ms, 1700000000500ull);
	assert_int_equal(rb.flows[2].pkts, 1);
	/* RFC 5610: our enterprise elements, by name. */
	for (i = 0; i < rb.n_ies; i++) {
		if (strcmp(rb.ie_names[i], "L7_PROTO_NAME") == 0) {
			assert_int_equal(rb.ie_pens[i], IE_PEN_NTOP);
			found_l7 = 1;
		}
	}
	assert_true(found_l7);
	/* RFC 6759: the application, once. */
	assert_int_equal(rb.n_apps, 1);
	assert_string_equal(rb.apps[0], "TLS.Instagram");
	/* Statistics: the final record counts every flow record. */
	assert_true(rb.n_stats >= 1);
	assert_int_equal(rb.stats_flows, 3);
	assert_int_equal(rb.stats_pkts, 1234);
}

static void
test_biflow_and_ipv6(void **unused)
{
	static struct readback rb;
	struct exp_conf conf;
	struct exp_record rec;
	struct exporter *ex;
	struct flow f4, f6;
	char path[64];

	(void)unused;
	fill_app();
	conf_init(&conf);
	conf.biflow = 1;
	ex = open_file(path, sizeof(path), &conf);
	fill_flow4(&f4, 0x0a000001, 0x0a000002, 1000, 53, 2, 2);
	f4.key.proto = 17;
	fill_flow4(&f6, 0, 0, 2000, 443, 0, 4);	/* reverse only */
	f6.key.ip_version = 6;
	memset(f6.key.src, 0, 16);
	f6.key.src[0] = 0x20;
	f6.key.src[1] = 0x01;
	f6.key.src[15] = 1;
	rec.app = &app;
	rec.reason = FLOW_END_ACTIVE;
	rec.flow = &f4;
	assert_int_equal(exp_write(ex, &rec), 0);
	rec.flow = &f6;
	assert_int_equal(exp_write(ex, &rec), 0);
	exp_close(ex);		/* without finish: close flushes too */

	read_file(path, &rb);
	unlink(path);
	assert_int_equal(rb.n_flows, 2);
	assert_int_equal(rb.flow_tid[0], 258);
	assert_int_equal(rb.flows[0].pkts, 2);
	assert_int_equal(rb.flows[0].rpkts, 2);
	assert_int_equal(rb.flows[0].proto, 17);
	assert_int_equal(rb.flow_tid[1], 259);
	assert_int_equal(rb.flows[1].pkts, 0);
	assert_int_equal(rb.flows[1].rpkts, 4);
	assert_int_equal(rb.flows[1].sip6[0], 0x20);
	assert_int_equal(rb.flows[1].sip6[15], 1);
	/* RFC 5103: the forward start time is the forward direction's,
	 * which saw no packet in this record. */
	assert_int_equal(rb.flows[1].start_ms, 0);
}

static void
test_local_pen(void **unused)
{
	static struct readback rb;
	char tpath[] = "/tmp/l7probe-test-ipfix-tmpl-XXXXXX.tmpl";
	struct exp_conf conf;
	struct exp_record rec;
	struct exporter *ex;
	struct flow f;
	char path[64];
	FILE *fp;
	int fd, i, seen = 0;

	(void)unused;
	fd = mkstemps(tpath, 5);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs("sourceIPv4Address\nndpiProtocolIds\nL7_PROTO\n", fp);
	fclose(fp);
	fill_app();
	conf_init(&conf);
	conf.template = tpath;
	conf.pen = 4242;
	ex = open_file(path, sizeof(path), &conf);
	fill_flow4(&f, 1, 2, 3, 4, 1, 0);
	rec.app = &app;
	rec.reason = FLOW_END_IDLE;
	rec.flow = &f;
	assert_int_equal(exp_write(ex, &rec), 0);
	exp_close(ex);
	unlink(tpath);

	read_file(path, &rb);
	unlink(path);
	assert_int_equal(rb.n_flows, 1);
	for (i = 0; i < rb.n_tmpl_pens; i++)
		seen |= rb.tmpl_pens[i] == 4242 ? 1 :
		    rb.tmpl_pens[i] == IE_PEN_NTOP ? 2 : 4;
	assert_int_equal(seen, 3);
	for (i = 0, seen = 0; i < rb.n_ies; i++)
		if (strcmp(rb.ie_names[i], "ndpiProtocolIds") == 0 &&
		    rb.ie_pens[i] == 4242)
			seen = 1;
	assert_true(seen);
}

/* Reads the IPFIX datagrams waiting on <fd> into <rb>, each checked as a
 * collector would (version, length, domain 7); *<largest> is the longest.
 * Returns how many there were. */
static int
recv_records(int fd, struct readback *rb, ssize_t *largest)
{
	static uint8_t dgram[70000];
	fbInfoModel_t *m = reader_model();
	fBuf_t *fbuf = fBufAllocForCollection(reader_session(m), NULL);
	ssize_t n;
	int n_dgrams = 0;

	memset(rb, 0, sizeof(*rb));
	*largest = 0;
	while ((n = recv(fd, dgram, sizeof(dgram), MSG_DONTWAIT)) > 0) {
		n_dgrams++;
		if (n > *largest)
			*largest = n;
		assert_int_equal(dgram[0] << 8 | dgram[1], 10);
		assert_int_equal(dgram[2] << 8 | dgram[3], n);
		/* Octets 12-15: the observation domain. */
		assert_int_equal(dgram[12] << 24 | dgram[13] << 16 |
		    dgram[14] << 8 | dgram[15], 7);
		fBufSetBuffer(fbuf, dgram, (size_t)n);
		read_records(fbuf, rb);
	}
	fBufFree(fbuf);
	fbInfoModelFree(m);
	return n_dgrams;
}

/* <n> flows (write_flows) through an exporter of <conf> to a fresh UDP
 * collector on 127.0.0.1, read back into <rb>: every one there, in
 * order. Returns how many datagrams came; *<largest> is the longest. */
static int
udp_round(const struct exp_conf *conf, int n, struct readback *rb,
    ssize_t *largest)
{
	struct exp_record rec;
	struct exporter *ex;
	struct flow f;
	char uri[64];
	int fd, i, n_dgrams;

	fd = udp_collector_big(uri, sizeof(uri));
	ex = open_ok(uri, conf);
	write_flows(ex, &rec, &f, n);
	assert_int_equal(exp_finish(ex), 0);
	exp_close(ex);
	n_dgrams = recv_records(fd, rb, largest);
	close(fd);
	assert_int_equal(rb->n_flows, n);
	for (i = 0; i < n; i++)
		assert_int_equal(rb->flows[i].sport, 1000 + i);
	return n_dgrams;
}

/* UDP: every datagram within --mtu, every record there. */
static void
test_udp_mtu(void **unused)
{
	static struct readback rb;
	static char long_name[400];
	struct exp_conf conf;
	ssize_t largest;

	(void)unused;
	fill_app();
	memset(long_name, 'n', sizeof(long_name) - 1);
	app.server_name = long_name;	/* cut to 255 octets on the wire */
	conf_init(&conf);
	conf.mtu = 512;
	conf.template_refresh_pkts = 5;
	assert_true(udp_round(&conf, 60, &rb, &largest) > 10);
	assert_true(largest <= 512);
}

/* UDP without --mtu: to a collector on this host (127.0.0.1, the
 * loopback's path), messages up to EXP_MTU_LOCAL bytes, not
 * EXP_MTU_DEFAULT; every record there. */
static void
test_udp_local_size(void **unused)
{
	static struct readback rb;
	struct exp_conf conf;
	ssize_t largest;
	int n_dgrams;

	(void)unused;
	fill_app();
	conf_init(&conf);
	conf.mtu = 0;
	n_dgrams = udp_round(&conf, 200, &rb, &largest);
	assert_true(largest > EXP_MTU_DEFAULT);
	assert_true(largest <= EXP_MTU_LOCAL);
	/* 200 records of well over 100 bytes: full messages near the
	 * size, so a handful of datagrams, not dozens. */
	assert_true(n_dgrams >= 3 && n_dgrams < 12);
}

/* The probe's time, as exp_conf.now gives it. */
static uint64_t fake_now_us;

static uint64_t
fake_now(void *arg)
{
	(void)arg;
	return fake_now_us;
}

/* Whether the datagrams waiting on <fd> carry a template set (id 2). */
static int
recv_has_templates(int fd)
{
	uint8_t dgram[65536];
	size_t off, setlen;
	ssize_t n;
	int found = 0;

	while ((n = recv(fd, dgram, sizeof(dgram), MSG_DONTWAIT)) > 0)
		for (off = 16; off + 4 <= (size_t)n; off += setlen) {
			setlen = (size_t)dgram[off + 2] << 8 | dgram[off + 3];
			if ((dgram[off] << 8 | dgram[off + 1]) == 2)
				found = 1;
			if (setlen < 4)
				break;
		}
	return found;
}

/* Of the datagrams waiting on <fd>: how many sets of <ids[i]> each. */
static void
recv_count_sets(int fd, const int *ids, int *count, int n_ids)
{
	uint8_t dgram[65536];
	size_t off, setlen;
	ssize_t n;
	int i, id;

	for (i = 0; i < n_ids; i++)
		count[i] = 0;
	while ((n = recv(fd, dgram, sizeof(dgram), MSG_DONTWAIT)) > 0)
		for (off = 16; off + 4 <= (size_t)n; off += setlen) {
			id = dgram[off] << 8 | dgram[off + 1];
			setlen = (size_t)dgram[off + 2] << 8 | dgram[off + 3];
			for (i = 0; i < n_ids; i++)
				count[i] += id == ids[i];
			if (setlen < 4)
				break;
		}
}

/* UDP: a refresh by count (template_refresh_pkts) carries the templates
 * again, not the application records, which go with the first templates
 * and then every template_refresh_s seconds (and a new application just
 * before its first record). */
static void
test_app_rows_timed(void **unused)
{
	static const int ids[2] = { 2, 261 };
	struct exp_conf conf;
	struct exp_record rec;
	struct exporter *ex;
	struct flow f;
	char uri[64];
	int fd, n[2];

	(void)unused;
	fd = udp_collector_big(uri, sizeof(uri));
	fill_app();
	conf_init(&conf);
	conf.mtu = 512;
	conf.template_refresh_pkts = 3;
	conf.now = fake_now;
	fake_now_us = 1800000000000000ull;
	ex = open_ok(uri, &conf);
	write_flows(ex, &rec, &f, 60);
	assert_int_equal(exp_flush(ex), 0);
	recv_count_sets(fd, ids, n, 2);
	assert_true(n[0] >= 4);		/* the first, and refreshes by count */
	assert_int_equal(n[1], 1);	/* the application: once */
	/* The refresh period later: the application again. */
	fake_now_us += 61000000;
	assert_int_equal(exp_write(ex, &rec), 0);
	assert_int_equal(exp_flush(ex), 0);
	recv_count_sets(fd, ids, n, 2);
	assert_true(n[0] >= 1);
	assert_int_equal(n[1], 1);
	exp_close(ex);
	close(fd);
}

/* UDP templates are resent every template_refresh_s seconds of the
 * probe's time (exp_conf.now), not of a clock the exporter reads. */
static void
test_probe_time(void **unused)
{
	struct exp_conf conf;
	struct exp_record rec;
	struct exporter *ex;
	struct flow f;
	char uri[64];
	int fd;

	(void)unused;
	fd = udp_collector(uri, sizeof(uri));
	fill_app();
	conf_init(&conf);
	conf.template_refresh_pkts = 1000000;
	conf.now = fake_now;
	fake_now_us = 1800000000000000ull;
	ex = open_ok(uri, &conf);
	rec.app = &app;
	rec.reason = FLOW_END_IDLE;
	rec.flow = &f;
	fill_flow4(&f, 0x0a000001, 0x0a000002, 1000, 80, 1, 0);
	assert_int_equal(exp_write(ex, &rec), 0);
	assert_int_equal(exp_flush(ex), 0);
	assert_true(recv_has_templates(fd));
	/* 30 s later: not due. */
	fake_now_us += 30000000;
	assert_int_equal(exp_write(ex, &rec), 0);
	assert_int_equal(exp_flush(ex), 0);
	assert_false(recv_has_templates(fd));
	/* 61 s after the first: due again, whatever the wall clock says. */
	fake_now_us += 31000000;
	assert_int_equal(exp_write(ex, &rec), 0);
	assert_int_equal(exp_flush(ex), 0);
	assert_true(recv_has_templates(fd));
	exp_close(ex);
	close(fd);
}

static void
test_errors(void **unused)
{
	struct exp_conf conf;
	struct perr err;

	(void)unused;
	conf_init(&conf);
	assert_null(exp_open("ipfix-file:/nonexistent-dir/x.ipfix", &conf,
	    &err));
	assert_non_null(strstr(err.msg, "cannot create"));
	conf.template = "no-such-template";
	assert_null(exp_open("ipfix://127.0.0.1:4739", &conf, &err));
	assert_non_null(strstr(err.msg, "no-such-template"));
}

/* SIGHUP after logrotate moved the file (exp_reopen): the old file ends
 * with what was buffered, the new one starts with its templates; both
 * decode and no record is lost. */
static void
test_reopen_after_move(void **unused)
{
	static struct readback rb1, rb2;
	struct exp_delivery d;
	struct exp_conf conf;
	struct exp_record rec;
	struct exporter *ex;
	struct flow fa, fb;
	char path[64], moved[80];

	(void)unused;
	fill_app();
	conf_init(&conf);
	ex = open_file(path, sizeof(path), &conf);
	snprintf(moved, sizeof(moved), "%s.1", path);
	fill_flow4(&fa, 0xc0000201, 0xc6336402, 40000, 443, 3, 2);
	fill_flow4(&fb, 0xc0000201, 0xc6336403, 40001, 443, 1, 0);
	rec.app = &app;
	rec.reason = FLOW_END_IDLE;
	rec.flow = &fa;
	assert_int_equal(exp_write(ex, &rec), 0);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(exp_reopen(ex), 0);
	rec.flow = &fb;
	assert_int_equal(exp_write(ex, &rec), 0);
	assert_int_equal(exp_finish(ex), 0);
	/* The delivery counters, as a statistics line reads them. */
	exp_get_delivery(ex, &d);
	assert_int_equal(d.records_sent, 3);
	assert_int_equal(d.records_dropped, 0);
	assert_int_equal(d.records_queued, 0);
	exp_close(ex);

	read_file(moved, &rb1);
	read_file(path, &rb2);
	unlink(path);
	unlink(moved);
	assert_int_equal(rb1.n_flows, 2);	/* A, both directions */
	assert_int_equal(rb2.n_flows, 1);	/* B, in the new file */
	assert_int_equal(rb2.flows[0].pkts, 1);
	/* The new file is whole by itself: templates, type and
	 * application records again. */
	assert_true(rb2.n_ies > 0);
	assert_int_equal(rb2.n_apps, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniflow_file),
		cmocka_unit_test(test_biflow_and_ipv6),
		cmocka_unit_test(test_local_pen),
		cmocka_unit_test(test_udp_mtu),
		cmocka_unit_test(test_udp_local_size),
		cmocka_unit_test(test_probe_time),
		cmocka_unit_test(test_app_rows_timed),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_reopen_after_move),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
