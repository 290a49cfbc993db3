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
 *   DPI_HELD     only TCP packets without payload so far: h is the handle
 *                of an arena block with their headers (see held_add), to
 *                be fed before the first payload or at the end;
 *   DPI_RUNNING  h is the slot of nDPI's flow state (688 bytes and what
 *                nDPI hangs on it), fed packet by packet;
 *   DPI_DONE     the result (ids, category, confidence) plus h, the handle
 *                of one block of the string arena with the four metadata
 *                strings back to back ("sni\0ja3c\0ja3s\0ua\0"), 0 when
 *                all are empty.
 * nDPI's state is freed the moment detection ends, so a flow that lives on
 * costs 16 bytes and its strings (rounded up to 8 bytes, no malloc
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

/* The per-flow state in flow->ext, 16 bytes; all zero is DPI_IDLE. */
struct dpi_flow {
	uint32_t	h;		/* DPI_RUNNING: slot of nDPI's state
					 * (1-based); DPI_DONE: handle of the
					 * metadata strings, 0 = none;
					 * DPI_HELD: handle of the packets
					 * held */
	uint16_t	master_id;
	uint16_t	app_id;
	uint16_t	category;
	uint16_t	pkts;		/* fed to nDPI */
	uint8_t		state;		/* enum dpi_state */
	uint8_t		guessed;
	uint8_t		confidence;	/* ndpi_confidence_t */
};

/*
 * The metadata strings of finished flows, without malloc's per-block
 * header and 16-byte rounding: blocks of whole 8-byte units carved from
 * 64 KiB chunks, named by a 32-bit handle (chunk << STR_CHUNK_SHIFT |
 * unit; 0 is none), a free list per block size. Chunks never move or go
 * back before dpi_free(), so a pointer to a block stays valid until the
 * block is freed.
 */
#define STR_UNIT		8
#define STR_CHUNK_SHIFT		13			/* units a chunk */
#define STR_CHUNK_UNITS		(1U << STR_CHUNK_SHIFT)
#define STR_MAX_UNITS		128			/* 1 KiB: more than
							 * the longest block */
struct str_arena {
	unsigned char	**chunk;
	uint32_t	nchunks, cap;
	uint32_t	next;		/* next free unit of the last chunk */
	uint32_t	free[STR_MAX_UNITS + 1]; /* by units: handles */
};

struct dpi {
	struct ndpi_detection_module_struct *ndpi;	/* NULL when disabled */
	int		enabled;
	uint16_t	max_pkts;
	size_t		ext_off;
	struct dpi_stats st;
	/* nDPI flow states of running flows: slot i (1-based) is
	 * run[i - 1], NULL when free; a flow's ext holds its slot */
	struct ndpi_flow_struct **run;
	uint32_t	*run_free;	/* stack of free slots */
	uint32_t	nrun, nfree;	/* slots made, free */
	uint32_t	runcap;		/* of both arrays */
	struct str_arena strs;
};

/* The metadata strings, in the order they are stored in dpi_flow.strs. */
enum {
	META_SNI = 0,
	META_JA3C,
	META_JA3S,
	META_UA,
	META_N
};

static unsigned char *
str_ptr(const struct str_arena *a, uint32_t h)
{
	return a->chunk[h >> STR_CHUNK_SHIFT] +
	    (size_t)(h & (STR_CHUNK_UNITS - 1)) * STR_UNIT;
}

/* A block of <units> (1 to STR_MAX_UNITS), or 0 when memory is short. */
static uint32_t
str_alloc(struct str_arena *a, uint32_t units)
{
	unsigned char **nc;
	uint32_t h;

	if ((h = a->free[units]) != 0) {
		memcpy(&a->free[units], str_ptr(a, h), sizeof(uint32_t));
		return h;
	}
	if (a->nchunks == 0 || a->next + units > STR_CHUNK_UNITS) {
		if (a->nchunks == a->cap) {
			uint32_t cap = a->cap ? a->cap * 2 : 16;

			if ((nc = realloc(a->chunk, cap * sizeof(*nc))) ==
			    NULL)
				return 0;
			a->chunk = nc;
			a->cap = cap;
		}
		if ((a->chunk[a->nchunks] = malloc((size_t)STR_CHUNK_UNITS *
		    STR_UNIT)) == NULL)
			return 0;
		a->nchunks++;
		/* Unit 0 of chunk 0 is never handed out: handle 0 is none. */
		a->next = a->nchunks == 1 ? 1 : 0;
	}
	h = (a->nchunks - 1) << STR_CHUNK_SHIFT | a->next;
	a->next += units;
	return h;
}

static void
str_free(struct str_arena *a, uint32_t h, uint32_t units)
{
	memcpy(str_ptr(a, h), &a->free[units], sizeof(uint32_t));
	a->free[units] = h;
}

static void
str_fini(struct str_arena *a)
{
	uint32_t i;

	for (i = 0; i < a->nchunks; i++)
		free(a->chunk[i]);
	free(a->chunk);
}

/* Units of the block holding <strs> (META_N strings back to back). */
static uint32_t
str_units(const char *strs)
{
	size_t len = 0;
	int i;

	for (i = 0; i < META_N; i++)
		len += strlen(strs + len) + 1;
	return (uint32_t)((len + STR_UNIT - 1) / STR_UNIT);
}

/* A free slot holding a new, zeroed nDPI flow state, or 0 when memory is
 * short. */
static uint32_t
run_get(struct dpi *d)
{
	struct ndpi_flow_struct **nr, *nf;
	uint32_t *nfr, slot, cap;

	if (d->nfree == 0 && d->nrun == d->runcap) {
		cap = d->runcap ? d->runcap * 2 : 64;
		if ((nr = realloc(d->run, cap * sizeof(*nr))) == NULL)
			return 0;
		d->run = nr;
		if ((nfr = realloc(d->run_free, cap * sizeof(*nfr))) == NULL)
			return 0;
		d->run_free = nfr;
		d->runcap = cap;
	}
	if ((nf = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT)) == NULL)
		return 0;
	memset(nf, 0, SIZEOF_FLOW_STRUCT);
	slot = d->nfree > 0 ? d->run_free[--d->nfree] : ++d->nrun;
	d->run[slot - 1] = nf;
	return slot;
}

/* Frees slot <slot>'s nDPI state and the slot. (Keeping the states for
 * reuse was measured: no CPU gained, peak RSS up by the most states ever
 * running at once.) */
static void
run_put(struct dpi *d, uint32_t slot)
{
	ndpi_free_flow(d->run[slot - 1]);
	d->run[slot - 1] = NULL;
	d->run_free[d->nfree++] = slot;
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
	const unsigned char *old = df->h != 0 ? str_ptr(&d->strs, df->h) :
	    NULL;
	size_t olen = old != NULL ? held_len(old) : HELD_HDR, nlen;
	uint16_t len = (uint16_t)pkt->l3_caplen;
	unsigned char *b;
	uint32_t h, units;

	if (pkt->l3_caplen > DPI_HELD_BYTES)
		return -1;
	if (old != NULL && old[1] >= DPI_HELD_PKTS)
		return 0;		/* counted, not kept */
	nlen = olen + HELD_REC + len;
	units = (uint32_t)((nlen + STR_UNIT - 1) / STR_UNIT);
	if ((h = str_alloc(&d->strs, units)) == 0)
		return -1;
	b = str_ptr(&d->strs, h);
	if (old != NULL) {
		old = str_ptr(&d->strs, df->h);	/* chunks never move */
		memcpy(b, old, olen);
		str_free(&d->strs, df->h, old[0]);
	} else
		b[1] = 0;
	b[0] = (unsigned char)units;
	b[1]++;
	memcpy(b + olen, &pkt->ts_us, 8);
	memcpy(b + olen + 8, &len, sizeof(len));
	memcpy(b + olen + HELD_REC, pkt->l3, len);
	df->h = h;
	df->state = DPI_HELD;
	return 0;
}

static struct ndpi_flow_struct *
run_nf(const struct dpi *d, const struct dpi_flow *df)
{
	return d->run[df->h - 1];
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
	uint32_t i;

	if (d->ndpi != NULL)
		ndpi_exit_detection_module(d->ndpi);
	/* States of flows never released. */
	for (i = 0; i < d->nrun; i++)
		if (d->run[i] != NULL)
			ndpi_free_flow(d->run[i]);
	free(d->run);
	free(d->run_free);
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

/* Copies <nf>'s metadata into one block of the string arena; returns its
 * handle, 0 when all strings are empty or memory is short (the flow then
 * just lacks metadata). */
static uint32_t
meta_copy(struct dpi *d, const struct ndpi_flow_struct *nf, uint16_t master,
    uint16_t app)
{
	const char *s[META_N];
	size_t len[META_N], total = 0, i;
	uint32_t h;
	char *p;

	meta_from_ndpi(nf, master, app, s, len);
	for (i = 0; i < META_N; i++)
		total += len[i];
	/* At most 80 + 33 + 33 + DPI_UA_MAX + META_N bytes. */
	if (total == 0 || (h = str_alloc(&d->strs, (uint32_t)((total +
	    META_N + STR_UNIT - 1) / STR_UNIT))) == 0)
		return 0;
	for (p = (char *)str_ptr(&d->strs, h), i = 0; i < META_N; i++) {
		memcpy(p, s[i], len[i]);
		p += len[i];
		*p++ = '\0';
	}
	return h;
}

/*
 * Ends detection of <df>, whose last packet gave <proto>: asks nDPI to
 * give up (and maybe guess) when <giveup> is set or nothing was found,
 * keeps the result and the metadata, frees nDPI's state.
 */
static void
finish(struct dpi *d, struct dpi_flow *df, ndpi_protocol proto, int giveup)
{
	struct ndpi_flow_struct *nf = run_nf(d, df);
	uint32_t slot = df->h;
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
	df->master_id = proto.master_protocol;
	df->app_id = proto.app_protocol;
	df->category = (uint16_t)proto.category;
	df->confidence = (uint8_t)nf->confidence;
	df->h = meta_copy(d, nf, df->master_id, df->app_id);
	df->state = DPI_DONE;
	run_put(d, slot);
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
	const unsigned char *b;
	struct ndpi_flow_struct *nf;
	size_t off = HELD_HDR;
	uint64_t ts;
	uint16_t len;
	uint32_t slot;
	int i;

	if ((slot = run_get(d)) == 0)
		return -ENOMEM;
	d->st.flows_active++;
	if (df->state == DPI_HELD) {
		b = str_ptr(&d->strs, df->h);
		nf = d->run[slot - 1];
		for (i = 0; i < b[1]; i++) {
			memcpy(&ts, b + off, 8);
			memcpy(&len, b + off + 8, sizeof(len));
			(void)ndpi_detection_process_packet(d->ndpi, nf,
			    b + off + HELD_REC, len, ts / 1000);
			d->st.pkts_fed++;
			off += HELD_REC + len;
		}
		str_free(&d->strs, df->h, b[0]);
	}
	df->h = slot;
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
		if (++df->pkts >= d->max_pkts && start(d, df) == 0)
			finish(d, df, none, 1);
		return;
	}
	if (df->state != DPI_RUNNING && start(d, df) != 0)
		return;		/* try again with the next packet */
	len = pkt->l3_caplen > 0xffff ? 0xffff : pkt->l3_caplen;
	proto = ndpi_detection_process_packet(d->ndpi, run_nf(d, df), pkt->l3,
	    (unsigned short)len, pkt->ts_us / 1000);
	df->pkts++;
	d->st.pkts_fed++;
	if (df->pkts >= d->max_pkts ||
	    (proto.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
	    !more_wanted(d->ndpi, run_nf(d, df))))
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
		run_put(d, df->h);
		d->st.flows_active--;
	} else if (df->state == DPI_DONE && df->h != 0)
		str_free(&d->strs, df->h,
		    str_units((const char *)str_ptr(&d->strs, df->h)));
	else if (df->state == DPI_HELD)
		str_free(&d->strs, df->h, str_ptr(&d->strs, df->h)[0]);
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
	const char *s[META_N] = { "", "", "", "" };
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
		nf = run_nf(d, df);
		proto.master_protocol = nf->detected_protocol_stack[1];
		proto.app_protocol = nf->detected_protocol_stack[0];
		proto.category = nf->category;
		out->confidence = (uint8_t)nf->confidence;
		meta_from_ndpi(nf, proto.master_protocol,
		    proto.app_protocol, s, len);
		break;
	default:
		proto.master_protocol = df->master_id;
		proto.app_protocol = df->app_id;
		proto.category = (ndpi_protocol_category_t)df->category;
		out->confidence = df->confidence;
		out->guessed = df->guessed;
		if (df->h != 0) {
			s[0] = (const char *)str_ptr(&d->strs, df->h);
			for (i = 1; i < META_N; i++)
				s[i] = s[i - 1] + strlen(s[i - 1]) + 1;
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
