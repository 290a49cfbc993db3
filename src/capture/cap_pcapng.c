/*
 * cap_pcapng.c - a pcapng reader that keeps each interface's link type.
 *
 * Format: draft-ietf-opsawg-pcapng (blocks: type, total length, body,
 * total length again; a section header fixes the byte order of what
 * follows it). The file is read block by block through stdio; a block is
 * read whole into one buffer (at most NG_MAX_BLOCK) and every field is
 * checked against the block's length before it is read.
 */
#include "capture/cap_int.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#define BT_SHB		0x0A0D0D0Au
#define BT_IDB		0x00000001u
#define BT_OPB		0x00000002u
#define BT_SPB		0x00000003u
#define BT_EPB		0x00000006u
#define BOM		0x1A2B3C4Du
#define BOM_SWAPPED	0x4D3C2B1Au

#define OPT_END		0
#define OPT_TSRESOL	9
#define OPT_TSOFFSET	14

struct ng_if {
	int			linktype;
	uint32_t		snaplen;	/* 0 = unlimited */
	uint8_t			tsresol;	/* if_tsresol, default 6 */
	int64_t			tsoffset_s;	/* if_tsoffset */
	int			has_prog;
	struct bpf_program	prog;
};

struct ng_reader {
	FILE		*fp;
	const char	*name;
	const char	*filter;
	int		swapped;	/* section is of the other byte order */
	int		first_linktype;
	uint64_t	blocks;		/* read so far, for messages */
	struct ng_if	*ifs;
	uint32_t	n_ifs;
	uint32_t	cap_ifs;
	uint8_t		*buf;		/* the current block's body */
	uint32_t	buf_size;
};

int
ng_magic(const uint8_t *b)
{
	return b[0] == 0x0A && b[1] == 0x0D && b[2] == 0x0D && b[3] == 0x0A;
}

static uint32_t
rd32(const struct ng_reader *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swapped ? __builtin_bswap32(v) : v;
}

static uint16_t
rd16(const struct ng_reader *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swapped ? __builtin_bswap16(v) : v;
}

static void
drop_ifaces(struct ng_reader *r)
{
	uint32_t i;

	for (i = 0; i < r->n_ifs; i++)
		if (r->ifs[i].has_prog)
			pcap_freecode(&r->ifs[i].prog);
	r->n_ifs = 0;
}

void
ng_free(struct ng_reader *r)
{
	if (r == NULL)
		return;
	drop_ifaces(r);
	free(r->ifs);
	free(r->buf);
	free(r);
}

int
ng_linktype(const struct ng_reader *r)
{
	return r->first_linktype;
}

static int
broken(struct ng_reader *r, struct perr *err, const char *why)
{
	perr_set(err, -EIO, "capture file '%s': %s (block %llu)", r->name,
	    why, (unsigned long long)r->blocks + 1);
	return CAP_BROKEN;
}

/*
 * Reads one block: its type into *type and its body (what lies between
 * the two length fields) into r->buf, *len bytes. Returns 0, CAP_EOF at a
 * clean end of file, CAP_BROKEN.
 */
static int
read_block(struct ng_reader *r, uint32_t *type, uint32_t *len,
    struct perr *err)
{
	uint8_t hdr[12];
	uint32_t total, tail;
	size_t n, body;

	n = fread(hdr, 1, 8, r->fp);
	if (n == 0 && feof(r->fp))
		return CAP_EOF;
	if (n != 8)
		return broken(r, err, "cut block header");
	memcpy(type, hdr, 4);
	if (*type == BT_SHB) {
		/* The byte-order magic decides how to read the length. */
		uint32_t bom;

		if (fread(hdr + 8, 1, 4, r->fp) != 4)
			return broken(r, err, "cut section header");
		memcpy(&bom, hdr + 8, 4);
		if (bom == BOM)
			r->swapped = 0;
		else if (bom == BOM_SWAPPED)
			r->swapped = 1;
		else
			return broken(r, err, "bad byte-order magic");
	} else {
		*type = rd32(r, hdr);
	}
	total = rd32(r, hdr + 4);
	if (total < 12 || total % 4 != 0 || total > NG_MAX_BLOCK)
		return broken(r, err, "impossible block length");
	body = total - 12;
	if (*type == BT_SHB) {
		if (body < 4)
			return broken(r, err, "section header too short");
		body -= 4;	/* the magic, read above */
	}
	if (body + 4 > r->buf_size) {
		uint8_t *nb = realloc(r->buf, body + 4);

		if (nb == NULL)
			return broken(r, err, "out of memory");
		r->buf = nb;
		r->buf_size = (uint32_t)(body + 4);
	}
	if (fread(r->buf, 1, body + 4, r->fp) != body + 4)
		return broken(r, err, "cut block");
	tail = rd32(r, r->buf + body);
	if (tail != total)
		return broken(r, err, "block lengths differ");
	*len = (uint32_t)body;
	r->blocks++;
	return 0;
}

/* Reads the options of an IDB (<p>, <len> bytes) into <ifc>. */
static int
idb_options(struct ng_reader *r, const uint8_t *p, uint32_t len,
    struct ng_if *ifc, struct perr *err)
{
	while (len >= 4) {
		uint16_t code = rd16(r, p), olen = rd16(r, p + 2);
		uint32_t padded = ((uint32_t)olen + 3u) & ~3u;

		if (code == OPT_END)
			break;
		if (padded > len - 4)
			return broken(r, err, "interface option past its block");
		if (code == OPT_TSRESOL && olen >= 1) {
			ifc->tsresol = p[4];
			if ((ifc->tsresol & 0x80) ? (ifc->tsresol & 0x7f) > 63 :
			    ifc->tsresol > 19)
				return broken(r, err, "impossible if_tsresol");
		} else if (code == OPT_TSOFFSET && olen == 8) {
			uint64_t v;

			memcpy(&v, p + 4, 8);
			if (r->swapped)
				v = __builtin_bswap64(v);
			ifc->tsoffset_s = (int64_t)v;
		}
		p += 4 + padded;
		len -= 4 + padded;
	}
	return 0;
}

/* pcapng holds LINKTYPE_ values; libpcap (pcap_datalink, pcap_compile)
 * and the decoder speak DLT_ values, equal but for a few old ones. */
static int
dlt_of(int linktype)
{
	switch (linktype) {
	case 100:			/* LINKTYPE_ATM_RFC1483 */
		return DLT_ATM_RFC1483;
	case 101:			/* LINKTYPE_RAW */
		return DLT_RAW;
	default:
		return linktype;
	}
}

static int
add_iface(struct ng_reader *r, uint32_t len, struct perr *err)
{
	struct ng_if *ifc;

	if (len < 8)
		return broken(r, err, "interface block too short");
	if (r->n_ifs == NG_MAX_IFACES)
		return broken(r, err, "too many interfaces");
	if (r->n_ifs == r->cap_ifs) {
		uint32_t n = r->cap_ifs ? r->cap_ifs * 2 : 4;
		struct ng_if *ni = realloc(r->ifs, n * sizeof(*ni));

		if (ni == NULL)
			return broken(r, err, "out of memory");
		r->ifs = ni;
		r->cap_ifs = n;
	}
	ifc = &r->ifs[r->n_ifs];
	memset(ifc, 0, sizeof(*ifc));
	ifc->linktype = dlt_of(rd16(r, r->buf));
	ifc->snaplen = rd32(r, r->buf + 4);
	ifc->tsresol = 6;
	if (idb_options(r, r->buf + 8, len - 8, ifc, err) != 0)
		return CAP_BROKEN;
	if (r->filter != NULL) {
		pcap_t *dead = pcap_open_dead(ifc->linktype, 262144);

		if (dead == NULL)
			return broken(r, err, "out of memory");
		if (pcap_compile(dead, &ifc->prog, r->filter, 1,
		    PCAP_NETMASK_UNKNOWN) == PCAP_ERROR) {
			const char *lt = pcap_datalink_val_to_name(ifc->linktype);

			perr_set(err, -EINVAL, "filter '%s' on interface %u "
			    "(link type %s) of capture file '%s': %s",
			    r->filter, r->n_ifs, lt ? lt : "unknown", r->name,
			    pcap_geterr(dead));
			pcap_close(dead);
			return CAP_BROKEN;
		}
		pcap_close(dead);
		ifc->has_prog = 1;
	}
	if (r->first_linktype < 0)
		r->first_linktype = ifc->linktype;
	r->n_ifs++;
	return 0;
}

/* Converts a timestamp in the interface's units to microseconds. */
static uint64_t
ts_to_us(const struct ng_if *ifc, uint64_t ts)
{
	unsigned n = ifc->tsresol & 0x7f;
	__uint128_t us;
	uint64_t p10 = 1;

	if (ifc->tsresol & 0x80) {
		us = ((__uint128_t)ts * 1000000u) >> n;
	} else if (n <= 6) {
		while (n++ < 6)
			p10 *= 10;
		us = (__uint128_t)ts * p10;
	} else {
		while (n-- > 6)
			p10 *= 10;
		us = ts / p10;
	}
	us += (__uint128_t)((__int128)ifc->tsoffset_s * 1000000);
	return (uint64_t)us;
}

/* Fills <pkt> from a packet block whose fields were read by the caller;
 * <hdr> bytes of the body precede the data. */
static int
packet(struct ng_reader *r, uint32_t if_id, uint64_t ts, uint32_t caplen,
    uint32_t wirelen, uint32_t hdr, uint32_t len, struct ng_pkt *pkt,
    struct perr *err)
{
	struct ng_if *ifc;

	if (if_id >= r->n_ifs)
		return broken(r, err, "packet of an undeclared interface");
	ifc = &r->ifs[if_id];
	if (caplen > len - hdr)
		return broken(r, err, "packet longer than its block");
	pkt->ts_us = ts_to_us(ifc, ts);
	pkt->caplen = caplen;
	pkt->wirelen = wirelen > caplen ? wirelen : caplen;
	pkt->linktype = ifc->linktype;
	pkt->if_id = if_id;
	pkt->data = r->buf + hdr;
	pkt->filtered = 0;
	if (ifc->has_prog) {
		struct pcap_pkthdr h;

		memset(&h, 0, sizeof(h));
		h.caplen = caplen;
		h.len = pkt->wirelen;
		pkt->filtered = pcap_offline_filter(&ifc->prog, &h,
		    pkt->data) == 0;
	}
	return 0;
}

int
ng_next(struct ng_reader *r, struct ng_pkt *pkt, struct perr *err)
{
	uint32_t type, len, caplen;
	int rc;

	for (;;) {
		if ((rc = read_block(r, &type, &len, err)) != 0)
			return rc;
		switch (type) {
		case BT_SHB:
			/* version (4), section length (8), options */
			if (len < 12)
				return broken(r, err, "section header too short");
			if (rd16(r, r->buf) != 1)
				return broken(r, err, "unknown pcapng version");
			drop_ifaces(r);
			break;
		case BT_IDB:
			if ((rc = add_iface(r, len, err)) != 0)
				return rc;
			break;
		case BT_EPB:
			/* interface, ts high, ts low, caplen, wirelen */
			if (len < 20)
				return broken(r, err, "packet block too short");
			return packet(r, rd32(r, r->buf),
			    (uint64_t)rd32(r, r->buf + 4) << 32 |
			    rd32(r, r->buf + 8), rd32(r, r->buf + 12),
			    rd32(r, r->buf + 16), 20, len, pkt, err);
		case BT_OPB:
			/* interface (2), drops (2), ts high, ts low, caplen,
			 * wirelen */
			if (len < 20)
				return broken(r, err, "packet block too short");
			return packet(r, rd16(r, r->buf),
			    (uint64_t)rd32(r, r->buf + 4) << 32 |
			    rd32(r, r->buf + 8), rd32(r, r->buf + 12),
			    rd32(r, r->buf + 16), 20, len, pkt, err);
		case BT_SPB:
			/* wirelen; the data is cut by the snap length of
			 * interface 0 and by the block; no timestamp */
			if (len < 4)
				return broken(r, err, "packet block too short");
			if (r->n_ifs == 0)
				return broken(r, err,
				    "packet of an undeclared interface");
			caplen = rd32(r, r->buf);
			if (r->ifs[0].snaplen != 0 && caplen > r->ifs[0].snaplen)
				caplen = r->ifs[0].snaplen;
			if (caplen > len - 4)
				caplen = len - 4;
			return packet(r, 0, 0, caplen, rd32(r, r->buf), 4, len,
			    pkt, err);
		default:
			break;		/* statistics, names, comments... */
		}
	}
}

struct ng_reader *
ng_open(FILE *fp, const char *name, const char *filter, struct perr *err)
{
	struct ng_reader *r;
	uint32_t type, len;
	int rc;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		perr_set(err, -ENOMEM, "capture file '%s': out of memory",
		    name);
		return NULL;
	}
	r->fp = fp;
	r->name = name;
	r->filter = filter;
	r->first_linktype = -1;
	rc = read_block(r, &type, &len, err);
	if (rc == CAP_EOF || (rc == 0 && type != BT_SHB)) {
		perr_set(err, -EINVAL, "capture file '%s': not a pcapng file",
		    name);
		goto fail;
	}
	if (rc != 0)
		goto fail;
	if (len < 12 || rd16(r, r->buf) != 1) {
		perr_set(err, -EINVAL, "capture file '%s': unknown pcapng "
		    "version", name);
		goto fail;
	}
	/* Interfaces come before their packets: read up to the first one so
	 * the link type and the filter are known (and checked) now. */
	while (r->first_linktype < 0) {
		long pos = ftell(fp);

		rc = read_block(r, &type, &len, err);
		if (rc == CAP_EOF)
			break;
		if (rc != 0)
			goto fail;
		if (type == BT_IDB) {
			if (add_iface(r, len, err) != 0)
				goto fail;
		} else if (type == BT_SHB) {
			if (len < 12 || rd16(r, r->buf) != 1) {
				broken(r, err, "unknown pcapng version");
				goto fail;
			}
		} else if (type == BT_EPB || type == BT_SPB || type == BT_OPB) {
			/* A packet before any interface: let ng_next say it
			 * is broken, after the packets before it. */
			if (pos >= 0 && fseek(fp, pos, SEEK_SET) == 0) {
				r->blocks--;
				break;
			}
			broken(r, err, "packet of an undeclared interface");
			goto fail;
		}
	}
	if (r->first_linktype < 0)
		r->first_linktype = DLT_EN10MB;	/* no interface: no packet */
	return r;
fail:
	ng_free(r);
	return NULL;
}
