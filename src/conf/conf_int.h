/*
 * conf_int.h - the option table and what cli.c and cfile.c share; also
 * for tests/unit/test_conf.c.
 */
#ifndef L7_CONF_INT_H
#define L7_CONF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

enum conf_opt_kind {
	CONF_K_FLAG,		/* no value: int field = flag_val */
	CONF_K_COUNT,		/* no value, repeatable: int field++ */
	CONF_K_U32,		/* decimal digits in [min, max] */
	CONF_K_STR,		/* any non-empty string */
	CONF_K_LIST,		/* repeatable string, array of max_n + count */
	CONF_K_LEVEL,		/* err, warn, info, debug */
	CONF_K_ACTION,		/* -h, -V: command line only */
	CONF_K_CONFIG,		/* -C FILE: command line only */
};

#define CONF_F_CLI_ONLY		0x1	/* not a configuration file key */
#define CONF_F_NO_DEFAULT	0x2	/* help shows no "(default ...)" */

struct conf_opt {
	const char	*name;		/* long name, also the file key */
	int		short_name;	/* letter, 0 = none */
	enum conf_opt_kind kind;
	const char	*metavar;	/* value's name in help, NULL = none */
	size_t		off;		/* field in struct conf */
	size_t		off_n;		/* LIST: its int count */
	int		max_n;		/* LIST: capacity */
	uint32_t	min, max, def;	/* U32: range and default */
	int		flag_val;	/* FLAG: value set; ACTION: action */
	int		flag_def;	/* FLAG: default; LEVEL: default */
	const char	*def_str;	/* STR: default, NULL = none */
	/* LIST, STR: checks one value; 0 or a negative errno with <err>
	 * saying what is wrong after "<where>'<value>': ". */
	int		(*check)(const char *value, char *why, size_t whylen);
	unsigned	flags;		/* CONF_F_* */
	const char	*section;	/* help heading starting here, or NULL */
	const char	*help;		/* one sentence or more, no newline */
};

extern const struct conf_opt conf_opts[];
extern const size_t conf_n_opts;

#define CONF_MAX_OPTS	64	/* capacity of the per-option state below */

/* Where an option's value came from, to let the command line win. */
enum conf_src { CONF_SRC_NONE = 0, CONF_SRC_FILE, CONF_SRC_CLI };

struct conf_state {
	unsigned char	src[CONF_MAX_OPTS];	/* enum conf_src per option */
	int		line[CONF_MAX_OPTS];	/* file: line of the value */
};

const struct conf_opt *conf_opt_by_name(const char *name, size_t len);
const struct conf_opt *conf_opt_by_short(int ch);

/*
 * Applies <value> (NULL for options without one) of <o> from <src> to
 * <c>. <where> prefixes error messages ("" or "FILE:LINE: "), <line> is
 * the file line (0 on the command line). Refuses a single-valued option
 * given twice by the same source; a command line value replaces a file's
 * (a whole list for repeatable options). Returns 0 or a negative errno.
 */
int	conf_opt_set(struct conf *c, struct conf_state *st,
	    const struct conf_opt *o, const char *value, enum conf_src src,
	    const char *where, int line, struct perr *err);

/*
 * Parses the configuration file text <text> (modified in place: values
 * are cut out of it and must live as long as <c>) named <name> into <c>.
 * Returns 0 or a negative errno with <err> starting "NAME:LINE: ".
 */
int	conf_file_parse(struct conf *c, struct conf_state *st,
	    const char *name, char *text, struct perr *err);

/* Reads and parses the file <path>; its text becomes c->text_. */
int	conf_file_load(struct conf *c, struct conf_state *st,
	    const char *path, struct perr *err);


#endif
