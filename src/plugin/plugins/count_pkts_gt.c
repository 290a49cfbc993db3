/*
 * count_pkts_gt.c - bundled metric: packets of the flow, both directions,
 * whose IP total length is greater than N (--plugin count_pkts_gt:N,
 * default 999). Field count_pkts_gt (unsigned64, id 100).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "l7probe/plugin.h"

struct ctx {
	uint64_t	n;
};

static int
init(const char *args, void **ctx, char *err, size_t err_size)
{
	struct ctx *c;
	char *end;
	unsigned long long n = 999;

	if (args[0] != '\0') {
		errno = 0;
		n = strtoull(args, &end, 10);
		if (*end != '\0' || errno != 0 || args[0] == '-') {
			snprintf(err, err_size, "'%s' is not a length in "
			    "bytes (count_pkts_gt:N)", args);
			return -1;
		}
	}
	if ((c = malloc(sizeof(*c))) == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	c->n = n;
	*ctx = c;
	return 0;
}

static void
on_exit_(void *ctx)
{
	free(ctx);
}

static uint64_t
metric(void *ctx, const struct l7_pkt *pkt, const struct l7_flow *flow,
    uint64_t value)
{
	const struct ctx *c = ctx;

	(void)flow;
	return pkt->ip_len > c->n ? value + 1 : value;
}

static const struct l7_field fields[] = {
	{ "count_pkts_gt", L7_U64, 100, 0, 0,
	  "packets of the flow whose IP total length is greater than N" },
};

const struct l7_plugin plug_count_pkts_gt = {
	.api_version = L7_PLUGIN_API_VERSION,
	.name = "count_pkts_gt",
	.fields = fields,
	.n_fields = 1,
	.init = init,
	.on_exit = on_exit_,
	.metric = metric,
};
