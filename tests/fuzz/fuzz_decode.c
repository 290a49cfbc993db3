/*
 * fuzz_decode.c - fuzz target: the frame decoder and the flow table.
 *
 * Input: one byte choosing a link type (index into linktypes[]), one byte
 * of options (bit 0: tunnels off; bits 1-7: wire length beyond the frame,
 * in 16-byte units, as a snap length cuts), then the frame. Each decoded
 * packet is also given to a tiny flow table (two flows, one fragment
 * slot), so the fragment and eviction paths see fuzzed keys. Built as a
 * libFuzzer target with --enable-fuzzing; in make check, tests/fuzz/replay.c
 * runs it over the stored corpus.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "flow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
	1,	/* Ethernet */
	113,	/* Linux cooked v1 */
	276,	/* Linux cooked v2 */
	12,	/* raw IP */
	101,	/* raw IP (LINKTYPE_RAW) */
	228,	/* IPv4 */
	229,	/* IPv6 */
	0,	/* BSD null */
	108,	/* OpenBSD loop */
	9,	/* PPP */
	50,	/* PPP serial */
	104,	/* Cisco HDLC */
	239,	/* NFLOG */
	192,	/* PPI */
};

static void
on_end(struct flow *f, enum flow_end_reason reason, void *arg)
{
	uint64_t *pkts = arg;

	(void)reason;
	*pkts += f->c[0].pkts + f->c[1].pkts;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_table_conf fc;
	struct flow_table *t;
	struct dec_conf dc;
	struct dec_pkt pkt;
	uint64_t ended = 0;
	uint8_t *frame;
	int lt;

	if (size < 2)
		return 0;
	lt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
	dc.tunnels = !(data[1] & 1);
	size -= 2;
	/* An exact-size copy, so a sanitizer sees any read past the end. */
	if ((frame = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(frame, data + 2, size);
	/* Bits 1-7 of the second byte: bytes cut by a snap length. */
	if (dec_frame(&dc, lt, frame, size, size + (size_t)(data[1] >> 1) * 16,
	    &pkt) == DEC_OK) {
		flow_table_conf_defaults(&fc);
		fc.max_flows = 2;
		fc.max_frags = 1;
		fc.hash_seed = 1;	/* same input, same run */
		if ((t = flow_table_new(&fc, on_end, NULL, &ended, NULL)) !=
		    NULL) {
			pkt.ts_us = 1000000;
			flow_table_add(t, &pkt);
			pkt.ts_us = 2000000;
			flow_table_add(t, &pkt);
			flow_table_flush(t, FLOW_END_FORCED);
			flow_table_free(t);
			/* The accounting invariant holds for any input. */
			if (ended != 2)
				abort();
		}
	}
	free(frame);
	return 0;
}
