/*
 * fuzz_cfile.c - fuzz target: the configuration file parser
 * (conf_file_parse), then the whole-configuration check (conf_validate).
 *
 * Input: the text of a configuration file. Whatever the text,
 * conf_file_parse must return 0 or a negative errno with a message that
 * starts with "NAME:LINE: " (the file and the line at fault); a text it
 * accepts leaves every list within its capacity and every string
 * readable, and conf_validate then accepts or refuses it with a message.
 * Anything else aborts. Replayed by make check over
 * tests/fuzz/corpus/cfile.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/conf_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME	"fuzz.conf"

/* A refusal says where and why, in one NUL-terminated sentence. */
static void
check_refusal(int rc, const struct perr *err, int with_line)
{
	if (rc >= 0 || err->code == 0 || err->msg[0] == '\0' ||
	    memchr(err->msg, '\0', sizeof(err->msg)) == NULL)
		abort();
	if (with_line && strncmp(err->msg, NAME ":", strlen(NAME ":")) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_state st;
	struct perr err;
	struct conf c;
	char *text;
	int rc, i;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&st, 0, sizeof(st));
	memset(&err, 0, sizeof(err));
	conf_defaults(&c);
	rc = conf_file_parse(&c, &st, NAME, text, &err);
	if (rc != 0) {
		check_refusal(rc, &err, 1);
		goto out;
	}
	if (c.n_collectors < 0 || c.n_collectors > CONF_MAX_COLLECTORS ||
	    c.n_ifaces < 0 || c.n_ifaces > CONF_MAX_IFACES ||
	    c.n_plugins < 0 || c.n_plugins > CONF_MAX_PLUGINS)
		abort();
	/* Accepted strings are cut out of the text: readable, bounded. */
	for (i = 0; i < c.n_collectors; i++)
		if (c.collectors[i] == NULL || strlen(c.collectors[i]) > size)
			abort();
	for (i = 0; i < c.n_ifaces; i++)
		if (c.ifaces[i] == NULL || strlen(c.ifaces[i]) > size)
			abort();
	for (i = 0; i < c.n_plugins; i++)
		if (c.plugins[i] == NULL || strlen(c.plugins[i]) > size)
			abort();
	memset(&err, 0, sizeof(err));
	if ((rc = conf_validate(&c, &err)) != 0)
		check_refusal(rc, &err, 0);
out:
	conf_fini(&c);
	free(text);
	return 0;
}
