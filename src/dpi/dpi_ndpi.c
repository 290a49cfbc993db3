/*
 * dpi_ndpi.c - application classification with nDPI (written for 4.2).
 *
 * Pipeline position: flow table -> [dpi] -> plugins -> export.
 * The only file that includes nDPI's headers. One nDPI detection module
 * per struct dpi, with every protocol enabled and nDPI's default
 * categories; not thread-safe, like nDPI itself.
 *
 * Each flow's ext area holds a struct dpi_flow (16 bytes). Its life:
 *   DPI_IDLE     zeroed by the flow table, no packet seen yet;
 *   DPI_HELD     only TCP packets without payload so far: p is a block of
 *                the string arena with their headers (see held_add), to
 *                be fed before the first payload or at the end;
 *   DPI_RUNNING  p is nDPI's flow state (688 bytes and what nDPI hangs on
 *                it), fed packet by packet;
 *   DPI_DONE     the result (ids, category, confidence) plus p, one block
 *                of the string arena with the metadata strings that are
 *                not empty, back to back and NUL-terminated, in the order
 *                SNI, JA3 client, JA3 server, User-Agent (meta has a bit
 *                for each one stored); NULL when all are empty.
 * nDPI's state is freed the moment detection ends, so a flow that lives on
 * costs 16 bytes and its strings (rounded up to 4 bytes, no malloc
 * header).
 *
 * Detection ends as ndpiReader's does (example/reader_util.c): when nDPI
 * reports an application protocol and ndpi_extra_dissection_possible()
 * says no more metadata can come, or after max_pkts packets; a flow still
 * without protocol then is given up with ndpi_detection_giveup(), which
 * may guess by port or address. Flows that end earlier are given up in
 * dpi_flow_end().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dpi/dpi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ndpi_config.h (pulled in by ndpi_api.h) defines its own autoconf package
 * macros; ours are not used below, so let nDPI's replace them silently. */
#undef PACKAGE
#undef PACKAGE_BUGREPORT
#undef PACKAGE_NAME
#undef PACKAGE_STRING
#undef PACKAGE_TARNAME
#undef PACKAGE_URL
#undef PACKAGE_VERSION
#undef VERSION
#include <ndpi/ndpi_api.h>

/* configure probes the nDPI functions that come and go between releases;
 * built by hand (no config.h), assume 4.2. */
#if !defined(HAVE_CONFIG_H) || defined(HAVE_NDPI_EXTRA_DISSECTION_POSSIBLE)
#define more_wanted(m, nf)	ndpi_extra_dissection_possible((m), (nf))
#else
#define more_wanted(m, nf)	0
#endif
#if !defined(HAVE_CONFIG_H) || defined(HAVE_NDPI_CONFIDENCE_GET_NAME)
#define confidence_name(c)	ndpi_confidence_get_name(c)
#else
#define confidence_name(c)	""
#endif

#define DPI_MAX_PKTS_LIMIT	65535	/* dpi_flow.pkts is 16 bits */
#define DPI_UA_MAX		512	/* longest User-Agent kept, bytes */
#define DPI_HELD_PKTS		3	/* header-only TCP packets kept before
					 * the first payload (a handshake) */
#define DPI_HELD_BYTES		128	/* longer ones start nDPI at once */

enum dpi_state {
	DPI_IDLE = 0,
	DPI_RUNNING,
	DPI_DONE,
	DPI_HELD,
};

/*
 * The per-flow state in flow->ext, 16 bytes; all zero is DPI_IDLE. It is
 * complete in itself (pointers, no index into the dpi's tables), so any
 * struct dpi can describe the flow (dpi_flow_info), as the plugins' view
 * does with the probe's.
 */
struct dpi_flow {
	void		*p;		/* DPI_RUNNING: nDPI's flow state;
					 * DPI_DONE: the arena block of the
					 * metadata strings, NULL = none;
					 * DPI_HELD: the arena block of the
					 * packets held */
	union {
		uint16_t	pkts;	/* RUNNING, HELD: counted so far */
		uint16_t	master_id; /* DONE */
	} u;
	uint16_t	app_id;		/* DONE */
	uint16_t	category;	/* DONE */
	uint8_t		state:4;	/* enum dpi_state */
	uint8_t		meta:4;		/* DONE: bit i set = string i of
					 * META_* is in the block p */
	uint8_t		guessed:1;	/* DONE */
	uint8_t		confidence:7;	/* DONE: ndpi_confidence_t */
};


/*
 * The metadata strings of finished flows (and the packets held, see
 * held_add), without malloc's per-block header and 16-byte rounding:
 * blocks of whole 4-byte units (at least two: a free block holds the next
 * one's address, copied in and out, so blocks need no 8-byte alignment)
 * carved from 64 KiB chunks, a free list per block size. Chunks never
 * move or go back before dpi_free(), so a block stays where it is until
 * it is freed.
 */
#define STR_UNIT		4
#define STR_MIN_UNITS		2			/* a pointer */
#define STR_CHUNK		65536
#define STR_MAX_UNITS		256			/* 1 KiB: more than
							 * the longest block */
struct str_arena {
	unsigned char	**chunk;
	uint32_t	nchunks, cap;
	size_t		next;		/* next free byte of the last chunk */
	unsigned char	*free[STR_MAX_UNITS + 1]; /* by units */
};

struct dpi {
	struct ndpi_detection_module_struct *ndpi;	/* NULL when disabled */
	int		enabled;
	uint16_t	max_pkts;
	size_t		ext_off;
	struct dpi_stats st;
	struct str_arena strs;
};

/* The metadata strings, in the order they are stored (dpi_flow.meta). */
enum {
	META_SNI = 0,
	META_JA3C,
	META_JA3S,
	META_UA,
	META_N
};

/* Units of a block of <len> bytes. */
static uint32_t
str_units_for(size_t len)
{
	size_t u = (len + STR_UNIT - 1) / STR_UNIT;

	return (uint32_t)(u < STR_MIN_UNITS ? STR_MIN_UNITS : u);
}

/* A block of <units> (STR_MIN_UNITS to STR_MAX_UNITS), or NULL when
 * memory is short. */
static unsigned char *
str_alloc(struct str_arena *a, uint32_t units)
{
	unsigned char **nc, *b;

	if ((b = a->free[units]) != NULL) {
		memcpy(&a->free[units], b, sizeof(b));
		return b;
	}
	if (a->nchunks == 0 || a->next + units * STR_UNIT > STR_CHUNK) {
		if (a->nchunks == a->cap) {
			uint32_t cap = a->cap ? a->cap * 2 : 16;

			if ((nc = realloc(a->chunk, cap * sizeof(*nc))) ==
			    NULL)
				return NULL;
			a->chunk = nc;
			a->cap = cap;
		}
		if ((a->chunk[a->nchunks] = malloc(STR_CHUNK)) == NULL)
			return NULL;
		a->nchunks++;
		a->next = 0;
	}
	b = a->chunk[a->nchunks - 1] + a->next;
	a->next += units * STR_UNIT;
	return b;
}

static void
str_free(struct str_arena *a, void *block, uint32_t units)
{
	memcpy(block, &a->free[units], sizeof(a->free[units]));
	a->free[units] = block;
}

static void
str_fini(struct str_arena *a)
{
	uint32_t i;

	for (i = 0; i < a->nchunks; i++)
		free(a->chunk[i]);
	free(a->chunk);
}

/* Units of the block holding <strs>: the strings of <mask> (bits of
 * META_*), back to back. */
static uint32_t
str_units(const char *strs, unsigned int mask)
{
	size_t len = 0;
	int i;

	for (i = 0; i < META_N; i++)
		if (mask & (1U << i))
			len += strlen(strs + len) + 1;
	return str_units_for(len);
}

/*
 * Header-only TCP packets before a flow's first payload are not given to
 * nDPI at once: their bytes (IP and TCP headers, up to DPI_HELD_PKTS
 * packets) are kept in a block of the string arena, and given to nDPI
 * just before the first packet with payload, or when the flow ends
 * without one. nDPI then sees the handshake as before, but a flow that
 * never carries payload (a SYN to a closed port, a scan) costs a small
 * block for its life instead of nDPI's flow state.
 *
 * Block: byte 0 its units, byte 1 the packets; from byte 8 each packet
 * as an 8-byte time (us), a 2-byte length and its bytes.
 */
#define HELD_HDR	8
#define HELD_REC	10
_Static_assert(HELD_HDR + DPI_HELD_PKTS * (HELD_REC + DPI_HELD_BYTES) <=
    255 * STR_UNIT, "a held block's units must fit its byte 0");

static size_t
held_len(const unsigned char *b)
{
	size_t off = HELD_HDR;
	uint16_t len;
	int i;

	for (i = 0; i < b[1]; i++) {
		memcpy(&len, b + off + 8, sizeof(len));
		off += HELD_REC + len;
	}
	return off;
}

/* Keeps <pkt> (header-only TCP) for <df>, IDLE or HELD. 0, or -1 when it
 * cannot be kept (too long, memory short): then nDPI starts now. */
static int
held_add(struct dpi *d, struct dpi_flow *df, const struct dec_pkt *pkt)
{
	unsigned char *old = df->p;
	size_t olen = old != NULL ? held_len(old) : HELD_HDR, nlen;
	uint16_t len = (uint16_t)pkt->l3_caplen;
	unsigned char *b;
	uint32_t units;

	if (pkt->l3_caplen > DPI_HELD_BYTES)
		return -1;
	if (old != NULL && old[1] >= DPI_HELD_PKTS)
		return 0;		/* counted, not kept */
	nlen = olen + HELD_REC + len;
	units = str_units_for(nlen);
	if ((b = str_alloc(&d->strs, units)) == NULL)
		return -1;
	if (old != NULL) {
		memcpy(b, old, olen);
		str_free(&d->strs, old, old[0]);
	} else
		b[1] = 0;
	b[0] = (unsigned char)units;
	b[1]++;
	memcpy(b + olen, &pkt->ts_us, 8);
	memcpy(b + olen + 8, &len, sizeof(len));
	memcpy(b + olen + HELD_REC, pkt->l3, len);
	df->p = b;
	df->state = DPI_HELD;
	return 0;
}

struct dpi *
dpi_new(const struct dpi_conf *conf, struct perr *err)
{
	NDPI_PROTOCOL_BITMASK all;
	struct dpi *d;

	if (conf->enabled && (conf->max_pkts == 0 ||
	    conf->max_pkts > DPI_MAX_PKTS_LIMIT)) {
		perr_set(err, -EINVAL, "dpi: max packets per flow %u out of "
		    "range (1 to %u)", conf->max_pkts, DPI_MAX_PKTS_LIMIT);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		perr_set(err, -ENOMEM, "dpi: out of memory");
		return NULL;
	}
	d->enabled = conf->enabled != 0;
	d->max_pkts = (uint16_t)conf->max_pkts;
	if (!d->enabled)
		return d;
	if ((d->ndpi = ndpi_init_detection_module(ndpi_no_prefs)) == NULL) {
		perr_set(err, -ENOMEM, "dpi: cannot start nDPI %s detection "
		    "module (out of memory?)", ndpi_revision());
		goto fail;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->ndpi, &all);
	ndpi_finalize_initialization(d->ndpi);
	return d;
fail:
	dpi_free(d);
	return NULL;
}

void
dpi_free(struct dpi *d)
{
	if (d == NULL)
		return;
	if (d->ndpi != NULL)
		ndpi_exit_detection_module(d->ndpi);
	str_fini(&d->strs);
	free(d);
}

size_t
dpi_ext_size(const struct dpi *d)
{
	return d->enabled ? sizeof(struct dpi_flow) : 0;
}

void
dpi_set_ext_offset(struct dpi *d, size_t off)
{
	d->ext_off = off;
}

static struct dpi_flow *
flow_state(const struct dpi *d, const struct flow *f)
{
	/* The table gives an 8-aligned ext and the pipeline an 8-aligned
	 * offset in it, so the cast is aligned. */
	return (struct dpi_flow *)(void *)((unsigned char *)f->ext +
	    d->ext_off);
}

static int
is_tls_like(uint16_t id)
{
	return id == NDPI_PROTOCOL_TLS || id == NDPI_PROTOCOL_QUIC ||
	    id == NDPI_PROTOCOL_DTLS;
}

/*
 * Points <s>/<len> at the metadata nDPI collected in <nf> for a flow
 * classified <master>.<app>. protos is a union: the JA3 strings are only
 * meaningful for TLS-like flows (ndpiReader checks the same way).
 */
static void
meta_from_ndpi(const struct ndpi_flow_struct *nf, uint16_t master,
    uint16_t app, const char *s[META_N], size_t len[META_N])
{
	const char *ua = nf->http.user_agent;

	s[META_SNI] = nf->host_server_name;
	len[META_SNI] = strnlen(nf->host_server_name,
	    sizeof(nf->host_server_name));
	if (is_tls_like(master) || is_tls_like(app)) {
		s[META_JA3C] = nf->protos.tls_quic.ja3_client;
		len[META_JA3C] = strnlen(nf->protos.tls_quic.ja3_client,
		    sizeof(nf->protos.tls_quic.ja3_client));
		s[META_JA3S] = nf->protos.tls_quic.ja3_server;
		len[META_JA3S] = strnlen(nf->protos.tls_quic.ja3_server,
		    sizeof(nf->protos.tls_quic.ja3_server));
	} else {
		s[META_JA3C] = s[META_JA3S] = "";
		len[META_JA3C] = len[META_JA3S] = 0;
	}
	s[META_UA] = ua != NULL ? ua : "";
	len[META_UA] = ua != NULL ? strnlen(ua, DPI_UA_MAX) : 0;
}

/* Copies <nf>'s metadata strings that are not empty into one block of
 * the string arena and sets <df>'s p and meta; p is NULL when all are
 * empty or memory is short (the flow then just lacks metadata). */
static void
meta_copy(struct dpi *d, struct dpi_flow *df,
    const struct ndpi_flow_struct *nf, uint16_t master, uint16_t app)
{
	const char *s[META_N];
	size_t len[META_N], total = 0, i;
	unsigned int mask = 0;
	char *block, *p;

	df->p = NULL;
	df->meta = 0;
	meta_from_ndpi(nf, master, app, s, len);
	for (i = 0; i < META_N; i++)
		if (len[i] > 0) {
			total += len[i] + 1;
			mask |= 1U << i;
		}
	/* At most 80 + 33 + 33 + DPI_UA_MAX + META_N bytes. */
	if (total == 0 || (block = (char *)str_alloc(&d->strs,
	    str_units_for(total))) == NULL)
		return;
	for (p = block, i = 0; i < META_N; i++)
		if (len[i] > 0) {
			memcpy(p, s[i], len[i]);
			p += len[i];
			*p++ = '\0';
		}
	df->p = block;
	df->meta = mask & 0xf;
}

/*
 * Ends detection of <df>, whose last packet gave <proto>: asks nDPI to
 * give up (and maybe guess) when <giveup> is set or nothing was found,
 * keeps the result and the metadata, frees nDPI's state.
 */
static void
finish(struct dpi *d, struct dpi_flow *df, ndpi_protocol proto, int giveup)
{
	struct ndpi_flow_struct *nf = df->p;
	int found = nf->detected_protocol_stack[0] != NDPI_PROTOCOL_UNKNOWN;
	uint8_t was_guessed = 0;

	if (giveup || proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		proto = ndpi_detection_giveup(d->ndpi, nf, 1, &was_guessed);
	if (found)
		d->st.flows_detected++;
	else if (proto.app_protocol != NDPI_PROTOCOL_UNKNOWN ||
	    proto.master_protocol != NDPI_PROTOCOL_UNKNOWN) {
		df->guessed = 1;
		d->st.flows_guessed++;
	} else
		d->st.flows_unknown++;
	df->u.master_id = proto.master_protocol;
	df->app_id = proto.app_protocol;
	df->category = (uint16_t)proto.category;
	df->confidence = (uint8_t)nf->confidence;
	meta_copy(d, df, nf, df->u.master_id, df->app_id);
	df->state = DPI_DONE;
	ndpi_free_flow(nf);
	d->st.flows_active--;
}

/* 1 for a TCP segment with no payload captured. */
static int
header_only(const struct dec_pkt *pkt)
{
	return pkt->proto == 6 && pkt->l4 != NULL && pkt->l4_caplen >= 20 &&
	    pkt->l4_caplen <= (uint32_t)(pkt->l4[12] >> 4) * 4;
}

/*
 * Gives <df> (IDLE or HELD) an nDPI state and feeds it the packets held,
 * in order (they are counted in df->pkts already). 0, or -ENOMEM (the
 * flow stays as it was).
 */
static int
start(struct dpi *d, struct dpi_flow *df)
{
	unsigned char *b;
	struct ndpi_flow_struct *nf;
	size_t off = HELD_HDR;
	uint64_t ts;
	uint16_t len;
	int i;

	if ((nf = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT)) == NULL)
		return -ENOMEM;
	memset(nf, 0, SIZEOF_FLOW_STRUCT);
	d->st.flows_active++;
	if (df->state == DPI_HELD) {
		b = df->p;
		for (i = 0; i < b[1]; i++) {
			memcpy(&ts, b + off, 8);
			memcpy(&len, b + off + 8, sizeof(len));
			(void)ndpi_detection_process_packet(d->ndpi, nf,
			    b + off + HELD_REC, len, ts / 1000);
			d->st.pkts_fed++;
			off += HELD_REC + len;
		}
		str_free(&d->strs, b, b[0]);
	}
	df->p = nf;
	df->state = DPI_RUNNING;
	return 0;
}

void
dpi_packet(struct dpi *d, struct flow *f, enum flow_dir dir,
    const struct dec_pkt *pkt)
{
	struct dpi_flow *df;
	ndpi_protocol proto, none = NDPI_PROTOCOL_NULL;
	uint32_t len;

	/* nDPI finds the direction itself, from the addresses. */
	(void)dir;
	if (!d->enabled)
		return;
	df = flow_state(d, f);
	if (df->state == DPI_DONE || pkt->frag == DEC_FRAG_LATER ||
	    pkt->l3 == NULL || pkt->l3_caplen == 0)
		return;
	if ((df->state == DPI_IDLE || df->state == DPI_HELD) &&
	    header_only(pkt) && held_add(d, df, pkt) == 0) {
		if (++df->u.pkts >= d->max_pkts && start(d, df) == 0)
			finish(d, df, none, 1);
		return;
	}
	if (df->state != DPI_RUNNING && start(d, df) != 0)
		return;		/* try again with the next packet */
	len = pkt->l3_caplen > 0xffff ? 0xffff : pkt->l3_caplen;
	proto = ndpi_detection_process_packet(d->ndpi, df->p, pkt->l3,
	    (unsigned short)len, pkt->ts_us / 1000);
	df->u.pkts++;
	d->st.pkts_fed++;
	if (df->u.pkts >= d->max_pkts ||
	    (proto.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
	    !more_wanted(d->ndpi, df->p)))
		finish(d, df, proto, 0);
}

void
dpi_flow_end(struct dpi *d, struct flow *f)
{
	struct dpi_flow *df;
	ndpi_protocol none = NDPI_PROTOCOL_NULL;

	if (!d->enabled)
		return;
	df = flow_state(d, f);
	/* Given up even when a protocol was found and extra dissection goes
	 * on, as ndpiReader does at the end: nDPI then keeps that protocol. */
	if (df->state == DPI_HELD && start(d, df) != 0)
		return;		/* no memory: Unknown */
	if (df->state == DPI_RUNNING)
		finish(d, df, none, 1);
}

void
dpi_flow_release(struct dpi *d, struct flow *f)
{
	struct dpi_flow *df;

	if (!d->enabled)
		return;
	df = flow_state(d, f);
	if (df->state == DPI_RUNNING) {
		ndpi_free_flow(df->p);
		d->st.flows_active--;
	} else if (df->state == DPI_DONE && df->p != NULL)
		str_free(&d->strs, df->p, str_units(df->p, df->meta));
	else if (df->state == DPI_HELD)
		str_free(&d->strs, df->p, ((unsigned char *)df->p)[0]);
	memset(df, 0, sizeof(*df));
}

/* Copies NUL-terminated <src> (NULL taken as "") into <buf> of <size> >= 1
 * bytes, cut to fit; returns the bytes written, NUL excluded. The record
 * path fills several names a record: no printf machinery there. */
static size_t
copy_str(char *buf, size_t size, const char *src)
{
	size_t n = src != NULL ? strnlen(src, size - 1) : 0;

	if (n > 0)
		memcpy(buf, src, n);
	buf[n] = '\0';
	return n;
}

/* Writes <v> in decimal at <p> (at most 5 digits); returns the end. */
static char *
put_u16(char *p, uint16_t v)
{
	char tmp[5];
	size_t n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

static void
set_unknown(struct dpi_info *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->app_name, "Unknown", sizeof("Unknown"));
	memcpy(out->category_name, "Unspecified", sizeof("Unspecified"));
	out->app_id_str[0] = '0';
	out->confidence_name = "";
	out->server_name = out->client_fingerprint = "";
	out->server_fingerprint = out->user_agent = "";
}

/* "master.app" ids as ndpi_protocol2id() writes them, without needing a
 * writable protocol struct. <buf> has room for "65535.65535". */
static void
format_ids(char *buf, uint16_t master, uint16_t app)
{
	char *p = buf;

	if (master != NDPI_PROTOCOL_UNKNOWN && master != app) {
		p = put_u16(p, master);
		if (app != NDPI_PROTOCOL_UNKNOWN) {
			*p++ = '.';
			p = put_u16(p, app);
		}
	} else
		p = put_u16(p, app);
	*p = '\0';
}

/* The name ndpi_protocol2name() gives ("master.app", "master" or "app"),
 * cut to <size> bytes the same way, without its snprintf. */
static void
format_name(struct ndpi_detection_module_struct *m, char *buf, size_t size,
    uint16_t master, uint16_t app)
{
	size_t n;

	if (master != NDPI_PROTOCOL_UNKNOWN && master != app) {
		n = copy_str(buf, size, ndpi_get_proto_name(m, master));
		if (app != NDPI_PROTOCOL_UNKNOWN && n + 1 < size) {
			buf[n++] = '.';
			(void)copy_str(buf + n, size - n,
			    ndpi_get_proto_name(m, app));
		}
	} else
		(void)copy_str(buf, size, ndpi_get_proto_name(m, app));
}

void
dpi_flow_info(const struct dpi *d, const struct flow *f,
    struct dpi_info *out)
{
	const struct dpi_flow *df;
	const struct ndpi_flow_struct *nf;
	const char *s[META_N] = { "", "", "", "" }, *p;
	size_t len[META_N], i;
	ndpi_protocol proto = NDPI_PROTOCOL_NULL;
	const char *cat;

	set_unknown(out);
	if (!d->enabled)
		return;
	df = flow_state(d, f);
	switch (df->state) {
	case DPI_IDLE:
	case DPI_HELD:
		return;
	case DPI_RUNNING:
		/* Result so far, metadata borrowed from nDPI's state. */
		nf = df->p;
		proto.master_protocol = nf->detected_protocol_stack[1];
		proto.app_protocol = nf->detected_protocol_stack[0];
		proto.category = nf->category;
		out->confidence = (uint8_t)nf->confidence;
		meta_from_ndpi(nf, proto.master_protocol,
		    proto.app_protocol, s, len);
		break;
	default:
		proto.master_protocol = df->u.master_id;
		proto.app_protocol = df->app_id;
		proto.category = (ndpi_protocol_category_t)df->category;
		out->confidence = df->confidence;
		out->guessed = df->guessed;
		for (p = df->p, i = 0; p != NULL && i < META_N; i++)
			if (df->meta & (1U << i)) {
				s[i] = p;
				p += strlen(p) + 1;
			}
		break;
	}
	out->master_id = proto.master_protocol;
	out->app_id = proto.app_protocol;
	out->category_id = (uint16_t)proto.category;
	format_name(d->ndpi, out->app_name, sizeof(out->app_name),
	    proto.master_protocol, proto.app_protocol);
	format_ids(out->app_id_str, proto.master_protocol, proto.app_protocol);
	cat = ndpi_category_get_name(d->ndpi, proto.category);
	if (cat != NULL)
		(void)copy_str(out->category_name, sizeof(out->category_name),
		    cat);
	if (out->confidence != NDPI_CONFIDENCE_UNKNOWN)
		out->confidence_name = confidence_name(
		    (ndpi_confidence_t)out->confidence);
	if (out->confidence_name == NULL)
		out->confidence_name = "";
	out->server_name = s[META_SNI];
	out->client_fingerprint = s[META_JA3C];
	out->server_fingerprint = s[META_JA3S];
	out->user_agent = s[META_UA];
}

void
dpi_stats(const struct dpi *d, struct dpi_stats *s)
{
	*s = d->st;
}

const char *
dpi_backend_version(void)
{
	/* Filled once, read-only after: the version of the library loaded,
	 * which may differ from the headers built against. */
	static char buf[48];

	if (buf[0] == '\0')
		snprintf(buf, sizeof(buf), "nDPI %s", ndpi_revision());
	return buf;
}
