/* bad.c - plugins that must be refused, one per -D flag (plugin_errors.sh):
 *	-DBAD_VERSION	built for another API version
 *	-DNO_SYMBOL	no l7_plugin descriptor
 *	-DINIT_FAILS	init() refuses its arguments
 *	-DCLASH		a field named like a bundled plugin's
 *	-DVIEWS		a good classifier reading the flow view: another
 *			plugin's field (count_pkts_gt) and the application
 * Without a flag: a good metric, "big_pkts" (packets over 1000 bytes). */
#include <stdio.h>

#include "l7probe/plugin.h"

static int
init(const char *args, void **ctx, char *err, size_t err_size)
{
	(void)ctx;
#ifdef INIT_FAILS
	snprintf(err, err_size, "cannot use '%s'", args);
	return -1;
#else
	(void)args;
	(void)err;
	(void)err_size;
	return 0;
#endif
}

static uint64_t
metric(void *ctx, const struct l7_pkt *pkt, const struct l7_flow *flow,
    uint64_t value)
{
	(void)ctx;
	(void)flow;
	return pkt->ip_len > 1000 ? value + 1 : value;
}

static const struct l7_field fields[] = {
#ifdef CLASH
	{ "count_pkts_gt", L7_U64, 200, 0, 0, "clashes" },
#else
	{ "big_pkts", L7_U64, 200, 0, 0, "packets over 1000 bytes" },
#endif
};

#ifdef VIEWS
#include <stddef.h>

struct state {
	uint64_t	other;		/* count_pkts_gt, read by name */
	uint64_t	payload;	/* sum of payload_len */
	uint64_t	first_seq;	/* TCP: seq of the first packet */
	uint64_t	pkts;
	char		app[64];	/* the application, at the end */
};

static void
look(struct state *s, const struct l7_flow *flow)
{
	struct l7_value v;

	if (flow->get(flow, "count_pkts_gt", &v) == 0 && v.type == L7_U64)
		s->other = v.u;
	snprintf(s->app, sizeof(s->app), "%s", flow->app_name(flow));
}

static int
update(void *ctx, void *state, const struct l7_pkt *pkt,
    const struct l7_flow *flow)
{
	struct state *s = state;

	(void)ctx;
	look(state, flow);
	s->payload += pkt->payload_len;
	/* The payload pointer covers what was captured of it. */
	if (pkt->payload != NULL && (pkt->payload < pkt->l4 ||
	    pkt->payload + pkt->payload_caplen > pkt->l4 + pkt->l4_caplen))
		s->payload = UINT64_MAX;
	if (s->pkts++ == 0)
		s->first_seq = pkt->tcp_seq;
	return L7_CONTINUE;
}

static void
terminate(void *ctx, void *state, const struct l7_flow *flow)
{
	(void)ctx;
	look(state, flow);
}

static const struct l7_field vfields[] = {
	{ "other_count", L7_U64, 201, 0, offsetof(struct state, other),
	  "count_pkts_gt as read through the flow view" },
	{ "seen_app", L7_STRING, 202, 63, offsetof(struct state, app),
	  "the application as the flow view gives it" },
	{ "payload_sum", L7_U64, 203, 0, offsetof(struct state, payload),
	  "sum of the packets' payload lengths" },
	{ "first_seq", L7_U64, 204, 0, offsetof(struct state, first_seq),
	  "TCP sequence number of the first packet" },
};

const struct l7_plugin l7_plugin = {
	.api_version = L7_PLUGIN_API_VERSION,
	.name = "views",
	.fields = vfields,
	.n_fields = 4,
	.state_size = sizeof(struct state),
	.init = init,
	.on_flow_update = update,
	.on_flow_terminate = terminate,
};
#elif !defined(NO_SYMBOL)
const struct l7_plugin l7_plugin = {
#ifdef BAD_VERSION
	.api_version = L7_PLUGIN_API_VERSION + 1,
#else
	.api_version = L7_PLUGIN_API_VERSION,
#endif
	.name = "bad",
	.fields = fields,
	.n_fields = 1,
	.init = init,
	.metric = metric,
};
#else
const struct l7_plugin not_the_descriptor = {
	.api_version = L7_PLUGIN_API_VERSION,
	.fields = fields,
	.n_fields = 1,
	.init = init,
	.metric = metric,
};
#endif
