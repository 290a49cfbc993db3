/*
 * exp_nfv9.c - the "nfv9" exporter: NetFlow v9 (RFC 3954) over UDP,
 * "nfv9://HOST[:PORT]", port 2055 by default.
 *
 * Glue between the exporter table (export.h), the encoder (nfv9.c, see
 * nfv9_int.h for what goes on the wire) and a UDP transport. The encoder
 * gets the probe's time here (exp_now_us: exp_conf.now, else the wall
 * clock): sysUptime counts from exp_conf.start_us, and
 * templates are refreshed every --template-refresh seconds and
 * --template-refresh-packets packets, also while no record comes (from
 * flush), so a collector started late decodes within one period.
 *
 * A lost datagram is not an error of the exporter: UDP send failures
 * (collector not listening yet: ECONNREFUSED) are counted and warned
 * about once per kind by the transport, and records keep flowing. A
 * record the template cannot carry (no element, or no address, for its IP
 * version) is skipped and counted; a template that can carry neither
 * family is refused at open.
 *
 * Capture thread only, like every exporter.
 */
#include "export/exp_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "export/nfv9_int.h"
#include "ie/ie.h"
#include "transport/transport.h"

#define NFV9_PORT	2055

#define NFV9_SEQ_OFF	12	/* sequence number in the header */

struct nfv9_priv {
	struct nfv9		*enc;
	struct transport	*tr;
	const struct exp_conf	*conf;		/* its time: exp_now_us() */
	uint32_t		wire_seq;	/* packets on the wire so far */
	char			name[300];	/* "nfv9://..." for messages */
};

/* The transport counts a lost datagram and warns once per kind. */
static int
emit(const uint8_t *msg, size_t len, uint32_t n_data, void *arg)
{
	struct nfv9_priv *np = arg;
	struct tr_msg m;

	memset(&m, 0, sizeof(m));
	/* Borrowed for the call; only the stamp hook writes into it. */
	m.data = (uint8_t *)(uintptr_t)msg;
	m.len = len;
	m.n_records = n_data;
	m.n_seq = 1;
	return tr_send(np->tr, &m);
}

/* The transport's stamp hook: RFC 3954 counts export packets. */
static void
stamp_seq(uint8_t *data, size_t len, uint32_t n_seq, void *arg)
{
	struct nfv9_priv *np = arg;

	if (len >= NFV9_SEQ_OFF + 4) {
		data[NFV9_SEQ_OFF] = (uint8_t)(np->wire_seq >> 24);
		data[NFV9_SEQ_OFF + 1] = (uint8_t)(np->wire_seq >> 16);
		data[NFV9_SEQ_OFF + 2] = (uint8_t)(np->wire_seq >> 8);
		data[NFV9_SEQ_OFF + 3] = (uint8_t)np->wire_seq;
	}
	np->wire_seq += n_seq;
}

static int
nfv9_open(struct exporter *ex, const char *where, const struct exp_conf *conf,
    struct perr *err)
{
	struct nfv9_priv *np = exp_priv(ex);
	struct transport_conf tc;
	struct tr_hooks hooks;
	struct nfv9_conf nc;
	struct tmpl t;
	int rc;

	np->conf = conf;
	snprintf(np->name, sizeof(np->name), "nfv9:%s", where);
	if (strncmp(where, "//", 2) != 0 || where[2] == '\0')
		return perr_set(err, -EINVAL, "collector '%s': expected "
		    "nfv9://HOST[:PORT]", np->name);
	if ((rc = tmpl_load(conf->reg, conf->template != NULL ?
	    conf->template : "default", &t, err)) != 0)
		return rc;
	if (conf->biflow)
		log_info("collector '%s': netflow v9 has no biflow records: "
		    "one record per direction", np->name);
	/* The socket first: the packet size depends on where the
	 * collector is. */
	memset(&tc, 0, sizeof(tc));
	tc.kind = "udp";
	tc.target = where + 2;
	tc.default_port = NFV9_PORT;
	tc.queue_records = conf->export_queue;
	tc.name = np->name;
	memset(&hooks, 0, sizeof(hooks));
	hooks.stamp = stamp_seq;
	hooks.arg = np;
	if ((np->tr = tr_open(&tc, &hooks, err)) == NULL)
		return err->code;
	memset(&nc, 0, sizeof(nc));
	nc.tmpl = &t;
	nc.source_id = conf->observation_domain;
	nc.mtu = (uint32_t)exp_udp_msg_size(conf, np->tr);
	nc.refresh_s = conf->template_refresh_s;
	nc.refresh_msgs = conf->template_refresh_pkts;
	nc.start_us = conf->start_us;
	if ((np->enc = nfv9_new(&nc, emit, np, err)) == NULL)
		return err->code;
	return 0;
}

static int
nfv9_write(struct exporter *ex, const struct exp_record *rec)
{
	struct nfv9_priv *np = exp_priv(ex);

	return nfv9_add(np->enc, rec, exp_now_us(np->conf));
}

static int
nfv9_flush_op(struct exporter *ex)
{
	struct nfv9_priv *np = exp_priv(ex);
	uint64_t now = exp_now_us(np->conf);

	nfv9_flush(np->enc, now);
	tr_poll(np->tr, now);
	return 0;
}

static int
nfv9_finish(struct exporter *ex)
{
	struct nfv9_priv *np = exp_priv(ex);

	if (np->enc == NULL || np->tr == NULL)
		return 0;
	nfv9_flush(np->enc, exp_now_us(np->conf));
	/* UDP: the ICMP report about the last packets, if any; then the
	 * records known lost. */
	tr_drain(np->tr, 100);
	return exp_lost_of(np->tr);
}

static void
nfv9_close(struct exporter *ex)
{
	struct nfv9_priv *np = exp_priv(ex);

	if (np->enc != NULL && np->tr != NULL)
		nfv9_flush(np->enc, exp_now_us(np->conf));
	nfv9_free(np->enc);
	tr_close(np->tr);
}

static void
nfv9_delivery(struct exporter *ex, struct exp_delivery *d)
{
	struct nfv9_priv *np = exp_priv(ex);

	exp_delivery_of(np->tr, d);
}

static void
nfv9_print_stats(struct exporter *ex, FILE *fp)
{
	struct nfv9_priv *np = exp_priv(ex);
	struct nfv9_stats st;
	struct tr_stats ts;

	if (np->enc == NULL || np->tr == NULL)
		return;
	nfv9_get_stats(np->enc, &st);
	tr_get_stats(np->tr, &ts);
	fprintf(fp, "l7probe: collector %s: packets %" PRIu64 ", lost %"
	    PRIu64 ", uniflow records %" PRIu64 ", templates sent %" PRIu64
	    " times, applications %" PRIu32 ", packets refused %" PRIu64
	    " (records %" PRIu64 "), skipped (IP family not in the template) %"
	    PRIu64 "\n", exp_uri(ex), st.msgs, ts.msgs_dropped,
	    st.data_records, st.tmpl_sends, st.apps, ts.msgs_refused,
	    ts.records_refused, st.skipped_family);
}

const struct exp_ops exp_nfv9_ops = {
	.scheme = "nfv9",
	.priv_size = sizeof(struct nfv9_priv),
	.open = nfv9_open,
	.write = nfv9_write,
	.flush = nfv9_flush_op,
	.close = nfv9_close,
	.finish = nfv9_finish,
	.print_stats = nfv9_print_stats,
	.delivery = nfv9_delivery,
};
