/*
 * capture.c - packet sources: offline files and live interfaces.
 *
 * Files: a pcapng file is read by our own block reader (cap_pcapng.c), so
 * each packet keeps its interface's link type; a pcap file goes to
 * libpcap, which checks its header, then, when it is a regular file, its
 * records are walked in the mapped file (cap_pcap.c) until one is not of
 * the usual kind (or the mapped part ends): from that record on libpcap
 * reads (its FILE is moved there), so odd and cut files end as libpcap
 * ends them. Standard input and pipes are libpcap's from the start.
 * Either way the filter is compiled against the link type and applied
 * here, so every frame read is counted as either passed on or filtered.
 * Live: pcap_create/pcap_activate with a kernel ring of buffer_mb,
 * immediate mode off (the ring hands over blocks of packets, at the
 * latest after timeout_ms), non-blocking. The caller polls cap_fd() with
 * its own timeout: on Linux a blocking read with a timeout may wait until
 * a packet arrives, which would stall the probe's clock on a quiet link.
 */
#include "capture/capture.h"
#include "capture/cap_int.h"

#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The mapping is given back behind the reader (MADV_DONTNEED: the pages
 * stay in the page cache, and the frames stay valid: touched again, they
 * are mapped again), so the process does not count the whole file as its
 * own memory. Frames this far behind are given back. */
#define MAP_KEEP	(2u << 20)
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22	/* Linux 5.14 */
#endif

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2	276
#endif

struct capture {
	pcap_t			*p;		/* live, or a libpcap file */
	struct ng_reader	*ng;		/* a pcapng file */
	FILE			*fp;		/* the file (pcap_close or we
						 * close it) */
	uint64_t		size;		/* regular file: bytes, else 0 */
	int			live;
	int			fd;		/* live: selectable fd */
	int			linktype;
	uint32_t		ifindex;	/* live, one interface */
	int			has_filter;
	struct bpf_program	prog;
	const char		*name;		/* borrowed from conf */
	uint8_t			*map;		/* mapped pcap file, or NULL */
	size_t			map_len;
	size_t			map_dropped;	/* pages before: given back */
	size_t			map_ahead;	/* populated up to */
	struct pf_walk		pw;
	int			walking;	/* records come from pw */
	struct cap_stats	st;
	cap_pkt_cb		cb;
	void			*cb_arg;
};

void
cap_close(struct capture *cap)
{
	if (cap == NULL)
		return;
	if (cap->has_filter)
		pcap_freecode(&cap->prog);
	ng_free(cap->ng);
	if (cap->map != NULL)
		munmap(cap->map, cap->map_len);
	if (cap->p != NULL)
		pcap_close(cap->p);		/* closes cap->fp too */
	else if (cap->fp != NULL && cap->fp != stdin)
		fclose(cap->fp);
	free(cap);
}

static int
set_filter(struct capture *cap, const char *expr, struct perr *err)
{
	if (expr == NULL)
		return 0;
	if (pcap_compile(cap->p, &cap->prog, expr, 1,
	    PCAP_NETMASK_UNKNOWN) == PCAP_ERROR) {
		if (cap->live)
			return perr_set(err, -EINVAL, "filter '%s' on interface "
			    "'%s' (link type %s): %s", expr, cap->name,
			    cap_linktype_name(cap), pcap_geterr(cap->p));
		return perr_set(err, -EINVAL, "filter '%s': %s", expr,
		    pcap_geterr(cap->p));
	}
	cap->has_filter = 1;
	if (cap->live && pcap_setfilter(cap->p, &cap->prog) == PCAP_ERROR)
		return perr_set(err, -EINVAL, "filter '%s' on %s: %s", expr,
		    cap->name, pcap_geterr(cap->p));
	return 0;
}

static int
activate(struct capture *cap, const struct cap_conf *conf, struct perr *err)
{
	int rc = pcap_activate(cap->p);

	switch (rc) {
	case 0:
		return 0;
	case PCAP_WARNING:
	case PCAP_WARNING_PROMISC_NOTSUP:
	case PCAP_WARNING_TSTAMP_TYPE_NOTSUP:
		log_warn("interface '%s': %s", conf->iface,
		    pcap_geterr(cap->p));
		return 0;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return perr_set(err, -ENODEV,
		    "interface '%s': no such device (see 'ip link')",
		    conf->iface);
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return perr_set(err, -EPERM,
		    "interface '%s': permission denied (run as root or grant "
		    "CAP_NET_RAW and CAP_NET_ADMIN)", conf->iface);
	case PCAP_ERROR_IFACE_NOT_UP:
		return perr_set(err, -ENETDOWN,
		    "interface '%s': interface is down (ip link set %s up)",
		    conf->iface, conf->iface);
	default:
		return perr_set(err, -EIO, "interface '%s': %s", conf->iface,
		    pcap_geterr(cap->p));
	}
}

static int
open_live(struct capture *cap, const struct cap_conf *conf, struct perr *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int any = strcmp(conf->iface, "any") == 0;

	if ((cap->p = pcap_create(conf->iface, ebuf)) == NULL)
		return perr_set(err, -ENODEV, "interface '%s': %s",
		    conf->iface, ebuf);
	pcap_set_snaplen(cap->p, (int)conf->snaplen);
	pcap_set_promisc(cap->p, conf->promisc);
	pcap_set_timeout(cap->p, (int)(conf->timeout_ms ? conf->timeout_ms :
	    100));
	pcap_set_immediate_mode(cap->p, 0);
	if (conf->buffer_mb > 0 &&
	    pcap_set_buffer_size(cap->p, (int)(conf->buffer_mb << 20)) != 0)
		return perr_set(err, -EINVAL, "interface '%s': cannot set a "
		    "%u MiB buffer", conf->iface, conf->buffer_mb);
	if (activate(cap, conf, err) != 0)
		return err->code;
	/* "any": the cooked v2 header carries the ingress interface; with
	 * an older libpcap (v1 header) packets have ifindex 0. */
	if (any && pcap_set_datalink(cap->p, DLT_LINUX_SLL2) != 0)
		log_info("interface 'any': no cooked v2 header, packets "
		    "carry no ingress interface");
	if (!any && (cap->ifindex = if_nametoindex(conf->iface)) == 0)
		cap->ifindex = 0;
	if (pcap_setnonblock(cap->p, 1, ebuf) != 0)
		return perr_set(err, -EIO, "interface '%s': %s", conf->iface,
		    ebuf);
	if ((cap->fd = pcap_get_selectable_fd(cap->p)) < 0)
		return perr_set(err, -ENOTSUP, "interface '%s': no selectable "
		    "descriptor", conf->iface);
	cap->linktype = pcap_datalink(cap->p);
	return 0;
}

/* A regular pcap file libpcap opened: its records are walked in a
 * mapping when the walker takes the format; else libpcap reads on. */
static void
map_file(struct capture *cap)
{
	void *m;

	m = mmap(NULL, (size_t)cap->size, PROT_READ, MAP_PRIVATE,
	    fileno(cap->fp), 0);
	if (m == MAP_FAILED)
		return;
	(void)madvise(m, (size_t)cap->size, MADV_SEQUENTIAL);
	if (pf_init(&cap->pw, m, (size_t)cap->size,
	    (uint32_t)pcap_snapshot(cap->p), pcap_datalink(cap->p)) != 0) {
		munmap(m, (size_t)cap->size);
		return;
	}
	cap->map = m;
	cap->map_len = (size_t)cap->size;
	cap->walking = 1;
}

static int
open_file(struct capture *cap, const struct cap_conf *conf, struct perr *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	uint8_t magic[4] = { 0, 0, 0, 0 };
	struct stat sb;
	int c, e;

	if (strcmp(conf->file, "-") == 0) {
		/* A pipe cannot rewind: the first byte tells pcapng (0x0a)
		 * from every pcap magic, and one byte can be pushed back. */
		cap->fp = stdin;
		if ((c = getc(stdin)) != EOF) {
			magic[0] = (uint8_t)c;
			ungetc(c, stdin);
			if (c == 0x0A)
				magic[1] = magic[2] = 0x0D, magic[3] = 0x0A;
		}
	} else {
		if ((cap->fp = fopen(conf->file, "rb")) == NULL) {
			e = errno;
			return perr_set(err, -e, "capture file '%s': %s",
			    conf->file, strerror(e));
		}
		if (fstat(fileno(cap->fp), &sb) == 0 && S_ISREG(sb.st_mode))
			cap->size = (uint64_t)sb.st_size;
		if (fread(magic, 1, 4, cap->fp) != 4)
			memset(magic, 0, sizeof(magic));
		rewind(cap->fp);
	}
	if (ng_magic(magic)) {
		if ((cap->ng = ng_open(cap->fp, conf->file, conf->filter,
		    err)) == NULL)
			return err->code;
		cap->linktype = ng_linktype(cap->ng);
		return 0;
	}
	cap->p = pcap_fopen_offline_with_tstamp_precision(cap->fp,
	    PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (cap->p == NULL)
		return perr_set(err, -EINVAL, "capture file '%s': %s",
		    conf->file, ebuf);
	cap->linktype = pcap_datalink(cap->p);
	if (cap->size >= PF_HDR && cap->size <= SIZE_MAX)
		map_file(cap);
	return set_filter(cap, conf->filter, err);
}

struct capture *
cap_open(const struct cap_conf *conf, struct perr *err)
{
	struct capture *cap;

	if ((cap = calloc(1, sizeof(*cap))) == NULL) {
		perr_set(err, -ENOMEM, "capture: out of memory");
		return NULL;
	}
	cap->fd = -1;
	if (conf->file != NULL) {
		cap->name = conf->file;
		if (open_file(cap, conf, err) != 0)
			goto fail;
	} else {
		cap->name = conf->iface;
		cap->live = 1;
		if (open_live(cap, conf, err) != 0 ||
		    set_filter(cap, conf->filter, err) != 0)
			goto fail;
	}
	return cap;
fail:
	cap_close(cap);
	return NULL;
}

int
cap_linktype(const struct capture *cap)
{
	return cap->linktype;
}

const char *
cap_linktype_name(const struct capture *cap)
{
	const char *n = pcap_datalink_val_to_name(cap->linktype);

	return n != NULL ? n : "unknown";
}

int
cap_is_live(const struct capture *cap)
{
	return cap->live;
}

const char *
cap_name(const struct capture *cap)
{
	return cap->name;
}

int
cap_fd(const struct capture *cap)
{
	return cap->fd;
}

int
cap_check_present(const struct capture *cap, struct perr *err)
{
	char name[IF_NAMESIZE];

	/* The socket is bound to the interface's index, which a rename
	 * keeps and a deletion ends. */
	if (!cap_is_live(cap) || cap->ifindex == 0 ||
	    if_indextoname(cap->ifindex, name) != NULL || errno != ENXIO)
		return 0;
	return perr_set(err, -ENODEV, "interface '%s': went away (deleted)",
	    cap_name(cap));
}

/* Cooked v2: protocol (2), reserved (2), ifindex (4, big endian). */
static uint32_t
sll2_ifindex(const uint8_t *b, uint32_t caplen, uint32_t dflt)
{
	if (caplen < 8)
		return dflt;
	return (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
	    (uint32_t)b[6] << 8 | b[7];
}

static void
on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *cap = (struct capture *)user;
	struct cap_pkt pkt;

	cap->st.read++;
	if (cap->has_filter && !cap->live &&
	    pcap_offline_filter(&cap->prog, h, bytes) == 0) {
		cap->st.filtered++;
		return;
	}
	pkt.ts_us = (uint64_t)h->ts.tv_sec * 1000000u +
	    (uint64_t)h->ts.tv_usec;
	pkt.caplen = h->caplen;
	pkt.wirelen = h->len;
	pkt.linktype = cap->linktype;
	pkt.ifindex = cap->ifindex;
	if (pkt.linktype == DLT_LINUX_SLL2)
		pkt.ifindex = sll2_ifindex(bytes, h->caplen, pkt.ifindex);
	pkt.data = bytes;
	pkt.stable = 0;
	cap->cb(&pkt, cap->cb_arg);
}

static int
dispatch_ng(struct capture *cap, int max, size_t *nread, struct perr *err)
{
	struct ng_pkt np;
	struct cap_pkt pkt;
	int i, rc;

	for (i = 0; i < max; i++) {
		if ((rc = ng_next(cap->ng, &np, err)) != 0) {
			/* As libpcap does: the end comes with the next call. */
			if (rc == CAP_EOF && i > 0)
				return 0;
			if (rc == CAP_BROKEN && err != NULL) {
				struct perr why = *err;

				perr_set(err, why.code, "%s after %llu "
				    "packets", why.msg,
				    (unsigned long long)cap->st.read);
			}
			return rc;
		}
		cap->st.read++;
		(*nread)++;
		if (np.filtered) {
			cap->st.filtered++;
			continue;
		}
		pkt.ts_us = np.ts_us;
		pkt.caplen = np.caplen;
		pkt.wirelen = np.wirelen;
		pkt.linktype = np.linktype;
		pkt.ifindex = 0;
		pkt.data = np.data;
		pkt.stable = 0;
		cap->cb(&pkt, cap->cb_arg);
	}
	return 0;
}

/*
 * Maps the window of the file after the one <off> is in, in one call
 * (from <*ahead>, which it moves on): the walk would fault it in 64 KiB at
 * a time. Linux >= 5.14; an older kernel refuses the advice, and the walk
 * faults as before.
 */
static void
populate(uint8_t *map, size_t len, size_t *ahead, uint64_t off)
{
	size_t from, n;

	if (off < *ahead || off >= len)
		return;
	from = ((size_t)off + MAP_KEEP) & ~((size_t)MAP_KEEP - 1);
	if (from >= len)
		return;
	n = len - from < MAP_KEEP ? len - from : MAP_KEEP;
	(void)madvise(map + from, n, MADV_POPULATE_READ);
	*ahead = from;
}

/* Gives back the pages more than MAP_KEEP behind <off>. */
void
cap_release(struct capture *cap, uint64_t off)
{
	size_t upto;

	if (cap->map == NULL || off > cap->map_len ||
	    off < cap->map_dropped + 2 * (uint64_t)MAP_KEEP)
		return;
	upto = ((size_t)off - MAP_KEEP) & ~((size_t)MAP_KEEP - 1);
	(void)madvise(cap->map + cap->map_dropped, upto - cap->map_dropped,
	    MADV_DONTNEED);
	cap->map_dropped = upto;
}

/* A cursor maps the file for itself: it gives back its own pages behind
 * it, whatever the other cursors' pace (they share the page cache). */
struct cap_cursor {
	struct pf_walk		w;
	const struct capture	*cap;
	uint8_t			*map;
	size_t			dropped;
	size_t			ahead;		/* populated up to */
};

struct cap_cursor *
cap_cursor_new(struct capture *cap)
{
	struct cap_cursor *c;
	void *m;

	if (!cap->walking || (c = malloc(sizeof(*c))) == NULL)
		return NULL;
	m = mmap(NULL, cap->map_len, PROT_READ, MAP_PRIVATE, fileno(cap->fp),
	    0);
	if (m == MAP_FAILED) {
		free(c);
		return NULL;
	}
	(void)madvise(m, cap->map_len, MADV_SEQUENTIAL);
	c->w = cap->pw;
	c->w.buf = m;
	c->cap = cap;
	c->map = m;
	c->dropped = 0;
	c->ahead = 0;
	return c;
}

void
cap_cursor_free(struct cap_cursor *c)
{
	if (c == NULL)
		return;
	munmap(c->map, c->cap->map_len);
	free(c);
}

int
cap_cursor_next(struct cap_cursor *c, struct cap_pkt *pkt, int *filtered)
{
	const struct capture *cap = c->cap;
	struct pcap_pkthdr h;
	struct pf_pkt pp;

	if (pf_next(&c->w, &pp) != 0)
		return CAP_EOF;
	if (c->w.off >= c->dropped + 2 * (size_t)MAP_KEEP) {
		size_t upto = (c->w.off - MAP_KEEP) & ~((size_t)MAP_KEEP - 1);

		(void)madvise(c->map + c->dropped, upto - c->dropped,
		    MADV_DONTNEED);
		c->dropped = upto;
	}
	if (c->w.off >= c->ahead)
		populate(c->map, c->cap->map_len, &c->ahead, c->w.off);
	/* The program is only read: threads may share it. */
	if (cap->has_filter) {
		h.ts.tv_sec = pp.ts_sec;
		h.ts.tv_usec = pp.ts_frac_us;
		h.caplen = pp.caplen;
		h.len = pp.wirelen;
		if (pcap_offline_filter(&cap->prog, &h, pp.data) == 0) {
			*filtered = 1;
			return 0;
		}
	}
	*filtered = 0;
	pkt->ts_us = pp.ts_us;
	pkt->caplen = pp.caplen;
	pkt->wirelen = pp.wirelen;
	pkt->linktype = cap->linktype;
	pkt->ifindex = cap->linktype == DLT_LINUX_SLL2 ?
	    sll2_ifindex(pp.data, pp.caplen, 0) : 0;
	pkt->data = pp.data;
	pkt->stable = 0;		/* valid while the cursor is */
	return 0;
}

uint64_t
cap_cursor_offset(const struct cap_cursor *c)
{
	return c->w.off;
}

void
cap_cursor_done(struct capture *cap, const struct cap_cursor *c,
    uint64_t read, uint64_t filtered)
{
	cap->pw.off = c->w.off;
	cap->st.read += read;
	cap->st.filtered += filtered;
}

/* Records from the mapping; at one the walker does not take (or at the
 * end of the mapping) libpcap's FILE is moved there and reads on.
 * Returns how many records it read: fewer than <max> after a hand-off. */
static int
dispatch_map(struct capture *cap, int max, size_t *nread)
{
	struct pcap_pkthdr h;
	struct cap_pkt pkt;
	struct pf_pkt pp;
	int i;

	pkt.linktype = cap->linktype;
	pkt.stable = 1;
	cap_release(cap, cap->pw.off);
	populate(cap->map, cap->map_len, &cap->map_ahead, cap->pw.off);
	for (i = 0; i < max; i++) {
		if (pf_next(&cap->pw, &pp) != 0) {
			cap->walking = 0;
			/* The offset fits: the file was mapped whole. */
			if (fseeko(cap->fp, (off_t)cap->pw.off, SEEK_SET) != 0)
				return -errno;
			return i;
		}
		cap->st.read++;
		(*nread)++;
		if (cap->has_filter) {
			h.ts.tv_sec = pp.ts_sec;
			h.ts.tv_usec = pp.ts_frac_us;
			h.caplen = pp.caplen;
			h.len = pp.wirelen;
			if (pcap_offline_filter(&cap->prog, &h, pp.data) == 0) {
				cap->st.filtered++;
				continue;
			}
		}
		pkt.ts_us = pp.ts_us;
		pkt.caplen = pp.caplen;
		pkt.wirelen = pp.wirelen;
		pkt.ifindex = cap->ifindex;
		if (pkt.linktype == DLT_LINUX_SLL2)
			pkt.ifindex = sll2_ifindex(pp.data, pp.caplen, 0);
		pkt.data = pp.data;
		cap->cb(&pkt, cap->cb_arg);
	}
	return i;
}

int
cap_dispatch(struct capture *cap, int max, cap_pkt_cb cb, void *arg,
    size_t *nread, struct perr *err)
{
	uint64_t before = cap->st.read;
	size_t dummy = 0;
	int n;

	if (nread == NULL)
		nread = &dummy;
	*nread = 0;
	cap->cb = cb;
	cap->cb_arg = arg;
	if (cap->ng != NULL)
		return dispatch_ng(cap, max, nread, err);
	/* A batch from the mapping; after a hand-off mid-batch the end or
	 * error comes with the next call, as libpcap's does. */
	if (cap->walking) {
		if ((n = dispatch_map(cap, max, nread)) < 0) {
			perr_set(err, n, "capture file '%s': %s after %llu "
			    "packets", cap->name, strerror(-n),
			    (unsigned long long)cap->st.read);
			return CAP_BROKEN;
		}
		if (n > 0 || cap->walking)
			return 0;
	}
	n = pcap_dispatch(cap->p, max, on_frame, (u_char *)cap);
	*nread = (size_t)(cap->st.read - before);
	if (n >= 0) {
		if (n == 0 && !cap->live)
			return CAP_EOF;
		return 0;
	}
	if (n == PCAP_ERROR_BREAK)
		return 0;
	if (!cap->live) {
		perr_set(err, -EIO, "capture file '%s': %s after %llu packets",
		    cap->name, pcap_geterr(cap->p),
		    (unsigned long long)cap->st.read);
		return CAP_BROKEN;
	}
	return perr_set(err, -EIO, "interface '%s': %s", cap->name,
	    pcap_geterr(cap->p));
}

void
cap_stats(struct capture *cap, struct cap_stats *s)
{
	struct pcap_stat ps;

	if (cap->live && pcap_stats(cap->p, &ps) == 0) {
		cap->st.kernel_drops = ps.ps_drop;
		cap->st.if_drops = ps.ps_ifdrop;
	}
	*s = cap->st;
}

int
cap_progress(struct capture *cap, uint64_t *done, uint64_t *total)
{
	long pos;

	if (cap->live || cap->size == 0 || cap->fp == NULL)
		return -ENOTSUP;
	if (cap->walking) {
		*done = cap->pw.off;
		*total = cap->size;
		return 0;
	}
	if ((pos = ftell(cap->fp)) < 0)
		return -ENOTSUP;
	*done = (uint64_t)pos;
	*total = cap->size;
	return 0;
}
