/*
 * export.c - the exporter table and the calls every exporter shares.
 */
#include "export/export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "export/exp_int.h"

struct exporter {
	const struct exp_ops	*ops;
	const char		*uri;		/* borrowed from conf */
	struct exp_stats	st;
	int			last_err;	/* logged once per kind */
	_Alignas(8) unsigned char priv[];
};

static const struct exp_ops *const exporters[] = {
	&exp_json_ops,
	&exp_ipfix_ops,
	&exp_ipfix_udp_ops,
	&exp_ipfix_tcp_ops,
	&exp_ipfix_file_ops,
	&exp_nfv9_ops,
};

struct exporter *
exp_open(const char *uri, const struct exp_conf *conf, struct perr *err)
{
	const struct exp_ops *ops = NULL;
	struct exporter *ex;
	const char *colon;
	size_t i, n;

	if ((colon = strchr(uri, ':')) == NULL)
		goto unknown;
	n = (size_t)(colon - uri);
	for (i = 0; i < sizeof(exporters) / sizeof(exporters[0]); i++) {
		if (strlen(exporters[i]->scheme) == n &&
		    strncmp(exporters[i]->scheme, uri, n) == 0)
			ops = exporters[i];
	}
	if (ops == NULL)
		goto unknown;
	if ((ex = calloc(1, sizeof(*ex) + ops->priv_size)) == NULL) {
		perr_set(err, -ENOMEM, "collector '%s': out of memory", uri);
		return NULL;
	}
	ex->ops = ops;
	ex->uri = uri;
	if (ops->open(ex, colon + 1, conf, err) != 0) {
		exp_close(ex);
		return NULL;
	}
	return ex;
unknown:
	perr_set(err, -EINVAL, "collector '%s': unknown kind", uri);
	return NULL;
}

void
exp_close(struct exporter *ex)
{
	if (ex == NULL)
		return;
	ex->ops->close(ex);
	free(ex);
}

int
exp_write(struct exporter *ex, const struct exp_record *rec)
{
	int rc;

	if ((rc = ex->ops->write(ex, rec)) == 0) {
		ex->st.records++;
		return 0;
	}
	ex->st.errors++;
	if (rc != ex->last_err) {
		ex->last_err = rc;
		log_err("collector '%s': cannot write records: %s", ex->uri,
		    strerror(-rc));
	}
	return rc;
}

int
exp_flush(struct exporter *ex)
{
	int rc;

	if ((rc = ex->ops->flush(ex)) != 0 && rc != ex->last_err) {
		ex->last_err = rc;
		log_err("collector '%s': cannot write records: %s", ex->uri,
		    strerror(-rc));
	}
	return rc;
}

int
exp_status(struct exporter *ex, struct perr *why)
{
	return ex->ops->status != NULL ? ex->ops->status(ex, why) : 0;
}

int
exp_reopen(struct exporter *ex)
{
	return ex->ops->reopen != NULL ? ex->ops->reopen(ex) : 0;
}

int
exp_finish(struct exporter *ex)
{
	return ex->ops->finish != NULL ? ex->ops->finish(ex) : 0;
}

void
exp_print_stats(struct exporter *ex, FILE *fp)
{
	if (ex->ops->print_stats != NULL)
		ex->ops->print_stats(ex, fp);
}

const char *
exp_uri(const struct exporter *ex)
{
	return ex->uri;
}

void
exp_get_stats(const struct exporter *ex, struct exp_stats *s)
{
	*s = ex->st;
}

void *
exp_priv(struct exporter *ex)
{
	return ex->priv;
}
