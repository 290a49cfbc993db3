/*
 * test_ie.c - the Information Element registry and templates: registry
 * sanity (and agreement with libfixbuf's model and with
 * templates/l7probe-ie.xml), template parse errors, derived templates,
 * values of a hand-built record, fixed-length encoding.
 *
 * The libfixbuf check runs when configure found libfixbuf, and always in a
 * build by hand (no config.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#if !defined(HAVE_CONFIG_H) || defined(HAVE_FIXBUF)
#define TEST_FIXBUF 1
#endif

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#ifdef TEST_FIXBUF
#include <fixbuf/public.h>
#endif

#include "ie/ie.h"
#include "tutil.h"

/* Registry ----------------------------------------------------------- */

/* The registry under test: NULL (the built-in rows) but in the test
 * of registered rows, which makes its own instance. */
static struct ie_reg *reg;

static void
test_registry_unique(void **unused)
{
	const struct ie_def *a, *b;
	size_t i, j;

	(void)unused;
	assert_true(ie_count(reg) > 20);
	assert_null(ie_at(reg, ie_count(reg)));
	for (i = 0; i < ie_count(reg); i++) {
		a = ie_at(reg, i);
		assert_non_null(a->name);
		assert_non_null(a->desc);
		assert_ptr_equal(ie_find(reg, a->name), a);
		assert_ptr_equal(ie_find_id(reg, ie_pen(a, 0, 0), a->id, 0), a);
		assert_true(a->id < 0x8000);
		assert_true(a->val != IE_V_NONE);
		assert_true(a->v9_len != 0);
		assert_false((a->flags & IE_F_V4) && (a->flags & IE_F_V6));
		if (a->type == IE_T_STRING)
			assert_int_equal(a->len, IE_VARLEN);
		/* RFC 5103: an enterprise reverse id sets bit 0x4000. */
		if ((a->flags & IE_F_DIRECTIONAL) && a->pen != 0)
			assert_true(a->id < IE_REVERSE_BIT);
		for (j = i + 1; j < ie_count(reg); j++) {
			b = ie_at(reg, j);
			assert_string_not_equal(a->name, b->name);
			assert_false(a->pen == b->pen && a->id == b->id);
			if (a->v9_id != 0)
				assert_int_not_equal(a->v9_id, b->v9_id);
		}
	}
	assert_null(ie_find(reg, "octetDeltaCont"));
	assert_null(ie_find_id(reg, 0, 0, 0));
}

static void
test_registry_v9_ids(void **unused)
{
	static const struct {
		const char *name;
		uint32_t pen;
		uint16_t id, v9_id;
	} cases[] = {
		{ "octetDeltaCount", 0, 1, 1 },
		{ "packetDeltaCount", 0, 2, 2 },
		{ "flowStartSysUpTime", 0, 22, 22 },	/* FIRST_SWITCHED */
		{ "flowEndSysUpTime", 0, 21, 21 },	/* LAST_SWITCHED */
		{ "applicationId", 0, 95, 95 },		/* APPLICATION_ID */
		{ "applicationName", 0, 96, 96 },	/* APPLICATION_NAME */
		{ "L7_PROTO", 35632, 118, 57590 },
		{ "L7_PROTO_NAME", 35632, 119, 57591 },
		{ "L7_PROTO_CATEGORY", 35632, 501, 57973 },
		{ "FLOW_SERVER_NAME", 35632, 122, 57594 },
		{ "HTTP_UA", 35632, 183, 57655 },
		{ "JA3C_HASH", 35632, 489, 57961 },
		{ "JA3S_HASH", 35632, 490, 57962 },
	};
	const struct ie_def *d;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d = ie_find(reg, cases[i].name);
		assert_non_null(d);
		assert_int_equal(d->pen, cases[i].pen);
		assert_int_equal(d->id, cases[i].id);
		assert_int_equal(d->v9_id, cases[i].v9_id);
	}
	/* The rules behind the table, for every row. */
	for (i = 0; i < ie_count(reg); i++) {
		d = ie_at(reg, i);
		if (d->pen == 0)
			assert_int_equal(d->v9_id, d->id);
		else if (d->pen == IE_PEN_NTOP)
			assert_int_equal(d->v9_id, IE_NTOP_V9_BASE + d->id);
		else
			assert_int_equal(d->v9_id, 0);
	}
}

static void
test_registry_reverse_and_pen(void **unused)
{
	const struct ie_def *d;
	char buf[64];
	int rev;

	(void)unused;
	assert_int_equal(ie_reverse_pen(), 29305);
	d = ie_find(reg, "octetDeltaCount");
	assert_int_equal(ie_pen(d, 1, 0), 29305);
	assert_int_equal(ie_id(d, 1), 1);
	assert_int_equal(ie_name(d, 1, buf, sizeof(buf)),
	    strlen("reverseOctetDeltaCount"));
	assert_string_equal(buf, "reverseOctetDeltaCount");
	assert_ptr_equal(ie_find_any(reg, "reverseOctetDeltaCount", &rev), d);
	assert_int_equal(rev, 1);
	assert_ptr_equal(ie_find_any(reg, "octetDeltaCount", &rev), d);
	assert_int_equal(rev, 0);
	assert_null(ie_find_any(reg, "reverseSourceTransportPort", &rev));
	assert_null(ie_find_any(reg, "reverse", NULL));
	/* Cut like snprintf. */
	assert_int_equal(ie_name(d, 1, buf, 8), 22);
	assert_string_equal(buf, "reverse");

	d = ie_find(reg, "ndpiCategoryId");
	assert_non_null(d);
	assert_true(d->flags & IE_F_LOCAL_PEN);
	assert_int_equal(ie_pen(d, 0, 0), 32473);
	assert_int_equal(ie_pen(d, 0, 6871), 6871);
	assert_ptr_equal(ie_find_id(reg, 6871, 2, 6871), d);
	assert_null(ie_find_id(reg, 32473, 2, 6871));
	assert_int_equal(ie_pen(d, 0, 32473), 32473);
	assert_string_equal(ie_type_name(IE_T_DATETIME_MS),
	    "dateTimeMilliseconds");
}

/* Every IANA element agrees with libfixbuf's own model (so the IPFIX
 * exporter can use libfixbuf's names), and every enterprise element with
 * templates/l7probe-ie.xml as libfixbuf loads it. */
#ifdef TEST_FIXBUF
static void
test_registry_libfixbuf(void **unused)
{
	const fbInfoElement_t *fe;
	const struct ie_def *d;
	const char *xml;
	fbInfoModel_t *model;
	GError *gerr = NULL;
	char rname[64];
	size_t i;

	(void)unused;
	xml = ie_builtin("l7probe-ie.xml");
	assert_non_null(xml);
	model = fbInfoModelAlloc();
	assert_non_null(model);
	if (!fbInfoModelReadXMLData(model, xml, (gssize)strlen(xml), &gerr)) {
		print_error("l7probe-ie.xml: %s\n", gerr->message);
		fail();
	}
	for (i = 0; i < ie_count(reg); i++) {
		d = ie_at(reg, i);
		fe = fbInfoModelGetElementByName(model, d->name);
		if (fe == NULL)
			print_error("'%s' not in the model\n", d->name);
		assert_non_null(fe);
		assert_int_equal(fe->ent, ie_pen(d, 0, 0));
		assert_int_equal(fe->num, d->id);
		assert_int_equal(fe->type, d->type);
		/* applicationId is variable in IANA's model; we always send
		 * our 9 octets as a fixed-length field. */
		if (d->type != IE_T_OCTET_ARRAY && fe->len != d->len)
			print_error("'%s': libfixbuf len %u, ours %u\n",
			    d->name, fe->len, d->len);
		if (d->type != IE_T_OCTET_ARRAY)
			assert_int_equal(fe->len, d->len);
		if (d->pen != 0)
			assert_int_equal(FB_IE_SEMANTIC(fe->flags),
			    d->semantics);
		if (d->flags & IE_F_DIRECTIONAL) {
			ie_name(d, 1, rname, sizeof(rname));
			fe = fbInfoModelGetElementByName(model, rname);
			if (fe == NULL)
				print_error("'%s' not in the model\n", rname);
			assert_non_null(fe);
			assert_int_equal(fe->ent, ie_pen(d, 1, 0));
			assert_int_equal(fe->num, ie_id(d, 1));
		}
	}
	fbInfoModelFree(model);
}
#else
static void
test_registry_libfixbuf(void **unused)
{
	(void)unused;
	skip();
}
#endif

/* Templates ---------------------------------------------------------- */

static void
test_builtin_templates(void **unused)
{
	static const char *const want[] = {
		"sourceIPv4Address", "destinationIPv4Address",
		"sourceIPv6Address", "destinationIPv6Address",
		"sourceTransportPort", "destinationTransportPort",
		"protocolIdentifier", "icmpTypeCodeIPv4", "icmpTypeCodeIPv6",
		"vlanId", "ingressInterface", "UPSTREAM_TUNNEL_ID",
		"flowStartMilliseconds", "flowEndMilliseconds",
		"packetDeltaCount", "octetDeltaCount", "tcpControlBits",
		"flowEndReason", "biflowDirection", "applicationId",
		"applicationName", "applicationCategoryName", "L7_PROTO",
		"L7_PROTO_NAME", "L7_PROTO_CATEGORY", "FLOW_SERVER_NAME",
		"JA3C_HASH", "JA3S_HASH", "HTTP_UA",
	};
	struct tmpl t;
	struct perr err;
	size_t i;

	(void)unused;
	assert_int_equal(tmpl_load(reg, "default", &t, &err), 0);
	assert_int_equal(t.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < t.n; i++) {
		assert_string_equal(t.f[i].ie->name, want[i]);
		assert_int_equal(t.f[i].reverse, 0);
	}
	assert_int_equal(t.f[20].len, 32);	/* applicationName 32 */
	assert_int_equal(t.f[0].len, 0);

	assert_int_equal(tmpl_load(reg, "minimal", &t, &err), 0);
	assert_int_equal(t.n, 12);
	assert_int_equal(tmpl_load(reg, "nosuch", &t, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "'nosuch'"));
	assert_int_equal(tmpl_load(reg, "/nonexistent/x.tmpl", &t, &err),
	    -ENOENT);
	assert_non_null(strstr(err.msg, "'/nonexistent/x.tmpl': cannot open"));
	assert_null(ie_builtin("nosuch.tmpl"));
}

static void
test_tmpl_load_file(void **unused)
{
	char path[] = "/tmp/l7probe-test-ie-XXXXXX";
	struct tmpl t;
	struct perr err;
	FILE *fp;
	int fd;

	(void)unused;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs("# mine\r\nsourceIPv4Address\r\n\tapplicationName   48  # c\n",
	    fp);
	fclose(fp);
	assert_int_equal(tmpl_load(reg, path, &t, &err), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.f[1].ie->name, "applicationName");
	assert_int_equal(t.f[1].len, 48);
	assert_string_equal(t.name, path);
	unlink(path);
}

static void
test_tmpl_parse_errors(void **unused)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "sourceIPv4Address\n\n# c\noctetDeltaCont\n",
		  "template 'x.tmpl' line 4: unknown element "
		  "'octetDeltaCont'" },
		{ "octetDeltaCount\npacketDeltaCount\noctetDeltaCount\n",
		  "template 'x.tmpl' line 3: element 'octetDeltaCount' "
		  "already listed on line 1" },
		{ "applicationName 0\n",
		  "template 'x.tmpl' line 1: bad length '0' for "
		  "'applicationName' (1 to 65534)" },
		{ "applicationName 65535\n",
		  "template 'x.tmpl' line 1: bad length '65535' for "
		  "'applicationName' (1 to 65534)" },
		{ "applicationName 3x\n",
		  "template 'x.tmpl' line 1: bad length '3x' for "
		  "'applicationName' (1 to 65534)" },
		{ "applicationName -3\n",
		  "template 'x.tmpl' line 1: bad length '-3' for "
		  "'applicationName' (1 to 65534)" },
		{ "octetDeltaCount 9\n",
		  "template 'x.tmpl' line 1: bad length '9' for "
		  "'octetDeltaCount' (1 to 8)" },
		{ "sourceIPv4Address 2\n",
		  "template 'x.tmpl' line 1: bad length '2' for "
		  "'sourceIPv4Address' (fixed at 4)" },
		{ "vlanId 2 3\n",
		  "template 'x.tmpl' line 1: unexpected '3' after 'vlanId' "
		  "(one element per line)" },
		{ "reverseOctetDeltaCount\n",
		  "template 'x.tmpl' line 1: 'reverseOctetDeltaCount' is a "
		  "reverse element: list 'octetDeltaCount', biflow export "
		  "adds its reverse" },
		{ "# nothing\n\n   \n",
		  "template 'x.tmpl': no element" },
		{ "",
		  "template 'x.tmpl': no element" },
	};
	struct tmpl t;
	struct perr err;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(tmpl_parse(reg, "x.tmpl", cases[i].text, &t, &err),
		    -EINVAL);
		assert_int_equal(err.code, -EINVAL);
		assert_string_equal(err.msg, cases[i].msg);
	}
}

static void
test_tmpl_all_elements(void **unused)
{
	static char text[4096];
	struct tmpl t, out;
	struct perr err;
	size_t i, n = 0;

	(void)unused;
	/* Elements may not repeat, so the registry bounds a template: the
	 * whole registry, with biflow reverse elements, must fit. */
	for (i = 0; i < ie_count(reg); i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\n",
		    ie_at(reg, i)->name);
	assert_true(n < sizeof(text));
	assert_int_equal(tmpl_parse(reg, "all", text, &t, &err), 0);
	assert_int_equal(t.n, ie_count(reg));
	assert_int_equal(tmpl_derive(&t, 4, 1, 0, &out, &err), 0);
	assert_int_equal(tmpl_derive(&t, 6, 1, 0, &out, &err), 0);
	assert_int_equal(tmpl_derive(&t, 4, 0, 1, &out, &err), 0);
}

static void
check_fields(const struct tmpl *t, const char *const *names,
    const uint16_t *lens, size_t n)
{
	char buf[64];
	size_t i;

	for (i = 0; i < t->n && i < n; i++) {
		ie_name(t->f[i].ie, t->f[i].reverse, buf, sizeof(buf));
		if (strcmp(buf, names[i]) != 0 || t->f[i].len != lens[i])
			print_error("field %zu: %s %u, want %s %u\n", i, buf,
			    t->f[i].len, names[i], lens[i]);
		assert_string_equal(buf, names[i]);
		assert_int_equal(t->f[i].len, lens[i]);
	}
	assert_int_equal(t->n, n);
}

#define VL	IE_VARLEN
#define N(a)	(sizeof(a) / sizeof(a[0]))

static void
test_tmpl_derive(void **unused)
{
	static const char text[] =
	    "sourceIPv4Address\n"
	    "sourceIPv6Address\n"
	    "sourceTransportPort\n"
	    "icmpTypeCodeIPv4\n"
	    "icmpTypeCodeIPv6\n"
	    "flowStartMilliseconds\n"
	    "octetDeltaCount 4\n"
	    "tcpControlBits\n"
	    "applicationId\n"
	    "applicationName 24\n"
	    "L7_PROTO_NAME\n"
	    "ndpiCategoryId\n";
	static const char *const v4_uni_ipfix[] = {
		"sourceIPv4Address", "sourceTransportPort", "icmpTypeCodeIPv4",
		"flowStartMilliseconds", "octetDeltaCount", "tcpControlBits",
		"applicationId", "applicationName", "L7_PROTO_NAME",
		"ndpiCategoryId",
	};
	static const uint16_t v4_uni_ipfix_len[] = {
		4, 2, 2, 8, 4, 2, 9, VL, VL, 2,
	};
	static const char *const v6_bi_ipfix[] = {
		"sourceIPv6Address", "sourceTransportPort",
		"icmpTypeCodeIPv6", "reverseIcmpTypeCodeIPv6",
		"flowStartMilliseconds", "reverseFlowStartMilliseconds",
		"octetDeltaCount", "reverseOctetDeltaCount",
		"tcpControlBits", "reverseTcpControlBits",
		"applicationId", "applicationName", "L7_PROTO_NAME",
		"ndpiCategoryId",
	};
	static const uint16_t v6_bi_ipfix_len[] = {
		16, 2, 2, 2, 8, 8, 4, 4, 2, 2, 9, VL, VL, 2,
	};
	static const char *const v4_uni_v9[] = {
		"sourceIPv4Address", "sourceTransportPort", "icmpTypeCodeIPv4",
		"flowStartMilliseconds", "octetDeltaCount", "tcpControlBits",
		"applicationId", "applicationName", "L7_PROTO_NAME",
	};
	static const uint16_t v4_uni_v9_len[] = {
		4, 2, 2, 8, 4, 1, 9, 24, 32,
	};
	struct tmpl def, out;
	struct perr err;

	(void)unused;
	assert_int_equal(tmpl_parse(reg, "d.tmpl", text, &def, &err), 0);
	assert_int_equal(tmpl_derive(&def, 4, 0, 0, &out, &err), 0);
	check_fields(&out, v4_uni_ipfix, v4_uni_ipfix_len, N(v4_uni_ipfix));
	assert_string_equal(out.name, "d.tmpl ipv4 uniflow ipfix");
	assert_int_equal(tmpl_derive(&def, 6, 1, 0, &out, &err), 0);
	check_fields(&out, v6_bi_ipfix, v6_bi_ipfix_len, N(v6_bi_ipfix));
	assert_int_equal(out.f[3].reverse, 1);
	assert_int_equal(tmpl_derive(&def, 4, 0, 1, &out, &err), 0);
	check_fields(&out, v4_uni_v9, v4_uni_v9_len, N(v4_uni_v9));

	assert_int_equal(tmpl_derive(&def, 4, 1, 1, &out, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "netflow v9 cannot carry biflow"));
	assert_int_equal(tmpl_derive(&def, 5, 0, 0, &out, &err), -EINVAL);
	assert_int_equal(tmpl_parse(reg, "o.tmpl", "ndpiCategoryId\n", &def, &err),
	    0);
	assert_int_equal(tmpl_derive(&def, 4, 0, 1, &out, &err), -ENODATA);
	assert_string_equal(err.msg,
	    "template 'o.tmpl': no element left for IPv4 netflow v9");
	/* Addresses of the other family only: that family is not carried
	 * (its records would go out without addresses). */
	assert_int_equal(tmpl_parse(reg, "v4.tmpl", "sourceIPv4Address\n"
	    "protocolIdentifier\npacketDeltaCount\n", &def, &err), 0);
	assert_int_equal(tmpl_derive(&def, 4, 0, 1, &out, &err), 0);
	assert_int_equal(tmpl_derive(&def, 6, 0, 1, &out, &err), -ENODATA);
	assert_string_equal(err.msg, "template 'v4.tmpl': no IPv6 address "
	    "element: IPv6 records are not exported with it");
	assert_int_equal(tmpl_derive(&def, 6, 0, 0, &out, &err), -ENODATA);
	/* No address at all: both families, as before. */
	assert_int_equal(tmpl_parse(reg, "n.tmpl", "packetDeltaCount\n", &def,
	    &err), 0);
	assert_int_equal(tmpl_derive(&def, 6, 0, 1, &out, &err), 0);
}

static void
test_tmpl_derive_default(void **unused)
{
	struct tmpl def, out;
	struct perr err;
	size_t i, nrev = 0;

	(void)unused;
	assert_int_equal(tmpl_load(reg, "default", &def, &err), 0);
	assert_int_equal(tmpl_derive(&def, 4, 0, 1, &out, &err), 0);
	/* 29 minus the two IPv6 addresses and icmpTypeCodeIPv6. */
	assert_int_equal(out.n, 26);
	for (i = 0; i < out.n; i++) {
		assert_true(out.f[i].len != IE_VARLEN);
		assert_true(out.f[i].ie->v9_id != 0);
	}
	assert_int_equal(tmpl_derive(&def, 6, 1, 0, &out, &err), 0);
	for (i = 0; i < out.n; i++)
		nrev += out.f[i].reverse;
	/* icmpTypeCodeIPv6, 2 times, 2 counters, tcpControlBits. */
	assert_int_equal(nrev, 6);
	assert_int_equal(out.n, 26 + 6);
}

/* Values ------------------------------------------------------------- */

struct fixture {
	struct flow		*f;
	struct dpi_info		app;
	struct exp_record	rec;
};

static void
fixture_init(struct fixture *x, int ip_version)
{
	static const uint8_t v6s[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t v6d[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	struct flow *f;

	memset(x, 0, sizeof(*x));
	f = x->f = calloc(1, sizeof(*f));
	assert_non_null(f);
	if (ip_version == 4) {
		memcpy(f->key.src, "\x0a\x00\x00\x01", 4);	/* 10.0.0.1 */
		memcpy(f->key.dst, "\xc0\x00\x02\x07", 4);	/* 192.0.2.7 */
	} else {
		memcpy(f->key.src, v6s, 16);
		memcpy(f->key.dst, v6d, 16);
	}
	f->key.ip_version = (uint8_t)ip_version;
	f->key.proto = 6;
	f->key.sport = 40000;
	f->key.dport = 443;
	f->key.vlan_id = 12;
	f->key.tunnel_id = 0x01020304;
	f->c[FLOW_DIR_FWD] = (struct flow_counters){
		.pkts = 10, .bytes = 1000, .first_us = 1700000000500123,
		.last_us = 1700000003000999,
	};
	f->tcp_flags[FLOW_DIR_FWD] = 0x1b;
	f->c[FLOW_DIR_REV] = (struct flow_counters){
		.pkts = 8, .bytes = 0x123456789, .first_us = 1700000000600000,
		.last_us = 1700000003100000,
	};
	f->tcp_flags[FLOW_DIR_REV] = 0x12;
	snprintf(x->app.app_name, sizeof(x->app.app_name), "TLS.Instagram");
	snprintf(x->app.category_name, sizeof(x->app.category_name),
	    "SocialNetwork");
	snprintf(x->app.app_id_str, sizeof(x->app.app_id_str), "91.211");
	x->app.master_id = 91;
	x->app.app_id = 211;
	x->app.category_id = 6;
	x->app.confidence_name = "DPI";
	x->app.server_name = "i.instagram.com";
	x->app.client_fingerprint = "0123456789abcdef0123456789abcdef";
	x->app.server_fingerprint = "";
	x->app.user_agent = NULL;	/* defended against anyway */
	x->rec.flow = f;
	x->rec.reason = FLOW_END_IDLE;
	x->rec.app = &x->app;
}

static uint64_t
u(const char *name, const struct ie_rec *r, int reverse)
{
	const struct ie_def *d = ie_find(reg, name);

	assert_non_null(d);
	return ie_get_uint(d, r, reverse);
}

static size_t
b(const char *name, const struct ie_rec *r, int reverse, const uint8_t **p)
{
	static uint8_t scratch[16];
	const struct ie_def *d = ie_find(reg, name);

	assert_non_null(d);
	return ie_get_bytes(d, r, reverse, p, scratch);
}

static void
test_values_uniflow(void **unused)
{
	struct fixture x;
	struct ie_rec fwd, rev;
	const uint8_t *p;

	(void)unused;
	fixture_init(&x, 4);
	fwd = (struct ie_rec){ &x.rec, FLOW_DIR_FWD, 0 };
	rev = (struct ie_rec){ &x.rec, FLOW_DIR_REV, 0 };

	assert_int_equal(b("sourceIPv4Address", &fwd, 0, &p), 4);
	assert_memory_equal(p, "\x0a\x00\x00\x01", 4);
	assert_int_equal(b("destinationIPv4Address", &fwd, 0, &p), 4);
	assert_memory_equal(p, "\xc0\x00\x02\x07", 4);
	assert_int_equal(u("sourceTransportPort", &fwd, 0), 40000);
	assert_int_equal(u("destinationTransportPort", &fwd, 0), 443);
	assert_int_equal(u("packetDeltaCount", &fwd, 0), 10);
	assert_int_equal(u("octetDeltaCount", &fwd, 0), 1000);
	assert_int_equal(u("tcpControlBits", &fwd, 0), 0x1b);
	assert_int_equal(u("flowStartMilliseconds", &fwd, 0), 1700000000500);
	assert_int_equal(u("flowEndMilliseconds", &fwd, 0), 1700000003000);
	assert_int_equal(u("flowStartSysUpTime", &fwd, 0), 1700000000500);
	assert_int_equal(u("biflowDirection", &fwd, 0), 1);

	/* REV: addresses and ports swapped, the other counters. */
	assert_int_equal(b("sourceIPv4Address", &rev, 0, &p), 4);
	assert_memory_equal(p, "\xc0\x00\x02\x07", 4);
	assert_int_equal(b("destinationIPv4Address", &rev, 0, &p), 4);
	assert_memory_equal(p, "\x0a\x00\x00\x01", 4);
	assert_int_equal(u("sourceTransportPort", &rev, 0), 443);
	assert_int_equal(u("destinationTransportPort", &rev, 0), 40000);
	assert_int_equal(u("packetDeltaCount", &rev, 0), 8);
	assert_int_equal(u("octetDeltaCount", &rev, 0), 0x123456789);
	assert_int_equal(u("tcpControlBits", &rev, 0), 0x12);
	assert_int_equal(u("flowStartMilliseconds", &rev, 0), 1700000000600);
	assert_int_equal(u("flowEndMilliseconds", &rev, 0), 1700000003100);
	assert_int_equal(u("biflowDirection", &rev, 0), 2);

	/* Same in both directions. */
	assert_int_equal(u("protocolIdentifier", &rev, 0), 6);
	assert_int_equal(u("ipVersion", &rev, 0), 4);
	assert_int_equal(u("vlanId", &rev, 0), 12);
	assert_int_equal(u("UPSTREAM_TUNNEL_ID", &rev, 0), 0x01020304);
	assert_int_equal(u("flowEndReason", &rev, 0), 1);
	assert_int_equal(u("icmpTypeCodeIPv4", &fwd, 0), 0);	/* TCP */
	/* Not numeric: 0. */
	assert_int_equal(u("applicationName", &fwd, 0), 0);
	free(x.f);
}

static void
test_values_biflow(void **unused)
{
	struct fixture x;
	struct ie_rec bi;
	const uint8_t *p;

	(void)unused;
	fixture_init(&x, 6);
	bi = (struct ie_rec){ &x.rec, FLOW_DIR_REV, 1 };	/* dir ignored */

	assert_int_equal(b("sourceIPv6Address", &bi, 0, &p), 16);
	assert_memory_equal(p, x.f->key.src, 16);
	assert_int_equal(b("destinationIPv6Address", &bi, 0, &p), 16);
	assert_memory_equal(p, x.f->key.dst, 16);
	assert_int_equal(u("sourceTransportPort", &bi, 0), 40000);
	assert_int_equal(u("packetDeltaCount", &bi, 0), 10);
	assert_int_equal(u("packetDeltaCount", &bi, 1), 8);
	assert_int_equal(u("octetDeltaCount", &bi, 1), 0x123456789);
	assert_int_equal(u("tcpControlBits", &bi, 1), 0x12);
	assert_int_equal(u("biflowDirection", &bi, 0), 1);
	/* RFC 5103: forward times are c[FWD]'s (the last reply comes after
	 * the last request: the forward end is the request's), reverse ones
	 * c[REV]'s. */
	assert_int_equal(u("flowStartMilliseconds", &bi, 0), 1700000000500);
	assert_int_equal(u("flowEndMilliseconds", &bi, 0), 1700000003000);
	assert_int_equal(u("flowStartMilliseconds", &bi, 1), 1700000000600);
	assert_int_equal(u("flowEndMilliseconds", &bi, 1), 1700000003100);

	/* A record whose forward direction saw no packet (after an active
	 * timeout) has no forward times; the reverse ones are there. */
	x.f->c[FLOW_DIR_FWD] = (struct flow_counters){ 0 };
	assert_int_equal(u("flowStartMilliseconds", &bi, 0), 0);
	assert_int_equal(u("flowStartMilliseconds", &bi, 1), 1700000000600);
	assert_int_equal(u("packetDeltaCount", &bi, 0), 0);

	/* ICMPv6 echo request / reply: per direction. */
	x.f->key.proto = 58;
	x.f->c[FLOW_DIR_FWD] = (struct flow_counters){ .pkts = 1 };
	x.f->icmp_type[FLOW_DIR_FWD] = 128;
	x.f->icmp_code[FLOW_DIR_FWD] = 0;
	x.f->icmp_type[FLOW_DIR_REV] = 129;
	assert_int_equal(u("icmpTypeCodeIPv6", &bi, 0), 128 * 256);
	assert_int_equal(u("icmpTypeCodeIPv6", &bi, 1), 129 * 256);
	free(x.f);
}

/* Rows added at start-up (plugin fields): refusals, and each type read
 * from the flow's ext area by the same functions the encoders use. */
static void
test_register(void **unused)
{
	struct ext {
		uint64_t	u64;
		int64_t		s64;
		double		f64;
		uint32_t	u32;
		uint16_t	u16;
		uint8_t		u8;
		char		str[8];		/* max_len 7 */
		uint16_t	blen;		/* octetArray, max_len 4 */
		uint8_t		bytes[4];
		uint8_t		v4[4];
		uint8_t		v6[16];
	};
	static const struct tu_row rows[] = {
		{ "x_u64", IE_T_UNSIGNED64, offsetof(struct ext, u64), 0 },
		{ "x_s64", IE_T_SIGNED64, offsetof(struct ext, s64), 0 },
		{ "x_f64", IE_T_FLOAT64, offsetof(struct ext, f64), 0 },
		{ "x_u32", IE_T_UNSIGNED32, offsetof(struct ext, u32), 0 },
		{ "x_u16", IE_T_UNSIGNED16, offsetof(struct ext, u16), 0 },
		{ "x_u8", IE_T_UNSIGNED8, offsetof(struct ext, u8), 0 },
		{ "x_str", IE_T_STRING, offsetof(struct ext, str), 7 },
		{ "x_bytes", IE_T_OCTET_ARRAY, offsetof(struct ext, blen), 4 },
		{ "x_v4", IE_T_IPV4_ADDRESS, offsetof(struct ext, v4), 0 },
		{ "x_v6", IE_T_IPV6_ADDRESS, offsetof(struct ext, v6), 0 },
	};
	struct ie_def d;
	struct flow *f;
	struct ext *e;
	struct exp_record rec;
	struct ie_rec r;
	struct perr err;
	const uint8_t *p;
	uint8_t out[8], scratch[16];
	size_t before = ie_count(NULL), i;
	struct ie_reg *other;
	double dv = -2.5;
	uint64_t bits;

	(void)unused;
	assert_non_null(reg = ie_reg_new());
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		tu_row_def(&d, &rows[i], (uint16_t)(900 + i));
		assert_int_equal(ie_register(reg, &d, &err), 0);
	}
	assert_int_equal(ie_count(reg), before + 10);

	/* Refusals, each naming the row and its owner. */
	d.name = "x_u64";
	d.id = 950;
	assert_int_equal(ie_register(reg, &d, &err), -EINVAL);
	assert_string_equal(err.msg, "plugin 't': field 'x_u64' clashes with "
	    "'x_u64' of plugin 't'");
	d.name = "octetDeltaCount";
	assert_int_equal(ie_register(reg, &d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "(built in)"));
	d.name = "reverseOctetDeltaCount";
	assert_int_equal(ie_register(reg, &d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "the reverse of 'octetDeltaCount'"));
	d.name = "y";
	d.id = 1;		/* ndpiProtocolIds under our PEN */
	assert_int_equal(ie_register(reg, &d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "element id 1 already used by "
	    "'ndpiProtocolIds'"));
	d.id = 0x4000;
	assert_int_equal(ie_register(reg, &d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "out of range"));
	d.id = 951;
	d.type = IE_T_STRING;
	d.max_len = 0;
	assert_int_equal(ie_register(reg, &d, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "maximum length"));
	d.type = IE_T_DATETIME_MS;
	assert_int_equal(ie_register(reg, &d, &err), -EINVAL);
	assert_int_equal(ie_count(reg), before + 10);

	f = calloc(1, sizeof(*f) + sizeof(*e));
	assert_non_null(f);
	e = (struct ext *)(void *)f->ext;
	e->u64 = 0x0102030405060708ull;
	e->s64 = -3;
	e->f64 = dv;
	e->u32 = 70000;
	e->u16 = 513;
	e->u8 = 7;
	memcpy(e->str, "abcdefg", 8);
	e->blen = 9;			/* more than max_len: cut to 4 */
	memcpy(e->bytes, "\xde\xad\xbe\xef", 4);
	memcpy(e->v4, "\xc0\x00\x02\x01", 4);
	e->v6[0] = 0x20;
	e->v6[15] = 1;
	rec.flow = f;
	rec.reason = FLOW_END_IDLE;
	rec.app = NULL;
	r.rec = &rec;
	r.dir = FLOW_DIR_REV;		/* plugin values are the flow's */
	r.biflow = 0;
	assert_true(u("x_u64", &r, 0) == 0x0102030405060708ull);
	assert_true(u("x_s64", &r, 0) == (uint64_t)-3);
	memcpy(&bits, &dv, 8);
	assert_true(u("x_f64", &r, 0) == bits);
	assert_int_equal(u("x_u32", &r, 0), 70000);
	assert_int_equal(u("x_u16", &r, 0), 513);
	assert_int_equal(u("x_u8", &r, 0), 7);
	assert_int_equal(b("x_str", &r, 0, &p), 7);
	assert_memory_equal(p, "abcdefg", 7);
	assert_int_equal(b("x_bytes", &r, 0, &p), 4);
	assert_memory_equal(p, "\xde\xad\xbe\xef", 4);
	assert_int_equal(b("x_v4", &r, 0, &p), 4);
	assert_memory_equal(p, e->v4, 4);
	assert_int_equal(b("x_v6", &r, 0, &p), 16);
	assert_memory_equal(p, e->v6, 16);
	/* Wire encodings: signed64 two's complement, float64 IEEE 754, both
	 * big-endian. */
	assert_int_equal(ie_encode_fixed(ie_find(reg, "x_s64"), &r, 0, out, 8), 8);
	assert_memory_equal(out, "\xff\xff\xff\xff\xff\xff\xff\xfd", 8);
	assert_int_equal(ie_encode_fixed(ie_find(reg, "x_f64"), &r, 0, out, 8), 8);
	assert_memory_equal(out, "\xc0\x04\x00\x00\x00\x00\x00\x00", 8);
	assert_int_equal(ie_get_bytes(ie_find(reg, "x_u16"), &r, 0, &p, scratch),
	    2);
	assert_memory_equal(p, "\x02\x01", 2);
	assert_int_equal(ie_find(reg, "x_str")->v9_len, 7);
	assert_int_equal(ie_find(reg, "x_str")->len, IE_VARLEN);
	assert_int_equal(ie_find(reg, "x_u8")->v9_id, IE_EXT_V9_BASE + 905);
	assert_string_equal(ie_type_name(IE_T_FLOAT64), "float64");
	assert_string_equal(ie_type_name(IE_T_SIGNED64), "signed64");

	/* The rows are the instance's: the built-in view and another
	 * instance do not see them, and the other may register the same
	 * name and id. */
	assert_int_equal(ie_count(NULL), before);
	assert_null(ie_find(NULL, "x_u64"));
	assert_non_null(other = ie_reg_new());
	assert_null(ie_find(other, "x_u64"));
	d.name = "x_u64";
	d.id = 900;
	d.type = IE_T_UNSIGNED64;
	assert_int_equal(ie_register(other, &d, &err), 0);
	assert_ptr_not_equal(ie_find(other, "x_u64"), ie_find(reg, "x_u64"));
	ie_reg_free(other);
	free(f);
	ie_reg_free(reg);
	reg = NULL;
}

static void
test_values_app(void **unused)
{
	static const uint8_t app_id[] = {
		20,				/* PANA-L7-PEN */
		0x00, 0x00, 0x8b, 0x30,		/* PEN 35632 */
		0x00, 91, 0x00, 211,		/* master 91 << 16 | app 211 */
	};
	struct fixture x;
	struct ie_rec r;
	const uint8_t *p;

	(void)unused;
	fixture_init(&x, 4);
	r = (struct ie_rec){ &x.rec, FLOW_DIR_REV, 0 };
	assert_int_equal(b("applicationId", &r, 0, &p), sizeof(app_id));
	assert_memory_equal(p, app_id, sizeof(app_id));
	assert_int_equal(b("applicationName", &r, 0, &p), 13);
	assert_memory_equal(p, "TLS.Instagram", 13);
	assert_int_equal(b("L7_PROTO_NAME", &r, 0, &p), 13);
	assert_int_equal(b("applicationCategoryName", &r, 0, &p), 13);
	assert_memory_equal(p, "SocialNetwork", 13);
	assert_int_equal(b("L7_PROTO_CATEGORY", &r, 0, &p), 13);
	assert_int_equal(b("ndpiProtocolIds", &r, 0, &p), 6);
	assert_memory_equal(p, "91.211", 6);
	assert_int_equal(b("FLOW_SERVER_NAME", &r, 0, &p), 15);
	assert_memory_equal(p, "i.instagram.com", 15);
	assert_int_equal(b("JA3C_HASH", &r, 0, &p), 32);
	assert_int_equal(b("JA3S_HASH", &r, 0, &p), 0);
	assert_non_null(p);
	assert_int_equal(b("HTTP_UA", &r, 0, &p), 0);	/* NULL pointer */
	assert_non_null(p);
	assert_int_equal(u("L7_PROTO", &r, 0), 211);
	assert_int_equal(u("ndpiCategoryId", &r, 0), 6);
	x.app.app_id = 0;
	assert_int_equal(u("L7_PROTO", &r, 0), 91);
	/* Numbers through ie_get_bytes: natural length, network order. */
	assert_int_equal(b("sourceTransportPort", &r, 0, &p), 2);
	assert_memory_equal(p, "\x01\xbb", 2);			/* 443 */
	assert_int_equal(b("octetDeltaCount", &r, 0, &p), 8);
	assert_memory_equal(p, "\x00\x00\x00\x01\x23\x45\x67\x89", 8);
	free(x.f);
}

static void
test_encode_fixed(void **unused)
{
	struct fixture x;
	struct ie_rec fwd, rev;
	uint8_t out[40];

	(void)unused;
	fixture_init(&x, 4);
	fwd = (struct ie_rec){ &x.rec, FLOW_DIR_FWD, 0 };
	rev = (struct ie_rec){ &x.rec, FLOW_DIR_REV, 0 };

	/* Reduced size: 1000 fits in 4 octets. */
	assert_int_equal(ie_encode_fixed(ie_find(reg, "octetDeltaCount"), &fwd, 0,
	    out, 4), 4);
	assert_memory_equal(out, "\x00\x00\x03\xe8", 4);
	/* 0x123456789 does not: a counter saturates. */
	assert_int_equal(ie_encode_fixed(ie_find(reg, "octetDeltaCount"), &rev, 0,
	    out, 4), 4);
	assert_memory_equal(out, "\xff\xff\xff\xff", 4);
	/* Flags keep their low bits: v9 TCP_FLAGS is one octet. */
	assert_int_equal(ie_encode_fixed(ie_find(reg, "tcpControlBits"), &fwd, 0,
	    out, 1), 1);
	assert_int_equal(out[0], 0x1b);
	/* Longer than natural: left-padded. */
	assert_int_equal(ie_encode_fixed(ie_find(reg, "sourceTransportPort"),
	    &fwd, 0, out, 4), 4);
	assert_memory_equal(out, "\x00\x00\x9c\x40", 4);	/* 40000 */
	/* Strings: NUL-padded, or cut. */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(ie_encode_fixed(ie_find(reg, "applicationName"), &fwd, 0,
	    out, 16), 16);
	assert_memory_equal(out, "TLS.Instagram\0\0\0", 16);
	assert_int_equal(out[16], 0xee);
	assert_int_equal(ie_encode_fixed(ie_find(reg, "applicationName"), &fwd, 0,
	    out, 3), 3);
	assert_memory_equal(out, "TLS", 3);
	/* Addresses: natural length, else zeros. */
	assert_int_equal(ie_encode_fixed(ie_find(reg, "sourceIPv4Address"), &rev,
	    0, out, 4), 4);
	assert_memory_equal(out, "\xc0\x00\x02\x07", 4);
	assert_int_equal(ie_encode_fixed(ie_find(reg, "sourceIPv4Address"), &rev,
	    0, out, 2), 2);
	assert_memory_equal(out, "\x00\x00", 2);
	/* Times: 8 octets of ms. */
	assert_int_equal(ie_encode_fixed(ie_find(reg, "flowEndMilliseconds"), &fwd,
	    0, out, 8), 8);
	assert_memory_equal(out, "\x00\x00\x01\x8b\xcf\xe5\x73\xb8", 8);
	assert_int_equal(ie_encode_fixed(ie_find(reg, "applicationName"), &fwd, 0,
	    out, 0), 0);
	assert_int_equal(ie_encode_fixed(ie_find(reg, "applicationName"), &fwd, 0,
	    out, IE_VARLEN), 0);
	free(x.f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_unique),
		cmocka_unit_test(test_registry_v9_ids),
		cmocka_unit_test(test_registry_reverse_and_pen),
		cmocka_unit_test(test_registry_libfixbuf),
		cmocka_unit_test(test_builtin_templates),
		cmocka_unit_test(test_tmpl_load_file),
		cmocka_unit_test(test_tmpl_parse_errors),
		cmocka_unit_test(test_tmpl_all_elements),
		cmocka_unit_test(test_tmpl_derive),
		cmocka_unit_test(test_tmpl_derive_default),
		cmocka_unit_test(test_values_uniflow),
		cmocka_unit_test(test_values_biflow),
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_values_app),
		cmocka_unit_test(test_encode_fixed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
