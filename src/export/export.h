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

struct exporter;

struct exp_ops {
	const char	*scheme;		/* "json" */
	size_t		priv_size;		/* zeroed, owned by the core */
	/* Opens the target named by <where> (the URI after "scheme:").
	 * Called once at start, before any packet. */
	int	(*open)(struct exporter *ex, const char *where,
		    struct perr *err);
	/* Encodes and sends one record. Returns 0, or a negative errno when
	 * the record could not be written (counted by the caller). */
	int	(*write)(struct exporter *ex, const struct exp_record *rec);
	/* Pushes buffered output out; called on the clock tick and at exit. */
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
struct exporter *exp_open(const char *uri, struct perr *err);
void	exp_close(struct exporter *ex);		/* NULL is fine */

int	exp_write(struct exporter *ex, const struct exp_record *rec);
int	exp_flush(struct exporter *ex);
const char *exp_uri(const struct exporter *ex);
void	exp_get_stats(const struct exporter *ex, struct exp_stats *s);

/* For the ops: the private area, and the URI. */
void	*exp_priv(struct exporter *ex);

#endif
