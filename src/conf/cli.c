/*
 * cli.c - the command line, and the order of the sources.
 *
 * conf_parse() reads argv with the option table of opts.c: "--name",
 * "--name=VALUE", "--name VALUE", "-x", "-xVALUE", "-x VALUE", bundled
 * letters ("-qv"), and "--" to end the options. Long names are matched
 * exactly (no abbreviations: the configuration file uses the same names).
 * Errors say which option and what is wrong with it. The -C file is
 * applied first, then the command line over it.
 */
#include "conf/conf.h"
#include "conf/conf_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cli_item {
	const struct conf_opt	*opt;
	const char		*value;		/* NULL: no value */
};

static int
takes_value(const struct conf_opt *o)
{
	return o->kind != CONF_K_FLAG && o->kind != CONF_K_COUNT &&
	    o->kind != CONF_K_ACTION;
}

/* Splits argv into option items; syntax errors only. Sets <*action> and
 * stops at -h or -V. Returns the number of items or a negative errno. */
static int
scan_argv(int argc, char **argv, struct cli_item *items,
    enum conf_action *action, struct perr *err)
{
	const struct conf_opt *o;
	const char *a, *eq;
	int i, n = 0;
	size_t len;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0) {
			if (i + 1 < argc)
				return perr_set(err, -EINVAL, "unexpected "
				    "argument '%s' (a filter goes after -f)",
				    argv[i + 1]);
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			return perr_set(err, -EINVAL, "unexpected argument "
			    "'%s' (a filter goes after -f)", a);
		if (a[1] == '-') {
			eq = strchr(a + 2, '=');
			len = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
			if ((o = conf_opt_by_name(a + 2, len)) == NULL)
				return perr_set(err, -EINVAL, "unknown option "
				    "'--%.*s' (see --help)", (int)len, a + 2);
			if (!takes_value(o) && eq != NULL)
				return perr_set(err, -EINVAL, "option '--%s' "
				    "takes no value (given '%s')", o->name,
				    eq + 1);
			items[n].opt = o;
			items[n].value = NULL;
			if (takes_value(o)) {
				if (eq != NULL)
					items[n].value = eq + 1;
				else if (i + 1 < argc)
					items[n].value = argv[++i];
				else
					return perr_set(err, -EINVAL, "option "
					    "'--%s' needs a value (see --help)",
					    o->name);
			}
			if (o->kind == CONF_K_ACTION) {
				*action = (enum conf_action)o->flag_val;
				return n;
			}
			n++;
			continue;
		}
		/* One or more letters: "-qv", "-r FILE", "-rFILE". */
		for (a++; *a != '\0'; a++) {
			if ((o = conf_opt_by_short(*a)) == NULL)
				return perr_set(err, -EINVAL, "unknown option "
				    "'-%c' (see --help)", *a);
			items[n].opt = o;
			items[n].value = NULL;
			if (o->kind == CONF_K_ACTION) {
				*action = (enum conf_action)o->flag_val;
				return n;
			}
			if (!takes_value(o)) {
				n++;
				continue;
			}
			if (a[1] != '\0')
				items[n].value = a + 1;
			else if (i + 1 < argc)
				items[n].value = argv[++i];
			else
				return perr_set(err, -EINVAL, "option '-%c' "
				    "needs a value (see --help)", *a);
			n++;
			break;
		}
	}
	return n;
}

int
conf_parse(struct conf *c, int argc, char **argv, enum conf_action *action,
    struct perr *err)
{
	struct conf_state st;
	struct cli_item *items;
	const char *config = NULL;
	size_t cap;
	int i, n, rc = 0;

	*action = CONF_RUN;
	memset(&st, 0, sizeof(st));
	/* One item per letter at most: "-qvv" is three. */
	for (i = 0, cap = 1; i < argc; i++)
		cap += strlen(argv[i]) + 1;
	if ((items = calloc(cap, sizeof(*items))) == NULL)
		return perr_set(err, -ENOMEM, "out of memory");
	if ((n = scan_argv(argc, argv, items, action, err)) < 0) {
		rc = n;
		goto out;
	}
	if (*action != CONF_RUN)
		goto out;
	for (i = 0; i < n; i++) {
		if (items[i].opt->kind != CONF_K_CONFIG)
			continue;
		if (config != NULL) {
			rc = perr_set(err, -EINVAL, "option --config given "
			    "twice; it takes one file");
			goto out;
		}
		config = items[i].value;
	}
	if (config != NULL &&
	    (rc = conf_file_load(c, &st, config, err)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((rc = conf_opt_set(c, &st, items[i].opt, items[i].value,
		    CONF_SRC_CLI, "", 0, err)) != 0)
			goto out;
	rc = conf_validate(c, err);
out:
	free(items);
	return rc;
}
