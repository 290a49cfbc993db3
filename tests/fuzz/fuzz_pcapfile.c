/*
 * fuzz_pcapfile.c - fuzz target: the classic pcap record walker
 * (cap_pcap.c) against libpcap on the same bytes. The input is a whole
 * pcap file. libpcap opens it from memory (fmemopen), as the probe opens
 * the file; when the walker takes the format, every record it hands out
 * must be the record libpcap reads next: same time stamp (as a
 * microsecond-precision handle gives it), lengths and bytes, with
 * libpcap's FILE at the walker's offset afterwards; where the walker says
 * the file ends, libpcap must say so too. Where it hands off, the probe
 * lets libpcap read on from that offset, so nothing more is checked.
 * Any disagreement aborts. Replayed by make check over
 * tests/fuzz/corpus/pcapfile.
 */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cap_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *frame;
	struct pf_walk w;
	struct pf_pkt pp;
	uint8_t *copy;
	pcap_t *pc;
	FILE *fp;
	int rc, r;

	if (size < 1 || (copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if ((fp = fmemopen(copy, size, "rb")) == NULL) {
		free(copy);
		return 0;
	}
	/* libpcap takes the FILE and closes it in pcap_close. */
	if ((pc = pcap_fopen_offline_with_tstamp_precision(fp,
	    PCAP_TSTAMP_PRECISION_MICRO, errbuf)) == NULL) {
		fclose(fp);
		free(copy);
		return 0;
	}
	if (pf_init(&w, data, size, (uint32_t)pcap_snapshot(pc),
	    pcap_datalink(pc)) != 0)
		goto out;
	if (w.off != PF_HDR || ftell(fp) != PF_HDR)
		abort();
	while ((rc = pf_next(&w, &pp)) == 0) {
		if ((r = pcap_next_ex(pc, &h, &frame)) != 1)
			abort();
		if (h->ts.tv_sec != pp.ts_sec || h->ts.tv_usec != pp.ts_frac_us ||
		    (uint64_t)h->ts.tv_sec * 1000000u +
		    (uint64_t)h->ts.tv_usec != pp.ts_us ||
		    h->caplen != pp.caplen || h->len != pp.wirelen ||
		    memcmp(frame, pp.data, pp.caplen) != 0)
			abort();
		if (pp.data < data || pp.data + pp.caplen > data + size ||
		    (size_t)ftell(fp) != w.off)
			abort();
	}
	if (rc == CAP_EOF && pcap_next_ex(pc, &h, &frame) != -2) /* no more */
		abort();
	if (rc != CAP_EOF && rc != PF_HANDOFF)
		abort();
out:
	pcap_close(pc);
	free(copy);
	return 0;
}
