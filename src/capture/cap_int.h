/*
 * cap_int.h - inside the capture module: the pcapng block reader and the
 * classic pcap record walker, shared with their white-box tests.
 *
 * libpcap refuses a pcapng file whose interfaces have different link
 * types (it stops at the second interface block). This reader takes each
 * packet with its own interface's link type and time resolution.
 * Blocks read: SHB (either byte order; a new one restarts the interface
 * list), IDB (link type, snap length, if_tsresol, if_tsoffset), EPB, SPB,
 * OPB (obsolete packet block); others are skipped. Every length is
 * checked against the block before it is used.
 */
#ifndef L7_CAP_INT_H
#define L7_CAP_INT_H

#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"
#include "log/log.h"

#define NG_MAX_BLOCK	(16u << 20)	/* larger blocks: corrupt file */
#define NG_MAX_IFACES	4096		/* per section */

struct ng_reader;

/* One packet, borrowed until the next ng_next(). */
struct ng_pkt {
	uint64_t	ts_us;
	uint32_t	caplen;
	uint32_t	wirelen;
	int		linktype;
	uint32_t	if_id;		/* interface number in its section */
	int		filtered;	/* 1: the filter refused it */
	const uint8_t	*data;
};

/* Reads <fp> (borrowed; the caller closes it) up to its first interface
 * block; <filter> (NULL = none) is compiled for each interface's link
 * type. <name> names the file in messages. Returns owned (ng_free), or
 * NULL with <err> filled (not pcapng, cut header, bad filter). */
struct ng_reader *ng_open(FILE *fp, const char *name, const char *filter,
	    struct perr *err);
void	ng_free(struct ng_reader *r);		/* NULL is fine */

/* Link type of the first interface. */
int	ng_linktype(const struct ng_reader *r);

/* Next packet into <pkt>: 0, CAP_EOF at a clean end, CAP_BROKEN with
 * <err> saying where when a block is cut or impossible. */
int	ng_next(struct ng_reader *r, struct ng_pkt *pkt, struct perr *err);

/* 1 when the first bytes <b> (4 of them) open a pcapng file. */
int	ng_magic(const uint8_t *b);

/*
 * Classic pcap records in memory (a mapped file): the walker checks each
 * record header and hands out frames that point into the buffer. It
 * takes only what libpcap would read the same way: format 2.4, either
 * byte order, microsecond or nanosecond magic, captured length within
 * the snapshot and libpcap's largest, link types whose frames libpcap
 * hands out as stored. Anything else (a cut record, an
 * impossible length) is PF_HANDOFF: the caller lets libpcap read on from
 * pf_offset(), so odd files end exactly as libpcap ends them.
 */
#define PF_HDR		24		/* file header */
#define PF_REC		16		/* record header */
#define PF_HANDOFF	3

struct pf_walk {
	const uint8_t	*buf;
	size_t		len;
	size_t		off;		/* next record header */
	uint32_t	max_caplen;	/* larger: handed off */
	int		swapped;	/* other byte order than ours */
	int		nsec;		/* fractions are nanoseconds */
};

struct pf_pkt {
	uint64_t	ts_us;
	int64_t		ts_sec;		/* as libpcap reads them */
	int64_t		ts_frac_us;
	uint32_t	caplen;
	uint32_t	wirelen;
	const uint8_t	*data;		/* into the buffer */
};

/* Checks the file header of <buf> (<len> bytes, borrowed) and sets <w>
 * up past it; <snapshot> and <linktype> are the file's snapshot length
 * and DLT as libpcap gives them. Returns 0, or -EINVAL when the walker
 * does not take the file (another format or version, or frames libpcap
 * rewrites as it reads them: libpcap reads it). */
int	pf_init(struct pf_walk *w, const uint8_t *buf, size_t len,
	    uint32_t snapshot, int linktype);
/* The next record: 0 with <pkt> filled, CAP_EOF at the end of the
 * buffer, PF_HANDOFF at a record it does not take (w->off is its
 * header). */
int	pf_next(struct pf_walk *w, struct pf_pkt *pkt);

#endif
