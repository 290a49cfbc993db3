/*
 * dpi_ndpi.c - application classification with nDPI (written for 4.2).
 *
 * Pipeline position: flow table -> [dpi] -> plugins -> export.
 * The only file that includes nDPI's headers. One nDPI detection module
 * per struct dpi, with every protocol enabled and nDPI's default
 * categories; not thread-safe, like nDPI itself.
 *
 * Each flow's ext area holds a struct dpi_flow, one 64-bit word (layout in
 * dpi_int.h). Its life:
 *   DPI_IDLE     zeroed by the flow table, no packet seen yet;
 *   DPI_HELD     only TCP packets without payload so far: a block of the
 *                string arena with their headers (see held_add), to be
 *                fed before the first payload or at the end;
 *   DPI_RUNNING  a malloc'd block: the packets fed so far, then nDPI's
 *                flow state (688 bytes and what nDPI hangs on it), fed
 *                packet by packet;
 *   DPI_DONE     the result (ids, category, confidence, guessed) packed in
 *                the word, with the handle of one block of the string
 *                arena: a byte with a bit for each metadata string stored
 *                (bits of META_*), then those not empty, back to back and
 *                NUL-terminated, in the order SNI, JA3 client, JA3 server,
 *                User-Agent; handle 0 when all are empty.
 * nDPI's state is freed the moment detection ends, so a flow that lives on
 * costs 8 bytes and its strings (rounded up to 4 bytes, no malloc header).
 *
 * The word holds no pointer once detection is over, only a handle, which
 * any struct dpi resolves: the plugins' view describes a flow through the
 * probe's struct dpi while a worker's owns it (dpi_flow_info).
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
#include "dpi/dpi_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
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

#define DPI_MAX_PKTS_LIMIT	65535	/* the packet counts are 16 bits */
#define DPI_UA_MAX		512	/* longest User-Agent kept, bytes */
#define DPI_HELD_PKTS		3	/* header-only TCP packets kept before
					 * the first payload (a handshake) */
#define DPI_HELD_BYTES		128	/* longer ones start nDPI at once */

/* What the DONE word's widths (dpi_int.h) assume of nDPI: protocol ids
 * below NDPI_NUM_BITS (custom ones included), categories below
 * NDPI_PROTOCOL_NUM_CATEGORIES, confidences below NDPI_CONFIDENCE_MAX. */
_Static_assert(NDPI_MAX_SUPPORTED_PROTOCOLS + NDPI_MAX_NUM_CUSTOM_PROTOCOLS
    <= 1 << DPI_ID_BITS, "nDPI protocol ids must fit DPI_ID_BITS");
_Static_assert(NDPI_PROTOCOL_NUM_CATEGORIES <= 1 << DPI_CAT_BITS,
    "nDPI categories must fit DPI_CAT_BITS");
_Static_assert(CUSTOM_CATEGORY_ANTIMALWARE < 1 << DPI_CAT_BITS,
    "nDPI categories must fit DPI_CAT_BITS");
_Static_assert(NDPI_CONFIDENCE_MAX <= 1 << DPI_CONF_BITS,
    "nDPI confidence values must fit DPI_CONF_BITS");
_Static_assert(DPI_HELD + 1 <= 1 << DPI_STATE_BITS,
    "the states must fit DPI_STATE_BITS");
/* RUNNING: the header keeps nDPI's state aligned as malloc's blocks are,
 * and malloc's alignment leaves the state bits of the pointer free. */
_Static_assert(DPI_RUN_HDR % _Alignof(max_align_t) == 0 &&
    _Alignof(max_align_t) >= 1 << DPI_STATE_BITS,
    "the RUNNING block must keep nDPI's state aligned and the tag free");
_Static_assert(DPI_MAX_PKTS_LIMIT <= UINT16_MAX, "counts are 16 bits");

#define STATE_MASK		((uint64_t)(1U << DPI_STATE_BITS) - 1)

/* The RUNNING block of word <w>, and nDPI's state in it. */
static unsigned char *
run_block(uint64_t w)
{
	return (unsigned char *)(uintptr_t)(w & ~STATE_MASK);
}

static struct ndpi_flow_struct *
run_nf(uint64_t w)
{
	return (struct ndpi_flow_struct *)(void *)(run_block(w) +
	    DPI_RUN_HDR);
}

/*
 * The string arena (dpi_int.h): the metadata strings of finished flows
 * and the packets held (see held_add), without malloc's per-block header
 * and 16-byte rounding. A free block holds the handle of the next free
 * one of its size (copied in and out: blocks are only 4-aligned). Chunks
 * never move or go back before dpi_free(), so a block stays where it is
 * until it is freed.
 *
 * The chunk table is one fixed array for the process, touched as it fills
 * (index 0 is never used, so handle 0 is none): a struct dpi takes a slot
 * for each new chunk under str_lock (once per 64 KiB of blocks) and
 * publishes the chunk with a release store; readers load it with acquire,
 * without the lock. dpi_free() gives its slots back for reuse.
 */
struct str_arena {
	uint32_t	*idx;		/* this dpi's chunk slots */
	uint32_t	n, cap;
	uint32_t	next;		/* next free unit of the last chunk */
	uint32_t	free[DPI_STR_MAX_UNITS + 1]; /* handles, by units */
};

static _Atomic(unsigned char *) str_chunk[DPI_STR_MAX_CHUNKS];
static pthread_mutex_t str_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t str_used = 1;		/* slots ever taken, 0 included */
static uint32_t *str_spare;		/* slots given back */
static uint32_t str_nspare, str_spare_cap;

struct dpi {
	struct ndpi_detection_module_struct *ndpi;	/* NULL when disabled */
	int		ndpi_owned;	/* 0: borrowed (dpi_new_sharing) */
	int		enabled;
	uint16_t	max_pkts;
	size_t		ext_off;
	struct dpi_stats st;
	struct str_arena strs;
};

/* The metadata strings, in the order they are stored (bits of the DONE
 * block's first byte). */
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
	size_t u = (len + DPI_STR_UNIT - 1) / DPI_STR_UNIT;

	return (uint32_t)(u < 1 ? 1 : u);
}

static inline unsigned char *
str_block(uint32_t h)
{
	return atomic_load_explicit(&str_chunk[h >> DPI_STR_OFF_BITS],
	    memory_order_acquire) + (h & ((1U << DPI_STR_OFF_BITS) - 1)) *
	    DPI_STR_UNIT;
}

/* Takes a slot of the table for a new chunk of <a>: 0, or -1 when memory
 * or the table is short. */
static int
str_grow(struct str_arena *a)
{
	unsigned char *c;
	uint32_t *ni, slot = 0;

	if (a->n == a->cap) {
		uint32_t cap = a->cap ? a->cap * 2 : 16;

		if ((ni = realloc(a->idx, cap * sizeof(*ni))) == NULL)
			return -1;
		a->idx = ni;
		a->cap = cap;
	}
	if ((c = malloc(DPI_STR_CHUNK)) == NULL)
		return -1;
	pthread_mutex_lock(&str_lock);
	if (str_nspare > 0)
		slot = str_spare[--str_nspare];
	else if (str_used < DPI_STR_MAX_CHUNKS)
		slot = str_used++;
	if (slot != 0)
		atomic_store_explicit(&str_chunk[slot], c,
		    memory_order_release);
	pthread_mutex_unlock(&str_lock);
	if (slot == 0) {
		free(c);
		return -1;
	}
	a->idx[a->n++] = slot;
	a->next = 0;
	return 0;
}

static inline uint32_t
str_alloc(struct dpi *d, uint32_t units)
{
	struct str_arena *a = &d->strs;
	uint32_t h;

	if ((h = a->free[units]) != 0) {
		memcpy(&a->free[units], str_block(h), sizeof(h));
		return h;
	}
	if (a->n == 0 || a->next + units > 1U << DPI_STR_OFF_BITS) {
		if (str_grow(a) != 0)
			return 0;
	}
	h = a->idx[a->n - 1] << DPI_STR_OFF_BITS | a->next;
	a->next += units;
	return h;
}

static inline void
str_free(struct dpi *d, uint32_t h, uint32_t units)
{
	struct str_arena *a = &d->strs;

	memcpy(str_block(h), &a->free[units], sizeof(a->free[units]));
	a->free[units] = h;
}

static void
str_fini(struct str_arena *a)
{
	uint32_t i, *ns;
	unsigned char *c;
	int room;

	pthread_mutex_lock(&str_lock);
	room = str_nspare + a->n <= str_spare_cap;
	if (!room && (ns = realloc(str_spare, (str_nspare + a->n) *
	    sizeof(*ns))) != NULL) {
		str_spare = ns;
		str_spare_cap = str_nspare + a->n;
		room = 1;
	}
	for (i = 0; i < a->n; i++) {
		c = atomic_load_explicit(&str_chunk[a->idx[i]],
		    memory_order_relaxed);
		/* Without room to keep the slot for reuse, it stays taken
		 * (and NULL): only the table's capacity is lost. */
		atomic_store_explicit(&str_chunk[a->idx[i]], NULL,
		    memory_order_relaxed);
		if (room)
			str_spare[str_nspare++] = a->idx[i];
		free(c);
	}
	pthread_mutex_unlock(&str_lock);
	free(a->idx);
}

/* The arena for the white-box tests (dpi_int.h); the module itself calls
 * the static functions above, inlined. */
uint32_t
dpi_str_alloc(struct dpi *d, uint32_t units)
{
	return str_alloc(d, units);
}

void
dpi_str_free(struct dpi *d, uint32_t h, uint32_t units)
{
	str_free(d, h, units);
}

unsigned char *
dpi_str_block(uint32_t h)
{
	return str_block(h);
}

/* The DONE block <b>: its byte of META_* bits, then those strings back
 * to back. Points the s[] of the strings stored at them (the others are
 * left as they are); returns the block's length in bytes. */
static size_t
done_strings(const unsigned char *b, const char *s[META_N])
{
	const char *p = (const char *)b + 1;
	int i;

	for (i = 0; i < META_N; i++)
		if (b[0] & (1U << i)) {
			s[i] = p;
			p += strlen(p) + 1;
		}
	return (size_t)(p - (const char *)b);
}

/* Units of the DONE block <b>. */
static uint32_t
str_units(const unsigned char *b)
{
	const char *s[META_N];

	return str_units_for(done_strings(b, s));
}

/* Adds one to the 16-bit packet count at <p> (a block's bytes, any
 * alignment); returns the new count. */
static uint16_t
count_up(unsigned char *p)
{
	uint16_t n;

	memcpy(&n, p, sizeof(n));
	n++;
	memcpy(p, &n, sizeof(n));
	return n;
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
 * Block: byte 0 its units, byte 1 the packets kept, bytes 2-3 the packets
 * counted (kept or not); from byte 8 each packet as an 8-byte time (us),
 * a 2-byte length and its bytes.
 */
#define HELD_HDR	8
#define HELD_REC	10
_Static_assert(HELD_HDR + DPI_HELD_PKTS * (HELD_REC + DPI_HELD_BYTES) <=
    255 * DPI_STR_UNIT, "a held block's units must fit its byte 0");

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

/* Keeps <pkt> (header-only TCP) for <df>, IDLE or HELD, and counts it.
 * 0, or -1 when it cannot be kept (too long, memory short): then nDPI
 * starts now. Sets <*pkts> to the packets counted. */
static int
held_add(struct dpi *d, struct dpi_flow *df, const struct dec_pkt *pkt,
    uint16_t *pkts)
{
	uint32_t oh = dpi_flow_state(df->w) == DPI_HELD ?
	    (uint32_t)(df->w >> DPI_HANDLE_SHIFT) : 0, h, units;
	unsigned char *old = oh != 0 ? str_block(oh) : NULL, *b;
	size_t olen = old != NULL ? held_len(old) : HELD_HDR, nlen;
	uint16_t len = (uint16_t)pkt->l3_caplen;

	if (pkt->l3_caplen > DPI_HELD_BYTES)
		return -1;
	if (old != NULL && old[1] >= DPI_HELD_PKTS) {
		*pkts = count_up(old + 2);	/* counted, not kept */
		return 0;
	}
	nlen = olen + HELD_REC + len;
	units = str_units_for(nlen);
	if ((h = str_alloc(d, units)) == 0)
		return -1;
	b = str_block(h);
	if (old != NULL) {
		memcpy(b, old, olen);
		str_free(d, oh, old[0]);
	} else {
		b[1] = 0;
		memset(b + 2, 0, sizeof(uint16_t));
	}
	b[0] = (unsigned char)units;
	b[1]++;
	*pkts = count_up(b + 2);
	memcpy(b + olen, &pkt->ts_us, 8);
	memcpy(b + olen + 8, &len, sizeof(len));
	memcpy(b + olen + HELD_REC, pkt->l3, len);
	df->w = (uint64_t)h << DPI_HANDLE_SHIFT | DPI_HELD;
	return 0;
}

/*
 * nDPI's first module in a process also sets up what its modules share
 * (libgcrypt's initialisation, the n-gram tables of its DGA check),
 * without a lock: two first modules at once, in two threads, can abort
 * inside libgcrypt. So the first module starts alone, and the later ones
 * side by side.
 */
static pthread_mutex_t first_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int first_done;

static struct ndpi_detection_module_struct *
start_module(void)
{
	struct ndpi_detection_module_struct *m;

	if (!atomic_load_explicit(&first_done, memory_order_acquire)) {
		pthread_mutex_lock(&first_lock);
		if (!atomic_load_explicit(&first_done,
		    memory_order_relaxed)) {
			m = ndpi_init_detection_module(ndpi_no_prefs);
			if (m != NULL)
				atomic_store_explicit(&first_done, 1,
				    memory_order_release);
			pthread_mutex_unlock(&first_lock);
			return m;
		}
		pthread_mutex_unlock(&first_lock);
	}
	return ndpi_init_detection_module(ndpi_no_prefs);
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
	if ((d->ndpi = start_module()) == NULL) {
		perr_set(err, -ENOMEM, "dpi: cannot start nDPI %s detection "
		    "module (out of memory?)", ndpi_revision());
		goto fail;
	}
	d->ndpi_owned = 1;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->ndpi, &all);
	ndpi_finalize_initialization(d->ndpi);
	return d;
fail:
	dpi_free(d);
	return NULL;
}

struct dpi *
dpi_new_sharing(const struct dpi *base, struct perr *err)
{
	struct dpi *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		perr_set(err, -ENOMEM, "dpi: out of memory");
		return NULL;
	}
	d->enabled = base->enabled;
	d->max_pkts = base->max_pkts;
	d->ext_off = base->ext_off;
	d->ndpi = base->ndpi;
	return d;
}

void
dpi_free(struct dpi *d)
{
	if (d == NULL)
		return;
	if (d->ndpi != NULL && d->ndpi_owned)
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
 * the string arena, after a byte with their META_* bits; returns its
 * handle, 0 when all are empty or memory is short (the flow then just
 * lacks metadata). */
static uint32_t
meta_copy(struct dpi *d, const struct ndpi_flow_struct *nf, uint16_t master,
    uint16_t app)
{
	const char *s[META_N];
	size_t len[META_N], total = 1, i;
	unsigned int mask = 0;
	unsigned char *block, *p;
	uint32_t h;

	meta_from_ndpi(nf, master, app, s, len);
	for (i = 0; i < META_N; i++)
		if (len[i] > 0) {
			total += len[i] + 1;
			mask |= 1U << i;
		}
	/* At most 1 + 80 + 33 + 33 + DPI_UA_MAX + META_N bytes. */
	if (mask == 0 || (h = str_alloc(d, str_units_for(total))) == 0)
		return 0;
	block = str_block(h);
	block[0] = (unsigned char)mask;
	for (p = block + 1, i = 0; i < META_N; i++)
		if (len[i] > 0) {
			memcpy(p, s[i], len[i]);
			p += len[i];
			*p++ = '\0';
		}
	return h;
}

/* Frees RUNNING block <run> (nDPI's state in it included). */
static void
run_free(struct dpi *d, unsigned char *run)
{
	ndpi_free_flow_data((struct ndpi_flow_struct *)(void *)(run +
	    DPI_RUN_HDR));
	free(run);
	d->st.flows_active--;
}

/*
 * Ends detection of <df> (RUNNING), whose last packet gave <proto>: asks
 * nDPI to give up (and maybe guess) when <giveup> is set or nothing was
 * found, keeps the result and the metadata, frees nDPI's state.
 */
static void
finish(struct dpi *d, struct dpi_flow *df, ndpi_protocol proto, int giveup)
{
	unsigned char *run = run_block(df->w);
	struct ndpi_flow_struct *nf = run_nf(df->w);
	int found = nf->detected_protocol_stack[0] != NDPI_PROTOCOL_UNKNOWN;
	uint8_t was_guessed = 0;
	struct dpi_result r;

	memset(&r, 0, sizeof(r));
	if (giveup || proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		proto = ndpi_detection_giveup(d->ndpi, nf, 1, &was_guessed);
	if (found)
		d->st.flows_detected++;
	else if (proto.app_protocol != NDPI_PROTOCOL_UNKNOWN ||
	    proto.master_protocol != NDPI_PROTOCOL_UNKNOWN) {
		r.guessed = 1;
		d->st.flows_guessed++;
	} else
		d->st.flows_unknown++;
	/* Within their widths: see the _Static_asserts above. */
	r.master_id = proto.master_protocol;
	r.app_id = proto.app_protocol;
	r.category = (uint16_t)proto.category;
	r.confidence = (uint8_t)nf->confidence;
	r.strs = meta_copy(d, nf, r.master_id, r.app_id);
	df->w = dpi_result_pack(&r);
	run_free(d, run);
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
 * in order; the RUNNING count starts at the HELD one. 0, or -ENOMEM (the
 * flow stays as it was).
 */
static int
start(struct dpi *d, struct dpi_flow *df)
{
	unsigned char *b, *run;
	struct ndpi_flow_struct *nf;
	size_t off = HELD_HDR;
	uint32_t h;
	uint64_t ts;
	uint16_t len, n = 0;
	int i;

	/* Our own block, so the count can sit in front of nDPI's state;
	 * run_free() frees it (ndpi_free_flow_data(), then free()). */
	if ((run = malloc(DPI_RUN_HDR + SIZEOF_FLOW_STRUCT)) == NULL)
		return -ENOMEM;
	nf = (struct ndpi_flow_struct *)(void *)(run + DPI_RUN_HDR);
	memset(nf, 0, SIZEOF_FLOW_STRUCT);
	d->st.flows_active++;
	if (dpi_flow_state(df->w) == DPI_HELD) {
		h = (uint32_t)(df->w >> DPI_HANDLE_SHIFT);
		b = str_block(h);
		memcpy(&n, b + 2, sizeof(n));
		for (i = 0; i < b[1]; i++) {
			memcpy(&ts, b + off, 8);
			memcpy(&len, b + off + 8, sizeof(len));
			(void)ndpi_detection_process_packet(d->ndpi, nf,
			    b + off + HELD_REC, len, ts / 1000);
			d->st.pkts_fed++;
			off += HELD_REC + len;
		}
		str_free(d, h, b[0]);
	}
	memcpy(run, &n, sizeof(n));
	df->w = (uint64_t)(uintptr_t)run | DPI_RUNNING;
	return 0;
}

void
dpi_packet(struct dpi *d, struct flow *f, enum flow_dir dir,
    const struct dec_pkt *pkt)
{
	struct dpi_flow *df;
	ndpi_protocol proto, none = NDPI_PROTOCOL_NULL;
	enum dpi_state st;
	unsigned char *run;
	uint32_t len;
	uint16_t n;

	/* nDPI finds the direction itself, from the addresses. */
	(void)dir;
	if (!d->enabled)
		return;
	df = flow_state(d, f);
	st = dpi_flow_state(df->w);
	if (st == DPI_DONE || pkt->frag == DEC_FRAG_LATER ||
	    pkt->l3 == NULL || pkt->l3_caplen == 0)
		return;
	if ((st == DPI_IDLE || st == DPI_HELD) &&
	    header_only(pkt) && held_add(d, df, pkt, &n) == 0) {
		if (n >= d->max_pkts && start(d, df) == 0)
			finish(d, df, none, 1);
		return;
	}
	if (st != DPI_RUNNING && start(d, df) != 0)
		return;		/* try again with the next packet */
	run = run_block(df->w);
	len = pkt->l3_caplen > 0xffff ? 0xffff : pkt->l3_caplen;
	proto = ndpi_detection_process_packet(d->ndpi, run_nf(df->w), pkt->l3,
	    (unsigned short)len, pkt->ts_us / 1000);
	n = count_up(run);
	d->st.pkts_fed++;
	if (n >= d->max_pkts ||
	    (proto.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
	    !more_wanted(d->ndpi, run_nf(df->w))))
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
	if (dpi_flow_state(df->w) == DPI_HELD && start(d, df) != 0)
		return;		/* no memory: Unknown */
	if (dpi_flow_state(df->w) == DPI_RUNNING)
		finish(d, df, none, 1);
}

void
dpi_flow_release(struct dpi *d, struct flow *f)
{
	struct dpi_flow *df;
	uint32_t h;

	if (!d->enabled)
		return;
	df = flow_state(d, f);
	h = (uint32_t)(df->w >> DPI_HANDLE_SHIFT);
	switch (dpi_flow_state(df->w)) {
	case DPI_RUNNING:
		run_free(d, run_block(df->w));
		break;
	case DPI_DONE:
		if (h != 0)
			str_free(d, h, str_units(str_block(h)));
		break;
	case DPI_HELD:
		str_free(d, h, str_block(h)[0]);
		break;
	default:
		break;
	}
	df->w = 0;
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
	size_t len[META_N];
	ndpi_protocol proto = NDPI_PROTOCOL_NULL;
	struct dpi_result r;
	const char *cat;

	set_unknown(out);
	if (!d->enabled)
		return;
	df = flow_state(d, f);
	switch (dpi_flow_state(df->w)) {
	case DPI_IDLE:
	case DPI_HELD:
		return;
	case DPI_RUNNING:
		/* Result so far, metadata borrowed from nDPI's state (only
		 * the owner's thread sees a flow RUNNING). */
		nf = run_nf(df->w);
		proto.master_protocol = nf->detected_protocol_stack[1];
		proto.app_protocol = nf->detected_protocol_stack[0];
		proto.category = nf->category;
		out->confidence = (uint8_t)nf->confidence;
		meta_from_ndpi(nf, proto.master_protocol,
		    proto.app_protocol, s, len);
		break;
	default:
		dpi_result_unpack(df->w, &r);
		proto.master_protocol = r.master_id;
		proto.app_protocol = r.app_id;
		proto.category = (ndpi_protocol_category_t)r.category;
		out->confidence = r.confidence;
		out->guessed = r.guessed;
		if (r.strs != 0)
			(void)done_strings(str_block(r.strs), s);
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
