/*
 * test_nfv9.c - the NetFlow v9 encoder (src/export/nfv9.c) on buffers:
 * header fields, template, options and data FlowSets byte for byte,
 * padding, packet boundaries at the mtu, template refresh by packet count
 * and by time, sequence numbers, the uniflow swap of the reverse
 * direction, the application table, and the setup errors.
 *
 * Every packet emitted is copied and walked by check_msg(), which parses
 * the FlowSets as a collector would (templates learnt from earlier
 * packets) and asserts the structural rules: lengths add up, the header
 * count is the number of records, padding is zero, shorter than 4 and
 * shorter than a record, and no packet exceeds the mtu.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "export/nfv9_int.h"

#define START_US	UINT64_C(1700000000250000)	/* .250 s past a second */
#define MAX_MSGS	512

/* A template with every kind of field: addresses of both families, fixed
 * numbers, both time conventions, a reduced-size counter, strings. */
static const char test_tmpl[] =
    "sourceIPv4Address\n"
    "destinationIPv4Address\n"
    "sourceIPv6Address\n"
    "destinationIPv6Address\n"
    "sourceTransportPort\n"
    "destinationTransportPort\n"
    "protocolIdentifier\n"
    "flowStartSysUpTime\n"
    "flowEndSysUpTime\n"
    "flowStartMilliseconds\n"
    "packetDeltaCount 4\n"
    "octetDeltaCount\n"
    "biflowDirection\n"
    "applicationId\n"
    "applicationName 16\n"
    "L7_PROTO_NAME 20\n"
    "ndpiProtocolIds\n";			/* no v9 id: left out */

/* IPv4 record: 4 4 2 2 1 4 4 8 4 8 1 9 16 20 = 87 bytes. */
#define V4_REC_LEN	87
#define V6_REC_LEN	(V4_REC_LEN + 24)

struct msg {
	uint8_t		b[65536];
	size_t		len;
	uint32_t	n_data;
};

/* What the emit callback saw, and what check_msg learnt. */
struct sink {
	struct msg	*m;
	size_t		n;
	int		fail;		/* emit returns -ECONNREFUSED */
	uint16_t	tlen[65536];	/* record length by template id */
	uint8_t		is_opt[65536];
};

static struct sink *
sink_new(void)
{
	struct sink *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->m = calloc(MAX_MSGS, sizeof(*s->m));
	assert_non_null(s->m);
	return s;
}

static void
sink_free(struct sink *s)
{
	free(s->m);
	free(s);
}

static int
emit(const uint8_t *msg, size_t len, uint32_t n_data, void *arg)
{
	struct sink *s = arg;

	assert_true(s->n < MAX_MSGS);
	assert_true(len <= sizeof(s->m[0].b));
	memcpy(s->m[s->n].b, msg, len);
	s->m[s->n].len = len;
	s->m[s->n].n_data = n_data;
	s->n++;
	return s->fail ? -ECONNREFUSED : 0;
}

static uint32_t
get(const uint8_t *p, size_t len)
{
	uint32_t v = 0;

	while (len-- > 0)
		v = v << 8 | *p++;
	return v;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get(p, 4) << 32 | get(p + 4, 4);
}

/* Parsed summary of one packet. */
struct parsed {
	uint16_t	count;
	uint32_t	uptime, secs, seq, source;
	uint16_t	fs_ids[64];	/* FlowSet ids in order */
	size_t		fs_off[64];	/* offset of their first record */
	size_t		n_fs;
	uint32_t	records;	/* all kinds, counted by walking */
	uint32_t	data;		/* records of data templates */
	uint32_t	tmpls;		/* data template records */
	uint32_t	opt_tmpls;
};

/* Walks one packet as a collector would; <mtu> bounds its length. */
static void
check_msg(struct sink *s, const struct msg *m, size_t mtu, struct parsed *p)
{
	const uint8_t *b = m->b;
	size_t off = NFV9_HDR_LEN, flen, end, i, rl;
	uint16_t id, tid, n, sl, ol;

	memset(p, 0, sizeof(*p));
	assert_true(m->len <= mtu);
	assert_true(m->len >= NFV9_HDR_LEN);
	assert_int_equal(get(b, 2), 9);			/* version */
	p->count = (uint16_t)get(b + 2, 2);
	p->uptime = get(b + 4, 4);
	p->secs = get(b + 8, 4);
	p->seq = get(b + 12, 4);
	p->source = get(b + 16, 4);
	while (off < m->len) {
		assert_true(m->len - off >= 4);
		id = (uint16_t)get(b + off, 2);
		flen = get(b + off + 2, 2);
		assert_true(flen >= 4);
		assert_true(off + flen <= m->len);
		assert_true(p->n_fs < 64);
		p->fs_ids[p->n_fs] = id;
		p->fs_off[p->n_fs++] = off + 4;
		end = off + flen;
		off += 4;
		if (id == NFV9_FS_TEMPLATE) {
			while (end - off >= 4) {
				tid = (uint16_t)get(b + off, 2);
				n = (uint16_t)get(b + off + 2, 2);
				assert_true(tid >= 256);
				assert_true(off + 4 + 4 * n <= end);
				for (rl = 0, i = 0; i < n; i++)
					rl += get(b + off + 6 + 4 * i, 2);
				s->tlen[tid] = (uint16_t)rl;
				s->is_opt[tid] = 0;
				off += 4 + 4 * (size_t)n;
				p->records++;
				p->tmpls++;
			}
		} else if (id == NFV9_FS_OPTIONS) {
			/* One options template per FlowSet. */
			tid = (uint16_t)get(b + off, 2);
			sl = (uint16_t)get(b + off + 2, 2);
			ol = (uint16_t)get(b + off + 4, 2);
			assert_true(tid >= 256);
			assert_int_equal(sl % 4, 0);
			assert_int_equal(ol % 4, 0);
			assert_true(off + 6 + sl + ol <= end);
			for (rl = 0, i = 0; i < (size_t)(sl + ol) / 4; i++)
				rl += get(b + off + 8 + 4 * i, 2);
			s->tlen[tid] = (uint16_t)rl;
			s->is_opt[tid] = 1;
			off += 6 + (size_t)sl + ol;
			p->records++;
			p->opt_tmpls++;
		} else {
			rl = s->tlen[id];
			assert_true(rl > 0);		/* template known */
			while (end - off >= rl) {
				off += rl;
				p->records++;
				if (!s->is_opt[id])
					p->data++;
			}
		}
		/* Padding: zeros, shorter than 4 and than a record. */
		assert_true(end - off < 4);
		if (id >= 256)
			assert_true(end - off < s->tlen[id]);
		for (; off < end; off++)
			assert_int_equal(b[off], 0);
	}
	assert_int_equal(off, m->len);
	assert_int_equal(p->count, p->records);
	assert_int_equal(m->n_data, p->data);
}

/* The registry templates are parsed in: the built-in rows, or a test's
 * own instance with registered rows. */
static struct ie_reg *test_reg;

static void
load(struct tmpl *t, const char *text)
{
	struct perr err;

	if (tmpl_parse(test_reg, "test", text, t, &err) != 0)
		fail_msg("%s", err.msg);
}

static struct nfv9 *
enc_new(struct sink *s, const char *text, uint32_t mtu, uint32_t refresh_s,
    uint32_t refresh_msgs)
{
	struct nfv9_conf c;
	struct perr err;
	struct nfv9 *nf;
	struct tmpl t;

	load(&t, text);
	memset(&c, 0, sizeof(c));
	c.tmpl = &t;
	c.source_id = 0x01020304;
	c.mtu = mtu;
	c.refresh_s = refresh_s;
	c.refresh_msgs = refresh_msgs;
	c.start_us = START_US;
	if ((nf = nfv9_new(&c, emit, s, &err)) == NULL)
		fail_msg("%s", err.msg);
	return nf;
}

/* A TCP flow 192.168.0.103:50123 -> 31.13.86.52:443 (or fd00::1 ->
 * fd00::2 with <v6>), <fwd> packets forward and <rev> back, times
 * relative to START_US. */
struct fixture {
	struct flow		*f;		/* ends in a flexible array */
	struct dpi_info		app;
	struct exp_record	rec;
};

static void
fixture(struct fixture *x, int v6, uint64_t fwd, uint64_t rev,
    uint16_t master, uint16_t appid, const char *name)
{
	struct flow *f = x->f;

	if (f == NULL)
		assert_non_null(f = malloc(sizeof(*f)));
	memset(x, 0, sizeof(*x));
	memset(f, 0, sizeof(*f));
	x->f = f;
	x->f->key.ip_version = v6 ? 6 : 4;
	x->f->key.proto = 6;
	if (v6) {
		x->f->key.src[0] = x->f->key.dst[0] = 0xfd;
		x->f->key.src[15] = 1;
		x->f->key.dst[15] = 2;
	} else {
		memcpy(x->f->key.src, "\xc0\xa8\x00\x67", 4);
		memcpy(x->f->key.dst, "\x1f\x0d\x56\x34", 4);
	}
	x->f->key.sport = 50123;
	x->f->key.dport = 443;
	x->f->c[0].pkts = fwd;
	x->f->c[0].bytes = fwd * 100;
	if (fwd) {
		x->f->c[0].first_us = START_US + 1500;	/* up 1 ms */
		x->f->c[0].last_us = START_US + 2000999;	/* up 2000 ms */
	}
	x->f->c[1].pkts = rev;
	x->f->c[1].bytes = rev * 1000;
	if (rev) {
		x->f->c[1].first_us = START_US + 3000;
		x->f->c[1].last_us = START_US + 5000000;
	}
	x->app.master_id = master;
	x->app.app_id = appid;
	snprintf(x->app.app_name, sizeof(x->app.app_name), "%s", name);
	snprintf(x->app.category_name, sizeof(x->app.category_name),
	    "SocialNetwork");
	x->rec.flow = x->f;
	x->rec.reason = FLOW_END_IDLE;
	x->rec.app = &x->app;
}

/* Offset of the first record of the first FlowSet <id> in <p>. */
static size_t
fs_find(const struct parsed *p, uint16_t id)
{
	size_t i;

	for (i = 0; i < p->n_fs; i++)
		if (p->fs_ids[i] == id)
			return p->fs_off[i];
	fail_msg("no FlowSet %u", id);
	return 0;
}

/* How many FlowSets <id> <p> has. */
static size_t
fs_count(const struct parsed *p, uint16_t id)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_fs; i++)
		n += p->fs_ids[i] == id;
	return n;
}

static void
test_header_and_first_packet(void **unused)
{
	struct sink *s = sink_new();
	struct nfv9 *nf = enc_new(s, test_tmpl, 1400, 60, 20);
	uint64_t now = START_US + 7400000;	/* 7.4 s after start */
	struct fixture x = { 0 };
	struct parsed p;
	const uint8_t *b;
	size_t o;

	(void)unused;
	assert_int_equal(nfv9_record_len(nf, 4), V4_REC_LEN);
	assert_int_equal(nfv9_record_len(nf, 6), V6_REC_LEN);
	fixture(&x, 0, 3, 2, 91, 211, "TLS.Instagram");
	assert_int_equal(nfv9_add(nf, &x.rec, now), 0);
	assert_int_equal(s->n, 0);		/* nothing sent before flush */
	assert_int_equal(nfv9_flush(nf, now), 0);
	assert_int_equal(s->n, 1);
	check_msg(s, &s->m[0], 1400, &p);
	b = s->m[0].b;

	/* Header: 2 templates + 2 options templates + exporter and app
	 * options records + 2 uniflow records. */
	assert_int_equal(p.count, 8);
	assert_int_equal(p.seq, 0);
	assert_int_equal(p.source, 0x01020304);
	/* The next whole second, 1700000008, and ms since start there. */
	assert_int_equal(p.secs, 1700000008u);
	assert_int_equal(p.uptime, 7750);
	/* So a collector's boot time is the start to the ms. */
	assert_int_equal((uint64_t)p.secs * 1000 - p.uptime, START_US / 1000);

	/* FlowSets in order: templates, two options templates, options
	 * data, then data. */
	assert_int_equal(p.n_fs, 6);
	assert_int_equal(p.fs_ids[0], NFV9_FS_TEMPLATE);
	assert_int_equal(p.fs_ids[1], NFV9_FS_OPTIONS);
	assert_int_equal(p.fs_ids[2], NFV9_FS_OPTIONS);
	assert_int_equal(p.fs_ids[3], NFV9_TID_EXPORTER);
	assert_int_equal(p.fs_ids[4], NFV9_TID_APPS);
	assert_int_equal(p.fs_ids[5], NFV9_TID_V4);
	assert_int_equal(p.tmpls, 2);
	assert_int_equal(p.opt_tmpls, 2);
	assert_int_equal(p.data, 2);

	/* The IPv4 template, field by field (type, length). */
	o = fs_find(&p, NFV9_FS_TEMPLATE);
	{
		static const uint16_t want[][2] = {
			{ 8, 4 }, { 12, 4 }, { 7, 2 }, { 11, 2 }, { 4, 1 },
			{ 22, 4 }, { 21, 4 }, { 152, 8 }, { 2, 4 }, { 1, 8 },
			{ 239, 1 }, { 95, 9 }, { 96, 16 }, { 57591, 20 },
		};
		size_t i;

		assert_int_equal(get(b + o, 2), NFV9_TID_V4);
		assert_int_equal(get(b + o + 2, 2), 14);
		for (i = 0; i < 14; i++) {
			assert_int_equal(get(b + o + 4 + 4 * i, 2), want[i][0]);
			assert_int_equal(get(b + o + 6 + 4 * i, 2), want[i][1]);
		}
		/* IPv6 follows in the same FlowSet, addresses 27/28. */
		o += 4 + 4 * 14;
		assert_int_equal(get(b + o, 2), NFV9_TID_V6);
		assert_int_equal(get(b + o + 4, 2), 27);
		assert_int_equal(get(b + o + 6, 2), 16);
	}

	/* Options template of the application table: scope System 4,
	 * APPLICATION_ID 9, APPLICATION_NAME 16, DESCRIPTION 16. */
	o = p.fs_off[2];
	assert_int_equal(get(b + o, 2), NFV9_TID_APPS);
	assert_int_equal(get(b + o + 2, 2), 4);		/* scope bytes */
	assert_int_equal(get(b + o + 4, 2), 12);	/* option bytes */
	assert_int_equal(get(b + o + 6, 2), NFV9_SCOPE_SYSTEM);
	assert_int_equal(get(b + o + 10, 2), 95);
	assert_int_equal(get(b + o + 12, 2), 9);
	assert_int_equal(get(b + o + 14, 2), 96);
	assert_int_equal(get(b + o + 16, 2), 16);
	assert_int_equal(get(b + o + 18, 2), 94);
	assert_int_equal(get(b + o + 20, 2), 16);
	/* Its FlowSet: 4 + 6 + 16 = 26, padded to 28. */
	assert_int_equal(get(b + o - 2, 2), 28);

	/* Exporter options record: no sampling (interval 1). */
	o = fs_find(&p, NFV9_TID_EXPORTER);
	assert_int_equal(get(b + o, 4), 0x01020304);
	assert_int_equal(get(b + o + 4, 4), 1);
	assert_int_equal(b[o + 8], 1);

	/* The application row: id 20 / PEN 35632 / 91 << 16 | 211. */
	o = fs_find(&p, NFV9_TID_APPS);
	assert_memory_equal(b + o + 4,
	    "\x14\x00\x00\x8b\x30\x00\x5b\x00\xd3", 9);
	assert_memory_equal(b + o + 13, "TLS.Instagram\0\0\0", 16);
	assert_memory_equal(b + o + 29, "SocialNetwork\0\0\0", 16);

	/* Forward record. */
	o = fs_find(&p, NFV9_TID_V4);
	assert_int_equal(get(b + o - 2, 2), 4 + 2 * V4_REC_LEN + 2);
	assert_memory_equal(b + o, "\xc0\xa8\x00\x67\x1f\x0d\x56\x34", 8);
	assert_int_equal(get(b + o + 8, 2), 50123);
	assert_int_equal(get(b + o + 10, 2), 443);
	assert_int_equal(b[o + 12], 6);
	assert_int_equal(get(b + o + 13, 4), 1);	/* FIRST_SWITCHED */
	assert_int_equal(get(b + o + 17, 4), 2000);	/* LAST_SWITCHED */
	assert_true(get64(b + o + 21) == START_US / 1000 + 1);
	assert_int_equal(get(b + o + 29, 4), 3);	/* packets */
	assert_true(get64(b + o + 33) == 300);		/* octets */
	assert_int_equal(b[o + 41], 1);			/* initiator */
	assert_memory_equal(b + o + 51, "TLS.Instagram\0\0\0", 16);
	assert_memory_equal(b + o + 67, "TLS.Instagram\0\0\0\0\0\0\0", 20);

	/* Reverse record: addresses and ports swapped, c[REV]. */
	o += V4_REC_LEN;
	assert_memory_equal(b + o, "\x1f\x0d\x56\x34\xc0\xa8\x00\x67", 8);
	assert_int_equal(get(b + o + 8, 2), 443);
	assert_int_equal(get(b + o + 10, 2), 50123);
	assert_int_equal(get(b + o + 13, 4), 3);
	assert_int_equal(get(b + o + 17, 4), 5000);
	assert_int_equal(get(b + o + 29, 4), 2);
	assert_true(get64(b + o + 33) == 2000);
	assert_int_equal(b[o + 41], 2);			/* reverseInitiator */

	free(x.f);
	nfv9_free(nf);
	sink_free(s);
}

/* A direction without packets makes no record; IPv6 uses its template. */
static void
test_uniflow_one_direction_v6(void **unused)
{
	struct sink *s = sink_new();
	struct nfv9 *nf = enc_new(s, test_tmpl, 1400, 60, 20);
	struct fixture x = { 0 };
	struct parsed p;
	const uint8_t *b;
	size_t o;

	(void)unused;
	fixture(&x, 1, 0, 4, 7, 0, "HTTP");
	assert_int_equal(nfv9_add(nf, &x.rec, START_US + 1000), 0);
	fixture(&x, 1, 0, 0, 7, 0, "HTTP");		/* no packet at all */
	assert_int_equal(nfv9_add(nf, &x.rec, START_US + 1000), 0);
	nfv9_flush(nf, START_US + 1000);
	assert_int_equal(s->n, 1);
	check_msg(s, &s->m[0], 1400, &p);
	assert_int_equal(p.data, 1);
	b = s->m[0].b;
	o = fs_find(&p, NFV9_TID_V6);
	assert_int_equal(b[o], 0xfd);
	assert_int_equal(b[o + 15], 2);			/* src = key dst */
	assert_int_equal(b[o + 31], 1);
	assert_int_equal(get(b + o + 32, 2), 443);
	assert_int_equal(get(b + o + 32 + 2 + 2 + 1 + 4 + 4 + 8, 4), 4);
	free(x.f);
	nfv9_free(nf);
	sink_free(s);
}

/* Many records: every packet within the mtu, each record whole, the
 * sequence counting packets, and the total what was added. */
static void
test_mtu_boundaries_and_sequence(void **unused)
{
	static const uint32_t mtus[] = { 512, 600, 1400, 1401, 1403 };
	struct fixture x = { 0 };
	struct parsed p;
	size_t k, i;
	uint32_t data;

	(void)unused;
	for (k = 0; k < sizeof(mtus) / sizeof(mtus[0]); k++) {
		struct sink *s = sink_new();
		struct nfv9 *nf = enc_new(s, test_tmpl, mtus[k], 60, 0);

		for (i = 0; i < 100; i++) {
			fixture(&x, (int)(i % 3 == 0), 1 + i % 2, i % 2,
			    (uint16_t)i, 0, "X");
			assert_int_equal(nfv9_add(nf, &x.rec, START_US), 0);
		}
		nfv9_flush(nf, START_US);
		data = 0;
		for (i = 0; i < s->n; i++) {
			check_msg(s, &s->m[i], mtus[k], &p);
			assert_int_equal(p.seq, i);
			data += p.data;
			/* A packet is only cut when the next record would
			 * not fit: the largest is an IPv6 one in a new
			 * FlowSet, after padding, with its own padding. */
			if (i + 1 < s->n)
				assert_true(s->m[i].len + 3 + 4 + V6_REC_LEN +
				    3 > mtus[k]);
		}
		/* 100 flows, half with a reverse record. */
		assert_int_equal(data, 150);
		free(x.f);
		x.f = NULL;
		nfv9_free(nf);
		sink_free(s);
	}
}

/* Templates in packet 0, then again every refresh_msgs packets. */
static void
test_refresh_by_count(void **unused)
{
	struct sink *s = sink_new();
	struct nfv9 *nf = enc_new(s, test_tmpl, 512, 0, 3);
	struct fixture x = { 0 };
	struct parsed p;
	size_t i;

	(void)unused;
	/* Flushing after each record: one packet per record. */
	for (i = 0; i < 10; i++) {
		fixture(&x, 0, 1, 0, 7, 0, "HTTP");
		nfv9_add(nf, &x.rec, START_US + i * 1000000);
		nfv9_flush(nf, START_US + i * 1000000);
	}
	/* Templates, options and a record fit in one 512-byte packet. */
	for (i = 0; i < s->n; i++) {
		check_msg(s, &s->m[i], 512, &p);
		assert_int_equal(p.seq, i);
		if (i % 3 == 0)
			assert_int_equal(p.tmpls, 2);
		else
			assert_int_equal(p.tmpls, 0);
	}
	free(x.f);
	nfv9_free(nf);
	sink_free(s);
}

/* A refresh by count carries the templates, not the application table's
 * rows: they go with the first templates (or, as here, just before the
 * first record of a new application) and again once refresh_s passed. */
static void
test_app_rows_timed(void **unused)
{
	struct sink *s = sink_new();
	struct nfv9 *nf = enc_new(s, test_tmpl, 512, 60, 3);
	struct fixture x = { 0 };
	struct parsed p;
	size_t i, tmpls = 0, rows = 0;

	(void)unused;
	for (i = 0; i < 10; i++) {
		/* Packet 3, a refresh by count, brings a new application:
		 * its row goes all the same. */
		if (i == 3)
			fixture(&x, 0, 1, 0, 7, 5, "DNS");
		else
			fixture(&x, 0, 1, 0, 7, 0, "HTTP");
		nfv9_add(nf, &x.rec, START_US + i * 1000000);
		nfv9_flush(nf, START_US + i * 1000000);
	}
	for (i = 0; i < s->n; i++) {
		check_msg(s, &s->m[i], 512, &p);
		tmpls += p.tmpls > 0;
		rows += fs_count(&p, NFV9_TID_APPS);
		if (i == 3)
			assert_int_equal(p.fs_ids[p.n_fs - 2], NFV9_TID_APPS);
	}
	assert_int_equal(tmpls, 4);	/* packets 0, 3, 6 and 9 */
	assert_int_equal(rows, 2);
	/* After 60 s, the next refresh (here by count, at packet 12)
	 * carries the whole table again. */
	tmpls = rows = 0;
	for (i = 10; i < 13; i++) {
		fixture(&x, 0, 1, 0, 7, 0, "HTTP");
		nfv9_add(nf, &x.rec, START_US + 51000000 + i * 1000000);
		nfv9_flush(nf, START_US + 51000000 + i * 1000000);
		check_msg(s, &s->m[s->n - 1], 512, &p);
		tmpls += p.tmpls > 0;
		rows += fs_count(&p, NFV9_TID_APPS);
	}
	assert_int_equal(s->n, 13);
	assert_int_equal(tmpls, 1);
	assert_int_equal(rows, 1);	/* one FlowSet, both rows */
	/* Templates (2 + 2), the exporter's record, two rows, a flow. */
	assert_int_equal(p.count, 2 + 2 + 1 + 2 + 1);
	free(x.f);
	nfv9_free(nf);
	sink_free(s);
}

/* Templates go again once refresh_s has passed, from flush alone when
 * no record comes. */
static void
test_refresh_by_time(void **unused)
{
	struct sink *s = sink_new();
	struct nfv9 *nf = enc_new(s, test_tmpl, 1400, 5, 0);
	struct fixture x = { 0 };
	struct parsed p;

	(void)unused;
	nfv9_flush(nf, START_US);		/* first: templates at once */
	assert_int_equal(s->n, 1);
	check_msg(s, &s->m[0], 1400, &p);
	assert_int_equal(p.tmpls, 2);
	assert_int_equal(p.data, 0);

	fixture(&x, 0, 1, 1, 7, 0, "HTTP");
	nfv9_add(nf, &x.rec, START_US + 4999999);
	nfv9_flush(nf, START_US + 4999999);	/* 5 s not yet passed */
	assert_int_equal(s->n, 2);
	check_msg(s, &s->m[1], 1400, &p);
	assert_int_equal(p.tmpls, 0);
	assert_int_equal(p.data, 2);
	/* The new application got its row first. */
	assert_int_equal(p.fs_ids[0], NFV9_TID_APPS);

	nfv9_flush(nf, START_US + 5000000);	/* idle, period over */
	assert_int_equal(s->n, 3);
	check_msg(s, &s->m[2], 1400, &p);
	assert_int_equal(p.tmpls, 2);
	assert_int_equal(p.opt_tmpls, 2);
	assert_int_equal(p.data, 0);
	assert_int_equal(p.seq, 2);
	/* The whole application table again: one row. */
	assert_int_equal(p.count, 2 + 2 + 1 + 1);

	nfv9_flush(nf, START_US + 9000000);	/* nothing due, no data */
	assert_int_equal(s->n, 3);

	/* Due while a record waits: that record's packet goes first, the
	 * templates start the next one, before the new record. */
	nfv9_add(nf, &x.rec, START_US + 9500000);
	assert_int_equal(s->n, 3);
	nfv9_add(nf, &x.rec, START_US + 10000000);
	assert_int_equal(s->n, 4);
	check_msg(s, &s->m[3], 1400, &p);
	assert_int_equal(p.tmpls, 0);
	assert_int_equal(p.data, 2);
	nfv9_flush(nf, START_US + 10000000);
	assert_int_equal(s->n, 5);
	check_msg(s, &s->m[4], 1400, &p);
	assert_int_equal(p.fs_ids[0], NFV9_FS_TEMPLATE);
	assert_int_equal(p.tmpls, 2);
	assert_int_equal(p.data, 2);
	free(x.f);
	nfv9_free(nf);
	sink_free(s);
}

/* The table grows with the applications seen, each sent once, all sent
 * again at a refresh; lost sends still advance the sequence. */
static void
test_app_table(void **unused)
{
	struct sink *s = sink_new();
	struct nfv9 *nf = enc_new(s, test_tmpl, 1400, 60, 0);
	struct nfv9_stats st;
	struct fixture x = { 0 };
	struct parsed p;
	char name[16];
	uint32_t apps = 0, i, k;

	(void)unused;
	s->fail = 1;
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "App%u", i % 100);
		fixture(&x, 0, 1, 0, 0, (uint16_t)(i % 100), name);
		nfv9_add(nf, &x.rec, START_US);
	}
	nfv9_flush(nf, START_US);
	for (k = 0; k < s->n; k++) {
		check_msg(s, &s->m[k], 1400, &p);
		assert_int_equal(p.seq, k);
		apps += fs_count(&p, NFV9_TID_APPS);
	}
	nfv9_get_stats(nf, &st);
	assert_int_equal(st.apps, 100);
	assert_int_equal(st.emit_errors, s->n);
	/* Rows interleave with data: each in its own FlowSet but the
	 * first, sent with the templates. */
	assert_int_equal(apps, 100);
	free(x.f);
	nfv9_free(nf);
	sink_free(s);
}

/* sysUpTime times wrap modulo 2^32 for packets before the start (a
 * capture file older than the probe); ms since the epoch do not. */
static void
test_time_wrap(void **unused)
{
	struct sink *s = sink_new();
	struct nfv9 *nf = enc_new(s, test_tmpl, 1400, 60, 0);
	struct fixture x = { 0 };
	struct parsed p;
	size_t o;

	(void)unused;
	fixture(&x, 0, 1, 0, 7, 0, "HTTP");
	x.f->c[0].first_us = START_US - 1000000;		/* 1 s before */
	x.f->c[0].last_us = START_US - 999000;
	nfv9_add(nf, &x.rec, START_US);
	nfv9_flush(nf, START_US);
	check_msg(s, &s->m[0], 1400, &p);
	o = fs_find(&p, NFV9_TID_V4);
	assert_int_equal(get(s->m[0].b + o + 13, 4), 0xffffffffu - 999);
	assert_int_equal(get(s->m[0].b + o + 17, 4), 0xffffffffu - 998);
	assert_true(get64(s->m[0].b + o + 21) == START_US / 1000 - 1000);
	free(x.f);
	nfv9_free(nf);
	sink_free(s);
}

/* A 1-byte record: no padding, it would look like a record. */
static void
test_padding_short_records(void **unused)
{
	struct sink *s = sink_new();
	struct nfv9 *nf = enc_new(s, "protocolIdentifier\n", 1400, 60, 0);
	struct fixture x = { 0 };
	struct parsed p;
	size_t o;

	(void)unused;
	assert_int_equal(nfv9_record_len(nf, 4), 1);
	fixture(&x, 0, 1, 1, 7, 0, "HTTP");
	nfv9_add(nf, &x.rec, START_US);
	nfv9_flush(nf, START_US);
	check_msg(s, &s->m[0], 1400, &p);
	o = fs_find(&p, NFV9_TID_V4);
	assert_int_equal(get(s->m[0].b + o - 2, 2), 4 + 2);
	assert_int_equal(o + 2, s->m[0].len);
	/* No applicationId in the template: no table. */
	assert_int_equal(p.opt_tmpls, 1);
	free(x.f);
	nfv9_free(nf);
	sink_free(s);
}

/* A template that cannot carry one IP family: its records are skipped and
 * counted, every one of them (the exporter used to die after 129), and
 * the other family's go on. Addresses of the other family only count as
 * not carrying it: no 0.0.0.0 records. */
static void
test_other_family(void **unused)
{
	static const char *const texts[2] = {
		"sourceIPv4Address\ndestinationIPv4Address\n"
		"protocolIdentifier\npacketDeltaCount\n",
		"sourceIPv6Address\n",
	};
	struct fixture x = { 0 };
	struct nfv9_stats st;
	struct sink *s;
	struct nfv9 *nf;
	uint64_t now = START_US + 10000000;
	int fam, i;

	(void)unused;
	for (fam = 0; fam < 2; fam++) {
		s = sink_new();
		nf = enc_new(s, texts[fam], 1400, 0, 0);
		/* fam 0: IPv4 fields only; fam 1: sourceIPv6Address only. */
		assert_non_null(nfv9_template(nf, fam == 0 ? 4 : 6));
		assert_null(nfv9_template(nf, fam == 0 ? 6 : 4));
		fixture(&x, fam == 0, 1, 1, 0, 0, "Unknown");
		for (i = 0; i < 300; i++)
			assert_int_equal(nfv9_add(nf, &x.rec, now), -ENOTSUP);
		fixture(&x, fam == 1, 1, 1, 0, 0, "Unknown");
		assert_int_equal(nfv9_add(nf, &x.rec, now), 0);
		nfv9_flush(nf, now);
		nfv9_get_stats(nf, &st);
		assert_int_equal(st.skipped_family, 600);
		assert_int_equal(st.data_records, 2);
		nfv9_free(nf);
		sink_free(s);
	}
	free(x.f);
}

/* A plugin field (registered row) goes out as type 49152 + id. */
static void
test_registered_field(void **unused)
{
	struct fixture x = { 0 };
	struct ie_def d;
	struct perr err;
	struct sink *s;
	struct nfv9 *nf;
	struct parsed p;
	const struct tmpl *t;
	uint64_t v = 0x1122334455667788ull;
	uint64_t now = START_US + 10000000;
	size_t off;

	(void)unused;
	memset(&d, 0, sizeof(d));
	d.name = "t_val";
	d.id = 77;
	d.type = IE_T_UNSIGNED64;
	d.flags = IE_F_LOCAL_PEN;
	d.ext_off = 0;
	d.owner = "plugin 't'";
	assert_non_null(test_reg = ie_reg_new());
	assert_int_equal(ie_register(test_reg, &d, &err), 0);
	s = sink_new();
	nf = enc_new(s, "sourceIPv4Address\nt_val\n", 1400, 0, 0);
	t = nfv9_template(nf, 4);
	assert_int_equal(t->n, 2);
	assert_int_equal(t->f[1].ie->v9_id, 49152 + 77);
	assert_int_equal(t->f[1].len, 8);
	x.f = malloc(sizeof(*x.f) + 8);
	fixture(&x, 0, 1, 0, 0, 0, "Unknown");
	memcpy(x.f->ext, &v, 8);
	assert_int_equal(nfv9_add(nf, &x.rec, now), 0);
	nfv9_flush(nf, now);
	assert_int_equal(s->n, 1);
	check_msg(s, &s->m[0], 1400, &p);
	off = fs_find(&p, NFV9_TID_V4);
	assert_memory_equal(s->m[0].b + off, "\xc0\xa8\x00\x67", 4);
	assert_memory_equal(s->m[0].b + off + 4,
	    "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	free(x.f);
	nfv9_free(nf);
	sink_free(s);
	ie_reg_free(test_reg);
	test_reg = NULL;
}

static void
test_setup_errors(void **unused)
{
	struct sink *s = sink_new();
	struct nfv9_conf c;
	struct perr err;
	struct tmpl t;

	(void)unused;
	memset(&c, 0, sizeof(c));
	c.tmpl = &t;
	c.start_us = START_US;
	/* A record longer than the mtu. */
	load(&t, "sourceIPv4Address\nHTTP_UA 1000\n");
	c.mtu = 1000;
	assert_null(nfv9_new(&c, emit, s, &err));
	assert_int_equal(err.code, -EINVAL);
	assert_non_null(strstr(err.msg, "mtu"));
	c.mtu = 1100;
	nfv9_free(nfv9_new(&c, emit, s, &err));
	/* An mtu below the minimum. */
	c.mtu = 64;
	assert_null(nfv9_new(&c, emit, s, &err));
	assert_int_equal(err.code, -EINVAL);
	/* Nothing with a v9 number. */
	load(&t, "ndpiProtocolIds\n");
	c.mtu = 1400;
	assert_null(nfv9_new(&c, emit, s, &err));
	assert_int_equal(err.code, -ENODATA);
	sink_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_and_first_packet),
		cmocka_unit_test(test_uniflow_one_direction_v6),
		cmocka_unit_test(test_mtu_boundaries_and_sequence),
		cmocka_unit_test(test_refresh_by_count),
		cmocka_unit_test(test_app_rows_timed),
		cmocka_unit_test(test_refresh_by_time),
		cmocka_unit_test(test_app_table),
		cmocka_unit_test(test_time_wrap),
		cmocka_unit_test(test_padding_short_records),
		cmocka_unit_test(test_other_family),
		cmocka_unit_test(test_registered_field),
		cmocka_unit_test(test_setup_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
