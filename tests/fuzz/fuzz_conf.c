/*
 * fuzz_conf.c - fuzz target: the command-line parser (conf_parse).
 *
 * Input: the arguments after the program name, separated by NUL or
 * newline bytes (at most 64). Whatever the input, conf_parse must return
 * 0 with a known action and a configuration inside its documented limits,
 * or a negative errno with a message; anything else aborts. Strings in
 * the configuration borrow the arguments, so they stay alive until the
 * checks are done. Replayed by make check over tests/fuzz/corpus/conf.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS	64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *buf, *p;
	enum conf_action action;
	struct perr err;
	struct conf c;
	int argc = 0, rc;
	size_t i;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)"l7probe";
	for (p = buf, i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (buf[i] == '\n' || buf[i] == '\0') {
			buf[i] = '\0';
			argv[argc++] = p;
			p = buf + i + 1;
		}
	}
	argv[argc] = NULL;

	memset(&err, 0, sizeof(err));
	conf_defaults(&c);
	rc = conf_parse(&c, argc, argv, &action, &err);
	if (rc != 0) {
		/* A refusal says why, in one sentence. */
		if (rc > 0 || err.code == 0 || err.msg[0] == '\0' ||
		    memchr(err.msg, '\0', sizeof(err.msg)) == NULL)
			abort();
	} else {
		if (action != CONF_RUN && action != CONF_HELP &&
		    action != CONF_VERSION)
			abort();
		if (c.n_collectors < 0 ||
		    c.n_collectors > CONF_MAX_COLLECTORS ||
		    c.n_ifaces < 0 || c.n_ifaces > CONF_MAX_IFACES ||
		    c.n_plugins < 0 || c.n_plugins > CONF_MAX_PLUGINS)
			abort();
		/* What is accepted is usable: every string is readable. */
		for (i = 0; i < (size_t)c.n_collectors; i++)
			if (c.collectors[i] == NULL ||
			    strlen(c.collectors[i]) > size)
				abort();
		if (action == CONF_RUN && c.read_file == NULL &&
		    c.n_ifaces == 0)
			abort();
	}
	conf_fini(&c);
	free(buf);
	return 0;
}
