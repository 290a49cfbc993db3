/*
 * nth_pkt_size.c - bundled classifier: IP total length of the Nth packet
 * from source to destination (--plugin nth_pkt_size:N, default 4), 0 while
 * the flow has fewer. Field nth_pkt_size (unsigned32, id 101). It counts
 * over the flow's whole life (its own counter, not the record's, which
 * restarts after an active timeout).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "l7probe/plugin.h"

struct ctx {
	uint64_t	n;
};

struct state {
	uint64_t	seen;		/* source -> destination packets */
	uint32_t	size;		/* the field */
};

static int
init(const char *args, void **ctx, char *err, size_t err_size)
{
	struct ctx *c;
	char *end;
	unsigned long long n = 4;

	if (args[0] != '\0') {
		errno = 0;
		n = strtoull(args, &end, 10);
		if (*end != '\0' || errno != 0 || args[0] == '-' || n == 0) {
			snprintf(err, err_size, "'%s' is not a packet number "
			    "(nth_pkt_size:N, N >= 1)", args);
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

static int
update(void *ctx, void *state, const struct l7_pkt *pkt,
    const struct l7_flow *flow)
{
	const struct ctx *c = ctx;
	struct state *s = state;

	(void)flow;
	if (pkt->dir == L7_SRC_TO_DST && ++s->seen == c->n)
		s->size = pkt->ip_len;
	return L7_CONTINUE;
}

static const struct l7_field fields[] = {
	{ "nth_pkt_size", L7_U32, 101, 0, offsetof(struct state, size),
	  "IP total length of the Nth packet from source to destination, "
	  "0 while fewer" },
};

const struct l7_plugin plug_nth_pkt_size = {
	.api_version = L7_PLUGIN_API_VERSION,
	.name = "nth_pkt_size",
	.fields = fields,
	.n_fields = 1,
	.state_size = sizeof(struct state),
	.init = init,
	.on_exit = on_exit_,
	.on_flow_update = update,
};
