/*
 * test_plugin.c - the hook list and the bundled plugins: ext area layout
 * (the core hook's slot is not at offset 0), fields in the registry and the
 * default template, metric and classifier values read through the
 * registry as the encoders do, forced export, init errors and clashes
 * leaving nothing registered.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ie/ie.h"
#include "plugin/plugin.h"

/* A core hook standing in for nDPI: counts its calls in its slot. */
struct hook_slot {
	uint64_t	pkts;
	uint64_t	ends;
};

static int hook_export_at;		/* packet number that asks export */

static int
hook_packet(void *arg, struct flow *f, void *slot, enum flow_dir dir,
    const struct dec_pkt *pkt)
{
	struct hook_slot *s = slot;

	(void)arg;
	(void)f;
	(void)dir;
	(void)pkt;
	return ++s->pkts == (uint64_t)hook_export_at ? FLOW_PKT_EXPORT :
	    FLOW_PKT_CONTINUE;
}

static void
hook_end(void *arg, struct flow *f, void *slot, enum flow_end_reason reason)
{
	struct hook_slot *s = slot;

	(void)arg;
	(void)f;
	(void)reason;
	s->ends++;
}

static struct plug_hook hook = {
	.name = "test",
	.ext_size = sizeof(struct hook_slot),
	.on_packet = hook_packet,
	.on_end = hook_end,
};

static struct plug_set *
new_set(const char *const *specs, int n, struct perr *err)
{
	struct plug_set_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.specs = specs;
	conf.n_specs = n;
	conf.hooks = &hook;
	conf.n_hooks = 1;
	return plug_set_new(&conf, err);
}

static struct flow *
new_flow(const struct plug_set *ps)
{
	struct flow *f = calloc(1, sizeof(*f) + plug_set_ext_size(ps));

	assert_non_null(f);
	f->key.ip_version = 4;
	f->key.proto = 6;
	memcpy(f->key.src, "\x0a\x00\x00\x01", 4);
	memcpy(f->key.dst, "\x0a\x00\x00\x02", 4);
	f->key.sport = 40000;
	f->key.dport = 443;
	return f;
}

/* Counts a packet of <ip_len> bytes in <dir> at <ts_us>, as the table
 * does, then runs the hooks. */
static int
feed(struct plug_set *ps, struct flow *f, enum flow_dir dir, uint32_t ip_len,
    uint64_t ts_us, uint8_t flags)
{
	struct dec_pkt pkt;

	memset(&pkt, 0, sizeof(pkt));
	pkt.ts_us = ts_us;
	pkt.ip_len = ip_len;
	pkt.ip_version = 4;
	pkt.proto = 6;
	pkt.tcp_flags = flags;
	f->c[dir].pkts++;
	f->c[dir].bytes += ip_len;
	if (f->c[dir].first_us == 0)
		f->c[dir].first_us = ts_us;
	f->c[dir].last_us = ts_us;
	return plug_packet(ps, f, dir, &pkt);
}

static uint64_t
val(const struct plug_set *ps, const struct flow *f, const char *name)
{
	struct exp_record rec = { f, FLOW_END_IDLE, NULL };
	struct ie_rec r = { &rec, FLOW_DIR_FWD, 0 };
	const struct ie_def *def = ie_find(plug_set_reg(ps), name);

	assert_non_null(def);
	assert_true(def->flags & IE_F_EXT);
	return ie_get_uint(def, &r, 0);
}

static double
fval(const struct plug_set *ps, const struct flow *f, const char *name)
{
	uint64_t v = val(ps, f, name);
	double d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

static const char *
sval(const struct plug_set *ps, const struct flow *f, const char *name)
{
	static char buf[128];
	struct exp_record rec = { f, FLOW_END_IDLE, NULL };
	struct ie_rec r = { &rec, FLOW_DIR_FWD, 0 };
	uint8_t scratch[16];
	const uint8_t *p;
	size_t n;

	n = ie_get_bytes(ie_find(plug_set_reg(ps), name), &r, 0, &p,
	    scratch);
	assert_true(n < sizeof(buf));
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static void
test_layout(void **unused)
{
	static const char *const specs[] = { "count_pkts_gt:100",
	    "nth_pkt_size:2" };
	size_t before = ie_count(NULL);
	const struct ie_reg *reg;
	const struct ie_def *a, *b;
	struct plug_set *ps;
	struct perr err;
	struct tmpl t;

	(void)unused;
	assert_non_null(ps = new_set(specs, 2, &err));
	assert_int_equal(plug_set_count(ps), 2);
	/* Offset 0 is the set's header; the core hook comes next. */
	assert_int_equal(hook.off, 8);
	reg = plug_set_reg(ps);
	assert_int_equal(ie_count(reg), before + 2);
	a = ie_find(reg, "count_pkts_gt");
	b = ie_find(reg, "nth_pkt_size");
	/* The set's rows are its own: the built-in view has none. */
	assert_null(ie_find(NULL, "count_pkts_gt"));
	assert_int_equal(ie_count(NULL), before);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->ext_off, 8 + sizeof(struct hook_slot));
	assert_true(b->ext_off >= a->ext_off + 8);
	assert_int_equal(b->ext_off % 4, 0);
	assert_true(plug_set_ext_size(ps) >= b->ext_off + 4);
	assert_int_equal(a->id, 100);
	assert_int_equal(a->v9_id, IE_EXT_V9_BASE + 100);
	assert_int_equal(ie_pen(a, 0, 0), IE_PEN_DEFAULT_LOCAL);
	assert_int_equal(ie_pen(a, 0, 12345), 12345);
	/* The default template ends with them; minimal does not have them. */
	assert_int_equal(tmpl_load(reg, "default", &t, &err), 0);
	assert_ptr_equal(t.f[t.n - 2].ie, a);
	assert_ptr_equal(t.f[t.n - 1].ie, b);
	assert_int_equal(tmpl_load(reg, "minimal", &t, &err), 0);
	assert_ptr_not_equal(t.f[t.n - 1].ie, b);
	/* Without the registry, "default" is the built-in fields only. */
	assert_int_equal(tmpl_load(NULL, "default", &t, &err), 0);
	assert_true(t.f[t.n - 1].ie != a && t.f[t.n - 1].ie != b);
	plug_set_free(ps);
}

/* Without plugins, no header: the core hook's slot is all of ext. */
static void
test_layout_no_plugins(void **unused)
{
	struct hook_slot *slot;
	struct plug_set *ps;
	struct flow *f;
	struct perr err;

	(void)unused;
	hook_export_at = 0;
	assert_non_null(ps = new_set(NULL, 0, &err));
	assert_int_equal(plug_set_count(ps), 0);
	assert_int_equal(hook.off, 0);
	assert_int_equal(plug_set_ext_size(ps), sizeof(struct hook_slot));
	f = new_flow(ps);
	slot = (struct hook_slot *)(void *)f->ext;
	assert_int_equal(feed(ps, f, FLOW_DIR_FWD, 60, 1000000, 0x02), 0);
	assert_int_equal(feed(ps, f, FLOW_DIR_REV, 60, 1000100, 0x12), 0);
	assert_int_equal(slot->pkts, 2);
	plug_flow_end(ps, f, FLOW_END_IDLE);
	assert_int_equal(slot->ends, 1);
	plug_flow_release(ps, f);
	free(f);
	plug_set_free(ps);
}

static void
test_metric_and_classifier(void **unused)
{
	static const char *const specs[] = { "count_pkts_gt:100",
	    "nth_pkt_size:2", "pkt_stats" };
	struct hook_slot *hs;
	struct plug_set *ps;
	struct perr err;
	struct flow *f;

	(void)unused;
	hook_export_at = 0;
	assert_non_null(ps = new_set(specs, 3, &err));
	f = new_flow(ps);
	assert_int_equal(feed(ps, f, FLOW_DIR_FWD, 60, 1000000, 0x02), 0);
	assert_int_equal(feed(ps, f, FLOW_DIR_REV, 1500, 1000100, 0x12), 0);
	assert_int_equal(feed(ps, f, FLOW_DIR_FWD, 101, 1000300, 0x10), 0);
	assert_int_equal(feed(ps, f, FLOW_DIR_FWD, 100, 1000400, 0x18), 0);
	/* > 100: 1500 and 101, not 100. */
	assert_int_equal(val(ps, f, "count_pkts_gt"), 2);
	/* 2nd packet from the source: 101 (the 1500 one came back). */
	assert_int_equal(val(ps, f, "nth_pkt_size"), 101);
	/* Source sizes 60, 101, 100 at 0, 300, 400 us. */
	assert_int_equal(val(ps, f, "src2dst_min_ps"), 60);
	assert_int_equal(val(ps, f, "src2dst_max_ps"), 101);
	assert_true(fval(ps, f, "src2dst_mean_ps") > 86.99999 &&
	    fval(ps, f, "src2dst_mean_ps") < 87.00001);
	/* population stddev of 60, 101, 100: sqrt(1094/3) */
	assert_true(fval(ps, f, "src2dst_stddev_ps") > 19.09624 &&
	    fval(ps, f, "src2dst_stddev_ps") < 19.09625);
	assert_int_equal(val(ps, f, "src2dst_min_piat_us"), 100);
	assert_int_equal(val(ps, f, "src2dst_max_piat_us"), 300);
	assert_true(fval(ps, f, "src2dst_mean_piat_us") == 200.0);
	assert_int_equal(val(ps, f, "dst2src_min_piat_us"), 0);
	assert_int_equal(val(ps, f, "bidirectional_syn_packets"), 2);
	assert_int_equal(val(ps, f, "bidirectional_ack_packets"), 3);
	assert_int_equal(val(ps, f, "bidirectional_psh_packets"), 1);
	assert_int_equal(val(ps, f, "bidirectional_fin_packets"), 0);
	/* The core hook saw every packet, in its own slot. */
	hs = (struct hook_slot *)(void *)(f->ext + hook.off);
	assert_int_equal(hs->pkts, 4);
	plug_flow_end(ps, f, FLOW_END_IDLE);
	assert_int_equal(hs->ends, 1);
	plug_flow_release(ps, f);
	free(f);
	plug_set_free(ps);
}

/* A plugin given as a descriptor (the library's user plugins), with its
 * context. */
static uint64_t
ctx_metric(void *ctx, const struct l7_pkt *pkt, const struct l7_flow *fl,
    uint64_t value)
{
	(void)fl;
	return value + pkt->ip_len * *(const uint64_t *)ctx;
}

static const struct l7_field ctx_field = { .name = "weighted_bytes",
	.type = L7_U64, .id = 900, .desc = "bytes times the context" };
static const struct l7_plugin ctx_plugin = {
	.api_version = L7_PLUGIN_API_VERSION, .name = "weighted",
	.fields = &ctx_field, .n_fields = 1, .metric = ctx_metric };

static void
test_descriptor_and_two_sets(void **unused)
{
	static const char *const specs[] = { "count_pkts_gt:100" };
	static const char *const other[] = { "count_pkts_gt:50",
	    "nth_pkt_size:2" };
	uint64_t weight = 3;
	struct plug_user user = { &ctx_plugin, &weight };
	struct plug_set_conf conf;
	struct plug_set *ps, *bare;
	struct perr err;
	struct flow *f;

	(void)unused;
	hook_export_at = 0;
	memset(&conf, 0, sizeof(conf));
	conf.specs = specs;
	conf.n_specs = 1;
	conf.user = &user;
	conf.n_user = 1;
	conf.hooks = &hook;
	conf.n_hooks = 1;
	assert_non_null(ps = plug_set_new(&conf, &err));
	assert_int_equal(plug_set_count(ps), 2);
	assert_int_equal(plug_set_n_fields(ps), 2);
	assert_int_equal(ie_find(plug_set_reg(ps), "weighted_bytes")->ext_off,
	    plug_set_slot(ps, 1));
	f = new_flow(ps);
	assert_int_equal(feed(ps, f, FLOW_DIR_FWD, 60, 1000000, 0x02), 0);
	assert_int_equal(feed(ps, f, FLOW_DIR_REV, 200, 1000100, 0x12), 0);
	assert_int_equal(val(ps, f, "weighted_bytes"), 3 * 260);
	assert_int_equal(val(ps, f, "count_pkts_gt"), 1);
	/* A second set with other plugins, alive at the same time: its
	 * registry has its fields only, the first keeps its own. */
	memset(&conf, 0, sizeof(conf));
	conf.specs = other;
	conf.n_specs = 2;
	assert_non_null(bare = plug_set_new(&conf, &err));
	assert_int_equal(plug_set_n_fields(bare), 2);
	assert_non_null(ie_find(plug_set_reg(bare), "nth_pkt_size"));
	/* The same field name in both sets: two rows, no clash. */
	assert_ptr_not_equal(ie_find(plug_set_reg(bare), "count_pkts_gt"),
	    ie_find(plug_set_reg(ps), "count_pkts_gt"));
	assert_null(ie_find(plug_set_reg(bare), "weighted_bytes"));
	assert_null(ie_find(plug_set_reg(ps), "nth_pkt_size"));
	plug_set_free(bare);
	assert_non_null(ie_find(plug_set_reg(ps), "weighted_bytes"));
	assert_non_null(ie_find(plug_set_reg(ps), "count_pkts_gt"));
	plug_flow_end(ps, f, FLOW_END_IDLE);
	plug_flow_release(ps, f);
	free(f);
	plug_set_free(ps);
	/* No descriptor: refused, nothing registered. */
	user.d = NULL;
	memset(&conf, 0, sizeof(conf));
	conf.user = &user;
	conf.n_user = 1;
	assert_null(plug_set_new(&conf, &err));
	assert_int_equal(err.code, -EINVAL);
}

static void
test_forced_export(void **unused)
{
	static const char *const specs[] = { "first_pkts:n=2" };
	struct plug_set *ps;
	struct perr err;
	struct flow *f;

	(void)unused;
	hook_export_at = 0;
	assert_non_null(ps = new_set(specs, 1, &err));
	f = new_flow(ps);
	assert_int_equal(feed(ps, f, FLOW_DIR_FWD, 60, 1000, 0x02),
	    FLOW_PKT_CONTINUE);
	assert_string_equal(sval(ps, f, "first_pkts_sizes"), "60");
	assert_string_equal(sval(ps, f, "first_pkts_label"), "");
	assert_int_equal(feed(ps, f, FLOW_DIR_REV, 52, 2000, 0x12),
	    FLOW_PKT_EXPORT);
	assert_string_equal(sval(ps, f, "first_pkts_sizes"), "60,52");
	assert_string_equal(sval(ps, f, "first_pkts_dirs"), "0,1");
	assert_string_equal(sval(ps, f, "first_pkts_label"), "unknown");
	free(f);

	/* A core hook may ask too; the plugins still see the packet. */
	hook_export_at = 1;
	f = new_flow(ps);
	assert_int_equal(feed(ps, f, FLOW_DIR_FWD, 60, 1000, 0x02),
	    FLOW_PKT_EXPORT);
	assert_string_equal(sval(ps, f, "first_pkts_sizes"), "60");
	/* A flow that ends early is labelled at its end. */
	plug_flow_end(ps, f, FLOW_END_ACTIVE);
	assert_string_equal(sval(ps, f, "first_pkts_label"), "");
	plug_flow_end(ps, f, FLOW_END_IDLE);
	assert_string_equal(sval(ps, f, "first_pkts_label"), "unknown");
	free(f);
	hook_export_at = 0;
	plug_set_free(ps);
}

static void
test_refused(void **unused)
{
	static const struct {
		const char	*specs[2];
		int		n;
		int		code;
		const char	*msg;
	} cases[] = {
		{ { "nosuch" }, 1, -ENOENT,
		  "plugin 'nosuch': no such bundled plugin" },
		{ { "count_pkts_gt:12x" }, 1, -EINVAL,
		  "plugin 'count_pkts_gt': init failed: '12x' is not a "
		  "length in bytes" },
		{ { "nth_pkt_size:0" }, 1, -EINVAL,
		  "plugin 'nth_pkt_size': init failed" },
		{ { "first_pkts:n=11" }, 1, -EINVAL,
		  "plugin 'first_pkts': init failed: 'n=11': n is 1 to 10" },
		{ { "first_pkts:rules=/nonexistent/r" }, 1, -EINVAL,
		  "rules '/nonexistent/r': No such file" },
		{ { "pkt_stats", "pkt_stats" }, 2, -EINVAL,
		  "plugin 'pkt_stats': field 'src2dst_min_ps' clashes with "
		  "'src2dst_min_ps' of plugin 'pkt_stats'" },
		{ { "count_pkts_gt", "/nonexistent/p.so:1" }, 2, -ENOENT,
		  "plugin '/nonexistent/p.so': cannot load" },
		{ { "count_pkts_gt", "p.so" }, 2, -EINVAL,
		  "plugin 'p.so': give a path" },
	};
	size_t i;
	struct perr err;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_null(new_set(cases[i].specs, cases[i].n, &err));
		if (strstr(err.msg, cases[i].msg) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg,
			    cases[i].msg);
		assert_int_equal(err.code, cases[i].code);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_layout_no_plugins),
		cmocka_unit_test(test_metric_and_classifier),
		cmocka_unit_test(test_forced_export),
		cmocka_unit_test(test_descriptor_and_two_sets),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
