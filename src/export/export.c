/*
 * export.c - the exporter table and the calls every exporter shares.
 */
#include "export/export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "export/exp_int.h"
#include "log/clock.h"

struct exporter {
	const struct exp_ops	*ops;
	const char		*uri;		/* <shown>, or borrowed from conf */
	char			*shown;		/* the URI, secrets hidden */
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
	&exp_json_kafka_ops,
	&exp_ipfix_kafka_ops,
};

/*
 * "kafka://BROKERS/TOPIC?format=json|ipfix&..." is "json+kafka:" or
 * "ipfix+kafka:" by its format (json when none). Returns the scheme, or
 * NULL with <err> set for an unknown format.
 */
static const char *
kafka_scheme(const char *uri, struct perr *err)
{
	const char *q = strchr(uri, '?'), *f, *end;
	size_t n;

	for (f = q; f != NULL; f = strchr(f + 1, '&')) {
		if (strncmp(f + 1, "format=", 7) != 0)
			continue;
		f += 8;
		end = strchr(f, '&');
		n = end != NULL ? (size_t)(end - f) : strlen(f);
		if (n == 4 && strncmp(f, "json", 4) == 0)
			return "json+kafka";
		if (n == 5 && strncmp(f, "ipfix", 5) == 0)
			return "ipfix+kafka";
		perr_set(err, -EINVAL, "collector '%s': unknown format '%.*s' "
		    "(json or ipfix)", uri, (int)n, f);
		return NULL;
	}
	return "json+kafka";
}

/*
 * The URI for messages and counters: the values of settings whose name
 * says password or secret (kafka://...?sasl.password=...) become "***".
 * Returns owned, or NULL when there is nothing to hide (or no memory:
 * then the URI shows as given).
 */
static int
has_word(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w), i;

	for (i = 0; i + wl <= n; i++)
		if (strncmp(s + i, w, wl) == 0)
			return 1;
	return 0;
}

static char *
hide_secrets(const char *uri)
{
	const char *q = strchr(uri, '?'), *p, *amp, *eq;
	size_t len = strlen(uri), n;
	char *out, *o;
	int hid = 0;

	if (q == NULL || (out = malloc(len * 3 + 8)) == NULL)
		return NULL;
	n = (size_t)(q - uri) + 1;
	memcpy(out, uri, n);
	o = out + n;
	for (p = q + 1; ; p = amp + 1) {
		amp = strchr(p, '&');
		n = amp != NULL ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', n);
		if (eq != NULL && (has_word(p, (size_t)(eq - p), "password") ||
		    has_word(p, (size_t)(eq - p), "secret"))) {
			n = (size_t)(eq - p) + 1;
			memcpy(o, p, n);
			memcpy(o + n, "***", 3);
			o += n + 3;
			hid = 1;
		} else {
			memcpy(o, p, n);
			o += n;
		}
		if (amp == NULL)
			break;
		*o++ = '&';
	}
	*o = '\0';
	if (!hid) {
		free(out);
		return NULL;
	}
	return out;
}

struct exporter *
exp_open(const char *uri, const struct exp_conf *conf, struct perr *err)
{
	const struct exp_ops *ops = NULL;
	struct exporter *ex;
	const char *colon, *scheme;
	size_t i, n;

	if ((colon = strchr(uri, ':')) == NULL)
		goto unknown;
	scheme = uri;
	n = (size_t)(colon - uri);
	if (n == 5 && strncmp(uri, "kafka", 5) == 0) {
		if ((scheme = kafka_scheme(uri, err)) == NULL)
			return NULL;
		n = strlen(scheme);
	}
	for (i = 0; i < sizeof(exporters) / sizeof(exporters[0]); i++) {
		if (strlen(exporters[i]->scheme) == n &&
		    strncmp(exporters[i]->scheme, scheme, n) == 0)
			ops = exporters[i];
	}
	if (ops == NULL)
		goto unknown;
	if ((ex = calloc(1, sizeof(*ex) + ops->priv_size)) == NULL) {
		perr_set(err, -ENOMEM, "collector '%s': out of memory", uri);
		return NULL;
	}
	ex->ops = ops;
	ex->shown = hide_secrets(uri);
	ex->uri = ex->shown != NULL ? ex->shown : uri;
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
	free(ex->shown);
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
exp_lost_of(const struct transport *tr)
{
	struct tr_stats ts;

	tr_get_stats(tr, &ts);
	return ts.records_dropped > 0 ? -ENOBUFS : ts.records_refused > 0 ?
	    -ECONNREFUSED : ts.records_unacked > 0 ? -ETIMEDOUT : 0;
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

size_t
exp_udp_msg_size(const struct exp_conf *conf, const struct transport *tr)
{
	size_t local = tr_local_max(tr);

	if (conf->mtu != 0)
		return conf->mtu;
	if (local >= EXP_MTU_LOCAL)
		return EXP_MTU_LOCAL;
	return local > EXP_MTU_DEFAULT ? local : EXP_MTU_DEFAULT;
}

uint64_t
exp_now_us(const struct exp_conf *conf)
{
	return conf->now != NULL ? conf->now(conf->now_arg) : clock_wall_us();
}
