/*
 * export.c - the exporter table and the calls every exporter shares.
 */
#include "export/export.h"

#include <errno.h>
#include <inttypes.h>
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
	&exp_json_tcp_ops,
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
exp_is_fatal(int rc)
{
	return rc == -EPIPE || rc == -EBADF || rc == -ESHUTDOWN;
}

/* Logs <rc> once per kind; a closed pipe is the reader's choice and
 * says nothing (as "yes | head"). */
static void
note_error(struct exporter *ex, int rc, int fatal)
{
	if (rc == ex->last_err || rc == -EPIPE)
		return;
	ex->last_err = rc;
	if (fatal)
		log_err("collector '%s': cannot write records: %s; this "
		    "collector gets no more records", ex->uri, strerror(-rc));
	else
		log_warn("collector '%s': a record could not be written: %s "
		    "(counted; the next ones are tried)", ex->uri,
		    strerror(-rc));
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
	note_error(ex, rc, exp_is_fatal(rc));
	return exp_is_fatal(rc) ? rc : 0;
}

int
exp_flush(struct exporter *ex)
{
	int rc;

	if ((rc = ex->ops->flush(ex)) == 0)
		return 0;
	note_error(ex, rc, exp_is_fatal(rc));
	return exp_is_fatal(rc) ? rc : 0;
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

/* Non-zero when records were lost: by the transport (the op says), or
 * records that could not be encoded. */
int
exp_finish(struct exporter *ex)
{
	int rc = ex->ops->finish != NULL ? ex->ops->finish(ex) : 0;

	return rc != 0 ? rc : ex->st.errors > 0 ? -EIO : 0;
}

void
exp_print_stats(struct exporter *ex, FILE *fp)
{
	fprintf(fp, "l7probe: collector %s: records given %" PRIu64
	    ", failed %" PRIu64 "\n", ex->uri, ex->st.records +
	    ex->st.errors, ex->st.errors);
	if (ex->ops->print_stats != NULL)
		ex->ops->print_stats(ex, fp);
}

void
exp_get_delivery(struct exporter *ex, struct exp_delivery *d)
{
	memset(d, 0, sizeof(*d));
	if (ex->ops->delivery != NULL)
		ex->ops->delivery(ex, d);
}

void
exp_delivery_of(const struct transport *tr, struct exp_delivery *d)
{
	struct tr_stats ts;

	if (tr == NULL)
		return;
	tr_get_stats(tr, &ts);
	d->records_sent = ts.records_sent;
	d->records_queued = ts.queued_records;
	d->records_dropped = ts.records_dropped;
	d->records_unacked = ts.records_unacked;
	d->records_refused = ts.records_refused;
	d->msgs_sent = ts.msgs_sent;
	d->bytes_sent = ts.bytes_sent;
	d->reconnects = ts.reconnects;
}

int
exp_uri_is_stdout(const char *uri)
{
	const char *colon = strchr(uri, ':');

	return colon != NULL && strcmp(colon + 1, "-") == 0;
}

size_t
exp_flow_key(const struct flow *f, uint8_t *buf, size_t size)
{
	const struct flow_key *k = &f->key;
	uint8_t tmp[EXP_FLOW_KEY_MAX];
	size_t alen = k->ip_version == 6 ? 16 : 4, n = 0;

	tmp[n++] = k->ip_version;
	tmp[n++] = k->proto;
	memcpy(tmp + n, k->src, alen);
	n += alen;
	memcpy(tmp + n, k->dst, alen);
	n += alen;
	tmp[n++] = (uint8_t)(k->sport >> 8);
	tmp[n++] = (uint8_t)k->sport;
	tmp[n++] = (uint8_t)(k->dport >> 8);
	tmp[n++] = (uint8_t)k->dport;
	tmp[n++] = (uint8_t)(k->vlan_id >> 8);
	tmp[n++] = (uint8_t)k->vlan_id;
	tmp[n++] = (uint8_t)(k->tunnel_id >> 24);
	tmp[n++] = (uint8_t)(k->tunnel_id >> 16);
	tmp[n++] = (uint8_t)(k->tunnel_id >> 8);
	tmp[n++] = (uint8_t)k->tunnel_id;
	if (n > size)
		n = size;
	memcpy(buf, tmp, n);
	return n;
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
