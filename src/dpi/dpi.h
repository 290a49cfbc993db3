/*
 * dpi.h - application classification of flows (nDPI).
 *
 * Pipeline position: flow table -> [dpi] -> plugins -> export.
 * One struct dpi per thread that owns flows (nDPI's detection module is not
 * thread-safe). The per-flow state lives in the flow's ext area, at an
 * offset the pipeline gives; while detection runs it points to nDPI's flow
 * state, which is freed as soon as detection is complete or given up, so a
 * long flow costs only its small result.
 *
 * dpi_ndpi.c is the only file that includes nDPI's headers. Built without
 * nDPI (dpi_none.c) or run with --no-dpi, every flow is "Unknown" in
 * category "Unspecified".
 *
 * Per flow, after detection, the ext area holds 8 bytes, and a block of
 * the string arena holds its metadata strings (none when all are empty).
 * A flow owned by one struct dpi can be described through any other
 * (dpi_flow_info), as the plugins' view does through the probe's while
 * the workers own the flows.
 */
#ifndef L7_DPI_H
#define L7_DPI_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "log/log.h"

struct dpi_conf {
	int		enabled;	/* 0 = --no-dpi: no work per packet;
					 * default 1 */
	uint32_t	max_pkts;	/* packets fed per flow, both
					 * directions, 1..65535; default 20 */
};

/*
 * What a flow was found to be. Strings are NUL-terminated, "" when absent.
 * Names and ids are those ndpiReader prints for the same flow. The four
 * metadata pointers are never NULL; they are raw bytes seen on the wire
 * (only NUL-free), so an encoder must escape them.
 */
struct dpi_info {
	char		app_name[64];	/* "TLS.Instagram", "HTTP", "Unknown" */
	char		category_name[48]; /* "SocialNetwork", "Unspecified" */
	char		app_id_str[16];	/* "91.211", "7", "0": master.app ids */
	uint16_t	master_id;	/* nDPI master protocol id, 0 = none */
	uint16_t	app_id;		/* nDPI app protocol id, 0 = unknown */
	uint16_t	category_id;	/* nDPI category id, 0 = unspecified */
	uint8_t		guessed;	/* 1 = not found by DPI: guessed at
					 * give-up time (by port or address) */
	uint8_t		confidence;	/* nDPI confidence value, 0 = unknown */
	const char	*confidence_name; /* static: "DPI", "Match by port",
					 * "" when unknown */
	const char	*server_name;	/* TLS/QUIC SNI, HTTP Host, DNS query */
	const char	*client_fingerprint; /* JA3 client (TLS/QUIC only) */
	const char	*server_fingerprint; /* JA3 server (TLS only) */
	const char	*user_agent;	/* HTTP (or QUIC) User-Agent */
};

struct dpi;

/* Fills <conf> with the defaults above. */
static inline void
dpi_conf_defaults(struct dpi_conf *conf)
{
	/* The same with nDPI or without: one place for them. */
	conf->enabled = 1;
	conf->max_pkts = 20;
}

/* Returns owned (dpi_free), or NULL with <err> filled: -EINVAL for a
 * max_pkts out of range, -ENOMEM when nDPI cannot start. One per thread
 * owning flows. */
struct dpi *dpi_new(const struct dpi_conf *conf, struct perr *err);
/* Like dpi_new() with <base>'s settings, but detecting on <base>'s nDPI
 * module instead of starting one (several MB and milliseconds each):
 * for one worker, whose module the other threads also read names from.
 * Its own counters and strings. <base> must outlive it, and no other
 * instance may detect on that module. */
struct dpi *dpi_new_sharing(const struct dpi *base, struct perr *err);
void	dpi_free(struct dpi *d);		/* NULL is fine */

/* Bytes each flow needs in its ext area (0 when disabled). */
size_t	dpi_ext_size(const struct dpi *d);
/* Where in flow->ext those bytes are; set once before the first packet. */
void	dpi_set_ext_offset(struct dpi *d, size_t off);

/*
 * Feeds one packet of <f> (both borrowed) while detection runs; returns at
 * once for flows whose detection is over. Later IP fragments are not fed.
 * TCP packets without payload before the flow's first payload are held
 * (their headers, up to 3) and fed with it, or at the end, so a flow that
 * never carries payload holds no nDPI state. Detection is over when nDPI
 * found the protocol and wants no more packets for its metadata, or after
 * max_pkts packets (then it is given up, maybe guessed); the nDPI state
 * is freed at once and the metadata strings are kept. Capture thread
 * only.
 */
void	dpi_packet(struct dpi *d, struct flow *f, enum flow_dir dir,
	    const struct dec_pkt *pkt);

/* A record of <f> ends (any reason, FLOW_END_ACTIVE included), before it
 * is exported: detection still running is given up (maybe guessed) and its
 * nDPI state freed; the result stays for the export and for later records.
 * Calling it again is harmless. */
void	dpi_flow_end(struct dpi *d, struct flow *f);
/* <f> is about to be freed (after its last export, so not for
 * FLOW_END_ACTIVE): frees the result strings, and nDPI state if
 * dpi_flow_end() was not called. Leaves the ext area zeroed. */
void	dpi_flow_release(struct dpi *d, struct flow *f);

/* Fills <out> for <f>. Pointers in <out> borrow from <f>'s state and are
 * valid until dpi_flow_release(), or the next dpi_packet() when detection
 * still runs (then the result so far is given: usually "Unknown"). */
void	dpi_flow_info(const struct dpi *d, const struct flow *f,
	    struct dpi_info *out);

/* Counters since dpi_new(); each finished flow counts once in one of the
 * first three. */
struct dpi_stats {
	uint64_t	flows_detected;	/* found by DPI */
	uint64_t	flows_guessed;	/* given up, guessed */
	uint64_t	flows_unknown;	/* given up, still Unknown */
	uint64_t	pkts_fed;	/* packets given to nDPI */
	uint64_t	flows_active;	/* nDPI states now allocated */
};
void	dpi_stats(const struct dpi *d, struct dpi_stats *s);

/* "nDPI 4.2.0" (the version built against) or "none"; static. */
const char *dpi_backend_version(void);

#endif
