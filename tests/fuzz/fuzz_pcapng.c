/*
 * fuzz_pcapng.c - fuzz target: the pcapng block reader (cap_pcapng.c).
 *
 * Input: one byte of options (bit 0: compile a filter for each interface),
 * then the file's bytes, read through fmemopen as the probe reads a file.
 * Every packet handed out must lie inside the block just read; the reader
 * must end with CAP_EOF or CAP_BROKEN, never read past its buffer. Built
 * as a libFuzzer target with --enable-fuzzing; in make check,
 * tests/fuzz/replay.c runs it over the stored corpus.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cap_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ng_reader *r;
	struct ng_pkt pkt;
	struct perr err;
	uint8_t *copy;
	volatile uint8_t sink = 0;
	unsigned n = 0;
	FILE *fp;

	if (size < 1)
		return 0;
	/* fmemopen needs a writable buffer of at least one byte. */
	if ((copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if ((fp = fmemopen(copy, size - 1 > 0 ? size - 1 : 1, "rb")) == NULL) {
		free(copy);
		return 0;
	}
	r = ng_open(fp, "fuzz", (data[0] & 1) ? "udp or icmp" : NULL, &err);
	while (r != NULL && n++ < 100000 && ng_next(r, &pkt, &err) == 0) {
		/* Touch the first and last byte: ASan sees any overrun. */
		if (pkt.caplen > 0)
			sink ^= pkt.data[0] ^ pkt.data[pkt.caplen - 1];
	}
	(void)sink;
	ng_free(r);
	fclose(fp);
	free(copy);
	return 0;
}
