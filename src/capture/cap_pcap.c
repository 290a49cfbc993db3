/*
 * cap_pcap.c - classic pcap records walked in place (see cap_int.h).
 *
 * libpcap reads a file through stdio: every frame is copied from the page
 * cache into a FILE buffer, then into libpcap's own. Walking the mapped
 * file instead hands out frames where they lie, and they stay valid until
 * the mapping goes, so a frame may cross threads without a copy.
 * The walker is deliberately narrow: the usual records only; the rest is
 * left to libpcap at the same offset (PF_HANDOFF).
 */
#include "capture/cap_int.h"

#include <errno.h>
#include <string.h>

#define PF_MAGIC_US	0xa1b2c3d4u
#define PF_MAGIC_NS	0xa1b23c4du
#define PF_MAX_SNAP	262144u		/* libpcap's largest for most link
					 * types; more is handed off */
#define PF_AHEAD	2048u		/* bytes prefetched ahead of the
					 * next record */

static uint32_t
rd32(const uint8_t *b, int swapped)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

static uint16_t
rd16(const uint8_t *b, int swapped)
{
	uint16_t v;

	memcpy(&v, b, 2);
	return swapped ? __builtin_bswap16(v) : v;
}

/*
 * libpcap (1.10) rewrites some frames as it reads them: the pseudo-header
 * of Linux USB, NFLOG and Linux cooked (CAN) frames when the file's byte
 * order is not ours, and the length of every Linux USB "mmapped" frame.
 * Those files are libpcap's to read.
 */
static int
rewritten(int linktype, int swapped)
{
	switch (linktype) {
	case 220:			/* DLT_USB_LINUX_MMAPPED */
		return 1;
	case 189:			/* DLT_USB_LINUX */
	case 239:			/* DLT_NFLOG */
	case 113:			/* DLT_LINUX_SLL */
	case 276:			/* DLT_LINUX_SLL2 */
		return swapped;
	default:
		return 0;
	}
}

int
pf_init(struct pf_walk *w, const uint8_t *buf, size_t len, uint32_t snapshot,
    int linktype)
{
	uint32_t magic;

	memset(w, 0, sizeof(*w));
	if (len < PF_HDR)
		return -EINVAL;
	magic = rd32(buf, 0);
	if (magic == PF_MAGIC_US || magic == PF_MAGIC_NS) {
		w->swapped = 0;
	} else if (magic == __builtin_bswap32(PF_MAGIC_US) ||
	    magic == __builtin_bswap32(PF_MAGIC_NS)) {
		w->swapped = 1;
		magic = __builtin_bswap32(magic);
	} else {
		return -EINVAL;
	}
	/* Older versions store the lengths otherwise: libpcap's job. */
	if (rd16(buf + 4, w->swapped) != 2 || rd16(buf + 6, w->swapped) != 4 ||
	    rewritten(linktype, w->swapped))
		return -EINVAL;
	w->nsec = magic == PF_MAGIC_NS;
	w->buf = buf;
	w->len = len;
	w->off = PF_HDR;
	w->max_caplen = snapshot > 0 && snapshot < PF_MAX_SNAP ? snapshot :
	    PF_MAX_SNAP;
	return 0;
}

int
pf_next(struct pf_walk *w, struct pf_pkt *pkt)
{
	const uint8_t *h;
	uint32_t caplen;
	int64_t sec, frac;

	if (w->off == w->len)
		return CAP_EOF;
	/* A cut header or frame: libpcap says how much was missing. */
	if (w->len - w->off < PF_REC)
		return PF_HANDOFF;
	h = w->buf + w->off;
	caplen = rd32(h + 8, w->swapped);
	if (caplen > w->max_caplen || w->len - w->off - PF_REC < caplen)
		return PF_HANDOFF;
	/* As libpcap (1.10) reads them: in our byte order both halves are
	 * signed 32-bit fields, swapped they come out unsigned; opened for
	 * microseconds, it scales nanoseconds down. The same sums here, so
	 * odd stamps give the times the libpcap path gives. */
	if (w->swapped) {
		sec = (int64_t)rd32(h, 1);
		frac = (int64_t)rd32(h + 4, 1);
	} else {
		sec = (int32_t)rd32(h, 0);
		frac = (int32_t)rd32(h + 4, 0);
	}
	if (w->nsec)
		frac /= 1000;
	pkt->ts_sec = sec;
	pkt->ts_frac_us = frac;
	pkt->ts_us = (uint64_t)sec * 1000000u + (uint64_t)frac;
	pkt->caplen = caplen;
	pkt->wirelen = rd32(h + 12, w->swapped);
	pkt->data = h + PF_REC;
	w->off += PF_REC + (size_t)caplen;
	/* The first touch of a record is a cache miss (a cold page): ask
	 * for the bytes a few records on while this one is decoded. */
	if (w->len - w->off > PF_AHEAD)
		__builtin_prefetch(w->buf + w->off + PF_AHEAD);
	return 0;
}
