/*
 * pkt_stats.c - bundled classifier: the statistical features flow-based
 * traffic classifiers use (--plugin pkt_stats).
 *
 * Per direction (src2dst_, dst2src_): packet size (IP total length)
 * min/mean/stddev/max, and packet inter-arrival time in microseconds
 * min/mean/stddev/max (between consecutive packets of that direction);
 * for the flow, the count of packets carrying each TCP flag. Inter-arrival
 * times are between consecutive packets as read; a time that steps back
 * counts as 0. Standard
 * deviations are population ones (divided by n), computed with Welford's
 * method; with no packet (or one, for inter-arrival times) every value of
 * that direction is 0. Over the flow's whole life, across active-timeout
 * records. Element ids 120 to 143.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "l7probe/plugin.h"

/* Running statistics of one series. */
struct run {
	uint64_t	n;
	double		mean;
	double		m2;
};

struct dir_out {			/* exported, in this order */
	uint64_t	ps_min, ps_max;
	double		ps_mean, ps_stddev;
	uint64_t	piat_min, piat_max;
	double		piat_mean, piat_stddev;
};

struct state {
	struct dir_out	out[2];
	uint64_t	flag[8];	/* FIN, SYN, RST, PSH, ACK, URG, ECE,
					 * CWR */
	struct run	ps[2], piat[2];
	uint64_t	last_us[2];
};

static void
run_add(struct run *r, double x, double *mean, double *stddev)
{
	double d = x - r->mean;

	r->n++;
	r->mean += d / (double)r->n;
	r->m2 += d * (x - r->mean);
	*mean = r->mean;
	*stddev = r->n > 1 ? sqrt(r->m2 / (double)r->n) : 0.0;
}

static int
update(void *ctx, void *state, const struct l7_pkt *pkt,
    const struct l7_flow *flow)
{
	struct state *s = state;
	int d = pkt->dir == L7_SRC_TO_DST ? 0 : 1, i;
	struct dir_out *o = &s->out[d];
	uint64_t iat;

	(void)ctx;
	(void)flow;
	if (s->ps[d].n == 0 || pkt->ip_len < o->ps_min)
		o->ps_min = pkt->ip_len;
	if (pkt->ip_len > o->ps_max)
		o->ps_max = pkt->ip_len;
	if (s->ps[d].n > 0) {
		/* Between consecutive packets as they came; a capture
		 * whose time steps back gives 0, never a negative time. */
		iat = pkt->ts_us > s->last_us[d] ? pkt->ts_us - s->last_us[d] :
		    0;
		if (s->piat[d].n == 0 || iat < o->piat_min)
			o->piat_min = iat;
		if (iat > o->piat_max)
			o->piat_max = iat;
		run_add(&s->piat[d], (double)iat, &o->piat_mean,
		    &o->piat_stddev);
	}
	run_add(&s->ps[d], (double)pkt->ip_len, &o->ps_mean, &o->ps_stddev);
	s->last_us[d] = pkt->ts_us;
	if (pkt->proto == 6)
		for (i = 0; i < 8; i++)
			if (pkt->tcp_flags & (1u << i))
				s->flag[i]++;
	return L7_CONTINUE;
}

#define DIR_FIELDS(p, d, id, w) \
	{ p "min_ps", L7_U64, (id), 0, \
	  offsetof(struct state, out[d].ps_min), \
	  w ": smallest packet (IP total length)" }, \
	{ p "mean_ps", L7_F64, (id) + 1, 0, \
	  offsetof(struct state, out[d].ps_mean), w ": mean packet size" }, \
	{ p "stddev_ps", L7_F64, (id) + 2, 0, \
	  offsetof(struct state, out[d].ps_stddev), \
	  w ": packet size standard deviation (population)" }, \
	{ p "max_ps", L7_U64, (id) + 3, 0, \
	  offsetof(struct state, out[d].ps_max), w ": largest packet" }, \
	{ p "min_piat_us", L7_U64, (id) + 4, 0, \
	  offsetof(struct state, out[d].piat_min), \
	  w ": shortest inter-arrival time, us" }, \
	{ p "mean_piat_us", L7_F64, (id) + 5, 0, \
	  offsetof(struct state, out[d].piat_mean), \
	  w ": mean inter-arrival time, us" }, \
	{ p "stddev_piat_us", L7_F64, (id) + 6, 0, \
	  offsetof(struct state, out[d].piat_stddev), \
	  w ": inter-arrival time standard deviation, us" }, \
	{ p "max_piat_us", L7_U64, (id) + 7, 0, \
	  offsetof(struct state, out[d].piat_max), \
	  w ": longest inter-arrival time, us" }

#define FLAG_FIELD(name, i) \
	{ "bidirectional_" name "_packets", L7_U64, 136 + (i), 0, \
	  offsetof(struct state, flag[i]), \
	  "TCP packets with " name " set, both directions" }

static const struct l7_field fields[] = {
	DIR_FIELDS("src2dst_", 0, 120, "source to destination"),
	DIR_FIELDS("dst2src_", 1, 128, "destination to source"),
	FLAG_FIELD("fin", 0),
	FLAG_FIELD("syn", 1),
	FLAG_FIELD("rst", 2),
	FLAG_FIELD("psh", 3),
	FLAG_FIELD("ack", 4),
	FLAG_FIELD("urg", 5),
	FLAG_FIELD("ece", 6),
	FLAG_FIELD("cwr", 7),
};

const struct l7_plugin plug_pkt_stats = {
	.api_version = L7_PLUGIN_API_VERSION,
	.name = "pkt_stats",
	.fields = fields,
	.n_fields = sizeof(fields) / sizeof(fields[0]),
	.state_size = sizeof(struct state),
	.on_flow_update = update,
};
