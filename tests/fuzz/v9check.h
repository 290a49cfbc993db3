/*
 * v9check.h - the shape every NetFlow v9 packet the probe sends must have,
 * checked by the fuzz targets that export v9 (abort() on a violation, so
 * the fuzzer reports it): at most <mtu> bytes, a 20-byte header of
 * version 9, then flowsets of at least 4 bytes that end exactly at the
 * end of the packet.
 */
#ifndef L7_FUZZ_V9CHECK_H
#define L7_FUZZ_V9CHECK_H

#include <stdint.h>
#include <stdlib.h>

static inline void
v9_check_packet(const uint8_t *msg, size_t len, size_t mtu)
{
	size_t off = 20, setlen;

	if (len > mtu || len < 20 || msg[0] != 0 || msg[1] != 9)
		abort();
	while (off < len) {
		if (off + 4 > len)
			abort();
		setlen = (size_t)msg[off + 2] << 8 | msg[off + 3];
		if (setlen < 4 || off + setlen > len)
			abort();
		off += setlen;
	}
}

#endif
