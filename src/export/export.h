/*
 * export.h - flow record exporters.
 *
 * Pipeline position: flow table -> dpi -> plugins -> [export] -> transport.
 * An exporter is chosen by the scheme of a collector URI ("json:-") from a
 * static table of const struct exp_ops. Every ended flow record goes to
 * every exporter. Exporters see the flow and its classification as
 * borrowed, read-only data for one call.
 */
#ifndef L7_EXPORT_H
#define L7_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "dpi/dpi.h"
#include "flow/flow.h"
#include "log/log.h"

/* One ended flow record, borrowed for exp_write(). */
struct exp_record {
	const struct flow	*flow;
	enum flow_end_reason	reason;
	const struct dpi_info	*app;		/* never NULL */
};

/* Settings every exporter may read; borrowed, must outlive the exporter. */
struct exp_conf {
	const char	*template;		/* -T name or file, "default" */
	uint32_t	observation_domain;	/* IPFIX domain, v9 source id */
	uint32_t	pen;			/* PEN of l7probe's elements */
	uint32_t	mtu;			/* largest UDP message, bytes */
	uint32_t	template_refresh_s;	/* UDP template resend period */
	uint32_t	template_refresh_pkts;	/* and every N messages */
	uint32_t	export_queue;		/* TCP: records held, >= 1 */
	int		biflow;			/* RFC 5103 records (IPFIX) */
	uint64_t	start_us;		/* probe start, v9 sysUptime 0 */
};

struct exporter;

struct exp_ops {
	const char	*scheme;		/* "json" */
	size_t		priv_size;		/* zeroed, owned by the core */
	/* Opens the target named by <where> (the URI after "scheme:").
	 * Called once at start, before any packet. */
	int	(*open)(struct exporter *ex, const char *where,
		    const struct exp_conf *conf, struct perr *err);
	/* Encodes and sends one record. Returns 0, or a negative errno when
	 * the record could not be written (counted by the caller). */
	int	(*write)(struct exporter *ex, const struct exp_record *rec);
	/* Pushes buffered output out and does timed work (template
	 * refresh, reconnects); called at least once a second of wall
	 * clock, live or reading a file, and at exit. Never blocks. */
	int	(*flush)(struct exporter *ex);
	/* Flushes and releases; accepts a half-open exporter. */
	void	(*close)(struct exporter *ex);
};

struct exp_stats {
	uint64_t	records;		/* written */
	uint64_t	errors;			/* records that failed */
};

/* Opens the exporter for <uri>. Returns owned (exp_close), or NULL with
 * <err> naming the URI and the reason. */
struct exporter *exp_open(const char *uri, const struct exp_conf *conf,
	    struct perr *err);
void	exp_close(struct exporter *ex);		/* NULL is fine */

int	exp_write(struct exporter *ex, const struct exp_record *rec);
int	exp_flush(struct exporter *ex);
const char *exp_uri(const struct exporter *ex);
void	exp_get_stats(const struct exporter *ex, struct exp_stats *s);

/* For the ops: the private area, and the URI. */
void	*exp_priv(struct exporter *ex);

#endif
