/*
 * fuzz_export.c - fuzz target: template parsing and the NetFlow v9
 * message builder.
 *
 * Input: two bytes of MTU, then a template text up to the first NUL, then
 * bytes that fill one flow record (IP version, addresses, ports, counters,
 * times, and the classification strings). When the template parses and
 * the encoder accepts it, the record is encoded and every packet built is
 * checked: never longer than the MTU, a version 9 header, FlowSets whose
 * lengths add up to the packet. Any violation aborts. Replayed by make
 * check (tests/fuzz/replay.c) over tests/fuzz/corpus/export.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export/nfv9_int.h"
#include "ie/ie.h"
#include "v9check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct cursor {
	const uint8_t	*p;
	size_t		left;
};

static uint64_t
take(struct cursor *c, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0) {
		v = v << 8 | (c->left > 0 ? *c->p : 0);
		if (c->left > 0) {
			c->p++;
			c->left--;
		}
	}
	return v;
}

/* Copies up to <max> - 1 bytes as a NUL-terminated string. */
static void
take_str(struct cursor *c, char *out, size_t max)
{
	size_t n = (size_t)take(c, 1) % max;

	if (n > c->left)
		n = c->left;
	memcpy(out, c->p, n);
	out[n] = '\0';
	c->p += n;
	c->left -= n;
}

static int
check_packet(const uint8_t *msg, size_t len, uint32_t n_data, void *arg)
{
	(void)n_data;
	v9_check_packet(msg, len, *(const uint32_t *)arg);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[4096], s[4][128];
	struct cursor c = { data, size };
	struct nfv9_conf nc;
	struct exp_record rec;
	struct dpi_info app;
	struct flow *f;
	struct tmpl t;
	struct nfv9 *nf;
	uint32_t mtu;
	size_t n, i;

	mtu = NFV9_MTU_MIN + (uint32_t)take(&c, 2) % 9000;
	for (n = 0; n < c.left && c.p[n] != 0 && n < sizeof(text) - 1; n++)
		text[n] = (char)c.p[n];
	text[n] = '\0';
	c.p += n < c.left ? n + 1 : n;
	c.left -= n < c.left ? n + 1 : n;
	if (tmpl_parse(NULL, "fuzz", text, &t, NULL) != 0)
		return 0;

	memset(&nc, 0, sizeof(nc));
	nc.tmpl = &t;
	nc.mtu = mtu;
	nc.refresh_msgs = 1 + (uint32_t)take(&c, 1) % 4;
	nc.start_us = 1000000;
	if ((nf = nfv9_new(&nc, check_packet, &mtu, NULL)) == NULL)
		return 0;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		goto out;
	f->key.ip_version = take(&c, 1) & 1 ? 6 : 4;
	for (i = 0; i < 16; i++) {
		f->key.src[i] = (uint8_t)take(&c, 1);
		f->key.dst[i] = (uint8_t)take(&c, 1);
	}
	f->key.sport = (uint16_t)take(&c, 2);
	f->key.dport = (uint16_t)take(&c, 2);
	f->key.proto = (uint8_t)take(&c, 1);
	f->key.vlan_id = (uint16_t)take(&c, 2);
	f->key.tunnel_id = (uint32_t)take(&c, 4);
	for (i = 0; i < 2; i++) {
		f->c[i].pkts = take(&c, 4);
		f->c[i].bytes = take(&c, 8);
		f->c[i].first_us = take(&c, 8);
		f->c[i].last_us = take(&c, 8);
		f->tcp_flags[i] = (uint8_t)take(&c, 1);
	}
	memset(&app, 0, sizeof(app));
	take_str(&c, app.app_name, sizeof(app.app_name));
	take_str(&c, app.category_name, sizeof(app.category_name));
	take_str(&c, app.app_id_str, sizeof(app.app_id_str));
	app.master_id = (uint16_t)take(&c, 2);
	app.app_id = (uint16_t)take(&c, 2);
	for (i = 0; i < 4; i++)
		take_str(&c, s[i], sizeof(s[i]));
	app.confidence_name = "";
	app.server_name = s[0];
	app.client_fingerprint = s[1];
	app.server_fingerprint = s[2];
	app.user_agent = s[3];
	rec.flow = f;
	rec.reason = (enum flow_end_reason)(1 + take(&c, 1) % 5);
	rec.app = &app;
	/* Several records, so packets fill and split at the MTU. */
	for (i = 0; i < 1 + take(&c, 1) % 64; i++)
		nfv9_add(nf, &rec, 2000000 + i * 100000);
	nfv9_flush(nf, 9000000);
	free(f);
out:
	nfv9_free(nf);
	return 0;
}
