/*
 * test_capture.c - the pcapng block reader (cap_pcapng.c) on files built
 * here block by block, in both byte orders: each packet with its own
 * interface's link type, time resolutions (if_tsresol decimal and binary,
 * if_tsoffset), simple and obsolete packet blocks, a second section that
 * restarts the interface list, the filter compiled per link type, and
 * every kind of cut or impossible block refused with CAP_BROKEN.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "capture/cap_int.h"
#include "capture/capture.h"

#define LT_EN10MB	1
#define LT_RAW		101
#define LT_SLL		113

/* A pcapng file being built, in one byte order. */
struct ng_buf {
	uint8_t		b[4096];
	size_t		len;
	int		big;		/* big-endian section */
	size_t		blk;		/* start of the open block */
};

static void
put(struct ng_buf *f, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		f->b[f->len + (size_t)i] = (uint8_t)(f->big ?
		    v >> (8 * (n - 1 - i)) : v >> (8 * i));
	f->len += (size_t)n;
}

static void
put_bytes(struct ng_buf *f, const void *p, size_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
	while (f->len % 4 != 0)
		f->b[f->len++] = 0;
}

static void
blk_begin(struct ng_buf *f, uint32_t type)
{
	f->blk = f->len;
	put(f, type, 4);
	put(f, 0, 4);			/* total length, set by blk_end */
}

static void
blk_end(struct ng_buf *f)
{
	size_t total = f->len + 4 - f->blk, save;

	put(f, total, 4);
	save = f->len;
	f->len = f->blk + 4;
	put(f, total, 4);
	f->len = save;
}

static void
shb(struct ng_buf *f, int big)
{
	f->big = big;
	blk_begin(f, 0x0A0D0D0A);
	put(f, 0x1A2B3C4D, 4);		/* byte-order magic */
	put(f, 1, 2);			/* version 1.0 */
	put(f, 0, 2);
	put(f, UINT64_MAX, 8);		/* section length unknown */
	blk_end(f);
}

/* IDB; tsresol 0 = no option (microseconds). */
static void
idb(struct ng_buf *f, uint16_t linktype, uint8_t tsresol, int64_t off_s)
{
	blk_begin(f, 1);
	put(f, linktype, 2);
	put(f, 0, 2);
	put(f, 0, 4);			/* snaplen: none */
	if (tsresol != 0) {
		put(f, 9, 2);		/* if_tsresol */
		put(f, 1, 2);
		put_bytes(f, &tsresol, 1);
	}
	if (off_s != 0) {
		put(f, 14, 2);		/* if_tsoffset */
		put(f, 8, 2);
		put(f, (uint64_t)off_s, 8);
	}
	put(f, 0, 4);			/* opt_endofopt */
	blk_end(f);
}

static void
epb(struct ng_buf *f, uint32_t ifid, uint64_t ts, const void *d, size_t n,
    uint32_t wirelen)
{
	blk_begin(f, 6);
	put(f, ifid, 4);
	put(f, ts >> 32, 4);
	put(f, ts & 0xffffffffu, 4);
	put(f, n, 4);
	put(f, wirelen, 4);
	put_bytes(f, d, n);
	blk_end(f);
}

/* Minimal frames: what matters is the link type and the bytes. */
static const uint8_t eth_udp[] = {
	0x02,0,0,0,0,1, 0x02,0,0,0,0,2, 0x08,0x00,	/* eth: IPv4 */
	0x45,0x00,0x00,0x1c, 0,1,0,0, 64,17,0,0,	/* v4 len 28 udp */
	10,0,0,1, 10,0,0,2,				/* src dst */
	0x30,0x39, 0x00,0x35, 0x00,0x08, 0,0,		/* 12345 -> 53 */
};
static const uint8_t raw_icmp[] = {
	0x45,0x00,0x00,0x1c, 0,2,0,0, 64,1,0,0,		/* v4 len 28 icmp */
	10,0,0,3, 10,0,0,4,
	8,0,0,0, 0,1,0,1,				/* echo request */
};

static FILE *
as_file(struct ng_buf *f)
{
	FILE *fp = fmemopen(f->b, f->len, "rb");

	assert_non_null(fp);
	return fp;
}

/* A reader of <f> as the file "mem", through <filter> (NULL: none); it
 * must open. Its stream goes to <*fp>; close both with close_mem. */
static struct ng_reader *
open_mem(struct ng_buf *f, const char *filter, FILE **fp)
{
	struct perr err = { 0, "" };
	struct ng_reader *r;

	*fp = as_file(f);
	if ((r = ng_open(*fp, "mem", filter, &err)) == NULL)
		fail_msg("%s", err.msg);
	return r;
}

static void
close_mem(struct ng_reader *r, FILE *fp)
{
	ng_free(r);
	fclose(fp);
}

/* Opens <f> and returns what reading its first packet gives, with <err>
 * as ng_next left it. */
static int
first_packet(struct ng_buf *f, struct perr *err)
{
	struct ng_reader *r;
	struct ng_pkt pkt;
	FILE *fp;
	int rc;

	r = open_mem(f, NULL, &fp);
	memset(err, 0, sizeof(*err));
	rc = ng_next(r, &pkt, err);
	close_mem(r, fp);
	return rc;
}

/* ng_open of <f> through <filter>, which must be refused; <err> says
 * why. */
static void
open_refused(struct ng_buf *f, const char *filter, struct perr *err)
{
	FILE *fp = as_file(f);

	assert_null(ng_open(fp, "mem", filter, err));
	fclose(fp);
}

/* A section with an Ethernet interface (0) and a raw IP one (1), and a
 * packet on each: eth_udp at 1 us, raw_icmp at 2 us. */
static void
eth_and_raw(struct ng_buf *f)
{
	shb(f, 0);
	idb(f, LT_EN10MB, 0, 0);
	idb(f, LT_RAW, 0, 0);
	epb(f, 0, 1, eth_udp, sizeof(eth_udp), sizeof(eth_udp));
	epb(f, 1, 2, raw_icmp, sizeof(raw_icmp), sizeof(raw_icmp));
}

/* Two link types in one section, both byte orders, each packet decoded
 * by its own interface's type and time unit. */
static void
test_mixed_linktypes(void **unused)
{
	int big;

	(void)unused;
	for (big = 0; big <= 1; big++) {
		struct ng_buf f = { .len = 0 };
		struct ng_reader *r;
		struct ng_pkt pkt;
		struct perr err = { 0, "" };
		FILE *fp;

		shb(&f, big);
		idb(&f, LT_EN10MB, 0, 0);		/* microseconds */
		idb(&f, LT_RAW, 9, 0);			/* nanoseconds */
		epb(&f, 0, 1700000000123456ull, eth_udp, sizeof(eth_udp),
		    sizeof(eth_udp));
		epb(&f, 1, 1700000001987654321ull, raw_icmp,
		    sizeof(raw_icmp), 1500);
		r = open_mem(&f, NULL, &fp);
		assert_int_equal(ng_linktype(r), LT_EN10MB);
		assert_int_equal(ng_next(r, &pkt, &err), 0);
		assert_int_equal(pkt.linktype, LT_EN10MB);
		assert_int_equal(pkt.ts_us, 1700000000123456ull);
		assert_int_equal(pkt.caplen, sizeof(eth_udp));
		assert_memory_equal(pkt.data, eth_udp, sizeof(eth_udp));
		assert_int_equal(ng_next(r, &pkt, &err), 0);
		assert_int_equal(pkt.linktype, DLT_RAW);	/* as libpcap */
		assert_int_equal(pkt.if_id, 1);
		assert_int_equal(pkt.ts_us, 1700000001987654ull);
		assert_int_equal(pkt.caplen, sizeof(raw_icmp));
		assert_int_equal(pkt.wirelen, 1500);
		assert_memory_equal(pkt.data, raw_icmp, sizeof(raw_icmp));
		assert_int_equal(ng_next(r, &pkt, &err), CAP_EOF);
		close_mem(r, fp);
	}
}

/* if_tsresol in powers of two, and if_tsoffset in seconds. */
static void
test_time_units(void **unused)
{
	struct ng_buf f = { .len = 0 };
	struct ng_reader *r;
	struct ng_pkt pkt;
	struct perr err = { 0, "" };
	FILE *fp;

	(void)unused;
	shb(&f, 0);
	idb(&f, LT_RAW, 0x80 | 10, 0);		/* 1/1024 s */
	idb(&f, LT_RAW, 3, 1000);		/* milliseconds, +1000 s */
	epb(&f, 0, 1024u * 5 + 512, raw_icmp, sizeof(raw_icmp), 28);
	epb(&f, 1, 2500, raw_icmp, sizeof(raw_icmp), 28);
	r = open_mem(&f, NULL, &fp);
	assert_int_equal(ng_next(r, &pkt, &err), 0);
	assert_int_equal(pkt.ts_us, 5500000);	/* 5.5 s */
	assert_int_equal(ng_next(r, &pkt, &err), 0);
	assert_int_equal(pkt.ts_us, 1002500000);	/* 1000 + 2.5 s */
	close_mem(r, fp);
}

/* A second section (other byte order) restarts the interface list; a
 * simple packet block takes interface 0's link type; an obsolete packet
 * block is read too. */
static void
test_sections_spb_opb(void **unused)
{
	struct ng_buf f = { .len = 0 };
	struct ng_reader *r;
	struct ng_pkt pkt;
	struct perr err = { 0, "" };
	FILE *fp;

	(void)unused;
	shb(&f, 0);
	idb(&f, LT_EN10MB, 0, 0);
	epb(&f, 0, 1, eth_udp, sizeof(eth_udp), sizeof(eth_udp));
	shb(&f, 1);
	idb(&f, LT_RAW, 0, 0);
	blk_begin(&f, 3);			/* SPB: wire length, data */
	put(&f, sizeof(raw_icmp), 4);
	put_bytes(&f, raw_icmp, sizeof(raw_icmp));
	blk_end(&f);
	blk_begin(&f, 2);			/* OPB: if, drops, ts, lens */
	put(&f, 0, 2);
	put(&f, 0, 2);
	put(&f, 0, 4);
	put(&f, 7, 4);
	put(&f, sizeof(raw_icmp), 4);
	put(&f, sizeof(raw_icmp), 4);
	put_bytes(&f, raw_icmp, sizeof(raw_icmp));
	blk_end(&f);
	r = open_mem(&f, NULL, &fp);
	assert_int_equal(ng_next(r, &pkt, &err), 0);
	assert_int_equal(pkt.linktype, LT_EN10MB);
	assert_int_equal(ng_next(r, &pkt, &err), 0);
	assert_int_equal(pkt.linktype, DLT_RAW);	/* new section */
	assert_int_equal(pkt.caplen, sizeof(raw_icmp));
	assert_memory_equal(pkt.data, raw_icmp, sizeof(raw_icmp));
	assert_int_equal(ng_next(r, &pkt, &err), 0);
	assert_int_equal(pkt.linktype, DLT_RAW);
	assert_int_equal(pkt.ts_us, 7);
	assert_int_equal(ng_next(r, &pkt, &err), CAP_EOF);
	close_mem(r, fp);
}

/* The filter is compiled for each interface's link type: "udp" passes
 * the Ethernet UDP frame and refuses the raw ICMP one. */
static void
test_filter_per_linktype(void **unused)
{
	struct ng_buf f = { .len = 0 };
	struct ng_reader *r;
	struct ng_pkt pkt;
	struct perr err = { 0, "" };
	FILE *fp;

	(void)unused;
	eth_and_raw(&f);
	r = open_mem(&f, "udp", &fp);
	assert_int_equal(ng_next(r, &pkt, &err), 0);
	assert_int_equal(pkt.filtered, 0);
	assert_int_equal(ng_next(r, &pkt, &err), 0);
	assert_int_equal(pkt.filtered, 1);
	close_mem(r, fp);

	open_refused(&f, "no such filter (", &err);
	assert_int_equal(err.code, -EINVAL);
	assert_non_null(strstr(err.msg, "filter 'no such filter ('"));
}

/* Cut and impossible blocks: each is CAP_BROKEN, never a read past the
 * block. */
static void
test_broken(void **unused)
{
	struct ng_buf good = { .len = 0 }, f;
	struct perr err;
	size_t hdr_len, cut;

	(void)unused;
	shb(&good, 0);
	idb(&good, LT_EN10MB, 0, 0);
	hdr_len = good.len;
	epb(&good, 0, 1, eth_udp, sizeof(eth_udp), sizeof(eth_udp));

	/* Every cut inside the packet block. */
	for (cut = hdr_len + 1; cut < good.len; cut++) {
		f = good;
		f.len = cut;
		assert_int_equal(first_packet(&f, &err), CAP_BROKEN);
		assert_non_null(strstr(err.msg, "capture file 'mem'"));
	}

	/* A captured length past the block. */
	f = good;
	f.b[hdr_len + 20] = 0xff;		/* caplen low byte */
	assert_int_equal(first_packet(&f, &err), CAP_BROKEN);
	assert_non_null(strstr(err.msg, "longer than its block"));

	/* A packet of interface 5, never declared. */
	f = good;
	f.b[hdr_len + 8] = 5;
	assert_int_equal(first_packet(&f, &err), CAP_BROKEN);
	assert_non_null(strstr(err.msg, "undeclared interface"));

	/* Trailing length differs from the leading one. */
	f = good;
	f.b[f.len - 4] ^= 4;
	assert_int_equal(first_packet(&f, &err), CAP_BROKEN);

	/* Impossible lengths: not a multiple of 4, shorter than a block,
	 * larger than NG_MAX_BLOCK. */
	{
		static const uint32_t bad[] = { 33, 8, NG_MAX_BLOCK + 4 };
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			f = good;
			f.len = hdr_len + 4;
			put(&f, bad[i], 4);
			f.len = good.len;
			assert_int_equal(first_packet(&f, &err), CAP_BROKEN);
			assert_non_null(strstr(err.msg, "impossible block"));
		}
	}

	/* Not pcapng at all, and a bad byte-order magic. */
	f = good;
	f.b[0] = 0xd4;
	open_refused(&f, NULL, &err);
	assert_non_null(strstr(err.msg, "not a pcapng file"));
	f = good;
	f.b[8] = 0x11;
	open_refused(&f, NULL, &err);
	assert_non_null(strstr(err.msg, "byte-order magic"));
}

/* Through the public face: cap_open on a pcapng file on disk hands out
 * each packet with its own link type, no ifindex, counts filtered
 * packets, and reports progress to the end of the file. */
struct seen {
	int		linktypes[8];
	uint32_t	ifindex[8];
	int		n;
};

static void
on_pkt(const struct cap_pkt *pkt, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		s->linktypes[s->n] = pkt->linktype;
		s->ifindex[s->n] = pkt->ifindex;
	}
	s->n++;
}

static void
test_cap_open_pcapng(void **unused)
{
	struct ng_buf f = { .len = 0 };
	char path[] = "/tmp/test_capture.XXXXXX";
	struct cap_conf conf;
	struct cap_stats st;
	struct capture *cap;
	struct seen seen;
	struct perr err = { 0, "" };
	uint64_t done, total;
	size_t nread;
	int fd;

	(void)unused;
	eth_and_raw(&f);
	epb(&f, 0, 3, eth_udp, sizeof(eth_udp), sizeof(eth_udp));
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, f.b, f.len), (ssize_t)f.len);
	close(fd);

	memset(&conf, 0, sizeof(conf));
	conf.file = path;
	assert_non_null(cap = cap_open(&conf, &err));
	assert_int_equal(cap_linktype(cap), LT_EN10MB);
	assert_int_equal(cap_is_live(cap), 0);
	assert_int_equal(cap_fd(cap), -1);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(cap_dispatch(cap, 512, on_pkt, &seen, &nread, &err),
	    0);
	assert_int_equal(nread, 3);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.linktypes[0], LT_EN10MB);
	assert_int_equal(seen.linktypes[1], DLT_RAW);
	assert_int_equal(seen.linktypes[2], LT_EN10MB);
	assert_int_equal(seen.ifindex[0] | seen.ifindex[1] | seen.ifindex[2],
	    0);
	assert_int_equal(cap_dispatch(cap, 512, on_pkt, &seen, &nread, &err),
	    CAP_EOF);
	assert_int_equal(cap_progress(cap, &done, &total), 0);
	assert_int_equal(done, f.len);
	assert_int_equal(total, f.len);
	cap_close(cap);

	conf.filter = "icmp";
	assert_non_null(cap = cap_open(&conf, &err));
	memset(&seen, 0, sizeof(seen));
	while (cap_dispatch(cap, 1, on_pkt, &seen, NULL, &err) == 0)
		;
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.linktypes[0], DLT_RAW);
	cap_stats(cap, &st);
	assert_int_equal(st.read, 3);
	assert_int_equal(st.filtered, 2);
	cap_close(cap);
	unlink(path);

	assert_null(cap_open(&conf, &err));
	assert_int_equal(err.code, -ENOENT);
	assert_non_null(strstr(err.msg, "capture file '/tmp/test_capture."));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mixed_linktypes),
		cmocka_unit_test(test_time_units),
		cmocka_unit_test(test_sections_spb_opb),
		cmocka_unit_test(test_filter_per_linktype),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_cap_open_pcapng),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
