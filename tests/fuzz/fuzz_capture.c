/*
 * fuzz_capture.c - fuzz target: a whole capture through the data path, as
 * the probe runs it: libpcap reads the input as a pcap or pcapng file
 * (from memory: fmemopen + pcap_fopen_offline), each frame is decoded,
 * accounted in a flow table, classified by nDPI (when built in), and every
 * ended record goes to every encoder: JSON lines, an IPFIX file (when
 * built with libfixbuf) and the NetFlow v9 message builder.
 *
 * Input: one options byte, then the capture file.
 *	bit 0	tunnels off		bit 1	DPI off
 *	bit 2	IPFIX biflow records	bit 3	the "minimal" template
 *	bits 4-7  flow table capacity: 0 = default, else 1..15 (evictions)
 * The exporters write to files by name only (exp_open takes a URI), so
 * their output goes to a memfd named by its /proc/self/fd path: nothing
 * touches a disk. Checked for every input, else abort():
 *	- packets decoded = packets in the ended records (exact accounting);
 *	- one JSON line per record, each an object, no raw control byte;
 *	- the IPFIX file is a sequence of version 10 messages whose lengths
 *	  add up to its size;
 *	- every v9 packet fits the MTU, has a version 9 header and FlowSets
 *	  whose lengths add up to it.
 * Replayed by make check over tests/fuzz/corpus/capture.
 */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode/decode.h"
#include "dpi/dpi.h"
#include "export/export.h"
#include "export/nfv9_int.h"
#include "flow/flow.h"
#include "ie/ie.h"
#include "v9check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define V9_MTU		1400

struct run {
	struct dpi	*dpi;
	struct exporter	*json, *ipfix;
	struct nfv9	*nf;
	uint64_t	pkts_exported;
	uint64_t	records;
	uint64_t	last_us;
};

static int
on_pkt(struct flow *f, enum flow_dir dir, const struct dec_pkt *pkt,
    void *arg)
{
	struct run *r = arg;

	dpi_packet(r->dpi, f, dir, pkt);
	return FLOW_PKT_CONTINUE;
}

static void
on_end(struct flow *f, enum flow_end_reason reason, void *arg)
{
	struct run *r = arg;
	struct exp_record rec;
	struct dpi_info app;
	uint64_t pkts = f->c[0].pkts + f->c[1].pkts;

	dpi_flow_end(r->dpi, f);
	if (pkts > 0) {
		dpi_flow_info(r->dpi, f, &app);
		rec.flow = f;
		rec.reason = reason;
		rec.app = &app;
		r->records++;
		r->pkts_exported += pkts;
		if (exp_write(r->json, &rec) != 0)
			abort();
		if (r->ipfix != NULL && exp_write(r->ipfix, &rec) != 0)
			abort();
		nfv9_add(r->nf, &rec, r->last_us);
	}
	if (reason != FLOW_END_ACTIVE)
		dpi_flow_release(r->dpi, f);
}

static int
check_v9(const uint8_t *msg, size_t len, uint32_t n_data, void *arg)
{
	(void)n_data;
	(void)arg;
	v9_check_packet(msg, len, V9_MTU);
	return 0;
}

/* The bytes written to memfd <fd>, owned (free); NULL when empty. */
static uint8_t *
slurp(int fd, size_t *len)
{
	struct stat st;
	uint8_t *buf;

	*len = 0;
	if (fstat(fd, &st) == -1 || st.st_size == 0)
		return NULL;
	if ((buf = malloc((size_t)st.st_size)) == NULL)
		abort();
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		abort();
	*len = (size_t)st.st_size;
	return buf;
}

static void
check_json(int fd, uint64_t records)
{
	uint64_t lines = 0;
	size_t len, i, start = 0;
	uint8_t *b = slurp(fd, &len);

	for (i = 0; i < len; i++) {
		if (b[i] == '\n') {
			if (i - start < 2 || b[start] != '{' || b[i - 1] != '}')
				abort();
			lines++;
			start = i + 1;
		} else if (b[i] < 0x20) {
			abort();
		}
	}
	if (start != len || lines != records)
		abort();
	free(b);
}

static void
check_ipfix(int fd)
{
	size_t len, off = 0, mlen;
	uint8_t *b = slurp(fd, &len);

	while (off < len) {
		if (off + 16 > len || b[off] != 0 || b[off + 1] != 10)
			abort();
		mlen = (size_t)b[off + 2] << 8 | b[off + 3];
		if (mlen < 16 || off + mlen > len)
			abort();
		off += mlen;
	}
	free(b);
}

static struct dpi *
shared_dpi(int enabled)
{
	/* nDPI takes long to start: one module of each kind per process,
	 * which frees each flow's state when the flow ends. */
	static struct dpi *d[2];
	struct dpi_conf dc;

	if (d[enabled] == NULL) {
		dpi_conf_defaults(&dc);
		dc.enabled = enabled;
		if ((d[enabled] = dpi_new(&dc, NULL)) == NULL)
			abort();
	}
	return d[enabled];
}

static int
memfd(const char *name)
{
	int fd = memfd_create(name, 0);

	if (fd == -1)
		abort();
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int json_fd = -1, ipfix_fd = -1;
	char errbuf[PCAP_ERRBUF_SIZE], uri[64];
	struct flow_table_conf fc;
	struct flow_table *t = NULL;
	struct nfv9_conf nc;
	struct exp_conf xc;
	struct dec_conf dc;
	struct pcap_pkthdr *h;
	struct dec_pkt pkt;
	struct tmpl tm;
	struct run r;
	const u_char *frame;
	uint64_t decoded = 0;
	uint8_t opt, *copy;
	pcap_t *pc;
	FILE *fp;
	int lt, rc;

	if (size < 1)
		return 0;
	opt = data[0];
	if (json_fd == -1) {
		json_fd = memfd("fuzz-json");
		ipfix_fd = memfd("fuzz-ipfix");
	}
	if ((copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if ((fp = fmemopen(copy, size - 1 > 0 ? size - 1 : 1, "rb")) == NULL) {
		free(copy);
		return 0;
	}
	/* libpcap takes the FILE and closes it in pcap_close. */
	if ((pc = pcap_fopen_offline(fp, errbuf)) == NULL) {
		fclose(fp);
		free(copy);
		return 0;
	}
	lt = pcap_datalink(pc);
	if (!dec_linktype_supported(lt))
		goto out_pcap;

	memset(&r, 0, sizeof(r));
	memset(&xc, 0, sizeof(xc));
	xc.template = opt & 8 ? "minimal" : "default";
	xc.pen = 32473;
	xc.mtu = V9_MTU;
	xc.template_refresh_s = 60;
	xc.template_refresh_pkts = 20;
	xc.export_queue = 1024;
	xc.biflow = !!(opt & 4);
	xc.start_us = 1000000;
	snprintf(uri, sizeof(uri), "json:/proc/self/fd/%d", json_fd);
	if ((r.json = exp_open(uri, &xc, NULL)) == NULL)
		abort();
	snprintf(uri, sizeof(uri), "ipfix-file:/proc/self/fd/%d", ipfix_fd);
	/* NULL without libfixbuf: that build has no IPFIX to check. */
	r.ipfix = exp_open(uri, &xc, NULL);
	if (tmpl_load(NULL, xc.template, &tm, NULL) != 0)
		abort();
	memset(&nc, 0, sizeof(nc));
	nc.tmpl = &tm;
	nc.mtu = V9_MTU;
	nc.refresh_msgs = 20;
	nc.start_us = xc.start_us;
	if ((r.nf = nfv9_new(&nc, check_v9, NULL, NULL)) == NULL)
		abort();
	r.dpi = shared_dpi(!(opt & 2));

	flow_table_conf_defaults(&fc);
	if (opt >> 4)
		fc.max_flows = opt >> 4;
	fc.max_frags = 64;
	fc.ext_size = dpi_ext_size(r.dpi);
	dpi_set_ext_offset(r.dpi, 0);
	if ((t = flow_table_new(&fc, on_end, opt & 2 ? NULL : on_pkt, &r,
	    NULL)) == NULL)
		abort();

	dc.tunnels = !(opt & 1);
	while ((rc = pcap_next_ex(pc, &h, &frame)) == 1) {
		if (dec_frame(&dc, lt, frame, h->caplen, h->len, &pkt) !=
		    DEC_OK)
			continue;
		pkt.ts_us = (uint64_t)h->ts.tv_sec * 1000000 +
		    (uint64_t)h->ts.tv_usec;
		r.last_us = pkt.ts_us;
		decoded++;
		flow_table_add(t, &pkt);
	}
	flow_table_flush(t, FLOW_END_FORCED);
	nfv9_flush(r.nf, r.last_us);
	if (r.pkts_exported != decoded)
		abort();
	if (exp_flush(r.json) != 0 || exp_finish(r.json) != 0)
		abort();
	exp_close(r.json);
	check_json(json_fd, r.records);
	if (r.ipfix != NULL) {
		if (exp_flush(r.ipfix) != 0 || exp_finish(r.ipfix) != 0)
			abort();
		exp_close(r.ipfix);
		check_ipfix(ipfix_fd);
	}
	flow_table_free(t);
	nfv9_free(r.nf);
out_pcap:
	pcap_close(pc);
	free(copy);
	return 0;
}
