/*
 * fuzz_tmpl.c - fuzz target: the template parser (tmpl_parse) and the
 * per-record templates derived from it (tmpl_derive).
 *
 * Input: template text (a NUL ends it early). A template that parses
 * must hold 1..IE_TMPL_MAX registry elements, none twice, none reverse;
 * every template derived from it (IPv4/IPv6, uniflow/biflow, IPFIX/v9)
 * must hold only registry elements of its family with wire lengths an
 * encoder can write, or be refused with a negative errno and a message.
 * Anything else aborts. Replayed by make check over tests/fuzz/corpus/tmpl.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ie/ie.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_derived(const struct tmpl *t, int ipv, int v9)
{
	size_t i;

	if (t->n == 0 || t->n > IE_TMPL_MAX)
		abort();
	for (i = 0; i < t->n; i++) {
		const struct ie_def *d = t->f[i].ie;

		if (d == NULL || ie_find(NULL, d->name) != d)
			abort();
		if ((ipv == 4 && (d->flags & IE_F_V6)) ||
		    (ipv == 6 && (d->flags & IE_F_V4)))
			abort();
		if (t->f[i].len == 0 || (v9 && t->f[i].len == IE_VARLEN))
			abort();
		if (v9 && t->f[i].reverse)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tmpl t, d;
	struct perr err;
	char *text;
	size_t i, j;
	int ipv, biflow, v9, rc;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&err, 0, sizeof(err));
	rc = tmpl_parse(NULL, "fuzz", text, &t, &err);
	free(text);
	if (rc != 0) {
		if (rc != -EINVAL || err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (t.n == 0 || t.n > IE_TMPL_MAX)
		abort();
	for (i = 0; i < t.n; i++) {
		if (t.f[i].ie == NULL || t.f[i].reverse)
			abort();
		for (j = 0; j < i; j++)
			if (t.f[j].ie == t.f[i].ie)
				abort();
	}
	for (ipv = 4; ipv <= 6; ipv += 2)
		for (biflow = 0; biflow < 2; biflow++)
			for (v9 = 0; v9 < 2; v9++) {
				memset(&err, 0, sizeof(err));
				rc = tmpl_derive(&t, ipv, biflow, v9, &d, &err);
				if (rc == 0)
					check_derived(&d, ipv, v9);
				else if (rc > 0 || err.msg[0] == '\0')
					abort();
			}
	return 0;
}
